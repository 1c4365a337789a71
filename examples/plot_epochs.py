"""
Epochs of a session: sleep and wake analysed apart
==================================================

Real sessions are not one stationary block. The mouse ADn/CA1 recordings of
Peyrache et al. hold an ``epochs`` table in their NWB file, ``sleep`` then
``wake``, written with pynwb's ``add_epoch`` (the labels sit in its ragged
``tags`` column). This example writes a session in that layout, 60 s per
epoch instead of 600 s, in which 20 units fire at 5 Hz and, in wake only,
share an 8 Hz (theta-like) modulation.

:func:`synchro.io.read` returns the table as ``rec.intervals["epochs"]``
(:class:`synchro.core.IntervalTable`); :func:`synchro.core.split_by_intervals`
gives the spikes of each label, and the report does the same per section
(``synchro analyze session.nwb --epochs``). The whole-session verdict mixes
the two epochs; per epoch, theta is present in wake only.
"""

# %%
import datetime
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from pynwb import NWBHDF5IO, NWBFile

import synchro.io
from synchro.core import split_by_intervals
from synchro.report import build_report
from synchro.rhythms import band_verdicts

rng = np.random.default_rng(0)
EPOCH, N_UNITS, BANDS = 60.0, 20, {"theta": (6.0, 10.0), "gamma": (30.0, 80.0)}


def train(a, b, depth):
    # Inhomogeneous Poisson by thinning: 5 Hz times (1 + depth cos(2 pi 8 t)).
    s = np.sort(rng.uniform(a, b, rng.poisson(5.0 * (1 + depth) * (b - a))))
    return s[rng.random(s.size) < (1 + depth * np.cos(2 * np.pi * 8.0 * s)) / (1 + depth)]


nwb = NWBFile(session_description="example: sleep then wake", identifier="synchro-example-epochs",
              session_start_time=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC))
for i in range(N_UNITS):
    nwb.add_unit(spike_times=np.concatenate([train(0.0, EPOCH, 0.0), train(EPOCH, 2 * EPOCH, 0.5)]), id=i)
nwb.add_epoch(start_time=0.0, stop_time=EPOCH, tags=["sleep"])
nwb.add_epoch(start_time=EPOCH, stop_time=2 * EPOCH, tags=["wake"])
work = tempfile.TemporaryDirectory()
path = Path(work.name) / "session.nwb"
with NWBHDF5IO(str(path), "w") as io:
    io.write(nwb)

rec = synchro.io.read(path)
print(rec)
print(rec.intervals["epochs"].to_dict())

# %%
# The whole session mixes sleep and wake: its verdict says theta, but not when.
print("whole session:", band_verdicts(rec.spikes, bands=BANDS, n_surrogates=99, rng=0).words)

# %%
# The spikes of each epoch, and one verdict per epoch and band.
parts = split_by_intervals(rec.spikes, rec.intervals["epochs"])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, (label, data) in zip(axes, parts.items()):
    result = band_verdicts(data, bands=BANDS, n_surrogates=99, rng=0)
    print(f"{label} ({data.observed_duration:g} s observed):", result.words)
    result.plot(ax=ax)
    ax.set_title(label, loc="left")

# %%
# The report does the same, one section per epoch; report.json lists them under ``sections``.
report = build_report(rec, epochs="epochs", bands=BANDS, n_surrogates=99, rng=0)
for section in report.to_dict()["sections"]:
    print(section["label"], section["intervals"], {b: v["verdict"] for b, v in section["rhythms"]["all"].items()})

# %%
# The example's files go with its temporary folder.
work.cleanup()
