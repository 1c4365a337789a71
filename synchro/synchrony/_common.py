"""What the synchrony measures share: observed-time bins, surrogate baselines, pair sampling, matrix plots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._plotting import new_axes
from ..core import SpikeData
from ..core.checks.arguments import integer_at_least
from ..errors import NothingToAnalyseError, UsageError

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


# Surrogate baselines ------------------------------------------------------------

@dataclass(frozen=True)
class Baseline:
    null_mean: float
    null_sd: float
    z_score: float


def baseline(value: float, draw_null: Callable[[], float], n_surrogates: int) -> Baseline:
    """Mean, sd and z-score of ``value`` against ``n_surrogates`` draws of the null statistic."""
    if n_surrogates == 0:
        return Baseline(np.nan, np.nan, np.nan)
    null_values = np.array([draw_null() for _ in range(n_surrogates)])
    finite = np.isfinite(null_values)
    mean = float(null_values[finite].mean()) if finite.any() else np.nan
    sd = float(null_values[finite].std(ddof=1)) if finite.sum() > 1 else np.nan
    return Baseline(mean, sd, float((value - mean) / sd) if sd > 0 else np.nan)


def spike_null(statistic: Callable[[np.ndarray], float], data: SpikeData, null: str, dither_window, gen):
    """A draw of ``statistic`` on one surrogate's spike times (in ``data``'s layout)."""
    from ..surrogates import SURROGATE_METHODS, surrogate_times

    if null not in SURROGATE_METHODS:
        raise UsageError(f"unknown surrogate method {null!r}; valid methods are {sorted(SURROGATE_METHODS)}")
    # One surrogate per draw from the same generator: memory stays at one copy of the spikes.
    return lambda: statistic(surrogate_times(data, method=null, n_surrogates=1, dither_window=dither_window,
                                             rng=gen)[0])


def seeded(rng):
    from ..surrogates import seeded_rng

    return seeded_rng(rng)


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
