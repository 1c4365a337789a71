"""Epochs, trials and windows of real sessions: NWB interval tables in, one report section per label, out again.

The session: the layout of the mouse ADn/CA1 recording of Peyrache et al.
(an ``epochs`` table written by pynwb's ``add_epoch``, tags ``sleep`` then
``wake``), scaled from 600 s per epoch to T = 20 s to keep CI fast. 20
units fire at 5 Hz throughout; in wake their rate is modulated by
``1 + 0.5 cos(2 pi 8 t)``, a theta-like rhythm shared by all units, absent
in sleep. The LFP is ``cos(2 pi 8 t)`` plus noise. A ``trials`` table holds
1.5 s trials at irregular intervals, condition ``wake-trial`` in wake and
``sleep-trial`` in sleep (about 9 of each).

Known answers, argued: in wake the population rate carries an 8 Hz
modulation of depth 0.5 in all 20 units, far above the aperiodic background
of 100 spikes/s of Poisson noise and beyond independent units, so theta is
present with its peak at 8 Hz; sleep holds independent Poisson units, so
theta is absent. Gamma (30-80 Hz) has no rhythm in either: absent. Spikes in
wake lock to the LFP with mean resultant ``depth / 2 = 0.25`` at phase 0, so
PPC = 0.0625; in sleep they do not lock (PPC 0).
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from malformed import write_external_nwb

from synchro import io
from synchro.cli import main
from synchro.core import IntervalTable, SpikeData, split_by_intervals
from synchro.errors import NotInFileError
from synchro.report import analyze_file, build_report
from synchro.report.pipeline import RHYTHM_FIELDS
from synchro.rhythms import band_verdicts

T = 20.0  # seconds per epoch (600 s in the real session)
N_UNITS = 20
BANDS = {"theta": (6.0, 10.0), "gamma": (30.0, 80.0)}
BANDS_OPTION = "theta=6-10,gamma=30-80"
SURROGATES = 40  # the fewest Holm allows for two bands at alpha 0.05
FS = 250.0


def _modulated(gen, a, b, rate, freq, depth):
    """Thinned Poisson spikes in [a, b) at ``rate * (1 + depth * cos(2 pi freq t))`` (Hz)."""
    cand = np.sort(gen.uniform(a, b, gen.poisson(rate * (1 + depth) * (b - a))))
    keep = gen.uniform(size=cand.size) < (1 + depth * np.cos(2 * np.pi * freq * cand)) / (1 + depth)
    return cand[keep]


def _trials():
    """1.5 s trials at irregular intervals (0.3-0.8 s apart) through each epoch, with a condition and a number."""
    gen = np.random.default_rng(7)
    rows = []
    for a, b, condition in ((0.0, T, "sleep-trial"), (T, 2 * T, "wake-trial")):
        start = a + 0.25
        while start + 1.5 <= b:
            rows.append((start, start + 1.5, {"condition": condition, "contrast": float(len(rows) % 3)}))
            start = round(start + 1.5 + gen.uniform(0.3, 0.8), 3)
    return rows


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    d = tmp_path_factory.mktemp("epochs")
    gen = np.random.default_rng(16)
    trains = [np.concatenate([_modulated(gen, 0.0, T, 5.0, 0.0, 0.0), _modulated(gen, T, 2 * T, 5.0, 8.0, 0.5)])
              for _ in range(N_UNITS)]
    t = np.arange(int(2 * T * FS)) / FS
    lfp = 1e-4 * (np.cos(2 * np.pi * 8.0 * t) + 0.2 * gen.standard_normal(t.size))
    path = write_external_nwb(d / "adn_ca1.nwb", trains, epochs=[(0.0, T, ["sleep"]), (T, 2 * T, ["wake"])],
                              trials=_trials(), lfp={"data": lfp[:, None], "rate": FS, "starting_time": 0.0})
    os.chmod(path, 0o444)
    return path


@pytest.fixture(scope="module")
def by_epoch(session):
    return analyze_file(session, epochs="epochs", bands=BANDS, n_surrogates=SURROGATES, rng=0)


def _numbers(verdict) -> dict:
    """A band's report.json record from a library BandVerdict, for equality with the report's."""
    from synchro.report._analyses import band_record as _band_record

    return _band_record(verdict)


# Reading and writing interval tables ------------------------------------------------------------------------------

def test_epochs_and_trials_are_read_from_a_pynwb_file(session):
    rec = io.read(session)
    assert set(rec.intervals) == {"epochs", "trials"}
    epochs = rec.intervals["epochs"]
    assert epochs.label_column() == "tags"  # pynwb's add_epoch: a ragged text column
    assert list(epochs.columns["tags"]) == [("sleep",), ("wake",)]
    groups = epochs.groups()
    assert list(groups) == ["sleep", "wake"]
    np.testing.assert_array_equal(groups["sleep"], [[0.0, T]])
    np.testing.assert_array_equal(groups["wake"], [[T, 2 * T]])
    trials = rec.intervals["trials"]
    rows = _trials()
    np.testing.assert_array_equal(trials.start, [r[0] for r in rows])
    assert list(trials.columns["condition"]) == [r[2]["condition"] for r in rows]
    assert trials.columns["contrast"].dtype == np.float64
    assert trials.descriptions["condition"] == "trial column condition"
    by_condition = trials.groups("condition")
    assert sum(len(v) for v in by_condition.values()) == len(rows)
    assert np.all(by_condition["wake-trial"][:, 0] >= T) and np.all(by_condition["sleep-trial"][:, 1] <= T)


def test_write_nwb_keeps_interval_tables_and_adds_no_empty_columns(session, tmp_path):
    """Why case: write_nwb dropped the file's epochs and trials and added empty label/population/quality columns.

    Read a file pynwb wrote the way third-party tools do, write it back, read both with pynwb: the same
    tables, columns, values and descriptions, and no unit column the source did not have.
    """
    from pynwb import NWBHDF5IO

    rec = io.read(session)
    out = io.write_nwb(rec, tmp_path / "again.nwb")
    with NWBHDF5IO(str(session), "r") as f_in, NWBHDF5IO(str(out), "r") as f_out:
        a, b = f_in.read(), f_out.read()
        for name in ("epochs", "trials"):
            before, after = getattr(a, name), getattr(b, name)
            assert after is not None, f"{name} dropped"
            assert after.colnames == before.colnames
            df_in, df_out = before.to_dataframe(), after.to_dataframe()
            assert list(df_out.columns) == list(df_in.columns)
            for col in df_in.columns:
                assert [list(v) if isinstance(v, np.ndarray | list) else v for v in df_out[col]] == \
                       [list(v) if isinstance(v, np.ndarray | list) else v for v in df_in[col]], col
            for col in before.colnames:
                assert after[col].description == before[col].description
        assert set(b.units.colnames) <= set(a.units.colnames) | {"obs_intervals"}
        assert not {"label", "population", "quality"} & set(b.units.colnames)
    again = io.read(out)
    assert again.intervals["trials"].to_dict() == rec.intervals["trials"].to_dict()
    assert again.intervals["epochs"].to_dict() == rec.intervals["epochs"].to_dict()
    from nwbinspector import Importance, inspect_nwbfile

    serious = {Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION}
    assert [m.message for m in inspect_nwbfile(nwbfile_path=str(out)) if m.importance in serious] == []


def test_interval_table_rejects_bad_rows_and_names_missing_columns():
    with pytest.raises(Exception, match="row 1 stops"):
        IntervalTable([0.0, 5.0], [1.0, 4.0])
    table = IntervalTable([0.0, 1.0], [1.0, 2.0], {"phase": ["a", "b"]}, name="epochs")
    with pytest.raises(NotInFileError, match="no label column"):
        table.groups()
    with pytest.raises(NotInFileError, match="no column 'nope'"):
        table.groups("nope")
    assert list(table.groups("phase")) == ["a", "b"]


def test_split_by_intervals_counts_and_rates_per_label(session):
    rec = io.read(session)
    s = rec.spikes
    parts = split_by_intervals(s, rec.intervals["trials"], "condition")
    for label, iv in rec.intervals["trials"].groups("condition").items():
        part = parts[label]
        inside = sum(int(np.count_nonzero((s.times >= a) & (s.times < b))) for a, b in iv)
        assert part.n_spikes == inside
        assert part.observed_duration == pytest.approx(float(np.sum(iv[:, 1] - iv[:, 0])))
        assert part.rates.sum() == pytest.approx(inside / part.observed_duration)
    # An epoch of one interval is that window exactly: same bounds, no gaps.
    wake = split_by_intervals(s, rec.intervals["epochs"])["wake"]
    assert wake == s.restrict(T, 2 * T) and not wake.has_gaps


# The report: one section per epoch or condition -------------------------------------------------------------------

def test_report_has_one_section_per_epoch_with_the_planted_verdicts(by_epoch):
    """The ADn/CA1 case: the whole-session verdict mixes sleep and wake; per epoch, theta is present in wake
    only (the module docstring argues each answer)."""
    doc = by_epoch.to_dict()
    assert doc["schema_version"] == "3.2"
    assert doc["rhythms"] == {} and doc["parameters"]["sections"] == {"kind": "epoch", "table": "epochs",
                                                                     "column": "tags"}
    sections = doc["sections"]
    assert [(s["kind"], s["label"], s["intervals"], s["observed_duration"]) for s in sections] == \
           [("epoch", "sleep", [[0.0, T]], T), ("epoch", "wake", [[T, 2 * T]], T)]
    sleep, wake = (s["rhythms"]["all"] for s in sections)
    assert wake["theta"]["verdict"] == "present" and abs(wake["theta"]["peak_hz"] - 8.0) <= 1.0
    assert sleep["theta"]["verdict"] == "absent"
    assert sleep["gamma"]["verdict"] == "absent" and wake["gamma"]["verdict"] == "absent"
    coupling = {s["label"]: s["coupling"]["all"]["theta"] for s in sections}
    assert coupling["wake"]["ppc"] == pytest.approx(0.0625, abs=0.03)
    assert abs(coupling["sleep"]["ppc"]) < 0.01
    assert abs(coupling["wake"]["preferred_phase"]) < 0.3  # spikes at the LFP's peaks
    for s in sections:
        assert s["populations"]["all"]["rate_hz"] == pytest.approx(5.0, rel=0.1)
    text = by_epoch.summary()
    assert "Epoch sleep: 0-20 s, 20 s observed" in text and "Epoch wake: 20-40 s" in text
    assert text.count("all: Theta: present") == 1 and text.count("all: Theta: absent") == 1


def test_window_equals_the_epoch_section_and_keeps_the_recording_bounds(session, by_epoch):
    """An epoch of one interval and --time-window over it analyse the same data: the same numbers, bit for bit."""
    rep = analyze_file(session, time_window=(T, 2 * T), bands=BANDS, n_surrogates=SURROGATES, rng=0)
    wake = by_epoch.sections[1]
    assert rep.parameters["time_window"] == [T, 2 * T]
    assert (rep.input["t_start"], rep.input["t_stop"]) == (0.0, 2 * T)
    assert rep.rhythms == wake["rhythms"] and rep.synchrony == wake["synchrony"] and rep.coupling == wake["coupling"]
    assert rep.sections == [] and rep.parameters["sections"] is None


def test_trials_give_one_section_per_condition(session):
    rep = analyze_file(session, trials="condition", bands=BANDS, n_surrogates=SURROGATES, rng=0)
    sections = {s["label"]: s for s in rep.sections}
    assert list(sections) == ["sleep-trial", "wake-trial"]
    rows = _trials()
    for label, s in sections.items():
        mine = [(a, b) for a, b, r in rows if r["condition"] == label]
        assert s["kind"] == "condition" and s["n_rows"] == len(mine) and s["intervals"] == [list(p) for p in mine]
        assert s["observed_duration"] == pytest.approx(1.5 * len(mine))
    # Spikes of the wake trials lock to the 8 Hz field (PPC 0.0625); those of the sleep trials do not.
    assert sections["wake-trial"]["coupling"]["all"]["theta"]["ppc"] == pytest.approx(0.0625, abs=0.04)
    assert abs(sections["sleep-trial"]["coupling"]["all"]["theta"]["ppc"]) < 0.02
    assert sections["sleep-trial"]["rhythms"]["all"]["theta"]["verdict"] != "present"
    # The gaps between trials are unobserved, not silence: the sleep trials' independent Poisson units give chi at
    # its floor 1/sqrt(N) and a Fano factor of 1 (zero-filled gaps gave chi 0.27 and Fano 1.25), and the wake
    # trials' 8 Hz modulation is found in the spectrum averaged over the trials alone (p at its smallest, 1/41,
    # with 40 surrogates, times 2 for Holm).
    sleep = sections["sleep-trial"]["synchrony"]["all"]
    assert sleep["chi"]["value"] == pytest.approx(sleep["chi"]["floor"], abs=0.01)
    assert sleep["fano"]["value"] == pytest.approx(1.0, abs=0.05)
    theta = sections["wake-trial"]["rhythms"]["all"]["theta"]
    assert theta["verdict"] == "present" and theta["peak_hz"] == 8.0
    # PPC1 pairs spikes of different real trials (Vinck et al. 2012): the report passes each condition's rows
    # (not merged) to phase_locking, and the locking is the same in every wake trial, so PPC1 is PPC0's value.
    wake = [[a, b] for a, b, r in rows if r["condition"] == "wake-trial"]
    (call,) = [c for c in rep.parameters["calls"] if (c["analysis"], c["section"], c["population"], c["band"])
               == ("phase_locking", "wake-trial", "all", "theta")]
    assert np.asarray(call["parameters"]["trials"]).tolist() == wake
    assert sections["wake-trial"]["coupling"]["all"]["theta"]["ppc1"] == pytest.approx(0.0625, abs=0.04)
    html = __import__("synchro.report.html", fromlist=["render_html"]).render_html(rep, rep.summary(), [])
    assert html.count('<h3 class="section">Condition ') == 2


def test_whole_recording_report_is_unchanged_without_the_options(session):
    rep = analyze_file(session, bands=BANDS, n_surrogates=SURROGATES, rng=0)
    doc = rep.to_dict()
    assert doc["sections"] == [] and doc["parameters"]["sections"] is None
    assert doc["parameters"]["time_window"] == [0.0, 2 * T] and set(doc["rhythms"]) == {"all"}
    assert doc["input"]["interval_tables"]["epochs"] == {"rows": 2, "columns": ["tags"]}


# One seed path ----------------------------------------------------------------------------------------------------

def test_cli_seed_gives_the_library_numbers(session, tmp_path):
    """Why case: the notebook's band_verdicts(rec.spikes, rng=0) and the CLI's --seed 0 gave different numbers
    for the same file (the report derived a seed per analysis and population). Now --seed S is rng=S."""
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "analyze", str(session), "--seed", "3", "--bands",
                           BANDS_OPTION, "--surrogates", str(SURROGATES), "--no-figures", "-q", "--format", "json",
                           "-o", str(tmp_path / "r")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    rec = io.read(session)
    lib = band_verdicts(rec.spikes, rng=3, bands=BANDS, n_surrogates=SURROGATES)
    for band in BANDS:
        assert doc["rhythms"]["all"][band] == json.loads(json.dumps(_numbers(lib[band])))
    assert {c["parameters"]["rng"] for c in doc["parameters"]["calls"] if c["analysis"] == "rhythms"} == {3}


def test_simulation_report_equals_the_library_with_its_discard():
    """For simulations the report leaves out the first 0.2 s (parameters.discard); band_verdicts with that
    discard, or on report.data, gives the report's numbers."""
    path = io.example_path()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = io.read(path)
    rep = build_report(rec, rng=0, n_surrogates=SURROGATES)
    assert rep.parameters["discard"] == pytest.approx(0.2)
    for lib in (band_verdicts(rec.spikes, rng=0, n_surrogates=SURROGATES, discard=rep.parameters["discard"]),
                band_verdicts(rep.data, rng=0, n_surrogates=SURROGATES)):
        for band in ("alpha", "gamma"):
            assert rep.rhythms["all"][band] == _numbers(lib[band])
    assert set(rep.rhythms["all"]["alpha"]) == set(RHYTHM_FIELDS)


# The command line -------------------------------------------------------------------------------------------------

def test_window_crops_on_the_command_line(session, tmp_path):
    """Why case: on a 1200 s session, --t-start 600 --t-stop 1200 exited "t_start (600 s) is after the first
    spike"; --time-window 600:1200 (here 20:40, the scaled session) crops, and the bounds error names it."""
    runner = CliRunner()
    res = runner.invoke(main, ["analyze", str(session), "--time-window", f"{T:g}:{2 * T:g}", "--bands", BANDS_OPTION,
                               "--surrogates", str(SURROGATES), "--no-figures", "-q", "--format", "json", "-o",
                               str(tmp_path / "w")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["parameters"]["time_window"] == [T, 2 * T] and doc["input"]["t_stop"] == 2 * T
    assert doc["rhythms"]["all"]["theta"]["verdict"] == "present"
    res = runner.invoke(main, ["analyze", str(session), "--t-start", f"{T:g}", "--t-stop", f"{2 * T:g}", "-q",
                               "-o", str(tmp_path / "b")])
    assert res.exit_code == 4 and "--time-window" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_epochs_and_trials_are_documented_in_help():
    res = CliRunner().invoke(main, ["analyze", "--help"])
    for option in ("--epochs [TABLE[:COLUMN]]", "--trials COLUMN", "--time-window START:STOP",
                   "synchro analyze session.nwb --epochs", "synchro analyze session.nwb --trials condition",
                   "synchro analyze session.nwb --time-window 600:1200"):
        assert option in res.output


@pytest.mark.parametrize("args, code, message", [
    (["--epochs", "blocks"], 2, "has no interval table 'blocks' for --epochs; it holds ['epochs', 'trials']"),
    (["--epochs", "epochs:nope"], 2, "the 'epochs' table has no column 'nope'; its columns are ['tags']"),
    (["--epochs", ":nope"], 2, "the 'epochs' table has no column 'nope'"),
    (["--trials", "nope"], 2, "has no column 'nope'"),
    (["--epochs", "--trials", "condition"], 2, "give --epochs or --trials, not both"),
    (["--time-window", "0:500"], 2, "window 0:500 s is outside the recording (0-40 s)"),
    (["--time-window", "30-40"], 2, "is not START:STOP in seconds"),
    (["--time-window", "40:30"], 2, "is not START:STOP in seconds"),
])
def test_bad_interval_options_are_one_line_and_the_right_code(session, tmp_path, args, code, message):
    res = CliRunner().invoke(main, ["analyze", str(session), *args, "--no-figures", "-q", "-o", str(tmp_path / "x")])
    assert res.exit_code == code
    assert message in res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "x" / "report.json").exists()


def test_epochs_of_a_file_without_interval_tables_is_a_usage_error(tmp_path):
    data = SpikeData.from_trains([np.arange(0.05, 9.0, 0.1)] * 3, t_stop=10.0)
    path = io.write_npz(data, tmp_path / "plain.npz")
    res = CliRunner().invoke(main, ["analyze", str(path), "--epochs", "-q", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "plain.npz has no interval table 'epochs' for --epochs; it holds none" in res.stderr


def test_figures_of_a_sectioned_report_have_one_spectrum_per_section(by_epoch):
    from synchro.report.figures import draw_figures

    figures = draw_figures(by_epoch)
    assert by_epoch.panels == ["sleep: all", "wake: all"]
    assert "rates" not in figures  # a section's rate has gaps: no continuous trace to show
    titles = [ax.get_title(loc="left") for ax in figures["spectra"].axes]
    assert titles == ["sleep: all", "wake: all"]
    assert {"raster", "sttc", "coupling"} <= set(figures)


def test_epochs_within_a_window_are_cut_to_it_and_those_outside_are_skipped(session):
    rep = analyze_file(session, epochs="epochs", time_window=(T + 5.0, 2 * T), bands=BANDS, n_surrogates=SURROGATES,
                       rng=0)
    assert [(s["label"], s["intervals"], s["observed_duration"]) for s in rep.sections] == \
           [("wake", [[T + 5.0, 2 * T]], T - 5.0)]
    assert {"analysis": "all analyses", "section": "sleep", "population": "all", "band": None,
            "reason": f"no observed time of this epoch in {T + 5:g}-{2 * T:g} s"} in rep.skipped
    assert rep.sections[0]["rhythms"]["all"]["theta"]["verdict"] == "present"


def test_a_damaged_interval_table_is_skipped_with_a_warning(session, tmp_path):
    import shutil

    import h5py

    from synchro.errors import SynchroWarning

    path = tmp_path / "damaged.nwb"
    shutil.copy(session, path)
    os.chmod(path, 0o644)
    with h5py.File(path, "a") as f:
        stop = f["intervals/trials/stop_time"][()]
        del f["intervals/trials/stop_time"]
        f["intervals/trials/stop_time"] = stop[:-1]
    with pytest.warns(SynchroWarning, match="skipped the interval table /intervals/trials, which cannot be read"):
        rec = io.read(path)
    assert set(rec.intervals) == {"epochs"} and rec.spikes.n_units == N_UNITS
    res = CliRunner().invoke(main, ["analyze", str(path), "--trials", "condition", "-q", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "has no interval table 'trials' for --trials; it holds ['epochs']" in res.stderr


def test_any_time_intervals_table_is_read_and_written_back(tmp_path):
    """TimeIntervals beyond epochs and trials: one in /intervals, one in a processing module (written back into
    /intervals under its own name)."""
    import datetime

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.epoch import TimeIntervals

    nwb = NWBFile(session_description="t", identifier="t",
                  session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    nwb.add_unit(spike_times=np.arange(0.05, 9.0, 0.1), id=3)
    states = TimeIntervals(name="sleep_states", description="scored sleep")
    states.add_column(name="state", description="NREM or REM")
    for a, b, state in ((0.0, 3.0, "NREM"), (3.0, 4.0, "REM"), (6.0, 9.0, "NREM")):
        states.add_interval(start_time=a, stop_time=b, state=state)
    nwb.add_time_intervals(states)
    blocks = TimeIntervals(name="blocks", description="task blocks")
    blocks.add_interval(start_time=1.0, stop_time=5.0)
    nwb.create_processing_module(name="behavior", description="b").add(blocks)
    with NWBHDF5IO(str(tmp_path / "in.nwb"), "w") as f:
        f.write(nwb)
    rec = io.read(tmp_path / "in.nwb", t_stop=10.0)
    assert set(rec.intervals) == {"sleep_states", "processing/behavior/blocks"}
    with pytest.raises(NotInFileError, match="no label column"):  # "state" is not a default label column
        rec.intervals["sleep_states"].groups()
    groups = rec.intervals["sleep_states"].groups("state")
    assert list(groups) == ["NREM", "REM"]
    np.testing.assert_array_equal(groups["NREM"], [[0.0, 3.0], [6.0, 9.0]])
    io.write_nwb(rec, tmp_path / "out.nwb")
    with NWBHDF5IO(str(tmp_path / "out.nwb"), "r") as f:
        out = f.read()
        assert set(out.intervals) == {"sleep_states", "blocks"}
        assert list(out.intervals["sleep_states"]["state"].data[:]) == ["NREM", "REM", "NREM"]
        assert out.intervals["blocks"].description == "task blocks"
