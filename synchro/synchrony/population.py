"""Population synchrony over shrinking or fixed bins: spike contrast, population Fano factor, Kuramoto order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData, interval_index
from ..core.binning import histogram_index, n_whole_bins
from ..core.checks.arguments import positive_seconds
from ..core.compiled import jit
from ..errors import InvalidDataError, NothingToAnalyseError, UsageError
from ..plotting import new_axes
from ..results import Result
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
from ._stream import binned_population

__all__ = ["SpikeContrast", "PopulationFano", "KuramotoOrder", "spike_contrast", "population_fano", "kuramoto_order"]


# Spike contrast ---------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeContrast(AgainstChance):
    """Spike contrast (Ciba et al. 2018), against chance.

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
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        ``value`` against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "spike_contrast"
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


@jit
def _contrast_sums(bins, unit, n_hist, last_bin):
    # One bin size in one pass over the spikes in time order (``bins`` from core.binning.histogram_index, ``unit``
    # alongside): the integer sums of elephant's contrast and active-train terms. ``last_bin[u]``: unit u's latest
    # bin so far (its spikes arrive in time order).
    per_bin = np.zeros(n_hist, dtype=np.int64)
    present = np.zeros(n_hist, dtype=np.int64)
    both = np.zeros(n_hist, dtype=np.int64)
    last_bin[:] = -1
    for i in range(bins.size):
        h = bins[i]
        per_bin[h] += 1
        u = unit[i]
        previous = last_bin[u]
        if h != previous:  # the unit's first spike in bin h
            present[h] += 1
            if previous >= 0 and previous == h - 1:  # present in bins h - 1 and h
                both[previous] += 1
            last_bin[u] = h
    weighted = total = jumps = 0
    for k in range(n_hist - 1):
        theta = per_bin[k] + per_bin[k + 1]
        weighted += (present[k] + present[k + 1] - both[k]) * theta
        total += theta
        if k > 0:
            jumps += abs(theta - per_bin[k - 1] - per_bin[k])
    return weighted, total, jumps


def _contrast_curves(times: np.ndarray, data: SpikeData, min_bin: float, bin_shrink_factor: float):
    """Bin sizes, contrast and active-train curves of spike times in ``data``'s layout."""
    unit = np.asarray(data.unit_index)
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
    times = np.ascontiguousarray(times, dtype=np.float64)
    order = np.argsort(times, kind="stable")
    in_time, unit_in_time, last_bin = times[order], unit[order], np.empty(data.n_units, dtype=np.int64)
    sizes, contrast, active = [], [], []
    while bin_size >= bin_min:
        step = bin_size / 2
        edges = np.arange(t_start, t_stop + step, step)
        weighted, total, jumps = _contrast_sums(histogram_index(in_time, edges), unit_in_time, edges.size - 1,
                                                last_bin)
        active.append((weighted / total - 1) / (data.n_units - 1))
        contrast.append(jumps / (2 * times.size))
        sizes.append(bin_size)
        bin_size *= bin_shrink_factor
    return np.array(sizes), np.array(contrast), np.array(active)


def spike_contrast(data: SpikeData, *, min_bin: float = 0.01, bin_shrink_factor: float = 0.9,
                   null: str = "circular_shift", n_surrogates: int = 20, dither_window: float | None = None, rng=None,
                   population: str | None = None, population_column: str = "population") -> SpikeContrast:
    """Spike contrast synchrony, as ``elephant.spike_train_synchrony.spike_contrast``, and its chance level.

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
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate null of the chance level (:mod:`synchro.surrogates`).
    n_surrogates : int, default 20
        Surrogates; 0 leaves the chance level, z and p undetermined.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source of the surrogates; the seed is recorded.
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

    Returns
    -------
    SpikeContrast

    References
    ----------
    Ciba, M., Isomura, T., Jimbo, Y., Bahmer, A. & Thielemann, C. (2018).
    Spike-contrast: a novel time scale independent and multivariate measure
    of spike train synchrony. J. Neurosci. Methods 293, 136-143.
    """
    data = select_population(data, population, population_column, 2)
    min_bin = positive_seconds("min_bin", min_bin)
    if not 0.0 < bin_shrink_factor < 1.0:
        raise UsageError(f"bin_shrink_factor must lie in (0, 1); got {bin_shrink_factor!r}")
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    sizes, contrast, active = _contrast_curves(np.asarray(data.times), data, min_bin, bin_shrink_factor)
    curve = contrast * active
    value = float(curve.max())

    def statistic(t):
        c, a = _contrast_curves(t, data, min_bin, bin_shrink_factor)[1:]
        return float((c * a).max())

    draw = spike_null(statistic, data, null, dither_window, gen)
    return SpikeContrast(value=value, bin_sizes=sizes, contrast=contrast, active_spiketrains=active,
                         synchrony_curve=curve, min_bin=min_bin, bin_shrink_factor=float(bin_shrink_factor),
                         **chance_fields(value, draw, n_surrogates, null=null, dither_window=dither_window, seed=seed))


# Population Fano factor ---------------------------------------------------------------

@dataclass(frozen=True)
class PopulationFano(AgainstChance):
    """Fano factor of the population spike count per bin width, against chance.

    Attributes
    ----------
    bin_widths : ndarray
        Widths of the counting bins in seconds.
    fano : ndarray
        ``var / mean`` of the population count per bin width (sample
        variance, ddof=1); 1 for a Poisson population, larger when units
        fire together.
    mean_count : ndarray
        Mean population count per bin, for each width.
    n_bins : ndarray of int
        Whole bins counted, for each width.
    chance, chance_sd, z, p : ndarray
        ``fano`` against its surrogate null, one entry per bin width (NaN
        where undetermined).
    null, n_surrogates, dither_window, seed
        The null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "population_fano"
    bin_widths: np.ndarray
    fano: np.ndarray
    mean_count: np.ndarray
    n_bins: np.ndarray

    def plot(self, ax=None):
        """Fano factor against bin width, with its chance level and the Poisson value 1.

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
        ax.semilogx(self.bin_widths, self.fano, "o-", label="data")
        ax.semilogx(self.bin_widths, self.chance, "s:", color="C7", label="chance")
        ax.axhline(1.0, color="C7", ls="--", label="Poisson")
        ax.set_xlabel("bin width (s)")
        ax.set_ylabel("Fano factor")
        ax.legend()
        return ax


def _fano(data: SpikeData, widths: np.ndarray, shifts=None):
    """Fano factor, mean count and number of whole bins of the population counts, per bin width, of the data or of
    its circular shift by ``shifts`` (binned without writing the shifted trains)."""
    fano, mean, count = [], [], []
    for w in widths:
        n = n_whole_bins(data.duration, w)
        counts = run_concat(binned_population(data, w, n, shifts), data.observed_bins(w, n))
        if counts.size < 2:
            raise too_few_bins(data, f"bin width {w:g} s", n, counts.size, "use narrower bins")
        m = counts.mean()
        fano.append(counts.var(ddof=1) / m if m > 0 else np.nan)
        mean.append(m)
        count.append(counts.size)
    return np.array(fano), np.array(mean), np.array(count)


def population_fano(data: SpikeData, *, bin_widths=(0.001, 0.005, 0.01, 0.05, 0.1), null: str = "circular_shift",
                    n_surrogates: int = 20, dither_window: float | None = None, rng=None,
                    population: str | None = None, population_column: str = "population") -> PopulationFano:
    """Fano factor of the population spike count in consecutive bins of each width, and its chance level.

    Parameters
    ----------
    data : SpikeData
        Spikes of the population.
    bin_widths : sequence of float, default (0.001, 0.005, 0.01, 0.05, 0.1)
        Bin widths in seconds; bins start at ``t_start`` and a last partial
        bin is dropped. With gaps in the observation intervals only whole
        bins inside them count.
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate null of the chance level (:mod:`synchro.surrogates`):
        circular shifts keep each unit's own count variance, so the chance
        level is the Fano factor of units that share nothing.
    n_surrogates : int, default 20
        Surrogates; 0 leaves the chance level, z and p undetermined.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source of the surrogates; the seed is recorded.
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

    Returns
    -------
    PopulationFano

    References
    ----------
    Churchland, M. M. et al. (2010). Stimulus onset quenches neural
    variability. Nat. Neurosci. 13, 369-378.
    """
    data = select_population(data, population, population_column)
    widths = np.array([positive_seconds("bin_width", w) for w in np.atleast_1d(bin_widths)])
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    fano, mean, count = _fano(data, widths)
    if null == "circular_shift":
        def draw():
            return _fano(data, widths, circular_shift_draws(data, n_surrogates=1, rng=gen)[0])[0]
    else:
        draw = spike_null(lambda t: _fano(with_times(data, t), widths)[0], data, null, dither_window, gen)
    return PopulationFano(bin_widths=widths, fano=fano, mean_count=mean, n_bins=count,
                          **chance_fields(fano, draw, n_surrogates, null=null, dither_window=dither_window, seed=seed))


# Kuramoto order -----------------------------------------------------------------------

@dataclass(frozen=True)
class KuramotoOrder(Result):
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

    analysis: ClassVar[str] = "kuramoto_order"
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


def kuramoto_order(data: SpikeData, *, bin_width: float = 0.001, population: str | None = None,
                   population_column: str = "population") -> KuramotoOrder:
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
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

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

    data = select_population(data, population, population_column, 2)
    bin_width = positive_seconds("bin_width", bin_width)
    n_grid = n_whole_bins(data.duration, bin_width)
    times = np.array(data.times)
    re, im, count = _kernels.kuramoto_sums(times, np.array(data.offsets), interval_index(times, data.support),
                                           data.t_start, bin_width, n_grid)
    ok = count >= 2
    if data.has_gaps:
        ok &= (interval_index(np.arange(n_grid), data.observed_bins(bin_width, n_grid)) >= 0)
    if not ok.any():
        raise NothingToAnalyseError("no time with two units between spikes; kuramoto_order needs at least two "
                                    "units with two or more spikes that overlap in time")
    n = count[ok].astype(np.float64)
    power = re[ok] ** 2 + im[ok] ** 2
    unbiased = float(((power - n) / (n * (n - 1))).mean())
    return KuramotoOrder(value=math.sqrt(max(0.0, unbiased)), r_squared_unbiased=unbiased,
                         r_uncorrected=float((np.sqrt(power) / n).mean()), mean_units=float(n.mean()),
                         n_times=int(ok.sum()), bin_width=bin_width)
