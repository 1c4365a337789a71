"""What one run of a network is reduced to in a sensitivity sweep: :func:`run_metrics` and :class:`RunMetrics`.

Population rates, band verdicts with peak frequencies and p-values, Golomb
chi, mean STTC, the onset transient and per-unit counts of the first 100 ms,
from the spikes of one simulation. :func:`sims.sweep.run_point` stores them
per grid point; :func:`synchro.sensitivity.sensitivity` compares them across
the levels of a factor (time step, size, scheme) and across seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from synchro.core import SpikeData
from synchro.errors import UsageError
from synchro.plotting import new_axes
from synchro.results import jsonable
from synchro.rhythms import DEFAULT_BANDS, band_verdicts, check_surrogates
from synchro.spectral import Multitaper, population_rate
from synchro.synchrony import golomb_chi, sttc_matrix

__all__ = ["run_metrics", "check_windows", "RunMetrics", "METRICS_VERSION"]

#: Version of the definitions of :func:`run_metrics`; sweeps key their stored points on it, so that points
#: computed under older definitions are computed again.
METRICS_VERSION = 2


@dataclass(frozen=True, eq=False)
class RunMetrics:
    """Summary numbers of one run.

    Attributes
    ----------
    values : dict of str to float
        ``rate_<population>`` and ``rate_all`` (spikes/s per unit, after
        ``discard``); per band ``<band>_present`` (1 or 0),
        ``<band>_peak_hz`` (Hz), ``<band>_centroid_hz`` (power-weighted mean
        frequency of the spectrum's excess over the surrogate mean in the band,
        Hz: a steadier frequency estimate than the peak), ``<band>_p`` (peak-test p-value, Holm-adjusted
        across bands), ``<band>_power_db`` (dB over the aperiodic fit);
        ``chi`` (Golomb chi, 10 ms exponential kernel); ``sttc`` (mean STTC,
        ``sttc_delta_t``); ``onset_time_s`` (s) and ``onset_height_hz``
        (spikes/s per unit) of the onset transient, the largest peak of the
        population rate in the first ``early_window``. NaN where
        undefined (no spikes).
    early_counts : ndarray of int
        Spikes of each unit in ``[t_start, t_start + early_window)``, for
        :func:`synchro.sensitivity.spike_count_divergence`.
    parameters : dict
        Every parameter of the analysis, surrogate count and seed included.
    """

    values: dict
    early_counts: np.ndarray
    parameters: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-safe record.

        Returns
        -------
        dict
            ``analysis`` (``"run_metrics"``), ``parameters``, ``metrics`` and
            ``early_counts``.
        """
        return {"analysis": "run_metrics", "parameters": jsonable(self.parameters), "metrics": jsonable(self.values),
                "early_counts": self.early_counts.tolist()}

    def plot(self, ax=None):
        """Horizontal bars of the metric values, labelled with their names.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure by default.

        Returns
        -------
        matplotlib.axes.Axes
        """

        ax = new_axes(ax)
        names = list(self.values)
        ax.barh(names, [self.values[k] for k in names], color="C0")
        ax.invert_yaxis()
        ax.set_xlabel("value (units in the metric name)")
        return ax


def _onset(data: SpikeData, *, window: float, smoothing: float) -> tuple[float, float]:
    """Time and height of the largest peak of the smoothed population rate in the first ``window`` seconds."""
    rate = population_rate(data, bin_width=0.001)
    smooth = rate.smoothed(smoothing)[: max(1, int(round(window / rate.bin_width)))]
    i = int(np.argmax(smooth))
    return float(rate.times[i]), float(smooth[i])


def _excess_centroid(rhythm, band) -> float:
    """Power-weighted mean frequency of the spectrum's excess over the surrogate mean, within a band (Hz)."""
    f = rhythm.spectrum.freqs
    inside = (f >= band[0]) & (f <= band[1])
    excess = np.clip(rhythm.spectrum.psd[inside] - rhythm.null_mean[inside], 0.0, None)
    return float((f[inside] * excess).sum() / excess.sum()) if excess.sum() > 0 else math.nan


def check_windows(duration: float, *, discard: float, early_window: float) -> None:
    """Refuse the windows of :func:`run_metrics` that do not fit a recording of ``duration`` seconds.

    Parameters
    ----------
    duration : float
        Length of the recording (s).
    discard, early_window : float
        As in :func:`run_metrics` (s).

    Raises
    ------
    UsageError
        ``discard`` outside [0, duration) or ``early_window`` outside
        (0, duration].
    """
    if not 0 <= discard < duration:
        raise UsageError(f"discard must lie in [0, {duration:g}) s (the recording); got {discard}")
    if not 0 < early_window <= duration:
        raise UsageError(f"early_window must lie in (0, {duration:g}] s (the recording); got {early_window}")


def run_metrics(data: SpikeData, *, bands=DEFAULT_BANDS, estimator=Multitaper(), n_surrogates: int = 50,
                alpha: float = 0.05, discard: float = 0.2, early_window: float = 0.1, sttc_delta_t: float = 0.005,
                onset_smoothing: float = 0.002, rng=0) -> RunMetrics:
    """Reduce one run to the numbers a sensitivity sweep compares.

    Parameters
    ----------
    data : SpikeData
        Spikes of the run; populations are read from the ``population``
        column when present.
    bands : mapping of str to (float, float), default alpha 8-13 Hz, gamma 30-80 Hz
        Bands tested by :func:`synchro.rhythms.band_verdicts` (Hz).
    estimator : Welch or Multitaper, default Multitaper()
        Spectral estimator of the band tests. Multitaper (NW = 4) gives
        steadier peak frequencies than 1 Hz Welch bins on runs of a few seconds.
    n_surrogates : int, default 50
        Circular-shift surrogates per band test (fewer than an analysis of
        record: the smallest p-value is ``1 / (1 + n_surrogates)``, so at
        least ``floor(n_bands / alpha)`` are needed).
    alpha : float, default 0.05
        Family-wise error rate of the band tests (Holm).
    discard : float, default 0.2
        Seconds dropped from the start before rates, spectra and synchrony.
    early_window : float, default 0.1
        Window of the onset transient and of the per-unit counts kept for
        :func:`synchro.sensitivity.spike_count_divergence` (s).
    sttc_delta_t : float, default 0.005
        Coincidence window of the STTC (s).
    onset_smoothing : float, default 0.002
        SD of the Gaussian smoothing the 1 ms population rate before the
        onset peak is located (s).
    rng : numpy.random.Generator, int or None, default 0
        Random source of the surrogates; the seed is recorded.

    Returns
    -------
    RunMetrics
        The onset transient is the largest value of the smoothed population
        rate (all units) in the first ``early_window`` seconds: the volley
        that follows the synchronous start of a simulated network.

    Raises
    ------
    UsageError
        Too few surrogates for any band to reach ``alpha``; ``discard`` or
        ``early_window`` not shorter than the recording.
    """
    check_surrogates(n_surrogates, len(dict(bands)), alpha)
    check_windows(data.duration, discard=discard, early_window=early_window)
    early = data.restrict(data.t_start, data.t_start + early_window).spike_counts
    steady = data.restrict(data.t_start + discard)
    values = {f"rate_{pop}": float(steady.select(population=pop).rates.mean()) for pop in steady.populations()}
    values["rate_all"] = float(steady.rates.mean())
    seed = None
    if steady.n_spikes:
        rhythm = band_verdicts(data, bands=bands, estimator=estimator, n_surrogates=n_surrogates, alpha=alpha,
                               discard=discard, rng=rng)
        seed = rhythm.seed
        for v in rhythm.verdicts:
            values.update({f"{v.name}_present": float(v.present), f"{v.name}_peak_hz": v.peak_hz,
                           f"{v.name}_centroid_hz": _excess_centroid(rhythm, v.band),
                           f"{v.name}_p": v.p_peak_holm, f"{v.name}_power_db": v.power_db})
        values["chi"] = golomb_chi(steady, n_surrogates=0).chi
        values["sttc"] = sttc_matrix(steady, delta_t=sttc_delta_t, n_surrogates=0, rng=rng).value
        values["onset_time_s"], values["onset_height_hz"] = _onset(data, window=early_window, smoothing=onset_smoothing)
    else:
        for band in dict(bands):
            values.update({f"{band}_present": 0.0, f"{band}_peak_hz": math.nan, f"{band}_centroid_hz": math.nan,
                           f"{band}_p": math.nan, f"{band}_power_db": math.nan})
        values.update(chi=math.nan, sttc=math.nan, onset_time_s=math.nan, onset_height_hz=math.nan)
    params = {"bands": {k: list(v) for k, v in dict(bands).items()}, "estimator": estimator.to_dict(),
              "null": "circular_shift", "n_surrogates": n_surrogates, "alpha": alpha, "seed": seed, "discard": discard,
              "early_window": early_window, "sttc_delta_t": sttc_delta_t, "chi_kernel": "exponential 10 ms",
              "onset_smoothing": onset_smoothing}
    return RunMetrics({k: float(v) for k, v in values.items()}, np.asarray(early, dtype=np.int64), params)
