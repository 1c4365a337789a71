"""What the forkserver that a sweep's LocalCluster workers are forked from imports (see :mod:`sims.sweep`).

Everything a worker needs before its first point, imported once: dask's worker, brian2, sims (this package) and
the analysis. Then it freezes every object imported (about 200 000) out of the garbage collector, as the Python
documentation of :func:`gc.freeze` advises before forking: a worker's full collections, one per Brian2 run and
more during it, skip them (0.11 s each otherwise) and leave their memory pages shared with the server instead of
copying them into every worker.
"""

import gc
import sys

# brian2 fills its star-import namespace from matplotlib's pylab when it can (0.3-0.8 s of these imports, on the
# path to every worker's first point); workers never plot, and brian2 imports without it, as where matplotlib is
# absent.
sys.modules.setdefault("pylab", None)

import brian2  # noqa: E402, F401
import distributed  # noqa: E402, F401

import sims.metrics  # noqa: E402, F401
import sims.sweep  # noqa: E402, F401

gc.freeze()
