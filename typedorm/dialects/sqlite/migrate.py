"""SQLite's migrator: ALTER TABLE only renames and adds columns (sqlite.org/lang_altertable.html),
so other changes rebuild the table with the documented procedure, foreign keys off around it."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import MigrationError
from ...sql.stmt import CreateIndex, CreateTable
from ..migrate import MigrationTarget, Migrator, RunsStatements
from ..reflect import _ident_list, _paren_span

if TYPE_CHECKING:
    from ...schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec

__all__ = ["SQLiteMigrator", "affinity"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

_CONSTANT = re.compile(r"-?\d+(\.\d+)?|'(?:[^']|'')*'|NULL|TRUE|FALSE", re.IGNORECASE)


def affinity(sql_type: str) -> str:
    """The column affinity SQLite gives a declared type (sqlite.org/datatype3.html#determination_of_column_affinity)."""
    t = sql_type.upper()
    if "INT" in t:
        return "INTEGER"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


class SQLiteMigrator(Migrator):
    def foreign_keys_off_sql(self) -> str | None:
        # table rebuilds need foreign keys off, and the pragma only changes outside a transaction
        return "PRAGMA foreign_keys=OFF"

    def foreign_keys_on_sql(self) -> str | None:
        return "PRAGMA foreign_keys=ON"

    def foreign_key_violations(self, conn: RunsStatements) -> list[tuple[Any, ...]]:
        return list(conn.execute("PRAGMA foreign_key_check").rows)

    def copy_all(self, t: TableSpec) -> dict[str, str]:
        return {c.name: self.q(c.name) for c in t.columns}

    def rebuild(
        self,
        target: MigrationTarget,
        old: TableSpec,
        new: TableSpec,
        exprs: Mapping[str, str] | None = None,
        params: Sequence[Any] = (),
    ) -> None:
        """Rebuild table ``old.name`` as ``new`` (sqlite.org/lang_altertable.html#otheralter).

        ``exprs`` maps each column of ``new`` that gets a value to an SQL expression over the old
        table (a plain copy of every column by default); columns left out take their default.
        Indexes come from ``new``; other indexes, triggers and views are saved and recreated.
        """
        q = self.q
        exprs = self.copy_all(new) if exprs is None else exprs
        name = old.name
        target.rebuilt = True
        saved = target.query(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL",
            (name,),
        ).rows
        views = target.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL"
        ).rows
        for vname, _sql in views:
            target.ddl(f"DROP VIEW {q(vname)}")
        tmp = f"_typedorm_new_{name}"
        create = self.dialect.visit_create_table(CreateTable(new, if_not_exists=False))
        head = f"CREATE TABLE {q(name)}"
        assert create.startswith(head)
        target.ddl(f"CREATE TABLE {q(tmp)}" + create[len(head) :])
        targets = [c.name for c in new.columns if c.name in exprs]
        if targets:
            target.execute(
                f"INSERT INTO {q(tmp)} ({', '.join(q(c) for c in targets)}) "
                f"SELECT {', '.join(exprs[c] for c in targets)} FROM {q(name)}",
                list(params),
            )
        target.ddl(f"DROP TABLE {q(name)}")
        target.ddl(f"ALTER TABLE {q(tmp)} RENAME TO {q(name)}")
        known = {i.name for i in new.indexes}
        for i in new.indexes:
            if not i.unique:
                target.ddl(self.dialect.visit_create_index(CreateIndex(new, i, if_not_exists=False)))
        new_cols = {c.name for c in new.columns}
        old_index_names = {i.name for i in old.indexes}
        for kind, oname, osql in saved:
            if kind == "index":
                if oname in known or oname in old_index_names:
                    continue  # indexes the state knows about come from ``new``
                # an index typedorm does not manage: keep it if its columns survived
                if not all(c in new_cols for c in _index_columns(osql)):
                    logger.warning(
                        "index %s on %s dropped by the rebuild: it uses a removed column", oname, name
                    )
                    continue
            target.ddl(osql)
        for _vname, vsql in views:
            target.ddl(vsql)

    # --- columns -----------------------------------------------------------------------------
    def add_column(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, c: ColumnSpec, fill: Sequence[Any]
    ) -> None:
        q = self.q
        # ADD COLUMN takes only constant defaults: sqlite.org/lang_altertable.html#altertabaddcol
        constant = (
            not isinstance(c.server_default, str) or _CONSTANT.fullmatch(c.server_default.strip()) is not None
        )
        simple = (
            (c.nullable or c.server_default is not None) and constant and not self.derived_checks(new_t, c)
        )
        if simple:
            # ADD COLUMN suffices for a plain column
            target.ddl(f"ALTER TABLE {q(t.name)} ADD COLUMN {self.dialect.column_ddl(new_t, c, False)}")
            if fill:
                target.execute(f"UPDATE {q(t.name)} SET {q(c.name)} = ?", list(fill))
            return
        exprs = self.copy_all(t)
        if fill:
            exprs[c.name] = "?"
        self.rebuild(target, t, new_t, exprs, list(fill))

    def drop_column(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, c: ColumnSpec) -> None:
        self.rebuild(target, t, new_t)

    def rename_column(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, old: str, new: str
    ) -> None:
        # RENAME COLUMN rewrites indexes, triggers, views and other tables' foreign keys
        target.ddl(f"ALTER TABLE {self.q(t.name)} RENAME COLUMN {self.q(old)} TO {self.q(new)}")
        if self.derived_checks(t, t.by_name[old]) != self.derived_checks(new_t, new_t.by_name[new]):
            # ... but constraint names keep the old column name: rebuild to rename them
            self.rebuild(target, new_t, new_t)

    def alter_column(
        self,
        target: MigrationTarget,
        t: TableSpec,
        new_t: TableSpec,
        old: ColumnSpec,
        new: ColumnSpec,
        using: str | None,
        fill: Sequence[Any],
    ) -> None:
        q = self.q
        qc = q(old.name)
        d = self.dialect
        expr = qc
        if using is not None:
            expr = f"({using})"
        elif d.column_sql_type(old) != d.column_sql_type(new):
            sql_type = d.column_sql_type(new)
            kind = affinity(sql_type)
            if affinity(d.column_sql_type(old)) != kind:
                if kind in ("INTEGER", "REAL"):
                    # CAST turns 'abc' into 0 without a word: refuse values that would change
                    bad = target.query(
                        f"SELECT {qc} FROM {q(t.name)} WHERE {qc} IS NOT NULL AND CAST({qc} AS {kind}) <> {qc} "
                        "LIMIT 1"
                    ).rows
                    if bad:
                        raise MigrationError(
                            f"cannot convert {t.name}.{old.name} to {sql_type}: the value {bad[0][0]!r} has no "
                            f"exact {sql_type} form. Fix the data first, or pass using=... to op.alter_column"
                        )
                expr = f"CAST({qc} AS {kind})"
        params: list[Any] = []
        if fill and old.nullable and not new.nullable:
            expr = f"COALESCE({expr}, ?)"
            params.extend(fill)
        exprs = self.copy_all(new_t)
        exprs[old.name] = expr
        self.rebuild(target, t, new_t, exprs, params)

    # --- indexes, keys, checks ---------------------------------------------------------------
    def add_index(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, i: IndexSpec) -> None:
        if not i.unique:
            super().add_index(target, t, new_t, i)
            return
        # A unique index enforces exactly what a UNIQUE constraint does, without a rebuild
        cols = ", ".join(self.q(c) for c in i.columns)
        target.ddl(f"CREATE UNIQUE INDEX {self.q(i.name)} ON {self.q(t.name)} ({cols})")

    def drop_index(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, i: IndexSpec) -> None:
        real = target.offline or bool(
            target.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ? AND sql IS NOT NULL", (i.name,)
            ).rows
        )
        if real:
            target.ddl(f"DROP INDEX {self.q(i.name)}")
        else:
            # a UNIQUE constraint inside CREATE TABLE: only a rebuild removes it
            self.rebuild(target, t, new_t)

    def add_foreign_key(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, f: ForeignKeySpec
    ) -> None:
        self.rebuild(target, t, new_t)

    def drop_foreign_key(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, name: str) -> None:
        self.rebuild(target, t, new_t)

    def add_check(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, k: CheckSpec) -> None:
        self.rebuild(target, t, new_t)

    def drop_check(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, name: str) -> None:
        self.rebuild(target, t, new_t)


def _index_columns(sql: str) -> list[str]:
    p = sql.find("(")
    if p < 0:
        return []
    return list(_ident_list(sql[p + 1 : _paren_span(sql, p)]))
