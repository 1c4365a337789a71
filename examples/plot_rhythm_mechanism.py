"""
When are alpha and gamma there, and who leads whom?
===================================================

Izhikevich (2003) describes alpha and gamma rhythms that come and go in his
network of 800 excitatory and 200 inhibitory neurons. A whole-recording
spectrum (:func:`synchro.rhythms.band_verdicts`) says *whether* a rhythm is
there; this example asks the next questions on the published program
(:func:`sims.izhikevich2003`, ``scheme="netm"``):

* **when**: :func:`synchro.episodes.rhythm_episodes` compares the wavelet
  power of the population rate, moment by moment, with the aperiodic
  background of the whole recording, and keeps the stretches above a
  threshold calibrated on simulated background series (0.1 % of null time
  flagged) that last at least 3 cycles;
* **who leads whom**: :func:`synchro.lag.population_lag` measures how long
  after the excitatory cells' band-limited rate the inhibitory cells' rate
  follows, with a bootstrap interval over cycles. In a PING rhythm
  excitation recruits the interneurons, which fire a few milliseconds later
  and silence the network until the next cycle;
* **what rides on what**: :func:`synchro.rhythms.phase_amplitude_coupling`
  asks whether gamma amplitude follows the alpha phase (Tort's modulation
  index against an amplitude-shift null), and
  :func:`synchro.rhythms.comodulogram` looks over frequency pairs.

:doc:`/methods` gives each method, its calibration and its references.
"""

# %%
# sphinx_gallery_thumbnail_number = 1
import os

import matplotlib.pyplot as plt
import numpy as np

import sims
from synchro.coupling import phase_locking
from synchro.episodes import rhythm_episodes
from synchro.lag import population_lag
from synchro.rhythms import comodulogram, phase_amplitude_coupling

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
DURATION = 4.0 if FAST else 10.0  # seconds simulated
rec = sims.izhikevich2003(duration=DURATION, rng=1)
data = rec.spikes.restrict(0.2, None)  # the first 0.2 s are the network's start-up, not a rhythm
print(f"{data.n_units} units, {data.n_spikes} spikes in {data.duration:g} s")

# %%
# When: rhythm episodes
# ---------------------
# Each population's map of wavelet power over its aperiodic background, with
# the episodes outlined. Alpha holds for seconds at a time; gamma comes in
# bursts of a few hundred milliseconds.
fig, axes = plt.subplots(3, 1, figsize=(9, 8), layout="constrained")
for ax, pop in zip(axes, (None, "exc", "inh")):
    episodes = rhythm_episodes(data, population=pop, rng=0)
    episodes.plot(ax=ax)
    ax.set_title(pop or "all units", loc="left")
    print(episodes.summary())

# %%
# Who leads whom: the lag of inh behind exc
# -----------------------------------------
# The lag is the peak of the cross-correlation of the two band-passed rates
# within half a cycle of zero: positive when the inhibitory rate follows.
lag = population_lag(data, populations=("exc", "inh"), band=(30.0, 80.0), rng=0)
print(lag.summary())
lag.plot()

# %%
# The network's own field agrees. The field proxy (summed synaptic currents
# of the excitatory cells) sets one clock for both populations: the
# inhibitory spikes' preferred gamma phase comes later in the cycle than the
# excitatory spikes', by about the lag's phase.
field = rec.signals["field_proxy"]
phases = {pop: phase_locking(data.select(population=pop), field, band=(30.0, 80.0)).population_preferred_phase
          for pop in ("exc", "inh")}
for pop, phase in phases.items():
    print(f"{pop}: preferred field phase {np.degrees(phase):.0f} degrees")
print(f"inh after exc by {np.degrees(np.angle(np.exp(1j * (phases['inh'] - phases['exc'])))):.0f} degrees of the "
      f"field's gamma cycle; the rates' lag gives {lag.phase_degrees:.0f} degrees")

# %%
# What rides on what: gamma amplitude and alpha phase
# ---------------------------------------------------
# The amplitude is the part of the gamma band shared by two halves of the
# units: Poisson noise, whose power rises wherever the rate does, cancels
# between them, so a rhythm that only raises the rate is not read as
# coupling.
pac = phase_amplitude_coupling(data, phase_band=(8.0, 13.0), amplitude_band=(30.0, 80.0), rng=0)
print(pac.summary())
como = comodulogram(data, phase_freqs=np.arange(4.0, 15.0, 2.0), amplitude_freqs=np.arange(30.0, 81.0, 10.0),
                    n_surrogates=0 if FAST else 100, rng=0)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
pac.plot(ax=axes[0])
como.plot(ax=axes[1])
plt.show()
