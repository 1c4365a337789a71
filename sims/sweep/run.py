"""Running a sweep: every point of a grid, serially or on dask, each record written as it finishes."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from synchro.errors import UsageError
from synchro.progress import progress_bar
from synchro.report.output import folder_lock

from .cluster import run_distributed, start_forkserver
from .folder import drop_other_grids, load_point, remove_sweep_temporaries, write_json
from .grid import DEFAULT_FIXED, check_analysis, check_points, expand_grid, point_id
from .point import run_point

__all__ = ["run_sweep", "SweepResult", "SERIAL"]

#: ``scheduler`` value that runs every point in the calling process, one after the other.
SERIAL = "serial"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What a sweep left in its folder.

    Attributes
    ----------
    folder : Path
        Results folder (``sweep.json``, ``points/<id>.json``).
    points : tuple of dict
        Every point's record, in grid order.
    computed : tuple of str
        Ids of the points simulated by this call.
    skipped : tuple of str
        Ids of the points found already computed.
    scheduler : str
        ``"serial"``, ``"local"`` (a LocalCluster) or the scheduler address.
    n_workers : int
        Worker processes used (1 for serial).
    seconds : float
        Wall-clock time of the call (s).
    """

    folder: Path
    points: tuple
    computed: tuple
    skipped: tuple
    scheduler: str
    n_workers: int
    seconds: float

    def to_dict(self) -> dict:
        """JSON-safe record (points summarised by id).

        Returns
        -------
        dict
            ``analysis`` (``"run_sweep"``), ``folder``, ``n_points``,
            ``computed``, ``skipped``, ``scheduler``, ``n_workers`` and
            ``seconds``.
        """
        return {"analysis": "run_sweep", "folder": str(self.folder), "n_points": len(self.points),
                "computed": list(self.computed), "skipped": list(self.skipped), "scheduler": self.scheduler,
                "n_workers": self.n_workers, "seconds": self.seconds}


def run_sweep(model: str, grid: Mapping[str, Sequence], *, folder, fixed: Mapping | None = None,
              analysis: Mapping | None = None, scheduler: str | None = None, n_workers: int | None = None,
              progress: bool = True, overwrite: bool = False) -> SweepResult:
    """Run every point of a parameter grid, in parallel, writing each result as it finishes.

    Parameters
    ----------
    model : str
        Model name of :func:`sims.simulate` (``"izhikevich2003"``, ...).
    grid : mapping of str to sequence
        Parameters of :func:`sims.simulate` and their values, e.g.
        ``{"dt_ms": [1, 0.5, 0.25, 0.1], "rng": [0, 1, 2]}``; every
        combination is one point. ``rng`` must be in the grid or in ``fixed``,
        as int seeds: a point is stored, and repeated, by its seed.
    folder : str or Path
        Results folder, created if needed; ``points/<id>.json`` per point.
    fixed : mapping, optional
        Parameters shared by every point (``duration``, ``scheme``, ``n``, ...);
        ``codegen="numpy"`` unless given.
    analysis : mapping, optional
        Options of :func:`sims.metrics.run_metrics` (``n_surrogates``,
        ``discard``, ...), recorded with every point.
    scheduler : str, optional
        None: a dask LocalCluster of ``n_workers`` single-threaded processes;
        ``"serial"``: run in this process; otherwise the address of a running
        dask scheduler (``"tcp://host:8786"``), whose workers need synchro and
        sims installed. The LocalCluster's workers are forked from a process
        that imported brian2 and the metrics once (Python's forkserver: they
        start with nothing left to import), and run without dask's task
        profiler and without its ``MALLOC_TRIM_THRESHOLD_`` (both slow a
        Brian2 run; ``benchmarks/sims_timings.md`` has the figures); give your own workers
        ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`` and leave
        ``MALLOC_TRIM_THRESHOLD_`` unset for the same.
    n_workers : int, optional
        Worker processes of the LocalCluster; default the machine's cores.
    progress : bool, default True
        Draw a progress bar of points on stderr
        (:func:`synchro.progress.progress_bar`).
    overwrite : bool, default False
        Replace a sweep of another grid in ``folder``: its points that are
        not in this grid are deleted, with its tables and figures. Without
        it, such a folder is refused, so that its tables never mix two grids.

    Returns
    -------
    SweepResult

    Raises
    ------
    UsageError
        An option that any point of the grid would refuse (checked before
        anything is written), a folder holding points of another grid
        (without ``overwrite``), or a folder another live sweep is writing.

    Notes
    -----
    Records are written by this process, atomically, as each point
    finishes; a point whose file holds a complete record with its id is not
    run again. A grid that extends the folder's (more seeds, say) computes
    only the new points. The folder is locked while the sweep runs
    (``.NAME.synchro-lock`` beside it); temporary files of a killed sweep
    are removed by the next. If a point fails, its error is raised once running points
    have been cancelled; the points already written stay, so the sweep
    resumes on the next call.

    The forkserver lives as long as the calling process and keeps the code
    it imported: in a notebook, restart the kernel after editing synchro or
    sims, or pass ``scheduler`` a cluster of your own.
    """
    start = time.perf_counter()
    fixed = {**DEFAULT_FIXED, **dict(fixed or {})}
    analysis = dict(analysis or {})
    points = expand_grid(grid, fixed)
    if n_workers is not None and n_workers < 1:
        raise UsageError(f"n_workers must be a positive number of processes; got {n_workers}")
    check_analysis(analysis)
    check_points(model, points, analysis)  # before anything is written: a bad grid leaves no trace
    folder = Path(folder)
    ids = [point_id(model, p, analysis) for p in points]
    with folder_lock(folder):
        remove_sweep_temporaries(folder)
        drop_other_grids(folder, set(ids), overwrite)
        return _run_locked(model, grid, points, ids, folder, fixed, analysis, scheduler, n_workers, progress, start)


def _run_locked(model, grid, points, ids, folder, fixed, analysis, scheduler, n_workers, progress, start):
    """The body of :func:`run_sweep`, run holding the folder's lock."""
    if scheduler is None and len(list(folder.glob("points/*.json"))) < len(points):
        # Work for a LocalCluster for sure: its workers' imports start now, beside this process's own.
        start_forkserver()
    (folder / "points").mkdir(parents=True, exist_ok=True)
    write_json(folder / "sweep.json", {"model": model, "grid": {k: list(v) for k, v in grid.items()},
                                       "fixed": fixed, "analysis": analysis})
    records = {pid: load_point(folder / "points" / f"{pid}.json", pid) for pid in ids}
    todo = [(pid, p) for pid, p in dict(zip(ids, points)).items() if records[pid] is None]
    bar = progress_bar(len(records), initial=len(records) - len(todo), desc="sweep", unit="point", enabled=progress)

    def finished(record: dict) -> None:
        write_json(folder / "points" / f"{record['id']}.json", record)
        records[record["id"]] = record
        bar.update(1)

    try:
        if scheduler == SERIAL or not todo:
            label, workers = SERIAL, 1
            for _, p in todo:
                finished(run_point(model, p, analysis))
        else:
            label, workers = run_distributed(model, todo, analysis, scheduler, n_workers, finished)
    finally:
        bar.close()
    computed = tuple(pid for pid, _ in todo)
    return SweepResult(folder, tuple(records[pid] for pid in ids), computed,
                       tuple(pid for pid in ids if pid not in computed), label, workers,
                       time.perf_counter() - start)
