"""Golomb's chi: variance of the population trace over the mean variance of the units' traces."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._plotting import new_axes
from .._results import Result
from .._validate import integer_at_least, positive_seconds, require_spikes
from ..core import Signal, SpikeData
from ..core.binning import bin_index, n_whole_bins
from ..errors import NothingToAnalyseError, UsageError
from ._common import (
    baseline,
    run_concat,
    seeded,
    spike_null,
    too_few_bins,
)

__all__ = ["GolombChi", "golomb_chi"]


_KERNELS = ("exponential", "gaussian")


# Golomb chi ---------------------------------------------------------------------

@dataclass(frozen=True)
class GolombChi(Result):
    """Golomb's synchrony measure chi.

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
    null_mean, null_sd, z_score : float
        Surrogate baseline of chi (NaN when ``n_surrogates == 0``).
    null : str
        Surrogate method.
    n_surrogates : int
        Number of surrogates.
    seed : int or None
        Seed of the random generator (None when a Generator was passed).
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
    null_mean: float
    null_sd: float
    z_score: float
    null: str
    n_surrogates: int
    seed: int | None

    def plot(self, ax=None):
        """Bar of chi beside the independent-unit floor and the surrogate mean +- sd.

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
        ax.bar(["chi", "null", "1/sqrt(N)"], [self.chi, self.null_mean, self.floor_chi],
               yerr=[0, self.null_sd if np.isfinite(self.null_sd) else 0, 0], color=["C0", "C7", "C1"])
        ax.set_ylabel("chi")
        ax.set_title(f"Golomb chi ({self.source}, N={self.n_units})")
        return ax


def _chi_squared_of_traces(traces: np.ndarray) -> float:
    """chi^2 of a (units x samples) block."""
    pop = traces.mean(axis=0)
    denom = traces.var(axis=1).mean()
    return float(pop.var() / denom) if denom > 0 else np.nan


def _filtered_spike_chi2(times, offsets, t_start, n_samples, fs, kernel, tau, runs, chunk=256) -> float:
    """chi^2 of kernel-filtered trains sampled at ``fs``, built in chunks of units to bound memory.

    Only samples in ``runs`` (``[first, stop)`` sample indices) count, each
    run filtered on its own so no kernel reaches across a gap.
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import lfilter

    def smooth(x):
        if kernel == "exponential":
            # Causal exponential kernel exp(-t / tau) as a one-pole recursion.
            return lfilter([1.0], [1.0, -math.exp(-1.0 / (tau * fs))], x, axis=-1)
        return gaussian_filter1d(x, sigma=tau * fs, axis=-1, mode="constant", truncate=4.0)

    n_units = offsets.size - 1
    idx = bin_index(times, t_start, 1.0 / fs)
    unit = np.repeat(np.arange(n_units), np.diff(offsets))
    weight = (idx < n_samples).astype(np.float64)  # spikes in a last partial bin are left out with it
    idx = np.minimum(idx, n_samples - 1)
    var_sum = 0.0
    for a in range(0, n_units, chunk):
        b = min(a + chunk, n_units)
        sel = slice(offsets[a], offsets[b])
        counts = np.bincount((unit[sel] - a) * n_samples + idx[sel], weights=weight[sel], minlength=(b - a) * n_samples)
        var_sum += run_concat(counts.reshape(b - a, n_samples), runs, smooth).var(axis=1).sum()
    # The kernel is linear: filtering the mean count equals the mean of the filtered trains.
    pop = run_concat(np.bincount(idx, weights=weight, minlength=n_samples) / n_units, runs, smooth)
    mean_var = var_sum / n_units
    return float(pop.var() / mean_var) if mean_var > 0 else np.nan


def golomb_chi(data: SpikeData | Signal, *, kernel: str = "exponential", tau: float = 0.01, fs: float = 1000.0,
               null: str = "circular_shift", n_surrogates: int = 20, dither_window: float | None = None,
               rng=None) -> GolombChi:
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
        Surrogate method for spikes. For a Signal each channel is shifted
        circularly by its own random number of samples (only
        ``"circular_shift"`` applies).
    n_surrogates : int, default 20
        Surrogates for the baseline; 0 skips it (baseline fields are NaN).
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source; the seed is recorded.

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
    n_surrogates = integer_at_least("n_surrogates", n_surrogates, 0)
    gen, seed = seeded(rng)
    if isinstance(data, Signal):
        if data.n_channels < 2:
            raise NothingToAnalyseError("golomb_chi needs a signal with at least two channels (one per unit)")
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
        data = require_spikes(data)
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

        def spike_chi2(times):
            return _filtered_spike_chi2(times, np.asarray(data.offsets), data.t_start, n_samples, fs, kernel, tau,
                                        runs)

        chi2 = spike_chi2(np.asarray(data.times))
        draw_null = spike_null(lambda t: math.sqrt(spike_chi2(t)), data, null, dither_window, gen)
    base = baseline(math.sqrt(chi2), draw_null, n_surrogates)
    return GolombChi(chi=math.sqrt(chi2), chi_squared=chi2, floor_chi=1 / math.sqrt(n_units),
                     floor_chi_squared=1 / n_units, n_units=n_units, n_silent=n_silent,
                     source="signal" if isinstance(data, Signal) else "spikes", kernel=kernel, tau=tau, fs=fs,
                     null_mean=base.null_mean, null_sd=base.null_sd, z_score=base.z_score, null=null,
                     n_surrogates=n_surrogates, seed=seed)
