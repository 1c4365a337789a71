"""synchro.synchrony: cross-checks against elephant and PySpike, known answers, calibration."""

import json
import types
import warnings

import neo
import numpy as np
import pyspike as spk
import pytest
import quantities as pq

from synchro import Signal, SpikeData
from synchro.errors import InvalidDataError, NothingToAnalyseError, UsageError
from synchro.synchrony import (
    correlation_matrix,
    golomb_chi,
    kuramoto_order,
    population_fano,
    spike_contrast,
    spike_sync,
    spike_sync_matrix,
    sttc_matrix,
)
from synchro.synchrony._common import pair_plan

# elephant, PySpike (and neo, quantities, which elephant needs) are in the test extra: imported plainly, so a
# failed install fails these cross-checks instead of skipping them.
T = 10.0


def _poisson(rng, n_units, rate, duration=T):
    return [np.sort(rng.uniform(0, duration, rng.poisson(rate * duration))) for _ in range(n_units)]


@pytest.fixture(scope="module")
def mixed():
    """Independent and correlated units, a silent one, spikes near both edges, a repeated time."""
    rng = np.random.default_rng(7)
    trains = _poisson(rng, 14, 8.0)
    common = np.sort(rng.uniform(0, T, 60))
    for _ in range(6):  # shared events with 2 ms jitter: STTC and SPIKE-sync well above zero
        t = common[rng.random(common.size) < 0.7]
        t = np.clip(t + rng.normal(0, 0.002, t.size), 0, T - 1e-6)
        trains.append(np.sort(np.concatenate([t, rng.uniform(0, T, 20)])))
    trains.append(np.array([]))
    trains.append(np.array([0.001, 0.004, 3.0, 9.998, 9.9995]))
    trains.append(np.array([2.0, 5.0, 5.0, 7.5]))
    return SpikeData.from_trains(trains, t_stop=T), trains


def _elephant_sttc_rtol0(monkeypatch):
    """elephant's STTC with np.isclose's rtol forced to 0.

    elephant 1.2 calls ``np.isclose(..., atol=dt)`` with the default
    ``rtol=1e-5`` and exposes no parameter for it, so the module's ``np`` is
    replaced by a proxy whose ``isclose`` passes ``rtol=0`` (only inside
    elephant.spike_train_correlation, undone by monkeypatch).
    """
    import elephant.spike_train_correlation as esc

    proxy = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    proxy.isclose = lambda a, b, **kw: np.isclose(a, b, **{**kw, "rtol": 0.0})
    monkeypatch.setattr(esc, "np", proxy)
    return esc.spike_time_tiling_coefficient


def _neo(trains, t_start=0.0, t_stop=T):
    return [neo.SpikeTrain(np.asarray(t) + 0.0, t_start=t_start, t_stop=t_stop, units="s") for t in trains]


@pytest.mark.parametrize("dataset", ["mixed", "gridded"])
def test_sttc_equals_elephant_with_rtol_zero(dataset, request, monkeypatch):
    data, trains = request.getfixturevalue(dataset)
    elephant_sttc = _elephant_sttc_rtol0(monkeypatch)
    sts = _neo(trains)
    ours = sttc_matrix(data, delta_t=0.005, n_surrogates=0).matrix
    ref = np.array([[elephant_sttc(a, b, dt=0.005 * pq.s) for b in sts] for a in sts])
    assert np.array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12, equal_nan=True)


def test_sttc_elephant_default_rtol_widens_the_window_late_in_a_recording():
    # Spikes 6 ms apart at t ~ 2000 s: rtol=1e-5 adds 20 ms to elephant's 5 ms window.
    from elephant.spike_train_correlation import spike_time_tiling_coefficient

    a, b = np.array([2000.0, 2001.0]), np.array([2000.006, 2001.006])
    data = SpikeData.from_trains([a, b], t_start=1990.0, t_stop=2010.0)
    ours = sttc_matrix(data, delta_t=0.005, n_surrogates=0).value
    theirs = spike_time_tiling_coefficient(*_neo([a, b], 1990.0, 2010.0), dt=0.005 * pq.s)
    assert ours == pytest.approx((0 - 0.001) / (1 - 0), abs=1e-12)  # P = 0, T = 20 ms / 20 s
    assert theirs == pytest.approx(1.0)


def test_sttc_counts_a_spike_exactly_window_away(monkeypatch):
    # Cutts & Eglen (2014) count a spike of B at |dt| <= window as close, and so do synchro's docs and
    # elephant (np.isclose: |a - b| <= atol + rtol |b|). To test the boundary itself, every time and the
    # window are dyadic rationals (k / 128 with k < 256): each is exact in float64 and so are their
    # differences, so t_b - t_a == window holds exactly and no rounding decides which side it lies on.
    w = 2.0 ** -7  # 7.8125 ms
    a = np.array([0.25, 0.5, 0.75])
    b = np.array([0.25 + w, 0.5 + 2 * w])  # exactly one window after a[0]; two windows after a[1]
    c = np.array([0.125])  # far from both
    assert b[0] - a[0] == w and b[1] - a[1] == 2 * w
    # By hand, on [0, 1] s. No tile is clipped by an edge or overlaps another: T = n * 2w.
    # P_A = 1/3 (a[0] has b[0] at exactly w), P_B = 1/2 (b[0] has a[0]; b[1] is 2w from a[1]).
    # T_A = 6w = 3/64, T_B = 4w = 1/32.
    # STTC = 1/2 (1/3 - 1/32) / (1 - 1/96) + 1/2 (1/2 - 3/64) / (1 - 3/128) = 1/2 (29/95 + 58/125) = 1827/4750.
    # Were the boundary excluded, P_A = P_B = 0 and STTC = -(T_B + T_A) / 2 = -5/128.
    sttc_ab = 1827 / 4750
    # Against c nothing is close: STTC = -(T_x + T_c) / 2 with T_c = 2w = 1/64.
    sttc_ac, sttc_bc = -(3 / 64 + 1 / 64) / 2, -(1 / 32 + 1 / 64) / 2
    data = SpikeData.from_trains([a, b, c], t_stop=1.0)
    expected = np.array([[1.0, sttc_ab, sttc_ac], [sttc_ab, 1.0, sttc_bc], [sttc_ac, sttc_bc, 1.0]])
    # The all-pairs kernel (global time order) and the sampled-pairs kernel (merge of each pair) both.
    full = sttc_matrix(data, delta_t=w, n_surrogates=0)
    np.testing.assert_allclose(full.matrix, expected, rtol=0, atol=1e-15)
    sampled = sttc_matrix(data, delta_t=w, max_units=2, n_pairs=3, n_surrogates=0, rng=0)
    assert sampled.pairs_sampled and sampled.pairs.tolist() == [[0, 1], [0, 2], [1, 2]]
    np.testing.assert_allclose(sampled.pair_values, [sttc_ab, sttc_ac, sttc_bc], rtol=0, atol=1e-15)
    # elephant agrees on the boundary, with rtol 0 and with its default rtol (1e-5 |t| < 1e-5 s is far
    # smaller than the 2w - w gap that separates the other spikes).
    from elephant.spike_train_correlation import spike_time_tiling_coefficient

    sts = _neo([a, b, c], t_stop=1.0)
    assert spike_time_tiling_coefficient(sts[0], sts[1], dt=w * pq.s) == pytest.approx(sttc_ab, abs=1e-15)
    elephant_sttc = _elephant_sttc_rtol0(monkeypatch)
    ref = np.array([[elephant_sttc(x, y, dt=w * pq.s) for y in sts] for x in sts])
    np.testing.assert_allclose(ref, expected, rtol=0, atol=1e-15)


def test_sttc_identical_trains_is_one_and_silent_units_are_counted():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, T, 80))
    res = sttc_matrix(SpikeData.from_trains([t, t, t, []], t_stop=T), n_surrogates=0)
    np.testing.assert_array_equal(res.matrix[:3, :3], 1.0)
    assert np.isnan(res.matrix[3]).all()
    assert (res.value, res.n_pairs, res.n_silent, res.pairs_sampled) == (1.0, 3, 1, False)


def test_sttc_surrogate_baseline_separates_correlated_from_independent():
    rng = np.random.default_rng(3)
    independent = SpikeData.from_trains(_poisson(rng, 12, 10.0), t_stop=T)
    common = np.sort(rng.uniform(0, T, 100))
    shared = SpikeData.from_trains([np.sort(common + rng.normal(0, 0.001, common.size)).clip(0, T - 1e-6)
                                    for _ in range(12)], t_stop=T)
    null_ind = sttc_matrix(independent, n_surrogates=30, rng=5)
    null_sh = sttc_matrix(shared, n_surrogates=30, rng=5)
    assert abs(null_ind.z) < 4 and abs(null_ind.chance) < 0.02
    assert null_sh.z > 20 and null_sh.value > 0.8
    assert (null_sh.null, null_sh.n_surrogates, null_sh.seed) == ("circular_shift", 30, 5)
    assert sttc_matrix(shared, n_surrogates=30, rng=5).chance_sd == null_sh.chance_sd  # seeded


def test_pair_plan_inverts_the_upper_triangle_index():
    gen = np.random.default_rng(0)
    for n in (3, 7, 40):
        rows, cols = pair_plan(n, 2, n * (n - 1) // 2, gen)
        iu = np.triu_indices(n, 1)
        np.testing.assert_array_equal(rows, iu[0])
        np.testing.assert_array_equal(cols, iu[1])
    assert pair_plan(7, 7, 5, gen) is None


@pytest.mark.parametrize("dataset", ["mixed", "gridded"])
def test_sttc_and_spike_sync_sample_pairs_above_max_units(dataset, request):
    data, _ = request.getfixturevalue(dataset)
    full = sttc_matrix(data, n_surrogates=0)
    part = sttc_matrix(data, max_units=10, n_pairs=50, n_surrogates=0, rng=2)
    assert part.matrix is None and part.pairs_sampled and part.pairs.shape == (50, 2)
    assert len({tuple(p) for p in part.pairs}) == 50 and np.all(part.pairs[:, 0] < part.pairs[:, 1])
    np.testing.assert_array_equal(part.pair_values, full.matrix[part.pairs[:, 0], part.pairs[:, 1]])
    sync_full = spike_sync_matrix(data)
    sync_part = spike_sync_matrix(data, max_units=10, n_pairs=50, rng=2)
    np.testing.assert_array_equal(sync_part.pairs, part.pairs)
    np.testing.assert_array_equal(sync_part.pair_values, sync_full.matrix[part.pairs[:, 0], part.pairs[:, 1]])
    assert sync_part.n_pairs == 50 and spike_sync(data, max_units=10, n_pairs=50, rng=2).value == sync_part.value


@pytest.fixture(scope="module")
def gridded(mixed):
    """The mixed trains on a 2 ms grid, as simulators write them: many equal times across units."""
    trains = [np.unique(np.round(t / 0.002) * 0.002) for t in mixed[1]]
    trains = [t[t < T] for t in trains]
    return SpikeData.from_trains(trains, t_stop=T), trains


@pytest.mark.parametrize("max_tau", [None, 0.01])
@pytest.mark.parametrize("dataset", ["mixed", "gridded"])
def test_spike_sync_equals_pyspike(dataset, max_tau, request):
    data, trains = request.getfixturevalue(dataset)
    sts = [spk.SpikeTrain(t, edges=(0.0, T)) for t in trains]
    ours = spike_sync_matrix(data, max_tau=max_tau)
    np.testing.assert_allclose(ours.matrix, spk.spike_sync_matrix(sts, max_tau=max_tau), rtol=0, atol=1e-12)
    ref = spk.spike_sync(sts, max_tau=max_tau)
    assert ours.value == pytest.approx(ref, abs=1e-12)
    assert spike_sync(data, max_tau=max_tau).value == pytest.approx(ref, abs=1e-12)
    assert 0.05 < ref < 0.95


def test_spike_sync_identical_trains_is_one():
    t = np.sort(np.random.default_rng(2).uniform(0, T, 50))
    res = spike_sync_matrix(SpikeData.from_trains([t] * 4, t_stop=T))
    assert res.value == 1.0
    np.testing.assert_array_equal(res.matrix, 1.0)


def test_spike_contrast_equals_elephant(mixed):
    from elephant.spike_train_synchrony import spike_contrast as elephant_contrast

    data, trains = mixed
    ours = spike_contrast(data)
    ref, trace = elephant_contrast(_neo(trains), return_trace=True)
    assert ours.value == pytest.approx(ref, abs=1e-9)
    np.testing.assert_allclose(ours.synchrony_curve, trace.synchrony, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.active_spiketrains, trace.active_spiketrains, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.bin_sizes, trace.bin_size.rescale("s").magnitude, rtol=1e-12)
    t = np.sort(np.random.default_rng(1).uniform(0, T, 40))
    assert spike_contrast(SpikeData.from_trains([t, t, t], t_stop=T)).value > 0.9


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("dataset", ["mixed", "gridded"])
def test_correlation_matrix_equals_elephant(dataset, binary, request):
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient

    data, trains = request.getfixturevalue(dataset)  # gridded: spikes on bin edges, elephant's rounding rule
    ours = correlation_matrix(data, bin_width=0.001, binary=binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = correlation_coefficient(BinnedSpikeTrain(_neo(trains), bin_size=1 * pq.ms), binary=binary)
    np.testing.assert_allclose(ours.matrix, ref, rtol=0, atol=1e-12, equal_nan=True)
    block = ours.matrix[14:20, 14:20][~np.eye(6, dtype=bool)]
    independent = ours.matrix[:14, :14][np.triu_indices(14, 1)]
    assert ours.n_silent == 1 and block.mean() > 0.02 and abs(independent.mean()) < 0.01


def test_population_fano_poisson_and_synchronous():
    rng = np.random.default_rng(4)
    pois = population_fano(SpikeData.from_trains(_poisson(rng, 50, 10.0), t_stop=T), bin_widths=(0.005, 0.01, 0.05))
    # sd of a sample Fano factor of Poisson counts is about sqrt(2 / n_bins): <= 0.063 here
    np.testing.assert_allclose(pois.fano, 1.0, atol=0.25)
    assert list(pois.n_bins) == [2000, 1000, 200]
    common = np.sort(rng.uniform(0, T, 100))
    sync = population_fano(SpikeData.from_trains([common] * 20, t_stop=T), bin_widths=(0.01,))
    assert sync.fano[0] > 15  # each event brings 20 spikes: Fano about 20
    regular = population_fano(SpikeData.from_trains([np.arange(0.005, T, 0.01)], t_stop=T), bin_widths=(0.01,))
    assert regular.fano[0] == 0.0


def test_kuramoto_identical_is_one_independent_unbiased_near_zero():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, T, 60))
    same = kuramoto_order(SpikeData.from_trains([t] * 5, t_stop=T))
    assert same.value == pytest.approx(1.0, abs=1e-12) and same.r_uncorrected == pytest.approx(1.0, abs=1e-12)
    ind = kuramoto_order(SpikeData.from_trains(_poisson(rng, 40, 10.0), t_stop=T))
    assert abs(ind.r_squared_unbiased) < 0.01
    assert ind.r_uncorrected > 0.1  # the raw R keeps its ~1/sqrt(N) bias


def test_golomb_chi_known_answers():
    rng = np.random.default_rng(6)
    t = np.sort(rng.uniform(0, T, 100))
    assert golomb_chi(SpikeData.from_trains([t] * 6, t_stop=T), n_surrogates=0).chi == pytest.approx(1.0, abs=1e-12)
    n = 60
    ind = golomb_chi(SpikeData.from_trains(_poisson(rng, n, 10.0), t_stop=T), kernel="gaussian", tau=0.005,
                     n_surrogates=10, rng=1)
    assert ind.floor_chi_squared == 1 / n and ind.floor_chi == pytest.approx(n ** -0.5)
    assert ind.chi_squared == pytest.approx(1 / n, rel=0.2)
    assert abs(ind.z) < 4 and ind.chance == pytest.approx(ind.floor_chi, rel=0.1)
    v = rng.normal(size=(20000, 1))
    assert golomb_chi(Signal(np.repeat(v, 8, axis=1), 1000.0), n_surrogates=0).chi == pytest.approx(1.0)
    noise = golomb_chi(Signal(rng.normal(size=(20000, 40)), 1000.0), n_surrogates=5, rng=2)
    assert noise.chi_squared == pytest.approx(1 / 40, rel=0.1) and noise.source == "signal"


def test_golomb_chi_sees_shared_input_above_surrogates():
    rng = np.random.default_rng(8)
    common = np.sort(rng.uniform(0, T, 80))
    trains = [np.sort(np.concatenate([common[rng.random(80) < 0.5], rng.uniform(0, T, 40)])) for _ in range(30)]
    res = golomb_chi(SpikeData.from_trains(trains, t_stop=T), n_surrogates=10, rng=3)
    assert res.chi > 2 * res.floor_chi and res.z > 10
    d = res.to_dict()
    assert d["analysis"] == "golomb_chi" and d["seed"] == 3 and d["null"] == "circular_shift"
    json.dumps(d, allow_nan=False)


def test_results_serialise_to_strict_json(mixed):
    data, _ = mixed
    for res in (sttc_matrix(data, n_surrogates=0), spike_sync_matrix(data), spike_contrast(data),
                correlation_matrix(data), population_fano(data), kuramoto_order(data)):
        d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
        assert d["analysis"] == res.analysis


def test_results_plot():
    import matplotlib

    matplotlib.use("Agg")
    t = np.sort(np.random.default_rng(1).uniform(0, T, 30))
    data = SpikeData.from_trains([t, t[::2], t[1::2]], t_stop=T)
    for res in (sttc_matrix(data, n_surrogates=0), spike_contrast(data), population_fano(data), spike_sync(data),
                spike_sync_matrix(data), correlation_matrix(data), kuramoto_order(data),
                golomb_chi(data, n_surrogates=3, rng=0), sttc_matrix(data, max_units=2, n_surrogates=0)):
        assert res.plot().figure is not None


def test_bad_input_raises_specific_errors():
    t = np.array([1.0, 2.0])
    two = SpikeData.from_trains([t, t + 0.5], t_stop=T)
    with pytest.raises(UsageError, match="delta_t"):
        sttc_matrix(two, delta_t=0)
    with pytest.raises(UsageError, match="kernel"):
        golomb_chi(two, kernel="boxcar")
    with pytest.raises(UsageError, match="surrogate null"):
        sttc_matrix(two, null="shuffle", n_surrogates=2)
    with pytest.raises(UsageError, match="n_surrogates"):
        sttc_matrix(two, n_surrogates=-1)
    with pytest.raises(NothingToAnalyseError):
        spike_sync(SpikeData.from_trains([t], t_stop=T))
    with pytest.raises(InvalidDataError, match="two spikes"):
        spike_contrast(SpikeData.from_trains([[1.0], [2.0]], t_stop=T))
    with pytest.raises(UsageError, match="bin_shrink_factor"):
        spike_contrast(two, bin_shrink_factor=1.5)
    with pytest.raises(UsageError, match="bin width"):
        population_fano(two, bin_widths=(6.0,))
    with pytest.raises(TypeError, match="SpikeData"):
        sttc_matrix([t, t])


def test_cross_checks_hold_with_t_start_not_zero(mixed, monkeypatch):
    """The same spikes 37.5 s into a recording: every peer cross-check above, with t_start = 37.5 s on both sides.

    Catches an analysis that bins, tiles or normalises from 0 instead of from t_start (each of STTC's tiles,
    SPIKE-sync's edges, spike contrast's bin grid and the correlation's bins depend on it).
    """
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient
    from elephant.spike_train_synchrony import spike_contrast as elephant_contrast

    offset = 37.5
    _, trains = mixed
    trains = [np.asarray(t) + offset for t in trains]
    data = SpikeData.from_trains(trains, t_start=offset, t_stop=offset + T)
    sts = _neo(trains, t_start=offset, t_stop=offset + T)
    elephant_sttc = _elephant_sttc_rtol0(monkeypatch)
    ref = np.array([[elephant_sttc(a, b, dt=0.005 * pq.s) for b in sts] for a in sts])
    np.testing.assert_allclose(sttc_matrix(data, delta_t=0.005, n_surrogates=0).matrix, ref, rtol=0, atol=1e-12,
                               equal_nan=True)
    pyspike = [spk.SpikeTrain(t, edges=(offset, offset + T)) for t in trains]
    assert spike_sync(data).value == pytest.approx(spk.spike_sync(pyspike), abs=1e-12)
    assert spike_contrast(data).value == pytest.approx(elephant_contrast(sts), abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corr = correlation_coefficient(BinnedSpikeTrain(sts, bin_size=1 * pq.ms))
    np.testing.assert_allclose(correlation_matrix(data, bin_width=0.001).matrix, corr, rtol=0, atol=1e-12,
                               equal_nan=True)
