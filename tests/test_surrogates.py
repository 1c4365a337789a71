"""Surrogate spike trains: invariants each null must keep, distributions, seeding, errors."""

import numpy as np
import pytest
from scipy import stats

from synchro.core import SpikeData
from synchro.errors import UsageError
from synchro.surrogates import (
    SURROGATE_NULLS,
    circular_shift,
    dither,
    isi_shuffle,
    seeded_rng,
    surrogate_spikes,
    surrogate_times,
)

T0, T1 = 2.0, 7.0  # a recording that does not start at 0


def _poisson_data(n_units=30, rate=12.0, seed=0):
    rng = np.random.default_rng(seed)
    trains = [np.sort(rng.uniform(T0, T1, rng.poisson(rate * (T1 - T0)))) for _ in range(n_units)]
    trains += [np.array([]), np.array([T0 + 1.5])]  # a silent unit and a single-spike unit
    return SpikeData.from_trains(trains, t_start=T0, t_stop=T1)


@pytest.fixture(scope="module")
def data():
    return _poisson_data()


def _units(data, row):
    return [row[a:b] for a, b in zip(data.offsets[:-1], data.offsets[1:])]


def _circular_isis(train, duration):
    # Rotation-invariant: intervals between successive spikes on the circle of length `duration`.
    return np.sort(np.diff(np.concatenate([train, train[:1] + duration])))


@pytest.mark.parametrize("null,kw", [("circular_shift", {}), ("dither", {"dither_window": 0.02}),
                                       ("isi_shuffle", {})])
def test_layout_bounds_counts_and_valid_spikedata(data, null, kw):
    rows = surrogate_times(data, null=null, n_surrogates=25, rng=3, **kw)
    assert rows.shape == (25, data.n_spikes)
    assert rows.min() >= T0 and rows.max() < T1
    for row in rows:
        # The constructor validates grouping, within-unit order and bounds.
        s = SpikeData(row, data.offsets, data.units, T0, T1)
        assert np.array_equal(s.spike_counts, data.spike_counts)
    assert not np.array_equal(rows[0], data.times)


def test_circular_shift_keeps_circular_intervals_exactly(data):
    rows = circular_shift(data, n_surrogates=20, rng=1)
    for row in rows:
        for orig, sur in zip(data.trains(), _units(data, row)):
            if orig.size > 1:
                np.testing.assert_allclose(_circular_isis(sur, data.duration), _circular_isis(orig, data.duration),
                                           rtol=0, atol=1e-12)


def test_circular_shift_is_uniform_over_the_recording(data):
    # The single-spike unit lands uniformly on [t_start, t_stop).
    single = data.offsets[-2]
    pos = circular_shift(data, n_surrogates=4000, rng=5)[:, single]
    assert stats.kstest(pos, stats.uniform(T0, T1 - T0).cdf).pvalue > 0.01
    # Shifts differ between units: pairwise spike-time differences are not preserved.
    rows = circular_shift(data, n_surrogates=2, rng=6)
    assert not np.allclose(rows[0][data.offsets[0]] - rows[0][data.offsets[1]],
                           data.times[data.offsets[0]] - data.times[data.offsets[1]])


def test_dither_displacement_is_uniform_and_reflected():
    D = 0.05
    train = [np.array([T0 + 2.0]), np.array([T0 + 0.01])]  # one far from the bounds, one near t_start
    d = SpikeData.from_trains(train, t_start=T0, t_stop=T1)
    rows = dither(d, n_surrogates=5000, dither_window=D, rng=7)
    assert stats.kstest(rows[:, 0] - (T0 + 2.0), stats.uniform(-D, 2 * D).cdf).pvalue > 0.01
    # Reflection at t_start: t' = 2 t_start - (t + e) for t + e < t_start, so positions stay in [t0, t0 + 0.06).
    near = rows[:, 1] - T0
    assert near.min() >= 0 and near.max() < 0.01 + D
    # Reflected mass doubles the density on [0, 0.04): 0.04 / 0.1 of draws plus 0.04 / 0.1 reflected.
    assert abs(np.mean(near < 0.04) - 0.8) < 0.03


def test_dither_keeps_spikes_within_window(data):
    rows = dither(data, n_surrogates=10, dither_window=0.004, rng=2)
    for row in rows:
        for orig, sur in zip(data.trains(), _units(data, row)):
            # Sorted trains displaced by at most D pair up in order only approximately; the sets are D-close.
            if orig.size:
                gap = np.abs(sur[:, None] - orig[None, :]).min(axis=1)
                assert gap.max() <= 0.004 + 1e-12


def test_isi_shuffle_keeps_intervals_and_span(data):
    rows = isi_shuffle(data, n_surrogates=20, rng=4)
    for row in rows:
        for orig, sur in zip(data.trains(), _units(data, row)):
            if orig.size > 1:
                np.testing.assert_allclose(np.sort(np.diff(sur)), np.sort(np.diff(orig)), rtol=0, atol=1e-11)
                assert abs((sur[-1] - sur[0]) - (orig[-1] - orig[0])) < 1e-11
    changed = [not np.allclose(np.diff(s), np.diff(o)) for o, s in zip(data.trains(), _units(data, rows[0]))
               if o.size > 3]
    assert np.mean(changed) > 0.9


def test_isi_shuffle_places_train_uniformly():
    train = np.array([T0 + 1.0, T0 + 1.2, T0 + 1.5, T0 + 2.0])  # span 1 s
    d = SpikeData.from_trains([train], t_start=T0, t_stop=T1)
    first = isi_shuffle(d, n_surrogates=4000, rng=8)[:, 0]
    assert stats.kstest(first, stats.uniform(T0, T1 - T0 - 1.0).cdf).pvalue > 0.01


def test_seeding_is_reproducible(data):
    for null, kw in [("circular_shift", {}), ("dither", {"dither_window": 0.01}), ("isi_shuffle", {})]:
        a = surrogate_times(data, null=null, n_surrogates=3, rng=11, **kw)
        b = surrogate_times(data, null=null, n_surrogates=3, rng=np.random.default_rng(11), **kw)
        c = surrogate_times(data, null=null, n_surrogates=3, rng=12, **kw)
        assert np.array_equal(a, b) and not np.array_equal(a, c)
    gen, seed = seeded_rng(None)
    assert isinstance(seed, int) and gen.random() == np.random.default_rng(seed).random()
    assert seeded_rng(5)[1] == 5 and seeded_rng(np.random.default_rng(1))[1] is None


def test_surrogate_spikes_returns_spikedata(data):
    out = surrogate_spikes(data, n_surrogates=4, rng=0)
    assert len(out) == 4 and all(isinstance(s, SpikeData) for s in out)
    assert all(s.t_start == T0 and s.t_stop == T1 and s.units is data.units for s in out)
    assert out[0].metadata["surrogate"] == "circular_shift"
    np.testing.assert_array_equal(out[2].times, circular_shift(data, n_surrogates=4, rng=0)[2])


def test_errors_name_the_fix(data):
    with pytest.raises(UsageError, match="circular_shift.*dither.*isi_shuffle"):
        surrogate_spikes(data, null="jitter", n_surrogates=2)
    with pytest.raises(UsageError, match="dither_window"):
        surrogate_spikes(data, null="dither", n_surrogates=2)
    with pytest.raises(UsageError, match="only to null 'dither'"):
        surrogate_spikes(data, null="isi_shuffle", n_surrogates=2, dither_window=0.01)
    with pytest.raises(UsageError, match="between 0 and the recording duration"):
        dither(data, n_surrogates=2, dither_window=10.0)
    with pytest.raises(UsageError, match="positive integer"):
        circular_shift(data, n_surrogates=0)
    with pytest.raises(UsageError, match="rng"):
        seeded_rng("seed")
    assert sorted(SURROGATE_NULLS) == ["circular_shift", "dither", "isi_shuffle"]


# Time support: observation intervals with gaps -------------------------------------------------------------------

GAPPED = np.array([[2.0, 3.1], [3.6, 4.0], [4.75, 6.9]])  # inside [T0, T1) = [2, 7)


@pytest.fixture(scope="module")
def gapped(data):
    with pytest.warns(UserWarning, match="outside the observation intervals"):
        return data.restrict_to_intervals(GAPPED)


def _interval_counts(times, offsets):
    """Spikes of each unit in each interval, shape (n_units, n_intervals)."""
    k = np.searchsorted(GAPPED[:, 0], times, side="right") - 1
    unit = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    return np.array([np.bincount(k[unit == u], minlength=len(GAPPED)) for u in range(offsets.size - 1)])


def test_without_gaps_the_surrogates_are_unchanged(data):
    # The draws of main before time support (72b8bce), to the bit: one interval is the recording.
    picks = [0, 100, -1]
    expected = {"circular_shift": ["0x1.0342c4a9f8f00p+1", "0x1.3006f72568858p+2", "0x1.87603cd41461ep+2"],
                "dither": ["0x1.026571da8723ap+1", "0x1.6857e185e9e22p+2", "0x1.bdf7e3b5c95a6p+1"],
                "isi_shuffle": ["0x1.0169ecd2fd0e8p+1", "0x1.2fa798d2d9260p+2", "0x1.84c4dbeb882d3p+2"]}
    whole = SpikeData(data.times, data.offsets, data.units, T0, T1, intervals=[[T0, T1]])
    for null, hexes in expected.items():
        kw = {"dither_window": 0.02} if null == "dither" else {}
        rows = surrogate_times(data, null=null, n_surrogates=5, rng=3, **kw)
        assert [float(x).hex() for x in rows[2, picks]] == hexes, null
        np.testing.assert_array_equal(surrogate_times(whole, null=null, n_surrogates=5, rng=3, **kw), rows)


@pytest.mark.parametrize("null,kw", [("circular_shift", {}), ("dither", {"dither_window": 0.2}),
                                       ("isi_shuffle", {})])
def test_surrogates_stay_in_the_observed_intervals(gapped, null, kw):
    # Before time support every null spread spikes over [t_start, t_stop): into the gaps, where nothing was
    # observed (circular shift put about a fifth of them there). Now each unit keeps its count in every interval.
    rows = surrogate_times(gapped, null=null, n_surrogates=30, rng=5, **kw)
    k = np.searchsorted(GAPPED[:, 0], rows, side="right") - 1
    assert np.all((k >= 0) & (rows < GAPPED[np.maximum(k, 0), 1]))
    want = _interval_counts(gapped.times, gapped.offsets)
    for row in rows[:5]:
        SpikeData(row, gapped.offsets, gapped.units, T0, T1, intervals=GAPPED)  # grouped and sorted
        np.testing.assert_array_equal(_interval_counts(row, gapped.offsets), want)


def test_circular_shift_rotates_within_each_interval(gapped):
    rows = circular_shift(gapped, n_surrogates=10, rng=1)
    for row in rows:
        for orig, sur in zip(gapped.trains(), _units(gapped, row)):
            for a, b in GAPPED:
                o, s = orig[(orig >= a) & (orig < b)], sur[(sur >= a) & (sur < b)]
                if o.size > 1:
                    np.testing.assert_allclose(_circular_isis(s, b - a), _circular_isis(o, b - a), rtol=0,
                                               atol=1e-12)
    # The single-spike unit (at 3.5 s, in the gap, dropped) is silent; its neighbour lands uniformly in its
    # interval: shifts are U(0, b - a) of that interval.
    single = SpikeData.from_trains([np.array([5.0])], t_start=T0, t_stop=T1, intervals=GAPPED)
    pos = circular_shift(single, n_surrogates=3000, rng=2)[:, 0]
    assert stats.kstest(pos, stats.uniform(4.75, 6.9 - 4.75).cdf).pvalue > 0.01


def test_dither_reflects_at_interval_edges():
    # A spike 10 ms after an interval's start, dithered by 50 ms, reflects at that start (not at t_start), and
    # in a 30 ms interval, shorter than the dither, the displacement folds back and forth inside it.
    d = SpikeData.from_trains([np.array([3.61]), np.array([5.01])], t_start=T0, t_stop=T1,
                              intervals=[[3.6, 4.0], [5.0, 5.03]])
    rows = dither(d, n_surrogates=4000, dither_window=0.05, rng=7)
    near = rows[:, 0] - 3.6
    assert near.min() >= 0 and near.max() < 0.06
    assert abs(np.mean(near < 0.04) - 0.8) < 0.03  # as at t_start: the reflected mass doubles [0, 0.04)
    assert rows[:, 1].min() >= 5.0 and rows[:, 1].max() < 5.03
    # Reflections at 5.0 and 5.03 repeat: the position is 0.01 + U(-D, D) folded with period 2 L = 0.06.
    x = np.mod(0.01 + np.random.default_rng(8).uniform(-0.05, 0.05, 4000), 0.06)
    assert stats.ks_2samp(rows[:, 1] - 5.0, 0.03 - np.abs(0.03 - x)).pvalue > 0.01


def test_isi_shuffle_keeps_each_intervals_train(gapped):
    rows = isi_shuffle(gapped, n_surrogates=10, rng=4)
    for row in rows:
        for orig, sur in zip(gapped.trains(), _units(gapped, row)):
            for a, b in GAPPED:
                o, s = orig[(orig >= a) & (orig < b)], sur[(sur >= a) & (sur < b)]
                if o.size > 1:  # the intervals across a gap are not ISIs: never used
                    np.testing.assert_allclose(np.sort(np.diff(s)), np.sort(np.diff(o)), rtol=0, atol=1e-11)
                    assert abs((s[-1] - s[0]) - (o[-1] - o[0])) < 1e-11
