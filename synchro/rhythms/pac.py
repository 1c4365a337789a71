"""Phase-amplitude coupling of the population rate: Tort's modulation index, its shift null, the comodulogram.

The population rate (:func:`synchro.spectral.population_rate`'s bins) is
band-passed twice, forward and backward (zero phase), in a slow band and a
fast band; the Hilbert transform gives the slow band's phase and the fast
band's amplitude envelope at every bin. Tort et al.'s (2010) modulation
index is the Kullback-Leibler distance of the mean amplitude per phase bin,
normalised to a distribution, from the uniform one, divided by
``log(n_phase_bins)``: 0 when the amplitude does not depend on the phase, 1
when all of it sits in one phase bin.

Amplitude (``amplitude="shared"``, the default): spiking noise is not a
rhythm, but a Poisson count's variance is its mean, so the noise in a fast
band is strongest where the slow rhythm raises the rate, and Tort's envelope
of the whole rate (``amplitude="total"``) couples to every slow rhythm. The
shared amplitude is taken from the cross product of the fast band in the
even and in the odd unit rows, whose independent noises cancel from its
mean, plus the noise's power averaged over all phases.

Null (``null="amplitude_shift"``): the amplitude envelope is shifted
circularly against the phase series, inside each observed stretch, by a
random lag of at least :data:`MIN_LAG_CYCLES` cycles of the slow band's low
edge. Each series is kept whole, so both bands' spectra (and the amplitude's
own slow fluctuations) are those of the data; only their alignment, and so
the coupling, is destroyed. The MI of every shift comes from one set of FFTs
(circular cross-correlations of the phase-bin indicators with the
amplitude), so the cost does not grow with ``n_surrogates``.

Time support: each observed stretch of whole bins is filtered on its own,
:data:`EDGE_CYCLES` cycles of the slow band's low edge are dropped at both
of its ends (filter and Hilbert transients), and the phase-amplitude pairs
of all stretches are pooled; no filter, pair or shift spans a gap.
"""

from __future__ import annotations

import numpy as np

from ..core.binning import binned_counts
from ..core.checks.arguments import integer_at_least, positive_seconds
from ..core.compiled import jit
from ..errors import NothingToAnalyseError, UsageError
from ..filtering import FS_PER_HIGH_EDGE, analytic_stretches, band_pass, check_band
from ..spectral import observed_runs, rate_bins, select_spikes
from ..surrogates import monte_carlo_p, seeded_rng
from .pac_results import Comodulogram, PhaseAmplitudeCoupling

__all__ = ["PhaseAmplitudeCoupling", "Comodulogram", "phase_amplitude_coupling", "comodulogram",
           "modulation_index", "PAC_NULLS", "AMPLITUDES", "EDGE_CYCLES", "MIN_LAG_CYCLES", "MIN_PAC_CYCLES",
           "DIRECT_SHIFT_BINS"]

#: Surrogate nulls of the coupling tests.
PAC_NULLS = ("amplitude_shift",)
#: What the amplitude of the fast band is: the power the units share, or the whole rate's envelope.
AMPLITUDES = ("shared", "total")
#: Cycles of the slow band's low edge dropped at both ends of every observed stretch (filter transients).
EDGE_CYCLES = 3.0
#: Smallest shift of the amplitude against the phase, in cycles of the slow band's low edge.
MIN_LAG_CYCLES = 3.0
#: Cycles of the slow band's low edge the pooled pairs must cover for a determined index.
MIN_PAC_CYCLES = 10.0
#: Butterworth order of both band-passes (applied forward and backward).
ORDER = 4
#: Stretches of at least this many bins (about 17 min of 1 ms bins) sum the shifted amplitudes directly, in
#: O(n_surrogates x bins), instead of by FFT cross-correlation: on an hour the transforms (two per phase bin, of a
#: length FFTs handle slowly) cost tens of seconds. The sums agree to rounding (about 1e-12 relative).
DIRECT_SHIFT_BINS = 2**20


def modulation_index(mean_amplitude) -> np.ndarray:
    """Tort et al.'s (2010) modulation index of mean amplitudes per phase bin (last axis).

    Parameters
    ----------
    mean_amplitude : array_like, shape (..., n_phase_bins)
        Mean amplitude in each phase bin (any unit), non-negative.

    Returns
    -------
    ndarray, shape (...)
        ``(log N + sum_j P_j log P_j) / log N`` with ``P_j`` the amplitudes
        normalised to sum 1 and ``0 log 0 = 0``: 0 for equal amplitudes, 1
        for all amplitude in one bin; NaN when the amplitudes sum to 0 or a
        bin is undefined.
    """
    a = np.asarray(mean_amplitude, dtype=np.float64)
    n = a.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = a / a.sum(axis=-1, keepdims=True)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        # Equal amplitudes give 1 - log N / log N, which rounding can put a few ulp below 0.
        mi = np.clip(1.0 + plogp.sum(axis=-1) / np.log(n), 0.0, 1.0)
    return np.where(np.all(np.isfinite(p), axis=-1), mi, np.nan)


# Bands and series ------------------------------------------------------------------

def _check_pair(phase_band, amplitude_band, bin_width: float) -> None:
    (plo, phi), (alo, ahi) = phase_band, amplitude_band
    if FS_PER_HIGH_EDGE * ahi > 1.0 / bin_width:
        raise UsageError(f"amplitude band up to {ahi:g} Hz is too close to the Nyquist frequency of {bin_width:g} s "
                         f"bins ({0.5 / bin_width:g} Hz; the band-pass needs {FS_PER_HIGH_EDGE:g} x its high edge); "
                         f"use bin_width <= {1 / (FS_PER_HIGH_EDGE * ahi):.3g} s or a lower band")
    if alo < phi:
        raise UsageError(f"amplitude band {alo:g}-{ahi:g} Hz overlaps the phase band {plo:g}-{phi:g} Hz; put the "
                         "amplitude band above the phase band")
    if ahi - alo < 2 * phi * (1 - 1e-9):
        raise UsageError(f"amplitude band {alo:g}-{ahi:g} Hz is narrower than twice the phase band's high edge "
                         f"({2 * phi:g} Hz), so it cannot hold the sidebands of a {phi:g} Hz modulation (Aru et al. "
                         f"2015); widen it to at least {2 * phi:g} Hz")


def _stretches(data, bin_width: float, edge_freq: float):
    """Rates (spikes/s per unit) of all units, the even and the odd unit rows; the observed stretches ``[a, b)``
    long enough to trim; the edge in bins."""
    n = rate_bins(data, bin_width)
    even = data.unit_index % 2 == 0
    sizes = (data.n_units, (data.n_units + 1) // 2, data.n_units // 2)
    rates = np.stack([binned_counts(data.times[m], data.t_start, bin_width, n)[0] / (max(k, 1) * bin_width)
                      for m, k in zip((slice(None), even, ~even), sizes)])
    runs = observed_runs(data, bin_width, n)
    runs = np.array([[0, n]], dtype=np.int64) if runs is None else runs
    edge = int(np.ceil(EDGE_CYCLES / edge_freq / bin_width))
    lengths = runs[:, 1] - runs[:, 0]
    runs = runs[lengths > 2 * edge + 1]
    if not len(runs):
        need = 2 * EDGE_CYCLES / edge_freq
        raise NothingToAnalyseError(f"no observed stretch is longer than {need:g} s, the filter edges of a "
                                    f"{edge_freq:g} Hz phase band ({EDGE_CYCLES:g} cycles at each end); analyse a "
                                    "longer recording or a faster phase band")
    return rates, runs, edge


def _analytic(rate, runs, edge: int, band, bin_width: float) -> list[np.ndarray]:
    """Analytic signal of the band-passed rate (last axis) in each stretch, less ``edge`` bins at both ends."""
    return analytic_stretches(rate, runs, band_pass(band, 1.0 / bin_width, ORDER), edge)


def _amplitude(rates, runs, edge: int, band, bin_width: float, amplitude: str) -> list[np.ndarray]:
    """The series whose mean per phase bin is the amplitude: ``|z|`` of all units ("total"), or the cross
    product ``Re(z_even conj(z_odd))`` of the two halves' analytic signals, whose mean is the fast power the
    halves share (independent spiking noise cancels from it on average), plus the noise power's mean ("shared")."""
    if amplitude == "total":
        return [np.abs(z) for z in _analytic(rates[0], runs, edge, band, bin_width)]
    # Plus each stretch's noise floor: |z|^2 of half the halves' difference, in which the shared part cancels,
    # averaged over the stretch (a stretch's own, as the noise level may differ between observed stretches).
    return [(z[0] * np.conj(z[1])).real + np.mean(np.abs(z[0] - z[1]) ** 2) / 4
            for z in _analytic(rates[1:], runs, edge, band, bin_width)]


def _phase_bins(analytic: list[np.ndarray], n_bins: int) -> list[np.ndarray]:
    # Bin j holds phases in [-pi + 2 pi j / N, -pi + 2 pi (j + 1) / N), tensorpac's and Tort's layout.
    return [np.minimum(((np.angle(z) + np.pi) * (n_bins / (2 * np.pi))).astype(np.int64), n_bins - 1)
            for z in analytic]


def _draw_lags(lengths, min_lag: int, n_surrogates: int, gen) -> np.ndarray:
    """Integer lags ``(n_surrogates, k)``: per stretch uniform in ``[m, L - m]``, ``m = min(min_lag, L // 4)``."""
    lengths = np.asarray(lengths)
    m = np.minimum(min_lag, lengths // 4)
    return m + gen.integers(0, lengths - 2 * m + 1, size=(n_surrogates, lengths.size))


def _binned_sums(bins, amps, n_bins: int, lags: np.ndarray):
    """Counts per phase bin, amplitude sums per bin for the data and for every row of ``lags`` (shifted amplitude)."""
    from scipy.fft import irfft, rfft

    counts = np.zeros(n_bins)
    observed = np.zeros(n_bins)
    null = np.zeros((lags.shape[0], n_bins))
    for k, (b, a) in enumerate(zip(bins, amps)):
        counts += np.bincount(b, minlength=n_bins)
        observed += np.bincount(b, a, minlength=n_bins)
        if not lags.shape[0]:
            continue
        if a.size >= DIRECT_SHIFT_BINS:
            shifted = np.zeros((lags.shape[0], n_bins))
            _shifted_sums(b, a, np.ascontiguousarray(lags[:, k]), shifted)
            null += shifted
            continue
        # sum_t [b_t == j] a_{(t + s) mod L} for every lag s: the circular cross-correlation, by FFT.
        fa = rfft(a)
        onehot = np.zeros(a.size)
        for j in range(n_bins):
            onehot[:] = b == j
            null[:, j] += irfft(np.conj(rfft(onehot)) * fa, n=a.size)[lags[:, k]]
    return counts, observed, null


@jit
def _shifted_sums(bins, amps, lags, out):
    # out[r, j] = sum_t [bins_t == j] amps_{(t + lags_r) mod L}, each sum in increasing t. Four lags share one pass
    # over the stretch: consecutive samples mostly fall in the same phase bin, so one lag's additions wait on each
    # other, while four lags' are independent (the same sums, in the same order, about twice as fast).
    n = amps.size
    first = lags.size - lags.size % 4
    for r in range(0, first, 4):
        row0, row1, row2, row3 = out[r], out[r + 1], out[r + 2], out[r + 3]
        u0, u1, u2, u3 = lags[r] % n, lags[r + 1] % n, lags[r + 2] % n, lags[r + 3] % n
        for t in range(n):
            j = bins[t]
            row0[j] += amps[u0]
            row1[j] += amps[u1]
            row2[j] += amps[u2]
            row3[j] += amps[u3]
            u0 = u0 + 1 if u0 + 1 < n else 0
            u1 = u1 + 1 if u1 + 1 < n else 0
            u2 = u2 + 1 if u2 + 1 < n else 0
            u3 = u3 + 1 if u3 + 1 < n else 0
    for r in range(first, lags.size):
        s = lags[r]
        row = out[r]
        for t in range(n):
            u = t + s
            if u >= n:
                u -= n
            row[bins[t]] += amps[u]


def _coupling(bins, amps, n_bins: int, lags, amplitude: str):
    """MI, mean amplitude per bin and the MIs of the shifted amplitudes; NaN when a phase bin is empty."""
    counts, sums, null_sums = _binned_sums(bins, amps, n_bins, lags)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
        null_mean = np.where(counts > 0, null_sums / counts, np.nan)
    if amplitude == "shared":  # mean shared power per bin -> amplitude (a negative estimate is no power)
        mean, null_mean = np.sqrt(np.maximum(mean, 0.0)), np.sqrt(np.maximum(null_mean, 0.0))
    return float(modulation_index(mean)), mean, modulation_index(null_mean), counts.astype(np.int64)


def _against_null(mi: float, null: np.ndarray) -> dict:
    null = null[np.isfinite(null)]
    chance = float(null.mean()) if null.size else float("nan")
    sd = float(null.std(ddof=1)) if null.size > 1 else float("nan")
    z = float((mi - chance) / sd) if np.isfinite(mi) and sd > 0 else None
    p = monte_carlo_p(null, mi) if null.size else float("nan")
    return {"chance": chance, "chance_sd": sd, "z": z, "p": p}


def _setup(data, amplitude, bin_width, n_phase_bins, null, n_surrogates, rng, population, population_column):
    if amplitude not in AMPLITUDES:
        raise UsageError(f"amplitude must be one of {list(AMPLITUDES)}; got {amplitude!r}")
    bin_width = positive_seconds("bin_width", bin_width)
    n_phase_bins = integer_at_least("n_phase_bins", n_phase_bins, 2)
    n_surrogates = integer_at_least("n_surrogates", n_surrogates, 0)
    if null not in PAC_NULLS:
        raise UsageError(f"unknown coupling null {null!r}; valid nulls are {list(PAC_NULLS)}")
    gen, seed = seeded_rng(rng)
    return select_spikes(data, population, population_column), bin_width, n_phase_bins, n_surrogates, gen, seed


# Analyses --------------------------------------------------------------------------

def _determined(analytic_phase, amps, pooled: float, edge_freq: float, n_units: int, amplitude: str,
                scale: float) -> str:
    """Why the index is undetermined ("" when it is not); ``scale`` is the mean rate (spikes/s per unit)."""
    if amplitude == "shared" and n_units < 2:
        return "one unit has no shared amplitude (amplitude='total' takes the unit's own)"
    if pooled * edge_freq < MIN_PAC_CYCLES:
        return (f"the observed stretches hold {pooled:g} s after their filter edges, fewer than {MIN_PAC_CYCLES:g} "
                f"cycles at {edge_freq:g} Hz")
    # A band with no power leaves only rounding residue (a constant rate filtered gives about 1e-16 of it).
    tiny = 1e-9 * scale
    if not any(np.abs(z).max() > tiny for z in analytic_phase):
        return "the phase band holds no power"
    if not any(np.sqrt(np.abs(a)).max() > tiny if amplitude == "shared" else a.max() > tiny for a in amps):
        return "the amplitude band holds no power"
    return ""


def phase_amplitude_coupling(data, *, phase_band=(8.0, 13.0), amplitude_band=(30.0, 80.0), amplitude: str = "shared",
                             bin_width: float = 0.001, n_phase_bins: int = 18, null: str = "amplitude_shift",
                             n_surrogates: int = 200, population: str | None = None,
                             population_column: str = "population", rng=None) -> PhaseAmplitudeCoupling:
    """Tort's modulation index of the population rate's slow-band phase with its fast-band amplitude.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    phase_band : (float, float), default (8, 13)
        Slow band whose phase is taken (Hz).
    amplitude_band : (float, float), default (30, 80)
        Fast band whose amplitude envelope is taken (Hz); above the phase
        band and at least twice the phase band's high edge wide (Aru et al.
        2015), so that it holds the sidebands of the modulation.
    amplitude : {"shared", "total"}, default "shared"
        What the fast band's amplitude is. ``"shared"``: per phase bin, the
        square root of the mean of ``Re(z_even conj(z_odd)) + floor``, with
        ``z_even``, ``z_odd`` the analytic signals of the rates of the even
        and the odd unit rows and ``floor`` the mean of
        ``|z_even - z_odd|^2 / 4`` over the observed stretch: the fast power
        the units share plus the spiking noise's power at its average over
        phases. A Poisson count's variance is its mean, so the spiking
        noise's power follows the slow rate and, in the whole rate's
        envelope, couples to every slow rhythm; here it cancels on average.
        ``"total"``: Tort's envelope ``|z|`` of the whole population rate,
        spiking noise included (what peers such as tensorpac give on the
        same series).
    bin_width : float, default 0.001
        Bin width of the population rate (s).
    n_phase_bins : int, default 18
        Phase bins (Tort et al. 2010 use 18 of 20 degrees).
    null : str, default "amplitude_shift"
        Surrogate null: the amplitude envelope shifted circularly against
        the phase, inside each observed stretch, by at least
        :data:`MIN_LAG_CYCLES` cycles of the phase band's low edge.
    n_surrogates : int, default 200
        Surrogates; 0 skips the test (chance, z and p undefined).
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
        Unit-table column that ``population`` refers to.
    rng : numpy.random.Generator, int or None
        Random source of the lags; the seed is recorded.

    Returns
    -------
    PhaseAmplitudeCoupling
        Undetermined (NaN, with a reason) when the pairs cover fewer than
        :data:`MIN_PAC_CYCLES` cycles of the phase band's low edge, a band
        holds no power or a phase bin holds no pair.

    Raises
    ------
    UsageError
        A band above the rate's Nyquist margin, overlapping bands, an
        amplitude band too narrow, or a bad parameter.
    NothingToAnalyseError
        No spikes, or no observed stretch longer than the filter edges.

    References
    ----------
    Tort, A. B. L., Komorowski, R., Eichenbaum, H. & Kopell, N. (2010).
    Measuring phase-amplitude coupling between neuronal oscillations of
    different frequencies. J. Neurophysiol. 104, 1195-1210.
    Aru, J. et al. (2015). Untangling cross-frequency coupling in
    neuroscience. Curr. Opin. Neurobiol. 31, 51-61.
    """
    data, bin_width, n_phase_bins, n_surrogates, gen, seed = _setup(
        data, amplitude, bin_width, n_phase_bins, null, n_surrogates, rng, population, population_column)
    phase_band = check_band(phase_band, name="phase_band")
    amplitude_band = check_band(amplitude_band, name="amplitude_band")
    _check_pair(phase_band, amplitude_band, bin_width)
    rates, runs, edge = _stretches(data, bin_width, phase_band[0])
    slow = _analytic(rates[0], runs, edge, phase_band, bin_width)
    amps = _amplitude(rates, runs, edge, amplitude_band, bin_width, amplitude)
    lengths = [a.size for a in amps]
    pooled = sum(lengths) * bin_width
    lags = _draw_lags(lengths, int(round(MIN_LAG_CYCLES / phase_band[0] / bin_width)), n_surrogates, gen)
    reason = _determined(slow, amps, pooled, phase_band[0], data.n_units, amplitude, float(rates[0].mean()))
    nan = float("nan")
    mi, mean, null_mi, counts = nan, np.full(n_phase_bins, nan), np.full(n_surrogates, nan), np.zeros(n_phase_bins, int)
    if not reason:
        mi, mean, null_mi, counts = _coupling(_phase_bins(slow, n_phase_bins), amps, n_phase_bins, lags, amplitude)
        reason = "" if np.isfinite(mi) else "a phase bin holds no pair"
    centres = -np.pi + (np.arange(n_phase_bins) + 0.5) * 2 * np.pi / n_phase_bins
    preferred = float(np.angle(np.sum(mean * np.exp(1j * centres)))) if not reason else nan
    mi = mi if not reason else nan
    return PhaseAmplitudeCoupling(mi=mi, mean_amplitude=mean, pairs_per_bin=counts, preferred_phase=preferred,
                                  **_against_null(mi, null_mi), null=null, n_surrogates=n_surrogates, seed=seed,
                                  phase_band=phase_band, amplitude_band=amplitude_band, amplitude=amplitude,
                                  bin_width=bin_width, n_phase_bins=n_phase_bins, population=population,
                                  n_units=data.n_units, duration=pooled, n_stretches=len(runs), reason=reason)


def comodulogram(data, *, phase_freqs, amplitude_freqs, phase_bandwidth: float = 2.0, amplitude: str = "shared",
                 bin_width: float = 0.001,
                 n_phase_bins: int = 18, null: str = "amplitude_shift", n_surrogates: int = 200,
                 population: str | None = None, population_column: str = "population", rng=None) -> Comodulogram:
    """Modulation index of every pair of a phase frequency and an amplitude frequency.

    Phase band ``f_p +- phase_bandwidth / 2``; amplitude band ``f_a +- hi``
    with ``hi`` the phase band's high edge, so every amplitude band is
    twice the phase band's high edge wide and holds the sidebands (Aru et
    al. 2015). Pairs whose amplitude band would start below the phase band's
    high edge are left out (NaN). All pairs use the same pairs of bins: the
    edges dropped are those of the lowest phase band.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    phase_freqs : array_like
        Centres of the phase bands (Hz), each above ``phase_bandwidth / 2``.
    amplitude_freqs : array_like
        Centres of the amplitude bands (Hz).
    phase_bandwidth : float, default 2.0
        Width of the phase bands (Hz).
    amplitude, bin_width, n_phase_bins, null, n_surrogates, population, population_column, rng
        As in :func:`phase_amplitude_coupling`.

    Returns
    -------
    Comodulogram

    Raises
    ------
    UsageError
        An amplitude band above the rate's Nyquist margin, or a bad parameter.
    NothingToAnalyseError
        No spikes, or no observed stretch longer than the filter edges.
    """
    data, bin_width, n_phase_bins, n_surrogates, gen, seed = _setup(
        data, amplitude, bin_width, n_phase_bins, null, n_surrogates, rng, population, population_column)
    pf, af = (np.atleast_1d(np.asarray(f, dtype=np.float64)) for f in (phase_freqs, amplitude_freqs))
    half = float(phase_bandwidth) / 2
    if not pf.size or not af.size or pf.ndim > 1 or af.ndim > 1 or not half > 0 or pf.min() <= half:
        raise UsageError("phase_freqs and amplitude_freqs must be non-empty lists of Hz, phase_bandwidth positive "
                         f"and every phase frequency above phase_bandwidth / 2 ({half:g} Hz)")
    pairs = [(i, j) for i, fa in enumerate(af) for j, fp in enumerate(pf) if fa - (fp + half) >= fp + half]
    for i, j in pairs:
        _check_pair((pf[j] - half, pf[j] + half), (af[i] - pf[j] - half, af[i] + pf[j] + half), bin_width)
    rates, runs, edge = _stretches(data, bin_width, float(pf.min() - half))
    shape = (af.size, pf.size)
    out = {k: np.full(shape, np.nan) for k in ("mi", "chance", "chance_sd", "z", "p")}
    phases, scale = {}, float(rates[0].mean())
    low = float(pf.min() - half)
    lengths = [int(b - a - 2 * edge) for a, b in runs]
    lags = _draw_lags(lengths, int(round(MIN_LAG_CYCLES / low / bin_width)), n_surrogates, gen)
    for i, j in pairs:
        plo, phi = pf[j] - half, pf[j] + half
        if j not in phases:
            phases[j] = _analytic(rates[0], runs, edge, (plo, phi), bin_width)
        amps = _amplitude(rates, runs, edge, (af[i] - phi, af[i] + phi), bin_width, amplitude)
        if _determined(phases[j], amps, sum(lengths) * bin_width, low, data.n_units, amplitude, scale):
            continue
        mi, _, null_mi, _ = _coupling(_phase_bins(phases[j], n_phase_bins), amps, n_phase_bins, lags, amplitude)
        out["mi"][i, j] = mi
        for key, value in _against_null(mi, null_mi).items():
            out[key][i, j] = np.nan if value is None else value
    duration = sum(lengths) * bin_width
    return Comodulogram(phase_freqs=pf, amplitude_freqs=af, **out, null=null, n_surrogates=n_surrogates, seed=seed,
                        phase_bandwidth=2 * half, amplitude=amplitude, bin_width=bin_width, n_phase_bins=n_phase_bins,
                        population=population, n_units=data.n_units, duration=duration)
