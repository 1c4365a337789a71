"""Validation and assembly shared by every reader and writer (one place, so every format fails alike)."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
import tempfile
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..core import Recording, Signal, SpikeData, UnitTable, check_bounds_unit, check_time_unit
from ..core.checks import check_finite, count_unsorted, time_scale, unit_offsets
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


#: Kinds of special file, for the message that refuses them.
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                  (stat.S_ISSOCK, "a socket"))


def check_input_path(path) -> Path:
    """Check that ``path`` is a regular file this process can read, and return it as a Path.

    The file is opened without blocking and examined through the open
    descriptor, so a FIFO (which would block until a writer appears), a
    device (``/dev/zero`` reads forever) or a socket is refused at once,
    whatever its name or the symlinks leading to it.

    Parameters
    ----------
    path : str or Path
        The input.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        Nothing there (or a symlink to nothing).
    UnreadableInputError
        A directory, a special file, a symlink loop, or no permission to read.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(p):
            raise InputNotFoundError(f"{p} is a symlink to {os.readlink(p)}, which does not exist; fix the link or "
                                     "give the file itself") from None
        raise InputNotFoundError(f"{p} does not exist; check the path") from None
    except PermissionError:
        if p.is_dir():
            raise UnreadableInputError(f"{p} is a directory; give a file (.nwb, .npz or .csv)") from None
        raise UnreadableInputError(f"{p} is not readable (permission denied); make it readable (chmod u+r) or "
                                   "copy it somewhere you can read") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableInputError(f"{p} is a symlink loop (its links lead back to themselves); point the link "
                                       "at the real file") from None
        raise UnreadableInputError(f"{p} cannot be opened ({exc.strerror}); check the path") from None
    try:
        mode = os.fstat(fd).st_mode
    finally:
        os.close(fd)
    if stat.S_ISDIR(mode):
        raise UnreadableInputError(f"{p} is a directory; give a file (.nwb, .npz or .csv)")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
        raise UnreadableInputError(f"{p} is not a regular file ({kind}); copy the data into a file and give that")
    return p


def check_input_folder(path) -> Path:
    """Check that ``path`` is a folder this process can list, and return it as a Path.

    Parameters
    ----------
    path : str or Path
        The input folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        Nothing there.
    UnreadableInputError
        Not a folder, or no permission to list it.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p} does not exist; check the path")
    if not p.is_dir():
        raise UnreadableInputError(f"{p} is not a folder; give the sorter's output folder")
    if not os.access(p, os.R_OK | os.X_OK):
        raise UnreadableInputError(f"{p} is not readable (permission denied); make it readable (chmod u+rx)")
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


#: Names of :func:`atomic_output`'s temporary files: ``.STEM.xxxxxxxx.tmp.SUFFIX`` (tempfile's 8 characters).
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.\w+)?")


def remove_temporaries(folder) -> None:
    """Remove the temporary files that killed writers of :func:`atomic_output` left in ``folder``.

    Call it only when no live writer can be using the folder (holding its
    lock, :func:`synchro.report.output.folder_lock`).

    Parameters
    ----------
    folder : str or Path
        Folder to clean; a missing folder is fine.
    """
    folder = Path(folder)
    for path in folder.glob(".*.tmp*") if folder.is_dir() else ():
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink()


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


def from_json(text, what: str, source: str, *, expect: type | None = dict):
    """Parse JSON that synchro stored in a file, naming the file when it is damaged.

    Parameters
    ----------
    text : str or bytes
        The stored JSON text.
    what : str
        What it holds, for the message ("metadata").
    source : str
        The file's name, for the message.
    expect : type or None, default dict
        Type the parsed value must have (synchro stores objects); None
        accepts any JSON value.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InvalidDataError
        Not valid JSON, or not of type ``expect``.
    """
    damaged = "the file was damaged after synchro wrote it, re-export it"
    try:
        if isinstance(text, np.ndarray):
            if text.ndim != 0:
                raise ValueError
            text = text[()]
        value = json.loads(text.decode() if isinstance(text, bytes) else str(text))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidDataError(f"{source}: the stored {what} is not valid JSON; {damaged}") from None
    if expect is not None and not isinstance(value, expect):
        kind = {dict: "a JSON object", list: "a JSON array"}.get(expect, expect.__name__)
        raise InvalidDataError(f"{source}: the stored {what} is not {kind} (found {type(value).__name__}); {damaged}")
    return value


# Fields read from files --------------------------------------------------------------------------------------
# Every reader takes its numbers through these, so a damaged field fails alike in every format: exit 4 with one
# line naming the field and the fix, never a numpy error from deep inside the analysis.

#: Largest integer every float64 holds exactly (2**53); beyond it, whole-number floats are rounded ids.
EXACT_FLOAT_INTEGER = 2**53


def number(value, name: str, source: str) -> float:
    """A single finite real number stored in a file (a bound, a rate), as float.

    Parameters
    ----------
    value : object
        What the file holds: a Python or numpy scalar, a 0-d or one-element
        array, or text (CSV header values, parsed here).
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    float

    Raises
    ------
    InvalidDataError
        Text that is not a number, an array of several values, a boolean,
        complex or non-finite value.
    """
    if isinstance(value, str | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        try:
            out = float(text)
        except ValueError:
            raise InvalidDataError(f"{source}: {name} must be a number; got {text[:40]!r}, write a plain number "
                                   "such as 10.5") from None
    else:
        arr = np.asarray(value)
        if arr.size != 1:
            raise InvalidDataError(f"{source}: {name} must be a single number; got {arr.size} values "
                                   f"(shape {arr.shape}), store one value")
        if arr.dtype.kind not in "iuf":
            shown = arr.reshape(-1)[0]
            shown = shown.item() if isinstance(shown, np.generic) and arr.dtype.kind != "V" else shown
            raise InvalidDataError(f"{source}: {name} must be a number; got {shown!r} ({arr.dtype}), store it as a "
                                   "float")
        out = float(arr.reshape(-1)[0])
    if not np.isfinite(out):
        raise InvalidDataError(f"{source}: {name} must be a finite number; got {out}")
    return out


def _one_dimensional(values, name: str, source: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim > 1 and sum(n > 1 for n in arr.shape) > 1:
        raise InvalidDataError(f"{source}: {name} must be one-dimensional (one value per entry); got shape "
                               f"{arr.shape}, store it flat")
    return arr.reshape(-1)


def float_times(values, name: str, source: str) -> np.ndarray:
    """Times (or other per-spike reals) stored in a file, as one-dimensional float64.

    Integers are accepted (the time-unit check judges them); float16 is
    refused because it cannot hold spike times (its step is 8 ms at 10 s);
    text, booleans and complex numbers are refused rather than converted.

    Parameters
    ----------
    values : array_like
        The stored array; row or column vectors count as one-dimensional.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    ndarray of float64, shape (n,)

    Raises
    ------
    InvalidDataError
        Not numeric, float16 or smaller, or truly multi-dimensional.
    """
    arr = _one_dimensional(values, name, source)
    if arr.dtype.kind not in "iuf":
        raise InvalidDataError(f"{source}: {name} must hold numbers; found {arr.dtype} "
                               f"({_kind_name(arr.dtype)}), store them as float64")
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
        raise InvalidDataError(f"{source}: {name} are {arr.dtype}, which rounds times to milliseconds and worse "
                               "(8 ms steps at 10 s); store them as float64")
    return arr.astype(np.float64)


def whole_numbers(values, name: str, source: str, *, floats: bool = True) -> np.ndarray:
    """Integers stored in a file (unit ids, unit rows, ragged-array indices), exactly, as int64.

    Parameters
    ----------
    values : array_like
        The stored array.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.
    floats : bool, default True
        Accept floats holding whole numbers below 2**53 (which float64 holds
        exactly); False refuses any float (formats that require integers).

    Returns
    -------
    ndarray of int64, shape (n,)

    Raises
    ------
    InvalidDataError
        Non-numeric, fractional, beyond 64-bit integers, floats too large to
        be exact, or floats where ``floats`` is False.
    """
    arr = _one_dimensional(values, name, source)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise InvalidDataError(f"{source}: {name} holds values beyond 64-bit integers (up to {arr.max()}); "
                                   "renumber them below 9.2e18")
        return arr.astype(np.int64)
    if arr.dtype.kind != "f" or not floats:
        raise InvalidDataError(f"{source}: {name} must hold whole numbers stored as integers; found {arr.dtype} "
                               f"({_kind_name(arr.dtype)}), store them as int64")
    if not np.all(np.isfinite(arr)) or not np.all(np.mod(arr, 1) == 0):
        raise InvalidDataError(f"{source}: {name} must hold whole numbers (unit ids); found non-integers")
    if arr.size and np.abs(arr).max() >= 2.0**63:
        raise InvalidDataError(f"{source}: {name} holds values beyond 64-bit integers ({np.abs(arr).max():.3g}); "
                               "renumber them below 9.2e18")
    if arr.size and np.abs(arr).max() >= EXACT_FLOAT_INTEGER:
        raise InvalidDataError(f"{source}: {name} holds floats of 2**53 or more ({np.abs(arr).max():.3g}), "
                               "whose digits are rounded away, so distinct ids may merge; store them as 64-bit "
                               "integers (CSV: digits only, no decimal point or exponent)")
    return arr.astype(np.int64)


def interval_pairs(values, name: str, source: str) -> np.ndarray:
    """Observation intervals stored in a file, as float64 (k, 2): start and stop in each row.

    Parameters
    ----------
    values : array_like
        k x 2 array, or one (start, stop) pair.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    ndarray of float64, shape (k, 2)

    Raises
    ------
    InvalidDataError
        Not numeric, not pairs, or not finite. (Start after stop is the
        recording's check, :class:`~synchro.errors.RecordingBoundsError`.)
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise InvalidDataError(f"{source}: {name} must hold numbers (seconds); found {arr.dtype}")
    if arr.shape == (2,):
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidDataError(f"{source}: {name} must be (start, stop) pairs, shape (k, 2); got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise InvalidDataError(f"{source}: {name} must be finite numbers of seconds; found NaN or infinity")
    return arr


def _kind_name(dtype: np.dtype) -> str:
    return {"U": "text", "S": "bytes", "b": "booleans", "c": "complex numbers", "O": "objects",
            "V": "raw or compound values", "M": "dates", "m": "time deltas", "f": "floats",
            "i": "integers", "u": "integers"}.get(dtype.kind, dtype.kind)


def rows_of_ids(spike_ids: np.ndarray, known_ids, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the unit table for per-spike ids, and the table's ids (``known_ids`` keeps their order).

    Parameters
    ----------
    spike_ids : ndarray
        Unit id of every spike (integers, or strings for named units).
    known_ids : array_like or None
        Every unit's id in table order (so silent units are kept); None
        takes the sorted distinct ids of the spikes.
    source : str
        The file's name, for the message.

    Returns
    -------
    rows : ndarray of int64
        Row of each spike's unit.
    ids : ndarray
        The table's ids.

    Raises
    ------
    InvalidDataError
        A spike whose id is not among ``known_ids``.
    """
    if known_ids is None:
        ids, rows = np.unique(spike_ids, return_inverse=True)
        return rows.astype(np.int64).reshape(-1), ids
    ids = np.asarray(known_ids) if spike_ids.dtype.kind in "US" else whole_numbers(known_ids, "unit_id", source)
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], spike_ids).clip(0, max(len(ids) - 1, 0))
    if spike_ids.size and (len(ids) == 0 or np.any(ids[order][pos] != spike_ids)):
        raise InvalidDataError(f"{source}: some spikes carry unit ids missing from the unit id list; list every unit")
    return order[pos].astype(np.int64), ids


def group_spikes(times: np.ndarray, rows: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Group spikes by unit row, keeping each unit's file order (so unsorted units are detected and reported).

    Parameters
    ----------
    times : ndarray of float64
        Spike times, in file order.
    rows : ndarray of int64
        Unit row of each spike.
    n_units : int
        Number of units (silent ones included).

    Returns
    -------
    times : ndarray of float64
        The times grouped by unit.
    offsets : ndarray of int64, shape (n_units + 1,)
        Bounds of each unit's spikes.
    """
    if rows.size and np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        times = times[order]
        rows = rows[order]
    return times, unit_offsets(rows, n_units)


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
             metadata: Mapping | None = None, source: str = "input", check_scale: bool = True) -> Recording:
    """Validate grouped spikes read from a file and build the Recording every reader returns.

    ``times`` are grouped by unit (``offsets`` bounds), in ``time_unit``;
    ``t_start``/``t_stop`` may be None, in which case 0 and the second after
    the last spike are assumed (the latter with a :class:`SynchroWarning`). Unsorted units
    are sorted, empty units kept, both with a warning; curation is applied
    per ``quality``. With ``check_scale`` (for formats that store bounds and
    times as bare numbers), bounds whose unit disagrees with the times'
    raise :class:`~synchro.errors.InvalidDataError`
    (:func:`~synchro.core.check_bounds_unit`) before anything is allocated
    from them.
    """
    check_quality(quality)
    times = np.asarray(times, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    meta = dict(metadata or {})
    n_units = len(offsets) - 1
    if n_units == 0:
        raise NothingToAnalyseError(f"{source} holds no units; nothing to analyse")
    check_finite(times)
    scale = time_scale(time_unit, sampling_rate)
    if time_unit is None:
        check_time_unit(times, n_units)
    elif scale != 1.0:
        times = times * scale
        t_start = None if t_start is None else t_start * scale
        t_stop = None if t_stop is None else t_stop * scale
        intervals = None if intervals is None else np.asarray(intervals, dtype=np.float64) * scale
    stop_given = t_stop is not None
    if t_start is None or t_stop is None:
        t_start, t_stop = _assumed_bounds(times, t_start, t_stop, source)
        meta["bounds"] = "assumed from the spikes (no recording bounds in the input)"
    if check_scale and stop_given:
        check_bounds_unit(times, float(t_start), float(t_stop), source=source)
    # A decrease in time is fine where a new unit starts; look closer only when one happens inside a unit.
    drops = np.flatnonzero(times[1:] < times[:-1]) + 1
    if drops.size and not np.all(np.isin(drops, offsets)):
        unit_index = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(offsets))
        warn(f"{source}: {count_unsorted(times, unit_index)} spike times were out of order within their unit; "
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
