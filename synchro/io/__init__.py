"""Readers and writers: NWB, Neo, Brian2, NPZ and CSV in, :class:`~synchro.core.Recording` out.

Every reader validates its input in one place (:mod:`synchro.io._checks`)
and raises a specific :mod:`synchro.errors` exception whose one-line
message names the problem and the fix; recoverable oddities (unsorted
times, spikes outside observation intervals, empty units, an LFP that does
not overlap the spikes) are repaired and reported as
:class:`~synchro.errors.SynchroWarning`. Inputs are never modified; outputs
are written to a temporary file in the target folder and moved into place.
pynwb, neo and brian2 are imported only inside the functions that need them.
"""

from __future__ import annotations

from pathlib import Path

from ..core import Recording
from ..errors import UnreadableInputError, UsageError
from ._checks import check_input_path
from .arrays import read_csv, read_npz, write_csv, write_npz
from .brian import from_brian
from .neo import from_neo, to_neo
from .nwb import read_nwb, write_nwb

__all__ = ["read", "read_nwb", "write_nwb", "read_npz", "write_npz", "read_csv", "write_csv", "from_neo", "to_neo",
           "from_brian", "example_path", "SUPPORTED_SUFFIXES"]

#: File suffixes :func:`read` understands.
SUPPORTED_SUFFIXES = (".nwb", ".h5", ".hdf5", ".npz", ".csv")

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"


def read(path, *, units=None, lfp="auto", time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
         quality="exclude-noise") -> Recording:
    """Read a recording from an NWB, NPZ or CSV file, chosen by suffix and checked by magic bytes.

    Parameters
    ----------
    path : str or Path
        Input file (``.nwb``/``.h5``/``.hdf5``, ``.npz`` or ``.csv``); never
        modified.
    units : str, optional
        NWB only: path of the Units table when the file holds several.
    lfp : "auto", str or None, default "auto"
        NWB only: which ElectricalSeries to read as the LFP (see
        :func:`read_nwb`).
    time_unit : {"s", "ms", "us", "samples"}, optional
        Unit of the stored spike times; by default seconds, and times that
        look like samples or milliseconds raise
        :class:`~synchro.errors.TimeUnitError`.
    sampling_rate : float, optional
        Hz, with ``time_unit="samples"``.
    t_start, t_stop : float, optional
        Recording bounds, overriding those stored in the file.
    quality : {"exclude-noise", None}, default "exclude-noise"
        Leave out units labelled noise in a curation column; the count is
        in ``recording.metadata["curation"]``. None keeps every unit.

    Returns
    -------
    Recording

    Raises
    ------
    InputNotFoundError
        The path does not exist.
    UnreadableInputError
        A directory, an unsupported suffix, or a file that is not what its
        suffix says.
    """
    p = check_input_path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableInputError(f"{p.name}: unsupported file type {suffix or '(no suffix)'!r}; synchro reads "
                                   f"{', '.join(SUPPORTED_SUFFIXES)} (convert other formats with neo, then "
                                   "synchro.io.from_neo)")
    common = dict(time_unit=time_unit, sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop, quality=quality)
    if suffix in (".npz", ".csv") and units is not None:
        raise UsageError(f"units= picks a Units table in NWB files; {p.name} is {suffix[1:].upper()}")
    with open(p, "rb") as f:
        head = f.read(8)
    if suffix == ".npz":
        if not head.startswith(_ZIP_MAGIC) and head:
            raise UnreadableInputError(f"{p.name} is not an .npz archive (no zip signature); write it with numpy.savez")
        return read_npz(p, **common)
    if suffix == ".csv":
        if head.startswith((_HDF5_MAGIC, _ZIP_MAGIC)):
            raise UnreadableInputError(f"{p.name} is a binary file, not CSV text; give it its real suffix")
        return read_csv(p, **common)
    return read_nwb(p, units=units, lfp=lfp, **common)


def example_path() -> Path:
    """Path of the bundled example: 2 s of the Izhikevich (2003) network, 1000 neurons.

    Returns
    -------
    pathlib.Path
        Absolute path of the bundled NPZ file (read it with :func:`read`).
    """
    return Path(__file__).resolve().parent.parent / "data" / "izhikevich2003_2s.npz"
