"""Brian2 monitors to a :class:`~synchro.core.Recording` (brian2 is imported inside the function)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core import Recording, Signal, SpikeData
from ..errors import UsageError

__all__ = ["from_brian"]


def from_brian(spike_monitor, *, state_monitor=None, t_start: float = 0.0, t_stop: float | None = None,
               populations=None, unit_columns: Mapping | None = None, signals: Mapping | None = None,
               metadata: Mapping | None = None) -> Recording:
    """Build a Recording from a Brian2 SpikeMonitor (and optionally a StateMonitor).

    Parameters
    ----------
    spike_monitor : brian2.SpikeMonitor
        Monitor of the neuron group; every neuron of its source becomes a
        unit (id = neuron index), silent ones included.
    state_monitor : brian2.StateMonitor, optional
        Each recorded variable becomes a Signal named after it: one channel
        per recorded neuron (channel column ``unit_id``), sampling rate
        ``1 / dt`` of the monitor's clock in Hz, units from the variable's
        Brian2 dimension (``"V"``, ``"A"``; ``""`` when dimensionless).
    t_start : float, default 0.0
        Start of the analysed recording in seconds.
    t_stop : float, optional
        End in seconds; default the monitor clock's current time, i.e. the
        end of the last ``run``.
    populations : mapping of str to index array or slice, or sequence of str, optional
        Population of each neuron: e.g. ``{"exc": slice(0, 800), "inh":
        slice(800, 1000)}``, or one label per neuron.
    unit_columns : mapping of str to array_like, optional
        Further columns of the unit table, one value per neuron (e.g. each
        neuron's model parameters), after ``id`` and ``population``.
    signals : mapping of str to Signal, optional
        Signals recorded otherwise (a field proxy, variables rescaled to the
        model's units), added beside the state monitor's.
    metadata : mapping, optional
        The run's description (model parameters, seed, ...), merged over
        the converter's keys.

    Returns
    -------
    Recording
        ``metadata`` records the simulator, the group's name and size and
        the clock step ``dt`` in seconds (the spike times' resolution, which
        :func:`synchro.io.write_nwb` writes as the Units table's
        ``resolution``), then the keys of ``metadata``.
    """
    from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

    n = len(spike_monitor.source)
    t_stop = float(spike_monitor.clock.t_[:]) if t_stop is None else float(t_stop)
    units = {"id": np.arange(n, dtype=np.int64), "population": _population_column(populations, n),
             **dict(unit_columns or {})}
    metadata = {"simulator": "brian2", "group": spike_monitor.source.name, "n_neurons": n,
                "dt": float(spike_monitor.clock.dt_), **dict(metadata or {})}
    spikes = SpikeData.from_arrays(np.asarray(spike_monitor.t_, dtype=np.float64), np.asarray(spike_monitor.i[:]),
                                   t_start=t_start, t_stop=t_stop, units=units, n_units=n, time_unit="s",
                                   metadata=metadata)
    signals = dict(signals or {})
    if state_monitor is not None:
        times = np.asarray(state_monitor.t_)
        if times.size:
            recorded = np.asarray(state_monitor.record, dtype=np.int64).ravel()
            for var in state_monitor.record_variables:
                dim = state_monitor.source.variables[var].dim
                signals[var] = Signal(np.asarray(getattr(state_monitor, var + "_")).T,
                                      1.0 / float(state_monitor.clock.dt_), float(times[0]),
                                      units="" if dim is DIMENSIONLESS else str(get_unit(dim)),
                                      channels={"unit_id": recorded}, name=var)
    return Recording(spikes, signals, metadata)


def _population_column(populations, n: int) -> np.ndarray:
    column = np.full(n, "", dtype=object)
    if populations is None:
        return column
    if isinstance(populations, Mapping):
        for name, members in populations.items():
            column[np.arange(n)[members] if isinstance(members, slice) else np.asarray(members)] = str(name)
        return column
    labels = np.asarray(populations, dtype=object)
    if labels.shape != (n,):
        raise UsageError(f"populations has {labels.size} labels for {n} neurons; give one per neuron or a mapping "
                         "{name: indices}")
    return labels
