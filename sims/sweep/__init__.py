"""Parameter sweeps of the reference networks on dask.distributed, resumable, one JSON file per point.

:func:`run_sweep` expands a grid of :func:`sims.simulate` parameters (time
step, scheme, noise and synapse models, network size, ``rng`` seed, ...),
runs each point (one simulation plus :func:`sims.metrics.run_metrics`) on a
dask.distributed cluster, and writes each point's record to
``<folder>/points/<id>.json`` as soon as it finishes, ``<id>`` being a hash
of the model, parameters and analysis options. Points whose file exists are
not run again, so an interrupted sweep resumes where it stopped.
:func:`write_sweep_report` turns the folder into a tidy table (CSV), a JSON
summary of :func:`synchro.sensitivity.sensitivity` for every factor that
varies, and one figure per factor.

Workers use Brian2's numpy target by default: it needs no compiler and no
cache. With ``codegen="cython"`` each worker process compiles into its own
cache folder, because parallel cython runs sharing one cache on a shared
disk step on each other's files.

The parts: :mod:`~sims.sweep.grid` (points, their ids, the checks made
before any worker starts), :mod:`~sims.sweep.point` (one point, what a
worker runs), :mod:`~sims.sweep.cluster` (dask), :mod:`~sims.sweep.run`
(the sweep), :mod:`~sims.sweep.folder` (its files) and
:mod:`~sims.sweep.report` (tables and figures).
"""

from .folder import read_points
from .grid import expand_grid, point_id
from .point import run_point
from .report import write_sweep_report
from .run import SERIAL, SweepResult, run_sweep

__all__ = ["expand_grid", "point_id", "run_point", "run_sweep", "read_points", "write_sweep_report", "SweepResult",
           "SERIAL"]
