"""Brian2 plumbing shared by the reference networks.

Code-generation target, seeding, progress reporting, the field-proxy probe,
the Brian2 code of the short-term plasticity option (:mod:`sims.options`); monitors become a
:class:`synchro.Recording` through :func:`synchro.io.from_brian`, synchro's
one Brian2 converter. brian2 is imported inside the
functions so that importing :mod:`sims` stays cheap.
"""

from __future__ import annotations

import time

import numpy as np

from synchro.core import Recording, Signal
from synchro.errors import UsageError
from synchro.io import from_brian
from synchro.progress import progress_bar
from synchro.surrogates import seeded_rng

from .options import TsodyksMarkram

__all__ = ["CODEGEN_TARGETS"]

CODEGEN_TARGETS = ("numpy", "cython", "auto")


def tm_synapse_code(tm: TsodyksMarkram | None) -> tuple[str, str, dict]:
    """Model lines, on-spike statements (defining ``r``) and namespace of the plasticity option.

    Without plasticity ``r = 1``, so callers write their pathway once as a
    function of ``r``.
    """
    from brian2 import second

    if tm is None:
        return "", "r = 1.0", {}
    model = """
    dx_tm/dt = (1 - x_tm) / tau_d : 1 (event-driven)
    du_tm/dt = -u_tm / tau_f : 1 (event-driven)
    """
    on_pre = "u_tm += U_tm * (1 - u_tm)\nr = u_tm * x_tm\nx_tm -= r"
    return model, on_pre, {"tau_d": tm.tau_d * second, "tau_f": tm.tau_f * second, "U_tm": tm.U}


def init_tm(synapses, tm: TsodyksMarkram | None) -> None:
    """Start every synapse with full resources and no facilitation."""
    if tm is not None:
        synapses.x_tm = 1.0
        synapses.u_tm = 0.0


def run_seed(rng) -> int:
    """The int seed a run is drawn from, to be recorded in its metadata: ``rng=seed`` repeats the run.

    An int is the seed; a numpy Generator gives one draw (below 2**53, so JSON readers keep it exact); None draws
    a fresh seed. Simulations seed numpy and Brian2 from this int, not from the Generator itself, so the recorded
    int alone reproduces the run.
    """
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**53))
    return seeded_rng(rng)[1]


def configure(codegen: str, brian_seed: int, dt_ms: float) -> str:
    """Select the code-generation target and time step, seed Brian2's generator, return the target used.

    ``"auto"`` picks cython when a compiler works (Brian2 then reuses its
    per-user cache of compiled code across runs), else numpy. Brian2's
    runtime ``seed`` also seeds numpy's global generator.
    """
    import brian2

    if codegen not in CODEGEN_TARGETS:
        raise UsageError(f"codegen must be one of {list(CODEGEN_TARGETS)}; got {codegen!r}")
    target = codegen
    if codegen == "auto":
        from brian2.codegen.runtime.cython_rt.cython_rt import CythonCodeObject

        target = "cython" if CythonCodeObject.is_available() else "numpy"
    brian2.prefs.codegen.target = target
    brian2.defaultclock.dt = dt_ms * brian2.ms
    brian2.seed(brian_seed)
    return target


def held_noise(group, sigma: np.ndarray, *, noise_values: np.ndarray | None, rng: np.random.Generator):
    """A NetworkOperation setting ``group.I_noise`` once per ms, at the start of the step, and holding it.

    The values are ``sigma * z`` with ``z`` standard normal from ``rng`` (net.m's ``randn``, drawn once per ms),
    or row k of ``noise_values`` in ms k. Drawing with numpy's Generator into the neurons' own array gives the
    same noise for every code-generation target, and costs less than Brian2's ``randn()`` in cython (numpy's
    legacy generator through a buffer; ``benchmarks/sims_timings.md``).
    """
    from brian2 import NetworkOperation, ms

    values = group.variables["I_noise"].get_value()  # the array Brian2 reads, written in place
    if noise_values is not None:
        rows = iter(np.asarray(noise_values, dtype=np.float64))

        def fill():
            values[:] = next(rows)
    else:
        sigma = np.asarray(sigma, dtype=np.float64)

        def fill():
            rng.standard_normal(out=values)
            np.multiply(values, sigma, out=values)

    # NetworkOperation, not network_operation(fill, dt=...): that decorator drops keywords given with a function.
    # At 1 ms steps it shares the group's clock: a network with a single clock runs a faster loop.
    if abs(float(group.clock.dt_) - 1e-3) < 1e-12:
        return NetworkOperation(fill, clock=group.clock, when="start", name="held_noise")
    return NetworkOperation(fill, dt=1 * ms, when="start", name="held_noise")


def progress_reporter(enabled: bool, duration: float):
    """A ``report=`` callback for ``Network.run`` drawing synchro's progress bar of simulated seconds, or None.

    Brian2 calls it every report period and at the end, with the fraction completed; the bar is drawn only once
    the run has lasted :data:`synchro.progress.DELAY`, so quick runs stay silent.
    """
    if not enabled:
        return None
    bar = progress_bar(duration, desc="simulating", unit="s",
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:g} s [{elapsed}<{remaining}]")

    def report(elapsed, completed, start, run_duration):
        bar.n = float(completed) * duration
        if bar.format_dict["elapsed"] >= bar.delay:
            bar.refresh()
        if completed >= 1:
            bar.close()

    return report


def run(net, duration: float, progress: bool) -> float:
    """Run ``net`` for ``duration`` seconds, reporting progress once a second if asked; return the wall time (s)."""
    from brian2 import second

    start = time.perf_counter()
    net.run(duration * second, report=progress_reporter(progress, duration), report_period=1 * second, namespace={})
    return time.perf_counter() - start


def check_record_v(record_v, n: int) -> np.ndarray:
    """The neurons whose v is recorded, as int64, or UsageError when one does not exist."""
    ids = np.asarray(record_v, dtype=np.int64).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise UsageError(f"record_v must hold neuron indices in 0..{n - 1}; got {ids.min()}..{ids.max()}")
    return ids


def record_dt_ms(dt_ms: float) -> float:
    """Sampling step of recorded signals: 1 ms when it is a whole number of steps, else the step."""
    steps = 1.0 / dt_ms
    return 1.0 if abs(steps - round(steps)) < 1e-9 else dt_ms


def field_probe(group, n_exc: int, current_unit: str):
    """Objects recording the field proxy: sum over excitatory cells of ``|I_exc| + |I_inh|``.

    One probe neuron sums the currents through a summed variable, computed
    every step before the neurons' update, i.e. the currents at the start of
    the step (for net.m: the input of the previous 1 ms step); its monitor
    records every step. :func:`field_signal` averages the steps of each
    sampling interval, so the proxy conserves the charge of brief inputs
    (delta synapses).

    References
    ----------
    Mazzoni A, Panzeri S, Logothetis NK, Brunel N (2008). Encoding of
    naturalistic stimuli by local field potential spectra in networks of
    excitatory and inhibitory neurons. PLoS Comput Biol 4:e1000239.
    """
    from brian2 import NeuronGroup, StateMonitor, Synapses

    probe = NeuronGroup(1, f"field : {current_unit}", name="field_probe")
    collect = Synapses(group[:n_exc], probe,
                       f"field_post = abs(I_exc_pre) + abs(I_inh_pre) : {current_unit} (summed)", name="field_collect")
    collect.connect()
    monitor = StateMonitor(probe, "field", record=0, when="end", name="field_monitor")
    return [probe, collect, monitor]


def monitor_signal(monitor, variable: str, *, units: str, scale: float = 1.0) -> Signal:
    """One recorded variable of a StateMonitor as a Signal, one channel per recorded neuron."""
    ids = np.asarray(monitor.record, dtype=np.int64)
    data = np.asarray(getattr(monitor, variable + "_"), dtype=np.float64).T * scale
    return Signal(data, 1.0 / float(monitor.clock.dt_), units=units, name=variable,
                  channels={"name": np.array([f"unit{i}" for i in ids], dtype=object), "unit_id": ids})


def run_and_record(objects, group, *, n_exc: int, record_v: np.ndarray, slow: bool, dt_ms: float, duration: float,
                   progress: bool, current_unit: str, v_scale: float = 1.0) -> tuple:
    """Add the monitors to ``objects``, run, return (spike monitor, signals by name, wall time of the run in s)."""
    from brian2 import Network, SpikeMonitor, StateMonitor, ms

    record_ms = record_dt_ms(dt_ms)
    spikes = SpikeMonitor(group, name="spikes")
    probe = field_probe(group, n_exc, current_unit)
    monitors = {}
    if record_v.size:
        monitors["v"] = StateMonitor(group, "v", record=record_v, dt=record_ms * ms, name="v_monitor")
    if slow:
        monitors["X"] = StateMonitor(group, "X", record=True, dt=record_ms * ms, name="X_monitor")
    run_seconds = run(Network(*objects, spikes, *probe, *monitors.values()), duration, progress)
    # Currents are mV/ms: net.m's numbers, or Brian2's volt/second, which is numerically the same.
    signals = {"field_proxy": field_signal(probe[-1], "mV/ms", record_ms=record_ms)}
    if record_v.size:
        signals["v"] = monitor_signal(monitors["v"], "v", units="mV", scale=v_scale)
    if slow:
        signals["X"] = monitor_signal(monitors["X"], "X", units="")
    return spikes, signals, run_seconds


def network_recording(spike_monitor, *, n_exc: int, params: dict, duration: float, signals: dict,
                      metadata: dict) -> Recording:
    """A network's Recording through synchro's one Brian2 converter: every neuron a unit (silent ones kept), the
    first ``n_exc`` labelled exc, the rest inh, with their model parameters as unit columns, and the signals."""
    n = len(spike_monitor.source)
    population = np.array(["exc"] * n_exc + ["inh"] * (n - n_exc), dtype=object)
    columns = {"label": np.array([f"{p}{i}" for i, p in enumerate(population)], dtype=object),
               **{k: np.asarray(v, dtype=np.float64) for k, v in params.items()}}
    return from_brian(spike_monitor, t_stop=duration, populations=population, unit_columns=columns, signals=signals,
                      metadata=metadata)


def check_network(*, n, duration: float, p: float, dt_ms: float | None) -> None:
    """Reject network sizes, durations, connection probabilities and time steps that cannot run."""
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise UsageError(f"n must be an integer number of neurons >= 2; got {n!r}")
    if not duration > 0:
        raise UsageError(f"duration must be a positive number of seconds; got {duration}")
    if not 0 < p <= 1:
        raise UsageError(f"p must be a connection probability in (0, 1]; got {p}")
    if dt_ms is not None and not dt_ms > 0:
        raise UsageError(f"dt_ms must be a positive number of ms; got {dt_ms}")


def field_signal(monitor, units: str, *, record_ms: float) -> Signal:
    """The probe's recording as the Signal ``"field_proxy"``, averaged over each ``record_ms``."""
    data = np.asarray(monitor.field_[0], dtype=np.float64)
    per_sample = int(round(record_ms / (float(monitor.clock.dt_) * 1000)))
    data = data[: data.size // per_sample * per_sample].reshape(-1, per_sample).mean(axis=1)
    return Signal(data, 1000.0 / record_ms, units=units, name="field_proxy",
                  channels={"name": np.array(["field_proxy"], dtype=object)},
                  metadata={"definition": "sum over excitatory cells of |I_exc| + |I_inh| (Mazzoni et al. 2008) "
                            "at the start of each step (net.m: the previous step's input), mean over each sample's "
                            "steps"})


def brian2_version() -> str:
    """Version of the installed brian2."""
    import brian2

    return brian2.__version__
