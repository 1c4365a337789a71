"""The independence test's surrogate spectra and the peak test's shot-noise envelope.

Both act on a :class:`~synchro.spectral.PreparedRate`, so surrogates are
binned and estimated exactly as the data were.
"""

from __future__ import annotations

import numpy as np

from ..core import compiled, interval_index
from ..core.binning import binned_counts
from ..core.compiled import jit
from ..spectral import PreparedRate, spike_bins
from ..surrogates import surrogate_times

__all__ = ["null_spectra", "shot_noise_envelope", "ENVELOPE_WIDTH", "SHIFT_BLOCK"]

#: Smoothing (s) of the rate envelope that scales the bootstrap's sampling noise (see :func:`shot_noise_envelope`).
ENVELOPE_WIDTH = 0.05
# Surrogates are processed in chunks of at most this many samples (x tapers) or spikes, to bound memory.
_CHUNK_SAMPLES = 4_000_000


@jit
def _shifted_rates(rel, col_start, col_first, col_length, shifts, block, per_bin, out):
    # Circular shift of each unit by its own s bins inside each observed run of bins, summed over units and divided
    # by per_bin (counts to rates): O(n_spikes) per surrogate. The spikes of column c (one unit in one run) are
    # rel[col_start[c]:col_start[c + 1]], sorted bins relative to the run's first bin col_first[c]; shifted, those
    # at or above length - s wrap to the run's start, so the column lands in two increasing pieces: [wrap, end)
    # at rel + s - length, then [start, wrap) at rel + s. The output is filled block by block (each block is zeroed
    # and stays in cache while every column adds its spikes to it, and is divided once complete) with one pointer
    # per column: the same counts as adding the spikes in any order, as each bin adds whole ones.
    n_cols = col_start.size - 1
    n = out.shape[1]
    pos = np.empty(n_cols, np.int64)  # the column's next spike
    stop_at = np.empty(n_cols, np.int64)  # the end of its current piece
    offset = np.empty(n_cols, np.int64)  # output bin of rel 0 in its current piece
    second = np.empty(n_cols, np.int64)  # the end of its second piece, -1 once there
    for r in range(shifts.shape[0]):
        row, o = shifts[r], out[r]
        for c in range(n_cols):
            lo, hi = col_start[c], col_start[c + 1]
            target = col_length[c] - row[c]
            while lo < hi:
                mid = (lo + hi) // 2
                if rel[mid] < target:
                    lo = mid + 1
                else:
                    hi = mid
            pos[c], stop_at[c], second[c] = lo, col_start[c + 1], lo
            offset[c] = col_first[c] + row[c] - col_length[c]
        for start in range(0, n, block):
            stop = min(start + block, n)
            o[start:stop] = 0.0
            for c in range(n_cols):
                i, end, off = pos[c], stop_at[c], offset[c]
                while True:
                    while i < end:
                        p = rel[i] + off
                        if p >= stop:
                            break
                        o[p] += 1.0
                        i += 1
                    if i < end or second[c] < 0:
                        break
                    i, end, off = col_start[c], second[c], off + col_length[c]  # the unwrapped piece
                    stop_at[c], offset[c], second[c] = end, off, -1
                pos[c] = i
            for b in range(start, stop):
                o[b] /= per_bin


#: Output bins filled at once by the circular-shift kernel (float64: 128 KiB, in a core's cache).
SHIFT_BLOCK = 16_384


def _shift_block(n_bins: int, n_spikes: int, n_columns: int) -> int:
    """Bins per block of :func:`_shifted_rates`: cache-sized, but never so few that visiting every column in every
    block costs more than the spikes themselves (many units times many runs)."""
    blocks = max(1, min(-(-n_bins // SHIFT_BLOCK), n_spikes // max(n_columns, 1)))
    return -(-n_bins // blocks)


def _chunks(prep: PreparedRate, n: int):
    per_row = max(prep.n_bins * (1 if prep.plan.tapers is None else prep.plan.tapers.shape[0]),
                  prep.data.n_spikes)
    chunk = max(1, min(n, _CHUNK_SAMPLES // per_row))
    return [(start, min(start + chunk, n)) for start in range(0, n, chunk)]


def null_spectra(prep: PreparedRate, null: str, n_surrogates: int, dither_window: float | None,
                 rng: np.random.Generator) -> np.ndarray:
    """Population spectra of surrogates of the prepared spikes, estimated as the data were.

    Parameters
    ----------
    prep : PreparedRate
        Selected spikes, binning and estimator (:func:`~synchro.spectral.prepare_rate`).
    null : str
        Surrogate family (``"circular_shift"``, ``"dither"``, ``"isi_shuffle"``, ...); circular shifts are
        drawn in whole bins, each unit within each observed stretch, so each unit's binned train is kept.
    n_surrogates : int
        Surrogates.
    dither_window : float or None
        Half-width of the dither (s), for ``null="dither"``.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    ndarray, shape (n_surrogates, n_freqs)
        PSD ((spikes/s)^2/Hz) on ``prep.plan.freqs``.
    """
    gen = rng
    data, n = prep.data, prep.n_bins
    if null == "circular_shift":
        # Shifting whole bins keeps each unit's binned train, hence its periodogram, exactly. With gaps, each
        # unit is shifted on its own inside each observed run (as surrogates.circular_shift does in time):
        # spikes never enter a gap, and each unit keeps its count in every run.
        bins, units = spike_bins(data, prep.bin_width, n)
        if prep.runs is None:  # one run: every spike's column is its unit (no per-spike run lookup on hours)
            runs, column = np.array([[0, n]]), units
        else:
            runs = prep.runs
            run = interval_index(bins, runs)
            inside = run >= 0
            bins, units, run = bins[inside] - runs[run[inside], 0], units[inside], run[inside]
            column = units * len(runs) + run  # nondecreasing: spikes are grouped by unit, in time within each
        n_columns = data.n_units * len(runs)
        col_start = np.searchsorted(column, np.arange(n_columns + 1))
        col_first = np.tile(runs[:, 0], data.n_units).astype(np.int64)
        col_length = np.tile(runs[:, 1] - runs[:, 0], data.n_units).astype(np.int64)
        block = _shift_block(n, bins.size, n_columns)
        per_bin = prep.rate_divisor  # counts to rates, as prep.rates divides
        shifts = np.stack([gen.integers(0, b - a, size=(n_surrogates, data.n_units)) for a, b in runs], axis=-1)
        shifts = shifts.reshape(n_surrogates, -1)  # column unit * n_runs + run
    if null == "circular_shift":
        def spectra(bounds):
            rates = np.empty((bounds[1] - bounds[0], n))  # each block zeroed by the kernel, in cache
            _shifted_rates(bins, col_start, col_first, col_length, shifts[bounds[0]:bounds[1]], block, per_bin,
                           rates)
            return prep.plan.psd(rates)[0]

        # The shifts are drawn: each chunk's spectra depend on nothing else, so two threads (the kernel and the
        # transforms release the GIL) give the same arrays in the same order.
        return np.concatenate(compiled.ordered_map(spectra, _chunks(prep, n_surrogates), samples=n * n_surrogates))
    out = []
    for start, stop in _chunks(prep, n_surrogates):
        times = surrogate_times(data, null=null, n_surrogates=stop - start, dither_window=dither_window, rng=gen)
        counts = binned_counts(times, data.t_start, prep.bin_width, n)
        out.append(prep.plan.psd(prep.rates(counts))[0])
    return np.concatenate(out)


def shot_noise_envelope(prep: PreparedRate, counts: np.ndarray, factor: int = 1) -> np.ndarray:
    """Slow level of the shot noise for the peak test's bootstrap: sqrt of the smoothed count over its mean,
    averaged over groups of ``factor`` bins (the bootstrap's decimation).

    Parameters
    ----------
    prep : PreparedRate
        Binning and observed stretches.
    counts : ndarray, shape (n_bins,)
        Population counts per bin.
    factor : int, default 1
        Bins averaged into one sample of the envelope.

    Returns
    -------
    ndarray
        Envelope (mean square about 1 over the analysed bins), smoothed with a Gaussian of
        :data:`ENVELOPE_WIDTH` seconds.

    Shot noise is as non-stationary as the rate: where the population fires more, its local spectrum is
    higher, so a Welch average over segments (or a taper's weighting) of unequal levels scatters more than
    chi-square with the nominal degrees of freedom. White noise under this envelope is still white in
    expectation: it adds the data's scatter, never a peak. With gaps, each observed run is smoothed on its
    own (a gap's empty bins are not a low rate) and the mean is over the analysed bins; the level in gaps is
    1, and unused, as the estimator takes no sample there.
    """
    from scipy.ndimage import gaussian_filter1d

    sigma = ENVELOPE_WIDTH / prep.bin_width
    if prep.runs is None:
        level = gaussian_filter1d(counts.astype(np.float64), sigma, mode="nearest")
    else:
        level = np.zeros(counts.size)
        for a, b in prep.runs:
            level[a:b] = gaussian_filter1d(counts[a:b].astype(np.float64), sigma, mode="nearest")
    n = level.size // factor
    level = level[: n * factor].reshape(n, factor).mean(axis=1)
    if prep.analysed is None:
        return np.sqrt(level / level.mean())
    used = prep.analysed[: n * factor].reshape(n, factor).all(axis=1)
    out = np.ones(n)
    out[used] = np.sqrt(level[used] / level[used].mean())
    return out

