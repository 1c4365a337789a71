"""One binning rule (synchro.core.binning): the same spikes give the same counts in every analysis that bins.

Spike times meant to lie on 1 ms bin edges, 1000 s into a recording (``t0 + k * 1 ms`` in floating point, as a
simulator or a sorter's sample clock writes them): relative to ``t_start`` some land a few 1e-13 s below the edge
they mean and some above, the case where rules that differ only at edges (floor, floor with a tolerance,
truncation, elephant's 1e-8 rounding) give different counts. Issue 15 found five such rules.
"""

import numpy as np
import pytest

from synchro import SpikeData
from synchro.core.binning import (
    EDGE_TOLERANCE,
    bin_index,
    binned_counts,
    elephant_bins,
    n_whole_bins,
)
from synchro.spectral import population_rate
from synchro.synchrony import correlation_matrix, golomb_chi, population_fano

BIN = 0.001
T = 2.0
T0 = 1000.0


@pytest.fixture(scope="module")
def on_edges():
    """20 units over [T0, T0 + 2 s); each spike at T0 + k ms in floating point."""
    gen = np.random.default_rng(15)
    grid = T0 + np.arange(int(T / BIN)) * BIN
    trains, meant = [], []
    for _ in range(20):
        k = np.sort(gen.choice(grid.size, size=gen.integers(40, 120), replace=False))
        trains.append(grid[k])
        meant.append(k)
    return SpikeData.from_trains(trains, t_start=T0, t_stop=T0 + T), meant


def test_edges_land_in_the_bin_they_mean(on_edges):
    data, meant = on_edges
    below = (data.times - T0) / BIN < np.concatenate(meant)  # under the edge they mean, seen from t_start
    assert below.sum() > 100
    np.testing.assert_array_equal(bin_index(data.times, T0, BIN), np.concatenate(meant))
    assert n_whole_bins(T, BIN) == 2000 and n_whole_bins(T - BIN * EDGE_TOLERANCE / 2, BIN) == 2000
    # elephant's rule (kept for the cross-checked correlation) agrees on these times: its tolerance is wider.
    idx, n = elephant_bins(data.times, T0, T0 + T, BIN)
    np.testing.assert_array_equal(idx, np.concatenate(meant))
    assert n == 2000


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_bin_index_computes_the_rule_as_written(on_edges, dtype):
    # bin_index works in place on long arrays; it must give floor((t - t_start) / bin_width + EDGE_TOLERANCE) as
    # numpy evaluates that expression, for every input type, shape and a single time.
    times = np.stack([on_edges[0].times, on_edges[0].times[::-1]]).astype(dtype)
    t_start = T0 - 0.37 if dtype != np.int64 else 998.5
    plain = np.floor((times - t_start) / BIN + EDGE_TOLERANCE).astype(np.int64)
    np.testing.assert_array_equal(bin_index(times, t_start, BIN), plain)
    np.testing.assert_array_equal(bin_index(list(times[0]), t_start, BIN), plain[0])
    assert bin_index(times[0, 5], t_start, BIN) == plain[0, 5] and bin_index(times, t_start, BIN).dtype == np.int64
    if dtype == np.int64:  # integer times and an integer start (sample indices)
        plain = np.floor((times - 998) / BIN + EDGE_TOLERANCE).astype(np.int64)
        np.testing.assert_array_equal(bin_index(times, 998, BIN), plain)


def test_every_analysis_that_bins_counts_the_same(on_edges):
    data, meant = on_edges
    counts = np.bincount(np.concatenate(meant), minlength=2000).astype(float)
    np.testing.assert_array_equal(binned_counts(data.times, T0, BIN, 2000)[0], counts)
    # Spectra and verdicts: the population rate.
    np.testing.assert_allclose(population_rate(data, bin_width=BIN).rate * data.n_units * BIN, counts, rtol=1e-12)
    # Population Fano factor in 1 ms windows: its counts' variance over their mean.
    fano = population_fano(data, bin_widths=(BIN,))
    assert fano.fano[0] == pytest.approx(counts.var(ddof=1) / counts.mean(), rel=1e-12)
    # Golomb chi sampled at 1 kHz with a Gaussian kernel far narrower than a sample (no smoothing): chi of the
    # per-unit counts.
    per_unit = np.array([np.bincount(k, minlength=2000) for k in meant], dtype=float)
    chi = np.sqrt(per_unit.mean(axis=0).var() / per_unit.var(axis=1).mean())
    assert golomb_chi(data, kernel="gaussian", tau=1e-6, fs=1 / BIN).chi == pytest.approx(chi, rel=1e-12)
    # Correlation coefficients (elephant's rule, kept for its cross-check, places these spikes alike): Pearson's r
    # of the per-unit counts.
    np.testing.assert_allclose(correlation_matrix(data, bin_width=BIN).matrix, np.corrcoef(per_unit), atol=1e-12)
