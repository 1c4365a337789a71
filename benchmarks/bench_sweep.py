"""Sweep runner: the same 5 seeds x 4 time steps grid, serial in one process against Dask on this machine's cores.

The 2003 network (N = 1000, Euler, noise held per ms, 1 ms current pulses),
2 s per run, dt 1, 0.5, 0.25 and 0.1 ms, seeds 0-4; each point is one
simulation plus its metrics (50 surrogates). Every run starts from an empty
folder and includes everything a user waits for (for Dask: starting the
LocalCluster and the workers' imports). The results must be identical.

Other processes on the machine (and the virtual machine's neighbours) slow
whichever runner they overlap with, so the two runners alternate (serial,
dask, dask, serial, serial, dask) and the best time of each is compared.
Beside each wall time is the sum of the points' own run times (simulation
plus metrics, measured inside the process that ran them): the work, which
should be the same for both runners.

Run: .venv/bin/python benchmarks/bench_sweep.py
"""

import os
import tempfile
import time
from pathlib import Path

from sims.sweep import SERIAL, run_sweep

GRID = {"dt_ms": [1.0, 0.5, 0.25, 0.1], "seed": [0, 1, 2, 3, 4]}
FIXED = {"scheme": "euler", "noise": "held", "synapse": "pulse", "n": 1000, "duration": 2.0}


def main():
    cores = os.cpu_count() or 1
    options = {"serial": {"scheduler": SERIAL}, "dask": {"n_workers": cores}}
    times = {"serial": [], "dask": []}
    work = {"serial": [], "dask": []}
    results, loads = {}, [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(("serial", "dask", "dask", "serial", "serial", "dask")):
            start = time.perf_counter()
            results[name] = run_sweep("izhikevich2003", GRID, folder=Path(tmp) / f"{name}{i}", fixed=FIXED,
                                      progress=False, **options[name])
            times[name].append(time.perf_counter() - start)
            work[name].append(sum(p["provenance"]["seconds"] for p in results[name].points))
            loads.append(os.getloadavg()[0])
    same = all(a["metrics"] == b["metrics"] and a["early_counts"] == b["early_counts"]
               for a, b in zip(results["serial"].points, results["dask"].points))
    best = {k: min(v) for k, v in times.items()}
    print(f"grid: {len(results['serial'].points)} runs (5 seeds x 4 dt), N=1000, 2 s each; {cores} cores")
    print(f"{'runner':<34}{'best (s)':>10}{'runs: wall (s)':>24}{'work (s)':>24}")
    for name, label in (("serial", "serial (one process)"), ("dask", f"dask LocalCluster ({cores} workers)")):
        print(f"{label:<34}{best[name]:>10.1f}{', '.join(f'{t:.1f}' for t in times[name]):>24}"
              f"{', '.join(f'{t:.1f}' for t in work[name]):>24}")
    print(f"speed-up serial / dask: {best['serial'] / best['dask']:.2f}x (target >= 1.7x on 2 cores); "
          f"identical results: {same}")
    print("1-min load average around the runs: " + ", ".join(f"{x:.1f}" for x in loads)
          + f" (other processes competing for the {cores} cores lower the speed-up)")


if __name__ == "__main__":
    main()
