"""A sweep folder's report: the tidy table (runs.csv), the sensitivity summary (summary.json), the figures."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from synchro.errors import UsageError
from synchro.io.files import atomic_output
from synchro.report.output import folder_lock

from .folder import read_points, remove_sweep_temporaries, write_json
from .grid import value_key

__all__ = ["write_sweep_report"]

#: Metrics drawn in the report figures, when present (bands are added from the runs).
FIGURE_METRICS = ("rate_exc", "rate_inh", "chi", "sttc", "onset_time_s", "onset_height_hz", "early_divergence")


def _groups(points: list[dict], factor: str) -> list[tuple[str, list[dict]]]:
    """Points split by the values of every other varying parameter (the seed, ``rng``, aside), each group labelled."""
    keys = sorted({k for p in points for k in p["params"]})
    others = [k for k in keys if k not in (factor, "rng") and len({value_key(p["params"].get(k)) for p in points}) > 1]
    groups: dict[tuple, list[dict]] = {}
    for p in points:
        groups.setdefault(tuple(value_key(p["params"].get(k)) for k in others), []).append(p)
    labels = {g: ",".join(f"{k}={members[0]['params'].get(k)}" for k in others) or "all"
              for g, members in groups.items()}
    return [(labels[g], members) for g, members in groups.items()]


def write_sweep_report(folder, *, factors: Sequence[str] | None = None, rel_tol: float = 0.05,
                       references: Mapping | None = None, figures: bool = True) -> dict:
    """Write the tidy table, the sensitivity summary and the figures of a sweep folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`sims.sweep.run_sweep`.
    factors : sequence of str, optional
        Parameters to analyse; default every parameter that varies besides
        the seed. Each is analysed within each combination of the other
        varying parameters.
    rel_tol : float, default 0.05
        Convergence tolerance (see :func:`synchro.sensitivity.sensitivity`).
    references : mapping, optional
        Reference level per factor (e.g. ``{"noise": "xi"}``); default the
        finest dt, the largest n, the first level otherwise.
    figures : bool, default True
        Draw one PNG per factor and group under ``figures/``.

    Returns
    -------
    dict
        The summary written to ``summary.json``: per factor and group, the
        :meth:`~synchro.sensitivity.Sensitivity.to_dict` record and its text
        summary.

    Notes
    -----
    Writes ``runs.csv`` (one row per run: parameters, metrics and the
    spike-count divergence against the reference run of the same seed),
    ``summary.json`` and ``figures/<factor>__<group>.png``, each atomically,
    holding the folder's lock.
    """
    folder = Path(folder)
    read_points(folder)  # a folder that holds no sweep is refused before a lock is made beside it
    with folder_lock(folder):
        remove_sweep_temporaries(folder)
        return _write_report_locked(folder, factors, rel_tol, references, figures)


def _write_report_locked(folder: Path, factors, rel_tol: float, references, figures: bool) -> dict:
    from synchro.sensitivity import DIVERGENCE_METRIC, sensitivity

    points = read_points(folder)
    if not points:
        raise UsageError(f"{folder} holds no finished sweep point; run the sweep first")
    varying = [k for k in dict.fromkeys(k for p in points for k in p["params"])
               if k != "rng" and len({value_key(p["params"].get(k)) for p in points}) > 1]
    factors = list(varying if factors is None else factors)
    references = dict(references or {})
    summary = {"folder": str(folder), "n_points": len(points), "rel_tol": rel_tol, "factors": {}}
    divergence: dict[str, float] = {}
    drawn = set()
    for factor in factors:
        summary["factors"][factor] = {}
        for label, members in _groups(points, factor):
            if len({value_key(p["params"].get(factor)) for p in members}) < 2:
                continue
            result = sensitivity(members, factor=factor, reference=references.get(factor), rel_tol=rel_tol)
            summary["factors"][factor][label] = {**result.to_dict(), "text": result.summary()}
            if factor == "dt_ms":
                divergence.update({p["id"]: run[DIVERGENCE_METRIC] for p, run in zip(members, result.runs)})
            if figures:
                path = folder / "figures" / f"{factor}__{_safe(label)}.png"
                _figure(result, path, label)
                drawn.add(path)
    for stale in set((folder / "figures").glob("*.png")) - drawn if figures else ():
        stale.unlink()  # figures of an earlier report of this folder that this one does not redraw
    _write_csv(folder / "runs.csv", points, divergence)
    write_json(folder / "summary.json", summary)
    return summary


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "=.-_" else "_" for c in label)


def _write_csv(path: Path, points: list[dict], divergence: Mapping[str, float]) -> None:
    from synchro.sensitivity import DIVERGENCE_METRIC, tidy_rows

    rows = [{"id": p["id"], **row} for p, row in zip(points, tidy_rows(points))]
    for row in rows:
        row.pop("early_counts", None)
        row[DIVERGENCE_METRIC] = divergence.get(row["id"], math.nan)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with atomic_output(path, overwrite=True) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)


def _figure(result, path: Path, label: str) -> None:
    from matplotlib.figure import Figure

    names = [f"{band}_{kind}" for band in result.rhythms for kind in ("peak_hz", "centroid_hz", "present")]
    names += [m for m in FIGURE_METRICS if m in result.metrics]
    n_cols = 3
    n_rows = -(-len(names) // n_cols)
    fig = Figure(figsize=(5 * n_cols, 3.4 * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax, name in zip(axes.flat, names):
        result.plot(ax, metric=name)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f"sensitivity to {result.factor} ({label}); reference {result.reference}")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path.parent.mkdir(exist_ok=True)
    with atomic_output(path, overwrite=True) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
