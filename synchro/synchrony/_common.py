"""What the synchrony measures share: observed-time bins, chance levels, populations, pair sampling, matrix plots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core import SpikeData
from ..core.checks.arguments import integer_at_least, require_spikes
from ..errors import NothingToAnalyseError, UsageError
from ..plotting import new_axes
from ..results import Result
from ..surrogates import (
    SURROGATE_NULLS,
    circular_shift,
    circular_shift_draws,
    monte_carlo_p,
    seeded_rng,
    surrogate_times,
)

__all__: list[str] = []


def plot_matrix(matrix, ax, label: str):
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

def run_concat(x: np.ndarray, runs: np.ndarray, f=None) -> np.ndarray:
    """The columns (last axis) of ``x`` in ``runs``, each run passed through ``f`` first, joined end to end."""
    if not len(runs):
        return x[..., :0]
    return np.concatenate([x[..., a:b] if f is None else f(x[..., a:b]) for a, b in runs], axis=-1)


def too_few_bins(data: SpikeData, what: str, n_whole: int, n_observed: int, fix: str) -> Exception:
    """The error for fewer than two whole bins: the caller's choice (UsageError) unless only the gaps cause it."""
    if data.has_gaps and n_whole >= 2:
        return NothingToAnalyseError(f"{what} leaves {n_observed} whole bin(s) inside the observation intervals "
                                     f"({data.observed_duration:g} s observed in {len(data.support)} interval(s)); "
                                     f"{fix} or analyse longer intervals")
    return UsageError(f"{what} leaves {n_whole} bin(s) in {data.duration:g} s; {fix}")


# Chance levels -------------------------------------------------------------------

@dataclass(frozen=True)
class AgainstChance(Result):
    """Where a synchrony index stands against its surrogate null: the fields every index shares.

    Attributes
    ----------
    chance : float or ndarray
        Mean of the index over the surrogates: its value when units are
        aligned only by chance (NaN when ``n_surrogates == 0``).
    chance_sd : float or ndarray
        Standard deviation of the index over the surrogates (ddof=1).
    z : float or None
        ``(observed - chance) / chance_sd``; None (NaN in arrays) when the
        null has no spread or too few finite draws: undetermined, not 0.
    p : float or ndarray
        One-sided Monte Carlo p-value, ``(1 + #{null >= observed}) /
        (1 + n)`` over the finite draws (:func:`synchro.surrogates.monte_carlo_p`);
        NaN without surrogates or for an undefined index.
    null : str
        Surrogate null (:data:`synchro.surrogates.SURROGATE_NULLS`).
    n_surrogates : int
        Surrogates drawn.
    dither_window : float or None
        Half-width of the dither in seconds (``null="dither"`` only).
    seed : int or None
        Seed of the random generator (None when a Generator was passed).
    """

    chance: float | np.ndarray
    chance_sd: float | np.ndarray
    z: float | np.ndarray | None
    p: float | np.ndarray
    null: str
    n_surrogates: int
    dither_window: float | None
    seed: int | None


def chance_fields(observed, draw: Callable[[], object], n_surrogates: int, *, null: str, dither_window, seed) -> dict:
    """The :class:`AgainstChance` fields of ``observed`` (a float, or an array of several indices) against
    ``n_surrogates`` calls of ``draw()`` (the same statistic on one surrogate each)."""
    observed = np.asarray(observed, dtype=np.float64)
    draws = np.array([draw() for _ in range(n_surrogates)], dtype=np.float64).reshape(n_surrogates,
                                                                                       *observed.shape)
    finite = np.isfinite(draws)
    n_finite = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        chance = np.where(n_finite > 0, np.where(finite, draws, 0.0).sum(axis=0) / np.maximum(n_finite, 1), np.nan)
        spread = np.where(finite, draws - chance, 0.0)
        sd = np.where(n_finite > 1, np.sqrt((spread ** 2).sum(axis=0) / np.maximum(n_finite - 1, 1)), np.nan)
        z = np.where(sd > 0, (observed - chance) / sd, np.nan)
    flat_draws, flat_finite = draws.reshape(n_surrogates, observed.size), finite.reshape(n_surrogates, observed.size)
    p = np.array([monte_carlo_p(flat_draws[flat_finite[:, k], k], o) if n_finite.flat[k] else np.nan
                  for k, o in enumerate(observed.ravel())]).reshape(observed.shape)
    if observed.ndim == 0:
        chance, sd, p = float(chance), float(sd), float(p)
        z = float(z) if np.isfinite(z) else None
    return {"chance": chance, "chance_sd": sd, "z": z, "p": p, "null": null, "n_surrogates": n_surrogates,
            "dither_window": None if dither_window is None else float(dither_window), "seed": seed}


def spike_null(statistic: Callable[[np.ndarray], object], data: SpikeData, null: str, dither_window, gen,
               units=None):
    """A draw of ``statistic`` on one surrogate's spike times (in ``data``'s layout).

    ``units`` (ascending rows): the statistic reads only these units, and gets times in the layout of
    ``data.select_units(units)``; a circular shift then writes only their spikes (its draws are the whole
    population's, so the surrogates are the same), the other nulls all spikes."""
    if null not in SURROGATE_NULLS:
        raise UsageError(f"unknown surrogate null {null!r}; valid nulls are {sorted(SURROGATE_NULLS)}")
    if units is not None and null == "circular_shift":
        sub = data.select_units(units)
        return lambda: statistic(circular_shift(sub, n_surrogates=1, shifts=circular_shift_draws(
            data, n_surrogates=1, rng=gen)[:, units])[0])
    if units is not None:
        keep = np.zeros(data.n_spikes, dtype=bool)
        for u in units:
            keep[data.offsets[u]:data.offsets[u + 1]] = True
        return lambda: statistic(surrogate_times(data, null=null, n_surrogates=1, dither_window=dither_window,
                                                 rng=gen)[0][keep])
    # One surrogate per draw from the same generator: memory stays at one copy of the spikes.
    return lambda: statistic(surrogate_times(data, null=null, n_surrogates=1, dither_window=dither_window,
                                             rng=gen)[0])


def with_times(data: SpikeData, times: np.ndarray) -> SpikeData:
    """``data`` with other spike times in its layout (a surrogate's): same units, bounds and intervals."""
    return SpikeData(times, data.offsets, data.units, data.t_start, data.t_stop, intervals=data.intervals)


def check_null(n_surrogates, rng) -> tuple[int, np.random.Generator, int | None]:
    """``n_surrogates`` checked, and the generator with the seed to record."""
    return (integer_at_least("n_surrogates", n_surrogates, 0), *seeded_rng(rng))


# Populations -------------------------------------------------------------------------

def select_population(data, population: str | None, population_column: str, min_units: int = 1) -> SpikeData:
    """``data`` checked, restricted to the units whose ``population_column`` is ``population`` (all when None)."""
    data = require_spikes(data)
    if population is not None:
        data = data.select(population=population, column=population_column)
    return require_spikes(data, min_units)


# Pair selection -------------------------------------------------------------------

def pair_plan(n: int, max_units: int, n_pairs: int, gen) -> tuple[np.ndarray, np.ndarray] | None:
    """None for all pairs, else a uniform sample of distinct pairs ``i < j`` (rows, cols)."""
    if n <= max_units:
        return None
    total = n * (n - 1) // 2
    k = np.sort(gen.choice(total, size=min(n_pairs, total), replace=False)).astype(np.int64)
    # Invert the row-major index of the strict upper triangle.
    i = n - 2 - np.floor(np.sqrt(-8.0 * k + 4.0 * n * (n - 1) - 7) / 2.0 - 0.5).astype(np.int64)
    j = k + i + 1 - total + (n - i) * (n - i - 1) // 2
    return i, j


def pair_sample(n: int, n_pairs: int, gen) -> tuple[np.ndarray, np.ndarray] | None:
    """None when ``n`` units have at most ``n_pairs`` pairs, else a uniform sample of ``n_pairs`` distinct pairs."""
    return None if n * (n - 1) // 2 <= n_pairs else pair_plan(n, 1, n_pairs, gen)


def pair_null(statistic: Callable[[np.ndarray, np.ndarray, object], object], data: SpikeData, offsets: np.ndarray,
              plan, null: str, dither_window, gen):
    """A draw of a pair statistic, ``statistic(times, offsets, plan)`` over the pairs of ``plan`` (all pairs when
    None), on one surrogate (:func:`spike_null`).

    With a sampled plan, a pair's value reads its two trains only, so the surrogate is written for the plan's units
    alone: ``statistic`` then gets their times, offsets and the plan in the layout of ``data.select_units(units)``.
    ``offsets`` are ``data``'s, as the statistic takes them for all pairs.
    """
    if plan is None:
        return spike_null(lambda t: statistic(t, offsets, None), data, null, dither_window, gen)
    units, where = np.unique(np.concatenate(plan), return_inverse=True)
    sub_offsets = np.concatenate([[0], np.cumsum(data.spike_counts[units])]).astype(np.int64)
    sub_plan = (where[:plan[0].size].astype(np.int64), where[plan[0].size:].astype(np.int64))
    return spike_null(lambda t: statistic(t, sub_offsets, sub_plan), data, null, dither_window, gen, units=units)


def n_pairs_of(n: int, plan) -> int:
    """Pairs of ``n`` units in ``plan`` (all of them when None)."""
    return n * (n - 1) // 2 if plan is None else plan[0].size


def check_pair_args(max_units, n_pairs) -> tuple[int, int]:
    return integer_at_least("max_units", max_units, 2), integer_at_least("n_pairs", n_pairs, 1)


def pair_fields(plan, values: np.ndarray) -> dict:
    """Result fields for a full matrix (``plan`` None) or for sampled pairs."""
    if plan is None:
        return {"matrix": values, "pairs": np.empty((0, 2), dtype=np.int64), "pair_values": np.empty(0),
                "pairs_sampled": False}
    return {"matrix": None, "pairs": np.column_stack(plan), "pair_values": values, "pairs_sampled": True}


def pair_mean(matrix_or_values: np.ndarray) -> tuple[float, int]:
    v = matrix_or_values[np.triu_indices_from(matrix_or_values, 1)] if matrix_or_values.ndim == 2 \
        else matrix_or_values
    v = v[np.isfinite(v)]
    return (float(v.mean()) if v.size else np.nan), int(v.size)
