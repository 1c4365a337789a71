"""Inputs at the edge (issue 14): undefined statistics, special files, exact ids, encodings and names.

Each test writes real files (numpy, plain text, os.mkfifo) and runs the command
line on them: in a subprocess with a timeout where the failure would be a hang,
in process (click's runner) otherwise.
"""

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from synchro.cli import main
from synchro.errors import InvalidDataError
from synchro.io import read, read_csv

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--surrogates", "40", "--no-figures", "--format", "json", "-q"]


def analyze(path, out, *options):
    """Run ``synchro analyze`` in process; return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["analyze", str(path), "-o", str(out), *map(str, options)])
    return result.exit_code, result.stdout, result.stderr


def analyze_subprocess(path, out, *options, timeout=120):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "synchro", "analyze", str(path), "-o", str(out), *options],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _reasons(doc, text):
    return [s for s in doc["skipped"] if text in s["reason"]]


# Case 2: undefined statistics -------------------------------------------------------------------------------

def test_one_spike_gives_no_verdict(tmp_path):
    np.savez(tmp_path / "one.npz", spike_times=[0.5], unit_index=[0], t_start=0.0, t_stop=10.0)
    code, out, err = analyze(tmp_path / "one.npz", tmp_path / "r", *FAST)
    assert code == 0, err
    doc = json.loads(out)
    for band, v in doc["rhythms"]["all"].items():
        # Was "present", p(Holm) = 0.010: a NaN statistic never lost against a surrogate.
        assert v["verdict"] == "undetermined" and v["present"] is False, band
        assert v["reason"].startswith("too few spikes (1;")
        assert v["p_peak"] is None and v["p_peak_holm"] is None and v["p_independent"] is None
    assert doc["synchrony"] == {} and _reasons(doc, "needs at least 2 units")


def test_one_unit_has_no_synchrony_and_no_independence_test(tmp_path):
    times = np.sort(np.random.default_rng(4).uniform(0.0, 10.0, 200))
    np.savez(tmp_path / "unit.npz", spike_times=times, unit_index=np.zeros(200, int), t_start=0.0, t_stop=10.0)
    code, out, err = analyze(tmp_path / "unit.npz", tmp_path / "r", *FAST)
    assert code == 0, err
    doc = json.loads(out)
    for v in doc["rhythms"]["all"].values():
        assert v["single_unit"] is True and v["p_independent"] is None
        # A single-unit verdict rests on the peak test alone, and on a number: a defined p-value and peak.
        assert v["reason"] == "one unit: single-unit rhythmicity, no independence test"
        assert 0 < v["p_peak"] <= 1 and v["peak_hz"] is not None
    assert doc["synchrony"] == {} and _reasons(doc, "needs at least 2 units")


def test_all_units_silent_but_one_leaves_pairwise_synchrony_undetermined(tmp_path):
    times = np.sort(np.random.default_rng(5).uniform(0.0, 10.0, 200))
    np.savez(tmp_path / "silent.npz", spike_times=times, unit_index=np.zeros(200, int), unit_id=np.arange(5),
             t_start=0.0, t_stop=10.0)
    code, out, err = analyze(tmp_path / "silent.npz", tmp_path / "r", *FAST)
    assert code == 0, err
    doc = json.loads(out)
    sync = doc["synchrony"]["all"]
    # SPIKE-sync and spike contrast said 0.000 and STTC null without a reason: values of nothing compared.
    for key in ("chi", "sttc", "spike_sync", "spike_contrast"):
        assert sync.get(key) is None, key
    assert _reasons(doc, "undetermined: 1 of 5 units have spikes")
    assert np.isfinite(sync["fano"]["value"])  # one train has a Fano factor
    for v in doc["rhythms"]["all"].values():
        # Circular shifts of one train leave the spectrum as it is: no independence test, as for one unit.
        assert v["single_unit"] is True and v["p_independent"] is None


def test_one_spike_with_a_field_gives_no_phase_locking(tmp_path):
    t = np.arange(10_000) / 1000.0
    np.savez(tmp_path / "lfp.npz", spike_times=[0.5, 5.5], unit_index=[0, 1], t_start=0.0, t_stop=10.0,
             signal_LFP_data=1e-4 * np.sin(2 * np.pi * 10 * t), signal_LFP_fs=1000.0, signal_LFP_units="V")
    code, out, err = analyze(tmp_path / "lfp.npz", tmp_path / "r", *FAST, "--population-column", "id")
    assert code == 0, err
    doc = json.loads(out)
    per_unit = [pop for pop in doc["coupling"] if pop != "all"]
    assert per_unit, doc["coupling"]
    for pop in per_unit:
        for band, c in doc["coupling"][pop].items():
            assert c["n_spikes"] <= 1
            assert c["plv"] is None and c["ppc"] is None and c["preferred_phase"] is None, (pop, band)
    assert _reasons(doc, "phase locking needs at least 2")


def test_absurd_bounds_are_invalid_data_not_a_crash(tmp_path):
    # Found by the property test: t_stop=1e20 overflowed the binning (exit 1); a huge t_stop is a unit mix-up.
    (tmp_path / "far.csv").write_text("# t_stop=100000000000000000000\nunit_id,spike_time\n0,0.5\n1,0.7\n")
    code, _, err = analyze(tmp_path / "far.csv", tmp_path / "r", *FAST)
    assert code == 4 and "synchro analyses at most" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


# Case 3: special files fail at once ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_special_files_exit_3_at_once(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "f.nwb"
        os.mkfifo(path)  # opened for reading, it would block until a writer appears: forever
    else:
        path = tmp_path / "zero.csv"
        path.symlink_to("/dev/zero")  # read line by line, it never ends (MemoryError after minutes)
    t0 = time.monotonic()
    proc = analyze_subprocess(path, tmp_path / "r", "-q", timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert time.monotonic() - t0 < 30
    assert proc.stderr.count("\n") == 1 and "is not a regular file" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_symlink_loop_and_dangling_symlink_say_what_they_are(tmp_path):
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    code, _, err = analyze(tmp_path / "loop.csv", tmp_path / "r")
    assert code == 3 and "is a symlink loop" in err and "does not exist" not in err
    (tmp_path / "gone.csv").symlink_to(tmp_path / "nothing.csv")
    code, _, err = analyze(tmp_path / "gone.csv", tmp_path / "r")
    assert code == 3 and "is a symlink to" in err and "which does not exist" in err


@contextlib.contextmanager
def _as_nobody():
    """Run the block with the effective uid of ``nobody`` when root (root reads files whatever their permissions,
    so the case would not exist); the real uid stays root, so the block ends as root again."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_unreadable_file_exits_3():
    # Outside pytest's private tmp folder (0700, root's): the effective user must reach the file and the output.
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o777)
        path = folder / "locked.csv"
        path.write_text("# t_stop=2\nunit_id,spike_time\n1,0.5\n")
        (folder / "readable.csv").write_text(path.read_text())
        path.chmod(0)
        # The same command on a readable copy first, as the real user: it loads every module the command imports
        # lazily (nobody may not read the interpreter's library when it lives in root's home).
        assert analyze(folder / "readable.csv", folder / "warm-up", *FAST)[0] == 0
        with _as_nobody():
            code, _, err = analyze(path, folder / "r")
        # Was exit 2: click's own readability check made it a usage error.
        assert code == 3 and "is not readable (permission denied)" in err and err.count("\n") == 1
        assert not (folder / "r").exists()
    finally:
        shutil.rmtree(folder)


# Case 5 and 7: exact ids, encodings --------------------------------------------------------------------------

def _csv_text(ids, times, t_stop=2.0):
    return f"# t_start=0.0\n# t_stop={t_stop}\nunit_id,spike_time\n" + "".join(f"{u},{t!r}\n" for u, t in
                                                                              zip(ids, times))


def test_large_csv_unit_ids_are_read_exactly(tmp_path):
    big = 2**53 + 1  # float64 rounds it to 2**53: two units, one id wrong
    ids = [big, big + 1, big, big + 1, 2**62]
    (tmp_path / "ids.csv").write_text(_csv_text(ids, [0.1, 0.2, 0.3, 0.4, 0.5]))
    rec = read_csv(tmp_path / "ids.csv")
    assert rec.spikes.units["id"].tolist() == [big, big + 1, 2**62]
    assert np.diff(rec.spikes.offsets).tolist() == [2, 2, 1]


def test_float_written_unit_ids_are_accepted_only_when_exact(tmp_path):
    (tmp_path / "f.csv").write_text(_csv_text(["3.0", "7.0", "3.0"], [0.1, 0.2, 0.3]))
    assert read_csv(tmp_path / "f.csv").spikes.units["id"].tolist() == [3, 7]
    (tmp_path / "g.csv").write_text(_csv_text(["9007199254740993.0", "3"], [0.1, 0.2]))
    with pytest.raises(InvalidDataError, match="2\\*\\*53"):
        read_csv(tmp_path / "g.csv")


def test_utf8_bom_csv_reads_like_the_plain_file(tmp_path):
    text = _csv_text([1, 2, 1, 2], [0.1, 0.25, 0.5, 1.5])
    (tmp_path / "plain.csv").write_text(text, encoding="utf-8")
    (tmp_path / "excel.csv").write_text(text, encoding="utf-8-sig")  # Excel's "CSV UTF-8"
    assert (tmp_path / "excel.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    a, b = read(tmp_path / "plain.csv").spikes, read(tmp_path / "excel.csv").spikes
    assert np.array_equal(a.times, b.times) and np.array_equal(a.offsets, b.offsets)
    assert (a.t_start, a.t_stop) == (b.t_start, b.t_stop) == (0.0, 2.0)
    # And when the header line itself is first (no comment lines), with the bounds given on the command line.
    (tmp_path / "bare.csv").write_text("unit_id,spike_time\n1,0.1\n2,0.2\n", encoding="utf-8-sig")
    assert read(tmp_path / "bare.csv", t_stop=1.0).spikes.n_spikes == 2


def test_csv_header_reading_is_bounded(tmp_path):
    (tmp_path / "long.csv").write_text("x" * 200_000)  # one line, no newline: not a spike CSV
    with pytest.raises(InvalidDataError, match="longer than"):
        read_csv(tmp_path / "long.csv")


# Case 4 and 7: names from the data are plain text ---------------------------------------------------------------

def test_population_names_are_plain_text_in_every_figure(tmp_path):
    gen = np.random.default_rng(11)
    times = np.sort(gen.uniform(0.0, 4.0, 600))
    units = gen.integers(0, 4, 600)
    names = np.array(["$x^$", "a\x00b", "$x^$", "c\x01d_%"])  # mathtext that does not parse; NUL; controls
    np.savez(tmp_path / "names.npz", spike_times=times, unit_index=units, t_start=0.0, t_stop=4.0,
             unit_population=names)
    before = hashlib.sha256((tmp_path / "names.npz").read_bytes()).hexdigest()
    out = tmp_path / "r"
    code, _, err = analyze(tmp_path / "names.npz", out, "--surrogates", "40", "-q")
    # Was exit 1 after the whole analysis, with a multi-line mathtext parse error.
    assert code == 0 and err == "", err
    svgs = sorted((out / "figures").glob("*.svg"))
    assert {p.stem for p in svgs} >= {"raster", "rates", "spectra"}
    for svg in svgs:
        ET.parse(svg)  # a NUL in a name made the SVG invalid XML
    raster = (out / "figures" / "raster.svg").read_text()
    assert "<!-- $x^$ -->" in raster and "<!-- ab -->" in raster  # shown literally, controls removed
    for name in ("report.html", "summary.txt"):
        text = (out / name).read_text()
        assert not any(ch in text for ch in "\x00\x01"), name
    assert hashlib.sha256((tmp_path / "names.npz").read_bytes()).hexdigest() == before
