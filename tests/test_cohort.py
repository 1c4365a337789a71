"""A cohort on dask (issue 18): ``synchro analyze`` of several NWB sessions on a LocalCluster, against the same
sessions one after the other; resuming; a bad file among good ones; folder and glob inputs; the cohort table.

Real parts: NWB files written with pynwb by :func:`synchro.io.write_nwb`, the real command line in subprocesses
(each starts its own LocalCluster and forkserver), Parquet read back with pyarrow.
"""

import csv
import json
import math
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from synchro import Recording, SpikeData, io
from synchro.report.cohort import COHORT_COLUMNS, cohort_table

ENV = {**os.environ, "MPLBACKEND": "Agg"}
# Few surrogates (Holm over two bands needs 40), two shifts per synchrony index: numbers that could differ between
# runs if anything did, in a second or so per session.
FAST = ("--surrogates", "40", "--synchrony-surrogates", "2", "--no-figures")
SESSIONS = ("s0", "s1", "s2")


def synchro(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synchro", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=ENV)


def session(seed: int, gamma: bool) -> Recording:
    """40 units (30 exc, 10 inh) over 6 s at 8 Hz, their rate modulated at 40 Hz (80 %) when ``gamma``."""
    gen = np.random.default_rng(seed)
    grid = np.arange(0, 6.0, 1e-3)
    rate = 8.0 * (1 + (0.8 * np.sin(2 * np.pi * 40.0 * grid) if gamma else 0.0))
    trains = []
    for _ in range(40):
        times = grid[gen.random(grid.size) < rate * 1e-3]
        trains.append(times + gen.uniform(0, 1e-3, times.size))  # anywhere in its millisecond
    units = {"population": ["exc"] * 30 + ["inh"] * 10}
    return Recording(SpikeData.from_trains(trains, t_stop=6.0, units=units))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Three NWB sessions (two with a 40 Hz rhythm) and a damaged ``bad.nwb`` in one folder, analysed on dask."""
    root = tmp_path_factory.mktemp("study")
    data = root / "data"
    data.mkdir()
    for i, name in enumerate(SESSIONS):
        io.write_nwb(session(i, gamma=i != 1), data / f"{name}.nwb")
    (data / "bad.nwb").write_bytes(b"not an HDF5 file\n")
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    proc = synchro("analyze", data, "-o", "dask", "--workers", "2", *FAST, cwd=root)
    return {"root": root, "data": data, "proc": proc, "inputs": before}


def reports(folder: Path, names=SESSIONS) -> dict:
    return {n: json.loads((folder / f"synchro-report-{n}" / "report.json").read_text()) for n in names}


def numbers(doc: dict) -> dict:
    """report.json without what differs between two runs of the same analysis: timings and creation time."""
    doc = {k: v for k, v in doc.items() if k != "timings"}
    doc["generator"] = {k: v for k, v in doc["generator"].items() if k != "created"}
    return doc


def test_a_bad_file_among_good_ones_fails_alone_with_its_exit_code(study):
    proc, root = study["proc"], study["root"]
    assert proc.returncode == 3, proc.stderr  # bad.nwb is unreadable: exit 3
    errors = [line for line in proc.stderr.splitlines() if line.startswith("synchro: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"synchro: error: {study['data'] / 'bad.nwb'}: ")
    assert "Traceback" not in proc.stderr
    assert "Cohort: 4 sessions, 3 analysed on local (2 workers), 0 found complete, 1 failed" in proc.stdout
    assert f"  failed (exit 3): {study['data'] / 'bad.nwb'}" in proc.stdout.splitlines()
    assert sorted(p.name for p in (root / "dask").iterdir()) == \
        ["synchro-cohort.csv", "synchro-cohort.parquet", *(f"synchro-report-{n}" for n in SESSIONS)]
    # The inputs are never modified.
    assert {p.name: p.read_bytes() for p in study["data"].iterdir()} == study["inputs"]


def test_dask_gives_the_serial_numbers_session_by_session_and_a_glob_names_the_same_files(study):
    root = study["root"]
    proc = synchro("analyze", f"{study['data']}/s*.nwb", "-o", "serial", "--scheduler", "serial", *FAST, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Cohort: 3 sessions, 3 analysed here, one after the other, 0 found complete, 0 failed" in proc.stdout
    on_dask, serial = reports(root / "dask"), reports(root / "serial")
    for name in SESSIONS:
        assert numbers(on_dask[name]) == numbers(serial[name]), name
    # The sessions differ (or the comparison would prove little): a 40 Hz rhythm in s0 and s2, none in s1.
    verdicts = {n: on_dask[n]["rhythms"]["all"]["gamma"]["verdict"] for n in SESSIONS}
    assert verdicts == {"s0": "present", "s1": "absent", "s2": "present"}


def test_cohort_table_holds_every_session_population_and_band_as_in_report_json(study):
    folder = study["root"] / "dask"
    docs = reports(folder)
    with open(folder / "synchro-cohort.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    table = pq.read_table(folder / "synchro-cohort.parquet").to_pylist()
    assert len(rows) == len(table) == 3 * 3 * 2  # sessions x populations (all, exc, inh) x bands
    assert list(rows[0])[: len(COHORT_COLUMNS)] == list(COHORT_COLUMNS)
    assert [r["session"] for r in table] == [f"{n}.nwb" for n in SESSIONS for _ in range(6)]
    for row, from_csv in zip(table, rows):
        doc = docs[Path(row["session"]).stem]
        verdict = doc["rhythms"][row["population"]][row["band"]]
        assert row["verdict"] == from_csv["verdict"] == verdict["verdict"]
        assert row["section"] is None and from_csv["section"] == ""
        assert row["path"] == doc["input"]["path"]
        assert [row["band_low"], row["band_high"]] == doc["parameters"]["bands"][row["band"]]
        for column, value in (("peak_hz", verdict["peak_hz"]), ("p_peak", verdict["p_peak_holm"]),
                              ("p_independent", verdict["p_independent_holm"]),
                              ("power_ratio", verdict["power_ratio"])):
            assert row[column] == value and (from_csv[column] == "" if value is None else
                                             float(from_csv[column]) == value), column
        for index, entry in doc["synchrony"][row["population"]].items():
            for suffix, key in (("", "value"), ("_chance", "chance"), ("_z", "z"), ("_p", "p")):
                got = row[index + suffix]
                assert got == entry[key] or (got is None and entry[key] is None), (index, key)
                assert float(from_csv[index + suffix]) == got if got is not None else from_csv[index + suffix] == ""
    # The library gives the same rows from the reports (what a notebook calls).
    assert cohort_table(docs.values()) == table
    gamma = {r["session"]: r["peak_hz"] for r in table if r["population"] == "all" and r["band"] == "gamma"}
    assert abs(gamma["s0.nwb"] - 40.0) <= 2.0 and abs(gamma["s2.nwb"] - 40.0) <= 2.0


def test_resume_recomputes_only_the_missing_sessions(study, tmp_path):
    root, folder = study["root"], tmp_path / "resume"
    os.rename(root / "serial", folder)  # the serial run's reports (the other tests' are left alone)
    kept = (folder / "synchro-report-s0" / "report.json").stat()
    (folder / "synchro-report-s1").rename(tmp_path / "s1-elsewhere")  # never written
    # What a run killed while writing s2 leaves: its claimed folder, empty, its lock and its temporary folder.
    shutil.rmtree(folder / "synchro-report-s2")
    (folder / "synchro-report-s2").mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid is free
    (folder / ".synchro-report-s2.synchro-lock").symlink_to(f"{socket.gethostname()}:{dead.pid}")
    (folder / ".synchro-report-s2.abcd1234.tmp").mkdir()
    (folder / ".synchro-report-s2.abcd1234.tmp" / "report.json").write_text("{")
    proc = synchro("analyze", f"{study['data']}/s*.nwb", "-o", folder, "--workers", "1", *FAST, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Cohort: 3 sessions, 2 analysed on local (1 worker), 1 found complete, 0 failed" in proc.stdout
    assert f"{study['data'] / 's0.nwb'}: a complete report was found; not analysed again" in proc.stdout
    assert sorted(p.name for p in folder.iterdir()) == \
        ["synchro-cohort.csv", "synchro-cohort.parquet", *(f"synchro-report-{n}" for n in SESSIONS)]
    after = (folder / "synchro-report-s0" / "report.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)  # s0 was not recomputed
    docs = reports(folder)
    previous = json.loads((tmp_path / "s1-elsewhere" / "report.json").read_text())
    assert numbers(docs["s1"]) == numbers(previous)  # recomputed, the same numbers
    assert docs["s1"]["generator"]["created"] != previous["generator"]["created"]
    table = pq.read_table(folder / "synchro-cohort.parquet").to_pylist()
    assert table == cohort_table(docs.values())  # the found report feeds the table like the computed ones

    # --overwrite recomputes the complete one too; other options are refused for that session only (exit 2).
    proc = synchro("analyze", study["data"] / "s0.nwb", study["data"] / "s1.nwb", "-o", folder, "--seed", "3",
                   "--scheduler", "serial", *FAST, cwd=root)
    assert proc.returncode == 2
    assert proc.stderr.count("holds a report made with other --seed; pass --overwrite") == 2, proc.stderr
    assert "No session to tabulate" in proc.stdout
    assert pq.read_table(folder / "synchro-cohort.parquet").to_pylist() == table  # left as it was
    proc = synchro("analyze", study["data"] / "s0.nwb", study["data"] / "s1.nwb", "-o", folder, "--seed", "3",
                   "--overwrite", "--scheduler", "serial", *FAST, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "Cohort: 2 sessions, 2 analysed here, one after the other, 0 found complete, 0 failed" in proc.stdout
    assert {doc["parameters"]["seed"] for doc in reports(folder, ("s0", "s1")).values()} == {3}
    assert {r["session"] for r in pq.read_table(folder / "synchro-cohort.parquet").to_pylist()} == {"s0.nwb", "s1.nwb"}


def test_cohort_figure_colours_each_verdict_and_keeps_its_legend_in_the_picture(study, tmp_path):
    """The figure of :func:`write_cohort` (the tests above run without figures): a cell per session, population
    and band in its verdict's colour, the legend beside the cells inside the picture (constrained layout made room
    for it), and the PNG that matplotlib's constrained layout gives when it runs at every save, which the writer
    computes once for both files."""
    import io as bytes_io

    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    from synchro.report.cohort import _VERDICT_COLORS, plot_cohort, write_cohort

    rows = cohort_table(reports(study["root"] / "dask").values())
    verdicts = {r["verdict"] for r in rows}
    assert {"present", "absent"} <= verdicts  # the study's gamma sessions and its flat one
    written = write_cohort(rows, tmp_path)
    assert sorted(written) == ["csv", "parquet", "png", "svg"] and all(p.stat().st_size > 0 for p in written.values())
    image = plt.imread(written["png"])[..., :3]
    # 6 cells (3 populations x 2 bands) across, 3 sessions down: (3.6 + 6) x (1.3 + 3 x 0.35) inches at 100 dpi.
    assert image.shape[:2] == (235, 960)

    ax = plot_cohort(rows)
    fig = ax.figure
    again = bytes_io.BytesIO()
    fig.savefig(again, format="png", dpi=100)  # the layout engine still on: it runs at this save
    x1 = ax.get_window_extent().x1  # where the cells end, in pixels from the left (dpi 100), after that layout
    plt.close(fig)
    again.seek(0)
    assert np.array_equal(plt.imread(again)[..., :3], image)

    def shows(region, colour):
        return bool(np.all(np.abs(region - np.array(to_rgb(colour))) < 2 / 255, axis=-1).any())

    cells, legend = image[:, : int(x1)], image[:, int(x1) + 1:]
    for verdict in ("present", "broadband", "absent"):
        assert shows(cells, _VERDICT_COLORS[verdict]) == (verdict in verdicts), verdict
        assert shows(legend, _VERDICT_COLORS[verdict]), verdict  # every verdict's patch, inside the picture


def test_cohort_table_rows_of_sections_and_missing_values():
    doc = {"input": {"name": "x.nwb", "path": "/d/x.nwb"}, "parameters": {"bands": {"gamma": [30.0, 80.0]}},
           "rhythms": {"all": {"gamma": {"verdict": "undetermined", "peak_hz": None, "power_ratio": None,
                                         "p_peak_holm": None, "p_independent_holm": None}}},
           "synchrony": {"all": {"chi": {"value": 0.5, "chance": 0.1, "z": None, "p": 0.05}}},
           "sections": [{"label": "sleep", "rhythms": {"exc": {"gamma": {
               "verdict": "present", "peak_hz": 41.0, "power_ratio": 3.0, "p_peak_holm": 0.01,
               "p_independent_holm": 0.02}}}, "synchrony": {"exc": {"fano": {"value": 2.0, "chance": 1.0,
                                                                              "z": 4.0, "p": 0.05}}}}]}
    rows = cohort_table([doc])
    assert [(r["section"], r["population"], r["verdict"]) for r in rows] == \
        [(None, "all", "undetermined"), ("sleep", "exc", "present")]
    assert rows[0]["chi"] == 0.5 and rows[0]["chi_z"] is None and rows[0]["fano"] is None
    assert rows[1]["fano_z"] == 4.0 and rows[1]["chi"] is None and rows[1]["peak_hz"] == 41.0
    assert all(not (isinstance(v, float) and math.isnan(v)) for r in rows for v in r.values())


def test_a_complete_report_of_a_url_is_found_again_for_that_url(study, tmp_path):
    """Resume compares the input a report names with the session's: a report read from a URL records
    ``input.url`` and no ``path`` (schema 3.2), so the URL itself is compared (it was refused as another
    input's before). The report is a real one of the study, as its URL twin would have it."""
    from synchro.cli.cohort import claim_session
    from synchro.report import parse_bands

    url = "https://example.org/data/s0.nwb"
    doc = reports(study["root"] / "dask", ("s0",))["s0"]
    doc["input"] = {k: v for k, v in doc["input"].items() if k not in ("path", "sha256")}
    doc["input"].update(url=url, bytes_read=doc["input"]["bytes"])
    folder = tmp_path / "synchro-report-s0"
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(doc))
    options = {"bands": parse_bands("alpha=8-13,gamma=30-80"), "n_surrogates": 40, "synchrony_surrogates": 2,
               "rng": 0, "population_column": "population"}
    found = claim_session(folder, url, [url], overwrite=False, options=options)
    assert found["found"] is True and found["report"] == doc


def test_the_workers_server_gets_one_thread_and_the_caller_keeps_its_environment(tmp_path):
    """A cohort's LocalCluster workers are forked from a server started with dask's one BLAS and OpenMP thread; the
    command (or a notebook's kernel) that starts it keeps its own environment, so that what it starts later is not
    held to one thread. Before, the caller's environment kept OMP_NUM_THREADS=1 and the rest for good."""
    probe = tmp_path / "probe.py"  # a file: the forkserver's process imports the target's module
    probe.write_text(
        "import json, multiprocessing as mp, os\n"
        "from synchro.cluster import ONE_THREAD, start_forkserver\n"
        "def server_env(queue):\n"
        "    queue.put({k: os.environ.get(k) for k in ONE_THREAD})\n"
        "if __name__ == '__main__':\n"
        "    start_forkserver([])\n"
        "    ctx = mp.get_context('forkserver')\n"
        "    queue = ctx.Queue()\n"
        "    p = ctx.Process(target=server_env, args=(queue,))\n"
        "    p.start()\n"
        "    forked = queue.get(timeout=60)\n"
        "    p.join()\n"
        "    print(json.dumps([{k: os.environ.get(k) for k in ONE_THREAD}, forked]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, str(probe)], env=env, capture_output=True, text=True, check=True,
                         timeout=120, cwd=tmp_path).stdout
    caller, forked = json.loads(out)
    assert caller == {"OMP_NUM_THREADS": None, "MKL_NUM_THREADS": None, "OPENBLAS_NUM_THREADS": "2"}
    assert forked == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
