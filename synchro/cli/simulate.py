"""``synchro simulate``, ``demo`` and ``sweep``: the reference networks run, written, analysed and swept."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError, check_installed
from ..progress import step_progress
from .app import main, shown

#: Marker file identifying a folder written by ``synchro demo`` (so a rerun may replace it).
DEMO_MARKER = ".synchro-demo"


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

    rec = sims.simulate(model, dt_ms=dt_ms, scheme=scheme, duration=duration, n=n, p=p, rng=seed,
                        progress=not quiet, **_parse_set(extra))
    writer(rec, out, overwrite=overwrite)
    if not quiet:
        click.echo(f"{out}\n{rec.spikes.summary()}")


def _writer_for(path: Path):
    from .. import io

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

    from .. import io
    from ..report import analyze_file, write_report

    folder.mkdir(parents=True)
    (folder / DEMO_MARKER).write_text("made by synchro demo; rerunning the demo replaces this folder\n")
    rec = sims.simulate("izhikevich2003", scheme="netm", duration=duration, rng=seed, progress=not quiet,
                        codegen="numpy")
    progress = step_progress(not quiet)  # after the simulation, which draws its own bar (simulated seconds)
    try:
        with progress("writing the NWB file"):
            nwb = io.write_nwb(rec, folder / "izhikevich2003.nwb")
        report = analyze_file(nwb, progress=progress, figures=True)
        with progress("writing the report"):
            target = write_report(report, folder / "report")
    finally:
        progress.close()
    if not quiet:
        click.echo(report.summary())
    click.echo(f"Report: {shown(target / 'report.html')}")



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

    from ..report.pipeline import ALPHA
    from ..rhythms import DEFAULT_BANDS, check_surrogates

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
    grid["rng"] = list(range(seeds))
    result = run_sweep(model, grid, folder=output, fixed={"duration": duration, **_parse_set(extra)},
                       analysis={"n_surrogates": n_surrogates}, scheduler=scheduler, n_workers=n_workers,
                       progress=not quiet, overwrite=overwrite)
    summary = write_sweep_report(output, rel_tol=rel_tol, figures=not no_figures)
    if not quiet:
        for factor, groups in summary["factors"].items():
            for label, table in groups.items():
                click.echo(f"[{factor}, {label}]\n{table['text']}")
        click.echo(f"{len(result.points)} runs ({len(result.computed)} computed, {len(result.skipped)} found) "
                   f"in {result.seconds:.0f} s on {result.scheduler}; results in {shown(Path(output))}")
