"""The ``synchro`` command line.

A thin layer: each command parses its options, calls library functions and
prints what they return. Errors in the input end the command with one line on
stderr and the exit code of their :mod:`synchro.errors` class; a traceback is
shown only with ``--debug``. Heavy imports (brian2, pynwb, matplotlib) happen
inside the commands so that ``synchro --help`` is instant.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import SynchroError

EXIT_INTERNAL = 1


class _Group(click.Group):
    """Turn every exception into a one-line message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SynchroError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"synchro: error: {err}", err=True)
            ctx.exit(err.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as err:  # an internal error: still one line unless --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"synchro: internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback "
                       "and report it)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--units", "units_path", default=None, help="Path of the Units table inside an NWB file with several.")
@click.option("--time-unit", type=click.Choice(["s", "ms", "samples"]), default=None,
              help="Unit of spike times in NPZ/CSV input (default: seconds, checked).")
@click.option("--sampling-rate", type=float, default=None, help="Sampling rate in Hz, with --time-unit samples.")
@click.option("--t-start", type=float, default=None, help="Start of the recording in seconds.")
@click.option("--t-stop", type=float, default=None, help="End of the recording in seconds.")
@click.option("--quality", type=click.Choice(["exclude-noise", "all"]), default="exclude-noise",
              help="Curation filter: leave out units labelled noise (default) or keep all.")
def analyze(paths, units_path, time_unit, sampling_rate, t_start, t_stop, quality):
    """Analyse spike files (NWB, NPZ, CSV), one session per file.

    \b
    Examples:
      synchro analyze spikes.nwb
      synchro analyze sorted.csv --time-unit ms --t-stop 600
    """
    from . import io

    for path in paths:
        rec = io.read(path, units=units_path, time_unit=time_unit, sampling_rate=sampling_rate,
                      t_start=t_start, t_stop=t_stop, quality=None if quality == "all" else quality)
        click.echo(f"{path}\n{rec.spikes.summary()}")


@main.command()
def demo():
    """Load the bundled example recording and print its summary."""
    from importlib.resources import files

    from . import io

    path = files("synchro") / "data" / "example_spikes.npz"
    rec = io.read(str(path))
    click.echo(f"synchro demo: bundled example {path.name}\n{rec.spikes.summary()}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
