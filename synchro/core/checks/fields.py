"""Checks of values read from files: every reader takes its numbers through these.

A damaged field then fails alike in every format: exit 4 with one line naming the field, the file and the fix,
never a numpy error from deep inside the analysis.
"""

from __future__ import annotations

import numpy as np

from ...errors import InvalidDataError

__all__ = ["EXACT_FLOAT_INTEGER", "number", "float_times", "whole_numbers", "interval_pairs"]

#: Largest integer every float64 holds exactly (2**53); beyond it, whole-number floats are rounded ids.
EXACT_FLOAT_INTEGER = 2**53


def number(value, name: str, source: str) -> float:
    """A single finite real number stored in a file (a bound, a rate), as float.

    Parameters
    ----------
    value : object
        What the file holds: a Python or numpy scalar, a 0-d or one-element
        array, or text (CSV header values, parsed here).
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    float

    Raises
    ------
    InvalidDataError
        Text that is not a number, an array of several values, a boolean,
        complex or non-finite value.
    """
    if isinstance(value, str | bytes):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        try:
            out = float(text)
        except ValueError:
            raise InvalidDataError(f"{source}: {name} must be a number; got {text[:40]!r}, write a plain number "
                                   "such as 10.5") from None
    else:
        arr = np.asarray(value)
        if arr.size != 1:
            raise InvalidDataError(f"{source}: {name} must be a single number; got {arr.size} values "
                                   f"(shape {arr.shape}), store one value")
        if arr.dtype.kind not in "iuf":
            shown = arr.reshape(-1)[0]
            shown = shown.item() if isinstance(shown, np.generic) and arr.dtype.kind != "V" else shown
            raise InvalidDataError(f"{source}: {name} must be a number; got {shown!r} ({arr.dtype}), store it as a "
                                   "float")
        out = float(arr.reshape(-1)[0])
    if not np.isfinite(out):
        raise InvalidDataError(f"{source}: {name} must be a finite number; got {out}")
    return out


def _one_dimensional(values, name: str, source: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim > 1 and sum(n > 1 for n in arr.shape) > 1:
        raise InvalidDataError(f"{source}: {name} must be one-dimensional (one value per entry); got shape "
                               f"{arr.shape}, store it flat")
    return arr.reshape(-1)


def float_times(values, name: str, source: str) -> np.ndarray:
    """Times (or other per-spike reals) stored in a file, as one-dimensional float64.

    Integers are accepted (the time-unit check judges them); float16 is
    refused because it cannot hold spike times (its step is 8 ms at 10 s);
    text, booleans and complex numbers are refused rather than converted.

    Parameters
    ----------
    values : array_like
        The stored array; row or column vectors count as one-dimensional.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    ndarray of float64, shape (n,)

    Raises
    ------
    InvalidDataError
        Not numeric, float16 or smaller, or truly multi-dimensional.
    """
    arr = _one_dimensional(values, name, source)
    if arr.dtype.kind not in "iuf":
        raise InvalidDataError(f"{source}: {name} must hold numbers; found {arr.dtype} "
                               f"({_kind_name(arr.dtype)}), store them as float64")
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
        raise InvalidDataError(f"{source}: {name} are {arr.dtype}, which rounds times to milliseconds and worse "
                               "(8 ms steps at 10 s); store them as float64")
    return arr.astype(np.float64)


def whole_numbers(values, name: str, source: str, *, floats: bool = True) -> np.ndarray:
    """Integers stored in a file (unit ids, unit rows, ragged-array indices), exactly, as int64.

    Parameters
    ----------
    values : array_like
        The stored array.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.
    floats : bool, default True
        Accept floats holding whole numbers below 2**53 (which float64 holds
        exactly); False refuses any float (formats that require integers).

    Returns
    -------
    ndarray of int64, shape (n,)

    Raises
    ------
    InvalidDataError
        Non-numeric, fractional, beyond 64-bit integers, floats too large to
        be exact, or floats where ``floats`` is False.
    """
    arr = _one_dimensional(values, name, source)
    if arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise InvalidDataError(f"{source}: {name} holds values beyond 64-bit integers (up to {arr.max()}); "
                                   "renumber them below 9.2e18")
        return arr.astype(np.int64)
    if arr.dtype.kind != "f" or not floats:
        raise InvalidDataError(f"{source}: {name} must hold whole numbers stored as integers; found {arr.dtype} "
                               f"({_kind_name(arr.dtype)}), store them as int64")
    if not np.all(np.isfinite(arr)) or not np.all(np.mod(arr, 1) == 0):
        raise InvalidDataError(f"{source}: {name} must hold whole numbers (unit ids); found non-integers")
    if arr.size and np.abs(arr).max() >= 2.0**63:
        raise InvalidDataError(f"{source}: {name} holds values beyond 64-bit integers ({np.abs(arr).max():.3g}); "
                               "renumber them below 9.2e18")
    if arr.size and np.abs(arr).max() >= EXACT_FLOAT_INTEGER:
        raise InvalidDataError(f"{source}: {name} holds floats of 2**53 or more ({np.abs(arr).max():.3g}), "
                               "whose digits are rounded away, so distinct ids may merge; store them as 64-bit "
                               "integers (CSV: digits only, no decimal point or exponent)")
    return arr.astype(np.int64)


def interval_pairs(values, name: str, source: str) -> np.ndarray:
    """Observation intervals stored in a file, as float64 (k, 2): start and stop in each row.

    Parameters
    ----------
    values : array_like
        k x 2 array, or one (start, stop) pair.
    name : str
        The field, for the message.
    source : str
        The file's name, for the message.

    Returns
    -------
    ndarray of float64, shape (k, 2)

    Raises
    ------
    InvalidDataError
        Not numeric, not pairs, or not finite. (Start after stop is the
        recording's check, :class:`~synchro.errors.RecordingBoundsError`.)
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise InvalidDataError(f"{source}: {name} must hold numbers (seconds); found {arr.dtype}")
    if arr.shape == (2,):
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidDataError(f"{source}: {name} must be (start, stop) pairs, shape (k, 2); got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise InvalidDataError(f"{source}: {name} must be finite numbers of seconds; found NaN or infinity")
    return arr


def _kind_name(dtype: np.dtype) -> str:
    return {"U": "text", "S": "bytes", "b": "booleans", "c": "complex numbers", "O": "objects",
            "V": "raw or compound values", "M": "dates", "m": "time deltas", "f": "floats",
            "i": "integers", "u": "integers"}.get(dtype.kind, dtype.kind)
