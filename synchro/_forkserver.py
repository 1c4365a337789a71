"""What the forkserver that a cohort's LocalCluster workers are forked from runs once (see :mod:`synchro.cluster`).

Everything a worker needs before its first session: dask's worker, the readers, the analyses, the report and its
figures (matplotlib with the Agg backend: workers never show a window). Then one small report of the bundled
example, whose first call of each numba kernel loads it from numba's cache, and one tiny figure saved as PNG and
SVG, which loads matplotlib's fonts and backends: about 3 s of a fresh process's first session that every worker
forked from here starts without. (Drawing the example's full figures instead would cost the server 2 s more and
spare the workers nothing measurable.) Last, the imported objects are frozen out of the garbage collector, as the
Python documentation of :func:`gc.freeze` advises before forking, so that workers' collections leave their pages
shared with the server.
"""

import gc
import io
import warnings

import matplotlib

matplotlib.use("Agg")

import distributed  # noqa: E402, F401
import matplotlib.pyplot as plt  # noqa: E402

import synchro.cli.analyze  # noqa: E402, F401  (the module of the task a worker runs)
from synchro.io import example_path  # noqa: E402
from synchro.report import analyze_file  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    analyze_file(example_path(), n_surrogates=40, synchrony_surrogates=2, rng=0)
_fig, _ax = plt.subplots()
_ax.plot([0.0, 1.0])
_ax.set_title("warm-up")
for _kind in ("png", "svg"):
    _fig.savefig(io.BytesIO(), format=_kind)
plt.close(_fig)

gc.freeze()
