"""Rhythm episodes: :func:`rhythm_episodes`."""

from __future__ import annotations

import math

import numpy as np

from ..aperiodic import MIN_PEAK_HEIGHT, fit_aperiodic
from ..core import SpikeData
from ..errors import UsageError
from ..rhythms import DEFAULT_BANDS, check_bands, default_freq_range, null_spectra
from ..spectral import Welch, prepare_rate
from ..surrogates import seeded_rng
from .edges import refine_edges
from .results import BandEpisodes, Episode, RhythmEpisodes
from .wavelets import (
    NULL_SECONDS,
    TAIL_LEVELS,
    band_freqs,
    calibrate,
    cone,
    decimation,
    flags,
    null_heights,
    opening,
    smoothed_max,
    transform,
)

__all__ = ["rhythm_episodes", "default_n_cycles", "DEFAULT_ALPHA", "MIN_WAVELET_CYCLES", "MAX_CYCLES",
           "INDEPENDENT_SHIFTS"]

#: Default nominal share of time flagged under the aperiodic null.
DEFAULT_ALPHA = 0.001
#: Bounds of the default cycles per Morlet wavelet (:func:`default_n_cycles`).
MIN_WAVELET_CYCLES, MAX_CYCLES = 5.0, 10.0
# The background is a model that misses a real smooth spectrum by a few per cent, which a null simulated from it
# cannot see: as in the peak test, the data must stand MIN_PEAK_HEIGHT (log10, 12 %) above the null's threshold.
_MIN_RATIO = 10.0**MIN_PEAK_HEIGHT
#: The band statistic is averaged over this many cycles of the reference frequency.
SMOOTH_CYCLES = 1.0
#: Gaps between episodes shorter than this many cycles of the reference frequency are bridged.
BRIDGE_CYCLES = 1.5
#: Circular shifts whose mean spectrum measures the independent-units part of the background.
INDEPENDENT_SHIFTS = 20


def _check(alpha, n_surrogates, min_cycles, n_cycles):
    alpha = float(alpha)
    if not 0 < alpha < 0.5:
        raise UsageError(f"alpha (the share of null time flagged) must lie in (0, 0.5); got {alpha}")
    if isinstance(n_surrogates, bool) or not isinstance(n_surrogates, (int, np.integer)) or n_surrogates < 1:
        raise UsageError(f"n_surrogates must be a positive integer; got {n_surrogates!r}")
    low = min(TAIL_LEVELS) * alpha  # the smallest share of null time measured for the tail fit
    if n_surrogates * NULL_SECONDS * low < 1.0:
        raise UsageError(f"n_surrogates {n_surrogates} gives {n_surrogates * NULL_SECONDS:g} s of null time, too "
                         f"little to calibrate alpha {alpha:g}; use at least {math.ceil(1 / (low * NULL_SECONDS))}")
    for name, value in (("min_cycles", min_cycles), ("n_cycles", n_cycles)):
        if value is None and name == "n_cycles":
            continue
        if not (isinstance(value, (int, float, np.number)) and value > 0 and math.isfinite(value)):
            raise UsageError(f"{name} must be a positive number of cycles; got {value!r}")
    return alpha, int(n_surrogates), float(min_cycles), None if n_cycles is None else float(n_cycles)


def default_n_cycles(band: tuple[float, float]) -> float:
    """Cycles per wavelet for a band: a third of its low edge in Hz, between 5 and 10 (alpha 5, gamma 10).

    A rhythm's wavelet power over the noise grows in proportion to the cycles, and its onset blurs by the
    wavelet's temporal SD ``n_cycles / (2 pi f)``: slow rhythms, whose episodes hold few cycles, get short
    wavelets (alpha at 10 Hz: 80 ms), fast ones long wavelets for their signal-to-noise (gamma at 40 Hz: 40 ms).

    Parameters
    ----------
    band : (float, float)
        Band (Hz).

    Returns
    -------
    float
    """
    return float(min(MAX_CYCLES, max(MIN_WAVELET_CYCLES, band[0] / 3.0)))


def _reference_hz(spectrum, fit, band) -> float:
    """The band's largest local maximum of spectrum over background; the geometric centre when it holds none."""
    f, ratio = spectrum.freqs, spectrum.psd / np.maximum(fit.model(spectrum.freqs), np.finfo(float).tiny)
    idx = np.flatnonzero((f >= band[0]) & (f < band[1]))
    inner = idx[(idx > 0) & (idx < f.size - 1)]
    local = inner[(ratio[inner] >= ratio[inner - 1]) & (ratio[inner] > ratio[inner + 1])]
    return float(f[local[np.argmax(ratio[local])]]) if local.size else math.sqrt(band[0] * band[1])


def _peak(freqs, mean_power) -> tuple[float, int]:
    """Frequency of the largest mean power, interpolated by a parabola in log frequency; and its wavelet."""
    i = int(np.argmax(mean_power))
    if 0 < i < freqs.size - 1:
        a, b, c = np.log(mean_power[i - 1: i + 2])
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
        step = math.log(freqs[i + 1] / freqs[i])
        return float(freqs[i] * math.exp(shift * step)), i
    return float(freqs[i]), i


def rhythm_episodes(data: SpikeData, *, bands=DEFAULT_BANDS, bin_width: float = 0.001, discard: float = 0.0,
                    n_cycles: float | None = None, min_cycles: float = 3.0, alpha: float = DEFAULT_ALPHA,
                    n_surrogates: int = 60, population: str | None = None, population_column: str = "population",
                    rng=None) -> RhythmEpisodes:
    """Find when each band's rhythm is there: episodes of wavelet power above the aperiodic background.

    The population rate (1 ms bins) is transformed with Morlet wavelets log-spaced over each band. Each
    wavelet's power is divided by its expected value under the aperiodic background of the whole recording's
    rate spectrum (:func:`~synchro.rhythms.fit_aperiodic`, with the independent-units part measured by
    circular shifts), the shot-noise part of it scaled by the local firing rate. A time is in an episode when
    the band's largest normalised power stays above a threshold for at least ``min_cycles`` cycles of the
    band's reference frequency. The threshold is calibrated under the aperiodic null: ``n_surrogates``
    Gaussian series with the background's spectrum, transformed alike; it is the ``1 - alpha`` quantile of
    the height at which the episode rule stops flagging a null sample, so that a share ``alpha`` of null time
    is flagged (Methods, "Rhythm episodes").

    Parameters
    ----------
    data : SpikeData
        Spikes. With gaps in the time support, each observed stretch is transformed on its own; no episode
        spans a gap.
    bands : mapping of str to (float, float), default alpha 8-13 Hz, gamma 30-80 Hz
        Bands (Hz, half-open).
    bin_width : float, default 0.001
        Bin width of the rate (s), at most 0.001.
    discard : float, default 0.0
        Seconds dropped from the start.
    n_cycles : float, optional
        Cycles per wavelet: temporal SD ``n_cycles / (2 pi f)`` (s), spectral SD ``f / n_cycles`` (Hz). Default
        per band, :func:`default_n_cycles` (a third of the low edge, between 5 and 10: alpha 5, gamma 10).
    min_cycles : float, default 3.0
        Shortest episode, in cycles of the band's reference frequency.
    alpha : float, default 0.001
        Nominal share of time flagged under the aperiodic null (0.1 %).
    n_surrogates : int, default 60
        Null series of :data:`~synchro.episodes.wavelets.NULL_SECONDS` (10 s) each.
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
        Unit-table column that ``population`` refers to.
    rng : numpy.random.Generator, int or None
        Random source (circular shifts and null draws); the seed is recorded. Null draws for an int seed are
        cached, so repeated calls with one seed share them.

    Returns
    -------
    RhythmEpisodes
        Per band: the episodes (start, stop, duration in s, cycles, peak frequency in Hz, power over the
        background), the share of assessed time in rhythm, episodes per minute, the threshold and the map.

    Raises
    ------
    UsageError
        Bad bands (a band above the Nyquist frequency), ``alpha`` outside (0, 0.5), too few null series,
        ``bin_width`` above 1 ms.
    NothingToAnalyseError
        No spikes after selection.

    References
    ----------
    Torrence, C. & Compo, G. P. (1998). A practical guide to wavelet analysis. Bull. Am. Meteorol. Soc. 79,
    61-78 (Morlet power, cone of influence). Whitten, T. A. et al. (2011). A better oscillation detection
    method robustly extracts EEG rhythms across brain state changes: the human alpha rhythm as a test case.
    NeuroImage 54, 860-874 (BOSC: power and duration thresholds).
    """
    alpha, n_surrogates, min_cycles, n_cycles = _check(alpha, n_surrogates, min_cycles, n_cycles)
    prep = prepare_rate(data, estimator=Welch(), bin_width=bin_width, discard=discard, population=population,
                        population_column=population_column)
    spectrum = prep.spectrum()
    bands = check_bands(bands, spectrum.freqs)
    fs = 1.0 / prep.bin_width
    gen, seed = seeded_rng(rng)
    null_seed = int(gen.integers(2**62))
    single = bool(np.count_nonzero(prep.data.spike_counts) < 2)
    independent = None if single else null_spectra(prep, "circular_shift", INDEPENDENT_SHIFTS, None, gen).mean(0)
    freq_range = default_freq_range(None, bands, float(spectrum.freqs[-1]))
    fit = fit_aperiodic(spectrum, independent=independent, freq_range=freq_range)
    mean_rate = spectrum.mean_rate
    rate = prep.rates(prep.counts[0])
    runs = np.array([[0, prep.n_bins]]) if prep.runs is None else prep.runs
    t0 = prep.data.t_start
    rows = []
    for i, (name, band) in enumerate(bands.items()):
        cycles = default_n_cycles(band) if n_cycles is None else n_cycles
        # Each band's background is fitted with the band left out, as in the peak test: a strong rhythm would
        # otherwise lift the background under itself (on 3.8 s of the 2003 network the whole-range fit put gamma
        # at 1.0x its background against 1.7x with 10 s, and found 4 % of the time in gamma instead of half).
        band_fit = fit_aperiodic(spectrum, independent=independent, freq_range=freq_range, exclude=band)
        rows.append(_band(name, band, rate, runs, t0, fs, mean_rate, spectrum, band_fit, cycles, min_cycles, alpha,
                          n_surrogates, null_seed + i))
    params = {**spectrum.parameters, "estimator": spectrum.estimator, "wavelet": "morlet",
              "bands": {k: list(v) for k, v in bands.items()}, "population_column": population_column,
              "independent_shifts": 0 if single else INDEPENDENT_SHIFTS, "cone_sd": 2.0}
    return RhythmEpisodes(tuple(rows), population, prep.data.n_units, prep.data.observed_duration, alpha,
                          n_surrogates, NULL_SECONDS, seed, n_cycles, min_cycles, fit, params)


def _band(name, band, rate, runs, t0, fs, mean_rate, spectrum, fit, n_cycles, min_cycles, alpha, n_surrogates,
          null_seed) -> BandEpisodes:
    freqs = band_freqs(band, n_cycles)
    d = decimation(fs, band)
    dt = d / fs
    reference = _reference_hz(spectrum, fit, band)
    length = max(1, math.ceil(min_cycles / reference / dt))
    length += 1 - length % 2  # odd: a centred window
    width = max(1, round(SMOOTH_CYCLES / reference / dt))
    gap = max(1, round(BRIDGE_CYCLES / reference / dt))
    edge = cone(band, n_cycles)
    edge_samples = math.ceil(edge / dt)
    empty = np.empty((freqs.size, 0), dtype=np.float32)
    base = dict(name=name, band=band, min_duration=length * dt, reference_hz=reference, cone=edge, freqs=freqs)
    if not mean_rate > 0:
        return BandEpisodes(episodes=(), fraction_in_rhythm=math.nan, episodes_per_minute=math.nan,
                            assessed_duration=0.0, threshold=math.nan, reason="no spikes in the analysed time",
                            times=np.empty(0), power=empty, **base)

    def background(nu):
        return fit.parts(nu)

    null = null_heights(freqs, n_cycles, fs, d, background, n_surrogates, null_seed, length, width)
    threshold, _ = calibrate(null, alpha, gap)
    threshold *= _MIN_RATIO
    episodes, times, maps, assessed = [], [], [], 0
    for a, b in runs:
        n_out = -(-(b - a) // d)
        inside = slice(edge_samples, n_out - edge_samples)
        if n_out - 2 * edge_samples < length:
            continue
        z = transform(rate[a:b], mean_rate, freqs, n_cycles, fs, d, background)
        t = t0 + (a + np.arange(n_out) * d + 0.5) / fs
        zm = np.full_like(z, np.nan)
        zm[:, inside] = z[:, inside]
        times.append(t)
        maps.append(zm)
        zz = z[:, inside]
        assessed += zz.shape[1]
        stat = smoothed_max(z, width)[inside]
        flagged = flags(opening(stat, length), threshold, gap)
        edges = np.flatnonzero(np.diff(np.r_[0, flagged.astype(np.int8), 0]))
        ti = t[inside]
        for s, e in edges.reshape(-1, 2):
            peak_hz, _ = _peak(freqs, zz[:, s:e].mean(axis=1))
            ts, te = refine_edges(rate[a:b], t0 + a / fs, fs, ti[s] - dt / 2, ti[e - 1] + dt / 2, peak_hz, n_cycles,
                                  background)
            if te - ts < length * dt:  # its rhythm, placed again, is shorter than the minimum duration
                continue
            # Peak frequency and power over the refined episode (map samples whose centre it holds).
            s, e = np.searchsorted(ti, ts), max(np.searchsorted(ti, te), np.searchsorted(ti, ts) + 1)
            peak_hz, k = _peak(freqs, zz[:, s:e].mean(axis=1))
            episodes.append(Episode(start=ts, stop=te, duration=te - ts, cycles=(te - ts) * peak_hz,
                                    peak_hz=peak_hz, power_ratio=float(zz[k, s:e].mean())))
    assessed_s = assessed * dt
    if not assessed:
        reason = (f"no observed stretch is long enough: {2 * edge + length * dt:.3g} s needed (a cone of influence "
                  f"of {edge:.3g} s at each edge and {length * dt:.3g} s for one episode)")
        return BandEpisodes(episodes=(), fraction_in_rhythm=math.nan, episodes_per_minute=math.nan,
                            assessed_duration=0.0, threshold=threshold, reason=reason, times=np.empty(0),
                            power=empty, **base)
    in_rhythm = sum(e.duration for e in episodes)
    return BandEpisodes(episodes=tuple(episodes), fraction_in_rhythm=in_rhythm / assessed_s,
                        episodes_per_minute=len(episodes) / (assessed_s / 60.0), assessed_duration=assessed_s,
                        threshold=threshold, reason="", times=_join(times, np.empty(0)),
                        power=_join(maps, empty, axis=1).astype(np.float32), **base)


def _join(parts, empty, axis=0):
    """Concatenate the stretches' maps with a NaN column between stretches, so a plot never bridges a gap."""
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    out = []
    for p in parts:
        out.append(p)
        out.append(np.full(p.shape[:-1] + (1,), np.nan) if axis else np.array([p[-1] + 1e-9]))
    return np.concatenate(out[:-1], axis=axis)
