"""Spike phases in a field band and phase locking: PLV, PPC0, PPC1, PPC2, preferred phase, Rayleigh p."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Signal, SpikeData, unit_spans
from ..core.checks.arguments import integer_at_least, require_spikes
from ..core.compiled import jit
from ..errors import NothingToAnalyseError, SignalError, UsageError
from ..filtering import FS_PER_HIGH_EDGE, analytic_stretches, band_pass, check_band
from ..plotting import new_axes
from ..results import Result
from .field import align_field

__all__ = ["SpikePhases", "PhaseLocking", "spike_phases", "phase_locking"]


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


def _check_fs(band, fs: float) -> tuple[float, float]:
    lo, hi = check_band(band)
    if fs < FS_PER_HIGH_EDGE * hi:
        raise SignalError(f"signal sampled at {fs:g} Hz is too slow for a band up to {hi:g} Hz: the band-pass needs "
                          f"fs >= {FS_PER_HIGH_EDGE:g} x high edge ({FS_PER_HIGH_EDGE * hi:g} Hz, Nyquist plus design "
                          "margin); lower the band or use a faster-sampled signal")
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


#: Field samples read at once when the spikes' field values are interpolated (two float64 arrays: 256 KiB).
INTERP_BLOCK = 16_384
#: Spikes whose field values, or cosines and sines, are held at once (8 MiB per array): an hour of spikes needs no
#: whole-session temporaries beyond its phases and times.
CHUNK_SPIKES = 2 ** 20


@jit
def _grid_interp(times, first, groups, origin, width, re, im, block, out_re, out_im):
    # np.interp(pos, arange(n), re) (and of im) at pos = (times - origin) / width, bit for bit: its rule and arithmetic
    # on a grid of step 1. Group g holds the spikes times[first[g]:first[g] + groups[g + 1] - groups[g]] (increasing),
    # written to out[groups[g]:groups[g + 1]]; the grid is read block by block, every group advancing its pointer
    # through the block, so each block of samples stays in cache instead of being swept once per unit.
    n = re.size
    n_groups = groups.size - 1
    ptr = groups[:-1].copy()
    for lo in range(0, n, block):
        last = lo + block >= n
        for g in range(n_groups):
            i, end, shift = ptr[g], groups[g + 1], first[g] - groups[g]
            while i < end:
                x = (times[i + shift] - origin) / width
                if not last and x >= lo + block:
                    break
                if x <= 0.0:
                    out_re[i], out_im[i] = re[0], im[0]
                elif x >= n - 1:
                    out_re[i], out_im[i] = re[n - 1], im[n - 1]
                else:
                    j = int(x)
                    if x == j:
                        out_re[i], out_im[i] = re[j], im[j]
                    else:
                        out_re[i] = (re[j + 1] - re[j]) * (x - j) + re[j]
                        out_im[i] = (im[j + 1] - im[j]) * (x - j) + im[j]
                i += 1
            ptr[g] = i


def _chunks(counts: np.ndarray):
    """``[u0, u1)`` runs of units holding about CHUNK_SPIKES spikes each (a unit with more is a run alone)."""
    ends = np.searchsorted(np.cumsum(counts), np.arange(CHUNK_SPIKES, counts.sum(), CHUNK_SPIKES), side="right")
    bounds = np.unique(np.concatenate([[0], ends, [counts.size]]))
    return zip(bounds[:-1], bounds[1:])


def _phases(data, signal, band, channel, order) -> tuple[SpikePhases, np.ndarray]:
    """:func:`spike_phases` and the ``(k, 2)`` windows (s) whose spikes received a phase, one per observed stretch."""
    order = integer_at_least("order", order, 1)
    n_total = require_spikes(data).n_spikes
    if not isinstance(signal, Signal):
        raise TypeError(f"expected a Signal, not {type(signal).__name__}")
    lo, hi = _check_fs(band, signal.fs)
    data, y, width, t0, runs = align_field(data, signal, channel, None)
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
    # Each unit's spikes in each window: a run of its spikes (they are in time order).
    first, stop = unit_spans(times, data.offsets, windows)
    counts = stop - first
    offsets = np.concatenate([[0], np.cumsum(counts.sum(axis=1))])
    phases = np.empty(offsets[-1])
    sos = band_pass((lo, hi), 1.0 / width, order)
    starts = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(counts.shape)  # of unit u's spikes in window k
    for k, (a, b) in enumerate(runs):
        (analytic,) = analytic_stretches(y, [(a, b)], sos)
        re_k, im_k = np.ascontiguousarray(analytic.real), np.ascontiguousarray(analytic.imag)
        for u0, u1 in _chunks(counts[:, k]):  # a few units at a time: their values, not all spikes', are held
            groups = np.concatenate([[0], np.cumsum(counts[u0:u1, k])])
            re, im = np.empty(groups[-1]), np.empty(groups[-1])
            _grid_interp(times, np.ascontiguousarray(first[u0:u1, k]), groups, t0 + a * width, width, re_k, im_k,
                         INTERP_BLOCK, re, im)
            angle = np.arctan2(im, re)  # np.angle of re + 1j im, without the complex array
            for u, q in zip(range(u0, u1), groups[:-1]):
                phases[starts[u, k]:starts[u, k] + counts[u, k]] = angle[q:q + counts[u, k]]
    kept = np.concatenate([times[a:b] for a, b in zip(first.ravel(), stop.ravel())])
    return SpikePhases(phases=phases, times=kept, offsets=offsets, band=(lo, hi), order=order,
                       n_dropped=n_total - int(offsets[-1]), t_start=float(windows[0, 0]),
                       t_stop=float(windows[-1, 1])), windows


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


@jit
def _segment_sums(times, first, stop, cos, sin, lo, hi, starts, before, total, by_position, cm, sm, nm):
    # Adds to the sums of cos and sin and the spike counts per unit and segment those of spikes lo..hi-1 (cos[i - lo]
    # is spike i's), in np.bincount's order: spike by spike. Spike i of unit u in span k is in segment k (a trial)
    # or, ``by_position``, in the segment of equal observed time that holds it, span k (a window) starting at
    # observed time before[k].
    n_segments = cm.shape[1]
    for u in range(first.shape[0]):
        for k in range(first.shape[1]):
            for i in range(max(first[u, k], lo), min(stop[u, k], hi)):
                s = k
                if by_position:
                    s = min(int((before[k] + (times[i] - starts[k])) / total * n_segments), n_segments - 1)
                cm[u, s] += cos[i - lo]
                sm[u, s] += sin[i - lo]
                nm[u, s] += 1


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
    offsets = np.asarray(ph.offsets)
    first, stop = unit_spans(ph.times, offsets, windows if trials is None else trials)
    n_dropped = ph.n_dropped + ph.phases.size - int(np.sum(stop - first))  # outside every trial
    if first.size == 0 or not np.any(stop > first):
        where = " and inside a trial" if trials is not None else ""
        raise NothingToAnalyseError(f"no spike falls inside the span with a valid phase{where} ({ph.t_start:g}-"
                                    f"{ph.t_stop:g} s); check that spikes and signal overlap")
    if trials is not None:
        n_segments = len(trials)
    # Without trials: segments of equal observed time over the windows with phases, joined end to end.
    before = np.concatenate([[0.0], np.cumsum(windows[:-1, 1] - windows[:-1, 0])])
    total = np.sum(windows[:, 1] - windows[:, 0])
    n_units = offsets.size - 1
    cm, sm, nm = np.zeros((n_units, n_segments)), np.zeros((n_units, n_segments)), np.zeros((n_units, n_segments),
                                                                                             dtype=np.int64)
    for lo in range(0, ph.phases.size, CHUNK_SPIKES):
        angle = ph.phases[lo:lo + CHUNK_SPIKES]
        _segment_sums(ph.times, first, stop, np.cos(angle), np.sin(angle), lo, lo + angle.size,
                      np.ascontiguousarray(windows[:, 0]), before, total, trials is None, cm, sm, nm)
    per_unit = _locking_stats(cm.sum(1), sm.sum(1), nm.sum(1), cm, sm, nm)
    pop = _locking_stats(cm.sum(), sm.sum(), nm.sum(), cm.sum(0), sm.sum(0), nm.sum(0))
    return PhaseLocking(n_spikes=nm.sum(1), plv=per_unit[0], ppc0=per_unit[1], ppc1=per_unit[2], ppc2=per_unit[5],
                        preferred_phase=per_unit[3], rayleigh_p=per_unit[4], population_n_spikes=int(nm.sum()),
                        population_plv=float(pop[0]), population_ppc0=float(pop[1]), population_ppc1=float(pop[2]),
                        population_ppc2=float(pop[5]), population_preferred_phase=float(pop[3]),
                        population_rayleigh_p=float(pop[4]), band=ph.band, order=ph.order, n_segments=n_segments,
                        from_trials=trials is not None, n_dropped=n_dropped)
