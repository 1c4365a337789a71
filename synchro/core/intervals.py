"""Time support: sorted disjoint ``[start, stop)`` intervals in seconds, and the bins inside them."""

from __future__ import annotations

import numpy as np

from ..errors import (
    InvalidDataError,
    RecordingBoundsError,
)
from .binning import EDGE_TOLERANCE
from .compiled import jit

__all__ = ["merge_intervals", "intersect_intervals", "support_bins", "interval_index", "unit_spans"]


def normalised_intervals(intervals, t_start: float, t_stop: float) -> np.ndarray:
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
    first = np.ceil((sup[:, 0] - t_start) / bin_width - EDGE_TOLERANCE).astype(np.int64)
    stop = np.floor((sup[:, 1] - t_start) / bin_width + EDGE_TOLERANCE).astype(np.int64)
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


def unit_spans(times, offsets, intervals) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's spikes in each interval, as runs of the grouped layout: what :func:`interval_index` finds, spike by
    spike, found by bisection.

    Parameters
    ----------
    times : ndarray of float
        Spike times (s) grouped by unit, in time order within each unit (``SpikeData.times``).
    offsets : ndarray of int
        ``n_units + 1`` bounds of each unit's spikes (``SpikeData.offsets``).
    intervals : array_like, shape (k, 2)
        Disjoint ``[start, stop)`` intervals (s) sorted by start.

    Returns
    -------
    first, stop : ndarray of int64, shape (n_units, k)
        Unit ``u``'s spikes in interval ``j`` are ``times[first[u, j]:stop[u, j]]``.
    """
    iv = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    return _spans(np.ascontiguousarray(times, dtype=np.float64), np.ascontiguousarray(offsets, dtype=np.int64),
                  np.ascontiguousarray(iv[:, 0]), np.ascontiguousarray(iv[:, 1]))


@jit
def _spans(times, offsets, starts, stops):
    n_units, n_spans = offsets.size - 1, starts.size
    first = np.empty((n_units, n_spans), dtype=np.int64)
    stop = np.empty((n_units, n_spans), dtype=np.int64)
    for u in range(n_units):
        lo, hi = offsets[u], offsets[u + 1]
        for k in range(n_spans):
            a = lo + np.searchsorted(times[lo:hi], starts[k])
            b = a + np.searchsorted(times[a:hi], stops[k])
            first[u, k], stop[u, k] = a, b
            lo = b
    return first, stop
