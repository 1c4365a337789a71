"""The ``synchro`` group: options shared by every command, errors as one line and an exit code, batch outcomes."""

from __future__ import annotations

import os
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import click

from .. import __version__
from ..errors import InvalidDataError, NothingToAnalyseError, SynchroError, UnreadableInputError, UsageError

__all__ = ["main", "EXIT_INTERNAL", "SEVERITY", "most_severe", "Failure", "failure", "shown"]

EXIT_INTERNAL = 1


class SynchroGroup(click.Group):
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


@click.group(cls=SynchroGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


#: Exit codes of a batch from most to least severe: the batch exits with the most severe code among its files.
#: An internal error first (a bug: report it), then input missing or unreadable, invalid data, nothing left to
#: analyse, and a usage problem of one file (its report folder exists, its unit column is missing).
SEVERITY = (EXIT_INTERNAL, UnreadableInputError.exit_code, InvalidDataError.exit_code,
            NothingToAnalyseError.exit_code, UsageError.exit_code)


def most_severe(codes) -> int:
    """The exit code of a batch: 0 when every file succeeded, else the most severe in :data:`SEVERITY` order.

    Parameters
    ----------
    codes : iterable of int
        Exit code of each input of the batch (0 for a success).

    Returns
    -------
    int
        0 when every code is 0, else the nonzero code that comes first in
        :data:`SEVERITY`.

    Raises
    ------
    ValueError
        A nonzero code that is not in :data:`SEVERITY`.
    """
    failed = [c for c in codes if c]
    return min(failed, key=SEVERITY.index) if failed else 0


@dataclass(frozen=True)
class Failure:
    """One input's failure, as a worker process hands it back: exit code, one-line message, traceback text.

    Attributes
    ----------
    code : int
        Exit code of the failure: the error's ``exit_code`` for a
        :class:`~synchro.errors.SynchroError`, else :data:`EXIT_INTERNAL`.
    kind : str
        How the CLI labels the message: ``"error"`` or ``"internal error"``.
    message : str
        The one-line message shown to the user.
    traceback : str
        The formatted traceback, shown only with ``--debug``.
    """

    code: int
    kind: str
    message: str
    traceback: str


def failure(err: BaseException) -> Failure:
    """``err`` as one input's :class:`Failure`: its exit code, or 1 (ours) for anything not a SynchroError.

    Parameters
    ----------
    err : BaseException
        The exception raised while processing the input.

    Returns
    -------
    Failure
        For a :class:`~synchro.errors.SynchroError`: its exit code, kind
        ``"error"`` and its message; for anything else: :data:`EXIT_INTERNAL`,
        kind ``"internal error"`` and a message naming the exception type and
        asking for a report. Both carry the formatted traceback.
    """
    tb = "".join(traceback.format_exception(err))
    if isinstance(err, SynchroError):
        return Failure(err.exit_code, "error", str(err), tb)
    return Failure(EXIT_INTERNAL, "internal error", f"{type(err).__name__}: {err} (rerun with --debug for the "
                   "traceback and report it)", tb)


def shown(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else as given: what a user can paste.

    Parameters
    ----------
    path : pathlib.Path
        The path to show.

    Returns
    -------
    str
        ``path`` relative to the current working folder when it lies inside
        it, else ``path`` itself in POSIX form (absolute when ``path`` is).
    """
    rel = os.path.relpath(path)
    return path.as_posix() if rel.startswith("..") else rel

