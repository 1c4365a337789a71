"""W2, the long-session workload of issue #18: 1000 units x 1 h with a field, built with a fixed seed.

800 excitatory and 200 inhibitory units (``population`` column ``"exc"`` /
``"inh"``), each an inhomogeneous Poisson process with a 2 ms dead time
(refractoriness), at its own mean rate (exc uniform in 1-9 Hz, inh in
3-10 Hz: about 1.9 x 10^7 spikes in all). Every unit's rate is its mean rate
times a shared drive ``g(t)`` sampled at 1 ms:

* a slow log-normal fluctuation, ``exp(0.4 x(t))`` with ``x`` an
  Ornstein-Uhlenbeck process of time constant 1 s (unit variance), shared
  by all units, which makes them co-vary at seconds;
* a gamma rhythm around 40 Hz whose phase diffuses (a 5 Hz wide peak),
  with modulation depth 0.25 for inhibitory and 0.08 for excitatory units.

The field (``"LFP"``, 1 kHz, one channel, microvolt-like units) is minus the
gamma and slow components plus white noise, the sign of an extracellular
field near the somata.

Nothing here holds a units x bins array: the drive is one 3.6e6-sample
trace, and each unit's spikes are drawn by thinning candidates at its peak
rate against the drive (O(spikes) per unit).

Run: ``python benchmarks/w2.py W2.nwb`` writes the NWB file (about 190 MB);
in Python, :func:`w2_recording` builds the Recording in memory (about 30 s,
under 1 GB).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from synchro import Recording, Signal, SpikeData
from synchro.core.compiled import jit

N_EXC, N_INH, DURATION, SEED = 800, 200, 3600.0, 2018
FS_DRIVE = 1000.0  # Hz: drive and field sampled at 1 ms
DEAD_TIME = 0.002  # s
SLOW_TAU, SLOW_SD = 1.0, 0.4  # s, log-rate sd of the slow drive
GAMMA_HZ, GAMMA_WIDTH_HZ = 40.0, 5.0
DEPTH = {"exc": 0.08, "inh": 0.25}
RATES_HZ = {"exc": (1.0, 9.0), "inh": (3.0, 10.0)}


@jit
def _thin(candidates, u, drive, peak, fs, dead_time):
    # Keep candidate k with probability drive(t_k) / peak, unless within dead_time of the last spike kept.
    out = np.empty(candidates.size)
    n, last = 0, -1e300
    for k in range(candidates.size):
        t = candidates[k]
        if t - last < dead_time:
            continue
        i = min(int(t * fs), drive.size - 1)
        if u[k] * peak < drive[i]:
            out[n] = t
            n += 1
            last = t
    return out[:n]


def _drives(duration: float, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The slow log-rate trace (unit variance OU) and the gamma cosine, at FS_DRIVE."""
    from scipy.signal import lfilter

    n = int(round(duration * FS_DRIVE))
    dt = 1.0 / FS_DRIVE
    a = math.exp(-dt / SLOW_TAU)
    slow = lfilter([math.sqrt(1 - a * a)], [1.0, -a], gen.standard_normal(n))
    # Phase diffusion D gives a Lorentzian peak of full width D / pi Hz: D = pi * width.
    phase = 2 * np.pi * GAMMA_HZ * dt * np.arange(n) + np.cumsum(
        gen.standard_normal(n) * math.sqrt(np.pi * GAMMA_WIDTH_HZ * dt))
    return slow, np.cos(phase)


def w2_recording(*, n_exc: int = N_EXC, n_inh: int = N_INH, duration: float = DURATION, rng=SEED) -> Recording:
    """W2 as a Recording: spikes of ``n_exc + n_inh`` units over ``duration`` seconds and a 1 kHz field.

    Parameters
    ----------
    n_exc, n_inh : int
        Excitatory and inhibitory units (``population`` "exc", "inh").
    duration : float
        Seconds (3600 for W2; shorter for tests and samples).
    rng : int
        Seed: the same seed gives the same spikes bit for bit.

    Returns
    -------
    synchro.Recording
        ``spikes`` and ``signals["LFP"]``; ``metadata["workload"]`` records the parameters.
    """
    gen = np.random.default_rng(rng)
    slow, gamma = _drives(duration, gen)
    base = np.exp(SLOW_SD * slow - SLOW_SD ** 2 / 2)  # mean 1
    trains, labels = [], []
    for pop, n_units in (("exc", n_exc), ("inh", n_inh)):
        drive = base * (1.0 + DEPTH[pop] * gamma)
        peak = float(drive.max())
        lo, hi = RATES_HZ[pop]
        for rate in gen.uniform(lo, hi, n_units):
            # The dead time lowers the rate by about rate * DEAD_TIME: candidates are drawn a little faster.
            candidate_rate = rate / (1.0 - rate * DEAD_TIME) * peak
            cand = np.sort(gen.uniform(0.0, duration, gen.poisson(candidate_rate * duration)))
            trains.append(_thin(cand, gen.random(cand.size), drive, peak, FS_DRIVE, DEAD_TIME))
            labels.append(pop)
    offsets = np.concatenate([[0], np.cumsum([t.size for t in trains])])
    spikes = SpikeData(np.concatenate(trains), offsets, {"population": np.array(labels)}, 0.0, duration,
                       metadata={"workload": "W2", "seed": int(rng), "n_exc": n_exc, "n_inh": n_inh})
    del trains
    noise = gen.standard_normal(slow.size)
    field = -(20.0 * gamma + 10.0 * slow) + 5.0 * noise
    lfp = Signal(field, FS_DRIVE, 0.0, units="uV", name="LFP")
    return Recording(spikes, {"LFP": lfp}, metadata={"workload": "W2", "seed": int(rng), "duration": duration})


def w2_spikes(**kwargs) -> SpikeData:
    """The spikes of :func:`w2_recording` (same arguments)."""
    return w2_recording(**kwargs).spikes


def write_w2(path, *, overwrite: bool = False, **kwargs) -> Path:
    """Write :func:`w2_recording` (same keyword arguments) to an NWB file at ``path``; returns the path."""
    from synchro import io

    return io.write_nwb(w2_recording(**kwargs), path, overwrite=overwrite)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="NWB file to write")
    parser.add_argument("--duration", type=float, default=DURATION, help="seconds (default 3600)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    out = write_w2(args.path, duration=args.duration, rng=args.seed, overwrite=args.overwrite)
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
