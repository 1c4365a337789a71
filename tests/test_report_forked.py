"""The report's second core: synchrony indices and half the figures in a forked child give the numbers and the
pixels of one process, and a child that fails leaves its work to the parent."""

import functools
import os
import signal
import subprocess
import sys
import threading
import time
import warnings

import pytest
from test_cli import planted_recording

from synchro import Recording, synchrony
from synchro.report import _analyses, _forked, build_report, write_report
from synchro.report.figures import EARLY_FIGURES, FORKED_FIGURES

pytestmark = pytest.mark.skipif(not _forked.can_fork(), reason="forks on Linux with two cores only")

RUN_KEYS = ("timings", "generator")  # the run's own description: seconds and date


@pytest.fixture(scope="module")
def session():
    rec = planted_recording()
    clean, _ = rec.spikes.curated()
    return Recording(clean, dict(rec.signals))


def _numbers(report) -> dict:
    return {k: v for k, v in report.to_dict().items() if k not in RUN_KEYS}


def _counting_forks(monkeypatch) -> list:
    forks = []
    real = os.fork

    def counted():
        pid = real()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return forks


@pytest.fixture(scope="module")
def serial(session, tmp_path_factory):
    """The report and its figures computed in one process (SYNCHRO_NO_FORK)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNCHRO_NO_FORK", "1")
        forks = _counting_forks(mp)
        report = build_report(session, n_surrogates=49, rng=11)
        folder = write_report(report, tmp_path_factory.mktemp("serial") / "out")
    assert forks == []
    return report, folder


def _same_pngs(a, b) -> list[str]:
    names = sorted(p.name for p in (a / "figures").glob("*.png"))
    assert names == sorted(p.name for p in (b / "figures").glob("*.png")) and len(names) == 7
    return [n for n in names if (a / "figures" / n).read_bytes() != (b / "figures" / n).read_bytes()]


def test_forked_analyses_and_figures_equal_one_process(session, serial, tmp_path, monkeypatch):
    forks = _counting_forks(monkeypatch)
    here = []  # spike contrast's calls in this process (the child's calls count in the child's copy)
    real = synchrony.spike_contrast

    @functools.wraps(real)
    def counted(*args, **kwargs):
        here.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(synchrony, "spike_contrast", counted)
    report = build_report(session, n_surrogates=49, rng=11)
    assert len(forks) == 1 and here == []  # the synchrony indices were computed by the child only
    assert _numbers(report) == _numbers(serial[0])
    assert {key for key in report.results if key[0] in _analyses.FORKED_ANALYSES} == \
        {(a, p) for a in _analyses.FORKED_ANALYSES for p in ("all", "exc", "inh")}
    folder = write_report(report, tmp_path / "out")
    assert len(forks) == 2  # and the figures' child
    assert set(FORKED_FIGURES) < {p.stem for p in (folder / "figures").glob("*.png")}
    assert _same_pngs(folder, serial[1]) == []


def test_figures_drawn_early_by_the_child_are_those_of_one_process(session, serial, tmp_path, monkeypatch):
    forks = _counting_forks(monkeypatch)
    report = build_report(session, n_surrogates=49, rng=11, figures=True)
    assert len(forks) == 1 and sorted(report.drawn) == sorted(EARLY_FIGURES)  # drawn beside the other analyses
    assert _numbers(report) == _numbers(serial[0])
    folder = write_report(report, tmp_path / "out")
    assert len(forks) == 2 and _same_pngs(folder, serial[1]) == []
    monkeypatch.setenv("SYNCHRO_NO_FORK", "1")
    assert build_report(session, n_surrogates=49, rng=11, figures=True).drawn == {}  # one process draws at the end


def test_the_child_imports_no_scipy():
    """The child computes the synchrony indices while the report's process imports scipy's signal, stats, special,
    fft and ndimage (about half a second) for the rhythms: the command line, the report, the reader and the
    synchrony indices must not import them, or the child pays for them too."""
    code = """
import sys
import numpy as np
import synchro.cli, synchro.report
from synchro import SpikeData, synchrony
rng = np.random.default_rng(0)
data = SpikeData.from_trains([np.sort(rng.uniform(0, 5, 40)) for _ in range(6)], t_start=0, t_stop=5)
for fn in (synchrony.golomb_chi, synchrony.sttc_matrix, synchrony.spike_sync, synchrony.spike_contrast,
           synchrony.population_fano):
    fn(data, n_surrogates=3, rng=1)
print(sorted(m for m in sys.modules if m.startswith("scipy.") and m.split(".")[1] in
             ("signal", "stats", "special", "fft", "ndimage", "sparse", "optimize")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_on_long_sessions_the_child_also_computes_phase_locking(session, serial, monkeypatch):
    # From LONG_SESSION seconds on, phase locking and coherence go to the child too: the parent calls neither, and
    # the numbers are those of one process.
    from synchro import coupling

    here = []
    for name in ("phase_locking", "spike_field_coherence"):
        real = getattr(coupling, name)
        monkeypatch.setattr(coupling, name, functools.wraps(real)(
            lambda *args, _real=real, _name=name, **kwargs: here.append(_name) or _real(*args, **kwargs)))
    monkeypatch.setattr(_analyses, "LONG_SESSION", 1.0)  # the 5 s session counts as long
    report = build_report(session, n_surrogates=49, rng=11)
    assert here == [] and _numbers(report) == _numbers(serial[0])
    assert {key[0] for key in report.results} >= {"phase_locking", "coherence"}


def test_a_child_that_dies_leaves_its_work_to_the_parent(session, serial, tmp_path, monkeypatch):
    real = _forked.fork

    def dying(fn):  # a real fork whose child is killed before it answers
        return real(lambda: os.kill(os.getpid(), signal.SIGKILL))

    monkeypatch.setattr(_forked, "fork", dying)
    monkeypatch.setattr(_analyses, "fork", dying)
    report = build_report(session, n_surrogates=49, rng=11)
    assert _numbers(report) == _numbers(serial[0])
    assert _same_pngs(write_report(report, tmp_path / "out"), serial[1]) == []


def test_a_child_answers_its_value_and_warnings_or_none_when_it_fails():
    def warns():
        warnings.warn("from the child", UserWarning, stacklevel=1)
        return {"pid": os.getpid(), "value": [1.5, None]}

    with pytest.warns(UserWarning, match="from the child"):
        answer = _forked.fork(warns).result()
    assert answer["value"] == [1.5, None] and answer["pid"] != os.getpid()
    assert _forked.fork(lambda: 1 / 0).result() is None
    assert _forked.fork(lambda: os._exit(0)).result() is None  # left without answering
    assert _forked.fork(lambda: (lambda: 0)).result() is None  # an answer that does not pickle
    child = _forked.fork(lambda: time.sleep(60))
    pid = child.pid
    child.cancel()  # a child the parent no longer waits for is stopped and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert child.result() is None


def test_a_child_exits_once_it_has_answered():
    # A large answer (beyond a pipe's 64 KiB) is written whole and the child exits, its memory freed, before the
    # parent asks for it.
    child = _forked.fork(lambda: b"x" * 4_000_000)
    for _ in range(500):
        with open(f"/proc/{child.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, waiting to be reaped
                break
        time.sleep(0.01)
    else:
        pytest.fail("the child is still running 5 s after forking")
    assert child.result() == b"x" * 4_000_000


def test_the_child_forks_only_when_its_working_set_fits(session, monkeypatch):
    # The child's estimated working set: W1's (1000 units x 10 s) and W2's (1000 units x 1 h, 1.87e7 spikes) fit in
    # FORK_MEMORY, three times W2's does not; nor does a child that would take over half the available memory.
    from synchro.report._analyses import CHILD_BYTES, CHILD_BYTES_PER_SPIKE, FORK_MEMORY, fork_fits

    available = _forked.available_memory()
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024  # MemTotal, the first line
    assert 0 < available <= total
    assert CHILD_BYTES + CHILD_BYTES_PER_SPIKE * 18_681_952 < 0.7e9 < FORK_MEMORY
    if available > 1.2e9:
        assert fork_fits(200_000) and fork_fits(18_681_952)
    assert not fork_fits(3 * 18_681_952)
    monkeypatch.setattr(_analyses, "available_memory", lambda: int(2 * CHILD_BYTES))  # a machine short of memory
    assert not fork_fits(session.spikes.n_spikes)
    forks = _counting_forks(monkeypatch)
    report = build_report(session, n_surrogates=40, rng=11)
    assert forks == [] and set(report.to_dict()["synchrony"]["all"]) == {"chi", "sttc", "spike_sync",
                                                                         "spike_contrast", "fano"}


def test_no_fork_when_the_environment_says_so_or_off_linux(monkeypatch):
    monkeypatch.setenv("SYNCHRO_NO_FORK", "1")
    assert _forked.fork(lambda: 1) is None
    monkeypatch.delenv("SYNCHRO_NO_FORK")
    assert _forked.can_fork()
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    try:
        assert not _forked.can_fork()  # another thread may hold a lock the child would wait for forever
    finally:
        waiting.set()
        other.join()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not _forked.can_fork()
