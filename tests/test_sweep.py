"""sims.sweep: grid expansion, Dask against serial runs point by point, resuming, the report folder."""

import ast
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from sims.sweep import SERIAL, expand_grid, point_id, read_points, run_sweep, write_sweep_report
from synchro.errors import UsageError
from synchro.spectral import Multitaper, Welch

MODEL = "izhikevich2003"
# A small network (weights scaled by 1000 / n) that still fires at a few Hz: 4 points of 0.5 s.
GRID = {"dt_ms": [1.0, 0.5], "rng": [3, 4]}
FIXED = {"scheme": "euler", "n": 100, "duration": 0.5}
ANALYSIS = {"n_surrogates": 40}


def test_expand_grid_order_and_merging():
    points = expand_grid({"dt_ms": [1, 0.5], "rng": [0, 1, 2]}, {"n": 10})
    assert len(points) == 6
    assert points[:4] == [{"n": 10, "dt_ms": 1, "rng": 0}, {"n": 10, "dt_ms": 1, "rng": 1},
                          {"n": 10, "dt_ms": 1, "rng": 2}, {"n": 10, "dt_ms": 0.5, "rng": 0}]
    with pytest.raises(UsageError, match="non-empty list"):
        expand_grid({"scheme": "euler"})
    with pytest.raises(UsageError, match="both in the grid and fixed"):
        expand_grid({"n": [10]}, {"n": 10})


def test_point_id_is_stable_and_discriminating():
    a = point_id(MODEL, {"dt_ms": 1.0, "rng": 0, "n": 100}, {"n_surrogates": 40})
    assert len(a) == 16 and int(a, 16) >= 0
    assert a == point_id(MODEL, {"n": 100, "rng": 0, "dt_ms": 1}, {"n_surrogates": 40})  # order, 1 == 1.0
    assert a != point_id(MODEL, {"dt_ms": 1.0, "rng": 1, "n": 100}, {"n_surrogates": 40})
    assert a != point_id(MODEL, {"dt_ms": 1.0, "rng": 0, "n": 100}, {"n_surrogates": 50})
    assert a != point_id("izhikevich2007", {"dt_ms": 1.0, "rng": 0, "n": 100}, {"n_surrogates": 40})
    # Values go through synchro's one JSON conversion: numpy ints are ints, estimators are their fields.
    assert a == point_id(MODEL, {"dt_ms": np.float64(1.0), "rng": np.int64(0), "n": 100}, {"n_surrogates": 40})
    taper = point_id(MODEL, {"dt_ms": 1.0, "rng": 0}, {"estimator": Multitaper(nw=4.0)})
    assert taper == point_id(MODEL, {"dt_ms": 1.0, "rng": 0}, {"estimator": Multitaper(nw=4)})
    assert taper != point_id(MODEL, {"dt_ms": 1.0, "rng": 0}, {"estimator": Multitaper(nw=3.0)})
    assert taper != point_id(MODEL, {"dt_ms": 1.0, "rng": 0}, {"estimator": Welch()})


def test_sweep_needs_seeds_and_valid_workers(tmp_path):
    with pytest.raises(UsageError, match="needs seeds"):
        run_sweep(MODEL, {"dt_ms": [1.0]}, folder=tmp_path, scheduler=SERIAL, progress=False)
    with pytest.raises(UsageError, match="n_workers"):
        run_sweep(MODEL, GRID, folder=tmp_path, n_workers=0, progress=False)
    with pytest.raises(UsageError, match=r"unknown analysis options \['surrogates'\]"):
        run_sweep(MODEL, GRID, folder=tmp_path, analysis={"surrogates": 40}, scheduler=SERIAL, progress=False)
    with pytest.raises(UsageError, match="rng values must be int seeds"):
        run_sweep(MODEL, {"dt_ms": [1.0], "rng": [0.5]}, folder=tmp_path, scheduler=SERIAL, progress=False)
    with pytest.raises(UsageError, match="no sweep"):
        read_points(tmp_path / "nowhere")


def test_cython_workers_get_a_cache_of_their_own():
    import os

    import brian2

    from sims.sweep.point import per_process_cython_cache

    before = brian2.prefs.codegen.runtime.cython.cache_dir
    try:
        per_process_cython_cache()
        folder = brian2.prefs.codegen.runtime.cython.cache_dir
        assert folder.endswith(f"-{os.getpid()}") and "synchro-brian-cython" in folder
    finally:
        brian2.prefs.codegen.runtime.cython.cache_dir = before


def test_local_cluster_workers_start_with_brian2_and_the_analysis_imported():
    """Forked from the forkserver that imported them; a spawned worker has none (and a failed preload is silent)."""
    from dask.distributed import Client

    from sims.sweep.cluster import PRELOAD
    from synchro.cluster import start_local_cluster

    def loaded():
        import gc
        import os
        import sys

        names = ("distributed", "brian2", "sims", "sims.metrics", "sims.sweep", "matplotlib.pyplot")
        return ([name for name in names if name in sys.modules], os.environ.get("OPENBLAS_NUM_THREADS"),
                gc.get_freeze_count() > 100_000)

    with start_local_cluster(2, PRELOAD) as cluster, Client(cluster) as client:
        workers = client.run(loaded)
    assert len(workers) == 2
    # Without pyplot (brian2 imports it for its namespace only); one BLAS thread per single-threaded worker, as dask
    # gives its spawned workers; the imports frozen out of the garbage collector.
    expected = (["distributed", "brian2", "sims", "sims.metrics", "sims.sweep"], "1", True)
    assert all(state == expected for state in workers.values()), workers


def test_local_cluster_config_keeps_dask_thread_limits_in_a_fresh_interpreter():
    """distributed registers its defaults when imported; read before, the workers' limits were lost."""
    code = ("import sys; from synchro.cluster import local_cluster_config; assert 'distributed' not in sys.modules; "
            "print(local_cluster_config()['distributed.nanny.pre-spawn-environ'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ast.literal_eval(out) == {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def _same(points_a, points_b):
    for a, b in zip(points_a, points_b, strict=True):
        assert a["id"] == b["id"] and a["params"] == b["params"]
        assert a["metrics"] == b["metrics"]
        assert a["early_counts"] == b["early_counts"]


def test_dask_equals_serial_and_resume_recomputes_only_missing_points(tmp_path):
    serial = run_sweep(MODEL, GRID, folder=tmp_path / "serial", fixed=FIXED, analysis=ANALYSIS, scheduler=SERIAL,
                       progress=False)
    dask = run_sweep(MODEL, GRID, folder=tmp_path / "dask", fixed=FIXED, analysis=ANALYSIS, n_workers=2,
                     progress=False)
    assert dask.scheduler == "local" and dask.n_workers == 2 and len(dask.computed) == 4
    # Both workers took part, and the runs fire (the comparison is not between empty networks).
    assert len({p["provenance"]["pid"] for p in dask.points}) == 2
    assert all(p["provenance"]["n_spikes"] > 100 for p in dask.points)
    _same(serial.points, dask.points)
    # Different seeds give different networks: the comparison above can fail.
    assert dask.points[0]["early_counts"] != dask.points[1]["early_counts"]

    # An interrupted sweep: two point files gone, one left half-written.
    folder = tmp_path / "dask" / "points"
    ids = [p["id"] for p in dask.points]
    (folder / f"{ids[0]}.json").unlink()
    (folder / f"{ids[3]}.json").unlink()
    (folder / f"{ids[1]}.json").write_text('{"id": "' + ids[1] + '", "metr')
    kept = (folder / f"{ids[2]}.json").stat().st_mtime_ns
    again = run_sweep(MODEL, GRID, folder=tmp_path / "dask", fixed=FIXED, analysis=ANALYSIS, scheduler=SERIAL,
                      progress=False)
    assert sorted(again.computed) == sorted([ids[0], ids[1], ids[3]]) and again.skipped == (ids[2],)
    assert (folder / f"{ids[2]}.json").stat().st_mtime_ns == kept
    _same(dask.points, again.points)
    done = run_sweep(MODEL, GRID, folder=tmp_path / "dask", fixed=FIXED, analysis=ANALYSIS, progress=False)
    assert done.computed == () and len(done.skipped) == 4 and done.scheduler == SERIAL

    # The report of the folder: table, summary and figure.
    summary = write_sweep_report(tmp_path / "dask")
    with open(tmp_path / "dask" / "runs.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {"dt_ms", "rng", "rate_exc", "gamma_peak_hz", "early_divergence"} <= set(rows[0])
    by_id = {r["id"]: r for r in rows}
    for p in again.points:
        assert float(by_id[p["id"]]["rate_exc"]) == pytest.approx(p["metrics"]["rate_exc"])
        # Divergence is 0 for the finest-dt run itself, and positive for 1 ms (the runs differ).
        divergence = float(by_id[p["id"]]["early_divergence"])
        assert divergence == 0.0 if p["params"]["dt_ms"] == 0.5 else divergence > 0
    on_disk = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert on_disk["factors"]["dt_ms"]["all"]["reference"] == 0.5
    assert set(summary["factors"]["dt_ms"]["all"]["rhythms"]) == {"alpha", "gamma"}
    png = tmp_path / "dask" / "figures" / "dt_ms__all.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "dask").rglob("*.tmp*"))  # no temporary files left behind
    assert np.isfinite(float(rows[0]["chi"]))


def test_cli_sweep_writes_the_report_and_resumes(tmp_path):
    from click.testing import CliRunner

    from synchro.cli import main

    out = tmp_path / "cli"
    args = ["sweep", MODEL, "--scheme", "euler", "--dt", "1,0.5", "--seeds", "1", "--n", "100", "--duration", "0.5",
            "--surrogates", "40", "--scheduler", "serial", "--no-figures", "-o", str(out)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "sensitivity to dt_ms (reference 0.5, seeds [0]" in first.output
    assert "2 runs (2 computed, 0 found)" in first.output
    assert len(list((out / "points").glob("*.json"))) == 2 and (out / "runs.csv").exists()
    stamps = {p: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")}
    again = CliRunner().invoke(main, [*args, "--quiet"])
    assert again.exit_code == 0 and again.output == ""
    assert {p: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")} == stamps  # nothing rerun
    assert json.loads((out / "summary.json").read_text())["n_points"] == 2
    bad = CliRunner().invoke(main, ["sweep", MODEL, "--dt", "1,fast", "-o", str(out)])
    assert bad.exit_code == 2 and "--dt must be a comma-separated list" in bad.output


def test_the_forums_sweep_is_refused_before_any_point_runs(tmp_path):
    """Issue 15's sweep case: dt 0.5 ms with the default scheme (the published net.m program, fixed at 1 ms) once
    started workers that failed one by one. Now one line, exit 2, naming the CLI fix, and nothing written."""
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "sweep", MODEL, "--dt", "1,0.5", "--seeds", "2",
                           "--duration", "2", "-o", str(tmp_path / "S")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "scheme='netm' is the published program" in lines[0] and "(CLI: --scheme euler)" in lines[0]
    assert not (tmp_path / "S").exists() or not any((tmp_path / "S").iterdir())
