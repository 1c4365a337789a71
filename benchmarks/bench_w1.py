"""W1 in 3 s: the full report of W1 (``synchro analyze W1.nwb -q -o DIR``, imports and figures included) against
another commit's, measured in the same run, with the report.json identity check.

W1 is the Izhikevich (2003) network, 1000 units, 10 s, with its field (``/work/w1/net10.nwb``, or simulated
here as in bench_analyze.py when that file is absent). Each tree runs once to fill its caches (bytecode, numba's
on-disk kernels), then ``--runs`` fresh processes of each tree, alternated, so that the machine's load weighs on
both alike. Printed: the median wall time, the median CPU time (user + sys, the forked children included), the
main process's own CPU time and the load average; then every key of the two report.json that differs
(benchmarks/compare_reports.py: timings, versions, generator and input path left out).

    python benchmarks/bench_w1.py [--against cb34361] [--runs 5] [--file W1.nwb]

Measured on a quiet machine (2 cores), against cb34361, the last commit of the previous work, on 2026-11-30 at
load 0.5 (before) to 1.1 (after)::

    tree                          wall (s)   CPU (s)  main CPU (s)   runs (wall)
    cb34361 (before)                  3.99      5.30          3.89   4.25 4.35 3.99 3.87 3.95
    this tree                         2.95      5.04          3.13   3.09 3.05 2.95 2.91 2.95
    report.json: identical key by key

On 2026-12-01 (load 0.5-1.0), after de6f9ba put every FFT and the report's BLAS on one thread: 4.15 -> 3.06 s and
4.03 -> 3.05 s (CPU 5.15 and 5.05 s); report.json differs from cb34361's in one number, the episodes' gamma
threshold of 'all' (7.185739800388353 -> 7.185739774458694), and is identical key by key to cb34361's run in a
process with one thread of each (OMP_NUM_THREADS=1 ...), the numbers this tree gives wherever it runs.

The host's speed varies by more than the margin: three more runs the same evening (load 1.1-1.5) gave 4.18 ->
3.21, 4.16 -> 3.20 and 4.23 -> 3.22 s, the same work taking 5.35-5.38 s of CPU instead of 5.04 s; earlier that
day, 4.31 -> 3.33 and 4.34 -> 3.28 s. After over before stays at 0.74-0.77 in every run. Until 8cdc624 this
benchmark inherited PYTHONDONTWRITEBYTECODE from this machine's environment, so its warm-up wrote no bytecode and
every run compiled synchro's sources again (about 0.2 s); the figures above have bytecode, as a user's second run
does.

Where the time goes now: one run, wall seconds from the start, in the report's process and in its forked child
(time stamps around each phase, quiet machine)::

    0.00-0.29  python, click, numpy, synchro; the NWB file read (h5py)
    0.29-0.56  matplotlib imported, before the fork, for both processes
    0.56-0.92  numba's start (import, LLVM), before the fork, for both processes
    0.93-2.42  parent: scipy's fft, signal, stats, special, ndimage imported when first used (0.72 s), then
               rhythms, episodes, phase-amplitude coupling, phase locking, coherence, lag (0.78 s)
    0.93-2.30  child:  chi, STTC, SPIKE-synchronization, spike contrast, Fano (0.77 s), then the raster and
               STTC figures drawn as PNG and SVG (0.6 s)
    2.42-2.48  the child's answer read, the records written in order
    2.50-3.28  figures: parent coupling, episodes, mechanism (0.71 s); a second child spectra and rates (0.64 s)
    3.29       exit: without the interpreter's last garbage collection (gc.freeze in synchro.cli.run), 0.4 s less

What changed since cb34361, each with report.json identical: (1) the ``synchro`` script skips the final garbage
collection, which walked numba's, scipy's and matplotlib's objects for 0.4 s; (2) the child computes the whole
synchrony section (chi and Fano too), 0.77 s beside the parent's 0.78 s of analyses; (3) scipy's subpackages are
imported when first used (scipy's lazy loading) and chi's exponential kernel is a compiled one-pole recursion
(lfilter bit for bit), so the child never imports scipy and the parent's 0.72 s of scipy imports run beside the
child's work instead of before the fork; (4) the child draws the raster and STTC figures as soon as its indices are
done (``build_report(figures=True)``), so the figure phase has five figures to share, not seven.

Why it sits at 3 s: the work after the fork is near balanced (1.5 s against 1.37 s, then 0.71 against 0.64 s), and
per-process CPU sampled every 50 ms shows both cores busy from the fork to the end; so the wall time is the serial
part (0.8-0.85 s, one core) plus half of the CPU after the fork (4.1-4.5 s): 2.9-3.1 s, with the host's variation on
top. The serial part is what both processes need (python, numpy and synchro 0.15 s, the file 0.04 s, matplotlib 0.2
s, numba's start 0.3 s: its registries, which loading a cached kernel requires). What is left is CPU that the
report's outputs need: imports 1.5 s (scipy 0.72, numba 0.36, matplotlib 0.27; scipy.signal, needed to filter the
field and for Welch's window, imports scipy.stats, 0.29 s), figures 1.9 s (seven figures drawn twice, for PNG and
SVG), analyses 1.4 s. Measured and not done: without any SVG the median was 2.93 s (5 runs, against 3.31 s with them
in the same series), but issue #6 specifies PNG and SVG figures; without the SVG of the three image figures (raster,
STTC, episodes) 3.27 s, no gain, as those are drawn by the child while the parent's analyses are the longer path;
SVG text as text saves 0.06 s; the PNGs embedded in the SVGs cost 0.16 s at zlib's default level, 0.04 s at level 1,
but matplotlib offers no setting for it (and they are the child's, off the longer path); titles placed without
matplotlib's automatic placement save 0.085 s of drawing (PNGs identical on W1), but that placement is what keeps a
title clear of a y axis's offset text (a small modulation index); ending the process with os._exit after the atexit
handlers gave no measurable gain (medians of 10 alternated runs 3.11 and 3.13 s); a fork before numba's and
matplotlib's start would make both processes pay them; numba's kernels load from their cache in 3 ms each, 0.03-0.05
s a process; the garbage collector takes 0.08 s a process (a higher threshold gave no measurable gain).

On 2026-12-01 the same tree gave 2.99 s (03:09, load 0.4-0.9) and 3.05 s (03:27, load 0.7-1.1) against cb34361's
4.06 and 4.05 s. Where the CPU goes, measured that day (perf, one process tree, 5.4 s of CPU): the kernel's zeroing
of fresh pages, 0.3-0.45 s (numpy's temporaries of 4 MB or more on huge pages, matplotlib's canvases); the two
OpenBLAS libraries' idle threads spinning, 0.2 s, all but 0.015 s of it before the fork (numpy's after its import,
scipy's after numba's start loads it), where the second core is idle anyway; scipy.stats's import alone 0.42 s of
the parent's scipy imports (docstrings formatted at import, scipy.constants). Measured and not done, each with its
CPU saving (medians of 5 to 8 runs, alternated): matplotlib reads its font file through Python's file object at
every glyph it loads (DejaVuSans.ttf, 0.7 MB, read 75 times over: 11,600 reads and 25,400 seeks) and fonts loaded
from memory save 0.15 s, but only by replacing matplotlib's private font cache; glibc's malloc keeping freed blocks
(GLIBC_TUNABLES mmap and trim thresholds of 32 and 128 MB: 150,000 page faults down to 100,000) saves 0.08 s, within
the noise, and only from the environment before the process starts; numpy without huge pages
(NUMPY_MADVISE_HUGEPAGE=0) costs 0.15 s more; text drawn without hinting saves 0.04 s and changes the PNGs. Every
saving open without replacing or copying part of another library is under 0.1 s of CPU, 0.05 s of wall time.

On 2026-12-01 at 04:13 (load 0.4-0.9): 4.06 -> 3.04 s (CPU 5.04 s). A different split between the two processes was
measured and not done: the rhythms computed by the child, which then draws the spectra, would spare the child scipy's
signal and stats (0.4 s) only with a numpy Hann window and scipy.special's chi-square quantile (both checked bit for
bit against scipy.signal.get_window and scipy.stats.chi2.ppf); the child's analyses then took 1.20 s against the
parent's 1.05 s, and with the figures shared as well as they divide, each process keeps about 2.05 s of work after
the fork against 2.12 s now: under 0.1 s of wall time. The work after the fork (4.0-4.1 s of CPU) is what sets W1's
time; where it is split only moves it.

On 2026-12-01 on a second machine of the same kind (2 cores, the same work taking 5.4-5.7 s of CPU against 5.0-5.4
s), two runs at 05:40 (load 0.5-1.2): 4.32 -> 3.16 s and 4.41 -> 3.32 s, after over before 0.73 and 0.75 as on the
first. Its timeline (three runs): the fork at 0.82-0.98 s, the parent's analyses end at 2.21-2.53 s and the child's
0.13-0.18 s sooner, then figures 0.74-0.76 s in the parent against 0.67-0.70 s in the second child: as on the
first machine, any split evens the two by 0.1 s at most (3.05-3.2 s here). Per figure, PNG and SVG (seconds, best
of two, one process): spectra 0.53 (its log axes' ticks 0.19 and three legends 0.14 of it), STTC 0.30, mechanism
0.26, coupling 0.22, episodes 0.22, raster 0.14, rates 0.09. scipy.signal imports scipy.stats for one function of
its peak finding (``scoreatpercentile``, not used here), and no option of scipy's skips it: timed after numpy,
matplotlib and numba are imported, scipy.stats takes 0.33 s and scipy.signal 0.07 s more (the 0.42 s above was
perf's count inside one report, on the first machine).
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

from synchro.cluster import ONE_THREAD  # noqa: E402

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


def run_once(tree: Path, path: Path, out: Path, threads: dict | None = None) -> tuple[float, float, float]:
    """Wall, CPU (user + sys, forked children included) and the main process's own CPU seconds of one fresh
    ``synchro analyze``. The main process's CPU is the critical path: about the wall time on two otherwise idle
    cores, when the children's share is not the longer one."""
    usage = out.parent / "rusage.json"
    # Without PYTHONDONTWRITEBYTECODE (set on some machines, this one included): the warm-up run must write the
    # bytecode it claims to fill, as a user's first run does.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(MPLBACKEND="Agg", PYTHONPATH=str(tree), BENCH_W1_RUSAGE=str(usage), **(threads or {}))
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
    parser.add_argument("--against", default="cb34361", help="commit measured beside this tree")
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
            # This tree's analyses run their FFTs and BLAS products on one thread wherever they run (FFT_WORKERS,
            # one_blas_thread in synchro.core.compiled); the previous commit gives those numbers where its process
            # has one thread of each (as on a dask worker), and differs in their last digits elsewhere.
            run_once(old, path, tmp / "one-thread", threads=ONE_THREAD)
            one_thread = json.loads((tmp / "one-thread" / "report.json").read_text())
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
    for label, doc in ((f"{args.against}'s", before), (f"{args.against}'s in a process with one thread "
                                                       f"({' '.join(f'{k}={v}' for k, v in ONE_THREAD.items())})",
                                                       one_thread)):
        diff = differences(doc, after)
        print(f"report.json against {label}: " + ("identical key by key (timings, versions, generator, input path "
              "left out)" if not diff else f"{len(diff)} differences\n  " + "\n  ".join(diff[:20])))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
