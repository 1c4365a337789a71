"""Nothing lost, nothing left behind (issue 14): report folders under concurrency, kills and bad batches.

Every test runs the real command line in subprocesses on real files: several
runs racing for one report folder, a folder made at the target while a run
writes, unwritable outputs, batches mixing good and bad files, sweeps rerun
with another grid or a bad time step, and runs killed (SIGKILL) at random
moments drawn from fixed seeds, after which the next run must complete and
leave nothing but its results.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from synchro import Recording, SpikeData, io

ENV = {**os.environ, "MPLBACKEND": "Agg"}
FAST = ("--surrogates", "40", "--no-figures", "-q")
# The smallest sweep that the run metrics accept (0.2 s discarded, a 0.1 s onset window): 20 neurons for 0.3 s.
SWEEP = ("sweep", "izhikevich2003", "--scheme", "euler", "--n", "20", "--duration", "0.3", "--seeds", "1",
         "--surrogates", "40", "--scheduler", "serial", "--no-figures", "-q")


def synchro(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synchro", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=ENV)


def start(*args, cwd) -> subprocess.Popen:
    # A run killed here cannot delete what Brian2 keeps in the temporary folder while it runs (its debug log and
    # a copy of the script, removed at exit): they go to a folder beside ``cwd``, under pytest's temporary root
    # (which pytest prunes), not to /tmp.
    scratch = Path(cwd).parent / f"{Path(cwd).name}-tmp"
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "synchro", *map(str, args)], cwd=cwd,
                            env={**ENV, "TMPDIR": str(scratch)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr


def leftovers(parent: Path, keep=()) -> list[str]:
    """Entries of ``parent`` other than ``keep`` and the inputs: locks, temporary or claimed folders."""
    return sorted(p.name for p in parent.iterdir() if p.name not in keep)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """20 Poisson units at 10 Hz over 5 s as NPZ and CSV, a CSV with a wrong header, a missing file's path."""
    d = tmp_path_factory.mktemp("data")
    gen = np.random.default_rng(14)
    spikes = SpikeData.from_trains([np.sort(gen.uniform(0, 5, gen.poisson(50))) for _ in range(20)], t_stop=5.0)
    out = {"npz": Path(io.write_npz(Recording(spikes), d / "small.npz")),
           "csv": Path(io.write_csv(spikes, d / "good.csv")), "bad": d / "bad.csv", "missing": d / "gone.npz"}
    out["bad"].write_text("not,a,spike,file\n1,2\n")
    return out


def test_concurrent_runs_on_one_target_exactly_one_wins(data, tmp_path):
    """Six runs launched together on one -o: one report, five refusals naming the existing folder, no debris."""
    procs = [start("analyze", data["npz"], "-o", "race/X", *FAST, cwd=tmp_path) for _ in range(6)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2, 2, 2, 2], results
    for code, err in results:
        if code:
            assert "exists" in one_line(err)
    assert json.loads((tmp_path / "race" / "X" / "report.json").read_text())["input"]["name"] == "small.npz"
    assert leftovers(tmp_path / "race") == ["X"]


def test_a_folder_made_at_the_target_while_a_run_writes_survives(data, tmp_path):
    """Another program fills the target while the run builds its report under a temporary name: the run fails
    (exit 2) and the other program's file survives, byte for byte."""
    proc = start("analyze", data["npz"], "-o", "race/X", "--surrogates", "40", "-q", cwd=tmp_path)
    race = tmp_path / "race"
    while proc.poll() is None and not list(race.glob(".X.*.tmp")):
        time.sleep(0.001)
    assert proc.poll() is None, "the run ended before its temporary folder was seen"
    (race / "X").mkdir(exist_ok=True)  # the run's empty claimed folder is there: mkdir alone would fail
    (race / "X" / "precious.txt").write_text("thesis")
    assert proc.wait(timeout=300) == 2
    assert "left untouched" in one_line(proc.stderr.read())
    assert [p.name for p in (race / "X").iterdir()] == ["precious.txt"]
    assert (race / "X" / "precious.txt").read_text() == "thesis"
    assert leftovers(race) == ["X"]


def test_output_location_is_checked_before_any_analysis(data, tmp_path):
    # With an invalid input (exit 4 once read), exit 2 shows that the output was refused before reading.
    for target, message in [("/proc/x", "cannot write in the folder /proc"),
                            (data["npz"] / "x", "cannot create the folder")]:
        proc = synchro("analyze", data["bad"], "-o", target, *FAST, cwd=tmp_path)
        assert proc.returncode == 2 and message in one_line(proc.stderr), proc.stderr
    if os.geteuid() != 0:  # root writes into read-only folders
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        proc = synchro("analyze", data["bad"], "-o", ro / "x", *FAST, cwd=tmp_path)
        assert proc.returncode == 2 and "cannot write in the folder" in one_line(proc.stderr)
    # Missing parents are created (a convenience, as mkdir -p).
    proc = synchro("analyze", data["npz"], "-o", "out/deeper/x", *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "deeper" / "x" / "report.json").is_file()
    assert leftovers(tmp_path / "out" / "deeper") == ["x"]


def test_overwrite_replaces_synchro_reports_only_and_dead_runs_are_cleaned(data, tmp_path):
    """A stale lock, the empty folder and the temporary folder of a dead run are removed by the next run; a live
    run's lock is respected; --overwrite never replaces a folder whose report.json is not synchro's."""
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid is free
    host = socket.gethostname()
    (tmp_path / ".X.synchro-lock").symlink_to(f"{host}:{dead.pid}")
    (tmp_path / "X").mkdir()
    (tmp_path / ".X.abcd1234.tmp").mkdir()
    (tmp_path / ".X.abcd1234.tmp" / "report.json").write_text("{")
    proc = synchro("analyze", data["npz"], "-o", "X", *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert leftovers(tmp_path) == ["X"] and (tmp_path / "X" / "report.json").is_file()

    # A lock held by a live process (this one) is not broken, even with --overwrite.
    (tmp_path / ".Y.synchro-lock").symlink_to(f"{host}:{os.getpid()}")
    proc = synchro("analyze", data["npz"], "-o", "Y", "--overwrite", *FAST, cwd=tmp_path)
    assert proc.returncode == 2 and f"synchro process {os.getpid()}" in one_line(proc.stderr)
    assert os.readlink(tmp_path / ".Y.synchro-lock") == f"{host}:{os.getpid()}" and not (tmp_path / "Y").exists()
    (tmp_path / ".Y.synchro-lock").unlink()

    foreign = tmp_path / "Z"
    foreign.mkdir()
    (foreign / "report.json").write_text('{"schema_version": "1", "generator": {"program": "other"}}')
    proc = synchro("analyze", data["npz"], "-o", foreign, "--overwrite", *FAST, cwd=tmp_path)
    assert proc.returncode == 2 and "not a report folder" in one_line(proc.stderr)
    assert json.loads((foreign / "report.json").read_text())["generator"]["program"] == "other"
    proc = synchro("analyze", data["csv"], "-o", "X", "--overwrite", *FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "X" / "report.json").read_text())["input"]["format"] == "csv"
    assert leftovers(tmp_path) == ["X", "Z"]


def test_batch_severity_order():
    from synchro.cli.app import most_severe

    assert most_severe([0, 0]) == 0
    assert most_severe([0, 4, 2]) == 4
    assert most_severe([2, 5]) == 5
    assert most_severe([4, 3, 5]) == 3
    assert most_severe([3, 1, 2]) == 1


def test_a_batch_analyses_every_good_file_and_reports_every_bad_one(data, tmp_path):
    proc = synchro("analyze", data["bad"], data["csv"], data["missing"], data["npz"], "-o", "out", "--scheduler",
                   "serial", *FAST, cwd=tmp_path)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 3, proc.stderr  # unreadable (3) outranks invalid (4)
    assert len(lines) == 2 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"synchro: error: {data['bad']}: ") and "unit_id" in lines[0]
    assert lines[1].startswith(f"synchro: error: {data['missing']}: ") and "does not exist" in lines[1]
    assert leftovers(tmp_path / "out") == ["synchro-cohort.csv", "synchro-cohort.parquet", "synchro-report-good",
                                           "synchro-report-small"]
    for name in ("good", "small"):
        assert (tmp_path / "out" / f"synchro-report-{name}" / "report.json").is_file()

    # Rerun: the complete report is found, not recomputed; the missing one is; the bad file is still reported (4).
    (tmp_path / "out" / "synchro-report-small").rename(tmp_path / "moved")
    kept = (tmp_path / "out" / "synchro-report-good" / "report.json").stat().st_mtime_ns
    proc = synchro("analyze", data["bad"], data["csv"], data["npz"], "-o", "out", "--scheduler", "serial", *FAST,
                   cwd=tmp_path)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 4 and len(lines) == 1 and "unit_id" in lines[0], proc.stderr
    assert (tmp_path / "out" / "synchro-report-small" / "report.json").is_file()
    assert (tmp_path / "out" / "synchro-report-good" / "report.json").stat().st_mtime_ns == kept


def _sweep_table(folder: Path) -> list[str]:
    return (folder / "runs.csv").read_text().splitlines()


def test_sweep_checks_its_grid_before_writing_and_never_mixes_grids(tmp_path):
    out = tmp_path / "s"
    proc = synchro(*SWEEP, "--dt", "1,3", "-o", out, cwd=tmp_path)  # 3 ms does not divide the 1 ms pulse
    assert proc.returncode == 2 and "dt_ms must divide 1 ms" in one_line(proc.stderr)
    assert leftovers(tmp_path) == []  # no sweep.json, no points folder, no lock

    assert synchro(*SWEEP, "--dt", "1", "-o", out, cwd=tmp_path).returncode == 0
    first = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = synchro(*SWEEP, "--dt", "0.5", "-o", out, cwd=tmp_path)
    assert proc.returncode == 2 and "--overwrite" in one_line(proc.stderr)
    proc = synchro(*SWEEP, "--dt", "1,3", "-o", out, cwd=tmp_path)  # a bad rerun leaves the folder as it was
    assert proc.returncode == 2 and "dt_ms must divide 1 ms" in one_line(proc.stderr)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first

    proc = synchro(*SWEEP, "--dt", "0.5", "-o", out, "--overwrite", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = _sweep_table(out)
    header = rows[0].split(",")
    assert len(rows) == 2 and rows[1].split(",")[header.index("dt_ms")] == "0.5"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_points"] == 1 and len(list((out / "points").glob("*.json"))) == 1
    assert json.loads((out / "sweep.json").read_text())["grid"]["dt_ms"] == [0.5]
    assert leftovers(tmp_path) == ["s"]


def _kill_at(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; False when it had already finished."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def test_killed_runs_leave_nothing_that_the_next_run_does_not_clean(data, tmp_path):
    """SIGKILL at moments drawn from a fixed seed, through start-up, analysis and writing; each next run
    completes and leaves only its results: no lock, no temporary or empty claimed folder, no temporary file."""
    gen = np.random.default_rng(1414)
    # The delays span each command's run on an idle machine (analyze: claim at ~1 s, writing from ~1.8 s, done
    # by ~2.5 s; sweep: lock at ~1 s, points written at ~2.8 and ~3.1 s).
    interrupted = []
    for trial, delay in enumerate(gen.uniform(0.3, 2.5, 3)):
        work = tmp_path / f"analyze{trial}"
        work.mkdir()
        killed = _kill_at(start("analyze", data["npz"], "-o", "X", "--surrogates", "40", "-q", cwd=work), delay)
        interrupted.append(killed)
        # A kill can land after the report was swapped into place (while the run releases its lock): the report
        # is then complete, and replacing it needs --overwrite like any finished report.
        complete = (work / "X" / "report.json").is_file()
        again = synchro("analyze", data["npz"], "-o", "X", "--surrogates", "40", "-q",
                        *(("--overwrite",) if complete else ()), cwd=work)
        assert again.returncode == 0, (delay, again.stderr)
        assert leftovers(work) == ["X"], delay
        assert sorted(p.name for p in (work / "X").iterdir()) == ["figures", "report.html", "report.json",
                                                                 "summary.txt"]
    for trial, delay in enumerate(gen.uniform(0.8, 3.2, 3)):
        work = tmp_path / f"sweep{trial}"
        work.mkdir()
        interrupted.append(_kill_at(start(*SWEEP, "--dt", "1,0.5", "-o", "S", cwd=work), delay))
        again = synchro(*SWEEP, "--dt", "1,0.5", "-o", "S", cwd=work)
        assert again.returncode == 0, (delay, again.stderr)
        assert leftovers(work) == ["S"], delay
        assert sorted(p.name for p in (work / "S").iterdir()) == ["points", "runs.csv", "summary.json", "sweep.json"]
        assert len(list((work / "S" / "points").iterdir())) == 2
    assert any(interrupted[:3]) and any(interrupted[3:]), interrupted  # the kills did cut runs short
