"""``synchro analyze`` on the Izhikevich (2003) network, 1000 units, 10 s, with its field: wall time, imports included.

Simulates the network once (sims, netm scheme, numpy code generation) into a
temporary NWB file, then times the command line as a subprocess, three ways:
the full report (figures included), without figures, and without the
synchrony indices' chance levels (``--synchrony-surrogates 0``, the default
before schema 3.0), which prices the 20 circular shifts of every index.
Printed beside it, the peer route for the same questions on the
``all`` population with elephant and PySpike, WITHOUT any surrogate test
(so it understates the peer's cost): binned rate and Welch spectrum, spike
contrast, STTC of all pairs, SPIKE-synchronization of all pairs, and
spike-field coherence of every unit. Peer parts that would take minutes are
timed on a sample and scaled (pairs: by the pair count; units: by the unit
count), as stated on each line. Target: the full report under 10 s.

Measured (2 cores shared with other jobs, load 3-5): the chance level, z and
p of every synchrony index (20 circular shifts per index and population,
STTC and SPIKE-synchronization nulls on 1000 sampled pairs) against the
report without them, ``synchro analyze W1.nwb -q -o OUT`` (figures
included), 5 fresh processes of each, alternated in one run:

=====================================  ===========  ==========
tree                                   median wall  median CPU
=====================================  ===========  ==========
main at 0179ea3 (no chance levels)     6.05 s       5.31 s
chance levels by default (schema 3.0)  6.98 s       6.04 s
=====================================  ===========  ==========

Budget: main's time plus 2 s. On the ``all`` population (1000 units, 70k
spikes; best of 3, in one process) 20 surrogates add 12 ms to chi (only the
population trace is rebuilt per shift), 32 ms to STTC and 33 ms to
SPIKE-synchronization (1000 null pairs), 9 ms to the Fano factor and 390 ms
to spike contrast (its whole curve per surrogate): about 0.95 s over the
three populations. Spike contrast's bins, now one pass per size over the
spikes in time order, made the index itself 8x faster (154 to 19 ms), which
pays back about 0.25 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def simulate(folder: Path) -> Path:
    import sims
    from synchro import io

    rec = sims.simulate("izhikevich2003", scheme="netm", duration=10.0, rng=1, codegen="numpy")
    return io.write_nwb(rec, folder / "net10.nwb")


def time_cli(path: Path, out: Path, *extra: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "analyze", str(path), "-q", "-o", str(out), *extra],
                          capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return wall, json.loads((out / "report.json").read_text())


def peer(path: Path) -> list[tuple[str, float, str]]:
    import neo
    import pyspike
    import quantities as pq
    from elephant.spectral import welch_psd
    from elephant.spike_train_correlation import spike_time_tiling_coefficient
    from elephant.spike_train_synchrony import spike_contrast
    from elephant.sta import spike_field_coherence
    from elephant.statistics import time_histogram

    from synchro import io

    rec = io.read(path)
    data = rec.spikes.restrict(0.2, None)
    t0, t1 = data.t_start, data.t_stop
    trains = [neo.SpikeTrain(t, units="s", t_start=t0, t_stop=t1) for t in data.trains()]
    n = len(trains)
    rows = []

    def timed(label, fn, scale=1.0, note="measured"):
        start = time.perf_counter()
        fn()
        rows.append((label, (time.perf_counter() - start) * scale, note))

    def spectrum():
        hist = time_histogram(trains, bin_size=1 * pq.ms)
        welch_psd(hist.magnitude.ravel(), fs=1000.0, frequency_resolution=1.0)

    timed("elephant time_histogram + welch_psd", spectrum)
    timed("elephant spike_contrast", lambda: spike_contrast(trains, t_start=t0 * pq.s, t_stop=t1 * pq.s))
    gen = np.random.default_rng(0)
    pairs = [tuple(gen.choice(n, 2, replace=False)) for _ in range(100)]
    n_pairs = n * (n - 1) // 2
    timed("elephant STTC, all pairs", lambda: [spike_time_tiling_coefficient(trains[i], trains[j]) for i, j in pairs],
          n_pairs / len(pairs), f"100 pairs x {n_pairs / 100:g}")
    sample = 100
    ps = [pyspike.SpikeTrain(np.asarray(t), edges=(t0, t1)) for t in data.trains()[:sample]]
    scale = n_pairs / (sample * (sample - 1) / 2)
    timed("PySpike spike_sync_matrix, all pairs", lambda: pyspike.spike_sync_matrix(ps), scale,
          f"{sample} trains x {scale:.0f} (pair count)")
    field = rec.signals["field_proxy"].restrict(t0, t1)
    lfp = neo.AnalogSignal(field.data[:, 0], units="dimensionless", sampling_rate=field.fs * pq.Hz,
                           t_start=field.t_start * pq.s)
    few = 20
    timed("elephant spike_field_coherence, every unit",
          lambda: [spike_field_coherence(lfp, trains[i], nperseg=1024) for i in range(few)], n / few,
          f"{few} units x {n / few:g}")
    return rows


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        path = simulate(tmp)
        print(f"network simulated and written in {time.perf_counter() - t0:.1f} s: {path.stat().st_size / 1e6:.1f} MB")
        time_cli(path, tmp / "warm", "--no-figures")  # numba's on-disk cache is filled once per machine
        full, doc = time_cli(path, tmp / "full")
        bare, _ = time_cli(path, tmp / "bare", "--no-figures")
        no_chance, _ = time_cli(path, tmp / "sync", "--synchrony-surrogates", "0", "--no-figures")
        peers = peer(path)
    steps = sorted(((f"{t['analysis']} ({t['population']})", t["seconds"]) for t in doc["timings"]),
                   key=lambda kv: -kv[1])[:8]
    print(f"\n1000 units, {doc['input']['spikes']} spikes, 9.8 s analysed, populations all/exc/inh, "
          f"{doc['parameters']['n_surrogates']} surrogates per band test")
    print(f"{'synchro analyze, full report (figures)':<48s}{full:8.2f} s   target < 10 s")
    print(f"{'synchro analyze, --no-figures':<48s}{bare:8.2f} s")
    print(f"{'synchro analyze, --synchrony-surrogates 0 --no-figures':<48s}{no_chance:8.2f} s")
    print("slowest steps inside the run: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps))
    print("\npeer (all units only, no surrogate tests):")
    for label, seconds, note in peers:
        print(f"  {label:<46s}{seconds:9.2f} s   ({note})")
    total = sum(s for _, s, _ in peers)
    print(f"{'peer total, one population, no tests':<48s}{total:8.2f} s")
    print(f"{'ratio peer / synchro (full report)':<48s}{total / full:8.1f} x")


if __name__ == "__main__":
    main()
