"""Where things are in an NWB file: synchro's stored metadata, typed objects found with h5py, text attributes."""

from __future__ import annotations

import numpy as np

__all__ = ["METADATA_PATH", "VOLT_SCALE", "text_attr", "as_text", "typed_objects", "chosen_path"]

#: Where :func:`~synchro.io.write_nwb` stores the recording's metadata, bounds and signal channel tables (JSON).
METADATA_PATH = "scratch/synchro_metadata"

#: Factor to volts of each unit name NWB writers use for voltages.
VOLT_SCALE = {"V": 1.0, "volts": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}


def text_attr(obj, name: str) -> str | None:
    """A text attribute (neurodata_type, unit), or None when absent or not text (a damaged file).

    Parameters
    ----------
    obj : h5py.File, h5py.Group or h5py.Dataset
        The object whose attribute to read.
    name : str
        The attribute's name.

    Returns
    -------
    str or None
        The value as str (bytes decoded as UTF-8, undecodable bytes
        replaced); None when the attribute is absent or not text.
    """
    v = obj.attrs.get(name)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return str(v) if isinstance(v, str) else None


def as_text(v) -> str:
    """An HDF5 string value (bytes or str) as str.

    Parameters
    ----------
    v : bytes or str or object
        The value read from the file.

    Returns
    -------
    str
        Bytes decoded as UTF-8; anything else through ``str()``.

    Raises
    ------
    UnicodeDecodeError
        Bytes that are not valid UTF-8.
    """
    return v.decode() if isinstance(v, bytes) else str(v)


def typed_objects(f) -> dict[str, str]:
    """Path -> neurodata_type of every typed group or dataset in the file.

    Parameters
    ----------
    f : h5py.File or h5py.Group
        The open file (or a group, to search below it).

    Returns
    -------
    dict of str to str
        For every group or dataset below ``f`` with a text
        ``neurodata_type`` attribute, its path relative to ``f`` (no
        leading slash) and that type.
    """
    found: dict[str, str] = {}

    def visit(name, obj):
        t = text_attr(obj, "neurodata_type")
        if t is not None:
            found[name] = t

    f.visititems(visit)
    return found


def chosen_path(choice, candidates: list[str], error, what: str, source: str) -> str:
    """The path ``choice`` names among ``candidates`` (leading slash optional), or ``error`` naming them all.

    Parameters
    ----------
    choice : str
        The path the user gave (``--units``, ``--lfp``).
    candidates : list of str
        Paths of the objects of the right type in the file, without leading
        slash.
    error : type
        Exception class to raise when ``choice`` is not among them.
    what : str
        What the candidates are, for the message ("Units table").
    source : str
        The file's name, for the message.

    Returns
    -------
    str
        ``choice`` without leading or trailing slashes: one of
        ``candidates``.

    Raises
    ------
    error
        ``choice`` names none of ``candidates``; the message lists them.
    """
    # A name the file does not hold is a wrong option (exit 2), for --units and --lfp alike.
    key = str(choice).strip("/")
    if key not in candidates:
        raise error(f"{source} has no {what} at {choice!r}; it holds {['/' + c for c in candidates] or 'none'}")
    return key

