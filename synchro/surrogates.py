"""Surrogate spike trains for null hypotheses, vectorised over units and surrogates.

Three nulls, each drawn for every unit independently:

``circular_shift``
    Each train is shifted by its own ``U(0, duration)`` and wrapped inside
    ``[t_start, t_stop)``. Keeps every train's own spectrum and ISIs (but for
    the one interval spanning the seam) and destroys alignment across units:
    the null for population rhythms and synchrony.
``dither``
    Each spike moves by ``U(-D, D)`` independently; a spike pushed outside
    the recording is reflected back at the bound. Destroys structure on time
    scales shorter than about ``D``, in each train as well as across trains.
``isi_shuffle``
    Each unit's inter-spike intervals are permuted and the train is placed
    at a uniformly random offset such that it stays inside the bounds (its
    span, first to last spike, is unchanged). Keeps the ISI distribution
    (single-unit regularity), destroys ISI serial correlations and
    cross-unit alignment.

Time support: when ``data`` has observation intervals with gaps
(``data.support``), every null works inside each observed interval as it
does inside the recording: a train's spikes in an interval are shifted (by
their own draw) and wrapped in it, dithered and reflected at its edges, or
shuffled and placed in it. No spike is ever moved into unobserved time,
and each unit keeps its spike count in every interval. Without gaps the
draws, and so the surrogates, are those of the single interval
``[t_start, t_stop)``.

The array functions (:func:`circular_shift`, :func:`dither`,
:func:`isi_shuffle`, dispatched by :func:`surrogate_times`) return one
``(n_surrogates, n_spikes)`` float64 array: row ``r`` holds the spike times
of surrogate ``r`` in the layout of ``data.times`` (grouped by unit with the
same ``data.offsets``, sorted within each unit), so ``SpikeData(row,
data.offsets, data.units, data.t_start, data.t_stop)`` is a valid surrogate.
:func:`surrogate_spikes` builds those objects as a list.

All randomness comes from ``np.random.default_rng(rng)``: the same ``rng``
gives the same surrogates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import SpikeData, interval_index
from .core.checks.arguments import integer_at_least
from .core.compiled import jit
from .errors import UsageError

__all__ = ["SURROGATE_NULLS", "circular_shift", "circular_shift_draws", "dither", "isi_shuffle", "surrogate_times",
           "surrogate_spikes", "seeded_rng", "monte_carlo_p"]


def monte_carlo_p(null, observed: float) -> float:
    """Monte Carlo p-value of ``observed`` against a sample of the null statistic.

    Parameters
    ----------
    null : array_like, shape (n,)
        The statistic on each of ``n`` surrogates or bootstrap draws.
    observed : float
        The statistic on the data.

    Returns
    -------
    float
        ``(1 + #{null >= observed}) / (1 + n)``: never 0, valid for any
        ``n`` (Phipson & Smyth 2010). NaN when ``observed`` is undefined
        (NaN compares false with every draw, so it would otherwise get the
        smallest p-value of all).
    """
    null = np.asarray(null)
    if not np.isfinite(observed):
        return float("nan")
    return float((1 + np.count_nonzero(null >= observed)) / (1 + null.size))


def seeded_rng(rng) -> tuple[np.random.Generator, int | None]:
    """Return a Generator and the seed to record for reproducibility.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A Generator is used as is (its seed is the caller's to record: the
        returned seed is ``None``); an int seeds a new Generator; ``None``
        draws a fresh seed below 2**53, which is returned so the run can be
        repeated.

    Returns
    -------
    generator : numpy.random.Generator
    seed : int or None
    """
    if isinstance(rng, np.random.Generator):
        return rng, None
    if rng is None:
        # Fresh entropy, kept below 2**53 so the recorded seed survives JSON readers that use doubles.
        rng = int(np.random.default_rng().integers(2**53))
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise UsageError(f"rng must be a numpy Generator, an int seed or None; got {type(rng).__name__}")
    return np.random.default_rng(int(rng)), int(rng)


@jit
def _rotate_shifted(times, offsets, shifts, starts, stops, out):
    # shifts[r, u, k]: the shift of unit u inside interval k of surrogate r. Every spike lies in an interval
    # (SpikeData's constructor checks it), so every entry of out is written.
    n_units, n_intervals = shifts.shape[1], starts.size
    first = np.empty((n_units, n_intervals), dtype=np.int64)  # each unit's spikes in interval k: [first, stop)
    stop = np.empty((n_units, n_intervals), dtype=np.int64)
    for u in range(n_units):
        p, b = offsets[u], offsets[u + 1]
        for k in range(n_intervals):
            while p < b and times[p] < starts[k]:
                p += 1
            first[u, k] = p
            while p < b and times[p] < stops[k]:
                p += 1
            stop[u, k] = p
    for r in range(shifts.shape[0]):
        for u in range(n_units):
            for k in range(n_intervals):
                lo, hi = first[u, k], stop[u, k]
                if lo == hi:
                    continue
                t_start, t_stop = starts[k], stops[k]
                duration = t_stop - t_start
                last = np.nextafter(t_stop, -np.inf)
                s = shifts[r, u, k]
                # Spikes at or after t_stop - s wrap to the front: the sorted result is a rotation.
                cut = lo + np.searchsorted(times[lo:hi], t_stop - s)
                p = lo
                for j in range(cut, hi):
                    out[r, p] = max(times[j] + s - duration, t_start)
                    p += 1
                for j in range(lo, cut):
                    out[r, p] = min(times[j] + s, last)
                    p += 1


@jit
def _sort_within_units(rows, offsets):
    # In place; each unit's few spikes are sorted on their own instead of one argsort per row.
    for r in range(rows.shape[0]):
        for u in range(offsets.size - 1):
            rows[r, offsets[u]:offsets[u + 1]].sort()


def circular_shift(data: SpikeData, *, n_surrogates: int, rng=None, shifts=None) -> np.ndarray:
    """Shift each train by ``U(0, duration)`` and wrap it inside the recording, or inside each observed interval.

    Parameters
    ----------
    data : SpikeData
        Spikes to shift.
    n_surrogates : int
        Number of surrogates.
    rng : numpy.random.Generator, int or None
        Random source (seeded with ``np.random.default_rng(rng)``).
    shifts : ndarray, shape (n_surrogates, n_units, n_intervals), optional
        Shifts (s) to apply instead of drawing them (:func:`circular_shift_draws`, e.g. for a superset of units).

    Returns
    -------
    ndarray, shape (n_surrogates, n_spikes)
        Spike times (s) in the layout of ``data.times``, sorted within units.

    Notes
    -----
    On data with gaps in the time support (``data.support``, k intervals),
    each unit's spikes in interval ``[a, b)`` are shifted by their own
    ``U(0, b - a)`` and wrapped inside it: no spike enters unobserved time,
    and every unit keeps its spike count, and so its rate, in every interval
    (a state or epoch per interval stays one). Without gaps the one
    interval is the recording, and the draws are the same as for one shift
    per unit. A wrap moves the tail of a train to its front, so the sorted
    surrogate is a rotation of the shifted train: written in order,
    O(n_spikes) per surrogate, no sort (numba kernel compiled on first use).
    """
    if shifts is None:
        shifts = circular_shift_draws(data, n_surrogates=n_surrogates, rng=rng)
    shifts = np.ascontiguousarray(shifts, dtype=np.float64)
    sup = data.support
    out = np.empty((shifts.shape[0], data.n_spikes))
    _rotate_shifted(np.asarray(data.times), np.asarray(data.offsets), shifts, np.ascontiguousarray(sup[:, 0]),
                    np.ascontiguousarray(sup[:, 1]), out)
    return out


def circular_shift_draws(data: SpikeData, *, n_surrogates: int, rng=None) -> np.ndarray:
    """The shifts of :func:`circular_shift`, drawn as it draws them, for statistics that need no shifted train.

    A statistic of binned counts only (a population trace, a Fano factor)
    can bin each shifted spike where it lands without writing the
    surrogate's times: the same generator state gives the same shifts as
    ``circular_shift(data, n_surrogates=n_surrogates, rng=rng)``.

    Parameters
    ----------
    data : SpikeData
        Spikes to shift.
    n_surrogates : int
        Number of surrogates.
    rng : numpy.random.Generator, int or None
        Random source (seeded with ``np.random.default_rng(rng)``).

    Returns
    -------
    ndarray, shape (n_surrogates, n_units, n_intervals)
        Shift in seconds of each unit inside each observation interval
        ``data.support[k]``, uniform in ``[0, length of interval k)``.
    """
    n = integer_at_least("n_surrogates", n_surrogates, 1)
    gen = np.random.default_rng(rng)
    return np.stack([gen.uniform(0.0, b - a, size=(n, data.n_units)) for a, b in data.support], axis=-1)


def dither(data: SpikeData, *, n_surrogates: int, dither_window: float, rng=None) -> np.ndarray:
    """Move every spike by ``U(-dither_window, dither_window)``, reflecting at the bounds.

    Parameters
    ----------
    data : SpikeData
        Spikes to dither.
    n_surrogates : int
        Number of surrogates.
    dither_window : float
        Half-width ``D`` of the uniform displacement, in seconds;
        ``0 < D < duration``.
    rng : numpy.random.Generator, int or None
        Random source.

    Returns
    -------
    ndarray, shape (n_surrogates, n_spikes)
        Spike times (s) in the layout of ``data.times``, re-sorted within units.

    Notes
    -----
    A displaced time ``t' < t_start`` becomes ``2 t_start - t'`` and
    ``t' >= t_stop`` becomes ``2 t_stop - t'`` (reflection keeps the local
    rate near the bounds, where redrawing or clipping would bias it). On
    data with gaps in the time support, the bounds are those of the
    observed interval holding the spike, so no spike enters unobserved
    time; in an interval shorter than ``D`` the reflections repeat (the
    displacement folds back and forth inside it). Dithering can create
    spikes closer than the train's refractory period.
    """
    n = integer_at_least("n_surrogates", n_surrogates, 1)
    dither_window = _check_dither_window(data, dither_window)
    moved = np.random.default_rng(rng).uniform(-dither_window, dither_window, size=(n, data.n_spikes))
    if data.intervals is None:
        first, stop, duration = data.t_start, data.t_stop, data.duration
        moved += data.times - first
    else:
        sup = data.support
        k = interval_index(data.times, sup)
        first, stop = sup[k, 0], sup[k, 1]
        duration = stop - first
        moved += data.times - first
        # An interval shorter than the displacement: fold the offset into one period 2 L of the reflections
        # first; elsewhere one reflection is exact.
        far = (moved < -duration) | (moved > 2 * duration)
        if far.any():
            moved[far] = np.mod(moved, 2 * duration)[far]
    # |x| reflects at t_start, t_stop - |t_stop - x| at t_stop (one reflection suffices as D < duration).
    np.abs(moved, out=moved)
    moved -= duration
    np.abs(moved, out=moved)
    np.subtract(stop, moved, out=moved)
    # Rounding (or a spike reflected exactly onto t_stop) must not leave the half-open recording.
    np.clip(moved, first, np.nextafter(stop, -np.inf), out=moved)
    _sort_within_units(moved, np.asarray(data.offsets))
    return moved


def _check_dither_window(data: SpikeData, dither_window) -> float:
    if dither_window is None:
        raise UsageError("null 'dither' needs dither_window, the half-width of the displacement in seconds "
                         "(e.g. dither_window=0.025)")
    dither_window = float(dither_window)
    if not (0.0 < dither_window < data.duration):
        raise UsageError(f"dither_window must lie between 0 and the recording duration ({data.duration:g} s); "
                         f"got {dither_window:g} s")
    return dither_window


def isi_shuffle(data: SpikeData, *, n_surrogates: int, rng=None) -> np.ndarray:
    """Permute each unit's inter-spike intervals and place the train at random.

    Parameters
    ----------
    data : SpikeData
        Spikes to shuffle.
    n_surrogates : int
        Number of surrogates.
    rng : numpy.random.Generator, int or None
        Random source.

    Returns
    -------
    ndarray, shape (n_surrogates, n_spikes)
        Spike times (s) in the layout of ``data.times``, sorted within units.

    Notes
    -----
    The permuted intervals keep the train's span ``L`` (first to last
    spike); the first spike is placed at ``t_start + U(0, duration - L)``
    so the whole train lies inside the recording. A unit with one spike
    gets it at ``U(t_start, t_stop)``. On data with gaps in the time support,
    each unit's spikes in each observed interval are one train: their
    intervals are permuted and placed inside that interval, and the
    interval across a gap (not an observed ISI) is never used.
    """
    n = integer_at_least("n_surrogates", n_surrogates, 1)
    gen = np.random.default_rng(rng)
    sup = data.support
    # Trains: one per unit (no gaps), or one per unit and observed interval (group = unit * k + interval).
    if data.intervals is None:
        group = data.unit_index
        group_start, group_stop = np.full(data.n_units, data.t_start), np.full(data.n_units, data.t_stop)
        n_groups = data.n_units
    else:
        group = data.unit_index * len(sup) + interval_index(data.times, sup)
        n_groups = data.n_units * len(sup)
        group_start, group_stop = np.tile(sup[:, 0], data.n_units), np.tile(sup[:, 1], data.n_units)
    times = data.times
    counts = np.bincount(group, minlength=n_groups)
    offsets = np.r_[0, np.cumsum(counts)]
    n_in = times.size
    is_first = np.zeros(n_in, dtype=bool)
    is_first[offsets[:-1][counts > 0]] = True
    isis = np.diff(times)[~is_first[1:]]  # intervals inside trains only
    isi_group = group[1:][~is_first[1:]]
    # Integer train plus a uniform key keeps each permutation inside its train.
    order = np.argsort(isi_group + gen.random((n, isis.size)), axis=-1)
    steps = np.zeros((n, n_in))
    steps[:, ~is_first] = isis[order]
    elapsed = np.cumsum(steps, axis=-1)
    elapsed -= elapsed[:, offsets[:-1][group]]
    span = np.zeros(n_groups)
    has = counts > 0
    span[has] = times[offsets[1:][has] - 1] - times[offsets[:-1][has]]
    if data.intervals is None:
        first = data.t_start + gen.random((n, n_groups)) * (data.duration - span)
        out = first[:, group] + elapsed
        return np.minimum(out, np.nextafter(data.t_stop, -np.inf), out=out)
    first = group_start + gen.random((n, n_groups)) * (group_stop - group_start - span)
    return np.minimum(first[:, group] + elapsed, np.nextafter(group_stop, -np.inf)[group])


def _dither_null(data, *, n_surrogates, dither_window=None, rng=None):
    return dither(data, n_surrogates=n_surrogates, dither_window=dither_window, rng=rng)


def _no_window(fn: Callable) -> Callable:
    def draw(data, *, n_surrogates, dither_window=None, rng=None):
        if dither_window is not None:
            raise UsageError(f"dither_window applies only to null 'dither', not {fn.__name__!r}; leave it out")
        return fn(data, n_surrogates=n_surrogates, rng=rng)

    return draw


#: Surrogate nulls by name; each takes ``(data, *, n_surrogates, dither_window, rng)``.
SURROGATE_NULLS: dict[str, Callable[..., np.ndarray]] = {
    "circular_shift": _no_window(circular_shift),
    "dither": _dither_null,
    "isi_shuffle": _no_window(isi_shuffle),
}


def surrogate_times(data: SpikeData, *, null: str = "circular_shift", n_surrogates: int,
                    dither_window: float | None = None, rng=None) -> np.ndarray:
    """Surrogate spike times of every unit, stacked: the dispatcher over :data:`SURROGATE_NULLS`.

    Parameters
    ----------
    data : SpikeData
        Spikes to resample.
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Null model (see the module docstring).
    n_surrogates : int
        Number of surrogates.
    dither_window : float, optional
        Half-width of the dither in seconds; required by, and only allowed
        with, ``null="dither"``.
    rng : numpy.random.Generator, int or None
        Random source.

    Returns
    -------
    ndarray, shape (n_surrogates, n_spikes)
        Spike times (s) in the layout of ``data.times`` (same
        ``data.offsets``), sorted within units.

    Raises
    ------
    UsageError
        Unknown null, bad ``n_surrogates`` or ``dither_window``.
    """
    try:
        fn = SURROGATE_NULLS[null]
    except (KeyError, TypeError):
        raise UsageError(f"unknown surrogate null {null!r}; valid nulls are {sorted(SURROGATE_NULLS)}") from None
    return fn(data, n_surrogates=n_surrogates, dither_window=dither_window, rng=rng)


def surrogate_spikes(data: SpikeData, *, null: str = "circular_shift", n_surrogates: int,
                     dither_window: float | None = None, rng=None) -> list[SpikeData]:
    """Surrogate data sets as a list of :class:`~synchro.core.SpikeData`.

    Parameters
    ----------
    data : SpikeData
        Spikes to resample.
    null : {"circular_shift", "dither", "isi_shuffle"}, default "circular_shift"
        Null model (see the module docstring).
    n_surrogates : int
        Number of surrogates.
    dither_window : float, optional
        Half-width of the dither in seconds (``null="dither"`` only).
    rng : numpy.random.Generator, int or None
        Random source; the same seed gives the same list.

    Returns
    -------
    list of SpikeData
        ``n_surrogates`` data sets (a list, all drawn at once) with the unit
        table, bounds and metadata of ``data``.

    References
    ----------
    Grün, S. (2009). Data-driven significance estimation for precise spike
    correlation. J. Neurophysiol. 101, 1126-1140.
    """
    rows = surrogate_times(data, null=null, n_surrogates=n_surrogates, dither_window=dither_window, rng=rng)
    return [SpikeData(row, data.offsets, data.units, data.t_start, data.t_stop, intervals=data.intervals,
                      metadata={**data.metadata, "surrogate": null}) for row in rows]
