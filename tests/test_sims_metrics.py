"""sims.metrics: what one run is reduced to in a sweep, on spike trains with known answers."""

import json
import math

import numpy as np
import pytest

from sims.metrics import run_metrics
from synchro.core import SpikeData
from synchro.errors import UsageError


def _oscillating_population(rng, *, n=200, duration=3.0, f=40.0, rate=10.0, burst_at=0.05):
    """Units firing at `rate` Hz, modulated at f Hz (depth 0.8), all firing once at `burst_at` s."""
    trains = []
    for _ in range(n):
        t = rng.uniform(0, duration, rng.poisson(3 * rate * duration))
        keep = rng.random(t.size) < (1 + 0.8 * np.sin(2 * np.pi * f * t)) / 3
        trains.append(np.sort(np.r_[t[keep], burst_at + rng.normal(0, 0.0005)]))
    pops = ["exc"] * (n * 4 // 5) + ["inh"] * (n // 5)
    return SpikeData.from_trains(trains, t_start=0.0, t_stop=duration, units={"population": pops})


def test_run_metrics_known_population(rng):
    data = _oscillating_population(rng)
    m = run_metrics(data, n_surrogates=40, rng=3)
    v = m.values
    assert v["rate_exc"] == pytest.approx(10.0, rel=0.05) and v["rate_inh"] == pytest.approx(10.0, rel=0.08)
    assert v["gamma_present"] == 1.0 and v["gamma_peak_hz"] == pytest.approx(40.0, abs=2.0)
    assert v["gamma_centroid_hz"] == pytest.approx(40.0, abs=2.0)
    assert v["gamma_p"] < 0.05 and v["alpha_present"] == 0.0
    assert v["onset_time_s"] == pytest.approx(0.05, abs=0.002)
    assert v["onset_height_hz"] > 100  # 200 spikes in ~1 ms over 200 units, smoothed by 2 ms
    expected = [np.count_nonzero(data.train(i) < 0.1) for i in range(data.n_units)]
    np.testing.assert_array_equal(m.early_counts, expected)
    doc = m.to_dict()
    json.dumps(doc, allow_nan=False)
    assert doc["analysis"] == "run_metrics" and doc["early_counts"] == expected
    assert m.parameters["n_surrogates"] == 40 and m.parameters["seed"] == 3


def test_run_metrics_of_a_silent_network():
    data = SpikeData.from_trains([np.empty(0)] * 4, t_start=0.0, t_stop=1.0, units={"population": ["exc"] * 4})
    v = run_metrics(data).values
    assert v["rate_exc"] == 0.0 and v["gamma_present"] == 0.0
    assert math.isnan(v["gamma_peak_hz"]) and math.isnan(v["chi"]) and math.isnan(v["onset_time_s"])


def test_run_metrics_rejects_too_few_surrogates(rng):
    data = _oscillating_population(rng, n=10, duration=1.0)
    with pytest.raises(UsageError, match="at least 40"):
        run_metrics(data, n_surrogates=39)
    with pytest.raises(UsageError, match="discard"):
        run_metrics(data, discard=1.0)
