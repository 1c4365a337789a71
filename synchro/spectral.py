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

Time support: on data observed in several intervals (``SpikeData.support``),
a gap is unknown, not silent. The population rate is NaN there, Welch
segments are taken only inside observed stretches (their degrees of freedom
count the segments used), and the mean rate and floor are over observed
bins; a zero-filled gap would otherwise put a comb of power at the gaps'
repetition frequency and its harmonics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import fft, signal, stats

from ._json import jsonable
from ._plotting import new_axes
from ._validate import positive_seconds, require_spikes
from .core import SpikeData, interval_index
from .core.binning import bin_index, binned_counts, n_whole_bins
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

def _select(data: SpikeData, population, column: str, discard: float = 0.0) -> SpikeData:
    require_spikes(data)
    if population is not None:
        data = data.select(population=population, column=column)
    discard = float(discard)
    if discard:
        if not 0.0 < discard < data.duration:
            raise UsageError(f"discard must lie in [0, {data.duration:g}) s, the recording's duration; got {discard:g}")
        if data.support[-1, 1] <= data.t_start + discard:
            raise UsageError(f"discard {discard:g} s leaves no observed time: the observation intervals end at "
                             f"{data.support[-1, 1]:g} s; use a smaller discard")
        data = data.restrict(data.t_start + discard, data.t_stop)
    if data.n_units == 0 or data.n_spikes == 0:
        raise NothingToAnalyseError(f"no spikes to analyse ({data.n_units} units, {data.n_spikes} spikes after "
                                    "selection); choose another population or time window")
    return data


def _n_bins(data: SpikeData, bin_width) -> int:
    bin_width = positive_seconds("bin_width", bin_width)
    n = n_whole_bins(data.duration, bin_width)
    if n < 2:
        raise UsageError(f"bin_width {bin_width:g} s leaves fewer than 2 bins in {data.duration:g} s; use a smaller "
                         "bin_width or a longer recording")
    return n


def _observed_runs(data: SpikeData, bin_width: float, n_bins: int) -> np.ndarray | None:
    """Runs ``[first, stop)`` of whole bins inside the time support; None when every bin is observed."""
    runs = data.observed_bins(bin_width, n_bins)
    if not len(runs):
        raise NothingToAnalyseError(f"no whole bin of {bin_width:g} s lies inside the observation intervals; use a "
                                    "smaller bin_width or longer intervals")
    if len(runs) == 1 and runs[0, 0] == 0 and runs[0, 1] == n_bins:
        return None
    return runs


def _check_spectral_bin_width(bin_width: float) -> None:
    if float(bin_width) > MAX_SPECTRAL_BIN_WIDTH * (1 + 1e-9):
        raise UsageError(f"bin_width {bin_width:g} s is too coarse for a spectrum: bins longer than 1 ms attenuate "
                         f"power (sinc^2) and alias everything above {0.5 / bin_width:g} Hz; use bin_width <= 0.001")


def _spike_bins(data: SpikeData, bin_width: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index and unit row of every spike inside the ``n_bins`` whole bins."""
    bins = bin_index(data.times, data.t_start, bin_width)
    keep = bins < n_bins  # spikes in a last partial bin are left out with it
    return bins[keep], data.unit_index[keep]



# Population rate ---------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PopulationRate:
    """Binned population rate, in spikes/s per unit.

    Attributes
    ----------
    rate : ndarray
        ``count / (n_units * bin_width)`` in each bin (spikes/s per unit);
        NaN in bins not wholly inside the time support (gaps in the
        observation intervals), which are not observed.
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

    @property
    def observed(self) -> np.ndarray:
        """Bins inside the time support (bool); the rate is NaN elsewhere."""
        return np.isfinite(self.rate)

    def _observed_rate(self) -> np.ndarray:
        return self.rate if not np.isnan(self.rate).any() else self.rate[self.observed]

    def smoothed(self, width: float) -> np.ndarray:
        """Rate convolved with a Gaussian of standard deviation ``width`` (s), for display only.

        Smoothing multiplies the spectrum by ``exp(-(2 pi f width)^2)``; spectra
        are never taken from it. Each observed stretch is smoothed on its own
        (gaps stay NaN and lend no zeros to their edges).

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
        if not np.isnan(self.rate).any():
            return gaussian_filter1d(self.rate, width / self.bin_width, mode="nearest")
        out = np.full(self.rate.size, np.nan)
        edges = np.flatnonzero(np.diff(np.r_[False, self.observed, False]))
        for a, b in edges.reshape(-1, 2):
            out[a:b] = gaussian_filter1d(self.rate[a:b], width / self.bin_width, mode="nearest")
        return out

    def summary(self) -> str:
        """One line: population, bins, mean and SD of the rate.

        Returns
        -------
        str
        """
        who = self.population or "all units"
        r = self._observed_rate()
        observed = f" ({r.size} observed)" if r.size < self.rate.size else ""
        return (f"population rate ({who}, {self.n_units} units): {self.rate.size} bins of {self.bin_width * 1e3:g} ms"
                f"{observed}, mean {r.mean():.3g} Hz, SD {r.std():.3g} Hz")

    def to_dict(self) -> dict:
        """Method, parameters and summary statistics (the series itself is left out).

        Returns
        -------
        dict
            JSON-safe record.
        """
        r = self._observed_rate()
        return {"method": "population_rate", "normalisation": "count / (n_units * bin_width)",
                "parameters": {"bin_width": self.bin_width, "population": self.population},
                "t_start": self.t_start, "n_bins": int(self.rate.size), "n_observed_bins": int(r.size),
                "n_units": self.n_units, "mean_hz": float(r.mean()), "sd_hz": float(r.std())}

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
        in a last partial bin are left out. On data with gaps in the time
        support (:attr:`~synchro.core.SpikeData.support`) the bins not wholly
        observed are NaN (see :attr:`PopulationRate.observed`): a gap is
        unknown, not a rate of zero.
    """
    data = _select(data, population, column)
    n = _n_bins(data, bin_width)
    rate = binned_counts(data.times, data.t_start, bin_width, n)[0] / (data.n_units * bin_width)
    runs = _observed_runs(data, float(bin_width), n)
    if runs is not None:
        rate[interval_index(np.arange(n), runs) < 0] = np.nan
    return PopulationRate(rate, data.t_start, float(bin_width), data.n_units, population)


# Spectral estimators --------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Estimator:
    """One spectral estimator, applied alike to the data and to every surrogate.

    ``runs`` are the observed stretches ``[first, stop)`` of the series (samples), None when all of it is
    observed: Welch takes its segments only inside a run, multitaper takes its one run.
    """

    method: str
    fs: float
    n_samples: int
    nperseg: int = 0
    noverlap: int = 0
    tapers: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    adaptive: bool = False
    nw: float = 0.0
    runs: np.ndarray | None = None

    @property
    def freqs(self) -> np.ndarray:
        n = self.nperseg if self.method == "welch" else self.tapers.shape[1]
        return np.fft.rfftfreq(n, 1.0 / self.fs)

    def parameters(self) -> dict:
        if self.method == "welch":
            return {"window": "hann", "nperseg": self.nperseg, "noverlap": self.noverlap, "detrend": "constant"}
        return {"nw": self.nw, "n_tapers": int(self.tapers.shape[0]), "adaptive": self.adaptive}

    @property
    def segments_per_run(self) -> np.ndarray:
        """Welch: number of segments inside each run (the whole series when ``runs`` is None)."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        step = self.nperseg - self.noverlap
        return np.maximum((runs[:, 1] - runs[:, 0] - self.noverlap) // step, 0)

    @property
    def starts(self) -> np.ndarray:
        """Welch: first sample of every segment, run by run, each run stepped from its first sample."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        step = self.nperseg - self.noverlap
        return np.concatenate([a + step * np.arange(k) for (a, _), k in zip(runs, self.segments_per_run)])

    @property
    def analysed(self) -> np.ndarray:
        """The runs the estimate uses (samples, ``[first, stop)``): those holding a segment, or the taper's span."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        return runs[self.segments_per_run > 0] if self.method == "welch" else runs

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
            if self.runs is not None:
                # Every run must start on the coarse grid, so that each segment (or the taper's span) keeps its
                # samples: decimated runs [a / d, floor(b / d)) then hold exactly the same segments.
                fits = bool(np.all(self.runs[:, 0] % d == 0)) and (
                    self.nperseg % d == 0 and step % d == 0 if self.method == "welch"
                    else (self.runs[0, 1] - self.runs[0, 0]) % d == 0)
            elif self.method == "welch":
                fits = self.nperseg % d == 0 and step % d == 0 and (
                    (self.n_samples // d - self.noverlap // d) // (step // d) == n_segments)
            else:
                fits = self.n_samples % d == 0
            if fits:
                return _estimator(self.method, self.fs / d, self.n_samples // d, nperseg=self.nperseg // d,
                                  noverlap=self.noverlap // d, nw=self.nw, adaptive=self.adaptive,
                                  runs=None if self.runs is None else self.runs // d), d
        return self, 1

    def psd(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-sided PSD of each row of ``x`` and its degrees of freedom per frequency."""
        if self.method == "welch":
            p = self._welch(x)
            return p, np.broadcast_to(self._welch_dof(), p.shape)
        if self.runs is not None:
            x = x[..., self.runs[0, 0]:self.runs[0, 1]]
        return self._multitaper(x)

    def _welch(self, x: np.ndarray) -> np.ndarray:
        # Welch (1967) as scipy.signal.welch computes it (Hann, constant detrend, density scaling), batched
        # over rows without scipy's per-segment detrend loop; with gaps, only segments wholly inside a run.
        step = self.nperseg - self.noverlap
        seg = np.lib.stride_tricks.sliding_window_view(x, self.nperseg, axis=-1)
        seg = seg[..., ::step, :] if self.runs is None else seg[..., self.starts, :]
        h = signal.get_window("hann", self.nperseg).astype(x.dtype, copy=False)
        spec = fft.rfft(seg * h, axis=-1, workers=-1)
        # Each segment's mean removed after the transform: the periodic Hann window's own transform is zero but
        # at bins 0 and 1, so (x - mean) h differs from x h there only (one pass over the samples saved).
        spec[..., :2] -= seg.mean(axis=-1, keepdims=True) * fft.rfft(h)[:2]
        return _one_sided(np.mean(spec.real**2 + spec.imag**2, axis=-2) / (self.fs * np.sum(h**2)), self.nperseg)

    def _welch_dof(self) -> np.ndarray:
        # Equivalent degrees of freedom of overlapped windowed segments (Welch 1967;
        # Percival & Walden 1993, eq. 292b): nu = 2K / (1 + 2 sum_m (1 - m/K) rho(m)^2) for K segments in one
        # run. Segments in different runs do not overlap: the K (K - 1) / 2 pairs of one run become
        # sum_r K_r (K_r - 1) / 2, so (1 - m/K) becomes sum_r (K_r / K) max(0, 1 - m / K_r).
        h = signal.get_window("hann", self.nperseg)
        h = h / np.sqrt(np.sum(h**2))
        step = self.nperseg - self.noverlap
        per_run = self.segments_per_run
        per_run = per_run[per_run > 0]
        k = int(per_run.sum())
        m = np.arange(1, per_run.max())
        rho = np.array([np.dot(h[s:], h[: self.nperseg - s]) if s < self.nperseg else 0.0 for s in m * step])
        pairs = np.sum((per_run[:, None] / k) * np.maximum(1 - m / per_run[:, None], 0.0), axis=0)
        nu = 2 * k / (1 + 2 * np.sum(pairs * rho**2))
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
        n = self.tapers.shape[1]
        return _one_sided(psd, n), _edge_half(dof, n)


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


def _default_nperseg(fs: float, runs: np.ndarray | None) -> int:
    """One second of bins (1 Hz resolution); with gaps, the length ``L`` (at most one second) that maximises ``L``
    times the observed bins in runs at least ``L`` long: resolution and degrees of freedom weighed one for one.

    So 1 s intervals that the bin grid cuts to 999 bins keep one segment each (of 999 bins), while a few short
    fragments neither coarsen the resolution of all nor cost much time.
    """
    one_second = int(round(fs))
    if runs is None:
        return one_second
    lengths = np.sort(runs[:, 1] - runs[:, 0])[::-1]
    candidates = np.minimum(lengths, one_second)
    # Observed bins in the runs at least as long as each candidate (lengths sorted from the longest).
    held = np.cumsum(lengths)[np.searchsorted(-lengths, -candidates, side="right") - 1]
    score = candidates * held
    return int(candidates[np.flatnonzero(score == score.max())[0]])  # ties: the longer segment


def _estimator(method: str, fs: float, n_samples: int, *, nperseg, noverlap, nw, adaptive,
               runs: np.ndarray | None = None) -> _Estimator:
    longest = n_samples if runs is None else int(np.max(runs[:, 1] - runs[:, 0]))
    if method == "welch":
        nperseg = _default_nperseg(fs, runs) if nperseg is None else int(nperseg)
        nperseg = min(nperseg, longest)  # at least one segment: in the record, or in its longest observed run
        if nperseg < 8:
            raise UsageError(f"nperseg must be at least 8 samples; got {nperseg}" + (
                "" if runs is None else f" (the longest observed stretch holds {longest} bins)"))
        noverlap = nperseg // 2 if noverlap is None else int(noverlap)
        if not 0 <= noverlap < nperseg:
            raise UsageError(f"noverlap must lie in [0, nperseg={nperseg}); got {noverlap}")
        return _Estimator("welch", fs, n_samples, nperseg=nperseg, noverlap=noverlap, runs=runs)
    if method == "multitaper":
        if runs is not None and len(runs) > 1:
            # Tapers span one continuous record; across gaps they would taper zeros that were never observed.
            raise UsageError(f"method='multitaper' needs one continuous observed stretch, and these data have "
                             f"{len(runs)} (gaps in the observation intervals); use method='welch', which "
                             "averages segments inside each interval, or restrict the data to one interval")
        nw = float(nw)
        n_tapers = int(np.floor(2 * nw)) - 1
        if not (nw >= 1 and n_tapers >= 1 and n_tapers < longest):
            raise UsageError(f"nw (time-half-bandwidth) must be >= 1 and give fewer tapers than samples; got {nw}")
        tapers, ratios = signal.windows.dpss(longest, nw, Kmax=n_tapers, return_ratios=True)
        return _Estimator("multitaper", fs, n_samples, tapers=tapers, eigenvalues=np.asarray(ratios),
                          adaptive=bool(adaptive), nw=nw, runs=runs)
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
        return binned_counts(self.data.times, self.data.t_start, self.bin_width, self.n_bins)

    @property
    def runs(self) -> np.ndarray | None:
        """Observed runs of bins ``[first, stop)``; None when every bin is observed."""
        return self.estimator.runs

    @cached_property
    def analysed(self) -> np.ndarray | None:
        """Bins the spectrum is estimated from (runs holding a Welch segment, or the taper's run); None: all."""
        return None if self.runs is None else interval_index(np.arange(self.n_bins), self.estimator.analysed) >= 0

    @property
    def analysed_duration(self) -> float:
        """Time (s) the spectrum is estimated from: the observed duration, less runs too short for a segment."""
        if self.runs is None:
            return self.data.observed_duration
        return float(np.count_nonzero(self.analysed) * self.bin_width)


def _prepare(data, *, method, bin_width, nperseg, noverlap, nw, adaptive, discard, population, column) -> _Prepared:
    _check_spectral_bin_width(bin_width)
    data = _select(data, population, column, discard)
    n = _n_bins(data, bin_width)
    runs = _observed_runs(data, float(bin_width), n)
    est = _estimator(method, 1.0 / bin_width, n, nperseg=nperseg, noverlap=noverlap, nw=nw, adaptive=adaptive,
                     runs=runs)
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
    if prep.analysed is None:
        mean_rate = float(counts.sum() / (prep.data.n_units * prep.n_bins * prep.bin_width))
    else:  # the bins the spectrum saw: gaps are not zero rate
        used = counts[0, prep.analysed]
        mean_rate = float(used.sum() / (prep.data.n_units * used.size * prep.bin_width))
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
        On data with gaps in the time support (``data.support``), Welch takes
        only segments wholly inside an observed stretch, stepped from its
        start; multitaper needs one continuous stretch (a UsageError
        otherwise).
    bin_width : float, default 0.001
        Bin width of the rate in seconds; at most 0.001.
    nperseg : int, optional
        Welch segment length in bins; default one second (``1 / bin_width``),
        capped at the record length. With gaps, capped at the longest
        observed stretch; by default the length ``L`` up to one second that
        maximises ``L`` times the observed time in stretches at least ``L``
        long (so 1 s intervals that the bin grid cuts to 999 bins each hold
        a 999-bin segment); stretches shorter than a segment are left out.
    noverlap : int, optional
        Welch overlap in bins; default ``nperseg // 2``.
    nw : float, default 4.0
        Multitaper time-half-bandwidth product; ``2 nw - 1`` tapers,
        resolution ``2 nw / duration`` Hz.
    adaptive : bool, default False
        Multitaper: Thomson's adaptive weights instead of eigenvalue weights.
    discard : float, default 0.0
        Seconds dropped from the start of the recording (network onset
        transients; 0.2 s is usual for simulations); observation intervals
        are cut to what remains, and a discard that leaves no observed time
        is a UsageError.
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
        formula ``2K / (1 + 2 sum_m (1 - m/K) rho(m)^2)`` (with gaps, the
        pairs counted within each stretch only); for multitaper
        ``2 (sum w_k)^2 / sum w_k^2`` over the taper weights (``2K`` for
        equal weights); half of that at 0 Hz and Nyquist. ``floor`` is
        ``2 nu_mean / n_units`` (see the module docstring), ``nu_mean``
        over the bins the estimate used (never over gaps).

    Raises
    ------
    UsageError
        ``bin_width`` above 1 ms, unknown method, bad segment or taper
        parameters, multitaper on data with gaps.
    NothingToAnalyseError
        No spikes left after selection, or no whole bin observed.

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
