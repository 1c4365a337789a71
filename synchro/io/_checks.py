"""Validation and assembly shared by every reader and writer (one place, so every format fails alike)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..core import Recording, Signal, SpikeData, UnitTable, _check_finite, _count_unsorted, _time_scale, check_time_unit
from ..errors import (
    InputNotFoundError,
    InvalidDataError,
    NothingToAnalyseError,
    SynchroWarning,
    UnreadableInputError,
    UsageError,
)

#: Unit-table columns that carry spike-sorting curation labels (Phy, Kilosort, NWB conventions).
CURATION_COLUMNS = ("quality", "KSLabel", "group", "label")

#: Columns whose values name a unit's population when no ``population`` column exists.
POPULATION_COLUMNS = ("population", "cell_type", "celltype", "neuron_type", "cell_class")

QUALITY_CHOICES = ("exclude-noise", None)


def check_input_path(path) -> Path:
    """Return ``path`` as a Path, raising the specific error when it is not a readable file."""
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p} does not exist; check the path")
    if p.is_dir():
        raise UnreadableInputError(f"{p} is a directory; give a file (.nwb, .npz or .csv)")
    return p


def warn(message: str) -> None:
    """Issue a SynchroWarning attributed to the caller of synchro.io, not to a line inside it."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2  # stacklevel 1 is this line, 2 its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, SynchroWarning, stacklevel=level)


def as_recording(obj) -> Recording:
    """Writers take a Recording or bare SpikeData."""
    if isinstance(obj, Recording):
        return obj
    if isinstance(obj, SpikeData):
        return Recording(obj)
    raise TypeError(f"expected a Recording or SpikeData, not {type(obj).__name__}")


def check_quality(quality) -> None:
    if quality not in QUALITY_CHOICES:
        raise UsageError(f"quality must be 'exclude-noise' or None; got {quality!r}")


@contextmanager
def atomic_output(path, *, overwrite: bool):
    """Yield a temporary path in the target folder; move it onto ``path`` only when the block succeeds."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file name to write")
    if target.exists() and not overwrite:
        raise UsageError(f"{target} already exists; pass overwrite=True (CLI: --overwrite) or choose another path")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; outputs get the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def to_json(obj) -> str:
    """JSON text of ``obj``, turning numpy scalars and arrays into plain values."""

    def default(o):
        if isinstance(o, np.ndarray | np.generic):
            return o.tolist()
        if isinstance(o, Mapping):
            return dict(o)
        return str(o)

    return json.dumps(obj, default=default)


def from_json(text, what: str, source: str):
    """Parse JSON that synchro stored in a file, naming the file when it is damaged."""
    try:
        return json.loads(text.decode() if isinstance(text, bytes) else str(text))
    except ValueError:
        raise InvalidDataError(f"{source}: the stored {what} is not valid JSON; the file was damaged after synchro "
                               "wrote it, re-export it") from None


def json_columns(columns: Mapping) -> dict[str, list]:
    """Columns as JSON-safe lists (for signal channel tables stored beside the data)."""
    return json.loads(to_json({k: np.asarray(v).tolist() for k, v in columns.items()}))


def population_alias(columns: dict) -> str | None:
    """Fill ``population`` from a population-like column when the source has none; return that column's name."""
    if "population" in columns:
        return None
    for name in POPULATION_COLUMNS[1:]:
        if name in columns:
            columns["population"] = columns[name]
            return name
    return None


def assemble(times, offsets, columns: Mapping, *, t_start, t_stop, time_unit=None, sampling_rate=None,
             quality="exclude-noise", intervals=None, signals: Mapping[str, Signal] | None = None,
             metadata: Mapping | None = None, source: str = "input") -> Recording:
    """Validate grouped spikes read from a file and build the Recording every reader returns.

    ``times`` are grouped by unit (``offsets`` bounds), in ``time_unit``;
    ``t_start``/``t_stop`` may be None, in which case 0 and the second after
    the last spike are assumed (the latter with a :class:`SynchroWarning`). Unsorted units
    are sorted, empty units kept, both with a warning; curation is applied
    per ``quality``.
    """
    check_quality(quality)
    times = np.asarray(times, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    meta = dict(metadata or {})
    n_units = len(offsets) - 1
    if n_units == 0:
        raise NothingToAnalyseError(f"{source} holds no units; nothing to analyse")
    _check_finite(times)
    scale = _time_scale(time_unit, sampling_rate)
    if time_unit is None:
        check_time_unit(times, n_units)
    elif scale != 1.0:
        times = times * scale
        t_start = None if t_start is None else t_start * scale
        t_stop = None if t_stop is None else t_stop * scale
        intervals = None if intervals is None else np.asarray(intervals, dtype=np.float64) * scale
    if t_start is None or t_stop is None:
        t_start, t_stop = _assumed_bounds(times, t_start, t_stop, source)
        meta["bounds"] = "assumed from the spikes (no recording bounds in the input)"
    # A decrease in time is fine where a new unit starts; look closer only when one happens inside a unit.
    drops = np.flatnonzero(times[1:] < times[:-1]) + 1
    if drops.size and not np.all(np.isin(drops, offsets)):
        unit_index = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(offsets))
        warn(f"{source}: {_count_unsorted(times, unit_index)} spike times were out of order within their unit; "
             "sorted them")
        times = times[np.lexsort((times, unit_index))]
    n_empty = int(np.count_nonzero(np.diff(offsets) == 0))
    if n_empty:
        warn(f"{source}: {n_empty} of {n_units} units have no spikes; kept them (rate 0 Hz)")
    units = UnitTable(columns, n_units=n_units)
    spikes = SpikeData(times, offsets, units, t_start, t_stop, metadata={"source": source})
    if intervals is not None:
        spikes = spikes.restrict_to_intervals(intervals)
    if quality is None:
        meta["curation"] = {"applied": False, "n_excluded": 0}
    else:
        cols = [c for c in CURATION_COLUMNS if c in spikes.units]
        spikes, n_excluded = spikes.curated(columns=tuple(cols))
        meta["curation"] = {"applied": True, "columns": cols, "n_excluded": n_excluded}
    return Recording(spikes, signals, meta)


def _assumed_bounds(times: np.ndarray, t_start, t_stop, source: str) -> tuple[float, float]:
    if times.size == 0:
        raise NothingToAnalyseError(f"{source} holds no spikes and no recording bounds; nothing to analyse")
    first, last = float(times.min()), float(times.max())
    if t_start is None:
        t_start = min(0.0, float(np.floor(first)))  # sessions start at 0 s by convention; earlier spikes widen it
    if t_stop is None:
        t_stop = float(np.floor(last)) + 1.0
        warn(f"{source} stores no recording end; assumed t_stop={t_stop:g} s (the whole second after the last "
             "spike), which overstates rates if the recording ran longer; give the true end with t_stop= (CLI: "
             "--t-stop)")
    return float(t_start), t_stop
