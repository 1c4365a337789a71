"""Rhythm verdicts on a real recording that no one on this project simulated.

The recording: 289 sorted clusters over 120 s, shipped inside the ibllib wheel
(``brainbox/tests/fixtures/ephys_test.p``, International Brain Laboratory, MIT licence). Nothing in the
package documents its origin; it is recorded, not simulated: every inter-spike interval is a whole multiple
of 1/30000 s (Neuropixels sampling), the busiest units have almost no ISIs under 1.5 ms (refractoriness
holds), and the cluster ids are sparse as Kilosort output is. ``make test`` downloads the wheel (pinned by
version, the file checked by SHA-256 before it is unpickled).

Its population-rate spectrum falls as 1/f from 2 Hz and flattens to the Poisson floor (over the floor: 7.4
at 2 Hz, 2.4 at 5-7 Hz, 1.8 at 8 Hz, 1.2 at 20-60 Hz). What the units share is slow, aperiodic
co-fluctuation across the whole spectrum: the independence test finds it in every band. Above 8 Hz the
spectrum has no bump at all, so the right word for alpha, beta, gamma and 150-190 Hz is "broadband", never
"present" -- where the previous verdict (independence test alone) called all four "present", alpha with its
spectrum *below* the background fit. Below 8 Hz there is a faint plateau (5-7 Hz at 2.4x the floor before
the fall to 1.8x at 8 Hz), a trace of theta as cortical and hippocampal probes in mice often carry; the
theta verdict may find it, but only as a weak peak.
"""

import hashlib
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from synchro.core import SpikeData
from synchro.rhythms import band_verdicts

WHEEL = Path(sys.prefix) / "test-data" / "ibllib-4.1.0-py3-none-any.whl"
MEMBER = "brainbox/tests/fixtures/ephys_test.p"
SHA256 = "76efa446f69b9c01511e22d201a36b9b20051f00b750b1fb5011febcde409eb8"
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 80.0),
         "high": (150.0, 190.0)}


@pytest.fixture(scope="module")
def neuropixels():
    if not WHEEL.exists():
        pytest.fail(f"{WHEEL} is missing: `make test` downloads it (pip download --no-deps ibllib==4.1.0)")
    with zipfile.ZipFile(WHEEL) as z:
        raw = z.read(MEMBER)
    assert hashlib.sha256(raw).hexdigest() == SHA256  # before unpickling anything
    d = pickle.loads(raw)
    ids, unit = np.unique(d["spike_clusters"].astype(np.int64), return_inverse=True)
    order = np.lexsort((d["spike_times"], unit))
    return SpikeData.from_arrays(d["spike_times"][order], unit[order], t_start=0.0, t_stop=120.0,
                                 units={"id": ids})  # Kilosort's cluster ids


def test_neuropixels_recording_is_broadband_never_present(neuropixels):
    assert neuropixels.n_units == 289 and neuropixels.n_spikes == 124905
    res = band_verdicts(neuropixels, bands=BANDS, rng=0)
    assert {b: w for b, w in res.words.items() if b != "theta"} == {b: "broadband" for b in BANDS if b != "theta"}
    assert res["theta"].verdict in ("present", "broadband") and res["theta"].power_ratio < 1.5
    for v in res.verdicts:
        assert v.p_independent_holm < 0.05 and v.overshoot < 1.0
        if v.name != "theta":
            # Whatever local maximum the band holds stands less than 1.3x above the background.
            assert v.p_peak_holm >= 0.05 and (np.isnan(v.power_ratio) or v.power_ratio < 1.3)


def test_neuropixels_recording_has_no_sustained_rhythm_episodes(neuropixels):
    """Rhythm episodes on the same recording: its spectrum has no bump above 8 Hz (the verdicts say broadband),
    so no band may be "in rhythm" for more than a trace of the time, and what is flagged must be short. Measured
    (seeds 0 and 1): 0.17-0.38 % of the assessed time per band, episodes of 0.08-0.45 s (gamma's at about the
    3-cycle minimum), against 82 % of W1 in gamma episodes. It is more than the calibrated null's 0.1 % and one a
    minute (gamma: 3-4 episodes in 2 minutes): a real population's bursts of activity are less stationary than
    the Gaussian background the threshold is calibrated on, which the docs state; the limits below allow that
    but not a rhythm."""
    from synchro.episodes import rhythm_episodes

    bands = {b: BANDS[b] for b in ("theta", "alpha", "beta", "gamma")}
    res = rhythm_episodes(neuropixels, bands=bands, rng=0)
    for b in res.bands:
        assert b.assessed_duration > 115.0, b.name  # 120 s less the cones of influence
        assert b.fraction_in_rhythm < 0.01, (b.name, b.fraction_in_rhythm)
        assert b.episodes_per_minute <= 3.0, (b.name, b.episodes_per_minute)
        assert all(e.duration < 0.5 for e in b.episodes), (b.name, b.episodes)


def test_neuropixels_recording_has_no_alpha_gamma_coupling(neuropixels):
    """Phase-amplitude coupling on the same recording: there is no alpha rhythm whose phase could organise
    anything (the spectrum is flat over the background from 8 Hz on), so alpha -> gamma must not be significant
    and its modulation index must sit at its amplitude-shift chance level (measured: MI 4.3e-5 against chance
    4.9e-5, p 0.53 and 0.49 for seeds 0 and 1; the 2003 network's alpha -> gamma MI is 0.0101, chance 0.0013).
    Theta -> gamma, over the faint theta plateau, gives MI 1.8e-4 (p 0.02-0.045): weak, and 50 times below the
    network's, as the small theta trace leads one to expect; it is measured, not asserted here."""
    from synchro.rhythms import phase_amplitude_coupling

    res = phase_amplitude_coupling(neuropixels, phase_band=BANDS["alpha"], amplitude_band=BANDS["gamma"], rng=0)
    assert res.p > 0.05 and abs(res.z) < 2.0, res.summary()
    assert res.mi < 1e-3
