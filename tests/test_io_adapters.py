"""pynapple and SpikeInterface in (and pynapple out): round trips with the real libraries, and their absence.

Both are in the test extra, so both round trips always run; their absence is simulated by hiding the module.
"""

import sys
import warnings

import numpy as np
import pynapple as nap
import pytest

from synchro import Recording, SpikeData, io
from synchro.errors import MissingDependencyError, SynchroWarning, UsageError

#: Observation intervals with a gap (s): pynapple's time support.
SUPPORT = np.array([[0.0, 40.0], [55.0, 100.0]])


@pytest.fixture
def group():
    """Five Poisson units (ids 3, 7, 12, 20, 31) observed in two pieces, with metadata columns."""
    gen = np.random.default_rng(16)
    trains = {}
    for uid, rate in zip((3, 7, 12, 20, 31), (2.0, 5.0, 8.0, 11.0, 14.0)):
        t = np.sort(gen.uniform(0.0, 100.0, gen.poisson(rate * 100.0)))
        trains[uid] = nap.Ts(t[(t < 40.0) | (t >= 55.0)])
    iset = nap.IntervalSet(start=SUPPORT[:, 0], end=SUPPORT[:, 1])
    return nap.TsGroup(trains, time_support=iset,
                       metadata={"location": ["CA1", "CA1", "ADn", "ADn", "CA1"], "depth": [10.0, 20.0, 30.0, 40, 50]})


def test_from_pynapple_keeps_time_support_and_metadata(group):
    rec = io.from_pynapple(group)
    s = rec.spikes
    assert s.units["id"].tolist() == [3, 7, 12, 20, 31]
    assert s.units["location"].tolist() == ["CA1", "CA1", "ADn", "ADn", "CA1"]
    assert s.units["depth"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert "rate" not in s.units  # pynapple's own computed column is not carried across
    assert np.array_equal(s.support, SUPPORT) and s.has_gaps and s.observed_duration == 85.0
    for row, uid in enumerate(group.keys()):
        assert np.array_equal(s.train(row), group[uid].t)
    # Cross-check: pynapple's rates divide by its time support, as synchro's divide by observed time.
    assert np.allclose(s.rates, group.metadata["rate"].to_numpy(), rtol=1e-12, atol=0)
    # One path: from_trains reads the same TsGroup into the same spikes (it takes no time support).
    same = SpikeData.from_trains(group, t_stop=100.0, time_unit="s")
    assert np.array_equal(same.times, s.times) and np.array_equal(same.units["id"], s.units["id"])


def test_round_trip_to_pynapple_and_back(group):
    rec = io.from_pynapple(group)
    back = io.to_pynapple(rec)
    assert isinstance(back, nap.TsGroup) and list(back.keys()) == list(group.keys())
    assert np.array_equal(back.time_support.values, SUPPORT)
    for uid in group.keys():
        assert np.array_equal(back[uid].t, group[uid].t)
    assert back.metadata["location"].tolist() == ["CA1", "CA1", "ADn", "ADn", "CA1"]
    assert np.allclose(back.metadata["rate"].to_numpy(), group.metadata["rate"].to_numpy(), rtol=1e-12)
    again = io.from_pynapple(back).spikes
    assert again == rec.spikes and np.array_equal(again.support, rec.spikes.support)


def test_to_pynapple_time_support_is_the_observed_time(small_recording):
    with pytest.warns(SynchroWarning, match="outside the observation intervals"):
        cut = small_recording.spikes.restrict_to_intervals([[0.5, 1.5], [2.0, 3.5]])
    group = io.to_pynapple(cut)
    assert np.array_equal(group.time_support.values, [[0.5, 1.5], [2.0, 3.5]])
    assert list(group.keys()) == cut.units["id"].tolist()
    assert np.allclose(group.metadata["rate"].to_numpy(), cut.rates, rtol=1e-12)
    assert group.metadata["quality"].tolist() == cut.units["quality"].tolist()


def test_spike_on_an_inclusive_pynapple_end_is_kept():
    group = nap.TsGroup({1: nap.Ts(np.array([0.5, 2.0])), 2: nap.Ts(np.array([1.0, 3.0]))},
                        time_support=nap.IntervalSet(start=[0.0, 2.5], end=[2.0, 3.0]))
    s = io.from_pynapple(group).spikes
    assert s.spike_counts.tolist() == [2, 2] and s.t_stop == np.nextafter(3.0, 4.0)
    assert s.support[0, 1] == np.nextafter(2.0, 3.0) and s.support[1, 0] == 2.5


def test_interval_set_as_observation_intervals(group):
    """An IntervalSet is accepted wherever synchro takes (k, 2) intervals."""
    wake = nap.IntervalSet(start=[10.0], end=[70.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the spikes outside the intervals asked for go without a warning
        s = io.from_pynapple(group, intervals=wake).spikes
    assert np.array_equal(s.support, [[10.0, 40.0], [55.0, 70.0]]) and s.observed_duration == 45.0
    full = io.from_pynapple(group).spikes
    with pytest.warns(SynchroWarning, match="1660 spike"):
        assert full.restrict_to_intervals(wake) == s
    assert np.all(((s.times >= 10.0) & (s.times < 40.0)) | ((s.times >= 55.0) & (s.times < 70.0)))


def test_from_pynapple_refuses_other_objects():
    with pytest.raises(UsageError, match="takes a pynapple TsGroup, not dict; for a dict"):
        io.from_pynapple({1: np.array([0.1])})


@pytest.mark.parametrize(("module", "call"), [
    ("pynapple", lambda: io.from_pynapple(None)),
    ("pynapple", lambda: io.to_pynapple(SpikeData.from_trains([[0.1]], t_stop=1.0))),
    ("spikeinterface", lambda: io.from_spikeinterface(None)),
])
def test_absent_optional_dependency_is_one_line(monkeypatch, module, call):
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # what the import system does for a package not installed
    with pytest.raises(MissingDependencyError, match=rf'^{module} is not installed; install it \(pip install '
                                                     rf'"synchro\[{module}\]"\) to use (from|to)_{module}$'):
        call()


def test_spikeinterface_sorting_round_trip():
    import spikeinterface.core as si

    fs = 30000.0
    gen = np.random.default_rng(5)
    samples = {uid: np.sort(gen.choice(300_000, n, replace=False)) for uid, n in ((4, 40), (9, 120), (17, 75))}
    sorting = si.NumpySorting.from_unit_dict(samples, sampling_frequency=fs)
    sorting.set_property("quality", np.array(["good", "noise", "mua"]))
    sorting.set_property("depth", np.array([10.0, 20.0, 30.0]))
    recording = si.NumpyRecording([np.zeros((300_000, 1), dtype=np.int16)], sampling_frequency=fs)
    sorting.register_recording(recording)
    rec = io.from_spikeinterface(sorting)
    s = rec.spikes
    assert s.units["id"].tolist() == [4, 17] and rec.metadata["curation"]["n_excluded"] == 1  # noise left out
    assert s.units["quality"].tolist() == ["good", "mua"] and s.units["depth"].tolist() == [10.0, 30.0]
    assert s.t_start == 0.0 and s.t_stop == 10.0
    assert np.array_equal(s.train(0), samples[4] / fs) and np.array_equal(s.train(1), samples[17] / fs)
    # Back through SpikeInterface: the same sample indices.
    again = si.NumpySorting.from_unit_dict({int(u): np.round(s.train(i) * fs).astype(np.int64)
                                            for i, u in enumerate(s.units["id"])}, sampling_frequency=fs)
    assert all(np.array_equal(again.get_unit_spike_train(u), samples[u]) for u in (4, 17))
    named = si.NumpySorting.from_unit_dict({"a#1": samples[4]}, sampling_frequency=fs)
    with pytest.warns(SynchroWarning, match="assumed t_stop=10 s"):
        by_name = io.from_spikeinterface(named).spikes
    assert by_name.units["label"].tolist() == ["a#1"] and by_name.units["id"].tolist() == [0]
    with pytest.raises(UsageError, match="takes a SpikeInterface sorting, not Recording"):
        io.from_spikeinterface(Recording(s))
