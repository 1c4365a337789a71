"""A sweep's grid: its points, their identifiers, and the checks every point passes before any worker starts."""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
from collections.abc import Mapping, Sequence

from synchro.errors import UsageError
from synchro.results import jsonable

__all__ = ["expand_grid", "point_id", "DEFAULT_FIXED"]

#: Parameters given to every point unless the grid or ``fixed`` sets them.
DEFAULT_FIXED = {"codegen": "numpy"}


def expand_grid(grid: Mapping[str, Sequence], fixed: Mapping | None = None) -> list[dict]:
    """Every combination of the grid's values, each merged over ``fixed``.

    Parameters
    ----------
    grid : mapping of str to sequence
        Parameter name -> values (e.g. ``{"dt_ms": [1, 0.5], "rng": [0, 1]}``).
        The last key varies fastest.
    fixed : mapping, optional
        Parameters shared by every point.

    Returns
    -------
    list of dict
    """
    fixed = dict(fixed or {})
    for key, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not len(values):
            raise UsageError(f"grid[{key!r}] must be a non-empty list of values; got {values!r}")
        if key in fixed:
            raise UsageError(f"{key!r} is both in the grid and fixed; keep it in one of them")
    return [{**fixed, **dict(zip(grid, combo))} for combo in itertools.product(*grid.values())]


def canonical(value):
    """``value`` as JSON values (:func:`synchro.results.jsonable`) with integral floats as integers: 1 and 1.0 are
    the same point."""
    return _integral(jsonable(value, allow_nan=True))


def _integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def value_key(value) -> str:
    """A hashable text of a parameter value, equal for equal values (1 and 1.0 included)."""
    return json.dumps(canonical(value), sort_keys=True)


def point_id(model: str, params: Mapping, analysis: Mapping) -> str:
    """Stable identifier of a sweep point.

    Parameters
    ----------
    model : str
        Model name.
    params : mapping
        Simulation parameters (key order ignored; 1 and 1.0 are the same).
    analysis : mapping
        Options of :func:`sims.metrics.run_metrics`.

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the canonical JSON of the
        model, parameters, analysis options and
        :data:`sims.metrics.METRICS_VERSION`.
    """
    from ..metrics import METRICS_VERSION

    payload = json.dumps(canonical({"model": model, "params": params, "analysis": analysis,
                                    "metrics_version": METRICS_VERSION}), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def check_seed(params: Mapping) -> None:
    """Refuse a point without an int seed ``rng`` (a Generator or None could not be stored and repeated)."""
    if "rng" not in params:
        raise UsageError("the sweep needs seeds: add 'rng' to the grid (e.g. 'rng': [0, 1, 2]) or to fixed")
    seed = params["rng"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"a sweep's rng values must be int seeds >= 0 (each point is stored and repeated by its "
                         f"seed); got {seed!r}")


def check_analysis(analysis: Mapping) -> None:
    """Reject unknown analysis options here rather than in every worker."""
    from ..metrics import run_metrics

    allowed = [k for k, p in inspect.signature(run_metrics).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(analysis) - set(allowed) | ({"rng"} & set(analysis)))
    if unknown:
        raise UsageError(f"unknown analysis options {unknown}; valid ones are {sorted(set(allowed) - {'rng'})} "
                         "(the surrogates are seeded by each point's rng)")


def check_points(model: str, points: list[dict], analysis: Mapping) -> None:
    """Refuse, here and now, the options that any point would refuse in its worker (time step, model choices,
    seeds, analysis windows longer than the run)."""
    from ..api import check_simulation
    from ..metrics import check_windows, run_metrics

    defaults = {k: p.default for k, p in inspect.signature(run_metrics).parameters.items()}
    windows = {k: analysis.get(k, defaults[k]) for k in ("discard", "early_window")}
    for params in {value_key(p): p for p in points}.values():
        check_seed(params)
        check_simulation(model, **params)
        check_windows(float(params.get("duration", 1.0)), **windows)
