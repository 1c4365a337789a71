"""Progress on stderr: the one mechanism (tqdm) for every long step in the CLI, the simulations and the sweeps.

Bars appear only after :data:`DELAY` seconds, so quick runs stay silent, and they vanish when done
(``leave=False``): the report, not the terminal, keeps the timings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext

__all__ = ["DELAY", "progress_bar", "step_progress"]

DELAY = 1.0
"""Seconds a step must run before its bar is drawn."""


def progress_bar(total: float | None = None, *, desc: str, unit: str = "it", enabled: bool = True,
                 initial: float = 0, bar_format: str | None = None):
    """A tqdm bar on stderr, drawn after :data:`DELAY` seconds and removed when closed.

    Parameters
    ----------
    total : float, optional
        Amount of work (in ``unit``); None when unknown (the bar then counts).
    desc : str
        What is running ("simulating", "sweep").
    unit : str, default "it"
        Unit of ``total`` ("s" of simulated time, "point", "step").
    enabled : bool, default True
        False gives a disabled bar that draws nothing but still accepts updates.
    initial : float, default 0
        Work already done (a resumed sweep).
    bar_format : str, optional
        tqdm's ``bar_format``.

    Returns
    -------
    tqdm.tqdm
        The bar; close it (or use it as a context manager) when the work ends.
    """
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=not enabled, leave=False,
                file=sys.stderr, delay=DELAY, bar_format=bar_format)


def step_progress(enabled: bool) -> Callable[[str], AbstractContextManager]:
    """``progress(step_name)`` context managers that advance one bar named after the running step.

    This is the form :func:`synchro.report.build_report` takes: it wraps each analysis step in
    ``with progress(name):``.

    Parameters
    ----------
    enabled : bool
        False gives context managers that do nothing.

    Returns
    -------
    callable
        ``progress(name)``, a context manager per step. Its attribute ``close()`` removes the bar.
    """
    if not enabled:
        def silent(_name: str) -> AbstractContextManager:
            return nullcontext()

        silent.close = lambda: None
        return silent
    bar = progress_bar(desc="synchro", unit="step")

    @contextmanager
    def step(name: str):
        # Redraw only a bar already shown: tqdm's refresh() would draw it before DELAY.
        bar.set_description_str(name, refresh=bar.format_dict["elapsed"] >= DELAY)
        try:
            yield
        finally:
            bar.update(1)

    step.close = bar.close
    return step
