"""PostgreSQL introspection: pg_catalog queries for the current schema."""

from __future__ import annotations

import logging
from typing import Any

from ...schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec
from ..reflect import Executor, Introspector, _paren_span, normalize_type, table

__all__ = ["PostgreSQLIntrospector"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

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


def _postgresql(intro: Introspector, conn: Executor) -> list[TableSpec]:
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
                intro.column(
                    aname,
                    atype,
                    not notnull,
                    default=default,
                    pk=aname in pk,
                    autoincrement=auto and len(pk) == 1 and aname in pk,
                )
            )
        out.append(table(tname, columns, pk, indexes, fks, checks))
    return out


class PostgreSQLIntrospector(Introspector):
    """PostgreSQL's catalog (pg_class, pg_attribute, pg_constraint, pg_index) in current_schema()."""

    def tables(self, conn: Executor) -> list[TableSpec]:
        return _postgresql(self, conn)

    def case_insensitive_columns(self, conn: Executor) -> list[tuple[Any, Any, Any]]:
        # nondeterministic collations compare case-insensitively (or otherwise loosely)
        rows: list[tuple[Any, Any, Any]] = conn.execute(
            "SELECT c.relname, a.attname, co.collname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
            "AND NOT a.attisdropped AND NOT co.collisdeterministic ORDER BY c.relname, a.attnum"
        ).rows
        return rows

    def canonical_type(self, sql_type: str) -> str:
        t = normalize_type(sql_type).lower()
        base, paren, rest = t.partition("(")
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
