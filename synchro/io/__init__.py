"""Readers and writers: NWB, NPZ, CSV/TSV, Phy/Kilosort folders, Neo, pynapple, SpikeInterface and Brian2 in,
:class:`~synchro.core.Recording` out; NWB also from an HTTP(S) URL, read in parts (:mod:`synchro.io.remote`).

Every reader validates its input in one place (:mod:`synchro.io.assembly`, its
values through :mod:`synchro.core.checks`) and raises a specific :mod:`synchro.errors` exception whose one-line
message names the problem and the fix; recoverable oddities (unsorted
times, spikes outside observation intervals, empty units, an LFP that does
not overlap the spikes) are repaired and reported as
:class:`~synchro.errors.SynchroWarning`. Inputs are never modified; outputs
are written to a temporary file in the target folder and moved into place.
pynwb, neo, pynapple, spikeinterface, brian2 and remfile are imported only inside the functions that need them.
"""

from __future__ import annotations

from pathlib import Path

from ..core import Recording
from ..errors import UnreadableInputError, UsageError
from .arrays import csv_columns, read_csv, read_npz, write_csv, write_npz
from .brian import from_brian
from .files import HDF5_SIGNATURE, check_input_path
from .neo import from_neo, to_neo
from .nwb import read_nwb, write_nwb
from .phy import is_phy_folder, phy_files, read_phy
from .pynapple import from_pynapple, to_pynapple
from .remote import RemoteFile, is_url, url_name
from .spikeinterface import from_spikeinterface

__all__ = ["read", "read_nwb", "write_nwb", "read_npz", "write_npz", "read_csv", "write_csv", "csv_columns", "read_phy",
           "from_neo", "to_neo", "from_pynapple", "to_pynapple", "from_spikeinterface", "from_brian", "example_path",
           "source_files", "source_name", "is_url", "RemoteFile", "SUPPORTED_SUFFIXES"]

#: File suffixes :func:`read` understands (besides Phy/Kilosort folders).
SUPPORTED_SUFFIXES = (".nwb", ".h5", ".hdf5", ".npz", ".csv", ".tsv")

_ZIP_MAGIC = b"PK\x03\x04"


def read(path, *, units=None, lfp="auto", time_unit=None, sampling_rate=None, t_start=None, t_stop=None,
         quality="exclude-noise", columns=None) -> Recording:
    """Read a recording from an NWB, NPZ, CSV or TSV file (chosen by suffix, checked by magic bytes) or a
    Phy/Kilosort output folder.

    Parameters
    ----------
    path : str or Path
        Input file (``.nwb``/``.h5``/``.hdf5``, ``.npz``, ``.csv`` or
        ``.tsv``), a folder holding ``spike_times.npy`` (read with
        :func:`read_phy`), or the ``http://`` or ``https://`` URL of an NWB
        file (read in parts, only what is needed, without downloading it;
        see :func:`read_nwb`); never modified.
    units : str, optional
        NWB only: path of the Units table when the file holds several.
    lfp : "auto", str or None, default "auto"
        NWB only: which ElectricalSeries to read as the LFP (see
        :func:`read_nwb`).
    time_unit : {"s", "ms", "us", "samples"}, optional
        Unit of the stored spike times; by default seconds, and times that
        look like samples or milliseconds raise
        :class:`~synchro.errors.TimeUnitError`. Phy folders store samples
        and their rate, so take none.
    sampling_rate : float, optional
        Hz, with ``time_unit="samples"``; for a Phy folder it overrides
        ``params.py``.
    columns : mapping or str, optional
        CSV/TSV only: the file's names for the unit and time columns (see
        :func:`read_csv`), e.g. ``{"unit": "cluster", "time": "time"}`` or
        ``"unit=cluster,time=time"``.
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
        The path does not exist, or the server has no file at the URL.
    UnreadableInputError
        A directory, an unsupported suffix, or a file that is not what its
        suffix says; a URL that cannot be reached, that is not http or
        https, or whose server ignores HTTP ``Range`` requests.
    MissingDependencyError
        A URL was given and remfile is not installed (``pip install
        "synchro[remote]"``).

    Examples
    --------
    An NWB file on a server (DANDI, S3, a lab's web server), read without
    downloading it; ``lfp=None`` leaves its LFP unread:

    >>> rec = synchro.io.read("https://dandiarchive.s3.amazonaws.com/blobs/.../file.nwb",
    ...                       lfp=None)  # doctest: +SKIP
    >>> rec.metadata["bytes_read"], rec.metadata["bytes"]  # doctest: +SKIP
    """
    if is_url(path):
        return _read_url(path, units=units, lfp=lfp, columns=columns, time_unit=time_unit,
                         sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop, quality=quality)
    if Path(path).is_dir():
        return _read_folder(Path(path), units=units, lfp=lfp, time_unit=time_unit, columns=columns,
                            sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop, quality=quality)
    p = check_input_path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableInputError(f"{p.name}: unsupported file type {suffix or '(no suffix)'!r}; synchro reads "
                                   f"{', '.join(SUPPORTED_SUFFIXES)} and Phy/Kilosort folders (convert other formats "
                                   "with neo, then synchro.io.from_neo)")
    common = dict(time_unit=time_unit, sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop, quality=quality)
    if suffix in (".npz", ".csv", ".tsv") and units is not None:
        raise UsageError(f"units= picks a Units table in NWB files; {p.name} is {suffix[1:].upper()}")
    if columns is not None and suffix not in (".csv", ".tsv"):
        raise UsageError(f"columns= names the columns of CSV/TSV files; {p.name} is {suffix[1:].upper()}")
    with open(p, "rb") as f:
        head = f.read(8)
    if suffix == ".npz":
        if not head.startswith(_ZIP_MAGIC) and head:
            raise UnreadableInputError(f"{p.name} is not an .npz archive (no zip signature); write it with numpy.savez")
        return read_npz(p, **common)
    if suffix in (".csv", ".tsv"):
        if head.startswith((HDF5_SIGNATURE, _ZIP_MAGIC)):
            raise UnreadableInputError(f"{p.name} is a binary file, not {suffix[1:].upper()} text; give it its real "
                                       "suffix")
        return read_csv(p, columns=columns, **common)
    return read_nwb(p, units=units, lfp=lfp, **common)


def _read_url(url: str, *, columns, **options) -> Recording:
    suffix = Path(url_name(url)).suffix.lower()
    # Only HDF5 is laid out for reading in parts; any other suffix (or none: DANDI's download links) is tried as NWB.
    if suffix in (".npz", ".csv", ".tsv"):
        raise UnreadableInputError(f"{url}: synchro reads only NWB files from URLs; download the "
                                   f"{suffix[1:].upper()} file and give its local path")
    if columns is not None:
        raise UsageError(f"columns= names the columns of CSV/TSV files; {url} is read as NWB")
    return read_nwb(url, **options)


def _read_folder(p: Path, *, units, lfp, time_unit, columns, sampling_rate, t_start, t_stop, quality) -> Recording:
    if not is_phy_folder(p):
        raise UnreadableInputError(f"{p} is a directory without spike_times.npy (not a Phy/Kilosort output folder); "
                                   "give a file (.nwb, .npz, .csv, .tsv) or a sorter's output folder")
    given = {"units": units, "time_unit": time_unit, "columns": columns, "lfp": None if lfp == "auto" else lfp}
    extra = [k for k, v in given.items() if v is not None]
    if extra:
        raise UsageError(f"{extra[0]}= does not apply to a Phy/Kilosort folder (it stores sample indices and their "
                         "rate in params.py); leave it out")
    return read_phy(p, sampling_rate=sampling_rate, t_start=t_start, t_stop=t_stop, quality=quality)


def source_name(path) -> str:
    """The file name of an input, which names its report: the last part of a path, or of a URL's path.

    Parameters
    ----------
    path : str or Path
        What :func:`read` was given.

    Returns
    -------
    str
        ``"session.nwb"`` for ``data/session.nwb`` and for
        ``https://host/data/session.nwb?token=x`` alike; a folder's name for
        a Phy folder.
    """
    return url_name(path) if is_url(path) else Path(path).name


def source_files(path) -> list[Path]:
    """The files :func:`read` takes its data from: ``[path]`` for a file, the sorting's files for a Phy folder.

    Parameters
    ----------
    path : str or Path
        What :func:`read` was given.

    Returns
    -------
    list of pathlib.Path
        For provenance (a report's hash of its input); a Phy folder's raw
        ``.dat`` recording is left out (only its size is used); none for a
        URL (its content is not all read).
    """
    if is_url(path):
        return []
    p = Path(path)
    return phy_files(p) if p.is_dir() else [p]


def example_path() -> Path:
    """Path of the bundled example: 2 s of the Izhikevich (2003) network, 1000 neurons.

    Returns
    -------
    pathlib.Path
        Absolute path of the bundled NPZ file (read it with :func:`read`).
    """
    return Path(__file__).resolve().parent.parent / "data" / "izhikevich2003_2s.npz"
