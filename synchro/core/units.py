"""The unit table: one row per unit, the columns every table has, the curation labels left out by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import (
    InvalidDataError,
    UsageError,
)
from .checks import freeze

__all__ = ["UnitTable", "REQUIRED_UNIT_COLUMNS", "NOISE_QUALITIES"]


#: Columns every unit table has (filled with defaults when the source lacks them).
REQUIRED_UNIT_COLUMNS = ("id", "label", "population", "quality")

#: Curation values left out by default (``SpikeData.curated``).
NOISE_QUALITIES = frozenset({"noise", "mua_noise", "artifact", "artefact", "bad"})


class UnitTable(Mapping):
    """Table of units: equal-length 1-D columns keyed by name.

    Always has the columns ``id`` (int64, the unit id as stored in the
    source), ``label`` (str), ``population`` (str, e.g. ``"exc"``/``"inh"``,
    empty when unknown) and ``quality`` (str curation label, empty when
    unknown); any further columns of the source are kept.

    Parameters
    ----------
    columns : mapping of str to array_like
        Column name to values, one value per unit. Missing required columns
        are filled: ``id`` with ``0..n-1``, the string columns with ``""``.
    n_units : int, optional
        Number of units; needed only when ``columns`` is empty.
    """

    def __init__(self, columns: Mapping[str, Any] | None = None, n_units: int | None = None):
        cols: dict[str, np.ndarray] = {}
        for name, values in (columns or {}).items():
            arr = np.asarray(values)
            if arr.ndim == 0:
                raise InvalidDataError(f"unit column {name!r} is a scalar; give one value per unit")
            if arr.ndim > 1:
                # NWB allows ragged/multi-dimensional columns; keep one row per unit.
                arr = np.array(list(arr), dtype=object) if arr.dtype != object else arr
            cols[str(name)] = arr
        lengths = {len(v) for v in cols.values()}
        if n_units is None:
            if not lengths:
                n_units = 0
            elif len(lengths) == 1:
                n_units = lengths.pop()
        if n_units is None or any(len(v) != n_units for v in cols.values()):
            sizes = {k: len(v) for k, v in cols.items()}
            raise InvalidDataError(f"unit table columns differ in length: {sizes}; "
                                   "give one value per unit in every column")
        if "id" not in cols:
            cols["id"] = np.arange(n_units, dtype=np.int64)
        else:
            try:
                cols["id"] = np.asarray(cols["id"]).astype(np.int64)
            except (TypeError, ValueError):
                raise InvalidDataError("unit ids must be integers; put names in the 'label' column") from None
            if len(np.unique(cols["id"])) != n_units:
                raise InvalidDataError("unit ids are not unique; give each unit its own id")
        for name in ("label", "population", "quality"):
            if name not in cols:
                cols[name] = np.full(n_units, "", dtype=object)
            else:
                cols[name] = np.array(["" if v is None else str(v) for v in cols[name]], dtype=object)
        self._n = int(n_units)
        self._cols = {k: freeze(v) for k, v in cols.items()}

    # Mapping protocol -----------------------------------------------------
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._cols[name]
        except KeyError:
            raise KeyError(f"no unit column {name!r}; columns are {sorted(self._cols)}") from None

    def __iter__(self):
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)

    @property
    def n_units(self) -> int:
        """Number of units (rows)."""
        return self._n

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names, required ones first."""
        return tuple(self._cols)

    def take(self, rows: np.ndarray) -> UnitTable:
        """Return a new table holding only some rows.

        Parameters
        ----------
        rows : array_like of int
            Row positions to keep, in the order wanted.

        Returns
        -------
        UnitTable
        """
        rows = np.asarray(rows, dtype=np.int64)
        return UnitTable({k: v[rows] for k, v in self._cols.items()}, n_units=len(rows))

    def with_column(self, name: str, values: Any) -> UnitTable:
        """Return a new table with one column added or replaced.

        Parameters
        ----------
        name : str
            Column name.
        values : array_like
            One value per unit.

        Returns
        -------
        UnitTable
        """
        cols = dict(self._cols)
        cols[name] = np.asarray(values)
        return UnitTable(cols, n_units=self._n)

    def to_dict(self) -> dict[str, list]:
        """Columns as plain Python lists.

        Returns
        -------
        dict of str to list
            JSON-serialisable columns.
        """
        return {k: v.tolist() for k, v in self._cols.items()}

    def to_dataframe(self):
        """The table as a data frame (imports pandas).

        Returns
        -------
        pandas.DataFrame
            One row per unit.
        """
        import pandas as pd

        return pd.DataFrame({k: list(v) if v.dtype == object else v for k, v in self._cols.items()})

    def __repr__(self) -> str:
        return f"UnitTable(n_units={self._n}, columns={list(self._cols)})"


def unit_ids_from_keys(keys: list) -> np.ndarray:
    """Mapping keys as unit ids: distinct integers (numpy or Python, bools refused)."""
    bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, int | np.integer)]
    if bad:
        raise InvalidDataError(f"unit ids (the mapping's keys) must be integers; got {bad[0]!r}; put names in a "
                               "unit table column instead, e.g. units={'label': [...]}")
    ids = np.asarray(keys, dtype=np.int64)
    if len(np.unique(ids)) != len(ids):
        raise InvalidDataError("unit ids (the mapping's keys) must be distinct")
    return ids


def with_ids(units, ids: np.ndarray):
    """``units`` (None, mapping or UnitTable) with the ``id`` column set to ``ids``; ids given twice are refused."""
    clash = UsageError("unit ids come from the mapping's keys; leave the id column out of units")
    if units is None:
        return {"id": ids}
    if isinstance(units, UnitTable):  # its id column always exists: only the default 0..n-1 may be replaced
        if not np.array_equal(units["id"], np.arange(units.n_units)):
            raise clash
        return units.with_column("id", ids)
    if "id" in units:
        raise clash
    return {**units, "id": ids}
