"""Benchmark: rhythm episodes on the 1000-unit, 10 s network, beside neurodsp's burst detection.

Workload (issue 17): the Izhikevich (2003) network as published (net.m scheme), 1000 units, 10 s, seed 1
(``benchmarks/bench_analyze.py`` writes it as ``net10.nwb``; give its path, default ``/work/w1/net10.nwb``);
populations all, exc and inh; bands alpha (8-13 Hz) and gamma (30-80 Hz); 0.2 s discarded, as the report does.

``synchro.episodes.rhythm_episodes``: the rate spectrum and its aperiodic background (20 circular shifts for
the independent-units part), the Morlet map of each band and its threshold calibrated on 60 null series of
10 s (a fresh seed every round; the three populations of a round share it, as the report's one ``--seed``
would, and with it their null draws). The peer: neurodsp 2.3.0's
``detect_bursts_dual_threshold`` (thresholds (1, 2) times the median amplitude, 3 cycles) on the same
population rate (1 ms bins) for the same populations and bands, its rate included; it has no background
model and no calibrated threshold, so it does less. The two alternate over rounds; printed: every round, the
best of each and the ratio of the bests, and the median of the round-by-round ratios.

Budget (issue 17): episodes + E-I timing + PAC add at most 1 s to ``synchro analyze`` of this network; the
episodes' share should stay well under 0.5 s.

Measured (2 cores shared with other jobs, load 4.4), 7 rounds: synchro 0.214-0.255 s (best 0.214, median
0.236) for the three populations and both bands; neurodsp 0.015-0.023 s; ratio of the bests 14.5, median of
the round ratios 14.5. Episodes found: all and exc, alpha in 85-88 % of the recording (2-3 long episodes) and
gamma in 60-64 % (21 episodes of median 183 ms); inh, alpha 38 % (4 episodes), gamma 52 % (20 episodes of
median 154 ms).

Run: ``.venv/bin/python benchmarks/bench_episodes.py [path] [rounds]``.
"""

import statistics
import sys
import time
import warnings

import numpy as np

from synchro import io
from synchro.episodes import rhythm_episodes
from synchro.spectral import population_rate

POPULATIONS = (None, "exc", "inh")
BANDS = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}


def run_synchro(data, seed):
    t = time.perf_counter()
    out = [rhythm_episodes(data, discard=0.2, population=pop, rng=seed) for pop in POPULATIONS]
    return time.perf_counter() - t, out


def run_neurodsp(data):
    from neurodsp.burst import detect_bursts_dual_threshold

    t = time.perf_counter()
    out = []
    restricted = data.restrict(data.t_start + 0.2, data.t_stop)
    for pop in POPULATIONS:
        rate = population_rate(restricted, population=pop).rate
        for band in BANDS.values():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(detect_bursts_dual_threshold(rate, 1000.0, (1.0, 2.0), band, min_n_cycles=3))
    return time.perf_counter() - t, out


def main(path="/work/w1/net10.nwb", rounds=7):
    data = io.read(path).spikes
    print(f"workload: {data.n_units} units, {data.n_spikes} spikes, {data.duration:g} s; populations all, exc, inh; "
          "alpha and gamma")
    run_synchro(data, 0)  # numba kernels and FFT plans warmed
    run_neurodsp(data)
    ours, peer, ratios = [], [], []
    for r in range(rounds):
        a, res = run_synchro(data, 1000 + r)
        b, _ = run_neurodsp(data)
        ours.append(a)
        peer.append(b)
        ratios.append(a / b)
        print(f"round {r}: synchro episodes {a:.3f} s, neurodsp bursts {b:.3f} s, ratio {a / b:.2f}")
    for pop, res_pop in zip(("all", "exc", "inh"), res):
        print(f"{pop}: " + "; ".join(b.sentence() for b in res_pop.bands))
    print(f"best: synchro {min(ours):.3f} s, neurodsp {min(peer):.3f} s, ratio {min(ours) / min(peer):.2f}; "
          f"median of round ratios {statistics.median(ratios):.2f}; synchro median {np.median(ours):.3f} s")


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["/work/w1/net10.nwb"]), *(int(a) for a in sys.argv[2:3]))
