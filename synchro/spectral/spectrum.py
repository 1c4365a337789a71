"""The power spectrum of the population rate, its confidence intervals and Poisson floor."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy

from ..core import SpikeData, interval_index
from ..core.binning import binned_counts
from ..errors import UsageError
from ..plotting import new_axes
from ..results import jsonable
from .estimators import EstimatorPlan, Multitaper, Welch, check_estimator
from .rate import check_spectral_bin_width, observed_runs, rate_bins, select_spikes

__all__ = ["RateSpectrum", "PreparedRate", "prepare_rate", "rate_spectrum"]


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
    estimator : dict
        The estimator used, :meth:`Welch.to_dict` (segment length and
        overlap resolved) or :meth:`Multitaper.to_dict`.
    parameters : dict
        Binning and the resolved estimator parameters (``bin_width``,
        ``discard``, segments or tapers).
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
    estimator: dict
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
        return (f"rate spectrum ({who}, {self.n_units} units, {self.mean_rate:.3g} Hz/unit): {self.estimator['name']}, "
                f"{self.resolution:.3g} Hz bins, median dof {np.median(self.dof):.3g}; "
                f"Poisson floor {self.floor:.3g} (spikes/s)^2/Hz; maximum {self.psd[i]:.3g} at {self.freqs[i]:.3g} Hz "
                f"({self.psd[i] / self.floor:.3g} x floor)")

    def to_dict(self) -> dict:
        """JSON-safe record: estimator, parameters, normalisation and the arrays as lists.

        Returns
        -------
        dict
        """
        return {"analysis": "rate_spectrum", "estimator": jsonable(self.estimator),
                "parameters": jsonable(self.parameters), "confidence": self.confidence,
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
        ax.semilogy(self.freqs[m], self.psd[m], color="C0", lw=1, label=self.estimator["name"])
        ax.axhline(self.floor, color="0.4", ls=":", lw=1, label="Poisson floor 2\u03bd/N")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("PSD ((spikes/s)$^2$/Hz)")
        ax.legend(loc="upper right", fontsize="small")
        return ax


def _confidence_interval(psd: np.ndarray, dof: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - confidence) / 2
    return dof * psd / scipy.stats.chi2.ppf(1 - tail, dof), dof * psd / scipy.stats.chi2.ppf(tail, dof)


@dataclass(frozen=True, eq=False)
class PreparedRate:
    """Selected spikes, their binning and the estimator laid out on the bins (:func:`prepare_rate`).

    What :func:`rate_spectrum` estimates from, and what the rhythm tests
    (:func:`~synchro.rhythms.band_verdicts`) estimate their surrogates and
    bootstrap series with, so that all are estimated alike.

    Attributes
    ----------
    data : SpikeData
        The selected spikes (population, after ``discard``).
    bin_width : float
        Bin width (s).
    n_bins : int
        Whole bins from ``data.t_start``.
    plan : EstimatorPlan
        The estimator laid out on the bins.
    parameters : dict
        ``bin_width``, ``discard``, ``population`` and the plan's resolved parameters.
    """

    data: SpikeData
    bin_width: float
    n_bins: int
    plan: EstimatorPlan
    parameters: dict

    @property
    def rate_divisor(self) -> float:
        """``n_units * bin_width`` (s): a bin's population count over it is the rate (spikes/s per unit)."""
        return self.data.n_units * self.bin_width

    def rates(self, counts: np.ndarray) -> np.ndarray:
        """Counts per bin as the rate ``count / (n_units * bin_width)`` (spikes/s per unit).

        Parameters
        ----------
        counts : ndarray
            Population counts in the ``n_bins`` bins (any leading shape).

        Returns
        -------
        ndarray
        """
        return counts / self.rate_divisor

    @cached_property
    def counts(self) -> np.ndarray:
        """Population spike counts of the data in the ``n_bins`` bins, shape (1, n_bins); computed once."""
        return binned_counts(self.data.times, self.data.t_start, self.bin_width, self.n_bins)

    @property
    def runs(self) -> np.ndarray | None:
        """Observed runs of bins ``[first, stop)``; None when every bin is observed."""
        return self.plan.runs

    @cached_property
    def analysed(self) -> np.ndarray | None:
        """Bins the spectrum is estimated from (runs holding a Welch segment, or the taper's run); None: all."""
        return None if self.runs is None else interval_index(np.arange(self.n_bins), self.plan.analysed) >= 0

    @property
    def analysed_duration(self) -> float:
        """Time (s) the spectrum is estimated from: the observed duration, less runs too short for a segment."""
        if self.runs is None:
            return self.data.observed_duration
        return float(np.count_nonzero(self.analysed) * self.bin_width)


    def spectrum(self, confidence: float = 0.95) -> RateSpectrum:
        """The rate's spectrum with its chi-square confidence interval and the Poisson floor.

        Parameters
        ----------
        confidence : float, default 0.95
            Level of the confidence interval, in (0, 1).

        Returns
        -------
        RateSpectrum
        """
        confidence = float(confidence)
        if not 0 < confidence < 1:
            raise UsageError(f"confidence must lie strictly between 0 and 1; got {confidence}")
        counts = self.counts
        psd, dof = self.plan.psd(self.rates(counts))
        psd, dof = psd[0], np.array(dof[0])
        low, high = _confidence_interval(psd, dof, confidence)
        if self.analysed is None:
            mean_rate = float(counts.sum() / (self.data.n_units * self.n_bins * self.bin_width))
        else:  # the bins the spectrum saw: gaps are not zero rate
            used = counts[0, self.analysed]
            mean_rate = float(used.sum() / (self.data.n_units * used.size * self.bin_width))
        return RateSpectrum(self.plan.freqs, psd, low, high, dof, 2 * mean_rate / self.data.n_units, mean_rate,
                            self.data.n_units, self.plan.estimator.to_dict(), self.parameters, confidence,
                            self.parameters["population"])


def prepare_rate(data: SpikeData, *, estimator: Welch | Multitaper = Welch(), bin_width: float = 0.001,
                 discard: float = 0.0, population: str | None = None,
                 population_column: str = "population") -> PreparedRate:
    """Select and bin the spikes and lay the estimator out on the bins (the first half of :func:`rate_spectrum`).

    Parameters
    ----------
    data, estimator, bin_width, discard, population, population_column
        As in :func:`rate_spectrum`.

    Returns
    -------
    PreparedRate
    """
    estimator = check_estimator(estimator)
    check_spectral_bin_width(bin_width)
    data = select_spikes(data, population, population_column, discard)
    n = rate_bins(data, bin_width)
    runs = observed_runs(data, float(bin_width), n)
    plan = estimator.plan(1.0 / bin_width, n, runs)
    params = {"bin_width": float(bin_width), "discard": float(discard), "population": population,
              **plan.parameters()}
    return PreparedRate(data, float(bin_width), n, plan, params)


def rate_spectrum(data: SpikeData, *, estimator: Welch | Multitaper = Welch(), bin_width: float = 0.001,
                  discard: float = 0.0, population: str | None = None, population_column: str = "population",
                  confidence: float = 0.95) -> RateSpectrum:
    """Power spectral density of the population rate, with confidence intervals and the Poisson floor.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    estimator : Welch or Multitaper, default Welch()
        :class:`~synchro.spectral.Welch`: windowed segments (Hann by
        default), each with its mean removed (identical to
        ``scipy.signal.welch(..., detrend="constant")``); the segment length
        ``nperseg`` defaults to one second of bins, capped at the record
        length; with gaps, capped at the longest observed stretch, and by
        default the length ``L`` up to one second that maximises ``L`` times
        the observed time in stretches at least ``L`` long (so 1 s intervals
        that the bin grid cuts to 999 bins each hold a 999-bin segment);
        stretches shorter than a segment are left out.
        :class:`~synchro.spectral.Multitaper`: ``floor(2 nw) - 1`` DPSS
        tapers over the whole mean-removed record (resolution
        ``2 nw / duration`` Hz), eigenvalue-weighted or adaptive (Thomson).
        On data with gaps in the time support (``data.support``), Welch takes
        only segments wholly inside an observed stretch, stepped from its
        start; multitaper needs one continuous stretch (a UsageError
        otherwise).
    bin_width : float, default 0.001
        Bin width of the rate in seconds; at most 0.001.
    discard : float, default 0.0
        Seconds dropped from the start of the recording (network onset
        transients; 0.2 s is usual for simulations); observation intervals
        are cut to what remains, and a discard that leaves no observed time
        is a UsageError.
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
        Unit-table column that ``population`` refers to.
    confidence : float, default 0.95
        Level of the chi-square confidence interval.

    Returns
    -------
    RateSpectrum
        One-sided PSD in (spikes/s)^2/Hz of the mean-removed rate
        ``count / (n_units * bin_width)``. Confidence intervals are
        ``[nu S / chi2_nu(1 - a/2), nu S / chi2_nu(a/2)]`` with ``nu`` the
        equivalent degrees of freedom: for Welch the window overlap
        formula ``2K / (1 + 2 sum_m (1 - m/K) rho(m)^2)`` (with gaps, the
        pairs counted within each stretch only); for multitaper
        ``2 (sum w_k)^2 / sum w_k^2`` over the taper weights (``2K`` for
        equal weights); half of that at 0 Hz and Nyquist. ``floor`` is
        ``2 nu_mean / n_units`` (see :mod:`synchro.spectral`), ``nu_mean``
        over the bins the estimate used (never over gaps).

    Raises
    ------
    UsageError
        ``bin_width`` above 1 ms, ``estimator`` not a Welch or Multitaper,
        segments or tapers that do not fit the record, multitaper on data
        with gaps.
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
    prep = prepare_rate(data, estimator=estimator, bin_width=bin_width, discard=discard, population=population,
                        population_column=population_column)
    return prep.spectrum(confidence)
