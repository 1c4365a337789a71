"""A sweep's folder: point records written atomically, read back, and cleaned of what a killed sweep left."""

from __future__ import annotations

import json
from pathlib import Path

from synchro.errors import UsageError
from synchro.io.files import atomic_output, remove_temporaries, to_json

__all__ = ["read_points"]


def write_json(path: Path, record) -> None:
    """Write ``record`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(to_json(record))


def load_point(path: Path, pid: str) -> dict | None:
    """The record in ``path`` if it is a complete point with this id, else None (the point is run again)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("id") == pid and "metrics" in record else None


def read_points(folder) -> list[dict]:
    """The point records of a sweep folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`sims.sweep.run_sweep`.

    Returns
    -------
    list of dict
        The records of ``points/*.json``, sorted by id; incomplete files are
        left out.
    """
    folder = Path(folder)
    if not (folder / "points").is_dir():
        raise UsageError(f"{folder} holds no sweep (no 'points' folder); run `synchro sweep` into it first")
    paths = sorted((folder / "points").glob("*.json"))
    return [r for r in (load_point(p, p.stem) for p in paths) if r is not None]


def remove_sweep_temporaries(folder: Path) -> None:
    """Remove the temporary files a killed sweep left (called holding the folder's lock: no live sweep writes)."""
    for sub in (folder, folder / "points", folder / "figures"):
        remove_temporaries(sub)


def drop_other_grids(folder: Path, ids: set, overwrite: bool) -> None:
    """Refuse a folder holding points of another grid, or with ``overwrite`` delete them and their tables."""
    others = sorted(p for p in folder.glob("points/*.json") if p.stem not in ids and not p.name.startswith("."))
    if not others:
        return
    if not (folder / "sweep.json").is_file():
        raise UsageError(f"{folder / 'points'} holds files but {folder} has no sweep.json: it is not a sweep "
                         "folder; choose another -o/--output folder")
    if not overwrite:
        raise UsageError(f"{folder} holds {len(others)} point(s) of another sweep (another grid, model or options); "
                         "pass --overwrite to replace that sweep by this one, or choose another -o/--output folder")
    for path in [*others, folder / "runs.csv", folder / "summary.json", *folder.glob("figures/*.png")]:
        path.unlink(missing_ok=True)
