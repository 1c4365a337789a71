"""Band-pass filtering and analytic signals: the one way synchro takes a band's phase and amplitude.

A Butterworth band-pass (second-order sections) applied forward and backward (``scipy.signal.sosfiltfilt``:
zero phase, so a phase or a lag is not shifted by the filter) to each observed stretch alone (a gap is never
filtered across), then the analytic signal (``scipy.signal.hilbert``). Used by phase locking to a field, the lag
between populations and phase-amplitude coupling.
"""

from __future__ import annotations

import numpy as np

from .errors import UsageError

__all__ = ["FS_PER_HIGH_EDGE", "check_band", "band_pass", "analytic_stretches"]

FS_PER_HIGH_EDGE = 2.5  #: Sampling rate a band-pass needs, in multiples of its high edge (Nyquist plus margin).


def check_band(band, *, name: str = "band") -> tuple[float, float]:
    """A band as ``(low, high)`` floats in Hz, refused with a one-line error unless ``0 < low < high``.

    Parameters
    ----------
    band : sequence of two floats
        Low and high edge in Hz.
    name : str, default "band"
        The parameter's name, for the message.

    Returns
    -------
    (float, float)
        ``(low, high)`` in Hz.

    Raises
    ------
    UsageError
        Not two numbers, or not ``0 < low < high``.
    """
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be two frequencies (low, high) in Hz; got {band!r}") from None
    if not 0 < lo < hi:
        raise UsageError(f"{name} must satisfy 0 < low < high (Hz); got {band!r}")
    return lo, hi


def band_pass(band: tuple[float, float], fs: float, order: int = 4) -> np.ndarray:
    """Second-order sections of a Butterworth band-pass.

    Parameters
    ----------
    band : (float, float)
        Low and high edge in Hz (checked by :func:`check_band`); ``fs`` should be at least
        :data:`FS_PER_HIGH_EDGE` times the high edge.
    fs : float
        Sampling rate in Hz.
    order : int, default 4
        Butterworth order (of each of the low and high edges).

    Returns
    -------
    ndarray, shape (n_sections, 6)
        ``scipy.signal.butter(order, band, "bandpass", fs=fs, output="sos")``.
    """
    from scipy.signal import butter

    return butter(order, band, btype="bandpass", fs=fs, output="sos")


def analytic_stretches(x: np.ndarray, runs, sos: np.ndarray, edge: int = 0) -> list[np.ndarray]:
    """Analytic signal of the band-passed series in each observed stretch, less ``edge`` samples at both ends.

    Parameters
    ----------
    x : ndarray
        Series sampled on a regular grid (time on the last axis).
    runs : array of int, shape (k, 2)
        ``[first, stop)`` samples of each observed stretch; each is filtered alone.
    sos : ndarray
        Band-pass sections from :func:`band_pass`, applied forward and backward (zero phase).
    edge : int, default 0
        Samples dropped at each end of a stretch, where the filter has not settled.

    Returns
    -------
    list of ndarray of complex
        One analytic signal per stretch (the last axis shortened by ``2 * edge``).
    """
    from scipy.signal import hilbert, sosfiltfilt

    return [hilbert(sosfiltfilt(sos, x[..., a:b]))[..., edge:b - a - edge] for a, b in np.asarray(runs)]
