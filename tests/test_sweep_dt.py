"""The dt-sensitivity report on the 2003 network: converging rates and gamma with held noise, artefacts with randn.

Reduced size: the published network (N = 1000, all-to-all, no weight scaling)
run for 5 s (4.8 s analysed: alpha needs 10 cycles of 8 Hz, and the peak test
enough spectral degrees of freedom: at 2-3 s a gamma 6-9 times above the
background is within the bootstrap's scatter for one seed in eight, and the
peak test says "broadband" there), Euler scheme, 1 ms current pulses, over dt 1, 0.5, 0.25
and 0.1 ms; two seeds, with noise held per ms and with noise
redrawn by randn() every step: 16 runs on a LocalCluster of two workers,
reached through its scheduler address.
"""

import pytest

from sims.sweep import read_points, run_sweep, write_sweep_report

DTS = [1.0, 0.5, 0.25, 0.1]
FIXED = {"scheme": "euler", "synapse": "pulse", "n": 1000, "duration": 5.0}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from dask.distributed import LocalCluster

    folder = tmp_path_factory.mktemp("dt_sweep")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_sweep("izhikevich2003", {"noise": ["held", "randn"], "dt_ms": DTS, "rng": [1, 2]},
                           folder=folder, fixed=FIXED, analysis={"n_surrogates": 40},
                           scheduler=cluster.scheduler_address, progress=False)
    assert result.scheduler == cluster.scheduler_address and result.n_workers == 2
    assert len(read_points(folder)) == 16
    return folder, write_sweep_report(folder, factors=["dt_ms"])


def _metric(summary, noise, name):
    table = summary["factors"]["dt_ms"][f"noise={noise}"]["metrics"][name]
    return table, {lv["level"]: lv for lv in table["levels"]}


def test_held_noise_converges_and_gamma_is_robust(report):
    folder, summary = report
    held = summary["factors"]["dt_ms"]["noise=held"]
    assert held["reference"] == 0.1 and held["seeds"] == [1, 2]
    # Rates: 1 ms Euler steps fire 8-11 % faster; from 0.5 ms on, within 5 % of 0.1 ms and of the seed spread.
    for name in ("rate_exc", "rate_inh"):
        table, by_dt = _metric(summary, "held", name)
        assert table["verdict"] == "converged" and table["converged_level"] == 0.5
        assert by_dt[1.0]["relative_change"] > 0.05
        assert 6.5 < by_dt[0.1]["mean"] < 10.0
    gamma = held["rhythms"]["gamma"]
    assert gamma["verdict"] == "robust" and gamma["present_fraction"] == [1.0] * 4
    assert gamma["converged_levels"][:2] == [0.1, 0.25]
    # The gamma frequency moves up as dt shrinks; its converged value comes with a seed interval.
    peak_table, peak = _metric(summary, "held", "gamma_peak_hz")
    assert peak[1.0]["mean"] < peak[0.1]["mean"]
    assert gamma["peak_low"] < gamma["peak_hz"] < gamma["peak_high"] and 30 < gamma["peak_hz"] < 50
    _, centroid = _metric(summary, "held", "gamma_centroid_hz")
    assert centroid[1.0]["relative_change"] < -0.05
    # The onset volley is higher at 1 ms than at 0.1 ms (by 27 % with these seeds).
    _, onset = _metric(summary, "held", "onset_height_hz")
    assert onset[1.0]["relative_change"] > 0.1
    # Same network and noise, different integration: spike counts of the first 100 ms diverge more at coarser dt.
    _, div = _metric(summary, "held", "early_divergence")
    assert div[0.1]["mean"] == 0 and 0 < div[0.25]["mean"] < div[1.0]["mean"] < 0.5
    assert (folder / "figures" / "dt_ms__noise=held.png").stat().st_size > 10_000


def test_randn_noise_is_flagged_as_a_dt_artefact(report):
    _, summary = report
    randn = summary["factors"]["dt_ms"]["noise=randn"]
    for band in ("alpha", "gamma"):
        assert randn["rhythms"][band]["verdict"] == "artefact"
        assert randn["rhythms"][band]["present_fraction"][0] == 0.0  # absent at 0.1 ms
    for name in ("rate_exc", "rate_inh"):
        table, by_dt = _metric(summary, "randn", name)
        assert table["verdict"] == "not_converged"
        # randn() noise shrinks with sqrt(dt): the network falls silent as dt shrinks.
        assert by_dt[1.0]["mean"] > 5 and by_dt[0.1]["mean"] < 0.5
    # At 1 ms, randn() redrawn each step has the held noise's statistics (from another generator: Brian2's).
    _, held = _metric(summary, "held", "rate_exc")
    _, randn = _metric(summary, "randn", "rate_exc")
    assert randn[1.0]["mean"] == pytest.approx(held[1.0]["mean"], rel=0.1)  # measured 8.75 and 8.66 Hz
