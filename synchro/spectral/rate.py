"""The binned population rate, and the selection and binning every rate spectrum starts from.

Normalisation: ``r(t) = count(t) / (n_units * bin_width)`` in spikes/s per
unit, over the ``floor(duration / bin_width)`` whole bins from ``t_start``;
bins not wholly inside the time support (``SpikeData.support``) are not
observed (NaN in :class:`PopulationRate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import SpikeData, interval_index
from ..core.binning import bin_index, binned_counts, n_whole_bins
from ..core.checks.arguments import positive_seconds, require_spikes
from ..errors import NothingToAnalyseError, UsageError
from ..plotting import new_axes

__all__ = [
    "PopulationRate",
    "population_rate",
    "MAX_SPECTRAL_BIN_WIDTH",
    "select_spikes",
    "rate_bins",
    "observed_runs",
    "check_spectral_bin_width",
    "spike_bins",
]

#: Widest bin (s) from which a spectrum is taken.
MAX_SPECTRAL_BIN_WIDTH = 0.001


def select_spikes(data: SpikeData, population: str | None = None, population_column: str = "population",
                  discard: float = 0.0) -> SpikeData:
    """The spikes a rate or spectrum is taken from: one population, less an initial transient.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
        Unit-table column that ``population`` refers to.
    discard : float, default 0.0
        Seconds dropped from the start; the observation intervals are cut to what remains.

    Returns
    -------
    SpikeData

    Raises
    ------
    UsageError
        ``discard`` outside the recording or leaving no observed time.
    NothingToAnalyseError
        No unit or no spike left.
    """
    require_spikes(data)
    if population is not None:
        data = data.select(population=population, column=population_column)
    discard = float(discard)
    if discard:
        if not 0.0 < discard < data.duration:
            raise UsageError(f"discard must lie in [0, {data.duration:g}) s, the recording's duration; got {discard:g}")
        if data.support[-1, 1] <= data.t_start + discard:
            raise UsageError(f"discard {discard:g} s leaves no observed time: the observation intervals end at "
                             f"{data.support[-1, 1]:g} s; use a smaller discard")
        data = data.restrict(data.t_start + discard, data.t_stop)
    if data.n_units == 0 or data.n_spikes == 0:
        raise NothingToAnalyseError(f"no spikes to analyse ({data.n_units} units, {data.n_spikes} spikes after "
                                    "selection); choose another population or time window")
    return data


def rate_bins(data: SpikeData, bin_width: float) -> int:
    """Whole bins of ``bin_width`` (s) in the recording, at least 2 (a UsageError otherwise).

    Parameters
    ----------
    data : SpikeData
        Spikes.
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    int
    """
    bin_width = positive_seconds("bin_width", bin_width)
    n = n_whole_bins(data.duration, bin_width)
    if n < 2:
        raise UsageError(f"bin_width {bin_width:g} s leaves fewer than 2 bins in {data.duration:g} s; use a smaller "
                         "bin_width or a longer recording")
    return n


def observed_runs(data: SpikeData, bin_width: float, n_bins: int) -> np.ndarray | None:
    """Runs ``[first, stop)`` of whole bins inside the time support; None when every bin is observed.

    Parameters
    ----------
    data : SpikeData
        Spikes with their time support.
    bin_width : float
        Bin width in seconds.
    n_bins : int
        Bins from ``data.t_start``.

    Returns
    -------
    ndarray of int, shape (k, 2), or None
    """
    runs = data.observed_bins(bin_width, n_bins)
    if not len(runs):
        raise NothingToAnalyseError(f"no whole bin of {bin_width:g} s lies inside the observation intervals; use a "
                                    "smaller bin_width or longer intervals")
    if len(runs) == 1 and runs[0, 0] == 0 and runs[0, 1] == n_bins:
        return None
    return runs


def check_spectral_bin_width(bin_width: float) -> None:
    """Refuse bins wider than :data:`MAX_SPECTRAL_BIN_WIDTH` (s) for a spectrum (one-line UsageError).

    Parameters
    ----------
    bin_width : float
        Bin width in seconds.
    """
    if float(bin_width) > MAX_SPECTRAL_BIN_WIDTH * (1 + 1e-9):
        raise UsageError(f"bin_width {bin_width:g} s is too coarse for a spectrum: bins longer than 1 ms attenuate "
                         f"power (sinc^2) and alias everything above {0.5 / bin_width:g} Hz; use bin_width <= 0.001")


def spike_bins(data: SpikeData, bin_width: float, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index and unit row of every spike inside the ``n_bins`` whole bins.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    bin_width : float
        Bin width in seconds, bins from ``data.t_start``.
    n_bins : int
        Whole bins; spikes in a last partial bin are left out with it.

    Returns
    -------
    bins, units : ndarray of int
        ``units`` may be the read-only :attr:`~synchro.core.SpikeData.unit_index` itself.
    """
    bins = bin_index(data.times, data.t_start, bin_width)
    keep = bins < n_bins  # spikes in a last partial bin are left out with it
    if keep.all():  # no copies of 10^7 spikes when there are none to leave out
        return bins, data.unit_index
    return bins[keep], data.unit_index[keep]



# Population rate ---------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PopulationRate:
    """Binned population rate, in spikes/s per unit.

    Attributes
    ----------
    rate : ndarray
        ``count / (n_units * bin_width)`` in each bin (spikes/s per unit);
        NaN in bins not wholly inside the time support (gaps in the
        observation intervals), which are not observed.
    t_start : float
        Left edge of the first bin (s).
    bin_width : float
        Bin width (s).
    n_units : int
        Units averaged (silent ones included).
    population : str or None
        Population selected, ``None`` for all units.
    """

    rate: np.ndarray
    t_start: float
    bin_width: float
    n_units: int
    population: str | None = None

    @property
    def times(self) -> np.ndarray:
        """Bin centres (s)."""
        return self.t_start + (np.arange(self.rate.size) + 0.5) * self.bin_width

    @property
    def fs(self) -> float:
        """Sampling rate of the binned rate (Hz)."""
        return 1.0 / self.bin_width

    @property
    def observed(self) -> np.ndarray:
        """Bins inside the time support (bool); the rate is NaN elsewhere."""
        return np.isfinite(self.rate)

    def _observed_rate(self) -> np.ndarray:
        return self.rate if not np.isnan(self.rate).any() else self.rate[self.observed]

    def smoothed(self, width: float) -> np.ndarray:
        """Rate convolved with a Gaussian of standard deviation ``width`` (s), for display only.

        Smoothing multiplies the spectrum by ``exp(-(2 pi f width)^2)``; spectra
        are never taken from it. Each observed stretch is smoothed on its own
        (gaps stay NaN and lend no zeros to their edges).

        Parameters
        ----------
        width : float
            Standard deviation of the kernel in seconds.

        Returns
        -------
        ndarray
            Smoothed rate (spikes/s per unit), same bins as :attr:`rate`.
        """
        from scipy.ndimage import gaussian_filter1d

        width = float(width)
        if not width > 0:
            raise UsageError(f"smoothing width must be a positive number of seconds; got {width}")
        if not np.isnan(self.rate).any():
            return gaussian_filter1d(self.rate, width / self.bin_width, mode="nearest")
        out = np.full(self.rate.size, np.nan)
        edges = np.flatnonzero(np.diff(np.r_[False, self.observed, False]))
        for a, b in edges.reshape(-1, 2):
            out[a:b] = gaussian_filter1d(self.rate[a:b], width / self.bin_width, mode="nearest")
        return out

    def summary(self) -> str:
        """One line: population, bins, mean and SD of the rate.

        Returns
        -------
        str
        """
        who = self.population or "all units"
        r = self._observed_rate()
        observed = f" ({r.size} observed)" if r.size < self.rate.size else ""
        return (f"population rate ({who}, {self.n_units} units): {self.rate.size} bins of {self.bin_width * 1e3:g} ms"
                f"{observed}, mean {r.mean():.3g} Hz, SD {r.std():.3g} Hz")

    def to_dict(self) -> dict:
        """Analysis name, parameters and summary statistics (the series itself is left out).

        Returns
        -------
        dict
            JSON-safe record.
        """
        r = self._observed_rate()
        return {"analysis": "population_rate", "normalisation": "count / (n_units * bin_width)",
                "parameters": {"bin_width": self.bin_width, "population": self.population},
                "t_start": self.t_start, "n_bins": int(self.rate.size), "n_observed_bins": int(r.size),
                "n_units": self.n_units, "mean_hz": float(r.mean()), "sd_hz": float(r.std())}

    def plot(self, ax=None, *, smooth: float = 0.005):
        """Plot the binned rate and its Gaussian-smoothed version.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.
        smooth : float, default 0.005
            SD of the display kernel (s).

        Returns
        -------
        matplotlib.axes.Axes
        """

        ax = new_axes(ax)
        ax.plot(self.times, self.rate, color="0.75", lw=0.5, label=f"{self.bin_width * 1e3:g} ms bins")
        ax.plot(self.times, self.smoothed(smooth), color="C0", lw=1, label=f"Gaussian {smooth * 1e3:g} ms")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("rate (spikes/s per unit)")
        ax.legend(loc="upper right", fontsize="small")
        return ax


def population_rate(data: SpikeData, *, bin_width: float = 0.001, population: str | None = None,
                    population_column: str = "population") -> PopulationRate:
    """Population rate from spike counts in bins.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    bin_width : float, default 0.001
        Bin width in seconds. Any width is accepted for display; spectra
        (:func:`~synchro.spectral.rate_spectrum`) require at most 1 ms.
    population : str, optional
        Keep only units whose ``population_column`` equals this value.
    population_column : str, default "population"
        Unit-table column that ``population`` refers to.

    Returns
    -------
    PopulationRate
        ``rate = count / (n_units * bin_width)`` (spikes/s per unit) over the
        ``floor(duration / bin_width)`` whole bins from ``t_start``; spikes
        in a last partial bin are left out. On data with gaps in the time
        support (:attr:`~synchro.core.SpikeData.support`) the bins not wholly
        observed are NaN (see :attr:`PopulationRate.observed`): a gap is
        unknown, not a rate of zero.
    """
    data = select_spikes(data, population, population_column)
    n = rate_bins(data, bin_width)
    rate = binned_counts(data.times, data.t_start, bin_width, n)[0] / (data.n_units * bin_width)
    runs = observed_runs(data, float(bin_width), n)
    if runs is not None:
        rate[interval_index(np.arange(n), runs) < 0] = np.nan
    return PopulationRate(rate, data.t_start, float(bin_width), data.n_units, population)
