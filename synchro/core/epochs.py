"""Interval tables (epochs, trials, any NWB ``TimeIntervals``) and the spikes of each label's intervals."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import (
    InvalidDataError,
    NotInFileError,
    SynchroWarning,
)
from .checks import freeze
from .intervals import intersect_intervals, merge_intervals
from .spikes import SpikeData

__all__ = ["IntervalTable", "LABEL_COLUMNS", "split_by_intervals"]


class IntervalTable:
    """A table of time intervals with per-row columns: epochs, trials, or any NWB ``TimeIntervals`` table.

    Like pynapple's ``IntervalSet`` with metadata: ``start`` and ``stop``
    times in seconds, one row per interval, and further columns holding one
    value per row (``tags``, ``label``, ``condition``, ...). A ragged NWB
    column such as the epochs' ``tags`` holds a tuple of strings per row.

    Parameters
    ----------
    start, stop : array_like of float
        Start and stop of each interval in seconds, ``start < stop``; rows
        may overlap and come in any order (trials of several conditions).
    columns : mapping of str to sequence, optional
        Further columns, one value per row.
    name : str, default ""
        What the table is (``"epochs"``, ``"trials"``).
    description : str, default ""
        Free text kept from the source (NWB ``description``).
    descriptions : mapping of str to str, optional
        Description of each column, kept from the source.

    Raises
    ------
    InvalidDataError
        Columns of different lengths, non-finite times, or a row with
        ``stop <= start``.
    """

    __slots__ = ("start", "stop", "columns", "name", "description", "descriptions")

    def __init__(self, start, stop, columns: Mapping[str, Any] | None = None, *, name: str = "",
                 description: str = "", descriptions: Mapping[str, str] | None = None):
        start = np.asarray(start, dtype=np.float64).ravel()
        stop = np.asarray(stop, dtype=np.float64).ravel()
        what = f"interval table {name!r}" if name else "interval table"
        if start.shape != stop.shape:
            raise InvalidDataError(f"{what} has {start.size} start times but {stop.size} stop times; give one of each "
                                   "per row")
        if not (np.all(np.isfinite(start)) and np.all(np.isfinite(stop))):
            raise InvalidDataError(f"{what} has NaN or infinite start/stop times; remove those rows")
        if np.any(stop <= start):
            row = int(np.flatnonzero(stop <= start)[0])
            raise InvalidDataError(f"{what}: row {row} stops ({stop[row]:g} s) before it starts ({start[row]:g} s); "
                                   "fix the table")
        cols: dict[str, np.ndarray] = {}
        for key, values in (columns or {}).items():
            if key in ("start_time", "stop_time", "start", "stop"):
                continue
            arr = np.empty(len(values), dtype=object)
            arr[:] = [tuple(v) if isinstance(v, list | tuple | np.ndarray) else v for v in values]
            if all(isinstance(v, bool | int | float | np.bool_ | np.integer | np.floating) for v in arr):
                arr = np.asarray(list(arr))  # numbers stay numbers: a numeric condition column sorts as such
            if len(arr) != len(start):
                raise InvalidDataError(f"{what}: column {key!r} has {len(arr)} values for {len(start)} rows")
            cols[str(key)] = freeze(arr)
        self.start = freeze(start)
        self.stop = freeze(stop)
        self.columns = MappingProxyType(cols)
        self.name = str(name)
        self.description = str(description)
        self.descriptions = MappingProxyType({k: str(v) for k, v in (descriptions or {}).items() if k in cols})

    def __len__(self) -> int:
        return len(self.start)

    @property
    def intervals(self) -> np.ndarray:
        """Start and stop of every row, shape ``(n, 2)`` (s), in table order."""
        return np.column_stack([self.start, self.stop])

    def label_column(self, column: str | None = None) -> str:
        """The column that names each row: ``column`` if given, else the first of :data:`LABEL_COLUMNS` present.

        Parameters
        ----------
        column : str, optional
            Column to use; checked against the table.

        Returns
        -------
        str

        Raises
        ------
        NotInFileError
            ``column`` is not in the table, or no label column is found.
        """
        what = f"the {self.name!r} table" if self.name else "the interval table"
        if column is not None:
            if column not in self.columns:
                raise NotInFileError(f"{what} has no column {column!r}; its columns are {list(self.columns)}")
            return column
        for name in LABEL_COLUMNS:
            if name in self.columns and any(_label(v) for v in self.columns[name]):
                return name
        raise NotInFileError(f"{what} has no label column ({', '.join(LABEL_COLUMNS)}); name one of its columns "
                             f"{list(self.columns)} (CLI: --epochs TABLE:COLUMN)")

    def labels(self, column: str | None = None) -> np.ndarray:
        """Each row's label as text: the column's value, or a ragged row's tags joined with ``"+"``.

        Parameters
        ----------
        column : str, optional
            As in :meth:`label_column`.

        Returns
        -------
        ndarray of str (object)
            One label per row; ``""`` where the row has none.
        """
        return np.array([_label(v) for v in self.columns[self.label_column(column)]], dtype=object)

    def groups(self, column: str | None = None) -> dict[str, np.ndarray]:
        """The intervals of each label: rows with the same label merged into one set.

        Parameters
        ----------
        column : str, optional
            As in :meth:`label_column` (``tags``, ``label``, ``condition``, ...).

        Returns
        -------
        dict of str to ndarray, shape (k, 2)
            Label -> sorted disjoint intervals (s), labels in order of first
            appearance; rows without a label are left out.
        """
        labels = self.labels(column)
        out: dict[str, np.ndarray] = {}
        for label in dict.fromkeys(labels):
            if label:
                out[label] = merge_intervals(self.intervals[labels == label])
        return out

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-ready columns.

        Returns
        -------
        dict
            ``name``, ``description``, ``start_time`` and ``stop_time`` (s)
            and every column as a list (tuples become lists).
        """
        cols = {k: [list(v) if isinstance(v, tuple) else v for v in c.tolist()] for k, c in self.columns.items()}
        return {"name": self.name, "description": self.description, "start_time": self.start.tolist(),
                "stop_time": self.stop.tolist(), **cols}

    def __repr__(self) -> str:
        return f"IntervalTable(name={self.name!r}, n_intervals={len(self)}, columns={list(self.columns)})"


#: Columns that name the rows of an interval table, in order of preference (``tags`` is what pynwb's
#: ``add_epoch`` writes).
LABEL_COLUMNS = ("label", "epoch", "tags", "condition", "name")


def _label(value) -> str:
    if isinstance(value, tuple):
        return "+".join(str(v) for v in value if str(v))
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return "" if value is None else str(value)


def split_by_intervals(data: SpikeData, table: IntervalTable, column: str | None = None) -> dict[str, SpikeData]:
    """The spikes observed in each label's intervals: one SpikeData per epoch label or trial condition.

    Parameters
    ----------
    data : SpikeData
        The spikes to split.
    table : IntervalTable
        Epochs, trials or another interval table.
    column : str, optional
        Column whose values group the rows (e.g. ``"tags"`` for epochs,
        ``"condition"`` for trials); by default the first of
        :data:`LABEL_COLUMNS` the table has.

    Returns
    -------
    dict of str to SpikeData
        Label -> the spikes of that label's intervals, in order of first
        appearance: ``data.restrict(first start, last stop)`` (bounds cut to
        the label's span, so an epoch of one interval is analysed exactly as
        that window) then ``.restrict_to_intervals(intervals)`` (support
        narrowed to the label's intervals, gaps between them unobserved).
        Labels whose intervals hold none of ``data``'s observed time are
        left out.

    Raises
    ------
    NotInFileError
        ``column`` is not in the table, or it has no label column.
    """
    out = {}
    for label, iv in table.groups(column).items():
        observed = intersect_intervals(data.support, iv)
        if not len(observed):
            continue
        part = data.restrict(observed[0, 0], observed[-1, 1])
        if len(observed) > 1 or part.has_gaps:
            with warnings.catch_warnings():
                # Spikes of other epochs are meant to go: no warning counting them.
                warnings.simplefilter("ignore", SynchroWarning)
                part = part.restrict_to_intervals(observed)
        out[label] = part
    return out
