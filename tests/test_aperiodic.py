"""The aperiodic background and the peak rules: known spectra, refractory dips, band edges, short records."""

import json

import numpy as np
import pytest
import rhythm_families as families
from scipy import stats

from synchro.aperiodic import fit_aperiodic, simulate_background
from synchro.aperiodic._fit import fit_rows
from synchro.aperiodic._model import Linearised, Model, log_bias
from synchro.aperiodic._peaks import _LOCAL, _band_peaks, _complex_normal, _simulate
from synchro.core import SpikeData
from synchro.errors import UsageError
from synchro.rhythms import RateSpectrum, band_verdicts, min_surrogates, rate_spectrum
from synchro.spectral import Welch

FREQS = np.arange(0, 501.0)


def _noisy(psd_true, dof=36.0, seed=0):
    noisy = psd_true * stats.chi2.rvs(dof, size=FREQS.size, random_state=seed) / dof
    one = np.ones_like(FREQS)
    return RateSpectrum(FREQS, noisy, noisy, noisy, dof * one, 0.1, 5.0, 100, "welch")


def test_fit_follows_a_refractory_dip_below_the_floor():
    # Refractory units: the spectrum dips to half the floor at low frequency and rises back to it (the
    # renewal spectrum of a dead time), under a shared Lorentzian. A model without the dip can only
    # pass above the data there; this one follows it, with the band left out of the fit.
    floor, depth, dip_hz = 0.1, 0.5, 20.0
    truth = floor * (1 - depth / (1 + (FREQS / dip_hz) ** 2)) + 2.0 / (FREQS**2 + 4.0)
    errors, depths = [], []
    for seed in range(8):
        fit = fit_aperiodic(_noisy(truth, seed=seed), exclude=(30.0, 80.0))
        errors.append(np.abs(np.log10(fit.model([3.0, 10.0, 20.0, 40.0, 60.0, 150.0]) /
                                      np.interp([3.0, 10.0, 20.0, 40.0, 60.0, 150.0], FREQS, truth))))
        depths.append(fit.dip_depth)
        assert fit.model(20.0) < 0.9 * floor  # below the floor, where the truth is (0.080)
        assert fit.rms_residual < 1.0 and not np.any(fit.independent) and fit.exclude == (30.0, 80.0)
    # Within 10 % everywhere, the excluded gamma band included (interpolated from its flanks).
    assert np.max(np.mean(errors, axis=0)) < np.log10(1.10)
    # The depth itself trades off against the Lorentzian that overlaps it; the curve does not.
    assert np.min(depths) > 0.2


def test_fit_cannot_absorb_a_peak_in_the_excluded_band():
    background = 0.1 + 50.0 / (FREQS**2 + 25.0)
    peak = 0.4 * np.exp(-0.5 * ((FREQS - 40) / 2.0) ** 2)
    for seed in range(5):
        spec = _noisy(background + peak, seed=seed)
        fit = fit_aperiodic(spec, exclude=(30.0, 50.0))
        # At the peak the background stays within 10 % of the truth (0.131), the peak 4x above it.
        assert fit.model(40.0) == pytest.approx(0.1 + 50 / 1625, rel=0.10)
    doc = json.loads(json.dumps(fit.to_dict()))
    assert doc["model"].startswith("B(f) + F (1 - d") and doc["parameters"]["exclude"] == [30, 50]


def test_measured_independent_part_and_shared_lorentzian():
    # B measured (given): only the shared part and the dip are fitted. Truth: B plus a Lorentzian of corner
    # 5 Hz, exponent 2.
    independent = 0.2 * (1 - 0.3 / (1 + (FREQS / 30.0) ** 2))
    truth = independent + 3.0 / (FREQS**2 + 25.0)
    fit = fit_aperiodic(_noisy(truth, seed=3), independent=independent, freq_range=(2.0, 200.0))
    assert np.all(fit.independent == independent[(FREQS >= 2) & (FREQS <= 200)])
    # Exponent, knee and white level trade off within the noise; the curve they draw does not.
    f = np.array([2.0, 8.0, 40.0, 150.0])
    np.testing.assert_allclose(fit.model(f), np.interp(f, FREQS, truth), rtol=0.12)


def test_fit_range_errors():
    with pytest.raises(UsageError, match="freq_range"):
        fit_aperiodic(_noisy(np.full(FREQS.size, 0.1)), freq_range=(0, 50))
    with pytest.raises(UsageError, match="8 spectral bins"):
        fit_aperiodic(_noisy(np.full(FREQS.size, 0.1)), freq_range=(2, 20), exclude=(3, 19))


# Peak rules ----------------------------------------------------------------------------------------------

def test_band_peak_rules():
    band = np.zeros(10, dtype=bool)
    band[3:7] = True  # bins 3, 4, 5, 6
    # A slope that keeps rising below the band: its largest value sits on the lower edge, no peak: "edge".
    slope = np.linspace(3, 1, 10)[None, :]
    stat, edge = _band_peaks(slope, band)
    assert stat[0] == 0 and edge[0]
    # A local maximum on the edge bin itself (above the bin beyond the edge) is a peak.
    on_edge = np.array([[1, 1, 1.2, 2.0, 1.5, 1.1, 1.0, 1, 1, 1]])
    stat, edge = _band_peaks(on_edge, band)
    assert stat[0] == 2.0 and not edge[0]
    # The largest local maximum counts, not a larger value on the rising flank at the upper edge.
    inner = np.array([[1, 1, 1, 1.1, 1.8, 1.2, 1.9, 2.5, 1, 1]])
    stat, edge = _band_peaks(inner, band)
    assert stat[0] == 1.8 and edge[0]


def _rhythm(freq, duration=20.0, n_units=60, depth=0.4, rate=8.0, seed=0, t_start=0.0):
    rng = np.random.default_rng(seed)
    n = rng.poisson(n_units * duration * rate * (1 + depth))
    t = rng.uniform(0, duration, n)
    keep = rng.random(n) < (1 + depth * np.sin(2 * np.pi * freq * t)) / (1 + depth)
    t, u = t[keep], rng.integers(0, n_units, n)[keep]
    order = np.lexsort((t, u))
    return SpikeData.from_arrays(t_start + t[order], u[order], t_start=t_start, t_stop=t_start + duration,
                                 n_units=n_units)


def test_adjacent_bands_never_share_a_bin():
    # A rhythm at exactly 8 Hz: bands are half-open, so 8 Hz belongs to alpha (8-13) and not to theta (4-8).
    res = band_verdicts(_rhythm(8.0), bands={"theta": (4.0, 8.0), "alpha": (8.0, 13.0)}, rng=0)
    assert res["alpha"].verdict == "present" and res["alpha"].peak_hz == 8.0
    assert res["theta"].peak_hz != 8.0 and res["theta"].verdict != "present"


def test_too_short_for_the_band_is_undetermined():
    # 2 s hold 8 cycles of 4 Hz: fewer than the 10 required; alpha (16 cycles) and gamma are decided.
    res = band_verdicts(_rhythm(40.0, duration=2.0), bands={"theta": (4.0, 8.0), "gamma": (30.0, 80.0)}, rng=0)
    assert res["theta"].verdict == "undetermined"
    assert res["theta"].reason.startswith("recording too short") and "at least 2.5 s" in res["theta"].reason
    assert res["gamma"].verdict == "present"
    assert "undetermined (recording too short" in res["theta"].sentence()


def test_unresolved_band_is_undetermined():
    # 2 Hz wide at 1 Hz resolution: 2 bins, fewer than 3.
    res = band_verdicts(_rhythm(40.0), bands={"narrow": (40.0, 42.0), "gamma": (30.0, 80.0)}, rng=0)
    assert res["narrow"].verdict == "undetermined" and res["narrow"].reason.startswith("band not resolved")


def test_too_few_surrogates_is_a_usage_error():
    # Holm over two bands: the smallest adjusted p is 2 / (1 + n); below 0.05 needs n >= 40.
    assert min_surrogates(2, 0.05) == 40 and min_surrogates(1, 0.05) == 20 and min_surrogates(3, 0.01) == 300
    data = _rhythm(40.0, duration=5.0)
    with pytest.raises(UsageError, match="at least 40"):
        band_verdicts(data, n_surrogates=39)
    assert band_verdicts(data, n_surrogates=40, rng=0)["gamma"].present


def test_one_spike_and_one_unit():
    one = SpikeData.from_arrays(np.array([0.5]), np.array([0]), t_stop=10.0)
    v = band_verdicts(one, rng=0)["alpha"]
    assert v.verdict == "undetermined" and "too few spikes" in v.reason and not v.present
    # One regular unit (a 10 Hz pacemaker, CV 0.1) is rhythmic on its own: present, labelled single-unit.
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.normal(0.1, 0.01, 300))
    pacemaker = SpikeData.from_arrays(t[t < 25.0], np.zeros(np.sum(t < 25.0), dtype=int), t_stop=25.0)
    res = band_verdicts(pacemaker, rng=0)
    assert res["alpha"].verdict == "present" and res["alpha"].single_unit and abs(res["alpha"].peak_hz - 10) <= 1
    assert np.isnan(res["alpha"].p_independent) and "single unit" in res["alpha"].sentence()
    # One Poisson unit is not.
    poisson = SpikeData.from_arrays(np.sort(rng.uniform(0, 25.0, 250)), np.zeros(250, dtype=int), t_stop=25.0)
    assert band_verdicts(poisson, rng=0)["alpha"].verdict == "absent"


def test_refractory_population_spectrum_is_fitted():
    # Independent refractory units (tests/rhythm_families.py): the measured independent part carries the
    # dip, so the background follows the spectrum around every band.
    data = families.make_refractory_ou(np.random.default_rng(4))
    res = band_verdicts(data, rng=0)
    for v in res.verdicts:
        assert v.overshoot < 1.0 and v.verdict != "undetermined"
    spec = rate_spectrum(data)
    assert spec.psd[(spec.freqs > 40) & (spec.freqs < 60)].mean() < spec.floor  # the dip is there


# The bootstrap's machinery ----------------------------------------------------------------------------------

def test_model_kernel_is_the_background_and_its_derivatives():
    # The fits evaluate the model and its Jacobian in one compiled loop; it must be log10 of the background
    # (written out in numpy for display and simulation) and its derivatives (central differences).
    rng = np.random.default_rng(0)
    f = np.arange(2.0, 201.0)
    x = np.column_stack([rng.uniform(-3, 1, 20), rng.uniform(0.5, 5, 20), rng.uniform(-0.5, 2.5, 20),
                         rng.uniform(0.05, 0.9, 20), rng.uniform(-0.5, 2.5, 20), rng.uniform(-3, 0, 20)])
    for independent in (None, 0.05 + 0.02 * np.cos(f / 7)):
        model = Model(f, independent)
        log, jac = model.log_and_jacobian(x)
        np.testing.assert_allclose(log, np.log10(model.background(x)), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(model.log(x), log)
        for k in range(6):
            step = np.zeros(6)
            step[k] = 1e-6
            numeric = (model.log(x + step) - model.log(x - step)) / 2e-6
            np.testing.assert_allclose(jac[:, k], numeric, rtol=1e-5, atol=1e-7)


def test_box_muller_draws_are_complex_gaussian():
    z = _complex_normal(np.random.default_rng(1), (4, 50_000))
    assert z.dtype == np.complex64 and z.shape == (4, 50_000)
    parts = np.concatenate([z.real.ravel(), z.imag.ravel()]).astype(np.float64)
    assert abs(parts.mean()) < 0.005 and abs(z.real.var() - 1) < 0.01 and abs(z.imag.var() - 1) < 0.01
    assert abs(np.corrcoef(z.real.ravel(), z.imag.ravel())[0, 1]) < 0.01
    assert stats.kstest(parts[::7], "norm").pvalue > 0.01  # Gaussian, not just unit variance
    np.testing.assert_array_equal(z, _complex_normal(np.random.default_rng(1), (4, 50_000)))


def test_box_muller_in_blocks_equals_the_whole_rows(monkeypatch):
    from synchro.aperiodic import _peaks

    scale = np.random.default_rng(2).uniform(0, 3, (2, 1, 40_001)).astype(np.float32)
    scale[:, :, 0] = 0.0
    blocked = _complex_normal(np.random.default_rng(1), (2, 3, 40_001), scale)  # 5 blocks a row, the last partial
    monkeypatch.setattr(_peaks, "_NORMAL_BLOCK", 10**9)  # each array transformed whole, as short rows are
    whole = _complex_normal(np.random.default_rng(1), (2, 3, 40_001), scale)
    assert blocked.dtype == np.complex64
    np.testing.assert_array_equal(blocked.view(np.uint32), whole.view(np.uint32))  # the same bits, signed zeros too
    np.testing.assert_array_equal(whole, _complex_normal(np.random.default_rng(1), (2, 3, 40_001)) * scale)


def _ou_bootstrap_setup(seed=2):
    # A real population spectrum (shared OU drive, 20 ms) with its measured independent part, the gamma band's
    # fit and a simulation from the whole-range background, as band_verdicts makes them.
    data = families.make_ou20(np.random.default_rng(seed))
    res = band_verdicts(data, rng=seed, n_surrogates=100)
    spec, whole, band = res.spectrum, res.aperiodic, res.peaks["gamma"].fit
    est, _ = Welch().plan(1000.0, int(round(data.duration * 1000))).decimated(whole.freq_range[1])
    envelope = np.ones(est.n_samples)
    return spec, whole, band, res.null_mean, est, envelope


def test_one_simulation_scaled_to_a_band_matches_simulating_that_band():
    # The peak test simulates the whole-range background once and scales the spectra to each band's null;
    # that must match simulating the band's null itself, in mean and in scatter (log-spread), in the band.
    spec, whole, band, independent, est, envelope = _ou_bootstrap_setup()
    rng = np.random.default_rng(5)
    sim = simulate_background(spec, whole, independent=independent, plan=est, envelope=envelope, n_boot=400,
                              rng=rng)
    scaled = sim.spectra * (band.background / whole.background)
    m = (spec.freqs >= whole.freq_range[0]) & (spec.freqs <= whole.freq_range[1])
    model = Model(whole.freqs, independent[m])
    direct = _simulate(spec, model, band.model_parameters(), independent, est, envelope, 400, rng)
    direct = direct[:, m[:direct.shape[1]]]
    assert np.max(np.abs(band.background / whole.background - 1)) > 0.03  # the two backgrounds do differ
    for lo, hi in ((8, 13), (30, 80), (100, 200)):
        k = (whole.freqs >= lo) & (whole.freqs < hi)
        assert scaled[:, k].mean() == pytest.approx(direct[:, k].mean(), rel=0.02)
        assert np.log10(scaled[:, k]).std() == pytest.approx(np.log10(direct[:, k]).std(), rel=0.05)


def test_linearised_refits_match_nonlinear_refits():
    # The bootstrap spectra are refitted on the model linearised at the band's fit. On the same spectra, the
    # nonlinear refits (the same Levenberg-Marquardt on the model itself) give the same band statistic.
    spec, whole, band, independent, est, envelope = _ou_bootstrap_setup()
    sim = simulate_background(spec, whole, independent=independent, plan=est, envelope=envelope, n_boot=200,
                              rng=np.random.default_rng(6))
    boot = sim.spectra * (band.background / whole.background)
    m = (spec.freqs >= whole.freq_range[0]) & (spec.freqs <= whole.freq_range[1])
    f, dof = whole.freqs, spec.dof[m]
    allowed, in_band = (f < 30) | (f >= 80), (f >= 30) & (f < 80)
    model, x = Model(f, independent[m]), band.model_parameters()
    y = np.log10(boot) - log_bias(dof)
    linear = Linearised(model, x)
    theta, _ = fit_rows(linear, y, dof, allowed, np.repeat(linear.theta0, 200, axis=0), **_LOCAL)
    x_boot, _ = fit_rows(model, y, dof, allowed, np.repeat(x, 200, axis=0), **_LOCAL)
    lin_bg, nonlin_bg = linear.log(theta), model.log(x_boot)
    # Spectrum by spectrum the two fits differ by a few per cent in the band (measured 3.5 %), without bias.
    assert np.median(np.abs(lin_bg - nonlin_bg)[:, in_band]) < 0.03
    assert abs(np.median((lin_bg - nonlin_bg)[:, in_band])) < 0.005
    stat_lin, _ = _band_peaks(boot / 10**lin_bg, in_band)
    stat_nonlin, _ = _band_peaks(boot / 10**nonlin_bg, in_band)
    assert np.quantile(stat_lin, 0.95) == pytest.approx(np.quantile(stat_nonlin, 0.95), rel=0.03)  # measured 1.3 %
    assert np.corrcoef(stat_lin, stat_nonlin)[0, 1] > 0.85  # measured 0.90
