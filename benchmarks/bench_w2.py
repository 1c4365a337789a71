"""W2 in two minutes: the full report of W2 (``synchro analyze W2.nwb -q -o DIR``, figures included), its wall time
and peak memory, beside the peers' same work extrapolated from samples, in one run.

W2 is the long-session workload of issue #18: 1000 units x 1 h with a 1 kHz field (``benchmarks/w2.py``, built
here when ``--file`` is not given; about 10 s). The report runs in a fresh process; every 0.2 s the proportional set
size (PSS, ``/proc/PID/smaps_rollup``) of that process and of every process it forked is summed: a forked child
shares its parent's pages until either writes them, and PSS counts each shared page once, split between the
processes, where their RSS would count it twice. The peak of that sum is the memory the report needed. Printed:
wall and CPU time (user + system of the process tree), the peak summed PSS (and the largest single RSS, what
``/usr/bin/time`` would report), the seconds of each analysis from report.json's ``timings`` summed over the
populations (in the process that computed it), and, with ``--peers``, the peers' seconds for the same work on all
three populations without surrogates (so they understate the peers' cost), extrapolated from samples by
``bench_long_synchrony.peers`` (elephant spike contrast and STTC, PySpike SPIKE-synchronization) and
``bench_long_rhythms.peers`` (neurodsp bursts, tensorpac, scipy correlate, elephant spike-field coherence), with
the ratio ours / theirs.

    python benchmarks/bench_w2.py [--file W2.nwb] [--peers] [--tree PATH]

``--tree`` runs another source tree (e.g. a worktree of an earlier commit) for comparison.

Measured on a quiet machine (2 cores), W2 built by ``benchmarks/w2.py`` (1000 units, 1.87e7 spikes, 3600 s)::

    wall 95.7 s (target <= 120), CPU 169.3 s, peak summed PSS 2.74 GB (target <= 4), largest single RSS 2.75 GB
      rhythms 57.1 s, spike_contrast 32.0, phase_locking 13.9, spike_sync 12.4, episodes 10.5, sttc 10.1, chi 10.0,
      population_lag 8.3, phase_amplitude_coupling 6.6, phases 5.8, fano 3.2, coherence 2.3, rates 1.3
    peer elephant spike_contrast: 199 s extrapolated; ours / theirs 0.16
    peer elephant STTC, all pairs: 91659 s extrapolated; ours / theirs 0.0001
    peer PySpike spike_sync, all pairs: 5116 s extrapolated; ours / theirs 0.0024
    peer episodes (neurodsp bursts): 3 s; ours / theirs 3.4
    peer pac (tensorpac, 200 permutations): 3 s; ours / theirs 2.3
    peer lag (scipy correlate): 1 s; ours / theirs 12.7
    peer coupling (elephant coherence only): 5 s; ours / theirs 0.42

(ours include every surrogate null and bootstrap; the peers none). On 2026-12-01, with every FFT on one thread
and the report's BLAS on one (de6f9ba): wall 95.9 s, CPU 167.2 s, peak summed PSS 2.85 GB.
On a second machine of the same kind (2026-12-01, with ``--peers``): wall 89.7 s, CPU 159.5 s, peak summed PSS
2.79 GB; ours / theirs 0.175 (spike contrast), 9.7e-05 (STTC), 0.0021 (SPIKE-synchronization), 2.97
(episodes), 2.04 (pac), 8.96 (lag), 0.27 (coherence); without ``--peers`` 93.3 s and 2.73 GB.
The issue measured 437-492 s and 22.4 GB on the code before it; the previous stop's main gave 212 s and 3.40 GB in
one process. The report's forked child computes the synchrony indices, phase locking and coherence (long sessions,
``LONG_FORKED_ANALYSES``) when its measured working set fits (``fork_fits``); both processes' steps were made cheaper
without changing a number (W2's report.json is identical to the one-process run's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: The report's analyses each peer does (a peer's work is compared with the sum of these).
PEER_STEPS = {"elephant spike_contrast": ("spike_contrast",), "elephant STTC, all pairs": ("sttc",),
              "PySpike spike_sync, all pairs": ("spike_sync",), "episodes": ("episodes",),
              "pac": ("phase_amplitude_coupling",), "lag": ("population_lag",),
              "coupling (coherence only)": ("coherence",)}


def _descendants(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return seen


def _memory(pid: int) -> tuple[int, int]:
    """PSS and RSS of one process (bytes), 0 once it has ended."""
    found = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Rss"):
                    found[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return found.get("Pss", 0), found.get("Rss", 0)


def run_report(path: Path, out: Path, tree: Path) -> dict:
    """Wall, CPU, peak summed PSS and largest RSS of one fresh ``synchro analyze`` of ``path``."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "synchro", "analyze", str(path), "-q", "-o", str(out), "--overwrite"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=tempfile.gettempdir())
    peak_pss = peak_rss = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        pss = 0
        for pid in _descendants(proc.pid):
            p, r = _memory(pid)
            pss, peak_rss = pss + p, max(peak_rss, r)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
                cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        peak_pss = max(peak_pss, pss)
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"synchro analyze exited {proc.returncode}")
    return {"wall": wall, "cpu": sum(cpu.values()), "peak_pss_gb": peak_pss / 1e9, "peak_rss_gb": peak_rss / 1e9}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="W2 as NWB (default: built here)")
    parser.add_argument("--peers", action="store_true", help="time the peers on samples too")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="source tree to run (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = args.file
        if path is None:
            path = tmp / "w2.nwb"
            subprocess.run([sys.executable, str(HERE / "w2.py"), str(path)], check=True)
        got = run_report(path, tmp / "report", args.tree)
        doc = json.loads((tmp / "report" / "report.json").read_text())
        seconds: dict[str, float] = defaultdict(float)
        for t in doc["timings"]:
            seconds[t["analysis"]] += t["seconds"]
        peer_seconds = {}
        if args.peers:
            import bench_long_rhythms
            import bench_long_synchrony

            cache = bench_long_synchrony.w2_cache(tmp / "w2.npz", doc["input"]["duration"])
            peer_seconds.update({name: sec for name, sec, _how in bench_long_synchrony.peers(cache)})
            peer_seconds.update(bench_long_rhythms.peers(str(path), 300.0))
    print(f"W2 ({doc['input']['units']} units, {doc['input']['spikes']:.3g} spikes, {doc['input']['duration']:g} s), "
          f"full report with figures, {args.tree}")
    print(f"wall {got['wall']:.1f} s (target <= 120), CPU {got['cpu']:.1f} s, peak summed PSS "
          f"{got['peak_pss_gb']:.2f} GB (target <= 4), largest single RSS {got['peak_rss_gb']:.2f} GB")
    for name, sec in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<26}{sec:8.1f} s")
    for peer, sec in peer_seconds.items():
        mine = sum(seconds.get(step, 0.0) for step in PEER_STEPS.get(peer, ()))
        ratio = f"; ours {mine:.1f} s, ours / theirs {mine / sec:.3g}" if mine else ""
        print(f"peer {peer}: {sec:.3g} s extrapolated{ratio}")


if __name__ == "__main__":
    main()
