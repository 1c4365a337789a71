"""NPZ and CSV: bit-exact round trips, the read() dispatcher, repairs that warn, and the bundled example."""

import hashlib

import numpy as np
import pytest

from synchro.core import Recording, SpikeData
from synchro.errors import InvalidDataError, SynchroWarning, TimeUnitError, UnreadableInputError, UsageError
from synchro.io import example_path, read, read_csv, read_npz, write_csv, write_npz


def test_npz_round_trip_is_bit_exact(small_recording, tmp_path):
    path = write_npz(small_recording, tmp_path / "r.npz")
    with pytest.warns(SynchroWarning, match="no spikes"):
        back = read(path, quality=None)
    a, b = back.spikes, small_recording.spikes
    assert np.array_equal(a.times, b.times) and np.array_equal(a.offsets, b.offsets)
    for col in ("id", "label", "population", "quality", "depth_um", "is_wide"):
        assert np.array_equal(a.units[col], b.units[col]), col
    lfp = back.signals["LFP"]
    assert np.array_equal(lfp.data, small_recording.signals["LFP"].data) and lfp.fs == 250.0 and lfp.units == "V"
    assert list(lfp.channels["location"]) == ["CA1", "CA1", "CA3"]
    assert back.metadata["seed"] == 7 and back.metadata["format"] == "npz"
    with np.load(path) as z:
        assert z["unit_index"].dtype == np.uint8  # the smallest type that holds 12 rows


def test_npz_with_per_spike_unit_ids_in_any_order(tmp_path):
    np.savez(tmp_path / "ids.npz", spike_times=np.array([0.3, 0.1, 0.2, 0.4]), unit_ids=np.array([9, 4, 9, 4]),
             t_stop=1.0)
    with pytest.warns(SynchroWarning, match="1 spike time"):
        rec = read(tmp_path / "ids.npz")
    assert list(rec.spikes.units["id"]) == [4, 9]
    assert rec.spikes.train(0).tolist() == [0.1, 0.4] and rec.spikes.train(1).tolist() == [0.2, 0.3]


def test_csv_round_trip_is_repr_exact(small_recording, tmp_path):
    gen = np.random.default_rng(11)
    # Awkward floats: full 17-digit mantissas, tiny and large magnitudes.
    times = np.sort(np.r_[gen.uniform(0, 1000, 500), 1e-9, np.nextafter(1.0, 2.0), 0.1 + 0.2])
    spikes = SpikeData.from_arrays(times, gen.integers(0, 7, times.size), t_stop=np.nextafter(1000.0, 2000.0),
                                   n_units=9, units={"id": np.arange(9) * 10 - 20})
    path = write_csv(spikes, tmp_path / "s.csv")
    assert path.read_text().splitlines()[1] == f"# t_start={0.0!r}"
    with pytest.warns(SynchroWarning, match="2 of 9 units have no spikes"):
        back = read(path)
    assert back.spikes == spikes and np.array_equal(back.spikes.units["id"], spikes.units["id"])
    assert back.spikes.t_stop == spikes.t_stop
    recording_path = write_csv(Recording(small_recording.spikes), tmp_path / "r.csv")
    with pytest.warns(SynchroWarning):
        assert read_csv(recording_path, quality=None).spikes == small_recording.spikes


def test_csv_extra_columns_ignored_and_bounds_from_arguments(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("channel,spike_time,amplitude,unit_id\n3,0.25,1.5e-4,7\n3,0.75,-2e-4,7\n1,0.5,1e-4,2\n")
    rec = read(path, t_start=0.0, t_stop=2.0)
    assert list(rec.spikes.units["id"]) == [2, 7] and rec.spikes.times.tolist() == [0.5, 0.25, 0.75]
    assert rec.spikes.rates.tolist() == [0.5, 1.0]


def test_time_units_are_converted_or_refused(tmp_path):
    gen = np.random.default_rng(2)
    ms = np.sort(gen.uniform(0, 60_000, 100))  # 100 spikes in one minute, written in milliseconds
    path = tmp_path / "ms.csv"
    rows = "\n".join(f"{i % 4},{t!r}" for i, t in enumerate(ms.tolist()))
    path.write_text("# t_stop=60000\nunit_id,spike_time\n" + rows)
    with pytest.raises(TimeUnitError, match="--time-unit ms"):
        read(path)
    rec = read(path, time_unit="ms")
    assert rec.spikes.t_stop == 60.0 and np.allclose(np.sort(rec.spikes.times), ms / 1000.0, rtol=1e-15, atol=0)
    samples = tmp_path / "samples.npz"
    np.savez(samples, spike_times=np.arange(0, 3_000_000, 30_000), unit_index=np.zeros(100, int), t_stop=3_000_000)
    rec = read(samples, time_unit="samples", sampling_rate=30_000.0)
    assert rec.spikes.t_stop == 100.0 and rec.spikes.times[1] == 1.0
    with pytest.raises(UsageError, match="--sampling-rate"):
        read(samples, time_unit="samples")


def test_dispatch_checks_magic_bytes_and_options(small_recording, tmp_path):
    npz = write_npz(small_recording, tmp_path / "r.npz")
    disguised = tmp_path / "r.csv"
    disguised.write_bytes(npz.read_bytes())
    with pytest.raises(UnreadableInputError, match="binary file, not CSV"):
        read(disguised)
    with pytest.raises(UsageError, match="units= picks a Units table in NWB files"):
        read(npz, units="units")
    with pytest.raises(UsageError, match="quality must be 'exclude-noise' or None"):
        read(npz, quality="good-only")
    suffixed = tmp_path / "R.NPZ"
    suffixed.write_bytes(npz.read_bytes())
    with pytest.warns(SynchroWarning):
        assert read(suffixed, quality=None).spikes == small_recording.spikes


def test_writers_refuse_overwrite_and_never_touch_inputs(small_recording, tmp_path):
    path = write_npz(small_recording, tmp_path / "r.npz")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(UsageError, match="already exists"):
        write_npz(small_recording, path)
    with pytest.raises(UsageError, match="already exists"):
        write_csv(small_recording, path)
    with pytest.warns(SynchroWarning):
        read_npz(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    with pytest.raises(UsageError, match="does not exist; create it first"):
        write_npz(small_recording, tmp_path / "missing" / "r.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]


def test_bundled_example_is_the_published_network():
    path = example_path()
    assert path.stat().st_size < 200_000
    with pytest.warns(SynchroWarning, match="1 of 1000 units have no spikes"):  # one silent unit, kept
        rec = read(path)
    s = rec.spikes
    assert (s.n_units, s.t_start, s.t_stop) == (1000, 0.0, 2.0)
    assert s.populations() == ["exc", "inh"]
    exc = s.select(population="exc").rates.mean()
    inh = s.select(population="inh").rates.mean()
    # net.m fires at about 7-8 Hz in both populations (FIELD_NOTES: 7.6 / 7.3 Hz over 1 s).
    assert 6.5 < exc < 9.0 and 6.0 < inh < 9.0
    assert np.all(np.diff(np.unique(s.times)) >= 1e-3 - 1e-12)  # 1 ms steps
    assert rec.metadata["seed"] == 2003


# Bounds against the data's scale, column mappings, TSV and named units (issue 16) ------------------------------

def _poisson_csv(path, *, header, n_units=20, rate=5.0, duration=120.0, seed=3, names=None, sep=","):
    """A CSV of Poisson spikes in seconds under ``header`` lines; returns the times of each unit."""
    gen = np.random.default_rng(seed)
    trains = [np.sort(gen.uniform(0.0, duration, gen.poisson(rate * duration))) for _ in range(n_units)]
    ids = names or list(range(n_units))
    rows = [f"{u}{sep}{t!r}" for u, train in zip(ids, trains) for t in train.tolist()]
    path.write_text("\n".join([*header, *rows]) + "\n")
    return trains


def test_csv_seconds_with_t_stop_in_milliseconds_is_invalid_data(tmp_path):
    """Why case: times in seconds, ``# t_stop=120000`` (ms) ran and died with "MemoryError ... 917 MiB"."""
    path = tmp_path / "ms_bound.csv"
    _poisson_csv(path, header=["# t_start=0", "# t_stop=120000", "unit_id,spike_time"])
    with pytest.raises(InvalidDataError, match=r"t_stop \(120000\) is 1e\+03 times the span of the spikes .* "
                                               r"look like milliseconds"):
        read(path)
    assert read(path, t_stop=120.0).spikes.duration == 120.0  # the fix the message names


def test_spike_times_past_t_stop_by_a_unit_factor_name_the_unit(tmp_path):
    gen = np.random.default_rng(4)
    times_ms = np.sort(gen.uniform(0.0, 120e3, 600))
    np.savez(tmp_path / "ms_times.npz", spike_times=times_ms, unit_index=np.zeros(600, dtype=int), t_stop=120.0)
    with pytest.raises(InvalidDataError, match=r"998 times as far from t_start as t_stop \(120\): the spike "
                                               r"times look like milliseconds"):
        read(tmp_path / "ms_times.npz", time_unit="s")


def test_no_bin_array_past_max_bins():
    """A bound far beyond the data is refused before the bins are allocated (1e9 bins of 1 ms would be 8 GB)."""
    from synchro.core import MAX_BINS, check_bin_count
    from synchro.spectral import population_rate
    from synchro.synchrony import correlation_matrix, golomb_chi, kuramoto_order, population_fano

    spikes = SpikeData.from_trains([np.linspace(1.0, 1e6 - 1, 50)] * 2, t_stop=1e6, time_unit="s")  # 11.6 days
    with pytest.raises(InvalidDataError, match=r"1e\+06 s in bins of 0.001 s is 1e\+09 bins \(7.45 GiB per array\), "
                                               r"more than synchro allocates"):
        population_rate(spikes, bin_width=0.001)
    for measure in (golomb_chi, correlation_matrix, population_fano, kuramoto_order):
        with pytest.raises(InvalidDataError, match="more than synchro allocates"):
            measure(spikes)
    assert check_bin_count(MAX_BINS, 0.001, MAX_BINS * 0.001) == MAX_BINS


def test_max_bins_is_raised_where_the_message_says(monkeypatch):
    """``synchro.core.MAX_BINS``, the name the error gives, is the limit every check reads at call time."""
    import synchro.core
    from synchro.synchrony import population_fano

    spikes = SpikeData.from_trains([np.linspace(0.5, 9.5, 20)] * 2, t_stop=10.0)  # 10,000 bins of 1 ms
    monkeypatch.setattr(synchro.core, "MAX_BINS", 9_999)
    with pytest.raises(InvalidDataError, match=r"is 1e\+04 bins .*more than synchro allocates \(1e\+04\)"):
        population_fano(spikes, bin_widths=(0.001,))
    monkeypatch.setattr(synchro.core, "MAX_BINS", 10_000)
    assert population_fano(spikes, bin_widths=(0.001,)).to_dict()["analysis"] == "population_fano"


def test_ibl_layout_through_a_column_mapping(tmp_path):
    """Why case: IBL's ``cluster,time`` columns were refused; now read with columns= (CLI --columns)."""
    path = tmp_path / "ibl.csv"
    trains = _poisson_csv(path, header=["# t_stop=120", "cluster,time"], n_units=3, duration=120.0)
    with pytest.raises(InvalidDataError, match=r"must name unit_id and spike_time .*columns=\{'unit': NAME"):
        read(path)
    rec = read(path, columns={"unit": "cluster", "time": "time"})
    assert rec.spikes.units["id"].tolist() == [0, 1, 2]
    assert all(np.array_equal(rec.spikes.train(i), trains[i]) for i in range(3))
    assert read(path, columns="unit=cluster,time=time").spikes == rec.spikes
    with pytest.raises(UsageError, match="unknown column key 'cluster'"):
        read(path, columns={"cluster": "unit"})


def test_tsv_by_suffix_or_by_its_header_and_named_units(tmp_path):
    """Why cases: no TSV, no string unit ids."""
    names = ["n3a", "n10", "b2"]
    tsv = tmp_path / "named.tsv"
    trains = _poisson_csv(tsv, header=["# t_stop=120", "unit_id\tspike_time"], n_units=3, names=names, sep="\t")
    rec = read(tsv)
    s = rec.spikes
    assert s.units["label"].tolist() == ["b2", "n10", "n3a"] and s.units["id"].tolist() == [0, 1, 2]
    for row, name in enumerate(["b2", "n10", "n3a"]):
        assert np.array_equal(s.train(row), trains[names.index(name)])
    assert rec.metadata["format"] == "tsv"
    sniffed = tmp_path / "tabs.csv"
    sniffed.write_bytes(tsv.read_bytes())
    assert read(sniffed).spikes == s
    listed = tmp_path / "listed.csv"
    listed.write_text("# t_stop=10\n# unit_ids=zz n3a\nunit_id,spike_time\nn3a,0.5\nn3a,1.5\n")
    with pytest.warns(SynchroWarning, match="1 of 2 units have no spikes"):
        back = read(listed).spikes
    assert back.units["label"].tolist() == ["zz", "n3a"] and back.spike_counts.tolist() == [0, 2]


def test_cli_columns_and_bounds_in_the_wrong_unit(tmp_path):
    """``synchro analyze`` with --columns on IBL's layout; a t_stop in ms over seconds exits 4 with one line."""
    import json
    import os
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "synchro.cli", "analyze", *map(str, args)], capture_output=True,
                              text=True, timeout=600, cwd=tmp_path, env={**os.environ, "MPLBACKEND": "Agg"})

    ibl = tmp_path / "ibl.tsv"
    trains = _poisson_csv(ibl, header=["# t_stop=30", "cluster\ttime"], n_units=12, duration=30.0, sep="\t")
    proc = run(ibl, "--columns", "unit=cluster,time=time", "--surrogates", "40", "--no-figures", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["input"]["format"] == "tsv" and doc["input"]["units"] == 12
    assert doc["input"]["spikes"] == sum(map(len, trains)) and doc["input"]["t_stop"] == 30.0
    bad = run(ibl, "--columns", "cluster=unit")
    assert bad.returncode == 2 and "unknown column key 'cluster'" in bad.stderr
    ms = tmp_path / "ms_bound.csv"
    _poisson_csv(ms, header=["# t_stop=120000", "unit_id,spike_time"])
    proc = run(ms)
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.count("\n") == 1 and "look like milliseconds" in proc.stderr and "Traceback" not in proc.stderr
