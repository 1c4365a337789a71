"""A cohort of 8 W1 sessions: ``synchro analyze`` on a dask LocalCluster of 2 workers against one after the other.

W1 is the Izhikevich (2003) network, 1000 units, 10 s, with its field (simulated here, as in
``bench_analyze.py``, or given with ``--w1 PATH``); the cohort is 8 copies of it in one folder. Each runner is a
fresh ``synchro analyze FOLDER -q -o OUT`` process, full reports with figures and the cohort table:

- serial: ``--scheduler serial``, the sessions one after the other in the command's process;
- dask: the default LocalCluster, ``--workers 2``.

The runs alternate (serial, dask, dask, serial by default: ``--rounds 2``) so that a change of load hits both;
printed are every wall time, the best of each, the ratio serial / dask (target >= 1.7x on 2 cores), whether the
two gave the same report.json numbers session by session (timings aside), and the 1-minute load average around the
runs (other processes competing for the cores lower the ratio).

    python benchmarks/bench_cohort.py [--w1 /work/w1/net10.nwb] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SESSIONS = 8
RUNNERS = {"serial": ["--scheduler", "serial"], "dask": ["--workers", "2"]}


def simulate(folder: Path) -> Path:
    import sims
    from synchro import io

    rec = sims.simulate("izhikevich2003", scheme="netm", duration=10.0, rng=1, codegen="numpy")
    return io.write_nwb(rec, folder / "net10.nwb")


def numbers(path: Path) -> dict:
    """A report.json without what differs between two runs of the same analysis."""
    doc = json.loads(path.read_text())
    doc.pop("timings")
    doc["generator"].pop("created")
    return doc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--w1", type=Path, default=None, help="an existing W1 NWB file (default: simulate it)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of runs of each runner (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        w1 = args.w1 or simulate(tmp)
        cohort = tmp / "cohort"
        cohort.mkdir()
        for i in range(SESSIONS):
            shutil.copyfile(w1, cohort / f"w1_{i}.nwb")
        pairs = (("serial", "dask"), ("dask", "serial"))
        order = [name for r in range(args.rounds) for name in pairs[r % 2]]
        times: dict[str, list[float]] = {"serial": [], "dask": []}
        loads = [os.getloadavg()[0]]
        for i, name in enumerate(order):
            out = tmp / f"{name}{i}"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "synchro", "analyze", str(cohort), "-q", "-o", str(out),
                            *RUNNERS[name]], check=True, env={**os.environ, "MPLBACKEND": "Agg"})
            times[name].append(time.perf_counter() - start)
            loads.append(os.getloadavg()[0])
        last = {name: tmp / f"{name}{len(order) - 1 - order[::-1].index(name)}" for name in RUNNERS}
        same = all(numbers(last["serial"] / f"synchro-report-w1_{i}" / "report.json")
                   == numbers(last["dask"] / f"synchro-report-w1_{i}" / "report.json") for i in range(SESSIONS))
    best = {name: min(t) for name, t in times.items()}
    print(f"cohort: {SESSIONS} sessions of W1 (1000 units, 10 s, with field), full reports with figures; "
          f"{os.cpu_count()} cores; each runner a fresh `synchro analyze` process")
    print(f"{'runner':<36}{'best (s)':>10}{'per session (s)':>17}   runs: wall (s)")
    for name, label in (("serial", "one after the other (serial)"), ("dask", "dask LocalCluster (2 workers)")):
        print(f"{label:<36}{best[name]:>10.1f}{best[name] / SESSIONS:>17.2f}   "
              + ", ".join(f"{t:.1f}" for t in times[name]))
    print(f"ratio serial / dask: {best['serial'] / best['dask']:.2f}x best against best (target >= 1.7x); "
          f"same report.json numbers session by session: {same}")
    print("1-min load average around the runs: " + ", ".join(f"{x:.1f}" for x in loads))


if __name__ == "__main__":
    main()
