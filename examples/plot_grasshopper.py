"""
A real recording through NWB: a grasshopper auditory receptor
=============================================================

The ``nitime`` package ships a small real recording (from CRCNS): the
spikes of a primary auditory receptor of the grasshopper *Locusta
migratoria*, recorded intracellularly while a pure tone at the cell's
preferred frequency played, its amplitude modulated by Gaussian white noise
up to 200 Hz (Rokem et al. 2006). Spike times are stored in microseconds,
the stimulus amplitude at 20 kHz, which we convert to dB SPL as nitime's own
example does.

This example converts the first recording to NWB with
:func:`synchro.io.write_nwb`, reads it back with :func:`synchro.io.read`
and asks how well the spikes follow the stimulus: spike-field coherence
between the spikes and the envelope, and the spike-triggered average.
"""

# %%
import importlib.util
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import synchro.io
from synchro import Recording, Signal, SpikeData
from synchro.coupling import spike_field_coherence
from synchro.spectral import Welch

# The data files sit in the nitime package; locate them without importing it.
DATA = Path(importlib.util.find_spec("nitime").submodule_search_locations[0]) / "data"
FS_STIMULUS = 20_000.0  # Hz: one envelope sample every 50 us
DURATION = 10.0  # s

spike_us = np.loadtxt(DATA / "grasshopper_spike_times1.txt")  # '#' header lines are skipped
stimulus = np.loadtxt(DATA / "grasshopper_stimulus1.txt")[:, 1]
MAX_DB = 76.4286  # intensity (dB) in the spike file's header
stimulus = 20 * np.log10(stimulus / 2e-5)
stimulus += MAX_DB - stimulus.max()
print(f"{spike_us.size} spikes, first {spike_us[0]:g} us, last {spike_us[-1]:g} us; "
      f"{stimulus.size} stimulus samples")

# %%
# Into synchro's types, and through NWB
# -------------------------------------
# ``time_unit="us"`` converts the times; without it, synchro would refuse
# them: times spanning 1e7 with a tenth of a spike per "second" look like
# milliseconds or samples, and raise :class:`~synchro.errors.TimeUnitError`.

spikes = SpikeData.from_trains([spike_us], t_stop=DURATION * 1e6, time_unit="us",
                               units={"id": [1], "label": ["auditory receptor"]})
envelope = Signal(stimulus, FS_STIMULUS, units="dB SPL", name="stimulus",
                  channels={"name": np.array(["sound envelope"], dtype=object)})
recording = Recording(spikes, {"stimulus": envelope}, {"source": "nitime grasshopper_spike_times1.txt",
                                                      "reference": "Rokem et al. 2006, J Neurophysiol 95:2541"})
work = tempfile.TemporaryDirectory()
path = synchro.io.write_nwb(recording, Path(work.name) / "grasshopper.nwb")
rec = synchro.io.read(path)
print(rec.spikes.summary())
print(rec.signals["stimulus"])
assert np.array_equal(rec.spikes.times, spikes.times)  # bit for bit

# %%
# Spikes and stimulus
# -------------------

data, stim = rec.spikes, rec.signals["stimulus"]
fig, (ax_stim, ax_isi) = plt.subplots(1, 2, figsize=(12, 3.5), width_ratios=(2, 1), layout="constrained")
window = stim.restrict(1.0, 1.5)
ax_stim.plot(window.times, window.channel(0), lw=0.6, color="0.3")
shown = data.train(0)[(data.train(0) >= 1.0) & (data.train(0) < 1.5)]
ax_stim.plot(shown, np.full(shown.size, window.data.max() * 1.05), "|", color="tab:red", ms=10)
ax_stim.set_xlabel("time (s)")
ax_stim.set_ylabel("stimulus (dB SPL); spikes in red")
ax_isi.hist(np.diff(data.train(0)) * 1e3, bins=np.arange(0, 40, 0.5), color="tab:red")
ax_isi.set_xlabel("inter-spike interval (ms)")
ax_isi.set_ylabel("count")
plt.show()

# %%
# How much of the stimulus the spikes carry
# -----------------------------------------
# Coherence between the spike train (counted on the stimulus's 50 us grid)
# and the stimulus in dB, Welch segments of 0.5 s; and the spike-triggered
# average: the mean stimulus in a window around each spike.

coherence = spike_field_coherence(data, stim, estimator=Welch(nperseg=int(0.5 * FS_STIMULUS)))
lags = np.arange(-int(0.03 * FS_STIMULUS), int(0.01 * FS_STIMULUS))
index = np.round((data.train(0) - stim.t_start) * FS_STIMULUS).astype(int)
index = index[(index + lags[0] >= 0) & (index + lags[-1] < stim.n_samples)]
sta = stim.channel(0)[index[:, None] + lags].mean(axis=0)

fig, (ax_coh, ax_sta) = plt.subplots(1, 2, figsize=(12, 3.5), layout="constrained")
ax_coh.plot(coherence.freqs, coherence.pooled, color="tab:red")
ax_coh.axvline(200, color="0.5", ls=":", label="stimulus cut-off")
ax_coh.set_xlim(0, 400)
ax_coh.set_xlabel("frequency (Hz)")
ax_coh.set_ylabel("spike-stimulus coherence")
ax_coh.legend()
ax_sta.plot(lags / FS_STIMULUS * 1e3, sta, color="0.2")
ax_sta.axhline(stim.channel(0).mean(), color="0.5", ls=":", label="mean stimulus")
ax_sta.axvline(0, color="tab:red", lw=0.8)
ax_sta.set_xlabel("time relative to spike (ms)")
ax_sta.set_ylabel("spike-triggered average (dB SPL)")
ax_sta.legend()
plt.show()
band = (coherence.freqs > 0) & (coherence.freqs <= 200)
print(f"mean coherence 0-200 Hz: {coherence.pooled[band].mean():.2f}; above 300 Hz: "
      f"{coherence.pooled[coherence.freqs > 300].mean():.3f}")

# %%
# The receptor fires at about 90 Hz with a refractory gap of a few
# milliseconds, and its spikes follow the envelope up to the stimulus
# cut-off: coherence is high below 200 Hz and falls to its noise level
# above. The spike-triggered average shows the stimulus rising in the few
# milliseconds before a spike.
#
# Rokem A, Watzl S, Gollisch T, Stemmler M, Herz AVM, Samengo I (2006).
# Spike-timing precision underlies the coding efficiency of auditory
# receptor neurons. J Neurophysiol 95:2541-2552.

# %%
# The example's files go with its temporary folder.
work.cleanup()
