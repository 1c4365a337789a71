"""The base of every frozen analysis result: ``to_dict()`` as plain JSON types."""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from ._json import jsonable

__all__ = ["Result"]


class Result:
    """Shared ``to_dict`` of the frozen result dataclasses (NaN becomes None)."""

    analysis: ClassVar[str]

    def to_dict(self) -> dict:
        """Analysis name, parameters and values as plain JSON types (NaN and inf as None)."""
        return jsonable({"analysis": self.analysis, **{f.name: getattr(self, f.name) for f in fields(self)}})
