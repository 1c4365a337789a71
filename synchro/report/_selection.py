"""What a report analyses: the seed it records, the time window, and the sections (epochs or trial conditions)
into which the recording is cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core import Recording, SpikeData, intersect_intervals
from ..errors import NotInFileError, UsageError
from ..surrogates import seeded_rng

__all__ = ["report_seed", "trials_of", "check_section_options", "section_spec", "crop_to_window"]


def report_seed(rng) -> tuple[int | np.random.Generator, int | None]:
    """The rng every analysis gets (an int seed, or the caller's Generator) and the seed the report records."""
    if isinstance(rng, np.random.Generator):
        return rng, None
    # synchro.surrogates' one rule: an int is checked, None draws a seed below 2**53 (exact in JSON readers).
    seed = seeded_rng(rng)[1]
    return seed, seed


def trials_of(rows: np.ndarray, part: SpikeData) -> np.ndarray | None:
    """One condition's trials (its rows, not merged: back-to-back trials stay two) inside ``part``'s support (s).

    None when they overlap one another: a spike would then belong to two trials, and phase locking falls back to
    equal segments of the observed time (its parameters in the report say so: ``trials`` null).
    """
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    pieces = [iv for a, b in rows if len(iv := intersect_intervals(part.support, [[a, b]]))]
    if not pieces:
        return None
    trials = np.array([[iv[0, 0], iv[-1, 1]] for iv in pieces])
    return None if np.any(trials[1:, 0] < trials[:-1, 1]) else trials


def check_section_options(epochs: str | None, epoch_column: str | None, trials: str | None) -> None:
    """Check that the options choosing a report's sections go together (before any file is read).

    Parameters
    ----------
    epochs, epoch_column, trials
        As in :func:`build_report`.

    Raises
    ------
    UsageError
        Both ``epochs`` and ``trials``, or ``epoch_column`` without ``epochs``.
    """
    if epochs is not None and trials is not None:
        raise UsageError("give --epochs or --trials, not both: a report's sections are either epochs or trial "
                         "conditions (run twice for both)")
    if epoch_column is not None and epochs is None:
        raise UsageError("epoch_column names the label column of epochs=TABLE; give epochs too")


def section_spec(recording: Recording, epochs, epoch_column, trials):
    """``(kind, table, label column)`` of the report's sections, or None; bad names raise before any analysis."""
    check_section_options(epochs, epoch_column, trials)
    if epochs is None and trials is None:
        return None
    kind, name, column = ("epoch", epochs, epoch_column) if trials is None else ("condition", "trials", trials)
    option = "--epochs" if trials is None else "--trials"
    source = Path(str(recording.metadata.get("source", "the input"))).name
    table = recording.intervals.get(name)
    if table is None:
        held = list(recording.intervals)
        raise NotInFileError(f"{source} has no interval table {name!r} for {option}; it holds "
                             + (f"{held} (NWB /intervals)" if held else "none (epochs and trials are read from NWB "
                                "files' /intervals)"))
    column = table.label_column(column)
    if not table.groups(column):
        raise NotInFileError(f"the {name!r} table's column {column!r} gives no row a label; name another column "
                             f"of {list(table.columns)} ({option})")
    return kind, table, column


def crop_to_window(data: SpikeData, window, spikes: SpikeData) -> SpikeData:
    """``data`` restricted to ``window`` (s), which must lie inside the recording's bounds."""
    a, b = (float(x) for x in window)
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise UsageError(f"window {a:g}:{b:g} s must have START < STOP, both finite; write e.g. --time-window 600:1200")
    if a < spikes.t_start or b > spikes.t_stop:
        raise UsageError(f"window {a:g}:{b:g} s is outside the recording ({spikes.t_start:g}-{spikes.t_stop:g} s); "
                         "give a --time-window inside it (--t-start/--t-stop set the recording's bounds)")
    a = max(a, data.t_start)
    if b <= a or not len(intersect_intervals(data.support, [[a, b]])):
        raise UsageError(f"window {window[0]:g}:{b:g} s holds no analysed time (observed, after the "
                         f"{data.t_start - spikes.t_start:g} s discarded); choose another --time-window")
    return data.restrict(a, b)
