"""Each catalogued Izhikevich type shows its firing signature (Izhikevich 2003 Fig. 2; 2004 Fig. 1).

Step of 10 (net.m current units) from 50 to 450 ms unless said; ISIs in ms.
"""

import numpy as np
import pytest

from sims import NEURON_TYPES, run_neuron
from synchro.errors import UsageError


def rest_mv(neuron_type):
    # Written here, not imported: with I = 0 and u = b v, dv/dt = 0.04 v^2 + (5 - b) v + 140 = 0; the lower
    # root is the stable rest (Izhikevich 2003). For b = 0.2 (regular spiking): v = -70 mV.
    b = NEURON_TYPES[neuron_type]["b"]
    return (-(5 - b) - np.sqrt((5 - b) ** 2 - 4 * 0.04 * 140)) / (2 * 0.04)


def test_rest_of_regular_spiking_is_minus_70_mv():
    assert rest_mv("regular_spiking") == pytest.approx(-70.0, abs=1e-12)


def isis_ms(rec):
    return np.diff(rec.spikes.train(0)) * 1000


def rate_hz(rec, t0, t1):
    t = rec.spikes.train(0)
    return np.count_nonzero((t >= t0) & (t < t1)) / (t1 - t0)


def test_regular_spiking_adapts_then_fires_tonically():
    isi = isis_ms(run_neuron("regular_spiking"))
    assert isi[0] > 10  # no burst
    assert isi[-1] / isi[0] > 2  # adaptation (measured 45 / 18 ms)
    assert np.std(isi[2:]) / np.mean(isi[2:]) < 0.02  # then tonic
    assert 1000 / isi[-1] < 30


def test_intrinsically_bursting_starts_with_a_burst_then_fires_tonically():
    isi = isis_ms(run_neuron("intrinsically_bursting"))
    assert np.all(isi[:2] < 5)  # initial burst of 3 spikes (2.4, 3.7 ms)
    tonic = isi[2:]
    assert tonic.size >= 8 and np.all(tonic > 25) and np.std(tonic[1:]) / np.mean(tonic[1:]) < 0.02


def test_chattering_fires_repeated_bursts_with_bimodal_isis():
    isi = isis_ms(run_neuron("chattering"))
    short, long = isi < 10, isi > 30
    assert np.all(short | long)  # nothing in between: two ISI modes
    assert long.sum() >= 5  # bursts repeat
    spikes_per_burst = np.diff(np.flatnonzero(np.r_[True, long, True]))
    assert np.all(spikes_per_burst[1:-1] >= 3)


def test_fast_spiking_sustains_a_high_rate_without_adaptation():
    rec = run_neuron("fast_spiking")
    steady = rate_hz(rec, 0.25, 0.45)
    assert steady > 100
    assert rate_hz(rec, 0.05, 0.10) / steady < 1.2  # measured 1.07; regular spiking 1.8


def test_low_threshold_spiking_fires_fast_then_adapts():
    rec = run_neuron("low_threshold_spiking")
    isi = isis_ms(rec)
    assert 1000 / isi[0] > 200  # high frequency at onset
    assert isi[-1] / isi[0] > 3  # strong adaptation (13.7 / 3.1 ms)
    assert rate_hz(rec, 0.05, 0.10) / rate_hz(rec, 0.25, 0.45) > 1.5


def test_thalamo_cortical_fires_a_rebound_burst_after_hyperpolarisation():
    rec = run_neuron("thalamo_cortical", current=-10.0, step=(0.05, 0.25), duration=0.4)
    t = rec.spikes.train(0)
    assert np.all(t > 0.25)  # silent while hyperpolarised
    burst = t[t < 0.30]
    assert burst.size >= 3 and np.all(np.diff(burst) < 0.015)
    v = rec.signals["v"].data[:, 0]
    assert v[(rec.signals["v"].times > 0.2) & (rec.signals["v"].times < 0.25)].max() < -75
    control = run_neuron("regular_spiking", current=-10.0, step=(0.05, 0.25), duration=0.4)
    assert control.spikes.n_spikes == 0


def test_resonator_rings_at_the_frequency_of_its_linearisation():
    # A 2 ms subthreshold pulse leaves damped oscillations; their period matches the complex eigenvalues
    # of the Jacobian at rest (24.4 Hz). A regular-spiking cell returns without ringing.
    def ringing(neuron_type):
        rec = run_neuron(neuron_type, current=1.0, step=(0.05, 0.052), duration=0.45)
        v, t = rec.signals["v"].data[:, 0], rec.signals["v"].times
        x = v[t > 0.052] - rest_mv(neuron_type)
        ups = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
        return rec.spikes.n_spikes, np.diff(t[t > 0.052][ups])

    p = NEURON_TYPES["resonator"]
    v_rest = rest_mv("resonator")
    eig = np.linalg.eigvals([[0.08 * v_rest + 5, -1], [p["a"] * p["b"], -p["a"]]])
    f_linear = abs(eig[0].imag) / (2 * np.pi) * 1000
    n_spikes, periods = ringing("resonator")
    assert n_spikes == 0 and periods.size >= 5
    assert abs(1 / periods.mean() / f_linear - 1) < 0.02
    assert ringing("regular_spiking")[1].size == 0


def test_run_neuron_recording_and_errors():
    rec = run_neuron("fast_spiking", duration=0.1)
    assert rec.spikes.units["label"][0] == "fast_spiking" and rec.spikes.units["a"][0] == 0.1
    v = rec.signals["v"]
    assert v.fs == pytest.approx(10000) and v.n_samples == 1000 and v.units == "mV"
    assert v.data[0, 0] == pytest.approx(rest_mv("fast_spiking"))
    with pytest.raises(UsageError, match="neuron_type must be one of"):
        run_neuron("purkinje")
    with pytest.raises(UsageError, match="step must satisfy"):
        run_neuron("resonator", step=(0.3, 0.1))
