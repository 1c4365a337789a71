"""W1 in 3 s: the full report of W1 (``synchro analyze W1.nwb -q -o DIR``, imports and figures included) against
another commit's, measured in the same run, with the report.json identity check.

W1 is the Izhikevich (2003) network, 1000 units, 10 s, with its field (``/work/w1/net10.nwb``, or simulated
here as in bench_analyze.py when that file is absent). Each tree runs once to fill its caches (bytecode, numba's
on-disk kernels), then ``--runs`` fresh processes of each tree, alternated, so that the machine's load weighs on
both alike. Printed: the median wall time, the median CPU time (user + sys, the forked children included), less
sensitive to other jobs on the machine, the main process's own CPU time (the critical path: about the wall time
on two otherwise idle cores) and the load average; then every key of the two report.json that differs
(benchmarks/compare_reports.py: timings, versions, generator and input path left out).

    python benchmarks/bench_w1.py [--against 1c84531] [--runs 5] [--file W1.nwb]

Where the time went (1c84531, CPU seconds on the 2 shared cores, one process)::

    python startup and imports before reading  1.2  (scipy.signal alone 0.9: it imports scipy.stats, whose
                                                     distributions build their docstrings at import)
    reading the NWB file                        0.05
    analyses                                    2.6  (synchrony indices 1.5 -- spike contrast 0.8 --, rhythm
                                                     verdicts 0.6, episodes 0.3, coupling 0.2, lag and PAC 0.2;
                                                     numba: import 0.2, the 12 kernels loaded from the on-disk
                                                     cache 0.19, of which 0.15 is LLVM's start)
    matplotlib import                           0.35
    figures                                     2.5  (7 figures, each drawn twice: PNG 1.3, SVG 0.95; spectra
                                                     0.8, STTC matrix 0.55)
    report.json, summary, HTML                  0.1

numba's cache is hit for every kernel across processes (``NUMBA_DEBUG_CACHE=1``: 12 index and data loads,
no compilation); the kernels of ``synchro/_kernels.py`` (``numba.njit(cache=True)`` directly) too. Everything
ran in one process on one core, while the machine has two.

What changed: the synchrony indices (:data:`synchro.report._analyses.FORKED_ANALYSES`) run in a forked child
while the report's process computes the rhythms, episodes, coupling, lag and PAC; the figures are drawn by two
processes (:data:`synchro.report.figures.FORKED_FIGURES` in a forked child). A forked child shares the
parent's imports and data, so nothing is imported twice or pickled on the way in; its results come back
pickled. Each step draws from its own ``rng=seed``, so the numbers do not depend on which process computes
them: report.json is identical key by key, and the PNG files byte for byte.

Measured: see the table printed by the last run, reproduced in the closing note of issue 18.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare_reports import differences  # noqa: E402

W1 = Path("/work/w1/net10.nwb")


# Runs the command line and, at its exit, writes the CPU seconds of its own process and of its (forked) children.
_WRAPPER = """
import atexit, json, os, resource, runpy, sys
def dump():
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with open(os.environ["BENCH_W1_RUSAGE"], "w") as f:
        json.dump([own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime], f)
atexit.register(dump)
sys.argv = ["synchro", *sys.argv[1:]]
runpy.run_module("synchro.cli", run_name="__main__")
"""


def run_once(tree: Path, path: Path, out: Path) -> tuple[float, float, float]:
    """Wall, CPU (user + sys, forked children included) and the main process's own CPU seconds of one fresh
    ``synchro analyze``. The main process's CPU is the critical path: about the wall time on two otherwise idle
    cores, when the children's share is not the longer one."""
    usage = out.parent / "rusage.json"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(tree), "BENCH_W1_RUSAGE": str(usage)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, "analyze", str(path), "-q", "-o", str(out),
                           "--overwrite"], capture_output=True, text=True, env=env, cwd=tree)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{tree}: exit {proc.returncode}\n{proc.stderr}")
    own, children = json.loads(usage.read_text())
    return wall, own + children, own


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="1c84531", help="commit measured beside this tree")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", type=Path, default=W1)
    args = parser.parse_args()
    this = HERE.parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = args.file
        if not path.exists():
            from bench_analyze import simulate

            path = simulate(tmp)
        old = tmp / "old"
        subprocess.run(["git", "-C", str(this), "worktree", "add", "--detach", str(old), args.against], check=True,
                       capture_output=True)
        try:
            trees = {f"{args.against} (before)": old, "this tree": this}
            for tree in trees.values():  # fills the caches: bytecode, numba's kernels
                run_once(tree, path, tmp / "warm")
            load = [os.getloadavg()[0]]
            times = {name: [] for name in trees}
            for _ in range(args.runs):
                for name, tree in trees.items():
                    times[name].append(run_once(tree, path, tmp / name.split()[0]))
            load.append(os.getloadavg()[0])
            docs = {name: json.loads((tmp / name.split()[0] / "report.json").read_text()) for name in trees}
        finally:
            subprocess.run(["git", "-C", str(this), "worktree", "remove", "--force", str(old)], check=False,
                           capture_output=True)
    print(f"W1 full report (figures included), {path.name}, median of {args.runs} fresh processes after a warm-up, "
          f"alternated; load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"{'tree':<28s}{'wall (s)':>10s}{'CPU (s)':>10s}{'main CPU (s)':>14s}   runs (wall)")
    for name, rows in times.items():
        walls, cpus, mains = zip(*rows)
        print(f"{name:<28s}{statistics.median(walls):10.2f}{statistics.median(cpus):10.2f}"
              f"{statistics.median(mains):14.2f}   " + " ".join(f"{w:.2f}" for w in walls))
    before, after = docs.values()
    diff = differences(before, after)
    print("report.json: identical key by key (timings, versions, generator, input path left out)" if not diff else
          f"report.json: {len(diff)} differences\n  " + "\n  ".join(diff[:20]))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
