"""Phy/Kilosort output folders: the real file layout and dtypes, read by the library, by neo's PhyIO and by the CLI.

The folder a test writes is what Kilosort 2.5 leaves and Phy edits: ``spike_times.npy`` (uint64 sample indices,
shape (n, 1)), ``spike_clusters.npy`` (int32), ``spike_templates.npy``, ``params.py`` (Python assignments),
``cluster_KSLabel.tsv`` (Kilosort's good/mua), ``cluster_group.tsv`` (the curator's labels, which override
Kilosort's), ``cluster_info.tsv`` (Phy's table, with a channel and depth per cluster) and the raw ``.dat``
recording whose size gives the recording's length (written sparse: only its size is read).
"""

import json
import os
import subprocess
import sys
import warnings

import neo
import numpy as np
import pytest

from synchro import io
from synchro.errors import InvalidDataError, SynchroWarning, UnreadableInputError, UsageError

FS = 30000.0
DURATION = 12.0  # s of raw recording
N_CHANNELS = 4

#: cluster id -> (Kilosort's label, the curator's label or None, firing rate in Hz, channel, depth in um)
CLUSTERS = {0: ("good", None, 8.0, 1, 20.0), 2: ("mua", "noise", 30.0, 0, 0.0), 5: ("good", "mua", 5.0, 3, 60.0),
            11: ("mua", "good", 12.0, 2, 40.0)}
#: A cluster Phy lists (curated, then all its spikes merged away) that has no spikes left.
SILENT = 14


def write_kilosort_folder(folder, *, seed=0, dat=True, params_extra="", silent=False, column=True):
    """A Kilosort/Phy output folder; returns {cluster id: sample indices} of the spikes written.

    ``column``: spike times as an (n, 1) column, as Kilosort 2 and 2.5 write them (Kilosort 4: flat).
    """
    gen = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n_samples = int(DURATION * FS)
    samples = {c: np.sort(gen.choice(n_samples, gen.poisson(rate * DURATION), replace=False)).astype(np.uint64)
               for c, (_, _, rate, _, _) in CLUSTERS.items()}
    samples[5][-1] = n_samples - 1  # a spike on the last sample: inside the recording, as it must stay
    all_samples = np.concatenate(list(samples.values()))
    all_clusters = np.concatenate([np.full(len(s), c, dtype=np.int32) for c, s in samples.items()])
    order = np.argsort(all_samples, kind="stable")  # Kilosort writes spikes in time order, all clusters mixed
    np.save(folder / "spike_times.npy", all_samples[order].reshape((-1, 1) if column else -1))
    np.save(folder / "spike_clusters.npy", all_clusters[order])
    np.save(folder / "spike_templates.npy", all_clusters[order].astype(np.uint32))
    (folder / "params.py").write_text(
        "dat_path = 'recording.dat'\n"
        f"n_channels_dat = {N_CHANNELS}\n"
        "dtype = 'int16'\n"
        "offset = 0\n"
        "sample_rate = 30000.\n"
        "hp_filtered = False\n" + params_extra)
    (folder / "cluster_KSLabel.tsv").write_text(
        "cluster_id\tKSLabel\n" + "".join(f"{c}\t{ks}\n" for c, (ks, _, _, _, _) in CLUSTERS.items()))
    (folder / "cluster_group.tsv").write_text(
        "cluster_id\tgroup\n" + "".join(f"{c}\t{g}\n" for c, (_, g, _, _, _) in CLUSTERS.items() if g)
        + (f"{SILENT}\tgood\n" if silent else ""))
    (folder / "cluster_info.tsv").write_text(
        "cluster_id\tKSLabel\tch\tdepth\tgroup\n"
        + "".join(f"{c}\t{ks}\t{ch}\t{d}\t{g or ''}\n" for c, (ks, g, _, ch, d) in CLUSTERS.items())
        + (f"{SILENT}\tgood\t1\t20.0\tgood\n" if silent else ""))
    if dat:
        with open(folder / "recording.dat", "wb") as f:
            f.truncate(n_samples * N_CHANNELS * 2)  # int16 samples: the size is all that is read
    return samples


@pytest.fixture(scope="module")
def kilosort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sorting") / "kilosort_output"
    return folder, write_kilosort_folder(folder, silent=True)


def test_times_units_and_curation(kilosort):
    folder, samples = kilosort
    with pytest.warns(SynchroWarning, match="1 of 5 units have no spikes; kept them"):
        rec = io.read(folder)
    s = rec.spikes
    # Noise (cluster 2, the curator's label overriding Kilosort's mua) is left out; the silent cluster is kept.
    assert s.units["id"].tolist() == [0, 5, 11, SILENT]
    assert s.units["quality"].tolist() == ["good", "mua", "good", "good"]  # the curator's group wins over KSLabel
    assert s.units["KSLabel"].tolist() == ["good", "good", "mua", "good"]
    assert s.units["ch"].tolist() == [1.0, 3.0, 2.0, 1.0] and s.units["depth"].tolist() == [20.0, 60.0, 40.0, 20.0]
    assert rec.metadata["curation"] == {"applied": True, "columns": ["quality", "KSLabel", "group", "label"],
                                        "n_excluded": 1}
    for row, cluster in enumerate([0, 5, 11]):
        assert np.array_equal(s.train(row), samples[cluster].astype(np.float64) / FS)  # seconds, exactly
    assert s.spike_counts[3] == 0
    # Bounds from the raw recording's size: 12 s at 30 kHz on 4 int16 channels; the last sample's spike is inside.
    assert s.t_start == 0.0 and s.t_stop == DURATION and s.train(1)[-1] == (DURATION * FS - 1) / FS
    assert s.rates[:3] == pytest.approx([len(samples[c]) / DURATION for c in (0, 5, 11)], rel=1e-12)
    with pytest.warns(SynchroWarning, match="no spikes"):
        everything = io.read(folder, quality=None).spikes
    assert everything.units["id"].tolist() == [0, 2, 5, 11, SILENT]
    assert everything.units["quality"].tolist() == ["good", "noise", "mua", "good", "good"]
    assert rec.metadata["format"] == "phy" and rec.metadata["sample_rate"] == FS


def test_without_the_raw_recording_the_end_is_assumed_with_a_warning(tmp_path):
    samples = write_kilosort_folder(tmp_path / "ks", dat=False)
    with pytest.warns(SynchroWarning, match=r"assumed t_stop=12 s"):
        rec = io.read(tmp_path / "ks")
    last = max(int(s.max()) for s in samples.values()) / FS
    assert rec.spikes.t_stop == np.floor(last) + 1 and rec.metadata["bounds"].startswith("assumed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert io.read(tmp_path / "ks", t_stop=20.0).spikes.t_stop == 20.0


def test_spike_templates_when_there_are_no_clusters(tmp_path):
    samples = write_kilosort_folder(tmp_path / "ks")
    (tmp_path / "ks" / "spike_clusters.npy").unlink()
    rec = io.read(tmp_path / "ks", quality=None)
    assert rec.metadata["cluster_file"] == "spike_templates.npy"
    assert np.array_equal(rec.spikes.train(0), samples[0] / FS)


def test_params_py_is_parsed_never_run(tmp_path):
    marker = tmp_path / "ran"
    write_kilosort_folder(tmp_path / "ks", params_extra=f"__import__('pathlib').Path({str(marker)!r}).touch()\n"
                                                        f"other = open({str(marker)!r}, 'w')\n")
    assert io.read_phy(tmp_path / "ks").spikes.units["id"].tolist() == [0, 5, 11]
    assert not marker.exists()
    (tmp_path / "ks" / "params.py").write_text("sample_rate = 30000.\ndat_path = (\n")
    with pytest.raises(InvalidDataError, match=r"params.py: line \d+ is not Python"):
        io.read(tmp_path / "ks")


def test_bad_folders_fail_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnreadableInputError, match="is a directory without spike_times.npy"):
        io.read(tmp_path / "empty")
    write_kilosort_folder(tmp_path / "ks")
    with pytest.raises(UsageError, match="time_unit= does not apply to a Phy/Kilosort folder"):
        io.read(tmp_path / "ks", time_unit="ms")
    np.save(tmp_path / "ks" / "spike_clusters.npy", np.zeros(3, dtype=np.int32))
    with pytest.raises(InvalidDataError, match="spike times but 3 entries in spike_clusters.npy"):
        io.read(tmp_path / "ks")
    np.save(tmp_path / "ks" / "spike_clusters.npy", np.load(tmp_path / "ks" / "spike_templates.npy").astype(np.int32))
    params = (tmp_path / "ks" / "params.py").read_text()
    (tmp_path / "ks" / "params.py").write_text(params.replace("n_channels_dat = 4", "n_channels_dat = 8"))
    with pytest.raises(InvalidDataError, match=r"n_channels_dat=8, dtype='int16'\) ends at 6 s, before the last "
                                               r"spike \(12 s\); check params.py"):
        io.read(tmp_path / "ks")
    (tmp_path / "ks" / "params.py").write_text("dat_path = 'recording.dat'\n")
    with pytest.raises(InvalidDataError, match="no sample_rate in params.py"):
        io.read(tmp_path / "ks")


def test_neo_phyio_then_from_neo(tmp_path):
    """The path guides/data.rst documented: neo's PhyIO puts t_stop on the last spike, which synchro refused.

    (neo 0.14's PhyIO fails on Kilosort 2's (n, 1) spike_times.npy, so this folder has Kilosort 4's flat one.)
    """
    folder = tmp_path / "ks"
    write_kilosort_folder(folder, column=False)
    segment = neo.io.PhyIO(dirname=str(folder)).read_block().segments[0]
    with pytest.warns(SynchroWarning, match="assumed t_stop=12 s"):
        assumed = io.from_neo(segment)
    assert assumed.spikes.t_stop == DURATION  # the last spike is on the last sample, 11.99997 s
    rec = io.from_neo(segment, t_stop=DURATION)
    direct = io.read(folder, quality=None).spikes
    by_id = {int(i): rec.spikes.train(k) for k, i in enumerate(rec.spikes.units["cluster_id"])}
    for row, cluster in enumerate(direct.units["id"].tolist()):
        assert np.allclose(by_id[cluster], direct.train(row), rtol=0, atol=1e-12)
    assert rec.spikes.t_stop == DURATION


def test_cli_analyzes_a_folder(kilosort, tmp_path):
    folder, samples = kilosort
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "analyze", str(folder), "--surrogates", "40",
                           "--no-figures", "--format", "json", "-o", str(tmp_path / "report")], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["input"]["format"] == "phy" and doc["input"]["units"] == 4
    assert doc["input"]["t_stop"] == DURATION and doc["input"]["spikes"] == sum(len(samples[c]) for c in (0, 5, 11))
    assert doc["input"]["metadata"]["curation"]["n_excluded"] == 1
    assert len(doc["input"]["sha256"]) == 64
