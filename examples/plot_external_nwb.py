"""
Analysing an external NWB file: units, curation labels and an LFP
=================================================================

Files from spike sorters and acquisition systems reach synchro as NWB. This
example first writes one the way third-party tools do, with pynwb: a Units
table filled unit by unit, a Kilosort-style ``KSLabel`` curation column with
some units marked ``noise``, ``obs_intervals``, and an LFP
``ElectricalSeries`` in ``processing/ecephys/LFP`` stored as integers with a
``conversion`` factor to volts. The spikes of the "good" units are locked
to a 40 Hz rhythm in the LFP; the "noise" units fire at random.

:func:`synchro.io.read` then reads it lazily with h5py (never modifying
it): curation applied, bounds from ``obs_intervals``, LFP converted to
volts and sliced to the spikes' window.
"""

# %%
import datetime
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from pynwb import NWBHDF5IO, NWBFile
from pynwb.ecephys import LFP, ElectricalSeries

import synchro.io
from synchro.coupling import phase_locking
from synchro.rhythms import band_verdicts

# hdmf warns while the LFP's electrode region is not yet part of the file; it joins the file below.
warnings.filterwarnings("ignore", message="The linked table for DynamicTableRegion")
rng = np.random.default_rng(0)
DURATION, FS, N_GOOD, N_NOISE = 20.0, 1000.0, 24, 6

t = np.arange(int(DURATION * FS)) / FS
gamma = np.sin(2 * np.pi * 40 * t)
lfp_volts = 50e-6 * gamma + 20e-6 * rng.standard_normal(t.size)


def locked_train(rate=6.0, depth=0.6):
    # Inhomogeneous Poisson by thinning: rate (1 + depth sin(2 pi 40 t)), so spikes favour the LFP's peaks.
    n = rng.poisson(rate * (1 + depth) * DURATION)
    s = np.sort(rng.uniform(0, DURATION, n))
    return s[rng.random(n) < (1 + depth * np.sin(2 * np.pi * 40 * s)) / (1 + depth)]


trains = [locked_train() for _ in range(N_GOOD)]
trains += [np.sort(rng.uniform(0, DURATION, rng.poisson(30 * DURATION))) for _ in range(N_NOISE)]
labels = ["good"] * N_GOOD + ["noise"] * N_NOISE

nwb = NWBFile(session_description="example: units locked to a 40 Hz LFP", identifier="synchro-example-external",
              session_start_time=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC))
nwb.add_unit_column(name="KSLabel", description="Kilosort label")
for i, (train, label) in enumerate(zip(trains, labels)):
    nwb.add_unit(spike_times=train, obs_intervals=[[0.0, DURATION]], KSLabel=label, id=100 + i)
device = nwb.create_device(name="probe")
group = nwb.create_electrode_group(name="shank0", description="one shank", location="CA1", device=device)
nwb.add_electrode(group=group, location="CA1")
electrodes = nwb.create_electrode_table_region(region=[0], description="LFP channel")
series = ElectricalSeries(name="ElectricalSeries", data=np.round(lfp_volts / 1e-7).astype(np.int16)[:, None],
                          electrodes=electrodes, rate=FS, starting_time=0.0, conversion=1e-7)
nwb.create_processing_module(name="ecephys", description="processed").add(LFP(electrical_series=series))
work = tempfile.TemporaryDirectory()
path = Path(work.name) / "external.nwb"
with NWBHDF5IO(str(path), "w") as io:
    io.write(nwb)

# %%
# Reading it
# ----------

rec = synchro.io.read(path)
print(rec.spikes.summary())
print("curation:", rec.metadata["curation"])
print("bounds:", rec.metadata["bounds"])
lfp = rec.signals["LFP"]
print(lfp, f"peak {lfp.data.max() * 1e6:.0f} uV")
print("unit ids kept:", rec.spikes.units["id"][:5], "...")

# %%
# The units labelled ``noise`` were left out (``quality=None`` keeps them,
# CLI ``--quality all``). The analysis proceeds as for a simulation.

rhythm = band_verdicts(rec.spikes, bands={"gamma": (30, 80)}, rng=0)
print(rhythm.summary())
locking = phase_locking(rec.spikes, lfp, band=(30, 80))
print(f"gamma locking: population PPC0 {locking.population_ppc0:.3f}, "
      f"preferred phase {np.degrees(locking.population_preferred_phase):.0f} deg, "
      f"Rayleigh p {locking.population_rayleigh_p:.2g}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
rhythm.plot(ax=ax1, fmax=120)
locking.plot(ax=ax2)
plt.show()

# %%
# Without curation, the six noise units (30 Hz, unlocked) dilute the
# population's locking:

everything = synchro.io.read(path, quality=None)
diluted = phase_locking(everything.spikes, everything.signals["LFP"], band=(30, 80))
print(f"{everything.spikes.n_units} units: population PPC0 {diluted.population_ppc0:.3f} "
      f"(curated: {locking.population_ppc0:.3f})")

# %%
# The example's files go with its temporary folder.
work.cleanup()
