"""Benchmark: the rhythm verdict (peak test + independence test) against the circular-shift test alone.

Workload (issue 13): the Izhikevich (2003) network as published (net.m scheme), 1000 units, 10 s, seed 1;
both bands (alpha 8-13 Hz, gamma 30-80 Hz), every population (all, exc, inh), 200 surrogates, 0.2 s
discarded. ``synchro.rhythms.band_verdicts`` now runs the circular-shift test *and* the peak test (a
parametric bootstrap of the aperiodic background, 200 simulated series refitted per band). The baseline
is the verdict as it was before (the circular-shift test alone, with one aperiodic fit for display), loaded
from git commit ``BASELINE`` into a package of its own, so both run in one process on the same spikes.

The two run in alternating rounds (the machine's speed drifts); printed: every round's times, the ratio of
the best times and the median of the round-by-round ratios. The verdict words of both are printed too.

Run: ``.venv/bin/python benchmarks/bench_verdicts.py [rounds]`` from a git checkout.
"""

import importlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import sims
from synchro.rhythms import band_verdicts

BASELINE = "3a78c04"  # the last commit with the circular-shift verdict alone
POPULATIONS = (None, "exc", "inh")


def load_baseline(folder: Path):
    """Import synchro as of BASELINE as the package ``synchro_baseline`` (its imports are relative)."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", BASELINE, "synchro"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "synchro").rename(folder / "synchro_baseline")
    sys.path.insert(0, str(folder))
    return importlib.import_module("synchro_baseline.rhythms"), importlib.import_module("synchro_baseline.core")


def run_all(verdicts, data):
    t = time.perf_counter()
    results = [verdicts(data, discard=0.2, rng=0, population=pop) for pop in POPULATIONS]
    return time.perf_counter() - t, results


def main(rounds=5):
    spikes = sims.simulate("izhikevich2003", scheme="netm", duration=10, rng=1).spikes
    with tempfile.TemporaryDirectory() as tmp:
        old_rhythms, old_core = load_baseline(Path(tmp))
        old_spikes = old_core.SpikeData.from_arrays(spikes.times, spikes.unit_index, t_start=spikes.t_start,
                                                    t_stop=spikes.t_stop, n_units=spikes.n_units,
                                                    units={"population": list(spikes.units["population"])})
        print(f"workload: {spikes.n_units} units, {spikes.n_spikes} spikes, {spikes.duration:g} s; populations "
              f"all, exc, inh; 200 surrogates; baseline {BASELINE}")
        run_all(band_verdicts, spikes)  # numba kernels compiled or loaded from cache, first-call costs
        run_all(old_rhythms.band_verdicts, old_spikes)
        new_times, old_times = [], []
        for r in range(rounds):
            order = [(band_verdicts, spikes, new_times), (old_rhythms.band_verdicts, old_spikes, old_times)]
            for fn, data, times in order if r % 2 == 0 else order[::-1]:
                elapsed, results = run_all(fn, data)
                times.append(elapsed)
        print("round  peak+independence (s)  circular shift alone (s)  ratio")
        for r, (a, b) in enumerate(zip(new_times, old_times)):
            print(f"{r:5d}  {a:21.3f}  {b:24.3f}  {a / b:5.2f}")
        print(f"best against best: {min(new_times) / min(old_times):.2f}x; median of the rounds' ratios: "
              f"{statistics.median(a / b for a, b in zip(new_times, old_times)):.2f}x")
        for pop, res in zip(POPULATIONS, run_all(band_verdicts, spikes)[1]):
            print(f"  {pop or 'all'}: " + "; ".join(v.sentence() for v in res.verdicts))
        for pop, res in zip(POPULATIONS, run_all(old_rhythms.band_verdicts, old_spikes)[1]):
            print(f"  {pop or 'all'} (baseline): " + ", ".join(f"{v.name} {'present' if v.present else 'absent'}"
                                                            for v in res.verdicts))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
