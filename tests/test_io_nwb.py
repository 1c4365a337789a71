"""NWB: bit-exact round trips, pynwb and nwbinspector cross-checks, external-file conventions."""

import warnings

import h5py
import numpy as np
import pytest
from malformed import write_external_nwb

from synchro.core import Recording, SpikeData
from synchro.errors import SynchroWarning, UsageError
from synchro.io import read, read_nwb, write_nwb


def _assert_same_units(a, b, columns):
    assert np.array_equal(a.times, b.times) and a.times.dtype == b.times.dtype == np.float64
    assert np.array_equal(a.offsets, b.offsets)
    assert (a.t_start, a.t_stop) == (b.t_start, b.t_stop)
    for col in columns:
        assert np.array_equal(a.units[col], b.units[col]), col


COLUMNS = ("id", "label", "population", "quality", "depth_um", "is_wide")


def test_round_trip_nwb_recording_nwb_is_bit_exact(small_recording, tmp_path):
    first = write_nwb(small_recording, tmp_path / "a.nwb")
    with pytest.warns(SynchroWarning, match="1 of 12 units have no spikes"):
        rec = read(first, quality=None)
    _assert_same_units(rec.spikes, small_recording.spikes, COLUMNS)
    assert rec.spikes.units["is_wide"].dtype == bool
    lfp, original = rec.signals["LFP"], small_recording.signals["LFP"]
    assert np.array_equal(lfp.data, original.data) and lfp.fs == original.fs and lfp.t_start == original.t_start
    assert lfp.units == "V" and list(lfp.channels["location"]) == ["CA1", "CA1", "CA3"]
    assert list(lfp.channels["electrode_id"]) == [4, 5, 6]
    assert rec.metadata["seed"] == 7 and rec.metadata["bounds"] == "synchro metadata"

    second = write_nwb(rec, tmp_path / "b.nwb")
    with pytest.warns(SynchroWarning):
        again = read(second, quality=None)
    _assert_same_units(again.spikes, small_recording.spikes, COLUMNS)
    assert np.array_equal(again.signals["LFP"].data, original.data)
    with h5py.File(first) as f, h5py.File(second) as g:
        assert np.array_equal(f["units/spike_times"][()], g["units/spike_times"][()])
        assert np.array_equal(f["units/id"][()], g["units/id"][()])


def test_other_signals_round_trip_as_timeseries(small_recording, tmp_path):
    from synchro.core import Signal

    proxy = Signal(np.linspace(-1.0, 1.0, 400), 100.0, 0.0, units="", name="field_proxy")
    rec = Recording(small_recording.spikes, {"field_proxy": proxy})
    path = write_nwb(rec, tmp_path / "proxy.nwb")
    with h5py.File(path) as f:
        assert f["acquisition/field_proxy"].attrs["neurodata_type"] == "TimeSeries"
    with pytest.warns(SynchroWarning):
        back = read(path, quality=None)
    assert np.array_equal(back.signals["field_proxy"].data, proxy.data) and back.signals["field_proxy"].units == ""


def test_million_spikes_in_1000_units_round_trip(tmp_path):
    gen = np.random.default_rng(3)
    index = gen.integers(0, 1000, 1_000_000)
    spikes = SpikeData.from_arrays(np.sort(gen.uniform(0.0, 100.0, index.size)), index, t_stop=100.0, n_units=1000,
                                   units={"id": np.arange(1000) + 5000,
                                          "population": np.where(np.arange(1000) < 800, "exc", "inh")})
    path = write_nwb(Recording(spikes), tmp_path / "big.nwb")
    back = read_nwb(path)
    assert back.spikes.n_spikes == 1_000_000 and back.spikes.n_units == 1000
    _assert_same_units(back.spikes, spikes, ("id", "population"))


def test_pynwb_reads_what_we_write(small_recording, tmp_path):
    from pynwb import NWBHDF5IO

    path = write_nwb(small_recording, tmp_path / "peer.nwb")
    s = small_recording.spikes
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        for row in (0, 5, 11):
            assert np.array_equal(nwb.units.get_unit_spike_times(row), s.train(row))
        assert list(nwb.units.id[:]) == list(s.units["id"])
        assert list(nwb.units["population"][:]) == list(s.units["population"])
        assert np.array_equal(nwb.processing["ecephys"]["LFP"]["LFP"].data[:], small_recording.signals["LFP"].data)
        assert nwb.subject.species.endswith("NCBITaxon_32644")
        assert nwb.session_start_time.tzinfo is not None


def test_written_file_passes_nwbinspector(small_recording, tmp_path):
    from nwbinspector import Importance, inspect_nwbfile

    serious = {Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION}
    ours = list(inspect_nwbfile(nwbfile_path=str(write_nwb(small_recording, tmp_path / "ours.nwb"))))
    assert [m.message for m in ours if m.importance in serious] == []
    # The inspector does flag a file built without a subject or spike-time resolution: the check has teeth.
    theirs = list(inspect_nwbfile(nwbfile_path=str(write_external_nwb(tmp_path / "ext.nwb", [[0.1, 0.2]]))))
    assert {m.check_function_name for m in theirs if m.importance in serious} >= {"check_units_resolution_is_set"}


def test_write_refuses_to_overwrite_and_leaves_no_temp_files(small_recording, tmp_path):
    path = write_nwb(small_recording, tmp_path / "x.nwb")
    stamp = path.stat().st_mtime_ns
    with pytest.raises(UsageError, match="overwrite=True"):
        write_nwb(small_recording, path)
    assert path.stat().st_mtime_ns == stamp
    write_nwb(small_recording, path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.nwb"]


def test_curation_excludes_noise_units_by_default(small_recording, tmp_path):
    path = write_nwb(small_recording, tmp_path / "q.nwb")
    with pytest.warns(SynchroWarning):
        rec = read(path)
    assert rec.spikes.n_units == 11 and "u10" not in list(rec.spikes.units["label"])
    assert rec.metadata["curation"] == {"applied": True, "columns": ["quality", "label"], "n_excluded": 1}
    ext = write_external_nwb(tmp_path / "ks.nwb", [[0.1, 0.5], [0.2], [0.3]],
                             columns={"KSLabel": ["good", "noise", "mua"]}, obs_intervals=[[[0.0, 1.0]]] * 3)
    kept = read(ext)
    assert list(kept.spikes.units["id"]) == [0, 2] and kept.metadata["curation"]["n_excluded"] == 1


def test_several_units_tables_are_picked_by_path(tmp_path):
    path = write_external_nwb(tmp_path / "two.nwb", [[0.1, 0.2]], second_units=True, obs_intervals=[[[0.0, 3.0]]])
    rec = read(path, units="processing/ecephys/units2", t_stop=2.0)
    assert np.array_equal(rec.spikes.times, [0.5, 1.5]) and rec.metadata["units_table"] == "/processing/ecephys/units2"
    assert read(path, units="/units").spikes.t_stop == 3.0


def test_bounds_fall_back_honestly(tmp_path):
    trains = [[0.25, 3.5], [1.0, 7.25]]
    bare = write_external_nwb(tmp_path / "bare.nwb", trains)
    with pytest.warns(SynchroWarning, match=r"assumed t_stop=8 s .*--t-stop"):
        rec = read(bare)
    assert (rec.spikes.t_start, rec.spikes.t_stop) == (0.0, 8.0) and "assumed" in rec.metadata["bounds"]
    assert read(bare, t_start=0.0, t_stop=10.0).spikes.t_stop == 10.0
    with_trials = write_external_nwb(tmp_path / "trials.nwb", trains, trials=[(0.0, 4.0), (5.0, 9.5)])
    rec = read(with_trials)
    assert (rec.spikes.t_start, rec.spikes.t_stop) == (0.0, 9.5)
    assert rec.metadata["bounds"] == "span of /intervals/trials"


def test_spikes_outside_per_unit_observation_intervals_are_dropped(tmp_path):
    trains = [[0.5, 1.5, 2.5], [0.5, 1.5, 2.5, 3.5]]
    path = write_external_nwb(tmp_path / "obs.nwb", trains, obs_intervals=[[[0.0, 1.0], [2.0, 3.0]], [[0.0, 4.0]]])
    with pytest.warns(SynchroWarning, match=r"1 spike\(s\) lie outside their unit.s observation intervals"):
        rec = read(path)
    assert rec.spikes.train(0).tolist() == [0.5, 2.5] and rec.spikes.train(1).tolist() == trains[1]
    assert (rec.spikes.t_start, rec.spikes.t_stop) == (0.0, 4.0)
    shared = write_external_nwb(tmp_path / "shared.nwb", trains, obs_intervals=[[[0.0, 1.0], [2.0, 4.0]]] * 2)
    with pytest.warns(SynchroWarning, match=r"2 spike.* outside the observation intervals"):
        rec = read(shared)
    assert rec.spikes.n_spikes == 5 and rec.spikes.intervals.tolist() == [[0.0, 1.0], [2.0, 4.0]]


def test_observation_intervals_round_trip_inside_wider_bounds(tmp_path):
    with pytest.warns(SynchroWarning, match="outside the observation intervals"):
        spikes = SpikeData.from_trains([[0.5, 2.5, 9.0], [2.2]], t_stop=10.0, intervals=[[0.0, 1.0], [2.0, 3.0]])
    assert spikes.n_spikes == 3  # 9.0 s fell outside the intervals
    back = read(write_nwb(Recording(spikes), tmp_path / "iv.nwb"))
    assert (back.spikes.t_start, back.spikes.t_stop) == (0.0, 10.0) and back.spikes == spikes
    assert back.spikes.intervals.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    single = write_external_nwb(tmp_path / "single.nwb", [[0.5, 5.5]], obs_intervals=[[[0.0, 5.0]]])
    with pytest.warns(SynchroWarning, match="outside the observation intervals"):
        rec = read(single, t_stop=6.0)
    assert rec.spikes.times.tolist() == [0.5] and rec.metadata["bounds"] == "obs_intervals"


def test_population_like_column_and_ragged_columns(tmp_path):
    path = write_external_nwb(tmp_path / "cols.nwb", [[0.1], [0.2]], columns={"cell_type": ["pyr", "pv"]},
                              ragged={"peak_channels": [[1, 2], [3]]}, obs_intervals=[[[0.0, 1.0]]] * 2)
    rec = read(path)
    assert list(rec.spikes.units["population"]) == ["pyr", "pv"] and rec.metadata["population_from"] == "cell_type"
    assert rec.metadata["skipped_columns"] == ["peak_channels"] and "peak_channels" not in rec.spikes.units


def test_lfp_physical_values_window_and_channels(tmp_path):
    raw = (np.arange(3000, dtype=np.int16).reshape(1000, 3) % 200) - 100
    lfp = {"data": raw, "rate": 100.0, "starting_time": -2.0, "conversion": 2e-6, "offset": 1e-3,
           "channel_conversion": [1.0, 0.5, 2.0]}
    path = write_external_nwb(tmp_path / "lfp.nwb", [[0.5, 2.0], [1.0]], lfp=lfp, obs_intervals=[[[0.0, 3.0]]] * 2)
    sig = read(path).signals["LFP"]
    # Only [0, 3) s is read: samples 200..499 of a series that starts at -2 s.
    assert sig.t_start == 0.0 and sig.n_samples == 300 and sig.fs == 100.0 and sig.units == "V"
    expected = raw[200:500] * (2e-6 * np.array([1.0, 0.5, 2.0])) + 1e-3
    np.testing.assert_allclose(sig.data, expected, rtol=1e-15, atol=0)
    assert list(sig.channels["location"]) == ["CA1"] * 3 and list(sig.channels["electrode_id"]) == [0, 1, 2]


def test_lfp_from_regular_timestamps(tmp_path):
    ts = np.arange(500) / 250.0 + np.random.default_rng(0).uniform(-1e-5, 1e-5, 500)  # 0.25 % jitter
    path = write_external_nwb(tmp_path / "ts.nwb", [[0.5]], lfp={"data": np.ones(500), "timestamps": ts},
                              obs_intervals=[[[0.0, 1.0]]])
    sig = read(path).signals["LFP"]
    assert abs(sig.fs - 250.0) < 0.01 and sig.n_samples == 250


def test_lfp_choice_auto_path_and_none(tmp_path):
    series = [{"data": np.zeros((3000, 2)), "rate": 1000.0, "starting_time": 0.0, "container": False, "name": "raw"},
              {"data": np.ones((300, 2)), "rate": 100.0, "starting_time": 0.0}]
    path = write_external_nwb(tmp_path / "both.nwb", [[0.5]], lfp=series, obs_intervals=[[[0.0, 3.0]]])
    with pytest.warns(SynchroWarning, match="ignored /acquisition/raw"):
        auto = read(path)
    assert auto.signals["LFP"].fs == 100.0 and auto.metadata["lfp_path"] == "/processing/ecephys/LFP/LFP"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read(path, lfp="acquisition/raw").signals["LFP"].fs == 1000.0
        assert dict(read(path, lfp=None).signals) == {}
    with pytest.raises(UsageError, match="no ElectricalSeries at 'nope'"):
        read(path, lfp="nope")


def test_lfp_not_overlapping_the_spikes_is_left_out(tmp_path):
    lfp = {"data": np.zeros((100, 1)), "rate": 100.0, "starting_time": 50.0}
    path = write_external_nwb(tmp_path / "late.nwb", [[0.5]], lfp=lfp, obs_intervals=[[[0.0, 2.0]]])
    with pytest.warns(SynchroWarning, match="does not overlap the spikes"):
        rec = read(path)
    assert "LFP" not in rec.signals


def test_time_unit_override_for_millisecond_files(tmp_path):
    path = write_external_nwb(tmp_path / "ms.nwb", [[500.0, 1500.0], [2500.0]], obs_intervals=[[[0.0, 3000.0]]] * 2)
    rec = read(path, time_unit="ms")
    assert rec.spikes.times.tolist() == [0.5, 1.5, 2.5] and rec.spikes.t_stop == 3.0
