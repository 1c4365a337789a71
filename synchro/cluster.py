"""Dask clusters for work in parallel: a LocalCluster forked from a warmed-up server, or an existing scheduler.

One implementation for every command that runs on dask: ``synchro analyze`` of
several sessions and ``synchro sweep`` (:mod:`sims.sweep`). Each caller names
the modules its workers need before their first task (a *preload*): the
analysis for a cohort, Brian2 and the run metrics for a sweep. Why each
setting is as it is lives in the docstrings below; the measurements behind
them are in ``benchmarks/sims_timings.md``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .errors import UsageError

__all__ = ["ONE_THREAD", "forkserver_available", "local_cluster_config", "start_forkserver", "start_local_cluster",
           "cluster_client"]

#: Threads of a worker's BLAS and OpenMP: one, as it runs one task at a time on one core (dask's workers get the
#: same through ``distributed.nanny.pre-spawn-environ``, which is only known once distributed is imported).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def forkserver_available() -> bool:
    """Whether Python's forkserver start method exists here (POSIX; not on Windows).

    Returns
    -------
    bool
    """
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()


def local_cluster_config() -> dict:
    """dask settings of the LocalCluster that :func:`start_local_cluster` starts.

    Workers are forked from Python's forkserver (see :func:`start_forkserver`) where there is one, rather than
    spawned. Diagnostics that only feed dask's dashboard (there is none here) are made rare: by default a worker
    samples the running task's stack every 10 ms and wakes its event loop every 20 ms, which slows a CPU-bound
    task measurably. And glibc keeps its own heap trimming: dask sets MALLOC_TRIM_THRESHOLD_=65536 in its
    workers, which also fixes glibc's mmap threshold, so every array over 128 kB is mapped and unmapped anew.
    Workers keep dask's one BLAS and OpenMP thread (:data:`ONE_THREAD`).

    Returns
    -------
    dict
        Settings for ``dask.config.set``.
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


def start_forkserver(preload: Sequence[str]) -> None:
    """Start the process that a LocalCluster's workers are forked from, importing ``preload`` once.

    Spawned workers each import dask and the task's modules on their own before their first task, all at once on
    the same cores, and tear them down again at exit. Python's forkserver is a fresh single-threaded interpreter,
    not a fork of this process and its threads: it imports them once, beside this process's own imports, and each
    worker forked from it starts with them loaded, and exits without the teardown. The server gets one BLAS and
    OpenMP thread (:data:`ONE_THREAD`: numpy's BLAS reads it when it is imported; this process keeps its own
    environment) and lives as long as this process, with the preload of its first start: calling again does nothing.

    Parameters
    ----------
    preload : sequence of str
        Modules the server imports (``["synchro.report.warm"]``); a module may end by calling
        :func:`gc.freeze` so that workers' collections leave the imported objects' pages shared.
    """
    if not forkserver_available():
        return
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(list(preload))
    # The server inherits the environment it starts in, as dask's Nanny gives a worker ONE_THREAD; this process's
    # own environment is given back, so that what it starts later (or a notebook's kernel) keeps its threads.
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)
    try:
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def start_local_cluster(n_workers: int | None, preload: Sequence[str] = ()):
    """A LocalCluster of single-threaded worker processes, forked from a server that imported ``preload``.

    Parameters
    ----------
    n_workers : int or None
        Worker processes; None for the machine's cores.
    preload : sequence of str, default ()
        Modules the workers' forkserver imports (see :func:`start_forkserver`).

    Returns
    -------
    distributed.LocalCluster
    """
    import dask
    from dask.distributed import LocalCluster

    start_forkserver(preload)
    # dask's own logs only at CRITICAL: a worker whose heartbeat meets the scheduler closing at the end logs a
    # traceback at ERROR (dask/distributed#7105), seen once in about ten cohorts that all succeeded. Failures
    # reach the caller anyway, as the futures' exceptions.
    with dask.config.set(local_cluster_config()):
        return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.CRITICAL)


@contextmanager
def cluster_client(scheduler: str | None, n_workers: int | None = None,
                   preload: Sequence[str] = ()) -> Iterator[tuple[object, str]]:
    """A dask client of a new LocalCluster, or of the scheduler at ``scheduler``; both closed at the end.

    Parameters
    ----------
    scheduler : str or None
        None for a LocalCluster of ``n_workers`` (:func:`start_local_cluster`), else the address of a running
        dask scheduler (``"tcp://host:8786"``).
    n_workers : int or None
        Workers of the LocalCluster (default the machine's cores); unused with a scheduler.
    preload : sequence of str, default ()
        Modules the LocalCluster's workers import before their first task.

    Yields
    ------
    client : distributed.Client
    label : str
        ``"local"`` or the scheduler's address, for summaries.

    Raises
    ------
    UsageError
        The scheduler cannot be reached (one line naming the fix).
    """
    from dask.distributed import Client

    if scheduler is None:
        cluster = start_local_cluster(n_workers, preload)
        client, label = Client(cluster), "local"
    else:
        cluster, label = None, str(scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise UsageError(f"cannot reach the dask scheduler at {scheduler!r} ({err}); start one with "
                             "`dask scheduler` or leave the address out to use this machine's cores") from None
    try:
        yield client, label
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
