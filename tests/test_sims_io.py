"""Simulations handed to NWB and Neo through synchro.io (real files, real nwbinspector)."""

import numpy as np
import pytest

import sims


@pytest.fixture(scope="module")
def simulation():
    return sims.izhikevich2003(n=200, duration=0.5, rng=8, record_v=[0, 150])


def test_to_nwb_passes_nwbinspector_and_reads_back_every_spike(simulation, tmp_path):
    from nwbinspector import Importance, inspect_nwbfile

    from synchro.io import read_nwb

    path = sims.to_nwb(simulation, tmp_path / "izhikevich2003.nwb")
    serious = {Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION}
    assert [m.message for m in inspect_nwbfile(nwbfile_path=str(path)) if m.importance in serious] == []
    back = read_nwb(path)
    assert back.spikes == simulation.spikes
    np.testing.assert_array_equal(back.spikes.times, simulation.spikes.times)
    assert back.spikes.units["population"].tolist() == simulation.spikes.units["population"].tolist()
    np.testing.assert_array_equal(back.spikes.units["c"], simulation.spikes.units["c"])
    assert back.metadata["scheme"] == "netm" and back.metadata["seed"] == 8
    np.testing.assert_array_equal(back.signals["field_proxy"].data, simulation.signals["field_proxy"].data)


def test_to_neo_keeps_every_train(simulation):
    block = sims.to_neo(simulation)
    trains = block.segments[0].spiketrains
    assert len(trains) == 200
    for i in (0, 150, 199):
        np.testing.assert_array_equal(trains[i].magnitude, simulation.spikes.train(i))
        assert trains[i].annotations["population"] == simulation.spikes.units["population"][i]
    names = [a.name for a in block.segments[0].analogsignals]
    assert set(names) == {"field_proxy", "v"}


@pytest.mark.parametrize("model, dt_ms", [("izhikevich2003", 1.0), ("izhikevich2007", 0.1)])
def test_nwb_units_resolution_is_the_time_step(model, dt_ms, tmp_path):
    """Issue 15: sims had its own Brian2 converter, without synchro's "dt", so its NWB files got a Units resolution
    of about 1e-15 s (the float spacing of t_stop) instead of the time step. Read back with pynwb itself."""
    from pynwb import NWBHDF5IO

    from synchro.io import write_nwb

    rec = sims.simulate(model, n=50, duration=0.1, dt_ms=dt_ms, rng=1)
    path = write_nwb(rec, tmp_path / f"{model}.nwb")
    with NWBHDF5IO(str(path), "r") as io:
        resolution = io.read().units.resolution
    assert resolution == pytest.approx(dt_ms / 1000, rel=1e-12)
    assert rec.metadata["dt"] == pytest.approx(dt_ms / 1000, rel=1e-12) and rec.metadata["dt_ms"] == dt_ms
