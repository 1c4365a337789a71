"""Imported last by the forkserver that a sweep's LocalCluster workers are forked from (:mod:`sims.sweep`).

It freezes every object imported so far (dask, brian2 with sympy, the analysis: about 200 000) out of the garbage
collector, as the Python documentation of :func:`gc.freeze` advises before forking. A worker's full collections,
one per Brian2 run and more during it, then skip them (0.11 s each otherwise) and leave their memory pages shared
with the server instead of copying them into every worker.
"""

import gc

gc.freeze()
