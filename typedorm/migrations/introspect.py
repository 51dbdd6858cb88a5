"""Live schema introspection of SQLite, PostgreSQL and MariaDB/MySQL into a :class:`Schema`.

Each table becomes a :class:`~typedorm.schema.spec.TableSpec` whose columns carry the
database's own type for its dialect, in a canonical spelling (:func:`canonical_type`), so
that two databases built from the same DDL introspect equal, and a migration state can be
compared with a live database.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..schema.model import _constraint_name
from ..schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec, frozen_types
from .state import Schema

__all__ = [
    "INTERNAL_TABLES",
    "Executor",
    "canonical_type",
    "case_insensitive_columns",
    "introspect",
    "sqlite_text_types",
    "parse_sqlite_create_table",
]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

#: Tables typedorm keeps for itself; never part of an introspected schema.
INTERNAL_TABLES = frozenset({"typedorm_migrations", "typedorm_migration_lock"})


class _Result(Protocol):
    rows: list[tuple[Any, ...]]


class _Dialect(Protocol):
    name: Any


class Executor(Protocol):
    """Anything that runs a query with portable placeholders: a Database or a MigrationConnection."""

    @property
    def dialect(self) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any: ...


# --- canonical types ------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_PG_ALIASES = {
    "int8": "bigint",
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "float": "double precision",
    "float4": "real",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "decimal": "numeric",
    "varchar": "character varying",
    "char": "character",
    "bigserial": "bigint",
    "serial": "integer",
}
_MYSQL_ALIASES = {
    "boolean": "tinyint(1)",
    "bool": "tinyint(1)",
    "integer": "int",
    "double precision": "double",
    "real": "double",
    "numeric": "decimal",
    "dec": "decimal",
}
_MYSQL_INT = re.compile(r"^(tinyint|smallint|mediumint|int|bigint)\(\d+\)(.*)$")


def canonical_type(dialect: str, sql_type: str) -> str:
    """One spelling per SQL type: ``VARCHAR(100)`` and ``character varying(100)`` agree on PostgreSQL."""
    t = _SPACES.sub(" ", sql_type.strip())
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*,\s*", ",", t)
    t = re.sub(r"\s*\)", ")", t)
    if dialect == "sqlite":
        return t.upper()
    t = t.lower()
    base, paren, rest = t.partition("(")
    if dialect == "postgresql":
        base = _PG_ALIASES.get(base, base)
        if paren:
            args, _, tail = rest.partition(")")
            tail = tail.strip()
            # "time(6) with time zone": the precision sits before the zone words
            if base in (
                "timestamp without time zone",
                "timestamp with time zone",
                "time without time zone",
                "time with time zone",
            ):
                head, _, zone = base.partition(" ")
                return f"{head}({args}) {zone}".strip()
            return f"{base}({args})" + (f" {tail}" if tail else "")
        return base
    if dialect == "mysql":
        t = _MYSQL_ALIASES.get(t, t)
        base, paren, rest = t.partition("(")
        base = _MYSQL_ALIASES.get(base, base)
        t = f"{base}{paren}{rest}"
        m = _MYSQL_INT.match(t)
        if m and t != "tinyint(1)" and not t.startswith("tinyint(1) "):
            # MariaDB reports display widths (bigint(20)); they mean nothing for storage
            t = m.group(1) + m.group(2)
        return t
    return t


# --- entry point -------------------------------------------------------------------------------


def introspect(
    conn: Executor, *, tables: Sequence[str] | None = None, include_internal: bool = False
) -> Schema:
    """The live schema of ``conn`` (a :class:`~typedorm.Database` or a migration connection).

    Example::

        schema = introspect(Database("sqlite:///app.db"))
        schema.tables["users"].columns
    """
    name = conn.dialect.family
    if name == "sqlite":
        specs = _sqlite(conn)
    elif name == "postgresql":
        specs = _postgresql(conn)
    elif name == "mysql":
        specs = _mysql(conn)
    else:  # pragma: no cover - every dialect typedorm ships is handled above
        raise ValueError(f"cannot introspect dialect {name!r}")
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
    name = conn.dialect.family
    out: dict[str, dict[str, str]] = {}
    if name == "mysql":
        rows = conn.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME LIKE ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
            ("%\\_ci",),
        ).rows
    elif name == "postgresql":
        rows = conn.execute(
            "SELECT c.relname, a.attname, co.collname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
            "AND NOT a.attisdropped AND NOT co.collisdeterministic ORDER BY c.relname, a.attnum"
        ).rows
    else:
        rows = []
        for tname, tsql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        ).rows:
            for column, collation in _sqlite_collations(tsql or "CREATE TABLE x ()").items():
                if collation.upper() == "NOCASE":
                    rows.append((tname, column, collation))
    for tname, column, collation in rows:
        if tname in INTERNAL_TABLES:
            continue
        out.setdefault(str(tname), {})[str(column)] = str(collation)
    return out


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
    out: dict[str, dict[str, str]] = {}
    if conn.dialect.family != "sqlite":
        return out
    for t in schema.tables.values():
        for c in t.columns:
            timestamp = c.type_name == "naive_datetime"
            if c.sql_types.get("sqlite") != "TEXT" and not timestamp:
                continue
            values = [r[0] for r in conn.execute(conn.dialect.sample_sql(t.name, c.name, sample)).rows]
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


def _column(
    dialect: str,
    name: str,
    sql_type: str,
    nullable: bool,
    *,
    default: str | None = None,
    pk: bool = False,
    autoincrement: bool = False,
) -> ColumnSpec:
    ct = canonical_type(dialect, sql_type)
    return ColumnSpec(
        field=name,
        name=name,
        type_name=guess_logical(dialect, ct),
        sql_types=frozen_types({dialect: ct}),
        nullable=nullable,
        primary_key=pk,
        autoincrement=autoincrement,
        server_default=default,
    )


def _action(rule: str | None) -> str | None:
    if rule is None:
        return None
    r = rule.strip().lower()
    return None if r in ("no action", "") else r


def guess_logical(dialect: str, canonical: str) -> str:
    """The typedorm logical type a canonical SQL type most likely holds (``"string"`` if unsure)."""
    t = canonical.lower()
    base = t.partition("(")[0].strip()
    if dialect == "sqlite":
        return _sqlite_logical(base)
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


def _paren_span(sql: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes respected)."""
    depth = 0
    i, n = start, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
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
            j = i + 1
            while j < n:
                if body[j] == ch:
                    if j + 1 < n and body[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
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


def _sqlite(conn: Executor) -> list[TableSpec]:
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
                _column(
                    "sqlite",
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
                    _action(grp[0][6]),
                    _action(grp[0][5]),
                    fname or _constraint_name("fk", tname, fcols),
                )
            )
        checks: list[CheckSpec] = []
        for i, (cname, csql) in enumerate(parsed.checks):
            checks.append(CheckSpec(cname or _constraint_name("ck", tname, (str(i),)), csql))
        out.append(_table(tname, columns, pk, indexes, fks, checks))
    return out


def _table(
    name: str,
    columns: list[ColumnSpec],
    pk: tuple[str, ...],
    indexes: list[IndexSpec],
    fks: list[ForeignKeySpec],
    checks: list[CheckSpec],
) -> TableSpec:
    return TableSpec(
        name=name,
        model_name=name,
        columns=tuple(columns),
        primary_key=pk,
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        foreign_keys=tuple(sorted(fks, key=lambda f: f.name or "")),
        checks=tuple(sorted(checks, key=lambda c: c.name)),
    )


# --- PostgreSQL --------------------------------------------------------------------------------

_PG_ACTIONS = {"a": None, "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


def _strip_check(defn: str) -> str:
    """``CHECK ((age >= 0))`` -> ``(age >= 0)``."""
    text = defn.strip()
    if text.upper().startswith("CHECK"):
        text = text[5:].strip()
        if text.upper().endswith("NOT VALID"):
            text = text[:-9].strip()
        if text.startswith("(") and _paren_span(text, 0) == len(text) - 1:
            text = text[1:-1].strip()
    return text


def _pg_array(v: Any) -> list[int]:
    if v is None:
        return []
    if isinstance(v, str):  # int2vector as text: "1 2"
        return [int(x) for x in v.strip("{}").replace(",", " ").split()]
    return [int(x) for x in v]


def _postgresql(conn: Executor) -> list[TableSpec]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ).rows
    ]
    attrs: dict[str, dict[int, str]] = {}
    for rel, num, att in conn.execute(
        "SELECT c.relname, a.attnum, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND a.attnum > 0 "
        "AND NOT a.attisdropped AND c.relkind IN ('r', 'p')"
    ).rows:
        attrs.setdefault(rel, {})[int(num)] = att
    out: list[TableSpec] = []
    for tname in tables:
        cols_rows = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE n.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (tname,),
        ).rows
        cons = conn.execute(
            "SELECT con.conname, con.contype, con.conkey, con.confkey, f.relname, con.confdeltype, "
            "con.confupdtype, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class f ON f.oid = con.confrelid "
            "WHERE n.nspname = current_schema() AND c.relname = ? ORDER BY con.conname",
            (tname,),
        ).rows
        names = attrs.get(tname, {})
        pk: tuple[str, ...] = ()
        indexes: list[IndexSpec] = []
        fks: list[ForeignKeySpec] = []
        checks: list[CheckSpec] = []
        for cname, ctype, conkey, confkey, ref, deltype, updtype, defn in cons:
            keys = tuple(names[k] for k in _pg_array(conkey))
            if ctype == "p":
                pk = keys
            elif ctype == "u":
                indexes.append(IndexSpec(cname, keys, True))
            elif ctype == "f":
                refnames = attrs.get(ref, {})
                fks.append(
                    ForeignKeySpec(
                        keys,
                        ref,
                        tuple(refnames[k] for k in _pg_array(confkey)),
                        _PG_ACTIONS.get(deltype),
                        _PG_ACTIONS.get(updtype),
                        cname,
                    )
                )
            elif ctype == "c":
                checks.append(CheckSpec(cname, _strip_check(defn)))
        for iname, unique, indkey in conn.execute(
            "SELECT i.relname, ix.indisunique, ix.indkey::int2[] FROM pg_index ix "
            "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ? AND NOT ix.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) "
            "ORDER BY i.relname",
            (tname,),
        ).rows:
            nums = _pg_array(indkey)
            if 0 in nums:
                logger.info("skipping expression index %s on %s", iname, tname)
                continue
            indexes.append(IndexSpec(iname, tuple(names[k] for k in nums), bool(unique)))
        columns: list[ColumnSpec] = []
        for aname, atype, notnull, default, identity in cols_rows:
            auto = identity in ("a", "d")
            if default is not None and str(default).startswith("nextval("):
                auto, default = True, None  # a serial column
            columns.append(
                _column(
                    "postgresql",
                    aname,
                    atype,
                    not notnull,
                    default=default,
                    pk=aname in pk,
                    autoincrement=auto and len(pk) == 1 and aname in pk,
                )
            )
        out.append(_table(tname, columns, pk, indexes, fks, checks))
    return out


# --- MySQL / MariaDB ---------------------------------------------------------------------------


def _mysql(conn: Executor) -> list[TableSpec]:
    version = str(conn.execute("SELECT VERSION()").rows[0][0])
    mariadb = "mariadb" in version.lower()
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        ).rows
    ]
    col_rows: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, DATA_TYPE "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION"
    ).rows:
        col_rows.setdefault(r[0], []).append(r)
    stats: dict[str, dict[str, tuple[bool, list[str]]]] = {}
    for tname, iname, non_unique, _seq, cname in conn.execute(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    ).rows:
        entry = stats.setdefault(tname, {}).setdefault(iname, (not int(non_unique), []))
        entry[1].append(cname)
    fk_cols: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for tname, cname, col, ref_t, ref_c in conn.execute(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME "
        "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
        "AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
    ).rows:
        fk_cols.setdefault((tname, cname), []).append((col, ref_t, ref_c))
    rules = {
        (r[0], r[1]): (r[2], r[3])
        for r in conn.execute(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE FROM "
            "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
        ).rows
    }
    check_rows: list[tuple[Any, ...]]
    if mariadb:
        check_rows = conn.execute(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE()"
        ).rows
    else:
        check_rows = conn.execute(
            "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' FROM "
            "information_schema.CHECK_CONSTRAINTS cc JOIN information_schema.TABLE_CONSTRAINTS tc "
            "ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME "
            "AND tc.CONSTRAINT_TYPE = 'CHECK' WHERE cc.CONSTRAINT_SCHEMA = DATABASE()"
        ).rows
    checks_by_table: dict[str, list[tuple[str, str, str]]] = {}
    for tname, cname, clause, level in check_rows:
        checks_by_table.setdefault(tname, []).append((cname, clause, level))

    out: list[TableSpec] = []
    for tname in tables:
        tstats = stats.get(tname, {})
        pk = tuple(tstats["PRIMARY"][1]) if "PRIMARY" in tstats else ()
        json_cols: set[str] = set()
        checks: list[CheckSpec] = []
        for cname, clause, level in checks_by_table.get(tname, []):
            # MariaDB's JSON is LONGTEXT plus CHECK (json_valid(col)), named after the column
            if level == "Column" and re.fullmatch(rf"json_valid\(`{re.escape(cname)}`\)", clause.strip()):
                json_cols.add(cname)
                continue
            checks.append(CheckSpec(cname, clause.strip()))
        columns: list[ColumnSpec] = []
        for _t, cname, ctype, nullable, default, extra, _dtype in col_rows.get(tname, []):
            nullable_b = nullable == "YES"
            if mariadb and default is not None and str(default).upper() == "NULL":
                default = None
            elif (
                not mariadb
                and default is not None
                and _dtype in ("char", "varchar", "text", "longtext", "enum")
            ):
                default = "'" + str(default).replace("'", "''") + "'"
            auto = "auto_increment" in str(extra).lower()
            sql_type = "json" if cname in json_cols else str(ctype)
            columns.append(
                _column(
                    "mysql",
                    cname,
                    sql_type,
                    nullable_b,
                    default=None if default is None else str(default),
                    pk=cname in pk,
                    autoincrement=auto,
                )
            )
        fks: list[ForeignKeySpec] = []
        fk_names: dict[str, tuple[str, ...]] = {}
        for (t2, fname), parts in sorted(fk_cols.items()):
            if t2 != tname:
                continue
            delete_rule, update_rule = rules.get((tname, fname), (None, None))
            fks.append(
                ForeignKeySpec(
                    tuple(p[0] for p in parts),
                    parts[0][1],
                    tuple(p[2] for p in parts),
                    _mysql_action(delete_rule),
                    _mysql_action(update_rule),
                    fname,
                )
            )
            fk_names[fname] = tuple(p[0] for p in parts)
        indexes: list[IndexSpec] = []
        for iname, (unique, icols) in tstats.items():
            if iname == "PRIMARY":
                continue
            if not unique and iname in fk_names and tuple(icols[: len(fk_names[iname])]) == fk_names[iname]:
                continue  # the index InnoDB creates for a foreign key by itself
            indexes.append(IndexSpec(iname, tuple(icols), unique))
        out.append(_table(tname, columns, pk, indexes, fks, checks))
    return out


def _mysql_action(rule: str | None) -> str | None:
    # MySQL reports RESTRICT for a foreign key declared without ON DELETE: the same as NO ACTION there
    r = _action(rule)
    return None if r == "restrict" else r
