"""Sweep runner: the same 5 seeds x 4 time steps grid, serial against Dask on this machine's cores.

The 2003 network (N = 1000, Euler, noise held per ms, 1 ms current pulses),
2 s per run, dt 1, 0.5, 0.25 and 0.1 ms, seeds 0-4; each point is one
simulation plus its metrics (50 surrogates). Each run is what a user waits
for: ``synchro sweep ... --no-figures -q`` in a fresh process and an empty
folder, with ``--scheduler serial`` or with the default LocalCluster (its
start-up and the workers' imports included). The two must give identical
points.

Other processes on the machine (and the virtual machine's neighbours) slow
whichever runner they overlap with, and this virtual machine's speed drifts
by up to 40 % over minutes, so the two runners alternate (serial, dask,
dask, serial, serial, dask): the best time of each is compared, and so is
each adjacent pair (its serial and dask runs a minute apart). Beside each
wall time is the sum of the points' own run times (simulation plus metrics,
measured inside the process that ran them): the work. Serial work includes
brian2's import in its first point; Dask work includes the slowdown of two
simulations sharing the machine.

Run: .venv/bin/python benchmarks/bench_sweep.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sims.sweep import read_points

COMMAND = [sys.executable, "-m", "synchro", "sweep", "izhikevich2003", "--scheme", "euler", "--noise", "held",
           "--synapse", "pulse", "--n", "1000", "--dt", "1,0.5,0.25,0.1", "--seeds", "5", "--duration", "2",
           "--no-figures", "-q"]
RUNNERS = {"serial": ["--scheduler", "serial"], "dask": []}


def main():
    cores = os.cpu_count() or 1
    times = {"serial": [], "dask": []}
    work = {"serial": [], "dask": []}
    points, loads = {}, [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(("serial", "dask", "dask", "serial", "serial", "dask")):
            folder = Path(tmp) / f"{name}{i}"
            start = time.perf_counter()
            subprocess.run([*COMMAND, *RUNNERS[name], "-o", str(folder)], check=True)
            times[name].append(time.perf_counter() - start)
            points[name] = read_points(folder)
            work[name].append(sum(p["provenance"]["seconds"] for p in points[name]))
            loads.append(os.getloadavg()[0])
    same = [(a["metrics"], a["early_counts"]) for a in points["serial"]] == \
           [(b["metrics"], b["early_counts"]) for b in points["dask"]]
    best = {k: min(v) for k, v in times.items()}
    print(f"grid: {len(points['serial'])} runs (5 seeds x 4 dt), N=1000, 2 s each; {cores} cores; "
          f"each a fresh `synchro sweep` process")
    print(f"{'runner':<34}{'best (s)':>10}{'runs: wall (s)':>24}{'work (s)':>24}")
    for name, label in (("serial", "serial (--scheduler serial)"), ("dask", f"dask LocalCluster ({cores} workers)")):
        print(f"{label:<34}{best[name]:>10.1f}{', '.join(f'{t:.1f}' for t in times[name]):>24}"
              f"{', '.join(f'{t:.1f}' for t in work[name]):>24}")
    pairs = [s / d for s, d in zip(times["serial"], times["dask"], strict=True)]  # runs 0-1, 2-3, 4-5
    print(f"speed-up serial / dask: {best['serial'] / best['dask']:.2f}x best against best (target >= 1.7x on "
          f"2 cores); adjacent pairs {', '.join(f'{r:.2f}x' for r in pairs)} "
          f"(median {statistics.median(pairs):.2f}x); "
          f"identical results: {same}")
    print("1-min load average around the runs: " + ", ".join(f"{x:.1f}" for x in loads)
          + f" (other processes competing for the {cores} cores lower the speed-up)")


if __name__ == "__main__":
    main()
