"""
Neuron types of the Izhikevich model
====================================

The same two equations,

.. math::

   \\dot v = 0.04 v^2 + 5 v + 140 - u + I, \\qquad \\dot u = a (b v - u),
   \\qquad v \\ge 30 \\Rightarrow v \\leftarrow c,\\; u \\leftarrow u + d

(v in mV, time in ms), fire in the classic cortical and thalamic patterns
for the four parameters of Izhikevich (2003), Fig. 2.
:func:`sims.run_neuron` simulates one neuron of a catalogued type under a
step current with Brian2 and returns a :class:`synchro.Recording` holding
its spikes and its membrane potential (Signal ``"v"``, mV). The protocols
are those of the signature tests in ``tests/test_sims_neuron_types.py``.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import sims

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
DURATION = 0.3 if FAST else 0.45  # seconds

for name, params in sims.NEURON_TYPES.items():
    print(f"{name:24s} a={params['a']:<5g} b={params['b']:<5g} c={params['c']:<5g} d={params['d']:g}")

# %%
# Each type under its protocol
# ----------------------------
# A depolarising step of 10 (net.m current units) from 50 to 250 ms. The
# thalamo-cortical cell is instead held hyperpolarised (-10) and fires a
# rebound burst when released. The resonator gets a 2 ms pulse of 1: too
# weak to fire, it rings at the frequency of its linearisation at rest
# (about 24 Hz), which a regular-spiking cell does not.

protocols = {name: {"current": 10.0, "step": (0.05, 0.25)} for name in sims.NEURON_TYPES}
protocols["thalamo_cortical"] = {"current": -10.0, "step": (0.05, 0.25)}
protocols["resonator"] = {"current": 1.0, "step": (0.05, 0.052)}

fig, axes = plt.subplots(len(protocols), 1, figsize=(8, 1.5 * len(protocols)), sharex=True, layout="constrained")
for ax, (name, protocol) in zip(axes, protocols.items()):
    rec = sims.run_neuron(name, duration=DURATION, **protocol)
    v = rec.signals["v"]
    ax.plot(v.times * 1e3, v.channel(0), lw=0.8)
    ax.axvspan(*(np.array(protocol["step"]) * 1e3), color="C1", alpha=0.12, lw=0)
    isi = np.diff(rec.spikes.train(0)) * 1e3
    ax.set_title(f"{name}: {rec.spikes.n_spikes} spikes, I={protocol['current']:g}"
                 + (f", ISI {isi.min():.1f}-{isi.max():.1f} ms" if isi.size else ""), fontsize="small", loc="left")
    ax.set_ylabel("v (mV)")
axes[-1].set_xlabel("time (ms); shaded: current step")
plt.show()
