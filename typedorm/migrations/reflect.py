"""Live schema introspection into a :class:`Schema`: each dialect reads its own catalog.

Each table becomes a :class:`~typedorm.schema.spec.TableSpec` whose columns carry the
database's own type for its dialect, in a canonical spelling (:func:`canonical_type`), so
that two databases built from the same DDL introspect equal, and a migration state can be
compared with a live database. The catalog queries and the parsing of their rows live in
each dialect's ``reflect`` module (:meth:`~typedorm.dialects.Dialect.introspector`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from ..dialects.base import Dialect
from ..dialects.reflect import Executor, Introspector
from ..dialects.registry import get_dialect
from ..dialects.sqlite.reflect import parse_sqlite_create_table
from .state import Schema

__all__ = [
    "INTERNAL_TABLES",
    "Executor",
    "canonical_type",
    "case_insensitive_columns",
    "guess_logical",
    "introspect",
    "sqlite_text_types",
    "parse_sqlite_create_table",
]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

#: Tables typedorm keeps for itself; never part of an introspected schema.
INTERNAL_TABLES = frozenset({"typedorm_migrations", "typedorm_migration_lock"})


@functools.cache
def _introspector(dialect: str) -> Introspector:
    # a name no dialect is registered under keeps the generic spelling (lower case, tidy spaces)
    try:
        return get_dialect(dialect).introspector()
    except ValueError:
        return Dialect().introspector()


def canonical_type(dialect: str, sql_type: str) -> str:
    """One spelling per SQL type: ``VARCHAR(100)`` and ``character varying(100)`` agree on PostgreSQL.

    ``dialect`` names a registered dialect (its family, as in a column's ``sql_types``).
    """
    return _introspector(dialect).canonical_type(sql_type)


def guess_logical(dialect: str, canonical: str) -> str:
    """The typedorm logical type a canonical SQL type most likely holds (``"string"`` if unsure)."""
    return _introspector(dialect).logical_type(canonical)


def introspect(
    conn: Executor, *, tables: Sequence[str] | None = None, include_internal: bool = False
) -> Schema:
    """The live schema of ``conn`` (a :class:`~typedorm.Database` or a migration connection).

    Example::

        schema = introspect(Database("sqlite:///app.db"))
        schema.tables["users"].columns
    """
    specs = conn.dialect.introspector().tables(conn)
    out = []
    for t in specs:
        if not include_internal and t.name in INTERNAL_TABLES:
            continue
        if tables is not None and t.name not in tables:
            continue
        out.append(t)
    schema = Schema()
    for t in out:
        schema.tables[t.name] = t
    return schema


def case_insensitive_columns(conn: Executor) -> dict[str, dict[str, str]]:
    """Text columns whose collation compares case-insensitively: ``{table: {column: collation}}``.

    MySQL/MariaDB ``*_ci`` collations (``utf8mb3_general_ci``, ...), SQLite ``COLLATE NOCASE``
    and PostgreSQL nondeterministic collations. typedorm creates its own tables with binary
    collations, so such a column behaves differently from the table a model would create:
    ``==``, ``IN`` and unique keys ignore case there.

    Example::

        case_insensitive_columns(db)  # {"customers": {"email": "utf8mb3_general_ci"}}
    """
    out: dict[str, dict[str, str]] = {}
    for tname, column, collation in conn.dialect.introspector().case_insensitive_columns(conn):
        if tname in INTERNAL_TABLES:
            continue
        out.setdefault(str(tname), {})[str(column)] = str(collation)
    return out


def sqlite_text_types(conn: Executor, schema: Schema, *, sample: int = 200) -> dict[str, dict[str, str]]:
    """SQLite ``TEXT`` columns whose values all have the shape typedorm gives one type:
    ``{table: {column: logical type}}``.

    typedorm stores datetimes, dates, times, UUIDs and decimals as text on SQLite, so the
    tables it creates declare them ``TEXT``; up to ``sample`` values of each such column
    tell which it holds. A column with no values, or any value of another shape, stays text.
    A ``DATETIME``/``TIMESTAMP`` column whose values all carry a UTC offset is ``"datetime"``
    (aware) rather than naive.

    Example::

        sqlite_text_types(db, introspect(db))  # {"orders": {"placed_at": "datetime"}}
    """
    texts: dict[str, dict[str, str]] = conn.dialect.introspector().text_types(
        conn, schema.tables.values(), sample=sample
    )
    return texts
