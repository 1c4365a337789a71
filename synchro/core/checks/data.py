"""Checks of spike data, shared by the data types and every reader: time units, bounds, bin counts, the layout."""

from __future__ import annotations

import numpy as np

from ...errors import (
    InvalidDataError,
    NonFiniteTimesError,
    RecordingBoundsError,
    TimeUnitError,
    UsageError,
)

__all__ = ["check_time_unit", "check_bounds_unit", "check_bin_count", "check_finite", "check_layout", "time_scale",
           "freeze", "train_times", "unit_offsets", "count_unsorted"]


_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def freeze(a: np.ndarray) -> np.ndarray:
    """``a`` as a read-only array, without copying its data.

    An array that owns its data is itself made read-only; a writeable view
    of another array is replaced by a read-only view (so the array it views
    stays writeable); an array already read-only is returned as it is.

    Parameters
    ----------
    a : array_like
        The values; anything but an ndarray is converted with
        :func:`numpy.asarray` first.

    Returns
    -------
    ndarray
        Read-only, sharing ``a``'s data.
    """
    a = np.asarray(a)
    if a.flags.writeable and a.base is None:
        a.flags.writeable = False
    elif a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def train_times(train, i: int) -> np.ndarray:
    """One unit's spike times as float64, shape (n,); pynapple's Ts/Tsd give theirs as ``.t``.

    Parameters
    ----------
    train : array_like or pynapple.Ts or pynapple.Tsd
        The unit's spike times, in the caller's time unit (converted later).
    i : int
        Position of the train among the trains given, for the message.

    Returns
    -------
    ndarray of float64, shape (n,)
        The spike times, flattened (an array of shape (1, n) or (n, 1) is
        accepted).

    Raises
    ------
    InvalidDataError
        A single number instead of an array, or an array with more than one
        dimension longer than 1.
    """
    arr = np.asarray(getattr(train, "t", train))
    if arr.ndim == 0:
        raise InvalidDataError(f"train {i} is the single number {arr.item()!r}, not an array of spike times; give "
                               "one array per unit (a list of arrays, or a dict {unit id: times} itself)")
    if arr.ndim > 1 and sum(n > 1 for n in arr.shape) > 1:
        raise InvalidDataError(f"train {i} has shape {arr.shape}; give each unit's spike times as a 1-D array")
    return arr.astype(np.float64).ravel()


def time_scale(time_unit: str | None, sampling_rate: float | None = None) -> float:
    """Factor that converts times given in ``time_unit`` to seconds.

    Parameters
    ----------
    time_unit : {"s", "ms", "us", "samples"} or None
        Unit of the times; None means seconds (factor 1, and the caller
        checks that the times look like seconds).
    sampling_rate : float, optional
        Sampling rate in Hz; required, finite and positive when
        ``time_unit`` is "samples", ignored otherwise.

    Returns
    -------
    float
        Seconds per unit: 1.0 for "s" or None, 1e-3 for "ms", 1e-6 for
        "us", ``1 / sampling_rate`` for "samples".

    Raises
    ------
    UsageError
        An unknown ``time_unit``, or "samples" without a usable sampling
        rate.
    """
    if time_unit is None:
        return 1.0
    if time_unit == "samples":
        if sampling_rate is None or not np.isfinite(sampling_rate) or sampling_rate <= 0:
            raise UsageError("time_unit='samples' needs the sampling rate in Hz (CLI: --sampling-rate HZ)")
        return 1.0 / float(sampling_rate)
    try:
        return _TIME_UNITS[time_unit]
    except KeyError:
        raise UsageError(f"time_unit must be one of {sorted(_TIME_UNITS) + ['samples']}; got {time_unit!r}") from None


def check_finite(times: np.ndarray) -> None:
    """Raise :class:`~synchro.errors.NonFiniteTimesError` when any spike time is NaN or infinite.

    Parameters
    ----------
    times : ndarray of float
        Spike times (any unit).

    Raises
    ------
    NonFiniteTimesError
        One or more times are NaN or infinite; the message gives how many.
    """
    bad = ~np.isfinite(times)
    if bad.any():
        raise NonFiniteTimesError(f"{int(bad.sum())} spike times are NaN or infinite; remove them before analysis")


def check_time_unit(times: np.ndarray, n_units: int) -> None:
    """Raise :class:`~synchro.errors.TimeUnitError` when the times are unlikely to be seconds.

    Two cheap tests on a sample of at most 100,000 spikes: whole-number times
    spanning more than 1000 look like sample indices; a span of more than
    1000 with a mean rate below 0.05 spikes per unit per "second" looks like
    milliseconds (a 5 Hz unit read as milliseconds fires at 0.005 Hz).
    Pass ``time_unit`` explicitly to skip both.

    Parameters
    ----------
    times : ndarray of float
        Spike times as given.
    n_units : int
        Number of units, for the per-unit rate.

    Raises
    ------
    TimeUnitError
        When the times look like samples or milliseconds.
    """
    if times.size < 20:
        return
    sample = times[:: max(1, times.size // 100_000)]
    span = float(times.max() - times.min())
    if span <= 1000:
        return
    if np.all(sample == np.round(sample)):
        raise TimeUnitError(f"spike times are whole numbers spanning {span:g}: they look like sample indices, not "
                            "seconds; give time_unit='samples' with sampling_rate (CLI: --time-unit samples "
                            "--sampling-rate HZ)")
    if times.size / max(n_units, 1) / span < 0.05:
        raise TimeUnitError(f"spike times span {span:g} with {times.size / max(n_units, 1) / span:.2g} spikes per unit "
                            "per second: they look like milliseconds; give time_unit='ms' (CLI: --time-unit ms), or "
                            "time_unit='s' if they really are seconds")


def _likely_unit(ratio: float) -> str:
    """The unit whose factor to seconds best explains a ratio of spans (ms 1e3, samples 1e4-1e5, us 1e6)."""
    if ratio < 5e3:
        return "milliseconds"
    if ratio < 3e5:
        return "sample indices"
    return "microseconds"


def check_bounds_unit(times: np.ndarray, t_start: float, t_stop: float, *, source: str = "input") -> None:
    """Raise :class:`~synchro.errors.InvalidDataError` when the bounds and the spike times are in different units.

    Two cases, judged on spans from ``t_start``: a recording at least
    :data:`BOUNDS_UNIT_RATIO` (300) times longer than the time to its last
    spike, with 20 spikes or more (a ``t_stop`` in milliseconds over times in
    seconds gives 1000); and a last spike at least 300 times past ``t_stop``
    (times in milliseconds, bounds in seconds). Called before anything is
    allocated from the bounds.

    Parameters
    ----------
    times : ndarray of float
        Spike times, in the unit of the bounds as given.
    t_start, t_stop : float
        Recording bounds.
    source : str, default "input"
        Name of the input, for the message.

    Raises
    ------
    InvalidDataError
        The spans disagree by a unit factor; the message names the likely unit.
    """
    from .. import BOUNDS_UNIT_RATIO  # read at each call, like MAX_BINS: both are synchro.core's

    if times.size == 0 or not t_stop > t_start:
        return
    length, reach = t_stop - t_start, float(times.max()) - t_start
    if reach >= BOUNDS_UNIT_RATIO * length:
        ratio = reach / length
        raise InvalidDataError(f"{source}: the last spike ({reach + t_start:g}) lies {ratio:.3g} times as far from "
                               f"t_start as t_stop ({t_stop:g}): the spike times look like {_likely_unit(ratio)} "
                               "while the bounds are seconds; give both in one unit (time_unit= converts them "
                               "together; CLI: --time-unit)")
    if times.size >= 20 and reach > 0 and length >= BOUNDS_UNIT_RATIO * reach:
        ratio = length / reach
        raise InvalidDataError(f"{source}: t_stop ({t_stop:g}) is {ratio:.3g} times the span of the spikes "
                               f"(last at {reach + t_start:g}): the bounds look like {_likely_unit(ratio)} while the "
                               "spike times are seconds; give the bounds in the spike times' unit (CLI: --t-start, "
                               "--t-stop)")


def check_bin_count(n_bins: int, bin_width: float, duration: float) -> int:
    """Check that binning ``duration`` at ``bin_width`` stays within :data:`MAX_BINS`, before allocating.

    Parameters
    ----------
    n_bins : int
        Number of bins about to be allocated.
    bin_width : float
        Bin width in seconds.
    duration : float
        Time binned, in seconds.

    Returns
    -------
    int
        ``n_bins``, unchanged.

    Raises
    ------
    InvalidDataError
        More than :data:`MAX_BINS` bins: a clear error instead of a MemoryError.
    """
    from .. import MAX_BINS  # read at each call: the limit a user raises is synchro.core.MAX_BINS

    if n_bins > MAX_BINS:
        raise InvalidDataError(f"{duration:g} s in bins of {bin_width:g} s is {n_bins:.3g} bins "
                               f"({n_bins * 8 / 2**30:.3g} GiB per array), more than synchro allocates "
                               f"({MAX_BINS:.3g}); check that t_start/t_stop are seconds, or analyse a window "
                               "(SpikeData.restrict), or raise synchro.core.MAX_BINS")
    return n_bins


def unit_offsets(unit_index: np.ndarray, n_units: int) -> np.ndarray:
    """The ``n_units + 1`` bounds of each unit's spikes in a layout grouped by unit (int64), from each spike's unit.

    Only the number of spikes per unit is used, so the bounds describe the
    spikes once they are grouped by unit (in unit order), whatever the order
    of ``unit_index``.

    Parameters
    ----------
    unit_index : ndarray of int
        Unit (row of the unit table, 0 to ``n_units - 1``) of every spike.
    n_units : int
        Number of units, silent ones included.

    Returns
    -------
    ndarray of int64, shape (n_units + 1,)
        Unit ``k``'s spikes are ``times[offsets[k]:offsets[k + 1]]``.
    """
    offsets = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(np.bincount(unit_index, minlength=n_units), out=offsets[1:])
    return offsets


def count_unsorted(times: np.ndarray, unit_index: np.ndarray) -> int:
    """Number of places where a unit's next spike comes before its previous one.

    Parameters
    ----------
    times : ndarray of float
        Spike times (any unit), in the order given.
    unit_index : ndarray of int
        Unit of every spike, same length as ``times``.

    Returns
    -------
    int
        How many of each unit's consecutive spike pairs, in the order given,
        go back in time; 0 when every unit is sorted.
    """
    by_unit = np.argsort(unit_index, kind="stable")
    t, u = times[by_unit], unit_index[by_unit]
    return int(np.count_nonzero((u[1:] == u[:-1]) & (t[1:] < t[:-1])))


def check_layout(times, offsets, units, t_start: float, t_stop: float) -> None:
    """Check the grouped spike layout of :class:`~synchro.core.SpikeData` before it is stored.

    Parameters
    ----------
    times : ndarray of float64
        Spike times in seconds, grouped by unit and sorted within each unit.
    offsets : ndarray of int64, shape (n_units + 1,)
        Bounds of each unit's spikes in ``times``.
    units : UnitTable
        The unit table; one row per unit.
    t_start, t_stop : float
        Recording bounds in seconds; every spike must lie in
        ``[t_start, t_stop)``.

    Raises
    ------
    InvalidDataError
        ``times`` or ``offsets`` not 1-D, ``offsets`` not running from 0 to
        the number of spikes without decreasing, a unit table whose row
        count differs from the number of units, or times unsorted within a
        unit.
    NonFiniteTimesError
        A spike time is NaN or infinite.
    RecordingBoundsError
        Bounds not finite, ``t_stop`` not after ``t_start``, a spike before
        ``t_start``, or a spike at or after ``t_stop``.
    """
    if times.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1:
        raise InvalidDataError("times must be 1-D and offsets must hold n_units + 1 bounds")
    if offsets[0] != 0 or offsets[-1] != len(times) or np.any(np.diff(offsets) < 0):
        raise InvalidDataError("offsets must start at 0, never decrease and end at the number of spikes")
    if units.n_units != len(offsets) - 1:
        raise InvalidDataError(f"unit table has {units.n_units} rows for {len(offsets) - 1} units")
    if not (np.isfinite(t_start) and np.isfinite(t_stop)):
        raise RecordingBoundsError("t_start and t_stop must be finite numbers of seconds")
    if t_stop <= t_start:
        raise RecordingBoundsError(f"t_stop ({t_stop:g} s) must be after t_start ({t_start:g} s)")
    check_finite(times)
    if times.size:
        # Within-unit order: a decrease is allowed only where a new unit starts.
        drops = np.flatnonzero(times[1:] < times[:-1]) + 1  # no float temporary: 8x less memory than np.diff
        if drops.size and not np.all(np.isin(drops, offsets)):
            raise InvalidDataError("spike times must be sorted within each unit; "
                                   "use SpikeData.from_arrays to sort them")
        lo, hi = float(times.min()), float(times.max())
        if hi >= t_stop:
            raise RecordingBoundsError(f"t_stop ({t_stop:g} s) is not after the last spike ({hi:g} s); "
                                       "give the true end of the recording (CLI: --t-stop), or analyse a part of it "
                                       "with --time-window START:STOP")
        if lo < t_start:
            raise RecordingBoundsError(f"t_start ({t_start:g} s) is after the first spike ({lo:g} s); "
                                       "give the true start of the recording (CLI: --t-start), or analyse a part of "
                                       "it with --time-window START:STOP")
