"""SpikeInterface sortings to synchro's types (spikeinterface imported only through the sorting given)."""

from __future__ import annotations

import numpy as np

from ..core import Recording
from ..errors import UsageError, check_installed
from .assembly import assemble

__all__ = ["from_spikeinterface"]


def from_spikeinterface(sorting, *, segment=0, t_start=None, t_stop=None, quality="exclude-noise") -> Recording:
    """Build a Recording from one segment of a SpikeInterface sorting.

    Parameters
    ----------
    sorting : spikeinterface.core.BaseSorting
        Any sorting (``NumpySorting``, a sorter's output, a
        ``read_phy``/``read_kilosort`` extractor).
    segment : int, default 0
        Segment to read.
    t_start, t_stop : float, optional
        Recording bounds in seconds. By default 0 and the registered
        recording's length; without a registered recording, the whole second
        after the last spike, with a :class:`~synchro.errors.SynchroWarning`.
    quality : {"exclude-noise", None}, default "exclude-noise"
        Leave out units whose ``quality`` (or ``KSLabel``, ``group``)
        property says noise; None keeps every unit.

    Returns
    -------
    Recording
        Spike times in seconds (sample index over the sampling frequency);
        unit ids as the sorting's when they are integers, else ``0..n-1``
        with the sorting's ids as text in ``label``; every unit property
        holding one scalar per unit as a unit column.

    Raises
    ------
    MissingDependencyError
        spikeinterface is not installed.
    UsageError
        ``sorting`` is not a sorting, or ``segment`` is out of range.
    """
    check_installed("spikeinterface", extra="spikeinterface", use="from_spikeinterface")
    import spikeinterface.core as si

    if not isinstance(sorting, si.BaseSorting):
        raise UsageError(f"from_spikeinterface takes a SpikeInterface sorting, not {type(sorting).__name__}")
    n_segments = sorting.get_num_segments()
    if not 0 <= segment < n_segments:
        raise UsageError(f"segment must lie in 0..{n_segments - 1} (the sorting has {n_segments}); got {segment}")
    fs = float(sorting.get_sampling_frequency())
    unit_ids = list(sorting.get_unit_ids())
    trains = [np.asarray(sorting.get_unit_spike_train(u, segment_index=segment), dtype=np.int64) for u in unit_ids]
    times = np.concatenate(trains) / fs if trains else np.empty(0)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in trains])]).astype(np.int64)
    if all(isinstance(u, int | np.integer) for u in unit_ids):
        columns = {"id": np.asarray(unit_ids, dtype=np.int64)}
    else:
        columns = {"id": np.arange(len(unit_ids)), "label": np.array([str(u) for u in unit_ids], dtype=object)}
    for key in sorting.get_property_keys():
        values = np.asarray(sorting.get_property(key))
        if values.ndim == 1 and key not in columns:
            columns[key] = values.astype(object) if values.dtype.kind in "OUS" else values
    if t_stop is None and sorting.has_recording():
        t_stop = sorting.get_num_samples(segment_index=segment) / fs
    metadata = {"source": f"SpikeInterface {type(sorting).__name__}", "format": "spikeinterface",
                "sampling_rate": fs, "segment": segment}
    return assemble(times, offsets, columns, t_start=0.0 if t_start is None else t_start, t_stop=t_stop,
                    time_unit="s", quality=quality, metadata=metadata, source=f"{type(sorting).__name__} sorting",
                    check_scale=False)
