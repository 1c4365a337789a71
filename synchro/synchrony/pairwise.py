"""Pairwise spike-timing synchrony: STTC of every pair or of a seeded sample of pairs, against chance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData
from ..core.checks.arguments import integer_at_least, positive_seconds
from ._common import (
    AgainstChance,
    chance_fields,
    check_null,
    check_pair_args,
    n_pairs_of,
    pair_fields,
    pair_mean,
    pair_null,
    pair_plan,
    pair_sample,
    plot_matrix,
    select_population,
)

__all__ = ["Sttc", "sttc_matrix", "MAX_UNITS_ALL_PAIRS"]


#: Largest population for which pairwise measures compute every pair by default.
MAX_UNITS_ALL_PAIRS = 5000


# STTC ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Sttc(AgainstChance):
    """Spike time tiling coefficients of a population, against chance.

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
    delta_t : float
        Coincidence window in seconds (``|dt| <= delta_t``).
    null_pairs : int
        Pairs on which the null was computed.
    chance, chance_sd, z, p, null, n_surrogates, dither_window, seed
        The mean STTC against its surrogate null (:class:`AgainstChance`).
    """

    analysis: ClassVar[str] = "sttc"
    value: float
    matrix: np.ndarray | None
    pairs: np.ndarray
    pair_values: np.ndarray
    n_pairs: int
    pairs_sampled: bool
    n_units: int
    n_silent: int
    delta_t: float
    null_pairs: int

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
        return plot_matrix(self.matrix, ax, "STTC")


def sttc_matrix(data: SpikeData, *, delta_t: float = 0.005, max_units: int = MAX_UNITS_ALL_PAIRS,
                n_pairs: int = 100_000, null: str = "circular_shift", n_surrogates: int = 20,
                dither_window: float | None = None, null_pairs: int = 1000, rng=None, population: str | None = None,
                population_column: str = "population") -> Sttc:
    """Spike time tiling coefficient (STTC) of every pair of units, and its chance level.

    ``STTC = 1/2 [(P_A - T_B) / (1 - P_A T_B) + (P_B - T_A) / (1 - P_B T_A)]``
    where ``P_A`` is the share of A's spikes within ``|dt| <= delta_t`` of a
    spike of B and ``T_A`` the share of the recording within ``delta_t`` of
    a spike of A (computed once per train). Equal to elephant's
    ``spike_time_tiling_coefficient`` with ``np.isclose``'s ``rtol`` set to 0
    (elephant's default ``rtol`` widens the window with absolute time).

    With gaps in the observation intervals, ``T_A`` is the share of the
    *observed* time within ``delta_t`` of a spike of A: each spike's tile
    ``[t - delta_t, t + delta_t]`` is cut to the support, so tile time in a
    gap does not count, just as elephant cuts tiles at the recording's ends.
    ``P_A`` is unchanged (spikes lie in observed time).

    Parameters
    ----------
    data : SpikeData
        Spikes of at least two units.
    delta_t : float, default 0.005
        Coincidence window Δt in seconds (Cutts & Eglen 2014).
    max_units : int, default 5000
        Largest population for which every pair is computed.
    n_pairs : int, default 100000
        Pairs sampled (uniformly, distinct, seeded) above ``max_units``.
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Surrogate null of the chance level (:mod:`synchro.surrogates`).
    n_surrogates : int, default 20
        Surrogates; 0 leaves the chance level, z and p undetermined.
    dither_window : float, optional
        Half-width in seconds for ``null="dither"``.
    null_pairs : int, default 1000
        Pairs on which the null is computed: all pairs when there are no
        more, else a seeded uniform sample of this many; ``z`` and ``p``
        then compare the data and the surrogates on the same pairs, and
        ``chance`` estimates the null mean over all pairs.
    rng : numpy.random.Generator, int or None
        Random source for pair sampling and surrogates.
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

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

    data = select_population(data, population, population_column, 2)
    delta_t = positive_seconds("delta_t", delta_t)
    max_units, n_pairs = check_pair_args(max_units, n_pairs)
    null_pairs = integer_at_least("null_pairs", null_pairs, 1)
    n_surrogates, gen, seed = check_null(n_surrogates, rng)
    offsets = np.array(data.offsets)  # writable copies: numba compiles read-only arrays separately
    plan = pair_plan(data.n_units, max_units, n_pairs, gen)
    null_plan = pair_sample(data.n_units, null_pairs, gen)
    support = np.array(data.support)

    def compute(times, plan, offsets=offsets):
        if data.has_gaps:
            tiled = _kernels.tiled_fractions_in_support(times, offsets, support, delta_t)
        else:  # elephant's edge rule, summed in elephant's order
            tiled = _kernels.tiled_fractions(times, offsets, data.t_start, data.t_stop, delta_t)
        if plan is None:
            return _kernels.sttc_matrix(times, offsets, np.argsort(times, kind="stable"), tiled, delta_t)
        return _kernels.sttc_pairs(times, offsets, tiled, delta_t, plan[0], plan[1])

    times = np.array(data.times)
    values = compute(times, plan)
    value, n_valid = pair_mean(values)
    tested = value if null_plan is None and plan is None else pair_mean(compute(times, null_plan))[0]
    draw = pair_null(lambda t, offs, p: pair_mean(compute(t, p, offs))[0], data, offsets, null_plan, null,
                     dither_window, gen)
    return Sttc(value=value, **pair_fields(plan, values), n_pairs=n_valid, n_units=data.n_units,
                n_silent=int((data.spike_counts == 0).sum()), delta_t=delta_t,
                null_pairs=n_pairs_of(data.n_units, null_plan),
                **chance_fields(tested, draw, n_surrogates, null=null, dither_window=dither_window, seed=seed))
