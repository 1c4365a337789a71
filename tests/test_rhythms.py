"""Population rate, rate spectra and aperiodic fit: cross-checks against scipy, elephant and the formulas."""

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import linalg, signal

from synchro.core import SpikeData
from synchro.errors import NothingToAnalyseError, UsageError
from synchro.rhythms import (
    Multitaper,
    Welch,
    band_verdicts,
    fit_aperiodic,
    holm,
    population_rate,
    rate_spectrum,
)
from synchro.rhythms.verdicts import _decide

T0 = 1.0  # recordings start at 1 s so that t_start is honoured everywhere


def poisson_data(n_units, rate, duration, seed, populations=None):
    rng = np.random.default_rng(seed)
    n = rng.poisson(n_units * rate * duration)
    units = None if populations is None else {"population": populations}
    times, unit = T0 + rng.uniform(0, duration, n), rng.integers(0, n_units, n)
    order = np.lexsort((times, unit))
    return SpikeData.from_arrays(times[order], unit[order], t_start=T0, t_stop=T0 + duration, n_units=n_units,
                                 units=units)


def binned_rate(data, bin_width):
    # Independent of synchro: numpy histogram over explicit edges.
    edges = data.t_start + bin_width * np.arange(int(round(data.duration / bin_width)) + 1)
    return np.histogram(data.times, edges)[0] / (data.n_units * bin_width)


@pytest.fixture(scope="module")
def data():
    return poisson_data(40, 8.0, 6.0, seed=1)


# Population rate -----------------------------------------------------------------

def test_population_rate_matches_numpy_and_elephant(data):
    import neo
    import quantities as pq
    from elephant.statistics import time_histogram

    pr = population_rate(data)
    np.testing.assert_allclose(pr.rate, binned_rate(data, 0.001), rtol=1e-12)
    trains = [neo.SpikeTrain(t, t_start=T0, t_stop=data.t_stop, units="s") for t in data.trains()]
    el = time_histogram(trains, 1 * pq.ms, output="rate").rescale("Hz").magnitude.ravel()
    np.testing.assert_allclose(pr.rate, el, rtol=1e-10)
    assert pr.rate.mean() == pytest.approx(data.n_spikes / data.n_units / data.duration, rel=1e-12)
    assert pr.times[0] == pytest.approx(T0 + 0.0005)


def test_population_rate_grid_times_and_partial_bin():
    # Simulator times k * dt must land in bin k; a spike in a partial last bin is left out with it.
    times = np.arange(100) * 0.001
    d = SpikeData.from_arrays(np.append(times, 0.1003), np.zeros(101, dtype=int), t_stop=0.1005)
    pr = population_rate(d)
    assert pr.rate.size == 100 and np.all(pr.rate == 1000.0)


def test_smoothing_is_for_display_and_attenuates(data):
    pr = population_rate(data)
    sm = pr.smoothed(0.005)
    assert sm.mean() == pytest.approx(pr.rate.mean(), rel=1e-3)
    # A Gaussian of SD sigma keeps exp(-(2 pi f sigma)^2) of the power: white input loses almost all variance.
    assert sm.var() < 0.1 * pr.rate.var()
    with pytest.raises(UsageError, match="positive"):
        pr.smoothed(0)
    coarse = population_rate(data, bin_width=0.01)  # allowed for display
    assert coarse.rate.size == 600


def test_population_selection_and_nothing_left():
    pops = np.array(["exc"] * 30 + ["inh"] * 10)
    d = poisson_data(40, 5.0, 3.0, seed=2, populations=pops)
    inh = population_rate(d, population="inh")
    assert inh.n_units == 10 and inh.population == "inh"
    sub = d.select(population="inh")
    np.testing.assert_allclose(inh.rate, binned_rate(sub, 0.001), rtol=1e-12)
    silent = SpikeData.from_arrays(np.array([T0 + 0.5]), np.array([0]), t_start=T0, t_stop=T0 + 3, n_units=2,
                                   units={"population": ["a", "b"]})
    with pytest.raises(NothingToAnalyseError, match="no spikes"):
        rate_spectrum(silent, population="b")


# Spectra ---------------------------------------------------------------------------

def test_welch_window_and_estimator_records(data):
    # Any scipy window: the PSD is scipy's with that window (the mean removed over every bin, not the two a
    # Hann window touches), and the record names the estimator with its resolved segments.
    x = binned_rate(data, 0.001)
    for window in ("hamming", ("tukey", 0.3)):
        spec = rate_spectrum(data, estimator=Welch(nperseg=500, noverlap=100, window=window))
        f, p = signal.welch(x, fs=1000.0, window=window, nperseg=500, noverlap=100)
        np.testing.assert_allclose(spec.psd, p, rtol=1e-10)
    assert spec.estimator == {"name": "welch", "nperseg": 500, "noverlap": 100, "window": ["tukey", 0.3]}
    doc = json.loads(json.dumps(rate_spectrum(data, estimator=Multitaper(nw=3)).to_dict()))
    assert doc["estimator"] == {"name": "multitaper", "nw": 3.0, "adaptive": False}
    assert doc["analysis"] == "rate_spectrum"
    assert Welch() == Welch(None, None, "hann") and hash(Multitaper()) == hash(Multitaper(4.0, False))


def test_welch_matches_scipy_and_elephant(data):
    from elephant.spectral import welch_psd

    spec = rate_spectrum(data, estimator=Welch(nperseg=1000, noverlap=500))
    x = binned_rate(data, 0.001)
    f, p = signal.welch(x, fs=1000.0, nperseg=1000, noverlap=500)
    np.testing.assert_allclose(spec.freqs, f, rtol=1e-12)
    np.testing.assert_allclose(spec.psd, p, rtol=1e-10)
    # elephant: len_segment in samples, overlap as a fraction, Hann window and constant detrend by default.
    fe, pe = welch_psd(x, len_segment=1000, overlap=0.5, fs=1000.0)
    np.testing.assert_allclose(fe, spec.freqs, rtol=1e-12)
    np.testing.assert_allclose(spec.psd, pe, rtol=1e-10)
    # Odd segment length and a step that leaves samples over at the end.
    odd = rate_spectrum(data, estimator=Welch(nperseg=701, noverlap=300))
    np.testing.assert_allclose(odd.psd, signal.welch(x, fs=1000.0, nperseg=701, noverlap=300)[1], rtol=1e-10)


def _dpss_from_formula(n, nw, k):
    # Slepian (1978): the DPSS are eigenvectors of the tridiagonal matrix commuting with the sinc kernel.
    w = nw / n
    i = np.arange(n)
    diag = ((n - 1 - 2 * i) / 2.0) ** 2 * np.cos(2 * np.pi * w)
    off = i[1:] * (n - i[1:]) / 2.0
    _, vecs = linalg.eigh_tridiagonal(diag, off, select="i", select_range=(n - k, n - 1))
    tapers = vecs[:, ::-1].T
    lag = i[:, None] - i[None, :]
    kernel = np.where(lag == 0, 2 * w, np.sin(2 * np.pi * w * lag) / (np.pi * np.where(lag == 0, 1, lag)))
    lam = np.einsum("kn,nm,km->k", tapers, kernel, tapers)
    return tapers, lam


def _adaptive_from_formula(eig, lam, level):
    # Thomson's iteration frequency by frequency (Percival & Walden eqs. 368a, 369a).
    out = np.empty(eig.shape[1])
    for j in range(eig.shape[1]):
        s = eig[:2, j].mean()
        for _ in range(1000):
            d2 = lam * s**2 / (lam * s + (1 - lam) * level) ** 2
            new = np.sum(d2 * eig[:, j]) / np.sum(d2)
            if abs(new - s) <= 1e-15 * s:
                break
            s = new
        out[j] = new
    return out


@pytest.mark.parametrize("adaptive,duration", [(False, 2.0), (True, 2.0), (False, 1.999)])
def test_multitaper_matches_independent_dpss(adaptive, duration):
    d = poisson_data(30, 10.0, duration, seed=3)
    spec = rate_spectrum(d, estimator=Multitaper(nw=4.0, adaptive=adaptive))
    x = binned_rate(d, 0.001)
    x = x - x.mean()
    tapers, lam = _dpss_from_formula(x.size, 4.0, 7)
    eig = np.abs(np.fft.rfft(tapers * x, axis=-1)) ** 2 / 1000.0  # two-sided, per taper
    if adaptive:
        two_sided = _adaptive_from_formula(eig, lam, x.var() / 1000.0)
    else:
        two_sided = lam @ eig / lam.sum()
    expected = 2 * two_sided
    expected[0] /= 2  # DC and (even length) Nyquist are not doubled
    if x.size % 2 == 0:
        expected[-1] /= 2
    np.testing.assert_allclose(spec.psd, expected, rtol=1e-10, atol=1e-12 * expected.max())
    assert np.all(spec.dof[1:-1] <= 14 + 1e-9) and np.median(spec.dof) > 13


def test_welch_dof_matches_hann_overlap_formula():
    # Percival & Walden (1993) eq. 292c: Hann, 50 % overlap -> nu = 36 K^2 / (19 K - 1).
    for duration, k in [(5.0, 9), (10.0, 19)]:
        spec = rate_spectrum(poisson_data(5, 5.0, duration, seed=4), estimator=Welch(nperseg=1000))
        assert spec.dof[10] == pytest.approx(36 * k**2 / (19 * k - 1), rel=1e-12)
        assert spec.dof[0] == pytest.approx(spec.dof[10] / 2)


@pytest.mark.parametrize("estimator", [Welch(), Multitaper()])
def test_poisson_floor_and_ci_coverage(estimator):
    # N independent Poisson trains of rate nu: the one-sided PSD is flat at 2 nu / N.
    n_units, rate = 50, 10.0
    covered, levels = [], []
    for seed in range(12):
        spec = rate_spectrum(poisson_data(n_units, rate, 10.0, seed=100 + seed), estimator=estimator)
        assert spec.floor == pytest.approx(2 * spec.mean_rate / n_units)
        band = (spec.freqs >= 3) & (spec.freqs <= 497)
        truth = 2 * rate / n_units
        covered.append((spec.ci_low[band] <= truth) & (truth <= spec.ci_high[band]))
        levels.append(spec.psd[band].mean() / truth)
    # Mean level over ~500 Hz of bins and 12 sets: within 2 % of 2 nu / N.
    assert np.mean(levels) == pytest.approx(1.0, abs=0.02)
    assert np.mean(np.concatenate(covered)) == pytest.approx(0.95, abs=0.012)


def test_spectrum_errors(data):
    with pytest.raises(UsageError, match="too coarse.*alias"):
        rate_spectrum(data, bin_width=0.002)
    with pytest.raises(UsageError, match=r"Welch\(\) or Multitaper\(\)"):
        rate_spectrum(data, estimator="welch")
    with pytest.raises(UsageError, match="noverlap"):
        Welch(nperseg=500, noverlap=500)
    with pytest.raises(UsageError, match="nperseg"):
        Welch(nperseg=4)
    with pytest.raises(UsageError, match="window"):
        Welch(window="no-such-window")
    with pytest.raises(UsageError, match="nw"):
        Multitaper(nw=0.5)
    with pytest.raises(UsageError, match="discard"):
        rate_spectrum(data, discard=10.0)
    with pytest.raises(UsageError, match="confidence"):
        rate_spectrum(data, confidence=1.5)


def test_discard_drops_onset(data):
    spec = rate_spectrum(data, discard=1.0)
    f, p = signal.welch(binned_rate(data.restrict(T0 + 1.0), 0.001), fs=1000.0, nperseg=1000)
    np.testing.assert_allclose(spec.psd, p, rtol=1e-10)
    assert spec.parameters["discard"] == 1.0


# Aperiodic fit (tests/test_aperiodic.py has the rest) ------------------------------------------

def test_aperiodic_fit_on_poisson_is_flat_at_the_floor():
    spec = rate_spectrum(poisson_data(100, 5.0, 10.0, seed=9))
    fit = fit_aperiodic(spec)
    # The background follows the lower envelope (quadratic below, soft-L1 above): at most a few % under.
    assert fit.white_level == pytest.approx(spec.floor, rel=0.06)
    # Within 10 %: the dip term may follow the scatter of the lowest bins (SD 24 % each at 36 dof).
    assert np.all(np.abs(fit.model([5.0, 50.0, 190.0]) / spec.floor - 1) < 0.10)
    with pytest.raises(UsageError, match="freq_range"):
        fit_aperiodic(spec, freq_range=(0, 50))


# Holm, results, import discipline --------------------------------------------------------

def test_holm_known_answer():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.001]), [0.5, 0.002])
    np.testing.assert_allclose(holm([0.6, 0.7]), [1.0, 1.0])


def _row(name, p_peak, p_independent, reason="", single_unit=False):
    """A row as band_verdicts hands it to _decide: only the p-values, the reason and the unit count matter."""
    return dict(name=name, band=(1.0, 2.0), reason=reason, single_unit=single_unit, band_power=1.0,
                statistic=1.0, threshold=1.0, p_independent=p_independent, p_peak=p_peak, peak_hz=1.5,
                power_ratio=2.0, power_db=3.0, width_hz=0.5, edge=False, fit_p_value=0.5,
                overshoot=0.4)  # a good background fit (<= MAX_OVERSHOOT): no "undetermined" from it


def _words(rows, alpha=0.05):
    return {v.name: v.verdict for v in _decide(rows, alpha)}


def test_verdicts_use_holm_adjusted_p_values_not_raw_ones():
    # Every raw p below is < 0.05, so a verdict read from raw p-values says "present" in theta and alpha and
    # "broadband" in gamma; after Holm across the three determined bands (the undetermined one is no test):
    #   p_peak 0.02, 0.03, 0.5 -> 0.06, 0.06, 0.5       (no peak anywhere)
    #   p_ind  0.001, 0.03, 0.04 -> 0.003, 0.06, 0.06  (shared power in theta only)
    rows = [_row("theta", 0.02, 0.001), _row("alpha", 0.03, 0.03), _row("gamma", 0.5, 0.04),
            _row("beta", np.nan, np.nan, reason="recording too short for the band")]
    verdicts = {v.name: v for v in _decide(rows, 0.05)}
    assert {b: v.verdict for b, v in verdicts.items()} == {
        "theta": "broadband", "alpha": "absent", "gamma": "absent", "beta": "undetermined"}
    np.testing.assert_allclose([verdicts[b].p_peak_holm for b in ("theta", "alpha", "gamma")], [0.06, 0.06, 0.5])
    np.testing.assert_allclose([verdicts[b].p_independent_holm for b in ("theta", "alpha", "gamma")],
                               [0.003, 0.06, 0.06])
    assert np.isnan(verdicts["beta"].p_peak_holm) and np.isnan(verdicts["beta"].p_independent_holm)
    assert not any(v.present for v in verdicts.values())
    # One unit: the peak test alone speaks; raw 0.03 and 0.04 become 0.06 and 0.06 -> absent, not present.
    single = _words([_row("alpha", 0.03, np.nan, single_unit=True), _row("gamma", 0.04, np.nan, single_unit=True)])
    assert single == {"alpha": "absent", "gamma": "absent"}


def test_verdicts_are_present_when_the_holm_adjusted_p_values_pass():
    # The converse: Holm p < alpha gives "present". Two determined bands with p_peak 0.02 each -> 0.04 < 0.05;
    # the undetermined band must not join the family (with three tests they would become 0.06: absent).
    rows = [_row("alpha", 0.02, 0.001), _row("gamma", 0.02, 0.024),
            _row("beta", np.nan, np.nan, reason="recording too short for the band")]
    verdicts = {v.name: v for v in _decide(rows, 0.05)}
    assert {b: v.verdict for b, v in verdicts.items()} == {"alpha": "present", "gamma": "present",
                                                            "beta": "undetermined"}
    assert verdicts["alpha"].p_peak_holm == pytest.approx(0.04) and verdicts["gamma"].present
    np.testing.assert_allclose([verdicts[b].p_independent_holm for b in ("alpha", "gamma")], [0.002, 0.024])
    # At alpha = 0.03 the same Holm p-values (0.04) fail the peak test although both raw ones (0.02) pass it.
    assert _words([_row("alpha", 0.02, 0.001), _row("gamma", 0.02, 0.024)], alpha=0.03) == {
        "alpha": "broadband", "gamma": "broadband"}
    assert _words([_row("alpha", 0.02, np.nan, single_unit=True)]) == {"alpha": "present"}


def test_result_objects_summary_dict_plot(data):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = band_verdicts(data, n_surrogates=40, rng=3)
    doc = json.loads(json.dumps(res.to_dict()))
    assert doc["null"] == "circular_shift" and doc["n_surrogates"] == 40 and doc["seed"] == 3
    assert set(doc["bands"]["gamma"]) >= {"verdict", "p_peak", "p_independent_holm", "background"}
    assert set(doc["bands"]) == {"alpha", "gamma"} and doc["spectrum"]["estimator"]["name"] == "welch"
    assert doc["analysis"] == "band_verdicts" and doc["parameters"]["estimator"]["nperseg"] == 1000
    assert doc["parameters"]["bin_width"] == 0.001 and doc["parameters"]["nperseg"] == 1000
    assert "Alpha: " in res.summary() and "Gamma: " in res.summary()
    assert res["gamma"].band == (30.0, 80.0) and res["gamma"].name == "gamma" and 30 <= res["gamma"].peak_hz < 80
    assert res.present == {"alpha": res["alpha"].present, "gamma": res["gamma"].present}
    assert set(res.words.values()) <= {"present", "broadband", "absent", "undetermined"}
    for obj in (res, res.spectrum, res.peaks["gamma"].fit, population_rate(data)):
        fig, ax = plt.subplots()
        assert obj.plot(ax) is ax
        assert obj.summary() and json.dumps(obj.to_dict())
        plt.close(fig)
    with pytest.raises(KeyError, match="beta"):
        res["beta"]


def test_band_verdicts_is_reproducible_and_records_seed(data):
    def ps(res):
        return [(v.p_peak, v.p_independent) for v in res.verdicts]

    a = band_verdicts(data, n_surrogates=40, rng=7)
    b = band_verdicts(data, n_surrogates=40, rng=7)
    assert ps(a) == ps(b)
    c = band_verdicts(data, n_surrogates=40, rng=None)
    d = band_verdicts(data, n_surrogates=40, rng=c.seed)
    assert ps(c) == ps(d)
    np.testing.assert_array_equal(c.null_mean, d.null_mean)
    # p = (1 + k) / (1 + n): on a grid of 1/41.
    assert all(abs(p * 41 - round(p * 41)) < 1e-9 for pair in ps(a) for p in pair)


def test_band_verdicts_errors(data):
    with pytest.raises(UsageError, match="circular_shift.*dither.*isi_shuffle"):
        band_verdicts(data, null="poisson")
    with pytest.raises(UsageError, match="dither_window"):
        band_verdicts(data, null="dither", n_surrogates=40)
    with pytest.raises(UsageError, match="Nyquist"):
        band_verdicts(data, bands={"fast": (300, 600)}, n_surrogates=40)
    with pytest.raises(UsageError, match="low, high"):
        band_verdicts(data, bands={"bad": 40}, n_surrogates=40)
    with pytest.raises(UsageError, match="alpha"):
        band_verdicts(data, alpha=0.0)
    with pytest.raises(UsageError, match="n_surrogates"):
        band_verdicts(data, n_surrogates=0)


def test_analysis_modules_import_only_numpy_and_scipy():
    heavy = "('numba', 'matplotlib', 'brian2', 'neo', 'pynwb', 'elephant')"
    code = ("import sys, synchro.rhythms, synchro.spectral, synchro.surrogates; "
            f"print(sorted(m for m in {heavy} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


OTHER_SETTINGS = [
    (Multitaper(), "circular_shift", {}),
    (Welch(), "dither", {"dither_window": 0.05}),
    (Welch(), "isi_shuffle", {}),
    (Multitaper(adaptive=True), "isi_shuffle", {}),
]


@pytest.mark.parametrize("estimator,null,kw", OTHER_SETTINGS)
def test_other_estimators_and_nulls_find_a_planted_gamma(estimator, null, kw):
    # 100 units, 5 Hz, 20 % modulation at 40 Hz shared by all units (inhomogeneous Poisson by thinning).
    rng = np.random.default_rng(40)
    n = rng.poisson(100 * 10.0 * 6.0)
    t = np.sort(rng.uniform(0, 10.0, n))  # time order is order within every unit
    keep = rng.random(n) < (1 + 0.2 * np.sin(2 * np.pi * 40.0 * t)) / 1.2
    d = SpikeData.from_arrays(T0 + t[keep], rng.integers(0, 100, n)[keep], t_start=T0, t_stop=T0 + 10.0,
                              n_units=100)
    res = band_verdicts(d, estimator=estimator, null=null, n_surrogates=60, rng=1, **kw)
    assert res.present == {"alpha": False, "gamma": True}
    assert abs(res["gamma"].peak_hz - 40.0) <= 1.0 and res["gamma"].p_independent == pytest.approx(1 / 61)
    assert res["gamma"].p_peak == pytest.approx(1 / 61)
    assert res.null == null and res.spectrum.estimator["name"] == estimator.to_dict()["name"]
