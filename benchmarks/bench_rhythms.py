"""Benchmark: band verdicts with 200 surrogates on 1000 units x 10 s, against elephant doing the same work.

Workload: 1000 independent Poisson trains at 7 Hz over 10 s (about 70k
spikes), both bands (alpha 8-13 Hz, gamma 30-80 Hz), 200 surrogates, Welch
spectra of the 1 ms population rate.

synchro: ``band_verdicts`` (default circular-shift null, and the dither
null for a like-for-like comparison), timed warm (numba kernels compiled
and cached by a first call, whose time is printed too).

elephant: for each surrogate, ``dither_spikes`` on every train,
``time_histogram`` (1 ms, rate) and ``welch_psd``, then the band maxima.
elephant is slow, so it is timed on a few surrogates and extrapolated
linearly: ``dither_spikes`` as a fixed cost plus a per-surrogate cost
(fitted from 1 and a few surrogates per call), histogram and PSD per
spectrum for 201 spectra (data + 200 surrogates).

Run: ``.venv/bin/python benchmarks/bench_rhythms.py [n_elephant_surrogates]``.
"""

import sys
import time
import warnings

import numpy as np

from synchro.core import SpikeData
from synchro.rhythms import band_verdicts

N_UNITS, DURATION, RATE, N_SURROGATES = 1000, 10.0, 7.0, 200
BANDS = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}
DITHER = 0.025  # s


def workload(seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(RATE * DURATION, N_UNITS)
    trains = [np.sort(rng.uniform(0, DURATION, c)) for c in counts]
    return SpikeData.from_trains(trains, t_stop=DURATION)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def elephant_time(data, n_surrogates):
    """Extrapolated elephant time for 200 surrogates: dither cost a + b n fitted from n = 1 and n_surrogates."""
    import neo
    import quantities as pq
    from elephant.spectral import welch_psd
    from elephant.spike_train_surrogates import dither_spikes
    from elephant.statistics import time_histogram

    trains = [neo.SpikeTrain(t, t_start=0, t_stop=DURATION, units="s") for t in data.trains()]
    t_one, _ = timed(lambda: [dither_spikes(t, DITHER * pq.s, n_surrogates=1) for t in trains])
    t_many, surrogates = timed(lambda: [dither_spikes(t, DITHER * pq.s, n_surrogates=n_surrogates) for t in trains])
    per_dither = (t_many - t_one) / (n_surrogates - 1)
    dither_total = t_one + (N_SURROGATES - 1) * per_dither

    def spectra():
        for k in range(n_surrogates):
            rate = time_histogram([s[k] for s in surrogates], 1 * pq.ms, output="rate").rescale("Hz").magnitude
            freqs, psd = welch_psd(rate.ravel(), len_segment=1000, overlap=0.5, fs=1000.0)
            [psd[(freqs >= lo) & (freqs <= hi)].max() for lo, hi in BANDS.values()]

    per_spectrum = timed(spectra)[0] / n_surrogates
    return dither_total + (N_SURROGATES + 1) * per_spectrum, per_dither, per_spectrum


def main(n_elephant=3):
    data = workload()
    print(f"workload: {data.n_units} units, {data.n_spikes} spikes, {DURATION:g} s; {N_SURROGATES} surrogates, "
          f"bands {BANDS}")
    cold, _ = timed(lambda: band_verdicts(data, bands=BANDS, n_surrogates=N_SURROGATES, rng=0))
    warm, res = timed(lambda: band_verdicts(data, bands=BANDS, n_surrogates=N_SURROGATES, rng=1))
    warm_dither, _ = timed(lambda: band_verdicts(data, bands=BANDS, n_surrogates=N_SURROGATES, rng=1,
                                                 null="dither", dither_window=DITHER))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elephant, per_dither, per_spectrum = elephant_time(data, n_elephant)
    print(f"synchro band_verdicts, circular shift (first call, incl. numba cache load): {cold:8.2f} s")
    print(f"synchro band_verdicts, circular shift (warm):                             {warm:8.2f} s")
    print(f"synchro band_verdicts, dither +-{DITHER * 1e3:g} ms (warm):                           {warm_dither:8.2f} s")
    print(f"elephant dither_spikes + time_histogram + welch_psd, extrapolated from {n_elephant} surrogates: "
          f"{elephant:8.1f} s  (dither {per_dither:.3f} s + histogram/PSD {per_spectrum:.3f} s per extra surrogate)")
    print(f"ratio elephant / synchro: {elephant / warm:.0f}x (circular shift), {elephant / warm_dither:.0f}x (dither)")
    print(res.summary())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
