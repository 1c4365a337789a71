"""What the forkserver that a sweep's LocalCluster workers are forked from imports (see :mod:`synchro.cluster`).

Everything a worker needs before its first point, imported once: dask's worker, brian2, sims (this package, its
metrics and sweep). Then it freezes every object imported out of the garbage collector, as the Python
documentation of :func:`gc.freeze` advises before forking: a worker's full collections, one per Brian2 run and
more during it, skip them and leave their memory pages shared with the server instead of copying them into every
worker. (The measurements: ``benchmarks/sims_timings.md``.)
"""

import gc
import sys

# brian2 fills its star-import namespace from matplotlib's pylab when it can, slow imports on the path to every
# worker's first point; workers never plot, and brian2 imports without it, as where matplotlib is absent.
sys.modules.setdefault("pylab", None)

import brian2  # noqa: E402, F401
import distributed  # noqa: E402, F401

import sims.metrics  # noqa: E402, F401
import sims.sweep  # noqa: E402, F401

gc.freeze()
