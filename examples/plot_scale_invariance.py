"""
Scale invariance in N
=====================

A network is scale invariant when its dynamics do not depend on how many
neurons represent it. With all-to-all coupling, each neuron of the 2003
network receives the summed input of every spiking cell, so with fixed
weights the input grows with N; scaling every weight by :math:`1000/N`
keeps the mean input per neuron fixed (the fix found on the Brian forum).
:func:`sims.izhikevich2003` scales weights by default when ``n != 1000``
(``scale_weights``).

Below, the published network (``scheme="netm"``) at several sizes, with and
without the scaling: rates, and the gamma peak of the population spectrum.
"""

# %%
import os

import matplotlib.pyplot as plt

import sims
from synchro.rhythms import band_verdicts

FAST = os.environ.get("SYNCHRO_DOCS_FAST", "") not in ("", "0")
DURATION = 1.5 if FAST else 5.0  # seconds
SIZES = (250, 500, 1000) if FAST else (250, 500, 1000, 2000)

rows = []
for scale in (True, False):
    for n in SIZES:
        if n == 1000 and not scale:
            continue  # 1000 is the published size: the scale is 1 either way
        rec = sims.izhikevich2003(n=n, duration=DURATION, rng=2, scale_weights=scale)
        spikes = rec.spikes.restrict(0.2, None)
        gamma = band_verdicts(spikes, rng=0, bands={"gamma": (30, 80)})["gamma"]
        exc, inh = (spikes.select(population=p).rates.mean() for p in ("exc", "inh"))
        rows.append((n, scale, exc, inh, gamma))
        print(f"N={n:5d} weights x {1000 / n if scale else 1:4.2g}: exc {exc:5.1f} Hz, inh {inh:5.1f} Hz; "
              f"gamma {gamma.verdict}, peak at {gamma.peak_hz:.0f} Hz ({gamma.power_db:+.1f} dB over the "
              f"background, peak p={gamma.p_peak_holm:.3g})")

# %%
fig, (ax_rate, ax_peak) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for scale, marker in ((True, "o-"), (False, "s--")):
    sel = [r for r in rows if r[1] == scale or r[0] == 1000]
    n = [r[0] for r in sel]
    label = "weights x 1000/N" if scale else "weights fixed"
    ax_rate.plot(n, [r[2] for r in sel], marker, color="tab:red", label=f"exc, {label}")
    ax_rate.plot(n, [r[3] for r in sel], marker, color="tab:blue", label=f"inh, {label}")
    ax_peak.plot(n, [r[4].peak_hz for r in sel], marker, label=label)
ax_rate.set_xscale("log")
ax_rate.set_yscale("log")
ax_rate.set_xlabel("N")
ax_rate.set_ylabel("mean rate (Hz)")
ax_rate.legend(fontsize="small")
ax_peak.set_xscale("log")
ax_peak.set_xlabel("N")
ax_peak.set_ylabel("gamma peak (Hz)")
ax_peak.legend(fontsize="small")
plt.show()

# %%
# With the weights scaled, the rates stay close to those of the published
# size. With fixed weights a smaller network receives less recurrent input
# per neuron: it fires more slowly and its gamma rhythm weakens (at full
# size, the run with N=2000 shows the opposite, a network driven harder).
