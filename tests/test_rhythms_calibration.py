"""Statistical calibration of band_verdicts: false positives on null populations, power on planted rhythms.

Null populations are independent trains, so neither alpha nor gamma is
present as a population rhythm, even where single units are regular enough
to put peaks at 10 and 40 Hz into the population spectrum. Every data set
runs the default estimator (Welch) and the default null (circular shift)
with the default 200 surrogates.
"""

import numpy as np
import pytest
from scipy import stats

from synchro.core import SpikeData
from synchro.rhythms import band_verdicts

N_SETS = 200
ALPHA = 0.05
# One-sided binomial 95 % bound on the false-positive count of a calibrated test: 15 of 200 (7.5 %).
FP_LIMIT = stats.binom.ppf(0.95, N_SETS, ALPHA) / N_SETS
N_UNITS, DURATION = 40, 5.0


def _spike_data(trains_times, unit_rows, n_units, duration):
    order = np.lexsort((trains_times, unit_rows))
    return SpikeData.from_arrays(trains_times[order], unit_rows[order], t_stop=duration, n_units=n_units,
                                 time_unit="s")


def _renewal(rng, rates, shape, dead_time, duration, burn_in=1.0):
    """Stationary gamma-renewal trains with a dead time: ISI = dead_time + Gamma(shape, scale), one per rate."""
    rates = np.asarray(rates, dtype=float)
    scale = (1 / rates - dead_time) / shape
    n = int(np.ceil((duration + burn_in) * rates.max() * 1.5)) + 20
    isis = dead_time + rng.gamma(shape, scale[:, None], size=(rates.size, n))
    t = np.cumsum(isis, axis=1) - burn_in  # starting 1 s early forgets the phase of the first spike
    unit = np.broadcast_to(np.arange(rates.size)[:, None], t.shape)
    keep = (t >= 0) & (t < duration)
    return t[keep], unit[keep]


def poisson_set(rng):
    rates = rng.uniform(5, 15, N_UNITS)
    counts = rng.poisson(rates * DURATION)
    unit = np.repeat(np.arange(N_UNITS), counts)
    return _spike_data(rng.uniform(0, DURATION, unit.size), unit, N_UNITS, DURATION)


def regular_set(rng):
    # Half the units fire regularly at 10 Hz, half at 40 Hz (gamma-renewal shape 8, 2 ms dead time).
    rates = np.where(np.arange(N_UNITS) % 2 == 0, 10.0, 40.0)
    return _spike_data(*_renewal(rng, rates, 8.0, 0.002, DURATION), N_UNITS, DURATION)


def bursty_set(rng):
    # Bursts recur near 10 Hz (gamma-renewal shape 5); each holds 2-5 spikes 3-5 ms apart.
    onsets, unit = _renewal(rng, np.full(N_UNITS, 10.0), 5.0, 0.01, DURATION)
    sizes = rng.integers(2, 6, onsets.size)
    within = np.cumsum(np.column_stack([np.zeros(onsets.size), rng.uniform(0.003, 0.005, (onsets.size, 4))]), axis=1)
    in_burst = np.arange(5) < sizes[:, None]
    t = (onsets[:, None] + within)[in_burst]
    u = np.broadcast_to(unit[:, None], within.shape)[in_burst]
    keep = t < DURATION
    return _spike_data(t[keep], u[keep], N_UNITS, DURATION)


def planted_set(rng, freq, n_units=100, duration=10.0, rate=5.0, depth=0.2):
    # Inhomogeneous Poisson by thinning: r(t) = rate (1 + depth sin(2 pi f t + phase)), common to all units.
    peak = rate * (1 + depth)
    n = rng.poisson(n_units * duration * peak)
    t = rng.uniform(0, duration, n)
    phase = rng.uniform(0, 2 * np.pi)
    keep = rng.random(n) < (1 + depth * np.sin(2 * np.pi * freq * t + phase)) / (1 + depth)
    return _spike_data(t[keep], rng.integers(0, n_units, n)[keep], n_units, duration)


@pytest.mark.parametrize("make", [poisson_set, regular_set, bursty_set], ids=["poisson", "gamma_renewal", "bursty"])
def test_false_positive_rate_is_calibrated(make):
    rng = np.random.default_rng(2026)
    present = {"alpha": 0, "gamma": 0}
    raw = {"alpha": [], "gamma": []}
    for _ in range(N_SETS):
        res = band_verdicts(make(rng), rng=rng)
        for v in res.verdicts:
            present[v.band] += v.present
            raw[v.band].append(v.p_value)
    for band in present:
        assert present[band] / N_SETS <= FP_LIMIT, (band, present[band])
    # Raw p-values of both bands are uniform on the grid k / 201 (KS at the 0.1 % level, 400 values).
    pooled = np.concatenate([raw["alpha"], raw["gamma"]])
    assert stats.kstest(pooled, stats.uniform(0, 1).cdf).pvalue > 1e-3


@pytest.mark.parametrize("rate,band", [(10.0, "alpha"), (40.0, "gamma")])
def test_regular_units_do_make_population_peaks(rate, band):
    # What the calibration above guards against: independent regular units put a peak at their rate into
    # the population spectrum, well above the Poisson floor and the aperiodic fit, yet the verdict is "absent".
    # Shape 30 (CV 0.18) makes the single-unit peak about 3 nu (shape 8 gives only about 1.15 nu).
    rng = np.random.default_rng(int(rate))
    res = band_verdicts(_spike_data(*_renewal(rng, np.full(N_UNITS, rate), 30.0, 0.002, DURATION), N_UNITS,
                                    DURATION), rng=1)
    spec = res.spectrum
    near = np.abs(spec.freqs - rate) <= 1
    assert spec.psd[near].max() > 1.8 * spec.floor
    assert spec.psd[near].max() > 1.8 * res.aperiodic.model(rate)
    assert not res[band].present


@pytest.mark.parametrize("freq,band", [(10.0, "alpha"), (40.0, "gamma")])
def test_planted_rhythm_is_detected(freq, band):
    rng = np.random.default_rng(int(freq))
    n_sets, hits, peaks = 50, 0, []
    for _ in range(n_sets):
        res = band_verdicts(planted_set(rng, freq), rng=rng)
        hits += res[band].present
        peaks.append(res[band].peak_hz)
    assert hits / n_sets >= 0.9
    assert np.all(np.abs(np.array(peaks) - freq) <= 1.0)
