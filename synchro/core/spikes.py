"""The two data types every synchro analysis works on.

:class:`SpikeData`
    All spikes of one recording or simulation: one flat float64 array of
    spike times in seconds, grouped by unit and sorted within each unit (the
    layout of an NWB Units table), an integer unit index aligned with it, a
    :class:`UnitTable` describing the units, and explicit recording bounds
    ``t_start``/``t_stop``. Per-unit trains are slices (views, no copy).

:class:`Signal`
    A regularly sampled continuous signal (LFP, field proxy, membrane
    potential): ``samples x channels``, sampling rate in Hz, start time in
    seconds, physical units and a channel table.

Readers and writers for NWB, Neo, Brian2, NPZ and CSV live in
:mod:`synchro.io`; they all produce and consume these two types.

Why grouped by unit rather than globally time-sorted: NWB stores spikes that
way, so reading 1e7 spikes needs no sort (a global argsort costs about 1 s),
and per-unit work (STTC, phases, surrogates) gets zero-copy slices. Analyses
over the population (rates, spectra) do not depend on spike order; the
global time order is available, computed once, from
:meth:`SpikeData.time_sorted`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import (
    InvalidDataError,
    NonFiniteTimesError,
    NothingToAnalyseError,
    NotInFileError,
    RecordingBoundsError,
    SignalError,
    SynchroWarning,
    TimeUnitError,
    UsageError,
)

__all__ = ["UnitTable", "SpikeData", "Signal", "IntervalTable", "Recording", "REQUIRED_UNIT_COLUMNS",
           "NOISE_QUALITIES", "LABEL_COLUMNS", "merge_intervals", "intersect_intervals", "support_bins",
           "interval_index", "split_by_intervals", "check_time_unit", "check_bounds_unit", "check_bin_count",
           "MAX_BINS"]

#: Columns every unit table has (filled with defaults when the source lacks them).
REQUIRED_UNIT_COLUMNS = ("id", "label", "population", "quality")

#: Curation values left out by default (``SpikeData.curated``).
NOISE_QUALITIES = frozenset({"noise", "mua_noise", "artifact", "artefact", "bad"})

_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}

#: Most time bins an analysis allocates (2**28: 2 GiB per float64 array, 3.1 days at 1 ms). Past it, the bounds
#: are almost always in the wrong unit; raise it here to analyse longer recordings at full resolution.
MAX_BINS = 2**28

#: Bounds and spike times whose spans differ by this factor or more are taken to be in different units.
BOUNDS_UNIT_RATIO = 300.0


def _freeze(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.flags.writeable and a.base is None:
        a.flags.writeable = False
    elif a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


class UnitTable(Mapping):
    """Table of units: equal-length 1-D columns keyed by name.

    Always has the columns ``id`` (int64, the unit id as stored in the
    source), ``label`` (str), ``population`` (str, e.g. ``"exc"``/``"inh"``,
    empty when unknown) and ``quality`` (str curation label, empty when
    unknown); any further columns of the source are kept.

    Parameters
    ----------
    columns : mapping of str to array_like
        Column name to values, one value per unit. Missing required columns
        are filled: ``id`` with ``0..n-1``, the string columns with ``""``.
    n_units : int, optional
        Number of units; needed only when ``columns`` is empty.
    """

    def __init__(self, columns: Mapping[str, Any] | None = None, n_units: int | None = None):
        cols: dict[str, np.ndarray] = {}
        for name, values in (columns or {}).items():
            arr = np.asarray(values)
            if arr.ndim == 0:
                raise InvalidDataError(f"unit column {name!r} is a scalar; give one value per unit")
            if arr.ndim > 1:
                # NWB allows ragged/multi-dimensional columns; keep one row per unit.
                arr = np.array(list(arr), dtype=object) if arr.dtype != object else arr
            cols[str(name)] = arr
        lengths = {len(v) for v in cols.values()}
        if n_units is None:
            if not lengths:
                n_units = 0
            elif len(lengths) == 1:
                n_units = lengths.pop()
        if n_units is None or any(len(v) != n_units for v in cols.values()):
            sizes = {k: len(v) for k, v in cols.items()}
            raise InvalidDataError(f"unit table columns differ in length: {sizes}; "
                                   "give one value per unit in every column")
        if "id" not in cols:
            cols["id"] = np.arange(n_units, dtype=np.int64)
        else:
            try:
                cols["id"] = np.asarray(cols["id"]).astype(np.int64)
            except (TypeError, ValueError):
                raise InvalidDataError("unit ids must be integers; put names in the 'label' column") from None
            if len(np.unique(cols["id"])) != n_units:
                raise InvalidDataError("unit ids are not unique; give each unit its own id")
        for name in ("label", "population", "quality"):
            if name not in cols:
                cols[name] = np.full(n_units, "", dtype=object)
            else:
                cols[name] = np.array(["" if v is None else str(v) for v in cols[name]], dtype=object)
        self._n = int(n_units)
        self._cols = {k: _freeze(v) for k, v in cols.items()}

    # Mapping protocol -----------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._cols[name]
        except KeyError:
            raise KeyError(f"no unit column {name!r}; columns are {sorted(self._cols)}") from None

    def __iter__(self):
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)

    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return self._n

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names, required ones first."""
        return tuple(self._cols)

    def take(self, rows: np.ndarray) -> UnitTable:
        """Return a new table holding only some rows.

        Parameters
        ----------
        rows : array_like of int
            Row positions to keep, in the order wanted.

        Returns
        -------
        UnitTable
        """
        rows = np.asarray(rows, dtype=np.int64)
        return UnitTable({k: v[rows] for k, v in self._cols.items()}, n_units=len(rows))

    def with_column(self, name: str, values: Any) -> UnitTable:
        """Return a new table with one column added or replaced.

        Parameters
        ----------
        name : str
            Column name.
        values : array_like
            One value per unit.

        Returns
        -------
        UnitTable
        """
        cols = dict(self._cols)
        cols[name] = np.asarray(values)
        return UnitTable(cols, n_units=self._n)

    def to_dict(self) -> dict[str, list]:
        """Columns as plain Python lists.

        Returns
        -------
        dict of str to list
            JSON-serialisable columns.
        """
        return {k: v.tolist() for k, v in self._cols.items()}

    def to_dataframe(self):
        """The table as a data frame (imports pandas).

        Returns
        -------
        pandas.DataFrame
            One row per unit.
        """
        import pandas as pd

        return pd.DataFrame({k: list(v) if v.dtype == object else v for k, v in self._cols.items()})

    def __repr__(self) -> str:
        return f"UnitTable(n_units={self._n}, columns={list(self._cols)})"


class SpikeData:
    """Spikes of a population: flat times grouped by unit, plus a unit table.

    Build it with :meth:`from_arrays` (times and unit indices in any order)
    or :meth:`from_trains` (one array per unit); the constructor itself takes
    the grouped layout directly and only validates it.

    Parameters
    ----------
    times : array_like of float
        Spike times in seconds, grouped by unit (unit 0 first) and sorted
        within each unit.
    offsets : array_like of int
        ``n_units + 1`` cumulative bounds: the spikes of unit ``i`` are
        ``times[offsets[i]:offsets[i + 1]]``.
    units : UnitTable or mapping
        One row per unit.
    t_start, t_stop : float
        Recording bounds in seconds. Never inferred from the spikes: rates
        and spectra depend on them.
    intervals : array_like, shape (k, 2), optional
        Observation intervals in seconds (the time support): the parts of
        ``[t_start, t_stop)`` where spikes were recorded. They are sorted,
        merged where they overlap or touch and clipped to the bounds. Every
        spike must lie inside them: :meth:`from_arrays` and
        :meth:`restrict_to_intervals` drop those outside, with a warning.
    metadata : mapping, optional
        Provenance of the data (source path, simulator, parameters).

    Attributes
    ----------
    times : ndarray of float64
        Read-only spike times (s), grouped by unit.
    unit_index : ndarray of int64
        Row of ``units`` for each spike, aligned with ``times``.
    offsets : ndarray of int64
        Bounds of each unit's spikes in ``times``.
    units : UnitTable
        The unit table.
    t_start, t_stop : float
        Recording bounds (s).
    intervals : ndarray or None
        Observation intervals (s), shape ``(k, 2)``; None when the whole of
        ``[t_start, t_stop)`` was observed. :attr:`support` is never None.
    metadata : mapping
        Read-only provenance.
    """

    __slots__ = ("times", "offsets", "units", "t_start", "t_stop", "intervals", "metadata", "_cache")

    def __init__(
        self,
        times,
        offsets,
        units,
        t_start: float,
        t_stop: float,
        *,
        intervals=None,
        metadata: Mapping | None = None,
        _validated: bool = False,
    ):
        times = np.asarray(times, dtype=np.float64)
        offsets = np.asarray(offsets, dtype=np.int64)
        if not isinstance(units, UnitTable):
            units = UnitTable(units, n_units=len(offsets) - 1)
        t_start, t_stop = float(t_start), float(t_stop)
        if not _validated:
            _check_layout(times, offsets, units, t_start, t_stop)
        self.times = _freeze(times)
        self.offsets = _freeze(offsets)
        self.units = units
        self.t_start = t_start
        self.t_stop = t_stop
        self.intervals = None if intervals is None else _freeze(_normalised_intervals(intervals, t_start, t_stop))
        if not _validated and self.intervals is not None and times.size:
            n_out = int(np.count_nonzero(interval_index(times, self.intervals) < 0))
            if n_out:
                raise InvalidDataError(f"{n_out} spike(s) lie outside the observation intervals; build with SpikeData"
                                       ".from_arrays(..., intervals=...) or restrict_to_intervals to drop them")
        self.metadata = MappingProxyType(dict(metadata or {}))
        self._cache: dict[str, Any] = {}

    # Construction ----------------------------------------------------------
    @classmethod
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
    ) -> SpikeData:
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
        scale = _time_scale(time_unit, sampling_rate)
        _check_finite(times)
        if time_unit is None:
            check_time_unit(times, n_units)
        if scale != 1.0:
            times = times * scale
            t_start, t_stop = t_start * scale, t_stop * scale
            intervals = None if intervals is None else np.asarray(intervals, dtype=np.float64) * scale
        # Group by unit, sorted within unit: one lexsort (unit major).
        order = np.lexsort((times, unit_index))
        if not np.all(order[1:] > order[:-1]):
            n_unsorted = _count_unsorted(times, unit_index)
            if n_unsorted:
                warnings.warn(f"{n_unsorted} spike time(s) came before the previous spike of their unit; sorted them",
                              SynchroWarning, stacklevel=2)
            times = times[order]
            unit_index = unit_index[order]
        offsets = np.zeros(n_units + 1, dtype=np.int64)
        np.cumsum(np.bincount(unit_index, minlength=n_units), out=offsets[1:])
        data = cls(times, offsets, units, t_start, t_stop, metadata=metadata)
        if intervals is not None:
            data = data.restrict_to_intervals(intervals)
        return data

    @classmethod
    def from_trains(cls, trains: Iterable | Mapping, *, t_start: float = 0.0, t_stop: float | None = None,
                    units=None, time_unit: str | None = None, sampling_rate: float | None = None, intervals=None,
                    metadata: Mapping | None = None) -> SpikeData:
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
            ids = _unit_ids_from_keys(list(trains.keys()))
            units = _with_ids(units, ids)
            trains = list(trains.values())
        trains = [_train_times(t, i) for i, t in enumerate(trains)]
        times = np.concatenate(trains) if trains else np.empty(0)
        index = np.repeat(np.arange(len(trains)), [len(t) for t in trains])
        return cls.from_arrays(times, index, t_start=t_start, t_stop=t_stop, units=units, n_units=len(trains),
                               time_unit=time_unit, sampling_rate=sampling_rate, intervals=intervals,
                               metadata=metadata)

    # Basic properties ------------------------------------------------------
    @property
    def n_units(self) -> int:
        """Number of units, silent ones included."""
        return len(self.offsets) - 1

    @property
    def n_spikes(self) -> int:
        """Total number of spikes."""
        return len(self.times)

    @property
    def duration(self) -> float:
        """``t_stop - t_start`` in seconds."""
        return self.t_stop - self.t_start

    @property
    def support(self) -> np.ndarray:
        """Observed time, shape ``(k, 2)`` (s): sorted disjoint ``[start, stop)`` pairs inside the bounds.

        ``[[t_start, t_stop]]`` when no observation intervals are set.
        """
        if self.intervals is None:
            return np.array([[self.t_start, self.t_stop]])
        return self.intervals

    @property
    def observed_duration(self) -> float:
        """Total observed time in seconds: the summed length of :attr:`support`."""
        sup = self.support
        return float(np.sum(sup[:, 1] - sup[:, 0]))

    @property
    def has_gaps(self) -> bool:
        """True when part of ``[t_start, t_stop)`` was not observed."""
        return self.observed_duration < self.duration * (1 - 1e-12)

    @property
    def spike_counts(self) -> np.ndarray:
        """Spikes per unit (int64 array, length ``n_units``)."""
        return np.diff(self.offsets)

    @property
    def rates(self) -> np.ndarray:
        """Mean firing rate of each unit in Hz over the observed time (:attr:`observed_duration`)."""
        return self.spike_counts / self.observed_duration

    def observed_bins(self, bin_width: float, n_bins: int) -> np.ndarray:
        """Runs of whole bins inside the observed time.

        Bin ``i`` covers ``[t_start + i * bin_width, t_start + (i + 1) * bin_width)``.

        Parameters
        ----------
        bin_width : float
            Bin width in seconds.
        n_bins : int
            Number of bins from ``t_start``.

        Returns
        -------
        ndarray of int64, shape (k, 2)
            ``[first, stop)`` bin indices of each run of bins that lie
            wholly inside one observation interval (a bin cut by a gap edge
            is left out); empty runs are dropped.
        """
        return support_bins(self.support, self.t_start, bin_width, n_bins)

    @property
    def unit_index(self) -> np.ndarray:
        """Row of the unit table for every spike (int64, aligned with ``times``)."""
        if "unit_index" not in self._cache:
            idx = np.repeat(np.arange(self.n_units, dtype=np.int64), self.spike_counts)
            self._cache["unit_index"] = _freeze(idx)
        return self._cache["unit_index"]

    def train(self, i: int) -> np.ndarray:
        """Spike times of one unit, as a read-only view (no copy).

        Parameters
        ----------
        i : int
            Row of the unit table (negative counts from the end).

        Returns
        -------
        ndarray of float64
            Spike times in seconds, ascending.
        """
        if not -self.n_units <= i < self.n_units:
            raise IndexError(f"unit row {i} out of range for {self.n_units} units")
        i %= self.n_units
        return self.times[self.offsets[i]:self.offsets[i + 1]]

    def trains(self) -> list[np.ndarray]:
        """All spike trains as views, one per unit.

        Returns
        -------
        list of ndarray
            Spike times in seconds of each unit, in unit-table order.
        """
        return [self.times[a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def time_sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Spike times and unit rows in global time order (computed once).

        Returns
        -------
        times : ndarray of float64
            All spike times (s), ascending.
        unit_index : ndarray of int64
            Unit row of each spike.
        """
        if "time_sorted" not in self._cache:
            order = np.argsort(self.times, kind="stable")
            self._cache["time_sorted"] = (_freeze(self.times[order]), _freeze(self.unit_index[order]))
        return self._cache["time_sorted"]

    # Selection -------------------------------------------------------------
    def select_units(self, rows) -> SpikeData:
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
        return SpikeData(self.times[gather], offsets, self.units.take(rows), self.t_start, self.t_stop,
                         intervals=self.intervals, metadata=self.metadata, _validated=True)

    def select(self, *, population: str | Iterable[str] | None = None, column: str = "population",
               ids=None) -> SpikeData:
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

    def populations(self, column: str = "population") -> list[str]:
        """Distinct non-empty values of a unit-table column.

        Parameters
        ----------
        column : str, default "population"
            Unit-table column.

        Returns
        -------
        list of str
            Values in order of first appearance; empty when the column is absent.
        """
        if column not in self.units:
            return []
        seen: dict[str, None] = {}
        for v in self.units[column]:
            if str(v):
                seen.setdefault(str(v), None)
        return list(seen)

    def restrict(self, t_start: float | None = None, t_stop: float | None = None) -> SpikeData:
        """Keep spikes in ``[t_start, t_stop)`` (s) and set the bounds to it.

        Parameters
        ----------
        t_start, t_stop : float, optional
            New bounds in seconds; default to the current ones. Must lie
            within the current bounds.

        Returns
        -------
        SpikeData
            The spikes in the window; the observation intervals, if any,
            are cut to it.
        """
        a = self.t_start if t_start is None else float(t_start)
        b = self.t_stop if t_stop is None else float(t_stop)
        if not (self.t_start <= a < b <= self.t_stop):
            raise RecordingBoundsError(
                f"window [{a}, {b}) s must be non-empty and inside the recording [{self.t_start}, {self.t_stop}) s")
        if self.intervals is not None and not len(intersect_intervals(self.intervals, [[a, b]])):
            raise RecordingBoundsError(f"window [{a:g}, {b:g}) s holds no observed time; choose a window that "
                                       "overlaps the observation intervals")
        keep = (self.times >= a) & (self.times < b)
        return self._keep_spikes(keep, a, b)  # the constructor cuts the intervals to the new bounds

    def restrict_to_intervals(self, intervals) -> SpikeData:
        """Drop spikes outside observation intervals, with a warning counting them.

        Parameters
        ----------
        intervals : array_like, shape (k, 2)
            Start and stop of each observation interval, in seconds.

        Returns
        -------
        SpikeData
            Same bounds; only spikes inside an interval; the support
            narrowed to its intersection with ``intervals``.
        """
        iv = intersect_intervals(self.support, _normalised_intervals(intervals, self.t_start, self.t_stop))
        if not len(iv):
            raise RecordingBoundsError("the observation intervals do not overlap the data's observed time; "
                                       "check their unit and the bounds")
        keep = interval_index(self.times, iv) >= 0
        n_out = int(self.n_spikes - keep.sum())
        if n_out:
            warnings.warn(f"{n_out} spike(s) lie outside the observation intervals; dropped them", SynchroWarning,
                          stacklevel=2)
        out = self._keep_spikes(keep, self.t_start, self.t_stop)
        out.intervals = _freeze(iv)
        return out

    def _keep_spikes(self, keep: np.ndarray, t_start: float, t_stop: float) -> SpikeData:
        unit_index = self.unit_index[keep]
        offsets = np.zeros(self.n_units + 1, dtype=np.int64)
        np.cumsum(np.bincount(unit_index, minlength=self.n_units), out=offsets[1:])
        return SpikeData(self.times[keep], offsets, self.units, t_start, t_stop, intervals=self.intervals,
                         metadata=self.metadata, _validated=True)

    def curated(self, exclude=NOISE_QUALITIES, *, columns=("quality",)) -> tuple[SpikeData, int]:
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

    # Conversions -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Summary for JSON.

        Returns
        -------
        dict
            Unit and spike counts, bounds (s), duration (s), mean rate (Hz),
            unit columns and populations.
        """
        return {
            "n_units": self.n_units,
            "n_spikes": self.n_spikes,
            "t_start": self.t_start,
            "t_stop": self.t_stop,
            "duration": self.duration,
            "observed_duration": self.observed_duration,
            "n_intervals": len(self.support),
            "mean_rate_hz": float(self.n_spikes / self.observed_duration / max(self.n_units, 1)),
            "unit_columns": list(self.units.columns),
            "populations": self.populations(),
        }

    def summary(self) -> str:
        """Describe the data in a few lines, for terminals and notebooks.

        Returns
        -------
        str
            Counts, bounds, mean rate and per-population rates (Hz).
        """
        d = self.to_dict()
        lines = [f"SpikeData: {d['n_units']} units, {d['n_spikes']} spikes, "
                 f"{d['t_start']:g}-{d['t_stop']:g} s ({d['duration']:g} s), mean rate {d['mean_rate_hz']:.3g} Hz"]
        if self.has_gaps:
            lines.append(f"  observed {d['observed_duration']:g} s in {d['n_intervals']} interval(s)")
        for pop in d["populations"]:
            sub = self.units["population"] == pop
            n = int(sub.sum())
            rate = self.spike_counts[sub].sum() / self.observed_duration / n
            lines.append(f"  population {pop}: {n} units, {rate:.3g} Hz")
        silent = int((self.spike_counts == 0).sum())
        if silent:
            lines.append(f"  {silent} units without spikes")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"SpikeData(n_units={self.n_units}, n_spikes={self.n_spikes}, "
                f"t_start={self.t_start:g}, t_stop={self.t_stop:g})")

    def __eq__(self, other) -> bool:
        if not isinstance(other, SpikeData):
            return NotImplemented
        return (self.t_start == other.t_start and self.t_stop == other.t_stop
                and np.array_equal(self.offsets, other.offsets) and np.array_equal(self.times, other.times)
                and np.array_equal(self.units["id"], other.units["id"])
                and np.array_equal(self.support, other.support))

    __hash__ = None  # mutable-free but array-valued: no hashing


class Signal:
    """A regularly sampled continuous signal: LFP, field proxy or membrane potential.

    Parameters
    ----------
    data : array_like, shape (n_samples,) or (n_samples, n_channels)
        Samples in physical ``units``.
    fs : float
        Sampling rate in Hz.
    t_start : float, default 0.0
        Time of the first sample in seconds.
    units : str, default ""
        Physical units of the samples, e.g. ``"V"`` or ``"mV"``.
    channels : mapping of str to array_like, optional
        Channel table, one value per channel (e.g. ``name``, ``location``,
        ``unit_id`` for membrane potentials).
    name : str, default "signal"
        What the signal is (``"LFP"``, ``"field_proxy"``, ``"v"``).
    metadata : mapping, optional
        Provenance.
    """

    __slots__ = ("data", "fs", "t_start", "units", "channels", "name", "metadata")

    def __init__(self, data, fs: float, t_start: float = 0.0, *, units: str = "", channels: Mapping | None = None,
                 name: str = "signal", metadata: Mapping | None = None):
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2:
            raise SignalError(f"signal data must be 1-D or 2-D (samples x channels); got shape {data.shape}")
        fs = float(fs)
        if not np.isfinite(fs) or fs <= 0:
            raise SignalError(f"sampling rate must be a positive number of Hz; got {fs}")
        if not np.all(np.isfinite(data)):
            raise SignalError(f"signal {name!r} contains NaN or infinite samples; interpolate or cut them out first")
        self.data = _freeze(data)
        self.fs = fs
        self.t_start = float(t_start)
        self.units = str(units)
        chans = {k: np.asarray(v) for k, v in (channels or {}).items()}
        for k, v in chans.items():
            if v.ndim != 1 or len(v) != data.shape[1]:
                raise SignalError(f"channel column {k!r} has {v.size} values (shape {v.shape}) for {data.shape[1]} "
                                  "channels; give one value per channel")
        if "name" not in chans:
            chans["name"] = np.array([f"ch{i}" for i in range(data.shape[1])], dtype=object)
        self.channels = MappingProxyType(chans)
        self.name = str(name)
        self.metadata = MappingProxyType(dict(metadata or {}))

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.data.shape[0]

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return self.data.shape[1]

    @property
    def t_stop(self) -> float:
        """Time just after the last sample, ``t_start + n_samples / fs`` (s)."""
        return self.t_start + self.n_samples / self.fs

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds."""
        return self.t_start + np.arange(self.n_samples) / self.fs

    def channel(self, i: int) -> np.ndarray:
        """Samples of one channel.

        Parameters
        ----------
        i : int
            Channel position.

        Returns
        -------
        ndarray of float64
            The channel's samples (a view), in ``units``.
        """
        return self.data[:, i]

    def restrict(self, t_start: float, t_stop: float) -> Signal:
        """Samples whose times lie in ``[t_start, t_stop)``.

        Parameters
        ----------
        t_start, t_stop : float
            Window in seconds.

        Returns
        -------
        Signal

        Raises
        ------
        SignalError
            If the window holds no sample.
        """
        i0 = max(0, int(np.ceil((t_start - self.t_start) * self.fs - 1e-9)))
        i1 = min(self.n_samples, int(np.ceil((t_stop - self.t_start) * self.fs - 1e-9)))
        if i1 <= i0:
            raise SignalError(f"signal {self.name!r} ({self.t_start:g}-{self.t_stop:g} s) has no samples in "
                              f"[{t_start:g}, {t_stop:g}) s; pick a signal that overlaps the spikes")
        return Signal(self.data[i0:i1], self.fs, self.t_start + i0 / self.fs, units=self.units,
                      channels=self.channels, name=self.name, metadata=self.metadata)

    def overlap(self, t_start: float, t_stop: float) -> float:
        """Length of the overlap of this signal with a window.

        Parameters
        ----------
        t_start, t_stop : float
            Window in seconds.

        Returns
        -------
        float
            Overlap in seconds (0 when disjoint).
        """
        return max(0.0, min(self.t_stop, t_stop) - max(self.t_start, t_start))

    def __repr__(self) -> str:
        return (f"Signal(name={self.name!r}, n_samples={self.n_samples}, n_channels={self.n_channels}, "
                f"fs={self.fs:g} Hz, t_start={self.t_start:g} s, units={self.units!r})")


class IntervalTable:
    """A table of time intervals with per-row columns: epochs, trials, or any NWB ``TimeIntervals`` table.

    Like pynapple's ``IntervalSet`` with metadata: ``start`` and ``stop``
    times in seconds, one row per interval, and further columns holding one
    value per row (``tags``, ``label``, ``condition``, ...). A ragged NWB
    column such as the epochs' ``tags`` holds a tuple of strings per row.

    Parameters
    ----------
    start, stop : array_like of float
        Start and stop of each interval in seconds, ``start < stop``; rows
        may overlap and come in any order (trials of several conditions).
    columns : mapping of str to sequence, optional
        Further columns, one value per row.
    name : str, default ""
        What the table is (``"epochs"``, ``"trials"``).
    description : str, default ""
        Free text kept from the source (NWB ``description``).
    descriptions : mapping of str to str, optional
        Description of each column, kept from the source.

    Raises
    ------
    InvalidDataError
        Columns of different lengths, non-finite times, or a row with
        ``stop <= start``.
    """

    __slots__ = ("start", "stop", "columns", "name", "description", "descriptions")

    def __init__(self, start, stop, columns: Mapping[str, Any] | None = None, *, name: str = "",
                 description: str = "", descriptions: Mapping[str, str] | None = None):
        start = np.asarray(start, dtype=np.float64).ravel()
        stop = np.asarray(stop, dtype=np.float64).ravel()
        what = f"interval table {name!r}" if name else "interval table"
        if start.shape != stop.shape:
            raise InvalidDataError(f"{what} has {start.size} start times but {stop.size} stop times; give one of each "
                                   "per row")
        if not (np.all(np.isfinite(start)) and np.all(np.isfinite(stop))):
            raise InvalidDataError(f"{what} has NaN or infinite start/stop times; remove those rows")
        if np.any(stop <= start):
            row = int(np.flatnonzero(stop <= start)[0])
            raise InvalidDataError(f"{what}: row {row} stops ({stop[row]:g} s) before it starts ({start[row]:g} s); "
                                   "fix the table")
        cols: dict[str, np.ndarray] = {}
        for key, values in (columns or {}).items():
            if key in ("start_time", "stop_time", "start", "stop"):
                continue
            arr = np.empty(len(values), dtype=object)
            arr[:] = [tuple(v) if isinstance(v, list | tuple | np.ndarray) else v for v in values]
            if all(isinstance(v, bool | int | float | np.bool_ | np.integer | np.floating) for v in arr):
                arr = np.asarray(list(arr))  # numbers stay numbers: a numeric condition column sorts as such
            if len(arr) != len(start):
                raise InvalidDataError(f"{what}: column {key!r} has {len(arr)} values for {len(start)} rows")
            cols[str(key)] = _freeze(arr)
        self.start = _freeze(start)
        self.stop = _freeze(stop)
        self.columns = MappingProxyType(cols)
        self.name = str(name)
        self.description = str(description)
        self.descriptions = MappingProxyType({k: str(v) for k, v in (descriptions or {}).items() if k in cols})

    def __len__(self) -> int:
        return len(self.start)

    @property
    def intervals(self) -> np.ndarray:
        """Start and stop of every row, shape ``(n, 2)`` (s), in table order."""
        return np.column_stack([self.start, self.stop])

    def label_column(self, column: str | None = None) -> str:
        """The column that names each row: ``column`` if given, else the first of :data:`LABEL_COLUMNS` present.

        Parameters
        ----------
        column : str, optional
            Column to use; checked against the table.

        Returns
        -------
        str

        Raises
        ------
        NotInFileError
            ``column`` is not in the table, or no label column is found.
        """
        what = f"the {self.name!r} table" if self.name else "the interval table"
        if column is not None:
            if column not in self.columns:
                raise NotInFileError(f"{what} has no column {column!r}; its columns are {list(self.columns)}")
            return column
        for name in LABEL_COLUMNS:
            if name in self.columns and any(_label(v) for v in self.columns[name]):
                return name
        raise NotInFileError(f"{what} has no label column ({', '.join(LABEL_COLUMNS)}); name one of its columns "
                             f"{list(self.columns)} (CLI: --epochs TABLE:COLUMN)")

    def labels(self, column: str | None = None) -> np.ndarray:
        """Each row's label as text: the column's value, or a ragged row's tags joined with ``"+"``.

        Parameters
        ----------
        column : str, optional
            As in :meth:`label_column`.

        Returns
        -------
        ndarray of str (object)
            One label per row; ``""`` where the row has none.
        """
        return np.array([_label(v) for v in self.columns[self.label_column(column)]], dtype=object)

    def groups(self, column: str | None = None) -> dict[str, np.ndarray]:
        """The intervals of each label: rows with the same label merged into one set.

        Parameters
        ----------
        column : str, optional
            As in :meth:`label_column` (``tags``, ``label``, ``condition``, ...).

        Returns
        -------
        dict of str to ndarray, shape (k, 2)
            Label -> sorted disjoint intervals (s), labels in order of first
            appearance; rows without a label are left out.
        """
        labels = self.labels(column)
        out: dict[str, np.ndarray] = {}
        for label in dict.fromkeys(labels):
            if label:
                out[label] = merge_intervals(self.intervals[labels == label])
        return out

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready columns.

        Returns
        -------
        dict
            ``name``, ``description``, ``start_time`` and ``stop_time`` (s)
            and every column as a list (tuples become lists).
        """
        cols = {k: [list(v) if isinstance(v, tuple) else v for v in c.tolist()] for k, c in self.columns.items()}
        return {"name": self.name, "description": self.description, "start_time": self.start.tolist(),
                "stop_time": self.stop.tolist(), **cols}

    def __repr__(self) -> str:
        return f"IntervalTable(name={self.name!r}, n_intervals={len(self)}, columns={list(self.columns)})"


#: Columns that name the rows of an interval table, in order of preference (``tags`` is what pynwb's
#: ``add_epoch`` writes).
LABEL_COLUMNS = ("label", "epoch", "tags", "condition", "name")


def _label(value) -> str:
    if isinstance(value, tuple):
        return "+".join(str(v) for v in value if str(v))
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "" if value is None else str(value)


def split_by_intervals(data: SpikeData, table: IntervalTable, column: str | None = None) -> dict[str, SpikeData]:
    """The spikes observed in each label's intervals: one SpikeData per epoch label or trial condition.

    Parameters
    ----------
    data : SpikeData
        The spikes to split.
    table : IntervalTable
        Epochs, trials or another interval table.
    column : str, optional
        Column whose values group the rows (e.g. ``"tags"`` for epochs,
        ``"condition"`` for trials); by default the first of
        :data:`LABEL_COLUMNS` the table has.

    Returns
    -------
    dict of str to SpikeData
        Label -> the spikes of that label's intervals, in order of first
        appearance: ``data.restrict(first start, last stop)`` (bounds cut to
        the label's span, so an epoch of one interval is analysed exactly as
        that window) then ``.restrict_to_intervals(intervals)`` (support
        narrowed to the label's intervals, gaps between them unobserved).
        Labels whose intervals hold none of ``data``'s observed time are
        left out.

    Raises
    ------
    NotInFileError
        ``column`` is not in the table, or it has no label column.
    """
    out = {}
    for label, iv in table.groups(column).items():
        observed = intersect_intervals(data.support, iv)
        if not len(observed):
            continue
        part = data.restrict(observed[0, 0], observed[-1, 1])
        if len(observed) > 1 or part.has_gaps:
            with warnings.catch_warnings():
                # Spikes of other epochs are meant to go: no warning counting them.
                warnings.simplefilter("ignore", SynchroWarning)
                part = part.restrict_to_intervals(observed)
        out[label] = part
    return out


class Recording:
    """One session: its spikes, any continuous signals, and provenance.

    This is what readers return and writers take; analyses take its parts.

    Parameters
    ----------
    spikes : SpikeData
        All spikes of the session.
    signals : mapping of str to Signal, optional
        Continuous signals by name (``"LFP"``, ``"field_proxy"``, ``"v"``).
    metadata : mapping, optional
        Provenance of the session (source path, simulator and its
        parameters, curation applied), JSON-serialisable.
    intervals : mapping of str to IntervalTable, optional
        Interval tables of the session by name, as NWB's ``/intervals``
        group holds them: ``"epochs"`` (e.g. sleep, wake), ``"trials"``
        (with a condition column), ``"invalid_times"``, or any other.
        Split the spikes by one with :func:`split_by_intervals`.
    """

    __slots__ = ("spikes", "signals", "metadata", "intervals")

    def __init__(self, spikes: SpikeData, signals: Mapping[str, Signal] | None = None,
                 metadata: Mapping | None = None, intervals: Mapping[str, IntervalTable] | None = None):
        if not isinstance(spikes, SpikeData):
            raise TypeError(f"spikes must be a SpikeData, not {type(spikes).__name__}")
        for key, table in (intervals or {}).items():
            if not isinstance(table, IntervalTable):
                raise TypeError(f"intervals[{key!r}] must be an IntervalTable, not {type(table).__name__}")
        self.spikes = spikes
        self.signals = MappingProxyType(dict(signals or {}))
        self.metadata = MappingProxyType(dict(metadata or {}))
        self.intervals = MappingProxyType(dict(intervals or {}))

    def __repr__(self) -> str:
        tables = f", intervals={list(self.intervals)}" if self.intervals else ""
        return f"Recording({self.spikes!r}, signals={list(self.signals)}{tables})"


# Validation helpers (shared by the constructor and every reader) ---------------

def _train_times(train, i: int) -> np.ndarray:
    """One unit's spike times as float64, shape (n,); pynapple's Ts/Tsd give theirs as ``.t``."""
    arr = np.asarray(getattr(train, "t", train))
    if arr.ndim == 0:
        raise InvalidDataError(f"train {i} is the single number {arr.item()!r}, not an array of spike times; give "
                               "one array per unit (a list of arrays, or a dict {unit id: times} itself)")
    if arr.ndim > 1 and sum(n > 1 for n in arr.shape) > 1:
        raise InvalidDataError(f"train {i} has shape {arr.shape}; give each unit's spike times as a 1-D array")
    return arr.astype(np.float64).ravel()


def _unit_ids_from_keys(keys: list) -> np.ndarray:
    """Mapping keys as unit ids: distinct integers (numpy or Python, bools refused)."""
    bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, int | np.integer)]
    if bad:
        raise InvalidDataError(f"unit ids (the mapping's keys) must be integers; got {bad[0]!r}; put names in a "
                               "unit table column instead, e.g. units={'label': [...]}")
    ids = np.asarray(keys, dtype=np.int64)
    if len(np.unique(ids)) != len(ids):
        raise InvalidDataError("unit ids (the mapping's keys) must be distinct")
    return ids


def _with_ids(units, ids: np.ndarray):
    """``units`` (None, mapping or UnitTable) with the ``id`` column set to ``ids``; ids given twice are refused."""
    clash = UsageError("unit ids come from the mapping's keys; leave the id column out of units")
    if units is None:
        return {"id": ids}
    if isinstance(units, UnitTable):  # its id column always exists: only the default 0..n-1 may be replaced
        if not np.array_equal(units["id"], np.arange(units.n_units)):
            raise clash
        return units.with_column("id", ids)
    if "id" in units:
        raise clash
    return {**units, "id": ids}


def _time_scale(time_unit: str | None, sampling_rate: float | None = None) -> float:
    if time_unit is None:
        return 1.0
    if time_unit == "samples":
        if sampling_rate is None or not np.isfinite(sampling_rate) or sampling_rate <= 0:
            raise UsageError("time_unit='samples' needs the sampling rate in Hz (CLI: --sampling-rate HZ)")
        return 1.0 / float(sampling_rate)
    try:
        return _TIME_UNITS[time_unit]
    except KeyError:
        raise UsageError(f"time_unit must be one of {sorted(_TIME_UNITS) + ['samples']}; got {time_unit!r}") from None


def _check_finite(times: np.ndarray) -> None:
    bad = ~np.isfinite(times)
    if bad.any():
        raise NonFiniteTimesError(f"{int(bad.sum())} spike times are NaN or infinite; remove them before analysis")


def check_time_unit(times: np.ndarray, n_units: int) -> None:
    """Raise :class:`~synchro.errors.TimeUnitError` when the times are unlikely to be seconds.

    Two cheap tests on a sample of at most 100,000 spikes: whole-number times
    spanning more than 1000 look like sample indices; a span of more than
    1000 with a mean rate below 0.05 spikes per unit per "second" looks like
    milliseconds (a 5 Hz unit read as milliseconds fires at 0.005 Hz).
    Pass ``time_unit`` explicitly to skip both.

    Parameters
    ----------
    times : ndarray of float
        Spike times as given.
    n_units : int
        Number of units, for the per-unit rate.

    Raises
    ------
    TimeUnitError
        When the times look like samples or milliseconds.
    """
    if times.size < 20:
        return
    sample = times[:: max(1, times.size // 100_000)]
    span = float(times.max() - times.min())
    if span <= 1000:
        return
    if np.all(sample == np.round(sample)):
        raise TimeUnitError(f"spike times are whole numbers spanning {span:g}: they look like sample indices, not "
                            "seconds; give time_unit='samples' with sampling_rate (CLI: --time-unit samples "
                            "--sampling-rate HZ)")
    if times.size / max(n_units, 1) / span < 0.05:
        raise TimeUnitError(f"spike times span {span:g} with {times.size / max(n_units, 1) / span:.2g} spikes per unit "
                            "per second: they look like milliseconds; give time_unit='ms' (CLI: --time-unit ms), or "
                            "time_unit='s' if they really are seconds")


def _likely_unit(ratio: float) -> str:
    """The unit whose factor to seconds best explains a ratio of spans (ms 1e3, samples 1e4-1e5, us 1e6)."""
    if ratio < 5e3:
        return "milliseconds"
    if ratio < 3e5:
        return "sample indices"
    return "microseconds"


def check_bounds_unit(times: np.ndarray, t_start: float, t_stop: float, *, source: str = "input") -> None:
    """Raise :class:`~synchro.errors.InvalidDataError` when the bounds and the spike times are in different units.

    Two cases, judged on spans from ``t_start``: a recording at least
    :data:`BOUNDS_UNIT_RATIO` (300) times longer than the time to its last
    spike, with 20 spikes or more (a ``t_stop`` in milliseconds over times in
    seconds gives 1000); and a last spike at least 300 times past ``t_stop``
    (times in milliseconds, bounds in seconds). Called before anything is
    allocated from the bounds.

    Parameters
    ----------
    times : ndarray of float
        Spike times, in the unit of the bounds as given.
    t_start, t_stop : float
        Recording bounds.
    source : str, default "input"
        Name of the input, for the message.

    Raises
    ------
    InvalidDataError
        The spans disagree by a unit factor; the message names the likely unit.
    """
    if times.size == 0 or not t_stop > t_start:
        return
    length, reach = t_stop - t_start, float(times.max()) - t_start
    if reach >= BOUNDS_UNIT_RATIO * length:
        ratio = reach / length
        raise InvalidDataError(f"{source}: the last spike ({reach + t_start:g}) lies {ratio:.3g} times as far from "
                               f"t_start as t_stop ({t_stop:g}): the spike times look like {_likely_unit(ratio)} "
                               "while the bounds are seconds; give both in one unit (time_unit= converts them "
                               "together; CLI: --time-unit)")
    if times.size >= 20 and reach > 0 and length >= BOUNDS_UNIT_RATIO * reach:
        ratio = length / reach
        raise InvalidDataError(f"{source}: t_stop ({t_stop:g}) is {ratio:.3g} times the span of the spikes "
                               f"(last at {reach + t_start:g}): the bounds look like {_likely_unit(ratio)} while the "
                               "spike times are seconds; give the bounds in the spike times' unit (CLI: --t-start, "
                               "--t-stop)")


def check_bin_count(n_bins: int, bin_width: float, duration: float) -> int:
    """Check that binning ``duration`` at ``bin_width`` stays within :data:`MAX_BINS`, before allocating.

    Parameters
    ----------
    n_bins : int
        Number of bins about to be allocated.
    bin_width : float
        Bin width in seconds.
    duration : float
        Time binned, in seconds.

    Returns
    -------
    int
        ``n_bins``, unchanged.

    Raises
    ------
    InvalidDataError
        More than :data:`MAX_BINS` bins: a clear error instead of a MemoryError.
    """
    if n_bins > MAX_BINS:
        raise InvalidDataError(f"{duration:g} s in bins of {bin_width:g} s is {n_bins:.3g} bins "
                               f"({n_bins * 8 / 2**30:.3g} GiB per array), more than synchro allocates "
                               f"({MAX_BINS:.3g}); check that t_start/t_stop are seconds, or analyse a window "
                               "(SpikeData.restrict), or raise synchro.core.MAX_BINS")
    return n_bins


def _normalised_intervals(intervals, t_start: float, t_stop: float) -> np.ndarray:
    """Observation intervals as sorted, merged, finite ``[start, stop)`` pairs clipped to the bounds (s)."""
    iv = np.asarray(intervals, dtype=np.float64)
    if iv.size % 2 or (iv.ndim == 2 and iv.shape[1] != 2) or iv.ndim > 2:
        raise InvalidDataError(f"observation intervals must be (start, stop) pairs, shape (k, 2); got shape {iv.shape}")
    iv = iv.reshape(-1, 2)
    if not np.all(np.isfinite(iv)):
        raise RecordingBoundsError("observation intervals must be finite numbers of seconds")
    if np.any(iv[:, 1] <= iv[:, 0]):
        raise RecordingBoundsError("observation intervals must have start < stop")
    iv = intersect_intervals(merge_intervals(iv), [[t_start, t_stop]])
    if not len(iv):
        raise RecordingBoundsError(f"the observation intervals hold no time inside the recording [{t_start:g}, "
                                   f"{t_stop:g}) s; check their unit and the bounds")
    return iv


def merge_intervals(intervals) -> np.ndarray:
    """Sort ``[start, stop)`` intervals and merge those that overlap or touch.

    Parameters
    ----------
    intervals : array_like, shape (k, 2)
        Start and stop of each interval (s).

    Returns
    -------
    ndarray of float64, shape (m, 2)
        Disjoint intervals in increasing order, ``m <= k``.
    """
    iv = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    if len(iv) < 2:
        return iv.copy()
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(iv[:, 1])
    new = np.concatenate([[True], iv[1:, 0] > reach[:-1]])  # a start beyond everything before opens a new run
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:], [len(iv)]]) - 1
    return np.column_stack([iv[first, 0], reach[last]])


def intersect_intervals(a, b) -> np.ndarray:
    """Intersection of two sets of disjoint sorted ``[start, stop)`` intervals.

    Parameters
    ----------
    a, b : array_like, shape (k, 2)
        Disjoint intervals in increasing order (s), e.g. from :func:`merge_intervals`.

    Returns
    -------
    ndarray of float64, shape (m, 2)
        The time in both, as disjoint sorted intervals; empty pieces dropped.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    lo = np.maximum(a[:, None, 0], b[None, :, 0])
    hi = np.minimum(a[:, None, 1], b[None, :, 1])
    ok = hi > lo
    out = np.column_stack([lo[ok], hi[ok]])
    return out[np.argsort(out[:, 0], kind="stable")] if len(out) else np.empty((0, 2))


def support_bins(support, t_start: float, bin_width: float, n_bins: int) -> np.ndarray:
    """Runs of whole bins of width ``bin_width`` (s) from ``t_start`` that lie inside ``support``.

    A bin cut by an interval's edge is left out; the edge tolerance (1e-9
    of a bin) is the binning rule's, so a bin ending exactly on a stop is kept.

    Parameters
    ----------
    support : array_like, shape (k, 2)
        Observed intervals (s), disjoint and sorted.
    t_start : float
        Time (s) where bin 0 starts.
    bin_width : float
        Bin width in seconds.
    n_bins : int
        Number of bins from ``t_start``.

    Returns
    -------
    ndarray of int64, shape (k, 2)
        ``[first, stop)`` bin indices, clipped to ``[0, n_bins)``, empty runs dropped.
    """
    sup = np.asarray(support, dtype=np.float64).reshape(-1, 2)
    first = np.ceil((sup[:, 0] - t_start) / bin_width - 1e-9).astype(np.int64)
    stop = np.floor((sup[:, 1] - t_start) / bin_width + 1e-9).astype(np.int64)
    runs = np.column_stack([np.clip(first, 0, n_bins), np.clip(stop, 0, n_bins)])
    return runs[runs[:, 1] > runs[:, 0]]


def interval_index(values, intervals) -> np.ndarray:
    """Which interval holds each value: the one rule for times in intervals and bins in runs.

    Parameters
    ----------
    values : array_like
        Times (s), or bin indices.
    intervals : array_like, shape (k, 2)
        Disjoint ``[start, stop)`` intervals (or bin runs) sorted by start.

    Returns
    -------
    ndarray of int64
        Row of ``intervals`` holding each value, ``-1`` where none does.
    """
    values = np.asarray(values)
    intervals = np.asarray(intervals).reshape(-1, 2)
    if not len(intervals):
        return np.full(values.shape, -1, dtype=np.int64)
    k = np.searchsorted(intervals[:, 0], values, side="right").astype(np.int64) - 1
    k[(k >= 0) & (values >= intervals[np.maximum(k, 0), 1])] = -1
    return k


def _count_unsorted(times: np.ndarray, unit_index: np.ndarray) -> int:
    """Number of places where a unit's next spike comes before its previous one."""
    by_unit = np.argsort(unit_index, kind="stable")
    t, u = times[by_unit], unit_index[by_unit]
    return int(np.count_nonzero((u[1:] == u[:-1]) & (t[1:] < t[:-1])))


def _check_layout(times, offsets, units: UnitTable, t_start: float, t_stop: float) -> None:
    if times.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1:
        raise InvalidDataError("times must be 1-D and offsets must hold n_units + 1 bounds")
    if offsets[0] != 0 or offsets[-1] != len(times) or np.any(np.diff(offsets) < 0):
        raise InvalidDataError("offsets must start at 0, never decrease and end at the number of spikes")
    if units.n_units != len(offsets) - 1:
        raise InvalidDataError(f"unit table has {units.n_units} rows for {len(offsets) - 1} units")
    if not (np.isfinite(t_start) and np.isfinite(t_stop)):
        raise RecordingBoundsError("t_start and t_stop must be finite numbers of seconds")
    if t_stop <= t_start:
        raise RecordingBoundsError(f"t_stop ({t_stop:g} s) must be after t_start ({t_start:g} s)")
    _check_finite(times)
    if times.size:
        # Within-unit order: a decrease is allowed only where a new unit starts.
        drops = np.flatnonzero(times[1:] < times[:-1]) + 1  # no float temporary: 8x less memory than np.diff
        if drops.size and not np.all(np.isin(drops, offsets)):
            raise InvalidDataError("spike times must be sorted within each unit; "
                                   "use SpikeData.from_arrays to sort them")
        lo, hi = float(times.min()), float(times.max())
        if hi >= t_stop:
            raise RecordingBoundsError(f"t_stop ({t_stop:g} s) is not after the last spike ({hi:g} s); "
                                       "give the true end of the recording (CLI: --t-stop), or analyse a part of it "
                                       "with --window START:STOP")
        if lo < t_start:
            raise RecordingBoundsError(f"t_start ({t_start:g} s) is after the first spike ({lo:g} s); "
                                       "give the true start of the recording (CLI: --t-start), or analyse a part of "
                                       "it with --window START:STOP")
