"""The Izhikevich (2007) quadratic network posted on the Brian forum, in Brian2 with units.

125 neurons (80 % excitatory) of the 2007 "simple model" with the forum's
parameters, a constant random drive per neuron, random connections with
probability 0.2 and exponential postsynaptic currents. The current decays
either once per neuron (``psc_location="neuron"``: valid because every
synapse shares one time constant) or once per synapse (``"synapse"``, summed
onto the neuron): the same model, so the same spikes, at different cost.
"""

from __future__ import annotations

import numpy as np

from synchro.core import Recording
from synchro.errors import UsageError, check_installed

from . import _brian
from .options import SlowVariable, TsodyksMarkram

__all__ = ["izhikevich2007", "check_options", "PSC_LOCATIONS", "FORUM_PARAMETERS"]

PSC_LOCATIONS = ("neuron", "synapse")
SCHEMES = ("euler", "heun", "rk2", "rk4")

#: The forum's parameters, in the units named in each key.
FORUM_PARAMETERS = {
    "k": 0.5, "Vr_mV": -60.0, "Vt_mV": -45.0, "Vpeak_mV": 35.0, "c_mV": -40.0, "d_mV_per_ms": 100.0,
    "a_per_ms": 0.02, "b_per_ms": 0.5, "Cm": 50.0, "Iext_max_mV_per_ms": 40.0, "w_min_mV_per_ms": 50.0,
    "w_max_mV_per_ms": 100.0, "tau_syn_ms": 4.0, "V0_mV": -60.0, "U0_mV_per_ms": 0.0,
}

_NEURON = """
dv/dt = ((k / ms / mV) * (v**2 - v * Vr - v * Vt + Vr * Vt) - u + I_ext + I_exc + I_inh) / Cm : volt
du/dt = a * (b * (v - Vr) - u) : volt / second
I_ext : volt / second (constant)
"""


def izhikevich2007(*, n: int = 125, duration: float = 1.0, scheme: str = "euler", dt_ms: float = 0.1,
                   p: float = 0.2, psc_location: str = "neuron", rng=0,
                   tsodyks_markram: TsodyksMarkram | None = None, slow_variable: SlowVariable | None = None,
                   record_v=(), codegen: str = "numpy", progress: bool = False) -> Recording:
    """Simulate the Izhikevich (2007) quadratic network of the Brian forum thread.

    Parameters
    ----------
    n : int, default 125
        Number of neurons (80 % excitatory).
    duration : float, default 1.0
        Simulated time in seconds.
    scheme : {"euler", "heun", "rk2", "rk4"}
        Brian2 integrator (the forum used euler).
    dt_ms : float, default 0.1
        Time step in ms (Brian2's default, as on the forum).
    p : float, default 0.2
        Connection probability from each excitatory and each inhibitory
        cell to every cell (autapses possible).
    psc_location : {"neuron", "synapse"}
        Where the exponential current decays: one variable per neuron and
        source population, or one per synapse summed onto the neuron.
    rng : int, numpy.random.Generator or None, default 0
        Random source. An int seed, or one int drawn from a Generator (a
        fresh one for None), seeds the numpy Generator drawing drives,
        connections and weights, then Brian2's seed; that int is recorded as
        metadata ``"seed"`` (``rng=seed`` repeats the run).
    tsodyks_markram : TsodyksMarkram, optional
        Short-term plasticity (each spike adds ``w r`` instead of ``w``).
    slow_variable : SlowVariable, optional
        Astrocyte-like variable X driven by the cell's synaptic current in
        mV/ms; recorded as Signal ``"X"``.
    record_v : sequence of int, default ()
        Neurons whose membrane potential is recorded (Signal ``"v"``, mV).
    codegen : {"numpy", "cython", "auto"}
        Brian2 code-generation target.
    progress : bool, default False
        Draw a progress bar on stderr.

    Returns
    -------
    Recording
        Spikes of all neurons (unit columns id, population, label and a
        (1/ms), b (1/ms), c (mV), d (mV/ms)), Signal ``"field_proxy"`` (sum
        over excitatory cells of ``|I_exc| + |I_inh|``, mV/ms) and the requested
        signals; metadata with every parameter.

    References
    ----------
    Izhikevich EM (2007). Dynamical Systems in Neuroscience, ch. 8. MIT Press.
    Brian forum thread "Realization the model of network in Brian 2" (the
    parameters, and the advice to keep the current on the neuron side).
    """
    check_installed("brian2", extra="sims", use="sims.izhikevich2007")
    from brian2 import NeuronGroup, Synapses, ms, mV, second

    check_options(n=n, duration=duration, scheme=scheme, dt_ms=dt_ms, p=p, psc_location=psc_location)
    record_v = _brian.check_record_v(record_v, n)
    fp = FORUM_PARAMETERS
    seed = _brian.run_seed(rng)
    rng = np.random.default_rng(seed)
    n_exc = int(round(0.8 * n))
    i_ext = rng.random(n) * fp["Iext_max_mV_per_ms"]
    connections = []
    for pre, sign in ((np.arange(n_exc), 1.0), (np.arange(n_exc, n), -1.0)):
        connected = rng.random((pre.size, n)) < p
        pre_idx, post_idx = np.nonzero(connected)
        w = sign * (fp["w_min_mV_per_ms"] + rng.random(pre_idx.size) * (fp["w_max_mV_per_ms"] - fp["w_min_mV_per_ms"]))
        connections.append((pre_idx, post_idx, w))
    brian_seed = int(rng.integers(2**31 - 1))
    target = _brian.configure(codegen, brian_seed, dt_ms)

    namespace = {"k": fp["k"], "Vr": fp["Vr_mV"] * mV, "Vt": fp["Vt_mV"] * mV, "Vpeak": fp["Vpeak_mV"] * mV,
                 "c": fp["c_mV"] * mV, "d": fp["d_mV_per_ms"] * mV / ms, "a": fp["a_per_ms"] / ms,
                 "b": fp["b_per_ms"] / ms, "Cm": fp["Cm"], "tau_syn": fp["tau_syn_ms"] * ms}
    eqs = _NEURON
    if psc_location == "neuron":
        eqs += "dI_exc/dt = -I_exc / tau_syn : volt / second\ndI_inh/dt = -I_inh / tau_syn : volt / second\n"
    else:
        eqs += "I_exc : volt / second\nI_inh : volt / second\n"
    if slow_variable is not None:
        namespace.update(tau_X=slow_variable.tau * second, beta_X=slow_variable.beta / second,
                         y_thr=slow_variable.y_thr)
        eqs += "dX/dt = -X / tau_X + beta_X / (1 + exp(-((I_exc + I_inh) / (mV / ms) - y_thr))) : 1\n"
    group = NeuronGroup(n, eqs, threshold="v > Vpeak", reset="v = c; u += d", method=scheme,
                        namespace=namespace, name="neurons")
    group.I_ext = i_ext * mV / ms
    group.v = fp["V0_mV"] * mV
    group.u = fp["U0_mV_per_ms"] * mV / ms

    tm_model, tm_on_pre, tm_namespace = _brian.tm_synapse_code(tsodyks_markram)
    objects = [group]
    for name, current, (pre_idx, post_idx, w) in zip(("exc", "inh"), ("I_exc", "I_inh"), connections):
        if pre_idx.size == 0:
            continue
        source = group[:n_exc] if name == "exc" else group[n_exc:]
        if psc_location == "neuron":
            model, on_pre = "w : volt / second (constant)", f"{tm_on_pre}\n{current}_post += w * r"
        else:
            model = (f"w : volt / second (constant)\ndy/dt = -y / tau_syn : 1 (clock-driven)\n"
                     f"{current}_post = w * y : volt / second (summed)")
            on_pre = f"{tm_on_pre}\ny += r"
        syn = Synapses(source, group, model + tm_model, on_pre=on_pre, method=scheme,
                       namespace={**namespace, **tm_namespace}, name=f"synapses_{name}")
        if psc_location == "synapse":
            # Summed before the field probe's own sum (order -1), so the probe sees this step's currents.
            syn.summed_updaters[f"{current}_post"].order = -2
        syn.connect(i=pre_idx, j=post_idx)
        syn.w = w * mV / ms
        _brian.init_tm(syn, tsodyks_markram)
        objects.append(syn)

    spikes, signals, run_seconds = _brian.run_and_record(
        objects, group, n_exc=n_exc, record_v=record_v, slow=slow_variable is not None, dt_ms=dt_ms,
        duration=duration, progress=progress, current_unit="volt / second", v_scale=1e3)

    metadata = {
        "model": "izhikevich2007", "simulator": "brian2", "brian2_version": _brian.brian2_version(),
        "codegen_target": target, "scheme": scheme, "dt_ms": float(dt_ms), "duration": duration, "n": n,
        "n_exc": n_exc, "n_inh": n - n_exc, "p": p, "psc_location": psc_location, "seed": seed,
        "brian_seed": brian_seed, "run_wall_time_s": run_seconds, **fp,
        "tsodyks_markram": None if tsodyks_markram is None else tsodyks_markram.to_dict(),
        "slow_variable": None if slow_variable is None else slow_variable.to_dict(),
    }
    params = {"a": np.full(n, fp["a_per_ms"]), "b": np.full(n, fp["b_per_ms"]), "c": np.full(n, fp["c_mV"]),
              "d": np.full(n, fp["d_mV_per_ms"])}
    return _brian.network_recording(spikes, n_exc=n_exc, params=params, duration=duration, signals=signals,
                                    metadata=metadata)


def check_options(*, n, duration, scheme, dt_ms, p, psc_location) -> None:
    """Refuse the options of :func:`izhikevich2007` that cannot run, before anything is built.

    Parameters
    ----------
    n, duration, scheme, dt_ms, p, psc_location
        As in :func:`izhikevich2007`.

    Raises
    ------
    UsageError
        One line naming the option and its valid values.
    """
    for name, value, allowed in (("scheme", scheme, SCHEMES), ("psc_location", psc_location, PSC_LOCATIONS)):
        if value not in allowed:
            raise UsageError(f"{name} must be one of {list(allowed)}; got {value!r}")
    _brian.check_network(n=n, duration=duration, p=p, dt_ms=dt_ms)
