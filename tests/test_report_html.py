"""``synchro demo`` end to end, and its report.html rendered by headless Chromium: the figures must show.

Chromium is Debian's ``chromium`` package (CI installs it when it can); where
it is missing the screenshot test is skipped. Where it is installed but cannot
start, times out or makes no screenshot, the test fails: that is the failure
the test exists to catch, not a reason to look away.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synchro import Recording, SpikeData, io
from synchro.report import build_report
from synchro.report.html import render_html
from synchro.rhythms import VERDICTS

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]

# matplotlib's tab:blue and tab:red: the exc and inh populations in raster, rates and coupling figures.
TAB_BLUE = np.array([31, 119, 180]) / 255
TAB_RED = np.array([214, 39, 40]) / 255


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``synchro demo`` on a 2 s network: the folder it made and what it printed."""
    work = tmp_path_factory.mktemp("demo")
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "demo", "--duration", "2", "-q", "-o", "demo"],
                          cwd=work, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    return work / "demo", proc.stdout


def test_demo_simulates_writes_nwb_and_reports(demo):
    folder, stdout = demo
    assert stdout.strip() == f"Report: {Path('demo') / 'report' / 'report.html'}"
    rec = io.read(folder / "izhikevich2003.nwb")
    assert rec.spikes.n_units == 1000 and "field_proxy" in rec.signals
    import json

    doc = json.loads((folder / "report" / "report.json").read_text())
    assert doc["parameters"]["time_window"] == [pytest.approx(0.2), pytest.approx(2.0)]  # onset transient dropped
    assert set(doc["rhythms"]) == {"all", "exc", "inh"} and doc["input"]["field"]["name"] == "field_proxy"
    assert doc["coupling"]["exc"]["gamma"]["n_spikes"] > 1000
    # The page opens with the answer: the sentence of every population and band, as report.json words it.
    html = (folder / "report" / "report.html").read_text()
    start, end = html.index('<section id="answer">'), html.index("</section>")
    assert start < html.index("<h2>Summary</h2>")
    answer = _text_of(html[start:end])
    for pop, bands in doc["rhythms"].items():
        assert set(bands) == {"alpha", "gamma"}
        for v in bands.values():
            assert v["verdict"] in VERDICTS and v["present"] == (v["verdict"] == "present")
            assert f"{pop} {v['sentence']}" in answer
    summary = " ".join((folder / "report" / "summary.txt").read_text().split())
    assert all(f"{pop}: {v['sentence']}" in summary for pop, bands in doc["rhythms"].items() for v in bands.values())
    # Who leads whom, in the answer and the summary: in the 2003 network's gamma the inhibitory rate follows the
    # excitatory one (PING: excitation recruits the interneurons, which fire a few ms later); its lag in ms and
    # degrees, as report.json holds it.
    (gamma,) = [v for v in doc["lag"] if v["band"] == "gamma"]
    assert (gamma["first"], gamma["second"]) == ("exc", "inh") and gamma["reason"] == ""
    assert 0.0005 < gamma["lag"] < 0.008 and gamma["lag_ci"][0] > 0 and 0 < gamma["phase_degrees"] < 180
    lead = f"inh lags exc by {gamma['lag'] * 1e3:.1f} ms (lag +{gamma['lag'] * 1e3:.1f} ms"
    assert lead in answer and lead in summary
    assert {r["amplitude_band"] for recs in doc["cross_frequency"].values() for r in recs} == {"gamma"}


def _text_of(html: str) -> str:
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_answer_section_states_each_verdict_escaped_with_the_word_in_bold():
    """Population and band names come from the user's file: everything in the answer is escaped."""
    gen = np.random.default_rng(2)
    t = 4.0
    trains = []
    for i in range(40):  # 20 units share a 40 Hz modulation; 20 fire independently
        cand = np.sort(gen.uniform(0, t, gen.poisson(20 * t)))
        depth = 0.8 if i < 20 else 0.0
        trains.append(cand[gen.uniform(size=cand.size) < (1 + depth * np.cos(2 * np.pi * 40 * cand)) / (1 + depth)])
    pops = ["<script>x</script>"] * 20 + ["a&b"] * 20
    rep = build_report(Recording(SpikeData.from_trains(trains, t_stop=t, units={"population": pops})),
                       bands={"g<1>": (30, 80)}, n_surrogates=40, rng=3)
    html = render_html(rep, rep.summary(), [])
    start, end = html.index('<section id="answer">'), html.index("</section>")
    answer = html[start:end]
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in answer and "a&amp;b" in answer
    assert start < html.index("<pre>")
    shown = _text_of(answer)
    for pop, bands in rep.rhythms.items():
        v = bands["g<1>"]
        assert f"{pop} {v['sentence']}" in shown
        word = "broadband" if v["verdict"] == "broadband" else v["verdict"]
        assert f"G&lt;1&gt;: <b>{word}</b>" in answer
    assert rep.rhythms["<script>x</script>"]["g<1>"]["verdict"] == "present"  # 80 % modulation, 20 units
    assert rep.rhythms["a&b"]["g<1>"]["verdict"] == "absent"  # independent Poisson units
    assert ("What present means: a spectral peak above the aperiodic background, beyond independent units."
            in shown)
    assert 'Methods: docs/methods.rst, section "Rhythm verdicts".' in shown.replace("\u201c", '"').replace(
        "\u201d", '"')


def test_demo_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    proc = subprocess.run([sys.executable, "-m", "synchro.cli", "demo", "-o", "mine"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "was not made by synchro demo" in proc.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def test_html_report_renders_its_figures_in_chromium(demo, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    html = demo[0] / "report" / "report.html"
    shot = tmp_path / "shot.png"
    # Chromium is present from here on: an exception or a missing screenshot fails the test (no skip).
    proc = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           f"--screenshot={shot}", "--window-size=1200,4200", html.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), f"{browser} made no screenshot (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    import matplotlib.image

    rgb = matplotlib.image.imread(shot)[..., :3]
    assert rgb.shape[:2] == (4200, 1200)
    assert rgb.std() > 0.05  # not a blank page

    def share_near(colour):
        return float(np.mean(np.abs(rgb - colour).max(axis=-1) < 0.08))

    # Coloured figure pixels exist only if the <img> tags loaded the PNGs from the relative paths.
    assert share_near(TAB_BLUE) > 0.002
    assert share_near(TAB_RED) > 0.0005
    # The figures sit below the summary: the lower half of the page carries figure colour too.
    lower = rgb[2100:]
    assert float(np.mean(np.abs(lower - TAB_BLUE).max(axis=-1) < 0.08)) > 0.0005
