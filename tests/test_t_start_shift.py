"""Every analysis counts time from t_start: the same recording moved 64 s later gives the same numbers.

Spike times sit half a tick off a grid of 2**-14 s and the shift is 64 s (2**6), so every shifted time,
and every time minus its t_start, is exact in float64: the bins, tiles, grids and field samples of the two
recordings are the same, and any difference is an analysis that counts from 0 instead of from t_start (or from
the field's own start). The peer cross-checks at t_start != 0 are in test_synchrony.py; these cover the
analyses without a peer: Kuramoto, chi, Fano, the population rate, spectrum and rhythm verdicts, and
spike-field coupling.
"""

import numpy as np
import pytest

from synchro import Signal, SpikeData
from synchro.coupling import phase_locking, spike_field_coherence
from synchro.rhythms import band_verdicts
from synchro.spectral import population_rate, rate_spectrum
from synchro.synchrony import golomb_chi, kuramoto_order, population_fano

TICK = 2.0**-14  # s
SHIFT = 64.0  # s
FS, T, F0 = 1000.0, 4.0, 40.0  # field sampling rate (Hz), duration (s), field rhythm (Hz)


@pytest.fixture(scope="module")
def pair():
    """(recording from 0 s, the same recording from 64 s): 10 units half locked to a noisy 40 Hz field."""
    rng = np.random.default_rng(64)
    t = np.arange(int(T * FS)) / FS
    field = np.cos(2 * np.pi * F0 * t) + rng.normal(0, 1.0, t.size)
    cycles = np.arange(0, T, 1 / F0)
    trains = []
    for u in range(10):
        # Units 0-4: a spike near the field's peak on a fifth of the cycles (2 ms jitter); all: 40 random spikes.
        locked = cycles[rng.random(cycles.size) < 0.2] if u < 5 else np.empty(0)
        s = np.concatenate([locked + rng.normal(0, 0.002, locked.size), rng.uniform(0, T, 40)])
        s = (np.floor(s[(s > 0) & (s < T)] / TICK) + 0.5) * TICK  # on the half-tick grid: exact when shifted
        trains.append(np.unique(s))
    out = []
    for start in (0.0, SHIFT):
        assert all(np.array_equal((tr + start) - start, tr) for tr in trains)  # the shift is exact
        out.append((SpikeData.from_trains([tr + start for tr in trains], t_start=start, t_stop=start + T),
                    Signal(field, FS, t_start=start, name="LFP")))
    return out


def _same(a, b, rtol=1e-9):
    np.testing.assert_allclose(np.asarray(b, dtype=float), np.asarray(a, dtype=float), rtol=rtol, atol=1e-12,
                               equal_nan=True)


def test_population_rate_and_spectrum_count_from_t_start(pair):
    (d0, _), (d1, _) = pair
    _same(population_rate(d0).rate, population_rate(d1).rate, rtol=0)
    _same(rate_spectrum(d0).psd, rate_spectrum(d1).psd)


def test_rhythm_verdicts_count_from_t_start(pair):
    # The independence test's circular shifts move whole bins counted from t_start; the same seed draws the
    # same shifts, so the surrogate spectra and both p-values agree.
    (d0, _), (d1, _) = pair
    r0, r1 = band_verdicts(d0, n_surrogates=40, rng=1), band_verdicts(d1, n_surrogates=40, rng=1)
    _same(r0.null_mean, r1.null_mean)
    for v0, v1 in zip(r0.verdicts, r1.verdicts, strict=True):
        assert (v1.verdict, v1.p_independent, v1.p_peak) == (v0.verdict, v0.p_independent, v0.p_peak)


def test_binned_synchrony_counts_from_t_start(pair):
    (d0, _), (d1, _) = pair
    assert golomb_chi(d1, n_surrogates=0).chi == pytest.approx(golomb_chi(d0, n_surrogates=0).chi, rel=1e-9)
    _same(population_fano(d0).fano, population_fano(d1).fano)
    k0, k1 = kuramoto_order(d0), kuramoto_order(d1)
    assert k1.n_times == k0.n_times > 0.9 * T / 0.001
    assert k1.value == pytest.approx(k0.value, rel=1e-9) and k1.r_uncorrected == pytest.approx(k0.r_uncorrected,
                                                                                               rel=1e-9)


def test_spike_field_coupling_counts_from_the_field_start(pair):
    (d0, s0), (d1, s1) = pair
    c0, c1 = spike_field_coherence(d0, s0), spike_field_coherence(d1, s1)
    _same(c0.coherence, c1.coherence)
    _same(c0.pooled, c1.pooled)
    p0, p1 = phase_locking(d0, s0, band=(30.0, 50.0)), phase_locking(d1, s1, band=(30.0, 50.0))
    assert p1.population_n_spikes == p0.population_n_spikes > 200
    for name in ("plv", "ppc0", "ppc1", "preferred_phase"):
        _same(getattr(p0, name), getattr(p1, name))
    assert p0.population_rayleigh_p < 1e-6  # the locked half of the units makes a locking worth comparing
