"""pynapple's ``TsGroup`` and ``IntervalSet`` to and from synchro's types (pynapple imported inside the functions).

pynapple's intervals include their end; synchro's observation intervals
(and ``t_stop``) do not. An end with a spike on it is therefore moved one
floating-point step later on the way in, so no spike is lost.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..core import Recording, SpikeData, intersect_intervals, merge_intervals
from ..errors import SynchroWarning, UsageError, check_installed
from .assembly import as_recording

__all__ = ["from_pynapple", "to_pynapple"]

#: TsGroup metadata that pynapple computes itself (from its own time support): not carried across.
_DERIVED = ("rate",)


def from_pynapple(group, *, t_start=None, t_stop=None, intervals=None) -> Recording:
    """Build a Recording from a pynapple ``TsGroup``, keeping its time support and metadata.

    Parameters
    ----------
    group : pynapple.TsGroup
        One ``Ts`` (or ``Tsd``) per unit, keyed by unit id (integers).
    t_start, t_stop : float, optional
        Recording bounds in seconds; by default the start of the first and
        the end of the last interval of the group's ``time_support``.
    intervals : pynapple.IntervalSet or array_like, shape (k, 2), optional
        Observation intervals (s) to analyse, e.g. one epoch: the observed
        time is their intersection with the time support, and spikes outside
        it are dropped, without a warning (the bounds stay the recording's).

    Returns
    -------
    Recording
        Unit ids from the group's keys; unit columns from its metadata
        columns (pynapple's computed ``rate`` left out); observation
        intervals from its ``time_support`` (``SpikeData.intervals`` is None
        when that is one interval spanning the bounds). Every unit is kept
        (no curation filter).

    Raises
    ------
    MissingDependencyError
        pynapple is not installed.
    UsageError
        ``group`` is not a TsGroup.
    """
    check_installed("pynapple", extra="pynapple", use="from_pynapple")
    import pynapple as nap

    if not isinstance(group, nap.TsGroup):
        raise UsageError(f"from_pynapple takes a pynapple TsGroup, not {type(group).__name__}; for a dict "
                         "{unit id: times} use SpikeData.from_trains")
    support = np.asarray(group.time_support, dtype=np.float64).reshape(-1, 2)
    times = np.concatenate([np.asarray(ts.t, dtype=np.float64) for ts in group.values()] or [np.empty(0)])
    # pynapple's ends are inclusive: one float step later keeps a spike that sits on one.
    support[:, 1] = np.where(np.isin(support[:, 1], times), np.nextafter(support[:, 1], np.inf), support[:, 1])
    t_start = float(support[0, 0]) if t_start is None else float(t_start)
    t_stop = float(support[-1, 1]) if t_stop is None else float(t_stop)
    if intervals is not None:
        support = intersect_intervals(support, merge_intervals(np.asarray(intervals, dtype=np.float64)))
    meta = group.metadata if len(group.metadata_columns) else None
    units = {c: _column(meta[c]) for c in group.metadata_columns if c not in _DERIVED} if meta is not None else {}
    with warnings.catch_warnings():
        if intervals is not None:  # spikes outside the intervals asked for are meant to go: no warning counting them
            warnings.simplefilter("ignore", SynchroWarning)
        spikes = SpikeData.from_trains(group, t_start=t_start, t_stop=t_stop, units=units or None, time_unit="s",
                                       intervals=support, metadata={"source": "pynapple TsGroup"})
    return Recording(spikes, None, {"format": "pynapple"})


def to_pynapple(data):
    """Convert spikes to a pynapple ``TsGroup`` whose time support is the data's observed time.

    Parameters
    ----------
    data : SpikeData or Recording
        What to convert (signals are left out).

    Returns
    -------
    pynapple.TsGroup
        One ``Ts`` per unit (seconds), keyed by unit id; ``time_support`` =
        :attr:`SpikeData.support <synchro.core.SpikeData.support>`; every
        unit column other than ``id`` as metadata (columns holding arrays
        per unit are left out).

    Raises
    ------
    MissingDependencyError
        pynapple is not installed.
    """
    check_installed("pynapple", extra="pynapple", use="to_pynapple")
    import pynapple as nap

    s = as_recording(data).spikes
    support = nap.IntervalSet(start=s.support[:, 0], end=s.support[:, 1])
    ids = s.units["id"].tolist()
    trains = {i: nap.Ts(t=np.array(train), time_support=support) for i, train in zip(ids, s.trains())}
    metadata = {name: _plain(values) for name, values in s.units.items() if name != "id"}
    metadata = {k: v for k, v in metadata.items() if v is not None and k not in _DERIVED}
    return nap.TsGroup(trains, time_support=support, metadata=metadata or None)


def _column(values) -> np.ndarray:
    """A pandas column as a numpy array (pandas string arrays as Python strings)."""
    arr = np.asarray(values)
    return arr.astype(object) if arr.dtype.kind in "OUS" else arr


def _plain(values: np.ndarray):
    """A unit column pynapple can hold (one scalar per unit), or None."""
    if values.dtype != object:
        return values
    if all(isinstance(v, str | int | float | bool | np.generic) or v is None for v in values):
        return np.array(["" if v is None else str(v) for v in values], dtype=object)
    return None


