"""Synchrony on long sessions: streamed and pruned paths equal the whole-array ones; memory stays O(spikes)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from synchro.core import SpikeData
from synchro.core.binning import n_whole_bins
from synchro.report._analyses import ALL_PAIRS_MAX_SCANS, NULL_PAIRS, SAMPLED_NULL_PAIRS, SAMPLED_PAIRS, pair_options
from synchro.surrogates import circular_shift, circular_shift_draws
from synchro.synchrony import golomb_chi, spike_contrast, sttc_matrix
from synchro.synchrony._stream import _binned, binned_population, one_pole
from synchro.synchrony.chi import _FilteredTrains
from synchro.synchrony.contrast import (
    BLOCK_BINS,
    _bin_counts,
    _contrast_curves,
    _curve_bound,
    _curve_max,
    _fine_prefix,
)

GAPS = [[0.0, 7.3], [9.1, 20.0]]


def _bursty(seed, n_units=30, duration=20.0, intervals=None):
    # Poisson units plus shared events every ~0.5 s, so chi, the curve and its maximum are far from chance.
    rng = np.random.default_rng(seed)
    events = np.sort(rng.uniform(0, duration, int(duration * 2)))
    trains = []
    for _ in range(n_units):
        own = rng.uniform(0, duration, rng.poisson(8 * duration))
        shared = events[rng.random(events.size) < 0.5]
        jittered = shared + rng.normal(0, 0.003, shared.size)
        trains.append(np.unique(np.clip(np.concatenate([own, jittered]), 0, np.nextafter(duration, 0))))
    return SpikeData.from_trains(trains, t_stop=duration, intervals=intervals)


@pytest.fixture(scope="module", params=[None, GAPS], ids=["whole", "gaps"])
def bursty(request):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spikes in the gap are dropped, with a warning
        return _bursty(5, intervals=request.param)


def test_shifted_counts_equal_the_binned_circular_shift(bursty):
    # Binning each spike where the shift puts it equals binning the surrogate circular_shift writes, bin for bin,
    # from the same generator state; and without shifts, binning the data.
    width = 0.001
    n = n_whole_bins(bursty.duration, width)
    for seed in range(3):
        times = circular_shift(bursty, n_surrogates=1, rng=seed)[0]
        idx = np.floor((times - bursty.t_start) / width + 1e-9).astype(np.int64)
        expected = np.bincount(idx[idx < n], minlength=n)
        shifts = circular_shift_draws(bursty, n_surrogates=1, rng=seed)[0]
        assert np.array_equal(binned_population(bursty, width, n, shifts), expected)
        for block in (1, 7, 1000):  # the bins counted a few at a time, every unit's spikes in them first
            sup = np.asarray(bursty.support)
            out = np.zeros(n, dtype=np.int64)
            _binned(np.asarray(bursty.times), np.asarray(bursty.offsets), shifts, np.ascontiguousarray(sup[:, 0]),
                    np.ascontiguousarray(sup[:, 1]), True, bursty.t_start, width, n, out, block)
            assert np.array_equal(out, expected)
    idx = np.floor((np.asarray(bursty.times) - bursty.t_start) / width + 1e-9).astype(np.int64)
    assert np.array_equal(binned_population(bursty, width, n), np.bincount(idx[idx < n], minlength=n))


@pytest.mark.parametrize("kernel", ["exponential", "gaussian"])
def test_chi_unit_variances_streamed_equal_whole_traces(bursty, kernel):
    # Above max_samples unit-samples the exponential kernel's variances come from the spikes alone, the Gaussian's
    # from blocks of single units: both equal the 256-unit whole-array path to rounding.
    fs = 1000.0
    n = n_whole_bins(bursty.duration, 1 / fs)
    trains = _FilteredTrains(bursty, n, fs, kernel, 0.01, bursty.observed_bins(1 / fs, n))
    whole = trains.unit_variance(bursty.times)
    assert whole > 1e-4  # a real variance (the Gaussian kernel has unit area, the exponential unit height)
    assert trains.unit_variance(bursty.times, max_samples=10) == pytest.approx(whole, rel=1e-12, abs=0)


def test_one_pole_recursion_is_lfilter_bit_for_bit():
    from scipy.signal import lfilter

    rng = np.random.default_rng(5)
    a = np.exp(-1.0 / 10.0)  # tau 10 ms at 1 kHz, chi's default
    for shape in [(7, 1000), (2, 3, 501), (4000,)]:
        x = rng.poisson(0.2, size=shape).astype(float) / 3.0
        assert np.array_equal(one_pole(x, a), lfilter([1.0], [1.0, -a], x, axis=-1))


def test_chi_of_a_long_session_keeps_to_o_spikes_memory():
    # 200 units x 600 s at 1 kHz is 1.2 x 10^8 unit-samples: the whole-array path built a 200 x 600,000 block of
    # float64 (1 GB, and as much again filtered: 2.9 GB traced); the streamed path holds one population trace (20 MB).
    rng = np.random.default_rng(0)
    trains = [np.sort(rng.uniform(0, 600.0, rng.poisson(1.0 * 600))) for _ in range(200)]
    data = SpikeData.from_trains(trains, t_stop=600.0)
    golomb_chi(data, n_surrogates=0)  # numba's kernels load (or compile) before memory is traced
    tracemalloc.start()
    try:
        r = golomb_chi(data, n_surrogates=2, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60e6
    # Independent units: chi near its floor 1 / sqrt(200) = 0.0707.
    assert r.chi == pytest.approx(r.floor_chi, rel=0.1)


def test_spike_contrast_bound_holds_and_the_pruned_maximum_is_exact(bursty):
    # The bound is above the curve at every size, and the pruned maximum equals the whole curve's maximum bit for
    # bit, on the data and on surrogates.
    for times in (np.asarray(bursty.times), *circular_shift(bursty, n_surrogates=3, rng=1)):
        sizes, contrast, active = _contrast_curves(times, bursty, 0.01, 0.9)
        curve = contrast * active
        assert _curve_max(times, bursty, 0.01, 0.9) == float(curve.max())
    # The bound itself, on the data's record (no gaps in this check: the data's own times).
    data = _bursty(6)
    times = np.asarray(data.times)
    sizes, contrast, active = _contrast_curves(times, data, 0.01, 0.9)
    isi = float(min(np.diff(t).min() for t in data.trains() if t.size > 1))
    t0, t1 = data.t_start - isi, data.t_stop + isi
    width = sizes[-1] / 2 / 8
    n_fine = int((t1 - t0) / width) + 2
    prefix = _fine_prefix(times, np.asarray(data.offsets), t0, width, n_fine, BLOCK_BINS)
    fine = np.minimum(np.maximum(np.floor((times - t0) / width).astype(np.int64), 0), n_fine - 1)
    assert np.array_equal(prefix, np.concatenate([[0], np.cumsum(np.bincount(fine, minlength=n_fine))]))
    for block in (1, 7, 1000):  # filled a few fine bins at a time, the same counts
        assert np.array_equal(_fine_prefix(times, np.asarray(data.offsets), t0, width, n_fine, block), prefix)
    bounds = np.array([_curve_bound(prefix, t0, width, np.arange(t0, t1 + s / 2, s / 2), times.size, data.n_units)
                       for s in sizes])
    assert np.all(bounds >= contrast * active)
    assert np.sum(bounds < (contrast * active).max()) >= sizes.size // 3  # a third of the sizes are never walked


def test_spike_contrast_value_and_chance_unchanged_by_pruning(bursty):
    r = spike_contrast(bursty, n_surrogates=5, rng=3)
    assert r.value == float(r.synchrony_curve.max())
    gen = np.random.default_rng(3)  # one surrogate per draw, as the chance level draws them
    surrogates = [circular_shift(bursty, n_surrogates=1, rng=gen)[0] for _ in range(5)]
    draws = [float((c * a).max()) for c, a in (_contrast_curves(t, bursty, 0.01, 0.9)[1:] for t in surrogates)]
    assert r.chance == pytest.approx(np.mean(draws), rel=1e-15)


def test_report_samples_pairs_of_long_sessions_and_says_so():
    # Below the scan limit every pair and NULL_PAIRS null pairs; above it, SAMPLED_PAIRS pairs and
    # SAMPLED_NULL_PAIRS null pairs, which the result reports.
    rng = np.random.default_rng(1)
    short = SpikeData.from_trains([np.sort(rng.uniform(0, 10.0, 50)) for _ in range(100)], t_stop=10.0)
    assert pair_options(short) == {"null_pairs": NULL_PAIRS}
    n_units, duration, rate = 100, 400.0, 40.0  # 1.6e6 spikes at 4 kHz: 1.6e6 x 4000 x 0.01 = 6.4e7 scans
    long = SpikeData.from_trains([np.sort(rng.uniform(0, duration, int(rate * duration))) for _ in range(n_units)],
                                 t_stop=duration)
    assert long.n_spikes ** 2 / duration * 0.01 > ALL_PAIRS_MAX_SCANS
    options = pair_options(long)
    assert options == {"max_units": 2, "n_pairs": SAMPLED_PAIRS, "null_pairs": SAMPLED_NULL_PAIRS}
    r = sttc_matrix(long, n_surrogates=2, rng=0, **options)
    assert r.pairs_sampled and r.matrix is None
    assert r.pairs.shape == (min(SAMPLED_PAIRS, n_units * (n_units - 1) // 2), 2)
    assert r.null_pairs == SAMPLED_NULL_PAIRS
    # Independent units: the sampled mean STTC is near 0.
    assert abs(r.value) < 0.01


def test_spike_contrast_counts_equal_numpy_histograms_whatever_the_block(bursty):
    # Per bin of one size: spikes, units present, and units present in it and the next, as np.histogram places each
    # unit's spikes (bin k is [edges[k], edges[k + 1]), the last closed), at large sizes and small, whether the bins
    # are walked one at a time, a few, or all at once.
    times, offsets = np.asarray(bursty.times), np.asarray(bursty.offsets)
    for size in (10.0, 1.3, 0.21, 0.05, 0.011):
        edges = np.arange(-0.001, bursty.t_stop + 0.001 + size / 2, size / 2)
        occupied = np.array([np.histogram(t, edges)[0] > 0 for t in bursty.trains()])
        in_both = np.r_[(occupied[:, :-1] & occupied[:, 1:]).sum(0), 0]
        expected = (np.histogram(times, edges)[0], occupied.sum(0), in_both)
        assert expected[2].sum() > 0
        for block in (1, 7, BLOCK_BINS):
            for gallop in (True, False):  # galloping over a unit's spikes in one bin, or spike by spike
                for got, want in zip(_bin_counts(times, offsets, edges, block, gallop), expected):
                    assert np.array_equal(got, want)


def test_null_of_sampled_pairs_shifts_only_their_units(bursty):
    # A circular shift drawn for every unit and applied to some equals those units' trains in the whole surrogate;
    # STTC's and SPIKE-synchronization's chance levels on sampled null pairs, computed from their units' surrogates
    # only, equal those computed on whole surrogates.
    from synchro.synchrony import spike_sync
    from synchro.synchrony._common import pair_mean, pair_sample
    from synchro.synchrony.spike_sync import _sync_counts, _sync_value

    units = np.array([2, 5, 11, 12, 29])
    whole = circular_shift(bursty, n_surrogates=2, rng=4)
    shifts = circular_shift_draws(bursty, n_surrogates=2, rng=4)
    part = circular_shift(bursty.select_units(units), n_surrogates=2, shifts=shifts[:, units])
    keep = np.concatenate([np.arange(bursty.offsets[u], bursty.offsets[u + 1]) for u in units])
    assert np.array_equal(part, whole[:, keep])

    from synchro import _kernels

    r = sttc_matrix(bursty, n_surrogates=4, null_pairs=6, rng=7)
    sync = spike_sync(bursty, n_surrogates=4, null_pairs=6, rng=7)
    gen = np.random.default_rng(7)  # the draws sttc_matrix makes: its null pairs, then one surrogate at a time
    null_plan = pair_sample(bursty.n_units, 6, gen)
    assert np.unique(np.concatenate(null_plan)).size < bursty.n_units  # some units are never read
    offsets = np.asarray(bursty.offsets)
    draws = []
    for _ in range(4):
        t = circular_shift(bursty, n_surrogates=1, rng=gen)[0]
        tiled = (_kernels.tiled_fractions_in_support(t, offsets, np.asarray(bursty.support), 0.005) if bursty.has_gaps
                 else _kernels.tiled_fractions(t, offsets, bursty.t_start, bursty.t_stop, 0.005))
        draws.append(pair_mean(_kernels.sttc_pairs(t, offsets, tiled, 0.005, *null_plan))[0])
    assert r.null_pairs == 6 and r.chance == pytest.approx(np.mean(draws), rel=1e-15, abs=0)
    gen = np.random.default_rng(7)  # and spike_sync's
    null_plan = pair_sample(bursty.n_units, 6, gen)
    draws = [_sync_value(*_sync_counts(circular_shift(bursty, n_surrogates=1, rng=gen)[0], offsets,
                                       np.asarray(bursty.support), np.inf, null_plan)) for _ in range(4)]
    assert sync.null_pairs == 6 and sync.chance == pytest.approx(np.mean(draws), rel=1e-15, abs=0)
