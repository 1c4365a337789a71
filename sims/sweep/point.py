"""One sweep point: a simulation reduced to its metrics, as a JSON-safe record (what each worker runs)."""

from __future__ import annotations

import math
import os
import socket
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from .grid import check_seed, point_id

__all__ = ["run_point"]


def per_process_cython_cache() -> None:
    """Point Brian2's cython cache at a folder of this process's own: parallel cython runs sharing one cache on a
    shared disk step on each other's files."""
    import brian2

    folder = Path(tempfile.gettempdir()) / "synchro-brian-cython" / f"{socket.gethostname()}-{os.getpid()}"
    brian2.prefs.codegen.runtime.cython.cache_dir = str(folder)


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
        Keyword arguments of :func:`sims.metrics.run_metrics`.

    Returns
    -------
    dict
        JSON-safe record: ``id``, ``model``, ``params``, ``analysis``,
        ``metrics`` (NaN written as None), ``early_counts``,
        ``metrics_parameters`` and ``provenance`` (host, process, wall and
        CPU seconds of the process, brian2 version, code-generation target).
    """
    from ..api import simulate
    from ..metrics import run_metrics

    check_seed(params)
    if params.get("codegen", "numpy") != "numpy":
        per_process_cython_cache()
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
