"""The peak test: a spectral peak in one band against a parametric bootstrap of the aperiodic background."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy

from ..core import compiled
from ..errors import UsageError
from ..surrogates import monte_carlo_p
from ._fit import AperiodicFit, corrected_log, fit_aperiodic, fit_grid, fit_rows, goodness, make_fit
from ._model import Linearised, Model, log_spread

#: Smallest peak the test claims, in log10 power over the background (0.05: 12 %, 0.5 dB). The background is a
#: model: across a left-out band its interpolation misses a smooth spectrum by a few per cent (measured: +4 % on
#: a shared Ornstein-Uhlenbeck drive of 100 ms in alpha), which a bootstrap simulated from that model cannot
#: see. The null is therefore "no peak higher than this" (specparam's min_peak_height, tested).
MIN_PEAK_HEIGHT = 0.05
# Bootstrap series are simulated in chunks of at most this many samples, to bound memory.
_CHUNK_SAMPLES = 4_000_000
# Values per block of the Box-Muller transform on long rows (32 KiB of float32 per array, in a core's cache).
_NORMAL_BLOCK = 8192
# A local refit (band-excluded, from a nearby start): two rounds of peak exclusion, few iterations each.
_LOCAL = {"rounds": 2, "n_iter": 12, "exclude_from_start": True}
_MIN_RATIO = 10.0**MIN_PEAK_HEIGHT


def _band_peaks(ratio: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Statistic (largest local maximum of ``ratio`` in ``band``, 0 if none) per row, and the edge flag.

    A local maximum is ``ratio[i] >= ratio[i - 1]`` and ``ratio[i] > ratio[i + 1]`` with neighbours taken
    outside the band too, so a band-edge bin counts only if it stands above the bin beyond the edge; a band
    whose largest value sits on an edge and keeps rising beyond it is flagged ``edge``.
    """
    padded = np.pad(ratio, ((0, 0), (1, 1)), constant_values=-np.inf)
    centre, left, right = padded[:, 1:-1], padded[:, :-2], padded[:, 2:]
    local = (centre >= left) & (centre > right) & band
    stat = np.max(np.where(local, ratio, 0.0), axis=1)
    idx = np.flatnonzero(band)
    at = idx[np.argmax(ratio[:, idx], axis=1)]
    rows = np.arange(ratio.shape[0])
    top = ratio[rows, at]
    edge = ((at == idx[0]) & (left[rows, at] > top)) | ((at == idx[-1]) & (right[rows, at] > top))
    return stat, edge


@dataclass(frozen=True, eq=False)
class PeakTest:
    """A spectral peak in one band tested against a parametric bootstrap of the aperiodic background.

    Attributes
    ----------
    band : tuple of float
        Band ``[low, high)`` (Hz).
    peak_hz : float
        Frequency of the largest local maximum of ``psd / background`` in
        the band (Hz); NaN when the band holds none.
    ratio : float
        ``psd / background`` there, the statistic; NaN when the band holds no peak (which counts as 0 against
        the bootstrap).
    ratio_db : float
        ``10 log10(ratio)`` (dB).
    width_hz : float
        Full width at half maximum of the excess ``psd - background``
        around the peak (Hz).
    edge : bool
        The band's largest ratio sits on a band edge and keeps rising
        beyond it: a slope, not a peak.
    p_value : float
        ``(1 + #{h * bootstrap statistic >= ratio}) / (1 + n_boot)``, with
        ``h = 10**MIN_PEAK_HEIGHT`` (1.12): the null is a background with
        no peak higher than :data:`MIN_PEAK_HEIGHT`.
    threshold : float
        95th percentile of the bootstrap statistic, times ``h``.
    fit_p_value : float
        Goodness-of-fit p-value of the background: the share of bootstrap
        spectra fitted worse than the data (RMS residual).
    overshoot : float
        How far the background lies above the spectrum on the band's flanks
        (one band width on each side), in the estimator's log-spreads:
        ``-mean(min(0, log10(psd / background))) / spread``; about 0.4 for a
        background that follows the data, large when it cannot get under them
        there (then it cannot be trusted inside the band either).
    fit : AperiodicFit
        Background fitted with the band left out.
    n_boot : int
        Bootstrap spectra.
    """

    band: tuple[float, float]
    peak_hz: float
    ratio: float
    ratio_db: float
    width_hz: float
    edge: bool
    p_value: float
    threshold: float
    fit_p_value: float
    overshoot: float
    fit: AperiodicFit
    n_boot: int


def _fwhm(excess: np.ndarray, i: int, resolution: float) -> float:
    half = excess[i] / 2
    if not half > 0:
        return float("nan")
    lo = i
    while lo > 0 and excess[lo - 1] > half:
        lo -= 1
    hi = i
    while hi < excess.size - 1 and excess[hi + 1] > half:
        hi += 1
    # Linear interpolation of the half-height crossing on each side (one bin beyond when it exists).
    left = lo - (excess[lo] - half) / (excess[lo] - excess[lo - 1]) if lo > 0 else lo - 0.5
    right = hi + (excess[hi] - half) / (excess[hi] - excess[hi + 1]) if hi < excess.size - 1 else hi + 0.5
    return float((right - left) * resolution)


def _complex_normal(rng, shape, scale=None) -> np.ndarray:
    """Complex Gaussians with independent unit-variance real and imaginary parts, times ``scale`` (complex64).

    Box-Muller in polar form: modulus ``sqrt(-2 ln u1)``, phase ``2 pi u2``, which is exactly the complex
    Gaussian's, from two float32 uniforms; about a third of the cost of two ``standard_normal`` draws. The
    float32 uniforms bound the modulus at 5.8 (probability 6e-8 beyond it). ``scale`` (float32, optional)
    broadcasts to ``shape``. Long rows are transformed in blocks that stay in cache: the same operations on each value.
    """
    u = rng.random((2, *shape), dtype=np.float32)
    out = np.empty(shape, dtype=np.complex64)
    if shape[-1] < 2 * _NORMAL_BLOCK:
        _box_muller(u[0], u[1], out, scale)
        return out
    scale = None if scale is None else np.broadcast_to(scale, shape)
    for row in np.ndindex(*shape[:-1]):
        for first in range(0, shape[-1], _NORMAL_BLOCK):
            part = (*row, slice(first, first + _NORMAL_BLOCK))
            _box_muller(u[0][part], u[1][part], out[part], None if scale is None else scale[part])
    return out


def _box_muller(u1: np.ndarray, u2: np.ndarray, out: np.ndarray, scale: np.ndarray | None) -> None:
    modulus = np.sqrt(np.float32(-2.0) * np.log1p(-u1))
    phase = np.float32(2 * np.pi) * u2
    np.cos(phase, out=out.real)
    np.sin(phase, out=out.imag)
    out *= modulus
    if scale is not None:
        out *= scale


def _simulate(spectrum, model: Model, x: np.ndarray, independent, plan, envelope: np.ndarray,
              n_boot: int, rng):
    """Spectra of ``n_boot`` Gaussian series whose spectrum is the background of ``x`` (see :func:`peak_test`)."""
    n, fs = envelope.size, plan.fs
    f = np.fft.rfftfreq(n, 1.0 / fs)
    f[0] = f[1]  # the mean is removed by every estimator: the DC value is zeroed below
    slow = model.falling(x, f)[0]
    fast = model.white(x, f)[0]
    if independent is not None:
        fast = fast + np.interp(f, spectrum.freqs, independent)
    # One-sided PSD P -> Fourier amplitude sqrt(P fs n / 4) per real and imaginary part (sqrt(P fs n) at Nyquist).
    # Single precision: the bootstrap's scatter is chi-square, far above float32 rounding, at half the cost.
    scale = np.sqrt(np.stack([slow, fast]) * fs * n / 4).astype(np.float32)
    scale[:, 0] = 0.0
    if n % 2 == 0:
        scale[:, -1] *= np.sqrt(2.0)
    env = envelope.astype(np.float32)

    def spectra(z):
        series = scipy.fft.irfft(z, n, axis=-1, workers=compiled.FFT_WORKERS)
        return plan.psd(series[0] + env * series[1])[0]

    chunk = max(1, _CHUNK_SAMPLES // (2 * n))

    def draws():
        for first in range(0, n_boot, chunk):
            z = _complex_normal(rng, (2, min(n_boot - first, chunk), f.size), scale[:, None, :])
            if n % 2 == 0:
                z[..., -1] = z[..., -1].real
            yield z

    # Long series: the draws stay in order in this thread while a second one transforms the previous chunk.
    out = compiled.ordered_map(spectra, draws(), samples=n * n_boot)
    return np.concatenate(out)


@dataclass(frozen=True, eq=False)
class BackgroundSimulation:
    """Spectra of series simulated from one aperiodic background, on its fitted frequencies.

    Attributes
    ----------
    spectra : ndarray, shape (n_boot, n_freqs)
        Estimated PSD of each simulated series ((spikes/s)^2/Hz) on ``fit.freqs``.
    background : ndarray
        The background they were simulated from, ``fit.background``.
    fit : AperiodicFit
        The fit whose background was simulated.
    """

    spectra: np.ndarray
    background: np.ndarray
    fit: AperiodicFit


def simulate_background(spectrum, fit: AperiodicFit, *, independent, plan, envelope: np.ndarray,
                        n_boot: int, rng) -> BackgroundSimulation:
    """Simulate ``n_boot`` series from the background ``fit`` and estimate their spectra (see :func:`peak_test`).

    Parameters
    ----------
    spectrum : RateSpectrum
        Spectrum of the data (its frequency grid).
    fit : AperiodicFit
        Background to simulate, usually the whole-range fit.
    independent, plan, envelope, n_boot, rng : see peak_test
        As in :func:`peak_test` (independent-units spectrum, estimator plan,
        shot-noise envelope, number of series, random generator).

    Returns
    -------
    BackgroundSimulation
    """
    m, _ = fit_grid(spectrum, fit.freq_range, None)
    model = Model(fit.freqs, None if independent is None else np.asarray(independent, dtype=np.float64)[m])
    boot = _simulate(spectrum, model, fit.model_parameters(), independent, plan, envelope, n_boot, rng)
    return BackgroundSimulation(boot[:, m[:boot.shape[1]]].astype(np.float64), fit.background, fit)


def peak_test(spectrum, band: tuple[float, float], *, plan, envelope: np.ndarray, n_boot: int,
              rng, independent=None, freq_range: tuple[float, float] = (2.0, 200.0),
              start: AperiodicFit | None = None, simulation: BackgroundSimulation | None = None) -> PeakTest:
    """Test for a spectral peak in ``band`` above the aperiodic background, by parametric bootstrap.

    The background (:func:`fit_aperiodic`) is fitted with the band left
    out. Under the null hypothesis the band holds no peak: the population
    rate is the sum of a slow Gaussian fluctuation with the falling part's
    spectrum and a fast one (the independent and white parts) whose level
    follows the rate's slow ``envelope``, as shot noise does. ``n_boot``
    such series are simulated from the whole-range background (``start``)
    and estimated exactly as the data were (so the estimator's smoothing
    and scatter are in the null, :func:`simulate_background`); their spectra
    are scaled bin by bin to this band's null, its background plus the
    data's own peaks outside the band (the bins the fit left out), so one
    simulation serves every band of a population. Each is refitted by the
    same local procedure as the data (band left out, peaks excluded, the
    same Levenberg-Marquardt iterations) on the model linearised at the
    band's background, and reduced to the same statistic, the largest
    local maximum of ``psd / background`` in the band. The data's statistic
    must exceed a bootstrap statistic by more than :data:`MIN_PEAK_HEIGHT`
    (log10) to count against it: the bootstrap is simulated from the
    background model and so cannot see how far that model, interpolated
    across the band, misses a real smooth spectrum.

    Parameters
    ----------
    spectrum : RateSpectrum
        Spectrum of the data.
    band : (float, float)
        ``[low, high)`` in Hz, inside ``freq_range``.
    plan : EstimatorPlan
        The estimator laid out as for the data's spectrum
        (:class:`synchro.spectral.EstimatorPlan`, possibly
        :meth:`~synchro.spectral.EstimatorPlan.decimated`): ``plan.psd(series)``
        gives the PSD of each row of ``series`` (shape ``(rows, n_samples)``,
        sampled at ``plan.fs`` Hz), as the data's spectrum
        was estimated, on the first bins of ``spectrum.freqs`` (at least up
        to ``freq_range[1]``).
    envelope : ndarray, shape (n_samples,)
        Slow level of the shot noise at ``plan.fs`` (mean square 1): the square
        root of the smoothed population count over its mean.
    n_boot : int
        Bootstrap series.
    rng : numpy.random.Generator
        Random source.
    independent : array_like, optional
        Independent-units spectrum on ``spectrum.freqs`` (see
        :func:`fit_aperiodic`).
    freq_range : (float, float), default (2, 200)
        Frequencies of the background fit (Hz).
    start : AperiodicFit, optional
        Whole-range fit to start the band's fit from and to simulate; fitted
        here by default.
    simulation : BackgroundSimulation, optional
        ``simulate_background(spectrum, start, ...)`` with the same
        ``independent``, ``plan``, ``envelope`` and ``n_boot``,
        shared by the bands of one spectrum; simulated here by default.

    Returns
    -------
    PeakTest

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap,
    ch. 6 (parametric bootstrap). Chapman & Hall.
    Percival, D. B. & Walden, A. T. (1993). Spectral Analysis for Physical
    Applications, ch. 6 (sampling distribution of spectral estimates).
    """
    lo, hi = (float(b) for b in band)
    m, allowed = fit_grid(spectrum, freq_range, (lo, hi))
    f, dof = spectrum.freqs[m], spectrum.dof[m]
    in_band = (f >= lo) & (f < hi)
    if independent is not None:
        independent = np.asarray(independent, dtype=np.float64)
    model = Model(f, None if independent is None else independent[m])
    y = corrected_log(spectrum.psd[m], dof)[None, :]
    if start is None:
        start = fit_aperiodic(spectrum, independent=independent, freq_range=freq_range)
    if not np.array_equal(start.freqs, f) or (simulation is not None and simulation.spectra.shape[1] != f.size):
        raise UsageError(f"start and simulation must come from a fit over the same freq_range as the test, "
                         f"{freq_range}; got {start.freq_range}")
    # Data and bootstrap are refitted alike: locally, with the band left out, from a nearby start (the data
    # from the whole-range fit, each bootstrap spectrum from the data's band-excluded fit that made it).
    x, keep = fit_rows(model, y, dof, allowed, start.model_parameters(), **_LOCAL)
    fit = make_fit(model, x[0], y[0], dof, allowed, keep[0], freq_range, (lo, hi))
    ratio = spectrum.psd[m][None, :] / fit.background
    stat, edge = _band_peaks(ratio, in_band)

    # The null is "no peak in this band", not "no peak anywhere": peaks the fit left out elsewhere stay in the
    # null spectrum, so that the bootstrap fits meet them as the data's fit did.
    elsewhere = allowed & ~keep[0]
    null = fit.background.copy()
    null[elsewhere] = np.maximum(spectrum.psd[m][elsewhere], null[elsewhere])
    if simulation is None:
        simulation = simulate_background(spectrum, start, independent=independent, plan=plan,
                                         envelope=envelope, n_boot=n_boot, rng=rng)
    # The simulated spectra scatter about the background they were drawn from; scaled bin by bin they scatter
    # about this band's null (both smooth, so the estimator's smoothing commutes with the scaling).
    boot = simulation.spectra * (null / simulation.background)
    y_boot = corrected_log(boot, dof)
    # Each bootstrap spectrum is refitted as the data were (locally, band left out, peaks excluded, the same
    # Levenberg-Marquardt), on the model linearised at the background it was drawn from.
    linear = Linearised(model, x)
    theta, _ = fit_rows(linear, y_boot, dof, allowed, np.repeat(linear.theta0, boot.shape[0], axis=0), **_LOCAL)
    log_boot = linear.log(theta)
    stat_boot, _ = _band_peaks(boot / 10.0**log_boot, in_band)
    scale = log_spread(dof)
    gof_boot = goodness(log_boot, y_boot, allowed, scale)

    flanks = allowed & (f >= 2 * lo - hi) & (f < 2 * hi - lo)  # one band width on each side
    overshoot = float(-np.mean(np.minimum(y[0, flanks] - np.log10(fit.background[flanks]), 0.0)) / scale)
    nan = float("nan")
    peak_hz = width = nan
    if stat[0] > 0:
        peak = int(np.flatnonzero(in_band & (ratio[0] == stat[0]))[0])
        peak_hz, width = float(f[peak]), _fwhm(spectrum.psd[m] - fit.background, peak, spectrum.resolution)
    return PeakTest(
        band=(lo, hi), peak_hz=peak_hz, ratio=float(stat[0]) if stat[0] > 0 else nan,
        ratio_db=float(10 * np.log10(stat[0])) if stat[0] > 0 else nan, width_hz=width, edge=bool(edge[0]),
        p_value=monte_carlo_p(stat_boot * _MIN_RATIO, stat[0]),
        threshold=float(np.quantile(stat_boot, 0.95) * _MIN_RATIO),
        fit_p_value=monte_carlo_p(gof_boot, fit.rms_residual), overshoot=overshoot,
        fit=fit, n_boot=int(n_boot))
