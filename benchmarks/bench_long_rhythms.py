"""Benchmark: the rhythm half of ``synchro analyze`` on W2 (1000 units x 1 h with a 1 kHz field), step by step.

Workload (issue 18): W2 from ``benchmarks/w2.py`` (800 exc and 200 inh units, about 1.9 x 10^7 spikes, a 40 Hz
rhythm, a 1 kHz LFP), as an NWB file: ``python benchmarks/w2.py W2.nwb``. Populations all, exc and inh; bands alpha
(8-13 Hz) and gamma (30-80 Hz); seed 0; the parameters ``synchro analyze`` uses.

Each step runs alone in a fresh process (``--step NAME``), which reads the file, then times the step and reports
its own wall time and the process's peak RSS (``getrusage``; the read's peak is reported apart):

* ``read``: :func:`synchro.io.read` of the NWB file (spikes, unit table, LFP);
* ``rates``: the population rate of each population;
* ``verdicts``: :func:`synchro.rhythms.band_verdicts` per population (rate spectrum, 200 circular-shift
  surrogate spectra, aperiodic fit, 200 bootstrap spectra);
* ``episodes``: :func:`synchro.episodes.rhythm_episodes` per population (Morlet maps of the 1 ms rate, 20 shifts
  for the independent-units background, calibrated thresholds);
* ``pac``: :func:`synchro.rhythms.phase_amplitude_coupling` alpha -> gamma per population (200 amplitude shifts);
* ``lag``: :func:`synchro.lag.population_lag` of inh behind exc in both bands (1000 block-bootstrap draws);
* ``coupling``: per population and band :func:`~synchro.coupling.phase_locking` and
  :func:`~synchro.coupling.spike_phases` against the LFP, and the pooled
  :func:`~synchro.coupling.spike_field_coherence`.

With ``--against REV`` each step also runs on REV (checked out in a temporary git worktree), alternating with this
tree, so the table reads before -> after. Never run the whole report of REV on W2 for comparison: before issue 18
it peaked at 22 GB.

Peers (``--peers``), doing less, on the first ``--sample`` seconds (default 300) and extrapolated linearly to the
whole duration: neurodsp's ``detect_bursts_dual_threshold`` on each population rate and band (episodes: no
background, no calibrated threshold); tensorpac's Tort index with 200 permutations per population (PAC);
``scipy.signal.correlate`` of the band-passed exc and inh rates (lag, no interval); elephant's
``spike_field_coherence`` of the pooled spikes against the LFP (coherence). Printed: synchro's step, the peer's
extrapolated time and their ratio.

Measured on 2 cores shared with other jobs (load 2-6; each before -> after pair alternated in one run, so the
pair is comparable, the absolute times are not a quiet machine's), on a W2-shaped file (1000 Poisson units x 1 h
at 5 Hz with 40 Hz episodes, 1.8 x 10^7 spikes, 1 kHz LFP), main 1c84531 -> this tree, three populations, peak RSS
of the step's process (the read alone: 0.3-2 s, 0.33 GB):

* verdicts 344.3 s -> 131.3 s (1.74 -> 1.50 GB);
* episodes 31.0 s -> 18.3 s (1.74 -> 1.49 GB);
* pac 52.8 s -> 20.8 s (1.22 -> 1.35 GB);
* lag 18.9 s -> 11.0 s (1.31 -> 1.41 GB);
* coupling: main's "all" population alone took 345 s at load 10 (on a 10 min sample, alternated: 15.2 s ->
  6.8 s); this tree 50.1 s for the three (2.24 GB).

Peers extrapolated from 300 s of the same file: neurodsp bursts 14.1 s (episodes ratio 1.3), tensorpac 13.3 s
(PAC ratio 1.6), scipy correlate 2.9 s (lag ratio 3.8: no bootstrap), elephant's coherence alone 37.3 s
(coupling ratio 1.3, for PPC, PLV, phases and coherence).

Run: ``.venv/bin/python benchmarks/bench_long_rhythms.py W2.nwb [--against REV] [--steps a,b|none] [--peers]
[--sample SECONDS]``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

STEPS = ("read", "rates", "verdicts", "episodes", "pac", "lag", "coupling")
BANDS = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def run_step(path: str, step: str) -> dict:
    """Read ``path`` and run one step; its wall time (s) and peak RSS (GB), and the read's."""
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    from synchro import io

    rec = io.read(path)
    data = rec.spikes
    read_s, read_gb = time.perf_counter() - t, _peak_gb()
    pops = {"all": data, "exc": data.select(population="exc"), "inh": data.select(population="inh")}
    field = rec.signals["LFP"]
    t = time.perf_counter()
    if step == "rates":
        from synchro.spectral import population_rate

        for sub in pops.values():
            population_rate(sub)
    elif step == "verdicts":
        from synchro.rhythms import band_verdicts

        for sub in pops.values():
            band_verdicts(sub, bands=BANDS, n_surrogates=200, rng=0)
    elif step == "episodes":
        from synchro.episodes import rhythm_episodes

        for sub in pops.values():
            rhythm_episodes(sub, bands=BANDS, rng=0)
    elif step == "pac":
        from synchro.rhythms import phase_amplitude_coupling

        for sub in pops.values():
            phase_amplitude_coupling(sub, phase_band=BANDS["alpha"], amplitude_band=BANDS["gamma"], n_surrogates=200,
                                     rng=0)
    elif step == "lag":
        from synchro.lag import population_lag

        for band in BANDS.values():
            population_lag(data, populations=("exc", "inh"), band=band, rng=0)
    elif step == "coupling":
        from synchro import coupling

        for sub in pops.values():
            for band in BANDS.values():
                coupling.phase_locking(sub, field, band=band, channel=0)
                coupling.spike_phases(sub, field, band=band, channel=0)
            coupling.spike_field_coherence(sub, field, channel=0, per_unit=False)
    elif step != "read":
        raise SystemExit(f"unknown step {step!r}; one of {STEPS}")
    return {"step": step, "seconds": time.perf_counter() - t, "peak_gb": _peak_gb(), "read_seconds": read_s,
            "read_peak_gb": read_gb}


def in_process(tree: str, path: str, step: str) -> dict:
    """:func:`run_step` in a fresh Python process with ``tree`` first on the path."""
    out = subprocess.run([sys.executable, __file__, path, "--step", step], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": tree, "MPLBACKEND": "Agg"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def peers(path: str, sample: float) -> dict:
    """The peers' time on the first ``sample`` seconds, extrapolated linearly to the whole duration (s)."""
    import numpy as np
    from elephant.sta import spike_field_coherence
    from neo import AnalogSignal, SpikeTrain
    from neurodsp.burst import detect_bursts_dual_threshold
    from quantities import Hz, s
    from scipy.signal import butter, correlate, sosfiltfilt
    from tensorpac import Pac

    from synchro import io
    from synchro.spectral import population_rate

    warnings.simplefilter("ignore")
    rec = io.read(path)
    data = rec.spikes.restrict(rec.spikes.t_start, rec.spikes.t_start + sample)
    scale = rec.spikes.duration / data.duration
    rates = {pop: population_rate(data, population=pop).rate for pop in (None, "exc", "inh")}
    out = {}
    t = time.perf_counter()
    for rate in rates.values():
        for band in BANDS.values():
            detect_bursts_dual_threshold(rate, 1000.0, (1.0, 2.0), band, min_n_cycles=3)
    out["episodes"] = (time.perf_counter() - t) * scale
    t = time.perf_counter()
    pac = Pac(idpac=(2, 0, 0), f_pha=list(BANDS["alpha"]), f_amp=list(BANDS["gamma"]), verbose=False)
    for rate in rates.values():
        pac.filterfit(1000.0, rate[None], n_perm=200, random_state=0, verbose=False)
    out["pac"] = (time.perf_counter() - t) * scale
    t = time.perf_counter()
    for band in BANDS.values():
        sos = butter(4, band, btype="bandpass", fs=1000.0, output="sos")
        a, b = (sosfiltfilt(sos, rates[p] - rates[p].mean()) for p in ("exc", "inh"))
        np.argmax(correlate(b, a, mode="same"))
    out["lag"] = (time.perf_counter() - t) * scale
    field = rec.signals["LFP"].restrict(data.t_start, data.t_stop)
    lfp = AnalogSignal(field.channel(0), units="uV", sampling_rate=field.fs * Hz, t_start=field.t_start * s)
    pooled = SpikeTrain(np.sort(np.asarray(data.times)) * s, t_start=data.t_start * s, t_stop=data.t_stop * s)
    t = time.perf_counter()
    for _ in rates:  # three populations, as synchro's coupling step
        spike_field_coherence(lfp, pooled, window="hann", nperseg=1000)
    out["coupling (coherence only)"] = (time.perf_counter() - t) * scale
    return out


def main(argv: list[str]) -> None:
    args = list(argv)
    if "--step" in args:
        i = args.index("--step")
        print(json.dumps(run_step(args[0], args[i + 1])))
        return
    against = args.pop(args.index("--against") + 1) if "--against" in args else None
    steps = args.pop(args.index("--steps") + 1).split(",") if "--steps" in args else list(STEPS)
    steps = [s for s in steps if s != "none"]  # --steps none --peers: the peers alone
    sample = float(args.pop(args.index("--sample") + 1)) if "--sample" in args else 300.0
    with_peers = "--peers" in args
    args = [a for a in args if not a.startswith("--")]
    path = args[0]
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": str(here)}
        if against:
            old = Path(tmp) / "old"
            subprocess.run(["git", "-C", str(here), "worktree", "add", "-q", "--detach", str(old), against], check=True)
            trees[against] = str(old)
        try:
            rows = []
            for step in steps:
                got = {name: in_process(tree, path, step) for name, tree in reversed(trees.items())}
                rows.append((step, got))
                parts = [f"{name}: {r['seconds']:.1f} s, peak {r['peak_gb']:.2f} GB" for name, r in got.items()]
                read = got["this tree"]
                print(f"{step:<9} " + " | ".join(parts) + f"  (read {read['read_seconds']:.1f} s, "
                      f"{read['read_peak_gb']:.2f} GB)", flush=True)
        finally:
            if against:
                subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force", str(old)], check=True)
    if rows:
        total = sum(r["this tree"]["seconds"] for step, r in rows if step != "read")
        print(f"this tree, all steps but the read: {total:.1f} s; highest peak "
              f"{max(r['this tree']['peak_gb'] for _, r in rows):.2f} GB")
    if with_peers:
        ours = {step: r["this tree"]["seconds"] for step, r in rows}
        for step, seconds in peers(path, sample).items():
            mine = ours.get(step.split()[0])
            ratio = f", ratio {mine / seconds:.1f}" if mine else ""
            print(f"peer {step}: {seconds:.1f} s extrapolated from {sample:g} s{ratio}")


if __name__ == "__main__":
    main(sys.argv[1:])
