"""E-I timing: the lag and phase of one population's band-limited rate relative to another's.

:func:`population_lag` answers "who fires first in each cycle, and by how
much?" for two populations of one recording (``exc`` and ``inh`` by default,
any two labels of a unit-table column): in a PING rhythm the excitatory
cells fire and the inhibitory cells follow a few ms later.

Sign convention, everywhere: a **positive lag or phase means the second
population lags the first** (``inh`` after ``exc`` in PING); a negative one,
that it leads.

The method and its checks: docs/methods.rst, "E-I timing".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .core import SpikeData
from .core.checks.arguments import integer_at_least, positive_seconds, require_spikes
from .core.compiled import jit
from .errors import UsageError
from .filtering import FS_PER_HIGH_EDGE, analytic_stretches, band_pass, check_band
from .plotting import new_axes, plain_label
from .results import Result
from .spectral import Welch, check_spectral_bin_width, observed_runs, population_rate, select_spikes
from .surrogates import seeded_rng

__all__ = ["PopulationLag", "population_lag", "MIN_SPIKES", "EDGE_CYCLES", "MIN_BLOCKS"]

#: Fewest spikes a population needs in the analysed time for a lag to be determined.
MIN_SPIKES = 50
#: Cycles of the band's low edge dropped at each end of every observed stretch (filter and Hilbert transients).
EDGE_CYCLES = 3.0
#: Fewest bootstrap blocks for an interval; with fewer the lag is undetermined.
MIN_BLOCKS = 4


@dataclass(frozen=True)
class PopulationLag(Result):
    """Lag and phase of the second population's band-limited rate relative to the first's.

    Positive ``lag`` and ``phase``: the second population lags the first
    (fires later in each cycle). Undetermined values are NaN, with ``reason``.

    Attributes
    ----------
    populations : tuple of str
        ``(first, second)``: the lag is the second's behind the first.
    band : tuple of float
        Pass band ``(low, high)`` in Hz.
    lag : float
        Peak (nearest zero, within half a cycle of ``peak_freq``) of the
        cross-correlation of the band-passed rates, in seconds.
    phase : float
        Angle of the band-limited cross-spectrum, ``angle(sum z1 conj(z2))``
        over the analysed samples, in radians, in ``(-pi, pi]``.
    lag_ci, phase_ci : tuple of float
        Bootstrap percentile intervals at level ``confidence`` (s, rad); the
        phase's is centred on ``phase`` (so it may reach beyond ``pi``).
    phase_degrees, phase_degrees_ci : float, tuple of float
        ``phase`` and ``phase_ci`` in degrees of the cycle.
    peak_freq : float
        Frequency (Hz) of the peak of the cross-spectrum's magnitude in the
        band (Welch, 1 s segments inside observed stretches): the cycle the
        degrees refer to.
    coherence : float
        ``|sum z1 conj(z2)| / sqrt(sum |z1|^2 sum |z2|^2)``: 1 when the phase
        difference is the same at every moment, near 0 when it wanders.
    power_ratio : tuple of float
        Each population's band-limited power over the power independent
        Poisson spiking at its rate would give there (the Poisson floor
        ``2 nu / N`` through the filter); 1 means no rhythm in the band.
    lags : ndarray
        Lags of the cross-correlograms (s), ``-max_lag`` to ``max_lag``.
    correlation : ndarray
        Cross-correlogram of the two mean-removed population rates:
        ``sum_t a(t) b(t + lag) / sqrt(sum a^2 sum b^2)``, ``a`` the first
        population's rate, ``b`` the second's, pairs within one observed
        stretch only. A peak at a positive lag: the second follows the first.
    band_correlation : ndarray
        The same for the band-passed rates over the analysed samples.
    n_units, n_spikes : tuple of int
        Units and spikes of each population (in observed time after ``discard``).
    n_blocks, block_duration : int, float
        Bootstrap blocks (whole cycles of ``peak_freq``) and their length (s).
    analysed_duration : float
        Observed time whose band-passed samples are used (s).
    bin_width, discard, max_lag : float
        Parameters (s).
    order, n_boot, confidence : int, int, float
        Butterworth order (applied forward and backward), bootstrap draws, level.
    seed : int or None
        Seed of the bootstrap (None when a Generator was given).
    reason : str
        Why the lag is undetermined; empty when it is determined.
    """

    analysis: ClassVar[str] = "population_lag"
    populations: tuple
    band: tuple
    lag: float
    lag_ci: tuple
    phase: float
    phase_ci: tuple
    phase_degrees: float
    phase_degrees_ci: tuple
    peak_freq: float
    coherence: float
    power_ratio: tuple
    lags: np.ndarray
    correlation: np.ndarray
    band_correlation: np.ndarray
    n_units: tuple
    n_spikes: tuple
    n_blocks: int
    block_duration: float
    analysed_duration: float
    bin_width: float
    discard: float
    max_lag: float
    order: int
    n_boot: int
    confidence: float
    seed: int | None
    reason: str

    @property
    def determined(self) -> bool:
        """True when the lag was measured (``reason`` is empty)."""
        return not self.reason

    def summary(self) -> str:
        """One sentence: who lags whom, by how many ms and degrees of which cycle, with the intervals.

        Returns
        -------
        str
        """
        first, second = self.populations
        band = f"{self.band[0]:g}-{self.band[1]:g} Hz"
        if not self.determined:
            return f"lag of {second} behind {first} in {band}: undetermined ({self.reason})"
        verb = "lags" if self.lag >= 0 else "leads"
        lo, hi = (1e3 * v for v in self.lag_ci)
        dlo, dhi = self.phase_degrees_ci
        level = f"{100 * self.confidence:g} %"
        return (f"{second} {verb} {first} by {abs(self.lag) * 1e3:.1f} ms (lag {self.lag * 1e3:.1f} ms, {level} CI "
                f"{lo:.1f} to {hi:.1f} ms) and {self.phase_degrees:.0f} degrees ({level} CI {dlo:.0f} to "
                f"{dhi:.0f}) in {band}, where the cross-spectrum peaks at {self.peak_freq:.0f} Hz (a "
                f"{1e3 / self.peak_freq:.1f} ms cycle); band coherence {self.coherence:.2f}; positive: {second} "
                f"after {first}")

    def plot(self, ax=None):
        """Cross-correlograms of the rates and band-passed rates, with the lag and its interval marked.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        ax = new_axes(ax)
        ms = 1e3 * self.lags
        first, second = (plain_label(p) for p in self.populations)
        ax.plot(ms, self.correlation, color="0.6", lw=1, label="rates")
        ax.plot(ms, self.band_correlation, color="C0", lw=1.5,
                label=f"{self.band[0]:g}-{self.band[1]:g} Hz band-passed")
        ax.axvline(0.0, color="0.3", lw=0.5)
        if self.determined:
            ax.axvspan(1e3 * self.lag_ci[0], 1e3 * self.lag_ci[1], color="C3", alpha=0.2,
                       label=f"{100 * self.confidence:g} % CI")
            ax.axvline(1e3 * self.lag, color="C3", lw=1.5, label=f"lag {1e3 * self.lag:.1f} ms")
        ax.set_xlabel(f"lag of {second} behind {first} (ms)")
        ax.set_ylabel("correlation")
        ax.legend(loc="upper right", fontsize="small")
        return ax


def _check_populations(data: SpikeData, populations, column: str) -> tuple[str, str]:
    if isinstance(populations, str) or len(tuple(populations)) != 2:
        raise UsageError(f"populations must be two labels (first, second); got {populations!r}")
    first, second = (str(p) for p in populations)
    if first == second:
        raise UsageError(f"populations must be two different labels; got {first!r} twice")
    present = data.populations(column)
    missing = [p for p in (first, second) if p not in present]
    if missing:
        held = ", ".join(repr(p) for p in present) if present else "none"
        raise UsageError(f"population {missing[0]!r} is not in unit column {column!r} (labels present: {held}); "
                         "name two of them with populations=(first, second)")
    return first, second


def _check_fs(band, fs: float) -> tuple[float, float]:
    lo, hi = check_band(band)
    if fs < FS_PER_HIGH_EDGE * hi:
        raise UsageError(f"bins of {1 / fs:g} s are too coarse for a band up to {hi:g} Hz: the band-pass needs a "
                         f"sampling rate of {FS_PER_HIGH_EDGE:g} x the high edge; use bin_width <= "
                         f"{1 / (FS_PER_HIGH_EDGE * hi):g}")
    return lo, hi


def _padded(pieces: list, pad: int) -> np.ndarray:
    """Pieces joined with ``pad`` zeros after each, so that no product at a lag up to ``pad`` spans two pieces."""
    return np.concatenate([np.r_[p, np.zeros(pad, dtype=p.dtype)] for p in pieces])


def _correlogram(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """``sum_t a[t] b[t + j]`` for ``j = -k..k`` (scipy's correlate(b, a) around zero lag), normalised."""
    from scipy.signal import correlate

    norm = np.sqrt(np.sum(a * a) * np.sum(b * b))  # not np.dot: BLAS threads cost more than they save here
    if not norm > 0:
        return np.full(2 * k + 1, np.nan)
    full = correlate(b, a, mode="full", method="fft")
    zero = a.size - 1
    return full[zero - k: zero + k + 1] / norm


def _peak(c: np.ndarray, centre: int) -> np.ndarray:
    """Sub-sample position (relative to ``centre``) of the maximum of each row of ``c``, by a parabola."""
    c = np.atleast_2d(c)
    i = np.argmax(c, axis=1)
    inner = (i > 0) & (i < c.shape[1] - 1)
    j = np.clip(i, 1, c.shape[1] - 2)
    rows = np.arange(c.shape[0])
    y0, y1, y2 = c[rows, j - 1], c[rows, j], c[rows, j + 1]
    denom = y0 - 2 * y1 + y2
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(inner & (denom < 0), 0.5 * (y0 - y2) / denom, 0.0)
    return i + shift - centre


@jit
def _lagged_block_sums(ids, x1, x2, half, out):
    # out[ids[t], half + s] += x1[t] x2[t + s] for s = -half..half, in increasing t for each (block, s): the sums
    # np.bincount forms lag by lag, in one pass over the samples and without a product array per lag.
    n = x1.size
    for t in range(n):
        row = out[ids[t]]
        for j in range(max(0, half - t), min(2 * half + 1, n - t + half)):
            row[j] += x1[t] * x2[t + j - half]


def _block_sums(z1, z2, sizes: list, block: int, pad: int, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Per block of ``block`` samples: ``sum x1[t] x2[t + s]`` for ``s = -half..half`` (x = real part), and
    ``sum z1 conj(z2)``; ``z1``, ``z2`` are stretches of ``sizes`` each followed by ``pad`` zeros."""
    ids, n_blocks = [], 0
    for size in sizes:  # a stretch's padding joins its last block (its products are zero)
        b = np.arange(size) // block
        ids += [n_blocks + b, np.full(pad, n_blocks + b[-1])]
        n_blocks += int(b[-1]) + 1
    ids = np.concatenate(ids)
    per_block = np.zeros((n_blocks, 2 * half + 1))
    _lagged_block_sums(ids, np.ascontiguousarray(z1.real), np.ascontiguousarray(z2.real), half, per_block)
    cross = z1 * np.conj(z2)
    return per_block, np.bincount(ids, cross.real, n_blocks) + 1j * np.bincount(ids, cross.imag, n_blocks)


def _peak_freq(a: np.ndarray, b: np.ndarray, runs: np.ndarray, fs: float, band) -> float:
    """Frequency of the largest cross-spectral magnitude in ``band``: Welch segments inside the observed runs."""
    from scipy import signal

    plan = Welch().plan(fs, a.size, runs)
    h = signal.get_window(plan.estimator.window, plan.nperseg)
    seg = np.lib.stride_tricks.sliding_window_view
    spec_a = np.fft.rfft(seg(a, plan.nperseg)[plan.starts] * h, axis=-1)
    spec_b = np.fft.rfft(seg(b, plan.nperseg)[plan.starts] * h, axis=-1)
    cross = np.abs(np.mean(np.conj(spec_a) * spec_b, axis=0))
    inside = (plan.freqs >= band[0]) & (plan.freqs < band[1])
    if not inside.any():  # a band narrower than the resolution: its centre
        return 0.5 * (band[0] + band[1])
    return float(plan.freqs[inside][np.argmax(cross[inside])])


def population_lag(data: SpikeData, *, populations=("exc", "inh"), band=(30.0, 80.0),
                   population_column: str = "population", bin_width: float = 0.001, discard: float = 0.0,
                   max_lag: float = 0.05, order: int = 4, n_boot: int = 1000, confidence: float = 0.95,
                   rng=None) -> PopulationLag:
    """Lag and phase of the second population's band-limited rate relative to the first's (E-I timing).

    Both population rates (``count / (n_units * bin_width)``, observed bins
    only) are band-passed with a Butterworth filter of ``order`` applied
    forward and backward (``scipy.signal.sosfiltfilt``: zero phase), each
    observed stretch on its own, and :data:`EDGE_CYCLES` cycles of the low
    band edge are dropped at both ends of every stretch. Then:

    - **lag**: the maximum of the cross-correlation of the band-passed rates
      nearest zero lag (within half a cycle of ``peak_freq``), refined by a
      parabola through the three bins around it;
    - **phase**: ``angle(sum_t z1(t) conj(z2(t)))`` of their analytic
      signals (``scipy.signal.hilbert``): the phase of the band-limited
      cross-spectrum; ``phase_degrees`` in degrees of the cycle;
    - **intervals**: a percentile bootstrap over blocks of whole cycles
      (``ceil(max(2, 2 peak_freq / (high - low)))`` cycles of ``peak_freq``,
      longer than the band-passed signal's memory), resampled with
      replacement ``n_boot`` times;
    - **correlograms** of the raw and the band-passed rates over
      ``+-max_lag``, products taken within one observed stretch only.

    A positive lag or phase means the second population lags the first
    (``inh`` after ``exc`` in PING). A lag is only defined up to whole
    cycles; the one reported lies within half a cycle of zero.

    Parameters
    ----------
    data : SpikeData
        Spikes of both populations.
    populations : (str, str), default ("exc", "inh")
        ``(first, second)`` labels in ``population_column``.
    band : (float, float), default (30, 80)
        Pass band ``(low, high)`` in Hz.
    population_column : str, default "population"
        Unit-table column holding the labels.
    bin_width : float, default 0.001
        Bin width of the rates (s); at most 0.001 and fine enough for the band.
    discard : float, default 0.0
        Seconds dropped from the start (network onset transients).
    max_lag : float, default 0.05
        Half-width of the correlograms (s); the lag is sought within it too.
    order : int, default 4
        Butterworth order (effective order twice this).
    n_boot : int, default 1000
        Bootstrap draws; at least 10.
    confidence : float, default 0.95
        Level of the intervals, in (0, 1).
    rng : None, int or numpy.random.Generator
        Random source of the bootstrap; an int or None is recorded as ``seed``.

    Returns
    -------
    PopulationLag
        Undetermined (NaN, with ``reason``) when a population has fewer than
        :data:`MIN_SPIKES` spikes, no band power above the Poisson floor
        (``power_ratio <= 1``), or the analysed time holds fewer than
        :data:`MIN_BLOCKS` bootstrap blocks.

    Raises
    ------
    UsageError
        A population label not in the data (the message names the labels
        present), a bad band or parameter.
    """
    from scipy.signal import sosfreqz

    require_spikes(data)
    first, second = _check_populations(data, populations, population_column)
    check_spectral_bin_width(bin_width)
    bin_width = positive_seconds("bin_width", bin_width)
    fs = 1.0 / bin_width
    lo, hi = _check_fs(band, fs)
    max_lag = positive_seconds("max_lag", max_lag)
    order = integer_at_least("order", order, 1)
    n_boot = integer_at_least("n_boot", n_boot, 10)
    confidence = float(confidence)
    if not 0 < confidence < 1:
        raise UsageError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    generator, seed = seeded_rng(rng)
    data = select_spikes(data, None, population_column, discard)

    parts = [data.select(population=p, column=population_column) for p in (first, second)]
    n_units = tuple(p.n_units for p in parts)
    n_spikes = tuple(p.n_spikes for p in parts)
    k = max(1, int(round(max_lag / bin_width)))
    lags = np.arange(-k, k + 1) * bin_width
    nan2 = (np.nan, np.nan)

    def result(reason, **values):
        base = dict(populations=(first, second), band=(lo, hi), lag=np.nan, lag_ci=nan2, phase=np.nan,
                    phase_ci=nan2, phase_degrees=np.nan, phase_degrees_ci=nan2, peak_freq=np.nan, coherence=np.nan,
                    power_ratio=nan2, lags=lags, correlation=np.full(lags.size, np.nan),
                    band_correlation=np.full(lags.size, np.nan), n_units=n_units, n_spikes=n_spikes, n_blocks=0,
                    block_duration=np.nan, analysed_duration=0.0, bin_width=bin_width, discard=float(discard),
                    max_lag=max_lag, order=order, n_boot=n_boot, confidence=confidence, seed=seed, reason=reason)
        return PopulationLag(**{**base, **values})

    few = [f"{p} has {n} spikes" for p, n in zip((first, second), n_spikes) if n < MIN_SPIKES]
    if few:
        return result(f"{' and '.join(few)}; at least {MIN_SPIKES} are needed")
    rates = [population_rate(p, bin_width=bin_width).rate for p in parts]
    runs = observed_runs(data, bin_width, rates[0].size)
    runs = np.array([[0, rates[0].size]]) if runs is None else runs
    centred = [np.where(np.isfinite(r), r - np.nanmean(r), 0.0) for r in rates]
    correlation = _correlogram(*(_padded([c[a:b] for a, b in runs], k) for c in centred), k)

    # Band-passed analytic signals of each stretch long enough to keep samples after its edges.
    edge = int(np.ceil(EDGE_CYCLES / lo * fs))
    sos = band_pass((lo, hi), fs, order)
    kept = runs[runs[:, 1] - runs[:, 0] > 2 * edge + 1]
    if not len(kept):
        return result(f"no observed stretch is longer than {2 * edge * bin_width:g} s ({EDGE_CYCLES:g} cycles of "
                      f"{lo:g} Hz at each end)", correlation=correlation)
    z = [analytic_stretches(c, kept, sos, edge) for c in centred]
    power = [sum(np.sum(np.abs(p) ** 2) for p in zz) for zz in z]
    n_kept = sum(p.size for p in z[0])
    # Poisson floor 2 nu / N (one-sided PSD) through the filter applied twice: integral of |H(f)|^4.
    f, h = sosfreqz(sos, worN=8192, fs=fs)
    gain = np.sum(np.abs(h) ** 4) * (f[1] - f[0])
    observed_time = np.sum(runs[:, 1] - runs[:, 0]) * bin_width
    floors = [2 * n / (observed_time * u * u) * gain for n, u in zip(n_spikes, n_units)]
    # The real band-passed rate holds half the analytic signal's power.
    ratio = tuple(float(0.5 * p / n_kept / fl) for p, fl in zip(power, floors))
    analysed = n_kept * bin_width
    if min(ratio) <= 1.0:
        quiet = [p for p, r in zip((first, second), ratio) if r <= 1.0]
        return result(f"no power in {lo:g}-{hi:g} Hz above the Poisson floor for {' and '.join(quiet)}",
                      correlation=correlation, power_ratio=ratio, analysed_duration=analysed)

    peak_freq = _peak_freq(*centred, runs, fs, (lo, hi))
    cycles = int(np.ceil(max(2.0, 2.0 * peak_freq / (hi - lo))))
    block = max(1, int(round(cycles * fs / peak_freq)))
    half = min(k, max(1, int(np.floor(0.5 * fs / peak_freq))))
    z1, z2 = (_padded(zz, k) for zz in z)
    band_correlation = _correlogram(z1.real, z2.real, k)
    per_block, cross_block = _block_sums(z1, z2, [p.size for p in z[0]], block, k, half)
    n_blocks = cross_block.size
    if n_blocks < MIN_BLOCKS:
        return result(f"the analysed time ({analysed:g} s) holds {n_blocks} blocks of {cycles} cycles; at least "
                      f"{MIN_BLOCKS} are needed", correlation=correlation, band_correlation=band_correlation,
                      power_ratio=ratio, analysed_duration=analysed, peak_freq=peak_freq)
    lag = float(_peak(per_block.sum(axis=0), half)[0]) * bin_width
    total = cross_block.sum()
    phase = float(np.angle(total))
    boot_lag, boot_cross = np.empty(n_boot), np.empty(n_boot, dtype=complex)
    chunk = max(1, 2_000_000 // n_blocks)  # draws at a time: memory bounded on hours of recording
    for first_draw in range(0, n_boot, chunk):
        m = min(chunk, n_boot - first_draw)
        # How often each block is drawn (with replacement) in each of m resamples.
        draws = generator.integers(n_blocks, size=(m, n_blocks)) + n_blocks * np.arange(m)[:, None]
        weights = np.bincount(draws.ravel(), minlength=m * n_blocks).reshape(m, n_blocks).astype(float)
        boot_lag[first_draw:first_draw + m] = _peak(weights @ per_block, half) * bin_width
        boot_cross[first_draw:first_draw + m] = weights @ cross_block
    boot_phase = phase + np.angle(boot_cross * np.exp(-1j * phase))
    tails = [(1 - confidence) / 2, (1 + confidence) / 2]
    lag_ci = tuple(float(v) for v in np.quantile(boot_lag, tails))
    phase_ci = tuple(float(v) for v in np.quantile(boot_phase, tails))
    return result("", lag=lag, lag_ci=lag_ci, phase=phase, phase_ci=phase_ci, phase_degrees=float(np.degrees(phase)),
                  phase_degrees_ci=tuple(float(np.degrees(v)) for v in phase_ci), peak_freq=peak_freq,
                  coherence=float(abs(total) / np.sqrt(power[0] * power[1])), power_ratio=ratio,
                  correlation=correlation, band_correlation=band_correlation, n_blocks=n_blocks,
                  block_duration=block * bin_width, analysed_duration=analysed)
