"""Phy and Kilosort output folders, read directly (no neo).

The files read
    ``params.py`` (``sample_rate`` in Hz; ``dat_path``, ``n_channels_dat``,
    ``dtype`` and ``offset`` give the recording's length), ``spike_times.npy``
    (sample index of each spike, uint64), ``spike_clusters.npy`` (cluster of
    each spike, int32; ``spike_templates.npy`` when the folder was never
    curated), and the cluster tables ``cluster_info.tsv``,
    ``cluster_KSLabel.tsv`` and ``cluster_group.tsv`` (tab-separated, a
    ``cluster_id`` column). ``params.py`` is parsed, never executed: each
    ``name = literal`` line is read with :func:`ast.literal_eval`.

Curation
    As Phy does, a cluster's label in ``cluster_group.tsv`` (the curator's)
    overrides Kilosort's ``KSLabel``; the result is the ``quality`` column
    (``good``, ``mua`` or ``noise``), and the ``group`` and ``KSLabel``
    columns are kept as read. Noise is left out by default; ``mua`` is kept
    and labelled.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import numpy as np

from ..core import Recording
from ..core.checks import number, whole_numbers
from ..errors import InvalidDataError, UnreadableInputError
from .assembly import assemble, group_spikes, rows_of_ids
from .files import check_input_folder, check_input_path

__all__ = ["read_phy", "is_phy_folder", "phy_files"]

#: Cluster tables in increasing precedence: a later table's label overrides an earlier one's (Phy's rule).
CLUSTER_TABLES = ("cluster_info.tsv", "cluster_KSLabel.tsv", "cluster_group.tsv")

#: Largest params.py parsed (a real one is a few hundred bytes).
MAX_PARAMS_BYTES = 1 << 16


def is_phy_folder(path) -> bool:
    """Whether ``path`` is a folder holding a Phy/Kilosort ``spike_times.npy``.

    Parameters
    ----------
    path : str or Path
        Any path.

    Returns
    -------
    bool
    """
    p = Path(path)
    return p.is_dir() and (p / "spike_times.npy").is_file()


def phy_files(folder) -> list[Path]:
    """The files :func:`read_phy` reads from ``folder`` (for provenance hashes; the raw ``.dat`` is only sized).

    Parameters
    ----------
    folder : str or Path
        A Phy/Kilosort output folder.

    Returns
    -------
    list of pathlib.Path
        Those present, in a fixed order.
    """
    folder = Path(folder)
    names = ("params.py", "spike_times.npy", "spike_clusters.npy", "spike_templates.npy", *CLUSTER_TABLES)
    return [folder / n for n in names if (folder / n).is_file()]


def read_phy(folder, *, sampling_rate=None, t_start=None, t_stop=None, quality="exclude-noise") -> Recording:
    """Read the spikes of a Phy or Kilosort output folder (see the module docstring for the files).

    Parameters
    ----------
    folder : str or Path
        The sorter's output folder; nothing in it is modified.
    sampling_rate : float, optional
        Hz; overrides ``sample_rate`` of ``params.py``.
    t_start, t_stop : float, optional
        Recording bounds in seconds. By default 0 and the length of the raw
        recording (``dat_path`` in ``params.py``: its size less ``offset``
        bytes, over ``n_channels_dat`` times the size of ``dtype``); when the
        raw file is not there, the whole second after the last spike, with a
        :class:`~synchro.errors.SynchroWarning` (rates are then upper bounds).
    quality : {"exclude-noise", None}, default "exclude-noise"
        Leave out clusters labelled noise; None keeps every cluster.

    Returns
    -------
    Recording
        One unit per cluster with spikes or listed in ``cluster_info.tsv``;
        unit ids are the cluster ids; spike times in seconds (sample index
        over the sampling rate); unit columns from the cluster tables, with
        ``quality`` the curated label.

    Raises
    ------
    InputNotFoundError
        The folder does not exist.
    UnreadableInputError
        Not a folder, or a file in it that cannot be read.
    InvalidDataError
        No ``params.py`` sample rate, no ``spike_times.npy`` or
        ``spike_clusters.npy``, arrays of different lengths, or a cluster
        table without a ``cluster_id`` column.
    """
    p = check_input_folder(folder)
    name = p.name or str(p)
    params = read_params(p / "params.py") if (p / "params.py").is_file() else {}
    if sampling_rate is None:
        if "sample_rate" not in params:
            raise InvalidDataError(f"{name}: no sample_rate in params.py; give the sampling rate with "
                                   "sampling_rate= (CLI: --sampling-rate HZ)")
        sampling_rate = params["sample_rate"]
    fs = number(sampling_rate, "sample_rate", f"{name}/params.py")
    if fs <= 0:
        raise InvalidDataError(f"{name}/params.py: sample_rate must be positive; got {fs:g}")
    samples = whole_numbers(_load(p, "spike_times.npy"), "spike_times.npy", name, floats=False)
    cluster_file = "spike_clusters.npy" if (p / "spike_clusters.npy").is_file() else "spike_templates.npy"
    clusters = whole_numbers(_load(p, cluster_file), cluster_file, name, floats=False)
    if len(clusters) != len(samples):
        raise InvalidDataError(f"{name}: {len(samples)} spike times but {len(clusters)} entries in {cluster_file}; "
                               "the sorter writes one per spike, check that both come from the same run")
    tables = {t: _cluster_table(p / t) for t in CLUSTER_TABLES if (p / t).is_file()}
    listed = tables.get("cluster_info.tsv", {}).get("cluster_id", np.empty(0, dtype=np.int64))
    ids = np.union1d(np.unique(clusters), listed)
    rows, ids = rows_of_ids(clusters, ids, name)
    times, offsets = group_spikes(samples / fs, rows, len(ids))
    columns = {"id": ids, **_label_columns(tables, ids)}
    if t_start is None:
        t_start = 0.0  # sample indices count from the start of the recording
    metadata = {"source": str(p), "format": "phy", "sample_rate": fs, "cluster_file": cluster_file,
                "cluster_tables": list(tables)}
    if t_stop is None:
        t_stop = _recording_end(p, params, fs)
        if t_stop is not None:
            if times.size and times.max() >= t_stop:
                raise InvalidDataError(f"{name}: the raw recording (params.py dat_path, n_channels_dat="
                                       f"{params.get('n_channels_dat')}, dtype={params.get('dtype', 'int16')!r}) "
                                       f"ends at {t_stop:g} s, before the last spike ({times.max():g} s); check "
                                       "params.py, or give the recording's end with t_stop= (CLI: --t-stop)")
            metadata["bounds"] = "t_stop from the size of the raw recording (params.py dat_path)"
    return assemble(times, offsets, columns, t_start=t_start, t_stop=t_stop, time_unit="s", quality=quality,
                    metadata=metadata, source=name, check_scale=False)


def read_params(path) -> dict:
    """The ``name = literal`` assignments of a Phy ``params.py``, parsed without running it.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict
        Each assignment whose value is a Python literal; other lines (an
        expression such as ``os.path.join(...)``) are left out.

    Raises
    ------
    InvalidDataError
        Not Python syntax, or larger than 64 KiB.
    """
    p = check_input_path(path)
    if p.stat().st_size > MAX_PARAMS_BYTES:
        raise InvalidDataError(f"{p.name} is {p.stat().st_size} bytes; a Phy params.py holds a few assignments, "
                               "check that this is one")
    try:
        tree = ast.parse(p.read_text(encoding="utf-8", errors="replace"), filename=p.name)
    except SyntaxError as exc:
        raise InvalidDataError(f"{p.parent.name}/params.py: line {exc.lineno} is not Python ({exc.msg}); write "
                               "assignments such as sample_rate = 30000.0") from None
    params = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                params[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
    return params


def _load(folder: Path, name: str) -> np.ndarray:
    path = folder / name
    if not path.is_file():
        raise InvalidDataError(f"{folder.name}: no {name}; a Phy/Kilosort folder holds spike_times.npy and "
                               "spike_clusters.npy (or spike_templates.npy)")
    check_input_path(path)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UnreadableInputError(f"{folder.name}/{name} is not a readable .npy array ({exc}); export the sorting "
                                   "again") from None


def _cluster_table(path: Path) -> dict[str, np.ndarray]:
    """Columns of a tab-separated cluster table; numbers as numbers, the rest as text."""
    check_input_path(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            lines = list(csv.reader(f, delimiter="\t"))
    except UnicodeDecodeError:
        raise UnreadableInputError(f"{path.parent.name}/{path.name} is not UTF-8 text") from None
    lines = [row for row in lines if row]
    if not lines:
        return {}
    header = [h.strip() for h in lines[0]]
    key = next((h for h in ("cluster_id", "id") if h in header), None)
    if key is None:
        raise InvalidDataError(f"{path.parent.name}/{path.name} has columns {header} but no cluster_id; Phy writes "
                               "cluster_id first")
    body = [row + [""] * (len(header) - len(row)) for row in lines[1:]]
    columns = {}
    for j, h in enumerate(header):
        values = [row[j].strip() for row in body]
        try:
            columns[h] = np.array([float(v) for v in values])
        except ValueError:
            columns[h] = np.array(values, dtype=object)
    ids = columns.pop(key)
    columns["cluster_id"] = whole_numbers(ids, f"{path.name} {key}", path.parent.name)
    return columns


def _label_columns(tables: dict, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Unit columns from the cluster tables, later tables overriding earlier ones; ``quality`` the curated label."""
    merged: dict[str, dict[int, object]] = {}
    for table in tables.values():
        for name, values in table.items():
            if name not in ("cluster_id", "id", "quality"):
                merged.setdefault(name, {}).update(zip(table["cluster_id"].tolist(), values.tolist()))
    columns = {}
    for name, by_id in merged.items():
        values = [by_id.get(i) for i in ids.tolist()]
        if all(isinstance(v, float) or v is None for v in values):
            columns[name] = np.array([np.nan if v is None else v for v in values])
        else:
            columns[name] = np.array(["" if v is None else str(v) for v in values], dtype=object)
    quality = np.full(len(ids), "", dtype=object)
    for name in ("KSLabel", "group"):  # the curator's group overrides Kilosort's label
        if name in columns and columns[name].dtype == object:
            quality = np.where(columns[name] != "", columns[name], quality)
    columns["quality"] = quality
    return columns


def _recording_end(folder: Path, params: dict, fs: float) -> float | None:
    """Length of the raw recording (s) from params.py, or None when the raw file is not there."""
    paths = params.get("dat_path")
    paths = paths if isinstance(paths, list | tuple) else [paths]
    try:
        itemsize = np.dtype(params.get("dtype", "int16")).itemsize
        n_channels = int(params["n_channels_dat"])
        offset = int(params.get("offset", 0))
    except (TypeError, ValueError, KeyError):
        return None
    if n_channels <= 0 or not paths or not all(isinstance(d, str) for d in paths):
        return None
    n_samples = 0
    for d in paths:
        dat = Path(d) if Path(d).is_absolute() else folder / d
        if not dat.is_file():
            return None  # the raw data stayed elsewhere: the bounds are assumed, with the warning that says so
        n_samples += (dat.stat().st_size - offset) // (n_channels * itemsize)
    return n_samples / fs if n_samples > 0 else None
