"""Read 1e7 spikes in 1000 units from NWB: synchro.io.read_nwb against pynwb's naive route, side by side.

Writes the file once (synchro.io.write_nwb) into a temporary folder, then
measures each reader in a fresh Python process, so that neither inherits
the other's memory or caches:

- synchro: ``read_nwb(path, lfp=None)`` -> Recording (SpikeData, validated)
- pynwb (peer): ``NWBHDF5IO(path).read().units.to_dataframe()``

Memory is reported twice: the tracemalloc peak (Python and numpy
allocations made during the read) and the peak resident set size during
the read above the resident size just before it (Linux: VmHWM, reset
through ``/proc/self/clear_refs`` before the read; this also counts HDF5's
own buffers). The time is the median of three runs without tracemalloc,
each in a fresh process.
Targets: synchro < 1 s and < 400 MB.

Run: ``python benchmarks/bench_nwb_read.py`` (about 30 s, mostly writing).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_SPIKES, N_UNITS, DURATION = 10_000_000, 1000, 1000.0

MEASURE = r"""
import json, sys, time, tracemalloc
route, path = sys.argv[1], sys.argv[2]
import h5py, numpy  # imported by both routes before timing: the read, not library loading, is measured
if route == "synchro":
    from synchro.io import read_nwb
    def run():
        return read_nwb(path, lfp=None).spikes.n_spikes
else:
    from pynwb import NWBHDF5IO
    def run():
        with NWBHDF5IO(path, "r") as io:
            df = io.read().units.to_dataframe()
            return int(sum(len(t) for t in df["spike_times"]))
def vm(key):  # kB, from Linux's /proc/self/status
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident set size (VmHWM) to the current one
rss0 = vm("VmRSS:")
tracemalloc.start()
t0 = time.perf_counter()
n = run()
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"seconds": seconds, "tracemalloc_mb": peak / 1e6, "rss_mb": (vm("VmHWM:") - rss0) / 1024, "n": n}))
"""


def write_file(folder: Path) -> Path:
    import numpy as np

    from synchro.core import Recording, SpikeData
    from synchro.io import write_nwb

    gen = np.random.default_rng(0)
    times = np.sort(gen.uniform(0.0, DURATION, N_SPIKES))
    spikes = SpikeData.from_arrays(times, gen.integers(0, N_UNITS, N_SPIKES), t_stop=DURATION, n_units=N_UNITS,
                                   units={"population": np.where(np.arange(N_UNITS) < 800, "exc", "inh")})
    t0 = time.perf_counter()
    path = write_nwb(Recording(spikes), folder / "bench_1e7.nwb")
    print(f"wrote {N_SPIKES:.0e} spikes in {N_UNITS} units with synchro.io.write_nwb in "
          f"{time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    return path


def measure(route: str, path: Path, repeats: int = 3) -> dict:
    def run(script):
        out = subprocess.run([sys.executable, "-c", script, route, str(path)], capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    result = run(MEASURE)
    # tracemalloc slows allocation-heavy code: time untraced runs, each in a fresh process, and take the median.
    untraced = MEASURE.replace("tracemalloc.start()", "").replace("tracemalloc.get_traced_memory()[1]", "0")
    result["seconds"] = statistics.median(run(untraced)["seconds"] for _ in range(repeats))
    assert result["n"] == N_SPIKES, result
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_file(Path(folder))
        ours = measure("synchro", path)
        peer = measure("pynwb", path)
    print(f"{'reader':<34}{'time (s)':>10}{'tracemalloc peak (MB)':>24}{'peak RSS growth (MB)':>22}")
    for name, r in (("synchro.io.read_nwb", ours), ("pynwb units.to_dataframe() (peer)", peer)):
        print(f"{name:<34}{r['seconds']:>10.2f}{r['tracemalloc_mb']:>24.0f}{r['rss_mb']:>22.0f}")
    print(f"ratio peer/synchro: time {peer['seconds'] / ours['seconds']:.1f}x, "
          f"tracemalloc peak {peer['tracemalloc_mb'] / ours['tracemalloc_mb']:.1f}x")
    print(f"targets (synchro < 1 s, < 400 MB): time {'met' if ours['seconds'] < 1 else 'MISSED'}, "
          f"memory {'met' if max(ours['tracemalloc_mb'], ours['rss_mb']) < 400 else 'MISSED'}")


if __name__ == "__main__":
    main()
