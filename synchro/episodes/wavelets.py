"""Morlet wavelet power of the population rate over its aperiodic background, and its Gaussian null.

A Morlet wavelet of centre ``f`` (Hz) and ``n_cycles`` cycles has a Gaussian envelope of standard deviation
``sigma_t = n_cycles / (2 pi f)`` in time and ``sigma_f = f / n_cycles`` in frequency. It is applied in the
frequency domain, analytic (positive frequencies only), ``Psi_f(nu) = exp(-(nu - f)^2 / (2 sigma_f^2))``, and
read out every ``d`` bins: with ``n = d m`` FFT bins, the transform at every ``d``-th sample is exactly the
``m``-point inverse FFT of the product folded modulo ``m`` (divided by ``d``), so a coarse time grid costs no
accuracy.

The expected power of a Gaussian series of one-sided PSD ``P`` is ``(fs / (2 n)) sum_k P(nu_k) |Psi_f(nu_k)|^2``;
the shot-noise (fast) part of the background is scaled by the local firing rate, the population rate smoothed
with a Gaussian of SD ``max(sigma_t / sqrt(2), ENVELOPE_WIDTH)`` (the wavelet's own power envelope, at least the
peak test's 50 ms), because the variance of spike counts follows their mean.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy

from ..core.compiled import FFT_WORKERS
from ..rhythms import ENVELOPE_WIDTH

__all__ = ["band_freqs", "sigma_t", "morlet_kernels", "decimation", "cone", "transform", "null_heights", "opening",
           "smoothed_max", "bridged", "calibrate", "flags", "NULL_SECONDS", "TAIL_LEVELS", "SPACING", "SUPPORT_SD",
           "CONE_SD"]

#: Spacing of the wavelet centres in log frequency, in units of their relative bandwidth ``sigma_f / f``: a
#: rhythm midway between two centres keeps exp(-(SPACING / 2)^2) = 87 % of its power.
SPACING = 0.75
#: Length (s) of each simulated null series (circular: a stationary null has no edges).
NULL_SECONDS = 10.0
#: The wavelets are taken as zero beyond this many sigma_f from their centre (exp(-18) of their peak).
SUPPORT_SD = 6.0
#: Cone of influence: samples closer to an edge of an observed stretch than this many sigma_t of the band's
#: lowest wavelet are not assessed (the wavelet's power beyond it is 0.2 % of the whole).
CONE_SD = 2.0
#: Multiples of alpha at which the share of null time flagged is measured and its exponential tail fitted.
TAIL_LEVELS = (32.0, 16.0, 8.0, 4.0)
# Null series transformed at once (bounds memory: n_freqs x _CHUNK x samples complex64).
_CHUNK = 25


def band_freqs(band: tuple[float, float], n_cycles: float) -> np.ndarray:
    """Wavelet centres (Hz) in ``[low, high)``, log-spaced by ``SPACING`` times the relative bandwidth ``1 / n_cycles``.

    Parameters
    ----------
    band : (float, float)
        Band in Hz.
    n_cycles : float
        Cycles per wavelet.

    Returns
    -------
    ndarray
    """
    lo, hi = band
    step = SPACING / n_cycles
    n = max(2, math.ceil(math.log(hi / lo) / step))
    return lo * np.exp(np.log(hi / lo) * np.arange(n) / n)


def sigma_t(freqs, n_cycles: float):
    """Temporal SD (s) of the Morlet wavelets at ``freqs`` (Hz): ``n_cycles / (2 pi f)``.

    Parameters
    ----------
    freqs : float or ndarray
        Centres (Hz).
    n_cycles : float
        Cycles per wavelet.

    Returns
    -------
    float or ndarray
    """
    return n_cycles / (2 * np.pi * np.asarray(freqs, dtype=np.float64))


def decimation(fs: float, band: tuple[float, float]) -> int:
    """Bins per output sample: about a quarter period of the band's top frequency, at most 10 ms.

    Parameters
    ----------
    fs : float
        Sampling rate of the rate (Hz).
    band : (float, float)
        Band (Hz).

    Returns
    -------
    int
    """
    return max(1, int(min(fs / (4.0 * band[1]), 0.01 * fs)))


def cone(band: tuple[float, float], n_cycles: float) -> float:
    """Cone of influence (s) at each edge of an observed stretch: ``CONE_SD`` sigma_t of the band's lowest wavelet.

    Parameters
    ----------
    band : (float, float)
        Band (Hz).
    n_cycles : float
        Cycles per wavelet.

    Returns
    -------
    float
    """
    return float(CONE_SD * sigma_t(band[0], n_cycles))


def morlet_kernels(freqs: np.ndarray, n_cycles: float, grid: np.ndarray) -> np.ndarray:
    """Analytic Morlet wavelets ``Psi_f(nu) = exp(-(nu - f)^2 / (2 sigma_f^2))`` for ``nu > 0``, 0 elsewhere.

    Parameters
    ----------
    freqs : ndarray
        Centres (Hz).
    n_cycles : float
        Cycles per wavelet (``sigma_f = f / n_cycles``).
    grid : ndarray
        Frequencies (Hz) at which they are evaluated; negative ones allowed (they get 0).

    Returns
    -------
    ndarray, shape (len(freqs), len(grid))
    """
    sf = freqs[:, None] / n_cycles
    psi = np.exp(-0.5 * ((grid[None, :] - freqs[:, None]) / sf) ** 2)
    psi[:, grid <= 0] = 0.0
    return psi


def _expected(psi, parts, fs, n):
    """Expected wavelet power of a Gaussian series per part: (fs / (2 n)) sum_k P(nu_k) |Psi(nu_k)|^2."""
    return [(fs / (2.0 * n)) * (psi**2 @ p) for p in parts]


def transform(x: np.ndarray, mean_rate: float, freqs: np.ndarray, n_cycles: float, fs: float, d: int,
              background) -> np.ndarray:
    """Normalised Morlet power of one observed stretch ``x`` (rate, spikes/s per unit) every ``d`` samples.

    Parameters
    ----------
    x : ndarray
        The rate over one observed stretch (no gaps), at ``fs`` Hz.
    mean_rate : float
        The whole recording's mean rate (Hz), the level at which the fast part of the background holds.
    freqs : ndarray
        Wavelet centres (Hz).
    n_cycles : float
        Cycles per wavelet.
    fs : float
        Sampling rate (Hz).
    d : int
        Samples per output sample.
    background : callable
        ``background(nu) -> (slow, fast)`` PSDs ((spikes/s)^2/Hz) at frequencies ``nu`` > 0.

    Returns
    -------
    ndarray, shape (n_freqs, ceil(len(x) / d))
        ``|W|^2 / (E_slow + level(t) E_fast)``; ``level`` is the rate smoothed with a Gaussian of SD
        ``max(sigma_t / sqrt(2), ENVELOPE_WIDTH)`` over ``mean_rate``. The stretch is mean-removed and
        zero-padded by 4 sigma_t of the lowest wavelet, so the transform is the linear convolution (edges are
        the caller's cone of influence).
    """
    n_x = x.size
    pad = int(math.ceil(4 * sigma_t(freqs.min(), n_cycles) * fs))
    m = scipy.fft.next_fast_len(-(-(n_x + pad) // d))
    n = m * d
    mean = float(x.mean())
    spec = scipy.fft.fft(x - mean, n, workers=FFT_WORKERS)
    df = fs / n
    n_out = -(-n_x // d)
    out = np.empty((freqs.size, n_out))
    level, level_sd = None, None
    # One wavelet at a time, on its own support: memory stays O(n) however long the stretch.
    for i, (f, st) in enumerate(zip(freqs, sigma_t(freqs, n_cycles))):
        k = np.arange(max(1, int((f - SUPPORT_SD * f / n_cycles) / df)),
                      min(n // 2, int((f + SUPPORT_SD * f / n_cycles) / df) + 2))
        psi = morlet_kernels(np.array([f]), n_cycles, k * df)[0]
        slow, fast = background(k * df)
        e_slow, e_fast = _expected(psi[None, :], (slow, fast), fs, n)
        w = scipy.fft.ifft(_fold(spec[k] * psi, k, m), workers=FFT_WORKERS)[:n_out] / d
        # The rate under the wavelet's power envelope |psi_f(t)|^2 (a Gaussian of SD sigma_t / sqrt(2)), smoothed
        # at least as much as the peak test's envelope: a level estimated from few spikes is noisy, and dividing
        # by a noisy level biases the ratio upwards (Jensen). Transfer exp(-2 pi^2 nu^2 sd^2), negligible
        # (exp(-36)) beyond 6 / (sqrt(2) pi sd).
        sd = max(st / np.sqrt(2), ENVELOPE_WIDTH)
        if sd != level_sd:  # the wavelets above a few Hz share the floor's smoothing, hence one level
            top = min(n // 2, int(6 / (np.sqrt(2) * np.pi * sd) / df) + 1)
            j = np.r_[np.arange(top + 1), np.arange(n - top, n)]
            nu = np.where(j <= n // 2, j, j - n) * df
            gauss = np.exp(-2 * (np.pi * nu * sd) ** 2)
            level = scipy.fft.ifft(_fold(spec[j] * gauss, j, m), workers=FFT_WORKERS)[:n_out].real / d
            level, level_sd = np.maximum(level + mean, 0.0) / mean_rate, sd
        expected = np.maximum(e_slow[0] + level * e_fast[0], np.finfo(float).tiny)
        out[i] = (w.real**2 + w.imag**2) / expected
    return out


def _fold(values: np.ndarray, k: np.ndarray, m: int) -> np.ndarray:
    """Spectrum values at FFT bins ``k`` summed modulo ``m``: the spectrum of every ``n / m``-th sample, times
    ``n / m``."""
    out = np.zeros(m, dtype=np.complex128)
    np.add.at(out, k % m, values)
    return out


@lru_cache(maxsize=16)
def _unit_draws(seed: int, n_series: int, n_bins: int) -> np.ndarray:
    """Complex unit Gaussians for the null, cached per seed (the same int seed gives the same null draws)."""
    gen = np.random.default_rng(seed)
    out = gen.standard_normal((n_series, n_bins, 2)).astype(np.float32)
    out.setflags(write=False)
    return out


def null_heights(freqs: np.ndarray, n_cycles: float, fs: float, d: int, background, n_series: int, seed: int,
                 length: int, width: int) -> np.ndarray:
    """Opened band-maximum of the normalised power of ``n_series`` Gaussian null series of the background.

    Each series is circular, ``NULL_SECONDS`` long, Gaussian with the background's spectrum (slow plus fast
    part at the mean rate), drawn directly as Fourier coefficients on the wavelets' support, and transformed
    and normalised exactly as the data.

    Parameters
    ----------
    freqs, n_cycles, fs, d, background
        As in :func:`transform`.
    n_series : int
        Null series.
    seed : int
        Seed of the unit Gaussian draws (cached per seed).
    length : int
        Minimum duration in output samples (odd), the opening's length.
    width : int
        Samples averaged by :func:`smoothed_max`.

    Returns
    -------
    ndarray, shape (n_series, m)
        The :func:`opening` of each null series' band statistic (:func:`smoothed_max`): the threshold below
        which each sample lies in a core.
    """
    m = scipy.fft.next_fast_len(int(math.ceil(NULL_SECONDS * fs / d)))
    n = m * d
    df = fs / n
    k_lo = max(1, int(math.floor((freqs.min() * (1 - SUPPORT_SD / n_cycles)) / df)))
    k_hi = int(math.ceil(freqs.max() * (1 + SUPPORT_SD / n_cycles) / df)) + 1
    k_hi = min(k_hi, n // 2)
    k = np.arange(k_lo, k_hi)
    nu = k * df
    slow, fast = background(nu)
    total = slow + fast
    psi = morlet_kernels(freqs, n_cycles, nu)
    (expected,) = _expected(psi, (total,), fs, n)
    z = _unit_draws(seed, n_series, k.size)
    coef = ((z[..., 0] + 1j * z[..., 1]) * np.sqrt(n * fs * total / 4.0)).astype(np.complex64)  # E|X_k|^2 = n fs P / 2
    idx = k % m
    unique = np.unique(idx).size == idx.size
    stat = np.empty((n_series, m))
    for first in range(0, n_series, _CHUNK):
        rows = slice(first, min(first + _CHUNK, n_series))
        folded = np.zeros((len(freqs), rows.stop - rows.start, m), dtype=np.complex64)
        product = coef[None, rows, :] * psi[:, None, :]
        if unique:
            folded[:, :, idx] = product
        else:
            for i in range(len(freqs)):
                np.add.at(folded[i], (slice(None), idx), product[i])
        w = scipy.fft.ifft(folded, axis=-1, workers=FFT_WORKERS) / d
        stat[rows] = smoothed_max((w.real**2 + w.imag**2) / expected[:, None, None], width, circular=True)
    return opening(stat, length, circular=True)


def smoothed_max(z: np.ndarray, width: int, *, circular: bool = False) -> np.ndarray:
    """The band's statistic: the maximum over wavelets of the normalised power, averaged over ``width`` samples.

    Averaging over about one cycle keeps a rhythm's episode whole where the power of a noisy estimate dips for
    a moment, and lowers the null's spread.

    Parameters
    ----------
    z : ndarray, shape (n_freqs, ..., n_times)
        Normalised power.
    width : int
        Moving-average length in samples.
    circular : bool, default False
        Wrap around (a circular null series); otherwise the edges are extended (the edges are in the cone).

    Returns
    -------
    ndarray, shape (..., n_times)
    """
    return scipy.ndimage.uniform_filter1d(z.max(axis=0), width, axis=-1, mode="wrap" if circular else "nearest")


def bridged(flagged: np.ndarray, gap: int, *, circular: bool = False) -> np.ndarray:
    """Flagged samples with every unflagged gap shorter than ``gap`` samples between flagged ones filled.

    A morphological closing (dilation, then erosion, by ``gap + 1`` samples, odd); outside a non-circular
    array counts as flagged for the erosion, so an edge is never eaten.

    Parameters
    ----------
    flagged : ndarray of bool
        Along the last axis.
    gap : int
        Longest gap filled, in samples.
    circular : bool, default False
        Wrap around.

    Returns
    -------
    ndarray of bool
    """
    size = gap + 1 + gap % 2
    x = flagged.astype(np.uint8)
    if circular:
        grown = scipy.ndimage.maximum_filter1d(x, size, axis=-1, mode="wrap")
        return scipy.ndimage.minimum_filter1d(grown, size, axis=-1, mode="wrap") > 0
    grown = scipy.ndimage.maximum_filter1d(x, size, axis=-1, mode="constant", cval=0)
    return scipy.ndimage.minimum_filter1d(grown, size, axis=-1, mode="constant", cval=1) > 0


def calibrate(heights: np.ndarray, alpha: float, gap: int) -> tuple[float, np.ndarray]:
    """The threshold whose bridged flags cover a share ``alpha`` of null time, from an exponential fit of the tail.

    The share of null time flagged (:func:`flags`) is measured at the thresholds that leave ``TAIL_LEVELS``
    times ``alpha`` of the heights above them, where the null holds many episodes; ``log(share)`` is fitted as
    a straight line in the threshold (the tail of the power of a Gaussian series is exponential) and solved at
    ``alpha``. A quantile read at ``alpha`` itself rests on a handful of null episodes, and its noise, through
    the convex tail, biases the share flagged upwards.

    Parameters
    ----------
    heights : ndarray, shape (n_series, n_times)
        :func:`opening` of the null statistic (circular series).
    alpha : float
        Share of null time flagged.
    gap : int
        Gaps bridged (:func:`bridged`), in samples.

    Returns
    -------
    threshold : float
    shares : ndarray
        The shares of null time flagged at the fitted thresholds (for the record).
    """
    flat = heights.ravel()
    tails = alpha * np.asarray(TAIL_LEVELS)
    top = max(2, int(np.ceil(tails.max() * flat.size)) + 1)
    upper = np.sort(np.partition(flat, flat.size - top)[flat.size - top:])[::-1]
    levels = upper[np.minimum(upper.size - 1, np.ceil(tails * flat.size).astype(int))]
    shares = np.array([flags(heights, v, gap, circular=True).mean() for v in levels])
    ok = shares > 0
    if ok.sum() < 2 or np.ptp(levels[ok]) <= 0:
        return float(levels[-1]), shares
    slope, intercept = np.polyfit(levels[ok], np.log(shares[ok]), 1)
    if not slope < 0:
        return float(levels[-1]), shares
    return float((np.log(alpha) - intercept) / slope), shares


def flags(heights: np.ndarray, threshold: float, gap: int, *, circular: bool = False) -> np.ndarray:
    """The samples in episodes: cores (``heights > threshold``, runs of the statistic above the threshold for at
    least the minimum duration) with gaps shorter than ``gap`` between them bridged.

    Parameters
    ----------
    heights : ndarray
        :func:`opening` of the band statistic, along the last axis.
    threshold : float
        The threshold.
    gap : int
        Gaps bridged, in samples (:func:`bridged`).
    circular : bool, default False
        Wrap around in the bridging (a circular null series).

    Returns
    -------
    ndarray of bool, the shape of ``heights``
    """
    return bridged(heights > threshold, gap, circular=circular)


def opening(z: np.ndarray, length: int, *, circular: bool = False) -> np.ndarray:
    """The height ``h(t)`` below which a threshold flags ``t``: the largest, over windows of ``length`` samples
    holding ``t``, of the window's minimum of ``z`` (a morphological opening).

    A sample lies in a run of ``z > threshold`` at least ``length`` samples long exactly when ``h > threshold``,
    so the share of time an episode rule flags is the share of ``h`` above the threshold, and its calibration
    is a quantile of ``h`` under the null.

    Parameters
    ----------
    z : ndarray
        Values along the last axis.
    length : int
        Window length in samples (odd).
    circular : bool, default False
        Wrap around (a circular null series); otherwise outside counts as below every threshold.

    Returns
    -------
    ndarray
    """
    mode = {"mode": "wrap"} if circular else {"mode": "constant", "cval": -np.inf}
    shrunk = scipy.ndimage.minimum_filter1d(z, length, axis=-1, **mode)
    return scipy.ndimage.maximum_filter1d(shrunk, length, axis=-1, **mode)
