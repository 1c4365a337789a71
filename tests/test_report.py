"""The report layer in process: band parsing, seeds and reproducibility, skipping, atomic output folders."""

import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from test_cli import planted_recording

from synchro import Recording, Signal, SpikeData, io, rhythms
from synchro.cluster import ONE_THREAD
from synchro.errors import NothingToAnalyseError, UsageError
from synchro.report import build_report, check_output_folder, parse_bands, write_report


@pytest.fixture(scope="module")
def session():
    rec = planted_recording()
    clean, _ = rec.spikes.curated()
    return Recording(clean, dict(rec.signals))


@pytest.fixture(scope="module")
def report(session):
    return build_report(session, n_surrogates=49, rng=11)


def test_parse_bands():
    assert parse_bands("alpha=8-13, gamma=30-80") == {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}
    assert parse_bands("theta=4.5-8") == {"theta": (4.5, 8.0)}
    for bad, message in [("gamma=80-30", "0 < LOW < HIGH"), ("gamma", "NAME=LOW-HIGH"), ("=1-2", "NAME=LOW-HIGH"),
                         ("a=x-2", "NAME=LOW-HIGH"), ("a=1-2,a=3-4", "given twice"), (" , ", "names no band")]:
        with pytest.raises(UsageError, match=message):
            parse_bands(bad)


def _call(doc: dict, analysis: str, population: str) -> dict:
    """The recorded call of one analysis of one population (outside sections)."""
    (call,) = [c for c in doc["parameters"]["calls"] if (c["analysis"], c["population"], c["section"], c["band"])
               == (analysis, population, None, None)]
    return call


def test_same_seed_same_report_and_every_number_recomputable(session, report):
    again = build_report(session, n_surrogates=49, rng=11).to_dict()
    first = report.to_dict()
    for key in ("rhythms", "synchrony", "coupling", "parameters", "skipped"):
        assert again[key] == first[key]
    # The recorded call reproduces the verdicts when run alone, outside the report.
    record = _call(first, "rhythms", "inh")
    assert record["function"] == "synchro.rhythms.band_verdicts"
    call = dict(record["parameters"])
    call["bands"] = {k: tuple(v) for k, v in call["bands"].items()}
    estimator = dict(call.pop("estimator"))  # recorded as its to_dict(): name and fields
    call["estimator"] = {"welch": rhythms.Welch, "multitaper": rhythms.Multitaper}[estimator.pop("name")](**estimator)
    if call["freq_range"] is not None:  # None: the library's default fit range, widened around the bands
        call["freq_range"] = tuple(call["freq_range"])
    alone = rhythms.band_verdicts(report.data.select(population="inh"), **call)
    for band in ("alpha", "gamma"):
        recorded = first["rhythms"]["inh"][band]
        assert alone[band].verdict == recorded["verdict"] and alone[band].sentence() == recorded["sentence"]
        for key in ("p_peak", "p_peak_holm", "p_independent", "p_independent_holm", "fit_p_value"):
            assert getattr(alone[band], key) == recorded[key], key
        assert alone[band].peak_hz == recorded["peak_hz"]
    # Every analysis gets the seed itself (rng=11, as a notebook would pass it), and another seed gives other
    # surrogates.
    seeds = {_call(first, a, p)["parameters"]["rng"]
             for a in ("rhythms", "chi", "sttc", "spike_sync", "spike_contrast", "fano") for p in ("all", "exc", "inh")}
    assert seeds == {11}
    # Every recorded function is named by the path a user imports, whichever module of its package defines it.
    functions = {c["analysis"]: c["function"] for c in first["parameters"]["calls"]}
    assert functions["sttc"] == "synchro.synchrony.sttc_matrix"
    for path in functions.values():
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name).__name__ == name and module.count(".") == 1, path
    other = build_report(session, n_surrogates=49, rng=12).to_dict()
    assert other["rhythms"]["inh"]["alpha"]["p_independent"] != first["rhythms"]["inh"]["alpha"]["p_independent"]


def test_json_is_strict_and_carries_the_required_fields(report):
    doc = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert doc["schema_version"] == "3.2"
    assert {"units", "spikes", "duration", "populations", "field"} <= set(doc["input"])
    assert set(doc["rhythms"]["exc"]["gamma"]) == {
        "present", "verdict", "reason", "sentence", "peak_hz", "power_ratio", "power_db", "width_hz", "edge",
        "p_peak", "p_peak_holm", "p_independent", "p_independent_holm", "fit_p_value", "overshoot", "single_unit"}
    for bands in doc["rhythms"].values():
        for v in bands.values():
            assert v["verdict"] in rhythms.VERDICTS and v["present"] is (v["verdict"] == "present")
    assert set(doc["synchrony"]["all"]) == {"chi", "sttc", "spike_sync", "spike_contrast", "fano"}
    for name, index in doc["synchrony"]["all"].items():
        # Every index against its chance level, computed by default (20 surrogates: p is at least 1/21).
        assert index["chance"] is not None and 1 / 21 <= index["p"] <= 1, name
    assert doc["parameters"]["synchrony_null"]["n_surrogates"] == 20
    # Structured records, not "analysis (population)" keys.
    (sttc,) = [t for t in doc["timings"] if (t["analysis"], t["population"]) == ("sttc", "exc")]
    assert set(sttc) == {"analysis", "section", "population", "band", "seconds"} and sttc["seconds"] >= 0
    assert {"ppc", "plv", "preferred_phase"} <= set(doc["coupling"]["inh"]["alpha"])
    assert doc["parameters"]["bands"] == {"alpha": [8.0, 13.0], "gamma": [30.0, 80.0]}


def test_what_the_data_cannot_support_is_skipped_with_a_reason():
    gen = np.random.default_rng(3)
    trains = [np.sort(gen.uniform(0, 4, 40)) for _ in range(5)]
    spikes = SpikeData.from_trains(trains, t_stop=4.0, units={"population": ["a"] * 4 + ["b"]})
    report = build_report(Recording(spikes), n_surrogates=40)
    assert set(report.synchrony) == {"all", "a"}
    reasons = {(s["analysis"], s["population"]): s["reason"] for s in report.skipped}
    assert "at least 2 units" in reasons[("synchrony", "b")]
    assert "no field signal" in reasons[("coupling", "all")]
    assert "Skipped" in report.summary()
    # A field sampled at 150 Hz carries alpha but cannot be band-passed at 30-80 Hz: gamma coupling is skipped.
    slow = Signal(gen.standard_normal(600), 150.0, name="LFP")
    report = build_report(Recording(spikes, {"LFP": slow}), n_surrogates=40)
    assert set(report.coupling["all"]) == {"alpha"}
    reasons = {(s["analysis"], s["population"], s["band"]): s["reason"] for s in report.skipped}
    assert "too slow for a band up to 80 Hz" in reasons[("phase_locking", "all", "gamma")]


def test_simulations_drop_their_onset_and_empty_windows_are_refused():
    gen = np.random.default_rng(4)
    spikes = SpikeData.from_trains([np.sort(gen.uniform(0, 2, 30)) for _ in range(4)], t_stop=2.0)
    report = build_report(Recording(spikes, metadata={"simulator": "brian2"}), n_surrogates=40)
    assert report.parameters["time_window"] == [0.2, 2.0] and report.data.t_start == 0.2
    silent = SpikeData.from_trains([np.empty(0)] * 3, t_stop=2.0)
    with pytest.raises(NothingToAnalyseError, match="no spikes in 0-2 s"):
        build_report(Recording(silent))
    with pytest.raises(UsageError, match="no unit column 'layer'"):
        build_report(Recording(spikes), population_column="layer")


def test_report_folders_are_written_whole_and_never_clobbered(report, tmp_path):
    target = write_report(report, tmp_path / "r", figures=False)
    assert sorted(p.name for p in target.iterdir()) == ["report.html", "report.json", "summary.txt"]
    with pytest.raises(UsageError, match="already exists; pass --overwrite"):
        write_report(report, target, figures=False)
    (target / "stale.txt").write_text("from an older run")
    write_report(report, target, overwrite=True, figures=False)
    assert not (target / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary or set-aside folders left
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.nwb").write_bytes(b"input")
    with pytest.raises(UsageError, match="would hold or replace the input"):
        check_output_folder(tmp_path, inputs=[data / "x.nwb"], overwrite=True)
    # Missing parent folders are created (a convenience of -o out/x), and nothing but the report is left there.
    nested = write_report(report, tmp_path / "no" / "such", figures=False)
    assert sorted(p.name for p in nested.parent.iterdir()) == ["such"] and (nested / "report.json").is_file()
    with pytest.raises(UsageError, match="not a report folder"):
        check_output_folder(tmp_path, overwrite=True)  # holds data/, no/ and r/, no report.json: never replaced


def test_summary_lines_fit_80_columns(report):
    text = report.summary()
    assert max(map(len, text.splitlines())) <= 80
    assert "exc         gamma 30-80 Hz  present" in text


def test_summary_gives_one_sentence_per_population_and_band_above_the_table(report):
    text = report.summary()
    flat = " ".join(text.split())
    table = flat.index("population band verdict peak Hz peak/bg p peak p indep")
    for pop, bands in report.rhythms.items():
        for band, v in bands.items():
            assert flat.index(f"{pop}: {v['sentence']}") < table, (pop, band)
    assert "exc: Gamma: present, 40 Hz, " in text
    assert "inh: Gamma: absent" in text
    # The table's p columns are the Holm-adjusted p-values of the two tests.
    row = next(line.split() for line in text.splitlines() if line.startswith("  exc ") and "gamma" in line)
    gamma = report.rhythms["exc"]["gamma"]
    assert row[4:] == ["present", f"{gamma['peak_hz']:.1f}", f"{gamma['power_ratio']:.3g}",
                       f"{gamma['p_peak_holm']:.3f}", f"{gamma['p_independent_holm']:.3f}"]


def test_undetermined_bands_say_why_in_every_output():
    """A 3 s recording cannot hold 10 cycles of 2 Hz: "undetermined", with the minimum stated, in report.json,
    the text summary and the HTML answer; the other band is still decided."""
    from test_cli import _text_of

    from synchro.report.html import render_html

    gen = np.random.default_rng(8)
    trains = [np.sort(gen.uniform(0, 3, 30)) for _ in range(20)]
    rep = build_report(Recording(SpikeData.from_trains(trains, t_stop=3.0)), bands={"delta": (2, 4), "gamma": (30, 80)},
                       n_surrogates=40, rng=1)
    delta, gamma = rep.rhythms["all"]["delta"], rep.rhythms["all"]["gamma"]
    assert delta["verdict"] == "undetermined" and delta["present"] is False
    assert delta["reason"].startswith("recording too short") and "5 s" in delta["reason"]
    assert delta["sentence"] == f"Delta: undetermined ({delta['reason']})"
    assert np.isnan(delta["p_peak_holm"]) and np.isnan(delta["p_independent_holm"])  # not tested: out of Holm
    assert rep.to_dict()["rhythms"]["all"]["delta"]["p_peak_holm"] is None  # null in report.json
    assert gamma["verdict"] == "absent"  # independent Poisson units
    text = rep.summary()
    assert max(map(len, text.splitlines())) <= 80
    assert "all: Delta: undetermined (recording too short" in text
    assert "delta 2-4 Hz    undetermined" in text
    html = render_html(rep, text, [])
    assert f"all {delta['sentence']}" in _text_of(html[:html.index("</section>")])


def test_too_few_surrogates_is_refused_before_any_analysis(session):
    with pytest.raises(UsageError, match=r"n_surrogates 39 cannot reach alpha 0.05 after Holm across 2 bands; "
                                         r"use at least 40"):
        build_report(session, n_surrogates=39)
    with pytest.raises(UsageError, match="across 1 band; use at least 20"):
        build_report(session, n_surrogates=19, bands={"gamma": (30, 80)})
    with pytest.raises(UsageError, match="alpha must lie strictly between 0 and 1"):
        build_report(session, alpha=0)


def test_report_json_matches_the_shipped_schema_and_the_schema_bites(small_recording):
    """The JSON Schema in the package describes report.json: a real report validates, and changing a verdict word,
    a p-value's range, a field's name or the version breaks it (every report.json the tests write is also
    validated at the end of the run, in conftest)."""
    from conftest import schema_errors

    from synchro.report import SCHEMA_FILE, SCHEMA_VERSION

    assert json.loads(SCHEMA_FILE.read_text())["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    doc = json.loads(json.dumps(build_report(small_recording, n_surrogates=40, rng=0).to_dict(), allow_nan=False))
    assert schema_errors(doc) == []
    band = doc["rhythms"]["all"]["alpha"]
    for change in [{"verdict": "maybe"}, {"p_peak": 1.5}, {"present": not band["present"]}, {"peak_frequency": 10.0}]:
        broken = json.loads(json.dumps(doc))
        broken["rhythms"]["all"]["alpha"].update(change)
        errors = schema_errors(broken)
        assert errors and all(e.startswith("rhythms/all/alpha") for e in errors), (change, errors)
    assert schema_errors({**doc, "schema_version": "2.0"})
    assert schema_errors({k: v for k, v in doc.items() if k != "timings"})


def test_schema_bites_on_packed_keys_and_synchrony_records(small_recording):
    """Timings are records, not "analysis (population)" keys, and a synchrony index carries value, chance, z
    and p: the schema refuses the 2.x shapes."""
    from conftest import schema_errors

    doc = json.loads(json.dumps(build_report(small_recording, n_surrogates=40, rng=0).to_dict(), allow_nan=False))
    assert schema_errors({**doc, "timings": {"sttc (all)": 0.1}})
    sync = json.loads(json.dumps(doc["synchrony"]))
    sync["all"]["sttc"] = {"value": 0.1, "chance": 0.0, "z": 3.0, "p": 0.0}  # p of a Monte Carlo test is never 0
    assert schema_errors({**doc, "synchrony": sync})
    sync["all"] = {"sttc_mean": 0.1, "sttc_z": 3.0}
    assert schema_errors({**doc, "synchrony": sync})


def test_rng_is_an_int_seed_or_a_generator(small_recording):
    """An int is the recorded seed; a Generator is used as it is, the seed recorded as null with a note; both are
    passed on to every analysis, so the same seed (or the same Generator state) gives the same report."""
    by_seed = build_report(small_recording, n_surrogates=40, rng=5)
    assert by_seed.parameters["seed"] == 5 and by_seed.parameters["seed_note"] is None
    a = build_report(small_recording, n_surrogates=40, rng=np.random.default_rng(5))
    b = build_report(small_recording, n_surrogates=40, rng=np.random.default_rng(5))
    assert a.parameters["seed"] is None and "Generator" in a.parameters["seed_note"]
    assert a.to_dict()["synchrony"] == b.to_dict()["synchrony"]
    with pytest.raises(UsageError, match="rng"):
        build_report(small_recording, n_surrogates=40, rng="five")


def test_mechanism_records_are_the_library_calls_they_record(report):
    """The lag (exc and inh, both present, so measured by default) and the phase-amplitude coupling (alpha phase,
    gamma amplitude: gamma is wide enough to hold alpha's sidebands) in report.json are what the recorded calls
    give when run alone. The planted inh units carry no rhythm, so their lag is undetermined, with its reason
    also in ``skipped``: an undefined lag is never a number."""
    from synchro.lag import population_lag

    doc = report.to_dict()
    assert [(r["first"], r["second"], r["band"]) for r in doc["lag"]] == [("exc", "inh", "alpha"), ("exc", "inh",
                                                                                                     "gamma")]
    for rec in doc["lag"]:
        (call,) = [c for c in doc["parameters"]["calls"] if c["analysis"] == "population_lag" and c["band"] ==
                   rec["band"]]
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in call["parameters"].items()}
        alone = population_lag(report.data, **params)
        assert alone.reason == rec["reason"]
        if rec["reason"]:
            assert rec["lag"] is None and any(s["analysis"] == "population_lag" and s["band"] == rec["band"]
                                              for s in doc["skipped"])
        else:
            assert alone.lag == rec["lag"] and list(alone.lag_ci) == rec["lag_ci"]
    assert set(doc["cross_frequency"]) == {"all", "exc", "inh"}
    for pop, records in doc["cross_frequency"].items():
        (rec,) = records
        assert (rec["phase_band"], rec["amplitude_band"]) == ("alpha", "gamma")
        (call,) = [c for c in doc["parameters"]["calls"] if c["analysis"] == "phase_amplitude_coupling"
                   and c["population"] == pop]
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in call["parameters"].items()}
        data = report.data if pop == "all" else report.data.select(population=pop)
        alone = rhythms.phase_amplitude_coupling(data, **params)
        assert (alone.mi == rec["mi"] or rec["mi"] is None) and alone.reason == rec["reason"]
        assert alone.p == rec["p"] or rec["p"] is None


def test_lag_populations_must_name_two_labels_of_the_data(session):
    with pytest.raises(UsageError, match=r"two different labels of the 'population' column.*\['exc', 'inh'\]"):
        build_report(session, n_surrogates=49, lag_populations=("exc", "pyr"))
    with pytest.raises(UsageError, match="two different labels"):
        build_report(session, n_surrogates=49, lag_populations=("exc", "exc"))


def test_a_band_too_fast_to_band_pass_is_skipped_by_the_mechanism_steps_not_fatal(session):
    """A band the verdicts accept (up to Nyquist, 500 Hz for 1 ms bins) but a band-pass cannot follow (above
    1000 Hz / 2.5 = 400 Hz) is skipped, with the reason, by the lag and the phase-amplitude coupling; the report
    is still made (it had ended with a usage error)."""
    doc = build_report(session, bands={"alpha": (8.0, 13.0), "fast": (100.0, 450.0)}, n_surrogates=49).to_dict()
    reasons = {(s["analysis"], s["population"], s["band"]): s["reason"] for s in doc["skipped"]}
    for key in [("phase_amplitude_coupling", pop, "fast") for pop in ("all", "exc", "inh")] + [
            ("population_lag", "all", "fast")]:
        assert "reaches 450 Hz" in reasons[key] and "up to 400 Hz" in reasons[key], key
    assert [r["band"] for r in doc["lag"]] == ["alpha"] and doc["cross_frequency"] == {}
    assert set(doc["episodes"]["all"]) == {"alpha", "fast"}


def test_a_long_session_gives_the_same_numbers_in_a_process_with_one_thread(tmp_path):
    """A dask worker, or a cluster node, runs with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 (dask sets both in
    its workers), where ``synchro analyze`` on a laptop has two threads of each. A session's report must not depend
    on it, or a cohort's row would differ from the same session analysed alone.

    Ten minutes make the episodes' expected wavelet power a BLAS product over about 55,000 frequency bins, which a
    threaded BLAS splits between its threads; the episodes' null transforms a complex64 batch, which scipy's FFT
    rounds differently on one thread. Before one_blas_thread and FFT_WORKERS, the two runs differed in the last
    digits of the episodes' thresholds and power ratios.
    """
    gen = np.random.default_rng(5)
    duration, trains = 600.0, []
    for _ in range(30):  # 6 spikes/s, thinned by half under a 40 Hz modulation: gamma episodes all along
        t = np.sort(gen.uniform(0, duration, gen.poisson(6.0 * duration)))
        trains.append(t[gen.random(t.size) < 0.5 * (1 + 0.8 * np.sin(2 * np.pi * 40.0 * t))])
    path = tmp_path / "long.nwb"
    io.write_nwb(Recording(SpikeData.from_trains(trains, t_stop=duration)), path)
    docs = []
    for name, threads in (("laptop", {}), ("worker", ONE_THREAD)):
        env = {k: v for k, v in os.environ.items() if k not in ONE_THREAD} | threads | {"MPLBACKEND": "Agg"}
        subprocess.run([sys.executable, "-m", "synchro", "analyze", str(path), "-q", "-o", str(tmp_path / name),
                        "--no-figures", "--surrogates", "40", "--synchrony-surrogates", "2"], env=env, check=True,
                       timeout=300)
        doc = json.loads((tmp_path / name / "report.json").read_text())
        docs.append({k: v for k, v in doc.items() if k not in ("timings", "generator")})
    assert docs[0]["episodes"]["all"]["gamma"]["n_episodes"] >= 10  # numbers to compare, not empty sections
    assert docs[0] == docs[1]
