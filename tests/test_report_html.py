"""``synchro demo`` end to end, and its report.html rendered by headless Chromium: the figures must show.

Chromium is Debian's ``chromium`` package (CI installs it when it can); where
it is missing or cannot start, the screenshot test is skipped with the reason.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synchro import io

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
    assert doc["parameters"]["window"] == [pytest.approx(0.2), pytest.approx(2.0)]  # onset transient dropped
    assert set(doc["rhythms"]) == {"all", "exc", "inh"} and doc["input"]["field"]["name"] == "field_proxy"
    assert doc["coupling"]["exc"]["gamma"]["n_spikes"] > 1000


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
    try:
        proc = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                               f"--screenshot={shot}", "--window-size=1200,4200", html.as_uri()],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        pytest.skip(f"chromium could not run here: {err}")
    if not shot.exists():
        pytest.skip(f"chromium made no screenshot (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
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
