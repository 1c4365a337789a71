"""Population synchrony over shrinking or fixed bins: spike contrast, population Fano factor, Kuramoto order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._plotting import new_axes
from .._results import Result
from .._validate import positive_seconds, require_spikes
from ..core import SpikeData, interval_index
from ..core.binning import bin_index, n_whole_bins
from ..errors import InvalidDataError, NothingToAnalyseError, UsageError
from ._common import (
    run_concat,
    too_few_bins,
)

__all__ = ["SpikeContrast", "PopulationFano", "KuramotoOrder", "spike_contrast", "population_fano", "kuramoto_order"]


# Spike contrast ---------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeContrast(Result):
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


# Population Fano factor ---------------------------------------------------------------

@dataclass(frozen=True)
class PopulationFano(Result):
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

    analysis: ClassVar[str] = "population_fano"
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
        n = n_whole_bins(data.duration, w)
        idx = bin_index(times, data.t_start, w)
        counts = run_concat(np.bincount(idx[idx < n], minlength=n), data.observed_bins(w, n))
        if counts.size < 2:
            raise too_few_bins(data, f"window {w:g} s", n, counts.size, "use shorter windows")
        m = counts.mean()
        fano.append(counts.var(ddof=1) / m if m > 0 else np.nan)
        mean.append(m)
        count.append(counts.size)
    return PopulationFano(windows=widths, fano=np.array(fano), mean_count=np.array(mean), n_windows=np.array(count))


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
