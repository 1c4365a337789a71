"""``synchro analyze``: read, analyse and report one session per input, several in a batch."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError
from ..progress import step_progress
from .app import Failure, failure, main, most_severe, shown
from .cohort import check_cohort_installed, claim_session, cohort_summary, expand_inputs, run_sessions


def _bands(ctx, param, value):
    from ..report import parse_bands

    try:
        return parse_bands(value)
    except UsageError as err:
        raise click.BadParameter(str(err)) from None


def _time_window(ctx, param, value):
    """``"600:1200"`` -> ``(600.0, 1200.0)`` seconds."""
    if value is None:
        return None
    start, sep, stop = value.partition(":")
    try:
        a, b = float(start), float(stop)
    except ValueError:
        a = b = float("nan")
    if not (sep and a < b and abs(a) < float("inf") and abs(b) < float("inf")):
        raise click.BadParameter(f"{value!r} is not START:STOP in seconds with START < STOP; write e.g. "
                                 "--time-window 600:1200")
    return a, b


def _pair(ctx, param, value):
    """``"exc,inh"`` -> ``("exc", "inh")``."""
    if value is None:
        return None
    pair = tuple(v.strip() for v in value.split(","))
    if len(pair) != 2 or not all(pair):
        raise click.BadParameter(f"give two population labels separated by a comma, e.g. exc,inh; got {value!r}")
    return pair



@main.command()
# readable=False: an unreadable input is the readers' to report (exit 3, like every unreadable input), not click's
# (a usage error, exit 2).
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, readable=False))
@click.option("--units", "units_path", default=None, metavar="PATH-IN-FILE",
              help="Units table inside an NWB file holding several, e.g. processing/ecephys/units2.")
@click.option("--lfp", default="auto", show_default=True, metavar="auto|none|PATH-IN-FILE",
              help="Field for spike-field coupling: the file's one ElectricalSeries (auto), none, or a path in the "
                   "NWB file.")
@click.option("--population-column", default="population", show_default=True,
              help="Unit column whose values define the populations analysed besides 'all'.")
@click.option("--lag-populations", default=None, callback=_pair, metavar="A,B",
              help="Two populations whose band-limited rates are compared: the lag of B behind A in every band "
                   "(default exc,inh when the data hold both).")
@click.option("--quality", type=click.Choice(["exclude-noise", "all"]), default="exclude-noise", show_default=True,
              help="Curation filter: leave out units labelled noise, or keep all.")
@click.option("--t-start", type=float, default=None, help="Start of the recording in seconds (overrides the file).")
@click.option("--t-stop", type=float, default=None, help="End of the recording in seconds (overrides the file).")
@click.option("--time-window", default=None, callback=_time_window, metavar="START:STOP",
              help="Analyse only this part of the recording, in seconds, e.g. --time-window 600:1200 (the "
                   "recording's bounds stay --t-start/--t-stop or the file's).")
@click.option("--epochs", default=None, is_flag=False, flag_value="epochs", metavar="[TABLE[:COLUMN]]",
              help="Analyse each epoch label separately (sleep, wake, ...), one report section each: the NWB "
                   "interval table (default epochs) and its label column (default: the first of label, epoch, tags "
                   "it has).")
@click.option("--trials", default=None, metavar="COLUMN",
              help="Group the NWB trials table's rows by COLUMN (a condition) and analyse each group on the spikes "
                   "of its trials, one report section each.")
@click.option("--bands", default="alpha=8-13,gamma=30-80", show_default=True, callback=_bands,
              help="Frequency bands in Hz, NAME=LOW-HIGH separated by commas.")
@click.option("--surrogates", "n_surrogates", type=click.IntRange(min=1), default=200, show_default=True,
              help="Surrogates per band test (rhythm verdicts: bootstrap spectra of the peak test and circular "
                   "shifts of the independence test); at least enough for Holm to reach alpha 0.05 across the "
                   "bands (40 for two bands).")
@click.option("--synchrony-surrogates", type=click.IntRange(min=0), default=20, show_default=True,
              help="Circular-shift surrogates of the chance level, z and p of every synchrony index (0: none).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of every random draw (recorded in the report).")
@click.option("--time-unit", type=click.Choice(["s", "ms", "us", "samples"]), default=None,
              help="Unit of spike times in NPZ/CSV input [default: seconds, checked].")
@click.option("--sampling-rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Sampling rate in Hz, with --time-unit samples (for a Phy folder: overrides params.py).")
@click.option("--columns", default=None, metavar="unit=NAME,time=NAME",
              help="CSV/TSV column names of the unit id and the spike time [default: unit_id, spike_time], e.g. "
                   "unit=cluster,time=time.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What goes to stdout: the summary, or report.json (one document per line per input).")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Report folder [default: ./synchro-report-<input stem>]; with several inputs, the folder "
                   "holding one synchro-report-<stem> per input and the cohort table [default: ./].")
@click.option("--overwrite", is_flag=True, help="Replace existing report folders (synchro reports only); with "
                                                "several inputs, recompute complete reports too.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary: only errors (and JSON with "
                                                  "--format json).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With several inputs: a dask scheduler's address (tcp://host:8786), whose workers see the inputs "
                   "and -o at the same paths, or 'serial' to analyse here one after the other [default: a "
                   "LocalCluster on this machine's cores].")
@click.option("--workers", "n_workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the LocalCluster [default: the machine's cores, at most one per input].")
@click.option("--no-figures", is_flag=True, help="Skip the figures (faster; report.html shows the summary only).")
@click.pass_context
def analyze(ctx, paths, units_path, lfp, population_column, lag_populations, quality, t_start, t_stop, time_window,
            epochs, trials, bands, n_surrogates, synchrony_surrogates, seed, time_unit, sampling_rate, columns, fmt,
            output, overwrite, quiet, scheduler, n_workers, no_figures):
    """Analyse spike files (NWB, NPZ, CSV, TSV) or Phy/Kilosort folders, one session per input.

    Runs every analysis the data allow, for all units and for each
    population: a rhythm verdict per band, present (a spectral peak above
    the aperiodic background, beyond independent units), broadband, absent
    or undetermined, from the population-rate spectrum; synchrony (Golomb chi, STTC,
    SPIKE-synchronization, spike contrast, Fano factor) and, when the file
    holds an LFP or field, spike-field coupling (PPC, PLV, preferred phase,
    coherence); and the rhythms' mechanism: phase-amplitude coupling between
    the bands, and which population leads (exc and inh, or --lag-populations).
    Writes report.json, figures (PNG, SVG) and report.html to
    the report folder, never beside the input.

    Report folders are claimed before any analysis: a folder that exists,
    or that another run is writing, is refused (exit 2) unless --overwrite
    is given and it is a synchro report; missing parent folders are created.

    Several inputs (files, a folder of NWB files, or a quoted glob such as
    'data/*.nwb') are a cohort: the sessions run on a dask cluster (see
    --scheduler; pip install "synchro[cohort]") and -o holds one
    synchro-report-<stem> per input plus the cohort table
    (synchro-cohort.csv and .parquet: one row per session, population and
    band) and its figure. A cohort resumes: a session whose report is
    complete is not analysed again (its report.json feeds the table) unless
    --overwrite; an empty folder left by a run that died is recomputed; a
    report of another input or made with other --bands, --seed,
    --surrogates, --synchrony-surrogates or --population-column fails its
    input (exit 2). Every session is analysed even when others fail; each
    failure is one line naming its file and is listed with its exit code in
    the summary, and the exit code is the most severe among the files, in
    the order 1 (internal error), 3, 4, 5, 2.

    \b
    Examples:
      synchro analyze spikes.nwb
      synchro analyze spikes.nwb --units processing/ecephys/units2 --lfp none
      synchro analyze https://dandiarchive.s3.amazonaws.com/blobs/.../file.nwb --lfp none
      synchro analyze sorted.csv --time-unit ms --t-stop 600000 -o report/
      synchro analyze kilosort_output/ --quality all
      synchro analyze ibl_spikes.tsv --columns unit=cluster,time=time --t-stop 3600
      synchro analyze a.nwb b.nwb --format json -o cohort/ > reports.jsonl
      synchro analyze sessions/ -o cohort/ --workers 4
      synchro analyze 'sessions/*.nwb' -o cohort/ --scheduler tcp://10.0.0.2:8786
      synchro analyze run.nwb --bands theta=4-8,gamma=30-80 --surrogates 1000 --seed 7
      synchro analyze session.nwb --time-window 600:1200
      synchro analyze session.nwb --epochs --bands theta=6-10,gamma=30-80
      synchro analyze session.nwb --epochs epochs:label
      synchro analyze session.nwb --trials condition
      synchro analyze network.nwb --lag-populations pyr,int

    --seed S gives the numbers of the library called with rng=S on the same
    data and options (e.g. band_verdicts(rec.spikes, rng=S); for simulations
    the report leaves out the first 0.2 s: discard=0.2).
    """
    from ..io import csv_columns
    from ..report import OutputClaim
    from ..report.cohort import cohort_table, import_writers, write_cohort
    from ..report.pipeline import ALPHA, check_section_options
    from ..rhythms import check_surrogates

    check_surrogates(n_surrogates, len(bands), ALPHA, option="--surrogates")  # before any file is read
    if columns is not None:
        columns = csv_columns(columns)  # a malformed mapping is refused before any file is read
    read_options = dict(units=units_path, lfp=None if lfp.lower() == "none" else lfp, time_unit=time_unit,
                        sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop,
                        quality=None if quality == "all" else quality, columns=columns)
    epoch_table, _, epoch_column = (epochs or "").partition(":")
    options = dict(bands=bands, n_surrogates=n_surrogates, synchrony_surrogates=synchrony_surrogates, rng=seed,
                   population_column=population_column, lag_populations=lag_populations, time_window=time_window,
                   epochs=None if epochs is None else epoch_table or "epochs", epoch_column=epoch_column or None,
                   trials=trials)
    check_section_options(options["epochs"], options["epoch_column"], trials)  # before any file is read
    paths, expanded = expand_inputs(paths)
    batch = len(paths) > 1 or expanded
    if batch:
        check_cohort_installed(scheduler)  # before any file is read
    # Every report folder is claimed before any analysis, so that an output that cannot be written fails at once.
    claims = _claim_report_folders(paths, output, overwrite, batch, options)
    try:
        tasks = [(path, claim, read_options, options, not no_figures, not quiet and not batch)
                 for path, claim in zip(paths, claims) if isinstance(claim, OutputClaim)]
        if batch:
            done, label, workers = run_sessions(_analyze_one, tasks, scheduler, n_workers,
                                                progress=not quiet and fmt == "text",
                                                meanwhile=lambda: import_writers(figure=not no_figures))
        else:
            done = [_analyze_one(task) for task in tasks]
        done = iter(done)
        outcomes = [next(done) if isinstance(claim, OutputClaim) else claim for claim in claims]
    finally:
        for claim in claims:
            if isinstance(claim, OutputClaim):
                claim.release()
    code = _report_outcomes(ctx, paths, outcomes, fmt, quiet)
    if batch:
        # No session to tabulate (all failed) leaves the table of an earlier run as it was.
        rows = cohort_table([o["report"] for o in outcomes if not isinstance(o, Failure)])
        written = rows and write_cohort(rows, Path(output) if output is not None else Path.cwd(),
                                        figure=not no_figures)
        if fmt == "text" and not quiet:
            click.echo(cohort_summary(paths, outcomes, label, workers, written))
    ctx.exit(code)


def _report_outcomes(ctx, paths, outcomes, fmt, quiet) -> int:
    """Print each input's summary, JSON or one-line error; return the batch's exit code."""
    for path, outcome in zip(paths, outcomes):
        if isinstance(outcome, Failure):
            if ctx.obj.get("debug"):
                click.echo(outcome.traceback, err=True, nl=False)
            where = f"{path}: " if len(paths) > 1 else ""
            click.echo(f"synchro: {outcome.kind}: {where}{outcome.message}", err=True)
        elif fmt == "json":
            click.echo(json.dumps(outcome["report"], allow_nan=False))
        elif not quiet:
            summary = outcome["summary"] or f"{path}: a complete report was found; not analysed again (--overwrite " \
                                            "recomputes it)"
            click.echo(f"{summary}\nReport: {shown(Path(outcome['folder']) / 'report.html')}")
            if len(paths) > 1:
                click.echo("")
    return most_severe(o.code if isinstance(o, Failure) else 0 for o in outcomes)


def _claim_report_folders(paths, output, overwrite, batch, options) -> list:
    """One claimed report folder per input (or, in a batch, its :class:`Failure` or its report found complete).

    Problems of the whole command (colliding names, an output location that cannot be written) raise; in a
    batch, a report folder that cannot be used fails its input only, so that the other inputs are still analysed.
    """
    from ..io import source_name
    from ..report import OutputClaim, OutputFolderExistsError, claim_output_folder

    stems = [Path(source_name(p)).stem for p in paths]
    if len(set(stems)) < len(stems):
        raise UsageError("several inputs share a file name; their report folders would collide: analyse them "
                         "in separate runs with -o/--output")
    if output is not None and not batch:
        return [claim_output_folder(output, inputs=paths, overwrite=overwrite)]
    parent = Path(output) if output is not None else Path.cwd()
    claims = []
    try:
        for path, stem in zip(paths, stems):
            folder = parent / f"synchro-report-{stem}"
            try:
                claims.append(claim_session(folder, path, paths, overwrite=overwrite, options=options) if batch
                              else claim_output_folder(folder, inputs=paths, overwrite=overwrite))
            except OutputFolderExistsError as err:
                if not batch:
                    raise
                claims.append(failure(err))
    except BaseException:
        for claim in claims:
            if isinstance(claim, OutputClaim):
                claim.release()
        raise
    return claims


def _analyze_one(task):
    """Read, analyse and write one input: ``{"report", "summary", "folder"}`` or a :class:`Failure`.

    Module-level so that dask workers can run it (:func:`~synchro.cli.cohort.run_sessions`). Any error, ours
    included, fails this input only: the batch goes on with the others.
    """
    from ..report import analyze_file, write_report

    path, claim, read_options, options, figures, show_progress = task
    progress = step_progress(show_progress)
    try:
        report = analyze_file(path, progress=progress, figures=figures, **read_options, **options)
        with progress("writing the report"):
            folder = write_report(report, claim, figures=figures)
    except Exception as err:
        return failure(err)
    finally:
        progress.close()
    return {"report": report.to_dict(), "summary": report.summary(), "folder": str(folder)}
