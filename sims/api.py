"""One entry point for the command line, and the hand-over of simulations to NWB and Neo."""

from __future__ import annotations

import inspect

from synchro.core import Recording
from synchro.errors import UsageError

from .izhikevich2003 import check_options as check_2003
from .izhikevich2003 import izhikevich2003
from .izhikevich2007 import check_options as check_2007
from .izhikevich2007 import izhikevich2007

__all__ = ["MODELS", "simulate", "check_simulation", "to_nwb", "to_neo"]

MODELS = {"izhikevich2003": izhikevich2003, "izhikevich2007": izhikevich2007}

# Each model's option checks, which run before it builds anything (so they cost microseconds).
_CHECKS = {"izhikevich2003": check_2003, "izhikevich2007": check_2007}


def simulate(model: str, *, dt_ms: float | None = None, scheme: str | None = None, duration: float = 1.0,
             n: int | None = None, p: float | None = None, rng=0, progress: bool = False,
             **options) -> Recording:
    """Run a reference network and return its Recording.

    Parameters
    ----------
    model : {"izhikevich2003", "izhikevich2007"}
        Which network (:func:`sims.izhikevich2003`, :func:`sims.izhikevich2007`).
    dt_ms, scheme, n, p : optional
        Time step (ms), integration scheme, number of neurons and connection
        probability; None keeps the model's published default.
    duration : float, default 1.0
        Simulated time in seconds.
    rng : int, numpy.random.Generator or None, default 0
        Random source of every draw: an int seed, or a Generator (or None,
        fresh entropy) from which one int seed is drawn; the seed is recorded
        as metadata ``"seed"`` and the same seed gives identical spikes.
    progress : bool, default False
        Draw a progress bar on stderr (Brian2's ``report`` hook).
    **options
        Further keyword options of the model function (noise, synapse,
        psc_location, tsodyks_markram, codegen, record_v, ...).

    Returns
    -------
    Recording
    """
    run, kwargs = _model_options(model, dict(dt_ms=dt_ms, scheme=scheme, n=n, p=p, **options))
    return run(duration=duration, rng=rng, progress=progress, **kwargs)


def check_simulation(model: str, **params) -> None:
    """Raise the :class:`~synchro.errors.UsageError` that :func:`simulate` would raise for ``params``, at once.

    Parameters
    ----------
    model : str
        Model name (see :data:`MODELS`).
    **params
        Keyword arguments of :func:`simulate` (``dt_ms``, ``scheme``,
        ``duration``, ``n``, ...); nothing is simulated.

    Raises
    ------
    UsageError
        Unknown model or option, or an option value the model refuses
        (a time step that is not positive, a pulse synapse with a time step
        that does not divide 1 ms, ...).
    """
    run, kwargs = _model_options(model, {k: v for k, v in params.items() if k != "progress"})
    bound = inspect.signature(run).bind(**kwargs)
    bound.apply_defaults()
    check = _CHECKS[model]
    check(**{k: bound.arguments[k] for k in inspect.signature(check).parameters})


def _model_options(model: str, options: dict):
    """The model's function and the options it is given (None meaning its default), unknown ones refused."""
    try:
        run = MODELS[model]
    except KeyError:
        raise UsageError(f"model must be one of {list(MODELS)}; got {model!r}") from None
    kwargs = {k: v for k, v in options.items() if v is not None or k not in ("dt_ms", "scheme", "n", "p")}
    accepted = inspect.signature(run).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise UsageError(f"{model} does not take option(s) {unknown}; it takes {sorted(accepted)}")
    return run, kwargs


def to_nwb(recording: Recording, path, **kwargs):
    """Write a simulation's Recording to NWB (delegates to :func:`synchro.io.write_nwb`).

    Parameters
    ----------
    recording : Recording
        The simulation output to write.
    path : str or Path
        Output ``.nwb`` file.
    **kwargs
        Passed to :func:`synchro.io.write_nwb` (``overwrite``,
        ``session_description``, ``identifier``, ``session_start_time``).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from synchro.io import write_nwb

    return write_nwb(recording, path, **kwargs)


def to_neo(recording: Recording):
    """Convert a simulation's Recording to a neo Block (delegates to :func:`synchro.io.to_neo`).

    Parameters
    ----------
    recording : Recording
        The simulation output to convert.

    Returns
    -------
    neo.Block
        One Segment with a SpikeTrain per unit (seconds) and an AnalogSignal
        per signal; see :func:`synchro.io.to_neo`.
    """
    from synchro.io import to_neo as convert

    return convert(recording)
