"""The Izhikevich (2003) network of 800 excitatory and 200 inhibitory neurons, in Brian2.

``scheme="netm"`` reproduces the published MATLAB program (net.m) step for
step; the other schemes integrate the same model as differential equations
at any time step, with the noise and synapse written in one of several named
ways, some of them known mistakes kept for comparison.
"""

from __future__ import annotations

import numpy as np

from synchro.core import Recording
from synchro.errors import UsageError, check_installed

from . import _brian
from .options import SlowVariable, TsodyksMarkram

__all__ = ["izhikevich2003", "check_options", "SCHEMES", "NOISES", "SYNAPSES", "INHIBITORY_SIGNS", "draw_network"]

SCHEMES = ("netm", "euler", "heun", "rk2", "rk4")
NOISES = ("held", "xi", "randn")
SYNAPSES = ("pulse", "delta", "exp")
INHIBITORY_SIGNS = ("negative", "positive_forum")

#: Noise standard deviation per ms (net.m: ``5 randn`` excitatory, ``2 randn`` inhibitory).
SIGMA_EXC, SIGMA_INH = 5.0, 2.0

# net.m as explicit statements, run after synaptic input has been summed: two 0.5 ms half-steps of v,
# then u with the new v. Threshold and reset act on the v of the previous step, as in net.m.
_NETM_UPDATE = """
I_total = I_noise + I_exc + I_inh
v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I_total)
v += 0.5 * (0.04 * v**2 + 5 * v + 140 - u + I_total)
u += a * (b * v - u)
"""

_PARAMETERS = """
a : 1 (constant)
b : 1 (constant)
c : 1 (constant)
d : 1 (constant)
sigma : 1 (constant)
"""


def draw_network(n: int, *, p: float = 1.0, inhibitory_sign: str = "negative", scale_weights: bool | None = None,
                 rng: np.random.Generator) -> dict:
    """Draw the neuron parameters and the weight matrix of the 2003 network.

    Draws, in this order, ``re`` (excitatory), ``ri`` (inhibitory), the
    excitatory then the inhibitory weight columns, then (if ``p < 1``) the
    connection mask, all from ``rng``.

    Parameters
    ----------
    n : int
        Number of neurons; ``round(0.8 n)`` are excitatory.
    p : float, default 1.0
        Connection probability; 1.0 is all-to-all with autapses, as published.
    inhibitory_sign : {"negative", "positive_forum"}
        ``"negative"``: inhibitory weights ``-rand`` as published.
        ``"positive_forum"``: ``+rand``, the sign mistake discussed on the
        Brian forum; the "inhibitory" cells then excite.
    scale_weights : bool, optional
        Multiply weights by ``1000 / n``; default on when ``n != 1000``.
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``a, b, c, d, sigma`` (per neuron), ``weights`` (``n x n``, net.m's
        ``S[post, pre]``, zero where unconnected), ``connected`` (bool mask)
        and ``weight_scale``.
    """
    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    re, ri = rng.random(n_exc), rng.random(n_inh)
    sign = {"negative": -1.0, "positive_forum": 1.0}[inhibitory_sign]
    weights = np.hstack([0.5 * rng.random((n, n_exc)), sign * rng.random((n, n_inh))])
    connected = np.ones((n, n), dtype=bool) if p >= 1 else rng.random((n, n)) < p
    if scale_weights is None:
        scale_weights = n != 1000
    scale = 1000.0 / n if scale_weights else 1.0
    weights = np.where(connected, weights * scale, 0.0)
    return {
        "a": np.r_[np.full(n_exc, 0.02), 0.02 + 0.08 * ri],
        "b": np.r_[np.full(n_exc, 0.2), 0.25 - 0.05 * ri],
        "c": np.r_[-65 + 15 * re**2, np.full(n_inh, -65.0)],
        "d": np.r_[8 - 6 * re**2, np.full(n_inh, 2.0)],
        "sigma": np.r_[np.full(n_exc, SIGMA_EXC), np.full(n_inh, SIGMA_INH)],
        "weights": weights,
        "connected": connected,
        "weight_scale": scale,
    }


def izhikevich2003(*, n: int = 1000, duration: float = 1.0, scheme: str = "netm", dt_ms: float | None = None,
                   noise: str = "held", synapse: str = "pulse", tau_syn_ms: float = 5.0, p: float = 1.0,
                   inhibitory_sign: str = "negative", scale_weights: bool | None = None, refractory_ms: float = 0.0,
                   rng=0, weights: np.ndarray | None = None, noise_values: np.ndarray | None = None,
                   tsodyks_markram: TsodyksMarkram | None = None, slow_variable: SlowVariable | None = None,
                   record_v=(), codegen: str = "numpy", progress: bool = False) -> Recording:
    """Simulate the Izhikevich (2003) pulse-coupled network in Brian2.

    Parameters
    ----------
    n : int, default 1000
        Number of neurons (80 % excitatory).
    duration : float, default 1.0
        Simulated time in seconds.
    scheme : {"netm", "euler", "heun", "rk2", "rk4"}
        ``"netm"``: the published program's numerics (1 ms steps, two 0.5 ms
        half-steps of v, u updated with the new v, threshold on the previous
        step's v, synaptic input lasting one step, noise drawn once per ms,
        no refractory period, no clipping). Others: Brian2's integrator of
        that name applied to the differential equations.
    dt_ms : float, optional
        Time step in ms; 1 for ``"netm"`` (the only value it accepts), 0.1
        otherwise.
    noise : {"held", "xi", "randn"}
        ``"held"``: ``sigma randn`` drawn once per ms and held (net.m), by a
        numpy Generator seeded from ``rng``, so the noise is the same for
        every code-generation target.
        ``"xi"``: Brian2 white noise ``xi`` scaled so that the variance of v's
        increment over 1 ms equals net.m's (independent of dt; needs
        ``scheme`` euler or heun). ``"randn"``: ``sigma randn()`` inside the
        equation, redrawn every step, so its effect shrinks with sqrt(dt): the
        Brian forum's mistake, kept for comparison.
    synapse : {"pulse", "delta", "exp"}
        ``"pulse"``: a 1 ms rectangular current of height w (net.m's input at
        1 ms steps; the same charge at any dt). ``"delta"``: v jumps by w.
        ``"exp"``: exponential current of charge w and time constant
        ``tau_syn_ms``. ``"netm"`` accepts only ``"pulse"``.
    tau_syn_ms : float, default 5.0
        Decay time of ``synapse="exp"`` in ms.
    p : float, default 1.0
        Connection probability (1.0 = all-to-all with autapses, as published).
    inhibitory_sign : {"negative", "positive_forum"}
        See :func:`draw_network`.
    scale_weights : bool, optional
        Scale weights by 1000 / n; default on when ``n != 1000``.
    refractory_ms : float, default 0.0
        Absolute refractory period in ms (none in net.m; ``"netm"`` needs 0).
    rng : int, numpy.random.Generator or None, default 0
        Random source. An int seed, or one int drawn from a Generator (a
        fresh one for None), seeds a numpy Generator that draws the
        parameters and weights, then the seeds of the held noise and of
        Brian2 (``xi``, ``randn()``); that int is recorded as metadata
        ``"seed"``, and the same seed and code-generation target give
        identical spikes.
    weights : ndarray, shape (n, n), optional
        Weight matrix ``S[post, pre]`` to use instead of drawing one (used as
        given; connections where ``p`` says so).
    noise_values : ndarray, shape (n_ms, n), optional
        Noise current of each neuron for each ms (already scaled), used
        instead of drawing it; needs ``noise="held"``.
    tsodyks_markram : TsodyksMarkram, optional
        Short-term plasticity on every synapse (weights multiplied by the
        released fraction).
    slow_variable : SlowVariable, optional
        Astrocyte-like variable X driven by each neuron's synaptic input,
        recorded as Signal ``"X"``.
    record_v : sequence of int, default ()
        Neurons whose membrane potential is recorded (Signal ``"v"``, mV).
    codegen : {"numpy", "cython", "auto"}
        Brian2 code-generation target.
    progress : bool, default False
        Draw a progress bar on stderr.

    Returns
    -------
    Recording
        Spikes of all neurons (unit columns id, population, label, a, b, c,
        d), Signal ``"field_proxy"`` (sum over excitatory cells of
        ``|I_exc| + |I_inh|`` at the start of each step, mV/ms, averaged to
        1 kHz when dt divides 1 ms; with ``"netm"`` sample k holds the input
        of ms k - 1) and the requested signals; metadata holds every model parameter,
        the scheme, dt, seed (the int that repeats the run), brian2 version and code-generation target.

    References
    ----------
    Izhikevich EM (2003). Simple model of spiking neurons. IEEE Trans Neural
    Netw 14:1569-1572 (net.m).
    """
    check_installed("brian2", extra="sims", use="sims.izhikevich2003")
    from brian2 import NeuronGroup, Synapses, ms, second

    dt_ms = check_options(n=n, duration=duration, scheme=scheme, dt_ms=dt_ms, noise=noise, synapse=synapse,
                           tau_syn_ms=tau_syn_ms, p=p, inhibitory_sign=inhibitory_sign, refractory_ms=refractory_ms,
                           weights=weights, noise_values=noise_values)
    record_v = _brian.check_record_v(record_v, n)
    seed = _brian.run_seed(rng)
    rng = np.random.default_rng(seed)
    drawn = draw_network(n, p=p, inhibitory_sign=inhibitory_sign, scale_weights=scale_weights, rng=rng)
    brian_seed = int(rng.integers(2**31 - 1))
    noise_rng = np.random.default_rng(rng.integers(2**63 - 1))
    target = _brian.configure(codegen, brian_seed, dt_ms)
    if weights is not None:
        drawn["weights"] = np.where(drawn["connected"], np.asarray(weights, dtype=np.float64), 0.0)
    n_exc = int(round(0.8 * n))
    netm = scheme == "netm"

    namespace = {"tau_syn": tau_syn_ms * ms, "dt_ms": dt_ms, "sqrt_ms": ms**0.5}
    slow = slow_variable is not None
    if slow:
        namespace.update(tau_X=slow_variable.tau * second, beta_X=slow_variable.beta / second,
                         y_thr=slow_variable.y_thr)

    if netm:
        model = _PARAMETERS + "v : 1\nu : 1\nI_noise : 1\nI_exc : 1\nI_inh : 1\n" + ("X : 1\n" if slow else "")
        group = NeuronGroup(n, model, threshold="v >= 30", reset="v = c; u += d", namespace=namespace,
                            name="neurons")
        update = _NETM_UPDATE
        if slow:
            update += "X += dt_ms * (-X / (tau_X / ms) + beta_X * ms / (1 + exp(-(I_exc + I_inh - y_thr))))\n"
        group.run_regularly(update, when="end", name="netm_update")
    else:
        group = NeuronGroup(n, _equations(noise, synapse, refractory_ms > 0, slow), threshold="v >= 30",
                            reset="v = c; u += d", refractory=refractory_ms * ms, method=scheme,
                            namespace=namespace, name="neurons")
    if netm or synapse == "delta":
        # Input lasts one step: cleared just before this step's spikes arrive.
        group.run_regularly("I_exc = 0\nI_inh = 0", when="thresholds", order=-1, name="clear_input")
    for key in ("a", "b", "c", "d", "sigma"):
        setattr(group, key, drawn[key])
    group.v = -65.0
    group.u = drawn["b"] * -65.0

    tm_model, tm_on_pre, tm_namespace = _brian.tm_synapse_code(tsodyks_markram)
    objects = [group]
    if noise == "held":
        objects.append(_brian.held_noise(group, drawn["sigma"], noise_values=noise_values, rng=noise_rng))
    for name, pre, current in (("exc", slice(0, n_exc), "I_exc"), ("inh", slice(n_exc, n), "I_inh")):
        # Presynaptic-major order keeps each spike's synapses contiguous in memory (several times faster).
        pre_idx, post_idx = np.nonzero(drawn["connected"][:, pre].T)
        if post_idx.size == 0:
            continue
        pulse_height = "\nw_pulse : 1" if tsodyks_markram is not None and not netm and synapse == "pulse" else ""
        syn = Synapses(group[pre], group, "w : 1 (constant)" + pulse_height + tm_model,
                       on_pre=_on_pre(scheme, synapse, current, tm_on_pre, tsodyks_markram is not None),
                       namespace={**namespace, **tm_namespace}, name=f"synapses_{name}")
        syn.connect(i=pre_idx, j=post_idx)
        syn.w = drawn["weights"][:, pre][post_idx, pre_idx]
        if not netm and synapse == "pulse":
            syn.pulse_end.delay = 1 * ms
        _brian.init_tm(syn, tsodyks_markram)
        objects.append(syn)

    spikes, signals, run_seconds = _brian.run_and_record(
        objects, group, n_exc=n_exc, record_v=record_v, slow=slow, dt_ms=dt_ms, duration=duration, progress=progress,
        current_unit="1")

    metadata = {
        "model": "izhikevich2003", "simulator": "brian2", "brian2_version": _brian.brian2_version(),
        "codegen_target": target, "scheme": scheme, "dt_ms": dt_ms, "duration": duration, "n": n,
        "n_exc": n_exc, "n_inh": n - n_exc, "p": p, "noise": noise, "synapse": synapse,
        "tau_syn_ms": tau_syn_ms if synapse == "exp" else None, "inhibitory_sign": inhibitory_sign,
        "weight_scale": drawn["weight_scale"], "refractory_ms": refractory_ms, "seed": seed,
        "brian_seed": brian_seed, "run_wall_time_s": run_seconds,
        "noise_generator": "numpy Generator (PCG64) seeded from seed" if noise == "held" else "brian2",
        "weights": "given" if weights is not None else "drawn",
        "noise_values": "given" if noise_values is not None else "drawn",
        "sigma_exc": SIGMA_EXC, "sigma_inh": SIGMA_INH, "v_init_mV": -65.0, "threshold_mV": 30.0,
        "tsodyks_markram": None if tsodyks_markram is None else tsodyks_markram.to_dict(),
        "slow_variable": None if slow_variable is None else slow_variable.to_dict(),
        "units": "v, c in mV; a, b in 1/ms; u, d, currents and weights in mV/ms (their contribution to dv/dt)",
        "labels": _labels(noise, inhibitory_sign),
    }
    params = {k: drawn[k] for k in ("a", "b", "c", "d")}
    return _brian.network_recording(spikes, n_exc=n_exc, params=params, duration=duration, signals=signals,
                                    metadata=metadata)


def _labels(noise: str, inhibitory_sign: str) -> list[str]:
    labels = []
    if noise == "randn":
        labels.append("noise='randn' is the Brian forum's mistake: noise redrawn every step shrinks with sqrt(dt)")
    if inhibitory_sign == "positive_forum":
        labels.append("inhibitory_sign='positive_forum' is a sign mistake: the inhibitory cells excite")
    return labels


def _equations(noise: str, synapse: str, refractory: bool, slow: bool) -> str:
    noise_term = {"held": " + I_noise", "xi": "", "randn": " + sigma * randn()"}[noise]
    white = " + sigma * xi / sqrt_ms" if noise == "xi" else ""
    drive = "" if synapse == "delta" else " + I_exc + I_inh"
    flag = " (unless refractory)" if refractory else ""
    eqs = (f"dv/dt = (0.04 * v**2 + 5 * v + 140 - u{noise_term}{drive}) / ms{white} : 1{flag}\n"
           f"du/dt = a * (b * v - u) / ms : 1{flag}\n" + _PARAMETERS)
    eqs += "I_noise : 1\n" if noise == "held" else ""
    if synapse == "exp":
        eqs += "dI_exc/dt = -I_exc / tau_syn : 1\ndI_inh/dt = -I_inh / tau_syn : 1\n"
    else:
        eqs += "I_exc : 1\nI_inh : 1\n"
    if slow:
        eqs += "dX/dt = -X / tau_X + beta_X / (1 + exp(-(I_exc + I_inh - y_thr))) : 1\n"
    return eqs


def _on_pre(scheme: str, synapse: str, current: str, tm_on_pre: str, tm: bool):
    """Pathways delivering a spike, as a function of the released fraction ``r``."""
    if scheme == "netm":
        return f"{tm_on_pre}\n{current}_post += w * r"
    if synapse == "delta":
        # The current seen by the field proxy is the jump spread over the step that delivers it.
        return f"{tm_on_pre}\nv_post += w * r\n{current}_post += w * r / dt_ms"
    if synapse == "exp":
        return f"{tm_on_pre}\n{current}_post += w * r * ms / tau_syn"
    # A 1 ms pulse: switched on now, off by a second pathway delayed by 1 ms. With plasticity the height is
    # stored per synapse, which assumes a neuron does not fire twice within 1 ms.
    if tm:
        return {"pre": f"{tm_on_pre}\nw_pulse = w * r\n{current}_post += w_pulse",
                "pulse_end": f"{current}_post -= w_pulse"}
    return {"pre": f"{current}_post += w", "pulse_end": f"{current}_post -= w"}


def check_options(*, n, duration, scheme, dt_ms, noise, synapse, tau_syn_ms, p, inhibitory_sign, refractory_ms,
                  weights, noise_values) -> float:
    """Refuse the options of :func:`izhikevich2003` that cannot run, before anything is built (microseconds).

    Parameters
    ----------
    n, duration, scheme, dt_ms, noise, synapse, tau_syn_ms, p, inhibitory_sign, refractory_ms, weights, noise_values
        As in :func:`izhikevich2003` (``dt_ms`` may be None: the scheme's default).

    Returns
    -------
    float
        The time step in ms the run uses.

    Raises
    ------
    UsageError
        One line naming the option and the fix (e.g. ``scheme='netm'`` with
        ``dt_ms`` other than 1: "pick scheme='euler'").
    """
    for name, value, allowed in (("scheme", scheme, SCHEMES), ("noise", noise, NOISES), ("synapse", synapse, SYNAPSES),
                                 ("inhibitory_sign", inhibitory_sign, INHIBITORY_SIGNS)):
        if value not in allowed:
            raise UsageError(f"{name} must be one of {list(allowed)}; got {value!r}")
    _brian.check_network(n=n, duration=duration, p=p, dt_ms=dt_ms)
    if dt_ms is None:
        dt_ms = 1.0 if scheme == "netm" else 0.1
    if scheme == "netm":
        if dt_ms != 1.0 or noise != "held" or synapse != "pulse" or refractory_ms != 0:
            raise UsageError("scheme='netm' is the published program: it needs dt_ms=1, noise='held', "
                             "synapse='pulse' and refractory_ms=0; pick scheme='euler' for other choices "
                             "(CLI: --scheme euler)")
    if noise == "xi" and scheme not in ("euler", "heun"):
        raise UsageError(f"noise='xi' needs a stochastic integrator (scheme 'euler' or 'heun'), not {scheme!r}; "
                         "or use noise='held'")
    if synapse == "exp" and not tau_syn_ms > 0:
        raise UsageError(f"tau_syn_ms must be a positive number of ms; got {tau_syn_ms}")
    if refractory_ms < 0:
        raise UsageError(f"refractory_ms must be >= 0; got {refractory_ms}")
    if synapse == "pulse" and abs(1.0 / dt_ms - round(1.0 / dt_ms)) > 1e-9:
        raise UsageError(f"synapse='pulse' lasts 1 ms, so dt_ms must divide 1 ms; got {dt_ms}")
    if weights is not None and np.shape(weights) != (n, n):
        raise UsageError(f"weights must be an n x n matrix S[post, pre] ({n} x {n}); got shape {np.shape(weights)}")
    if noise_values is not None:
        n_ms = int(round(duration * 1000))
        if noise != "held":
            raise UsageError("noise_values are held for 1 ms each: they need noise='held'")
        if np.ndim(noise_values) != 2 or np.shape(noise_values)[1] != n or np.shape(noise_values)[0] < n_ms:
            raise UsageError(f"noise_values must have shape (n_ms, n) = ({n_ms}, {n}) or more rows; "
                             f"got {np.shape(noise_values)}")
    return float(dt_ms)
