"""Errors and warnings raised by synchro.

Every problem with user input raises a subclass of :class:`SynchroError`
whose message is one line naming the problem and the fix. Each class
carries the exit code that ``synchro`` on the command line returns for it:

====  ==========================================================
code  meaning
====  ==========================================================
2     usage error (bad option value)
3     input missing or unreadable
4     invalid or unsupported data
5     nothing left to analyse
====  ==========================================================

Recoverable oddities (unsorted times, spikes outside observation
intervals, empty units) are reported as :class:`SynchroWarning` and counted
instead of raised.
"""

from __future__ import annotations

__all__ = [
    "SynchroError",
    "UsageError",
    "NotInFileError",
    "MissingDependencyError",
    "InputNotFoundError",
    "NotHDF5Error",
    "NotNWBError",
    "UnreadableInputError",
    "InvalidDataError",
    "NoUnitsTableError",
    "AmbiguousUnitsTableError",
    "MissingSpikeTimesError",
    "NonFiniteTimesError",
    "TimeUnitError",
    "RecordingBoundsError",
    "SignalError",
    "NothingToAnalyseError",
    "SynchroWarning",
    "check_installed",
]


class SynchroError(Exception):
    """Base class of all synchro input and usage errors.

    Attributes
    ----------
    exit_code : int
        Exit code of the command line for this error.
    """

    exit_code = 1

    def __init__(self, message: str):
        # One line, always: the CLI prints str(error) as the whole message.
        super().__init__(" ".join(str(message).split()))


class UsageError(SynchroError, ValueError):
    """A parameter has an invalid value (exit code 2)."""

    exit_code = 2


class NotInFileError(UsageError):
    """An option names a table or series the input file does not hold (exit code 2).

    A wrong option, not wrong data: the file is fine, the name given for a
    part of it (CLI ``--units``, ``--lfp``) is not, so it is a usage error
    like any other bad option value.
    """


class MissingDependencyError(UsageError, ImportError):
    """A command, reader or writer needs an optional package that is not installed (exit code 2).

    The message names the package and the ``pip install`` line that adds it
    (the extra of synchro that holds it, see :func:`check_installed`).
    """


class InputNotFoundError(SynchroError, FileNotFoundError):
    """The input path does not exist (exit code 3)."""

    exit_code = 3


class UnreadableInputError(SynchroError, OSError):
    """The input exists but cannot be read in any supported format (exit code 3)."""

    exit_code = 3


class NotHDF5Error(UnreadableInputError):
    """A file given as NWB is not an HDF5 file (exit code 3)."""


class NotNWBError(UnreadableInputError):
    """An HDF5 file is not an NWB file (exit code 3)."""


class InvalidDataError(SynchroError, ValueError):
    """The input was read but its content is invalid or unsupported (exit code 4)."""

    exit_code = 4


class NoUnitsTableError(InvalidDataError):
    """An NWB file holds no Units table."""


class AmbiguousUnitsTableError(InvalidDataError):
    """An NWB file holds several Units tables and none was chosen."""


class MissingSpikeTimesError(InvalidDataError):
    """A Units table has no ``spike_times`` column."""


class NonFiniteTimesError(InvalidDataError):
    """Spike times contain NaN or infinite values."""


class TimeUnitError(InvalidDataError):
    """Spike times look like samples or milliseconds rather than seconds."""


class RecordingBoundsError(InvalidDataError):
    """``t_start``/``t_stop`` are inconsistent with each other or with the spikes."""


class SignalError(InvalidDataError):
    """A continuous signal is unusable for the requested analysis."""


class NothingToAnalyseError(SynchroError, ValueError):
    """No units or spikes remain after selection and filtering (exit code 5)."""

    exit_code = 5


class SynchroWarning(UserWarning):
    """A recoverable problem in the input; synchro repaired it and counted it."""


def check_installed(module: str, *, extra: str, use: str) -> None:
    """Check that an optional package is installed, without importing it.

    Parameters
    ----------
    module : str
        Top-level name of the package (``"brian2"``).
    extra : str
        synchro's extra that installs it (``"sims"``).
    use : str
        What needs it, completing "to use ..." (``"synchro simulate"``).

    Raises
    ------
    MissingDependencyError
        The package is not installed; the message reads e.g. ``brian2 is not
        installed; install it (pip install "synchro[sims]") to use synchro
        simulate``. A package that is installed but fails to import raises
        its own error where it is imported.
    """
    from importlib.util import find_spec

    if find_spec(module) is None:
        raise MissingDependencyError(f'{module} is not installed; install it (pip install "synchro[{extra}]") to use '
                                     f"{use}")
