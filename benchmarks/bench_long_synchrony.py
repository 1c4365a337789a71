"""The synchrony section of ``synchro analyze`` on W2 (1000 units x 1 h, 1.9 x 10^7 spikes): time and peak memory.

Each synchrony index of the report (Golomb chi, STTC, SPIKE-synchronization,
spike contrast, population Fano factor), called as the report calls it
(its settings read from ``synchro.report._analyses``: 20 circular shifts
for the chance level, STTC and SPIKE-synchronization nulls on 1000 sampled
pairs, the pairs themselves sampled above its work limit, seed 0), runs in a fresh process on W2
(``benchmarks/w2.py``), alone on the ``all`` population, and then the whole
section: the five indices on ``all``, ``exc`` and ``inh``. Wall time, CPU
time (user + system: steadier than wall on a shared machine) and the
peak resident memory of the process (``ru_maxrss``) are printed, with the
memory held by the loaded spikes alone for reference. The spikes are built
once and cached as an ``.npz`` file (``--cache``).

``--tree PATH`` runs the measured processes with another source tree first
on the path (e.g. ``/work/main``, to measure the code before a change);
``--duration`` builds a shorter W2 (its first seconds are not the same
spikes as the hour's, but the same workload).

Printed beside it, the peers' same work without any surrogate (so it
understates their cost), timed on samples and scaled: elephant's spike
contrast on the ``all`` population over a stretch of the session (scaled by
duration; its cost grows with the number of bins), PySpike's SPIKE-
synchronization and elephant's STTC on a sample of pairs (scaled to all
499,500 pairs by pair count and to the hour by duration).

Target (issue #18): the section at most ~40 s and ~2 GB on 2 cores, part of
the whole report's 120 s and 4 GB.

Measured (2 shared cores, load 4-10, so CPU time is the steadier figure;
``all`` population, 1.87 x 10^7 spikes; main at 1c84531 against this
tree):

==========================  ======================  ======================
W2, 1 h                     main: CPU / peak RSS    now: CPU / peak RSS
==========================  ======================  ======================
chi                         ~100 s / ~23 GB (a)     10.4 s / 0.61 GB
STTC                        17.3 s / 1.25 GB        4.2 s / 0.79 GB (b)
SPIKE-synchronization       36.8 s / 1.39 GB        6.0 s / 0.96 GB (b)
spike contrast              382 s / 1.28 GB         22.2 s / 1.11 GB
Fano factor                 6.2 s / 0.96 GB         1.9 s / 0.50 GB
section (3 populations)     not run (a)             90 s / 1.26 GB
W2 cut to 360 s: section    72.5 s / 2.46 GB        7.8 s / 0.32 GB
==========================  ======================  ======================

(a) main's chi builds 256 units x 3.6 x 10^6 samples at once: run on the
first 360 s it took 10.0 s CPU and 2.35 GB, ten times that for the hour.
(b) pairs sampled above the report's limit (2000 pairs, nulls on 200);
main compared all 499,500 pairs and tested 1000.
The loaded spikes hold 0.34 GB of each peak. Peers, without surrogates,
scaled from samples: elephant spike contrast 882 s (60 s of all units,
x60), elephant STTC of all pairs 257,000 s and PySpike SPIKE-synchronization
of all pairs 12,000 s (200 pairs over 300 s, x29,970).

Run: ``python benchmarks/bench_long_synchrony.py [--tree /work/main] [--only chi] [--no-peers]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
INDICES = ("chi", "sttc", "spike_sync", "spike_contrast", "fano")
MAX_BYTES = 5 * 2 ** 30  # data segment limit of each measured process

# The child process: load W2, run what it is told, print wall time and peak memory as JSON.
CHILD = r"""
import json, resource, sys, time
import numpy as np
import synchro
from synchro import SpikeData
from synchro import synchrony as s

arrays = np.load(sys.argv[1])
data = SpikeData(arrays["times"], arrays["offsets"], {"population": arrays["population"]}, 0.0,
                 float(arrays["duration"]))
data.unit_index  # the report's data holds it too
which, pops = sys.argv[2], sys.argv[3].split(",")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
from synchro.report import _analyses as report  # the report's settings, as this tree has them

null = dict(n_surrogates=report.SYNCHRONY_SURROGATES, rng=0)


def pairs(d):  # the report's pair options (a tree without them compares every pair)
    if hasattr(report, "pair_options"):
        return report.pair_options(d)
    return {"null_pairs": report.NULL_PAIRS}


calls = {
    "chi": lambda d: s.golomb_chi(d, **null).chi,
    "sttc": lambda d: s.sttc_matrix(d, delta_t=report.STTC_DELTA_T, **pairs(d), **null).value,
    "spike_sync": lambda d: s.spike_sync(d, **pairs(d), **null).value,
    "spike_contrast": lambda d: s.spike_contrast(d, **null).value,
    "fano": lambda d: float(s.population_fano(d, bin_widths=(report.FANO_BIN_WIDTH,), **null).fano[0]),
}
names = list(calls) if which == "section" else [which]
subsets = {p: data if p == "all" else data.select(population=p) for p in pops}
t0 = time.perf_counter()
cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
values, seconds = {}, {}
for p, d in subsets.items():
    for name in names:
        t1 = time.perf_counter()
        values[f"{p}/{name}"] = calls[name](d)
        seconds[f"{p}/{name}"] = time.perf_counter() - t1
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"tree": synchro.__file__, "wall": time.perf_counter() - t0,
                  "cpu": usage.ru_utime + usage.ru_stime - cpu0, "peak_gb": usage.ru_maxrss / 1e6, "loaded_gb": base,
                  "values": values, "seconds": seconds}))
"""


def w2_cache(path: Path, duration: float) -> Path:
    """W2's spikes as an .npz (times, offsets, population, duration), built once."""
    if path.exists():
        return path
    sys.path.insert(0, str(HERE))
    from w2 import w2_spikes

    spikes = w2_spikes(duration=duration)
    tmp = path.with_suffix(".tmp.npz")
    labels = np.asarray(spikes.units["population"]).astype(str)
    np.savez(tmp, times=spikes.times, offsets=spikes.offsets, population=labels, duration=duration)
    os.replace(tmp, path)
    return path


def measure(cache: Path, which: str, pops: str, tree: str | None) -> dict:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
    def limit():  # a run that would take the machine's memory fails instead (MemoryError)
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (MAX_BYTES, MAX_BYTES))

    # From a neutral folder: ``python -c`` puts the working folder first on the path, before PYTHONPATH's tree.
    proc = subprocess.run([sys.executable, "-c", CHILD, str(cache), which, pops], capture_output=True, text=True,
                          env=env, preexec_fn=limit, cwd=tempfile.gettempdir())
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.splitlines()[-1])


def peers(cache: Path) -> list[tuple[str, float, str]]:
    """Peer seconds for the ``all`` population's indices, without surrogates, extrapolated from samples."""
    import neo
    import pyspike
    import quantities as pq
    from elephant.spike_train_correlation import spike_time_tiling_coefficient
    from elephant.spike_train_synchrony import spike_contrast

    arrays = np.load(cache)
    times, offsets, duration = arrays["times"], arrays["offsets"], float(arrays["duration"])
    n = offsets.size - 1
    all_pairs = n * (n - 1) // 2
    gen = np.random.default_rng(0)
    out = []

    stretch = 60.0  # s of the session for spike contrast (all units)
    trains = [neo.SpikeTrain(t[t < stretch], t_stop=stretch, units="s") for t in np.split(times, offsets[1:-1])]
    t0 = time.perf_counter()
    spike_contrast(trains)
    sec = time.perf_counter() - t0
    scale = duration / stretch
    out.append(("elephant spike_contrast", sec * scale, f"{stretch:g} s of all units, x{scale:g}"))

    stretch, k = 300.0, 200
    pairs = gen.choice(n, size=(k, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    cut = [t[t < stretch] for t in np.split(times, offsets[1:-1])]
    sts = {i: neo.SpikeTrain(cut[i], t_stop=stretch, units="s") for i in np.unique(pairs)}
    t0 = time.perf_counter()
    for i, j in pairs:
        spike_time_tiling_coefficient(sts[i], sts[j], dt=0.005 * pq.s)
    sec = time.perf_counter() - t0
    scale = all_pairs / len(pairs) * duration / stretch
    out.append(("elephant STTC, all pairs", sec * scale, f"{len(pairs)} pairs over {stretch:g} s, x{scale:.0f}"))

    trains = [pyspike.SpikeTrain(cut[i], edges=(0.0, stretch)) for i in np.unique(pairs)]
    index = {u: m for m, u in enumerate(np.unique(pairs))}
    t0 = time.perf_counter()
    for i, j in pairs:
        pyspike.spike_sync(trains[index[i]], trains[index[j]])
    sec = time.perf_counter() - t0
    out.append(("PySpike spike_sync, all pairs", sec * scale, f"{len(pairs)} pairs over {stretch:g} s, x{scale:.0f}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", help="source tree to measure (default: the installed synchro)")
    parser.add_argument("--duration", type=float, default=3600.0)
    parser.add_argument("--cache", type=Path, help="W2 spikes .npz (default: a file in the temporary folder)")
    parser.add_argument("--only", choices=(*INDICES, "section"), action="append",
                        help="measure only these (repeatable); default: each index, then the section")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.gettempdir()) / f"synchro_w2_{args.duration:g}s.npz"
    w2_cache(cache, args.duration)
    print(f"W2: {cache} ({args.duration:g} s); tree {args.tree or 'installed'}")
    for which in args.only or (*INDICES, "section"):
        pops = "all,exc,inh" if which == "section" else "all"
        r = measure(cache, which, pops, args.tree)
        print(f"{which + ' (' + pops + ')':<32} {r['wall']:7.1f} s wall {r['cpu']:7.1f} s CPU  "
              f"peak {r['peak_gb']:5.2f} GB (spikes loaded: {r['loaded_gb']:.2f} GB)  {r['tree']}  "
              + json.dumps(r["values"]), flush=True)
    if not args.no_peers:
        for name, sec, how in peers(cache):
            print(f"{name:<40} {sec:8.0f} s  ({how}, no surrogates)")


if __name__ == "__main__":
    main()
