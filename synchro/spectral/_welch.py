"""Welch's mean of segment periodograms, on long series in blocks of segments that stay in cache.

Both paths give the same arrays bit for bit: every segment's transform and mean are computed alike, and the
periodograms are added in the same order (segment after segment, from a zero start, as ``np.mean`` over the
segment axis adds them; the long path in a compiled loop), then divided as ``np.mean`` divides.
"""

from __future__ import annotations

import numpy as np
import scipy

from ..core.compiled import FFT_WORKERS, jit

__all__ = ["mean_periodogram", "WELCH_BLOCK"]

#: Segments transformed at once on long series (about 1 MB of float64 at 1000-sample segments): a whole hour's
#: windowed segments and their transforms would be two arrays of about 60 MB each, written and read from memory.
WELCH_BLOCK = 128


def mean_periodogram(x: np.ndarray, h: np.ndarray, starts, hann: bool, block: int | None = None) -> np.ndarray:
    """Mean over segments of ``|rfft((s - mean(s)) h)|^2`` for each row of ``x``.

    Parameters
    ----------
    x : ndarray, shape (..., n_samples)
        Series (float).
    h : ndarray, shape (nperseg,)
        Window, in the dtype of ``x``.
    starts : slice or ndarray of int
        Segments: every ``step`` samples (``slice(None, None, step)``), or their first samples.
    hann : bool
        ``h`` is the periodic Hann window, whose transform is zero but at bins 0 and 1.
    block : int, optional
        Segments per block, default :data:`WELCH_BLOCK`; series with more segments are estimated block by block.

    Returns
    -------
    ndarray, shape (..., nperseg // 2 + 1)
        Two-sided periodogram averaged over segments (unscaled).
    """
    nperseg, block = h.size, WELCH_BLOCK if block is None else block
    seg = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)
    n_segments = seg[..., starts, :].shape[-2] if isinstance(starts, slice) else len(starts)
    # rfft((s - m) h) = rfft(s h) - m rfft(h): each segment's mean removed after the transform (for the Hann
    # window only bins 0 and 1 change), one pass over the samples saved.
    k = 2 if hann else nperseg // 2 + 1
    window_dft = scipy.fft.rfft(h)[:k]
    if n_segments <= block or x.dtype.kind != "f":
        seg = seg[..., starts, :]
        spec = scipy.fft.rfft(seg * h, axis=-1, workers=FFT_WORKERS)
        spec[..., :k] -= seg.mean(axis=-1, keepdims=True) * window_dft
        return np.mean(spec.real**2 + spec.imag**2, axis=-2)
    stepped = isinstance(starts, slice)
    rows = seg[..., starts, :] if stepped else seg  # the stepped segments are a view; chosen ones are copied per block
    rows = rows.reshape(-1, *rows.shape[-2:])
    out = np.empty((rows.shape[0], nperseg // 2 + 1), dtype=x.dtype)
    windowed, total = np.empty((block, nperseg), dtype=x.dtype), np.empty(out.shape[1], dtype=x.dtype)
    for r, row in enumerate(rows):
        total[:] = 0.0
        for first in range(0, n_segments, block):
            s = row[first:first + block] if stepped else row[starts[first:first + block]]
            spec = scipy.fft.rfft(np.multiply(s, h, out=windowed[:s.shape[0]]), axis=-1, workers=FFT_WORKERS)
            # The correction as numpy computes it (in the transform's precision; numba would promote float32).
            _add_periodograms(spec, s.mean(axis=-1, keepdims=True) * window_dft, total)
        out[r] = total
    np.true_divide(out, np.intp(n_segments), out=out, casting="unsafe")
    return out.reshape(*x.shape[:-1], out.shape[1])


@jit
def _add_periodograms(spec, correction, total):
    # Each segment's transform less its mean times the window's (the bins correction covers), then its periodogram
    # added to total, segment after segment: the sums np.mean forms over the segment axis, in its order.
    for i in range(spec.shape[0]):
        for j in range(correction.shape[1]):
            spec[i, j] -= correction[i, j]
        for j in range(spec.shape[1]):
            v = spec[i, j]
            total[j] += v.real * v.real + v.imag * v.imag
