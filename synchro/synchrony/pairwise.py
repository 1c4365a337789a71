"""Synchrony of a population: how much units fire together, beyond chance.

Every function takes a :class:`~synchro.core.SpikeData` (``golomb_chi`` also
a :class:`~synchro.core.Signal` of membrane potentials) and returns one
frozen result with ``to_dict()`` and ``plot(ax=None)``.

==========================  ===================================================
``golomb_chi``              Golomb's chi from potentials or filtered spikes *
``sttc_matrix``             spike time tiling coefficient, all pairs *
``spike_sync_matrix``       SPIKE-synchronization, pair matrix and population
``spike_sync``              SPIKE-synchronization, population value only
``spike_contrast``          spike contrast over shrinking bins
``correlation_matrix``      Pearson correlation of binned counts
``population_fano``         Fano factor of population counts per window
``kuramoto_order``          Kuramoto order of spike-interpolated phases
==========================  ===================================================

Measures marked * carry a surrogate baseline: the same statistic on
``n_surrogates`` surrogates of the data (:mod:`synchro.surrogates`, circular
shift by default), reported as null mean, null sd and z-score with the null
method, count and seed.

Every measure uses observed time only (the :attr:`~synchro.core.SpikeData.support`):
a gap in the observation intervals is neither silence nor coincidence; see
each function for how its definition extends to gapped data. Data without
gaps give the same numbers as before the rule existed.

Pairwise measures compute every pair for up to ``max_units`` units (default
5000: a 5000 x 5000 matrix is 200 MB) with numba kernels that visit each
spike's neighbours in global time order once (1000 units, 70k spikes: STTC
about 0.15 s, SPIKE-synchronization about 0.7 s); above that they use a
seeded uniform sample of ``n_pairs`` distinct pairs, merged pair by pair,
return no matrix, and report the sample size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from .._json import jsonable
from .._plotting import new_axes
from .._validate import integer_at_least, positive_seconds, require_spikes
from ..core import Signal, SpikeData, check_bin_count, interval_index
from ..errors import InvalidDataError, NothingToAnalyseError, UsageError

__all__ = [
    "GolombChi",
    "Sttc",
    "SpikeSyncMatrix",
    "SpikeSync",
    "SpikeContrast",
    "CorrelationMatrix",
    "PopulationFano",
    "KuramotoOrder",
    "golomb_chi",
    "sttc_matrix",
    "spike_sync_matrix",
    "spike_sync",
    "spike_contrast",
    "correlation_matrix",
    "population_fano",
    "kuramoto_order",
    "MAX_UNITS_ALL_PAIRS",
]

#: Largest population for which pairwise measures compute every pair by default.
MAX_UNITS_ALL_PAIRS = 5000

_KERNELS = ("exponential", "gaussian")


# Result plumbing -------------------------------------------------------------

class _Result:
    """Shared ``to_dict`` of the frozen result dataclasses (NaN becomes None)."""

    method: ClassVar[str]

    def to_dict(self) -> dict:
        """Method name, parameters and values as plain JSON types (NaN and inf as None)."""
        return jsonable({"method": self.method, **{f.name: getattr(self, f.name) for f in fields(self)}})


def _plot_matrix(matrix, ax, label: str):
    ax = new_axes(ax)
    if matrix is None:
        ax.text(0.5, 0.5, "pairs were sampled: no matrix", ha="center", va="center", transform=ax.transAxes)
        return ax
    im = ax.imshow(matrix, cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label=label)
    ax.set_xlabel("unit")
    ax.set_ylabel("unit")
    return ax


# Observed time -------------------------------------------------------------------

def _bin_runs(data: SpikeData, bin_width: float, n_bins: int) -> np.ndarray:
    """``[first, stop)`` runs of the ``n_bins`` bins from ``t_start`` that lie inside the support.

    Without gaps this is every bin, ``[[0, n_bins]]``, whatever the caller's
    own rule for counting whole bins.
    """
    if not data.has_gaps:
        return np.array([[0, n_bins]], dtype=np.int64)
    return data.observed_bins(bin_width, n_bins)


def _run_concat(x: np.ndarray, runs: np.ndarray, f=None) -> np.ndarray:
    """The columns (last axis) of ``x`` in ``runs``, each run passed through ``f`` first, joined end to end."""
    if not len(runs):
        return x[..., :0]
    return np.concatenate([x[..., a:b] if f is None else f(x[..., a:b]) for a, b in runs], axis=-1)


def _too_few_bins(data: SpikeData, what: str, n_whole: int, n_observed: int, fix: str) -> Exception:
    """The error for fewer than two whole bins: the caller's choice (UsageError) unless only the gaps cause it."""
    if data.has_gaps and n_whole >= 2:
        return NothingToAnalyseError(f"{what} leaves {n_observed} whole bin(s) inside the observation intervals "
                                     f"({data.observed_duration:g} s observed in {len(data.support)} interval(s)); "
                                     f"{fix} or analyse longer intervals")
    return UsageError(f"{what} leaves {n_whole} bin(s) in {data.duration:g} s; {fix}")


# Surrogate baselines ------------------------------------------------------------

@dataclass(frozen=True)
class _Baseline:
    null_mean: float
    null_sd: float
    z_score: float


def _baseline(value: float, draw_null: Callable[[], float], n_surrogates: int) -> _Baseline:
    """Mean, sd and z-score of ``value`` against ``n_surrogates`` draws of the null statistic."""
    if n_surrogates == 0:
        return _Baseline(np.nan, np.nan, np.nan)
    null_values = np.array([draw_null() for _ in range(n_surrogates)])
    finite = np.isfinite(null_values)
    mean = float(null_values[finite].mean()) if finite.any() else np.nan
    sd = float(null_values[finite].std(ddof=1)) if finite.sum() > 1 else np.nan
    return _Baseline(mean, sd, float((value - mean) / sd) if sd > 0 else np.nan)


def _spike_null(statistic: Callable[[np.ndarray], float], data: SpikeData, null: str, dither_window, gen):
    """A draw of ``statistic`` on one surrogate's spike times (in ``data``'s layout)."""
    from ..surrogates import SURROGATE_METHODS, surrogate_times

    if null not in SURROGATE_METHODS:
        raise UsageError(f"unknown surrogate method {null!r}; valid methods are {sorted(SURROGATE_METHODS)}")
    # One surrogate per draw from the same generator: memory stays at one copy of the spikes.
    return lambda: statistic(surrogate_times(data, method=null, n_surrogates=1, dither_window=dither_window,
                                             rng=gen)[0])


def _seeded(rng):
    from ..surrogates import seeded_rng

    return seeded_rng(rng)


# Pair selection -------------------------------------------------------------------

def _pair_plan(n: int, max_units: int, n_pairs: int, gen) -> tuple[np.ndarray, np.ndarray] | None:
    """None for all pairs, else a uniform sample of distinct pairs ``i < j`` (rows, cols)."""
    if n <= max_units:
        return None
    total = n * (n - 1) // 2
    k = np.sort(gen.choice(total, size=min(n_pairs, total), replace=False)).astype(np.int64)
    # Invert the row-major index of the strict upper triangle.
    i = n - 2 - np.floor(np.sqrt(-8.0 * k + 4.0 * n * (n - 1) - 7) / 2.0 - 0.5).astype(np.int64)
    j = k + i + 1 - total + (n - i) * (n - i - 1) // 2
    return i, j


def _check_pair_args(max_units, n_pairs) -> tuple[int, int]:
    return integer_at_least("max_units", max_units, 2), integer_at_least("n_pairs", n_pairs, 1)


def _pair_fields(plan, values: np.ndarray) -> dict:
    """Result fields for a full matrix (``plan`` None) or for sampled pairs."""
    if plan is None:
        return {"matrix": values, "pairs": np.empty((0, 2), dtype=np.int64), "pair_values": np.empty(0),
                "pairs_sampled": False}
    return {"matrix": None, "pairs": np.column_stack(plan), "pair_values": values, "pairs_sampled": True}


# Golomb chi ---------------------------------------------------------------------

@dataclass(frozen=True)
class GolombChi(_Result):
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

    method: ClassVar[str] = "golomb_chi"
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
    idx = np.minimum(((times - t_start) * fs).astype(np.int64), n_samples - 1)
    unit = np.repeat(np.arange(n_units), np.diff(offsets))
    var_sum = 0.0
    for a in range(0, n_units, chunk):
        b = min(a + chunk, n_units)
        sel = slice(offsets[a], offsets[b])
        counts = np.bincount((unit[sel] - a) * n_samples + idx[sel], minlength=(b - a) * n_samples)
        var_sum += _run_concat(counts.reshape(b - a, n_samples).astype(np.float64), runs, smooth).var(axis=1).sum()
    # The kernel is linear: filtering the mean count equals the mean of the filtered trains.
    pop = _run_concat(np.bincount(idx, minlength=n_samples).astype(np.float64) / n_units, runs, smooth)
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
    gen, seed = _seeded(rng)
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
        n_samples = check_bin_count(int(np.floor(data.duration * fs + 1e-9)), 1 / fs, data.duration)
        runs = _bin_runs(data, 1.0 / fs, n_samples)
        if int(np.sum(runs[:, 1] - runs[:, 0])) < 2:
            raise _too_few_bins(data, f"fs {fs:g} Hz", n_samples, int(np.sum(runs[:, 1] - runs[:, 0])),
                                "raise fs")

        def spike_chi2(times):
            return _filtered_spike_chi2(times, np.asarray(data.offsets), data.t_start, n_samples, fs, kernel, tau,
                                        runs)

        chi2 = spike_chi2(np.asarray(data.times))
        draw_null = _spike_null(lambda t: math.sqrt(spike_chi2(t)), data, null, dither_window, gen)
    base = _baseline(math.sqrt(chi2), draw_null, n_surrogates)
    return GolombChi(chi=math.sqrt(chi2), chi_squared=chi2, floor_chi=1 / math.sqrt(n_units),
                     floor_chi_squared=1 / n_units, n_units=n_units, n_silent=n_silent,
                     source="signal" if isinstance(data, Signal) else "spikes", kernel=kernel, tau=tau, fs=fs,
                     null_mean=base.null_mean, null_sd=base.null_sd, z_score=base.z_score, null=null,
                     n_surrogates=n_surrogates, seed=seed)


# STTC ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Sttc(_Result):
    """Spike time tiling coefficients of a population.

    Attributes
    ----------
    value : float
        Mean STTC over valid pairs (both units with spikes).
    matrix : ndarray or None
        ``(n_units, n_units)`` STTC, NaN in rows of silent units, 1 on the
        diagonal; None when pairs were sampled.
    pairs : ndarray of int, shape (k, 2)
        The sampled pairs (empty when all pairs were computed).
    pair_values : ndarray, shape (k,)
        STTC of the sampled pairs.
    n_pairs : int
        Valid pairs averaged into ``value``.
    pairs_sampled : bool
        True when ``n_units > max_units`` and a random sample was used.
    n_units, n_silent : int
        Units, and units without spikes (excluded).
    window : float
        Coincidence window in seconds (``|dt| <= window``).
    null_mean, null_sd, z_score, null, n_surrogates, seed
        Surrogate baseline of ``value`` (see :class:`GolombChi`).
    """

    method: ClassVar[str] = "sttc"
    value: float
    matrix: np.ndarray | None
    pairs: np.ndarray
    pair_values: np.ndarray
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    n_silent: int
    window: float
    null_mean: float
    null_sd: float
    z_score: float
    null: str
    n_surrogates: int
    seed: int | None

    def plot(self, ax=None):
        """The STTC matrix (or a note when pairs were sampled).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        return _plot_matrix(self.matrix, ax, "STTC")


def _pair_mean(matrix_or_values: np.ndarray) -> tuple[float, int]:
    v = matrix_or_values[np.triu_indices_from(matrix_or_values, 1)] if matrix_or_values.ndim == 2 \
        else matrix_or_values
    v = v[np.isfinite(v)]
    return (float(v.mean()) if v.size else np.nan), int(v.size)


def sttc_matrix(data: SpikeData, *, window: float = 0.005, max_units: int = MAX_UNITS_ALL_PAIRS,
                n_pairs: int = 100_000, null: str = "circular_shift", n_surrogates: int = 20,
                dither_window: float | None = None, rng=None) -> Sttc:
    """Spike time tiling coefficient (STTC) of every pair of units.

    ``STTC = 1/2 [(P_A - T_B) / (1 - P_A T_B) + (P_B - T_A) / (1 - P_B T_A)]``
    where ``P_A`` is the share of A's spikes within ``|dt| <= window`` of a
    spike of B and ``T_A`` the share of the recording within ``window`` of a
    spike of A (computed once per train). Equal to elephant's
    ``spike_time_tiling_coefficient`` with ``np.isclose``'s ``rtol`` set to 0
    (elephant's default ``rtol`` widens the window with absolute time).

    With gaps in the observation intervals, ``T_A`` is the share of the
    *observed* time within ``window`` of a spike of A: each spike's tile
    ``[t - window, t + window]`` is cut to the support, so tile time in a gap
    does not count, just as elephant cuts tiles at the recording's ends.
    ``P_A`` is unchanged (spikes lie in observed time).

    Parameters
    ----------
    data : SpikeData
        Spikes of at least two units.
    window : float, default 0.005
        Coincidence window ``dt`` in seconds.
    max_units : int, default 5000
        Largest population for which every pair is computed.
    n_pairs : int, default 100000
        Pairs sampled (uniformly, distinct, seeded) above ``max_units``.
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate method for the baseline of the mean STTC.
    n_surrogates : int, default 20
        Surrogates; 0 skips the baseline.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source for pair sampling and surrogates.

    Returns
    -------
    Sttc

    References
    ----------
    Cutts, C. S. & Eglen, S. J. (2014). Detecting pairwise correlations in
    spike trains: an objective comparison of methods and application to the
    study of retinal waves. J. Neurosci. 34, 14288-14303.
    """
    from .. import _kernels

    data = require_spikes(data, 2)
    window = positive_seconds("window", window)
    max_units, n_pairs = _check_pair_args(max_units, n_pairs)
    n_surrogates = integer_at_least("n_surrogates", n_surrogates, 0)
    gen, seed = _seeded(rng)
    offsets = np.array(data.offsets)  # writable copies: numba compiles read-only arrays separately
    plan = _pair_plan(data.n_units, max_units, n_pairs, gen)

    support = np.array(data.support)

    def compute(times):
        if data.has_gaps:
            tiled = _kernels.tiled_fractions_in_support(times, offsets, support, window)
        else:  # elephant's edge rule, summed in elephant's order
            tiled = _kernels.tiled_fractions(times, offsets, data.t_start, data.t_stop, window)
        if plan is None:
            return _kernels.sttc_matrix(times, offsets, np.argsort(times, kind="stable"), tiled, window)
        return _kernels.sttc_pairs(times, offsets, tiled, window, plan[0], plan[1])

    values = compute(np.array(data.times))
    value, n_valid = _pair_mean(values)
    base = _baseline(value, _spike_null(lambda t: _pair_mean(compute(t))[0], data, null, dither_window, gen),
                     n_surrogates)
    return Sttc(value=value, **_pair_fields(plan, values), n_pairs=n_valid, n_units=data.n_units,
                n_silent=int((data.spike_counts == 0).sum()), window=window, null_mean=base.null_mean,
                null_sd=base.null_sd, z_score=base.z_score, null=null, n_surrogates=n_surrogates, seed=seed)


# SPIKE-synchronization ------------------------------------------------------------

@dataclass(frozen=True)
class SpikeSync(_Result):
    """Multivariate SPIKE-synchronization of a population.

    Attributes
    ----------
    value : float
        Total coincidences over total spikes, summed over pairs (PySpike's
        ``spike_sync``); 1 for identical trains.
    n_pairs : int
        Pairs summed.
    pairs_sampled : bool
        True when pairs were sampled (``n_units > max_units``).
    n_units : int
        Units, silent ones included (as in PySpike, their partners' spikes
        count as uncoincident).
    max_tau : float or None
        Upper bound of the coincidence window in seconds (None: unbounded).
    """

    method: ClassVar[str] = "spike_sync"
    value: float
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    max_tau: float | None

    def plot(self, ax=None):
        """A single bar of the SPIKE-synchronization value.

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
        ax.bar(["SPIKE-sync"], [self.value])
        ax.set_ylim(0, 1)
        return ax


@dataclass(frozen=True)
class SpikeSyncMatrix(_Result):
    """SPIKE-synchronization of every pair and of the population.

    Attributes
    ----------
    matrix : ndarray or None
        ``(n_units, n_units)`` pair values (coincidences / spikes of the
        pair; 1 when neither unit fired; 1 on the diagonal), None when pairs
        were sampled.
    pairs : ndarray of int, shape (k, 2)
        Sampled pairs (empty when all pairs were computed).
    pair_values : ndarray, shape (k,)
        Values of the sampled pairs.
    value, n_pairs, pairs_sampled, n_units, max_tau
        As in :class:`SpikeSync`.
    """

    method: ClassVar[str] = "spike_sync_matrix"
    value: float
    matrix: np.ndarray | None
    pairs: np.ndarray
    pair_values: np.ndarray
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    max_tau: float | None

    def plot(self, ax=None):
        """The pair matrix (or a note when pairs were sampled).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        return _plot_matrix(self.matrix, ax, "SPIKE-synchronization")


def _observed_pieces(times: np.ndarray, offsets: np.ndarray, support: np.ndarray):
    """The spikes of each observation interval in the grouped layout: (times, offsets, interval length) per interval."""
    if len(support) == 1:
        return [(times, offsets, float(support[0, 1] - support[0, 0]))]
    n_units = offsets.size - 1
    unit = np.repeat(np.arange(n_units), np.diff(offsets))
    piece = interval_index(times, support)
    # A stable sort by (interval, unit) keeps each unit's spikes in time order.
    order = np.argsort(piece * n_units + unit, kind="stable")
    bounds = np.searchsorted(piece[order], np.arange(len(support) + 1))
    out = []
    for k in range(len(support)):
        sel = order[bounds[k]:bounds[k + 1]]
        off = np.zeros(n_units + 1, dtype=np.int64)
        np.cumsum(np.bincount(unit[sel], minlength=n_units), out=off[1:])
        out.append((times[sel], off, float(support[k, 1] - support[k, 0])))
    return out


def _spike_sync_counts(data: SpikeData, max_tau, max_units, n_pairs, rng):
    from .. import _kernels

    data = require_spikes(data, 2)
    max_units, n_pairs = _check_pair_args(max_units, n_pairs)
    cap = np.inf if max_tau is None else 2.0 * positive_seconds("max_tau", max_tau)
    times, offsets = np.array(data.times), np.array(data.offsets)  # writable, like the deduplicated copy
    dup = np.flatnonzero(np.diff(times) == 0) + 1
    dup = dup[~np.isin(dup, offsets)]
    if dup.size:
        # PySpike drops repeated times within a train (np.unique); so do we.
        keep = np.ones(times.size, dtype=bool)
        keep[dup] = False
        offsets = np.concatenate([[0], np.cumsum(np.bincount(data.unit_index[keep], minlength=data.n_units))])
        times = times[keep]
    gen, _ = _seeded(rng)
    plan = _pair_plan(data.n_units, max_units, n_pairs, gen)
    # Each observation interval is a recording of its own (a gap is neither an interval nor silence):
    # coincidences and spikes add up over intervals, as they add up over pairs.
    coinc = mult = 0.0
    for p_times, p_offsets, length in _observed_pieces(times, offsets, np.array(data.support)):
        true_max = min(length, cap)
        if plan is None:
            half = _kernels.spike_sync_matrix(p_times, p_offsets, np.argsort(p_times, kind="stable"), true_max)
            counts = np.diff(p_offsets).astype(np.float64)
            p_coinc, p_mult = half + half.T, counts[:, None] + counts[None, :]
            np.fill_diagonal(p_mult, 0.0)
        else:
            p_coinc, p_mult = _kernels.spike_sync_pairs(p_times, p_offsets, true_max, plan[0], plan[1])
        coinc, mult = coinc + p_coinc, mult + p_mult
    return data, plan, coinc, mult


def _n_pairs(n: int, plan) -> int:
    return n * (n - 1) // 2 if plan is None else plan[0].size


def _sync_value(coinc, mult) -> float:
    total = mult.sum()
    # Each unordered pair appears twice in the matrix; the ratio is unchanged.
    return float(coinc.sum() / total) if total > 0 else 1.0


def spike_sync(data: SpikeData, *, max_tau: float | None = None, max_units: int = MAX_UNITS_ALL_PAIRS,
               n_pairs: int = 100_000, rng=None) -> SpikeSync:
    """Multivariate SPIKE-synchronization (Kreuz et al. 2015), as PySpike's ``spike_sync``.

    Each spike is coincident with the nearest spike of another train when
    their distance is below an adaptive window: half the smallest of the
    intervals around the two spikes (PySpike's ``MRTS=0``). The population
    value is the sum of coincidences over the sum of spikes across all pairs.

    With gaps in the observation intervals, each interval is treated as a
    recording of its own (PySpike's definition with the interval as
    ``[t_start, t_end]``): an interval between spikes across a gap is not
    observed, so it counts as missing, like the interval before a train's
    first spike, and no coincidence reaches across a gap. Coincidences and
    spikes are summed over intervals as PySpike sums them over pairs, so the
    value is total coincidences over total spikes.

    Parameters
    ----------
    data : SpikeData
        Spikes of at least two units (repeated times within a train are
        dropped, as PySpike does).
    max_tau : float, optional
        PySpike's ``max_tau`` in seconds, with PySpike 0.9's semantics: a
        missing interval (before a train's first or after its last spike)
        counts as ``min(duration, 2 max_tau)`` instead of the duration (of
        the observation interval, with gaps);
        windows between spikes are not capped. None (default) as in PySpike.
    max_units, n_pairs, rng
        Pair sampling above ``max_units`` units (see :func:`sttc_matrix`).

    Returns
    -------
    SpikeSync

    References
    ----------
    Kreuz, T., Mulansky, M. & Bozanic, N. (2015). SPIKY: a graphical user
    interface for monitoring spike train synchrony. J. Neurophysiol. 113,
    3432-3445.
    Mulansky, M. & Kreuz, T. (2016). PySpike - A Python library for
    analyzing spike train synchrony. SoftwareX 5, 183-189.
    """
    data, plan, coinc, mult = _spike_sync_counts(data, max_tau, max_units, n_pairs, rng)
    return SpikeSync(value=_sync_value(coinc, mult), n_pairs=_n_pairs(data.n_units, plan),
                     pairs_sampled=plan is not None, n_units=data.n_units, max_tau=max_tau)


def spike_sync_matrix(data: SpikeData, *, max_tau: float | None = None, max_units: int = MAX_UNITS_ALL_PAIRS,
                      n_pairs: int = 100_000, rng=None) -> SpikeSyncMatrix:
    """SPIKE-synchronization of every pair, as PySpike's ``spike_sync_matrix``, plus the population value.

    Definitions as in :func:`spike_sync` (gaps included); a pair's value is
    its coincidences over its spikes (1 when neither unit fired).

    Parameters
    ----------
    data : SpikeData
        Spikes of at least two units (repeated times within a train are
        dropped, as PySpike does).
    max_tau : float, optional
        PySpike's ``max_tau`` in seconds, as in :func:`spike_sync`; None
        (default) as in PySpike.
    max_units : int, default 5000
        Largest number of units for which every pair is computed; above it,
        ``n_pairs`` random pairs are sampled and ``matrix`` is None (see
        :func:`sttc_matrix`).
    n_pairs : int, default 100000
        Number of pairs sampled above ``max_units`` units.
    rng : numpy.random.Generator, int or None
        Random source for pair sampling.

    Returns
    -------
    SpikeSyncMatrix

    References
    ----------
    Kreuz, T., Mulansky, M. & Bozanic, N. (2015). J. Neurophysiol. 113, 3432-3445.
    """
    data, plan, coinc, mult = _spike_sync_counts(data, max_tau, max_units, n_pairs, rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(mult > 0, coinc / np.where(mult > 0, mult, 1.0), 1.0)
    if plan is None:
        np.fill_diagonal(values, 1.0)
    n = data.n_units
    return SpikeSyncMatrix(value=_sync_value(coinc, mult), **_pair_fields(plan, values), n_pairs=_n_pairs(n, plan),
                           n_units=n, max_tau=max_tau)


# Spike contrast ---------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeContrast(_Result):
    """Spike contrast (Ciba et al. 2018).

    Attributes
    ----------
    value : float
        Maximum of the synchrony curve, in [0, 1].
    bin_sizes : ndarray
        Bin sizes tried, in seconds (largest first).
    contrast, active_spiketrains, synchrony_curve : ndarray
        The curves per bin size (their product is the synchrony curve).
    min_bin : float
        Smallest bin allowed, in seconds.
    bin_shrink_factor : float
        Factor between successive bin sizes.
    """

    method: ClassVar[str] = "spike_contrast"
    value: float
    bin_sizes: np.ndarray
    contrast: np.ndarray
    active_spiketrains: np.ndarray
    synchrony_curve: np.ndarray
    min_bin: float
    bin_shrink_factor: float

    def plot(self, ax=None):
        """Contrast, active-train and synchrony curves against bin size (log axis).

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
        ax.semilogx(self.bin_sizes, self.contrast, label="contrast")
        ax.semilogx(self.bin_sizes, self.active_spiketrains, label="active trains")
        ax.semilogx(self.bin_sizes, self.synchrony_curve, label="synchrony")
        ax.set_xlabel("bin size (s)")
        ax.legend()
        return ax


def spike_contrast(data: SpikeData, *, min_bin: float = 0.01, bin_shrink_factor: float = 0.9) -> SpikeContrast:
    """Spike contrast synchrony, as ``elephant.spike_train_synchrony.spike_contrast``.

    Bins of half-overlapping width (largest ``duration / 2``) shrink by
    ``bin_shrink_factor`` down to ``max(min ISI / 2, min_bin)``; at each size
    the contrast of the population histogram times the normalised number of
    active trains per bin gives the synchrony curve, whose maximum is the
    result. Bin edges and counts follow elephant exactly.

    With gaps in the observation intervals, the observed pieces are joined
    end to end (each spike moved back by the unobserved time before it) and
    the measure runs on that record of ``observed_duration`` seconds: a gap
    adds no empty bins (which would raise the contrast), and the smallest
    inter-spike interval is taken within intervals only. The joins are
    ordinary bin edges; at most one bin per join and size mixes two pieces.

    Parameters
    ----------
    data : SpikeData
        At least two units, one of them with two or more spikes.
    min_bin : float, default 0.01
        Smallest bin size in seconds.
    bin_shrink_factor : float, default 0.9
        In (0, 1).

    Returns
    -------
    SpikeContrast

    References
    ----------
    Ciba, M., Isomura, T., Jimbo, Y., Bahmer, A. & Thielemann, C. (2018).
    Spike-contrast: a novel time scale independent and multivariate measure
    of spike train synchrony. J. Neurosci. Methods 293, 136-143.
    """
    data = require_spikes(data, 2)
    min_bin = positive_seconds("min_bin", min_bin)
    if not 0.0 < bin_shrink_factor < 1.0:
        raise UsageError(f"bin_shrink_factor must lie in (0, 1); got {bin_shrink_factor!r}")
    times, unit = np.asarray(data.times), np.asarray(data.unit_index)
    within = np.diff(unit) == 0
    duration, end = data.duration, data.t_stop
    if data.has_gaps:
        sup = data.support
        piece = interval_index(times, sup)
        within &= np.diff(piece) == 0  # an interval across a gap was not observed
        unobserved_before = sup[:, 0] - data.t_start - np.concatenate([[0.0], np.cumsum(sup[:-1, 1] - sup[:-1, 0])])
        times, duration = times - unobserved_before[piece], data.observed_duration
        end = data.t_start + duration
    if not within.any():
        raise InvalidDataError("spike contrast needs a unit with at least two spikes in one observation interval; "
                               "every unit has at most one")
    isi_min = float(np.diff(times)[within].min())
    t_start, t_stop = data.t_start - isi_min, end + isi_min
    bin_size, bin_min = duration / 2, max(isi_min / 2, min_bin)
    sizes, contrast, active = [], [], []
    while bin_size >= bin_min:
        step = bin_size / 2
        edges = np.arange(t_start, t_stop + step, step)
        n_hist = edges.size - 1
        # np.histogram's rule: [e_k, e_k+1), the last bin closed.
        h = np.minimum(np.searchsorted(edges, times, side="right") - 1, n_hist - 1)
        per_bin = np.bincount(h, minlength=n_hist)
        theta = per_bin[:-1] + per_bin[1:]
        # Active trains per overlapping bin k (histogram bins k and k+1): presence in k, in k+1, minus both.
        key = unit * n_hist + h
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        present_unit, present_bin = unit[first], h[first]
        pres = np.bincount(present_bin, minlength=n_hist)
        both = (present_unit[1:] == present_unit[:-1]) & (present_bin[1:] == present_bin[:-1] + 1)
        n_both = np.bincount(present_bin[:-1][both], minlength=n_hist)[:-1]
        n_active = pres[:-1] + pres[1:] - n_both
        active.append((np.sum(n_active * theta) / np.sum(theta) - 1) / (data.n_units - 1))
        contrast.append(np.sum(np.abs(np.diff(theta))) / (2 * times.size))
        sizes.append(bin_size)
        bin_size *= bin_shrink_factor
    contrast_a, active_a = np.array(contrast), np.array(active)
    curve = contrast_a * active_a
    return SpikeContrast(value=float(curve.max()), bin_sizes=np.array(sizes), contrast=contrast_a,
                         active_spiketrains=active_a, synchrony_curve=curve, min_bin=min_bin,
                         bin_shrink_factor=float(bin_shrink_factor))


# Correlation matrix -----------------------------------------------------------------

@dataclass(frozen=True)
class CorrelationMatrix(_Result):
    """Pearson correlation coefficients of binned spike counts.

    Attributes
    ----------
    matrix : ndarray, shape (n_units, n_units)
        Correlation coefficients; NaN in rows of units without spikes.
    value : float
        Mean over off-diagonal pairs of units with spikes.
    n_pairs : int
        Pairs averaged.
    n_silent : int
        Units without spikes in the binned range.
    bin_width : float
        Bin width in seconds.
    binary : bool
        Whether counts were clipped to 0/1 per bin.
    """

    method: ClassVar[str] = "correlation_matrix"
    matrix: np.ndarray
    value: float
    n_pairs: int
    n_silent: int
    bin_width: float
    binary: bool

    def plot(self, ax=None):
        """The correlation matrix.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        return _plot_matrix(self.matrix, ax, "correlation coefficient")


def _elephant_bins(times: np.ndarray, t_start: float, t_stop: float, bin_width: float) -> tuple[np.ndarray, int]:
    """Bin index of each spike and the number of bins, by elephant's BinnedSpikeTrain rule.

    Positions within 1e-8 of a bin's right edge move into the next bin
    (elephant's default tolerance); spikes past the last whole bin are dropped
    (index -1).
    """
    def round_errors(x):
        return np.where(x % 1 >= 1 - 1e-8, x + 0.5, x).astype(np.int64)

    n_bins = check_bin_count(int(round_errors(np.array((t_stop - t_start) / bin_width))), bin_width, t_stop - t_start)
    idx = round_errors((times - t_start) * (1 / bin_width))
    return np.where(idx < n_bins, idx, -1), n_bins


def correlation_matrix(data: SpikeData, *, bin_width: float = 0.001, binary: bool = False) -> CorrelationMatrix:
    """Pearson correlation coefficients of spike counts in bins of ``bin_width``.

    Equals ``elephant.spike_train_correlation.correlation_coefficient`` of a
    ``BinnedSpikeTrain`` with the same bin size (elephant's default is also
    ``binary=False``: counts, not 0/1). Computed sparsely as
    ``(X X^T - n n^T / L) / sqrt(...)`` so memory grows with spikes, not bins.

    Parameters
    ----------
    data : SpikeData
        At least two units.
    bin_width : float, default 0.001
        Bin width in seconds; bins start at ``t_start``, the last partial
        bin is dropped. With gaps in the observation intervals only whole
        bins inside them count (a bin cut by a gap is dropped), so a gap
        adds no shared empty bins.
    binary : bool, default False
        Clip counts to 1 per bin before correlating.

    Returns
    -------
    CorrelationMatrix
    """
    from scipy import sparse

    data = require_spikes(data, 2)
    bin_width = positive_seconds("bin_width", bin_width)
    idx, n_bins = _elephant_bins(np.asarray(data.times), data.t_start, data.t_stop, bin_width)
    runs = _bin_runs(data, bin_width, n_bins)
    n_observed = int(np.sum(runs[:, 1] - runs[:, 0]))
    if n_observed < 2:
        raise _too_few_bins(data, f"bin_width {bin_width:g} s", n_bins, n_observed, "use smaller bins")
    ok = (idx >= 0) & (interval_index(idx, runs) >= 0)
    x = sparse.csr_matrix((np.ones(int(ok.sum())), (np.asarray(data.unit_index)[ok], idx[ok])),
                          shape=(data.n_units, n_bins))
    x.sum_duplicates()
    if binary:
        x.data[:] = 1.0
    n = np.asarray(x.sum(axis=1)).ravel()
    cov = (x @ x.T).toarray() - np.outer(n, n) / n_observed
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    value, n_pairs = _pair_mean(corr)
    return CorrelationMatrix(matrix=corr, value=value, n_pairs=n_pairs, n_silent=int((n == 0).sum()),
                             bin_width=bin_width, binary=bool(binary))


# Population Fano factor ---------------------------------------------------------------

@dataclass(frozen=True)
class PopulationFano(_Result):
    """Fano factor of the population spike count per counting window.

    Attributes
    ----------
    windows : ndarray
        Window widths in seconds.
    fano : ndarray
        ``var / mean`` of the population count per window (sample variance,
        ddof=1); 1 for a Poisson population, larger when units fire together.
    mean_count : ndarray
        Mean population count per window.
    n_windows : ndarray of int
        Whole windows counted.
    """

    method: ClassVar[str] = "population_fano"
    windows: np.ndarray
    fano: np.ndarray
    mean_count: np.ndarray
    n_windows: np.ndarray

    def plot(self, ax=None):
        """Fano factor against window width, with the Poisson value 1.

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
        ax.semilogx(self.windows, self.fano, "o-")
        ax.axhline(1.0, color="C7", ls="--", label="Poisson")
        ax.set_xlabel("window (s)")
        ax.set_ylabel("Fano factor")
        ax.legend()
        return ax


def population_fano(data: SpikeData, *, windows=(0.001, 0.005, 0.01, 0.05, 0.1)) -> PopulationFano:
    """Fano factor of the population spike count in consecutive windows of each width.

    Parameters
    ----------
    data : SpikeData
        Spikes of the population.
    windows : sequence of float, default (0.001, 0.005, 0.01, 0.05, 0.1)
        Window widths in seconds; windows start at ``t_start`` and a last
        partial window is dropped. With gaps in the observation intervals
        only whole windows inside them count.

    Returns
    -------
    PopulationFano

    References
    ----------
    Churchland, M. M. et al. (2010). Stimulus onset quenches neural
    variability. Nat. Neurosci. 13, 369-378.
    """
    data = require_spikes(data)
    widths = np.array([positive_seconds("window", w) for w in np.atleast_1d(windows)])
    times = np.asarray(data.times)
    fano, mean, count = [], [], []
    for w in widths:
        n = check_bin_count(int(np.floor(data.duration / w + 1e-9)), w, data.duration)
        idx = np.floor((times - data.t_start) / w).astype(np.int64)
        counts = _run_concat(np.bincount(idx[idx < n], minlength=n), _bin_runs(data, w, n))
        if counts.size < 2:
            raise _too_few_bins(data, f"window {w:g} s", n, counts.size, "use shorter windows")
        m = counts.mean()
        fano.append(counts.var(ddof=1) / m if m > 0 else np.nan)
        mean.append(m)
        count.append(counts.size)
    return PopulationFano(windows=widths, fano=np.array(fano), mean_count=np.array(mean), n_windows=np.array(count))


# Kuramoto order -----------------------------------------------------------------------

@dataclass(frozen=True)
class KuramotoOrder(_Result):
    """Kuramoto order parameter of spike-interpolated phases.

    Attributes
    ----------
    value : float
        ``sqrt(max(0, <(N R^2 - 1) / (N - 1)>_t))``: the finite-N-corrected
        order parameter (0 for independent units on average, 1 for
        identical ones).
    r_squared_unbiased : float
        ``<(N R^2 - 1) / (N - 1)>_t``, the unbiased time-averaged mean
        pairwise ``cos(phi_i - phi_j)`` (may be slightly negative).
    r_uncorrected : float
        ``<R(t)>_t`` with ``R = |mean_i exp(i phi_i)|``, biased upward by
        about ``1/sqrt(N)`` for independent units.
    mean_units : float
        Mean number of units with a defined phase per time point.
    n_times : int
        Time points with at least two defined phases (averaged over).
    bin_width : float
        Spacing of the time grid in seconds.
    """

    method: ClassVar[str] = "kuramoto_order"
    value: float
    r_squared_unbiased: float
    r_uncorrected: float
    mean_units: float
    n_times: int
    bin_width: float

    def plot(self, ax=None):
        """Bars of the corrected and uncorrected order parameter.

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
        ax.bar(["R (corrected)", "R (raw)"], [self.value, self.r_uncorrected])
        ax.set_ylim(0, 1)
        return ax


def kuramoto_order(data: SpikeData, *, bin_width: float = 0.001) -> KuramotoOrder:
    """Kuramoto order parameter from phases interpolated between spikes.

    Each unit's phase advances by 2 pi linearly from one spike to the next
    and is defined from its first to its last spike. On a grid of step
    ``bin_width``, ``R(t) = |mean_i exp(i phi_i(t))|`` over the ``N(t)``
    defined units. ``N R^2`` is biased by 1 for independent phases, so
    ``(N R^2 - 1) / (N - 1)`` (the mean pairwise ``cos(phi_i - phi_j)``,
    unbiased) is averaged over time, and the result is the square root of
    its positive part.

    With gaps in the observation intervals, a phase is interpolated only
    between consecutive spikes of the same interval (the unit may have
    fired in the gap), and only grid points of whole bins inside the
    intervals are averaged.

    Parameters
    ----------
    data : SpikeData
        At least two units with two or more spikes.
    bin_width : float, default 0.001
        Time grid step in seconds.

    Returns
    -------
    KuramotoOrder

    References
    ----------
    Kuramoto, Y. (1984). Chemical Oscillations, Waves, and Turbulence. Springer.
    Pikovsky, A., Rosenblum, M. & Kurths, J. (2001). Synchronization.
    Cambridge University Press (phases from spike interpolation, ch. 6).
    """
    from .. import _kernels

    data = require_spikes(data, 2)
    bin_width = positive_seconds("bin_width", bin_width)
    n_grid = check_bin_count(int(np.floor(data.duration / bin_width + 1e-9)), bin_width, data.duration)
    times = np.array(data.times)
    re, im, count = _kernels.kuramoto_sums(times, np.array(data.offsets), interval_index(times, data.support),
                                           data.t_start, bin_width, n_grid)
    ok = count >= 2
    if data.has_gaps:
        ok &= (interval_index(np.arange(n_grid), _bin_runs(data, bin_width, n_grid)) >= 0)
    if not ok.any():
        raise NothingToAnalyseError("no time with two units between spikes; kuramoto_order needs at least two "
                                    "units with two or more spikes that overlap in time")
    n = count[ok].astype(np.float64)
    power = re[ok] ** 2 + im[ok] ** 2
    unbiased = float(((power - n) / (n * (n - 1))).mean())
    return KuramotoOrder(value=math.sqrt(max(0.0, unbiased)), r_squared_unbiased=unbiased,
                         r_uncorrected=float((np.sqrt(power) / n).mean()), mean_units=float(n.mean()),
                         n_times=int(ok.sum()), bin_width=bin_width)
