"""Spike-field coupling: how spikes relate to a continuous field (LFP or a simulated field proxy).

``spike_field_coherence``
    Coherence between each unit's binned spikes (and the pooled population
    spikes) and one channel of a :class:`~synchro.core.Signal`, by Welch or
    multitaper estimates. Frequencies come first in the result, in Hz.
``spike_phases``
    Phase of the band-passed field (zero-phase Butterworth + Hilbert) at
    every spike.
``phase_locking``
    Per unit and for the population: PLV, PPC0 (Vinck et al. 2010), PPC1
    (across segments, Vinck et al. 2012), preferred phase and Rayleigh p.

Only the time span shared by spikes and signal is analysed; a signal that
does not overlap the spikes, or is sampled too slowly for the band, raises
:class:`~synchro.errors.SignalError`. Within it, only observed time counts
(the spikes' :attr:`~synchro.core.SpikeData.support`): spectra use segments
inside one observation interval, and the field is filtered one observed
stretch at a time, so nothing recorded in a gap reaches a spike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ._plotting import new_axes
from ._results import Result
from ._validate import integer_at_least, positive_seconds, require_spikes
from .core import Signal, SpikeData, intersect_intervals, interval_index, support_bins
from .core.binning import elephant_bins
from .core.checks import unit_offsets
from .errors import NothingToAnalyseError, SignalError, UsageError

__all__ = [
    "SpikeFieldCoherence",
    "SpikePhases",
    "PhaseLocking",
    "spike_field_coherence",
    "spike_phases",
    "phase_locking",
]

_SFC_METHODS = ("welch", "multitaper")


# Alignment of spikes and signal ---------------------------------------------------

def _field(data, signal, channel: int, bin_width: float | None):
    """Spikes and one signal channel restricted to their common span, the signal averaged to ``bin_width``.

    Returns the restricted spikes (only those in observed time), the field
    samples, the bin width (s), the time of the first sample (s) and the
    ``[first, stop)`` runs of samples wholly inside the spikes' observed
    time (``[[0, n]]`` without gaps).
    """
    data = require_spikes(data)
    if not isinstance(signal, Signal):
        raise TypeError(f"expected a Signal, not {type(signal).__name__}; wrap the field samples in synchro.Signal")
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not -signal.n_channels <= channel \
            < signal.n_channels:
        raise UsageError(f"channel must be an integer in 0..{signal.n_channels - 1}; got {channel!r}")
    a, b = max(data.t_start, signal.t_start), min(data.t_stop, signal.t_stop)
    if b <= a:
        raise SignalError(f"signal {signal.name!r} ({signal.t_start:g}-{signal.t_stop:g} s) does not overlap the "
                          f"spikes ({data.t_start:g}-{data.t_stop:g} s); pick a signal from the same recording")
    sig = signal.restrict(a, b)
    step = 1 if bin_width is None else positive_seconds("bin_width", bin_width) * sig.fs
    if bin_width is not None and (abs(step - round(step)) > 1e-9 * step or round(step) < 1):
        raise UsageError(f"bin_width ({bin_width:g} s) must be a whole multiple of the sampling period "
                         f"(1/{sig.fs:g} s)")
    step = int(round(step))
    y = sig.channel(int(channel))
    n = y.size // step
    if n < 2:
        raise SignalError(f"spikes and signal {signal.name!r} share fewer than two samples of {step / sig.fs:g} s; "
                          "pick a signal that covers the spikes")
    # Averaging blocks of `step` samples matches the field to spike counts in bins of that width.
    y = y[: n * step].reshape(n, step).mean(axis=1)
    width = step / sig.fs
    t0 = sig.t_start
    a, b = max(data.t_start, t0), min(data.t_stop, t0 + n * width)
    if data.has_gaps and not len(intersect_intervals(data.support, [[a, b]])):
        raise SignalError(f"signal {signal.name!r} covers only unobserved time of the spikes ({a:g}-{b:g} s); pick a "
                          "signal that overlaps their observation intervals")
    data = data.restrict(a, b)
    runs = support_bins(data.support, t0, width, n) if data.has_gaps else np.array([[0, n]], dtype=np.int64)
    if not runs.size:
        raise SignalError(f"no whole sample of {width:g} s of signal {signal.name!r} lies in the spikes' observed "
                          "time; use a finer bin_width or a signal that covers the observation intervals")
    return data, y, width, t0, runs


# Spike-field coherence --------------------------------------------------------------

@dataclass(frozen=True)
class SpikeFieldCoherence(Result):
    """Coherence between spikes and a field channel.

    Attributes
    ----------
    freqs : ndarray
        Frequencies in Hz, ascending.
    coherence : ndarray, shape (n_freq, n_units)
        Magnitude-squared coherence of each unit (NaN for silent units);
        shape ``(n_freq, 0)`` when ``per_unit=False``.
    pooled : ndarray, shape (n_freq,)
        Coherence of the summed spike counts of all units with the field.
    n_spikes : ndarray of int
        Spikes of each unit in the analysed span.
    estimator : str
        ``"welch"`` or ``"multitaper"``.
    nperseg, noverlap : int
        Segment length and overlap in samples.
    nw : float
        Time-bandwidth product of the DPSS tapers (NaN for Welch).
    n_tapers : int
        Tapers per segment (1 for Welch's Hann window).
    n_segments : int
        Segments averaged.
    bin_width : float
        Spike bin width = field sample spacing, in seconds.
    channel : int
        Signal channel used.
    t_start, t_stop : float
        Analysed span in seconds.
    """

    analysis: ClassVar[str] = "spike_field_coherence"
    freqs: np.ndarray
    coherence: np.ndarray
    pooled: np.ndarray
    n_spikes: np.ndarray
    estimator: str
    nperseg: int
    noverlap: int
    nw: float
    n_tapers: int
    n_segments: int
    bin_width: float
    channel: int
    t_start: float
    t_stop: float

    def plot(self, ax=None):
        """Pooled coherence and the unit median against frequency.

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
        ax.plot(self.freqs, self.pooled, label="pooled spikes")
        if self.coherence.shape[1]:
            ax.plot(self.freqs, np.nanmedian(self.coherence, axis=1), label="unit median")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("coherence")
        ax.legend()
        return ax


def _segment_spectra(x: np.ndarray, starts: np.ndarray, nperseg: int, tapers: np.ndarray) -> np.ndarray:
    """rfft of every (segment, taper) of the columns of ``x``: shape (n_seg * n_tapers, n_freq, n_cols)."""
    seg = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=0)[starts]  # (n_seg, n_cols, nperseg)
    seg = seg - seg.mean(axis=-1, keepdims=True)  # scipy's detrend="constant"
    spec = np.fft.rfft(seg[:, None, :, :] * tapers[None, :, None, :], axis=-1)
    return spec.reshape(-1, spec.shape[2], spec.shape[3]).transpose(0, 2, 1)


def spike_field_coherence(data: SpikeData, signal: Signal, *, method: str = "welch", nperseg: int | None = None,
                          bin_width: float | None = None, channel: int = 0, per_unit: bool = True,
                          nw: float = 4.0) -> SpikeFieldCoherence:
    """Magnitude-squared coherence between spikes and one channel of a field.

    Spikes are counted on the field's sample grid (bins of ``bin_width``
    starting at a sample time, elephant's binning rule); each segment has
    its mean removed, is tapered and Fourier transformed, and
    ``C(f) = |<X* Y>|^2 / (<|X|^2> <|Y|^2>)`` with averages over segments
    (and tapers). With ``method="welch"`` this equals
    ``scipy.signal.coherence`` with its defaults (Hann window, 50 % overlap),
    and so ``elephant.sta.spike_field_coherence`` with the same ``nperseg``,
    frequencies in ascending order first.

    With gaps in the spikes' observation intervals, segments are laid out in
    each observed stretch separately (from its first whole sample) and only
    segments wholly inside one stretch are averaged: field samples of a gap
    never meet the gap's missing spikes.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    signal : Signal
        Field (LFP or proxy); must overlap the spikes in time.
    method : {"welch", "multitaper"}, default "welch"
        Welch: periodic Hann window, ``noverlap = nperseg // 2``. Multitaper:
        ``2 nw - 1`` DPSS tapers per non-overlapping segment.
    nperseg : int, optional
        Segment length in samples; default one second of samples (or the
        longest observed stretch of the shared span if shorter).
    bin_width : float, optional
        Spike bin width in seconds, a whole multiple of the sampling period
        (the field is averaged over the same bins); default ``1 / fs``.
    channel : int, default 0
        Signal channel.
    per_unit : bool, default True
        Compute each unit's coherence (the pooled one is always computed).
    nw : float, default 4.0
        Time-bandwidth product for ``method="multitaper"``.

    Returns
    -------
    SpikeFieldCoherence

    References
    ----------
    Welch, P. D. (1967). IEEE Trans. Audio Electroacoust. 15, 70-73.
    Jarvis, M. R. & Mitra, P. P. (2001). Sampling properties of the spectrum
    and coherency of sequences of action potentials. Neural Comput. 13, 717-749.
    """
    from scipy.signal import get_window
    from scipy.signal.windows import dpss

    if method not in _SFC_METHODS:
        raise UsageError(f"method must be one of {list(_SFC_METHODS)}; got {method!r}")
    data, y, width, t0, runs = _field(data, signal, channel, bin_width)
    n = y.size
    longest = int((runs[:, 1] - runs[:, 0]).max())
    nperseg = min(int(round(1.0 / width)), longest) if nperseg is None else integer_at_least("nperseg", nperseg, 2)
    if nperseg > longest:
        where = "shared by spikes and signal" if len(runs) == 1 and longest == n else \
            "in the longest observed stretch shared by spikes and signal"
        raise SignalError(f"nperseg ({nperseg}) exceeds the {longest} samples {where}; "
                          "use a shorter nperseg or a longer recording")
    if method == "welch":
        tapers, noverlap, nw_used = get_window("hann", nperseg)[None, :], nperseg // 2, np.nan
    else:
        nw_used = positive_seconds("nw", nw)
        n_tapers = int(2 * nw_used - 1)
        if n_tapers < 1:
            raise UsageError(f"nw must be at least 1 for one taper; got {nw!r}")
        tapers, noverlap = np.atleast_2d(dpss(nperseg, nw_used, n_tapers)), 0
    starts = np.concatenate([a + np.arange(0, b - a - nperseg + 1, nperseg - noverlap) for a, b in runs])
    fy = _segment_spectra(y[:, None], starts, nperseg, tapers)[:, :, 0]
    syy = np.mean(np.abs(fy) ** 2, axis=0)

    idx, _ = elephant_bins(np.asarray(data.times), t0, t0 + n * width, width)
    unit = np.asarray(data.unit_index)
    ok = (idx >= 0) & (idx < n) & (interval_index(idx, runs) >= 0)
    n_units = data.n_units
    pooled_x = _segment_spectra(np.bincount(idx[ok], minlength=n).astype(np.float64)[:, None], starts, nperseg,
                                tapers)[:, :, 0]
    coh = np.empty((fy.shape[1], n_units if per_unit else 0))
    # Chunks of units keep the (segments x tapers x freqs x units) array near 32 MB.
    chunk = max(1, 2 ** 21 // (fy.shape[0] * fy.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        for a in range(0, coh.shape[1], chunk):
            b = min(a + chunk, n_units)
            sel = slice(data.offsets[a], data.offsets[b])  # spikes are grouped by unit
            keep = ok[sel]
            counts = np.bincount(idx[sel][keep] * (b - a) + unit[sel][keep] - a, minlength=n * (b - a))
            counts = counts.reshape(n, b - a)
            fx = _segment_spectra(counts.astype(np.float64), starts, nperseg, tapers)
            sxy = np.mean(np.conj(fx) * fy[:, :, None], axis=0)
            coh[:, a:b] = np.abs(sxy) ** 2 / (np.mean(np.abs(fx) ** 2, axis=0) * syy[:, None])
        pooled = np.abs(np.mean(np.conj(pooled_x) * fy, axis=0)) ** 2 / (np.mean(np.abs(pooled_x) ** 2, axis=0) * syy)
    return SpikeFieldCoherence(freqs=np.fft.rfftfreq(nperseg, width), coherence=coh, pooled=pooled,
                               n_spikes=np.bincount(unit[ok], minlength=n_units), estimator=method, nperseg=nperseg,
                               noverlap=noverlap, nw=nw_used, n_tapers=tapers.shape[0], n_segments=starts.size,
                               bin_width=width, channel=int(channel), t_start=t0, t_stop=t0 + n * width)


# Spike phases ------------------------------------------------------------------------

@dataclass(frozen=True)
class SpikePhases(Result):
    """Phase of the band-passed field at each spike.

    Attributes
    ----------
    phases : ndarray
        Phase in radians, ``(-pi, pi]``, 0 at the field's band-passed peak,
        grouped by unit like ``SpikeData.times``.
    times : ndarray
        Spike times (s) the phases belong to.
    offsets : ndarray of int
        ``n_units + 1`` bounds: unit ``i`` owns ``phases[offsets[i]:offsets[i + 1]]``.
    band : tuple of float
        Pass band in Hz.
    order : int
        Butterworth order of the band-pass (applied forward and backward,
        so the effective order is twice this).
    n_dropped : int
        Spikes outside the analysed span (no field, or within the edge
        margin of its ends or of a gap).
    t_start, t_stop : float
        Span (s) whose spikes received phases (with gaps in the spikes'
        observation intervals, only parts of it: each observed stretch less
        its edge margins).
    """

    analysis: ClassVar[str] = "spike_phases"
    phases: np.ndarray
    times: np.ndarray
    offsets: np.ndarray
    band: tuple
    order: int
    n_dropped: int
    t_start: float
    t_stop: float

    def plot(self, ax=None):
        """Histogram of all spike phases.

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
        ax.hist(self.phases, bins=36, range=(-np.pi, np.pi))
        ax.set_xlabel("phase (rad)")
        ax.set_ylabel("spikes")
        return ax


def _check_band(band, fs: float) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise UsageError(f"band must be two frequencies (low, high) in Hz; got {band!r}") from None
    if not (0 < lo < hi):
        raise UsageError(f"band must satisfy 0 < low < high (Hz); got {band!r}")
    if fs < 2.5 * hi:
        raise SignalError(f"signal sampled at {fs:g} Hz is too slow for a band up to {hi:g} Hz: the band-pass needs "
                          f"fs >= 2.5 x high edge ({2.5 * hi:g} Hz, Nyquist plus design margin); lower the band or "
                          "use a faster-sampled signal")
    return lo, hi


def spike_phases(data: SpikeData, signal: Signal, *, band=(30.0, 80.0), channel: int = 0,
                 order: int = 4) -> SpikePhases:
    """Phase of the band-passed field at every spike.

    The channel is band-passed with a Butterworth filter of ``order``
    applied forward and backward (``scipy.signal.sosfiltfilt``: zero phase,
    effective order ``2 * order``), its analytic signal taken with
    ``scipy.signal.hilbert``, and the analytic signal interpolated linearly
    to each spike time; the phase is its angle (0 at the band-passed peak,
    pi at the trough). Spikes within three cycles of the low band edge of
    either end of the shared span are dropped (filter and Hilbert edge
    transients).

    With gaps in the spikes' observation intervals, each observed stretch of
    the field (whole samples inside one interval) is filtered on its own,
    and spikes within three cycles of either end of their stretch are
    dropped: a gap is treated like the ends of the recording, so field
    samples recorded in a gap never reach a spike's phase. Stretches no
    longer than six cycles give no phases.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    signal : Signal
        Field overlapping the spikes.
    band : (float, float), default (30, 80)
        Pass band in Hz.
    channel : int, default 0
        Signal channel.
    order : int, default 4
        Butterworth order.

    Returns
    -------
    SpikePhases

    Raises
    ------
    SignalError
        No overlap, sampling rate too low for the band, or too short a span.
    """
    return _phases(data, signal, band, channel, order)[0]


def _phases(data, signal, band, channel, order) -> tuple[SpikePhases, np.ndarray]:
    """:func:`spike_phases` and the ``(k, 2)`` windows (s) whose spikes received a phase, one per observed stretch."""
    from scipy.signal import butter, hilbert, sosfiltfilt

    order = integer_at_least("order", order, 1)
    n_total = require_spikes(data).n_spikes
    if not isinstance(signal, Signal):
        raise TypeError(f"expected a Signal, not {type(signal).__name__}")
    lo, hi = _check_band(band, signal.fs)
    data, y, width, t0, runs = _field(data, signal, channel, None)
    edge = 3.0 / lo
    # Each observed stretch is filtered alone; its spikes keep a phase away from the stretch's ends.
    lengths = (runs[:, 1] - runs[:, 0]) * width
    runs = runs[lengths > 2 * edge]
    if not runs.size:
        what = "share" if not data.has_gaps else "share observed stretches of at most"
        raise SignalError(f"spikes and signal {what} {lengths.max():g} s, too short for a {lo:g} Hz band: need more "
                          f"than {2 * edge:g} s (three cycles at each end)")
    windows = np.column_stack([t0 + runs[:, 0] * width + edge, t0 + runs[:, 1] * width - edge])
    times = np.asarray(data.times)
    w = interval_index(times, windows)
    keep = w >= 0
    # The spikes of each window, found with one sort (spikes are grouped by unit, not by time).
    ids = np.flatnonzero(keep)
    ids = ids[np.argsort(w[ids], kind="stable")]
    bounds = np.searchsorted(w[ids], np.arange(len(runs) + 1))
    phases = np.empty(times.size)
    sos = butter(order, (lo, hi), btype="bandpass", fs=1.0 / width, output="sos")
    for k, (first, stop) in enumerate(runs):
        sel = ids[bounds[k]:bounds[k + 1]]
        analytic = hilbert(sosfiltfilt(sos, y[first:stop]))
        pos = (times[sel] - (t0 + first * width)) / width
        grid = np.arange(stop - first)
        phases[sel] = np.angle(np.interp(pos, grid, analytic.real) + 1j * np.interp(pos, grid, analytic.imag))
    offsets = unit_offsets(data.unit_index[keep], data.n_units)
    kept = int(keep.sum())
    return SpikePhases(phases=phases[keep], times=times[keep], offsets=offsets, band=(lo, hi), order=order,
                       n_dropped=n_total - kept, t_start=float(windows[0, 0]), t_stop=float(windows[-1, 1])), windows


# Phase locking --------------------------------------------------------------------------

@dataclass(frozen=True)
class PhaseLocking(Result):
    """Locking of spikes to the phase of a field band, per unit and for the population.

    Per-unit arrays have one value per unit (NaN where undefined: PLV,
    phase and Rayleigh p need one spike, PPC0 two, PPC1 and PPC2 spikes in
    two different trials). ``population_*`` pool the spikes of all units.
    "Trials" are the ``trials`` given to :func:`phase_locking`, else
    ``n_segments`` equal segments of the observed span.

    Attributes
    ----------
    n_spikes : ndarray of int
        Spikes with a phase.
    plv : ndarray
        Phase-locking value ``|mean exp(i theta)|`` (biased upward at small n).
    ppc0 : ndarray
        ``(|sum exp(i theta)|^2 - n) / (n (n - 1))``, the unbiased mean
        cosine over spike pairs (Vinck et al. 2010).
    ppc1 : ndarray
        Mean cosine over pairs of spikes from different trials (Vinck et
        al. 2012), insensitive to within-trial spike history.
    ppc2 : ndarray
        Mean over pairs of different trials of the mean cosine between
        their spikes (Vinck et al. 2012): each trial weighs the same
        whatever its spike count.
    preferred_phase : ndarray
        Angle of the mean resultant, radians.
    rayleigh_p : ndarray
        Rayleigh test p-value with Zar's small-sample correction.
    population_n_spikes, population_plv, population_ppc0, population_ppc1, population_ppc2,
    population_preferred_phase, population_rayleigh_p
        The same over all spikes pooled.
    band : tuple of float
        Pass band in Hz.
    order : int
        Butterworth order (see :func:`spike_phases`).
    n_segments : int
        Trials for PPC1 and PPC2: the number of ``trials`` given, else of
        equal segments of the observed span.
    from_trials : bool
        True when PPC1 and PPC2 use real ``trials``; False for equal segments.
    n_dropped : int
        Spikes left out: without a phase, or outside every trial.
    """

    analysis: ClassVar[str] = "phase_locking"
    n_spikes: np.ndarray
    plv: np.ndarray
    ppc0: np.ndarray
    ppc1: np.ndarray
    ppc2: np.ndarray
    preferred_phase: np.ndarray
    rayleigh_p: np.ndarray
    population_n_spikes: int
    population_plv: float
    population_ppc0: float
    population_ppc1: float
    population_ppc2: float
    population_preferred_phase: float
    population_rayleigh_p: float
    band: tuple
    order: int
    n_segments: int
    from_trials: bool
    n_dropped: int

    def plot(self, ax=None):
        """PPC0 of each unit against its preferred phase.

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
        ax.scatter(self.preferred_phase, self.ppc0, s=8)
        ax.axhline(0.0, color="C7", lw=0.5)
        ax.set_xlabel("preferred phase (rad)")
        ax.set_ylabel("PPC0")
        ax.set_title(f"{self.band[0]:g}-{self.band[1]:g} Hz; population PPC0 {self.population_ppc0:.3g}")
        return ax


def _locking_stats(c: np.ndarray, s: np.ndarray, n: np.ndarray, cm: np.ndarray, sm: np.ndarray, nm: np.ndarray):
    """PLV, PPC0, PPC1, phase, Rayleigh p and PPC2 from sums of cos/sin (last axis: trials for cm, sm, nm)."""
    n = n.astype(np.float64)
    power = c ** 2 + s ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        plv = np.where(n > 0, np.sqrt(power) / n, np.nan)
        ppc0 = np.where(n > 1, (power - n) / (n * (n - 1)), np.nan)
        between = n ** 2 - (nm.astype(np.float64) ** 2).sum(axis=-1)
        ppc1 = np.where(between > 0, (power - (cm ** 2 + sm ** 2).sum(axis=-1)) / between, np.nan)
        # PPC2: the same on each trial's mean unit vector, over trials with spikes (FieldTrip's ppc2).
        has = nm > 0
        xm, ym = np.where(has, cm / np.where(has, nm, 1), 0.0), np.where(has, sm / np.where(has, nm, 1), 0.0)
        m = has.sum(axis=-1).astype(np.float64)
        ppc2 = np.where(m > 1, (xm.sum(axis=-1) ** 2 + ym.sum(axis=-1) ** 2 - (xm ** 2 + ym ** 2).sum(axis=-1))
                        / (m * (m - 1)), np.nan)
        # Zar (1999) eq. 27.4 with R = n * PLV, the resultant length.
        p = np.exp(np.sqrt(1 + 4 * n + 4 * (n ** 2 - power)) - (1 + 2 * n))
    return (plv, ppc0, ppc1, np.where(n > 0, np.arctan2(s, c), np.nan), np.where(n > 0, np.clip(p, 0, 1), np.nan),
            ppc2)


def _check_trials(trials) -> np.ndarray:
    """``trials`` as a float (k, 2) array of disjoint ``[start, stop)`` pairs (s), sorted by start."""
    try:
        tr = np.asarray(trials, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"trials must be (start, stop) pairs in seconds, shape (k, 2); got {trials!r}") from None
    if tr.ndim != 2 or tr.shape[1] != 2 or not len(tr):
        raise UsageError(f"trials must be (start, stop) pairs in seconds, shape (k, 2); got shape {tr.shape}")
    if not np.all(np.isfinite(tr)) or np.any(tr[:, 1] <= tr[:, 0]):
        raise UsageError("trials must be finite (start, stop) pairs in seconds with start < stop")
    tr = tr[np.argsort(tr[:, 0], kind="stable")]
    if np.any(tr[1:, 0] < tr[:-1, 1]):
        raise UsageError("trials overlap, so a spike could belong to two of them; give disjoint (start, stop) pairs")
    return tr


def phase_locking(data: SpikeData, signal: Signal, *, band=(30.0, 80.0), channel: int = 0, order: int = 4,
                  n_segments: int = 10, trials=None) -> PhaseLocking:
    """Phase locking of spikes to a field band: PLV, PPC0, PPC1, PPC2, preferred phase, Rayleigh p.

    Phases come from :func:`spike_phases` (observed time only). PPC0 is the
    unbiased estimate of the mean ``cos(theta_j - theta_k)`` over all spike
    pairs, O(n) as ``(|sum exp(i theta)|^2 - n) / (n (n - 1))``. PPC1
    restricts pairs to spikes from different trials: with ``S_m`` the sum of
    ``exp(i theta)`` in trial ``m`` and ``n_m`` its spike count,
    ``(|sum_m S_m|^2 - sum_m |S_m|^2) / (n^2 - sum_m n_m^2)``. PPC2 does the
    same with each trial's mean ``S_m / n_m`` over the ``M`` trials with
    spikes, ``(|sum_m S_m / n_m|^2 - sum_m |S_m / n_m|^2) / (M (M - 1))``.
    With ``trials`` these are Vinck et al.'s (2012) estimators over real
    trials, and spikes outside every trial are left out of every measure;
    without, the observed span with a phase is cut into ``n_segments``
    segments of equal observed time that play the role of trials (PPC1 as
    before trials could be given). The Rayleigh p-value uses Zar's
    approximation ``exp(sqrt(1 + 4n + 4(n^2 - R^2)) - (1 + 2n))`` with
    ``R`` the resultant length.

    Parameters
    ----------
    data, signal, band, channel, order
        As in :func:`spike_phases` (band in Hz, default (30, 80)).
    n_segments : int, default 10
        Segments (pseudo-trials) for PPC1 and PPC2 when ``trials`` is None;
        at least 2.
    trials : array_like, shape (k, 2), optional
        Start and stop of each trial in seconds (disjoint, any order), e.g.
        from an NWB ``trials`` table. PPC1 and PPC2 then exclude pairs of
        spikes from the same trial, and only spikes inside a trial count.

    Returns
    -------
    PhaseLocking

    References
    ----------
    Vinck, M., van Wingerden, M., Womelsdorf, T., Fries, P. & Pennartz, C. M.
    A. (2010). The pairwise phase consistency: a bias-free measure of
    rhythmic neuronal synchronization. NeuroImage 51, 112-122.
    Vinck, M., Battaglia, F. P., Womelsdorf, T. & Pennartz, C. (2012).
    Improved measures of phase-coupling between spikes and the local field
    potential. J. Comput. Neurosci. 33, 53-75.
    Zar, J. H. (1999). Biostatistical Analysis, 4th ed., eq. 27.4.
    Fisher, N. I. (1993). Statistical Analysis of Circular Data. Cambridge
    University Press, section 4.3.
    """
    n_segments = integer_at_least("n_segments", n_segments, 2)
    trials = None if trials is None else _check_trials(trials)
    ph, windows = _phases(data, signal, band, channel, order)
    n_units = ph.offsets.size - 1
    unit = np.repeat(np.arange(n_units), np.diff(ph.offsets))
    times, phases, n_dropped = ph.times, ph.phases, ph.n_dropped
    if trials is not None:
        n_segments = len(trials)
        seg = interval_index(times, trials)
        inside = seg >= 0
        times, phases, unit, seg = times[inside], phases[inside], unit[inside], seg[inside]
        n_dropped += int((~inside).sum())
    if phases.size == 0:
        where = " and inside a trial" if trials is not None else ""
        raise NothingToAnalyseError(f"no spike falls inside the span with a valid phase{where} ({ph.t_start:g}-"
                                    f"{ph.t_stop:g} s); check that spikes and signal overlap")
    if trials is None:
        # Segments of equal observed time over the windows with phases, joined end to end.
        w = interval_index(times, windows)
        before = np.concatenate([[0.0], np.cumsum(windows[:-1, 1] - windows[:-1, 0])])
        pos, total = before[w] + (times - windows[w, 0]), np.sum(windows[:, 1] - windows[:, 0])
        seg = np.minimum((pos / total * n_segments).astype(np.int64), n_segments - 1)
    cos, sin = np.cos(phases), np.sin(phases)
    key = unit * n_segments + seg
    cm = np.bincount(key, cos, minlength=n_units * n_segments).reshape(n_units, n_segments)
    sm = np.bincount(key, sin, minlength=n_units * n_segments).reshape(n_units, n_segments)
    nm = np.bincount(key, minlength=n_units * n_segments).reshape(n_units, n_segments)
    per_unit = _locking_stats(cm.sum(1), sm.sum(1), nm.sum(1), cm, sm, nm)
    pop = _locking_stats(cm.sum(), sm.sum(), nm.sum(), cm.sum(0), sm.sum(0), nm.sum(0))
    return PhaseLocking(n_spikes=nm.sum(1), plv=per_unit[0], ppc0=per_unit[1], ppc1=per_unit[2], ppc2=per_unit[5],
                        preferred_phase=per_unit[3], rayleigh_p=per_unit[4], population_n_spikes=int(nm.sum()),
                        population_plv=float(pop[0]), population_ppc0=float(pop[1]), population_ppc1=float(pop[2]),
                        population_ppc2=float(pop[5]), population_preferred_phase=float(pop[3]),
                        population_rayleigh_p=float(pop[4]), band=ph.band, order=ph.order, n_segments=n_segments,
                        from_trials=trials is not None, n_dropped=n_dropped)

