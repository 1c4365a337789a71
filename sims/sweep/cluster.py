"""Running a sweep's points on dask.distributed: a LocalCluster forked from a warmed-up server, or a scheduler.

Why each setting is as it is lives in the docstrings below; the measurements
behind them are in ``benchmarks/sims_timings.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from synchro.errors import UsageError

from .point import run_point

__all__ = ["start_local_cluster", "run_distributed"]

#: Threads of a worker's BLAS and OpenMP: one, as it runs one point at a time on one core (dask's workers get the
#: same through ``distributed.nanny.pre-spawn-environ``, which is only known once distributed is imported).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def forkserver_available() -> bool:
    """Whether Python's forkserver start method exists here (POSIX; not on Windows)."""
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()


def local_cluster_config() -> dict:
    """dask settings of the LocalCluster a sweep starts.

    Workers are forked from Python's forkserver (see :func:`start_forkserver`) where there is one, rather than
    spawned. Diagnostics that only feed dask's dashboard (there is none here) are made rare: by default a worker
    samples the running task's stack every 10 ms and wakes its event loop every 20 ms, which slows a CPU-bound
    Brian2 run measurably. And glibc keeps its own heap trimming: dask sets MALLOC_TRIM_THRESHOLD_=65536 in its
    workers, which also fixes glibc's mmap threshold, so every array over 128 kB is mapped and unmapped anew.
    """
    import dask
    import distributed  # noqa: F401  (its import registers the distributed.* defaults read here)

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    config = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
              "distributed.admin.system-monitor.interval": "5s", "distributed.nanny.pre-spawn-environ": environ}
    if forkserver_available():
        config["distributed.worker.multiprocessing-method"] = "forkserver"
    return config


def start_forkserver() -> None:
    """Start the process that a LocalCluster's workers are forked from, importing brian2 and the metrics once.

    Spawned workers each import dask, brian2 (with sympy) and the analysis on their own before their first point,
    all at once on the same cores, and tear them down again at exit. Python's forkserver is a fresh
    single-threaded interpreter, not a fork of this process and its threads: it imports them once, beside this
    process's own imports, and each worker forked from it starts with them loaded, out of the garbage collector's
    way (:mod:`sims._forkserver`), and exits without the teardown. The server gets one BLAS and OpenMP thread
    (:data:`ONE_THREAD`: numpy's BLAS reads it when it is imported) and lives as long as this process; calling
    again does nothing.
    """
    if not forkserver_available():
        return
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(["sims._forkserver"])
    # As dask's Nanny does before it starts a worker: the server inherits this environment.
    os.environ.update(ONE_THREAD)
    forkserver.ensure_running()


def start_local_cluster(n_workers: int | None):
    """A LocalCluster of single-threaded worker processes.

    Parameters
    ----------
    n_workers : int or None
        Worker processes; None for the machine's cores.

    Returns
    -------
    distributed.LocalCluster
    """
    import dask
    from dask.distributed import LocalCluster

    start_forkserver()
    with dask.config.set(local_cluster_config()):
        return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def warm_worker() -> str:
    """Import brian2 in a worker's main thread (its import installs a signal handler, which other threads cannot),
    and the metrics, so that the first point's time is its own."""
    import brian2

    import sims.metrics  # noqa: F401

    return brian2.__version__


def run_distributed(model: str, todo: list, analysis: Mapping, scheduler: str | None, n_workers: int | None,
                    finished) -> tuple[str, int]:
    """Run the ``todo`` points on dask, calling ``finished(record)`` in this process as each one ends.

    Parameters
    ----------
    model : str
        Model name of :func:`sims.simulate`.
    todo : list of (str, dict)
        Point ids and parameters.
    analysis : mapping
        Options of :func:`sims.metrics.run_metrics`.
    scheduler : str or None
        None for a LocalCluster of ``n_workers``, else a scheduler's address.
    n_workers : int or None
        Workers of the LocalCluster (default the machine's cores).
    finished : callable
        Called with each point's record.

    Returns
    -------
    label : str
        ``"local"`` or the scheduler's address.
    n_workers : int
        Workers that took the points.
    """
    from dask.distributed import Client, as_completed

    if scheduler is None:
        cluster = start_local_cluster(n_workers)
        client, label = Client(cluster), "local"
    else:
        cluster, label = None, str(scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise UsageError(f"cannot reach the dask scheduler at {scheduler!r} ({err}); start one with "
                             "`dask scheduler` or leave the address out to use this machine's cores") from None
    try:
        workers = len(client.run(warm_worker))
        # Longest runs first (time steps simulated), so that the workers finish together: submitted in that order,
        # since the first tasks submitted start before later ones of higher priority arrive.
        todo = sorted(todo, key=lambda item: -_steps(item[1]))
        futures = [client.submit(run_point, model, p, analysis, key=f"synchro-sweep-{pid}", pure=False,
                                 priority=_steps(p)) for pid, p in todo]
        try:
            for future in as_completed(futures):
                finished(future.result())
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return label, workers


def _steps(params: Mapping) -> int:
    """Time steps a point simulates (its cost, roughly), from ``duration`` and ``dt_ms`` when given."""
    dt_ms = params.get("dt_ms") or 1.0
    return int(round(1000 * float(params.get("duration", 1.0)) / float(dt_ms)))
