"""The core types: layout invariants, selection and validation."""

import warnings

import numpy as np
import pytest

from synchro import Recording, Signal, SpikeData, SynchroWarning, UnitTable
from synchro.errors import (
    InvalidDataError,
    NonFiniteTimesError,
    NothingToAnalyseError,
    RecordingBoundsError,
    SignalError,
    TimeUnitError,
    UsageError,
)


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    trains = [np.sort(rng.uniform(0, 2.0, n)) for n in (5, 0, 12, 3)]
    units = {"id": [10, 11, 12, 13], "population": ["exc", "exc", "inh", "inh"],
             "quality": ["good", "good", "noise", ""]}
    return SpikeData.from_trains(trains, t_stop=2.0, units=units), trains


def test_from_trains_keeps_every_spike_grouped_by_unit(small):
    data, trains = small
    assert data.n_units == 4
    assert data.n_spikes == 20
    np.testing.assert_array_equal(data.spike_counts, [5, 0, 12, 3])
    for i, t in enumerate(trains):
        np.testing.assert_array_equal(data.train(i), t)
    np.testing.assert_array_equal(data.unit_index, np.repeat([0, 1, 2, 3], [5, 0, 12, 3]))
    np.testing.assert_allclose(data.rates, np.array([5, 0, 12, 3]) / 2.0)


def test_train_is_a_read_only_view(small):
    data, _ = small
    view = data.train(2)
    assert np.shares_memory(view, data.times)
    with pytest.raises(ValueError):
        view[0] = 1.0


def test_from_arrays_sorts_and_warns_once():
    # Unit 1 runs 0.5, 0.1, 0.2 (one step back, not adjacent to unit 0's spikes); unit 0 is sorted.
    times = np.array([0.5, 0.3, 0.1, 0.9, 0.2])
    units = np.array([1, 0, 1, 0, 1])
    with pytest.warns(SynchroWarning, match=r"^1 spike time\(s\) came before"):
        data = SpikeData.from_arrays(times, units, t_stop=1.0)
    np.testing.assert_array_equal(data.train(0), [0.3, 0.9])
    np.testing.assert_array_equal(data.train(1), [0.1, 0.2, 0.5])


def test_sorted_input_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SpikeData.from_arrays([0.1, 0.2, 0.05], [0, 0, 1], t_stop=1.0)


def test_time_sorted_is_global_order(small):
    data, trains = small
    t, u = data.time_sorted()
    assert np.all(np.diff(t) >= 0)
    np.testing.assert_array_equal(np.sort(np.concatenate(trains)), t)
    for i, tr in enumerate(trains):
        np.testing.assert_array_equal(t[u == i], tr)


def test_select_by_population_and_ids(small):
    data, trains = small
    inh = data.select(population="inh")
    assert inh.n_units == 2 and inh.n_spikes == 15
    np.testing.assert_array_equal(inh.units["id"], [12, 13])
    np.testing.assert_array_equal(inh.train(1), trains[3])
    picked = data.select(ids=[13, 10])
    np.testing.assert_array_equal(picked.units["id"], [10, 13])
    with pytest.raises(NothingToAnalyseError, match="no unit matches"):
        data.select(population="thalamus")


def test_select_units_keeps_requested_order(small):
    data, trains = small
    sub = data.select_units([3, 0])
    np.testing.assert_array_equal(sub.train(0), trains[3])
    np.testing.assert_array_equal(sub.train(1), trains[0])
    assert sub.units["population"].tolist() == ["inh", "exc"]


def test_restrict_window(small):
    data, trains = small
    win = data.restrict(0.5, 1.5)
    assert (win.t_start, win.t_stop) == (0.5, 1.5)
    for i, t in enumerate(trains):
        np.testing.assert_array_equal(win.train(i), t[(t >= 0.5) & (t < 1.5)])
    with pytest.raises(RecordingBoundsError):
        data.restrict(1.5, 3.0)
    # The whole span holds every spike: the same (immutable) data, not a copy of its spikes.
    assert data.restrict() is data and data.restrict(data.t_start, data.t_stop) is data


def test_curation_drops_noise_units(small):
    data, _ = small
    kept, n = data.curated()
    assert n == 1
    assert kept.units["id"].tolist() == [10, 11, 13]


def test_intervals_drop_spikes_outside_with_warning():
    with pytest.warns(SynchroWarning, match=r"^2 spike\(s\) lie outside"):
        data = SpikeData.from_arrays([0.1, 1.1, 1.2, 1.8], [0, 0, 1, 1], t_stop=2.0, intervals=[[0.0, 1.0], [1.5, 2.0]])
    assert data.n_spikes == 2
    np.testing.assert_array_equal(data.times, [0.1, 1.8])
    np.testing.assert_array_equal(data.spike_counts, [1, 1])


def test_rates_divide_by_observed_time_not_the_bounds():
    # Issue 16: restrict_to_intervals kept the whole bounds as the denominator, so a unit firing 20 spikes in
    # the observed 10 s of a 20 s recording came out at 1 Hz instead of 2 Hz.
    times = np.arange(20) * 0.5 + 0.25  # 0.25 .. 9.75 s
    data = SpikeData.from_trains([times], t_stop=20.0)
    gapped = SpikeData.from_trains([times], t_stop=20.0, intervals=[[0.0, 5.0], [5.0, 10.0]])
    assert data.rates.tolist() == [1.0]
    assert gapped.rates.tolist() == [2.0]
    assert gapped.support.tolist() == [[0.0, 10.0]]  # touching intervals merge
    assert gapped.observed_duration == 10.0 and gapped.has_gaps and not data.has_gaps
    assert gapped.to_dict()["mean_rate_hz"] == 2.0


def test_restrict_narrows_the_support():
    with pytest.warns(SynchroWarning, match="1 spike"):
        data = SpikeData.from_trains([[0.5, 1.5, 2.5, 4.5]], t_stop=6.0, intervals=[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    with pytest.warns(SynchroWarning, match="1 spike"):
        two = data.restrict_to_intervals([[0.0, 2.8], [4.9, 6.0]])
    assert two.support.tolist() == [[0.0, 1.0], [2.0, 2.8], [4.9, 5.0]]
    assert two.times.tolist() == [0.5, 2.5] and two.t_stop == 6.0
    window = data.restrict(2.5, 4.5)
    assert window.support.tolist() == [[2.5, 3.0], [4.0, 4.5]] and window.observed_duration == 1.0
    with pytest.raises(RecordingBoundsError, match="no observed time"):
        data.restrict(1.2, 1.8)
    with pytest.raises(RecordingBoundsError, match="do not overlap"):
        data.restrict_to_intervals([[1.2, 1.8]])
    # Bins wholly inside the support, 0.4 s wide: [0, 0.8) in the first interval, [2.0, 2.8) in the second.
    assert data.observed_bins(0.4, 15).tolist() == [[0, 2], [5, 7], [10, 12]]


def test_spikes_outside_the_intervals_are_refused_by_the_constructor():
    # Every analysis trusts that spikes lie in the support; the constructor is the one place that checks it.
    with pytest.raises(InvalidDataError, match=r"^1 spike\(s\) lie outside the observation intervals"):
        SpikeData([0.5, 1.5], [0, 2], {"id": [0]}, 0.0, 2.0, intervals=[[0.0, 1.0]])
    from synchro.core import interval_index
    assert interval_index([-1.0, 0.0, 0.99, 1.0, 2.5, 3.0], [[0.0, 1.0], [2.0, 3.0]]).tolist() == [-1, 0, 0, -1, 1, -1]


def test_unit_spans_hold_the_spikes_interval_index_places():
    # Each unit's spikes in each interval as a run [first, stop) of the grouped layout, found by bisection: the same
    # spikes as interval_index finds one by one, edges included (a spike on a start is in, on a stop out).
    from synchro.core import interval_index, unit_spans

    rng = np.random.default_rng(3)
    intervals = np.array([[0.5, 2.0], [2.0, 3.25], [4.0, 7.5]])
    trains = [np.sort(np.concatenate([rng.uniform(0, 8, 40), [0.5, 2.0, 3.25, 7.5]])) for _ in range(3)] + [[]]
    data = SpikeData.from_trains(trains, t_stop=8.0)
    first, stop = unit_spans(data.times, data.offsets, intervals)
    where = interval_index(data.times, intervals)
    for u in range(4):
        for k in range(3):
            expected = np.flatnonzero(where == k)
            expected = expected[(expected >= data.offsets[u]) & (expected < data.offsets[u + 1])]
            assert np.array_equal(np.arange(first[u, k], stop[u, k]), expected)
    assert first[3].tolist() == stop[3].tolist()  # a silent unit: empty runs


def test_time_units_are_converted():
    data = SpikeData.from_arrays([100.0, 250.0], [0, 0], t_stop=1000.0, time_unit="ms")
    np.testing.assert_array_equal(data.times, [0.1, 0.25])
    assert data.t_stop == 1.0
    samples = SpikeData.from_arrays([3000, 6000], [0, 0], t_stop=30000, time_unit="samples", sampling_rate=30000.0)
    np.testing.assert_allclose(samples.times, [0.1, 0.2])
    with pytest.raises(UsageError, match="sampling rate"):
        SpikeData.from_arrays([1], [0], t_stop=10, time_unit="samples")


@pytest.mark.parametrize(
    ("times", "t_stop", "error", "message"),
    [
        ([0.1, np.nan], 1.0, NonFiniteTimesError, "NaN or infinite"),
        ([0.1, np.inf], 1.0, NonFiniteTimesError, "NaN or infinite"),
        ([0.1, 0.9], 0.5, RecordingBoundsError, "not after the last spike"),
        (np.arange(100) * 300.0, 40000.0, TimeUnitError, "sample indices"),
        (np.arange(100) * 150.5, 20000.0, TimeUnitError, "milliseconds"),
    ],
)
def test_invalid_times_raise_specific_errors(times, t_stop, error, message):
    with pytest.raises(error, match=message):
        SpikeData.from_arrays(times, np.zeros(len(times), dtype=int), t_stop=t_stop)


def test_t_stop_is_required():
    with pytest.raises(RecordingBoundsError, match="t_stop is required"):
        SpikeData.from_arrays([0.1], [0])


def test_unit_table_checks():
    with pytest.raises(InvalidDataError, match="not unique"):
        UnitTable({"id": [1, 1]})
    with pytest.raises(InvalidDataError, match="differ in length"):
        UnitTable({"id": [1, 2], "label": ["a"]})
    table = UnitTable({"id": [5, 7], "depth": [10.0, 20.0]})
    assert table.columns[:1] == ("id",) and set(table.columns) >= {"label", "population", "quality", "depth"}
    assert table.take([1])["depth"].tolist() == [20.0]


def test_signal_restrict_and_errors():
    sig = Signal(np.arange(1000.0), fs=1000.0, t_start=1.0, units="mV", name="LFP")
    assert sig.t_stop == 2.0 and sig.n_channels == 1
    part = sig.restrict(1.25, 1.5)
    assert part.n_samples == 250 and part.t_start == 1.25
    assert part.channel(0)[0] == 250.0
    with pytest.raises(SignalError, match="no samples"):
        sig.restrict(3.0, 4.0)
    with pytest.raises(SignalError, match="NaN"):
        Signal([0.0, np.nan], fs=10.0)
    assert sig.overlap(0.0, 1.5) == 0.5


def test_recording_holds_parts(small):
    data, _ = small
    rec = Recording(data, {"LFP": Signal(np.zeros(10), fs=5.0)}, {"source": "test"})
    assert rec.spikes is data and list(rec.signals) == ["LFP"] and rec.metadata["source"] == "test"
    with pytest.raises(TypeError):
        Recording(np.zeros(3))


def test_from_trains_takes_unit_ids_from_a_mapping():
    # {unit id: times}: the keys were taken as spike times (iterating a dict yields its keys), so two units of 3
    # and 2 spikes became two units of one spike each, at 3 s and 7 s.
    data = SpikeData.from_trains({3: [0.1, 0.4, 0.9], 7: [0.2, 0.5]}, t_stop=1.0)
    assert list(data.units["id"]) == [3, 7]
    assert list(data.spike_counts) == [3, 2]
    np.testing.assert_array_equal(data.train(1), [0.2, 0.5])
    # Other columns ride along; ids given twice are refused.
    data = SpikeData.from_trains({3: [0.1], 7: []}, t_stop=1.0, units={"population": ["exc", "inh"]})
    assert list(data.units["population"]) == ["exc", "inh"] and list(data.spike_counts) == [1, 0]
    with pytest.raises(UsageError, match="leave the id column out"):
        SpikeData.from_trains({3: [0.1], 7: []}, t_stop=1.0, units={"id": [1, 2]})
    with pytest.raises(InvalidDataError, match="must be integers"):
        SpikeData.from_trains({"a": [0.1]}, t_stop=1.0)


def test_from_trains_refuses_single_numbers_as_trains():
    # The keys of a dict (or any list of scalars) are not spike trains: one line says what to pass instead.
    with pytest.raises(InvalidDataError, match="train 0 is the single number 3.*dict"):
        SpikeData.from_trains(iter({3: [0.1], 7: [0.2]}), t_stop=10.0)
    with pytest.raises(InvalidDataError, match="1-D array"):
        SpikeData.from_trains([np.zeros((2, 3))], t_stop=10.0)


def test_from_trains_reads_a_pynapple_tsgroup():
    # pynapple's TsGroup (a mapping of unit id -> Ts) became 8 units of 1 spike each: its keys. Its Ts give their
    # times as .t (np.asarray of a Ts fails), so the group is read as {id: times}.
    import pynapple as nap

    rng = np.random.default_rng(0)
    trains = {5: np.sort(rng.uniform(0, 10, 40)), 9: np.sort(rng.uniform(0, 10, 25)), 12: np.array([1.0, 2.0])}
    group = nap.TsGroup({k: nap.Ts(t) for k, t in trains.items()}, time_support=nap.IntervalSet(0, 10))
    data = SpikeData.from_trains(group, t_stop=10.0)
    assert list(data.units["id"]) == [5, 9, 12] and list(data.spike_counts) == [40, 25, 2]
    for row, times in enumerate(trains.values()):
        np.testing.assert_array_equal(data.train(row), times)
