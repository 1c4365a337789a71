"""The independence test's surrogate spectra and the peak test's shot-noise envelope.

Both act on a :class:`~synchro.spectral.PreparedRate`, so surrogates are
binned and estimated exactly as the data were.
"""

from __future__ import annotations

import numpy as np

from ..core import interval_index
from ..core.binning import binned_counts
from ..core.compiled import jit
from ..spectral import PreparedRate, spike_bins
from ..surrogates import surrogate_times

__all__ = ["null_spectra", "shot_noise_envelope", "ENVELOPE_WIDTH"]

#: Smoothing (s) of the rate envelope that scales the bootstrap's sampling noise (see :func:`shot_noise_envelope`).
ENVELOPE_WIDTH = 0.05
# Surrogates are processed in chunks of at most this many samples (x tapers) or spikes, to bound memory.
_CHUNK_SAMPLES = 4_000_000


@jit
def _shifted_counts(bins, column, first, length, shifts, out):
    # Circular shift of each unit by its own s bins inside each observed run of bins, summed over units:
    # O(n_spikes) per surrogate. Per spike: bins[i] relative to its run's first bin, first[i] and length[i]
    # of that run, column[i] its (unit, run) column of shifts.
    for r in range(shifts.shape[0]):
        row = shifts[r]
        for i in range(bins.size):
            b = bins[i] + row[column[i]]
            out[r, first[i] + (b - length[i] if b >= length[i] else b)] += 1.0



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
        runs = np.array([[0, n]]) if prep.runs is None else prep.runs
        bins, units = spike_bins(data, prep.bin_width, n)
        run = interval_index(bins, runs)
        inside = run >= 0
        bins, units, run = bins[inside] - runs[run[inside], 0], units[inside], run[inside]
        first, length, column = runs[run, 0], runs[run, 1] - runs[run, 0], units * len(runs) + run
        shifts = np.stack([gen.integers(0, b - a, size=(n_surrogates, data.n_units)) for a, b in runs], axis=-1)
        shifts = shifts.reshape(n_surrogates, -1)  # column unit * n_runs + run
    out = []
    for start, stop in _chunks(prep, n_surrogates):
        if null == "circular_shift":
            counts = np.zeros((stop - start, n))
            _shifted_counts(bins, column, first, length, shifts[start:stop], counts)
        else:
            times = surrogate_times(data, null=null, n_surrogates=stop - start, dither_window=dither_window,
                                    rng=gen)
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

