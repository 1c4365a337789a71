"""The light install: ``pip install synchro`` (no extras) analyses recordings; commands that need an extra name it.

A new virtual environment per run would cost a minute of downloads and builds, so the light install is rebuilt
from this one: a folder of links to exactly the distributions that ``pip install synchro`` would install (the
closure of ``[project] dependencies`` in this tree's pyproject.toml, markers evaluated, read from each installed
distribution's own metadata), put on the path of an interpreter started with ``-S`` (no site-packages). Packages
of the extras are then really absent, and importing them fails as it does on a user's machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import synchro.io

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: Packages that only the extras install: importing the analysis must load none of them.
EXTRA_MODULES = ("brian2", "dask", "distributed", "neo", "quantities", "pynapple", "spikeinterface", "pynwb", "hdmf",
                 "pandas", "pyarrow", "remfile")

#: The one line of a missing extra, around its package, extra and use.
MISSING = 'is not installed; install it (pip install "synchro[{}]") to use'


def closure(extras: tuple[str, ...] = ()) -> set[str]:
    """Canonical names of the distributions ``pip install "synchro[extras]"`` installs (synchro itself aside)."""
    wanted = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for extra in extras:
        wanted += [Requirement(r) for r in PYPROJECT["optional-dependencies"][extra]]
    seen: set[str] = set()
    while wanted:
        req = wanted.pop()
        name = canonicalize_name(req.name)
        if name == "synchro":  # an extra naming others ("synchro[nwb]")
            wanted += [Requirement(r) for e in req.extras for r in PYPROJECT["optional-dependencies"][e]]
            continue
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.distribution(name).requires or ():
            sub = Requirement(text)
            # Markers are evaluated for this interpreter, with the extras the requirement asked for (none for most).
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in (*req.extras, "")):
                wanted.append(sub)
    return seen


def site_folder(tmp_path: Path, extras: tuple[str, ...] = ()) -> Path:
    """A folder of links to the installed files of :func:`closure`'s distributions (top-level entries only)."""
    folder = tmp_path / ("site-" + "-".join(("base", *extras)))
    folder.mkdir()
    for name in closure(extras):
        dist = metadata.distribution(name)
        site = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or ()}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            if not (folder / top).exists():
                (folder / top).symlink_to(site / top)
    return folder


def run_light(folder: Path, args, cwd: Path) -> subprocess.CompletedProcess:
    """``python -S -m synchro ARGS`` with only this tree and ``folder`` on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(folder)]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-S", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.fixture(scope="module")
def light(tmp_path_factory) -> Path:
    return site_folder(tmp_path_factory.mktemp("light"))


def test_light_closure_holds_no_extra():
    names = closure()
    assert {"numpy", "scipy", "numba", "h5py", "click", "matplotlib"} <= names
    assert not names & {canonicalize_name(m) for m in (*EXTRA_MODULES, "cython", "elephant")}, names
    # brian2's numpy pin travels with brian2, not with the light install.
    assert all(Requirement(r).marker is None for r in PYPROJECT["dependencies"])


def test_importing_the_analysis_loads_no_extra():
    code = ("import sys, synchro, synchro.io, synchro.report, synchro.report.pipeline, synchro.cli; "
            f"print(sorted(m for m in {EXTRA_MODULES!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_light_install_analyses_the_bundled_example(light, tmp_path):
    proc = run_light(light, ["-m", "synchro", "analyze", synchro.io.example_path(), "-o", "report", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in (tmp_path / "report").iterdir()} >= {"report.json", "summary.txt", "report.html"}
    assert list((tmp_path / "report" / "figures").glob("*.png"))
    code = f"import sys; print(sorted(m for m in {EXTRA_MODULES!r} if m in sys.modules))"
    proc = run_light(light, ["-c", f"import synchro.report.pipeline, synchro.cli; {code}"], tmp_path)
    assert proc.stdout.strip() == "[]", proc.stderr


@pytest.mark.parametrize(("args", "module", "extra"), [
    (["simulate", "izhikevich2003", "--duration", "1", "-o", "run.nwb"], "brian2", "sims"),
    (["simulate", "izhikevich2007", "-o", "run.npz"], "brian2", "sims"),
    (["demo", "-o", "demo"], "brian2", "sims"),
    (["sweep", "izhikevich2003", "--scheme", "euler", "--dt", "1", "--seeds", "1", "-o", "sweep"], "brian2", "sims"),
])
def test_light_install_names_the_missing_extra(light, tmp_path, args, module, extra):
    proc = run_light(light, ["-m", "synchro", *args], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"synchro: error: {module} {MISSING.format(extra)} synchro {args[0]}\n"
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []  # refused before anything was written


@pytest.mark.parametrize(("scheduler", "module"), [((), "dask"), (("--scheduler", "serial"), "pyarrow")])
def test_light_install_names_the_cohort_extra_for_several_inputs(light, tmp_path, scheduler, module):
    """Several sessions run on dask (unless serial) and end in a Parquet table: refused before any file is read."""
    proc = run_light(light, ["-m", "synchro", "analyze", "a.nwb", "b.nwb", *scheduler, "-o", "out"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"synchro: error: {module} {MISSING.format('cohort')} synchro analyze of several inputs\n"
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("call", "message"), [
    ("io.write_nwb(io.read(io.example_path()), 'x.nwb')", f"pynwb {MISSING.format('nwb')} write_nwb"),
    ("io.to_neo(io.read(io.example_path()))", f"neo {MISSING.format('neo')} to_neo"),
    ("sims.simulate('izhikevich2007', duration=1.0)", f"brian2 {MISSING.format('sims')} sims.izhikevich2007"),
    ("sims.run_neuron('RS')", f"brian2 {MISSING.format('sims')} sims.run_neuron"),
    ("io.read('https://127.0.0.1:9/session.nwb')",
     f"remfile {MISSING.format('remote')} URLs as input (synchro.io.read, synchro analyze)"),
])
def test_light_install_library_calls_name_their_extra(light, tmp_path, call, message):
    code = ("import warnings\nimport sims\nimport synchro.io as io\nfrom synchro.errors import MissingDependencyError\n"
            "warnings.simplefilter('ignore')\n"
            f"try:\n    {call}\nexcept MissingDependencyError as err:\n    print(err)\n")
    proc = run_light(light, ["-c", code], tmp_path)
    assert proc.stdout == message + "\n", proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_sims_without_sweep_extra_names_it_for_a_cluster(tmp_path):
    sims_only = site_folder(tmp_path, ("sims",))
    assert "brian2" in closure(("sims",)) and not {"dask", "distributed"} & closure(("sims",))
    out = tmp_path / "work"
    out.mkdir()
    args = ["-m", "synchro", "sweep", "izhikevich2003", "--scheme", "euler", "--dt", "1", "--seeds", "1", "-o", "s"]
    proc = run_light(sims_only, args, out)
    assert proc.returncode == 2
    assert proc.stderr == (f"synchro: error: dask {MISSING.format('sweep')} synchro sweep on a dask cluster (or pass "
                           "--scheduler serial)\n")
    assert list(out.iterdir()) == []
