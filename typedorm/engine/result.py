"""What a raw statement returns (``Result``), its parameters and the result modes, shared by both engines."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..drivers.base import ALL, COUNT, LASTID, ONE, RESULT

__all__ = ["Params", "Result"]

Params = Sequence[Any] | Mapping[str, Any]

# The result modes of ``Driver.execute``; ``_NONE`` is the one that builds a ``Result``.
_ALL, _ONE, _COUNT, _NONE, _LASTID = ALL, ONE, COUNT, RESULT, LASTID


class _NoParams(tuple[()]):
    """Marks a raw statement without parameters that must still be sent as one statement."""


class Result:
    """What ``Database.execute`` returns: rows (tuples), column names and the row count."""

    __slots__ = ("columns", "lastrowid", "rowcount", "rows")

    def __init__(
        self, rows: list[tuple[Any, ...]], columns: tuple[str, ...], rowcount: int, lastrowid: Any
    ) -> None:
        self.rows: list[tuple[Any, ...]] = rows
        self.columns: tuple[str, ...] = columns
        self.rowcount: int = rowcount
        self.lastrowid: Any = lastrowid

    def all(self) -> list[tuple[Any, ...]]:
        """The rows, as a new list of tuples: ``db.execute("SELECT id FROM users").all()``."""
        return list(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None: ``db.execute("SELECT 1").first()``."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None when there are no rows."""
        return self.rows[0][0] if self.rows else None

    def mappings(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name: ``db.execute("SELECT id FROM users").mappings()``."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"<Result rows={len(self.rows)} rowcount={self.rowcount}>"
