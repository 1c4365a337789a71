"""Brian2 monitors to a Recording, checked against the analytic leaky integrate-and-fire solution."""

import numpy as np
import pytest

from synchro.errors import UsageError
from synchro.io import from_brian

DRIVE = np.array([0.5, 1.2, 1.5, 2.0, 3.0])  # in units of threshold; the first neuron never fires
TAU, DT, DURATION = 10e-3, 1e-4, 0.5


@pytest.fixture(scope="module")
def network():
    """Five uncoupled LIF neurons (tau 10 ms, threshold 1, reset 0) with constant drive, 0.5 s at dt 0.1 ms."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    group = b2.NeuronGroup(len(DRIVE), "dv/dt = (I - v) / tau : 1\nI : 1 (constant)\nrest : volt (constant)",
                           threshold="v > 1", reset="v = 0", method="exact", namespace={"tau": TAU * b2.second},
                           dt=DT * b2.second, name="lif")
    group.I = DRIVE
    group.rest = -65 * b2.mV
    spikes = b2.SpikeMonitor(group)
    states = b2.StateMonitor(group, ["v", "rest"], record=[1, 4], dt=DT * b2.second)
    net = b2.Network(group, spikes, states)
    net.run(DURATION * b2.second)
    return spikes, states


def test_spike_counts_match_the_analytic_period(network):
    spikes, states = network
    rec = from_brian(spikes, state_monitor=states, populations={"exc": slice(0, 3), "inh": [3, 4]})
    s = rec.spikes
    assert (s.n_units, s.t_start) == (5, 0.0) and s.t_stop == pytest.approx(DURATION, abs=1e-12)
    assert s.spike_counts[0] == 0  # silent neuron kept
    period = TAU * np.log(DRIVE[1:] / (DRIVE[1:] - 1.0))
    # Brian stamps a spike with the start of the step whose update crossed threshold, and the reset value
    # holds from the end of that step: first spike in [T - dt, T], later intervals in [T, T + dt].
    first = np.array([s.train(i)[0] for i in range(1, 5)])
    assert np.all((first >= period - DT - 1e-12) & (first <= period))
    isi = np.concatenate([np.diff(s.train(i)) for i in range(1, 5)])
    bounds = np.repeat(period, s.spike_counts[1:] - 1)
    assert np.all((isi >= bounds - 1e-12) & (isi <= bounds + DT + 1e-12))
    counts = s.spike_counts[1:]
    assert np.all(counts >= np.floor(DURATION / (period + DT))) and np.all(counts <= np.floor(DURATION / period) + 1)
    assert list(s.units["population"]) == ["exc", "exc", "exc", "inh", "inh"]
    assert list(s.units["id"]) == [0, 1, 2, 3, 4] and rec.metadata["simulator"] == "brian2"


def test_state_monitor_becomes_signals(network):
    spikes, states = network
    rec = from_brian(spikes, state_monitor=states, t_stop=DURATION)
    v = rec.signals["v"]
    assert v.fs == pytest.approx(1.0 / DT) and v.t_start == 0.0 and v.units == ""
    assert v.n_channels == 2 and v.channels["unit_id"].tolist() == [1, 4]
    k = np.arange(40)  # before the first spike (4.05 ms): v(t) = I (1 - exp(-t / tau)), integrated exactly
    np.testing.assert_allclose(v.data[k, 1], DRIVE[4] * (1 - np.exp(-k * DT / TAU)), rtol=1e-9, atol=1e-12)
    assert v.data[:, 0].max() <= 1.0 + 1e-12
    rest = rec.signals["rest"]
    assert rest.units == "V" and np.all(rest.data == -0.065)


def test_bad_population_labels(network):
    spikes, _ = network
    with pytest.raises(UsageError, match="populations has 2 labels for 5 neurons"):
        from_brian(spikes, populations=["exc", "inh"])
    labels = from_brian(spikes, populations=["a", "a", "b", "b", "b"]).spikes.populations()
    assert labels == ["a", "b"]


def test_unit_columns_signals_and_metadata_are_carried(network):
    from synchro.core import Signal

    spikes, _ = network
    extra = Signal(np.arange(5.0), 1000.0, name="drive_trace")
    rec = from_brian(spikes, unit_columns={"drive": DRIVE}, signals={"drive_trace": extra},
                     metadata={"model": "lif", "seed": 3})
    np.testing.assert_array_equal(rec.spikes.units["drive"], DRIVE)
    assert rec.signals["drive_trace"] is extra
    assert rec.metadata["model"] == "lif" and rec.metadata["seed"] == 3 and rec.metadata["dt"] == pytest.approx(DT)
    assert rec.spikes.metadata == rec.metadata
