"""The long-session paths of the rhythm analyses give the numbers of the whole-array paths (issue 18).

Each path that an hour-long recording takes (cache-blocked circular-shift counts, direct sums of the shifted
amplitudes) is forced on a small recording, with and without gaps in its time support, and compared with the
path short recordings take, or with a plain numpy computation of the same thing.
"""

import numpy as np
import pytest

from synchro import Signal, SpikeData
from synchro.core import compiled
from synchro.coupling import locking, spike_phases
from synchro.filtering import analytic_stretches, band_pass
from synchro.rhythms import nulls, pac, phase_amplitude_coupling
from synchro.spectral import prepare_rate, spike_bins


def _spikes(intervals=None, seed=3, duration=12.0, n_units=7):
    """Units firing at 20-60 Hz, their rates modulated at 10 Hz (gamma bursts on the alpha phase)."""
    rng = np.random.default_rng(seed)
    times, units = [], []
    for u in range(n_units):
        t = np.sort(rng.uniform(0, duration, rng.poisson(40 * duration)))
        phase = 2 * np.pi * 10 * t
        keep = rng.uniform(0, 1, t.size) < 0.5 * (1 + np.cos(phase)) * (0.6 + 0.4 * np.cos(2 * np.pi * 50 * t))
        if intervals is not None:  # spikes only in observed time (the recording was off between intervals)
            keep &= np.any([(t >= a) & (t < b) for a, b in intervals], axis=0)
        times.append(t[keep])
        units.append(np.full(keep.sum(), u))
    return SpikeData.from_arrays(np.concatenate(times), np.concatenate(units), t_start=0.0, t_stop=duration,
                                 intervals=intervals)


def _numpy_shifted_psd(prep, n_surrogates, seed):
    """The circular-shift surrogates' spectra as the docstring states them: each unit shifted by its own whole
    number of bins inside each observed run, drawn as null_spectra draws them."""
    gen = np.random.default_rng(seed)
    n = prep.n_bins
    runs = np.array([[0, n]]) if prep.runs is None else prep.runs
    shifts = np.stack([gen.integers(0, b - a, size=(n_surrogates, prep.data.n_units)) for a, b in runs], axis=-1)
    bins, units = spike_bins(prep.data, prep.bin_width, n)
    counts = np.zeros((n_surrogates, n))
    for j, (a, b) in enumerate(runs):
        inside = (bins >= a) & (bins < b)
        for r in range(n_surrogates):
            moved = a + (bins[inside] - a + shifts[r, units[inside], j]) % (b - a)
            np.add.at(counts[r], moved, 1.0)
    return prep.plan.psd(prep.rates(counts))[0]


@pytest.mark.parametrize("intervals", [None, [[0.0, 3.3], [3.8, 7.05], [7.5, 12.0]]])
def test_blocked_shift_counts_equal_the_whole_array_counts(monkeypatch, intervals):
    prep = prepare_rate(_spikes(intervals))
    reference = _numpy_shifted_psd(prep, 12, 5)
    one_block = nulls.null_spectra(prep, "circular_shift", 12, None, np.random.default_rng(5))
    monkeypatch.setattr(nulls, "SHIFT_BLOCK", 37)  # hundreds of blocks, most units crossing many
    blocked = nulls.null_spectra(prep, "circular_shift", 12, None, np.random.default_rng(5))
    monkeypatch.setattr(compiled, "THREADED_SAMPLES", 0)
    monkeypatch.setattr(nulls, "_CHUNK_SAMPLES", 5 * max(prep.n_bins, prep.data.n_spikes))  # 3 chunks, 2 threads
    threaded = nulls.null_spectra(prep, "circular_shift", 12, None, np.random.default_rng(5))
    np.testing.assert_array_equal(one_block, reference)
    np.testing.assert_array_equal(blocked, reference)
    np.testing.assert_array_equal(threaded, reference)
    assert blocked.shape == (12, prep.plan.freqs.size) and np.all(blocked > 0)


@pytest.mark.parametrize("intervals", [None, [[0.0, 5.5], [6.0, 12.0]]])
def test_direct_shifted_amplitude_sums_equal_the_fft_path(monkeypatch, intervals):
    data = _spikes(intervals, seed=4)
    by_fft = phase_amplitude_coupling(data, n_surrogates=60, rng=2)
    monkeypatch.setattr(pac, "DIRECT_SHIFT_BINS", 1)  # every stretch summed directly
    direct = phase_amplitude_coupling(data, n_surrogates=60, rng=2)
    assert by_fft.reason == direct.reason == ""
    assert direct.mi == by_fft.mi > 0.001  # the data's index does not use the null path
    np.testing.assert_allclose(direct.chance, by_fft.chance, rtol=1e-9)
    np.testing.assert_allclose(direct.chance_sd, by_fft.chance_sd, rtol=1e-7)
    assert direct.p == by_fft.p < 0.05


def test_shifted_amplitude_sums_are_numpys_in_the_same_order():
    # Four lags share a pass over the stretch; each sum must still be the one np.bincount forms over the shifted
    # amplitude (in increasing time), bit for bit, for lag counts that are not multiples of four too.
    rng = np.random.default_rng(12)
    bins = (np.cumsum(rng.random(5_003) < 0.2) % 18).astype(np.int64)  # phase bins in runs, as a slow phase gives
    amps = rng.standard_normal(bins.size)
    for lags in (rng.integers(1, bins.size, 11), np.array([0, bins.size - 1, 7])):
        out = np.zeros((lags.size, 18))
        pac._shifted_sums(bins, amps, lags, out)
        expected = [np.bincount(bins, np.roll(amps, -s), minlength=18) for s in lags]
        np.testing.assert_array_equal(out, expected)


def _field(duration=12.0, fs=1000.0, seed=6):
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * fs)) / fs
    return Signal(np.cos(2 * np.pi * 10 * t) + 0.5 * np.cos(2 * np.pi * 50 * t) + 0.3 * rng.standard_normal(t.size),
                  fs, units="V", name="LFP")


@pytest.mark.parametrize("intervals", [None, [[0.0, 5.5], [6.0, 12.0]]])
def test_blocked_spike_phases_equal_numpy_interp(monkeypatch, intervals):
    data, field = _spikes(intervals, seed=5), _field()
    whole = spike_phases(data, field, band=(30.0, 80.0))
    monkeypatch.setattr(locking, "INTERP_BLOCK", 7)  # every unit's spikes cross hundreds of blocks
    blocked = spike_phases(data, field, band=(30.0, 80.0))
    np.testing.assert_array_equal(blocked.phases, whole.phases)
    if intervals is None:  # the plain computation: np.interp of the analytic signal at each spike
        (z,) = analytic_stretches(field.channel(0), [(0, field.n_samples)], band_pass((30.0, 80.0), 1000.0, 4))
        grid = np.arange(z.size)
        pos = whole.times / (1 / 1000.0)  # as the field grid is laid out: samples of 1 ms
        expected = np.angle(np.interp(pos, grid, z.real) + 1j * np.interp(pos, grid, z.imag))
        np.testing.assert_array_equal(whole.phases, expected)
        assert whole.phases.size > 0.8 * data.n_spikes


def test_threaded_bootstrap_equals_one_thread(monkeypatch):
    from synchro.aperiodic import _peaks
    from synchro.rhythms import band_verdicts

    data = _spikes(seed=8, duration=20.0)
    serial = band_verdicts(data, n_surrogates=40, rng=9)
    monkeypatch.setattr(compiled, "THREADED_SAMPLES", 0)  # surrogates and bootstrap series in two threads
    monkeypatch.setattr(_peaks, "_CHUNK_SAMPLES", 7 * 2 * 10_000)  # 7 bootstrap series a chunk (5 ms bins)
    threaded = band_verdicts(data, n_surrogates=40, rng=9)
    for a, b in zip(serial.verdicts, threaded.verdicts):
        assert (a.p_peak, a.p_independent, a.peak_hz, a.power_ratio) == (b.p_peak, b.p_independent, b.peak_hz,
                                                                         b.power_ratio)
    np.testing.assert_array_equal(serial.null_mean, threaded.null_mean)
    assert serial["alpha"].verdict == "present"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("runs", [None, [[0, 4_130], [4_400, 12_000], [12_050, 20_000]]])
@pytest.mark.parametrize("window", ["hann", "hamming"])  # the mean's correction on 2 bins, or on every bin
def test_welch_in_blocks_of_segments_equals_all_segments_at_once(monkeypatch, dtype, runs, window):
    from scipy import signal

    from synchro.spectral import Welch, _welch

    x = (np.random.default_rng(11).poisson(3.0, (3, 20_000)) * 1.7).astype(dtype)  # rates of 3 series
    plan = Welch(nperseg=200, window=window).plan(1000.0, x.shape[1], None if runs is None else np.array(runs))
    monkeypatch.setattr(_welch, "WELCH_BLOCK", 10**9)  # every segment in one array, as short records are
    whole, dof = plan.psd(x)
    monkeypatch.setattr(_welch, "WELCH_BLOCK", 7)  # about 30 blocks per series, the last one partial
    blocked, _ = plan.psd(x)
    assert blocked.dtype == whole.dtype == dtype and blocked.shape == (3, 101)
    np.testing.assert_array_equal(blocked, whole)  # the same sums in the same order: bit for bit
    if runs is None:  # and scipy's Welch, to float rounding
        _, expected = signal.welch(x.astype(np.float64), 1000.0, window, nperseg=200, detrend="constant", axis=-1)
        np.testing.assert_allclose(blocked, expected, rtol=1e-4 if dtype == np.float32 else 1e-10)
    else:
        assert dof[0, 5] < 2 * plan.segments_per_run.sum()  # segments only inside the runs, overlapped
