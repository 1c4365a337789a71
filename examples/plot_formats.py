"""
One session in every format synchro reads
=========================================

Sorted spikes come as NWB files, numpy archives, CSV or TSV tables, the
output folder of Kilosort and Phy, pynapple's ``TsGroup``, SpikeInterface
sortings and Neo objects. This example writes one session in each and reads
it back with :mod:`synchro.io`, checking that the spikes, the units, their
curation labels and the recording's bounds arrive intact: the snippets of
:doc:`/guides/data` are the code below, run when the documentation is built.

The session: 12 units over 20 s, two of them labelled ``noise`` by the
curator, recorded at 30 kHz (so the sorter's sample indices are exact).
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import spikeinterface.core as si  # optional: pip install "synchro[spikeinterface]"

import synchro.io
from synchro import SpikeData

FS, DURATION = 30000.0, 20.0
rng = np.random.default_rng(3)
ids = np.array([0, 2, 3, 5, 8, 9, 13, 14, 21, 22, 30, 31])  # cluster ids, as a sorter numbers them
quality = ["good"] * 6 + ["mua"] * 4 + ["noise"] * 2
samples = [np.sort(rng.choice(int(DURATION * FS), rng.poisson(r * DURATION), replace=False))
           for r in rng.uniform(2.0, 15.0, ids.size)]
session = SpikeData.from_trains({int(i): s / FS for i, s in zip(ids, samples)}, t_stop=DURATION,
                                units={"quality": quality})
work = tempfile.TemporaryDirectory()
folder = Path(work.name)
print(session.summary())
read_back = {}

# %%
# NWB
# ---
# Units table, curation column, bounds and LFP, read lazily with h5py.

# NWB: write and read
synchro.io.write_nwb(session, folder / "session.nwb")
rec = synchro.io.read(folder / "session.nwb")  # noise units left out; quality=None keeps them
read_back["NWB"] = rec.spikes

# %%
# NPZ
# ---

# NPZ: write and read
synchro.io.write_npz(session, folder / "session.npz")
read_back["NPZ"] = synchro.io.read(folder / "session.npz").spikes

# %%
# CSV and TSV, with a column mapping
# ----------------------------------
# One spike per line. Tables written by other tools name their columns
# their own way: IBL's are ``cluster`` and ``time``. ``columns=`` (CLI
# ``--columns unit=cluster,time=time``) says which is which; a ``.tsv`` suffix
# (or a header with tabs) means tab-separated; the bounds go in ``#`` lines.

lines = ["# t_stop=20", "cluster\ttime"]
lines += [f"{i}\t{t!r}" for i, s in zip(ids, samples) for t in (s / FS).tolist()]
(folder / "ibl_spikes.tsv").write_text("\n".join(lines) + "\n")

# CSV/TSV: a column mapping
rec = synchro.io.read(folder / "ibl_spikes.tsv", columns={"unit": "cluster", "time": "time"})
print(rec.spikes.units["id"][:4], rec.spikes.t_stop)
read_back["TSV"] = rec.spikes.select_units(np.isin(rec.spikes.units["id"], ids[:10]))  # the table has no labels

# %%
# Kilosort and Phy output folders
# -------------------------------
# What Kilosort 2.5 leaves and Phy edits: spike sample indices (uint64),
# clusters (int32), ``params.py``, Kilosort's labels (``cluster_KSLabel.tsv``)
# and the curator's (``cluster_group.tsv``, which override them), beside the
# raw ``.dat`` recording (written sparse here: only its size is read, for
# the recording's length).

ks = folder / "kilosort_output"
ks.mkdir()
order = np.argsort(np.concatenate(samples), kind="stable")
np.save(ks / "spike_times.npy", np.concatenate(samples).astype(np.uint64)[order].reshape(-1, 1))
np.save(ks / "spike_clusters.npy", np.repeat(ids, [len(s) for s in samples]).astype(np.int32)[order])
(ks / "params.py").write_text("dat_path = 'recording.dat'\nn_channels_dat = 32\ndtype = 'int16'\noffset = 0\n"
                              "sample_rate = 30000.\nhp_filtered = False\n")
(ks / "cluster_KSLabel.tsv").write_text("cluster_id\tKSLabel\n" + "".join(
    f"{i}\t{'good' if q == 'good' else 'mua'}\n" for i, q in zip(ids, quality)))
(ks / "cluster_group.tsv").write_text("cluster_id\tgroup\n" + "".join(
    f"{i}\t{q}\n" for i, q in zip(ids, quality) if q != "good"))
with open(ks / "recording.dat", "wb") as f:
    f.truncate(int(DURATION * FS) * 32 * 2)

# Phy/Kilosort: read the folder
rec = synchro.io.read(ks)  # or synchro.io.read_phy; CLI: synchro analyze kilosort_output/
print(rec.spikes.units.to_dataframe()[["id", "quality", "KSLabel", "group"]].head(8))
print(rec.metadata["curation"], rec.spikes.t_stop)
read_back["Phy"] = rec.spikes

# %%
# pynapple
# --------
# A ``TsGroup`` carries its time support (the observed time) and metadata
# columns; both come across, and back.

# pynapple: in and out
group = synchro.io.to_pynapple(session)
rec = synchro.io.from_pynapple(group)  # time_support -> observation intervals, metadata -> unit columns
wake = synchro.io.from_pynapple(group, intervals=[[0.0, 5.0], [10.0, 20.0]])  # an IntervalSet works too
print(group.time_support, wake.spikes.observed_duration)
read_back["pynapple"] = rec.spikes.curated()[0]

# %%
# SpikeInterface
# --------------
# A sorting made from the same sample indices (any sorter's output, or
# ``spikeinterface.extractors.read_phy``, is read the same way).

sorting = si.NumpySorting.from_unit_dict({int(i): s for i, s in zip(ids, samples)}, sampling_frequency=FS)
sorting.set_property("quality", np.array(quality))

# SpikeInterface: a sorting
rec = synchro.io.from_spikeinterface(sorting, t_stop=DURATION)  # or register its recording for the length
read_back["SpikeInterface"] = rec.spikes

# %%
# Neo
# ---

# Neo: to and from
block = synchro.io.to_neo(session)
rec = synchro.io.from_neo(block)  # from_neo(block, t_stop=...) when the file's end is not known to neo
read_back["Neo"] = rec.spikes.curated()[0]

# %%
# Every format gives the same spikes
# ----------------------------------
# Rates of the ten units kept (noise left out) in each copy, against the
# session's: every point lies on the diagonal.

kept = session.curated()[0]
fig, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
for k, (name, spikes) in enumerate(read_back.items()):
    assert np.array_equal(spikes.units["id"], kept.units["id"]) and spikes.t_stop == DURATION, name
    assert np.allclose(spikes.times, kept.times, rtol=0, atol=1e-12), name
    ax.plot(kept.rates, spikes.rates, "o", ms=11 - 1.2 * k, mfc="none", label=name)
ax.plot([0, kept.rates.max()], [0, kept.rates.max()], color="0.6", lw=0.8, zorder=0)
ax.set(xlabel="rate in the session (Hz)", ylabel="rate read back (Hz)", title="Ten curated units, seven formats")
ax.legend(frameon=False)
plt.show()

# %%
# The example's files go with its temporary folder.
work.cleanup()
