"""Every way to make a SpikeData: from spike arrays or trains, and subsets of one by unit.

These are :class:`~synchro.core.SpikeData`'s constructors and selection methods
(``SpikeData.from_arrays``, ``data.select(...)``), defined here beside the
checks they share so that the class itself stays about the layout.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import InvalidDataError, NothingToAnalyseError, RecordingBoundsError, SynchroWarning, UsageError
from .checks import check_finite, check_time_unit, count_unsorted, time_scale, train_times, unit_offsets
from .units import NOISE_QUALITIES, UnitTable, unit_ids_from_keys, with_ids

__all__: list[str] = []


def from_arrays(
    cls,
    times,
    unit_index,
    *,
    t_start: float = 0.0,
    t_stop: float | None = None,
    units=None,
    n_units: int | None = None,
    time_unit: str | None = None,
    sampling_rate: float | None = None,
    intervals=None,
    metadata: Mapping | None = None,
):
    """Build from spike times and the unit each belongs to, in any order.

    Parameters
    ----------
    times : array_like of float
        Spike times, in ``time_unit``.
    unit_index : array_like of int
        Row of the unit table (``0..n_units-1``) for each spike.
    t_start : float, default 0.0
        Start of the recording, in ``time_unit``.
    t_stop : float
        End of the recording, in ``time_unit``. Required: durations are
        never inferred from the spikes.
    units : UnitTable or mapping, optional
        Unit table; by default ids ``0..n_units-1``.
    n_units : int, optional
        Number of units, so that silent units are kept. Defaults to the
        unit table's length, else ``max(unit_index) + 1``.
    time_unit : {"s", "ms", "us", "samples"}, optional
        Unit of ``times``/``t_start``/``t_stop``/``intervals``. When
        omitted, seconds are assumed and times that look like
        milliseconds or samples raise :class:`~synchro.errors.TimeUnitError`.
    sampling_rate : float, optional
        Sampling rate in Hz, required with ``time_unit="samples"``.
    intervals : array_like, shape (k, 2), optional
        Observation intervals, in ``time_unit``.
    metadata : mapping, optional
        Provenance.

    Returns
    -------
    SpikeData
    """
    times = np.asarray(times, dtype=np.float64).ravel()
    unit_index = np.asarray(unit_index).ravel()
    if times.shape != unit_index.shape:
        raise InvalidDataError(f"{len(times)} spike times but {len(unit_index)} unit indices; "
                               "give one unit per spike")
    if unit_index.size and not np.issubdtype(unit_index.dtype, np.integer):
        if not np.all(np.mod(unit_index, 1) == 0):
            raise InvalidDataError("unit indices must be integers")
    unit_index = unit_index.astype(np.int64)
    if units is not None and not isinstance(units, UnitTable):
        units = UnitTable(units)
    if n_units is None:
        n_units = units.n_units if units is not None else (int(unit_index.max()) + 1 if unit_index.size else 0)
    if units is None:
        units = UnitTable(n_units=n_units)
    if units.n_units != n_units:
        raise InvalidDataError(f"unit table has {units.n_units} rows but n_units={n_units}")
    if unit_index.size and (unit_index.min() < 0 or unit_index.max() >= n_units):
        raise InvalidDataError(f"unit indices must lie in 0..{n_units - 1}; "
                               f"got {unit_index.min()}..{unit_index.max()}")
    if t_stop is None:
        raise RecordingBoundsError("t_stop is required: give the end of the recording "
                                   "(durations are never inferred from spikes)")
    scale = time_scale(time_unit, sampling_rate)
    check_finite(times)
    if time_unit is None:
        check_time_unit(times, n_units)
    if scale != 1.0:
        times = times * scale
        t_start, t_stop = t_start * scale, t_stop * scale
        intervals = None if intervals is None else np.asarray(intervals, dtype=np.float64) * scale
    # Group by unit, sorted within unit: one lexsort (unit major).
    order = np.lexsort((times, unit_index))
    if not np.all(order[1:] > order[:-1]):
        n_unsorted = count_unsorted(times, unit_index)
        if n_unsorted:
            warnings.warn(f"{n_unsorted} spike time(s) came before the previous spike of their unit; sorted them",
                          SynchroWarning, stacklevel=2)
        times = times[order]
        unit_index = unit_index[order]
    offsets = unit_offsets(unit_index, n_units)
    data = cls(times, offsets, units, t_start, t_stop, metadata=metadata)
    if intervals is not None:
        data = data.restrict_to_intervals(intervals)
    return data


def from_trains(cls, trains: Iterable | Mapping, *, t_start: float = 0.0, t_stop: float | None = None,
                units=None, time_unit: str | None = None, sampling_rate: float | None = None, intervals=None,
                metadata: Mapping | None = None):
    """Build from one array of spike times per unit.

    Parameters
    ----------
    trains : iterable of array_like, or mapping
        Spike times of each unit, in ``time_unit``; empty arrays keep
        silent units. A mapping ``{unit id: times}`` (a dict, or
        pynapple's ``TsGroup``, whose ``Ts`` give their times as ``.t``)
        takes the unit ids (integers) from its keys, in its order. To
        keep a TsGroup's time support and metadata too, use
        :func:`synchro.io.from_pynapple`, which calls this.
    t_start, t_stop, units, time_unit, sampling_rate, intervals, metadata
        As in :meth:`from_arrays`. ``units`` may not carry an ``id``
        column when ``trains`` is a mapping (the keys are the ids).

    Returns
    -------
    SpikeData

    Raises
    ------
    InvalidDataError
        A train that is a single number rather than an array of times
        (iterating a dict yields its keys: pass the dict itself), a
        train that is not one-dimensional, or mapping keys that are not
        distinct integers.
    UsageError
        Unit ids both as mapping keys and in ``units``.
    """
    if isinstance(trains, Mapping):
        ids = unit_ids_from_keys(list(trains.keys()))
        units = with_ids(units, ids)
        trains = list(trains.values())
    trains = [train_times(t, i) for i, t in enumerate(trains)]
    times = np.concatenate(trains) if trains else np.empty(0)
    index = np.repeat(np.arange(len(trains)), [len(t) for t in trains])
    return cls.from_arrays(times, index, t_start=t_start, t_stop=t_stop, units=units, n_units=len(trains),
                           time_unit=time_unit, sampling_rate=sampling_rate, intervals=intervals,
                           metadata=metadata)


def select_units(self, rows):
    """Keep the units at ``rows`` (integer positions or a boolean mask), in that order.

    Parameters
    ----------
    rows : array_like of int or bool
        Rows of the unit table to keep.

    Returns
    -------
    SpikeData
    """
    rows = np.asarray(rows)
    if rows.dtype == bool:
        if rows.shape != (self.n_units,):
            raise UsageError(f"boolean unit mask has length {rows.size}, expected {self.n_units}")
        rows = np.flatnonzero(rows)
    rows = rows.astype(np.int64)
    counts = self.spike_counts[rows]
    starts = self.offsets[:-1][rows]
    # Gather each unit's slice without a Python loop over units.
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    gather = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1] - starts, counts)
    return type(self)(self.times[gather], offsets, self.units.take(rows), self.t_start, self.t_stop,
                     intervals=self.intervals, metadata=self.metadata, _validated=True)


def select(self, *, population: str | Iterable[str] | None = None, column: str = "population",
           ids=None):
    """Keep units by a unit-table column value and/or by unit id.

    Parameters
    ----------
    population : str or iterable of str, optional
        Value(s) of ``column`` to keep, e.g. ``"exc"``.
    column : str, default "population"
        Unit-table column that ``population`` refers to.
    ids : array_like of int, optional
        Unit ids (as stored in the source) to keep.

    Returns
    -------
    SpikeData

    Raises
    ------
    NothingToAnalyseError
        If no unit matches.
    """
    mask = np.ones(self.n_units, dtype=bool)
    if population is not None:
        if column not in self.units:
            raise UsageError(f"no unit column {column!r}; columns are {list(self.units.columns)}")
        wanted = {population} if isinstance(population, str) else set(population)
        values = np.array([str(v) for v in self.units[column]], dtype=object)
        mask &= np.isin(values, list(wanted))
    if ids is not None:
        mask &= np.isin(self.units["id"], np.asarray(ids, dtype=np.int64))
    if not mask.any():
        raise NothingToAnalyseError(f"no unit matches population={population!r} ids={ids!r}; "
                                    f"check the unit table's {column!r} column")
    return self.select_units(mask)


def curated(self, exclude=NOISE_QUALITIES, *, columns=("quality",)):
    """Leave out units whose curation label marks them as noise.

    Parameters
    ----------
    exclude : set of str
        Labels (case-insensitive) to leave out; default
        ``{"noise", "mua_noise", "artifact", "artefact", "bad"}``.
    columns : tuple of str
        Unit-table columns holding curation labels.

    Returns
    -------
    data : SpikeData
        The units kept.
    n_excluded : int
        How many units were left out (the report states it).
    """
    exclude = {e.lower() for e in exclude}
    drop = np.zeros(self.n_units, dtype=bool)
    for col in columns:
        if col in self.units:
            drop |= np.array([str(v).lower() in exclude for v in self.units[col]], dtype=bool)
    if not drop.any():
        return self, 0
    if drop.all():
        raise NothingToAnalyseError(f"all {self.n_units} units are labelled as noise in {list(columns)}; "
                                    "pass quality=None (CLI: --quality all) to keep them")
    return self.select_units(~drop), int(drop.sum())
