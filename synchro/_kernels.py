"""numba kernels behind :mod:`synchro.synchrony` (pairwise measures, phases).

Imported lazily by the analysis functions, so ``import synchro`` never loads
numba; each kernel compiles on first call and is cached on disk
(``cache=True``). Spike trains arrive in the :class:`~synchro.core.SpikeData`
layout: one flat ``times`` array grouped by unit, ``offsets`` of length
``n_units + 1``.

All-pair kernels walk the spikes in global time order and visit only
neighbours that can matter, so their work grows with spikes x population
rate x window rather than with pairs x spikes; kernels for sampled pairs
merge the two trains of each pair. They run on one thread: fast enough, and
parallel regions stall badly when the machine's cores are shared.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _unit_of_spike(offsets):
    unit = np.empty(offsets[-1], dtype=np.int64)
    for u in range(offsets.size - 1):
        unit[offsets[u]:offsets[u + 1]] = u
    return unit


@numba.njit(cache=True, nogil=True)
def _tiled_fraction(train, t_start, t_stop, window):
    # Fraction of [t_start, t_stop] within +-window of a spike (Cutts & Eglen's T_A),
    # with elephant's strict comparisons at the recording edges.
    n = train.size
    if n == 0:
        return np.nan
    covered = 0.0
    for k in range(n - 1):
        d = train[k + 1] - train[k]
        covered += d if d <= 2.0 * window else 2.0 * window
    first = train[0] - t_start
    covered += first if first < window else window
    last = t_stop - train[n - 1]
    covered += last if last < window else window
    return covered / (t_stop - t_start)


@numba.njit(cache=True, nogil=True)
def tiled_fractions(times, offsets, t_start, t_stop, window):
    """T of every train (NaN for silent units), computed once per train."""
    n_units = offsets.size - 1
    out = np.empty(n_units)
    for u in range(n_units):
        out[u] = _tiled_fraction(times[offsets[u]:offsets[u + 1]], t_start, t_stop, window)
    return out


@numba.njit(cache=True, nogil=True)
def tiled_fractions_in_support(times, offsets, support, window):
    """T of every train over observed time: the union of the spikes' ``[t - window, t + window]`` tiles,
    cut to the ``support`` intervals, over the support's length (NaN for silent units).

    On one interval this is ``tiled_fractions`` (which keeps elephant's order of summation).
    """
    n_units = offsets.size - 1
    observed = 0.0
    for iv in range(support.shape[0]):
        observed += support[iv, 1] - support[iv, 0]
    out = np.empty(n_units)
    for u in range(n_units):
        train = times[offsets[u]:offsets[u + 1]]
        if train.size == 0:
            out[u] = np.nan
            continue
        covered = 0.0
        for iv in range(support.shape[0]):
            start, stop = support[iv, 0], support[iv, 1]
            reach = start  # tiles are swept in time order; this much of the interval is counted
            first = np.searchsorted(train, start - window)
            for k in range(first, np.searchsorted(train, stop + window, side="right")):
                lo = max(train[k] - window, reach)
                hi = min(train[k] + window, stop)
                if hi > lo:
                    covered += hi - lo
                    reach = hi
        out[u] = covered / observed
    return out


@numba.njit(cache=True, nogil=True)
def _sttc(pa, pb, ta, tb):
    # Written like elephant (PA and TA of one train, PB and TB of the other) so 0/0 cases resolve identically.
    if pa * tb == 1.0 and pb * ta == 1.0:
        return 1.0
    if pa * tb == 1.0:
        return 0.5 + 0.5 * (pb - ta) / (1.0 - pb * ta)
    if pb * ta == 1.0:
        return 0.5 + 0.5 * (pa - tb) / (1.0 - pa * tb)
    return 0.5 * (pa - tb) / (1.0 - pa * tb) + 0.5 * (pb - ta) / (1.0 - pb * ta)


@numba.njit(cache=True, nogil=True)
def _close_counts(a, b, window):
    # Spikes of a with a spike of b at |dt| <= window, and of b with one of a, in one merge of the two trains (ties
    # take a first). Each spike's nearest neighbours on either side in the other train decide, and float
    # subtraction is monotonic, so this equals an all-pairs comparison.
    i = k = 0
    hits_a = hits_b = 0
    while i < a.size or k < b.size:
        if k == b.size or (i < a.size and a[i] <= b[k]):
            x = a[i]
            if (k < b.size and b[k] - x <= window) or (k > 0 and x - b[k - 1] <= window):
                hits_a += 1
            i += 1
        else:
            y = b[k]
            if (i < a.size and a[i] - y <= window) or (i > 0 and y - a[i - 1] <= window):
                hits_b += 1
            k += 1
    return hits_a, hits_b


@numba.njit(cache=True, nogil=True)
def _sttc_pair(a, b, ta, tb, window):
    if a.size == 0 or b.size == 0:
        return np.nan
    hits_a, hits_b = _close_counts(a, b, window)
    return _sttc(hits_a / a.size, hits_b / b.size, ta, tb)


@numba.njit(cache=True, nogil=True)
def sttc_matrix(times, offsets, order, tiled, window):
    """STTC of all pairs; the diagonal is 1 for units with spikes, NaN otherwise.

    ``order`` sorts ``times`` globally. Each spike scans only its neighbours
    within ``window`` in global time order and marks each unit once, giving
    for every pair the number of spikes of one unit close to the other:
    work grows with spikes x population rate x window, not with pairs x spikes.
    """
    n = offsets.size - 1
    n_spikes = times.size
    s_times, s_unit = times[order], _unit_of_spike(offsets)[order]
    close = np.zeros((n, n), dtype=np.int64)
    seen = np.full(n, -1, dtype=np.int64)
    for p in range(n_spikes):
        x, u = s_times[p], s_unit[p]
        q = p - 1
        while q >= 0 and x - s_times[q] <= window:
            v = s_unit[q]
            if seen[v] != p:
                seen[v] = p
                close[u, v] += 1
            q -= 1
        q = p + 1
        while q < n_spikes and s_times[q] - x <= window:
            v = s_unit[q]
            if seen[v] != p:
                seen[v] = p
                close[u, v] += 1
            q += 1
    out = np.empty((n, n))
    for i in range(n):
        ni = offsets[i + 1] - offsets[i]
        out[i, i] = 1.0 if ni else np.nan
        for j in range(i + 1, n):
            nj = offsets[j + 1] - offsets[j]
            v = np.nan if ni == 0 or nj == 0 else _sttc(close[i, j] / ni, close[j, i] / nj, tiled[i], tiled[j])
            out[i, j] = v
            out[j, i] = v
    return out


@numba.njit(cache=True, nogil=True)
def sttc_pairs(times, offsets, tiled, window, rows, cols):
    """STTC of the listed pairs ``(rows[p], cols[p])``."""
    out = np.empty(rows.size)
    for p in range(rows.size):
        i, j = rows[p], cols[p]
        out[p] = _sttc_pair(times[offsets[i]:offsets[i + 1]], times[offsets[j]:offsets[j + 1]],
                            tiled[i], tiled[j], window)
    return out


@numba.njit(cache=True, nogil=True)
def _half_min_isi(s1, s2, i, j, true_max):
    # PySpike's get_tau with MRTS = 0: half the smallest neighbouring interval of the two
    # current spikes; a missing neighbour counts as true_max.
    f1 = s1[i + 1] - s1[i] if -1 < i < s1.size - 1 else true_max
    f2 = s2[j + 1] - s2[j] if -1 < j < s2.size - 1 else true_max
    p1 = s1[i] - s1[i - 1] if i > 0 else true_max
    p2 = s2[j] - s2[j - 1] if j > 0 else true_max
    return min(min(f1, p1), min(f2, p2)) / 2.0


@numba.njit(cache=True, nogil=True)
def _coincidences(s1, s2, true_max):
    # Line for line PySpike's coincidence_value_cython (pyspike 0.9), so that counts agree exactly.
    n1, n2 = s1.size, s2.size
    i = -1
    j = -1
    coinc = 0.0
    mp = 0.0
    while i + j < n1 + n2 - 2:
        if i < n1 - 1 and (j == n2 - 1 or s1[i + 1] < s2[j + 1]):
            i += 1
            mp += 1.0
            if j > -1 and s1[i] - s2[j] < _half_min_isi(s1, s2, i, j, true_max):
                coinc += 2.0
        elif j < n2 - 1 and (i == n1 - 1 or s1[i + 1] > s2[j + 1]):
            j += 1
            mp += 1.0
            if i > -1 and s2[j] - s1[i] < _half_min_isi(s1, s2, i, j, true_max):
                coinc += 2.0
        else:
            i += 1
            j += 1
            mp += 2.0
            coinc += 2.0
    return coinc, mp


@numba.njit(cache=True, nogil=True)
def spike_sync_matrix(times, offsets, order, true_max):
    """Coincidence counts of all pairs, ``C[a, b] + C[b, a]`` being PySpike's pair count.

    In PySpike's merge (see ``_coincidences``) a spike of train a is checked
    only against the last spike of train b before it, with the window
    ``min(intervals around both) / 2``; equal times in a and b count as one
    coincidence of both spikes. So each spike scans back in global time
    order only as far as half its own smallest interval, and takes the
    first spike of each other unit it meets. ``C[a, b]`` gets 2 per
    coincidence found from a's spikes and 1 per tie.
    """
    n = offsets.size - 1
    n_spikes = times.size
    # min(previous, next interval) of every spike; a missing neighbour counts as true_max.
    m = np.empty(n_spikes)
    for u in range(n):
        a, b = offsets[u], offsets[u + 1]
        for k in range(a, b):
            m[k] = min(times[k + 1] - times[k] if k < b - 1 else true_max,
                       times[k] - times[k - 1] if k > a else true_max)
    # Scans read these sequentially, in global time order.
    s_times, s_unit, s_m = times[order], _unit_of_spike(offsets)[order], m[order]
    coinc = np.zeros((n, n))
    seen = np.full(n, -1, dtype=np.int64)
    for p in range(n_spikes):
        x, u, m_a = s_times[p], s_unit[p], s_m[p]
        seen[u] = p
        q = p + 1
        while q < n_spikes and s_times[q] == x:
            v = s_unit[q]
            if seen[v] != p:
                seen[v] = p
                coinc[u, v] += 1.0
            q += 1
        q = p - 1
        while q >= 0 and x - s_times[q] < m_a / 2.0:
            v = s_unit[q]
            if seen[v] != p:
                seen[v] = p
                if s_times[q] == x:
                    coinc[u, v] += 1.0
                elif x - s_times[q] < min(m_a, s_m[q]) / 2.0:
                    coinc[u, v] += 2.0
            q -= 1
    return coinc


@numba.njit(cache=True, nogil=True)
def spike_sync_pairs(times, offsets, true_max, rows, cols):
    """Coincidence and multiplicity counts of the listed pairs."""
    coinc = np.empty(rows.size)
    mult = np.empty(rows.size)
    for p in range(rows.size):
        i, j = rows[p], cols[p]
        coinc[p], mult[p] = _coincidences(times[offsets[i]:offsets[i + 1]], times[offsets[j]:offsets[j + 1]],
                                          true_max)
    return coinc, mult


@numba.njit(cache=True, nogil=True)
def kuramoto_sums(times, offsets, piece, t_start, step, n_grid):
    """Sum of cos and sin of spike-interpolated phases, and the number of defined units, per grid point.

    Grid point ``g`` sits at ``t_start + g * step``; a unit's phase is defined
    from its first to its last spike and advances by 2 pi linearly between
    consecutive spikes of the same observation interval (``piece`` numbers
    the interval of each spike); it is undefined across a gap.
    """
    re = np.zeros(n_grid)
    im = np.zeros(n_grid)
    count = np.zeros(n_grid, dtype=np.int64)
    for u in range(offsets.size - 1):
        for k in range(offsets[u], offsets[u + 1] - 1):
            if piece[k] != piece[k + 1]:
                continue
            t0, t1 = times[k], times[k + 1]
            g = max(0, int(np.ceil((t0 - t_start) / step)))
            while g < n_grid and t_start + g * step < t1:
                phase = 2.0 * np.pi * (t_start + g * step - t0) / (t1 - t0)
                re[g] += np.cos(phase)
                im[g] += np.sin(phase)
                count[g] += 1
                g += 1
    return re, im, count
