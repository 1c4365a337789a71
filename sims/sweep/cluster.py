"""Running a sweep's points on dask.distributed, on the cluster of :mod:`synchro.cluster` (a LocalCluster forked
from a server that imported brian2 and the metrics, or a scheduler)."""

from __future__ import annotations

from collections.abc import Mapping

from synchro.cluster import cluster_client
from synchro.cluster import start_forkserver as start_server

from .point import run_point

__all__ = ["PRELOAD", "start_forkserver", "run_distributed"]

#: What the forkserver of a sweep's LocalCluster imports: brian2, the metrics and the sweep (:mod:`sims._forkserver`).
PRELOAD = ("sims._forkserver",)


def start_forkserver() -> None:
    """Start the forkserver of a sweep's LocalCluster with :data:`PRELOAD` (see
    :func:`synchro.cluster.start_forkserver`); calling again does nothing."""
    start_server(PRELOAD)


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
    from dask.distributed import as_completed

    with cluster_client(scheduler, n_workers, PRELOAD) as (client, label):
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
    return label, workers


def _steps(params: Mapping) -> int:
    """Time steps a point simulates (its cost, roughly), from ``duration`` and ``dt_ms`` when given."""
    dt_ms = params.get("dt_ms") or 1.0
    return int(round(1000 * float(params.get("duration", 1.0)) / float(dt_ms)))
