"""Assembly: the Recording every reader returns, built and checked in one place, so every format fails alike."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping

import numpy as np

from ..core import Recording, Signal, SpikeData, UnitTable, check_bounds_unit, check_time_unit
from ..core.checks import check_finite, count_unsorted, time_scale, unit_offsets, whole_numbers
from ..core.checks.arguments import check_quality
from ..errors import InvalidDataError, NothingToAnalyseError, SynchroWarning

__all__ = ["CURATION_COLUMNS", "POPULATION_COLUMNS", "warn", "as_recording", "rows_of_ids", "group_spikes",
           "population_alias", "assemble"]

#: Unit-table columns that carry spike-sorting curation labels (Phy, Kilosort, NWB conventions).
CURATION_COLUMNS = ("quality", "KSLabel", "group", "label")

#: Columns whose values name a unit's population when no ``population`` column exists.
POPULATION_COLUMNS = ("population", "cell_type", "celltype", "neuron_type", "cell_class")


def warn(message: str) -> None:
    """Issue a SynchroWarning attributed to the caller of synchro.io, not to a line inside it.

    The stack level skips every frame in the ``synchro.io`` package, so the
    warning points at the user's call to a reader or writer.

    Parameters
    ----------
    message : str
        The one-line warning text.

    Warns
    -----
    SynchroWarning
        Always: ``message``.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2  # stacklevel 1 is this line, 2 its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, SynchroWarning, stacklevel=level)


def as_recording(obj) -> Recording:
    """Writers take a Recording or bare SpikeData.

    Parameters
    ----------
    obj : Recording or SpikeData
        What to write.

    Returns
    -------
    Recording
        ``obj`` itself when it is a Recording; SpikeData wrapped in a
        Recording with no signals and no metadata.

    Raises
    ------
    TypeError
        ``obj`` is neither.
    """
    if isinstance(obj, Recording):
        return obj
    if isinstance(obj, SpikeData):
        return Recording(obj)
    raise TypeError(f"expected a Recording or SpikeData, not {type(obj).__name__}")


def rows_of_ids(spike_ids: np.ndarray, known_ids, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the unit table for per-spike ids, and the table's ids (``known_ids`` keeps their order).

    Parameters
    ----------
    spike_ids : ndarray
        Unit id of every spike (integers, or strings for named units).
    known_ids : array_like or None
        Every unit's id in table order (so silent units are kept); None
        takes the sorted distinct ids of the spikes.
    source : str
        The file's name, for the message.

    Returns
    -------
    rows : ndarray of int64
        Row of each spike's unit.
    ids : ndarray
        The table's ids.

    Raises
    ------
    InvalidDataError
        A spike whose id is not among ``known_ids``.
    """
    if known_ids is None:
        ids, rows = np.unique(spike_ids, return_inverse=True)
        return rows.astype(np.int64).reshape(-1), ids
    ids = np.asarray(known_ids) if spike_ids.dtype.kind in "US" else whole_numbers(known_ids, "unit_id", source)
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], spike_ids).clip(0, max(len(ids) - 1, 0))
    if spike_ids.size and (len(ids) == 0 or np.any(ids[order][pos] != spike_ids)):
        raise InvalidDataError(f"{source}: some spikes carry unit ids missing from the unit id list; list every unit")
    return order[pos].astype(np.int64), ids


def group_spikes(times: np.ndarray, rows: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Group spikes by unit row, keeping each unit's file order (so unsorted units are detected and reported).

    Parameters
    ----------
    times : ndarray of float64
        Spike times, in file order.
    rows : ndarray of int64
        Unit row of each spike.
    n_units : int
        Number of units (silent ones included).

    Returns
    -------
    times : ndarray of float64
        The times grouped by unit.
    offsets : ndarray of int64, shape (n_units + 1,)
        Bounds of each unit's spikes.
    """
    if rows.size and np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        times = times[order]
        rows = rows[order]
    return times, unit_offsets(rows, n_units)


def population_alias(columns: dict) -> str | None:
    """Fill ``population`` from a population-like column when the source has none; return that column's name.

    The first of :data:`POPULATION_COLUMNS` (after ``population`` itself)
    present in ``columns`` is copied, under the name ``population``.

    Parameters
    ----------
    columns : dict
        Unit-table columns by name; changed in place when a column is
        copied.

    Returns
    -------
    str or None
        Name of the column copied into ``population``; None when
        ``columns`` already has ``population`` or has no population-like
        column.
    """
    if "population" in columns:
        return None
    for name in POPULATION_COLUMNS[1:]:
        if name in columns:
            columns["population"] = columns[name]
            return name
    return None


def assemble(times, offsets, columns: Mapping, *, t_start, t_stop, time_unit=None, sampling_rate=None,
             quality="exclude-noise", intervals=None, signals: Mapping[str, Signal] | None = None,
             metadata: Mapping | None = None, source: str = "input", check_scale: bool = True) -> Recording:
    """Validate grouped spikes read from a file and build the Recording every reader returns.

    ``times`` are grouped by unit (``offsets`` bounds), in ``time_unit``;
    ``t_start``/``t_stop`` may be None, in which case 0 and the second after
    the last spike are assumed (the latter with a :class:`SynchroWarning`). Unsorted units
    are sorted, empty units kept, both with a warning; curation is applied
    per ``quality``. With ``check_scale`` (for formats that store bounds and
    times as bare numbers), bounds whose unit disagrees with the times'
    raise :class:`~synchro.errors.InvalidDataError`
    (:func:`~synchro.core.check_bounds_unit`) before anything is allocated
    from them.

    Parameters
    ----------
    times : array_like of float
        Spike times in ``time_unit``, grouped by unit.
    offsets : array_like of int, shape (n_units + 1,)
        Bounds of each unit's spikes in ``times``.
    columns : Mapping
        Unit-table columns by name, one value per unit.
    t_start, t_stop : float or None
        Recording bounds in ``time_unit``; None when the file stores none
        (see above).
    time_unit : {"s", "ms", "us", "samples"} or None, default None
        Unit of ``times``, the bounds and ``intervals``; None means seconds,
        checked with :func:`~synchro.core.check_time_unit`.
    sampling_rate : float, optional
        Sampling rate in Hz, for ``time_unit="samples"``.
    quality : {"exclude-noise", None}, default "exclude-noise"
        Curation: drop units labelled noise in the
        :data:`CURATION_COLUMNS` present; None keeps every unit.
    intervals : array_like, shape (k, 2), optional
        Observation intervals (start, stop) in ``time_unit``; spikes outside
        them are dropped, with a warning.
    signals : Mapping of str to Signal, optional
        Continuous signals (the LFP and others) by name.
    metadata : Mapping, optional
        Recording metadata from the file; ``bounds`` and ``curation``
        entries are added.
    source : str, default "input"
        Name of the input, for messages and the spikes' metadata.
    check_scale : bool, default True
        Check that given bounds are in the times' unit
        (:func:`~synchro.core.check_bounds_unit`).

    Returns
    -------
    Recording
        The spikes in seconds, curated per ``quality`` and restricted to
        ``intervals``, with ``signals`` and the metadata.

    Raises
    ------
    UsageError
        An unknown ``quality`` or ``time_unit``, or ``time_unit="samples"``
        without a usable sampling rate.
    NothingToAnalyseError
        No units; no spikes and no bounds; or every unit curated out.
    NonFiniteTimesError
        A spike time is NaN or infinite.
    TimeUnitError
        With ``time_unit`` None, times that look like samples or
        milliseconds.
    InvalidDataError
        Bounds in another unit than the times, or a malformed layout,
        unit table or ``intervals``.
    RecordingBoundsError
        Spikes outside ``[t_start, t_stop)``, bounds in the wrong order, or
        ``intervals`` that are invalid or miss the recording.

    Warns
    -----
    SynchroWarning
        ``t_stop`` assumed from the last spike, spikes unsorted within a
        unit (sorted), units with no spikes (kept), or spikes outside
        ``intervals`` (dropped).
    """
    check_quality(quality)
    times = np.asarray(times, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    meta = dict(metadata or {})
    n_units = len(offsets) - 1
    if n_units == 0:
        raise NothingToAnalyseError(f"{source} holds no units; nothing to analyse")
    check_finite(times)
    scale = time_scale(time_unit, sampling_rate)
    if time_unit is None:
        check_time_unit(times, n_units)
    elif scale != 1.0:
        times = times * scale
        t_start = None if t_start is None else t_start * scale
        t_stop = None if t_stop is None else t_stop * scale
        intervals = None if intervals is None else np.asarray(intervals, dtype=np.float64) * scale
    stop_given = t_stop is not None
    if t_start is None or t_stop is None:
        t_start, t_stop = _assumed_bounds(times, t_start, t_stop, source)
        meta["bounds"] = "assumed from the spikes (no recording bounds in the input)"
    if check_scale and stop_given:
        check_bounds_unit(times, float(t_start), float(t_stop), source=source)
    # A decrease in time is fine where a new unit starts; look closer only when one happens inside a unit.
    drops = np.flatnonzero(times[1:] < times[:-1]) + 1
    if drops.size and not np.all(np.isin(drops, offsets)):
        unit_index = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(offsets))
        warn(f"{source}: {count_unsorted(times, unit_index)} spike times were out of order within their unit; "
             "sorted them")
        times = times[np.lexsort((times, unit_index))]
    n_empty = int(np.count_nonzero(np.diff(offsets) == 0))
    if n_empty:
        warn(f"{source}: {n_empty} of {n_units} units have no spikes; kept them (rate 0 Hz)")
    units = UnitTable(columns, n_units=n_units)
    spikes = SpikeData(times, offsets, units, t_start, t_stop, metadata={"source": source})
    if intervals is not None:
        spikes = spikes.restrict_to_intervals(intervals)
    if quality is None:
        meta["curation"] = {"applied": False, "n_excluded": 0}
    else:
        cols = [c for c in CURATION_COLUMNS if c in spikes.units]
        spikes, n_excluded = spikes.curated(columns=tuple(cols))
        meta["curation"] = {"applied": True, "columns": cols, "n_excluded": n_excluded}
    return Recording(spikes, signals, meta)


def _assumed_bounds(times: np.ndarray, t_start, t_stop, source: str) -> tuple[float, float]:
    if times.size == 0:
        raise NothingToAnalyseError(f"{source} holds no spikes and no recording bounds; nothing to analyse")
    first, last = float(times.min()), float(times.max())
    if t_start is None:
        t_start = min(0.0, float(np.floor(first)))  # sessions start at 0 s by convention; earlier spikes widen it
    if t_stop is None:
        t_stop = float(np.floor(last)) + 1.0
        warn(f"{source} stores no recording end; assumed t_stop={t_stop:g} s (the whole second after the last "
             "spike), which overstates rates if the recording ran longer; give the true end with t_stop= (CLI: "
             "--t-stop)")
    return float(t_start), t_stop
