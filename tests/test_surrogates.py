"""Surrogate spike trains: invariants each null must keep, distributions, seeding, errors."""

import numpy as np
import pytest
from scipy import stats

from synchro.core import SpikeData
from synchro.errors import UsageError
from synchro.surrogates import (
    SURROGATE_METHODS,
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


@pytest.mark.parametrize("method,kw", [("circular_shift", {}), ("dither", {"dither_window": 0.02}),
                                       ("isi_shuffle", {})])
def test_layout_bounds_counts_and_valid_spikedata(data, method, kw):
    rows = surrogate_times(data, method=method, n_surrogates=25, rng=3, **kw)
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
    for method, kw in [("circular_shift", {}), ("dither", {"dither_window": 0.01}), ("isi_shuffle", {})]:
        a = surrogate_times(data, method=method, n_surrogates=3, rng=11, **kw)
        b = surrogate_times(data, method=method, n_surrogates=3, rng=np.random.default_rng(11), **kw)
        c = surrogate_times(data, method=method, n_surrogates=3, rng=12, **kw)
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
        surrogate_spikes(data, method="jitter", n_surrogates=2)
    with pytest.raises(UsageError, match="dither_window"):
        surrogate_spikes(data, method="dither", n_surrogates=2)
    with pytest.raises(UsageError, match="only to method 'dither'"):
        surrogate_spikes(data, method="isi_shuffle", n_surrogates=2, dither_window=0.01)
    with pytest.raises(UsageError, match="between 0 and the recording duration"):
        dither(data, n_surrogates=2, dither_window=10.0)
    with pytest.raises(UsageError, match="positive integer"):
        circular_shift(data, n_surrogates=0)
    with pytest.raises(UsageError, match="rng"):
        seeded_rng("seed")
    assert sorted(SURROGATE_METHODS) == ["circular_shift", "dither", "isi_shuffle"]
