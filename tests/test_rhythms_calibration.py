"""Calibration of band_verdicts: false "present" on aperiodic and independent nulls, power on planted rhythms.

"present" claims a spectral peak above the aperiodic background. It must not be claimed for populations
whose shared fluctuation is slow and smooth (an Ornstein-Uhlenbeck drive, a 1/f^1.5 drive, up/down
switching, refractory units under a drive: every one of which has power beyond independent units, so the
old independence test alone called them rhythmic), nor for independent units, however regular or bursty
(their single-unit peaks are not shared). Every data set is 40 units for 10 s (tests/rhythm_families.py),
analysed with the defaults (Welch, circular shifts, 200 surrogates and bootstrap spectra, alpha 0.05).
"""


import numpy as np
import pytest
import rhythm_families as families
from rhythm_families import map_on_every_core
from scipy import stats

from synchro.rhythms import band_verdicts

N_SETS = 200
ALPHA = 0.05
# The decision per band is Holm's over two bands. Under the null, with the bands' p-values independent and
# uniform, band 1 is rejected when p1 < alpha/2, or when alpha/2 <= p1 < alpha and p2 < alpha/2:
# alpha/2 + alpha^2/4 = 2.56 % (not alpha: Holm spends alpha over both bands). The limit is that nominal rate
# plus the one-sided 99 % binomial margin over N_SETS sets: 11 of 200 (5.5 %).
NOMINAL = ALPHA / 2 + ALPHA**2 / 4
FP_LIMIT = stats.binom.ppf(0.99, N_SETS, NOMINAL) / N_SETS
# Raw (unadjusted) peak-test p-values below alpha: nominal alpha, the same 99 % margin (18 of 200, 9 %).
RAW_LIMIT = stats.binom.ppf(0.99, N_SETS, ALPHA) / N_SETS

FAMILIES = {**families.APERIODIC_FAMILIES, **families.INDEPENDENT_FAMILIES}
# Every family at seed 2026, and the OU drive of 100 ms once more at another seed: there the bootstrap alone
# (no minimum peak height) put raw p < 0.05 in 10 % of sets and alpha "present" in 7 %, above both limits,
# while seed 2026 happened to pass.
RUNS = [(name, 2026) for name in FAMILIES] + [("ou100", 99)]


def _run(make, seed):
    rng = np.random.default_rng(seed)
    words = {"alpha": [], "gamma": []}
    raw = {"alpha": [], "gamma": []}
    for _ in range(N_SETS):
        res = band_verdicts(make(rng), rng=rng)
        for v in res.verdicts:
            words[v.name].append(v.verdict)
            raw[v.name].append(v.p_peak)
    return words, raw


def _run_family(name, seed):
    return _run(FAMILIES[name], seed)


@pytest.fixture(scope="module")
def null_runs():
    return map_on_every_core(_run_family, {run: run for run in RUNS})


@pytest.mark.parametrize("name,seed", RUNS)
def test_present_is_calibrated_on_nulls(name, seed, null_runs):
    words, raw = null_runs[name, seed]
    for band in words:
        present = words[band].count("present") / N_SETS
        assert present <= FP_LIMIT, (name, band, present)
        p = np.array(raw[band], dtype=float)
        p = p[np.isfinite(p)]
        assert np.mean(p < ALPHA) <= RAW_LIMIT, (name, band, np.mean(p < ALPHA))
        if name in families.INDEPENDENT_FAMILIES:
            # No shared power at all: the independence test (broadband or present) is calibrated too.
            shared = (words[band].count("broadband") + words[band].count("present")) / N_SETS
            assert shared <= FP_LIMIT, (name, band, shared)
        # Undetermined (background misfit around the band) is a rare exception on these smooth spectra.
        assert words[band].count("undetermined") / N_SETS <= 0.05, (name, band, words[band].count("undetermined"))


def test_shared_slow_drive_is_broadband_not_present():
    # What the old independence test alone called "present" in 5 of 5 seeds: a shared OU drive puts power
    # beyond independent units into alpha, with no peak. The word for it is "broadband".
    words, _ = _run(families.make_ou20, seed=7)
    assert words["alpha"].count("broadband") / N_SETS >= 0.8
    assert words["alpha"].count("present") / N_SETS <= FP_LIMIT


def test_the_reported_ou_case_is_broadband():
    # The case that opened issue 13: 20 Poisson units sharing one OU rate drive (tau 100 ms, a Lorentzian, no
    # rhythm), 60 s; the independence test alone said alpha "present" in 5 of 5 seeds.
    words = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        dt, n, tau = 1e-3, 60_000, 0.1
        x = np.empty(n)
        x[0] = rng.standard_normal()
        a = np.exp(-dt / tau)
        noise = rng.standard_normal(n) * np.sqrt(1 - a * a)
        for i in range(1, n):
            x[i] = a * x[i - 1] + noise[i]
        rate = 8.0 * np.maximum(0.0, 1 + 0.8 * x)  # Hz, common to the 20 units
        counts = rng.poisson(rate * dt, size=(20, n))
        unit, step = np.nonzero(counts)
        unit, step = np.repeat(unit, counts[unit, step]), np.repeat(step, counts[unit, step])
        t = (step + rng.random(step.size)) * dt
        order = np.lexsort((t, unit))
        data = families.SpikeData.from_arrays(t[order], unit[order], t_stop=60.0, n_units=20)
        words.append(band_verdicts(data, rng=seed)["alpha"].verdict)
    assert words == ["broadband"] * 5


@pytest.mark.parametrize("freq,band", [(10.0, "alpha"), (40.0, "gamma")])
def test_planted_rhythm_on_a_slow_drive_is_detected(freq, band):
    # Depth 0.3 at freq on an OU (50 ms) drive: detected in at least 90 % of 50 sets, peak within 1.5 Hz.
    rng = np.random.default_rng(int(freq))
    n_sets, hits, peaks = 50, 0, []
    for _ in range(n_sets):
        res = band_verdicts(families.make_planted(rng, freq), rng=rng)
        hits += res[band].present
        peaks.append(res[band].peak_hz)
    assert hits / n_sets >= 0.9
    assert np.all(np.abs(np.array(peaks) - freq) <= 1.5)


@pytest.mark.parametrize("rate,band", [(10.0, "alpha"), (40.0, "gamma")])
def test_regular_units_do_make_population_peaks(rate, band):
    # What the calibration guards against: independent regular units put a peak at their rate into the
    # population spectrum, well above the Poisson floor, yet the verdict is not "present": the peak is in the
    # independent-units part of the background (circular-shift surrogates), not shared.
    # Shape 30 (CV 0.18) makes the single-unit peak about 3 nu (shape 8 gives only about 1.15 nu).
    rng = np.random.default_rng(int(rate))
    data = families._spike_data(*families._renewal(rng, np.full(40, rate), 30.0, 0.002, 5.0), 40, 5.0)
    res = band_verdicts(data, rng=1)
    spec = res.spectrum
    near = np.abs(spec.freqs - rate) <= 1
    assert spec.psd[near].max() > 1.8 * spec.floor
    assert res[band].verdict == "absent"
