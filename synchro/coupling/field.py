"""Spikes and one field channel on a common grid: the alignment every spike-field measure starts from."""

from __future__ import annotations

import numpy as np

from ..core import Signal, intersect_intervals, support_bins
from ..core.checks.arguments import positive_seconds, require_spikes
from ..errors import SignalError, UsageError

__all__ = ["align_field"]


def align_field(data, signal, channel: int, bin_width: float | None):
    """Spikes and one signal channel restricted to their common span, the signal averaged to ``bin_width``.

    Parameters
    ----------
    data : SpikeData
        Spikes.
    signal : Signal
        Field; must overlap the spikes' observed time.
    channel : int
        Signal channel.
    bin_width : float or None
        Sample spacing wanted (s), a whole multiple of the sampling period; None keeps ``1 / fs``.

    Returns
    -------
    data : SpikeData
        The spikes restricted to the common span (only those in observed time).
    y : ndarray
        Field samples, averaged over bins of ``bin_width``.
    bin_width : float
        Sample spacing (s).
    t0 : float
        Time of the first sample's left edge (s).
    runs : ndarray of int, shape (k, 2)
        ``[first, stop)`` runs of samples wholly inside the spikes' observed
        time (``[[0, n]]`` without gaps).

    Raises
    ------
    SignalError
        No overlap, or fewer than two shared samples.
    UsageError
        Bad channel or ``bin_width``.
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
