"""Spike-field coherence: each unit's (and the pooled) binned spikes against one field channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Signal, SpikeData, interval_index
from ..core.binning import elephant_bins
from ..errors import SignalError, UsageError
from ..plotting import new_axes
from ..results import Result
from ..spectral import MIN_NPERSEG, Multitaper, Welch, check_estimator
from .field import align_field

__all__ = ["SpikeFieldCoherence", "spike_field_coherence"]


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
    estimator : dict
        The estimator used, :meth:`~synchro.spectral.Welch.to_dict` with the
        segment length and overlap resolved, or
        :meth:`~synchro.spectral.Multitaper.to_dict`.
    nperseg, noverlap : int
        Segment length and overlap in samples.
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
    estimator: dict
    nperseg: int
    noverlap: int
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


def spike_field_coherence(data: SpikeData, signal: Signal, *, estimator: Welch | Multitaper = Welch(),
                          bin_width: float | None = None, channel: int = 0,
                          per_unit: bool = True) -> SpikeFieldCoherence:
    """Magnitude-squared coherence between spikes and one channel of a field.

    Spikes are counted on the field's sample grid (bins of ``bin_width``
    starting at a sample time, elephant's binning rule); each segment has
    its mean removed, is tapered and Fourier transformed, and
    ``C(f) = |<X* Y>|^2 / (<|X|^2> <|Y|^2>)`` with averages over segments
    (and tapers). With ``estimator=Welch()`` this equals
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
    estimator : Welch or Multitaper, default Welch()
        :class:`~synchro.spectral.Welch`: segments of ``nperseg`` samples
        (default one second of samples, or the longest observed stretch of
        the shared span if shorter), overlapping by ``noverlap`` (default
        ``nperseg // 2``), tapered by ``window`` (periodic Hann by default).
        :class:`~synchro.spectral.Multitaper`: ``floor(2 nw) - 1`` DPSS
        tapers on non-overlapping segments of one second of samples (or the
        longest observed stretch if shorter), equal weights
        (``adaptive=True`` is refused: cross-spectra are averaged with equal
        weights).
    bin_width : float, optional
        Spike bin width in seconds, a whole multiple of the sampling period
        (the field is averaged over the same bins); default ``1 / fs``.
    channel : int, default 0
        Signal channel.
    per_unit : bool, default True
        Compute each unit's coherence (the pooled one is always computed).

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

    estimator = check_estimator(estimator)
    welch = isinstance(estimator, Welch)
    if not welch and estimator.adaptive:
        raise UsageError("spike_field_coherence averages cross-spectra with equal taper weights; use "
                         "Multitaper(adaptive=False)")
    data, y, width, t0, runs = align_field(data, signal, channel, bin_width)
    n = y.size
    longest = int((runs[:, 1] - runs[:, 0]).max())
    nperseg = min(int(round(1.0 / width)), longest) if not welch or estimator.nperseg is None else estimator.nperseg
    if nperseg < MIN_NPERSEG:
        raise SignalError(f"spikes and signal {signal.name!r} share only {longest} samples of {width:g} s in one "
                          f"stretch; spike-field coherence needs at least {MIN_NPERSEG}; use a longer signal")
    if nperseg > longest:
        where = "shared by spikes and signal" if len(runs) == 1 and longest == n else \
            "in the longest observed stretch shared by spikes and signal"
        raise SignalError(f"nperseg ({nperseg}) exceeds the {longest} samples {where}; "
                          "use a shorter Welch(nperseg=...) or a longer recording")
    if welch:
        noverlap = nperseg // 2 if estimator.noverlap is None else estimator.noverlap
        if noverlap >= nperseg:
            raise UsageError(f"noverlap ({noverlap}) must be below nperseg ({nperseg}); use a smaller "
                             "Welch(noverlap=...)")
        tapers = get_window(estimator.window, nperseg)[None, :]
        used = Welch(nperseg=nperseg, noverlap=noverlap, window=estimator.window)
    else:
        if estimator.n_tapers >= nperseg:
            raise SignalError(f"Multitaper(nw={estimator.nw:g}) gives {estimator.n_tapers} tapers, not fewer than "
                              f"the {nperseg} samples of a segment; use a smaller nw or a longer recording")
        tapers, noverlap, used = np.atleast_2d(dpss(nperseg, estimator.nw, estimator.n_tapers)), 0, estimator
    starts = np.concatenate([a + np.arange(0, b - a - nperseg + 1, nperseg - noverlap) for a, b in runs])
    fy = _segment_spectra(y[:, None], starts, nperseg, tapers)[:, :, 0]
    syy = np.mean(np.abs(fy) ** 2, axis=0)

    idx, _ = elephant_bins(np.asarray(data.times), t0, t0 + n * width, width)
    ok = (idx >= 0) & (idx < n)
    if len(runs) > 1 or runs[0, 0] > 0 or runs[0, 1] < n:  # some bins lie outside the observed stretches
        ok &= interval_index(idx, runs) >= 0
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
            unit = np.repeat(np.arange(a, b), np.diff(data.offsets[a:b + 1]))
            counts = np.bincount(idx[sel][keep] * (b - a) + unit[keep] - a, minlength=n * (b - a))
            counts = counts.reshape(n, b - a)
            fx = _segment_spectra(counts.astype(np.float64), starts, nperseg, tapers)
            sxy = np.mean(np.conj(fx) * fy[:, :, None], axis=0)
            coh[:, a:b] = np.abs(sxy) ** 2 / (np.mean(np.abs(fx) ** 2, axis=0) * syy[:, None])
        pooled = np.abs(np.mean(np.conj(pooled_x) * fy, axis=0)) ** 2 / (np.mean(np.abs(pooled_x) ** 2, axis=0) * syy)
    n_spikes = np.array([np.count_nonzero(ok[a:b]) for a, b in zip(data.offsets[:-1], data.offsets[1:])],
                        dtype=np.int64)
    return SpikeFieldCoherence(freqs=np.fft.rfftfreq(nperseg, width), coherence=coh, pooled=pooled,
                               n_spikes=n_spikes, estimator=used.to_dict(),
                               nperseg=nperseg, noverlap=noverlap, n_tapers=tapers.shape[0], n_segments=starts.size,
                               bin_width=width, channel=int(channel), t_start=t0, t_stop=t0 + n * width)
