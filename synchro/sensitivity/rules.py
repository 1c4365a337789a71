"""The sensitivity rules: runs flattened to rows, levels ordered from the reference, convergence per metric,
verdict per rhythm, and the spike-count divergence between runs of the same seed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from ..errors import UsageError
from .results import MetricSensitivity, RhythmRobustness, Sensitivity

__all__ = ["spike_count_divergence", "sensitivity", "tidy_rows", "DIVERGENCE_METRIC", "FINEST"]

#: Name of the spike-count divergence column that :func:`sensitivity` adds to every run.
DIVERGENCE_METRIC = "early_divergence"

#: Reference level of the ordered factors: the finest time step, the largest network.
FINEST = MappingProxyType({"dt_ms": min, "n": max, "duration": max})


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
    if "rng" not in params[0]:
        raise UsageError("runs need an 'rng' parameter (their int seed): intervals are taken over seeds")
    keys = set().union(*params) - {factor, "rng"}
    varying = sorted(k for k in keys if any(p.get(k) != params[0].get(k) for p in params))
    if varying:
        raise UsageError(f"parameters {varying} vary besides {factor!r} and the seed; select the points with one "
                         "value of each (e.g. [p for p in points if p['params']['noise'] == 'held'])")
    return rows, [p["metrics"] for p in points], {k: params[0].get(k) for k in sorted(keys)}


def _divergence(rows, factor: str, reference) -> list[float]:
    ref_counts = {r["rng"]: r["early_counts"] for r in rows if r[factor] == reference and "early_counts" in r}
    out = []
    for r in rows:
        ref = ref_counts.get(r["rng"])
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
        One record per run with ``"params"`` (``factor``, ``rng`` (the int seed) and others
        held fixed), ``"metrics"`` (the values of ``sims.metrics.run_metrics``) and
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
        convergence and verdict (see :mod:`synchro.sensitivity` for the rules); per
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
    seeds = tuple(sorted({r["rng"] for r in rows}))
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
