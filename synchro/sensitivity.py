"""Robustness of simulation results to numerical choices: time step, network size, scheme, noise model.

Two steps. :func:`run_metrics` reduces one run to a fixed set of numbers
(population rates, band verdicts with peak frequencies and p-values, Golomb
chi, mean STTC, the onset transient, per-unit counts of the first 100 ms).
:func:`sensitivity` then takes the metrics of many runs that differ in one
factor (``dt_ms``, ``n``, ``scheme``, ``noise``, ...) and in the seed, and
says, per metric, how far each level is from a reference level (the finest
time step, the largest network, or a named scheme) and from which level on
it has converged; and, per rhythm, whether it is robust, a numerical
artefact or absent.

Convergence rule, per metric and level: with ``ref`` the mean over seeds at
the reference level and ``delta`` the mean over seeds at the level minus
``ref``, the level is converged when ``|delta| <= rel_tol * |ref|`` (the
stated tolerance) and the level's 95 % seed interval overlaps the
reference's (the change is inside the seed spread). For an ordered factor
the converged level is the one furthest from the reference such that it
and every level between it and the reference are converged: "the dt below
which the metric has converged". A metric converged at the reference only
is ``"not_converged"``: it still changes at the finest level, so its values
at coarse levels are artefacts of the numerics.

Rhythm rule, per band: the band is present at a level when it is present
in at least half the seeds. The converged levels of an ordered factor are
those where every metric of ``converged_by`` (the excitatory and inhibitory
rates by default) has converged; every level of an unordered factor (scheme,
noise model) counts as converged, so a rhythm found with one noise model
and not another is ``"sensitive"``. The rhythm is ``"robust"`` when present at every
converged level, ``"artefact"`` when absent at every converged level but
present at some other level, ``"absent"`` when absent at every level, and
``"sensitive"`` otherwise (present at some converged levels only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ._json import jsonable
from ._plotting import new_axes
from .core import SpikeData
from .errors import UsageError
from .rhythms import DEFAULT_BANDS, band_verdicts, check_surrogates
from .spectral import population_rate
from .synchrony import golomb_chi, sttc_matrix

__all__ = [
    "run_metrics",
    "check_windows",
    "RunMetrics",
    "spike_count_divergence",
    "sensitivity",
    "Sensitivity",
    "MetricSensitivity",
    "RhythmRobustness",
    "tidy_rows",
    "DIVERGENCE_METRIC",
    "METRICS_VERSION",
    "FINEST",
]

#: Version of the definitions of :func:`run_metrics`; sweeps key their stored points on it, so that points
#: computed under older definitions are computed again.
METRICS_VERSION = 2

#: Name of the spike-count divergence column that :func:`sensitivity` adds to every run.
DIVERGENCE_METRIC = "early_divergence"

#: Reference level of the ordered factors: the finest time step, the largest network.
FINEST = MappingProxyType({"dt_ms": min, "n": max, "duration": max})


# One run ----------------------------------------------------------------------------

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
        ``sttc_window``); ``onset_time_s`` (s) and ``onset_height_hz``
        (spikes/s per unit) of the onset transient, the largest peak of the
        population rate in the first ``early_window``. NaN where
        undefined (no spikes).
    early_counts : ndarray of int
        Spikes of each unit in ``[t_start, t_start + early_window)``, for
        :func:`spike_count_divergence`.
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
            ``method``, ``parameters``, ``metrics`` and ``early_counts``.
        """
        return {"method": "run_metrics", "parameters": jsonable(self.parameters), "metrics": jsonable(self.values),
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


def _excess_centroid(rhythm, freq_range) -> float:
    """Power-weighted mean frequency of the spectrum's excess over the surrogate mean, within a band (Hz)."""
    f = rhythm.spectrum.freqs
    band = (f >= freq_range[0]) & (f <= freq_range[1])
    excess = np.clip(rhythm.spectrum.psd[band] - rhythm.null_mean[band], 0.0, None)
    return float((f[band] * excess).sum() / excess.sum()) if excess.sum() > 0 else math.nan


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


def run_metrics(data: SpikeData, *, bands=DEFAULT_BANDS, method: str = "multitaper", n_surrogates: int = 50,
                alpha: float = 0.05, discard: float = 0.2, early_window: float = 0.1, sttc_window: float = 0.005,
                onset_smoothing: float = 0.002, rng=0) -> RunMetrics:
    """Reduce one run to the numbers a sensitivity sweep compares.

    Parameters
    ----------
    data : SpikeData
        Spikes of the run; populations are read from the ``population``
        column when present.
    bands : mapping of str to (float, float), default alpha 8-13 Hz, gamma 30-80 Hz
        Bands tested by :func:`synchro.rhythms.band_verdicts` (Hz).
    method : {"multitaper", "welch"}, default "multitaper"
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
        :func:`spike_count_divergence` (s).
    sttc_window : float, default 0.005
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
        rhythm = band_verdicts(data, bands=bands, method=method, n_surrogates=n_surrogates, alpha=alpha,
                               discard=discard, rng=rng)
        seed = rhythm.seed
        for v in rhythm.verdicts:
            values.update({f"{v.band}_present": float(v.present), f"{v.band}_peak_hz": v.peak_hz,
                           f"{v.band}_centroid_hz": _excess_centroid(rhythm, v.freq_range),
                           f"{v.band}_p": v.p_peak_holm, f"{v.band}_power_db": v.power_db})
        values["chi"] = golomb_chi(steady, n_surrogates=0).chi
        values["sttc"] = sttc_matrix(steady, delta_t=sttc_window, n_surrogates=0, rng=rng).value
        values["onset_time_s"], values["onset_height_hz"] = _onset(data, window=early_window, smoothing=onset_smoothing)
    else:
        for band in dict(bands):
            values.update({f"{band}_present": 0.0, f"{band}_peak_hz": math.nan, f"{band}_centroid_hz": math.nan,
                           f"{band}_p": math.nan, f"{band}_power_db": math.nan})
        values.update(chi=math.nan, sttc=math.nan, onset_time_s=math.nan, onset_height_hz=math.nan)
    params = {"bands": {k: list(v) for k, v in dict(bands).items()}, "method": method, "null": "circular_shift",
              "n_surrogates": n_surrogates, "alpha": alpha, "seed": seed, "discard": discard,
              "early_window": early_window, "sttc_window": sttc_window, "chi_kernel": "exponential 10 ms",
              "onset_smoothing": onset_smoothing}
    return RunMetrics({k: float(v) for k, v in values.items()}, np.asarray(early, dtype=np.int64), params)


def spike_count_divergence(counts, reference_counts) -> float:
    """Share of spikes that two runs of the same network place in different units.

    ``D = sum_i |c_i - r_i| / sum_i (c_i + r_i)`` over units ``i``, with
    ``c`` and ``r`` the spike counts of each unit in the same window (the
    first 100 ms in a sweep). 0 when every unit fired as often in both runs,
    1 when no unit fired in both. NaN when neither run has spikes.

    Parameters
    ----------
    counts, reference_counts : array_like of int, shape (n_units,)
        Spike counts per unit of the run and of the reference run.

    Returns
    -------
    float
    """
    c, r = np.asarray(counts, dtype=np.float64), np.asarray(reference_counts, dtype=np.float64)
    if c.shape != r.shape:
        raise UsageError(f"counts of {c.size} and {r.size} units cannot be compared: the runs must be of the "
                         "same network (same n)")
    total = c.sum() + r.sum()
    return float(np.abs(c - r).sum() / total) if total > 0 else math.nan


# Many runs --------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class MetricSensitivity:
    """How one metric changes across the levels of a factor.

    Attributes
    ----------
    metric : str
        Metric name (units in the name: ``_hz``, ``_s``, ``_db``).
    levels : tuple
        Levels of the factor, the reference first, then outward (coarser
        dt, smaller n) for ordered factors.
    n_seeds : ndarray of int
        Seeds with a finite value at each level.
    mean, low, high : ndarray
        Mean over seeds and its 95 % t-interval (NaN with one seed).
    relative_change : ndarray
        ``(mean - ref) / |ref|`` (inf when ``ref`` is 0 and the mean is not).
    converged : ndarray of bool
        Convergence rule of the module met at each level.
    converged_level : float, str or None
        Furthest level from the reference up to which every level is
        converged (ordered factors; None for unordered ones).
    verdict : str
        Ordered factors: ``"converged"`` (converged beyond the reference)
        or ``"not_converged"``. Unordered: ``"invariant"`` (every level
        converged) or ``"sensitive"``. ``"descriptive"`` for the spike-count
        divergence, which has no convergence test.
    """

    metric: str
    levels: tuple
    n_seeds: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    relative_change: np.ndarray
    converged: np.ndarray
    converged_level: float | str | None
    verdict: str

    def to_dict(self) -> dict:
        """JSON-safe record.

        Returns
        -------
        dict
            ``metric``, ``verdict``, ``converged_level`` and one entry per
            level (mean, interval, relative change, converged; NaN as None).
        """
        return {"metric": self.metric, "verdict": self.verdict, "converged_level": jsonable(self.converged_level),
                "levels": [{"level": jsonable(lv), "n_seeds": int(n), "mean": _finite(m), "low": _finite(lo),
                            "high": _finite(hi), "relative_change": _finite(rc), "converged": bool(c)}
                           for lv, n, m, lo, hi, rc, c in zip(self.levels, self.n_seeds, self.mean, self.low,
                                                               self.high, self.relative_change, self.converged)]}


@dataclass(frozen=True)
class RhythmRobustness:
    """Verdict on one band across the levels of a factor.

    Attributes
    ----------
    band : str
        Band name.
    verdict : {"robust", "artefact", "absent", "sensitive"}
        See the module docstring.
    present_fraction : tuple of float
        Share of seeds in which the band is present, per level (order of
        :attr:`Sensitivity.levels`).
    converged_levels : tuple
        Levels at which the ``converged_by`` metrics have converged (every
        level for unordered factors).
    peak_hz : float
        Mean peak frequency at the reference level (Hz).
    peak_low, peak_high : float
        Its 95 % seed interval (Hz).
    """

    band: str
    verdict: str
    present_fraction: tuple
    converged_levels: tuple
    peak_hz: float
    peak_low: float
    peak_high: float

    def to_dict(self) -> dict:
        """JSON-safe record.

        Returns
        -------
        dict
            Every attribute (NaN as None).
        """
        return jsonable({k: _finite(v) if isinstance(v, float) else v for k, v in self.__dict__.items()})


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Sensitivity of a sweep's metrics and rhythms to one factor.

    Attributes
    ----------
    factor : str
        The parameter varied (``dt_ms``, ``n``, ``scheme``, ``noise``, ...).
    reference : float or str
        Reference level (finest dt, largest n, or as given).
    levels : tuple
        Levels, the reference first.
    ordered : bool
        Whether the levels are numbers ordered away from the reference.
    seeds : tuple of int
        Seeds found.
    metrics : dict of str to MetricSensitivity
        One entry per metric, plus the spike-count divergence against the
        reference run of the same seed (``"early_divergence"``).
    rhythms : dict of str to RhythmRobustness
        One entry per band.
    runs : tuple of dict
        The runs analysed, flattened (parameters, metrics, divergence).
    parameters : dict
        ``rel_tol``, ``confidence``, ``converged_by``, the fixed parameters.
    """

    factor: str
    reference: float | str
    levels: tuple
    ordered: bool
    seeds: tuple
    metrics: dict
    rhythms: dict
    runs: tuple
    parameters: dict = field(default_factory=dict)

    def summary(self) -> str:
        """Plain text: one line per rhythm, then one per metric with mean [interval] at each level.

        Returns
        -------
        str
        """
        lines = [f"sensitivity to {self.factor} (reference {self.reference}, seeds {list(self.seeds)}, "
                 f"tolerance {100 * self.parameters['rel_tol']:g} %)"]
        for r in self.rhythms.values():
            share = ", ".join(f"{lv}: {f:.0%}" for lv, f in zip(self.levels, r.present_fraction))
            lines.append(f"  {r.band:<8s} {r.verdict.upper():<10s} present in {share}; peak {r.peak_hz:.1f} Hz "
                         f"[{r.peak_low:.1f}, {r.peak_high:.1f}] at {self.factor}={self.reference}")
        for m in self.metrics.values():
            cells = "  ".join(f"{lv}: {mu:.4g} [{lo:.3g}, {hi:.3g}]" for lv, mu, lo, hi in
                              zip(m.levels, m.mean, m.low, m.high))
            tail = f" from {m.converged_level}" if m.verdict == "converged" else ""
            lines.append(f"  {m.metric:<18s} {m.verdict}{tail}  {cells}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-safe summary (the runs themselves are left out).

        Returns
        -------
        dict
            ``method``, ``factor``, ``reference``, ``levels``, ``seeds``,
            ``parameters``, ``rhythms`` and ``metrics`` by name.
        """
        return {"method": "sensitivity", "factor": self.factor, "reference": jsonable(self.reference),
                "levels": jsonable(list(self.levels)), "ordered": self.ordered, "seeds": list(self.seeds),
                "parameters": jsonable(self.parameters),
                "rhythms": {k: v.to_dict() for k, v in self.rhythms.items()},
                "metrics": {k: v.to_dict() for k, v in self.metrics.items()}}

    def plot(self, ax=None, *, metric: str = "gamma_peak_hz"):
        """One metric against the factor: seed values, mean with 95 % interval, tolerance band, verdict in the title.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure by default.
        metric : str, default "gamma_peak_hz"
            Metric to draw (a key of :attr:`metrics`).

        Returns
        -------
        matplotlib.axes.Axes
        """

        try:
            m = self.metrics[metric]
        except KeyError:
            raise UsageError(f"no metric {metric!r}; metrics are {sorted(self.metrics)}") from None
        ax = new_axes(ax)
        x = np.asarray(m.levels, dtype=float) if self.ordered else np.arange(len(m.levels))
        for run in self.runs:
            xi = float(run[self.factor]) if self.ordered else m.levels.index(run[self.factor])
            ax.plot(xi, run.get(metric, np.nan), ".", color="0.6", ms=4)
        ax.errorbar(x, m.mean, yerr=[m.mean - m.low, m.high - m.mean], fmt="o-", color="C0", capsize=3,
                    label="mean, 95 % seed interval")
        tol = self.parameters["rel_tol"] * abs(m.mean[0])
        if m.verdict != "descriptive" and np.isfinite(tol):
            ax.axhspan(m.mean[0] - tol, m.mean[0] + tol, color="C2", alpha=0.15, lw=0,
                       label=f"reference +- {100 * self.parameters['rel_tol']:g} %")
        if self.ordered:
            if self.factor == "dt_ms":
                ax.set_xscale("log")
        else:
            ax.set_xticks(x, [str(lv) for lv in m.levels])
        ax.set_xlabel(self.factor)
        ax.set_ylabel(metric)
        verdict = m.verdict + (f" from {m.converged_level}" if m.verdict == "converged" else "")
        band = metric.split("_")[0]
        if band in self.rhythms:
            verdict += f"; {band} {self.rhythms[band].verdict}"
        ax.set_title(f"{metric}: {verdict}", fontsize="medium")
        ax.legend(loc="best", fontsize="small")
        return ax


def _finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def tidy_rows(points: Sequence[Mapping]) -> list[dict]:
    """Flatten sweep points into one dict per run: the parameters, then the metrics.

    Parameters
    ----------
    points : sequence of mapping
        Records with ``"params"`` and ``"metrics"`` mappings and, optionally,
        ``"early_counts"`` (as written by :func:`sims.sweep.run_sweep`).

    Returns
    -------
    list of dict
        One row per point, metrics as floats (None, JSON's NaN, read back
        as NaN); ``early_counts`` is kept as an array.
    """
    rows = []
    for p in points:
        try:
            row = {**p["params"], **{k: math.nan if v is None else float(v) for k, v in p["metrics"].items()}}
        except (KeyError, TypeError, AttributeError):
            raise UsageError("each sweep point needs 'params' and 'metrics' mappings; got "
                             f"{sorted(p) if isinstance(p, Mapping) else type(p).__name__}") from None
        if "early_counts" in p:
            row["early_counts"] = np.asarray(p["early_counts"], dtype=np.int64)
        rows.append(row)
    return rows


def _interval(values: np.ndarray, confidence: float) -> tuple[int, float, float, float]:
    from scipy import stats

    v = values[np.isfinite(values)]
    if not v.size:
        return 0, math.nan, math.nan, math.nan
    mean = float(v.mean())
    if v.size < 2:
        return 1, mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return int(v.size), mean, mean - half, mean + half


def _levels(rows, factor: str, reference) -> tuple[tuple, bool, object]:
    values = list(dict.fromkeys(r[factor] for r in rows))
    ordered = all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)
    if reference is None:
        pick = FINEST.get(factor, min) if ordered else (lambda vs: min(vs, key=str))
        reference = pick(values)
    if reference not in values:
        raise UsageError(f"reference {factor}={reference!r} is not in the sweep; levels are {values}")
    if ordered:
        values.sort(key=lambda v: abs(v - reference))
    else:
        values.remove(reference)
        values.insert(0, reference)
    return tuple(values), ordered, reference


def _check_points(points, factor: str) -> tuple[list[dict], list[dict], dict]:
    """Parameters and metrics of each point, and the parameters held fixed; raise if another one varies."""
    rows, params = tidy_rows(points), [dict(p["params"]) for p in points]
    if not rows:
        raise UsageError("no runs to analyse; run the sweep first")
    if factor not in params[0]:
        raise UsageError(f"factor {factor!r} is not a parameter of the runs; parameters are {sorted(params[0])}")
    if "seed" not in params[0]:
        raise UsageError("runs need a 'seed' parameter: intervals are taken over seeds")
    keys = set().union(*params) - {factor, "seed"}
    varying = sorted(k for k in keys if any(p.get(k) != params[0].get(k) for p in params))
    if varying:
        raise UsageError(f"parameters {varying} vary besides {factor!r} and the seed; select the points with one "
                         "value of each (e.g. [p for p in points if p['params']['noise'] == 'held'])")
    return rows, [p["metrics"] for p in points], {k: params[0].get(k) for k in sorted(keys)}


def _divergence(rows, factor: str, reference) -> list[float]:
    ref_counts = {r["seed"]: r["early_counts"] for r in rows if r[factor] == reference and "early_counts" in r}
    out = []
    for r in rows:
        ref = ref_counts.get(r["seed"])
        out.append(spike_count_divergence(r["early_counts"], ref)
                   if ref is not None and "early_counts" in r and len(ref) == len(r["early_counts"]) else math.nan)
    return out


def sensitivity(points: Sequence[Mapping], *, factor: str = "dt_ms", reference=None,
                metrics: Sequence[str] | None = None, rel_tol: float = 0.05, confidence: float = 0.95,
                converged_by: Sequence[str] = ("rate_exc", "rate_inh")) -> Sensitivity:
    """Sensitivity of every metric, and verdict on every rhythm, across the levels of one factor.

    Parameters
    ----------
    points : sequence of mapping
        One record per run with ``"params"`` (``factor``, ``seed`` and others
        held fixed), ``"metrics"`` (the values of :func:`run_metrics`) and
        ``"early_counts"``, as :func:`sims.sweep.run_sweep` writes them.
    factor : str, default "dt_ms"
        The parameter compared across runs.
    reference : float or str, optional
        Reference level. Default: the finest for ordered factors (smallest
        ``dt_ms``, largest ``n``, smallest value otherwise), the first level
        in alphabetical order for unordered ones (e.g. give ``"xi"`` for
        ``noise``).
    metrics : sequence of str, optional
        Metrics to analyse; default every metric of the runs.
    rel_tol : float, default 0.05
        Tolerance of the convergence rule, relative to the reference mean.
    confidence : float, default 0.95
        Level of the seed intervals (Student t over seeds).
    converged_by : sequence of str, default ("rate_exc", "rate_inh")
        Metrics whose convergence defines the converged levels for the
        rhythm verdicts; those missing from the runs are ignored.

    Returns
    -------
    Sensitivity
        Per metric the mean and interval at each level, relative change,
        convergence and verdict (see the module docstring for the rules); per
        band the rhythm verdict and the reference peak frequency with its
        interval; the spike-count divergence over the first ``early_window``
        of each run against the reference run of the same seed
        (:func:`spike_count_divergence`) as metric ``"early_divergence"``.

    Raises
    ------
    UsageError
        No runs, unknown factor, reference or metric, other parameters
        varying, ``rel_tol`` not positive, ``confidence`` outside (0, 1).
    """
    if not rel_tol > 0:
        raise UsageError(f"rel_tol must be a positive fraction; got {rel_tol}")
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must lie in (0, 1); got {confidence}")
    rows, metric_values, fixed = _check_points(points, factor)
    levels, ordered, reference = _levels(rows, factor, reference)
    for r, d in zip(rows, _divergence(rows, factor, reference)):
        r[DIVERGENCE_METRIC] = d
    every = names = [*dict.fromkeys(k for m in metric_values for k in m), DIVERGENCE_METRIC]
    if metrics is not None:
        unknown = sorted(set(metrics) - set(every))
        if unknown:
            raise UsageError(f"unknown metrics {unknown}; metrics are {sorted(every)}")
        names = list(dict.fromkeys([*metrics, *(m for m in converged_by if m in every), DIVERGENCE_METRIC]))
    table = {m: _metric_sensitivity(rows, m, factor, levels, ordered, rel_tol, confidence) for m in names}
    by = [table[m] for m in converged_by if m in table]
    converged_levels = tuple(lv for i, lv in enumerate(levels) if all(m.converged[i] for m in by)) if ordered \
        else levels
    bands = [m[: -len("_present")] for m in every if m.endswith("_present")]
    rhythms = {b: _rhythm(rows, b, factor, levels, converged_levels, table.get(f"{b}_peak_hz")) for b in bands}
    seeds = tuple(sorted({r["seed"] for r in rows}))
    flat = tuple({k: v for k, v in r.items() if k != "early_counts"} for r in rows)
    params = {"rel_tol": rel_tol, "confidence": confidence, "converged_by": list(converged_by), "fixed": fixed}
    return Sensitivity(factor, reference, levels, ordered, seeds, table, rhythms, flat, params)


def _metric_sensitivity(rows, metric, factor, levels, ordered, rel_tol, confidence) -> MetricSensitivity:
    stats = np.array([_interval(np.array([r.get(metric, np.nan) for r in rows if r[factor] == lv], dtype=float),
                                confidence) for lv in levels])
    n, mean, low, high = stats.T
    ref = mean[0]
    delta = mean - ref
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(delta == 0, 0.0, delta / abs(ref))
    # Intervals are NaN with one seed: the overlap condition then holds.
    overlap = ~((low > high[0]) | (high < low[0]))
    converged = (np.abs(delta) <= rel_tol * abs(ref)) & overlap
    converged[0] = True  # the reference level is converged by definition, even when its value is NaN
    if metric == DIVERGENCE_METRIC:
        verdict, level = "descriptive", None
    elif ordered:
        reach = int(np.argmin(converged)) if not converged.all() else len(levels)
        level = levels[max(reach - 1, 0)]
        verdict = "converged" if reach > 1 else "not_converged"
    else:
        level = None
        verdict = "invariant" if converged.all() else "sensitive"
    return MetricSensitivity(metric, levels, n.astype(np.int64), mean, low, high, relative, converged, level, verdict)


def _rhythm(rows, band, factor, levels, converged_levels, peak: MetricSensitivity | None) -> RhythmRobustness:
    fraction = tuple(float(np.mean([r[f"{band}_present"] for r in rows if r[factor] == lv])) for lv in levels)
    present = {lv for lv, f in zip(levels, fraction) if f >= 0.5}
    if not present:
        verdict = "absent"
    elif all(lv in present for lv in converged_levels):
        verdict = "robust"
    elif not present & set(converged_levels):
        verdict = "artefact"
    else:
        verdict = "sensitive"
    ref = (peak.mean[0], peak.low[0], peak.high[0]) if peak is not None else (math.nan,) * 3
    return RhythmRobustness(band, verdict, fraction, converged_levels, *(float(x) for x in ref))
