"""synchro.sensitivity: the sensitivity rules on tables with known answers."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from synchro.errors import UsageError
from synchro.sensitivity import sensitivity, spike_count_divergence

DTS = (1.0, 0.5, 0.25, 0.1)
SEEDS = (0, 1, 2)


def _point(dt, seed, *, noise="held", counts=(1, 2, 0), **metrics):
    return {"params": {"dt_ms": dt, "rng": seed, "noise": noise, "n": 3},
            "metrics": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()},
            "early_counts": list(counts)}


def _table(metric_of, **extra):
    """One point per (dt, seed); metric_of(dt, seed) -> dict of metrics."""
    return [_point(dt, seed, **extra, **metric_of(dt, seed)) for dt in DTS for seed in SEEDS]


def _jitter(seed, sd=0.5):
    return (seed - 1) * sd  # seeds 0, 1, 2 -> -sd, 0, +sd: mean unchanged, standard deviation sd


def test_spike_count_divergence_known_values():
    assert spike_count_divergence([1, 2, 0], [1, 0, 3]) == pytest.approx(5 / 7)
    assert spike_count_divergence([4, 0], [4, 0]) == 0.0
    assert spike_count_divergence([2, 0], [0, 3]) == 1.0
    assert math.isnan(spike_count_divergence([0, 0], [0, 0]))
    with pytest.raises(UsageError, match="same network"):
        spike_count_divergence([1, 2], [1, 2, 3])


def test_converged_dt_and_intervals_known_answers():
    # x = 10 + 5 dt: relative change to dt 0.1 is 43 %, 19 %, 7.1 % at dt 1, 0.5, 0.25.
    points = _table(lambda dt, s: {"rate_exc": 10 + 5 * dt + _jitter(s, 0.01), "rate_inh": 20.0 + _jitter(s, 0.01),
                                   "gamma_present": 1.0, "gamma_peak_hz": 40.0 + _jitter(s, 0.01)})
    res = sensitivity(points, factor="dt_ms", rel_tol=0.05)
    assert res.reference == 0.1 and res.levels == (0.1, 0.25, 0.5, 1.0)
    x = res.metrics["rate_exc"]
    assert x.verdict == "not_converged" and x.converged_level == 0.1
    np.testing.assert_allclose(x.mean, [10.5, 11.25, 12.5, 15.0])
    half = stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    np.testing.assert_allclose(x.high - x.mean, half, rtol=1e-9)
    np.testing.assert_allclose(x.relative_change, [0, 0.75 / 10.5, 2 / 10.5, 4.5 / 10.5])
    assert list(x.converged) == [True, False, False, False]
    # A 10 % tolerance still fails at 0.25 ms: the 7 % change lies far outside the 0.01 seed spread ...
    assert sensitivity(points, rel_tol=0.1).metrics["rate_exc"].converged_level == 0.1
    # ... but with a seed spread of 0.5 it lies inside it, and the converged dt moves to 0.25 ms.
    wide = _table(lambda dt, s: {"rate_exc": 10 + 5 * dt + _jitter(s)})
    assert sensitivity(wide, rel_tol=0.1).metrics["rate_exc"].converged_level == 0.25
    assert sensitivity(wide, rel_tol=0.05).metrics["rate_exc"].converged_level == 0.1
    y = res.metrics["rate_inh"]
    assert y.verdict == "converged" and y.converged_level == 1.0
    # Rates converge only at the reference, so the converged set is {0.1}; gamma is present there.
    gamma = res.rhythms["gamma"]
    assert gamma.verdict == "robust" and gamma.converged_levels == (0.1,)
    assert gamma.peak_hz == pytest.approx(40.0) and gamma.peak_low < 40 < gamma.peak_high
    # Identical early counts in every run: no divergence.
    assert np.all(res.metrics["early_divergence"].mean == 0)
    json.dumps(res.to_dict(), allow_nan=False)


@pytest.mark.parametrize(("present_at", "verdict"), [
    ({1.0, 0.5}, "artefact"),       # present only where the rates have not converged
    (set(), "absent"),
    (set(DTS), "robust"),
    ({0.1, 1.0}, "sensitive"),      # present at 0.1 but not 0.25, both converged
])
def test_rhythm_verdicts(present_at, verdict):
    # Rates converge for dt <= 0.25 (5 % tolerance): 10.0 at 0.1 and 0.25, 12 at 0.5, 15 at 1.
    rate = {0.1: 10.0, 0.25: 10.2, 0.5: 12.0, 1.0: 15.0}
    points = _table(lambda dt, s: {"rate_exc": rate[dt] + _jitter(s), "rate_inh": rate[dt] + _jitter(s),
                                   "gamma_present": float(dt in present_at), "gamma_peak_hz": 40.0})
    res = sensitivity(points)
    assert res.rhythms["gamma"].converged_levels == (0.1, 0.25)
    assert res.metrics["rate_exc"].converged_level == 0.25
    assert res.rhythms["gamma"].verdict == verdict


def test_presence_needs_half_the_seeds():
    # Present in 1 of 3 seeds at every dt: not present anywhere.
    points = _table(lambda dt, s: {"rate_exc": 10.0, "gamma_present": float(s == 0)})
    res = sensitivity(points)
    assert res.rhythms["gamma"].present_fraction == pytest.approx((1 / 3,) * 4)
    assert res.rhythms["gamma"].verdict == "absent"


def test_change_outside_the_seed_spread_is_not_converged():
    # 3 % change (inside a 5 % tolerance) but with seed intervals that do not overlap.
    points = _table(lambda dt, s: {"rate_exc": (10.3 if dt == 1.0 else 10.0) + 0.001 * s})
    m = sensitivity(points).metrics["rate_exc"]
    assert list(m.converged) == [True, True, True, False]
    # With a seed spread wider than the change, the same change is converged.
    points = _table(lambda dt, s: {"rate_exc": (10.3 if dt == 1.0 else 10.0) + 0.3 * s})
    assert sensitivity(points).metrics["rate_exc"].converged.all()


def test_divergence_against_the_finest_run_of_the_same_seed():
    counts = {0.1: (1, 2, 0), 0.25: (1, 2, 0), 0.5: (1, 0, 3), 1.0: (0, 0, 0)}
    points = [_point(dt, s, counts=counts[dt], rate_exc=1.0) for dt in DTS for s in SEEDS]
    res = sensitivity(points)
    np.testing.assert_allclose(res.metrics["early_divergence"].mean, [0, 0, 5 / 7, 1])
    assert res.metrics["early_divergence"].verdict == "descriptive"


def test_unordered_factor_with_named_reference():
    rate = {"xi": 10.0, "held": 10.2, "randn": 0.1}
    points = [_point(1.0, s, noise=noise, rate_exc=rate[noise] + _jitter(s), rate_inh=rate[noise],
                     gamma_present=float(noise != "randn")) for noise in rate for s in SEEDS]
    res = sensitivity(points, factor="noise", reference="xi")
    assert res.levels == ("xi", "held", "randn") and not res.ordered
    assert list(res.metrics["rate_exc"].converged) == [True, True, False]
    assert res.metrics["rate_exc"].verdict == "sensitive" and res.metrics["rate_exc"].converged_level is None
    # Every noise model counts: gamma missing with randn makes it depend on the noise model.
    assert res.rhythms["gamma"].verdict == "sensitive" and res.rhythms["gamma"].converged_levels == res.levels
    for p in points:
        p["metrics"]["gamma_present"] = 1.0
    assert sensitivity(points, factor="noise", reference="xi").rhythms["gamma"].verdict == "robust"
    assert sensitivity(points, factor="noise").reference == "held"  # alphabetical by default


def test_network_size_reference_is_the_largest_and_counts_of_other_sizes_are_not_compared():
    # Rate 10 + 1000 / n: above the n = 8000 value by 8.6 % at n = 1000, 3.7 % at 2000, 1.2 % at 4000.
    points = [{"params": {"n": n, "rng": s}, "metrics": {"rate_exc": 10 + 1000 / n + _jitter(s), "gamma_present": 1.0},
               "early_counts": [1] * n} for n in (1000, 2000, 4000, 8000) for s in SEEDS]
    res = sensitivity(points, factor="n")
    assert res.reference == 8000 and res.levels == (8000, 4000, 2000, 1000)
    m = res.metrics["rate_exc"]
    assert m.verdict == "converged" and m.converged_level == 2000
    assert res.rhythms["gamma"].verdict == "robust"
    div = res.metrics["early_divergence"].mean
    assert div[0] == 0 and np.all(np.isnan(div[1:]))  # other sizes are other networks: no divergence


def test_sensitivity_rejects_bad_tables():
    points = _table(lambda dt, s: {"rate_exc": 1.0})
    with pytest.raises(UsageError, match=r"\['noise'\] vary"):
        sensitivity(points + [_point(0.1, 0, noise="xi", rate_exc=1.0)])
    with pytest.raises(UsageError, match="not a parameter"):
        sensitivity(points, factor="scheme")
    with pytest.raises(UsageError, match="not in the sweep"):
        sensitivity(points, reference=0.05)
    with pytest.raises(UsageError, match="unknown metrics"):
        sensitivity(points, metrics=["chi"])
    with pytest.raises(UsageError, match="no runs"):
        sensitivity([])
    with pytest.raises(UsageError, match="rel_tol"):
        sensitivity(points, rel_tol=0)
