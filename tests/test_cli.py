"""The command line end to end: ``synchro analyze`` as a subprocess on files the tests write, with known answers.

The planted session: 160 excitatory units firing at 5 Hz modulated at 40 Hz
(depth 0.5), 40 inhibitory Poisson units at 5 Hz, and 20 units labelled
``noise`` firing at 20 Hz modulated at 10 Hz (depth 0.9), over 5 s, with an
LFP ``cos(2 pi 40 t)`` plus noise. Known answers: gamma present (peak 40 Hz)
in ``all`` and ``exc``, absent in ``inh``; alpha absent unless the noise
units are kept (then present: a 10 Hz peak shared by 20 units); exc spikes lock to the LFP with PLV = depth / 2, so
PPC = 0.0625, at phase 0; inhibitory units do not lock (PPC 0).
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synchro import Recording, Signal, SpikeData, io
from synchro.rhythms import VERDICTS

T = 5.0
FS = 1000.0
SURROGATES = "99"


def _modulated(gen, n_units, rate, freq, depth):
    """Thinned Poisson trains with rate ``rate * (1 + depth * cos(2 pi freq t))`` (Hz)."""
    trains = []
    for _ in range(n_units):
        cand = np.sort(gen.uniform(0.0, T, gen.poisson(rate * (1 + depth) * T)))
        keep = gen.uniform(size=cand.size) < (1 + depth * np.cos(2 * np.pi * freq * cand)) / (1 + depth)
        trains.append(cand[keep])
    return trains


def planted_recording(seed=2025) -> Recording:
    gen = np.random.default_rng(seed)
    trains = _modulated(gen, 160, 5.0, 40.0, 0.5) + _modulated(gen, 40, 5.0, 0.0, 0.0) \
        + _modulated(gen, 20, 20.0, 10.0, 0.9)
    units = {"id": np.arange(220) + 1000, "population": ["exc"] * 160 + ["inh"] * 40 + ["exc"] * 20,
             "quality": ["good"] * 200 + ["noise"] * 20}
    spikes = SpikeData.from_trains(trains, t_stop=T, units=units)
    t = np.arange(int(T * FS)) / FS
    lfp = Signal(1e-4 * (np.cos(2 * np.pi * 40.0 * t) + 0.2 * gen.standard_normal(t.size)), FS, name="LFP",
                 units="V")
    return Recording(spikes, {"LFP": lfp}, {"origin": "planted test session"})


def _text_of(html: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", html)).split())


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "synchro.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The planted session as NWB (with LFP), NPZ and CSV (curated, spikes only), in a read-only data folder."""
    d = tmp_path_factory.mktemp("data")
    rec = planted_recording()
    out = {"nwb": io.write_nwb(rec, d / "planted.nwb")}
    clean, n_noise = rec.spikes.curated()
    assert n_noise == 20
    out["npz"] = io.write_npz(Recording(clean), d / "clean.npz")
    out["csv"] = io.write_csv(clean, d / "clean_spikes.csv")
    return {k: Path(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def planted_run(files, tmp_path_factory):
    """One full run on the NWB file from a separate working folder: the summary on stdout, the report folder."""
    work = tmp_path_factory.mktemp("work")
    before = sha256(files["nwb"])
    proc = run_cli("analyze", files["nwb"], "--surrogates", SURROGATES, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert sha256(files["nwb"]) == before
    folder = work / "synchro-report-planted"
    return {"doc": json.loads((folder / "report.json").read_text()), "folder": folder, "work": work,
            "stdout": proc.stdout, "stderr": proc.stderr}


def test_verdicts_match_the_planted_rhythms(planted_run):
    doc = planted_run["doc"]
    assert doc["schema_version"] == "3.2"
    assert doc["input"]["units"] == 200 and doc["input"]["metadata"]["curation"]  # 20 noise units left out
    rhythms = doc["rhythms"]
    assert set(rhythms) == {"all", "exc", "inh"}
    smallest = 1 / (1 + int(SURROGATES))
    for pop in ("all", "exc"):
        gamma = rhythms[pop]["gamma"]
        # A 40 Hz modulation of depth 0.5 shared by 160 units: a peak far above any aperiodic background
        # (tens of times), and far beyond independent units; neither null ever reaches it.
        assert gamma["verdict"] == "present" and gamma["present"] is True
        assert abs(gamma["peak_hz"] - 40.0) <= 1.0 and not gamma["edge"]
        assert gamma["power_ratio"] > 5 and gamma["power_db"] == pytest.approx(10 * np.log10(gamma["power_ratio"]))
        assert gamma["p_peak"] == pytest.approx(smallest) and gamma["p_independent"] == pytest.approx(smallest)
        assert gamma["p_peak_holm"] == pytest.approx(2 * smallest)  # Holm across two bands
        assert gamma["p_independent_holm"] == pytest.approx(2 * smallest)
        assert gamma["sentence"].startswith("Gamma: present, 40 Hz, ")
        assert gamma["reason"] == "" and gamma["single_unit"] is False
    for pop in ("all", "exc", "inh"):
        # No unit left after curation is modulated near 10 Hz: neither a peak nor shared power.
        assert rhythms[pop]["alpha"]["verdict"] == "absent" and rhythms[pop]["alpha"]["present"] is False
        assert rhythms[pop]["alpha"]["sentence"] == "Alpha: absent"
    # Independent Poisson units: no shared power, so never present nor broadband.
    assert rhythms["inh"]["gamma"]["verdict"] == "absent" and rhythms["inh"]["gamma"]["present"] is False
    assert rhythms["inh"]["gamma"]["p_independent"] > 0.05


def test_progress_is_one_bar_on_stderr_wiped_when_done(planted_run):
    """Every long step advances one tqdm bar on stderr (synchro.progress, drawn once the run is past its 1 s delay):
    the planted run (220 units, 99 surrogates, figures) lasts longer, so the bar shows, named after each step and
    counting them, and is wiped at the end; nothing else is written there (the old timer thread's "synchro: <step>
    ..." lines are gone)."""
    from synchro.progress import DELAY

    lines = planted_run["stderr"].splitlines()  # text mode reads tqdm's carriage returns as line ends
    frames = [line for line in lines if line.strip()]
    assert frames, lines
    steps = []
    for frame in frames:
        # tqdm writes its rate as "2.5step/s", or "1.30s/step" when steps take over a second (a loaded machine).
        m = re.fullmatch(r"(.+): (\d+)step \[(\d\d):(\d\d), +[0-9.?]+(?:step/s|s/step)\] *", frame)
        assert m, frame
        assert 60 * int(m[3]) + int(m[4]) >= int(DELAY)  # nothing drawn before the delay
        steps.append(int(m[2]))
    # One bar counting up (tqdm may skip frames of quick steps); a count repeats only when the running step's
    # name is redrawn.
    assert steps == sorted(steps)
    assert all(steps.count(k) <= 2 for k in steps)
    assert lines[-1] and not lines[-1].strip()  # the bar's line is blanked when done: leave=False


def test_quiet_prints_nothing_on_stderr_and_changes_no_number(files, planted_run, tmp_path):
    """--quiet on the same slow run: stderr stays empty (no bar), and the report's numbers are the default run's."""
    proc = run_cli("analyze", files["nwb"], "--surrogates", SURROGATES, "--no-figures", "-q", "--format", "json",
                   "-o", tmp_path / "q", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    for key in ("rhythms", "synchrony", "coupling", "input"):
        assert doc[key] == planted_run["doc"][key], key


def test_report_json_schema_2_carries_a_verdict_word_per_band(planted_run):
    from synchro.report.pipeline import RHYTHM_FIELDS

    doc = planted_run["doc"]
    assert doc["schema_version"] == "3.2"
    for pop, bands in doc["rhythms"].items():
        assert set(bands) == {"alpha", "gamma"}
        for band, v in bands.items():
            assert list(v) == list(RHYTHM_FIELDS), (pop, band)
            assert "p_value" not in v and "p_holm" not in v
            assert v["verdict"] in VERDICTS
            assert isinstance(v["present"], bool) and v["present"] == (v["verdict"] == "present")
            assert v["sentence"].startswith(band.capitalize() + ": " + ("broadband" if v["verdict"] == "broadband"
                                                                        else v["verdict"]))


def test_coupling_matches_the_planted_locking(planted_run):
    coupling = planted_run["doc"]["coupling"]
    exc, inh = coupling["exc"]["gamma"], coupling["inh"]["gamma"]
    assert exc["ppc"] == pytest.approx(0.0625, abs=0.015)  # PLV = depth / 2 = 0.25
    assert abs(exc["preferred_phase"]) < 0.2
    assert exc["rayleigh_p"] < 1e-20
    assert abs(inh["ppc"]) < 0.006
    assert coupling["exc"]["alpha"]["ppc"] < 0.006
    assert planted_run["doc"]["input"]["field"]["name"] == "LFP"


def test_synchrony_of_independent_units_sits_at_its_floor_and_matches_elephant(planted_run, files):
    import neo
    import quantities as pq
    from elephant.spike_train_synchrony import spike_contrast

    inh = planted_run["doc"]["synchrony"]["inh"]
    assert inh["chi"]["value"] == pytest.approx(1 / np.sqrt(40), rel=0.3)
    assert inh["fano"]["value"] == pytest.approx(1.0, abs=0.25)  # Poisson population count
    assert abs(inh["sttc"]["value"]) < 0.02
    assert planted_run["doc"]["synchrony"]["exc"]["fano"]["value"] > 1.3  # 40 Hz co-modulation
    rec = io.read(files["nwb"])
    sub = rec.spikes.select(population="inh")
    trains = [neo.SpikeTrain(t, units="s", t_start=sub.t_start, t_stop=sub.t_stop) for t in sub.trains()]
    assert inh["spike_contrast"]["value"] == pytest.approx(spike_contrast(trains, t_start=sub.t_start * pq.s,
                                                                 t_stop=sub.t_stop * pq.s), rel=1e-9)


def test_report_folder_holds_json_figures_and_html(planted_run):
    folder, doc = planted_run["folder"], planted_run["doc"]
    for name in ("raster", "rates", "spectra", "sttc", "coupling"):
        assert (folder / "figures" / f"{name}.png").stat().st_size > 5000
        assert (folder / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    html = (folder / "report.html").read_text()
    assert 'src="figures/spectra.png"' in html and "gamma 30-80 Hz" in html
    # The answer comes first: one sentence per population and band, before the summary and the figures.
    answer = html[html.index('<section id="answer">'):html.index("</section>")]
    assert html.index('<section id="answer">') < html.index("<pre>") < html.index("<figure")
    shown = _text_of(answer)
    for pop, bands in doc["rhythms"].items():
        for band, v in bands.items():
            assert f"{pop} {v['sentence']}" in shown, (pop, band)
    assert "Gamma: <b>present</b>, 40 Hz" in answer
    assert "what present means: a spectral peak above the aperiodic background, beyond independent units" \
        in shown.lower()
    assert "docs/methods.rst" in shown and "Rhythm verdicts" in shown
    assert "http://" not in html and "https://" not in html  # openable offline
    assert (folder / "summary.txt").read_text() in planted_run["stdout"]
    # Every number can be recomputed: each call's function and full keyword arguments are recorded.
    (call,) = [c for c in doc["parameters"]["calls"] if (c["analysis"], c["population"]) == ("rhythms", "exc")]
    assert call["function"] == "synchro.rhythms.band_verdicts" and call["parameters"]["n_surrogates"] == int(SURROGATES)
    assert {"numpy", "scipy", "synchro", "python"} <= set(doc["versions"])
    # Nothing written beside the input, no temporary folders left.
    assert sorted(p.name for p in planted_run["work"].iterdir()) == ["synchro-report-planted"]


def test_terminal_summary_fits_80_columns(planted_run):
    lines = planted_run["stdout"].splitlines()
    assert max(len(line) for line in lines) <= 80
    # Rows of the rhythms table: population, band, edges, "Hz", verdict word, peak Hz, peak/bg, p peak, p indep.
    rows = [r for r in (line.split() for line in lines if line.startswith("  ")) if len(r) == 9 and r[4] in VERDICTS]
    present = {(r[0], r[1]) for r in rows if r[4] == "present"}
    assert present == {("all", "gamma"), ("exc", "gamma")}
    assert {(r[0], r[1], r[4]) for r in rows if r[1] == "alpha"} == \
        {("all", "alpha", "absent"), ("exc", "alpha", "absent"), ("inh", "alpha", "absent")}
    assert lines[-1] == "Report: synchro-report-planted/report.html"
    # Above the table, the same sentences as report.json and report.html, one per population and band.
    text = " ".join(planted_run["stdout"].split())
    for pop, bands in planted_run["doc"]["rhythms"].items():
        for v in bands.values():
            assert f"{pop}: {v['sentence']}" in text
    assert text.index("all: Gamma: present") < text.index("population band verdict peak Hz peak/bg p peak p indep")
    # The header names both tests.
    assert "parametric bootstrap of the background, 99 spectra" in text
    assert "99 circular-shift surrogates" in text


def test_formats_agree_in_a_batch(files, planted_run, tmp_path):
    missing = tmp_path / "missing.nwb"
    proc = run_cli("analyze", files["npz"], missing, files["csv"], "--format", "json", "--surrogates", SURROGATES,
                   "--scheduler", "serial", "--no-figures", "-o", tmp_path, cwd=tmp_path)
    # One input failing does not stop the others; the exit code is the failure's.
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == f"synchro: error: {missing}: {missing} does not exist; check the path\n"
    npz, csv = (json.loads(line) for line in proc.stdout.splitlines())
    assert (npz["input"]["format"], csv["input"]["format"]) == ("npz", "csv")
    nwb_all = planted_run["doc"]["rhythms"]["all"]
    for doc in (npz, csv):
        # Same spikes, same unit order, same seed: the same numbers, whatever the format.
        assert doc["rhythms"]["all"] == nwb_all
        assert doc["coupling"] == {}
        assert any(s["analysis"] == "coupling" and "no field" in s["reason"] for s in doc["skipped"])
    assert set(csv["rhythms"]) == {"all"}  # CSV carries no population column
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synchro-cohort.csv", "synchro-cohort.parquet",
                                                          "synchro-report-clean", "synchro-report-clean_spikes"]


def test_keeping_noise_units_reveals_their_alpha_and_lfp_none_skips_coupling(files, tmp_path):
    proc = run_cli("analyze", files["nwb"], "--quality", "all", "--lfp", "none", "--bands", "alpha=8-13",
                   "--surrogates", SURROGATES, "--no-figures", "--format", "json", "-o", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["input"]["units"] == 220
    assert list(doc["parameters"]["bands"]) == ["alpha"]
    # 20 units at 20 Hz, 90 % modulated at 10 Hz: a shared 10 Hz peak, whatever the 200 others do.
    assert doc["rhythms"]["all"]["alpha"]["verdict"] == "present" and doc["rhythms"]["all"]["alpha"]["present"]
    assert abs(doc["rhythms"]["all"]["alpha"]["peak_hz"] - 10.0) <= 1.0
    # One band: Holm over one band leaves the p-values as they are.
    assert doc["rhythms"]["all"]["alpha"]["p_peak_holm"] == doc["rhythms"]["all"]["alpha"]["p_peak"]
    assert doc["coupling"] == {} and doc["input"]["field"] is None


@pytest.fixture(scope="module")
def external_nwb(tmp_path_factory):
    """An NWB file written the way other tools do (pynwb add_unit), with a curation column, a cell_type
    column, no LFP, and a second Units table in processing/ecephys."""
    from malformed import write_external_nwb

    gen = np.random.default_rng(5)
    trains = _modulated(gen, 30, 8.0, 40.0, 0.6) + _modulated(gen, 10, 8.0, 0.0, 0.0)
    quality = ["good"] * 27 + ["noise"] * 3 + ["good"] * 10
    path = tmp_path_factory.mktemp("external") / "external.nwb"
    return write_external_nwb(path, trains, columns={"quality": quality, "cell_type": ["pyr"] * 30 + ["pv"] * 10},
                              obs_intervals=[[[0.0, T]]] * 40, second_units=True)


def test_two_units_tables_need_a_choice(external_nwb, tmp_path):
    before = sha256(external_nwb)
    proc = run_cli("analyze", external_nwb, "-o", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 4
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("synchro: error: ")
    assert "units='processing/ecephys/units2'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()

    proc = run_cli("analyze", external_nwb, "--units", "units", "--population-column", "cell_type",
                   "--surrogates", SURROGATES, "--no-figures", "--format", "json", "-o", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["input"]["units"] == 37  # three noise units left out
    assert doc["input"]["populations"]["pyr"]["units"] == 27
    assert doc["rhythms"]["pyr"]["gamma"]["verdict"] == "present" and doc["rhythms"]["pyr"]["gamma"]["present"]
    assert doc["rhythms"]["pv"]["gamma"]["verdict"] == "absent" and doc["rhythms"]["pv"]["gamma"]["present"] is False
    assert doc["coupling"] == {}
    assert sha256(external_nwb) == before

    proc = run_cli("analyze", external_nwb, "--units", "processing/ecephys/units2", "--t-stop", "2",
                   "--no-figures", "--format", "json", "-o", tmp_path / "r2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["input"]["units"] == 1 and doc["synchrony"] == {}
    assert any(s["analysis"] == "synchrony" and "at least 2 units" in s["reason"] for s in doc["skipped"])
    # One unit with two spikes: labelled single-unit, without an independence test, and no spectrum can say
    # anything from two spikes, so the verdict is "undetermined" with that reason rather than "absent".
    for band, v in doc["rhythms"]["all"].items():
        assert v["single_unit"] is True and v["p_independent"] is None and v["p_independent_holm"] is None
        assert v["verdict"] == "undetermined" and v["present"] is False
        assert v["reason"] == "too few spikes (2; a spectrum needs at least 10)"
        assert v["sentence"] == f"{band.capitalize()} (single unit): undetermined ({v['reason']})"


def test_output_folder_rules(files, planted_run, tmp_path):
    folder = planted_run["folder"]
    stamp = (folder / "report.json").stat().st_mtime_ns
    proc = run_cli("analyze", files["nwb"], cwd=planted_run["work"])
    assert proc.returncode == 2 and "already exists; pass --overwrite" in proc.stderr
    assert (folder / "report.json").stat().st_mtime_ns == stamp

    # An output folder that holds the input is refused even with --overwrite: replacing it would delete the input.
    proc = run_cli("analyze", files["nwb"], "-o", files["nwb"].parent, "--overwrite", cwd=tmp_path)
    assert proc.returncode == 2 and "would hold or replace the input" in proc.stderr
    assert files["nwb"].exists()

    proc = run_cli("analyze", files["csv"], "--overwrite", "--no-figures", "--surrogates", "40", "-o", folder,
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((folder / "report.json").read_text())["input"]["format"] == "csv"
    assert not (folder / "figures").exists()
    assert sorted(p.name for p in folder.parent.iterdir()) == ["synchro-report-planted"]


def test_usage_errors_exit_2_with_one_line(files, tmp_path):
    for args, message in [(["--bands", "gamma=80-30"], "0 < LOW < HIGH"),
                          (["--surrogates", "0"], "--surrogates"),
                          (["--population-column", "layer"], "no unit column 'layer'")]:
        proc = run_cli("analyze", files["npz"], *args, "-o", tmp_path / "r", cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("analyze", tmp_path / "nope.nwb", cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr == f"synchro: error: {tmp_path / 'nope.nwb'} does not exist; check the path\n"
    proc = run_cli("--debug", "analyze", tmp_path / "nope.nwb", cwd=tmp_path)
    assert proc.returncode == 3 and "Traceback" in proc.stderr and "InputNotFoundError" in proc.stderr


def test_too_few_surrogates_for_holm_is_a_usage_error_before_any_reading(files, tmp_path):
    """``--surrogates 19`` with two bands: the smallest p is 1/20 = 0.05, Holm doubles it to 0.1, so no band could
    ever be present. Refused (exit 2, one line naming the minimum) before the input is read or anything written."""
    from synchro.rhythms import min_surrogates

    # band_verdicts calls a band present when its Holm-adjusted p is *below* alpha. With two bands the smallest
    # adjusted p is 2 / (1 + n): 39 surrogates give exactly 0.05, not below it, so the minimum is 40 (one more
    # than min_surrogates(2, 0.05) = 39 says; see the report on synchro.rhythms.min_surrogates).
    needed = 40
    assert 2 / (1 + needed) < 0.05 <= 2 / needed and min_surrogates(2, 0.05) in (needed - 1, needed)
    before = sha256(files["npz"])
    for inputs in ([files["npz"]], [tmp_path / "missing.nwb"]):  # not even the existence of the input is checked
        proc = run_cli("analyze", *inputs, "--surrogates", "19", "-o", tmp_path / "r", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (f"synchro: error: --surrogates 19 cannot reach alpha 0.05 after Holm across 2 bands; "
                               f"use at least {needed}\n")
        assert proc.stdout == ""
    proc = run_cli("analyze", files["npz"], "--surrogates", "39", "--bands", "alpha=8-13,beta=13-30,gamma=30-80",
                   "-o", tmp_path / "r", cwd=tmp_path)
    assert proc.returncode == 2 and "across 3 bands; use at least 60" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == [] and sha256(files["npz"]) == before  # nothing written, input untouched
    # One band needs only 20 (1/21 < 0.05).
    proc = run_cli("analyze", files["npz"], "--surrogates", "19", "--bands", "gamma=30-80", "-o", tmp_path / "r",
                   cwd=tmp_path)
    assert proc.returncode == 2 and "across 1 band; use at least 20" in proc.stderr
    # The sweep applies the same rule to its two default bands, before any simulation.
    proc = run_cli("sweep", "izhikevich2003", "--surrogates", "39", "--scheduler", "serial", "-o", tmp_path / "s",
                   cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr == ("synchro: error: --surrogates 39 cannot reach alpha 0.05 after "
                                                    "Holm across 2 bands; use at least 40\n")
    assert list(tmp_path.iterdir()) == []


def test_help_and_version_are_instant_and_show_examples(tmp_path):
    proc = run_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("synchro, version ")
    for command in ("analyze", "simulate", "demo"):
        proc = run_cli(command, "--help", cwd=tmp_path)
        assert proc.returncode == 0 and "Examples:" in proc.stdout and f"synchro {command}" in proc.stdout
    code = "import sys, synchro.cli; print(sorted(m for m in ('brian2', 'pynwb', 'matplotlib') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_simulate_writes_a_readable_network(tmp_path):
    proc = run_cli("simulate", "izhikevich2003", "--duration", "1", "--seed", "3", "-q", "-o", tmp_path / "run.nwb",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rec = io.read(tmp_path / "run.nwb")
    assert rec.spikes.n_units == 1000 and rec.spikes.duration == pytest.approx(1.0)
    assert rec.spikes.populations() == ["exc", "inh"]
    assert 4.0 < rec.spikes.n_spikes / 1000 < 12.0  # net.m fires at about 7 Hz
    proc = run_cli("simulate", "izhikevich2003", "--duration", "1", "-o", tmp_path / "run.nwb", cwd=tmp_path)
    assert proc.returncode == 2 and "already exists" in proc.stderr


def test_time_unit_us_on_the_command_line(tmp_path):
    # The library read microseconds; the CLI's --time-unit offered only s, ms and samples. The same 200 spikes
    # written in microseconds and in seconds give the same input summary.
    gen = np.random.default_rng(3)
    seconds = np.sort(gen.uniform(0, 20.0, 200))
    units = np.arange(200) % 5
    for name, scale, t_stop in (("s.csv", 1.0, "20"), ("us.csv", 1e6, "20000000")):
        rows = "\n".join(f"{u},{t * scale!r}" for u, t in zip(units.tolist(), seconds.tolist()))
        (tmp_path / name).write_text(f"# t_stop={t_stop}\nunit_id,spike_time\n{rows}\n")
    docs = []
    for name, extra in (("s.csv", ()), ("us.csv", ("--time-unit", "us"))):
        res = run_cli("analyze", name, *extra, "--surrogates", "40", "--no-figures", "-q", "--format", "json",
                      "-o", f"out-{name}", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        docs.append(json.loads(res.stdout)["input"])
    assert docs[1]["duration"] == docs[0]["duration"] == 20.0
    assert docs[1]["spikes"] == docs[0]["spikes"] == 200 and docs[1]["units"] == 5
