"""NWB (Neurodata Without Borders) files: read lazily with h5py, write with pynwb.

Reading goes through h5py rather than pynwb or ``neo.io.NWBIO``: only the
datasets needed are touched (spike times in one read, LFP sliced to the
spikes' window), which reads 1e7 spikes in well under a second, and
malformed files fail with specific errors instead of deep pynwb tracebacks.

Recording bounds, in order of precedence: the ``t_start``/``t_stop``
arguments; the bounds synchro stored when it wrote the file; the Units
table's ``obs_intervals`` (earliest start, latest stop); the span of the
``trials`` or ``epochs`` table when it holds every spike; else ``t_start=0``
and ``t_stop`` = the whole second after the last spike, with a
:class:`~synchro.errors.SynchroWarning` saying so (rates are then upper
bounds: pass the true ``t_stop``, CLI ``--t-stop``). Spikes outside the
``obs_intervals`` are dropped with a warning whatever the bounds.

Interval tables (``/intervals/epochs``, ``/intervals/trials``, any
``TimeIntervals``) are read into ``recording.intervals`` as
:class:`~synchro.core.IntervalTable` (start and stop in seconds, the
table's columns, ragged text columns such as the epochs' ``tags`` as tuples)
and written back by :func:`write_nwb`.

Files written by :func:`write_nwb` keep the recording's metadata and
bounds as JSON in ``/scratch/synchro_metadata``.
"""

from __future__ import annotations

import datetime
import uuid
import warnings
from pathlib import Path

import numpy as np

from ..core import IntervalTable, Recording, Signal
from ..core.binning import sample_window
from ..core.checks import float_times, interval_pairs, number, time_scale, whole_numbers
from ..core.checks.arguments import check_quality
from ..errors import (
    AmbiguousUnitsTableError,
    InvalidDataError,
    MissingSpikeTimesError,
    NotHDF5Error,
    NotInFileError,
    NotNWBError,
    NoUnitsTableError,
    SignalError,
    SynchroError,
    UnreadableInputError,
    UsageError,
    check_installed,
)
from .assembly import as_recording, assemble, population_alias, warn
from .files import atomic_output, check_input_path, from_json, to_json

__all__ = ["read_nwb", "write_nwb"]

METADATA_PATH = "scratch/synchro_metadata"
# NWB requires a subject; when none is given, state that it is unknown rather than invent one
# (NCBITaxon_32644 is NCBI's "unidentified"; "P0D/" is an open age range; "U" is unknown sex).
_UNKNOWN_SUBJECT = {"subject_id": "unknown", "species": "http://purl.obolibrary.org/obo/NCBITaxon_32644", "sex": "U",
                    "age": "P0D/", "description": "not recorded: no subject was given to synchro (simulation or "
                    "unspecified source); set recording.metadata['subject'] to describe it"}
_VOLT_SCALE = {"V": 1.0, "volts": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}
# Units-table columns that are structure, not per-unit values.
# Unit columns every UnitTable has, filled with "" when the source lacks them.
_FILLED = ("label", "population", "quality")
_STRUCTURAL = {"spike_times", "obs_intervals", "electrodes", "electrode_group", "waveform_mean", "waveform_sd",
               "waveforms"}


def read_nwb(path, *, units=None, lfp="auto", time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
             quality="exclude-noise") -> Recording:
    """Read spikes (one Units table) and, optionally, an LFP from an NWB file.

    Parameters
    ----------
    path : str or Path
        NWB (HDF5) file; never modified.
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
        ``skipped_columns``).

    Raises
    ------
    NotHDF5Error, NotNWBError, UnreadableInputError, NoUnitsTableError,
    AmbiguousUnitsTableError, MissingSpikeTimesError, NonFiniteTimesError,
    TimeUnitError, RecordingBoundsError, SignalError, NothingToAnalyseError
        Problems of the file (exit codes 3, 4 and 5 on the command line).
    NotInFileError
        ``units`` or ``lfp`` names a table or series the file does not hold
        (a wrong option: exit code 2).
    """
    import h5py

    check_quality(quality)
    p = check_input_path(path)
    if not h5py.is_hdf5(p):
        raise NotHDF5Error(f"{p.name} is not an HDF5 file, so not NWB; give an .nwb file (or .npz/.csv for arrays)")
    try:
        with h5py.File(p, "r") as f:
            return _read_open(f, p, units=units, lfp=lfp, time_unit=time_unit, sampling_rate=sampling_rate,
                              t_start=t_start, t_stop=t_stop, quality=quality)
    except SynchroError:
        raise
    except (OSError, KeyError, RuntimeError) as exc:
        raise UnreadableInputError(f"{p.name} is a truncated or corrupt HDF5 file ({exc}); re-export or re-download "
                                   "it") from None


def _read_open(f, p: Path, *, units, lfp, time_unit, sampling_rate, t_start, t_stop, quality) -> Recording:
    if _attr(f, "neurodata_type") != "NWBFile" and "nwb_version" not in f.attrs:
        raise NotNWBError(f"{p.name} is HDF5 but not NWB (no nwb_version attribute); convert it to NWB or export "
                          "spikes as .npz/.csv")
    typed = _typed_objects(f)
    table_path = _pick_units_table(typed, units, p.name)
    g = f[table_path]
    if "spike_times" not in g:
        raise MissingSpikeTimesError(f"Units table /{table_path} in {p.name} has no spike_times column; pick a table "
                                     "with spikes (units=..., CLI --units)")
    if "spike_times_index" not in g:
        raise MissingSpikeTimesError(f"Units table /{table_path} in {p.name} has spike_times but no "
                                     "spike_times_index; the file is incomplete, re-export it")
    times = float_times(g["spike_times"][()], f"/{table_path}/spike_times", p.name)
    # NWB stores ragged-array indices as integers; a float index is a writer's error that could hide misalignment.
    index = whole_numbers(g["spike_times_index"][()], f"/{table_path}/spike_times_index", p.name, floats=False)
    offsets = np.concatenate([[0], index])
    if np.any(np.diff(offsets) < 0) or offsets[-1] != len(times):
        raise InvalidDataError(f"spike_times_index of /{table_path} in {p.name} does not match its {len(times)} "
                               "spike times; the file is corrupt, re-export it")
    stored = _stored_metadata(f, p.name)
    metadata = dict(stored.get("metadata", {}))
    columns, skipped = _unit_columns(g, len(offsets) - 1, p.name)
    alias = population_alias(columns)
    metadata.update(source=str(p), format="nwb", units_table="/" + table_path)
    if skipped:
        metadata["skipped_columns"] = skipped
    if alias:
        metadata["population_from"] = alias

    bounds, origin, intervals, times, offsets = _stored_bounds(f, g, stored, times, offsets, p.name)
    if t_start is not None and t_stop is not None:
        metadata["bounds"] = "arguments"
    elif bounds is not None:
        t_start = bounds[0] if t_start is None else t_start
        t_stop = bounds[1] if t_stop is None else t_stop
        metadata["bounds"] = origin
    rec = assemble(times, offsets, columns, t_start=t_start, t_stop=t_stop, time_unit=time_unit,
                   sampling_rate=sampling_rate, quality=quality, intervals=intervals, metadata=metadata,
                   source=str(p))
    s = rec.spikes
    signals, extra = {}, {}
    if lfp is not None:
        series = _pick_lfp(typed, lfp, p.name)
        if series is not None:
            ours = stored.get("signals", {}).get("LFP", {})
            sig = _read_series(f, series, s.t_start, s.t_stop, ours if ours.get("path") == series else None,
                               name="LFP", volts=True)
            if sig is not None:
                signals["LFP"] = sig
                extra["lfp_path"] = "/" + series
    for name, info in stored.get("signals", {}).items():
        if name != "LFP" and info.get("path", "") in f:
            sig = _read_series(f, info["path"], s.t_start, s.t_stop, info, name=name, volts=False)
            if sig is not None:
                signals[name] = sig
    tables = _interval_tables(f, typed, p.name, time_unit, sampling_rate)
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
    for col in [_text(c) for c in np.atleast_1d(g.attrs.get("colnames", []))]:
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
        descriptions[col] = _attr(ds, "description") or ""
    return IntervalTable(start, stop, columns, name=name, description=_attr(g, "description") or "",
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


def _attr(obj, name: str) -> str | None:
    """A text attribute (neurodata_type, unit), or None when absent or not text (a damaged file)."""
    v = obj.attrs.get(name)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return str(v) if isinstance(v, str) else None


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _typed_objects(f) -> dict[str, str]:
    """Path -> neurodata_type of every typed group in the file."""
    found: dict[str, str] = {}

    def visit(name, obj):
        t = _attr(obj, "neurodata_type")
        if t is not None:
            found[name] = t

    f.visititems(visit)
    return found


def _pick_units_table(typed: dict[str, str], units, source: str) -> str:
    tables = sorted(k for k, t in typed.items() if t == "Units")
    if units is not None and tables:
        return _chosen(units, tables, NotInFileError, "Units table", source)
    if not tables:
        raise NoUnitsTableError(f"{source} holds no Units table (no sorted spikes); add one or export spikes as "
                                ".npz/.csv")
    if len(tables) > 1:
        listed = ", ".join("/" + t for t in tables)
        raise AmbiguousUnitsTableError(f"{source} holds several Units tables ({listed}); pick one with units=PATH "
                                       f"(CLI: --units PATH), e.g. units={tables[0]!r}")
    return tables[0]


def _chosen(choice, candidates: list[str], error, what: str, source: str) -> str:
    # A name the file does not hold is a wrong option (exit 2), for --units and --lfp alike.
    key = str(choice).strip("/")
    if key not in candidates:
        raise error(f"{source} has no {what} at {choice!r}; it holds {['/' + c for c in candidates] or 'none'}")
    return key


def _unit_columns(g, n_units: int, source: str) -> tuple[dict, list[str]]:
    import h5py

    columns: dict = {"id": whole_numbers(g["id"][()], f"{g.name}/id", source)} if "id" in g else {}
    skipped = []
    names = [_text(c) for c in np.atleast_1d(g.attrs.get("colnames", []))]
    for name in names:
        if name in _STRUCTURAL or name not in g:
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


def _pick_lfp(typed: dict[str, str], lfp, source: str) -> str | None:
    series = [k for k, t in typed.items() if t == "ElectricalSeries"]
    if lfp != "auto":
        return _chosen(lfp, series, NotInFileError, "ElectricalSeries", source)
    if not series:
        return None
    # Series inside an LFP container first: the raw 30 kHz acquisition is rarely what is wanted.
    series.sort(key=lambda k: (typed.get(k.rpartition("/")[0]) != "LFP", k))
    if len(series) > 1:
        warn(f"{source} holds several ElectricalSeries; read /{series[0]} as the LFP and ignored "
             f"{', '.join('/' + s for s in series[1:])}; choose with lfp='path' (CLI: --lfp)")
    return series[0]


def _read_series(f, path: str, t_start: float, t_stop: float, stored: dict | None, *, name: str,
                 volts: bool) -> Signal | None:
    """The part of a TimeSeries overlapping [t_start, t_stop), in physical units; None (warned) if none."""
    g = f[path]
    source = Path(f.filename).name
    data = g["data"]
    if data.dtype.kind not in "iuf" or data.ndim not in (1, 2) or data.shape[0] == 0:
        raise SignalError(f"{source}: /{path}/data must be a 1-D or 2-D array of numbers (samples x channels); "
                          f"found {data.dtype}, shape {data.shape}; re-export it or pass lfp=None (CLI: --lfp none)")
    if "starting_time" in g:
        fs = number(g["starting_time"].attrs.get("rate"), f"/{path}/starting_time rate", source)
        first = number(g["starting_time"][()], f"/{path}/starting_time", source)
    elif "timestamps" in g:
        ts = float_times(g["timestamps"][()], f"/{path}/timestamps", source)
        step = np.diff(ts)
        # The mean step over the whole span: less sensitive to timestamp jitter than any single step.
        fs = (ts.size - 1) / float(ts[-1] - ts[0]) if step.size and ts[-1] > ts[0] else 0.0
        if step.size and np.max(np.abs(step * fs - 1.0)) > 0.01:
            raise SignalError(f"/{path} is sampled irregularly (steps vary by more than 1 %); resample it to a "
                              "regular rate before analysis")
        first = float(ts[0]) if ts.size else 0.0
    else:
        raise SignalError(f"/{path} has neither starting_time nor timestamps; the file is incomplete")
    if not fs > 0:
        raise SignalError(f"/{path} has no usable sampling rate; the file is incomplete")
    n = data.shape[0]
    i0, i1 = sample_window(t_start, t_stop, first, fs, n)
    if i1 <= i0:
        warn(f"/{path} ({first:g}-{first + n / fs:g} s) does not overlap the spikes ({t_start:g}-{t_stop:g} s); "
             f"read no {name}")
        return None
    values = data[i0:i1].astype(np.float64, copy=False)
    conversion = number(data.attrs.get("conversion", 1.0), f"/{path}/data conversion", source)
    offset = number(data.attrs.get("offset", 0.0), f"/{path}/data offset", source)
    if volts:
        unit = _attr(data, "unit") or "volts"
        conversion *= _VOLT_SCALE.get(unit, 1.0)
    if "channel_conversion" in g:
        per_channel = float_times(g["channel_conversion"][()], f"/{path}/channel_conversion", source)
        if per_channel.size != (1 if values.ndim == 1 else values.shape[1]):
            raise SignalError(f"{source}: /{path}/channel_conversion has {per_channel.size} values for "
                              f"{1 if values.ndim == 1 else values.shape[1]} channels; the file is corrupt")
        values = values * (conversion * per_channel)
    elif conversion != 1.0:
        values = values * conversion
    if offset != 0.0:
        values = values + offset
    channels = stored.get("channels") if stored else None
    if channels is None and "electrodes" in g:
        channels = _electrode_channels(f, g["electrodes"])
    units = "V" if volts else (stored or {}).get("units", _attr(data, "unit") or "")
    return Signal(values, fs, first + i0 / fs, units=units, channels=channels, name=name,
                  metadata={"nwb_path": "/" + path})


def _electrode_channels(f, region) -> dict:
    source = Path(f.filename).name
    rows = whole_numbers(region[()], f"{region.name}", source, floats=False)
    import h5py

    ref = region.attrs.get("table")
    try:
        table = f[ref] if isinstance(ref, h5py.Reference) else f.get("general/extracellular_ephys/electrodes")
    except (ValueError, KeyError):  # a reference to nothing: the channels keep their row numbers
        table = None
    if table is None or "id" not in table:
        return {"electrode_id": rows}
    ids = whole_numbers(table["id"][()], f"{table.name}/id", source)
    if rows.size and (rows.min() < 0 or rows.max() >= len(ids)):
        raise SignalError(f"{source}: {region.name} points at rows {rows.min()}..{rows.max()} of an electrode table "
                          f"of {len(ids)}; the file is corrupt, re-export it or pass lfp=None (CLI: --lfp none)")
    channels = {"electrode_id": ids[rows]}
    location = table.get("location")
    if location is not None and location.ndim == 1 and len(location) == len(ids):
        if h5py.check_string_dtype(location.dtype):
            channels["location"] = location.asstr(encoding="utf-8", errors="replace")[()][rows].astype(object)
    return channels


def write_nwb(recording: Recording, path, *, overwrite: bool = False,
              session_description: str = "Spiking data written by synchro", identifier: str | None = None,
              session_start_time: datetime.datetime | None = None):
    """Write a recording to NWB with pynwb, atomically; files pass nwbinspector without violations.

    The Units table is built from the flat arrays (no per-unit loop), with
    every unit column (columns of Python objects other than strings are
    left out and listed in the stored metadata; ``label``, ``population``
    and ``quality`` only when some unit has a value, so a file read and
    written back gains no empty column), ``obs_intervals`` holding
    the recording bounds (or observation intervals) for every unit, and the
    spike times bit for bit. A signal named ``"LFP"`` becomes an
    ElectricalSeries in ``processing/ecephys/LFP`` (with an electrode per
    channel); other signals become TimeSeries in ``acquisition``. The
    recording's interval tables go to ``/intervals`` (``epochs``,
    ``trials``, ``invalid_times`` and any other name) with their columns in
    their order and the columns' descriptions. The
    recording's metadata, bounds and signal channel tables are stored as
    JSON in ``/scratch/synchro_metadata`` and restored by :func:`read_nwb`.

    Parameters
    ----------
    recording : Recording or SpikeData
        What to write.
    path : str or Path
        Output ``.nwb`` file; written to a temporary file in the same folder
        and moved into place.
    overwrite : bool, default False
        Replace an existing file; otherwise :class:`~synchro.errors.UsageError`.
    session_description : str
        NWB ``session_description``.
    identifier : str, optional
        NWB ``identifier``; a random UUID by default.
    session_start_time : datetime, optional
        Timezone-aware start of the session; default
        ``recording.metadata["session_start_time"]`` (ISO text) or now (UTC).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    MissingDependencyError
        pynwb is not installed (``pip install "synchro[nwb]"``; reading NWB
        needs h5py only).
    """
    check_installed("pynwb", extra="nwb", use="write_nwb")
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.file import Subject
    from pynwb.misc import Units

    rec = as_recording(recording)
    s = rec.spikes
    start = session_start_time or _start_time(rec.metadata.get("session_start_time"))
    if start.tzinfo is None:
        raise UsageError("session_start_time must be timezone-aware, e.g. datetime.now(timezone.utc)")
    names = [key.rpartition("/")[2] for key in rec.intervals]
    if len(set(names)) < len(names):
        raise UsageError(f"interval tables {list(rec.intervals)} would share a name in /intervals; rename one")
    tables = {name: _time_intervals(key, table) for name, (key, table) in zip(names, rec.intervals.items())}
    nwb = NWBFile(session_description=session_description, identifier=identifier or str(uuid.uuid4()),
                  session_start_time=start, subject=Subject(**{**_UNKNOWN_SUBJECT, **rec.metadata.get("subject", {})}),
                  epochs=tables.pop("epochs", None), trials=tables.pop("trials", None),
                  invalid_times=tables.pop("invalid_times", None))
    for table in tables.values():
        nwb.add_time_intervals(table)

    spike_times = VectorData(name="spike_times", description="spike times of each unit in seconds", data=s.times)
    columns = [spike_times, VectorIndex(name="spike_times_index", data=s.offsets[1:], target=spike_times)]
    iv = s.intervals if s.intervals is not None else np.array([[s.t_start, s.t_stop]])
    obs = VectorData(name="obs_intervals", description="observation intervals of each unit in seconds",
                     data=np.tile(iv, (s.n_units, 1)))
    columns += [obs, VectorIndex(name="obs_intervals_index", data=np.arange(1, s.n_units + 1) * len(iv), target=obs)]
    skipped = []
    for name, values in s.units.items():
        if name == "id" or (name in _FILLED and all(v == "" for v in values)):
            continue  # a required column the source lacked (filled with "" on reading) is not written back
        if values.dtype == object and not all(isinstance(v, str) for v in values):
            skipped.append(name)
            continue
        data = values.astype(str).tolist() if values.dtype == object else values
        columns.append(VectorData(name=name, description=f"unit column {name!r} from synchro", data=data))
    resolution = rec.metadata.get("resolution", rec.metadata.get("dt", np.spacing(max(abs(s.t_start), s.t_stop))))
    nwb.units = Units(name="units", id=ElementIdentifiers(name="id", data=s.units["id"]), columns=columns,
                      description="units written by synchro", resolution=float(resolution))

    stored_signals = {}
    for name, sig in rec.signals.items():
        if name == "LFP":
            with warnings.catch_warnings():
                # hdmf warns that the region's table shares no ancestor until the series joins the file, just below.
                warnings.filterwarnings("ignore", message="The linked table for DynamicTableRegion")
                series = _lfp_series(nwb, sig, ElectricalSeries)
                module = nwb.create_processing_module(name="ecephys", description="processed extracellular data")
                module.add(LFP(electrical_series=series, name="LFP"))
            path_in_file = "processing/ecephys/LFP/LFP"
        else:
            nwb.add_acquisition(TimeSeries(name=name, data=sig.data, unit=sig.units or "n/a", rate=sig.fs,
                                           starting_time=sig.t_start, resolution=-1.0,
                                           description=f"signal {name!r} written by synchro"))
            path_in_file = f"acquisition/{name}"
        stored_signals[name] = {"path": path_in_file, "units": sig.units, "channels": sig.channels}

    metadata = dict(rec.metadata)
    if skipped:
        metadata["skipped_unit_columns"] = skipped
    stored = {"t_start": s.t_start, "t_stop": s.t_stop, "metadata": metadata, "signals": stored_signals}
    nwb.add_scratch(to_json(stored, allow_nan=True), name="synchro_metadata",
                    description="synchro recording metadata, bounds (s) and signal channel tables as JSON")
    with atomic_output(path, overwrite=overwrite) as tmp:
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
    return Path(path)


def _time_intervals(key: str, table):
    """An IntervalTable as a pynwb TimeIntervals, columns in their order, with their descriptions."""
    from pynwb.epoch import TimeIntervals

    name = key.rpartition("/")[2]  # a table read from a processing module goes to /intervals under its own name
    out = TimeIntervals(name=name, description=table.description or f"{name} written by synchro")
    ragged = {c for c, v in table.columns.items() if len(v) and all(isinstance(x, tuple) for x in v)}
    for col in table.columns:
        if col not in out.colnames:  # epochs' tags (and timeseries) are predefined
            out.add_column(name=col, description=table.descriptions.get(col) or f"column {col!r} from synchro",
                           index=col in ragged)
    for i in range(len(table)):
        row = {c: list(v[i]) if c in ragged else _scalar(v[i]) for c, v in table.columns.items()}
        out.add_interval(start_time=float(table.start[i]), stop_time=float(table.stop[i]), **row)
    return out


def _scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def _start_time(value) -> datetime.datetime:
    if value:
        try:
            t = datetime.datetime.fromisoformat(str(value))
            return t if t.tzinfo else t.replace(tzinfo=datetime.UTC)
        except ValueError:
            pass
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _lfp_series(nwb, sig: Signal, ElectricalSeries):
    try:
        conversion = _VOLT_SCALE[sig.units or "V"]
    except KeyError:
        raise SignalError(f"LFP units {sig.units!r} are not volts; give the LFP in V, mV or uV") from None
    device = nwb.create_device(name="synchro_device", description="source of the LFP written by synchro")
    group = nwb.create_electrode_group(name="synchro_electrodes", description="LFP channels", location="unknown",
                                       device=device)
    ids = sig.channels.get("electrode_id", np.arange(sig.n_channels))
    locations = sig.channels.get("location", ["unknown"] * sig.n_channels)
    for i, loc in zip(np.asarray(ids).tolist(), locations):
        nwb.add_electrode(id=int(i), group=group, location=str(loc))
    region = nwb.create_electrode_table_region(region=list(range(sig.n_channels)), description="LFP channels")
    return ElectricalSeries(name="LFP", data=sig.data, electrodes=region, rate=sig.fs, starting_time=sig.t_start,
                            conversion=conversion, resolution=-1.0, description="LFP written by synchro")
