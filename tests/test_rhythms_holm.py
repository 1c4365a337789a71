"""The rhythm verdicts follow the Holm-adjusted p-values, not the raw ones, through band_verdicts itself.

The p-values of band_verdicts do not depend on ``alpha`` (it only decides), so one seeded run gives the raw
and adjusted p-values, and a second run with the same seed, at an ``alpha`` chosen between a band's raw
and Holm p-value, must give the verdict that the Holm p-value gives. A verdict read from raw p-values
gives another word there. The Holm adjustment itself is written out here (Holm 1979, step-down).
"""

import numpy as np
import pytest
import rhythm_families as families

from synchro.core import SpikeData
from synchro.rhythms import band_verdicts

# Four bands, so that Holm multiplies the smallest p-value by 4: wide gaps between raw and adjusted p.
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 80.0)}
N_SURROGATES = 99  # p-values in steps of 1/100; at least 4 / alpha for every alpha used here (alpha > 0.04)


def holm_by_hand(p):
    """Holm's adjusted p-values: sorted ascending, the k-th (from 0) times (m - k), running maximum, at most 1."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted = np.maximum.accumulate([(m - k) * p[i] for k, i in enumerate(order)])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def word_by_hand(v, alpha):
    """The verdict rule, on Holm-adjusted p-values (a unit alone: the peak test alone)."""
    peak = v.p_peak_holm < alpha
    if np.isnan(v.p_independent):
        return "present" if peak else "absent"
    shared = v.p_independent_holm < alpha
    return "present" if peak and shared else "broadband" if shared else "absent"


def run(data, alpha):
    res = band_verdicts(data, bands=BANDS, n_surrogates=N_SURROGATES, alpha=alpha, rng=5)
    return {name: res[name] for name in BANDS}


def first_run(data):
    first = run(data, 0.05)
    assert all(v.verdict != "undetermined" for v in first.values())  # every band is one of Holm's family
    for test in ("p_peak", "p_independent"):
        raw = np.array([getattr(first[name], test) for name in BANDS])
        if np.isnan(raw).all():
            continue
        np.testing.assert_allclose([getattr(first[name], test + "_holm") for name in BANDS], holm_by_hand(raw),
                                   rtol=0, atol=1e-12)
    return first


def test_the_independence_verdict_follows_holm_not_raw_p_values():
    # Independent Poisson units: no shared power, moderate p-values. Pick the band with the widest gap between
    # its raw and Holm p (independence test) and set alpha between them: shared by raw p, not by Holm's.
    data = families.poisson_set(np.random.default_rng(1))
    first = first_run(data)
    name = max(BANDS, key=lambda b: first[b].p_independent_holm - first[b].p_independent)
    raw, adjusted = first[name].p_independent, first[name].p_independent_holm
    assert adjusted - raw >= 0.1, (name, raw, adjusted)  # the premise: room for alpha between them
    alpha = (raw + adjusted) / 2
    second = run(data, alpha)
    for b in BANDS:  # same seed: the same p-values; only the decision moved
        assert (second[b].p_independent, second[b].p_peak) == (first[b].p_independent, first[b].p_peak)
    # Raw p < alpha would say "broadband" (or "present"); Holm's p > alpha says no shared power.
    assert second[name].p_independent < alpha < second[name].p_independent_holm
    assert second[name].verdict == "absent"
    assert {b: v.verdict for b, v in second.items()} == {b: word_by_hand(v, alpha) for b, v in second.items()}


def test_the_peak_verdict_follows_holm_not_raw_p_values():
    # A shared OU drive (20 ms): shared power, no peak. Pick a band whose Holm independence p is below alpha and
    # whose raw peak p is below alpha while its Holm peak p is above: "present" by raw p, "broadband" by Holm's.
    data = families.make_ou20(np.random.default_rng(1))
    first = first_run(data)
    low = {b: max(v.p_independent_holm, v.p_peak) for b, v in first.items()}
    name = max(BANDS, key=lambda b: first[b].p_peak_holm - low[b])
    assert first[name].p_peak_holm - low[name] >= 0.1, (name, first[name])
    alpha = (low[name] + first[name].p_peak_holm) / 2
    second = run(data, alpha)
    v = second[name]
    assert v.p_independent_holm < alpha and v.p_peak < alpha < v.p_peak_holm
    assert v.verdict == "broadband"
    assert {b: v.verdict for b, v in second.items()} == {b: word_by_hand(v, alpha) for b, v in second.items()}


def test_one_unit_the_peak_verdict_follows_holm_not_raw_p_values():
    # One unit: no independence test, the peak test alone decides ("present" by raw p, "absent" by Holm's).
    data = SpikeData.from_trains([np.sort(np.random.default_rng(2).uniform(0, 10, 150))], t_stop=10.0)
    first = first_run(data)
    assert all(np.isnan(v.p_independent) for v in first.values())
    name = max(BANDS, key=lambda b: first[b].p_peak_holm - first[b].p_peak)
    raw, adjusted = first[name].p_peak, first[name].p_peak_holm
    assert adjusted - raw >= 0.1, (name, raw, adjusted)
    alpha = (raw + adjusted) / 2
    second = run(data, alpha)
    assert second[name].p_peak < alpha < second[name].p_peak_holm
    assert second[name].verdict == "absent"
    assert {b: v.verdict for b, v in second.items()} == {b: word_by_hand(v, alpha) for b, v in second.items()}


@pytest.mark.parametrize("p, expected", [([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),
                                         ([0.5, 0.001], [0.5, 0.002]), ([0.6, 0.7], [1.0, 1.0])])
def test_holm_by_hand_known_answers(p, expected):
    # The reference above, checked on answers worked by hand.
    np.testing.assert_allclose(holm_by_hand(p), expected, rtol=0, atol=1e-15)
