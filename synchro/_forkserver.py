"""What the forkserver that a cohort's LocalCluster workers are forked from runs once (see :mod:`synchro.cluster`).

Everything a worker needs before its first session: dask's worker, the readers, the analyses and the scipy
subpackages they use, numba's compiler, the report and its figures (matplotlib with the Agg backend: workers never
show a window), then one tiny figure with a log axis saved as PNG and SVG, which loads matplotlib's fonts, backends
and mathtext parser. A worker forked from here starts its first session without these 1.8 s of a fresh process.
(An analysis of the bundled example as well would load numba's kernels from their cache, 5 ms each, which a
worker does at its first call: it cost the server 0.3 s more while the cluster's second core waits.) Last, the
imported objects are frozen out of the garbage collector, as the Python documentation of :func:`gc.freeze`
advises before forking, so that workers' collections leave their pages shared with the server.
"""

import gc
import io

import matplotlib

matplotlib.use("Agg")

import distributed  # noqa: E402, F401
import scipy.fft  # noqa: E402, F401  (what the analyses import when first used)
import scipy.ndimage  # noqa: E402, F401
import scipy.signal  # noqa: E402, F401
import scipy.special  # noqa: E402, F401
import scipy.stats  # noqa: E402, F401
from matplotlib.figure import Figure  # noqa: E402

import synchro.cli.analyze  # noqa: E402, F401  (the module of the task a worker runs)
import synchro.report  # noqa: E402, F401
from synchro.core.compiled import start_numba  # noqa: E402
from synchro.report.figures import import_matplotlib  # noqa: E402

start_numba()
import_matplotlib()
_fig = Figure()
_ax = _fig.subplots()
_ax.semilogy([1.0, 10.0, 100.0])
_ax.set_title("warm-up")
for _kind in ("png", "svg"):
    _fig.savefig(io.BytesIO(), format=_kind)

gc.freeze()
