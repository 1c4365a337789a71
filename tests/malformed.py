"""A corpus of malformed inputs, built on demand, each with the error synchro must raise for it.

Importable by any test (the CLI tests reuse it for exit codes)::

    from malformed import build_malformed_corpus
    for case in build_malformed_corpus(tmp_path):
        with pytest.raises(case.error, match=case.match):
            synchro.io.read(case.path, **case.kwargs)

Real files: NWB inputs are written with pynwb the way external tools do
(``add_unit`` per unit), then damaged with h5py where the damage is the point.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from synchro.errors import (
    AmbiguousUnitsTableError,
    InputNotFoundError,
    InvalidDataError,
    MissingSpikeTimesError,
    NonFiniteTimesError,
    NotHDF5Error,
    NothingToAnalyseError,
    NotInFileError,
    NotNWBError,
    NoUnitsTableError,
    RecordingBoundsError,
    SignalError,
    SynchroError,
    TimeUnitError,
    UnreadableInputError,
)


@dataclass(frozen=True)
class Case:
    """One malformed input: where it is, how it is read, and what must be raised."""

    name: str
    path: Path
    error: type[SynchroError]
    message: str  # a distinctive part of the one-line message (plain text, not a regex)
    kwargs: dict = field(default_factory=dict)  # keyword arguments of synchro.io.read

    @property
    def match(self) -> str:
        return re.escape(self.message)

    @property
    def cli_args(self) -> list[str]:
        """The read keywords as command-line options (``t_stop=1.0`` -> ``--t-stop 1.0``)."""
        return [a for k, v in self.kwargs.items() for a in (f"--{k.replace('_', '-')}", str(v))]


def write_external_nwb(path, trains, *, columns=None, ragged=None, ids=None, obs_intervals=None,
                       second_units=False, lfp=None, trials=None, epochs=None):
    """Write an NWB file as third-party tools do: pynwb, one ``add_unit`` call per unit.

    ``lfp`` is a dict of ElectricalSeries keywords (``data`` and ``rate``/
    ``starting_time`` or ``timestamps``, optional ``conversion``, ``offset``,
    ``channel_conversion``, ``container``: put it in processing/ecephys/LFP
    when True, else in acquisition, ``name``). ``trials`` is a list of
    (start, stop) pairs or (start, stop, {column: value}) rows (columns added
    with ``add_trial_column``); ``epochs`` a list of (start, stop, tags)
    rows written with ``add_epoch``; ``ragged`` columns hold a list per unit.
    """
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.ecephys import LFP, ElectricalSeries
    from pynwb.file import Subject

    nwb = NWBFile(session_description="external test file", identifier=f"ext-{Path(path).stem}",
                  session_start_time=datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC),
                  subject=Subject(subject_id="m1", species="Mus musculus", sex="F", age="P90D"))
    columns, ragged = columns or {}, ragged or {}
    for name in columns:
        nwb.add_unit_column(name=name, description=f"test column {name}")
    for name in ragged:
        nwb.add_unit_column(name=name, description=f"ragged test column {name}", index=True)
    for i, train in enumerate(trains):
        row = {k: v[i] for k, v in {**columns, **ragged}.items()}
        if obs_intervals is not None:
            row["obs_intervals"] = obs_intervals[i]
        nwb.add_unit(spike_times=np.asarray(train, dtype=np.float64), id=int(ids[i]) if ids is not None else i, **row)
    if second_units:
        from pynwb.misc import Units

        extra = Units(name="units2", description="a second sorting")
        extra.add_unit(spike_times=[0.5, 1.5], id=0)
        nwb.create_processing_module(name="ecephys", description="sorting").add(extra)
    with warnings.catch_warnings():
        # hdmf warns while a series' electrode region is not yet in the file; it joins the file below.
        warnings.filterwarnings("ignore", message="The linked table for DynamicTableRegion")
        for series in ([lfp] if isinstance(lfp, dict) else lfp or []):
            series = dict(series)
            container = series.pop("container", True)
            n_ch = np.asarray(series["data"]).reshape(len(series["data"]), -1).shape[1]
            if len(nwb.electrodes or []) < n_ch:
                device = nwb.create_device(name="probe")
                group = nwb.create_electrode_group(name="shank0", description="shank", location="CA1", device=device)
                for _ in range(n_ch):
                    nwb.add_electrode(group=group, location="CA1")
            region = nwb.create_electrode_table_region(region=list(range(n_ch)), description="channels")
            es = ElectricalSeries(name=series.pop("name", "LFP"), electrodes=region, **series)
            if container:
                if "ecephys" not in nwb.processing:
                    nwb.create_processing_module(name="ecephys", description="processed")
                nwb.processing["ecephys"].add(LFP(electrical_series=es, name="LFP"))
            else:
                nwb.add_acquisition(es)
    for a, b, tags in epochs or []:
        nwb.add_epoch(start_time=float(a), stop_time=float(b), tags=list(tags))
    for name in (trials[0][2] if trials and len(trials[0]) > 2 else {}):
        nwb.add_trial_column(name=name, description=f"trial column {name}")
    for a, b, *row in trials or []:
        nwb.add_trial(start_time=float(a), stop_time=float(b), **(row[0] if row else {}))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return Path(path)


def _trains(n_units=4, rate=20.0, duration=5.0, seed=1):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.uniform(0.0, duration, rng.poisson(rate * duration))) for _ in range(n_units)]


def build_malformed_corpus(tmp_path) -> list[Case]:
    """Write every malformed input into ``tmp_path`` and return the cases (51 of them)."""
    d = Path(tmp_path)
    cases = []

    def add(name, filename, error, message, **kwargs):
        cases.append(Case(name, d / filename, error, message, kwargs))
        return d / filename

    good = write_external_nwb(d / "good.nwb", _trains(), obs_intervals=[[[0.0, 5.0]]] * 4)

    def damaged(filename):
        shutil.copyfile(good, d / filename)
        return h5py.File(d / filename, "r+")

    # Files and formats -------------------------------------------------------
    add("missing_file", "does_not_exist.nwb", InputNotFoundError, "does not exist")
    (d / "a_folder.nwb").mkdir()
    add("directory", "a_folder.nwb", UnreadableInputError, "is a directory")
    add("unsupported_suffix", "spikes.mat", UnreadableInputError, "unsupported file type '.mat'").write_bytes(b"MATLAB")
    add("text_as_nwb", "notes.nwb", NotHDF5Error, "is not an HDF5 file").write_text("unit_id,spike_time\n1,0.5\n")
    with h5py.File(add("hdf5_not_nwb", "plain.h5", NotNWBError, "HDF5 but not NWB"), "w") as f:
        f["spike_times"] = np.arange(10.0)
    raw = good.read_bytes()
    truncated = add("truncated_nwb", "truncated.nwb", UnreadableInputError, "truncated or corrupt")
    truncated.write_bytes(raw[: len(raw) // 2])
    add("csv_is_binary", "hdf5.csv", UnreadableInputError, "binary file").write_bytes(raw)
    # Special files must fail at once, never block (a FIFO) or read without end (a device).
    os.mkfifo(add("fifo", "fifo.nwb", UnreadableInputError, "is not a regular file (a FIFO)"))
    add("csv_symlink_to_device", "zero.csv", UnreadableInputError, "is not a regular file (a character device)") \
        .symlink_to("/dev/zero")
    add("symlink_loop", "loop.nwb", UnreadableInputError, "is a symlink loop").symlink_to(d / "loop.nwb")

    # NWB content -------------------------------------------------------------
    with damaged("no_units.nwb") as f:
        del f["units"]
    add("nwb_no_units", "no_units.nwb", NoUnitsTableError, "holds no Units table")
    write_external_nwb(add("nwb_two_units_tables", "two_tables.nwb", AmbiguousUnitsTableError,
                           "units='processing/ecephys/units2'"), _trains(), second_units=True)
    # A name the file does not hold is a wrong option, like any other bad option value: a usage error.
    add("nwb_unknown_units_choice", "good.nwb", NotInFileError, "has no Units table at 'units9'", units="units9")
    add("nwb_unknown_lfp_choice", "good.nwb", NotInFileError, "has no ElectricalSeries at 'nope'", lfp="nope")
    with damaged("no_spike_times.nwb") as f:
        del f["units/spike_times"], f["units/spike_times_index"]
    add("nwb_units_without_spike_times", "no_spike_times.nwb", MissingSpikeTimesError, "has no spike_times column")
    with damaged("nan_times.nwb") as f:
        f["units/spike_times"][3] = np.nan
    add("nwb_nan_times", "nan_times.nwb", NonFiniteTimesError, "1 spike times are NaN or infinite")
    with damaged("bad_index.nwb") as f:
        f["units/spike_times_index"][-1] = 60000
    add("nwb_corrupt_index", "bad_index.nwb", InvalidDataError, "spike_times_index of /units")
    write_external_nwb(add("nwb_times_in_ms", "ms.nwb", TimeUnitError, "time_unit='ms' (CLI: --time-unit ms)"),
                       [t * 1000 for t in _trains(n_units=4, rate=5.0, duration=50.0)])
    add("nwb_t_stop_before_last_spike", "good.nwb", RecordingBoundsError, "(CLI: --t-stop)", t_stop=2.0)
    write_external_nwb(add("nwb_all_units_noise", "noise.nwb", NothingToAnalyseError, "are labelled as noise"),
                       _trains(n_units=2), columns={"KSLabel": ["noise", "noise"]})
    ts = np.cumsum(np.r_[0.0, np.full(99, 0.001), np.full(100, 0.0015)])
    write_external_nwb(add("nwb_irregular_lfp", "irregular.nwb", SignalError, "sampled irregularly"), _trains(),
                       obs_intervals=[[[0.0, 5.0]]] * 4, lfp={"data": np.zeros((200, 2)), "timestamps": ts})

    from synchro.core import SpikeData
    from synchro.io import write_nwb

    ours = write_nwb(SpikeData.from_trains([[0.5], [1.5]], t_stop=2.0), d / "ours_damaged.nwb")
    with h5py.File(ours, "r+") as f:
        del f["scratch/synchro_metadata"]
        f["scratch/synchro_metadata"] = "{'t_stop': 2"
    add("nwb_damaged_synchro_metadata", "ours_damaged.nwb", InvalidDataError,
        "stored synchro metadata is not valid JSON")
    ours_good = write_nwb(SpikeData.from_trains([[0.5, 1.2], [1.5]], t_stop=2.0), d / "ours_good.nwb")

    def ours_damaged(filename, stored):
        shutil.copyfile(ours_good, d / filename)
        with h5py.File(d / filename, "r+") as f:
            del f["scratch/synchro_metadata"]
            f["scratch/synchro_metadata"] = stored

    ours_damaged("meta_list.nwb", "[1, 2, 3]")
    add("nwb_synchro_metadata_not_object", "meta_list.nwb", InvalidDataError,
        "stored synchro metadata is not a JSON object")
    ours_damaged("meta_t_stop_text.nwb", '{"t_start": 0.0, "t_stop": "ten"}')
    add("nwb_synchro_metadata_t_stop_text", "meta_t_stop_text.nwb", InvalidDataError, "t_stop must be a number")
    with damaged("times_bytes.nwb") as f:
        n = len(f["units/spike_times"])
        del f["units/spike_times"]
        f["units/spike_times"] = np.array([b"0.5"] * n)
    add("nwb_spike_times_bytes", "times_bytes.nwb", InvalidDataError, "spike_times must hold numbers")
    with damaged("times_2d.nwb") as f:
        t = f["units/spike_times"][()]
        del f["units/spike_times"]
        f["units/spike_times"] = np.stack([t, t], axis=1)
    add("nwb_spike_times_2d", "times_2d.nwb", InvalidDataError, "spike_times must be one-dimensional")
    with damaged("ids_text.nwb") as f:
        n = len(f["units/id"])
        del f["units/id"]
        f["units/id"] = np.array([f"u{i}".encode() for i in range(n)])
    add("nwb_ids_text", "ids_text.nwb", InvalidDataError, "id must hold whole numbers")
    with damaged("float_index.nwb") as f:
        index = f["units/spike_times_index"][()]
        del f["units/spike_times_index"]
        f["units/spike_times_index"] = index.astype(np.float64)
    add("nwb_float_spike_times_index", "float_index.nwb", InvalidDataError,
        "spike_times_index must hold whole numbers")

    # CSV ---------------------------------------------------------------------
    add("csv_empty", "empty.csv", InvalidDataError, "is empty").write_text("")
    add("csv_missing_column", "cols.csv", InvalidDataError, "must name unit_id and spike_time").write_text(
        "# t_stop=2\nunit,time\n1,0.5\n")
    add("csv_non_numeric", "text.csv", InvalidDataError, "must be a number").write_text(
        "# t_stop=2\nunit_id,spike_time\n1,0.5\n2,abc\n")
    add("csv_header_only", "header.csv", NothingToAnalyseError, "holds no units").write_text(
        "# t_stop=2\nunit_id,spike_time\n")
    add("csv_nan", "nan.csv", NonFiniteTimesError, "NaN or infinite").write_text(
        "# t_stop=2\nunit_id,spike_time\n1,0.5\n2,nan\n")
    rows = "\n".join(f"{i % 3},{30000 * i}" for i in range(1, 60))
    add("csv_sample_indices", "samples.csv", TimeUnitError, "--time-unit samples").write_text(
        f"unit_id,spike_time\n{rows}\n")
    add("csv_fractional_unit_ids", "ids.csv", InvalidDataError, "unit_id must hold whole numbers").write_text(
        "# t_stop=2\nunit_id,spike_time\n1.5,0.5\n")
    add("csv_t_stop_text", "t_stop_text.csv", InvalidDataError, "# t_stop= must be a number").write_text(
        "# t_stop=garbage\nunit_id,spike_time\n1,0.5\n")
    add("csv_unit_ids_text", "unit_ids_text.csv", InvalidDataError, "# unit_ids= must list whole numbers").write_text(
        "# t_stop=2\n# unit_ids=a b c\nunit_id,spike_time\n1,0.5\n")
    add("csv_unit_ids_beyond_int64", "huge_ids.csv", InvalidDataError, "64-bit").write_text(
        "# t_stop=2\nunit_id,spike_time\n100000000000000000000,0.5\n100000000000000000001,0.7\n")

    # NPZ ---------------------------------------------------------------------
    np.savez(add("npz_missing_keys", "keys.npz", InvalidDataError, "lacks the arrays 'spike_times'"),
             times=np.arange(3.0))
    add("npz_not_zip", "fake.npz", UnreadableInputError, "not an .npz archive").write_text("spike_times\n0.1\n")
    np.savez(add("npz_pickled_objects", "objects.npz", UnreadableInputError, "holds pickled objects"),
             spike_times=np.array([0.1, 0.2]), unit_index=np.array([0, 0]), t_stop=1.0,
             unit_label=np.array(["a", None], dtype=object))
    np.savez(add("npz_no_units", "zero.npz", NothingToAnalyseError, "holds no units"),
             spike_times=np.empty(0), unit_index=np.empty(0, dtype=np.int64), t_start=0.0, t_stop=1.0)
    np.savez(add("npz_t_stop_before_t_start", "bounds.npz", RecordingBoundsError, "must be after t_start"),
             spike_times=np.array([0.5]), unit_index=np.array([0]), t_start=1.0, t_stop=0.5)
    np.savez(add("npz_unit_index_out_of_range", "index.npz", InvalidDataError, "unit_index must lie in 0..1"),
             spike_times=np.array([0.5, 0.6]), unit_index=np.array([0, 5]), unit_id=np.array([7, 8]), t_stop=1.0)
    valid = dict(spike_times=np.array([0.5, 0.6, 1.5]), unit_index=np.array([0, 1, 1]), t_start=0.0, t_stop=2.0)
    np.savez(add("npz_t_stop_text", "t_stop_text.npz", InvalidDataError, "t_stop must be a number"),
             **{**valid, "t_stop": "two"})
    np.savez(add("npz_t_stop_array", "t_stop_array.npz", InvalidDataError, "t_stop must be a single number"),
             **{**valid, "t_stop": [2, 3]})
    np.savez(add("npz_metadata_not_object", "metadata_list.npz", InvalidDataError,
                 "stored metadata is not a JSON object"), **valid, metadata_json="[1,2,3]")
    np.savez(add("npz_intervals_not_pairs", "intervals.npz", InvalidDataError, "intervals must be (start, stop) pairs"),
             **valid, intervals=[1, 0.5, 7])
    np.savez(add("npz_float16_times", "float16.npz", InvalidDataError, "float16"),
             **{**valid, "spike_times": valid["spike_times"].astype(np.float16)})
    np.savez(add("npz_signal_channels_scalar", "channels.npz", SignalError, "give one value per channel"),
             **valid, signal_LFP_data=np.zeros(2000), signal_LFP_fs=1000.0, signal_LFP_channels='{"a": 1}')
    np.savez(add("npz_text_times", "text_times.npz", InvalidDataError, "spike_times must hold numbers"),
             **{**valid, "spike_times": np.array(["0.5", "0.6", "1.5"])})
    return cases
