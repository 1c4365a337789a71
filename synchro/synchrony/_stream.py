"""Binned statistics straight from spike times: counts of a circular shift without its train, trace moments per unit.

A long session (1000 units x 1 h is 3.6 x 10^9 unit-samples at 1 ms) has
no room for a units x bins array, and its circular-shift surrogates cost
O(spikes) each only if no step touches every bin of every unit. The
kernels here visit each spike once.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import SpikeData
from ..core.binning import EDGE_TOLERANCE
from ..core.compiled import jit

__all__: list[str] = []

#: Above this many unit-samples (units x samples of 1/fs), Golomb chi's units' traces are not built as arrays: their
#: variances come from the spikes (exponential kernel) or from blocks of units of at most this size (Gaussian).
#: 2**25 samples is 256 MB of float64; W1 (1000 units, 10 s at 1 kHz: 10^7) stays below it.
MAX_TRACE_SAMPLES = 2 ** 25


#: Bins counted at a time, every unit adding its spikes in them before the next ones: the counts (256 KiB) stay in a
#: core's cache, where one unit after the other sweeping an hour of 1 ms bins would miss it at nearly every spike.
BLOCK_BINS = 32_768


@jit
def _binned(times, offsets, shifts, starts, stops, shifted, t_start, bin_width, n_bins, out, block):
    # out[i] += 1 for each spike in whole bin i, after the circular shift shifts[u, k] of unit u inside interval k
    # when ``shifted``. The shifted time is the one synchro.surrogates.circular_shift writes (a spike at or after
    # stop - s wraps to the front) and the bin the one core.binning.bin_index gives, so counts equal the surrogate's.
    # Each unit's spikes in interval k are taken in the order of their shifted times (from the first that wraps), a
    # block of bins at a time; the counts are integers, so their order of addition leaves them unchanged.
    n_units, n_intervals = offsets.size - 1, starts.size
    lo = np.empty((n_units, n_intervals), dtype=np.int64)  # unit u's spikes in interval k: [lo, hi), from cut on
    hi = np.empty((n_units, n_intervals), dtype=np.int64)
    cut = np.empty((n_units, n_intervals), dtype=np.int64)
    done = np.zeros((n_units, n_intervals), dtype=np.int64)  # spikes counted so far
    for u in range(n_units):
        p, b = offsets[u], offsets[u + 1]
        for k in range(n_intervals):
            lo[u, k] = p
            while p < b and times[p] < stops[k]:
                p += 1
            hi[u, k] = p
            s = shifts[u, k] if shifted else 0.0
            c, z = lo[u, k], p  # the first spike at or after stops[k] - s (the first to wrap)
            while shifted and c < z:
                mid = (c + z) // 2
                if times[mid] < stops[k] - s:
                    c = mid + 1
                else:
                    z = mid
            cut[u, k] = c if shifted else lo[u, k]
    for first in range(0, n_bins, block):
        stop = n_bins if first + block >= n_bins else first + block
        for u in range(n_units):
            for k in range(n_intervals):
                a, z, c, n = lo[u, k], hi[u, k], cut[u, k], done[u, k]
                start, end = starts[k], stops[k]
                s = shifts[u, k] if shifted else 0.0
                duration = end - start
                last = np.nextafter(end, -np.inf)
                while n < z - a:
                    j = c + n if c + n < z else a + (c + n - z)
                    t = times[j]
                    if shifted:
                        t = max(t + s - duration, start) if t >= end - s else min(t + s, last)
                    i = math.floor((t - t_start) / bin_width + EDGE_TOLERANCE)
                    if i >= stop and stop < n_bins:
                        break  # counted with a later block
                    if 0 <= i < n_bins:
                        out[i] += 1
                    n += 1
                done[u, k] = n


def binned_population(data: SpikeData, bin_width: float, n_bins: int, shifts=None, dtype=np.int64) -> np.ndarray:
    """Population spike count in each of ``n_bins`` whole bins from ``t_start`` (core.binning's rule), of the data
    or of its circular shift by ``shifts`` (``(n_units, n_intervals)`` s, from ``circular_shift_draws``)."""
    sup = np.asarray(data.support)
    out = np.zeros(n_bins, dtype=dtype)
    shifted = shifts is not None
    _binned(np.asarray(data.times), np.asarray(data.offsets),
            np.ascontiguousarray(shifts, dtype=np.float64) if shifted else np.zeros((1, 1)),
            np.ascontiguousarray(sup[:, 0]), np.ascontiguousarray(sup[:, 1]), shifted, data.t_start, bin_width,
            n_bins, out, BLOCK_BINS)
    return out


@jit
def _exp_moments(times, offsets, t_start, bin_width, n_bins, run_first, run_stop, a):
    # Per unit, sum over observed samples of y and y^2, y being the unit's count trace filtered by the causal kernel
    # a^n restarted at each run (what lfilter([1], [1, -a]) gives run by run). For spikes at samples m_i of a run of
    # length L: sum y = sum_i (1 - a^(L - m_i)) / (1 - a) and sum y^2 = sum_j (1 - a^(2 (L - m_j))) / (1 - a^2)
    # (1 + 2 S_j), with S_j = sum_{i<j} a^(m_j - m_i) = a^(m_j - m_{j-1}) (1 + S_{j-1}): one pass over the spikes.
    n_units = offsets.size - 1
    log_a = math.log(a)
    s1 = np.zeros(n_units)
    s2 = np.zeros(n_units)
    for u in range(n_units):
        r = 0
        prev_run, prev_m, acc = -1, 0, 0.0
        for p in range(offsets[u], offsets[u + 1]):
            i = math.floor((times[p] - t_start) / bin_width + EDGE_TOLERANCE)
            if i < 0 or i >= n_bins:
                continue
            while r < run_first.size and run_stop[r] <= i:
                r += 1
            if r == run_first.size:
                break
            if i < run_first[r]:
                continue
            m = i - run_first[r]
            length = run_stop[r] - run_first[r]
            acc = math.exp((m - prev_m) * log_a) * (1.0 + acc) if prev_run == r else 0.0
            prev_run, prev_m = r, m
            tail = math.exp((length - m) * log_a)
            s1[u] += (1.0 - tail) / (1.0 - a)
            s2[u] += (1.0 - tail * tail) / (1.0 - a * a) * (1.0 + 2.0 * acc)
    return s1, s2


def exponential_unit_variances(data: SpikeData, fs: float, n_samples: int, runs: np.ndarray, tau: float) -> np.ndarray:
    """Variance over the samples in ``runs`` of each unit's train filtered by ``exp(-t / tau)`` (each run from rest),
    in O(spikes): the variances of chi's units' traces without the traces."""
    a = math.exp(-1.0 / (tau * fs))
    s1, s2 = _exp_moments(np.asarray(data.times), np.asarray(data.offsets), data.t_start, 1.0 / fs, n_samples,
                          np.ascontiguousarray(runs[:, 0]), np.ascontiguousarray(runs[:, 1]), a)
    total = float(np.sum(runs[:, 1] - runs[:, 0]))
    return s2 / total - (s1 / total) ** 2


@jit
def _one_pole_rows(x, a, out):
    for i in range(x.shape[0]):
        y = 0.0
        for j in range(x.shape[1]):
            y = x[i, j] + a * y
            out[i, j] = y


def one_pole(x: np.ndarray, a: float) -> np.ndarray:
    """``y[n] = x[n] + a y[n-1]`` along the last axis, from rest: ``scipy.signal.lfilter([1], [1, -a], x)`` bit for
    bit (the same two operations per sample), without importing scipy.signal (half a second) into the report's
    second process, whose synchrony indices need nothing else from it."""
    rows = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    _one_pole_rows(rows, float(a), out)
    return out.reshape(x.shape)
