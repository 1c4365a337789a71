"""
Spike-field coupling on the network's field proxy
=================================================

Every network of :mod:`sims` records a field proxy: the sum over the
excitatory cells of the absolute synaptic currents they receive (Mazzoni et
al. 2008), Signal ``"field_proxy"`` at 1 kHz. It plays the role an LFP
plays in a recording, and :mod:`synchro.coupling` treats both alike:

* :func:`~synchro.coupling.spike_field_coherence`: coherence between each
  unit's spikes (and the pooled spikes) and the field, by Welch segments
  (equal to ``elephant.sta.spike_field_coherence``) or multitaper;
* :func:`~synchro.coupling.spike_phases`: the phase of the band-passed field
  (zero-phase Butterworth, Hilbert transform) at every spike;
* :func:`~synchro.coupling.phase_locking`: per unit and per population, the
  phase-locking value (PLV), the pairwise phase consistency PPC0 (Vinck et
  al. 2010, unbiased by spike count) and PPC1 (across segments, Vinck et
  al. 2012), the preferred phase and the Rayleigh p-value.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import sims
from synchro.coupling import phase_locking, spike_field_coherence, spike_phases
from synchro.spectral import Welch

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
DURATION = 2.0 if FAST else 10.0  # seconds

rec = sims.izhikevich2003(scheme="netm", duration=DURATION, rng=4)
field = rec.signals["field_proxy"].restrict(0.2, DURATION)  # leave out the onset transient
spikes = rec.spikes.restrict(0.2, None)
print(spikes.summary())
print(field)

# %%
# Coherence
# ---------

coherence = spike_field_coherence(spikes, field, estimator=Welch(nperseg=500))
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
coherence.plot(ax=ax)
ax.set_xlim(0, 150)
ax.axvspan(30, 80, color="C2", alpha=0.1, lw=0)
plt.show()
i = np.argmax(np.where(coherence.freqs >= 20, coherence.pooled, 0))
print(f"pooled coherence peaks at {coherence.freqs[i]:.0f} Hz ({coherence.pooled[i]:.2f}); "
      f"{coherence.n_segments} segments of {coherence.nperseg} samples")

# %%
# The proxy is made of the network's own spikes (each spike becomes a
# current onto its targets), so the pooled spikes are nearly perfectly
# coherent with it wherever the population rate has power: a field proxy is
# not an independent measurement, the way an LFP is. Single units are far
# less coherent than the pool.

# %%
# Phase locking in the alpha and gamma bands, by population
# ---------------------------------------------------------
# PPC0 estimates :math:`E[\cos(\theta_j - \theta_k)]` over pairs of spikes
# without the upward bias of the PLV at small spike counts: for N spikes
# with no locking, :math:`E[\mathrm{PLV}^2] \approx 1/N` while
# :math:`E[\mathrm{PPC0}] = 0`.

bands = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}
fig, axes = plt.subplots(1, 2, figsize=(11, 4), subplot_kw={"projection": "polar"}, layout="constrained")
for ax, (name, band) in zip(axes, bands.items()):
    for pop, color in (("exc", "tab:red"), ("inh", "tab:blue")):
        data = spikes.select(population=pop)
        locking = phase_locking(data, field, band=band)
        phases = spike_phases(data, field, band=band).phases
        counts, edges = np.histogram(phases, bins=36, range=(-np.pi, np.pi))
        ax.step(np.r_[edges[:-1], edges[:1]], np.r_[counts, counts[:1]] / counts.sum(), where="post", color=color,
                label=f"{pop}: PPC0 {locking.population_ppc0:.3f}, PLV {locking.population_plv:.3f}")
        phase = np.degrees(locking.population_preferred_phase)
        print(f"{name:5s} {pop}: population PPC0 {locking.population_ppc0:.4f}, PPC1 {locking.population_ppc1:.4f}, "
              f"PLV {locking.population_plv:.4f}, preferred phase {phase:.0f} deg, "
              f"Rayleigh p {locking.population_rayleigh_p:.2g}; median unit PPC0 {np.nanmedian(locking.ppc0):.4f}")
    ax.set_title(f"{name} {band[0]:g}-{band[1]:g} Hz: spike phases", fontsize="medium")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.35), fontsize="small")
plt.show()

# %%
# Phase 0 is the peak of the band-passed field. The proxy sums absolute
# currents onto excitatory cells, so it peaks when many cells have just
# fired: spikes cluster before the peak, inhibitory spikes later than
# excitatory ones, as expected when excitation recruits inhibition within a
# gamma cycle.
