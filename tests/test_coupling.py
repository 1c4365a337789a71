"""synchro.coupling: SFC against elephant, PPC against direct pair averages, locking known answers."""

import json
import warnings

import neo
import numpy as np
import pytest
import quantities as pq
from scipy import signal

from synchro import Signal, SpikeData
from synchro.coupling import phase_locking, spike_field_coherence, spike_phases
from synchro.coupling.locking import _locking_stats
from synchro.errors import SignalError, UsageError
from synchro.spectral import Multitaper, Welch

FS, T, F0 = 1000.0, 10.0, 40.0
PHASE0, JITTER = 1.0, 0.002  # preferred phase (rad) and spike jitter (s)


@pytest.fixture(scope="module")
def locked():
    """Units firing near phase PHASE0 of a noisy 40 Hz cosine field, plus two Poisson units and a silent one."""
    rng = np.random.default_rng(11)
    t = np.arange(int(T * FS)) / FS
    field = np.cos(2 * np.pi * F0 * t) + rng.normal(0, 1.0, t.size)
    cycles = np.arange(0, T, 1 / F0) + PHASE0 / (2 * np.pi * F0)
    trains = []
    for _ in range(12):
        s = cycles[rng.random(cycles.size) < 0.15]
        s = s + rng.normal(0, JITTER, s.size)
        trains.append(np.sort(s[(s > 0) & (s < T)]))
    trains += [np.sort(rng.uniform(0, T, 300)) for _ in range(2)] + [np.array([])]
    return SpikeData.from_trains(trains, t_stop=T), Signal(field, FS, name="LFP"), trains


def test_sfc_equals_elephant_per_unit_and_pooled(locked):
    from elephant.sta import spike_field_coherence as elephant_sfc

    data, sig, trains = locked
    ours = spike_field_coherence(data, sig, estimator=Welch(nperseg=256))
    asig = neo.AnalogSignal(sig.data, units="mV", sampling_rate=FS * pq.Hz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for u in range(14):
            sfc, freqs = elephant_sfc(asig, neo.SpikeTrain(trains[u], t_stop=T, units="s"), nperseg=256)
            np.testing.assert_allclose(ours.freqs, freqs.magnitude, rtol=0, atol=1e-12)
            np.testing.assert_allclose(ours.coherence[:, u], sfc.magnitude[:, 0], rtol=0, atol=1e-9)
        # The pooled spikes are the sum of counts: the same as one train holding every spike.
        pooled_train = neo.SpikeTrain(np.sort(np.concatenate(trains)), t_stop=T, units="s")
        sfc, _ = elephant_sfc(asig, pooled_train, nperseg=256)
    np.testing.assert_allclose(ours.pooled, sfc.magnitude[:, 0], rtol=0, atol=1e-9)
    assert np.isnan(ours.coherence[:, 14]).all() and ours.n_spikes[14] == 0
    assert ours.estimator == {"name": "welch", "nperseg": 256, "noverlap": 128, "window": "hann"}
    assert ours.noverlap == 128 and ours.n_segments == (10000 - 128) // 128


def test_sfc_welch_overlap_and_window_equal_scipy_coherence(locked):
    data, sig, trains = locked
    est = Welch(nperseg=256, noverlap=64, window="hamming")
    ours = spike_field_coherence(data, sig, estimator=est, per_unit=False)
    counts = np.histogram(np.concatenate(trains), np.arange(sig.n_samples + 1) / FS)[0].astype(float)
    f, c = signal.coherence(counts, sig.data[:, 0], fs=FS, window="hamming", nperseg=256, noverlap=64)
    np.testing.assert_allclose(ours.freqs, f, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.pooled, c, rtol=0, atol=1e-9)
    assert ours.estimator == est.to_dict() and ours.n_segments == (sig.n_samples - 64) // 192


def test_sfc_multitaper_and_coarser_bins_find_the_40_hz_coupling(locked):
    data, sig, _ = locked
    for res in (spike_field_coherence(data, sig, estimator=Multitaper(nw=3.0)),
                spike_field_coherence(data, sig, bin_width=0.002, per_unit=False)):
        f = res.freqs
        at40 = res.pooled[np.argmin(abs(f - F0))]
        away = res.pooled[(f > 60) & (f < 200)]
        assert at40 > 0.3 and at40 > 5 * np.median(away)
    assert res.coherence.shape == (f.size, 0) and res.bin_width == 0.002 and f[-1] == 250.0
    json.dumps(res.to_dict(), allow_nan=False)


def test_ppc0_and_ppc1_equal_direct_pair_averages(locked):
    data, sig, _ = locked
    ph = spike_phases(data, sig, band=(30, 50))
    res = phase_locking(data, sig, band=(30, 50), n_segments=5)
    seg = np.minimum(((ph.times - ph.t_start) / (ph.t_stop - ph.t_start) * 5).astype(int), 4)
    for u in (0, 5, 12):
        theta, s = ph.phases[ph.offsets[u]:ph.offsets[u + 1]], seg[ph.offsets[u]:ph.offsets[u + 1]]
        d = np.cos(theta[:, None] - theta[None, :])
        off = ~np.eye(theta.size, dtype=bool)
        assert res.ppc0[u] == pytest.approx(d[off].mean(), abs=1e-12)
        assert res.ppc1[u] == pytest.approx(d[s[:, None] != s[None, :]].mean(), abs=1e-12)
        assert res.plv[u] == pytest.approx(abs(np.exp(1j * theta).mean()), abs=1e-12)
    assert res.n_spikes.sum() == res.population_n_spikes == ph.phases.size


def test_ppc_of_a_few_spikes_at_chosen_phases_is_the_pair_mean_cosine():
    # Vinck et al. (2010): PPC0 is the mean of cos(theta_j - theta_k) over the n (n - 1) / 2 spike pairs;
    # PPC1 (2012) the same over pairs from different segments. Few spikes, so the bias term matters:
    # an n^2 denominator would give 2/9 instead of 1/3 for three spikes.
    # A clean 50 Hz cosine sampled at 1 kHz has phase pi k / 10 at sample k: spikes on samples with
    # k = 0, 5, 10 (mod 20) sit at phases 0, pi/2, pi. Two segments of the span [0.075, 1.925] s split at 1 s.
    t = np.arange(2000) / FS
    sig = Signal(np.cos(2 * np.pi * 50.0 * t), FS)
    trains = [[0.5, 0.6, 1.205],  # 0, 0 | pi/2: PPC0 (1 + 0 + 0) / 3 = 1/3; PPC1 (0 + 0) / 2 = 0
              [0.3, 0.405, 1.51],  # 0, pi/2 | pi: PPC0 (0 - 1 + 0) / 3 = -1/3; PPC1 (-1 + 0) / 2 = -1/2
              [0.8, 1.4]]  # 0 | 0: PPC0 = PPC1 = 1 (n^2 would give 1/2)
    res = phase_locking(SpikeData.from_trains(trains, t_stop=2.0), sig, band=(40, 60), n_segments=2)
    # All eight spikes pooled (five at 0, two at pi/2, one at pi): of the 28 pairs 11 have cosine 1 and 5 cosine -1,
    # PPC0 = 6/28 = 3/14; of the 15 pairs across the segments ({0 x4, pi/2} and {pi/2, pi, 0}) the cosines sum
    # to 1, PPC1 = 1/15.
    # Filtering and the Hilbert transform leave phase errors of about 1e-3 rad: tolerance 2e-3.
    np.testing.assert_allclose(res.ppc0, [1 / 3, -1 / 3, 1.0], atol=2e-3)
    np.testing.assert_allclose(res.ppc1, [0.0, -0.5, 1.0], atol=2e-3)
    np.testing.assert_allclose(res.plv, [np.sqrt(5) / 3, 1 / 3, 1.0], atol=2e-3)
    assert res.population_ppc0 == pytest.approx(3 / 14, abs=2e-3)
    assert res.population_ppc1 == pytest.approx(1 / 15, abs=2e-3)
    # The same from exact phases, through the sums the estimator works on.
    phases = [np.array([0.0, 0.0, np.pi / 2]), np.array([0.0, np.pi / 2, np.pi]), np.array([0.0, 0.0])]
    segment = [np.array([0, 0, 1]), np.array([0, 0, 1]), np.array([0, 1])]
    cm = np.array([np.bincount(s, np.cos(p), minlength=2) for p, s in zip(phases, segment)])
    sm = np.array([np.bincount(s, np.sin(p), minlength=2) for p, s in zip(phases, segment)])
    nm = np.array([np.bincount(s, minlength=2) for s in segment])
    plv, ppc0, ppc1 = _locking_stats(cm.sum(1), sm.sum(1), nm.sum(1), cm, sm, nm)[:3]
    np.testing.assert_allclose(ppc0, [1 / 3, -1 / 3, 1.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ppc1, [0.0, -0.5, 1.0], rtol=0, atol=1e-12)
    pooled = _locking_stats(cm.sum(), sm.sum(), nm.sum(), cm.sum(0), sm.sum(0), nm.sum(0))
    np.testing.assert_allclose(pooled[1:3], [3 / 14, 1 / 15], rtol=0, atol=1e-12)


def test_locked_spikes_give_expected_ppc_and_phase(locked):
    data, sig, _ = locked
    res = phase_locking(data, sig, band=(30, 50))
    # Gaussian jitter of sd s at 40 Hz: PPC = exp(-(2 pi f s)^2) = 0.78 (a little less after filtering noise).
    expected = np.exp(-(2 * np.pi * F0 * JITTER) ** 2)
    # Each unit has about 60 spikes (PPC0 sd about 0.06); their mean is tighter.
    assert res.ppc0[:12].mean() == pytest.approx(expected, abs=0.05)
    np.testing.assert_allclose(res.ppc0[:12], expected, atol=0.2)
    np.testing.assert_allclose(res.preferred_phase[:12], PHASE0, atol=0.15)
    assert res.population_preferred_phase == pytest.approx(PHASE0, abs=0.1)
    assert np.all(res.rayleigh_p[:12] < 1e-10)
    assert abs(res.ppc0[12]) < 0.02 and abs(res.ppc0[13]) < 0.02  # Poisson units: PPC unbiased near 0
    assert np.isnan(res.ppc0[14]) and np.isnan(res.rayleigh_p[14])
    assert res.n_dropped == data.n_spikes - res.population_n_spikes > 0  # edge margins


def test_rayleigh_p_is_calibrated_for_uniform_phases():
    rng = np.random.default_rng(3)
    theta = rng.uniform(-np.pi, np.pi, size=(4000, 12))
    c, s = np.cos(theta).sum(1), np.sin(theta).sum(1)
    n = np.full(4000, 12)
    p = _locking_stats(c, s, n, c[:, None], s[:, None], n[:, None])[4]
    # 4000 draws: the binomial 99.9 % range of 5 % is about 3.9-6.1 %.
    assert 0.039 < np.mean(p < 0.05) < 0.061
    assert 0.005 < np.mean(p < 0.01) < 0.016


def test_independent_spikes_and_noise_field_do_not_lock():
    rng = np.random.default_rng(4)
    data = SpikeData.from_trains([np.sort(rng.uniform(0, T, 400)) for _ in range(10)], t_stop=T)
    res = phase_locking(data, Signal(rng.normal(size=int(T * FS)), FS), band=(30, 80))
    # PPC0 of n independent uniform phases has sd about sqrt(2) / n: 0.00035 for 4000 spikes.
    assert abs(res.population_ppc0) < 0.0015 and abs(res.population_ppc1) < 0.0015
    assert res.population_rayleigh_p > 0.001


def test_partial_overlap_uses_the_shared_span(locked):
    data, sig, _ = locked
    late = Signal(sig.data[3000:], FS, t_start=3.0)
    ph = spike_phases(data, late, band=(30, 50))
    assert ph.t_start == pytest.approx(3.1) and ph.t_stop == pytest.approx(T - 0.1)
    assert ph.times.min() >= 3.1 and ph.n_dropped == data.n_spikes - ph.phases.size
    res = spike_field_coherence(data, late, estimator=Welch(nperseg=500))
    assert res.t_start == 3.0 and res.n_segments == (7000 - 250) // 250


def test_bad_signals_raise_signal_errors(locked):
    data, sig, _ = locked
    with pytest.raises(SignalError, match="does not overlap"):
        phase_locking(data, Signal(sig.data, FS, t_start=20.0))
    with pytest.raises(SignalError, match="too slow"):
        spike_phases(data, Signal(sig.data[::5], 200.0), band=(30, 90))
    with pytest.raises(SignalError, match="too short"):
        spike_phases(data, Signal(sig.data[:150], FS), band=(30, 80))
    with pytest.raises(SignalError, match="nperseg"):
        spike_field_coherence(data, sig, estimator=Welch(nperseg=20000))
    with pytest.raises(UsageError, match="band"):
        spike_phases(data, sig, band=(80, 30))
    with pytest.raises(UsageError, match="channel"):
        spike_phases(data, sig, channel=3)
    with pytest.raises(UsageError, match=r"Welch\(\) or Multitaper\(\)"):
        spike_field_coherence(data, sig, estimator="welch")
    with pytest.raises(UsageError, match="adaptive=False"):
        spike_field_coherence(data, sig, estimator=Multitaper(adaptive=True))
    with pytest.raises(UsageError, match="bin_width"):
        spike_field_coherence(data, sig, bin_width=0.0015)
    with pytest.raises(UsageError, match="n_segments"):
        phase_locking(data, sig, n_segments=1)
    with pytest.raises(TypeError, match="Signal"):
        spike_phases(data, sig.data)


def test_results_serialise_and_plot(locked):
    import matplotlib

    matplotlib.use("Agg")
    data, sig, _ = locked
    for res in (spike_field_coherence(data, sig), spike_phases(data, sig, band=(30, 50)),
                phase_locking(data, sig, band=(30, 50))):
        d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
        assert d["analysis"] == res.analysis
        assert res.plot().figure is not None


def test_coherence_of_a_signal_shorter_than_a_welch_segment_is_a_signal_error():
    """Five 1 ms samples shared with the spikes cannot hold one 8-sample Welch segment: the default Welch() must say
    so as a SignalError (the report then skips coupling), not as a usage error about an nperseg nobody passed."""
    data = SpikeData.from_trains([[0.0005, 0.002, 0.004]], t_stop=0.005)
    with pytest.raises(SignalError, match="share only 5 samples.*at least 8"):
        spike_field_coherence(data, Signal(np.arange(5.0), 1000.0, name="LFP"))


@pytest.mark.parametrize("intervals", [None, [[0.0, 5.5], [6.0, 12.0]]])
def test_phases_and_locking_taken_a_few_spikes_at_a_time_are_unchanged(monkeypatch, intervals):
    # Field values, phases, cosines and sines are computed a chunk of spikes at a time (CHUNK_SPIKES, a million on an
    # hour of spikes); with chunks of 7 spikes every unit is cut across chunks, and every number stays the same.
    from synchro.coupling import locking

    rng = np.random.default_rng(12)
    t = np.arange(12_000) / 1000.0
    field = Signal(np.cos(2 * np.pi * 40 * t) + 0.3 * rng.standard_normal(t.size), 1000.0, units="V", name="LFP")
    trains = [np.sort(rng.uniform(0, 12.0, rng.poisson(60))) for _ in range(12)]
    if intervals is not None:
        trains = [x[(x < 5.5) | (x >= 6.0)] for x in trains]
    data = SpikeData.from_trains(trains, t_stop=12.0, intervals=intervals)
    whole = spike_phases(data, field, band=(30.0, 50.0)), phase_locking(data, field, band=(30.0, 50.0))
    monkeypatch.setattr(locking, "CHUNK_SPIKES", 7)
    chunked = spike_phases(data, field, band=(30.0, 50.0)), phase_locking(data, field, band=(30.0, 50.0))
    np.testing.assert_array_equal(chunked[0].phases, whole[0].phases)
    np.testing.assert_array_equal(chunked[0].times, whole[0].times)
    for name in ("n_spikes", "plv", "ppc0", "ppc1", "ppc2", "preferred_phase", "rayleigh_p"):
        np.testing.assert_array_equal(getattr(chunked[1], name), getattr(whole[1], name))
    assert chunked[1].population_ppc0 == whole[1].population_ppc0 and whole[0].phases.size > 500
