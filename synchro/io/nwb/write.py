"""Writing NWB files with pynwb, atomically; the recording's metadata kept as JSON for :func:`~synchro.io.read_nwb`."""

from __future__ import annotations

import datetime
import uuid
import warnings
from pathlib import Path

import numpy as np

from ...core import Recording, Signal
from ...errors import SignalError, UsageError, check_installed
from ..assembly import as_recording
from ..files import atomic_output, to_json
from .layout import VOLT_SCALE

__all__ = ["write_nwb"]

# NWB requires a subject; when none is given, state that it is unknown rather than invent one
# (NCBITaxon_32644 is NCBI's "unidentified"; "P0D/" is an open age range; "U" is unknown sex).
UNKNOWN_SUBJECT = {"subject_id": "unknown", "species": "http://purl.obolibrary.org/obo/NCBITaxon_32644", "sex": "U",
                   "age": "P0D/", "description": "not recorded: no subject was given to synchro (simulation or "
                   "unspecified source); set recording.metadata['subject'] to describe it"}

#: Unit columns every UnitTable has, filled with "" when the source lacks them (not written back when empty).
FILLED_COLUMNS = ("label", "population", "quality")


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
                  session_start_time=start, subject=Subject(**{**UNKNOWN_SUBJECT, **rec.metadata.get("subject", {})}),
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
        if name == "id" or (name in FILLED_COLUMNS and all(v == "" for v in values)):
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
        conversion = VOLT_SCALE[sig.units or "V"]
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
