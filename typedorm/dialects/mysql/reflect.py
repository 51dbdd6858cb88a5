"""MySQL/MariaDB introspection: information_schema queries for the current database."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ...schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec
from ..reflect import Executor, Introspector, action, normalize_type, table

__all__ = ["MySQLIntrospector"]

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


def _mysql(intro: Introspector, conn: Executor) -> list[TableSpec]:
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
                intro.column(
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
        out.append(table(tname, columns, pk, indexes, fks, checks))
    return out


def _mysql_action(rule: str | None) -> str | None:
    # MySQL reports RESTRICT for a foreign key declared without ON DELETE: the same as NO ACTION there
    r = action(rule)
    return None if r == "restrict" else r


class MySQLIntrospector(Introspector):
    """MySQL's and MariaDB's information_schema in DATABASE()."""

    restrict_is_no_action: ClassVar[bool] = True

    def tables(self, conn: Executor) -> list[TableSpec]:
        return _mysql(self, conn)

    def case_insensitive_columns(self, conn: Executor) -> list[tuple[Any, Any, Any]]:
        rows: list[tuple[Any, Any, Any]] = conn.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME LIKE ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
            ("%\\_ci",),
        ).rows
        return rows

    def plain_decimal(self, canonical: str) -> bool:
        # DECIMAL with no arguments is stored and reported as DECIMAL(65,30)
        return canonical.lower() == "decimal(65,30)"

    def model_hints(self, canonical: str, logical: str) -> tuple[str, list[str]]:
        comments: list[str] = []
        actual = canonical.lower()
        if logical == "naive_datetime" and actual == "datetime(6)":
            comments.append(
                "DATETIME(6) keeps no zone: if this column holds typedorm's aware datetimes (stored in UTC), "
                "declare it Col[datetime.datetime]"
            )
        if actual == "char(36)":
            logical = "uuid"
            comments.append("CHAR(36): read as a UUID")
        return logical, comments

    def canonical_type(self, sql_type: str) -> str:
        t = normalize_type(sql_type).lower()
        t = _MYSQL_ALIASES.get(t, t)
        base, paren, rest = t.partition("(")
        base = _MYSQL_ALIASES.get(base, base)
        t = f"{base}{paren}{rest}"
        m = _MYSQL_INT.match(t)
        if m and t != "tinyint(1)" and not t.startswith("tinyint(1) "):
            # MariaDB reports display widths (bigint(20)); they mean nothing for storage
            t = m.group(1) + m.group(2)
        return t
