"""Regenerate ``izhikevich2003_2s.npz``: 2 s of the published Izhikevich (2003) network (net.m), seed 2003.

Run ``python synchro/data/make_example.py`` from the project root. The scheme follows net.m
exactly: 800 excitatory and 200 inhibitory neurons, all-to-all weights, thalamic noise redrawn every 1 ms
step, two 0.5 ms half-steps for v, then u; spikes are detected at v >= 30 mV before the update.
"""

from pathlib import Path

import numpy as np


def simulate(duration_ms: int = 2000, seed: int = 2003) -> tuple[np.ndarray, np.ndarray]:
    """Spike times (s) and neuron indices of net.m run for ``duration_ms`` 1-ms steps."""
    rng = np.random.default_rng(seed)
    ne, ni = 800, 200
    re, ri = rng.random(ne), rng.random(ni)
    a = np.r_[0.02 * np.ones(ne), 0.02 + 0.08 * ri]
    b = np.r_[0.2 * np.ones(ne), 0.25 - 0.05 * ri]
    c = np.r_[-65 + 15 * re**2, -65 * np.ones(ni)]
    d = np.r_[8 - 6 * re**2, 2 * np.ones(ni)]
    s = np.c_[0.5 * rng.random((ne + ni, ne)), -rng.random((ne + ni, ni))]
    v = -65.0 * np.ones(ne + ni)
    u = b * v
    times, index = [], []
    for t in range(duration_ms):
        i_in = np.r_[5 * rng.standard_normal(ne), 2 * rng.standard_normal(ni)]
        fired = np.flatnonzero(v >= 30)
        times.append(np.full(fired.size, t * 1e-3))
        index.append(fired)
        v[fired] = c[fired]
        u[fired] += d[fired]
        i_in += s[:, fired].sum(axis=1)
        v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + i_in)
        v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + i_in)
        u += a * (b * v - u)
    return np.concatenate(times), np.concatenate(index)


def main() -> Path:
    from synchro.core import Recording, SpikeData
    from synchro.io import write_npz

    times, index = simulate()
    population = np.array(["exc"] * 800 + ["inh"] * 200)
    spikes = SpikeData.from_arrays(times, index, t_start=0.0, t_stop=2.0, n_units=1000, time_unit="s",
                                   units={"id": np.arange(1000), "population": population})
    meta = {"model": "Izhikevich (2003) net.m", "seed": 2003, "dt": 1e-3, "duration_s": 2.0,
            "reference": "Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569"}
    out = Path(__file__).with_name("izhikevich2003_2s.npz")
    return write_npz(Recording(spikes, metadata=meta), out, overwrite=True)


if __name__ == "__main__":
    print(main())
