"""How a dialect carries out schema changes: the :class:`Migrator` behind each migration operation.

A migration operation (``typedorm.migrations.ops``) checks its arguments against the
migration state, then asks the connected dialect's migrator (``Dialect.migrator()``) to
write the DDL. This base writes standard ``ALTER TABLE`` statements, steered by the
dialect's flags (``modify_column``, ``checks_pin_columns``, ``unique_is_index``); a
dialect whose backend changes tables differently has its own migrator in its package
(SQLite rebuilds tables, as peewee's ``SqliteMigrator`` does; MySQL drops the index a
foreign key made; PostgreSQL reads its catalog to tell a UNIQUE constraint from an index).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import UnsupportedChange
from ..sql.closed import FK_ACTIONS, check_keyword
from ..sql.stmt import CreateIndex, DropIndex

if TYPE_CHECKING:
    from ..schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec
    from .base import Dialect

__all__ = ["MigrationTarget", "Migrator", "Rows", "RunsStatements", "rename_identifier"]


class Rows(Protocol):
    """What a statement run by a migration returns (the engine's ``Result``)."""

    @property
    def rows(self) -> list[tuple[Any, ...]]: ...


class RunsStatements(Protocol):
    """A connection a migrator can run a statement on (the migration runner's)."""

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Rows: ...


class MigrationTarget(RunsStatements, Protocol):
    """Where a migrator sends its statements (``typedorm.migrations.ops.OpContext``)."""

    #: set by a migrator that rebuilt a table (the runner checks foreign keys afterwards)
    rebuilt: bool

    @property
    def offline(self) -> bool:
        """True when SQL is only rendered (``typedorm migrate sql``): queries return no rows."""
        ...

    def ddl(self, sql: str) -> None: ...

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Rows: ...


_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_$]*""")


def rename_identifier(sql: str, old: str, new: str) -> str:
    """``sql`` with the identifier ``old`` (bare or quoted) renamed to ``new``; string literals are kept."""
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(sql):
        tok = m.group(0)
        out.append(sql[pos : m.start()])
        pos = m.end()
        if tok == old:
            out.append(new)
        elif (
            len(tok) >= 2
            and tok[0] in '"`'
            and tok[-1] == tok[0]
            and tok[1:-1].replace(tok[0] * 2, tok[0]) == old
        ):
            q = tok[0]
            out.append(q + new.replace(q, q * 2) + q)
        else:
            out.append(tok)
    out.append(sql[pos:])
    return "".join(out)


class Migrator:
    """Standard ``ALTER TABLE`` DDL for the migration operations of one dialect.

    Every method receives the target to send statements to and the table as the migration
    state has it before (``t``) and after (``new_t``) the change; values a statement needs
    (a backfill) arrive already bound through the column's type.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect: Dialect = dialect

    def q(self, ident: str) -> str:
        """``ident`` quoted for this dialect."""
        return self.dialect.quote(ident)

    # --- shared pieces -----------------------------------------------------------------------
    def derived_checks(self, t: TableSpec, c: ColumnSpec) -> list[tuple[str, str]]:
        """The CHECK constraints DDL gives column ``c`` by itself: ``[(name, sql)]``."""
        d = self.dialect
        return [(d.constraint_name(t, suffix), sql) for suffix, sql in d.column_checks(t, c)]

    def add_check_sql(self, table: str, name: str, sql: str) -> str:
        return f"ALTER TABLE {self.q(table)} ADD CONSTRAINT {self.q(name)} CHECK ({sql})"

    def drop_constraint_sql(self, table: str, name: str) -> str:
        return f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}"

    def foreign_key_sql(self, f: ForeignKeySpec) -> str:
        q = self.q
        line = (
            f"CONSTRAINT {q(f.name or 'fk')} FOREIGN KEY ({', '.join(q(c) for c in f.columns)}) "
            f"REFERENCES {q(f.ref_table)} ({', '.join(q(c) for c in f.ref_columns)})"
        )
        if f.on_delete:
            line += f" ON DELETE {check_keyword(f.on_delete, FK_ACTIONS, 'on_delete').upper()}"
        if f.on_update:
            line += f" ON UPDATE {check_keyword(f.on_update, FK_ACTIONS, 'on_update').upper()}"
        return line

    def cast_sql(self, expr: str, sql_type: str) -> str:
        """``expr`` converted to ``sql_type`` in an ALTER COLUMN ... TYPE ... USING clause."""
        return f"CAST({expr} AS {sql_type})"

    # --- around a migration ------------------------------------------------------------------
    def foreign_keys_off_sql(self) -> str | None:
        """A statement run before a migration's transaction that lets tables be rebuilt while
        other tables reference them, or None where no migration rebuilds tables."""
        return None

    def foreign_keys_on_sql(self) -> str | None:
        """The statement that undoes :meth:`foreign_keys_off_sql` after the transaction."""
        return None

    def foreign_key_violations(self, conn: RunsStatements) -> list[tuple[Any, ...]]:
        """Rows whose foreign keys point nowhere, ``(table, rowid, parent, ...)``, checked before
        committing a migration that ran with foreign keys off."""
        return []

    # --- columns -----------------------------------------------------------------------------
    def add_column(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, c: ColumnSpec, fill: Sequence[Any]
    ) -> None:
        """Add ``c`` (the last column of ``new_t``); ``fill`` is ``[value]`` for existing rows, or empty."""
        q = self.q
        d = self.dialect
        table = q(t.name)
        if fill and not c.nullable:
            nullable_c = dataclasses.replace(c, nullable=True)
            target.ddl(f"ALTER TABLE {table} ADD COLUMN {d.column_ddl(new_t, nullable_c, False)}")
            target.execute(f"UPDATE {table} SET {q(c.name)} = ?", list(fill))
            target.ddl(self.set_not_null_sql(new_t, c))
        else:
            target.ddl(f"ALTER TABLE {table} ADD COLUMN {d.column_ddl(new_t, c, False)}")
            if fill:
                target.execute(f"UPDATE {table} SET {q(c.name)} = ?", list(fill))
        for name, sql in self.derived_checks(new_t, c):
            target.ddl(self.add_check_sql(t.name, name, sql))

    def set_not_null_sql(self, t: TableSpec, c: ColumnSpec) -> str:
        if self.dialect.modify_column:
            return f"ALTER TABLE {self.q(t.name)} MODIFY COLUMN {self.dialect.column_ddl(t, c, False)}"
        return f"ALTER TABLE {self.q(t.name)} ALTER COLUMN {self.q(c.name)} SET NOT NULL"

    def drop_column(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, c: ColumnSpec) -> None:
        if self.dialect.checks_pin_columns:
            for name, _sql in self.derived_checks(t, c):
                target.ddl(self.drop_constraint_sql(t.name, name))
        target.ddl(f"ALTER TABLE {self.q(t.name)} DROP COLUMN {self.q(c.name)}")

    def rename_column(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, old: str, new: str
    ) -> None:
        q = self.q
        table = t.name
        old_checks = self.derived_checks(t, t.by_name[old])
        new_checks = self.derived_checks(new_t, new_t.by_name[new])
        rename = f"ALTER TABLE {q(table)} RENAME COLUMN {q(old)} TO {q(new)}"
        if self.dialect.checks_pin_columns:
            # the database refuses to rename a column a CHECK uses: drop them, rename, add them back
            mentions = [k for k in t.checks if rename_identifier(k.sql, old, new) != k.sql]
            for name, _sql in old_checks:
                target.ddl(self.drop_constraint_sql(table, name))
            for k in mentions:
                target.ddl(self.drop_constraint_sql(table, k.name))
            target.ddl(rename)
            for name, sql in new_checks:
                target.ddl(self.add_check_sql(table, name, sql))
            for k in mentions:
                target.ddl(self.add_check_sql(table, k.name, rename_identifier(k.sql, old, new)))
            return
        target.ddl(rename)
        for (oname, _o), (nname, _n) in zip(old_checks, new_checks, strict=True):
            if oname != nname:
                target.ddl(f"ALTER TABLE {q(table)} RENAME CONSTRAINT {q(oname)} TO {q(nname)}")

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
        """Change column ``old`` into ``new``: type (converted by ``using``, an SQL expression
        over the column, else a cast), nullability (NULLs become ``fill[0]`` if given), default
        and the column's own checks."""
        q = self.q
        d = self.dialect
        table, qc = q(t.name), q(old.name)
        type_changed = d.column_sql_type(old) != d.column_sql_type(new)
        old_checks = self.derived_checks(t, old)
        new_checks = self.derived_checks(new_t, new)
        for name, sql in old_checks:
            if (name, sql) not in new_checks:
                target.ddl(self.drop_constraint_sql(t.name, name))
        if fill and old.nullable and not new.nullable:
            target.execute(f"UPDATE {table} SET {qc} = ? WHERE {qc} IS NULL", list(fill))
        if d.modify_column:
            if using is not None:
                raise UnsupportedChange(
                    f"alter_column {t.name}.{old.name}: {d.name} converts values itself in MODIFY COLUMN; for "
                    "another conversion add a new column, fill it with op.execute, drop the old one and rename"
                )
            if type_changed or old.nullable != new.nullable or old.server_default != new.server_default:
                target.ddl(f"ALTER TABLE {table} MODIFY COLUMN {d.column_ddl(new_t, new, False)}")
        else:
            alter = f"ALTER TABLE {table} ALTER COLUMN {qc}"
            if type_changed:
                if old.server_default is not None:
                    target.ddl(f"{alter} DROP DEFAULT")
                sql_type = d.column_sql_type(new)
                target.ddl(f"{alter} TYPE {sql_type} USING {using or self.cast_sql(qc, sql_type)}")
            if old.nullable != new.nullable:
                target.ddl(f"{alter} {'DROP' if new.nullable else 'SET'} NOT NULL")
            if old.server_default != new.server_default or (type_changed and old.server_default is not None):
                if new.server_default is None:
                    if not type_changed:
                        target.ddl(f"{alter} DROP DEFAULT")
                else:
                    target.ddl(f"{alter} SET DEFAULT {d.default_sql(new.server_default)}")
        for name, sql in new_checks:
            if (name, sql) not in old_checks:
                target.ddl(self.add_check_sql(t.name, name, sql))

    # --- indexes, keys, checks ---------------------------------------------------------------
    def add_index(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, i: IndexSpec) -> None:
        """Add index ``i`` (a UNIQUE constraint when ``i.unique``)."""
        if not i.unique:
            target.ddl(self.dialect.visit_create_index(CreateIndex(t, i, if_not_exists=False)))
            return
        cols = ", ".join(self.q(c) for c in i.columns)
        target.ddl(f"ALTER TABLE {self.q(t.name)} ADD CONSTRAINT {self.q(i.name)} UNIQUE ({cols})")

    def drop_index(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, i: IndexSpec) -> None:
        if not i.unique or self.dialect.unique_is_index or not self.is_unique_constraint(target, t, i):
            target.ddl(self.dialect.visit_drop_index(DropIndex(t, i, if_exists=False)))
        else:
            target.ddl(self.drop_constraint_sql(t.name, i.name))

    def is_unique_constraint(self, target: MigrationTarget, t: TableSpec, i: IndexSpec) -> bool:
        """Whether unique index ``i`` is a UNIQUE constraint (dropped as one) rather than a
        unique index made by hand; without a catalog to ask, it is one."""
        return True

    def add_foreign_key(
        self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, f: ForeignKeySpec
    ) -> None:
        target.ddl(f"ALTER TABLE {self.q(t.name)} ADD {self.foreign_key_sql(f)}")

    def drop_foreign_key(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, name: str) -> None:
        target.ddl(self.drop_constraint_sql(t.name, name))

    def add_check(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, k: CheckSpec) -> None:
        target.ddl(self.add_check_sql(t.name, k.name, k.sql))

    def drop_check(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, name: str) -> None:
        target.ddl(self.drop_constraint_sql(t.name, name))
