"""One entry point for the command line, and the hand-over of simulations to NWB and Neo."""

from __future__ import annotations

import inspect

from synchro.core import Recording
from synchro.errors import UsageError

from .izhikevich2003 import izhikevich2003
from .izhikevich2007 import izhikevich2007

__all__ = ["MODELS", "simulate", "to_nwb", "to_neo"]

MODELS = {"izhikevich2003": izhikevich2003, "izhikevich2007": izhikevich2007}


def simulate(model: str, *, dt_ms: float | None = None, scheme: str | None = None, duration: float = 1.0,
             n: int | None = None, p: float | None = None, seed: int = 0, progress: bool = False,
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
    seed : int, default 0
        Seed of every random draw; the same seed gives identical spikes.
    progress : bool, default False
        Draw a progress bar on stderr (Brian2's ``report`` hook).
    **options
        Further keyword options of the model function (noise, synapse,
        psc_location, tsodyks_markram, codegen, record_v, ...).

    Returns
    -------
    Recording
    """
    try:
        run = MODELS[model]
    except KeyError:
        raise UsageError(f"model must be one of {list(MODELS)}; got {model!r}") from None
    given = {"dt_ms": dt_ms, "scheme": scheme, "n": n, "p": p}
    kwargs = {k: v for k, v in given.items() if v is not None} | options
    accepted = inspect.signature(run).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise UsageError(f"{model} does not take option(s) {unknown}; it takes {sorted(accepted)}")
    return run(duration=duration, seed=seed, progress=progress, **kwargs)


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
