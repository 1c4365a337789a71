"""The rhythm verdict: :func:`band_verdicts`, Holm's correction and the rules of a verdict."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np

from ..aperiodic import MIN_PEAK_HEIGHT, fit_aperiodic, peak_test, simulate_background
from ..core import SpikeData
from ..errors import UsageError
from ..filtering import check_band
from ..spectral import Multitaper, PreparedRate, Welch, prepare_rate
from ..surrogates import SURROGATE_NULLS, monte_carlo_p, seeded_rng
from .nulls import null_spectra, shot_noise_envelope
from .results import BandVerdict, RhythmResult

__all__ = ["band_verdicts", "holm", "min_surrogates", "check_surrogates", "check_bands", "default_freq_range",
           "DEFAULT_BANDS", "VERDICTS",
           "VERDICT_RULES", "MIN_CYCLES", "MIN_BINS", "MIN_SPIKES", "MAX_OVERSHOOT"]

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
#: How far (mean log10 shortfall on a band's flanks, in the estimator's log-spreads) the background may lie
#: above the spectrum before "broadband" or "absent" becomes "undetermined": a background that follows the
#: data gives about 0.4 (half-normal noise), and the mean over a band's flanks stays below 1.5 but for a misfit.
MAX_OVERSHOOT = 1.5
#: The fixed rules of a verdict, stated with every result and report.
VERDICT_RULES = MappingProxyType({"min_spikes": MIN_SPIKES, "min_cycles": MIN_CYCLES, "min_bins": MIN_BINS,
                                  "max_overshoot": MAX_OVERSHOOT, "min_peak_height": MIN_PEAK_HEIGHT})



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


def check_bands(bands, freqs: np.ndarray) -> dict[str, tuple[float, float]]:
    """Check a mapping of band names to ``(low, high)`` Hz against a frequency axis.

    Parameters
    ----------
    bands : mapping of str to (float, float)
        Bands in Hz, half-open ``[low, high)``.
    freqs : ndarray
        Frequency axis (Hz) whose last value is the Nyquist frequency.

    Returns
    -------
    dict of str to (float, float)
        The bands as floats.

    Raises
    ------
    UsageError
        No band, a band that is not a pair of numbers, or one outside ``(0, Nyquist]``.
    """
    if not bands:
        raise UsageError("bands is empty; give at least one band, e.g. {'gamma': (30, 80)}")
    out = {}
    for name, edges in dict(bands).items():
        lo, hi = check_band(edges, name=f"band {name!r}")
        if hi > freqs[-1]:
            raise UsageError(f"band {name!r} ({lo:g}-{hi:g} Hz) must satisfy 0 < low < high <= {freqs[-1]:g} Hz "
                             "(the Nyquist frequency)")
        out[str(name)] = (lo, hi)
    return out


def default_freq_range(freq_range, bands: dict, nyquist: float) -> tuple[float, float]:
    """The aperiodic fit's frequency range: ``freq_range`` if given, else 2-200 Hz widened to hold every band.

    Parameters
    ----------
    freq_range : (float, float) or None
        Range asked for (Hz).
    bands : dict of str to (float, float)
        Checked bands (Hz).
    nyquist : float
        Nyquist frequency (Hz), the highest the range may reach.

    Returns
    -------
    (float, float)
        ``[min(2, low / 2), min(nyquist, max(200, 1.5 high))]`` over the bands, or ``freq_range``.
    """
    if freq_range is not None:
        return float(freq_range[0]), float(freq_range[1])
    lows, highs = [b[0] for b in bands.values()], [b[1] for b in bands.values()]
    return min(2.0, 0.5 * min(lows)), min(nyquist, max(200.0, 1.5 * max(highs)))


def _undetermined_reason(prep: PreparedRate, lo: float, hi: float, freqs: np.ndarray, psd: np.ndarray) -> str:
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
                "needed (longer segments: Welch(nperseg=...))")
    if not np.all(np.isfinite(psd)) or not np.any(psd > 0):
        return "spectrum undefined (no variance in the population rate)"
    return ""


def _check_observed_resolution(prep: PreparedRate, freqs: np.ndarray, fit_range) -> None:
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


def band_verdicts(data: SpikeData, *, bands=DEFAULT_BANDS, estimator: Welch | Multitaper = Welch(),
                  null: str = "circular_shift", n_surrogates: int = 200, alpha: float = 0.05, rng=None,
                  bin_width: float = 0.001, discard: float = 0.0, dither_window: float | None = None,
                  population: str | None = None, population_column: str = "population",
                  freq_range: tuple[float, float] | None = None) -> RhythmResult:
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
    estimator : Welch or Multitaper, default Welch()
        Spectral estimator (:class:`~synchro.spectral.Welch`,
        :class:`~synchro.spectral.Multitaper`), applied identically to data,
        surrogates and bootstrap noise (see
        :func:`~synchro.spectral.rate_spectrum`).
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate family of the independence test; the surrogates' mean
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
    discard : float, default 0.0
        Seconds dropped from the start (0.2 s is usual for simulations).
    dither_window : float, optional
        Half-width of the dither (s); required with ``null="dither"``.
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
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
        the surrogate mean and 95 % envelope. The spectrum's confidence
        interval is at 95 % (:func:`~synchro.spectral.rate_spectrum` gives
        other levels).

    Raises
    ------
    UsageError
        Unknown null, ``estimator`` not a Welch or Multitaper, bad bands, too few surrogates to reach
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
    prep = prepare_rate(data, estimator=estimator, bin_width=bin_width, discard=discard, population=population,
                        population_column=population_column)
    spectrum = prep.spectrum()
    freqs = spectrum.freqs
    bands = check_bands(bands, freqs)
    fit_range = default_freq_range(freq_range, bands, float(freqs[-1]))
    if prep.runs is not None:
        _check_observed_resolution(prep, freqs, fit_range)
    gen, seed = seeded_rng(rng)
    n_surrogates = int(n_surrogates)
    # One unit, or one unit firing among silent ones: circular shifts of a single train leave the population
    # spectrum as it is, so there is no independence to test (the p-value would be noise).
    single = bool(np.count_nonzero(prep.data.spike_counts) < 2)
    null_psd = null_spectra(prep, null, n_surrogates, dither_window, gen)
    # The bootstrap simulates at the lowest rate that keeps the fitted frequencies: half the work at 1 ms bins.
    boot_plan, factor = prep.plan.decimated(fit_range[1])
    envelope = shot_noise_envelope(prep, prep.counts[0], factor)
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
        row = dict(name=name, band=(lo, hi), reason=reason, single_unit=single,
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
                simulation = simulate_background(spectrum, aperiodic, independent=independent, plan=boot_plan,
                                                 envelope=envelope, n_boot=n_surrogates, rng=gen)
            test = peaks[name] = peak_test(spectrum, (lo, hi), plan=boot_plan, envelope=envelope,
                                           n_boot=n_surrogates, rng=gen, independent=independent,
                                           freq_range=fit_range, start=aperiodic, simulation=simulation)
            row.update(p_peak=test.p_value, peak_hz=test.peak_hz, power_ratio=test.ratio, power_db=test.ratio_db,
                       width_hz=test.width_hz, edge=test.edge, fit_p_value=test.fit_p_value,
                       overshoot=test.overshoot)
            if math.isnan(row["p_peak"]) or (not single and math.isnan(row["p_independent"])):
                # A NaN statistic compares false with every surrogate, so it would win every test: no verdict.
                row["reason"] = "a test statistic is undefined (NaN) for this data"
        rows.append(row)
    verdicts = tuple(_decide(rows, alpha))
    low, high = np.quantile(null_psd, [0.025, 0.975], axis=0)
    params = {**spectrum.parameters, "estimator": spectrum.estimator, "bands": {k: list(v) for k, v in bands.items()},
              "dither_window": dither_window, "freq_range": list(fit_range), "population_column": population_column,
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
