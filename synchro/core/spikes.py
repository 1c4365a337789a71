"""Spikes of a population: :class:`SpikeData`, flat times grouped by unit plus a unit table."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import (
    InvalidDataError,
    RecordingBoundsError,
    SynchroWarning,
)
from . import build
from .checks import check_layout, freeze, unit_offsets
from .intervals import intersect_intervals, interval_index, normalised_intervals, support_bins
from .units import UnitTable

__all__ = ["SpikeData"]


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
            check_layout(times, offsets, units, t_start, t_stop)
        self.times = freeze(times)
        self.offsets = freeze(offsets)
        self.units = units
        self.t_start = t_start
        self.t_stop = t_stop
        self.intervals = None if intervals is None else freeze(normalised_intervals(intervals, t_start, t_stop))
        if not _validated and self.intervals is not None and times.size:
            n_out = int(np.count_nonzero(interval_index(times, self.intervals) < 0))
            if n_out:
                raise InvalidDataError(f"{n_out} spike(s) lie outside the observation intervals; build with SpikeData"
                                       ".from_arrays(..., intervals=...) or restrict_to_intervals to drop them")
        self.metadata = MappingProxyType(dict(metadata or {}))
        self._cache: dict[str, Any] = {}

    # Construction (defined in build.py, beside the checks it shares with the readers) ----------------
    from_arrays = classmethod(build.from_arrays)
    from_trains = classmethod(build.from_trains)

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
            is left out); empty runs are dropped. Without gaps, every bin:
            ``[[0, n_bins]]``, whatever rule the caller used to count its
            whole bins (elephant's, for the correlation matrix).
        """
        if not self.has_gaps:
            return np.array([[0, n_bins]], dtype=np.int64)
        return support_bins(self.support, self.t_start, bin_width, n_bins)

    @property
    def unit_index(self) -> np.ndarray:
        """Row of the unit table for every spike (int64, aligned with ``times``)."""
        if "unit_index" not in self._cache:
            idx = np.repeat(np.arange(self.n_units, dtype=np.int64), self.spike_counts)
            self._cache["unit_index"] = freeze(idx)
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
            self._cache["time_sorted"] = (freeze(self.times[order]), freeze(self.unit_index[order]))
        return self._cache["time_sorted"]

    # Selection (select_units, select, curated: defined in build.py) ------------------------------------
    select_units = build.select_units
    select = build.select

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
        if a == self.t_start and b == self.t_stop and keep.all():
            return self  # the same spikes and bounds: immutable, so no copy (an hour of spikes is 150 MB)
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
        iv = intersect_intervals(self.support, normalised_intervals(intervals, self.t_start, self.t_stop))
        if not len(iv):
            raise RecordingBoundsError("the observation intervals do not overlap the data's observed time; "
                                       "check their unit and the bounds")
        keep = interval_index(self.times, iv) >= 0
        n_out = int(self.n_spikes - keep.sum())
        if n_out:
            warnings.warn(f"{n_out} spike(s) lie outside the observation intervals; dropped them", SynchroWarning,
                          stacklevel=2)
        out = self._keep_spikes(keep, self.t_start, self.t_stop)
        out.intervals = freeze(iv)
        return out

    def _keep_spikes(self, keep: np.ndarray, t_start: float, t_stop: float) -> SpikeData:
        offsets = unit_offsets(self.unit_index[keep], self.n_units)
        return SpikeData(self.times[keep], offsets, self.units, t_start, t_stop, intervals=self.intervals,
                         metadata=self.metadata, _validated=True)

    curated = build.curated

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
