"""SQLite introspection: pragmas and sqlite_master, plus the CREATE TABLE text for what they omit."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from ...schema.model import _constraint_name
from ...schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec
from ..reflect import (
    Executor,
    Introspector,
    _ident_list,
    _paren_span,
    _split_top,
    _tokens,
    _unquote,
    action,
    normalize_type,
    table,
)

if TYPE_CHECKING:
    from .dialect import SQLiteDialect

__all__ = ["SQLiteIntrospector", "parse_sqlite_create_table"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

# What typedorm's own column types write into SQLite TEXT columns (schema/types.py), checked in
# this order. A TEXT column says nothing about its type; its values do.
_TEXT_SHAPES = (
    ("datetime", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00")),
    ("date", re.compile(r"\d{4}-\d\d-\d\d")),
    ("time", re.compile(r"\d\d:\d\d:\d\d\.\d{6}")),
    ("uuid", re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")),
    # no leading zeros (a code like "0123" is text), and a fraction somewhere (below)
    ("decimal", re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")),
)


_OFFSET = re.compile(r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:?\d\d|Z)$")


def _sqlite_collations(sql: str) -> dict[str, str]:
    """``{column: collation}`` for the column definitions of a CREATE TABLE that name one."""
    open_at = sql.index("(")
    out: dict[str, str] = {}
    for item in _split_top(sql[open_at + 1 : _paren_span(sql, open_at)]):
        toks = _tokens(item)
        if not toks or toks[0].upper() in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            continue
        for i, tok in enumerate(toks[:-1]):
            if tok.upper() == "COLLATE":
                out[_unquote(toks[0])] = _unquote(toks[i + 1])
    return out


def _sqlite_logical(base: str) -> str:
    # A declared type names the column's intent; storage follows the affinity rules of
    # sqlite.org/datatype3.html#determination_of_column_affinity (checked in that order), and
    # names with a conventional meaning (DATETIME, BOOLEAN, UUID, ...) are read as tools do.
    words = base.split()
    head = words[0] if words else ""
    if head in ("boolean", "bool"):
        return "boolean"
    if "int" in base:
        return "integer"
    if head in ("datetime", "timestamp"):
        return "naive_datetime"
    if head == "date":
        return "date"
    if head == "time":
        return "time"
    if head in ("uuid", "guid", "uniqueidentifier"):
        return "uuid"
    if head in ("json", "jsonb"):
        return "json"
    if any(k in base for k in ("char", "clob", "text")):
        return "string"
    if "blob" in base or base == "":
        return "bytes"
    if any(k in base for k in ("real", "floa", "doub")):
        return "float"
    return "decimal"  # NUMERIC affinity: NUMERIC, DECIMAL(p, s), MONEY, ...


# --- SQLite ------------------------------------------------------------------------------------


@dataclasses.dataclass
class _ParsedTable:
    uniques: list[tuple[str | None, tuple[str, ...]]]
    checks: list[tuple[str | None, str]]
    fks: list[tuple[str | None, tuple[str, ...]]]


def parse_sqlite_create_table(sql: str) -> _ParsedTable:
    """Named UNIQUE, CHECK and FOREIGN KEY constraints of a CREATE TABLE statement.

    PRAGMA functions report unique and foreign keys without their names, and no checks at
    all: those live only in the statement text (sqlite.org/pragma.html#pragma_index_list).
    """
    open_at = sql.index("(")
    close_at = _paren_span(sql, open_at)
    parsed = _ParsedTable([], [], [])
    for item in _split_top(sql[open_at + 1 : close_at]):
        toks = _tokens(item)
        if not toks:
            continue
        head = toks[0].upper()
        is_table_constraint = head in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
        if is_table_constraint:
            _parse_constraint(item, parsed, column=None)
        else:
            # A column definition: inline constraints follow the name and type.
            col = _unquote(toks[0])
            _parse_constraint(item, parsed, column=col, inline=True)
    return parsed


def _parse_constraint(item: str, parsed: _ParsedTable, *, column: str | None, inline: bool = False) -> None:
    # Walk the text, finding CONSTRAINT name / CHECK (...) / UNIQUE (...) / FOREIGN KEY (...) pieces.
    pos = 0
    name: str | None = None
    upper_item = item.upper()
    n = len(item)
    while pos < n:
        m = re.compile(r"""("(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|'(?:[^']|'')*'|\(|\w+)""").search(
            item, pos
        )
        if m is None:
            break
        tok = m.group(0)
        word = tok.upper()
        if tok == "(":
            # skip a parenthesised part that no keyword claimed (a type's arguments, a default)
            pos = _paren_span(item, m.start()) + 1
            continue
        pos = m.end()
        if word == "CONSTRAINT":
            m2 = re.compile(r"""\s*("(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|'(?:[^']|'')*'|\w+)""").match(
                item, pos
            )
            if m2:
                name = _unquote(m2.group(1).strip("'") if m2.group(1).startswith("'") else m2.group(1))
                pos = m2.end()
            continue
        if word == "CHECK":
            p = item.index("(", pos)
            end = _paren_span(item, p)
            parsed.checks.append((name, item[p + 1 : end].strip()))
            name = None
            pos = end + 1
            continue
        if word == "UNIQUE":
            rest = upper_item[pos:].lstrip()
            if not inline and rest.startswith("("):
                p = item.index("(", pos)
                end = _paren_span(item, p)
                parsed.uniques.append((name, _ident_list(item[p + 1 : end])))
                pos = end + 1
            elif column is not None:
                parsed.uniques.append((name, (column,)))
            name = None
            continue
        if word == "FOREIGN":
            p = item.index("(", pos)
            end = _paren_span(item, p)
            parsed.fks.append((name, _ident_list(item[p + 1 : end])))
            name = None
            pos = _skip_references(item, end + 1)
            continue
        if word == "REFERENCES" and inline and column is not None:
            parsed.fks.append((name, (column,)))
            name = None
            pos = _skip_references(item, m.start())
            continue
        if word == "PRIMARY":
            rest = upper_item[pos:].lstrip()
            if rest.startswith("KEY"):
                pos = upper_item.index("KEY", pos) + 3
                after = upper_item[pos:].lstrip()
                if after.startswith("("):
                    p = item.index("(", pos)
                    pos = _paren_span(item, p) + 1
            name = None
            continue
        if word in ("DEFAULT",):
            after = item[pos:].lstrip()
            if after.startswith("("):
                p = item.index("(", pos)
                pos = _paren_span(item, p) + 1
            continue


def _skip_references(item: str, pos: int) -> int:
    m = re.compile(r"\s*REFERENCES\s+", re.IGNORECASE).match(item, pos)
    if m:
        pos = m.end()
    m = re.compile(r"""("(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|\w+)\s*""").match(item, pos)
    if m:
        pos = m.end()
    if item[pos : pos + 1] == "(":
        pos = _paren_span(item, pos) + 1
    # ON DELETE/UPDATE actions, MATCH and DEFERRABLE clauses hold no parentheses
    m = re.compile(
        r"(\s*(ON\s+(DELETE|UPDATE)\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)|MATCH\s+\w+"
        r"|NOT\s+DEFERRABLE|DEFERRABLE|INITIALLY\s+\w+))*",
        re.IGNORECASE,
    ).match(item, pos)
    if m:
        pos = m.end()
    return pos


def _sqlite(intro: Introspector, conn: Executor) -> list[TableSpec]:
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' "
        "ORDER BY name"
    ).rows
    out: list[TableSpec] = []
    for tname, tsql in rows:
        parsed = parse_sqlite_create_table(tsql or "CREATE TABLE x ()")
        cols_info = conn.execute(
            'SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid',
            (tname,),
        ).rows
        pk_cols = [r for r in cols_info if r[5]]
        pk_cols.sort(key=lambda r: r[5])
        pk = tuple(r[1] for r in pk_cols)
        columns: list[ColumnSpec] = []
        for _cid, cname, ctype, notnull, dflt, pkpos, hidden in cols_info:
            if hidden:
                continue
            # INTEGER PRIMARY KEY aliases the rowid: sqlite.org/lang_createtable.html#rowid
            rowid = len(pk) == 1 and pkpos == 1 and str(ctype).upper() == "INTEGER"
            columns.append(
                intro.column(
                    cname,
                    ctype or "",
                    not notnull and not pkpos,
                    default=dflt,
                    pk=bool(pkpos),
                    autoincrement=rowid,
                )
            )
        indexes: list[IndexSpec] = []
        for _seq, iname, unique, origin, _partial in conn.execute(
            'SELECT seq, name, "unique", origin, partial FROM pragma_index_list(?)', (tname,)
        ).rows:
            if origin == "pk":
                continue
            icols = tuple(
                r[0]
                for r in conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (iname,)).rows
            )
            if any(c is None for c in icols):
                logger.info("skipping expression index %s on %s", iname, tname)
                continue
            name = iname
            if origin == "u":
                named = [n for n, cols in parsed.uniques if cols == icols]
                name = named[0] if named and named[0] else _constraint_name("uq", tname, icols)
            indexes.append(IndexSpec(name, icols, bool(unique)))
        fk_rows = conn.execute(
            'SELECT id, seq, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) '
            "ORDER BY id, seq",
            (tname,),
        ).rows
        groups: dict[int, list[tuple[Any, ...]]] = {}
        for r in fk_rows:
            groups.setdefault(r[0], []).append(r)
        fks: list[ForeignKeySpec] = []
        for _id, grp in sorted(groups.items()):
            fcols = tuple(r[3] for r in grp)
            ref_cols = tuple(r[4] for r in grp)
            fname = next((n for n, cols in parsed.fks if cols == fcols and n), None)
            fks.append(
                ForeignKeySpec(
                    fcols,
                    grp[0][2],
                    ref_cols,
                    action(grp[0][6]),
                    action(grp[0][5]),
                    fname or _constraint_name("fk", tname, fcols),
                )
            )
        checks: list[CheckSpec] = []
        for i, (cname, csql) in enumerate(parsed.checks):
            checks.append(CheckSpec(cname or _constraint_name("ck", tname, (str(i),)), csql))
        out.append(table(tname, columns, pk, indexes, fks, checks))
    return out


class SQLiteIntrospector(Introspector):
    """SQLite's catalog: sqlite_master and the table pragmas."""

    dialect: SQLiteDialect
    # sqlite.org/datatype3.html: the length in VARCHAR(n) is ignored
    enforces_lengths: ClassVar[bool] = False
    reads_autoincrement: ClassVar[bool] = False

    def tables(self, conn: Executor) -> list[TableSpec]:
        return _sqlite(self, conn)

    def case_insensitive_columns(self, conn: Executor) -> list[tuple[Any, Any, Any]]:
        rows: list[tuple[Any, Any, Any]] = []
        for tname, tsql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        ).rows:
            for column, collation in _sqlite_collations(tsql or "CREATE TABLE x ()").items():
                if collation.upper() == "NOCASE":
                    rows.append((tname, column, collation))
        return rows

    def text_types(
        self, conn: Executor, tables: Iterable[TableSpec], *, sample: int = 200
    ) -> dict[str, dict[str, str]]:
        family = self.dialect.family
        out: dict[str, dict[str, str]] = {}
        for t in tables:
            for c in t.columns:
                timestamp = c.type_name == "naive_datetime"
                if c.sql_types.get(family) != "TEXT" and not timestamp:
                    continue
                values = [r[0] for r in conn.execute(self.dialect.sample_sql(t.name, c.name, sample)).rows]
                if not values or not all(isinstance(v, str) for v in values):
                    continue
                if timestamp:
                    # a DATETIME column whose every value names its zone holds aware timestamps
                    if all(_OFFSET.search(v) for v in values):
                        out.setdefault(t.name, {})[c.name] = "datetime"
                    continue
                for logical, shape in _TEXT_SHAPES:
                    if all(shape.fullmatch(v) for v in values):
                        if logical == "decimal" and not any("." in v for v in values):
                            break  # whole numbers in a TEXT column: nothing says they are decimals
                        out.setdefault(t.name, {})[c.name] = logical
                        break
        return out

    def canonical_type(self, sql_type: str) -> str:
        return normalize_type(sql_type).upper()

    def logical_type(self, canonical: str) -> str:
        return _sqlite_logical(canonical.lower().partition("(")[0].strip())
