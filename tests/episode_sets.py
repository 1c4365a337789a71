"""Seeded populations with planted rhythm bursts for the episode tests (a helper module, not a test file).

``make_bursts(rng)`` draws ``N_UNITS`` Poisson units sharing one rate, ``MEAN_RATE * max(0, 1 + 0.3 x(t) +
DEPTH * sum_b w_b(t) sin(2 pi f_b t + phi_b))``: x is an Ornstein-Uhlenbeck drive (tau 50 ms, unit
variance) and each burst b a rectangular window ``w_b`` of 300 ms at 40 Hz or 600 ms at 10 Hz, placed at
random, non-overlapping times at least 1 s from the edges and 0.5 s from each other.
"""

import numpy as np

from synchro.core import SpikeData

N_UNITS, DURATION, MEAN_RATE, DEPTH = 200, 20.0, 8.0, 0.5
DT = 1e-3
BURSTS = ((40.0, 0.3), (10.0, 0.6))  # (frequency Hz, duration s)
N_EACH = 2  # bursts of each kind per set


def ou(rng, tau, n, dt=DT):
    """Stationary unit-variance Ornstein-Uhlenbeck series (exact AR(1)) of ``n`` steps of ``dt`` s."""
    a = np.exp(-dt / tau)
    e = rng.standard_normal(n) * np.sqrt(1 - a * a)
    e[0] = rng.standard_normal()
    from scipy.signal import lfilter

    return lfilter([1.0], [1.0, -a], e)


def place(rng, durations, duration=DURATION, margin=1.0, spacing=0.5):
    """Random non-overlapping onsets for bursts of the given durations (s)."""
    while True:
        onsets = rng.uniform(margin, duration - margin - np.asarray(durations))
        order = np.argsort(onsets)
        ends = onsets[order] + np.asarray(durations)[order]
        if np.all(onsets[order][1:] - ends[:-1] >= spacing):
            return onsets


def make_bursts(rng, n_units=N_UNITS, duration=DURATION):
    """Spikes and the planted bursts ``[(freq, onset, offset), ...]``."""
    n = int(round(duration / DT))
    t = np.arange(n) * DT
    kinds = [b for b in BURSTS for _ in range(N_EACH)]
    onsets = place(rng, [d for _, d in kinds], duration)
    drive = 0.3 * ou(rng, 0.05, n)
    planted = []
    for (freq, dur), on in zip(kinds, onsets):
        window = (t >= on) & (t < on + dur)
        drive = drive + DEPTH * window * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
        planted.append((freq, float(on), float(on + dur)))
    rate = MEAN_RATE * np.maximum(0.0, 1 + drive)
    counts = rng.poisson(n_units * DT * rate)
    times = (np.repeat(np.arange(n), counts) + rng.random(counts.sum())) * DT
    units = rng.integers(0, n_units, times.size)
    order = np.lexsort((times, units))
    data = SpikeData.from_arrays(times[order], units[order], t_stop=duration, n_units=n_units, time_unit="s")
    return data, sorted(planted, key=lambda p: p[1])
