"""Writing a report folder: report.json, summary.txt, figures (PNG and SVG) and report.html, atomically.

The folder is built under a temporary name beside the target and renamed
into place only when complete, so a failed or interrupted run leaves either
no folder or the previous one intact, never a half-written report.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError
from .model import Report

__all__ = ["check_output_folder", "write_report"]


def check_output_folder(folder, *, inputs: Iterable = (), overwrite: bool = False) -> Path:
    """Return ``folder`` resolved, refusing places a report must not go.

    Parameters
    ----------
    folder : str or Path
        Where the report folder will be.
    inputs : iterable of path
        Input files: the folder may neither be one nor contain one
        (``--overwrite`` would delete it).
    overwrite : bool
        Allow replacing an existing report folder.

    Returns
    -------
    pathlib.Path
        The folder's absolute path.

    Raises
    ------
    UsageError
        If the folder exists (without ``overwrite``, or with it but holding
        files and no report.json), is a file, contains an input, or its
        parent folder does not exist.
    """
    target = Path(folder).resolve()
    for inp in inputs:
        inp = Path(inp).resolve()
        if inp == target or target in inp.parents:
            raise UsageError(f"output folder {target} would hold or replace the input {inp}; "
                             "choose another -o/--output folder")
    if target.exists() and not target.is_dir():
        raise UsageError(f"output {target} is a file; give a folder name with -o/--output")
    if target.exists() and not overwrite:
        raise UsageError(f"output folder {target} already exists; pass --overwrite to replace it or choose "
                         "another -o/--output folder")
    if target.exists() and any(target.iterdir()) and not (target / "report.json").is_file():
        # --overwrite replaces report folders only: never a folder of other files (say, -o . in a home folder).
        raise UsageError(f"output folder {target} holds files but no report.json: it is not a report folder, so "
                         "--overwrite will not replace it; choose another -o/--output folder")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist; create it or choose another -o/--output folder")
    return target


def write_report(report: Report, folder, *, overwrite: bool = False, figures: bool = True) -> Path:
    """Write ``report`` into ``folder`` atomically and return the folder's path.

    Parameters
    ----------
    report : Report
        What to write.
    folder : str or Path
        The report folder to create (or replace with ``overwrite``).
    overwrite : bool, default False
        Replace an existing folder.
    figures : bool, default True
        Draw the figures (PNG and SVG in ``figures/``) and show them in
        report.html.

    Returns
    -------
    pathlib.Path
        The folder, holding ``report.json``, ``summary.txt``, ``report.html``
        and ``figures/``.
    """
    target = check_output_folder(folder, inputs=[report.input["path"]] if "path" in report.input else [],
                                 overwrite=overwrite)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        doc = report.to_dict()
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        summary = report.summary()
        (tmp / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        shown = []
        if figures:
            from .figures import save_figures

            shown = save_figures(report, tmp / "figures")
        from .html import render_html

        (tmp / "report.html").write_text(render_html(report, summary, shown), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is meant to be shared
        _swap_into_place(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap_into_place(new: Path, target: Path) -> None:
    # os.replace cannot replace a non-empty folder: move the old one aside first, drop it after.
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
        os.replace(target, old / target.name)
    try:
        os.replace(new, target)
    except OSError:
        if old is not None:
            os.replace(old / target.name, target)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
