"""One conversion to strict JSON values, shared by every result's ``to_dict()``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Convert numpy scalars and arrays, tuples and mappings to plain JSON values.

    Parameters
    ----------
    value : object
        Anything found in a report: mappings, sequences, numpy arrays and
        scalars, str, None; objects with a ``to_dict()`` method become that
        dict, other objects their ``str()``.

    Returns
    -------
    object
        The same content as dicts, lists, str, int, float, bool and None;
        NaN and infinities become None (strict JSON has no such numbers).
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if callable(getattr(value, "to_dict", None)):  # e.g. a spectral estimator given as an argument
        return jsonable(value.to_dict())
    return str(value)
