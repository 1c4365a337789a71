"""What the forkserver that a cohort's LocalCluster workers are forked from runs once (see :mod:`synchro.cluster`).

Everything a worker needs before its first session: dask's worker, the readers, the analyses, the report and its
figures (matplotlib with the Agg backend: workers never show a window). Then one small report of the bundled
example, figures included, written to a temporary folder and dropped: the first call of each numba kernel loads
it from numba's cache, and the first figure loads matplotlib's fonts, about 3 s of a fresh process's first
session that every worker forked from here starts without. Last, the imported objects are frozen out of the
garbage collector, as the Python documentation of :func:`gc.freeze` advises before forking, so that workers'
collections leave their pages shared with the server.
"""

import gc
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import distributed  # noqa: E402, F401

import synchro.cli.analyze  # noqa: E402, F401  (the module of the task a worker runs)
from synchro.io import example_path  # noqa: E402
from synchro.report import analyze_file, write_report  # noqa: E402

with warnings.catch_warnings(), tempfile.TemporaryDirectory() as _folder:
    warnings.simplefilter("ignore")
    write_report(analyze_file(example_path(), n_surrogates=40, synchrony_surrogates=2, rng=0),
                 Path(_folder) / "report")

gc.freeze()
