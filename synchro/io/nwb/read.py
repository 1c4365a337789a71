"""Reading NWB files with h5py: the Units table, recording bounds, interval tables and signals."""

from __future__ import annotations

import numpy as np

from ...core import IntervalTable, Recording
from ...core.checks import float_times, interval_pairs, time_scale, whole_numbers
from ...core.checks.arguments import check_quality
from ...errors import (
    AmbiguousUnitsTableError,
    InvalidDataError,
    MissingSpikeTimesError,
    NotHDF5Error,
    NotInFileError,
    NotNWBError,
    NoUnitsTableError,
    SynchroError,
    UnreadableInputError,
)
from ..assembly import assemble, population_alias, warn
from ..files import check_input_path, from_json
from ..remote import RemoteFile, is_url
from .layout import METADATA_PATH, as_text, chosen_path, text_attr, typed_objects
from .signals import pick_lfp, read_series

__all__ = ["read_nwb"]

#: Units-table columns that are structure, not per-unit values.
STRUCTURAL_COLUMNS = {"spike_times", "obs_intervals", "electrodes", "electrode_group", "waveform_mean",
                      "waveform_sd", "waveforms"}


def read_nwb(path, *, units=None, lfp="auto", time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
             quality="exclude-noise") -> Recording:
    """Read spikes (one Units table) and, optionally, an LFP from an NWB file.

    Parameters
    ----------
    path : str or Path
        NWB (HDF5) file, or its ``http://`` or ``https://`` URL, read in
        parts over HTTP ``Range`` requests without downloading the file
        (needs ``pip install "synchro[remote]"``; see
        :mod:`synchro.io.remote`); never modified.
    units : str, optional
        Path of the Units table inside the file (e.g.
        ``"processing/ecephys/units2"``); needed only when the file holds
        several (CLI ``--units``).
    lfp : "auto", str or None, default "auto"
        ``"auto"`` reads the ElectricalSeries (preferring those inside an
        ``LFP`` container; with several, the first, with a warning listing
        the others); a path reads that series; None reads none. Physical
        values are ``data * conversion * channel_conversion + offset`` in
        volts; only the part overlapping the spikes' ``[t_start, t_stop)``
        is read.
    time_unit : {"s", "ms", "us", "samples"}, optional
        Unit of the stored spike times when it is not seconds (NWB requires
        seconds, but some writers ignore that).
    sampling_rate : float, optional
        Hz, with ``time_unit="samples"``.
    t_start, t_stop : float, optional
        Recording bounds in seconds; see the module docstring for the
        defaults.
    quality : {"exclude-noise", None}, default "exclude-noise"
        Leave out units labelled noise in a curation column (``quality``,
        ``KSLabel``, ``group``, ``label``); the count is in
        ``recording.metadata["curation"]``.

    Returns
    -------
    Recording
        Spikes, signals (``"LFP"`` in volts, and any signal synchro wrote),
        interval tables by name (``"epochs"``, ``"trials"``, others by
        path; a table that cannot be read is left out with a warning) and
        metadata (``source``, ``units_table``, ``bounds``, ``curation``,
        ``skipped_columns``; for a URL also ``url``, ``bytes``, the file's
        size, and ``bytes_read``, what reading it cost).

    Raises
    ------
    InputNotFoundError, NotHDF5Error, NotNWBError, UnreadableInputError, NoUnitsTableError,
    AmbiguousUnitsTableError, MissingSpikeTimesError, NonFiniteTimesError,
    TimeUnitError, RecordingBoundsError, SignalError, NothingToAnalyseError
        Problems of the file (exit codes 3, 4 and 5 on the command line).
    NotInFileError
        ``units`` or ``lfp`` names a table or series the file does not hold
        (a wrong option: exit code 2).
    MissingDependencyError
        A URL was given and remfile is not installed (exit code 2).
    """
    import h5py

    check_quality(quality)
    options = dict(units=units, lfp=lfp, time_unit=time_unit, sampling_rate=sampling_rate, t_start=t_start,
                   t_stop=t_stop, quality=quality)
    if is_url(path):
        with RemoteFile(path) as remote:
            rec = _read_hdf5(remote, remote.name, path, remote, **options)
            # Every read is done: the file's content is in memory, and the bytes it cost are final.
            metadata = {**rec.metadata, "url": path, "bytes": remote.size, "bytes_read": remote.bytes_read}
        return Recording(rec.spikes, rec.signals, metadata, intervals=rec.intervals)
    p = check_input_path(path)
    if not h5py.is_hdf5(p):
        raise NotHDF5Error(f"{p.name} is not an HDF5 file, so not NWB; give an .nwb file (or .npz/.csv for arrays)")
    return _read_hdf5(p, p.name, str(p), None, **options)


def _read_hdf5(target, name: str, source: str, remote, **options) -> Recording:
    """Open ``target`` (a path, or a :class:`RemoteFile`) with h5py and read it; failures of HDF5 as one error."""
    import h5py

    try:
        with h5py.File(target, "r") as f:
            return _read_open(f, name, source, **options)
    except SynchroError:
        raise
    except Exception as exc:
        if remote is not None and remote.error is not None:
            message = (f"reading {source} failed after {remote.bytes_read} bytes ({remote.error}); check the URL and "
                       "your network connection, and try again")
        elif isinstance(exc, OSError | KeyError | RuntimeError):
            message = f"{name} is a truncated or corrupt HDF5 file ({exc}); re-export or re-download it"
        else:
            raise
    # Raised out of the except block, so that it carries no traceback of the failed read: one that holds h5py's
    # objects (of a file read over HTTP) past the HDF5 library's shutdown crashes the interpreter at exit.
    raise UnreadableInputError(message)


def _read_open(f, name: str, source: str, *, units, lfp, time_unit, sampling_rate, t_start, t_stop,
               quality) -> Recording:
    """Read the recording from the open file ``f``; ``name`` for messages, ``source`` (path or URL) as provenance."""
    if text_attr(f, "neurodata_type") != "NWBFile" and "nwb_version" not in f.attrs:
        raise NotNWBError(f"{name} is HDF5 but not NWB (no nwb_version attribute); convert it to NWB or export "
                          "spikes as .npz/.csv")
    typed = typed_objects(f)
    table_path = _pick_units_table(typed, units, name)
    g = f[table_path]
    if "spike_times" not in g:
        raise MissingSpikeTimesError(f"Units table /{table_path} in {name} has no spike_times column; pick a table "
                                     "with spikes (units=..., CLI --units)")
    if "spike_times_index" not in g:
        raise MissingSpikeTimesError(f"Units table /{table_path} in {name} has spike_times but no "
                                     "spike_times_index; the file is incomplete, re-export it")
    times = float_times(g["spike_times"][()], f"/{table_path}/spike_times", name)
    # NWB stores ragged-array indices as integers; a float index is a writer's error that could hide misalignment.
    index = whole_numbers(g["spike_times_index"][()], f"/{table_path}/spike_times_index", name, floats=False)
    offsets = np.concatenate([[0], index])
    if np.any(np.diff(offsets) < 0) or offsets[-1] != len(times):
        raise InvalidDataError(f"spike_times_index of /{table_path} in {name} does not match its {len(times)} "
                               "spike times; the file is corrupt, re-export it")
    stored = _stored_metadata(f, name)
    metadata = dict(stored.get("metadata", {}))
    columns, skipped = _unit_columns(g, len(offsets) - 1, name)
    alias = population_alias(columns)
    metadata.update(source=source, format="nwb", units_table="/" + table_path)
    if skipped:
        metadata["skipped_columns"] = skipped
    if alias:
        metadata["population_from"] = alias

    bounds, origin, intervals, times, offsets = _stored_bounds(f, g, stored, times, offsets, name)
    if t_start is not None and t_stop is not None:
        metadata["bounds"] = "arguments"
    elif bounds is not None:
        t_start = bounds[0] if t_start is None else t_start
        t_stop = bounds[1] if t_stop is None else t_stop
        metadata["bounds"] = origin
    rec = assemble(times, offsets, columns, t_start=t_start, t_stop=t_stop, time_unit=time_unit,
                   sampling_rate=sampling_rate, quality=quality, intervals=intervals, metadata=metadata,
                   source=source)
    s = rec.spikes
    signals, extra = {}, {}
    if lfp is not None:
        series = pick_lfp(typed, lfp, name)
        if series is not None:
            ours = stored.get("signals", {}).get("LFP", {})
            sig = read_series(f, series, s.t_start, s.t_stop, ours if ours.get("path") == series else None,
                              name="LFP", volts=True, source=name)
            if sig is not None:
                signals["LFP"] = sig
                extra["lfp_path"] = "/" + series
    for key, info in stored.get("signals", {}).items():
        if key != "LFP" and info.get("path", "") in f:
            sig = read_series(f, info["path"], s.t_start, s.t_stop, info, name=key, volts=False, source=name)
            if sig is not None:
                signals[key] = sig
    tables = _interval_tables(f, typed, name, time_unit, sampling_rate)
    return Recording(s, signals, {**rec.metadata, **extra}, intervals=tables)


def _interval_tables(f, typed: dict[str, str], source: str, time_unit, sampling_rate) -> dict[str, IntervalTable]:
    """Every TimeIntervals table of the file (epochs, trials, invalid_times, others) by name.

    Tables under ``/intervals`` are keyed by their own name (``"epochs"``),
    others by their path. A table that cannot be read is left out with a
    warning: the spikes are still analysed.
    """
    scale = time_scale(time_unit, sampling_rate)
    tables = {}
    for path in sorted(k for k, t in typed.items() if t == "TimeIntervals"):
        key = path.removeprefix("intervals/") if path.count("/") == 1 and path.startswith("intervals/") else path
        try:
            tables[key] = _interval_table(f[path], key, source, scale)
        except (SynchroError, KeyError, TypeError, ValueError, OSError) as err:
            warn(f"{source}: skipped the interval table /{path}, which cannot be read ({err}); the spikes are read")
    return tables


def _interval_table(g, name: str, source: str, scale: float) -> IntervalTable:
    import h5py

    if "start_time" not in g or "stop_time" not in g:
        raise InvalidDataError("it has no start_time/stop_time columns")
    start = float_times(g["start_time"][()], f"{g.name}/start_time", source) * scale
    stop = float_times(g["stop_time"][()], f"{g.name}/stop_time", source) * scale
    columns, descriptions = {}, {}
    for col in [as_text(c) for c in np.atleast_1d(g.attrs.get("colnames", []))]:
        if col in ("start_time", "stop_time") or col not in g or not isinstance(g[col], h5py.Dataset):
            continue
        ds = g[col]
        text = h5py.check_string_dtype(ds.dtype) is not None
        if ds.ndim != 1 or not (text or ds.dtype.kind in "iufb"):
            continue  # references (the timeseries column) and compound values have no one-value-per-row form
        values = ds.asstr(encoding="utf-8", errors="replace")[()] if text else ds[()]
        index = g.get(f"{col}_index")
        if index is not None:
            bounds = np.concatenate([[0], whole_numbers(index[()], f"{g.name}/{col}_index", source, floats=False)])
            if np.any(np.diff(bounds) < 0) or bounds[-1] != len(values):
                raise InvalidDataError(f"{col}_index does not match its {len(values)} values")
            values = [tuple(values[a:b].tolist()) for a, b in zip(bounds[:-1], bounds[1:])]
        columns[col] = values
        descriptions[col] = text_attr(ds, "description") or ""
    return IntervalTable(start, stop, columns, name=name, description=text_attr(g, "description") or "",
                         descriptions=descriptions)


def _stored_metadata(f, source: str) -> dict:
    """The JSON synchro stored when it wrote the file, checked field by field ({} for other files)."""
    if METADATA_PATH not in f:
        return {}
    import h5py

    ds = f[METADATA_PATH]
    stored = from_json(ds[()] if isinstance(ds, h5py.Dataset) else "", "synchro metadata", source)
    damaged = "the file was damaged after synchro wrote it, re-export it"
    for key in ("t_start", "t_stop"):
        if key in stored:
            value = stored[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
                raise InvalidDataError(f"{source}: in the stored synchro metadata, {key} must be a number of seconds; "
                                       f"got {value!r}; {damaged}")
    if not isinstance(stored.get("metadata", {}), dict):
        raise InvalidDataError(f"{source}: the stored synchro metadata's 'metadata' is not a JSON object; {damaged}")
    signals = stored.get("signals", {})
    if not isinstance(signals, dict) or not all(isinstance(v, dict) and isinstance(v.get("path", ""), str)
                                                and isinstance(v.get("channels", {}), dict | None)
                                                for v in signals.values()):
        raise InvalidDataError(f"{source}: the stored synchro metadata's 'signals' is not an object of signal "
                               f"descriptions; {damaged}")
    return stored


def _pick_units_table(typed: dict[str, str], units, source: str) -> str:
    tables = sorted(k for k, t in typed.items() if t == "Units")
    if units is not None and tables:
        return chosen_path(units, tables, NotInFileError, "Units table", source)
    if not tables:
        raise NoUnitsTableError(f"{source} holds no Units table (no sorted spikes); add one or export spikes as "
                                ".npz/.csv")
    if len(tables) > 1:
        listed = ", ".join("/" + t for t in tables)
        raise AmbiguousUnitsTableError(f"{source} holds several Units tables ({listed}); pick one with units=PATH "
                                       f"(CLI: --units PATH), e.g. units={tables[0]!r}")
    return tables[0]



def _unit_columns(g, n_units: int, source: str) -> tuple[dict, list[str]]:
    import h5py

    columns: dict = {"id": whole_numbers(g["id"][()], f"{g.name}/id", source)} if "id" in g else {}
    skipped = []
    names = [as_text(c) for c in np.atleast_1d(g.attrs.get("colnames", []))]
    for name in names:
        if name in STRUCTURAL_COLUMNS or name not in g:
            continue
        ds = g[name]
        reference = ds.dtype.kind in "OV" and h5py.check_string_dtype(ds.dtype) is None
        if f"{name}_index" in g or ds.ndim != 1 or reference:
            skipped.append(name)  # ragged, multi-dimensional or reference columns have no one-value-per-unit form
            continue
        # Text columns are labels: bytes that are not valid text are shown as U+FFFD rather than end the run.
        values = ds.asstr(encoding="utf-8", errors="replace")[()] if h5py.check_string_dtype(ds.dtype) else ds[()]
        if len(values) != n_units:
            skipped.append(name)
            continue
        columns[name] = values
    return columns, skipped


def _stored_bounds(f, g, stored, times, offsets, source):
    """Recording bounds found in the file, where they came from, and observation intervals applied to the spikes.

    Per-unit ``obs_intervals`` that differ between units are applied here
    (spikes outside dropped, with a warning); a set shared by all units is
    returned for SpikeData to apply and keep.
    """
    bounds = origin = intervals = None
    if "obs_intervals" in g and "obs_intervals_index" in g:
        iv = interval_pairs(g["obs_intervals"][()].reshape(-1, 2) if g["obs_intervals"].size % 2 == 0
                       else g["obs_intervals"][()], "obs_intervals", source)
        iv_off = np.concatenate([[0], whole_numbers(g["obs_intervals_index"][()], "obs_intervals_index", source,
                                                    floats=False)])
        if np.any(np.diff(iv_off) < 0) or iv_off[-1] != len(iv) or len(iv_off) != len(offsets):
            raise InvalidDataError(f"{source}: obs_intervals_index does not match its {len(iv)} intervals and "
                                   f"{len(offsets) - 1} units; the file is corrupt, re-export it")
        if iv.size:
            bounds, origin = (float(iv[:, 0].min()), float(iv[:, 1].max())), "obs_intervals"
            k = int(iv_off[1])
            if not np.array_equal(iv, np.tile(iv[:k], (len(iv_off) - 1, 1))):
                per_unit = [iv[a:b] for a, b in zip(iv_off[:-1], iv_off[1:])]
                times, offsets = _drop_outside_unit_intervals(times, offsets, per_unit, source)
            elif k > 1 or (times.size and (times.min() < bounds[0] or times.max() >= bounds[1])):
                intervals = iv[:k]  # a single interval holding every spike is just the bounds: skip that pass
    if "t_start" in stored and "t_stop" in stored:
        # Files synchro wrote: the exact bounds, which observation intervals need not span.
        return (stored["t_start"], stored["t_stop"]), "synchro metadata", intervals, times, offsets
    if bounds is None and times.size:
        for table in ("intervals/trials", "intervals/epochs"):
            if f"{table}/start_time" in f and f"{table}/stop_time" in f:
                starts = float_times(f[f"{table}/start_time"][()], f"/{table}/start_time", source)
                stops = float_times(f[f"{table}/stop_time"][()], f"/{table}/stop_time", source)
                if not (starts.size and stops.size and np.isfinite(starts).all() and np.isfinite(stops).all()):
                    continue  # an empty or damaged table says nothing about the bounds
                a, b = float(starts.min()), float(stops.max())
                if a <= times.min() and times.max() < b:
                    return (a, b), f"span of /{table}", None, times, offsets
    return bounds, origin, intervals, times, offsets


def _drop_outside_unit_intervals(times, offsets, per_unit, source):
    keep = np.ones(len(times), dtype=bool)
    for u, iv in enumerate(per_unit):
        if len(iv) == 0:
            continue  # no interval listed: the unit was observed throughout
        t = times[offsets[u]:offsets[u + 1]]
        inside = np.zeros(len(t), dtype=bool)
        for a, b in iv:
            inside |= (t >= a) & (t < b)
        keep[offsets[u]:offsets[u + 1]] = inside
    n_out = int(len(times) - keep.sum())
    if n_out:
        warn(f"{source}: {n_out} spike(s) lie outside their unit's observation intervals; dropped them")
        counts = np.add.reduceat(keep, offsets[:-1]) if len(times) else np.zeros(len(per_unit), np.int64)
        counts[np.diff(offsets) == 0] = 0  # reduceat reads one element for empty units
        offsets = np.concatenate([[0], np.cumsum(counts)])
        times = times[keep]
    return times, offsets
