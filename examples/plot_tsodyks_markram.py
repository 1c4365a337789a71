"""
Short-term plasticity: Tsodyks-Markram synapses
===============================================

With :class:`sims.TsodyksMarkram` every synapse of a network carries
resources :math:`x` and a utilisation :math:`u`. A presynaptic spike first
raises :math:`u \\leftarrow u + U (1 - u)`, then releases :math:`r = u x`
of the resources (:math:`x \\leftarrow x - r`) and the synaptic weight is
multiplied by :math:`r`. Between spikes :math:`x` recovers to 1 with
:math:`\\tau_d` and :math:`u` decays with :math:`\\tau_f` (Tsodyks, Pawelzik
and Markram 1998). Small :math:`U` and long :math:`\\tau_f` facilitate;
large :math:`U` and long :math:`\\tau_d` depress.

For a regular presynaptic train the release per spike settles to a fixed
point, :func:`sims.tsodyks_markram_steady_state`; the Brian2 synapses follow
the spike-by-spike recursion to rounding and reach it
(``tests/test_sims_2007_and_options.py``, which writes both formulas itself).
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import sims
from synchro.rhythms import population_rate

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
DURATION = 0.6 if FAST else 3.0  # seconds

synapses = {
    "depressing (U=0.5, tau_d=200 ms, tau_f=50 ms)": sims.TsodyksMarkram(U=0.5, tau_d=0.2, tau_f=0.05),
    "facilitating (U=0.1, tau_d=100 ms, tau_f=1 s)": sims.TsodyksMarkram(U=0.1, tau_d=0.1, tau_f=1.0),
}
rates = np.geomspace(0.5, 100, 60)
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name, tm in synapses.items():
    release = [sims.tsodyks_markram_steady_state(tm, rate=r) for r in rates]
    ax.semilogx(rates, release, label=name)
    ax.semilogx(rates, np.array(release) * rates, ls="--", color=ax.lines[-1].get_color(), lw=0.8)
ax.set_xlabel("presynaptic rate (Hz)")
ax.set_ylabel("release per spike  (dashed: per second)")
ax.legend(fontsize="small")
plt.show()

# %%
# Depressing synapses in the forum's 125-neuron network
# -----------------------------------------------------
# The 2007 network fires fast, so depressing synapses deliver a fraction of
# their nominal weight: recurrent excitation and inhibition both weaken, and
# the network is left to its external drive. With the plasticity on, the
# exponential current has to decay on the synapse side (one variable per
# synapse, ``psc_location="synapse"``).

runs = {
    "static synapses": sims.izhikevich2007(duration=DURATION, rng=1),
    "depressing synapses": sims.izhikevich2007(duration=DURATION, rng=1, psc_location="synapse",
                                               tsodyks_markram=sims.TsodyksMarkram(U=0.5, tau_d=0.2, tau_f=0.05)),
}
fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True, layout="constrained")
for ax, (name, rec) in zip(axes, runs.items()):
    print(f"{name}:\n{rec.spikes.summary()}")
    for pop, color in (("exc", "tab:red"), ("inh", "tab:blue")):
        rate = population_rate(rec.spikes, population=pop)
        ax.plot(rate.times, rate.smoothed(0.005), color=color, lw=0.8, label=pop)
    ax.set_title(name, fontsize="medium", loc="left")
    ax.set_ylabel("rate (Hz)")
axes[0].legend(loc="upper right", fontsize="small")
axes[-1].set_xlabel("time (s)")
plt.show()
