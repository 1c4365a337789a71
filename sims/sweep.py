"""Parameter sweeps of the reference networks on dask.distributed, resumable, one JSON file per point.

:func:`run_sweep` expands a grid of :func:`sims.simulate` parameters (time
step, scheme, noise and synapse models, network size, ``rng`` seed, ...), runs each
point (one simulation plus :func:`synchro.sensitivity.run_metrics`) on a
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
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import itertools
import json
import math
import os
import socket
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from synchro.errors import UsageError
from synchro.io._checks import atomic_output, remove_temporaries, to_json
from synchro.report.output import folder_lock

__all__ = ["expand_grid", "point_id", "run_point", "run_sweep", "read_points", "write_sweep_report", "SweepResult",
           "SERIAL"]

#: ``scheduler`` value that runs every point in the calling process, one after the other.
SERIAL = "serial"

#: Parameters given to every point unless the grid or ``fixed`` sets them.
DEFAULT_FIXED = {"codegen": "numpy"}

# Metrics drawn in the report figures, when present (bands are added from the runs).
_FIGURE_METRICS = ("rate_exc", "rate_inh", "chi", "sttc", "onset_time_s", "onset_height_hz", "early_divergence")


def expand_grid(grid: Mapping[str, Sequence], fixed: Mapping | None = None) -> list[dict]:
    """Every combination of the grid's values, each merged over ``fixed``.

    Parameters
    ----------
    grid : mapping of str to sequence
        Parameter name -> values (e.g. ``{"dt_ms": [1, 0.5], "rng": [0, 1]}``).
        The last key varies fastest.
    fixed : mapping, optional
        Parameters shared by every point.

    Returns
    -------
    list of dict
    """
    fixed = dict(fixed or {})
    for key, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not len(values):
            raise UsageError(f"grid[{key!r}] must be a non-empty list of values; got {values!r}")
        if key in fixed:
            raise UsageError(f"{key!r} is both in the grid and fixed; keep it in one of them")
    return [{**fixed, **dict(zip(grid, combo))} for combo in itertools.product(*grid.values())]


def _canonical(value):
    # 1 and 1.0 are the same point: integral floats hash as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def point_id(model: str, params: Mapping, analysis: Mapping) -> str:
    """Stable identifier of a sweep point.

    Parameters
    ----------
    model : str
        Model name.
    params : mapping
        Simulation parameters (key order ignored; 1 and 1.0 are the same).
    analysis : mapping
        Options of :func:`synchro.sensitivity.run_metrics`.

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the canonical JSON of the
        model, parameters, analysis options and
        :data:`synchro.sensitivity.METRICS_VERSION`.
    """
    from synchro.sensitivity import METRICS_VERSION

    payload = json.dumps(_canonical({"model": model, "params": params, "analysis": analysis,
                                     "metrics_version": METRICS_VERSION}), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _per_process_cython_cache() -> None:
    import brian2

    folder = Path(tempfile.gettempdir()) / "synchro-brian-cython" / f"{socket.gethostname()}-{os.getpid()}"
    brian2.prefs.codegen.runtime.cython.cache_dir = str(folder)


#: Threads of a worker's BLAS and OpenMP: one, as it runs one point at a time on one core (dask's workers get the
#: same through ``distributed.nanny.pre-spawn-environ``, which is only known once distributed is imported).
_ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _forkserver_available() -> bool:
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()  # POSIX; not on Windows


def _local_cluster_config() -> dict:
    """dask settings of the LocalCluster a sweep starts, each measured on Brian2's numpy runs.

    Workers are forked from Python's forkserver (see :func:`_start_forkserver`) where there is one, rather than
    spawned. Diagnostics that only feed dask's dashboard (there is none here) are made rare: by default a worker
    samples the running task's stack every 10 ms and wakes its event loop every 20 ms (4 runs at dt 0.25 ms took
    1.13x as long in a default worker as in a plain process, 1.01x without). And glibc keeps its own heap trimming:
    dask sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also fixes glibc's mmap threshold, so every array
    over 128 kB is mapped and unmapped anew (15x the page faults, 5 % of a run).
    """
    import dask
    import distributed  # noqa: F401  (its import registers the distributed.* defaults read here)

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    config = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
              "distributed.admin.system-monitor.interval": "5s", "distributed.nanny.pre-spawn-environ": environ}
    if _forkserver_available():
        config["distributed.worker.multiprocessing-method"] = "forkserver"
    return config


def _start_forkserver() -> None:
    """Start the process that a LocalCluster's workers are forked from, importing brian2 and the analysis once.

    Spawned workers each import dask, brian2 (with sympy) and the analysis on their own before their first point
    (3 s each, all at once on the same cores) and tear them down again at exit (1 s). Python's forkserver is a
    fresh single-threaded interpreter, not a fork of this process and its threads: it imports them once, beside
    this process's own imports, and each worker forked from it starts with them loaded, out of the garbage
    collector's way (:mod:`sims._forkserver`), and exits without the teardown. Timed on 2 seeds x 2 time steps:
    the first point started 3.9 s after the command instead of 6.1 s, and the cluster closed in 0.05 s instead of
    1.0 s. The server gets one BLAS and OpenMP thread (:data:`_ONE_THREAD`: numpy's BLAS reads it when it is
    imported) and lives as long as this process; calling again does nothing.
    """
    if not _forkserver_available():
        return
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(["sims._forkserver"])
    # As dask's Nanny does before it starts a worker: the server inherits this environment.
    os.environ.update(_ONE_THREAD)
    forkserver.ensure_running()


def _start_local_cluster(n_workers: int | None):
    """A LocalCluster of ``n_workers`` (default: the machine's cores) single-threaded worker processes."""
    import dask
    from dask.distributed import LocalCluster

    _start_forkserver()
    with dask.config.set(_local_cluster_config()):
        return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None)


def _warm_worker() -> str:
    """Import brian2 in a worker's main thread (its import installs a signal handler, which other threads cannot),
    and the analysis, so that the first point's time is its own."""
    import brian2

    import synchro.sensitivity  # noqa: F401

    return brian2.__version__


def run_point(model: str, params: Mapping, analysis: Mapping) -> dict:
    """Simulate one grid point and reduce it to its metrics (what each worker runs).

    Parameters
    ----------
    model : str
        Model name of :func:`sims.simulate`.
    params : mapping
        Keyword arguments of :func:`sims.simulate` (``rng`` required, an int
        seed: it also seeds the surrogates of the analysis).
    analysis : mapping
        Keyword arguments of :func:`synchro.sensitivity.run_metrics`.

    Returns
    -------
    dict
        JSON-safe record: ``id``, ``model``, ``params``, ``analysis``,
        ``metrics`` (NaN written as None), ``early_counts``,
        ``metrics_parameters`` and ``provenance`` (host, process, wall and
        CPU seconds of the process, brian2 version, code-generation target).
    """
    from synchro.sensitivity import run_metrics

    from .api import simulate

    _check_seed(params)
    if params.get("codegen", "numpy") != "numpy":
        _per_process_cython_cache()
    start, cpu = time.perf_counter(), time.process_time()
    recording = simulate(model, progress=False, **params)
    metrics = run_metrics(recording.spikes, rng=int(params["rng"]), **analysis)
    meta = recording.metadata
    return {"id": point_id(model, params, analysis), "model": model, "params": dict(params),
            "analysis": dict(analysis),
            "metrics": {k: v if math.isfinite(v) else None for k, v in metrics.values.items()},
            "early_counts": metrics.early_counts.tolist(), "metrics_parameters": metrics.parameters,
            "provenance": {"host": socket.gethostname(), "pid": os.getpid(),
                           "seconds": round(time.perf_counter() - start, 3),
                           "cpu_seconds": round(time.process_time() - cpu, 3),
                           "brian2_version": meta.get("brian2_version"), "codegen_target": meta.get("codegen_target"),
                           "n_spikes": recording.spikes.n_spikes}}


def _write_json(path: Path, record) -> None:
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(to_json(record))


def _load(path: Path, pid: str) -> dict | None:
    """The record in ``path`` if it is a complete point with this id, else None (the point is run again)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("id") == pid and "metrics" in record else None


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
        """
        return {"method": "run_sweep", "folder": str(self.folder), "n_points": len(self.points),
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
        Options of :func:`synchro.sensitivity.run_metrics` (``n_surrogates``,
        ``discard``, ...), recorded with every point.
    scheduler : str, optional
        None: a dask LocalCluster of ``n_workers`` single-threaded processes;
        ``"serial"``: run in this process; otherwise the address of a running
        dask scheduler (``"tcp://host:8786"``), whose workers need synchro and
        sims installed. The LocalCluster's workers are forked from a process
        that imported brian2 and the analysis once (Python's forkserver, so
        they start in well under a second), and run without dask's task
        profiler and without its ``MALLOC_TRIM_THRESHOLD_`` (together about
        15 % faster); give your own workers
        ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`` and leave
        ``MALLOC_TRIM_THRESHOLD_`` unset for the same.
    n_workers : int, optional
        Worker processes of the LocalCluster; default the machine's cores.
    progress : bool, default True
        Draw a tqdm progress bar on stderr.
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
    for params in points:
        _check_seed(params)
    if n_workers is not None and n_workers < 1:
        raise UsageError(f"n_workers must be a positive number of processes; got {n_workers}")
    _check_analysis(analysis)
    _check_points(model, points, analysis)  # before anything is written: a bad grid leaves no trace
    folder = Path(folder)
    ids = [point_id(model, p, analysis) for p in points]
    with folder_lock(folder):
        _remove_temporaries(folder)
        _drop_other_grids(folder, set(ids), overwrite)
        return _run_locked(model, grid, points, ids, folder, fixed, analysis, scheduler, n_workers, progress, start)


def _run_locked(model, grid, points, ids, folder, fixed, analysis, scheduler, n_workers, progress, start):
    """The body of :func:`run_sweep`, run holding the folder's lock."""
    if scheduler is None and len(list(folder.glob("points/*.json"))) < len(points):
        # Work for a LocalCluster for sure: its workers' imports start now, beside this process's own.
        _start_forkserver()
    (folder / "points").mkdir(parents=True, exist_ok=True)
    _write_json(folder / "sweep.json", {"model": model, "grid": {k: list(v) for k, v in grid.items()},
                                        "fixed": fixed, "analysis": analysis})
    records = {pid: _load(folder / "points" / f"{pid}.json", pid) for pid in ids}
    todo = [(pid, p) for pid, p in dict(zip(ids, points)).items() if records[pid] is None]
    bar = _progress_bar(len(records), len(records) - len(todo), progress)

    def finished(record: dict) -> None:
        _write_json(folder / "points" / f"{record['id']}.json", record)
        records[record["id"]] = record
        bar.update(1)

    try:
        if scheduler == SERIAL or not todo:
            label, workers = SERIAL, 1
            for _, p in todo:
                finished(run_point(model, p, analysis))
        else:
            label, workers = _run_distributed(model, todo, analysis, scheduler, n_workers, finished)
    finally:
        bar.close()
    computed = tuple(pid for pid, _ in todo)
    return SweepResult(folder, tuple(records[pid] for pid in ids), computed,
                       tuple(pid for pid in ids if pid not in computed), label, workers,
                       time.perf_counter() - start)


def _check_points(model: str, points: list[dict], analysis: Mapping) -> None:
    """Refuse, here and now, the options that any point would refuse in its worker (time step, model choices,
    analysis windows longer than the run)."""
    from synchro.sensitivity import check_windows, run_metrics

    from .api import check_simulation

    defaults = {k: p.default for k, p in inspect.signature(run_metrics).parameters.items()}
    windows = {k: analysis.get(k, defaults[k]) for k in ("discard", "early_window")}
    for params in {_key(p): p for p in points}.values():
        check_simulation(model, **params)
        check_windows(float(params.get("duration", 1.0)), **windows)


def _remove_temporaries(folder: Path) -> None:
    """Remove the temporary files a killed sweep left (called holding the folder's lock: no live sweep writes)."""
    for sub in (folder, folder / "points", folder / "figures"):
        remove_temporaries(sub)


def _drop_other_grids(folder: Path, ids: set, overwrite: bool) -> None:
    """Refuse a folder holding points of another grid, or with ``overwrite`` delete them and their tables."""
    others = sorted(p for p in folder.glob("points/*.json") if p.stem not in ids and not p.name.startswith("."))
    if not others:
        return
    if not (folder / "sweep.json").is_file():
        raise UsageError(f"{folder / 'points'} holds files but {folder} has no sweep.json: it is not a sweep "
                         "folder; choose another -o/--output folder")
    if not overwrite:
        raise UsageError(f"{folder} holds {len(others)} point(s) of another sweep (another grid, model or options); "
                         "pass --overwrite to replace that sweep by this one, or choose another -o/--output folder")
    for path in [*others, folder / "runs.csv", folder / "summary.json", *folder.glob("figures/*.png")]:
        path.unlink(missing_ok=True)


def _check_seed(params: Mapping) -> None:
    """Refuse a point without an int seed ``rng`` (a Generator or None could not be stored and repeated)."""
    if "rng" not in params:
        raise UsageError("the sweep needs seeds: add 'rng' to the grid (e.g. 'rng': [0, 1, 2]) or to fixed")
    seed = params["rng"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"a sweep's rng values must be int seeds >= 0 (each point is stored and repeated by its "
                         f"seed); got {seed!r}")


def _check_analysis(analysis: Mapping) -> None:
    """Reject unknown analysis options here rather than in every worker."""
    from synchro.sensitivity import run_metrics

    allowed = [k for k, p in inspect.signature(run_metrics).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(analysis) - set(allowed) | ({"rng"} & set(analysis)))
    if unknown:
        raise UsageError(f"unknown analysis options {unknown}; valid ones are {sorted(set(allowed) - {'rng'})} "
                         "(the surrogates are seeded by each point's rng)")


def _progress_bar(total: int, done: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="point", desc="sweep", disable=not enabled, leave=False)


def _run_distributed(model, todo, analysis, scheduler, n_workers, finished) -> tuple[str, int]:
    from dask.distributed import Client, as_completed

    if scheduler is None:
        cluster = _start_local_cluster(n_workers)
        client, label = Client(cluster), "local"
    else:
        cluster, label = None, str(scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise UsageError(f"cannot reach the dask scheduler at {scheduler!r} ({err}); start one with "
                             "`dask scheduler` or leave the address out to use this machine's cores") from None
    try:
        workers = len(client.run(_warm_worker))
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


def read_points(folder) -> list[dict]:
    """The point records of a sweep folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`run_sweep`.

    Returns
    -------
    list of dict
        The records of ``points/*.json``, sorted by id; incomplete files are
        left out.
    """
    folder = Path(folder)
    if not (folder / "points").is_dir():
        raise UsageError(f"{folder} holds no sweep (no 'points' folder); run `synchro sweep` into it first")
    paths = sorted((folder / "points").glob("*.json"))
    return [r for r in (_load(p, p.stem) for p in paths) if r is not None]


def _groups(points: list[dict], factor: str) -> list[tuple[str, list[dict]]]:
    """Points split by the values of every other varying parameter (the seed, ``rng``, aside), each group labelled."""
    keys = sorted({k for p in points for k in p["params"]})
    others = [k for k in keys if k not in (factor, "rng") and len({_key(p["params"].get(k)) for p in points}) > 1]
    groups: dict[tuple, list[dict]] = {}
    for p in points:
        groups.setdefault(tuple(_key(p["params"].get(k)) for k in others), []).append(p)
    labels = {g: ",".join(f"{k}={members[0]['params'].get(k)}" for k in others) or "all"
              for g, members in groups.items()}
    return [(labels[g], members) for g, members in groups.items()]


def _key(value) -> str:
    return json.dumps(_canonical(value), sort_keys=True, default=str)


def write_sweep_report(folder, *, factors: Sequence[str] | None = None, rel_tol: float = 0.05,
                       references: Mapping | None = None, figures: bool = True) -> dict:
    """Write the tidy table, the sensitivity summary and the figures of a sweep folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`run_sweep`.
    factors : sequence of str, optional
        Parameters to analyse; default every parameter that varies besides
        the seed. Each is analysed within each combination of the other
        varying parameters.
    rel_tol : float, default 0.05
        Convergence tolerance (see :func:`synchro.sensitivity.sensitivity`).
    references : mapping, optional
        Reference level per factor (e.g. ``{"noise": "xi"}``); default the
        finest dt, the largest n, the first level otherwise.
    figures : bool, default True
        Draw one PNG per factor and group under ``figures/``.

    Returns
    -------
    dict
        The summary written to ``summary.json``: per factor and group, the
        :meth:`~synchro.sensitivity.Sensitivity.to_dict` record and its text
        summary.

    Notes
    -----
    Writes ``runs.csv`` (one row per run: parameters, metrics and the
    spike-count divergence against the reference run of the same seed),
    ``summary.json`` and ``figures/<factor>__<group>.png``, each atomically,
    holding the folder's lock.
    """
    folder = Path(folder)
    read_points(folder)  # a folder that holds no sweep is refused before a lock is made beside it
    with folder_lock(folder):
        _remove_temporaries(folder)
        return _write_report_locked(folder, factors, rel_tol, references, figures)


def _write_report_locked(folder: Path, factors, rel_tol: float, references, figures: bool) -> dict:
    from synchro.sensitivity import DIVERGENCE_METRIC, sensitivity

    points = read_points(folder)
    if not points:
        raise UsageError(f"{folder} holds no finished sweep point; run the sweep first")
    varying = [k for k in dict.fromkeys(k for p in points for k in p["params"])
               if k != "rng" and len({_key(p["params"].get(k)) for p in points}) > 1]
    factors = list(varying if factors is None else factors)
    references = dict(references or {})
    summary = {"folder": str(folder), "n_points": len(points), "rel_tol": rel_tol, "factors": {}}
    divergence: dict[str, float] = {}
    drawn = set()
    for factor in factors:
        summary["factors"][factor] = {}
        for label, members in _groups(points, factor):
            if len({_key(p["params"].get(factor)) for p in members}) < 2:
                continue
            result = sensitivity(members, factor=factor, reference=references.get(factor), rel_tol=rel_tol)
            summary["factors"][factor][label] = {**result.to_dict(), "text": result.summary()}
            if factor == "dt_ms":
                divergence.update({p["id"]: run[DIVERGENCE_METRIC] for p, run in zip(members, result.runs)})
            if figures:
                path = folder / "figures" / f"{factor}__{_safe(label)}.png"
                _figure(result, path, label)
                drawn.add(path)
    for stale in set((folder / "figures").glob("*.png")) - drawn if figures else ():
        stale.unlink()  # figures of an earlier report of this folder that this one does not redraw
    _write_csv(folder / "runs.csv", points, divergence)
    _write_json(folder / "summary.json", summary)
    return summary


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "=.-_" else "_" for c in label)


def _write_csv(path: Path, points: list[dict], divergence: Mapping[str, float]) -> None:
    from synchro.sensitivity import DIVERGENCE_METRIC, tidy_rows

    rows = [{"id": p["id"], **row} for p, row in zip(points, tidy_rows(points))]
    for row in rows:
        row.pop("early_counts", None)
        row[DIVERGENCE_METRIC] = divergence.get(row["id"], math.nan)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with atomic_output(path, overwrite=True) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)


def _figure(result, path: Path, label: str) -> None:
    from matplotlib.figure import Figure

    names = [f"{band}_{kind}" for band in result.rhythms for kind in ("peak_hz", "centroid_hz", "present")]
    names += [m for m in _FIGURE_METRICS if m in result.metrics]
    n_cols = 3
    n_rows = -(-len(names) // n_cols)
    fig = Figure(figsize=(5 * n_cols, 3.4 * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax, name in zip(axes.flat, names):
        result.plot(ax, metric=name)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f"sensitivity to {result.factor} ({label}); reference {result.reference}")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path.parent.mkdir(exist_ok=True)
    with atomic_output(path, overwrite=True) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
