"""Binning rules shared by the analyses."""

from __future__ import annotations

import numpy as np

from .checks import check_bin_count

__all__ = ["elephant_bins"]


def elephant_bins(times: np.ndarray, t_start: float, t_stop: float, bin_width: float) -> tuple[np.ndarray, int]:
    """Bin index of each spike and the number of bins, by elephant's BinnedSpikeTrain rule.

    Positions within 1e-8 of a bin's right edge move into the next bin
    (elephant's default tolerance); spikes past the last whole bin are dropped
    (index -1).

    Parameters
    ----------
    times : ndarray of float
        Spike times in seconds.
    t_start, t_stop : float
        Binned span in seconds; bin 0 starts at ``t_start``.
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    idx : ndarray of int64
        Bin of each spike, ``-1`` past the last whole bin.
    n_bins : int
        Number of whole bins in ``[t_start, t_stop)``.
    """
    def round_errors(x):
        return np.where(x % 1 >= 1 - 1e-8, x + 0.5, x).astype(np.int64)

    n_bins = check_bin_count(int(round_errors(np.array((t_stop - t_start) / bin_width))), bin_width, t_stop - t_start)
    idx = round_errors((times - t_start) * (1 / bin_width))
    return np.where(idx < n_bins, idx, -1), n_bins
