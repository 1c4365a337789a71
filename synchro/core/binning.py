"""The binning rule shared by every analysis, and elephant's rule where a cross-check needs it.

Bin ``i`` of width ``bin_width`` covers ``[t_start + i * bin_width,
t_start + (i + 1) * bin_width)``; only whole bins count, so spikes in a last
partial bin are left out with it. A time within :data:`EDGE_TOLERANCE` of a
bin (relative) below an edge belongs to the bin after it: a spike meant to
lie on an edge but computed as ``0.1 + 0.2`` (0.30000000000000004) or
``3 * 0.1`` lands where it was meant. The same tolerance decides which
bins lie wholly inside observation intervals
(:func:`synchro.core.support_bins`) and the first sample of a signal at or
after a time (:meth:`synchro.Signal.restrict`).
"""

from __future__ import annotations

import numpy as np

from .checks import check_bin_count
from .compiled import jit

__all__ = ["EDGE_TOLERANCE", "n_whole_bins", "bin_index", "binned_counts", "sample_window", "elephant_bins"]

#: Tolerance at bin edges, in bins: a time this close below an edge counts in the next bin.
EDGE_TOLERANCE = 1e-9


def n_whole_bins(duration: float, bin_width: float) -> int:
    """Number of whole bins of ``bin_width`` (s) in ``duration`` (s), checked against ``synchro.core.MAX_BINS``.

    Parameters
    ----------
    duration : float
        Span in seconds.
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    int
        ``floor(duration / bin_width + EDGE_TOLERANCE)``.

    Raises
    ------
    InvalidDataError
        More bins than ``synchro.core.MAX_BINS`` (an allocation that would not fit).
    """
    return check_bin_count(int(np.floor(duration / bin_width + EDGE_TOLERANCE)), bin_width, duration)


def bin_index(times, t_start: float, bin_width: float) -> np.ndarray:
    """Bin of each time: ``floor((t - t_start) / bin_width + EDGE_TOLERANCE)``.

    Parameters
    ----------
    times : array_like of float
        Times in seconds (any shape).
    t_start : float
        Start of bin 0 (s).
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    ndarray of int64
        Bin indices, same shape as ``times``; the caller drops those past its
        last whole bin.
    """
    t = np.subtract(times, t_start)
    if not isinstance(t, np.ndarray):  # one time
        return np.floor(t / bin_width + EDGE_TOLERANCE).astype(np.int64)
    if t.dtype.kind != "f":  # integer times and start: the division is numpy's true division, into float64
        t = t.astype(np.float64)
    # The same operations in place: one temporary instead of four on 10^7 spikes.
    t /= bin_width
    t += EDGE_TOLERANCE
    return np.floor(t, out=t).astype(np.int64)


def binned_counts(times, t_start: float, bin_width: float, n_bins: int) -> np.ndarray:
    """Spike counts in ``n_bins`` whole bins, for each row of ``times``.

    Parameters
    ----------
    times : array_like of float, shape (n_spikes,) or (n_rows, n_spikes)
        Spike times in seconds (e.g. every spike of a population, or one row
        per surrogate).
    t_start : float
        Start of bin 0 (s).
    bin_width : float
        Bin width in seconds.
    n_bins : int
        Number of whole bins; spikes past them are left out.

    Returns
    -------
    ndarray of float64, shape (n_rows, n_bins)
        Counts (one row for 1-D ``times``).
    """
    times = np.atleast_2d(times)
    bins = bin_index(times, t_start, bin_width)
    np.minimum(bins, n_bins, out=bins)  # one overflow bin collects the partial last bin, dropped below
    bins += (n_bins + 1) * np.arange(times.shape[0])[:, None]
    flat = np.bincount(bins.ravel(), minlength=times.shape[0] * (n_bins + 1)).astype(np.float64)
    return flat.reshape(times.shape[0], n_bins + 1)[:, :n_bins]


def sample_window(t_start: float, t_stop: float, first: float, fs: float, n_samples: int) -> tuple[int, int]:
    """The samples of a regularly sampled signal that lie in ``[t_start, t_stop)`` (s).

    Parameters
    ----------
    t_start, t_stop : float
        Window in seconds.
    first : float
        Time of sample 0 (s).
    fs : float
        Sampling rate in Hz.
    n_samples : int
        Samples in the signal.

    Returns
    -------
    (int, int)
        ``[i0, i1)``: the first sample at or after each time (with the
        binning rule's tolerance at sample edges), clipped to the signal;
        empty when ``i1 <= i0``.
    """
    i0 = max(0, int(np.ceil((t_start - first) * fs - EDGE_TOLERANCE)))
    i1 = min(n_samples, int(np.ceil((t_stop - first) * fs - EDGE_TOLERANCE)))
    return i0, i1


def elephant_bins(times: np.ndarray, t_start: float, t_stop: float, bin_width: float) -> tuple[np.ndarray, int]:
    """Bin index of each spike and the number of bins, by elephant's BinnedSpikeTrain rule.

    Only where a result is cross-checked against elephant (the correlation
    matrix, and the spike-field bins that follow it). Positions within 1e-8
    of a bin's right edge move into the next bin (elephant's default
    tolerance); spikes past the last whole bin are dropped (index -1).

    Parameters
    ----------
    times : ndarray of float
        Spike times in seconds.
    t_start, t_stop : float
        Binned span in seconds; bin 0 starts at ``t_start``.
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    idx : ndarray of int64
        Bin of each spike, ``-1`` past the last whole bin.
    n_bins : int
        Number of whole bins in ``[t_start, t_stop)``.
    """
    x = (t_stop - t_start) / bin_width
    n_bins = check_bin_count(int(x + 0.5 if x % 1 >= 1 - 1e-8 else x), bin_width, t_stop - t_start)
    idx = np.empty(np.shape(times), dtype=np.int64)
    _elephant_index(np.ascontiguousarray(times, dtype=np.float64).ravel(), t_start, 1 / bin_width, n_bins,
                    idx.ravel())
    return idx, n_bins


@jit
def _elephant_index(times, t_start, per_bin, n_bins, out):
    # One pass of numpy's ``np.where(x % 1 >= 1 - 1e-8, x + 0.5, x).astype(np.int64)`` at x = (t - t_start) * per_bin,
    # and -1 from n_bins on: the same operations on each spike (the remainder by 1 is exact), without the
    # whole-array temporaries (five on an hour of spikes).
    for i in range(times.size):
        x = (times[i] - t_start) * per_bin
        if x % 1 >= 1 - 1e-8:
            x = x + 0.5
        j = int(x)
        out[i] = j if j < n_bins else -1
