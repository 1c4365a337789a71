"""Population synchrony over fixed bins and phases: population Fano factor, Kuramoto order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData, interval_index
from ..core.binning import n_whole_bins
from ..core.checks.arguments import positive_seconds
from ..errors import NothingToAnalyseError
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

__all__ = ["PopulationFano", "KuramotoOrder", "population_fano", "kuramoto_order"]


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
