"""The sensitivity of a sweep to one factor, as results: per metric, per rhythm, and the whole (text, dict, plot)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..plotting import new_axes
from ..results import jsonable

__all__ = ["MetricSensitivity", "RhythmRobustness", "Sensitivity"]


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
        Convergence rule of :mod:`synchro.sensitivity` met at each level.
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
                "levels": [{"level": jsonable(lv), "n_seeds": int(n), "mean": finite(m), "low": finite(lo),
                            "high": finite(hi), "relative_change": finite(rc), "converged": bool(c)}
                           for lv, n, m, lo, hi, rc, c in zip(self.levels, self.n_seeds, self.mean, self.low,
                                                               self.high, self.relative_change, self.converged)]}


@dataclass(frozen=True)
class RhythmRobustness:
    """Verdict on one band across the levels of a factor.

    Attributes
    ----------
    name : str
        Band name.
    verdict : {"robust", "artefact", "absent", "sensitive"}
        See :mod:`synchro.sensitivity`.
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

    name: str
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
        return jsonable({k: finite(v) if isinstance(v, float) else v for k, v in self.__dict__.items()})


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
            lines.append(f"  {r.name:<8s} {r.verdict.upper():<10s} present in {share}; peak {r.peak_hz:.1f} Hz "
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
            ``analysis`` (``"sensitivity"``), ``factor``, ``reference``, ``levels``, ``seeds``,
            ``parameters``, ``rhythms`` and ``metrics`` by name.
        """
        return {"analysis": "sensitivity", "factor": self.factor, "reference": jsonable(self.reference),
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


def finite(x):
    x = float(x)
    return x if math.isfinite(x) else None
