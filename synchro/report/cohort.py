"""The cohort table: one row per session, section, population and band, built from the sessions' report.json.

:func:`cohort_table` flattens reports (their ``to_dict()`` or their
report.json read back) into rows a notebook or a spreadsheet takes as they
are; :func:`write_cohort` writes them as CSV and Parquet with a figure of
every verdict, each file atomically. ``synchro analyze`` of several sessions
calls both on the sessions it analysed or found complete.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import check_installed
from ..io.files import atomic_output
from ..plotting import new_axes, plain_label, plain_text

__all__ = ["COHORT_COLUMNS", "COHORT_FILES", "cohort_table", "write_cohort", "plot_cohort"]

#: The leading columns of a cohort row, then per synchrony index ``NAME``, ``NAME_chance``, ``NAME_z``, ``NAME_p``.
#: ``session`` is the input's file name, ``path`` its path; ``section`` the epoch or condition label (empty for the
#: whole session); ``band_low``/``band_high`` in Hz, ``peak_hz`` in Hz, ``power_ratio`` the peak's power over the
#: aperiodic background; ``p_peak`` and ``p_independent`` are the Holm-adjusted p-values the verdict rests on.
COHORT_COLUMNS = ("session", "path", "section", "population", "band", "band_low", "band_high", "verdict", "peak_hz",
                  "power_ratio", "p_peak", "p_independent")

#: The files :func:`write_cohort` writes in its folder.
COHORT_FILES = {"csv": "synchro-cohort.csv", "parquet": "synchro-cohort.parquet", "png": "synchro-cohort.png",
                "svg": "synchro-cohort.svg"}

_TEXT = {"session", "path", "section", "population", "band", "verdict"}
_INDEX_FIELDS = (("", "value"), ("_chance", "chance"), ("_z", "z"), ("_p", "p"))
#: Verdict colours of the cohort figure: the rhythm's strength, from a shared peak down to no reading.
_VERDICT_COLORS = {"present": "#1b7837", "broadband": "#a6dba0", "absent": "#e7e7e7", "undetermined": "#ffffff"}


def cohort_table(reports: Iterable[Mapping]) -> list[dict]:
    """One row per session, section, population and band of the given reports.

    Parameters
    ----------
    reports : iterable of mapping
        Reports as written in report.json (``Report.to_dict()``, or the file
        read back with :func:`json.load`), one per session.

    Returns
    -------
    list of dict
        Rows in the reports' order, then the whole session before its
        sections, then the reports' population and band order. Keys:
        :data:`COHORT_COLUMNS`, then for every synchrony index found in any
        report (``chi``, ``sttc``, ``spike_sync``, ``spike_contrast``,
        ``fano``, ...) its value, ``_chance``, ``_z`` and ``_p``, the same
        on every row of the population and None where the report has none.
        Frequencies in Hz; numbers are floats or None, never NaN.
    """
    reports = list(reports)
    indices: list[str] = []
    for doc in reports:
        for part in (doc, *doc.get("sections", ())):
            for per_pop in part.get("synchrony", {}).values():
                indices += [name for name in per_pop if name not in indices]
    rows = []
    for doc in reports:
        bands = doc["parameters"]["bands"]
        parts = [(None, doc)] + [(s["label"], s) for s in doc.get("sections", ())]
        for section, part in parts:
            for population, verdicts in part.get("rhythms", {}).items():
                synchrony = part.get("synchrony", {}).get(population, {})
                for band, v in verdicts.items():
                    low, high = bands[band]
                    row = {"session": doc["input"].get("name"), "path": doc["input"].get("path"),
                           "section": section, "population": population, "band": band, "band_low": _number(low),
                           "band_high": _number(high), "verdict": v.get("verdict"),
                           "peak_hz": _number(v.get("peak_hz")), "power_ratio": _number(v.get("power_ratio")),
                           "p_peak": _number(v.get("p_peak_holm")),
                           "p_independent": _number(v.get("p_independent_holm"))}
                    for name in indices:
                        entry = synchrony.get(name) or {}
                        for suffix, key in _INDEX_FIELDS:
                            row[name + suffix] = _number(entry.get(key))
                    rows.append(row)
    return rows


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _columns(rows: list[dict]) -> list[str]:
    return list(rows[0]) if rows else list(COHORT_COLUMNS)


def import_writers(figure: bool = True) -> None:
    """Import what :func:`write_cohort` needs: pyarrow (and pandas, which its first conversion imports where
    installed), and matplotlib for the figure (about 0.6 s).

    A batch on dask calls it before its sessions are sent (on a LocalCluster,
    while the workers' server imports and a core waits) rather than after its
    last session.

    Parameters
    ----------
    figure : bool, default True
        Import matplotlib's pyplot too.
    """
    check_installed("pyarrow", extra="cohort", use="the cohort table's Parquet file")
    import pyarrow as pa
    import pyarrow.parquet  # noqa: F401

    # pyarrow's first conversion of Python values imports pandas where it is installed (about 0.2 s).
    pa.array([], type=pa.float64())

    if figure:
        import matplotlib.pyplot  # noqa: F401


def write_cohort(rows: list[dict], folder, *, figure: bool = True) -> dict[str, Path]:
    """Write the cohort table as CSV and Parquet, and its figure as PNG and SVG, in ``folder``, each atomically.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`cohort_table`.
    folder : str or Path
        An existing folder; files of :data:`COHORT_FILES` there are replaced.
    figure : bool, default True
        Draw the figure (:func:`plot_cohort`).

    Returns
    -------
    dict of str to Path
        The files written, by kind (``"csv"``, ``"parquet"``, ``"png"``, ``"svg"``).

    Raises
    ------
    MissingDependencyError
        pyarrow is not installed (``pip install "synchro[cohort]"``).
    """
    import_writers(figure)
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    columns = _columns(rows)
    written = {kind: folder / name for kind, name in COHORT_FILES.items() if figure or kind in ("csv", "parquet")}
    with atomic_output(written["csv"], overwrite=True) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)  # None as an empty field; floats as repr, which reads back exactly
    schema = pa.schema([(c, pa.string() if c in _TEXT else pa.float64()) for c in columns])
    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_output(written["parquet"], overwrite=True) as tmp:
        pq.write_table(table, tmp)
    if figure:
        import matplotlib.pyplot as plt

        with plain_text():
            ax = plot_cohort(rows)
            fig = ax.figure
            try:
                # The constrained layout once, kept for both files: it would otherwise run at each save, doubling
                # the drawing time.
                fig.get_layout_engine().execute(fig)
                fig.set_layout_engine("none")
                for kind in ("png", "svg"):
                    with atomic_output(written[kind], overwrite=True) as tmp:
                        fig.savefig(tmp, format=kind, dpi=100, metadata={"Date": None} if kind == "svg" else None)
            finally:
                plt.close(fig)
    return written


def plot_cohort(rows: list[dict], ax=None):
    """Draw every verdict of a cohort: sessions (and sections) down, populations and bands across.

    Each cell is coloured by its verdict (present, broadband, absent,
    undetermined) and shows the peak frequency in Hz where there is a rhythm
    (present or broadband), so that a rhythm shared across sessions reads as
    a green column at one frequency.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`cohort_table`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the table when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    sessions = list(dict.fromkeys(_row_label(r) for r in rows))
    cells = list(dict.fromkeys((r["population"], r["band"]) for r in rows))
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(3.6 + 1.0 * max(len(cells), 2), 1.3 + 0.35 * max(len(sessions), 2)),
                             layout="constrained")
    ax = new_axes(ax)
    words = list(_VERDICT_COLORS)
    grid = np.full((len(sessions), len(cells)), np.nan)
    for r in rows:
        i, j = sessions.index(_row_label(r)), cells.index((r["population"], r["band"]))
        grid[i, j] = words.index(r["verdict"]) if r["verdict"] in words else np.nan
        if r["verdict"] in ("present", "broadband") and r["peak_hz"] is not None:
            ax.text(j, i, f"{r['peak_hz']:.0f} Hz", ha="center", va="center", fontsize="small",
                    color="white" if r["verdict"] == "present" else "black")
    cmap = ListedColormap(list(_VERDICT_COLORS.values())).with_extremes(bad="#ffffff")
    ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=-0.5, vmax=len(words) - 0.5, aspect="auto",
              interpolation="nearest")
    ax.set_xticks(range(len(cells)), [f"{plain_label(p)}\n{plain_label(b)}" for p, b in cells], fontsize="small")
    ax.set_yticks(range(len(sessions)), [plain_label(s) for s in sessions], fontsize="small")
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(len(cells) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(sessions) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#999999", lw=0.5)
    ax.tick_params(which="minor", length=0)
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#999999", label=w) for w, c in _VERDICT_COLORS.items()],
              loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False, title="verdict",
              title_fontsize="small")
    ax.set_title("Rhythm verdicts (peak frequency where a rhythm)", loc="left", fontsize="medium")
    return ax


def _row_label(row: Mapping) -> str:
    return row["session"] if row["section"] is None else f"{row['session']}: {row['section']}"
