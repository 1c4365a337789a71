"""Plain-array formats: NPZ (numpy archive) and CSV or TSV (one spike per line).

NPZ keys
    ``spike_times`` (s), ``unit_index`` (row of the unit table per spike) or
    ``unit_ids`` (unit id per spike), ``t_start``/``t_stop`` (s), optional
    unit columns ``unit_<column>`` (``unit_id`` holds the ids), optional
    ``intervals`` (k x 2, s), signals as ``signal_<name>_data`` /
    ``_fs`` / ``_t_start`` / ``_units`` (/ ``_channels``, JSON) and the
    recording metadata as JSON in ``metadata_json``.

CSV layout
    Comment lines ``# t_start=<s>``, ``# t_stop=<s>`` and, optionally,
    ``# unit_ids=<id> <id> ...`` (so silent units survive), then a header
    naming at least ``unit_id`` and ``spike_time`` (seconds), or the columns
    ``columns=`` maps to them; further per-spike columns are ignored.
    Comma-separated, or tab-separated for ``.tsv`` files and headers with
    tabs and no commas. Unit ids are whole numbers, or names (kept as
    ``label``, with ids ``0..n-1`` in sorted order).
"""

from __future__ import annotations

import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..core import Recording, Signal
from ..core.checks import float_times, interval_pairs, number, whole_numbers
from ..errors import InvalidDataError, SignalError, UnreadableInputError, UsageError
from .assembly import as_recording, assemble, group_spikes, population_alias, rows_of_ids
from .files import atomic_output, check_input_path, from_json, to_json

__all__ = ["read_npz", "write_npz", "read_csv", "write_csv", "csv_columns", "CSV_COLUMNS"]


def read_npz(path, *, time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
             quality="exclude-noise") -> Recording:
    """Read a recording from a numpy ``.npz`` archive (see the module docstring for the keys).

    Parameters
    ----------
    path : str or Path
        The archive; never modified.
    time_unit : {"s", "ms", "us", "samples"}, optional
        Unit of the stored times; by default seconds, and times that look
        like samples or milliseconds raise :class:`~synchro.errors.TimeUnitError`.
    sampling_rate : float, optional
        Hz, with ``time_unit="samples"``.
    t_start, t_stop : float, optional
        Recording bounds (in ``time_unit``); override the stored ones.
    quality : {"exclude-noise", None}, default "exclude-noise"
        Leave out units whose curation label marks them as noise.

    Returns
    -------
    Recording
    """
    p = check_input_path(path)
    arrays = _load_npz(p)
    if "spike_times" not in arrays or not ({"unit_index", "unit_ids"} & arrays.keys()):
        raise InvalidDataError(f"{p.name} lacks the arrays 'spike_times' and 'unit_index' (or 'unit_ids'); found "
                               f"{sorted(arrays)}")
    times = float_times(arrays["spike_times"], "spike_times", p.name)
    columns = {k[len("unit_"):]: v for k, v in arrays.items()
               if k.startswith("unit_") and k not in ("unit_index", "unit_ids")}
    if "id" in columns:
        columns["id"] = whole_numbers(columns["id"], "unit_id", p.name)
    if "unit_index" in arrays:
        rows = whole_numbers(arrays["unit_index"], "unit_index", p.name)
        n_units = len(columns["id"]) if "id" in columns else (int(rows.max()) + 1 if rows.size else 0)
    else:
        rows, ids = rows_of_ids(whole_numbers(arrays["unit_ids"], "unit_ids", p.name), columns.get("id"), p.name)
        columns.setdefault("id", ids)
        n_units = len(ids)
    if len(rows) != len(times):
        raise InvalidDataError(f"{p.name}: {len(times)} spike_times but {len(rows)} unit entries; give one per spike")
    if rows.size and (rows.min() < 0 or rows.max() >= n_units):
        raise InvalidDataError(f"{p.name}: unit_index must lie in 0..{n_units - 1}; got {rows.min()}..{rows.max()}")
    metadata = from_json(arrays["metadata_json"], "metadata", p.name) if "metadata_json" in arrays else {}
    alias = population_alias(columns)
    metadata.update(source=str(p), format="npz", **({"population_from": alias} if alias else {}))
    grouped, offsets = group_spikes(times, rows, n_units)
    bounds = {k: (number(arrays[k], k, p.name) if k in arrays else None) for k in ("t_start", "t_stop")}
    stored_intervals = interval_pairs(arrays["intervals"], "intervals", p.name) if "intervals" in arrays else None
    return assemble(grouped, offsets, columns,
                    t_start=bounds["t_start"] if t_start is None else t_start,
                    t_stop=bounds["t_stop"] if t_stop is None else t_stop,
                    time_unit=time_unit, sampling_rate=sampling_rate, quality=quality,
                    intervals=stored_intervals, signals=_npz_signals(arrays, p.name), metadata=metadata,
                    source=str(p))


def write_npz(recording: Recording, path, *, overwrite: bool = False):
    """Write a recording to an uncompressed ``.npz`` archive, atomically.

    Spike times are stored bit for bit (float64, grouped by unit), unit
    indices in the smallest integer type that holds them; every unit column
    with a fixed-width type is kept (object columns holding anything but
    strings are left out and listed in ``metadata_json``).

    Parameters
    ----------
    recording : Recording or SpikeData
        What to write.
    path : str or Path
        Output file (``.npz``); written via a temporary file in the same folder.
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`~synchro.errors.UsageError`.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    rec = as_recording(recording)
    s = rec.spikes
    out = {"spike_times": s.times, "unit_index": s.unit_index.astype(np.min_scalar_type(max(s.n_units - 1, 0))),
           "t_start": np.float64(s.t_start), "t_stop": np.float64(s.t_stop)}
    skipped = []
    for name, values in s.units.items():
        if values.dtype == object:
            if all(isinstance(v, str) for v in values):
                values = values.astype(str)
            else:
                skipped.append(name)
                continue
        out[f"unit_{name}"] = values
    if s.intervals is not None:
        out["intervals"] = s.intervals
    for name, sig in rec.signals.items():
        out.update({f"signal_{name}_data": sig.data, f"signal_{name}_fs": np.float64(sig.fs),
                    f"signal_{name}_t_start": np.float64(sig.t_start), f"signal_{name}_units": np.str_(sig.units),
                    f"signal_{name}_channels": np.str_(to_json(sig.channels, allow_nan=True))})
    metadata = dict(rec.metadata)
    if skipped:
        metadata["skipped_unit_columns"] = skipped
    out["metadata_json"] = np.str_(to_json(metadata, allow_nan=True))
    with atomic_output(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as f:  # a file object stops numpy from appending ".npz" to the temp name
            np.savez(f, **out)
    return Path(path)


def read_csv(path, *, columns=None, time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
             quality="exclude-noise") -> Recording:
    """Read spikes from a CSV or TSV file with columns ``unit_id,spike_time`` (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV or TSV file; never modified. Tab-separated when the suffix
        is ``.tsv`` or the header line holds tabs and no commas.
    columns : mapping, optional
        The file's names for the unit and the time columns, e.g.
        ``{"unit": "cluster", "time": "time"}`` for IBL's layout; by
        default ``unit_id`` and ``spike_time``.
    time_unit, sampling_rate, t_start, t_stop, quality
        As in :func:`read_npz`; ``t_start``/``t_stop`` override the
        ``# t_start=``/``# t_stop=`` header lines.

    Returns
    -------
    Recording
        Unit ids as stored when they are whole numbers; named units (ids
        such as ``n3a``) get ids ``0..n-1`` in sorted name order and their
        names in the ``label`` column.

    Raises
    ------
    UsageError
        A ``columns`` key other than ``unit`` and ``time``.
    InvalidDataError
        The header lacks the unit or time column, or a value is not a
        number (times) or is empty (units).
    """
    p = check_input_path(path)
    names = csv_columns(columns)
    header, found, n_skip, delimiter = _csv_header(p)
    try:
        ui, ti = found.index(names["unit"]), found.index(names["time"])
    except ValueError:
        hint = "" if columns else (" (other names: columns={'unit': NAME, 'time': NAME}; CLI: --columns "
                                   "unit=NAME,time=NAME)")
        raise InvalidDataError(f"{p.name} has columns {found}; its header line must name {names['unit']} and "
                               f"{names['time']} (seconds){hint}") from None
    ids, times = _csv_rows(p, n_skip, ui, ti, delimiter, names)
    ids_known = header.get("unit_ids")
    named = ids.dtype.kind == "U"
    known = None if ids_known is None else (np.array(ids_known.split()) if named else _listed_ids(ids_known, p.name))
    rows, ids = rows_of_ids(ids, known, p.name)
    grouped, offsets = group_spikes(times, rows, len(ids))
    unit_columns = {"id": np.arange(len(ids)), "label": ids.astype(object)} if named else {"id": ids}
    bounds = {k: (number(header[k], f"# {k}=", p.name) if k in header else None) for k in ("t_start", "t_stop")}
    return assemble(grouped, offsets, unit_columns,
                    t_start=bounds["t_start"] if t_start is None else t_start,
                    t_stop=bounds["t_stop"] if t_stop is None else t_stop,
                    time_unit=time_unit, sampling_rate=sampling_rate, quality=quality,
                    metadata={"source": str(p), "format": "tsv" if delimiter == "\t" else "csv"}, source=str(p))


#: Default names of the CSV columns, keyed by what they hold.
CSV_COLUMNS = {"unit": "unit_id", "time": "spike_time"}


def csv_columns(columns=None) -> dict[str, str]:
    """The CSV column names to read: :data:`CSV_COLUMNS` updated with ``columns``.

    Parameters
    ----------
    columns : mapping or str, optional
        ``{"unit": NAME, "time": NAME}`` (either key may be left out), or
        the same as text ``"unit=NAME,time=NAME"`` (the CLI's ``--columns``).

    Returns
    -------
    dict
        ``{"unit": ..., "time": ...}``.

    Raises
    ------
    UsageError
        A key other than ``unit`` and ``time``, an empty name, or text not
        of the form ``KEY=NAME``.
    """
    if columns is None:
        return dict(CSV_COLUMNS)
    if isinstance(columns, str):
        pairs = [part.partition("=") for part in columns.split(",") if part.strip()]
        if not pairs or any(not sep for _, sep, _ in pairs):
            raise UsageError(f"columns must be KEY=NAME pairs separated by commas, e.g. unit=cluster,time=time; got "
                             f"{columns!r}")
        columns = {k.strip(): v.strip() for k, _, v in pairs}
    bad = sorted(set(columns) - set(CSV_COLUMNS))
    if bad:
        raise UsageError(f"unknown column key {bad[0]!r}; the keys are {sorted(CSV_COLUMNS)} (the unit id and the "
                         "spike time columns)")
    if any(not str(v).strip() for v in columns.values()):
        raise UsageError("a column name in columns is empty; give the header's name, e.g. unit=cluster")
    return {**CSV_COLUMNS, **{k: str(v).strip() for k, v in columns.items()}}


def write_csv(spikes, path, *, overwrite: bool = False):
    """Write spikes as CSV ``unit_id,spike_time`` with shortest round-trip (repr) floats, atomically.

    Parameters
    ----------
    spikes : SpikeData or Recording
        What to write (signals and unit columns other than ``id`` are not
        stored: use NWB or NPZ for those).
    path : str or Path
        Output file.
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`~synchro.errors.UsageError`.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    s = as_recording(spikes).spikes
    ids = s.units["id"]
    lines = ["# synchro spikes: spike_time in seconds", f"# t_start={s.t_start!r}", f"# t_stop={s.t_stop!r}",
             "# unit_ids=" + " ".join(map(str, ids.tolist())), "unit_id,spike_time"]
    lines += [f"{u},{t!r}" for u, t in zip(ids[s.unit_index].tolist(), s.times.tolist())]
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


# Helpers ----------------------------------------------------------------------

#: Limits of the CSV header: lines before the column names, and characters per line. A header is a few short
#: lines; a file past these limits is not a spike CSV (and reading it line by line would have no bound).
MAX_HEADER_LINES = 10_000
MAX_LINE_CHARS = 1 << 16

#: An .npz archive whose members unpack to more than this many bytes, and more than
#: :data:`MAX_NPZ_RATIO` times the file's size, is refused before it is unpacked (a zip bomb).
MAX_NPZ_BYTES = 4 << 30
MAX_NPZ_RATIO = 100


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    """Every array of the archive, refusing damaged archives, pickles and archives that unpack without bound."""
    try:
        with zipfile.ZipFile(p) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > max(MAX_NPZ_BYTES, MAX_NPZ_RATIO * p.stat().st_size):
            raise UnreadableInputError(f"{p.name} unpacks to {unpacked / 2**30:.3g} GiB from "
                                       f"{p.stat().st_size / 2**20:.3g} MiB; it is not a spike archive numpy wrote, "
                                       "write it with numpy.savez")
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, KeyError) as exc:
        raise UnreadableInputError(f"{p.name} is not a readable .npz archive ({exc}); write it with numpy.savez") \
            from None
    except ValueError as exc:
        if "allow_pickle" not in str(exc):
            raise UnreadableInputError(f"{p.name} holds a damaged array ({exc}); write it again with numpy.savez") \
                from None
        raise UnreadableInputError(f"{p.name} holds pickled objects, which synchro does not load ({exc}); store "
                                   "strings as fixed-width arrays (numpy.str_)") from None


def _csv_rows(p: Path, n_skip: int, ui: int, ti: int, delimiter: str,
              names: dict) -> tuple[np.ndarray, np.ndarray]:
    """Unit ids (exact int64, or text for named units) and spike times of every data row."""
    read = dict(delimiter=delimiter, comments="#", skiprows=n_skip, ndmin=1, encoding="utf-8-sig")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy warns on a header-only file; zero rows is handled later
        try:
            # Ids as integers first: through float64, ids of 2**53 or more would be rounded and could merge.
            table = np.loadtxt(p, usecols=(ui, ti), dtype=[("id", np.int64), ("t", np.float64)], **read)
            return table["id"], table["t"]
        except ValueError:
            pass  # ids written as floats ("3.0") or names ("n3a"), or a bad value: look closer below
        try:
            times = np.loadtxt(p, usecols=ti, dtype=np.float64, **read)
        except ValueError as exc:
            raise InvalidDataError(f"{p.name}: {exc} (counting rows after the header); every {names['time']} must "
                                   "be a number") from None
        # Text sized to the longest id (a fixed width would cost its size on every row).
        ids = np.char.strip(np.loadtxt(p, usecols=ui, dtype=str, **read))
    if ids.size and np.any(ids == ""):
        raise InvalidDataError(f"{p.name}: {int(np.count_nonzero(ids == ''))} rows have an empty {names['unit']}; "
                               "give every spike its unit")
    try:
        numbers = ids.astype(np.float64)
    except ValueError:
        return ids, times  # named units
    return whole_numbers(numbers, names["unit"], p.name), times


def _listed_ids(text: str, source: str) -> np.ndarray:
    """The ids of the ``# unit_ids=`` header line, exactly."""
    try:
        ids = [int(token) for token in text.split()]
    except ValueError:
        raise InvalidDataError(f"{source}: # unit_ids= must list whole numbers separated by spaces; got "
                               f"{text[:40]!r}, or leave the line out") from None
    if any(not -2**63 <= i < 2**63 for i in ids):
        raise InvalidDataError(f"{source}: # unit_ids= holds ids beyond 64-bit integers; renumber them below 9.2e18")
    return np.array(ids, dtype=np.int64)


def _csv_header(p) -> tuple[dict[str, str], list[str], int, str]:
    """``key=value`` comment lines, the column names, the number of lines before the data and the delimiter.

    The delimiter is a tab for ``.tsv`` files and for a header line with
    tabs and no commas, else a comma.

    A UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped; reading stops
    at :data:`MAX_HEADER_LINES` lines of :data:`MAX_LINE_CHARS` characters.
    """
    header: dict[str, str] = {}
    try:
        with open(p, encoding="utf-8-sig") as f:
            for n in range(MAX_HEADER_LINES):
                line = f.readline(MAX_LINE_CHARS)
                if not line:
                    break
                if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
                    raise InvalidDataError(f"{p.name}: line {n + 1} is longer than {MAX_LINE_CHARS} characters; a "
                                           "spike CSV has short lines unit_id,spike_time, check that this is one")
                line = line.strip()
                if not line:
                    continue
                if line.startswith("#"):
                    key, sep, value = line[1:].partition("=")
                    if sep:
                        header[key.strip()] = value.strip()
                    continue
                tsv = p.suffix.lower() == ".tsv" or ("\t" in line and "," not in line)
                delimiter = "\t" if tsv else ","
                return header, [c.strip() for c in line.split(delimiter)], n + 1, delimiter
            else:
                raise InvalidDataError(f"{p.name}: no header line unit_id,spike_time in its first {MAX_HEADER_LINES} "
                                       "lines; put the header before the data")
    except UnicodeDecodeError:
        raise UnreadableInputError(f"{p.name} is not UTF-8 text; give a CSV file with unit_id,spike_time") from None
    raise InvalidDataError(f"{p.name} is empty (no header line); a CSV needs a header unit_id,spike_time and one "
                           "spike per line")


def _npz_signals(arrays: dict, source: str) -> dict[str, Signal]:
    signals = {}
    for key in arrays:
        if not (key.startswith("signal_") and key.endswith("_data")):
            continue
        name = key[len("signal_"):-len("_data")]
        if f"signal_{name}_fs" not in arrays:
            raise InvalidDataError(f"{source}: signal {name!r} has no 'signal_{name}_fs' (sampling rate, Hz)")
        data = arrays[key]
        if data.dtype.kind not in "iuf":
            raise SignalError(f"{source}: {key} must hold numbers; found {data.dtype}, store it as float64")
        channels = arrays.get(f"signal_{name}_channels")
        t0 = arrays.get(f"signal_{name}_t_start")
        signals[name] = Signal(data, number(arrays[f"signal_{name}_fs"], f"signal_{name}_fs", source),
                               0.0 if t0 is None else number(t0, f"signal_{name}_t_start", source),
                               units=str(arrays.get(f"signal_{name}_units", "")), name=name,
                               channels=None if channels is None else from_json(channels, "channel table", source))
    return signals
