"""SPIKE-synchronization (Kreuz et al. 2015), every pair or a seeded sample of pairs, against chance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData, interval_index
from ..core.checks import unit_offsets
from ..core.checks.arguments import integer_at_least, positive_seconds
from ..plotting import new_axes
from ._common import (
    AgainstChance,
    chance_fields,
    check_null,
    check_pair_args,
    n_pairs_of,
    pair_fields,
    pair_null,
    pair_plan,
    pair_sample,
    plot_matrix,
    select_population,
)
from .pairwise import MAX_UNITS_ALL_PAIRS

__all__ = ["SpikeSyncMatrix", "SpikeSync", "spike_sync_matrix", "spike_sync"]


# SPIKE-synchronization ------------------------------------------------------------

@dataclass(frozen=True)
class SpikeSync(AgainstChance):
    """Multivariate SPIKE-synchronization of a population, against chance.

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
    null_pairs : int
        Pairs on which the null was computed.
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        ``value`` against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "spike_sync"
    value: float
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    max_tau: float | None
    null_pairs: int

    def plot(self, ax=None):
        """A bar of the SPIKE-synchronization value beside its chance level.

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
        ax.bar(["SPIKE-sync", "chance"], [self.value, self.chance], color=["C0", "C7"])
        ax.set_ylim(0, 1)
        return ax


@dataclass(frozen=True)
class SpikeSyncMatrix(AgainstChance):
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
    value, n_pairs, pairs_sampled, n_units, max_tau, null_pairs
        As in :class:`SpikeSync`.
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        ``value`` against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "spike_sync_matrix"
    value: float
    matrix: np.ndarray | None
    pairs: np.ndarray
    pair_values: np.ndarray
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    max_tau: float | None
    null_pairs: int

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
        return plot_matrix(self.matrix, ax, "SPIKE-synchronization")


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
        out.append((times[sel], unit_offsets(unit[sel], n_units), float(support[k, 1] - support[k, 0])))
    return out


def _sync_counts(times: np.ndarray, offsets: np.ndarray, support: np.ndarray, cap: float, plan):
    """Coincidences and spikes of every pair (matrices, or vectors over the pairs of ``plan``)."""
    from .. import _kernels

    dup = np.flatnonzero(np.diff(times) == 0) + 1
    dup = dup[~np.isin(dup, offsets)]
    if dup.size:
        # PySpike drops repeated times within a train (np.unique); so do we.
        keep = np.ones(times.size, dtype=bool)
        keep[dup] = False
        unit = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
        offsets = unit_offsets(unit[keep], offsets.size - 1)
        times = times[keep]
    # Each observation interval is a recording of its own (a gap is neither an interval nor silence):
    # coincidences and spikes add up over intervals, as they add up over pairs.
    coinc = mult = 0.0
    for p_times, p_offsets, length in _observed_pieces(times, offsets, support):
        true_max = min(length, cap)
        if plan is None:
            half = _kernels.spike_sync_matrix(p_times, p_offsets, np.argsort(p_times, kind="stable"), true_max)
            counts = np.diff(p_offsets).astype(np.float64)
            p_coinc, p_mult = half + half.T, counts[:, None] + counts[None, :]
            np.fill_diagonal(p_mult, 0.0)
        else:
            p_coinc, p_mult = _kernels.spike_sync_pairs(p_times, p_offsets, true_max, plan[0], plan[1])
        coinc, mult = coinc + p_coinc, mult + p_mult
    return coinc, mult


def _spike_sync_run(data, max_tau, max_units, n_pairs, null, n_surrogates, dither_window, null_pairs, rng,
                    population, population_column):
    """The counts of the data's pairs, and the chance fields of the population value."""
    data = select_population(data, population, population_column, 2)
    max_units, n_pairs = check_pair_args(max_units, n_pairs)
    null_pairs = integer_at_least("null_pairs", null_pairs, 1)
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    cap = np.inf if max_tau is None else 2.0 * positive_seconds("max_tau", max_tau)
    times, offsets = np.array(data.times), np.array(data.offsets)  # writable, like the deduplicated copy
    support = np.array(data.support)
    plan = pair_plan(data.n_units, max_units, n_pairs, gen)
    null_plan = pair_sample(data.n_units, null_pairs, gen)
    coinc, mult = _sync_counts(times, offsets, support, cap, plan)

    def statistic(t, offsets, plan):
        return _sync_value(*_sync_counts(t, offsets, support, cap, plan))

    tested = _sync_value(coinc, mult) if null_plan is None and plan is None else statistic(times, offsets, null_plan)
    draw = pair_null(statistic, data, offsets, null_plan, null, dither_window, gen)
    chance = chance_fields(tested, draw, n_surrogates, null=null, dither_window=dither_window, seed=seed)
    return data, plan, coinc, mult, {"null_pairs": n_pairs_of(data.n_units, null_plan), **chance}


def _sync_value(coinc, mult) -> float:
    total = mult.sum()
    # Each unordered pair appears twice in the matrix; the ratio is unchanged.
    return float(coinc.sum() / total) if total > 0 else 1.0


def spike_sync(data: SpikeData, *, max_tau: float | None = None, max_units: int = MAX_UNITS_ALL_PAIRS,
               n_pairs: int = 100_000, null: str = "circular_shift", n_surrogates: int = 20,
               dither_window: float | None = None, null_pairs: int = 1000, rng=None, population: str | None = None,
               population_column: str = "population") -> SpikeSync:
    """Multivariate SPIKE-synchronization (Kreuz et al. 2015), as PySpike's ``spike_sync``, and its chance level.

    Each spike is coincident with the nearest spike of another train when
    their distance is below an adaptive window: half the smallest of the
    intervals around the two spikes (PySpike's ``MRTS=0``). The population
    value is the sum of coincidences over the sum of spikes across all pairs.
    Trains firing at random still share coincidences (the window adapts to
    the rates), so the value means little without its chance level.

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
    max_units, n_pairs
        Pair sampling above ``max_units`` units (see :func:`sttc_matrix`).
    null, n_surrogates, dither_window, null_pairs
        The chance level, as in :func:`sttc_matrix`.
    rng : numpy.random.Generator, int or None
        Random source for pair sampling and surrogates.
    population, population_column
        Units analysed, as in :func:`sttc_matrix`.

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
    data, plan, coinc, mult, chance = _spike_sync_run(data, max_tau, max_units, n_pairs, null, n_surrogates,
                                                      dither_window, null_pairs, rng, population, population_column)
    return SpikeSync(value=_sync_value(coinc, mult), n_pairs=n_pairs_of(data.n_units, plan),
                     pairs_sampled=plan is not None, n_units=data.n_units, max_tau=max_tau, **chance)


def spike_sync_matrix(data: SpikeData, *, max_tau: float | None = None, max_units: int = MAX_UNITS_ALL_PAIRS,
                      n_pairs: int = 100_000, null: str = "circular_shift", n_surrogates: int = 20,
                      dither_window: float | None = None, null_pairs: int = 1000, rng=None,
                      population: str | None = None, population_column: str = "population") -> SpikeSyncMatrix:
    """SPIKE-synchronization of every pair, as PySpike's ``spike_sync_matrix``, plus the population value.

    Definitions as in :func:`spike_sync` (gaps and chance level included); a
    pair's value is its coincidences over its spikes (1 when neither unit
    fired).

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
    null, n_surrogates, dither_window, null_pairs
        The chance level of the population value, as in :func:`sttc_matrix`.
    rng : numpy.random.Generator, int or None
        Random source for pair sampling and surrogates.
    population, population_column
        Units analysed, as in :func:`sttc_matrix`.

    Returns
    -------
    SpikeSyncMatrix

    References
    ----------
    Kreuz, T., Mulansky, M. & Bozanic, N. (2015). J. Neurophysiol. 113, 3432-3445.
    """
    data, plan, coinc, mult, chance = _spike_sync_run(data, max_tau, max_units, n_pairs, null, n_surrogates,
                                                      dither_window, null_pairs, rng, population, population_column)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(mult > 0, coinc / np.where(mult > 0, mult, 1.0), 1.0)
    if plan is None:
        np.fill_diagonal(values, 1.0)
    n = data.n_units
    return SpikeSyncMatrix(value=_sync_value(coinc, mult), **pair_fields(plan, values), n_pairs=n_pairs_of(n, plan),
                           n_units=n, max_tau=max_tau, **chance)
