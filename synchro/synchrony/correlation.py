"""Pearson correlation of binned spike counts, every pair, on elephant's binning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import SpikeData, interval_index
from ..core.binning import elephant_bins
from ..core.checks.arguments import positive_seconds
from ..results import Result
from ._common import (
    pair_mean,
    plot_matrix,
    select_population,
    too_few_bins,
)

__all__ = ["CorrelationMatrix", "correlation_matrix"]


# Correlation matrix -----------------------------------------------------------------

@dataclass(frozen=True)
class CorrelationMatrix(Result):
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

    analysis: ClassVar[str] = "correlation_matrix"
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
        return plot_matrix(self.matrix, ax, "correlation coefficient")


def correlation_matrix(data: SpikeData, *, bin_width: float = 0.001, binary: bool = False,
                       population: str | None = None, population_column: str = "population") -> CorrelationMatrix:
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
    population : str, optional
        Analyse only the units whose ``population_column`` holds this value.
    population_column : str, default "population"
        Unit-table column of ``population``.

    Returns
    -------
    CorrelationMatrix
    """
    from scipy import sparse

    data = select_population(data, population, population_column, 2)
    bin_width = positive_seconds("bin_width", bin_width)
    idx, n_bins = elephant_bins(np.asarray(data.times), data.t_start, data.t_stop, bin_width)
    runs = data.observed_bins(bin_width, n_bins)
    n_observed = int(np.sum(runs[:, 1] - runs[:, 0]))
    if n_observed < 2:
        raise too_few_bins(data, f"bin_width {bin_width:g} s", n_bins, n_observed, "use smaller bins")
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
    value, n_pairs = pair_mean(corr)
    return CorrelationMatrix(matrix=corr, value=value, n_pairs=n_pairs, n_silent=int((n == 0).sum()),
                             bin_width=bin_width, binary=bool(binary))
