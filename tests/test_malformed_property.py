"""Property test of every reader through the command line: generated malformed NPZ, CSV and NWB files.

Each example starts from a valid file and damages it (types, shapes, encodings,
stored metadata; NWB files are written with pynwb and damaged with h5py), runs
``synchro analyze`` on it and asserts what issue 14 asks of every input:

* the exit code is 0, 3, 4 or 5 (never 1, an internal error; never 2, since
  the options are valid);
* on failure, exactly one line on stderr (``synchro: error: ...``) and no
  output folder, nor anything else beside the input;
* the input's bytes are unchanged.

The examples run in process through click's runner (the CLI's own error
handling, exit codes and stderr), and a sample of them in a subprocess as a
user would run them. The budget is fixed (``max_examples``, derandomized), so
CI runs the same inputs every time; the count is printed at the end of the
module (``-s`` shows it) and asserted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from malformed import write_external_nwb

from synchro.cli import main

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = ["--no-figures", "-q", "--surrogates", "40"]
ALLOWED = {0, 3, 4, 5}

#: Examples per format in process, and in a subprocess. About one input in seven is valid and analysed (a few
#: tenths of a second with 40 surrogates); the rest fail in milliseconds: about 30 s in all on one core.
EXAMPLES = {"npz": 250, "csv": 250, "nwb": 200}
SUBPROCESS_EXAMPLES = 10

SETTINGS = dict(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

RAN: dict[str, int] = {"npz": 0, "csv": 0, "nwb": 0, "subprocess": 0}
CODES: dict[int, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_count(request):
    t0 = time.perf_counter()
    yield
    total = sum(RAN.values())
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\nproperty test of the readers: {total} generated inputs ({RAN}), exit codes "
              f"{dict(sorted(CODES.items()))}, {time.perf_counter() - t0:.0f} s")


class Example:
    """A generated input: its format, how to write it, and what was done to it (shown when a case fails)."""

    def __init__(self, kind: str, write, description: list):
        self.kind, self.write, self.description = kind, write, description

    def __repr__(self):
        return f"{self.kind} example: {self.description}"


# Generated values -----------------------------------------------------------------------------------------------

DTYPES = ("float64", "float32", "float16", "int64", "int8", "uint64", "bool", "complex128", "U8", "S8")
TEXTS = ("two", "1.5", "nan", "a b c", "", "\x00", "$x^$", "1e400", "[1, 2, 3]", "-0", "9" * 25, "\u00e9\u2603")
FILLS = ("random", "zeros", "nan", "inf", "huge", "negative", "ints", "decreasing")


@st.composite
def arrays(draw, n: int):
    """An array of any dtype and shape likely to meet a reader: right length, wrong length, 0-d, 2-D."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.sampled_from([(), (0,), (1,), (3,), (n,), (n, 2), (2, 3), (1, n), (n + 1,)]))
    if dtype[0] in "US":
        texts = draw(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=4))
        values = np.array([t.encode() for t in texts] if dtype[0] == "S" else texts)
        return np.resize(values, shape)
    fill = draw(st.sampled_from(FILLS))
    gen = np.random.default_rng(draw(st.integers(0, 2**16)))
    size = int(np.prod(shape))
    base = {"random": gen.uniform(0.0, 2.0, size), "zeros": np.zeros(size), "nan": np.full(size, np.nan),
            "inf": np.full(size, np.inf), "huge": np.full(size, 1e20) + np.arange(size),
            "negative": -gen.uniform(0, 5, size), "ints": np.arange(size, dtype=np.float64),
            "decreasing": np.linspace(2.0, 0.0, size)}[fill].reshape(shape)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # casting NaN or 1e20 to integers: whatever numpy makes of it is the input
        return base.astype(dtype)


def _valid_spikes(n_spikes=60, n_units=3, seed=0):
    gen = np.random.default_rng(seed)
    return np.sort(gen.uniform(0.0, 2.0, n_spikes)), gen.integers(0, n_units, n_spikes)


# NPZ --------------------------------------------------------------------------------------------------------

NPZ_KEYS = ("spike_times", "unit_index", "unit_ids", "unit_id", "t_start", "t_stop", "intervals", "metadata_json",
            "unit_population", "unit_quality", "signal_LFP_data", "signal_LFP_fs", "signal_LFP_t_start",
            "signal_LFP_channels")
JSON_TEXTS = ('[1,2,3]', '{"a": 1}', "{", '"x"', "null", '{"t_stop": "ten"}', "\ufeff{}", "")


@st.composite
def npz_files(draw):
    times, rows = _valid_spikes()
    content = {"spike_times": times, "unit_index": rows, "t_start": np.float64(0.0), "t_stop": np.float64(2.0),
               "unit_population": np.array(["exc", "inh", "exc"]), "metadata_json": np.str_("{}")}
    if draw(st.booleans()):
        content.update(signal_LFP_data=np.sin(np.arange(2000) / 10.0) * 1e-4, signal_LFP_fs=np.float64(1000.0))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(NPZ_KEYS))
        action = draw(st.sampled_from(["replace", "replace", "delete", "json"]))
        if action == "delete":
            content.pop(key, None)
        elif action == "json":
            content[key] = np.str_(draw(st.sampled_from(JSON_TEXTS)))
        else:
            content[key] = draw(arrays(len(times)))
    if draw(st.integers(0, 9)) == 0:  # now and then an object array, which numpy pickles
        content["unit_label"] = np.array(["a", None, 3], dtype=object)

    def write(path: Path):
        np.savez(path, **content)
    return Example("npz", write, [(k, v.dtype.str, v.shape, v.ravel()[:3].tolist()) for k, v in content.items()])


# CSV ----------------------------------------------------------------------------------------------------------

TOKENS = ("0.5", "1", "-1", "nan", "inf", "1e20", "100000000000000000000", "9007199254740993", "abc", "", "3.0",
          "0x10", " 2 ", "1;5", "$x^$", "\x00", "\u00e9", "1e-300", "2.5e0")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "latin-1", "utf-8")


@st.composite
def csv_files(draw):
    times, rows = _valid_spikes()
    header = {"t_start": "0.0", "t_stop": "2.0", "unit_ids": "0 1 2"}
    for key in list(header):
        choice = draw(st.sampled_from(["keep", "keep", "drop", "token"]))
        if choice == "drop":
            del header[key]
        elif choice == "token":
            header[key] = draw(st.sampled_from(TOKENS))
    columns = draw(st.sampled_from([["unit_id", "spike_time"], ["spike_time", "unit_id"],
                                    ["unit_id", "spike_time", "amplitude"], ["unit", "time"], ["unit_id"]]))
    lines = [f"# {k}={v}" for k, v in header.items()] + [",".join(columns)]
    table = [{"unit_id": str(u), "spike_time": repr(float(t)), "amplitude": "1.0"} for u, t in zip(rows, times)]
    for _ in range(draw(st.integers(0, 3))):  # damaged cells
        row = draw(st.integers(0, len(table) - 1))
        table[row][draw(st.sampled_from(["unit_id", "spike_time"]))] = draw(st.sampled_from(TOKENS))
    lines += [",".join(r.get(c, "") for c in columns) for r in table[:draw(st.sampled_from([0, 1, 5, len(table)]))]]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    data = newline.join(lines).encode(encoding, errors="replace") + newline.encode()
    cut = draw(st.sampled_from([None, None, None, 7, len(data) // 2]))
    if cut is not None:
        data = data[:cut]
    if draw(st.integers(0, 5)) == 0:
        data = data[:10] + bytes(draw(st.lists(st.integers(0, 255), min_size=1, max_size=8))) + data[10:]

    def write(path: Path):
        path.write_bytes(data)
    return Example("csv", write, [data[:300]])


# NWB ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def nwb_bases(tmp_path_factory):
    """Two valid files: one as external tools write them (pynwb add_unit, obs_intervals, LFP in a container,
    trials), one written by synchro (stored metadata, its own LFP series)."""
    from synchro.core import Recording, Signal, SpikeData
    from synchro.io import write_nwb

    d = tmp_path_factory.mktemp("nwb_bases")
    times, rows = _valid_spikes()
    trains = [times[rows == u] for u in range(3)]
    external = write_external_nwb(d / "external.nwb", trains, obs_intervals=[[[0.0, 2.0]]] * 3,
                                  columns={"quality": ["good", "good", "noise"]},
                                  lfp={"data": np.zeros((2000, 2)), "rate": 1000.0, "starting_time": 0.0},
                                  trials=[(0.0, 1.0), (1.0, 2.0)])
    lfp = Signal(np.sin(np.arange(2000) / 10.0) * 1e-4, 1000.0, 0.0, units="V", name="LFP")
    ours = write_nwb(Recording(SpikeData.from_trains(trains, t_stop=2.0), {"LFP": lfp}, {"origin": "test"}),
                     d / "ours.nwb")
    return {"external": external, "ours": ours}


NWB_TARGETS = ("units/spike_times", "units/spike_times_index", "units/id", "units/obs_intervals",
               "units/obs_intervals_index", "units/quality", "scratch/synchro_metadata",
               "processing/ecephys/LFP/LFP/data", "processing/ecephys/LFP/LFP/starting_time",
               "intervals/trials/start_time", "intervals/trials/stop_time", "processing/ecephys/LFP/LFP/electrodes",
               "processing/ecephys/LFP/LFP/timestamps", "processing/ecephys/LFP/LFP/channel_conversion",
               "general/extracellular_ephys/electrodes/id", "general/extracellular_ephys/electrodes/location")
NWB_ATTRIBUTES = (("units", "colnames"), ("processing/ecephys/LFP/LFP/starting_time", "rate"),
                  ("processing/ecephys/LFP/LFP/data", "conversion"), ("processing/ecephys/LFP/LFP/data", "offset"),
                  ("units", "neurodata_type"), ("/", "nwb_version"))


def _h5_value(value: np.ndarray):
    """h5py stores no numpy unicode: text becomes variable-length UTF-8 strings, as pynwb writes text."""
    if value.dtype.kind == "U":
        return np.array(value.tolist(), dtype=h5py.string_dtype()).reshape(value.shape)
    return value


@st.composite
def nwb_files(draw):
    base = draw(st.sampled_from(["external", "ours"]))
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "replace", "delete", "attribute", "json"]))
        if action == "attribute":
            edits.append(("attribute", draw(st.sampled_from(NWB_ATTRIBUTES)), draw(arrays(3))))
        elif action == "json":
            edits.append(("replace", "scratch/synchro_metadata", np.array(draw(st.sampled_from(JSON_TEXTS + (
                '{"t_start": 0, "t_stop": 2, "signals": {"LFP": 3}}',
                '{"t_start": 0, "t_stop": 2, "metadata": []}'))).encode())))
        else:
            edits.append((action, draw(st.sampled_from(NWB_TARGETS)), draw(arrays(60))))
    truncate = draw(st.integers(0, 11)) == 0

    def write(path: Path, bases):
        shutil.copyfile(bases[base], path)
        with h5py.File(path, "r+") as f:
            for action, target, value in edits:
                if action == "attribute":
                    group, name = target
                    if group in f:
                        f[group].attrs[name] = _h5_value(value)
                    continue
                parent = target.rpartition("/")[0]
                if target in f:
                    del f[target]
                elif action == "delete" or parent not in f:
                    continue
                if action == "replace":  # also creates what was absent (timestamps beside starting_time)
                    f[target] = _h5_value(value)
        if truncate:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) * 2 // 3])
    shown = [(a, t, v.dtype.str, v.shape, v.ravel()[:3].tolist()) for a, t, v in edits]
    return Example("nwb", write, [base, *shown, "truncated" if truncate else ""])


# Running and checking ---------------------------------------------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(code: int, stderr: str, folder: Path, path: Path, before: str, out: Path, what: str):
    CODES[code] = CODES.get(code, 0) + 1
    assert code in ALLOWED, f"{what}: exit {code}: {stderr}"
    assert "Traceback" not in stderr, f"{what}: {stderr}"
    assert _digest(path) == before, f"{what}: the input changed"
    if code:
        assert stderr.startswith("synchro: error: ") and stderr.count("\n") == 1, f"{what}: {stderr!r}"
        assert not out.exists(), f"{what}: an output folder after a failure"
        assert sorted(p.name for p in folder.iterdir()) == [path.name], f"{what}: {list(folder.iterdir())}"
    else:
        assert (out / "report.json").is_file(), what
        json.loads((out / "report.json").read_text())


def _materialise(example: Example, base_dir: Path, bases=None) -> tuple[Path, Path]:
    folder = Path(tempfile.mkdtemp(dir=base_dir))
    path = folder / f"input.{example.kind}"
    example.write(path, bases) if example.kind == "nwb" else example.write(path)
    return folder, path


def _run_in_process(example, base_dir, bases=None):
    folder, path = _materialise(example, base_dir, bases)
    before, out = _digest(path), folder / "report"
    with warnings.catch_warnings():
        result = CliRunner().invoke(main, ["analyze", str(path), "-o", str(out), *OPTIONS])
    RAN[example.kind] += 1
    _check(result.exit_code, result.stderr, folder, path, before, out, f"{example!r}, {result.exception!r}")
    shutil.rmtree(folder)


@settings(max_examples=EXAMPLES["npz"], **SETTINGS)
@given(example=npz_files())
def test_generated_npz_inputs(example, tmp_path_factory):
    _run_in_process(example, tmp_path_factory.getbasetemp())


@settings(max_examples=EXAMPLES["csv"], **SETTINGS)
@given(example=csv_files())
def test_generated_csv_inputs(example, tmp_path_factory):
    _run_in_process(example, tmp_path_factory.getbasetemp())


@settings(max_examples=EXAMPLES["nwb"], **SETTINGS)
@given(example=nwb_files())
def test_generated_nwb_inputs(example, nwb_bases, tmp_path_factory):
    _run_in_process(example, tmp_path_factory.getbasetemp(), nwb_bases)


@settings(max_examples=SUBPROCESS_EXAMPLES, **SETTINGS)
@given(example=st.one_of(npz_files(), csv_files(), nwb_files()))
def test_generated_inputs_in_a_subprocess(example, nwb_bases, tmp_path_factory):
    # As a user runs it: a fresh interpreter, real stderr, real exit status (no click runner in between).
    folder, path = _materialise(example, tmp_path_factory.getbasetemp(), nwb_bases)
    before, out = _digest(path), folder / "report"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "synchro", "analyze", str(path), "-o", str(out), *OPTIONS],
                          capture_output=True, text=True, timeout=120, env=env)
    RAN["subprocess"] += 1
    _check(proc.returncode, proc.stderr, folder, path, before, out, f"{example!r} in a subprocess")
    shutil.rmtree(folder)


def test_the_budget_ran_in_full():
    # Hypothesis stops early only when a strategy runs out of distinct inputs; these have far more than the budget.
    assert RAN["npz"] + RAN["csv"] + RAN["nwb"] >= 0.9 * sum(EXAMPLES.values()), RAN
    assert RAN["subprocess"] >= SUBPROCESS_EXAMPLES // 2, RAN
