"""Options that add a mechanism to the reference networks: Tsodyks-Markram synapses and a slow variable.

Plain parameter objects, checked when made; :mod:`sims._brian` turns them
into Brian2 code. :func:`tsodyks_markram_steady_state` gives the release
per spike of a regular train at its fixed point, the curve a user compares a
synapse's parameters by (``tests/test_sims_2007_and_options.py`` checks the
Brian2 synapses against a closed form of its own).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from synchro.errors import UsageError

__all__ = ["TsodyksMarkram", "SlowVariable", "tsodyks_markram_steady_state"]


@dataclass(frozen=True)
class TsodyksMarkram:
    """Tsodyks-Markram short-term plasticity of every synapse of a network.

    Each presynaptic spike first raises the utilisation ``u += U (1 - u)``,
    then releases ``r = u x`` of the resources ``x`` (``x -= r``); the
    synaptic weight is multiplied by ``r``. Between spikes ``x`` recovers to
    1 with ``tau_d`` and ``u`` decays to 0 with ``tau_f``, so the first spike
    of a train releases ``U``.

    Parameters
    ----------
    U : float
        Baseline utilisation of resources (0-1].
    tau_d : float
        Recovery (depression) time constant in seconds.
    tau_f : float
        Facilitation time constant in seconds.

    References
    ----------
    Tsodyks M, Pawelzik K, Markram H (1998). Neural networks with dynamic
    synapses. Neural Comput 10:821-835 (their Eqs. 1-2 with facilitation).
    """

    U: float = 0.5
    tau_d: float = 0.2
    tau_f: float = 0.05

    def __post_init__(self):
        if not 0 < self.U <= 1:
            raise UsageError(f"Tsodyks-Markram U must lie in (0, 1]; got {self.U}")
        if not (self.tau_d > 0 and self.tau_f > 0):
            raise UsageError(f"Tsodyks-Markram tau_d and tau_f must be positive seconds; "
                             f"got {self.tau_d}, {self.tau_f}")

    def to_dict(self) -> dict:
        """Parameters as a JSON-safe dict.

        Returns
        -------
        dict
            ``{"U": float, "tau_d": float, "tau_f": float}``; time constants
            in seconds.
        """
        return asdict(self)


@dataclass(frozen=True)
class SlowVariable:
    """An astrocyte-like slow variable driven by each neuron's synaptic input.

    ``dX/dt = -X / tau + beta / (1 + exp(-(y - y_thr)))`` with ``y`` the
    neuron's total synaptic current in the network's current units (net.m
    units for the 2003 network, mV/ms for the 2007 network). ``X`` is recorded
    (Signal ``"X"``) and does not feed back on the neurons.

    Parameters
    ----------
    tau : float
        Relaxation time constant in seconds.
    beta : float
        Maximal rate of rise in 1/s.
    y_thr : float
        Half-activation level of the synaptic input.
    """

    tau: float = 1.0
    beta: float = 1.0
    y_thr: float = 0.0

    def __post_init__(self):
        if not self.tau > 0:
            raise UsageError(f"slow variable tau must be positive seconds; got {self.tau}")

    def to_dict(self) -> dict:
        """Parameters as a JSON-safe dict.

        Returns
        -------
        dict
            ``{"tau": float, "beta": float, "y_thr": float}``; ``tau`` in
            seconds, ``beta`` in 1/s, ``y_thr`` in the network's current units.
        """
        return asdict(self)


def tsodyks_markram_steady_state(tm: TsodyksMarkram, *, rate: float) -> float:
    """Fraction of resources released per spike at steady state for a regular train.

    Parameters
    ----------
    tm : TsodyksMarkram
        The synapse parameters.
    rate : float
        Presynaptic firing rate in Hz (inter-spike interval ``1 / rate``).

    Returns
    -------
    float
        ``u+ x-``: utilisation just after, times resources just before, each
        spike once the train has reached its periodic steady state.

    References
    ----------
    Tsodyks M, Pawelzik K, Markram H (1998). Neural Comput 10:821-835
    (the recursion between spikes, solved for its fixed point).
    """
    if not rate > 0:
        raise UsageError(f"rate must be a positive number of Hz; got {rate}")
    e_f = np.exp(-1.0 / (rate * tm.tau_f))
    e_d = np.exp(-1.0 / (rate * tm.tau_d))
    # Fixed points of u+ = u+ e_f + U (1 - u+ e_f) and x- = 1 + (x- (1 - u+) - 1) e_d.
    u_plus = tm.U / (1 - (1 - tm.U) * e_f)
    x_minus = (1 - e_d) / (1 - (1 - u_plus) * e_d)
    return float(u_plus * x_minus)
