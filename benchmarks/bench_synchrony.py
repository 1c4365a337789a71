"""Speed of synchro.synchrony and synchro.coupling beside elephant and PySpike, in one run.

Workload: 1000 units, 10 s, inhomogeneous Poisson at 7 Hz mean whose rate
is modulated at 40 Hz (about 70k spikes), and a 1 kHz field (40 Hz cosine
plus noise). Our times are measured after a warm-up call (numba compiles
once per machine and caches on disk; the compile time is printed apart).
elephant's STTC (about 2,600 s for all pairs) is timed on a random sample of
pairs and scaled to all 499,500 pairs; every other peer call runs in full.

Run: ``.venv/bin/python benchmarks/bench_synchrony.py``
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from synchro import Signal, SpikeData
from synchro.coupling import phase_locking, spike_field_coherence
from synchro.spectral import Welch
from synchro.synchrony import (
    correlation_matrix,
    golomb_chi,
    kuramoto_order,
    spike_contrast,
    spike_sync_matrix,
    sttc_matrix,
)

N_UNITS, DURATION, RATE, FS = 1000, 10.0, 7.0, 1000.0
STTC_SAMPLE = 200


def workload(seed: int = 0):
    rng = np.random.default_rng(seed)
    # Thinning: candidates at the peak rate, kept with probability rate(t) / peak.
    peak = 1.5 * RATE
    n = rng.poisson(peak * DURATION, N_UNITS)
    times = rng.uniform(0, DURATION, n.sum())
    keep = rng.random(times.size) < (1 + 0.5 * np.cos(2 * np.pi * 40 * times)) / 1.5
    unit = np.repeat(np.arange(N_UNITS), n)
    times, unit = times[keep], unit[keep]
    order = np.lexsort((times, unit))
    data = SpikeData.from_arrays(times[order], unit[order], t_stop=DURATION, n_units=N_UNITS)
    t = np.arange(int(DURATION * FS)) / FS
    field = Signal(np.cos(2 * np.pi * 40 * t) + rng.normal(0, 1, t.size), FS, name="LFP")
    return data, field


def timed(fn, repeat: int = 1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def row(name: str, ours: float, peer: float | None, peer_name: str, note: str = "") -> None:
    if peer is None:
        print(f"{name:<34} {ours:9.3f} s   {'-':>12}   {'-':>8}   no peer implementation {note}")
    else:
        print(f"{name:<34} {ours:9.3f} s   {peer:10.3f} s   {peer / ours:7.0f}x   {peer_name} {note}")


def main() -> None:
    import neo
    import pyspike
    import quantities as pq
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient, spike_time_tiling_coefficient
    from elephant.spike_train_synchrony import spike_contrast as elephant_contrast
    from elephant.sta import spike_field_coherence as elephant_sfc

    data, field = workload()
    print(f"workload: {data.n_units} units, {data.n_spikes} spikes, {data.duration:g} s; field {field.fs:g} Hz")
    trains = data.trains()
    sts = [neo.SpikeTrain(t, t_stop=DURATION, units="s") for t in trains]

    small = data.select_units(np.arange(20))
    t0 = time.perf_counter()
    sttc_matrix(small, n_surrogates=0)
    spike_sync_matrix(small)
    kuramoto_order(small)
    print(f"numba compile or cache load (first calls): {time.perf_counter() - t0:.2f} s\n")
    print(f"{'measure':<34} {'synchro':>11}   {'peer':>12}   {'ratio':>8}")

    ours, _ = timed(lambda: sttc_matrix(data, n_surrogates=0), 3)
    rng = np.random.default_rng(1)
    pairs = rng.choice(N_UNITS, size=(STTC_SAMPLE, 2))
    t0 = time.perf_counter()
    for i, j in pairs:
        spike_time_tiling_coefficient(sts[i], sts[j], dt=0.005 * pq.s)
    peer = (time.perf_counter() - t0) / STTC_SAMPLE * N_UNITS * (N_UNITS - 1) / 2
    row("STTC, all 499,500 pairs", ours, peer, "elephant", f"(estimated from {STTC_SAMPLE} pairs)")

    ours, _ = timed(lambda: spike_sync_matrix(data), 3)
    ps = [pyspike.SpikeTrain(t, edges=(0.0, DURATION)) for t in trains]
    peer, _ = timed(lambda: pyspike.spike_sync_matrix(ps))
    row("SPIKE-sync matrix", ours, peer, "PySpike")

    ours, _ = timed(lambda: spike_contrast(data), 3)
    peer, _ = timed(lambda: elephant_contrast(sts))
    row("spike contrast", ours, peer, "elephant")

    ours, _ = timed(lambda: correlation_matrix(data), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer, _ = timed(lambda: correlation_coefficient(BinnedSpikeTrain(sts, bin_size=1 * pq.ms)))
    row("correlation matrix, 1 ms bins", ours, peer, "elephant")

    ours_sfc, _ = timed(lambda: spike_field_coherence(data, field, estimator=Welch(nperseg=256)), 3)
    asig = neo.AnalogSignal(field.data, units="mV", sampling_rate=FS * pq.Hz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer, _ = timed(lambda: [elephant_sfc(asig, st, nperseg=256) for st in sts])
    row("SFC, every unit (Welch)", ours_sfc, peer, "elephant")
    ours_ppc, _ = timed(lambda: phase_locking(data, field, band=(30, 50)), 3)
    row("PLV/PPC0/PPC1/Rayleigh, every unit", ours_ppc, None, "", "(elephant has no PPC)")
    print(f"{'SFC + PPC, every unit':<34} {ours_sfc + ours_ppc:9.3f} s")

    ours, _ = timed(lambda: golomb_chi(data, n_surrogates=0), 3)
    row("Golomb chi (1 kHz, exp 10 ms)", ours, None, "")
    ours, _ = timed(lambda: kuramoto_order(data), 3)
    row("Kuramoto order (1 ms grid)", ours, None, "")


if __name__ == "__main__":
    main()
