"""Seeded generators of spiking populations for rhythm calibration (a helper module, not a test file).

Every ``make_xxx(rng) -> SpikeData`` draws all randomness from ``rng`` (a numpy Generator) and returns
``N_UNITS`` units over ``[0, DURATION)`` s. APERIODIC_FAMILIES share a slow drive across units, so their
population-rate spectra are a smooth, falling curve plus the shot-noise floor 2 nu / N, with no peak;
INDEPENDENT_FAMILIES are independent units; make_planted is the positive control.

Inhomogeneous Poisson spikes come from per-bin Poisson counts on a 0.1 ms grid with uniform jitter within
the bin (not thinning): the rate is common to all units, so each bin draws one count for the whole
population, Poisson(N_UNITS r dt), and spreads it over units uniformly, which is equivalent and fast.
"""

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from synchro.core import SpikeData

N_UNITS, DURATION, MEAN_RATE = 40, 10.0, 8.0
SIGMA = 0.5  # drive depth: r = MEAN_RATE * max(0, 1 + SIGMA x) with x of unit variance
DT = 1e-4  # grid of the drives, s
N_STEPS = int(round(DURATION / DT))


def _spike_data(trains_times, unit_rows, n_units, duration):
    order = np.lexsort((trains_times, unit_rows))
    return SpikeData.from_arrays(trains_times[order], unit_rows[order], t_stop=duration, n_units=n_units,
                                 time_unit="s")


def _renewal(rng, rates, shape, dead_time, duration, burn_in=1.0):
    """Stationary gamma-renewal trains with a dead time: ISI = dead_time + Gamma(shape, scale), one per rate."""
    rates = np.asarray(rates, dtype=float)
    scale = (1 / rates - dead_time) / shape
    n = int(np.ceil((duration + burn_in) * rates.max() * 1.5)) + 20
    isis = dead_time + rng.gamma(shape, scale[:, None], size=(rates.size, n))
    t = np.cumsum(isis, axis=1) - burn_in  # starting 1 s early forgets the phase of the first spike
    unit = np.broadcast_to(np.arange(rates.size)[:, None], t.shape)
    keep = (t >= 0) & (t < duration)
    return t[keep], unit[keep]


def _ou(rng, tau, block=250):
    """Stationary unit-variance OU on the DT grid: exact AR(1) x[k] = a x[k-1] + sqrt(1 - a^2) e[k], a = exp(-DT/tau).

    Vectorised in blocks: the recursion inside a block is a triangular matrix product; block ends carry over.
    """
    a = np.exp(-DT / tau)
    n_blocks = -(-N_STEPS // block)
    e = rng.standard_normal(n_blocks * block) * np.sqrt(1 - a * a)
    e[0] = rng.standard_normal()  # x[0] from the stationary N(0, 1)
    lag = np.subtract.outer(np.arange(block), np.arange(block))
    y = e.reshape(n_blocks, block) @ np.where(lag >= 0, a ** np.maximum(lag, 0), 0.0).T
    ends, carry, a_block = np.empty(n_blocks), 0.0, a**block
    for i in range(n_blocks):
        ends[i] = carry = y[i, -1] + a_block * carry
    x = y + np.outer(np.r_[0.0, ends[:-1]], a ** np.arange(1, block + 1))
    return x.ravel()[:N_STEPS]


def _poisson_events(rng, rate):
    """Units and times of N_UNITS inhomogeneous Poisson trains sharing ``rate`` (Hz, on the DT grid)."""
    counts = rng.poisson(N_UNITS * DT * rate)
    t = (np.repeat(np.arange(N_STEPS), counts) + rng.random(counts.sum())) * DT
    return t, rng.integers(0, N_UNITS, t.size)


def _drive_spikes(rng, rate):
    return _spike_data(*_poisson_events(rng, rate), N_UNITS, DURATION)


def _ou_drive(rng, tau):
    return _drive_spikes(rng, MEAN_RATE * np.maximum(0.0, 1 + SIGMA * _ou(rng, tau)))


def make_ou100(rng):
    """Shared OU drive, tau 100 ms: Lorentzian with corner 1/(2 pi tau) = 1.6 Hz, plus the floor."""
    return _ou_drive(rng, 0.1)


def make_ou20(rng):
    """Shared OU drive, tau 20 ms: Lorentzian with corner 1/(2 pi tau) = 8 Hz, plus the floor."""
    return _ou_drive(rng, 0.02)


def make_pink15(rng):
    """Shared drive with spectrum 1/f^1.5 (0 at DC), depth SIGMA: a 1/f^1.5 power law, plus the floor."""
    f = np.fft.rfftfreq(N_STEPS, DT)
    amp = np.zeros_like(f)
    amp[1:] = f[1:] ** -0.75
    x = np.fft.irfft(amp * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)), N_STEPS)
    return _drive_spikes(rng, MEAN_RATE * np.maximum(0.0, 1 + SIGMA * x / x.std()))


def make_updown(rng, mean_up=0.5, mean_down=0.3):
    """Shared up/down switching with exponential dwells: Lorentzian with corner (1/0.5 + 1/0.3) / (2 pi) = 0.85 Hz.

    Rate MEAN_RATE * 1.6 up, 0.5 Hz down (mean 8.2 Hz); the first state is drawn from the stationary odds,
    and being memoryless its first dwell is a full exponential one.
    """
    up_first = rng.random() < mean_up / (mean_up + mean_down)
    means = np.array([mean_up, mean_down] if up_first else [mean_down, mean_up])
    dwells = np.empty(0)
    while dwells.sum() <= DURATION:
        dwells = np.r_[dwells, rng.exponential(np.tile(means, 40))]
    state = np.searchsorted(np.cumsum(dwells), np.arange(N_STEPS) * DT, side="right") % 2  # 0 = first state
    up = (state == 0) == up_first
    return _drive_spikes(rng, np.where(up, MEAN_RATE * 1.6, 0.5))


def make_refractory_ou(rng, tau=0.05, dead=0.003, recovery=0.015, rate=15.0):
    """Shared OU drive (tau 50 ms, SIGMA) on 15 Hz units with a 3 ms dead time and a 15 ms exponential recovery.

    Spectrum: the Lorentzian of the drive (corner 3.2 Hz) over a renewal floor that dips below 2 nu / N at
    low and middle frequencies and rises back towards it, with the faint bump near the rate that a
    refractory renewal train carries (single-unit, not shared).
    Hazard h(t) = h0 max(0, 1 + SIGMA x(t)) g(t - t_last), g = 0 in the dead time, then
    1 - exp(-(s - dead) / recovery). Simulated exactly (Ogata thinning) rather than by time-stepping: candidates
    from the Poisson process h0 max(0, 1 + SIGMA x) are accepted with probability g, one candidate column per
    step across all units (about 100 steps, vectorised over units). Mean ISI ~ 1/h0 + dead + recovery.
    """
    h0 = 1 / (1 / rate - dead - recovery)
    t, unit = _poisson_events(rng, h0 * np.maximum(0.0, 1 + SIGMA * _ou(rng, tau)))
    order = np.lexsort((t, unit))
    t, unit = t[order], unit[order]
    counts = np.bincount(unit, minlength=N_UNITS)
    col = np.arange(t.size) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.full((N_UNITS, counts.max(initial=0)), np.inf)
    cand[unit, col] = t
    accept = np.zeros(cand.shape, dtype=bool)
    last = np.full(N_UNITS, -np.inf)
    u = rng.random(cand.shape)
    for k in range(cand.shape[1]):
        s = cand[:, k] - last
        accept[:, k] = (s > dead) & (u[:, k] < -np.expm1(-(s - dead) / recovery)) & np.isfinite(cand[:, k])
        last = np.where(accept[:, k], cand[:, k], last)
    rows = np.broadcast_to(np.arange(N_UNITS)[:, None], cand.shape)
    return _spike_data(cand[accept], rows[accept], N_UNITS, DURATION)


def make_planted(rng, freq, depth=0.3):
    """POSITIVE control: rhythm at ``freq`` on an OU drive (tau 50 ms, depth 0.3): Lorentzian plus a line at freq.

    r(t) = MEAN_RATE max(0, 1 + depth sin(2 pi freq t + phi) + 0.3 x(t)), phi uniform, shared by all units.
    """
    t = np.arange(N_STEPS) * DT
    drive = depth * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)) + 0.3 * _ou(rng, 0.05)
    return _drive_spikes(rng, MEAN_RATE * np.maximum(0.0, 1 + drive))


def poisson_set(rng):
    """Independent homogeneous Poisson units, 5-15 Hz: flat at the floor."""
    rates = rng.uniform(5, 15, N_UNITS)
    counts = rng.poisson(rates * DURATION)
    unit = np.repeat(np.arange(N_UNITS), counts)
    return _spike_data(rng.uniform(0, DURATION, unit.size), unit, N_UNITS, DURATION)


def regular_set(rng):
    """Independent gamma-renewal units, half at 10 Hz and half at 40 Hz: single-unit peaks, no population rhythm."""
    # Half the units fire regularly at 10 Hz, half at 40 Hz (gamma-renewal shape 8, 2 ms dead time).
    rates = np.where(np.arange(N_UNITS) % 2 == 0, 10.0, 40.0)
    return _spike_data(*_renewal(rng, rates, 8.0, 0.002, DURATION), N_UNITS, DURATION)


def bursty_set(rng):
    """Independent bursting units: single-unit peaks near 10 Hz and a high-frequency burst hump."""
    # Bursts recur near 10 Hz (gamma-renewal shape 5); each holds 2-5 spikes 3-5 ms apart.
    onsets, unit = _renewal(rng, np.full(N_UNITS, 10.0), 5.0, 0.01, DURATION)
    sizes = rng.integers(2, 6, onsets.size)
    within = np.cumsum(np.column_stack([np.zeros(onsets.size), rng.uniform(0.003, 0.005, (onsets.size, 4))]), axis=1)
    in_burst = np.arange(5) < sizes[:, None]
    t = (onsets[:, None] + within)[in_burst]
    u = np.broadcast_to(unit[:, None], within.shape)[in_burst]
    keep = t < DURATION
    return _spike_data(t[keep], u[keep], N_UNITS, DURATION)


APERIODIC_FAMILIES = {"ou100": make_ou100, "ou20": make_ou20, "pink1.5": make_pink15, "updown": make_updown,
                      "refractory_ou": make_refractory_ou}
INDEPENDENT_FAMILIES = {"poisson": poisson_set, "gamma_renewal": regular_set, "bursty": bursty_set}


def _add_to_path(folder):
    sys.path.insert(0, folder)


def map_on_every_core(fn, jobs: dict) -> dict:
    """``{key: fn(*args)}`` for ``jobs = {key: args}``, run on every core in fresh interpreters.

    Calibration sets are independent and each is seeded on its own, so the order does not matter; spawn, not fork:
    no fork of a process that holds BLAS threads. The tests folder is put on each worker's path so ``fn`` (a test
    module's function) can be found.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context, initializer=_add_to_path,
                             initargs=(str(Path(__file__).parent),)) as pool:
        futures = {key: pool.submit(fn, *args) for key, args in jobs.items()}
        return {key: future.result() for key, future in futures.items()}
