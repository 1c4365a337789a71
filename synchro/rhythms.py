"""Calibrated verdicts on population rhythms: is there alpha, is there gamma?

The entry point is :func:`band_verdicts`. Each band gets one of four words:

``present``
    A spectral **peak** in the band stands above the aperiodic background
    (peak test), and the band holds power beyond what independent units
    give (independence test). An oscillation.
``broadband``
    Units co-fluctuate beyond independence in the band, but there is no
    peak above the aperiodic background: co-modulated, no rhythm (a shared
    slow drive, up/down states).
``absent``
    Neither.
``undetermined``
    The data cannot answer (recording too short for the band, band not
    resolved, too few spikes, or the background model does not fit the
    spectrum); the reason is given.

Two tests, each Holm-corrected across the bands:

* **independence** (``p_independent``): the band maximum of the
  population spectrum over the mean spectrum of data and surrogates, in
  which every train is resampled independently (by default an independent
  circular shift, which keeps every unit's own spectrum: rate,
  refractoriness, bursts, single-unit regularity) and destroys only the
  alignment across units. Passing it shows *shared* power, of any shape.
* **peak** (``p_peak``, :func:`synchro.aperiodic.peak_test`): the
  aperiodic background is the surrogates' mean spectrum (the
  independent-units part, measured) plus a white part with a dip and a
  smooth falling part (:mod:`synchro.aperiodic`), fitted with the band left
  out; the statistic is the largest local maximum of spectrum / background
  in the band; the null is a parametric bootstrap: series simulated with the
  background's spectrum (and the data's peaks outside the band), estimated
  and refitted the same way.

``undetermined`` for a background that lies well above the spectrum around
the band applies only where the verdict would be broadband or absent: such a
background can hide a peak, never make one.

With one unit there is no independence test; the verdict is about that
unit's own rhythmicity (``single_unit``), against a white floor with a
refractory dip plus the falling part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._json import jsonable
from ._plotting import format_p, new_axes, plain_label
from .aperiodic import MIN_PEAK_HEIGHT, AperiodicFit, fit_aperiodic, peak_test, simulate_background
from .core import SpikeData, interval_index
from .core.binning import binned_counts
from .errors import UsageError
from .spectral import (
    PopulationRate,
    RateSpectrum,
    _prepare,
    _Prepared,
    _spectrum,
    _spike_bins,
    population_rate,
    rate_spectrum,
)
from .surrogates import SURROGATE_NULLS, jit, monte_carlo_p, seeded_rng, surrogate_times

__all__ = [
    "band_verdicts",
    "min_surrogates",
    "check_surrogates",
    "BandVerdict",
    "RhythmResult",
    "DEFAULT_BANDS",
    "VERDICTS",
    "VERDICT_RULES",
    "population_rate",
    "rate_spectrum",
    "fit_aperiodic",
    "PopulationRate",
    "RateSpectrum",
    "AperiodicFit",
    "holm",
]

#: Bands tested by default (Hz, half-open ``[low, high)``).
DEFAULT_BANDS = MappingProxyType({"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)})
#: The verdict words, from strongest to none.
VERDICTS = ("present", "broadband", "absent", "undetermined")
#: Cycles of a band's low edge the analysed record must hold.
MIN_CYCLES = 10
#: Frequency bins a band must hold to be resolved.
MIN_BINS = 3
#: Spikes below which no spectrum says anything.
MIN_SPIKES = 10
#: Smoothing (s) of the rate envelope that scales the bootstrap's sampling noise (see ``_estimator_noise``).
ENVELOPE_WIDTH = 0.05
#: How far (mean log10 shortfall on a band's flanks, in the estimator's log-spreads) the background may lie
#: above the spectrum before "broadband" or "absent" becomes "undetermined": a background that follows the
#: data gives about 0.4 (half-normal noise), and the mean over a band's flanks stays below 1.5 but for a misfit.
MAX_OVERSHOOT = 1.5
#: The fixed rules of a verdict, stated with every result and report.
VERDICT_RULES = MappingProxyType({"min_spikes": MIN_SPIKES, "min_cycles": MIN_CYCLES, "min_bins": MIN_BINS,
                                  "max_overshoot": MAX_OVERSHOOT, "min_peak_height": MIN_PEAK_HEIGHT})

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


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (controls the family-wise error rate).

    Parameters
    ----------
    p_values : array_like
        Unadjusted p-values.

    Returns
    -------
    ndarray
        Adjusted p-values, ``max_{j <= i} min(1, (m - j) p_(j))`` in sorted order, in the input's order.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scand. J. Stat. 6, 65-70.
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (p.size - np.arange(p.size)) * p[order])
    out = np.empty_like(p)
    out[order] = np.maximum.accumulate(scaled)
    return out


def min_surrogates(n_bands: int, alpha: float) -> int:
    """Fewest surrogates with which a band can reach ``alpha`` after Holm's correction over ``n_bands``.

    The smallest p-value is ``1 / (1 + n_surrogates)``; Holm multiplies it
    by ``n_bands``, and a band is decided when the product is *below*
    ``alpha``.

    Parameters
    ----------
    n_bands : int
        Bands tested together.
    alpha : float
        Family-wise error rate.

    Returns
    -------
    int
        ``floor(n_bands / alpha)``: 40 for two bands at 0.05.
    """
    return max(1, math.floor(n_bands / alpha + 1e-9))


def check_surrogates(n_surrogates, n_bands: int, alpha: float, *, option: str = "n_surrogates") -> None:
    """Refuse a surrogate count that is not a positive integer or with which no band can reach ``alpha``.

    The one check behind :func:`band_verdicts`, the report and the command line (which runs it before
    reading any file).

    Parameters
    ----------
    n_surrogates : int
        Surrogates per band test.
    n_bands : int
        Bands tested together.
    alpha : float
        Family-wise error rate, in (0, 1).
    option : str, default "n_surrogates"
        Name of the parameter or option in the message.

    Raises
    ------
    UsageError
        One line naming the minimum, :func:`min_surrogates`.
    """
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)) or n_surrogates < 1:
        raise UsageError(f"{option} must be a positive integer; got {n_surrogates!r}")
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must lie strictly between 0 and 1; got {alpha}")
    if n_surrogates < (needed := min_surrogates(n_bands, alpha)):
        raise UsageError(f"{option} {n_surrogates} cannot reach alpha {alpha:g} after Holm across {n_bands} "
                         f"band{'s' if n_bands != 1 else ''}; use at least {needed}")


@dataclass(frozen=True)
class BandVerdict:
    """Verdict on one frequency band.

    Attributes
    ----------
    band : str
        Band name.
    freq_range : tuple of float
        Band edges ``[low, high)`` (Hz).
    verdict : str
        ``"present"``, ``"broadband"``, ``"absent"`` or ``"undetermined"``.
    present : bool
        ``verdict == "present"``.
    reason : str
        Why the verdict is undetermined, or a qualification ("single unit");
        empty otherwise.
    peak_hz : float
        Frequency of the largest local maximum of spectrum / background in
        the band (Hz); NaN when the band holds none.
    power_ratio : float
        Spectrum over the aperiodic background at ``peak_hz``.
    power_db : float
        ``10 log10(power_ratio)`` (dB).
    width_hz : float
        Full width at half maximum of the peak's excess over the background (Hz).
    edge : bool
        The band's largest ratio sits on an edge and rises beyond it (a slope, not a peak).
    p_peak, p_peak_holm : float
        Peak test p-value (parametric bootstrap of the aperiodic
        background), raw and Holm-adjusted across the determined bands.
    p_independent, p_independent_holm : float
        Independence test p-value (surrogates), raw and Holm-adjusted; NaN for one unit.
    statistic : float
        Independence statistic: band maximum of spectrum / mean spectrum of data and surrogates.
    threshold : float
        95th percentile of the surrogates' independence statistic.
    band_power : float
        PSD summed over the band's bins times the bin spacing ((spikes/s)^2).
    fit_p_value : float
        Goodness of fit of the background outside the band (share of bootstrap fits that fit worse).
    overshoot : float
        Mean shortfall of the spectrum under the background on the band's flanks, in log-spreads
        (about 0.4 for a good fit; above :data:`MAX_OVERSHOOT` the verdict is undetermined).
    single_unit : bool
        One unit: the verdict is about single-unit rhythmicity, not population synchrony.
    """

    band: str
    freq_range: tuple[float, float]
    verdict: str
    present: bool
    reason: str
    peak_hz: float
    power_ratio: float
    power_db: float
    width_hz: float
    edge: bool
    p_peak: float
    p_peak_holm: float
    p_independent: float
    p_independent_holm: float
    statistic: float
    threshold: float
    band_power: float
    fit_p_value: float
    overshoot: float
    single_unit: bool

    def sentence(self) -> str:
        """The verdict as one plain sentence.

        Returns
        -------
        str
            E.g. "Gamma: present, 33 Hz, 2.1x above background, p = 0.005".
        """
        name = self.band[:1].upper() + self.band[1:] + (" (single unit)" if self.single_unit else "")
        if self.verdict == "present":
            return (f"{name}: present, {self.peak_hz:.3g} Hz, {self.power_ratio:.2g}x above background, "
                    f"p = {format_p(self.p_peak_holm)}")
        if self.verdict == "broadband":
            return f"{name}: broadband co-fluctuation, no peak (peak p = {format_p(self.p_peak_holm)})"
        if self.verdict == "absent":
            return f"{name}: absent" + (f" ({self.reason})" if self.reason else "")
        return f"{name}: undetermined ({self.reason})"

    def summary(self) -> str:
        """One aligned line for terminals.

        Returns
        -------
        str
            Band, edges, verdict, peak, power over background and both p-values.
        """
        lo, hi = self.freq_range
        return (f"{self.band:<8s}{lo:>5g}-{hi:<5g}Hz  {self.verdict:<12s} peak {self.peak_hz:6.2f} Hz  "
                f"{self.power_db:+5.1f} dB over background  p(peak)={format_p(self.p_peak_holm)}  "
                f"p(independent)={format_p(self.p_independent_holm)}" + (f"  [{self.reason}]" if self.reason else ""))

    def to_dict(self) -> dict:
        """JSON-safe record.

        Returns
        -------
        dict
            Every attribute, with tuples as lists and NaN as None.
        """
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class RhythmResult:
    """Band verdicts with the spectrum, backgrounds and surrogate envelope behind them.

    Attributes
    ----------
    verdicts : tuple of BandVerdict
        One per band, in the order given.
    spectrum : RateSpectrum
        Spectrum of the data.
    aperiodic : AperiodicFit
        Background of the whole fitted range, no band left out (the start of each band's own fit).
    peaks : dict of str to PeakTest
        Each determined band's peak test, with its own background
        (:class:`~synchro.aperiodic.AperiodicFit`, fitted without the band) as ``fit``.
    null_mean, null_low, null_high : ndarray
        Mean and pointwise 2.5 % / 97.5 % quantiles of the surrogate spectra
        ((spikes/s)^2/Hz), on ``spectrum.freqs``. The mean is the
        independent-units part of the background.
    null : str
        Surrogate method.
    n_surrogates : int
        Number of surrogates, and of bootstrap spectra of the peak test.
    seed : int or None
        Seed of the random generator (``None`` when a Generator was passed).
    alpha : float
        Family-wise error rate across bands.
    parameters : dict
        Every other parameter (binning, estimator, dither window, population, fit range).
    """

    verdicts: tuple[BandVerdict, ...]
    spectrum: RateSpectrum
    aperiodic: AperiodicFit
    peaks: dict
    null_mean: np.ndarray
    null_low: np.ndarray
    null_high: np.ndarray
    null: str
    n_surrogates: int
    seed: int | None
    alpha: float
    parameters: dict = field(default_factory=dict)

    def __getitem__(self, band: str) -> BandVerdict:
        for v in self.verdicts:
            if v.band == band:
                return v
        raise KeyError(f"no band {band!r}; bands are {[v.band for v in self.verdicts]}")

    @property
    def present(self) -> dict[str, bool]:
        """Band name -> present."""
        return {v.band: v.present for v in self.verdicts}

    @property
    def words(self) -> dict[str, str]:
        """Band name -> verdict word."""
        return {v.band: v.verdict for v in self.verdicts}

    def summary(self) -> str:
        """Plain text: data, tests and one sentence per band.

        Returns
        -------
        str
            A header line and one :meth:`BandVerdict.sentence` per band.
        """
        s = self.spectrum
        head = (f"rhythms ({s.population or 'all units'}, {s.n_units} units, {s.mean_rate:.3g} Hz/unit): "
                f"{s.method} spectrum; peak over the aperiodic background (parametric bootstrap x "
                f"{self.n_surrogates}) and power beyond independent units ({self.null} x {self.n_surrogates}), "
                f"seed {self.seed}, Holm across {len(self.verdicts)} bands at alpha={self.alpha:g}")
        return "\n".join([head] + ["  " + v.sentence() for v in self.verdicts])

    def to_dict(self) -> dict:
        """JSON-safe record: method, parameters, verdicts by band, spectrum, backgrounds and envelope.

        Returns
        -------
        dict
            Keys ``method``, ``tests``, ``null``, ``n_surrogates``, ``seed``,
            ``alpha``, ``correction``, ``parameters``, ``bands`` (band name ->
            :meth:`BandVerdict.to_dict` plus its ``background``), ``spectrum``,
            ``aperiodic``, ``null_mean``, ``null_low``, ``null_high``.
        """
        bands = {}
        for v in self.verdicts:
            bands[v.band] = v.to_dict()
            if v.band in self.peaks:
                bands[v.band]["background"] = self.peaks[v.band].fit.to_dict()
        return {"method": "band_verdicts",
                "tests": {"peak": "largest local maximum of PSD / aperiodic background in the band, against a "
                                  "parametric bootstrap of the background refitted with the band left out",
                          "independent": "band max of PSD / mean PSD of data and surrogates"},
                "null": self.null, "n_surrogates": self.n_surrogates, "seed": self.seed, "alpha": self.alpha,
                "correction": "holm", "parameters": jsonable(self.parameters), "bands": bands,
                "spectrum": self.spectrum.to_dict(), "aperiodic": self.aperiodic.to_dict(),
                "null_mean": self.null_mean.tolist(), "null_low": self.null_low.tolist(),
                "null_high": self.null_high.tolist()}

    def plot(self, ax=None, *, fmax: float = 200.0):
        """Spectrum with CI, surrogate envelope, aperiodic backgrounds, bands shaded and peaks marked.

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
        f = self.spectrum.freqs
        m = (f > 0) & (f <= fmax)
        ax.fill_between(f[m], self.null_low[m], self.null_high[m], color="0.6", alpha=0.35, lw=0,
                        label=f"{self.null} 95 % envelope")
        self.spectrum.plot(ax, fmax=fmax)
        for i, v in enumerate(self.verdicts):
            color = f"C{i + 1}"
            ax.axvspan(*v.freq_range, color=color, alpha=0.12, lw=0)
            if v.band in self.peaks:  # this band's own background, fitted without the band
                bg = self.peaks[v.band].fit
                ax.plot(bg.freqs[bg.freqs <= fmax], bg.background[bg.freqs <= fmax], color=color, ls="--", lw=1,
                        label=f"aperiodic background (fitted without {plain_label(v.band)})")
            label = f"{plain_label(v.band)}: {v.verdict}"
            if np.isfinite(v.peak_hz):
                y = np.interp(v.peak_hz, f, self.spectrum.psd)
                ax.plot([v.peak_hz], [y * 1.3], "v" if v.present else "x", color=color,
                        label=label + (f" {v.peak_hz:.3g} Hz, {v.power_ratio:.2g}x" if v.present else ""))
            else:
                ax.plot([], [], "x", color=color, label=label)
        ax.set_xlim(0, fmax)
        ax.legend(loc="upper right", fontsize="small")
        return ax


def _check_bands(bands, freqs: np.ndarray) -> dict[str, tuple[float, float]]:
    if not bands:
        raise UsageError("bands is empty; give at least one band, e.g. {'gamma': (30, 80)}")
    out = {}
    for name, edges in dict(bands).items():
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise UsageError(f"band {name!r} must be (low, high) in Hz; got {edges!r}") from None
        if not (0 < lo < hi <= freqs[-1]):
            raise UsageError(f"band {name!r} ({lo:g}-{hi:g} Hz) must satisfy 0 < low < high <= {freqs[-1]:g} Hz "
                             "(the Nyquist frequency)")
        out[str(name)] = (lo, hi)
    return out


def _fit_range(freq_range, bands: dict, nyquist: float) -> tuple[float, float]:
    """Default fit range 2-200 Hz, widened to hold every band with room on both sides."""
    if freq_range is not None:
        return float(freq_range[0]), float(freq_range[1])
    lows, highs = [b[0] for b in bands.values()], [b[1] for b in bands.values()]
    return min(2.0, 0.5 * min(lows)), min(nyquist, max(200.0, 1.5 * max(highs)))


def _chunks(prep: _Prepared, n: int):
    per_row = max(prep.n_bins * (1 if prep.estimator.tapers is None else prep.estimator.tapers.shape[0]),
                  prep.data.n_spikes)
    chunk = max(1, min(n, _CHUNK_SAMPLES // per_row))
    return [(start, min(start + chunk, n)) for start in range(0, n, chunk)]


def _null_spectra(prep: _Prepared, null: str, n_surrogates: int, dither_window, gen: np.random.Generator):
    """Surrogate population spectra, shape (n_surrogates, n_freqs)."""
    data, n = prep.data, prep.n_bins
    if null == "circular_shift":
        # Shifting whole bins keeps each unit's binned train, hence its periodogram, exactly. With gaps, each
        # unit is shifted on its own inside each observed run (as surrogates.circular_shift does in time):
        # spikes never enter a gap, and each unit keeps its count in every run.
        runs = np.array([[0, n]]) if prep.runs is None else prep.runs
        bins, units = _spike_bins(data, prep.bin_width, n)
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
        out.append(prep.estimator.psd(prep.rates(counts))[0])
    return np.concatenate(out)


def _envelope(prep: _Prepared, counts: np.ndarray, factor: int = 1) -> np.ndarray:
    """Slow level of the shot noise for the peak test's bootstrap: sqrt of the smoothed count over its mean,
    averaged over groups of ``factor`` bins (the bootstrap's decimation).

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


def _undetermined_reason(prep: _Prepared, lo: float, hi: float, freqs: np.ndarray, psd: np.ndarray) -> str:
    data = prep.data
    if data.n_spikes < MIN_SPIKES:
        return f"too few spikes ({data.n_spikes}; a spectrum needs at least {MIN_SPIKES})"
    # Observed time only: with gaps, the stretches the spectrum is estimated from.
    duration, what = prep.analysed_duration, "recording" if prep.runs is None else "observed time"
    if duration * lo < MIN_CYCLES:
        return (f"{what} too short: {duration:.3g} s holds {duration * lo:.3g} cycles of {lo:g} Hz; "
                f"at least {MIN_CYCLES / lo:.3g} s ({MIN_CYCLES} cycles) needed")
    n_bins = int(np.count_nonzero((freqs >= lo) & (freqs < hi)))
    if n_bins < MIN_BINS:
        return (f"band not resolved: {n_bins} frequency bins at {freqs[1]:.3g} Hz resolution; at least {MIN_BINS} "
                "needed (longer segments: nperseg)")
    if not np.all(np.isfinite(psd)) or not np.any(psd > 0):
        return "spectrum undefined (no variance in the population rate)"
    return ""


def _check_observed_resolution(prep: _Prepared, freqs: np.ndarray, fit_range) -> None:
    """With gaps, segments can be no longer than the observed stretches: refuse a grid too coarse to fit."""
    n_fit = int(np.count_nonzero((freqs >= fit_range[0]) & (freqs <= fit_range[1])))
    if n_fit < 8:
        seconds = 1.0 / freqs[1]
        raise UsageError(f"the observed stretches are too short for a rhythm verdict: segments of {seconds:.3g} s "
                         f"(the longest stretches between gaps) give {freqs[1]:.3g} Hz bins, {n_fit} in the "
                         f"{fit_range[0]:g}-{fit_range[1]:g} Hz fit and at least 8 are needed; use longer "
                         f"observation intervals (at least {8 / (fit_range[1] - fit_range[0]):.2g} s)")


def _validate(null, n_surrogates, alpha, n_bands):
    if null not in SURROGATE_NULLS:
        raise UsageError(f"unknown null {null!r}; valid nulls are {sorted(SURROGATE_NULLS)}")
    alpha = float(alpha)
    check_surrogates(n_surrogates, n_bands, alpha)
    return alpha


def band_verdicts(data: SpikeData, *, bands=DEFAULT_BANDS, method: str = "welch", null: str = "circular_shift",
                  n_surrogates: int = 200, alpha: float = 0.05, rng=None, bin_width: float = 0.001,
                  nperseg: int | None = None, noverlap: int | None = None, nw: float = 4.0, adaptive: bool = False,
                  discard: float = 0.0, dither_window: float | None = None, population: str | None = None,
                  column: str = "population", freq_range: tuple[float, float] | None = None,
                  confidence: float = 0.95) -> RhythmResult:
    """Decide, per frequency band, whether the population rate oscillates: present, broadband, absent or undetermined.

    Parameters
    ----------
    data : SpikeData
        Spikes. With gaps in its time support (observation intervals), only
        observed time is used: Welch segments inside observed stretches,
        surrogates within each stretch, bootstrap spectra on the same
        segments (Methods, "Time support", in the docs).
    bands : mapping of str to (float, float), default alpha 8-13 Hz, gamma 30-80 Hz
        Bands to test (Hz, half-open ``[low, high)``, so adjacent bands
        never share a bin).
    method : {"welch", "multitaper"}, default "welch"
        Spectral estimator, applied identically to data, surrogates and
        bootstrap noise (see :func:`~synchro.spectral.rate_spectrum`).
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate method of the independence test; the surrogates' mean
        spectrum is also the independent-units part of the background.
        Circular shifts are drawn in whole bins, uniform over the record (with
        gaps: one per unit and observed stretch, within it), so each unit's
        binned train is exactly preserved.
    n_surrogates : int, default 200
        Surrogates of the independence test and bootstrap spectra of the
        peak test; the smallest p is ``1 / (1 + n_surrogates)``, so at least
        :func:`min_surrogates` are needed.
    alpha : float, default 0.05
        Family-wise error rate across bands (Holm), for each test.
    rng : numpy.random.Generator, int or None
        Random source; the seed used is recorded in the result.
    bin_width : float, default 0.001
        Bin width of the rate (s), at most 0.001.
    nperseg, noverlap, nw, adaptive, confidence
        Estimator parameters, as in :func:`~synchro.spectral.rate_spectrum`.
    discard : float, default 0.0
        Seconds dropped from the start (0.2 s is usual for simulations).
    dither_window : float, optional
        Half-width of the dither (s); required with ``null="dither"``.
    population : str, optional
        Keep only units whose ``column`` equals this value.
    column : str, default "population"
        Unit-table column that ``population`` refers to.
    freq_range : (float, float), optional
        Frequencies of the aperiodic fit (Hz); default 2-200 Hz, widened to
        hold every band with room on both sides.

    Returns
    -------
    RhythmResult
        Per band: the verdict word, peak frequency, height over the
        background (ratio and dB), width, both p-values (raw and Holm), and
        the reason when undetermined; plus the spectrum, the backgrounds and
        the surrogate mean and 95 % envelope.

    Raises
    ------
    UsageError
        Unknown null or method, bad bands, too few surrogates to reach
        ``alpha`` after Holm, ``alpha`` outside (0, 1), ``bin_width`` above 1 ms,
        multitaper on data with gaps, observed stretches too short for the
        fitted frequency range.
    NothingToAnalyseError
        No spikes after selection.

    References
    ----------
    Donoghue, T., Schaworonkow, N. & Voytek, B. (2021). Methodological
    considerations for studying neural oscillations. Eur. J. Neurosci. 55,
    3502-3527.
    Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be
    zero. Stat. Appl. Genet. Mol. Biol. 9, 39.
    Holm, S. (1979). Scand. J. Stat. 6, 65-70.
    """
    alpha = _validate(null, n_surrogates, alpha, len(dict(bands)) if bands else 0)
    prep = _prepare(data, method=method, bin_width=bin_width, nperseg=nperseg, noverlap=noverlap, nw=nw,
                    adaptive=adaptive, discard=discard, population=population, column=column)
    spectrum = _spectrum(prep, confidence, population)
    freqs = spectrum.freqs
    bands = _check_bands(bands, freqs)
    fit_range = _fit_range(freq_range, bands, float(freqs[-1]))
    if prep.runs is not None:
        _check_observed_resolution(prep, freqs, fit_range)
    gen, seed = seeded_rng(rng)
    n_surrogates = int(n_surrogates)
    # One unit, or one unit firing among silent ones: circular shifts of a single train leave the population
    # spectrum as it is, so there is no independence to test (the p-value would be noise).
    single = bool(np.count_nonzero(prep.data.spike_counts) < 2)
    null_psd = _null_spectra(prep, null, n_surrogates, dither_window, gen)
    # The bootstrap simulates at the lowest rate that keeps the fitted frequencies: half the work at 1 ms bins.
    boot_est, factor = prep.estimator.decimated(fit_range[1])
    envelope = _envelope(prep, prep.counts[0], factor)
    mean_all = (spectrum.psd + null_psd.sum(axis=0)) / (n_surrogates + 1)
    scale = np.where(mean_all > 0, mean_all, np.inf)
    obs_ratio, null_ratio = spectrum.psd / scale, null_psd / scale
    null_mean = null_psd.mean(axis=0)
    independent = None if single else null_mean
    aperiodic = fit_aperiodic(spectrum, independent=independent, freq_range=fit_range)

    rows, peaks = [], {}
    simulation = None  # one simulated background per population, shared by its bands (see peak_test)
    for name, (lo, hi) in bands.items():
        idx = np.flatnonzero((freqs >= lo) & (freqs < hi))
        reason = _undetermined_reason(prep, lo, hi, freqs, spectrum.psd)
        row = dict(band=name, freq_range=(lo, hi), reason=reason, single_unit=single,
                   band_power=float(spectrum.psd[idx].sum() * spectrum.resolution) if idx.size else math.nan,
                   statistic=math.nan, threshold=math.nan, p_independent=math.nan, p_peak=math.nan,
                   peak_hz=math.nan, power_ratio=math.nan, power_db=math.nan, width_hz=math.nan, edge=False,
                   fit_p_value=math.nan, overshoot=math.nan)
        if not reason:
            if not single:
                stat = float(obs_ratio[idx].max())
                null_stat = null_ratio[:, idx].max(axis=1)
                row.update(statistic=stat, threshold=float(np.quantile(null_stat, 0.95)),
                           p_independent=monte_carlo_p(null_stat, stat))
            if simulation is None:
                simulation = simulate_background(spectrum, aperiodic, independent=independent,
                                                 estimator=lambda x: boot_est.psd(x)[0], fs=boot_est.fs,
                                                 envelope=envelope, n_boot=n_surrogates, rng=gen)
            test = peaks[name] = peak_test(spectrum, (lo, hi), estimator=lambda x: boot_est.psd(x)[0],
                                           fs=boot_est.fs, envelope=envelope, n_boot=n_surrogates, rng=gen,
                                           independent=independent, freq_range=fit_range, start=aperiodic,
                                           simulation=simulation)
            row.update(p_peak=test.p_value, peak_hz=test.peak_hz, power_ratio=test.ratio, power_db=test.ratio_db,
                       width_hz=test.width_hz, edge=test.edge, fit_p_value=test.fit_p_value,
                       overshoot=test.overshoot)
            if math.isnan(row["p_peak"]) or (not single and math.isnan(row["p_independent"])):
                # A NaN statistic compares false with every surrogate, so it would win every test: no verdict.
                row["reason"] = "a test statistic is undefined (NaN) for this data"
        rows.append(row)
    verdicts = tuple(_decide(rows, alpha))
    low, high = np.quantile(null_psd, [0.025, 0.975], axis=0)
    params = {**spectrum.parameters, "bands": {k: list(v) for k, v in bands.items()}, "dither_window": dither_window,
              "freq_range": list(fit_range), "confidence": confidence, "column": column,
              **VERDICT_RULES}
    return RhythmResult(verdicts, spectrum, aperiodic, peaks, null_mean, low, high, null,
                        n_surrogates, seed, alpha, params)


def _decide(rows: list[dict], alpha: float):
    """Holm across the determined bands, for each test; then the verdict words."""
    determined = [r for r in rows if not r["reason"]]
    for key in ("p_peak", "p_independent"):
        adjusted = holm([r[key] for r in determined]) if determined else []
        for r in rows:
            r[key + "_holm"] = math.nan
        for r, a in zip(determined, adjusted):
            r[key + "_holm"] = float(a)
    for r in rows:
        if r["reason"]:
            word = "undetermined"
        else:
            peak = r["p_peak_holm"] < alpha
            if r["single_unit"]:  # no independence to test: the peak alone speaks, of one unit's rhythmicity
                word = "present" if peak else "absent"
                r["reason"] = "one unit: single-unit rhythmicity, no independence test"
            else:
                shared = r["p_independent_holm"] < alpha
                word = "present" if peak and shared else "broadband" if shared else "absent"
            if word != "present" and r["overshoot"] > MAX_OVERSHOOT:
                # A background above the data around the band may hide a peak, never make one: it voids
                # "no peak", not "present".
                word = "undetermined"
                r["reason"] = (f"the aperiodic background does not fit the spectrum around the band (it lies "
                               f"{r['overshoot']:.2f} log-spreads above it on the flanks, at most {MAX_OVERSHOOT:g}), "
                               "so a peak could be hidden")
        yield BandVerdict(verdict=word, present=word == "present", **r)
