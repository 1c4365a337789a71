"""The ``synchro`` command line.

A thin layer: each command parses its options, calls library functions and
prints what they return. Errors in the input end the command with one line on
stderr and the exit code of their :mod:`synchro.errors` class; a traceback is
shown only with ``--debug``. Heavy imports (brian2, pynwb, matplotlib) happen
inside the commands so that ``synchro --help`` is instant.

Exit codes: 0 done, 1 internal error, 2 usage error, 3 input missing or
unreadable, 4 invalid or unsupported data, 5 nothing left to analyse. A batch
(``synchro analyze`` of several files) exits with the most severe code of
its files, in the order of :data:`SEVERITY`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__
from .errors import (
    InvalidDataError,
    NothingToAnalyseError,
    SynchroError,
    UnreadableInputError,
    UsageError,
    check_installed,
)

EXIT_INTERNAL = 1

#: Steps that last longer than this (s) are announced on stderr.
PROGRESS_AFTER = 1.0

#: Marker file identifying a folder written by ``synchro demo`` (so a rerun may replace it).
DEMO_MARKER = ".synchro-demo"


class _Group(click.Group):
    """Turn every exception into a one-line message and an exit code (plus the traceback with ``--debug``)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            if isinstance(err, SynchroError):
                click.echo(f"synchro: error: {err}", err=True)
                ctx.exit(err.exit_code)
            # An internal error: still one line (without --debug), and the code that says "our fault".
            click.echo(f"synchro: internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback "
                       "and report it)", err=True)
            ctx.exit(EXIT_INTERNAL)


def _progress(enabled: bool):
    """``progress(step)`` context managers that announce, on stderr, steps still running after a second."""

    @contextmanager
    def step(name: str):
        if not enabled:
            yield
            return
        t0 = time.perf_counter()
        shown = threading.Event()

        def announce():
            shown.set()
            click.echo(f"synchro: {name} ...", err=True)

        timer = threading.Timer(PROGRESS_AFTER, announce)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            if shown.is_set():
                click.echo(f"synchro: {name} done in {time.perf_counter() - t0:.1f} s", err=True)

    return step


def _bands(ctx, param, value):
    from .report import parse_bands

    try:
        return parse_bands(value)
    except UsageError as err:
        raise click.BadParameter(str(err)) from None


def _window(ctx, param, value):
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
                                 "--window 600:1200")
    return a, b


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="synchro")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def main(ctx, debug):
    """synchro: oscillation and synchrony analysis of spiking data.

    \b
    Examples:
      synchro analyze spikes.nwb -o report/
      synchro simulate izhikevich2003 --duration 10 -o run.nwb
      synchro demo

    Exit codes: 0 done, 1 internal error, 2 usage error, 3 input missing or
    unreadable, 4 invalid or unsupported data, 5 nothing left to analyse.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if not debug:
        warnings.showwarning = _one_line_warning


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line on stderr, like errors (the source line and location only with --debug)."""
    click.echo(f"synchro: warning: {message}", err=True)


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
@click.option("--quality", type=click.Choice(["exclude-noise", "all"]), default="exclude-noise", show_default=True,
              help="Curation filter: leave out units labelled noise, or keep all.")
@click.option("--t-start", type=float, default=None, help="Start of the recording in seconds (overrides the file).")
@click.option("--t-stop", type=float, default=None, help="End of the recording in seconds (overrides the file).")
@click.option("--window", default=None, callback=_window, metavar="START:STOP",
              help="Analyse only this part of the recording, in seconds, e.g. --window 600:1200 (the recording's "
                   "bounds stay --t-start/--t-stop or the file's).")
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
                   "holding one synchro-report-<stem> per input.")
@click.option("--overwrite", is_flag=True, help="Replace existing report folders (synchro reports only).")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary: only errors (and JSON with "
                                                  "--format json).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Input files analysed in parallel (processes).")
@click.option("--no-figures", is_flag=True, help="Skip the figures (faster; report.html shows the summary only).")
@click.pass_context
def analyze(ctx, paths, units_path, lfp, population_column, quality, t_start, t_stop, window, epochs, trials, bands,
            n_surrogates, synchrony_surrogates, seed, time_unit, sampling_rate, columns, fmt, output, overwrite, quiet,
            jobs, no_figures):
    """Analyse spike files (NWB, NPZ, CSV, TSV) or Phy/Kilosort folders, one session per input.

    Runs every analysis the data allow, for all units and for each
    population: a rhythm verdict per band, present (a spectral peak above
    the aperiodic background, beyond independent units), broadband, absent
    or undetermined, from the population-rate spectrum; synchrony (Golomb chi, STTC,
    SPIKE-synchronization, spike contrast, Fano factor) and, when the file
    holds an LFP or field, spike-field coupling (PPC, PLV, preferred phase,
    coherence). Writes report.json, figures (PNG, SVG) and report.html to
    the report folder, never beside the input.

    Report folders are claimed before any analysis: a folder that exists,
    or that another run is writing, is refused (exit 2) unless --overwrite
    is given and it is a synchro report; missing parent folders are created.
    With several inputs, every file is analysed even when others fail; each
    failure is one line naming its file, and the exit code is the most
    severe among the files, in the order 1 (internal error), 3, 4, 5, 2.

    \b
    Examples:
      synchro analyze spikes.nwb
      synchro analyze spikes.nwb --units processing/ecephys/units2 --lfp none
      synchro analyze sorted.csv --time-unit ms --t-stop 600000 -o report/
      synchro analyze kilosort_output/ --quality all
      synchro analyze ibl_spikes.tsv --columns unit=cluster,time=time --t-stop 3600
      synchro analyze a.nwb b.nwb --jobs 2 --format json > reports.jsonl
      synchro analyze run.nwb --bands theta=4-8,gamma=30-80 --surrogates 1000 --seed 7
      synchro analyze session.nwb --window 600:1200
      synchro analyze session.nwb --epochs --bands theta=6-10,gamma=30-80
      synchro analyze session.nwb --epochs epochs:label
      synchro analyze session.nwb --trials condition

    --seed S gives the numbers of the library called with rng=S on the same
    data and options (e.g. band_verdicts(rec.spikes, rng=S); for simulations
    the report leaves out the first 0.2 s: discard=0.2).
    """
    from .io import csv_columns
    from .report.pipeline import ALPHA, check_section_options
    from .rhythms import check_surrogates

    check_surrogates(n_surrogates, len(bands), ALPHA, option="--surrogates")  # before any file is read
    if columns is not None:
        columns = csv_columns(columns)  # a malformed mapping is refused before any file is read
    read_options = dict(units=units_path, lfp=None if lfp.lower() == "none" else lfp, time_unit=time_unit,
                        sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop,
                        quality=None if quality == "all" else quality, columns=columns)
    epoch_table, _, epoch_column = (epochs or "").partition(":")
    options = dict(bands=bands, n_surrogates=n_surrogates, synchrony_surrogates=synchrony_surrogates, rng=seed,
                   population_column=population_column, time_window=window,
                   epochs=None if epochs is None else epoch_table or "epochs", epoch_column=epoch_column or None,
                   trials=trials)
    check_section_options(options["epochs"], options["epoch_column"], trials)  # before any file is read
    # Every report folder is claimed before any analysis, so that an output that cannot be written fails at once.
    claims = _claim_report_folders(paths, output, overwrite)
    try:
        tasks = [(path, claim, read_options, options, not no_figures, not quiet and jobs == 1)
                 for path, claim in zip(paths, claims) if not isinstance(claim, Failure)]
        done = iter(_run_tasks(tasks, jobs))
        outcomes = [claim if isinstance(claim, Failure) else next(done) for claim in claims]
    finally:
        for claim in claims:
            if not isinstance(claim, Failure):
                claim.release()
    ctx.exit(_report_outcomes(ctx, paths, outcomes, fmt, quiet))


#: Exit codes of a batch from most to least severe: the batch exits with the most severe code among its files.
#: An internal error first (a bug: report it), then input missing or unreadable, invalid data, nothing left to
#: analyse, and a usage problem of one file (its report folder exists, its unit column is missing).
SEVERITY = (EXIT_INTERNAL, UnreadableInputError.exit_code, InvalidDataError.exit_code,
            NothingToAnalyseError.exit_code, UsageError.exit_code)


def _most_severe(codes) -> int:
    """The exit code of a batch: 0 when every file succeeded, else the most severe in :data:`SEVERITY` order."""
    failed = [c for c in codes if c]
    return min(failed, key=SEVERITY.index) if failed else 0


@dataclass(frozen=True)
class Failure:
    """One input's failure, as a worker process hands it back: exit code, one-line message, traceback text."""

    code: int
    kind: str
    message: str
    traceback: str


def _failure(err: BaseException) -> Failure:
    tb = "".join(traceback.format_exception(err))
    if isinstance(err, SynchroError):
        return Failure(err.exit_code, "error", str(err), tb)
    return Failure(EXIT_INTERNAL, "internal error", f"{type(err).__name__}: {err} (rerun with --debug for the "
                   "traceback and report it)", tb)


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
            click.echo(f"{outcome['summary']}\nReport: {_shown(Path(outcome['folder']) / 'report.html')}")
            if len(paths) > 1:
                click.echo("")
    return _most_severe(o.code if isinstance(o, Failure) else 0 for o in outcomes)


def _run_tasks(tasks, jobs: int) -> list:
    """Each task's outcome, in order; with ``jobs`` > 1 in worker processes (a crashed worker fails its file only)."""
    if jobs == 1 or len(tasks) < 2:
        return [_analyze_one(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        futures = [pool.submit(_analyze_one, task) for task in tasks]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as err:  # a worker died (killed, out of memory): the files it left unfinished fail
                outcomes.append(_failure(err))
        return outcomes


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else absolute: what a user can paste."""
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else rel


def _claim_report_folders(paths, output, overwrite) -> list:
    """One claimed report folder per input (or its :class:`Failure` in a batch), before any work starts.

    Problems of the whole command (colliding names, an output location that cannot be written) raise; in a
    batch, a report folder that exists fails its input only, so that the other inputs are still analysed.
    """
    from .report import OutputFolderExistsError, claim_output_folder

    stems = [Path(p).stem for p in paths]
    if len(set(stems)) < len(stems):
        raise UsageError("several inputs share a file name; their report folders would collide: analyse them "
                         "in separate runs with -o/--output")
    if output is not None and len(paths) == 1:
        return [claim_output_folder(output, inputs=paths, overwrite=overwrite)]
    parent = Path(output) if output is not None else Path.cwd()
    claims = []
    try:
        for stem in stems:
            try:
                claims.append(claim_output_folder(parent / f"synchro-report-{stem}", inputs=paths,
                                                  overwrite=overwrite))
            except OutputFolderExistsError as err:
                if len(paths) == 1:
                    raise
                claims.append(_failure(err))
    except BaseException:
        for claim in claims:
            if not isinstance(claim, Failure):
                claim.release()
        raise
    return claims


def _analyze_one(task):
    """Read, analyse and write one input: ``{"report", "summary", "folder"}`` or a :class:`Failure`.

    Module-level so that ``--jobs`` can run it in worker processes. Any error, ours included, fails this input
    only: the batch goes on with the others.
    """
    from .report import analyze_file, write_report

    path, claim, read_options, options, figures, show_progress = task
    progress = _progress(show_progress)
    try:
        report = analyze_file(path, progress=progress, **read_options, **options)
        with progress("writing the report"):
            folder = write_report(report, claim, figures=figures)
    except Exception as err:
        return _failure(err)
    return {"report": report.to_dict(), "summary": report.summary(), "folder": str(folder)}


@main.command()
@click.argument("model")
@click.option("--dt", "dt_ms", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time step in ms [default: the model's; the netm scheme runs at 1 ms].")
@click.option("--scheme", default=None, help="Integration scheme: netm (published), euler, heun, rk2, rk4 "
                                             "[default: the model's].")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Simulated time in seconds.")
@click.option("--n", type=click.IntRange(min=2), default=None, help="Number of neurons [default: the model's].")
@click.option("--p", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Connection probability [default: the model's].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed.")
@click.option("--set", "extra", multiple=True, metavar="NAME=VALUE",
              help="Further model option (repeatable), e.g. --set noise=xi --set synapse=exp.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Output file, .nwb or .npz [default: ./MODEL.nwb].")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def simulate(model, dt_ms, scheme, duration, n, p, seed, extra, output, overwrite, quiet):
    """Simulate a reference network (izhikevich2003, izhikevich2007) and write its spikes and field.

    \b
    Examples:
      synchro simulate izhikevich2003 --duration 10 -o run.nwb
      synchro simulate izhikevich2003 --scheme euler --dt 0.1 --set noise=xi -o euler.nwb
      synchro simulate izhikevich2007 --n 125 --p 0.2 --seed 3 -o forum.npz
    """
    check_installed("brian2", extra="sims", use="synchro simulate")
    out = Path(output or f"{model}.nwb")
    writer = _writer_for(out)
    if out.exists() and not overwrite:
        raise UsageError(f"{out} already exists; pass --overwrite or choose another -o/--output")
    import sims

    rec = sims.simulate(model, dt_ms=dt_ms, scheme=scheme, duration=duration, n=n, p=p, seed=seed,
                        progress=not quiet, **_parse_set(extra))
    writer(rec, out, overwrite=overwrite)
    if not quiet:
        click.echo(f"{out}\n{rec.spikes.summary()}")


def _writer_for(path: Path):
    from . import io

    writers = {".nwb": io.write_nwb, ".npz": io.write_npz}
    try:
        writer = writers[path.suffix.lower()]
    except KeyError:
        raise UsageError(f"cannot write {path.name}: give an output ending in .nwb or .npz") from None
    if writer is io.write_nwb:  # checked before the simulation, not after it
        check_installed("pynwb", extra="nwb", use=f"-o {path.name} (or write .npz)")
    return writer


def _parse_set(pairs) -> dict:
    """``("noise=xi", "tau_syn=0.004")`` -> ``{"noise": "xi", "tau_syn": 0.004}`` (numbers and booleans parsed)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not (sep and name.strip()):
            raise UsageError(f"--set {pair!r} is not NAME=VALUE; write e.g. --set noise=xi")
        try:
            out[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[name.strip()] = value
    return out


@main.command()
@click.option("-o", "--output", type=click.Path(file_okay=False), default="synchro-demo", show_default=True,
              help="Folder for the simulated NWB file and its report (a previous demo there is replaced).")
@click.option("--duration", type=click.FloatRange(min=1), default=10.0, show_default=True,
              help="Simulated time in seconds.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress; print only where the report is.")
def demo(output, duration, seed, quiet):
    """Simulate the Izhikevich (2003) network, write it to NWB, analyse the file and write the report.

    Uses the published numerics (netm scheme, 1 ms steps, 1000 neurons) and
    Brian2's numpy code generation, so it needs no compiler.

    \b
    Examples:
      synchro demo
      synchro demo -o /tmp/demo --duration 5 --seed 1
    """
    import shutil

    check_installed("brian2", extra="sims", use="synchro demo")
    check_installed("pynwb", extra="nwb", use="synchro demo")
    folder = Path(output)
    if folder.exists():
        if not (folder / DEMO_MARKER).exists():
            raise UsageError(f"{folder} exists and was not made by synchro demo; choose another -o/--output")
        shutil.rmtree(folder)
    import sims

    from . import io
    from .report import analyze_file, write_report

    folder.mkdir(parents=True)
    (folder / DEMO_MARKER).write_text("made by synchro demo; rerunning the demo replaces this folder\n")
    progress = _progress(not quiet)
    rec = sims.simulate("izhikevich2003", scheme="netm", duration=duration, seed=seed, progress=not quiet,
                        codegen="numpy")
    nwb = io.write_nwb(rec, folder / "izhikevich2003.nwb")
    report = analyze_file(nwb, progress=progress)
    target = write_report(report, folder / "report")
    if not quiet:
        click.echo(report.summary())
    click.echo(f"Report: {_shown(target / 'report.html')}")



@main.command()
@click.argument("model")
@click.option("--dt", "dts", default="1,0.5,0.25,0.1", show_default=True, metavar="LIST",
              help="Time steps in ms, comma-separated.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Number of seeds per grid point (seeds 0 .. N-1).")
@click.option("--scheme", "schemes", default=None, metavar="LIST",
              help="Integration schemes, comma-separated (euler, heun, rk2, rk4) [default: the model's].")
@click.option("--noise", "noises", default=None, metavar="LIST",
              help="Noise models, comma-separated (held, xi, randn) [default: the model's].")
@click.option("--synapse", "synapses", default=None, metavar="LIST",
              help="Synapse models, comma-separated (pulse, delta, exp) [default: the model's].")
@click.option("--n", "sizes", default=None, metavar="LIST",
              help="Network sizes, comma-separated (weights scaled by 1000 / n) [default: the model's].")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=2.0, show_default=True,
              help="Simulated time of each run in seconds.")
@click.option("--set", "extra", multiple=True, metavar="NAME=VALUE",
              help="Further model option shared by every run (repeatable), e.g. --set tau_syn_ms=3.")
@click.option("--surrogates", "n_surrogates", type=click.IntRange(min=1), default=50, show_default=True,
              help="Surrogates per band test and run (at least enough for Holm to reach alpha 0.05 across the "
                   "two bands: 40).")
@click.option("--tolerance", "rel_tol", type=click.FloatRange(min=0, min_open=True), default=0.05,
              show_default=True, help="Relative tolerance of the convergence verdicts.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (tcp://host:8786), or 'serial' to run here one by one "
                   "[default: a LocalCluster on this machine's cores].")
@click.option("--workers", "n_workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the LocalCluster [default: the machine's cores].")
@click.option("-o", "--output", type=click.Path(file_okay=False), required=True,
              help="Results folder; rerunning into it computes only the missing points. A grid that leaves out "
                   "points already there is refused unless --overwrite.")
@click.option("--overwrite", is_flag=True, help="Replace a sweep of another grid in the results folder: its "
                                                "points, tables and figures (points of this grid are kept).")
@click.option("--no-figures", is_flag=True, help="Skip the figures.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def sweep(model, dts, seeds, schemes, noises, synapses, sizes, duration, extra, n_surrogates, rel_tol, scheduler,
          n_workers, output, overwrite, no_figures, quiet):
    """Run a reference network over a grid of time steps, seeds and model choices; judge dt robustness.

    Every grid point's options are checked before anything is written. Each
    grid point (one run plus its metrics) is written to OUTPUT/points as it
    finishes; points already there are not run again. Then OUTPUT gets
    runs.csv (one row per run), summary.json (per factor: convergence of
    every metric, rhythm verdicts robust / artefact / absent / sensitive)
    and figures/.

    \b
    Examples:
      synchro sweep izhikevich2003 --scheme euler --dt 1,0.5,0.25,0.1 --seeds 5 -o sweep/
      synchro sweep izhikevich2003 --scheme euler --noise held,randn --seeds 3 -o noise/
      synchro sweep izhikevich2003 --scheme euler --n 250,500,1000 --dt 0.5 --scheduler tcp://10.0.0.2:8786 -o n/
    """
    from sims.sweep import SERIAL, run_sweep, write_sweep_report

    from .report.pipeline import ALPHA
    from .rhythms import DEFAULT_BANDS, check_surrogates

    check_installed("brian2", extra="sims", use="synchro sweep")
    if scheduler != SERIAL:
        for module in ("dask", "distributed"):
            check_installed(module, extra="sweep", use="synchro sweep on a dask cluster (or pass --scheduler serial)")
    # The sweep's run metrics test the default bands.
    check_surrogates(n_surrogates, len(DEFAULT_BANDS), ALPHA, option="--surrogates")

    def values(option: str, text: str | None, kind):
        if text is None:
            return None
        try:
            return [kind(v) for v in text.split(",") if v.strip()] or None
        except ValueError:
            raise UsageError(f"{option} must be a comma-separated list, e.g. {option} 1,0.5; got {text!r}") from None

    grid = {name: v for name, v in (("scheme", values("--scheme", schemes, str.strip)),
                                    ("noise", values("--noise", noises, str.strip)),
                                    ("synapse", values("--synapse", synapses, str.strip)),
                                    ("n", values("--n", sizes, int)), ("dt_ms", values("--dt", dts, float)))
            if v is not None}
    grid["seed"] = list(range(seeds))
    result = run_sweep(model, grid, folder=output, fixed={"duration": duration, **_parse_set(extra)},
                       analysis={"n_surrogates": n_surrogates}, scheduler=scheduler, n_workers=n_workers,
                       progress=not quiet, overwrite=overwrite)
    summary = write_sweep_report(output, rel_tol=rel_tol, figures=not no_figures)
    if not quiet:
        for factor, groups in summary["factors"].items():
            for label, table in groups.items():
                click.echo(f"[{factor}, {label}]\n{table['text']}")
        click.echo(f"{len(result.points)} runs ({len(result.computed)} computed, {len(result.skipped)} found) "
                   f"in {result.seconds:.0f} s on {result.scheduler}; results in {_shown(Path(output))}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
