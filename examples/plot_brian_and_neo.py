"""
From Brian2 monitors and Neo objects
====================================

Your own Brian2 network reaches synchro through its monitors:
:func:`synchro.io.from_brian` turns a ``SpikeMonitor`` (and optionally a
``StateMonitor``) into a :class:`~synchro.Recording`, keeping silent neurons
and taking the recording's end from the network's clock. Neo is the
exchange format of many other tools: :func:`synchro.io.to_neo` and
:func:`synchro.io.from_neo` convert both ways, spike times bit for bit.

The network: 200 leaky integrate-and-fire neurons (160 excitatory, 40
inhibitory) driven by Poisson input, sparsely coupled.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    PoissonInput,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    prefs,
    seed,
)

import synchro.io
from synchro.rhythms import population_rate
from synchro.synchrony import golomb_chi

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
prefs.codegen.target = "numpy"  # no compiler needed
defaultclock.dt = 0.1 * ms
seed(1)

neurons = NeuronGroup(200, "dv/dt = -v / (20*ms) : volt (unless refractory)", threshold="v > 20*mV",
                      reset="v = 0*mV", refractory=2 * ms, method="exact")
drive = PoissonInput(neurons, "v", N=100, rate=8 * 1e-3 / ms, weight=1.1 * mV)
exc = Synapses(neurons[:160], neurons, on_pre="v_post += 0.4*mV")
inh = Synapses(neurons[160:], neurons, on_pre="v_post -= 2.0*mV")
exc.connect(p=0.1)
inh.connect(p=0.1)
spike_monitor = SpikeMonitor(neurons)
state_monitor = StateMonitor(neurons, "v", record=[0, 1, 160])
Network(neurons, drive, exc, inh, spike_monitor, state_monitor).run((0.5 if FAST else 2.0) * 1000 * ms)

# %%
# Monitors to a Recording
# -----------------------

rec = synchro.io.from_brian(spike_monitor, state_monitor=state_monitor,
                            populations={"exc": slice(0, 160), "inh": slice(160, 200)})
print(rec.spikes.summary())
print(rec.signals["v"])
print(f"Golomb chi {golomb_chi(rec.spikes, rng=0).chi:.3f}")

# %%
# Through Neo and back
# --------------------

block = synchro.io.to_neo(rec)
train = block.segments[0].spiketrains[0]
print(f"neo Block: {len(block.segments[0].spiketrains)} SpikeTrains, first annotated {train.annotations}")
back = synchro.io.from_neo(block)
assert np.array_equal(back.spikes.times, rec.spikes.times)  # bit for bit
assert list(back.spikes.units["population"]) == list(rec.spikes.units["population"])

# %%
fig, (ax_v, ax_rate) = plt.subplots(2, 1, figsize=(9, 5), sharex=True, layout="constrained")
v = back.signals["v"]
for ch in range(v.n_channels):
    ax_v.plot(v.times, v.channel(ch) * 1e3, lw=0.6, label=f"neuron {v.channels['unit_id'][ch]}")
ax_v.set_ylabel("v (mV)")
ax_v.legend(fontsize="small", loc="upper right")
for pop, color in (("exc", "tab:red"), ("inh", "tab:blue")):
    rate = population_rate(back.spikes, population=pop)
    ax_rate.plot(rate.times, rate.smoothed(0.005), color=color, lw=0.8, label=pop)
ax_rate.set_xlabel("time (s)")
ax_rate.set_ylabel("rate (Hz)")
ax_rate.legend(fontsize="small")
plt.show()
