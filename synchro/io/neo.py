"""Neo objects (Block, Segment, SpikeTrain, AnalogSignal) to and from synchro's types.

Quantities are converted once, here: spike times and bounds to seconds,
sampling rates to hertz. SpikeTrain annotations become unit-table columns
and back; AnalogSignals become :class:`~synchro.core.Signal` and back, with
array annotations as the channel table. neo is imported inside the functions.
"""

from __future__ import annotations

import json

import numpy as np

from ..core import Recording, Signal
from ..errors import UsageError, check_installed
from .assembly import as_recording, assemble
from .files import to_json

__all__ = ["from_neo", "to_neo"]

_METADATA_KEY = "synchro_metadata"


def from_neo(obj, *, t_start=None, t_stop=None) -> Recording:
    """Build a Recording from a neo Block (one Segment), a Segment, or a list of SpikeTrains.

    Parameters
    ----------
    obj : neo.Block, neo.Segment or list of neo.SpikeTrain
        The spikes (and, for a Block or Segment, its AnalogSignals).
    t_start, t_stop : float, optional
        Recording bounds in seconds, overriding the trains'. Neo lets a
        spike sit on a train's ``t_stop`` (``neo.io.PhyIO`` sets it to the
        last spike); synchro's ``t_stop`` is after every spike, so such a
        bound is treated as unknown: the whole second after the last spike
        is assumed, with a :class:`~synchro.errors.SynchroWarning`, unless
        ``t_stop`` is given.

    Returns
    -------
    Recording
        Spike times in seconds with ``t_start``/``t_stop`` the earliest start
        and latest stop of the trains (unless given); one unit per train, unit columns from
        the trains' annotations (``label`` defaults to the train's name,
        ``id`` to its position); one Signal per AnalogSignal (sampling rate
        in Hz, start in s, units as written by quantities). Every unit is
        kept (no curation filter).

    Raises
    ------
    UsageError
        For a Block with several Segments (pass one Segment) or an object
        that holds no spike trains.
    MissingDependencyError
        neo is not installed (``pip install "synchro[neo]"``).
    """
    check_installed("neo", extra="neo", use="from_neo")
    import neo

    metadata = {"format": "neo"}
    if isinstance(obj, neo.Block):
        if len(obj.segments) != 1:
            raise UsageError(f"the neo Block has {len(obj.segments)} segments; pass one, e.g. block.segments[0]")
        if _METADATA_KEY in obj.annotations:
            metadata = {**json.loads(obj.annotations[_METADATA_KEY]), **metadata}
        obj = obj.segments[0]
    if isinstance(obj, neo.Segment):
        trains, analogs = list(obj.spiketrains), list(obj.analogsignals)
        if obj.irregularlysampledsignals:
            metadata["skipped_signals"] = [s.name or "irregular" for s in obj.irregularlysampledsignals]
    elif isinstance(obj, list | tuple) and all(isinstance(t, neo.SpikeTrain) for t in obj):
        trains, analogs = list(obj), []
    else:
        raise UsageError(f"from_neo takes a neo Block, Segment or list of SpikeTrains, not {type(obj).__name__}")
    lengths = [len(t) for t in trains]
    times = np.concatenate([t.times.rescale("s").magnitude.astype(np.float64, copy=False) for t in trains]) \
        if trains else np.empty(0)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if t_start is None:
        t_start = min((float(t.t_start.rescale("s").magnitude) for t in trains), default=None)
    if t_stop is None:
        t_stop = max((float(t.t_stop.rescale("s").magnitude) for t in trains), default=None)
        if t_stop is not None and times.size and times.max() >= t_stop:
            t_stop = None  # neo's bound is inclusive (PhyIO puts it on the last spike): the true end is unknown
    signals = {}
    for i, a in enumerate(analogs):
        name = a.name or f"signal{i}"
        signals[name if name not in signals else f"{name}_{i}"] = _signal_from_neo(a, name)
    return assemble(times, offsets, _annotation_columns(trains), t_start=t_start, t_stop=t_stop, time_unit="s",
                    quality=None, signals=signals, metadata=metadata, source="neo object", check_scale=False)


def to_neo(recording):
    """Convert a Recording (or SpikeData) to a neo Block with one Segment.

    Parameters
    ----------
    recording : Recording or SpikeData
        What to convert.

    Returns
    -------
    neo.Block
        One Segment; one SpikeTrain per unit (seconds, the recording's
        bounds, annotations = the unit-table row including ``id``,
        ``label``, ``population`` and ``quality``; named by its label or id);
        one AnalogSignal per signal (channel table as array annotations).
        The recording's metadata is kept as JSON in the Block annotation
        ``synchro_metadata``.

    Raises
    ------
    MissingDependencyError
        neo is not installed (``pip install "synchro[neo]"``).
    """
    check_installed("neo", extra="neo", use="to_neo")
    import neo
    import quantities as pq

    rec = as_recording(recording)
    s = rec.spikes
    block = neo.Block(name="synchro recording")
    block.annotate(**{_METADATA_KEY: to_json(dict(rec.metadata), allow_nan=True)})
    seg = neo.Segment(name="synchro segment")
    columns = {k: v.tolist() for k, v in s.units.items()}
    for i, train in enumerate(s.trains()):
        row = {k: v[i] for k, v in columns.items()}
        st = neo.SpikeTrain(np.array(train), units="s", t_start=s.t_start, t_stop=s.t_stop,
                            name=row["label"] or f"unit {row['id']}")
        st.annotate(**row)
        seg.spiketrains.append(st)
    for name, sig in rec.signals.items():
        units = sig.units or "dimensionless"
        try:
            pq.Quantity(1.0, units)
        except (LookupError, ValueError):
            units = "dimensionless"  # quantities does not know this unit; keep its name as an annotation
        a = neo.AnalogSignal(sig.data, units=units, sampling_rate=sig.fs * pq.Hz, t_start=sig.t_start * pq.s,
                             name=name, array_annotations={k: _plain_array(v) for k, v in sig.channels.items()})
        a.annotate(synchro_units=sig.units)
        seg.analogsignals.append(a)
    block.segments.append(seg)
    return block


def _plain_array(values) -> np.ndarray:
    values = np.asarray(values)
    return values.astype(str) if values.dtype == object else values


def _annotation_columns(trains) -> dict:
    keys = list(dict.fromkeys(k for t in trains for k in t.annotations))
    columns = {}
    for k in keys:
        values = [t.annotations.get(k) for t in trains]
        numeric = all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)
        if numeric:
            columns[k] = np.asarray(values)
        elif all(isinstance(v, bool | np.bool_) for v in values):
            columns[k] = np.asarray(values, dtype=bool)
        else:
            columns[k] = np.array(["" if v is None else str(v) for v in values], dtype=object)
    if "label" not in columns:
        columns["label"] = np.array([t.name or "" for t in trains], dtype=object)
    return columns


def _signal_from_neo(a, name: str) -> Signal:
    units = a.annotations.get("synchro_units")
    if units is None:
        units = "" if a.units.dimensionality.string == "dimensionless" else a.units.dimensionality.string
    channels = {k: np.asarray(v) for k, v in a.array_annotations.items()} or None
    return Signal(a.magnitude, float(a.sampling_rate.rescale("Hz").magnitude), float(a.t_start.rescale("s").magnitude),
                  units=units, channels=channels, name=name)
