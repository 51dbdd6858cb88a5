"""Live schema introspection shared by every dialect: the connection protocol, SQL-text helpers, the base Introspector."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec, frozen_types

if TYPE_CHECKING:
    from .base import Dialect

__all__ = ["Executor", "Introspector"]


class Executor(Protocol):
    """Anything that runs a query with portable placeholders: a Database or a MigrationConnection."""

    @property
    def dialect(self) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any: ...


_SPACES = re.compile(r"\s+")


def normalize_type(sql_type: str) -> str:
    """``sql_type`` with single spaces and no spaces inside its parentheses."""
    t = _SPACES.sub(" ", sql_type.strip())
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*,\s*", ",", t)
    return re.sub(r"\s*\)", ")", t)


def action(rule: str | None) -> str | None:
    """A referential action in lower case, None for NO ACTION."""
    if rule is None:
        return None
    r = rule.strip().lower()
    return None if r in ("no action", "") else r


def table(
    name: str,
    columns: list[ColumnSpec],
    pk: tuple[str, ...],
    indexes: list[IndexSpec],
    fks: list[ForeignKeySpec],
    checks: list[CheckSpec],
) -> TableSpec:
    """A TableSpec with its indexes, foreign keys and checks in name order."""
    return TableSpec(
        name=name,
        model_name=name,
        columns=tuple(columns),
        primary_key=pk,
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        foreign_keys=tuple(sorted(fks, key=lambda f: f.name or "")),
        checks=tuple(sorted(checks, key=lambda c: c.name)),
    )


def _tokens(sql: str) -> list[str]:
    """SQLite tokens (quoted identifiers and strings kept whole, comments dropped)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch in "'\"`[":
            close = "]" if ch == "[" else ch
            j = i + 1
            while j < n:
                if sql[j] == close:
                    if close != "]" and j + 1 < n and sql[j + 1] == close:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif ch.isalnum() or ch == "_":
            j = i
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            out.append(sql[i:j])
            i = j
        else:
            out.append(ch)
            i += 1
    return out


def _unquote(tok: str) -> str:
    if tok[:1] in '"`' and tok[-1:] == tok[:1]:
        return tok[1:-1].replace(tok[0] * 2, tok[0])
    if tok[:1] == "[" and tok[-1:] == "]":
        return tok[1:-1]
    return tok


def _after_quoted(text: str, start: int) -> int:
    """Index just past the quoted string or name opening at ``start`` (a doubled quote escapes it)."""
    ch, j, n = text[start], start + 1, len(text)
    while j < n:
        if text[j] == ch:
            if j + 1 < n and text[j + 1] == ch:
                j += 2
                continue
            break
        j += 1
    return j + 1


def _paren_span(sql: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes respected)."""
    depth = 0
    i, n = start, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            i = _after_quoted(sql, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced parentheses in CREATE TABLE")


def _split_top(body: str) -> list[str]:
    parts: list[str] = []
    depth, start, i, n = 0, 0, 0, len(body)
    while i < n:
        ch = body[i]
        if ch in "'\"`":
            i = _after_quoted(body, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
        i += 1
    tail = body[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _ident_list(text: str) -> tuple[str, ...]:
    return tuple(
        _unquote(t) for t in _tokens(text) if t not in (",", "(", ")") and t.upper() not in ("ASC", "DESC")
    )


_KEYWORDS_ENDING_NAME = {
    "PRIMARY",
    "UNIQUE",
    "CHECK",
    "FOREIGN",
    "NOT",
    "NULL",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
    "CONSTRAINT",
}


class Introspector:
    """Reads a live schema for one dialect; a dialect returns its own from ``Dialect.introspector()``.

    This base knows no catalog: :meth:`tables` raises, the other reads find nothing.
    """

    #: the database enforces a declared ``VARCHAR(n)`` length; where it does not (SQLite), a
    #: generated model keeps the length and create_all adds a CHECK for it
    enforces_lengths: ClassVar[bool] = True
    #: a column's autoincrement as the catalog reports it is what DDL declared (not on
    #: SQLite, where every INTEGER PRIMARY KEY is the rowid)
    reads_autoincrement: ClassVar[bool] = True
    #: ON DELETE/UPDATE RESTRICT is the same as NO ACTION, the default (InnoDB checks both
    #: at once: dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html)
    restrict_is_no_action: ClassVar[bool] = False

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def tables(self, conn: Executor) -> list[TableSpec]:
        """Every table of the connection's schema, typedorm's own included."""
        raise ValueError(f"cannot introspect dialect {self.dialect.name!r}")

    def case_insensitive_columns(self, conn: Executor) -> list[tuple[Any, Any, Any]]:
        """``(table, column, collation)`` for each text column compared case-insensitively."""
        return []

    def text_types(
        self, conn: Executor, tables: Iterable[TableSpec], *, sample: int = 200
    ) -> dict[str, dict[str, str]]:
        """Logical types read from the values of untyped text columns (only where types are text)."""
        return {}

    def canonical_type(self, sql_type: str) -> str:
        """One spelling per SQL type in this dialect."""
        return normalize_type(sql_type).lower()

    def logical_type(self, canonical: str) -> str:
        """The typedorm logical type a canonical SQL type most likely holds (``"string"`` if unsure)."""
        t = canonical.lower()
        base = t.partition("(")[0].strip()
        if base in ("bigint", "integer", "smallint", "int", "mediumint") or (
            base == "tinyint" and t != "tinyint(1)"
        ):
            return "integer"
        if base == "boolean" or t == "tinyint(1)":
            return "boolean"
        if base in ("double precision", "real", "double", "float"):
            return "float"
        if base in ("numeric", "decimal"):
            return "decimal"
        if base in ("bytea", "longblob", "blob", "mediumblob", "tinyblob", "varbinary", "binary"):
            return "bytes"
        if base == "datetime" or (base.startswith("timestamp") and t.endswith("without time zone")):
            # MySQL DATETIME and PostgreSQL TIMESTAMP keep no zone: naive values, read as written
            return "naive_datetime"
        if base.startswith("timestamp"):
            # TIMESTAMPTZ; MySQL TIMESTAMP is stored in UTC and read in the session's zone (UTC)
            return "datetime"
        if base == "date":
            return "date"
        if base.startswith("time"):
            return "time"
        if base == "interval":
            return "timedelta"
        if base == "uuid":
            return "uuid"
        if base in ("json", "jsonb"):
            return "json"
        return "string"

    def plain_decimal(self, canonical: str) -> bool:
        """``canonical`` (a ``DECIMAL(p,s)``) is how this dialect reports an unconstrained decimal."""
        return False

    def model_hints(self, canonical: str, logical: str) -> tuple[str, list[str]]:
        """The logical type a generated model declares for a column of SQL type ``canonical``
        read as ``logical``, and comments that tell the reader why."""
        return logical, []

    def column(
        self,
        name: str,
        sql_type: str,
        nullable: bool,
        *,
        default: str | None = None,
        pk: bool = False,
        autoincrement: bool = False,
    ) -> ColumnSpec:
        """A ColumnSpec carrying ``sql_type`` in canonical spelling under this dialect's family."""
        ct = self.canonical_type(sql_type)
        return ColumnSpec(
            field=name,
            name=name,
            type_name=self.logical_type(ct),
            sql_types=frozen_types({self.dialect.family: ct}),
            nullable=nullable,
            primary_key=pk,
            autoincrement=autoincrement,
            server_default=default,
        )
