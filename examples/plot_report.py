"""
The analysis report, in Python
==============================

``synchro analyze FILE`` runs every analysis the data allow and writes a
report folder. The same report is available in Python:
:func:`synchro.report.analyze_file` reads a file and returns one
:class:`~synchro.report.Report`, which renders as the terminal summary, as
JSON (``report.json``) and as figures; :func:`synchro.report.write_report`
writes the folder (JSON, text, PNG and SVG figures, ``report.html``).

The input here is the example file bundled with synchro: 2 s of the
published Izhikevich (2003) network, 1000 neurons with a population column
(``exc``/``inh``), as NPZ.
"""

# %%
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import synchro.io
from synchro.report import analyze_file, write_report
from synchro.report.figures import FIGURES

path = synchro.io.example_path()
report = analyze_file(path, rng=0)
print(report.summary())

# %%
# The JSON document
# -----------------
# Versioned (``schema_version``), with every parameter, the versions of the
# libraries that computed the numbers and the input's SHA-256.

doc = report.to_dict()
print(sorted(doc))
print(json.dumps(doc["rhythms"]["all"], indent=1)[:800])

# %%
# The report folder
# -----------------
# Written atomically (built beside the target, then renamed); it never
# overwrites an existing folder unless told to (``overwrite=True``).

work = tempfile.TemporaryDirectory()
folder = write_report(report, Path(work.name) / "report")
for item in sorted(folder.rglob("*")):
    print(item.relative_to(folder))

# %%
# The figures
# -----------
# The PNG files of the folder, as ``report.html`` shows them: raster,
# population rates (5 ms smoothing, for display only), spectra with
# aperiodic fit, surrogate envelope and bands, and the STTC matrix
# (spike-field coupling too when the file holds a field).
# :func:`synchro.report.figures.draw_figures` returns the same figures as
# matplotlib objects.

for name, caption in FIGURES.items():
    png = folder / "figures" / f"{name}.png"
    if png.exists():
        image = plt.imread(png)
        fig, ax = plt.subplots(figsize=(image.shape[1] / 100, image.shape[0] / 100), layout="constrained")
        ax.imshow(image)
        ax.set_axis_off()
        ax.set_title(caption, fontsize="small")
plt.show()

# %%
# The example's files go with its temporary folder.
work.cleanup()
