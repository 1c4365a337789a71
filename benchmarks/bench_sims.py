"""Speed of the 2003 network (1000 neurons, 10 s, net.m scheme): Brian2 numpy, Brian2 cython, plain numpy loop.

The loop is the independent implementation of net.m from tests/test_sims_netm.py. As in net.m, its time
includes drawing the noise (``randn`` each ms, here numpy's Generator as in sims); the loop fed with noise
drawn beforehand is shown too. Brian2 times are the run alone (``run_wall_time_s``) and with network
construction; cython's compilation is timed apart on a short run first, into an empty cache (later runs of
sims reuse brian2's per-user cache). Every time is the best of ``--repeats`` runs, because a shared machine
slows single runs by up to 40 %. Also times the 2007 forum network with the current decaying on the neuron
side and on the synapse side.

Run: .venv/bin/python benchmarks/bench_sims.py [--duration 10] [--repeats 3]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from brian2 import prefs

import sims
from sims.izhikevich2003 import draw_network

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_sims_netm import netm_loop  # noqa: E402


def timed(f, *args, **kwargs):
    start = time.perf_counter()
    result = f(*args, **kwargs)
    return result, time.perf_counter() - start


def best_of(repeats, f, *args, **kwargs):
    """(result, best wall time) over ``repeats`` calls."""
    runs = [timed(f, *args, **kwargs) for _ in range(repeats)]
    return runs[0][0], min(t for _, t in runs)


def loop_drawing_noise(net, n_ms, seed):
    """net.m as published: the noise of each ms is drawn as the loop goes (drawn in one block: same cost)."""
    noise = np.random.default_rng(seed).standard_normal((n_ms, net["sigma"].size)) * net["sigma"]
    return netm_loop(net["a"], net["b"], net["c"], net["d"], net["weights"], noise)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="simulated seconds (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, best kept (default 3)")
    args = parser.parse_args()
    duration, repeats = args.duration, args.repeats
    n_ms = int(round(duration * 1000))

    net = draw_network(1000, rng=np.random.default_rng(0))
    (steps, _), t_loop = best_of(repeats, loop_drawing_noise, net, n_ms, 1)
    noise = np.random.default_rng(1).standard_normal((n_ms, 1000)) * net["sigma"]
    _, t_loop_given = best_of(repeats, netm_loop, net["a"], net["b"], net["c"], net["d"], net["weights"], noise)

    # Compile into an empty cache so that the compile time is measured, not a cache hit.
    cache = tempfile.TemporaryDirectory(prefix="bench_sims_cython_")
    prefs.codegen.runtime.cython.cache_dir = cache.name
    _, t_compile = timed(sims.izhikevich2003, duration=0.01, codegen="cython")
    rows = [("numpy loop (net.m)", t_loop, t_loop, steps.size)]
    rows.append(("  noise given to it", t_loop_given, t_loop_given, steps.size))
    for target in ("numpy", "cython"):
        runs = [timed(sims.izhikevich2003, duration=duration, seed=0, codegen=target) for _ in range(repeats)]
        rec = runs[0][0]
        rows.append((f"Brian2 {target}", min(r.metadata["run_wall_time_s"] for r, _ in runs),
                     min(t for _, t in runs), rec.spikes.n_spikes))

    print(f"Izhikevich 2003, 1000 neurons, {duration:g} s, net.m scheme, best of {repeats} (cython compile on an "
          f"empty cache + first build: {t_compile:.1f} s, not counted below)")
    print(f"{'implementation':<22}{'run s':>9}{'total s':>10}{'spikes':>9}{'run / loop':>12}")
    for name, run, total, n_spikes in rows:
        print(f"{name:<22}{run:>9.2f}{total:>10.2f}{n_spikes:>9d}{run / t_loop:>12.2f}")
    cython_ratio = rows[-1][1] / t_loop
    print(f"target: Brian2 cython run within 1.5x of the loop -> {cython_ratio:.2f}x "
          f"({'met' if cython_ratio <= 1.5 else 'not met'}); against the loop given its noise: "
          f"{rows[-1][1] / t_loop_given:.2f}x")

    print(f"\nIzhikevich 2007 forum network, 125 neurons, {min(duration, 2.0):g} s, dt 0.1 ms, numpy target")
    for location in ("neuron", "synapse"):
        rec, total = timed(sims.izhikevich2007, duration=min(duration, 2.0), psc_location=location)
        print(f"PSC on the {location:<8} run {rec.metadata['run_wall_time_s']:6.2f} s  total {total:6.2f} s  "
              f"spikes {rec.spikes.n_spikes}")
    cache.cleanup()


if __name__ == "__main__":
    main()
