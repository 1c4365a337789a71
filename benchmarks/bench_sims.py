"""Speed of the 2003 network (1000 neurons, 10 s, net.m scheme): Brian2 numpy, Brian2 cython, plain numpy loop.

The loop is the independent implementation of net.m from tests/test_sims_netm.py. As in net.m, its time
includes drawing the noise (``randn`` each ms, here numpy's Generator as in sims); the loop fed with noise
drawn beforehand is shown too. Brian2 times are the run alone (``run_wall_time_s``) and with network
construction; cython's compilation is timed apart on a short run first, into an empty cache (later runs of
sims reuse brian2's per-user cache). The four run in rounds, ``--repeats`` times; each is reported as its best
run, and the cython/loop ratio also round by round, because this shared machine's speed drifts by up to 40 %
over minutes. Also times the 2007 forum network with the current decaying on the neuron
side and on the synapse side.

Run: .venv/bin/python benchmarks/bench_sims.py [--duration 10] [--repeats 5]
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


class NoiseDrawnEachMs:
    """net.m's ``I = [5 randn(Ne,1); 2 randn(Ni,1)]``: row t is drawn when the loop asks for it (no 80 MB block)."""

    def __init__(self, sigma, n_ms, seed):
        self.sigma, self.shape, self.rng = sigma, (n_ms, sigma.size), np.random.default_rng(seed)

    def __getitem__(self, t):
        return self.rng.standard_normal(self.sigma.size) * self.sigma


def loop_drawing_noise(net, n_ms, seed):
    """net.m as published, drawing the noise of each ms as the loop goes."""
    noise = NoiseDrawnEachMs(net["sigma"], n_ms, seed)
    return netm_loop(net["a"], net["b"], net["c"], net["d"], net["weights"], noise)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="simulated seconds (default 10)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds (default 5)")
    args = parser.parse_args()
    duration, repeats = args.duration, args.repeats
    n_ms = int(round(duration * 1000))

    net = draw_network(1000, rng=np.random.default_rng(0))
    noise = np.random.default_rng(1).standard_normal((n_ms, 1000)) * net["sigma"]

    # Compile into an empty cache so that the compile time is measured, not a cache hit.
    cache = tempfile.TemporaryDirectory(prefix="bench_sims_cython_")
    prefs.codegen.runtime.cython.cache_dir = cache.name
    _, t_compile = timed(sims.izhikevich2003, duration=0.01, codegen="cython")

    # Rounds of all four, so that each ratio compares runs made within seconds of each other.
    names = ("numpy loop (net.m)", "  noise given to it", "Brian2 numpy", "Brian2 cython")
    runs = {name: [] for name in names}
    spikes = {}
    for _ in range(repeats):
        for name, loop in zip(names[:2], (lambda: loop_drawing_noise(net, n_ms, 1),
                                          lambda: netm_loop(net["a"], net["b"], net["c"], net["d"], net["weights"],
                                                            noise))):
            (steps, _), t = timed(loop)
            runs[name].append((t, t))
            spikes[name] = steps.size
        for name, target in zip(names[2:], ("numpy", "cython")):
            rec, total = timed(sims.izhikevich2003, duration=duration, rng=0, codegen=target)
            runs[name].append((rec.metadata["run_wall_time_s"], total))
            spikes[name] = rec.spikes.n_spikes
    best = {name: min(r for r, _ in runs[name]) for name in names}
    t_loop = best[names[0]]

    print(f"Izhikevich 2003, 1000 neurons, {duration:g} s, net.m scheme, best of {repeats} rounds (cython compile "
          f"on an empty cache + first build: {t_compile:.1f} s, not counted below)")
    print(f"{'implementation':<22}{'run s':>9}{'total s':>10}{'spikes':>9}{'run / loop':>12}   runs s")
    for name in names:
        total = min(t for _, t in runs[name])
        print(f"{name:<22}{best[name]:>9.2f}{total:>10.2f}{spikes[name]:>9d}{best[name] / t_loop:>12.2f}   "
              + ", ".join(f"{r:.2f}" for r, _ in runs[name]))
    paired = np.array([c / lp for (c, _), (lp, _) in zip(runs[names[3]], runs[names[0]])])
    ratio = best[names[3]] / t_loop
    print(f"target: Brian2 cython run within 1.5x of the loop -> best/best {ratio:.2f}x "
          f"({'met' if ratio <= 1.5 else 'not met'}); per round {', '.join(f'{x:.2f}' for x in paired)} "
          f"(median {np.median(paired):.2f}x); against the loop given its noise {best[names[3]] / best[names[1]]:.2f}x")

    print(f"\nIzhikevich 2007 forum network, 125 neurons, {min(duration, 2.0):g} s, dt 0.1 ms, numpy target")
    for location in ("neuron", "synapse"):
        rec, total = timed(sims.izhikevich2007, duration=min(duration, 2.0), psc_location=location)
        print(f"PSC on the {location:<8} run {rec.metadata['run_wall_time_s']:6.2f} s  total {total:6.2f} s  "
              f"spikes {rec.spikes.n_spikes}")
    cache.cleanup()


if __name__ == "__main__":
    main()
