"""The classic Izhikevich firing types and a single-neuron runner.

Parameters from Izhikevich (2003), Fig. 2, in the 2003 model's units: with
time in ms and v in mV, ``dv/dt = 0.04 v^2 + 5 v + 140 - u + I`` and
``du/dt = a (b v - u)``; after a spike (v >= 30 mV) ``v = c`` and ``u += d``.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from synchro.core import Recording
from synchro.errors import UsageError, check_installed
from synchro.io import from_brian

from . import _brian

__all__ = ["NEURON_TYPES", "PARAMETER_UNITS", "run_neuron", "resting_state"]

#: a, b, c, d of each type (Izhikevich 2003, Fig. 2; units in PARAMETER_UNITS).
NEURON_TYPES = MappingProxyType({
    "regular_spiking": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
    "intrinsically_bursting": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0},
    "chattering": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0},
    "fast_spiking": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0},
    "low_threshold_spiking": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0},
    "thalamo_cortical": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05},
    "resonator": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0},
})

#: Units of the parameters: u, d and the current I are in mV/ms, their contribution to dv/dt.
PARAMETER_UNITS = MappingProxyType({"a": "1/ms", "b": "1/ms", "c": "mV", "d": "mV/ms", "I": "mV/ms"})


def resting_state(neuron_type: str) -> tuple[float, float]:
    """Stable resting potential (mV) and recovery variable of a type without input.

    The lower root of ``0.04 v^2 + (5 - b) v + 140 = 0``, with ``u = b v``.

    Parameters
    ----------
    neuron_type : str
        A key of :data:`NEURON_TYPES`.

    Returns
    -------
    v : float
        Resting membrane potential in mV.
    u : float
        Recovery variable at rest, ``b v`` (mV/ms).

    Raises
    ------
    UsageError
        If ``neuron_type`` is not a key of :data:`NEURON_TYPES`.
    """
    b = _parameters(neuron_type)["b"]
    v = (-(5 - b) - np.sqrt((5 - b) ** 2 - 4 * 0.04 * 140)) / (2 * 0.04)
    return float(v), float(b * v)


def run_neuron(neuron_type: str, *, current: float = 10.0, step: tuple[float, float] = (0.05, 0.45),
               duration: float = 0.5, dt_ms: float = 0.1, codegen: str = "numpy") -> Recording:
    """Simulate one neuron of a catalogued type under a step current.

    The neuron starts at rest (:func:`resting_state`) and receives
    ``current`` during ``step``; a negative current is a hyperpolarising
    step (a thalamo-cortical cell fires a rebound burst when released).
    Integrated with Brian2's Euler method.

    Parameters
    ----------
    neuron_type : str
        A key of :data:`NEURON_TYPES`.
    current : float, default 10.0
        Step amplitude in the 2003 model's current units (mV/ms).
    step : (float, float), default (0.05, 0.45)
        Start and end of the step in seconds.
    duration : float, default 0.5
        Simulated time in seconds.
    dt_ms : float, default 0.1
        Time step in ms.
    codegen : {"numpy", "cython", "auto"}
        Brian2 code-generation target.

    Returns
    -------
    Recording
        One unit (columns a, b, c, d, label = the type) and Signal ``"v"``
        (mV, sampled every step); metadata with the protocol.

    References
    ----------
    Izhikevich EM (2003). Simple model of spiking neurons. IEEE Trans Neural
    Netw 14:1569-1572, Fig. 2.
    Izhikevich EM (2004). Which model to use for cortical spiking neurons?
    IEEE Trans Neural Netw 15:1063-1070.
    """
    check_installed("brian2", extra="sims", use="sims.run_neuron")
    from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, TimedArray, ms

    params = _parameters(neuron_type)
    t_on, t_off = step
    if not (0 <= t_on < t_off and duration > 0 and dt_ms > 0):
        raise UsageError(f"step must satisfy 0 <= start < end seconds, duration and dt_ms be positive; "
                         f"got step={step}, duration={duration}, dt_ms={dt_ms}")
    target = _brian.configure(codegen, 0, dt_ms)
    n_steps = int(round(duration * 1000 / dt_ms))
    t = np.arange(n_steps) * dt_ms * 1e-3
    drive = TimedArray(np.where((t >= t_on - 1e-12) & (t < t_off - 1e-12), current, 0.0), dt=dt_ms * ms)
    neuron = NeuronGroup(1, """
        dv/dt = (0.04 * v**2 + 5 * v + 140 - u + drive(t)) / ms : 1
        du/dt = a * (b * v - u) / ms : 1
        """, threshold="v >= 30", reset="v = c; u += d", method="euler",
                         namespace={**params, "drive": drive}, name="neuron")
    neuron.v, neuron.u = resting_state(neuron_type)
    spikes = SpikeMonitor(neuron, name="spikes")
    trace = StateMonitor(neuron, "v", record=0, name="v_monitor")
    Network(neuron, spikes, trace).run(n_steps * dt_ms * ms, namespace={})

    metadata = {"model": "izhikevich2003_neuron", "neuron_type": neuron_type, **params, "current": current,
                "step": list(step), "duration": duration, "dt_ms": dt_ms, "scheme": "euler",
                "simulator": "brian2", "brian2_version": _brian.brian2_version(), "codegen_target": target,
                "units": dict(PARAMETER_UNITS)}
    return from_brian(spikes, t_stop=duration, populations=[neuron_type],
                      unit_columns={"label": [neuron_type], **{k: [v] for k, v in params.items()}},
                      signals={"v": _brian.monitor_signal(trace, "v", units="mV")}, metadata=metadata)


def _parameters(neuron_type: str) -> dict:
    try:
        return dict(NEURON_TYPES[neuron_type])
    except KeyError:
        raise UsageError(f"neuron_type must be one of {list(NEURON_TYPES)}; got {neuron_type!r}") from None
