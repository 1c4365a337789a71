"""What every analysis result shares: ``to_dict()`` as plain JSON values, by one conversion.

:func:`jsonable` is the one conversion to JSON values, used by every result's ``to_dict()`` and by every JSON
file synchro writes; :class:`Result` is the base of the frozen result dataclasses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, ClassVar

import numpy as np

__all__ = ["Result", "jsonable"]


def jsonable(value: Any, *, allow_nan: bool = False) -> Any:
    """Convert numpy scalars and arrays, tuples and mappings to plain JSON values.

    Parameters
    ----------
    value : object
        Anything found in a report: mappings, sequences, numpy arrays and
        scalars, str, None; objects with a ``to_dict()`` method become that
        dict, other objects their ``str()``.
    allow_nan : bool, default False
        Keep NaN and infinities as floats (for files synchro reads back,
        written as Python's ``json`` writes them); by default they become
        None, as strict JSON has no such numbers.

    Returns
    -------
    object
        The same content as dicts, lists, str, int, float, bool and None.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, allow_nan=allow_nan) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), allow_nan=allow_nan)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, allow_nan=allow_nan) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if allow_nan or math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if callable(getattr(value, "to_dict", None)):  # e.g. a spectral estimator given as an argument
        return jsonable(value.to_dict(), allow_nan=allow_nan)
    return str(value)


class Result:
    """Shared ``to_dict`` of the frozen result dataclasses (NaN becomes None)."""

    analysis: ClassVar[str]

    def to_dict(self) -> dict:
        """Analysis name, parameters and values as plain JSON types (NaN and inf as None).

        Returns
        -------
        dict
            ``{"analysis": name, <field>: value, ...}`` for every dataclass field, through :func:`jsonable`.
        """
        return jsonable({"analysis": self.analysis, **{f.name: getattr(self, f.name) for f in fields(self)}})
