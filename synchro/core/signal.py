"""Continuous signals (:class:`Signal`) and the session that holds them with the spikes (:class:`Recording`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..errors import (
    SignalError,
)
from .binning import sample_window
from .checks import freeze
from .epochs import IntervalTable
from .spikes import SpikeData

__all__ = ["Signal", "Recording"]


class Signal:
    """A regularly sampled continuous signal: LFP, field proxy or membrane potential.

    Parameters
    ----------
    data : array_like, shape (n_samples,) or (n_samples, n_channels)
        Samples in physical ``units``.
    fs : float
        Sampling rate in Hz.
    t_start : float, default 0.0
        Time of the first sample in seconds.
    units : str, default ""
        Physical units of the samples, e.g. ``"V"`` or ``"mV"``.
    channels : mapping of str to array_like, optional
        Channel table, one value per channel (e.g. ``name``, ``location``,
        ``unit_id`` for membrane potentials).
    name : str, default "signal"
        What the signal is (``"LFP"``, ``"field_proxy"``, ``"v"``).
    metadata : mapping, optional
        Provenance.
    """

    __slots__ = ("data", "fs", "t_start", "units", "channels", "name", "metadata")

    def __init__(self, data, fs: float, t_start: float = 0.0, *, units: str = "", channels: Mapping | None = None,
                 name: str = "signal", metadata: Mapping | None = None):
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2:
            raise SignalError(f"signal data must be 1-D or 2-D (samples x channels); got shape {data.shape}")
        fs = float(fs)
        if not np.isfinite(fs) or fs <= 0:
            raise SignalError(f"sampling rate must be a positive number of Hz; got {fs}")
        if not np.all(np.isfinite(data)):
            raise SignalError(f"signal {name!r} contains NaN or infinite samples; interpolate or cut them out first")
        self.data = freeze(data)
        self.fs = fs
        self.t_start = float(t_start)
        self.units = str(units)
        chans = {k: np.asarray(v) for k, v in (channels or {}).items()}
        for k, v in chans.items():
            if v.ndim != 1 or len(v) != data.shape[1]:
                raise SignalError(f"channel column {k!r} has {v.size} values (shape {v.shape}) for {data.shape[1]} "
                                  "channels; give one value per channel")
        if "name" not in chans:
            chans["name"] = np.array([f"ch{i}" for i in range(data.shape[1])], dtype=object)
        self.channels = MappingProxyType(chans)
        self.name = str(name)
        self.metadata = MappingProxyType(dict(metadata or {}))

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.data.shape[0]

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return self.data.shape[1]

    @property
    def t_stop(self) -> float:
        """Time just after the last sample, ``t_start + n_samples / fs`` (s)."""
        return self.t_start + self.n_samples / self.fs

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds."""
        return self.t_start + np.arange(self.n_samples) / self.fs

    def channel(self, i: int) -> np.ndarray:
        """Samples of one channel.

        Parameters
        ----------
        i : int
            Channel position.

        Returns
        -------
        ndarray of float64
            The channel's samples (a view), in ``units``.
        """
        return self.data[:, i]

    def restrict(self, t_start: float, t_stop: float) -> Signal:
        """Samples whose times lie in ``[t_start, t_stop)``.

        Parameters
        ----------
        t_start, t_stop : float
            Window in seconds.

        Returns
        -------
        Signal

        Raises
        ------
        SignalError
            If the window holds no sample.
        """
        i0, i1 = sample_window(t_start, t_stop, self.t_start, self.fs, self.n_samples)
        if i1 <= i0:
            raise SignalError(f"signal {self.name!r} ({self.t_start:g}-{self.t_stop:g} s) has no samples in "
                              f"[{t_start:g}, {t_stop:g}) s; pick a signal that overlaps the spikes")
        return Signal(self.data[i0:i1], self.fs, self.t_start + i0 / self.fs, units=self.units,
                      channels=self.channels, name=self.name, metadata=self.metadata)

    def overlap(self, t_start: float, t_stop: float) -> float:
        """Length of the overlap of this signal with a window.

        Parameters
        ----------
        t_start, t_stop : float
            Window in seconds.

        Returns
        -------
        float
            Overlap in seconds (0 when disjoint).
        """
        return max(0.0, min(self.t_stop, t_stop) - max(self.t_start, t_start))

    def __repr__(self) -> str:
        return (f"Signal(name={self.name!r}, n_samples={self.n_samples}, n_channels={self.n_channels}, "
                f"fs={self.fs:g} Hz, t_start={self.t_start:g} s, units={self.units!r})")


class Recording:
    """One session: its spikes, any continuous signals, and provenance.

    This is what readers return and writers take; analyses take its parts.

    Parameters
    ----------
    spikes : SpikeData
        All spikes of the session.
    signals : mapping of str to Signal, optional
        Continuous signals by name (``"LFP"``, ``"field_proxy"``, ``"v"``).
    metadata : mapping, optional
        Provenance of the session (source path, simulator and its
        parameters, curation applied), JSON-serialisable.
    intervals : mapping of str to IntervalTable, optional
        Interval tables of the session by name, as NWB's ``/intervals``
        group holds them: ``"epochs"`` (e.g. sleep, wake), ``"trials"``
        (with a condition column), ``"invalid_times"``, or any other.
        Split the spikes by one with :func:`split_by_intervals`.
    """

    __slots__ = ("spikes", "signals", "metadata", "intervals")

    def __init__(self, spikes: SpikeData, signals: Mapping[str, Signal] | None = None,
                 metadata: Mapping | None = None, intervals: Mapping[str, IntervalTable] | None = None):
        if not isinstance(spikes, SpikeData):
            raise TypeError(f"spikes must be a SpikeData, not {type(spikes).__name__}")
        for key, table in (intervals or {}).items():
            if not isinstance(table, IntervalTable):
                raise TypeError(f"intervals[{key!r}] must be an IntervalTable, not {type(table).__name__}")
        self.spikes = spikes
        self.signals = MappingProxyType(dict(signals or {}))
        self.metadata = MappingProxyType(dict(metadata or {}))
        self.intervals = MappingProxyType(dict(intervals or {}))

    def __repr__(self) -> str:
        tables = f", intervals={list(self.intervals)}" if self.intervals else ""
        return f"Recording({self.spikes!r}, signals={list(self.signals)}{tables})"
