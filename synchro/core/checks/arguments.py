"""Checks of the arguments analyses and readers take, so each problem has one message everywhere.

Not imported by :mod:`synchro.core.checks` itself: these checks know :class:`~synchro.core.SpikeData`, which
the data checks there are part of.
"""

from __future__ import annotations

import numpy as np

from ...errors import NothingToAnalyseError, UsageError
from ..spikes import SpikeData

__all__ = ["require_spikes", "positive_seconds", "integer_at_least", "check_quality", "QUALITY_CHOICES"]

#: Curation filters a reader takes: leave out units labelled noise, or keep all (None).
QUALITY_CHOICES = ("exclude-noise", None)


def require_spikes(data, min_units: int = 1) -> SpikeData:
    """Check that ``data`` is a SpikeData with at least ``min_units`` units.

    Parameters
    ----------
    data : object
        What the caller passed as spike data.
    min_units : int, default 1
        Fewest units the measure needs.

    Returns
    -------
    SpikeData
        ``data``, unchanged.

    Raises
    ------
    TypeError
        Not a SpikeData (a programming error, as in :class:`~synchro.core.Recording`).
    NothingToAnalyseError
        Fewer than ``min_units`` units.
    """
    if not isinstance(data, SpikeData):
        raise TypeError(f"expected a SpikeData, not {type(data).__name__}; read files with synchro.io.read or "
                        "build one with SpikeData.from_trains")
    if data.n_units < min_units:
        raise NothingToAnalyseError(f"{data.n_units} units; this measure needs at least {min_units}")
    return data


def positive_seconds(name: str, value) -> float:
    """Check a duration parameter.

    Parameters
    ----------
    name : str
        Parameter name, for the message.
    value : float
        Value in seconds.

    Returns
    -------
    float

    Raises
    ------
    UsageError
        Not a finite positive number.
    """
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise UsageError(f"{name} must be a positive number of seconds; got {value!r}")
    return value


def integer_at_least(name: str, value, minimum: int) -> int:
    """Check a count parameter (bool is refused, numpy integers accepted).

    Parameters
    ----------
    name : str
        Parameter name, for the message.
    value : int
        The count.
    minimum : int
        Smallest allowed value.

    Returns
    -------
    int

    Raises
    ------
    UsageError
        Not an integer, or below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise UsageError(f"{name} must be {wanted}; got {value!r}")
    return int(value)


def check_quality(quality) -> None:
    """Check a reader's curation filter.

    Parameters
    ----------
    quality : {"exclude-noise", None}
        The value given.

    Raises
    ------
    UsageError
        Any other value.
    """
    if quality not in QUALITY_CHOICES:
        raise UsageError(f"quality must be 'exclude-noise' or None; got {quality!r}")
