"""Benchmark: rhythm episodes, E-I timing and phase-amplitude coupling on the 1000-unit, 10 s network, beside peers.

Workload (issue 17): the Izhikevich (2003) network as published (net.m scheme), 1000 units, 10 s, seed 1
(``benchmarks/bench_analyze.py`` writes it as ``net10.nwb``; give its path, default ``/work/w1/net10.nwb``);
populations all, exc and inh; bands alpha (8-13 Hz) and gamma (30-80 Hz); 0.2 s discarded, as the report does.

synchro, the steps ``synchro analyze`` runs: ``rhythm_episodes`` per population (rate spectrum, each band's
aperiodic background fitted without the band, Morlet maps, thresholds calibrated on 60 null series of 10 s);
``population_lag`` of inh behind exc in both bands (1000 block-bootstrap draws); ``phase_amplitude_coupling``
alpha -> gamma per population (200 amplitude-shift surrogates). The peers on the same 1 ms population rates,
doing less: neurodsp 2.3.0's ``detect_bursts_dual_threshold`` (thresholds (1, 2) times the median amplitude,
3 cycles; no background, no calibrated threshold); tensorpac 0.6.5's Tort index (``Pac(idpac=(2, 0, 0))``) with
200 permutations (the envelope of all units: it does not remove the Poisson noise); ``scipy.signal.correlate``
of the band-passed rates (a lag without an interval). The two alternate over rounds; printed: every round, the
best of each and the ratio of the bests, and the median of the round-by-round ratios.

With ``--against REV``, the budget itself: ``synchro analyze`` of the network, figures included, in fresh
processes, alternating this tree and REV (checked out in a temporary git worktree), 5 rounds after one that
fills caches, medians compared.

Budget (issue 17): episodes + E-I timing + PAC add at most 1 s to ``synchro analyze`` of this network.

Measured (2 cores, quiet): the three steps, all populations and bands, best 0.357 s, median 0.365 s; the peers
0.032 s; ratio of the bests 11.3, median of the round ratios 10.9 (the peers fit no background, calibrate no
threshold and give no interval). Their budget, measured on main after issue 18's second process (2 cores, load
1): ``benchmarks/bench_w1.py --against REV``, REV being the same tree with the three steps left out of
``synchro/report/_analyses.py`` (a measurement-only commit), median of 7 fresh processes: 3.82 -> 4.25 s
(+0.43 s) with the second process, 4.52 -> 5.47 s (+0.95 s) with ``SYNCHRO_NO_FORK=1``. ``--against 29fa509``
(main before the report ran them, one process) gave +0.57 to +0.69 s under load in an earlier session, but
+1.37 to +1.61 s on a quiet machine for the trees of 1c84531 and 1da81a2 (cause not found: the three steps and
their two figures take about 0.9 s of CPU in one process); the same-tree comparison above isolates the three steps.

Run: ``.venv/bin/python benchmarks/bench_mechanism.py [path] [rounds] [--against REV]``.
"""

import statistics
import sys
import time
import warnings

import numpy as np

from synchro import io
from synchro.episodes import rhythm_episodes
from synchro.lag import population_lag
from synchro.rhythms import phase_amplitude_coupling
from synchro.spectral import population_rate

POPULATIONS = (None, "exc", "inh")
BANDS = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}


def run_synchro(data, seed):
    t = time.perf_counter()
    out = [rhythm_episodes(data, discard=0.2, population=pop, rng=seed) for pop in POPULATIONS]
    steady = data.restrict(data.t_start + 0.2, data.t_stop)
    out += [population_lag(steady, populations=("exc", "inh"), band=band, rng=seed) for band in BANDS.values()]
    out += [phase_amplitude_coupling(steady, phase_band=BANDS["alpha"], amplitude_band=BANDS["gamma"],
                                     population=pop, rng=seed) for pop in POPULATIONS]
    return time.perf_counter() - t, out


def run_peers(data):
    from neurodsp.burst import detect_bursts_dual_threshold
    from scipy.signal import butter, correlate, sosfiltfilt
    from tensorpac import Pac

    t = time.perf_counter()
    out = []
    restricted = data.restrict(data.t_start + 0.2, data.t_stop)
    rates = {pop: population_rate(restricted, population=pop).rate for pop in POPULATIONS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rate in rates.values():
            for band in BANDS.values():
                out.append(detect_bursts_dual_threshold(rate, 1000.0, (1.0, 2.0), band, min_n_cycles=3))
        for band in BANDS.values():
            sos = butter(4, band, btype="bandpass", fs=1000.0, output="sos")
            a, b = (sosfiltfilt(sos, rates[p] - rates[p].mean()) for p in ("exc", "inh"))
            out.append(np.argmax(correlate(b, a, mode="same")))
        pac = Pac(idpac=(2, 0, 0), f_pha=list(BANDS["alpha"]), f_amp=list(BANDS["gamma"]), verbose=False)
        for rate in rates.values():
            out.append(pac.filterfit(1000.0, rate[None], n_perm=200, random_state=0, verbose=False))
    return time.perf_counter() - t, out


def end_to_end(path, against, rounds=5):
    """Median wall time of ``synchro analyze`` (figures included) in fresh processes, this tree against ``against``."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(here), "worktree", "add", "-q", "--detach", str(old), against], check=True)
        try:
            times = {str(here): [], str(old): []}
            for r in range(rounds + 1):
                for tree in times:
                    t = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "synchro.cli", "analyze", path, "-q", "--overwrite", "-o",
                                    str(Path(tmp) / f"r{r}")], check=True, cwd=tmp,
                                   env={**os.environ, "PYTHONPATH": tree, "MPLBACKEND": "Agg"})
                    if r:  # the first round fills numba's and the OS's caches
                        times[tree].append(time.perf_counter() - t)
        finally:
            subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force", str(old)], check=True)
    new, base = (statistics.median(v) for v in times.values())
    print(f"synchro analyze, median of {rounds}: this tree {new:.2f} s, {against} {base:.2f} s, "
          f"added {new - base:+.2f} s")


def main(path="/work/w1/net10.nwb", rounds=7):
    data = io.read(path).spikes
    print(f"workload: {data.n_units} units, {data.n_spikes} spikes, {data.duration:g} s; populations all, exc, inh; "
          "alpha and gamma")
    run_synchro(data, 0)  # numba kernels and FFT plans warmed
    run_peers(data)
    ours, peer, ratios = [], [], []
    for r in range(rounds):
        a, res = run_synchro(data, 1000 + r)
        b, _ = run_peers(data)
        ours.append(a)
        peer.append(b)
        ratios.append(a / b)
        print(f"round {r}: synchro {a:.3f} s, peers {b:.3f} s, ratio {a / b:.2f}")
    for pop, res_pop in zip(("all", "exc", "inh"), res):
        print(f"{pop}: " + "; ".join(b.sentence() for b in res_pop.bands))
    for lag in res[3:5]:
        print(lag.summary())
    for pac in res[5:]:
        print(pac.summary())
    print(f"best: synchro {min(ours):.3f} s, peers {min(peer):.3f} s, ratio {min(ours) / min(peer):.2f}; "
          f"median of round ratios {statistics.median(ratios):.2f}; synchro median {np.median(ours):.3f} s")


if __name__ == "__main__":
    args = sys.argv[1:]
    against = args.pop(args.index("--against") + 1) if "--against" in args else None
    args = [a for a in args if a != "--against"]
    path = args[0] if args else "/work/w1/net10.nwb"
    main(path, *(int(a) for a in args[1:2]))
    if against:
        end_to_end(path, against)
