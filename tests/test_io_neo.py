"""Neo conversions: bit-exact round trips both ways, quantities converted once, elephant as cross-check."""

import neo
import numpy as np
import pytest
import quantities as pq

from synchro.errors import SynchroWarning, UsageError
from synchro.io import from_neo, to_neo


def _neo_block():
    """A Block as a neo user builds it: trains in ms, a kHz AnalogSignal in mV, annotations per train."""
    gen = np.random.default_rng(5)
    seg = neo.Segment()
    for i, pop in enumerate(["exc", "exc", "inh"]):
        t = np.sort(gen.uniform(100.0, 2100.0, 30 + 10 * i))
        seg.spiketrains.append(neo.SpikeTrain(t * pq.ms, t_start=100 * pq.ms, t_stop=2100 * pq.ms, name=f"cell{i}",
                                              population=pop, channel_id=10 + i, snr=1.5 * i))
    seg.analogsignals.append(neo.AnalogSignal(gen.normal(size=(2000, 2)), units="mV", sampling_rate=1 * pq.kHz,
                                              t_start=0.1 * pq.s, name="Vm",
                                              array_annotations={"channel_id": np.array([10, 11])}))
    block = neo.Block()
    block.segments.append(seg)
    return block


def test_neo_recording_neo_keeps_times_and_annotations():
    block = _neo_block()
    rec = from_neo(block)
    s = rec.spikes
    assert (s.t_start, s.t_stop) == (0.1, 2.1)
    for i, train in enumerate(block.segments[0].spiketrains):
        assert np.array_equal(s.train(i), train.times.rescale("s").magnitude)
    assert list(s.units["population"]) == ["exc", "exc", "inh"]
    assert list(s.units["label"]) == ["cell0", "cell1", "cell2"]
    assert s.units["channel_id"].tolist() == [10, 11, 12] and s.units["snr"].tolist() == [0.0, 1.5, 3.0]
    vm = rec.signals["Vm"]
    assert vm.fs == 1000.0 and vm.t_start == 0.1 and vm.units == "mV" and vm.channels["channel_id"].tolist() == [10, 11]

    again = to_neo(rec)
    seg = again.segments[0]
    for old, new in zip(block.segments[0].spiketrains, seg.spiketrains):
        assert np.array_equal(new.times.magnitude, old.times.rescale("s").magnitude) and new.units == pq.s
        assert new.annotations["population"] == old.annotations["population"] and new.name == old.name
    assert np.array_equal(seg.analogsignals[0].magnitude, block.segments[0].analogsignals[0].magnitude)
    assert seg.analogsignals[0].sampling_rate.rescale("Hz").magnitude == 1000.0


def test_recording_neo_recording_is_bit_exact(small_recording):
    block = to_neo(small_recording)
    with pytest.warns(SynchroWarning, match="no spikes"):
        back = from_neo(block)
    a, b = back.spikes, small_recording.spikes
    assert np.array_equal(a.times, b.times) and np.array_equal(a.offsets, b.offsets)
    assert (a.t_start, a.t_stop) == (b.t_start, b.t_stop)
    for col in ("id", "label", "population", "quality", "depth_um", "is_wide"):
        assert np.array_equal(a.units[col], b.units[col]), col
    assert np.array_equal(back.signals["LFP"].data, small_recording.signals["LFP"].data)
    assert back.metadata["seed"] == 7
    train = block.segments[0].spiketrains[3]
    assert train.annotations["id"] == 110 and train.annotations["label"] == "u3"


def test_rates_agree_with_elephant():
    from elephant.statistics import mean_firing_rate

    block = _neo_block()
    rec = from_neo(block.segments[0])
    expected = [float(mean_firing_rate(t).rescale("Hz").magnitude) for t in block.segments[0].spiketrains]
    np.testing.assert_allclose(rec.spikes.rates, expected, rtol=1e-12)


def test_list_of_trains_and_refusals():
    trains = [neo.SpikeTrain([0.5, 1.5] * pq.s, t_stop=2 * pq.s), neo.SpikeTrain([250.0] * pq.ms, t_stop=2 * pq.s)]
    rec = from_neo(trains)
    assert rec.spikes.times.tolist() == [0.5, 1.5, 0.25] and rec.spikes.units["id"].tolist() == [0, 1]
    block = neo.Block()
    block.segments.extend([neo.Segment(), neo.Segment()])
    with pytest.raises(UsageError, match="has 2 segments; pass one"):
        from_neo(block)
    with pytest.raises(UsageError, match="not ndarray"):
        from_neo(np.arange(3.0))
