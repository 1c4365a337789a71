"""Spike contrast (Ciba et al. 2018): synchrony over shrinking bins, each bin size in one pass over each unit's spikes.

The data's curve is computed at every bin size. A surrogate's chance level
needs only the curve's maximum: an upper bound of the curve at every size,
from a fine histogram of the population, picks the sizes that could hold
it (largest bound first) and every other size is skipped, so the maximum is
exact while most of the small bins, the costly ones on a long session, are
never walked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData, interval_index
from ..core.checks.arguments import positive_seconds
from ..core.compiled import jit
from ..errors import InvalidDataError, UsageError
from ..plotting import new_axes
from ._common import AgainstChance, chance_fields, check_null, select_population, spike_null

__all__ = ["SpikeContrast", "spike_contrast"]

#: Fine bins of the bound per smallest half-bin of a surrogate's curve, and the most fine bins in all.
FINE_PER_STEP, MAX_FINE_BINS = 8, 2 ** 24

#: Bins whose counts are written at a time, every unit placing its spikes in them before the next ones: the counts
#: (three int64 arrays of one size, or one of the fine histogram) stay in a core's cache (384 KiB) on an hour of
#: small bins, where one unit after the other sweeping the whole arrays would miss the cache at nearly every spike.
BLOCK_BINS = 16_384

#: Spikes per unit and bin of one size above which each unit's walk gallops over its spikes in one bin.
GALLOP_SPIKES_PER_BIN = 3


@dataclass(frozen=True)
class SpikeContrast(AgainstChance):
    """Spike contrast (Ciba et al. 2018), against chance.

    Attributes
    ----------
    value : float
        Maximum of the synchrony curve, in [0, 1].
    bin_sizes : ndarray
        Bin sizes tried, in seconds (largest first).
    contrast, active_spiketrains, synchrony_curve : ndarray
        The curves per bin size (their product is the synchrony curve).
    min_bin : float
        Smallest bin allowed, in seconds.
    bin_shrink_factor : float
        Factor between successive bin sizes.
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        ``value`` against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "spike_contrast"
    value: float
    bin_sizes: np.ndarray
    contrast: np.ndarray
    active_spiketrains: np.ndarray
    synchrony_curve: np.ndarray
    min_bin: float
    bin_shrink_factor: float

    def plot(self, ax=None):
        """Contrast, active-train and synchrony curves against bin size (log axis).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        ax = new_axes(ax)
        ax.semilogx(self.bin_sizes, self.contrast, label="contrast")
        ax.semilogx(self.bin_sizes, self.active_spiketrains, label="active trains")
        ax.semilogx(self.bin_sizes, self.synchrony_curve, label="synchrony")
        ax.set_xlabel("bin size (s)")
        ax.legend()
        return ax


def _unit_sums(times, offsets, edges):
    # One bin size: elephant's integer sums (contrast jumps, active-train weights) from each unit's spikes in time
    # order, bin k being [edges[k], edges[k+1]) as np.histogram has it (the last bin closed). With several spikes
    # per unit and bin (large bins), a galloping walk skips a unit's spikes in one bin; with fewer, a walk of every
    # spike costs less than the galloping search (4 ns against 12 ns a step on W2).
    many = times.size > GALLOP_SPIKES_PER_BIN * (offsets.size - 1) * (edges.size - 1)
    return _contrast_sums(*_bin_counts(times, offsets, edges, BLOCK_BINS, many))


@jit
def _bin_counts(times, offsets, edges, block, gallop):
    # Per bin: its spikes, the units present in it, and the units present in it and in the next. The bins are taken
    # ``block`` at a time, every unit placing its spikes in them before the next block, so the three count arrays
    # are written in cache however many bins a size has. With ``gallop``, a unit's spikes in one bin are skipped
    # over by a galloping search, so a size costs the units' occupied bins, not their spikes; without, the spikes
    # are taken one by one (branch-free updates: a unit's next spike falls in the same bin or not at random).
    n_hist = edges.size - 1
    last = n_hist - 1
    n_units = offsets.size - 1
    per_bin = np.zeros(n_hist + 1, dtype=np.int64)  # and a last bin that no spike reaches: a unit's "none yet"
    present = np.zeros(n_hist + 1, dtype=np.int64)
    both = np.zeros(n_hist + 1, dtype=np.int64)
    t0, per_step = edges[0], 1.0 / (edges[1] - edges[0])
    at = offsets[:-1].copy()  # each unit's next spike
    before = np.full(n_units, n_hist, dtype=np.int64)  # each unit's last occupied bin so far
    for first in range(0, n_hist, block):
        stop = n_hist if first + block >= n_hist else first + block
        for u in range(n_units):
            p, b, previous = at[u], offsets[u + 1], before[u]
            while p < b:
                t = times[p]
                g = min(max(int((t - t0) * per_step), 0), last)  # a guess, corrected against the edges
                while g > 0 and edges[g] > t:
                    g -= 1
                while g < last and edges[g + 1] <= t:
                    g += 1
                if g >= stop:
                    break  # placed with a later block
                q = p + 1
                if gallop:
                    q = b
                    if g < last:  # first spike at or after the bin's end: gallop, then bisect
                        edge, lo, reach = edges[g + 1], p + 1, 1
                        while lo < b and times[lo] < edge:
                            lo += reach
                            reach *= 2
                        hi = min(lo, b)
                        lo = max(p + 1, lo - reach // 2)
                        while lo < hi:
                            mid = (lo + hi) // 2
                            if times[mid] < edge:
                                lo = mid + 1
                            else:
                                hi = mid
                        q = lo
                per_bin[g] += q - p
                new = g != previous
                present[g] += new
                both[previous] += new and previous == g - 1  # present in bins g - 1 and g
                previous = g
                p = q
            at[u], before[u] = p, previous
    return per_bin[:-1], present[:-1], both[:-1]


@jit
def _contrast_sums(per_bin, present, both):
    # Elephant's integer sums from the per-bin counts: the active-train weights, their total, the contrast jumps.
    weighted = total = jumps = 0
    for k in range(per_bin.size - 1):
        theta = per_bin[k] + per_bin[k + 1]
        weighted += (present[k] + present[k + 1] - both[k]) * theta
        total += theta
        if k > 0:
            jumps += abs(theta - per_bin[k - 1] - per_bin[k])
    return weighted, total, jumps


@jit
def _fine_prefix(times, offsets, g0, width, n_fine, block):
    # Cumulative population count on a fine grid: prefix[j] spikes lie before fine bin j. The grid is filled
    # ``block`` bins at a time, each unit adding its spikes in them (its spikes come in time order), so the counts
    # are written in cache.
    prefix = np.zeros(n_fine + 1, dtype=np.int64)
    at = offsets[:-1].copy()
    for first in range(0, n_fine, block):
        stop = n_fine if first + block >= n_fine else first + block
        for u in range(offsets.size - 1):
            p, b = at[u], offsets[u + 1]
            while p < b:
                j = min(max(int(math.floor((times[p] - g0) / width)), 0), n_fine - 1)
                if j >= stop:
                    break
                prefix[j + 1] += 1
                p += 1
            at[u] = p
    for j in range(n_fine):
        prefix[j + 1] += prefix[j]
    return prefix


@jit
def _curve_bound(prefix, g0, width, edges, n_spikes, n_units):
    # An upper bound of contrast x active at one size: each half-bin's count lies between the fine bins wholly
    # inside it and those touching it (one fine bin wider on each side than rounding needs).
    n_fine = prefix.size - 1
    n_hist = edges.size - 1
    low = np.empty(n_hist, dtype=np.int64)
    high = np.empty(n_hist, dtype=np.int64)
    for k in range(n_hist):
        a = int(math.floor((edges[k] - g0) / width))
        c = int(math.floor((edges[k + 1] - g0) / width))
        high[k] = prefix[min(max(c + 2, 0), n_fine)] - prefix[min(max(a - 1, 0), n_fine)]
        inner_a, inner_c = min(max(a + 2, 0), n_fine), min(max(c - 1, 0), n_fine)
        low[k] = prefix[inner_c] - prefix[inner_a] if inner_c > inner_a else 0
    weighted = total = jumps = 0
    for k in range(n_hist - 1):
        theta = high[k] + high[k + 1]
        weighted += theta * min(theta, n_units)
        total += low[k] + low[k + 1]
        if k > 0:
            jumps += max(high[k + 1] - low[k - 1], high[k - 1] - low[k + 1])
    contrast = jumps / (2.0 * n_spikes)
    if total == 0:
        return contrast
    return contrast * max(0.0, min(1.0, (weighted / total - 1.0) / (n_units - 1)))


@jit
def _min_isi(times, offsets, piece):
    # Smallest interval between consecutive spikes of a unit within one observation interval (piece: each spike's
    # interval, or empty without gaps); inf when no unit has two spikes in one interval.
    out = np.inf
    for u in range(offsets.size - 1):
        for p in range(offsets[u] + 1, offsets[u + 1]):
            if piece.size and piece[p] != piece[p - 1]:
                continue
            out = min(out, times[p] - times[p - 1])
    return out


def _observed_record(times: np.ndarray, data: SpikeData):
    """The spikes on the record of observed time (a gap's time taken out), its end, duration and smallest ISI."""
    duration, end = data.duration, data.t_stop
    piece = np.empty(0, dtype=np.int64)
    if data.has_gaps:
        sup = data.support
        piece = interval_index(times, sup)
        unobserved_before = sup[:, 0] - data.t_start - np.concatenate([[0.0], np.cumsum(sup[:-1, 1] - sup[:-1, 0])])
        times, duration = times - unobserved_before[piece], data.observed_duration
        end = data.t_start + duration
    times = np.ascontiguousarray(times, dtype=np.float64)
    isi_min = _min_isi(times, np.asarray(data.offsets), piece)
    if not np.isfinite(isi_min):
        raise InvalidDataError("spike contrast needs a unit with at least two spikes in one observation interval; "
                               "every unit has at most one")
    return times, end, duration, float(isi_min)


def _bin_sizes(duration: float, isi_min: float, min_bin: float, bin_shrink_factor: float) -> list[float]:
    sizes, bin_size, bin_min = [], duration / 2, max(isi_min / 2, min_bin)
    while bin_size >= bin_min:
        sizes.append(bin_size)
        bin_size *= bin_shrink_factor
    return sizes


def _terms(times, offsets, t_start, t_stop, size, n_units) -> tuple[float, float]:
    """Contrast and active-train terms at one bin size (elephant's half-overlapping bins)."""
    step = size / 2
    weighted, total, jumps = _unit_sums(times, offsets, np.arange(t_start, t_stop + step, step))
    return jumps / (2 * times.size), (weighted / total - 1) / (n_units - 1)


def _contrast_curves(times: np.ndarray, data: SpikeData, min_bin: float, bin_shrink_factor: float):
    """Bin sizes, contrast and active-train curves of spike times in ``data``'s layout."""
    times, end, duration, isi_min = _observed_record(times, data)
    offsets = np.asarray(data.offsets)
    sizes = _bin_sizes(duration, isi_min, min_bin, bin_shrink_factor)
    t_start, t_stop = data.t_start - isi_min, end + isi_min
    terms = [_terms(times, offsets, t_start, t_stop, size, data.n_units) for size in sizes]
    return np.array(sizes), np.array([c for c, _ in terms]), np.array([a for _, a in terms])


def _curve_max(times: np.ndarray, data: SpikeData, min_bin: float, bin_shrink_factor: float) -> float:
    """The maximum of the synchrony curve, exactly as ``(contrast * active).max()``, computed only at the sizes whose
    bound could reach it."""
    times, end, duration, isi_min = _observed_record(times, data)
    offsets = np.asarray(data.offsets)
    t_start, t_stop = data.t_start - isi_min, end + isi_min
    sizes = _bin_sizes(duration, isi_min, min_bin, bin_shrink_factor)
    width = max(sizes[-1] / 2 / FINE_PER_STEP, (t_stop - t_start) / MAX_FINE_BINS)
    n_fine = int((t_stop - t_start) / width) + 2
    prefix = _fine_prefix(times, offsets, t_start, width, n_fine, BLOCK_BINS)
    bounds = np.array([_curve_bound(prefix, t_start, width, np.arange(t_start, t_stop + s / 2, s / 2), times.size,
                                    data.n_units) for s in sizes])
    best = -np.inf
    for k in np.argsort(-bounds, kind="stable"):
        if bounds[k] * (1 + 1e-9) + 1e-15 < best:
            break  # every size left is bounded below the maximum found
        contrast, active = _terms(times, offsets, t_start, t_stop, sizes[k], data.n_units)
        best = max(best, float(np.float64(contrast) * np.float64(active)))
    return best


def spike_contrast(data: SpikeData, *, min_bin: float = 0.01, bin_shrink_factor: float = 0.9,
                   null: str = "circular_shift", n_surrogates: int = 20, dither_window: float | None = None, rng=None,
                   population: str | None = None, population_column: str = "population") -> SpikeContrast:
    """Spike contrast synchrony, as ``elephant.spike_train_synchrony.spike_contrast``, and its chance level.

    Bins of half-overlapping width (largest ``duration / 2``) shrink by
    ``bin_shrink_factor`` down to ``max(min ISI / 2, min_bin)``; at each size
    the contrast of the population histogram times the normalised number of
    active trains per bin gives the synchrony curve, whose maximum is the
    result. Bin edges and counts follow elephant exactly.

    With gaps in the observation intervals, the observed pieces are joined
    end to end (each spike moved back by the unobserved time before it) and
    the measure runs on that record of ``observed_duration`` seconds: a gap
    adds no empty bins (which would raise the contrast), and the smallest
    inter-spike interval is taken within intervals only. The joins are
    ordinary bin edges; at most one bin per join and size mixes two pieces.

    A surrogate's chance-level draw needs only its curve's maximum: an upper
    bound of the curve at every size, from a fine histogram of the
    population, ranks the sizes, and sizes are computed from the highest
    bound down until the rest are bounded below the maximum found, which is
    therefore the maximum of the whole curve, to the bit. On an hour of
    1000 units this leaves out the small bins, the costly ones.

    Parameters
    ----------
    data : SpikeData
        At least two units, one of them with two or more spikes.
    min_bin : float, default 0.01
        Smallest bin size in seconds.
    bin_shrink_factor : float, default 0.9
        In (0, 1).
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate null of the chance level (:mod:`synchro.surrogates`).
    n_surrogates : int, default 20
        Surrogates; 0 leaves the chance level, z and p undetermined.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source of the surrogates; the seed is recorded.
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

    Returns
    -------
    SpikeContrast

    References
    ----------
    Ciba, M., Isomura, T., Jimbo, Y., Bahmer, A. & Thielemann, C. (2018).
    Spike-contrast: a novel time scale independent and multivariate measure
    of spike train synchrony. J. Neurosci. Methods 293, 136-143.
    """
    data = select_population(data, population, population_column, 2)
    min_bin = positive_seconds("min_bin", min_bin)
    if not 0.0 < bin_shrink_factor < 1.0:
        raise UsageError(f"bin_shrink_factor must lie in (0, 1); got {bin_shrink_factor!r}")
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    sizes, contrast, active = _contrast_curves(np.asarray(data.times), data, min_bin, bin_shrink_factor)
    curve = contrast * active
    value = float(curve.max())

    draw = spike_null(lambda t: _curve_max(t, data, min_bin, bin_shrink_factor), data, null, dither_window, gen)
    return SpikeContrast(value=value, bin_sizes=sizes, contrast=contrast, active_spiketrains=active,
                         synchrony_curve=curve, min_bin=min_bin, bin_shrink_factor=float(bin_shrink_factor),
                         **chance_fields(value, draw, n_surrogates, null=null, dither_window=dither_window, seed=seed))


