"""Which foreign key a write broke, when the database does not say (SQLite: "FOREIGN KEY constraint failed").

PostgreSQL and MySQL name the constraint; SQLite names nothing. The failed statement (always
one typedorm built from model metadata) narrows it down:

- ``INSERT``/``UPDATE``: the foreign-key columns it wrote with a value other than NULL (NULL
  never violates a foreign key). One such column is the answer; several are all named.
- ``DELETE`` (or an ``UPDATE`` of the key itself): a child row still references the row, as
  ``ON DELETE RESTRICT`` / ``NO ACTION`` declares; the referenced key is named, as PostgreSQL
  and MySQL do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..schema.spec import TableSpec

__all__ = ["foreign_key_columns"]

_IDENT = r'(?:"[^"]+"|`[^`]+`|\w+)'
_INSERT_RE = re.compile(rf"^\s*INSERT\s+INTO\s+{_IDENT}\s*\(([^)]*)\)\s*VALUES\b", re.I | re.S)
_UPDATE_RE = re.compile(rf"^\s*UPDATE\s+{_IDENT}\s+SET\s+(.*?)(?:\s+WHERE\s|\s+RETURNING\s|$)", re.I | re.S)
_ASSIGN_RE = re.compile(r'(?:^|,)\s*["`]?(\w+)["`]?\s*=\s*(\?|%s)?\s*(?=,|$)')
_ASSIGNED_RE = re.compile(r'(?:^|,)\s*["`]?(\w+)["`]?\s*=')


def _name(ident: str) -> str:
    return ident.strip().strip('"`')


def _rows(params: Any, width: int) -> list[Sequence[Any]] | None:
    """``params`` as rows of ``width`` values (one statement, a multi-row VALUES, or executemany)."""
    if params is None or isinstance(params, (str, bytes)) or not isinstance(params, Sequence) or width == 0:
        return None
    if params and all(isinstance(r, (list, tuple)) for r in params):
        rows: list[Sequence[Any]] = [r for r in params if isinstance(r, (list, tuple))]
        return rows if all(len(r) == width for r in rows) else None
    if len(params) % width:
        return None
    return [params[i : i + width] for i in range(0, len(params), width)]


def foreign_key_columns(spec: TableSpec, sql: str, params: Any = None) -> tuple[str, ...]:
    """The SQL columns of ``spec`` whose foreign key ``sql`` (run with ``params``) may have broken."""
    fk_cols = [fk.columns[0] for fk in spec.foreign_keys if len(fk.columns) == 1]
    verb = sql.lstrip()[:6].upper()
    if verb == "DELETE":
        return spec.primary_key
    if verb == "INSERT" and (m := _INSERT_RE.match(sql)):
        cols = [_name(c) for c in m.group(1).split(",")]
        written = [c for c in cols if c in fk_cols]
        rows = _rows(params, len(cols))
        if rows is not None:
            written = [c for c in written if any(r[cols.index(c)] is not None for r in rows)]
        return tuple(written)
    if verb == "UPDATE" and (m := _UPDATE_RE.match(sql)):
        sets = m.group(1)
        assigned = [_name(a) for a in _ASSIGNED_RE.findall(sets)]
        written = [c for c in assigned if c in fk_cols]
        simple = _ASSIGN_RE.findall(sets)
        # With "col = ?" assignments only, the first parameters are their values, in order.
        if params is not None and len(simple) == len(assigned) and all(ph for _, ph in simple):
            values = list(params)[: len(assigned)] if isinstance(params, Sequence) else []
            if len(values) == len(assigned):
                written = [c for c in written if values[assigned.index(c)] is not None]
        if written:
            return tuple(written)
        if any(c in spec.primary_key for c in assigned):
            return spec.primary_key
    return ()
