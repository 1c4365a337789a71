"""Golomb's chi: variance of the population trace over the mean variance of the units' traces."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Signal, SpikeData
from ..core.binning import bin_index, n_whole_bins
from ..core.checks.arguments import positive_seconds
from ..errors import NothingToAnalyseError, UsageError
from ..plotting import new_axes
from ..surrogates import circular_shift_draws
from ._common import (
    AgainstChance,
    chance_fields,
    check_null,
    run_concat,
    select_population,
    spike_null,
    too_few_bins,
    with_times,
)
from ._stream import MAX_TRACE_SAMPLES, binned_population, exponential_unit_variances, one_pole

__all__ = ["GolombChi", "golomb_chi"]


_KERNELS = ("exponential", "gaussian")


# Golomb chi ---------------------------------------------------------------------

@dataclass(frozen=True)
class GolombChi(AgainstChance):
    """Golomb's synchrony measure chi, against chance.

    Attributes
    ----------
    chi : float
        ``sqrt(chi_squared)``; 1 for identical units, about ``1/sqrt(N)``
        for N independent ones.
    chi_squared : float
        ``var_t(mean_i V_i) / mean_i var_t(V_i)``.
    floor_chi : float
        ``1/sqrt(N)``: the expected chi of N independent units (large T).
    floor_chi_squared : float
        ``1/N``: the expected chi_squared of N independent units.
    n_units : int
        Units (channels) entering the measure.
    n_silent : int
        Units without spikes, left out (spike input only; 0 for signals).
    source : str
        ``"signal"`` (membrane potentials) or ``"spikes"`` (filtered trains).
    kernel : str
        Spike kernel (``"exponential"``, ``"gaussian"``; ``""`` for signals).
    tau : float
        Kernel time constant or Gaussian sd in seconds (NaN for signals).
    fs : float
        Sampling rate of the traces in Hz.
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        chi against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "golomb_chi"
    chi: float
    chi_squared: float
    floor_chi: float
    floor_chi_squared: float
    n_units: int
    n_silent: int
    source: str
    kernel: str
    tau: float
    fs: float

    def plot(self, ax=None):
        """Bar of chi beside its chance level (surrogate mean +- sd) and the independent-unit floor.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        ax = new_axes(ax)
        ax.bar(["chi", "chance", "1/sqrt(N)"], [self.chi, self.chance, self.floor_chi],
               yerr=[0, self.chance_sd if np.isfinite(self.chance_sd) else 0, 0], color=["C0", "C7", "C1"])
        ax.set_ylabel("chi")
        ax.set_title(f"Golomb chi ({self.source}, N={self.n_units})")
        return ax


def _chi_squared_of_traces(traces: np.ndarray) -> float:
    """chi^2 of a (units x samples) block."""
    pop = traces.mean(axis=0)
    denom = traces.var(axis=1).mean()
    return float(pop.var() / denom) if denom > 0 else np.nan


class _FilteredTrains:
    """Kernel-filtered trains sampled at ``fs``: the two variances of chi^2, each from spike times in the data's
    layout. Only samples in ``runs`` (``[first, stop)`` sample indices) count, each run filtered on its own so no
    kernel reaches across a gap."""

    def __init__(self, data: SpikeData, n_samples, fs, kernel, tau, runs):
        self.data, self.n_samples, self.fs, self.runs = data, n_samples, fs, runs
        self.kernel, self.tau = kernel, tau
        self.n_units = data.n_units

    def smooth(self, x):
        if self.kernel == "exponential":
            # Causal exponential kernel exp(-t / tau) as a one-pole recursion.
            return one_pole(x, math.exp(-1.0 / (self.tau * self.fs)))
        from scipy.ndimage import gaussian_filter1d

        return gaussian_filter1d(x, sigma=self.tau * self.fs, axis=-1, mode="constant", truncate=4.0)

    def unit_variance(self, times, max_samples: int = MAX_TRACE_SAMPLES) -> float:
        """Mean over units of each filtered train's variance, from blocks of at most 256 units and ``max_samples``
        unit-samples; above ``max_samples`` in all, an exponential kernel's variances come from the spikes alone."""
        n, offsets = self.n_samples, np.asarray(self.data.offsets)
        if self.kernel == "exponential" and self.n_units * n > max_samples:
            data = self.data if times is self.data.times else with_times(self.data, times)
            return float(exponential_unit_variances(data, self.fs, n, self.runs, self.tau).mean())
        idx = bin_index(times, self.data.t_start, 1.0 / self.fs)
        weight = (idx < n).astype(np.float64)  # spikes in a last partial bin are left out with it
        idx = np.minimum(idx, n - 1)
        unit = np.repeat(np.arange(self.n_units), np.diff(offsets))
        chunk = int(min(256, max(1, max_samples // n)))
        var_sum = 0.0
        for a in range(0, self.n_units, chunk):
            b = min(a + chunk, self.n_units)
            sel = slice(offsets[a], offsets[b])
            counts = np.bincount((unit[sel] - a) * n + idx[sel], weights=weight[sel], minlength=(b - a) * n)
            var_sum += run_concat(counts.reshape(b - a, n), self.runs, self.smooth).var(axis=1).sum()
        return var_sum / self.n_units

    def population_variance(self, shifts=None) -> float:
        """Variance of the mean filtered train, of the data or of its circular shift by ``shifts``."""
        counts = binned_population(self.data, 1.0 / self.fs, self.n_samples, shifts, dtype=np.float64)
        # The kernel is linear: filtering the mean count equals the mean of the filtered trains.
        return run_concat(counts / self.n_units, self.runs, self.smooth).var()


def _chi(population_variance: float, unit_variance: float) -> float:
    return math.sqrt(population_variance / unit_variance) if unit_variance > 0 else np.nan


def golomb_chi(data: SpikeData | Signal, *, kernel: str = "exponential", tau: float = 0.01, fs: float = 1000.0,
               null: str = "circular_shift", n_surrogates: int = 20, dither_window: float | None = None,
               rng=None, population: str | None = None, population_column: str = "population") -> GolombChi:
    """Golomb's chi: the share of single-unit variance that the population mean keeps.

    ``chi^2 = var_t(mean_i V_i(t)) / mean_i var_t(V_i(t))`` over units ``i``.
    ``V_i`` are membrane potentials when ``data`` is a Signal (one channel
    per unit), else the spike trains filtered with a kernel and sampled at
    ``fs``. Identical units give chi = 1; N independent units give
    chi^2 about 1/N, i.e. chi about 1/sqrt(N) (both floors are reported).

    With gaps in the spikes' observation intervals, only samples of whole
    1/fs bins inside the support count, and each observed stretch is
    filtered on its own (a kernel never carries spikes across a gap, as at
    the recording's start).

    Memory stays O(spikes) on long sessions: the population trace is one
    array of samples, and above 2**25 unit-samples (1000 units x 1 h at
    1 kHz is 3.6 x 10^9) the units' variances come from the spike times
    alone (exponential kernel: a recursion over each unit's spikes, equal
    to the filtered traces' variances to rounding) or from blocks of units
    of at most 2**25 samples (Gaussian). A circular-shift surrogate bins
    each shifted spike where it lands, without writing the shifted trains.

    Parameters
    ----------
    data : SpikeData or Signal
        Spikes, or membrane potentials with one channel per unit.
    kernel : {"exponential", "gaussian"}, default "exponential"
        Spike kernel: causal ``exp(-t/tau)`` or a Gaussian of sd ``tau``
        (truncated at 4 sd). Ignored for signals.
    tau : float, default 0.01
        Kernel time constant in seconds.
    fs : float, default 1000.0
        Sampling rate of the filtered trains in Hz (1 ms samples).
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate null of the chance level for spikes. For a Signal each
        channel is shifted circularly by its own random number of samples
        (only ``"circular_shift"`` applies).
    n_surrogates : int, default 20
        Surrogates; 0 leaves the chance level, z and p undetermined.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source; the seed is recorded.
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value
        (spikes only).
    population_column : str, default "population"
        Unit-table column of ``population``.

    Returns
    -------
    GolombChi

    Raises
    ------
    NothingToAnalyseError
        Fewer than two units with spikes (or channels).

    References
    ----------
    Golomb, D. & Rinzel, J. (1993). Dynamics of globally coupled inhibitory
    neurons with heterogeneity. Phys. Rev. E 48, 4810-4814.
    Golomb, D. (2007). Neuronal synchrony measures. Scholarpedia 2(1):1347.
    """
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    if isinstance(data, Signal):
        if data.n_channels < 2:
            raise NothingToAnalyseError("golomb_chi needs a signal with at least two channels (one per unit)")
        if population is not None:
            raise UsageError("population selects units of spike data; a Signal's channels have no unit table")
        if null != "circular_shift" or dither_window is not None:
            raise UsageError(f"for a Signal only null='circular_shift' (without dither_window) applies; got {null!r}")
        traces = np.ascontiguousarray(data.data.T)
        chi2 = _chi_squared_of_traces(traces)
        n_units, n_silent, kernel, tau, fs = data.n_channels, 0, "", np.nan, data.fs

        def draw_null():
            # Each channel shifted circularly by its own number of samples.
            shifts = gen.integers(0, traces.shape[1], size=traces.shape[0])
            cols = (np.arange(traces.shape[1]) - shifts[:, None]) % traces.shape[1]
            return math.sqrt(_chi_squared_of_traces(np.take_along_axis(traces, cols, axis=1)))
    else:
        data = select_population(data, population, population_column)
        if kernel not in _KERNELS:
            raise UsageError(f"kernel must be one of {list(_KERNELS)}; got {kernel!r}")
        tau, fs = positive_seconds("tau", tau), float(fs)
        if not (np.isfinite(fs) and fs > 0):
            raise UsageError(f"fs must be a positive number of Hz; got {fs!r}")
        active = data.spike_counts > 0
        n_units, n_silent = int(active.sum()), int((~active).sum())
        if n_units < 2:
            raise NothingToAnalyseError(f"{n_units} units with spikes; golomb_chi needs at least two")
        data = data.select_units(active) if n_silent else data
        n_samples = n_whole_bins(data.duration, 1.0 / fs)
        runs = data.observed_bins(1.0 / fs, n_samples)
        if int(np.sum(runs[:, 1] - runs[:, 0])) < 2:
            raise too_few_bins(data, f"fs {fs:g} Hz", n_samples, int(np.sum(runs[:, 1] - runs[:, 0])),
                                "raise fs")

        trains = _FilteredTrains(data, n_samples, fs, kernel, tau, runs)
        unit_variance = trains.unit_variance(data.times)
        chi2 = trains.population_variance() / unit_variance if unit_variance > 0 else np.nan
        if null == "circular_shift":
            # A circular shift moves each unit's trace in time: its variance is the data's but for one kernel
            # length at the wrap (tau in T), so only the population trace is rebuilt per surrogate, binned from the
            # shifts without writing the shifted trains (test_synchrony checks the two nulls agree).
            def draw_null():
                shifts = circular_shift_draws(data, n_surrogates=1, rng=gen)[0]
                return _chi(trains.population_variance(shifts), unit_variance)
        else:  # dither and ISI shuffles change each train's own variance
            def statistic(t):
                surrogate = _FilteredTrains(with_times(data, t), n_samples, fs, kernel, tau, runs)
                return _chi(surrogate.population_variance(), trains.unit_variance(t))

            draw_null = spike_null(statistic, data, null, dither_window, gen)
    return GolombChi(chi=math.sqrt(chi2), chi_squared=chi2, floor_chi=1 / math.sqrt(n_units),
                     floor_chi_squared=1 / n_units, n_units=n_units, n_silent=n_silent,
                     source="signal" if isinstance(data, Signal) else "spikes", kernel=kernel, tau=tau, fs=fs,
                     **chance_fields(math.sqrt(chi2), draw_null, n_surrogates, null=null, dither_window=dither_window,
                                     seed=seed))
