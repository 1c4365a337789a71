"""Population rate and its power spectrum (the aperiodic background is :mod:`synchro.aperiodic`).

The spectrum of spiking is taken from the population rate binned at 1 ms
or finer, never from a smoothed rate: a Gaussian kernel of width sigma
multiplies the spectrum by ``exp(-(2 pi f sigma)^2)`` (a 5 ms kernel removes
80 % of the power at 40 Hz), and bins wider than 1 ms attenuate (``sinc^2``)
and alias everything above ``1 / (2 bin_width)``.

Normalisation used throughout: the population rate is
``r(t) = count(t) / (n_units * bin_width)`` in spikes/s per unit, its mean is
removed, and the one-sided power spectral density is in (spikes/s)^2/Hz,
integrating over ``[0, fs/2]`` to the variance of ``r`` (scipy's
``scaling="density"`` convention). For ``N`` independent Poisson trains of
mean rate ``nu`` the binned counts are white with variance
``N nu bin_width``, so ``r`` has variance ``nu / (N bin_width)`` and the
one-sided PSD is flat at ``2 nu / N``: the expected floor reported with
every spectrum. Refractory trains approach the same level at high frequency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import fft, signal, stats

from ._json import jsonable
from ._plotting import new_axes
from ._validate import positive_seconds, require_spikes
from .core import SpikeData, check_bin_count
from .errors import NothingToAnalyseError, UsageError

__all__ = [
    "PopulationRate",
    "RateSpectrum",
    "population_rate",
    "rate_spectrum",
    "SPECTRAL_METHODS",
    "MAX_SPECTRAL_BIN_WIDTH",
]

#: Widest bin (s) from which a spectrum is taken.
MAX_SPECTRAL_BIN_WIDTH = 0.001
#: Spectral estimators of :func:`rate_spectrum`.
SPECTRAL_METHODS = ("welch", "multitaper")

# A spike this close (in bins) below a bin edge counts in the later bin, so that
# simulator times on a grid of bin_width (k * dt in floating point) bin exactly.
_EDGE_TOLERANCE = 1e-9


def _select(data: SpikeData, population, column: str, discard: float = 0.0) -> SpikeData:
    require_spikes(data)
    if population is not None:
        data = data.select(population=population, column=column)
    discard = float(discard)
    if discard:
        if not 0.0 < discard < data.duration:
            raise UsageError(f"discard must lie in [0, {data.duration:g}) s, the recording's duration; got {discard:g}")
        data = data.restrict(data.t_start + discard, data.t_stop)
    if data.n_units == 0 or data.n_spikes == 0:
        raise NothingToAnalyseError(f"no spikes to analyse ({data.n_units} units, {data.n_spikes} spikes after "
                                    "selection); choose another population or time window")
    return data


def _n_bins(data: SpikeData, bin_width) -> int:
    bin_width = positive_seconds("bin_width", bin_width)
    n = check_bin_count(int(np.floor(data.duration / bin_width + _EDGE_TOLERANCE)), bin_width, data.duration)
    if n < 2:
        raise UsageError(f"bin_width {bin_width:g} s leaves fewer than 2 bins in {data.duration:g} s; use a smaller "
                         "bin_width or a longer recording")
    return n


def _check_spectral_bin_width(bin_width: float) -> None:
    if float(bin_width) > MAX_SPECTRAL_BIN_WIDTH * (1 + 1e-9):
        raise UsageError(f"bin_width {bin_width:g} s is too coarse for a spectrum: bins longer than 1 ms attenuate "
                         f"power (sinc^2) and alias everything above {0.5 / bin_width:g} Hz; use bin_width <= 0.001")


def _spike_bins(data: SpikeData, bin_width: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index and unit row of every spike inside the ``n_bins`` whole bins."""
    bins = np.floor((data.times - data.t_start) / bin_width + _EDGE_TOLERANCE).astype(np.int64)
    keep = bins < n_bins  # spikes in a last partial bin are left out with it
    return bins[keep], data.unit_index[keep]


def _counts(times: np.ndarray, t_start: float, bin_width: float, n_bins: int) -> np.ndarray:
    """Population spike counts of each row of ``times`` (shape (..., n_spikes)) -> (..., n_bins) float64."""
    times = np.atleast_2d(times)
    bins = np.floor((times - t_start) / bin_width + _EDGE_TOLERANCE).astype(np.int64)
    np.minimum(bins, n_bins, out=bins)  # one overflow bin collects the partial last bin, dropped below
    bins += (n_bins + 1) * np.arange(times.shape[0])[:, None]
    flat = np.bincount(bins.ravel(), minlength=times.shape[0] * (n_bins + 1)).astype(np.float64)
    return flat.reshape(times.shape[0], n_bins + 1)[:, :n_bins]


# Population rate ---------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PopulationRate:
    """Binned population rate, in spikes/s per unit.

    Attributes
    ----------
    rate : ndarray
        ``count / (n_units * bin_width)`` in each bin (spikes/s per unit).
    t_start : float
        Left edge of the first bin (s).
    bin_width : float
        Bin width (s).
    n_units : int
        Units averaged (silent ones included).
    population : str or None
        Population selected, ``None`` for all units.
    """

    rate: np.ndarray
    t_start: float
    bin_width: float
    n_units: int
    population: str | None = None

    @property
    def times(self) -> np.ndarray:
        """Bin centres (s)."""
        return self.t_start + (np.arange(self.rate.size) + 0.5) * self.bin_width

    @property
    def fs(self) -> float:
        """Sampling rate of the binned rate (Hz)."""
        return 1.0 / self.bin_width

    def smoothed(self, width: float) -> np.ndarray:
        """Rate convolved with a Gaussian of standard deviation ``width`` (s), for display only.

        Smoothing multiplies the spectrum by ``exp(-(2 pi f width)^2)``; spectra
        are never taken from it.

        Parameters
        ----------
        width : float
            Standard deviation of the kernel in seconds.

        Returns
        -------
        ndarray
            Smoothed rate (spikes/s per unit), same bins as :attr:`rate`.
        """
        from scipy.ndimage import gaussian_filter1d

        width = float(width)
        if not width > 0:
            raise UsageError(f"smoothing width must be a positive number of seconds; got {width}")
        return gaussian_filter1d(self.rate, width / self.bin_width, mode="nearest")

    def summary(self) -> str:
        """One line: population, bins, mean and SD of the rate.

        Returns
        -------
        str
        """
        who = self.population or "all units"
        return (f"population rate ({who}, {self.n_units} units): {self.rate.size} bins of {self.bin_width * 1e3:g} ms, "
                f"mean {self.rate.mean():.3g} Hz, SD {self.rate.std():.3g} Hz")

    def to_dict(self) -> dict:
        """Method, parameters and summary statistics (the series itself is left out).

        Returns
        -------
        dict
            JSON-safe record.
        """
        return {"method": "population_rate", "normalisation": "count / (n_units * bin_width)",
                "parameters": {"bin_width": self.bin_width, "population": self.population},
                "t_start": self.t_start, "n_bins": int(self.rate.size), "n_units": self.n_units,
                "mean_hz": float(self.rate.mean()), "sd_hz": float(self.rate.std())}

    def plot(self, ax=None, *, smooth: float = 0.005):
        """Plot the binned rate and its Gaussian-smoothed version.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.
        smooth : float, default 0.005
            SD of the display kernel (s).

        Returns
        -------
        matplotlib.axes.Axes
        """

        ax = new_axes(ax)
        ax.plot(self.times, self.rate, color="0.75", lw=0.5, label=f"{self.bin_width * 1e3:g} ms bins")
        ax.plot(self.times, self.smoothed(smooth), color="C0", lw=1, label=f"Gaussian {smooth * 1e3:g} ms")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("rate (spikes/s per unit)")
        ax.legend(loc="upper right", fontsize="small")
        return ax


def population_rate(data: SpikeData, *, bin_width: float = 0.001, population: str | None = None,
                    column: str = "population") -> PopulationRate:
    """Population rate from spike counts in bins.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    bin_width : float, default 0.001
        Bin width in seconds. Any width is accepted for display; spectra
        (:func:`rate_spectrum`) require at most 1 ms.
    population : str, optional
        Keep only units whose ``column`` equals this value.
    column : str, default "population"
        Unit-table column that ``population`` refers to.

    Returns
    -------
    PopulationRate
        ``rate = count / (n_units * bin_width)`` (spikes/s per unit) over the
        ``floor(duration / bin_width)`` whole bins from ``t_start``; spikes
        in a last partial bin are left out.
    """
    data = _select(data, population, column)
    n = _n_bins(data, bin_width)
    rate = _counts(data.times, data.t_start, bin_width, n)[0] / (data.n_units * bin_width)
    return PopulationRate(rate, data.t_start, float(bin_width), data.n_units, population)


# Spectral estimators --------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Estimator:
    """One spectral estimator, applied alike to the data and to every surrogate."""

    method: str
    fs: float
    n_samples: int
    nperseg: int = 0
    noverlap: int = 0
    tapers: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    adaptive: bool = False
    nw: float = 0.0

    @property
    def freqs(self) -> np.ndarray:
        n = self.nperseg if self.method == "welch" else self.n_samples
        return np.fft.rfftfreq(n, 1.0 / self.fs)

    def parameters(self) -> dict:
        if self.method == "welch":
            return {"window": "hann", "nperseg": self.nperseg, "noverlap": self.noverlap, "detrend": "constant"}
        return {"nw": self.nw, "n_tapers": int(self.tapers.shape[0]), "adaptive": self.adaptive}

    def decimated(self, f_max: float) -> tuple[_Estimator, int]:
        """The same estimator for series sampled ``d`` times more slowly, and ``d``.

        ``d`` is the largest factor that keeps the Nyquist frequency above
        ``1.2 f_max`` (Hz), the frequency grid below it and (Welch) the
        segments; 1 when none does. A bootstrap that needs the spectrum only
        up to ``f_max`` simulates ``d`` times fewer samples: leakage into
        those bins from above the new Nyquist frequency is negligible for
        both tapers.
        """
        step = self.nperseg - self.noverlap
        n_segments = (self.n_samples - self.noverlap) // step if self.method == "welch" else 0
        for d in range(int(self.fs / (2.4 * f_max)), 1, -1):
            if self.method == "welch":
                fits = self.nperseg % d == 0 and step % d == 0 and (
                    (self.n_samples // d - self.noverlap // d) // (step // d) == n_segments)
            else:
                fits = self.n_samples % d == 0
            if fits:
                return _estimator(self.method, self.fs / d, self.n_samples // d, nperseg=self.nperseg // d,
                                  noverlap=self.noverlap // d, nw=self.nw, adaptive=self.adaptive), d
        return self, 1

    def psd(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-sided PSD of each row of ``x`` and its degrees of freedom per frequency."""
        if self.method == "welch":
            p = self._welch(x)
            return p, np.broadcast_to(self._welch_dof(), p.shape)
        return self._multitaper(x)

    def _welch(self, x: np.ndarray) -> np.ndarray:
        # Welch (1967) as scipy.signal.welch computes it (Hann, constant detrend, density scaling), batched
        # over rows without scipy's per-segment detrend loop.
        step = self.nperseg - self.noverlap
        seg = np.lib.stride_tricks.sliding_window_view(x, self.nperseg, axis=-1)[..., ::step, :]
        h = signal.get_window("hann", self.nperseg).astype(x.dtype, copy=False)
        seg = (seg - seg.mean(axis=-1, keepdims=True)) * h
        return _one_sided(np.mean(np.abs(fft.rfft(seg, axis=-1, workers=-1)) ** 2, axis=-2)
                          / (self.fs * np.sum(h**2)), self.nperseg)

    def _welch_dof(self) -> np.ndarray:
        # Equivalent degrees of freedom of overlapped windowed segments (Welch 1967;
        # Percival & Walden 1993, eq. 292b): nu = 2K / (1 + 2 sum_m (1 - m/K) rho(m)^2).
        h = signal.get_window("hann", self.nperseg)
        h = h / np.sqrt(np.sum(h**2))
        step = self.nperseg - self.noverlap
        k = (self.n_samples - self.noverlap) // step
        m = np.arange(1, k)
        rho = np.array([np.dot(h[s:], h[: self.nperseg - s]) if s < self.nperseg else 0.0 for s in m * step])
        nu = 2 * k / (1 + 2 * np.sum((1 - m / k) * rho**2))
        return _edge_half(np.full(self.freqs.size, nu), self.nperseg)

    def _multitaper(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = x - x.mean(axis=-1, keepdims=True)
        lam = self.eigenvalues
        # Two-sided eigenspectra |sum_t h_k(t) x(t) e^{-2 pi i f t}|^2 / fs, shape (..., K, n_freqs).
        eig = np.abs(fft.rfft(x[..., None, :] * self.tapers, axis=-1, workers=-1)) ** 2 / self.fs
        if not self.adaptive:
            weights = np.broadcast_to(lam[:, None], eig.shape)
        else:
            weights = _adaptive_weights(eig, lam, x.var(axis=-1) / self.fs)
        psd = np.sum(weights * eig, axis=-2) / np.sum(weights, axis=-2)
        # A weighted mean of K chi^2_2 eigenspectra: nu = 2 (sum w)^2 / sum w^2 (Percival & Walden eq. 370a).
        dof = 2 * np.sum(weights, axis=-2) ** 2 / np.sum(weights**2, axis=-2)
        return _one_sided(psd, self.n_samples), _edge_half(dof, self.n_samples)


def _one_sided(two_sided: np.ndarray, n: int) -> np.ndarray:
    """Fold negative frequencies onto positive ones: double all but DC and (for even n) Nyquist."""
    two_sided[..., 1:] *= 2
    if n % 2 == 0:
        two_sided[..., -1] /= 2
    return two_sided


def _edge_half(dof: np.ndarray, n: int) -> np.ndarray:
    """DC and (for even n) Nyquist estimates are real: half the degrees of freedom."""
    dof = np.array(dof, dtype=np.float64)
    dof[..., 0] /= 2
    if n % 2 == 0:
        dof[..., -1] /= 2
    return dof


def _adaptive_weights(eig: np.ndarray, lam: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Thomson's adaptive weights |d_k(f)|^2 (Percival & Walden 1993, eqs. 368a-370a).

    ``level`` is the two-sided white level sigma^2 / fs of each series; the
    broadband leakage of taper k is ``(1 - lambda_k) * level``.
    """
    lam = lam[:, None]
    leak = (1 - lam) * level[..., None, None]
    est = eig[..., :2, :].mean(axis=-2, keepdims=True)
    for _ in range(100):
        w = (lam * est**2) / (lam * est + leak) ** 2
        new = np.sum(w * eig, axis=-2, keepdims=True) / np.sum(w, axis=-2, keepdims=True)
        done = np.allclose(new, est, rtol=1e-12, atol=0)
        est = new
        if done:
            break
    return (lam * est**2) / (lam * est + leak) ** 2


def _estimator(method: str, fs: float, n_samples: int, *, nperseg, noverlap, nw, adaptive) -> _Estimator:
    if method == "welch":
        nperseg = int(round(fs)) if nperseg is None else int(nperseg)  # default 1 s segments: 1 Hz resolution
        nperseg = min(nperseg, n_samples)
        if nperseg < 8:
            raise UsageError(f"nperseg must be at least 8 samples; got {nperseg}")
        noverlap = nperseg // 2 if noverlap is None else int(noverlap)
        if not 0 <= noverlap < nperseg:
            raise UsageError(f"noverlap must lie in [0, nperseg={nperseg}); got {noverlap}")
        return _Estimator("welch", fs, n_samples, nperseg=nperseg, noverlap=noverlap)
    if method == "multitaper":
        nw = float(nw)
        n_tapers = int(np.floor(2 * nw)) - 1
        if not (nw >= 1 and n_tapers >= 1 and n_tapers < n_samples):
            raise UsageError(f"nw (time-half-bandwidth) must be >= 1 and give fewer tapers than samples; got {nw}")
        tapers, ratios = signal.windows.dpss(n_samples, nw, Kmax=n_tapers, return_ratios=True)
        return _Estimator("multitaper", fs, n_samples, tapers=tapers, eigenvalues=np.asarray(ratios),
                          adaptive=bool(adaptive), nw=nw)
    raise UsageError(f"unknown spectral method {method!r}; valid methods are {list(SPECTRAL_METHODS)}")


# Rate spectrum ------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RateSpectrum:
    """One-sided power spectral density of the population rate.

    Attributes
    ----------
    freqs : ndarray
        Frequencies (Hz).
    psd : ndarray
        PSD of the mean-removed rate ``count / (n_units * bin_width)``,
        in (spikes/s)^2/Hz.
    ci_low, ci_high : ndarray
        Chi-square confidence interval of ``psd`` at level ``confidence``.
    dof : ndarray
        Equivalent degrees of freedom of each estimate.
    floor : float
        Expected PSD of independent Poisson trains of the same mean rate,
        ``2 * mean_rate / n_units`` ((spikes/s)^2/Hz).
    mean_rate : float
        Mean rate per unit (Hz) over the analysed bins.
    n_units : int
        Units in the population.
    method : str
        ``"welch"`` or ``"multitaper"``.
    parameters : dict
        Estimator parameters (``bin_width``, ``discard``, segments or tapers).
    confidence : float
        Level of the confidence interval.
    population : str or None
        Population selected.
    """

    freqs: np.ndarray
    psd: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    dof: np.ndarray
    floor: float
    mean_rate: float
    n_units: int
    method: str
    parameters: dict = field(default_factory=dict)
    confidence: float = 0.95
    population: str | None = None

    @property
    def resolution(self) -> float:
        """Spacing of the frequency grid (Hz)."""
        return float(self.freqs[1] - self.freqs[0])

    def summary(self) -> str:
        """Plain-text description: estimator, resolution, floor and the largest peak over the floor.

        Returns
        -------
        str
        """
        band = self.freqs > 0
        i = np.flatnonzero(band)[np.argmax(self.psd[band])]
        who = self.population or "all units"
        return (f"rate spectrum ({who}, {self.n_units} units, {self.mean_rate:.3g} Hz/unit): {self.method}, "
                f"{self.resolution:.3g} Hz bins, median dof {np.median(self.dof):.3g}; "
                f"Poisson floor {self.floor:.3g} (spikes/s)^2/Hz; maximum {self.psd[i]:.3g} at {self.freqs[i]:.3g} Hz "
                f"({self.psd[i] / self.floor:.3g} x floor)")

    def to_dict(self) -> dict:
        """JSON-safe record: method, parameters, normalisation and the arrays as lists.

        Returns
        -------
        dict
        """
        return {"method": self.method, "parameters": jsonable(self.parameters), "confidence": self.confidence,
                "units": "(spikes/s)^2/Hz, one-sided, rate = count / (n_units * bin_width), mean removed",
                "population": self.population, "n_units": self.n_units, "mean_rate_hz": self.mean_rate,
                "floor": self.floor, "freqs": self.freqs.tolist(), "psd": self.psd.tolist(),
                "ci_low": self.ci_low.tolist(), "ci_high": self.ci_high.tolist(), "dof": self.dof.tolist()}

    def plot(self, ax=None, *, fmax: float = 200.0):
        """Log-scale spectrum with its confidence band and the Poisson floor.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.
        fmax : float, default 200.0
            Highest frequency shown (Hz).

        Returns
        -------
        matplotlib.axes.Axes
        """

        ax = new_axes(ax)
        m = (self.freqs > 0) & (self.freqs <= fmax)
        ax.fill_between(self.freqs[m], self.ci_low[m], self.ci_high[m], color="C0", alpha=0.25, lw=0,
                        label=f"{self.confidence:.0%} CI")
        ax.semilogy(self.freqs[m], self.psd[m], color="C0", lw=1, label=self.method)
        ax.axhline(self.floor, color="0.4", ls=":", lw=1, label="Poisson floor 2\u03bd/N")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("PSD ((spikes/s)$^2$/Hz)")
        ax.legend(loc="upper right", fontsize="small")
        return ax


def _confidence_interval(psd: np.ndarray, dof: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - confidence) / 2
    return dof * psd / stats.chi2.ppf(1 - tail, dof), dof * psd / stats.chi2.ppf(tail, dof)


@dataclass(frozen=True, eq=False)
class _Prepared:
    """Selected data, its binning and the estimator: shared by rate_spectrum and the rhythm tests."""

    data: SpikeData
    bin_width: float
    n_bins: int
    estimator: _Estimator
    parameters: dict

    def rates(self, counts: np.ndarray) -> np.ndarray:
        return counts / (self.data.n_units * self.bin_width)

    @cached_property
    def counts(self) -> np.ndarray:
        """Population spike counts of the data in the ``n_bins`` bins, shape (1, n_bins); computed once."""
        return _counts(self.data.times, self.data.t_start, self.bin_width, self.n_bins)


def _prepare(data, *, method, bin_width, nperseg, noverlap, nw, adaptive, discard, population, column) -> _Prepared:
    _check_spectral_bin_width(bin_width)
    data = _select(data, population, column, discard)
    n = _n_bins(data, bin_width)
    est = _estimator(method, 1.0 / bin_width, n, nperseg=nperseg, noverlap=noverlap, nw=nw, adaptive=adaptive)
    params = {"bin_width": float(bin_width), "discard": float(discard), "population": population,
              **est.parameters()}
    return _Prepared(data, float(bin_width), n, est, params)


def _spectrum(prep: _Prepared, confidence: float, population) -> RateSpectrum:
    confidence = float(confidence)
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    counts = prep.counts
    psd, dof = prep.estimator.psd(prep.rates(counts))
    psd, dof = psd[0], np.array(dof[0])
    low, high = _confidence_interval(psd, dof, confidence)
    mean_rate = float(counts.sum() / (prep.data.n_units * prep.n_bins * prep.bin_width))
    return RateSpectrum(prep.estimator.freqs, psd, low, high, dof, 2 * mean_rate / prep.data.n_units, mean_rate,
                        prep.data.n_units, prep.estimator.method, prep.parameters, confidence, population)


def rate_spectrum(data: SpikeData, *, method: str = "welch", bin_width: float = 0.001, nperseg: int | None = None,
                  noverlap: int | None = None, nw: float = 4.0, adaptive: bool = False, discard: float = 0.0,
                  population: str | None = None, column: str = "population",
                  confidence: float = 0.95) -> RateSpectrum:
    """Power spectral density of the population rate, with confidence intervals and the Poisson floor.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    method : {"welch", "multitaper"}, default "welch"
        Welch: Hann-windowed segments, each with its mean removed
        (identical to ``scipy.signal.welch(..., window="hann",
        detrend="constant")``). Multitaper: DPSS tapers over the whole
        mean-removed record, eigenvalue-weighted or adaptive (Thomson).
    bin_width : float, default 0.001
        Bin width of the rate in seconds; at most 0.001.
    nperseg : int, optional
        Welch segment length in bins; default one second (``1 / bin_width``),
        capped at the record length.
    noverlap : int, optional
        Welch overlap in bins; default ``nperseg // 2``.
    nw : float, default 4.0
        Multitaper time-half-bandwidth product; ``2 nw - 1`` tapers,
        resolution ``2 nw / duration`` Hz.
    adaptive : bool, default False
        Multitaper: Thomson's adaptive weights instead of eigenvalue weights.
    discard : float, default 0.0
        Seconds dropped from the start (network onset transients; 0.2 s is
        usual for simulations).
    population : str, optional
        Keep only units whose ``column`` equals this value.
    column : str, default "population"
        Unit-table column that ``population`` refers to.
    confidence : float, default 0.95
        Level of the chi-square confidence interval.

    Returns
    -------
    RateSpectrum
        One-sided PSD in (spikes/s)^2/Hz of the mean-removed rate
        ``count / (n_units * bin_width)``. Confidence intervals are
        ``[nu S / chi2_nu(1 - a/2), nu S / chi2_nu(a/2)]`` with ``nu`` the
        equivalent degrees of freedom: for Welch the Hann-window overlap
        formula ``2K / (1 + 2 sum_m (1 - m/K) rho(m)^2)``; for multitaper
        ``2 (sum w_k)^2 / sum w_k^2`` over the taper weights (``2K`` for
        equal weights); half of that at 0 Hz and Nyquist. ``floor`` is
        ``2 nu_mean / n_units`` (see the module docstring).

    Raises
    ------
    UsageError
        ``bin_width`` above 1 ms, unknown method, bad segment or taper parameters.
    NothingToAnalyseError
        No spikes left after selection.

    References
    ----------
    Welch, P. D. (1967). The use of fast Fourier transform for the estimation
    of power spectra. IEEE Trans. Audio Electroacoust. 15, 70-73.
    Thomson, D. J. (1982). Spectrum estimation and harmonic analysis.
    Proc. IEEE 70, 1055-1096.
    Percival, D. B. & Walden, A. T. (1993). Spectral Analysis for Physical
    Applications. Cambridge University Press (eqs. 292b, 368a-370a).
    """
    prep = _prepare(data, method=method, bin_width=bin_width, nperseg=nperseg, noverlap=noverlap, nw=nw,
                    adaptive=adaptive, discard=discard, population=population, column=column)
    return _spectrum(prep, confidence, population)
