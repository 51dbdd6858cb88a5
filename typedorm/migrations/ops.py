"""Migration operations: each changes the migration state and compiles to DDL for the connected dialect.

Operations run in order against a :class:`OpContext`, which holds the schema *before* the
operation; :meth:`Operation.apply` then moves the state forward. On SQLite, changes that
``ALTER TABLE`` cannot make rebuild the table with the documented procedure
(sqlite.org/lang_altertable.html#otheralter): create the new table, copy the rows, drop
the old one, rename, recreate indexes, triggers and views; the runner switches foreign
keys off around the migration and runs ``PRAGMA foreign_key_check`` before committing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..dialects.base import Dialect
from ..dialects.migrate import Migrator, rename_identifier
from ..engine.database import Result
from ..schema.model import _constraint_name
from ..schema.spec import CheckSpec, ColumnSpec, DefaultLiteral, ForeignKeySpec, IndexSpec, TableSpec
from .connection import MigrationConnection
from .errors import MigrationError, UnsupportedChange
from .state import (
    Schema,
    column_signature,
    normalize_column,
    normalize_table,
    replace_column,
)

__all__ = [
    "AddCheck",
    "AddColumn",
    "AddForeignKey",
    "AddIndex",
    "AlterColumn",
    "CreateTableOp",
    "DropCheck",
    "DropColumn",
    "DropForeignKey",
    "DropIndexOp",
    "DropTableOp",
    "Execute",
    "Op",
    "OpContext",
    "Operation",
    "RenameColumn",
    "RenameTable",
    "RunPython",
    "render_column",
]

logger: logging.Logger = logging.getLogger("typedorm.migrations")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: "No backfill given" (distinct from a backfill of None).
MISSING: Any = _Missing()


class OpContext:
    """Where an operation runs: the connection (None when only rendering SQL), dialect and state."""

    def __init__(self, dialect: Dialect, schema: Schema, conn: MigrationConnection | None = None) -> None:
        self.dialect = dialect
        #: writes the dialect's DDL for each operation
        self.migrator: Migrator = dialect.migrator()
        self.schema = schema
        self.conn = conn
        self.statements: list[str] = []
        #: set by an operation that rebuilt a SQLite table (the runner checks foreign keys)
        self.rebuilt = False

    @property
    def name(self) -> str:
        """The dialect's family (a variant migrates as the backend it derives from)."""
        return self.dialect.family

    @property
    def offline(self) -> bool:
        return self.conn is None

    def q(self, ident: str) -> str:
        return self.dialect.quote(ident)

    def ddl(self, sql: str) -> None:
        self.statements.append(sql)
        if self.conn is not None:
            self.conn.ddl(sql)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        self.statements.append(sql)
        if self.conn is None:
            return Result([], (), 0, None)
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        """A read-only check; returns no rows when rendering SQL offline."""
        if self.conn is None:
            return Result([], (), 0, None)
        return self.conn.execute(sql, params)

    def has_rows(self, table: str, where: str = "") -> bool:
        if self.conn is None:
            return False
        sql = f"SELECT 1 FROM {self.q(table)}{' WHERE ' + where if where else ''} LIMIT 1"
        return bool(self.conn.execute(sql).rows)


# --- rendering helpers ---------------------------------------------------------------------------


def _lit(v: Any) -> str:
    """Python source for a literal, with double-quoted strings as a formatter would write them."""
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(x)}" for k, x in v.items()) + "}"
    if isinstance(v, str) and '"' not in v and "\\" not in v and v.isprintable():
        return f'"{v}"'
    return repr(v)


_COL_DEFAULTS: dict[str, Any] = {
    "nullable": False,
    "primary_key": False,
    "autoincrement": False,
    "server_default": None,
    "max_length": None,
    "min_length": None,
    "ge": None,
    "gt": None,
    "le": None,
    "lt": None,
    "max_digits": None,
    "decimal_places": None,
}


def render_column(c: ColumnSpec) -> str:
    """``col("name", "string", max_length=100)``: the source that rebuilds ``c`` in a migration file."""
    args = [_lit(c.name), _lit(c.type_name)]
    for k, default in _COL_DEFAULTS.items():
        v = getattr(c, k)
        if k == "server_default" and v is not None:
            # the same convention as Column(server_default=...): a value, or SQL("...") for raw SQL
            args.append(
                f"server_default={_lit(v.value) if isinstance(v, DefaultLiteral) else f'SQL({_lit(v)})'}"
            )
        elif v != default:
            args.append(f"{k}={_lit(v)}")
    if c.enum_values is not None:
        args.append(f"values={_lit(tuple(c.enum_values))}")
    if c.sql_types:
        # only SQL types declared for the column: the others follow from its type on each dialect
        args.append(f"sql_types={_lit(dict(sorted(c.sql_types.items())))}")
    # what makes a column keyed matters to its type on some backends (MySQL's indexable text)
    for k in ("unique", "index", "keyed"):
        if getattr(c, k) and not c.primary_key:
            args.append(f"{k}=True")
    return f"col({', '.join(args)})"


def _render_index(i: IndexSpec) -> str:
    extra = ", unique=True" if i.unique else ""
    return f"index({_lit(i.name)}, {_lit(i.columns)}{extra})"


def _render_fk(f: ForeignKeySpec) -> str:
    extra = ""
    if f.on_delete:
        extra += f", on_delete={_lit(f.on_delete)}"
    if f.on_update:
        extra += f", on_update={_lit(f.on_update)}"
    return f"fk({_lit(f.name)}, {_lit(f.columns)}, {_lit(f.ref_table)}, {_lit(f.ref_columns)}{extra})"


def _render_check(c: CheckSpec) -> str:
    return f"check({_lit(c.name)}, {_lit(c.sql)})"


# --- operations ----------------------------------------------------------------------------------


class Operation:
    """One schema or data change. Subclasses implement ``run``, ``apply``, ``describe``, ``render``."""

    kind: ClassVar[str] = "operation"
    #: whether the operation changes the schema (data operations do not)
    schema_change: ClassVar[bool] = True

    def run(self, ctx: OpContext) -> None:
        raise NotImplementedError

    def apply(self, schema: Schema) -> None:
        """Move ``schema`` forward past this operation."""

    def describe(self) -> str:
        return self.kind

    def render(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


@dataclasses.dataclass
class CreateTableOp(Operation):
    """``op.create_table("users", [col(...), ...], primary_key=[...], indexes=[...], ...)``."""

    table: TableSpec
    kind: ClassVar[str] = "create_table"

    def run(self, ctx: OpContext) -> None:
        if self.table.name in ctx.schema.tables:
            raise MigrationError(
                f"create_table: table {_lit(self.table.name)} already exists in the migration state"
            )
        for sql in ctx.dialect.create_table_statements(self.table, if_not_exists=False):
            ctx.ddl(sql)

    def apply(self, schema: Schema) -> None:
        schema.tables[self.table.name] = self.table

    def describe(self) -> str:
        return f"create table {self.table.name}"

    def render(self) -> str:
        t = self.table
        lines = ["op.create_table(", f"    {_lit(t.name)},", "    ["]
        lines += [f"        {render_column(c)}," for c in t.columns]
        lines.append("    ],")
        lines.append(f"    primary_key={_lit(t.primary_key)},")
        if t.indexes:
            lines.append("    indexes=[" + ", ".join(_render_index(i) for i in t.indexes) + "],")
        if t.foreign_keys:
            lines.append("    foreign_keys=[" + ", ".join(_render_fk(f) for f in t.foreign_keys) + "],")
        if t.checks:
            lines.append("    checks=[" + ", ".join(_render_check(c) for c in t.checks) + "],")
        lines.append(")")
        return "\n".join(lines)


@dataclasses.dataclass
class DropTableOp(Operation):
    """``op.drop_table("users")``."""

    name: str
    kind: ClassVar[str] = "drop_table"

    def run(self, ctx: OpContext) -> None:
        ctx.schema.table(self.name)
        for other in ctx.schema.tables.values():
            if other.name != self.name and any(f.ref_table == self.name for f in other.foreign_keys):
                raise MigrationError(
                    f"drop_table {_lit(self.name)}: table {_lit(other.name)} still has a foreign key to it; drop that first"
                )
        ctx.ddl(f"DROP TABLE {ctx.q(self.name)}")

    def apply(self, schema: Schema) -> None:
        schema.tables.pop(self.name, None)

    def describe(self) -> str:
        return f"drop table {self.name}"

    def render(self) -> str:
        return f"op.drop_table({_lit(self.name)})"


@dataclasses.dataclass
class RenameTable(Operation):
    """``op.rename_table("old", "new")`` (constraint and index names are kept)."""

    old: str
    new: str
    kind: ClassVar[str] = "rename_table"

    def run(self, ctx: OpContext) -> None:
        ctx.schema.table(self.old)
        ctx.ddl(ctx.dialect.rename_table_sql(self.old, self.new))

    def apply(self, schema: Schema) -> None:
        tables: dict[str, TableSpec] = {}
        for name, t in schema.tables.items():
            fks = tuple(
                dataclasses.replace(f, ref_table=self.new) if f.ref_table == self.old else f
                for f in t.foreign_keys
            )
            t = dataclasses.replace(t, foreign_keys=fks)
            if name == self.old:
                tables[self.new] = dataclasses.replace(t, name=self.new, model_name=self.new)
            else:
                tables[name] = t
        schema.tables = tables

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"

    def render(self) -> str:
        return f"op.rename_table({_lit(self.old)}, {_lit(self.new)})"


def _bound(ctx: OpContext, value: Any, column: ColumnSpec) -> Any:
    return ctx.dialect.bind(value, column)


@dataclasses.dataclass
class AddColumn(Operation):
    """``op.add_column("users", col("age", "integer"), backfill=0)``.

    A NOT NULL column without a server default needs ``backfill`` (the value existing rows
    get) when the table has rows; without one the migration stops with an explanation.
    """

    table: str
    column: ColumnSpec
    backfill: Any = MISSING
    kind: ClassVar[str] = "add_column"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        c = self.column
        if c.name in t.by_name:
            raise MigrationError(f"add_column: {self.table}.{c.name} already exists")
        if c.primary_key:
            raise UnsupportedChange(
                f"add_column {self.table}.{c.name}: adding a primary-key column is not supported"
            )
        needs_value = not c.nullable and c.server_default is None and not c.autoincrement
        fill = self.backfill is not MISSING and self.backfill is not None
        if needs_value and not fill and ctx.has_rows(self.table):
            raise MigrationError(
                f"cannot add NOT NULL column {self.table}.{c.name}: the table has rows and the column has no "
                f"default. Give the field a default (column(default=...) or server_default=...), pass "
                f"backfill=<value> to op.add_column, or add it as nullable, fill it with a data migration "
                f"(op.execute / op.run_python) and make it NOT NULL in a later migration"
            )
        new_t = dataclasses.replace(t, columns=(*t.columns, c))
        ctx.migrator.add_column(ctx, t, new_t, c, [_bound(ctx, self.backfill, c)] if fill else [])

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(t, columns=(*t.columns, self.column))

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name}"

    def render(self) -> str:
        extra = "" if self.backfill is MISSING else f", backfill={_lit(self.backfill)}"
        return f"op.add_column({_lit(self.table)}, {render_column(self.column)}{extra})"


def _references(t: TableSpec, column: str) -> list[str]:
    out = [f"index {i.name}" for i in t.indexes if column in i.columns]
    out += [f"foreign key {f.name}" for f in t.foreign_keys if column in f.columns]
    return out


@dataclasses.dataclass
class DropColumn(Operation):
    """``op.drop_column("users", "age")``; indexes and foreign keys using it must be dropped first."""

    table: str
    name: str
    kind: ClassVar[str] = "drop_column"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        c = t.by_name.get(self.name)
        if c is None:
            raise MigrationError(f"drop_column: {self.table}.{self.name} does not exist")
        if self.name in t.primary_key:
            raise UnsupportedChange(f"drop_column {self.table}.{self.name}: it is part of the primary key")
        refs = _references(t, self.name)
        for other in ctx.schema.tables.values():
            refs += [
                f"foreign key {f.name} of {other.name}"
                for f in other.foreign_keys
                if f.ref_table == self.table and self.name in f.ref_columns
            ]
        if refs:
            raise MigrationError(
                f"drop_column {self.table}.{self.name}: still used by {', '.join(refs)}; drop those first"
            )
        ctx.migrator.drop_column(ctx, t, replace_column(t, self.name, None), c)

    def apply(self, schema: Schema) -> None:
        schema.tables[self.table] = replace_column(schema.table(self.table), self.name, None)

    def describe(self) -> str:
        return f"drop column {self.table}.{self.name}"

    def render(self) -> str:
        return f"op.drop_column({_lit(self.table)}, {_lit(self.name)})"


def _rename_in(cols: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if c == old else c for c in cols)


@dataclasses.dataclass
class RenameColumn(Operation):
    """``op.rename_column("users", "name", "full_name")``: the data stays, references follow."""

    table: str
    old: str
    new: str
    kind: ClassVar[str] = "rename_column"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        c = t.by_name.get(self.old)
        if c is None:
            raise MigrationError(f"rename_column: {self.table}.{self.old} does not exist")
        if self.new in t.by_name:
            raise MigrationError(f"rename_column: {self.table}.{self.new} already exists")
        after = Schema(ctx.schema.tables.values())
        self.apply(after)
        ctx.migrator.rename_column(ctx, t, after.tables[self.table], self.old, self.new)

    def apply(self, schema: Schema) -> None:
        old, new = self.old, self.new
        tables: dict[str, TableSpec] = {}
        for name, t in schema.tables.items():
            fks = []
            for f in t.foreign_keys:
                if name == self.table:
                    f = dataclasses.replace(f, columns=_rename_in(f.columns, old, new))
                if f.ref_table == self.table:
                    f = dataclasses.replace(f, ref_columns=_rename_in(f.ref_columns, old, new))
                fks.append(f)
            t = dataclasses.replace(t, foreign_keys=tuple(fks))
            if name == self.table:
                cols = tuple(
                    dataclasses.replace(c, name=new, field=new) if c.name == old else c for c in t.columns
                )
                t = dataclasses.replace(
                    t,
                    columns=cols,
                    primary_key=_rename_in(t.primary_key, old, new),
                    indexes=tuple(
                        dataclasses.replace(i, columns=_rename_in(i.columns, old, new)) for i in t.indexes
                    ),
                    # the databases rewrite CHECK expressions on a rename; so does the state
                    checks=tuple(
                        dataclasses.replace(k, sql=rename_identifier(k.sql, old, new)) for k in t.checks
                    ),
                )
            tables[name] = t
        schema.tables = tables

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"

    def render(self) -> str:
        return f"op.rename_column({_lit(self.table)}, {_lit(self.old)}, {_lit(self.new)})"


@dataclasses.dataclass
class AlterColumn(Operation):
    """``op.alter_column("items", "price", col("price", "integer"), using=...)``.

    Changes type, nullability, default and the column's own checks to those of ``to``.
    Values are converted by a cast (``USING "c"::type`` on PostgreSQL, ``MODIFY COLUMN`` on
    MySQL, ``CAST`` while rebuilding on SQLite, refusing values that would change); ``using``
    gives the conversion expression per dialect (``{"postgresql": "..."}``) or for all.
    ``backfill`` fills NULLs when the column becomes NOT NULL.
    """

    table: str
    name: str
    to: ColumnSpec
    using: str | Mapping[str, str] | None = None
    backfill: Any = MISSING
    kind: ClassVar[str] = "alter_column"

    def _using(self, dialect: str) -> str | None:
        if self.using is None:
            return None
        if isinstance(self.using, str):
            return self.using
        return self.using.get(dialect)

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        old = t.by_name.get(self.name)
        if old is None:
            raise MigrationError(f"alter_column: {self.table}.{self.name} does not exist")
        new = dataclasses.replace(
            normalize_column(self.to), name=self.name, field=self.name, primary_key=old.primary_key
        )
        if new.autoincrement != old.autoincrement:
            raise UnsupportedChange(
                f"alter_column {self.table}.{self.name}: switching autoincrement on or off is not supported; "
                "write this migration by hand"
            )
        new_t = replace_column(t, self.name, new)
        d = ctx.name
        fill = self.backfill is not MISSING and self.backfill is not None
        dialect = ctx.dialect
        if (
            column_signature(t, old, dialect) == column_signature(new_t, new, dialect)
            and self._using(d) is None
        ):
            return  # the change concerns other dialects only (e.g. VARCHAR(255) for a keyed MySQL column)
        q = ctx.q
        qc = q(self.name)
        becomes_not_null = old.nullable and not new.nullable
        if becomes_not_null and not fill and ctx.has_rows(self.table, f"{qc} IS NULL"):
            raise MigrationError(
                f"cannot make {self.table}.{self.name} NOT NULL: some rows hold NULL there. Pass backfill=<value> "
                "to op.alter_column, or fill them in a data migration first"
            )
        backfill = [_bound(ctx, self.backfill, new)] if fill and becomes_not_null else []
        ctx.migrator.alter_column(ctx, t, new_t, old, new, self._using(d), backfill)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        old = t.by_name[self.name]
        new = dataclasses.replace(
            normalize_column(self.to), name=self.name, field=self.name, primary_key=old.primary_key
        )
        schema.tables[self.table] = replace_column(t, self.name, new)

    def describe(self) -> str:
        return f"alter column {self.table}.{self.name}"

    def render(self) -> str:
        extra = ""
        if self.using is not None:
            extra += f", using={_lit(self.using)}"
        if self.backfill is not MISSING:
            extra += f", backfill={_lit(self.backfill)}"
        return f"op.alter_column({_lit(self.table)}, {_lit(self.name)}, {render_column(self.to)}{extra})"


@dataclasses.dataclass
class AddIndex(Operation):
    """``op.add_index("users", index("ix_users_age", ["age"]))``; ``unique=True`` adds a UNIQUE constraint."""

    table: str
    index: IndexSpec
    kind: ClassVar[str] = "add_index"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        i = self.index
        if any(x.name == i.name for x in t.indexes):
            raise MigrationError(f"add_index: {self.table} already has an index named {_lit(i.name)}")
        missing = [c for c in i.columns if c not in t.by_name]
        if missing:
            raise MigrationError(f"add_index {i.name}: {self.table} has no column {', '.join(missing)}")
        ctx.migrator.add_index(ctx, t, dataclasses.replace(t, indexes=(*t.indexes, i)), i)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(t, indexes=(*t.indexes, self.index))

    def describe(self) -> str:
        return (
            f"add {'unique constraint' if self.index.unique else 'index'} {self.index.name} on {self.table}"
        )

    def render(self) -> str:
        return f"op.add_index({_lit(self.table)}, {_render_index(self.index)})"


@dataclasses.dataclass
class DropIndexOp(Operation):
    """``op.drop_index("users", "ix_users_age")`` (an index or a UNIQUE constraint)."""

    table: str
    name: str
    kind: ClassVar[str] = "drop_index"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        i = next((x for x in t.indexes if x.name == self.name), None)
        if i is None:
            raise MigrationError(f"drop_index: {self.table} has no index named {_lit(self.name)}")
        new_t = dataclasses.replace(t, indexes=tuple(x for x in t.indexes if x.name != self.name))
        ctx.migrator.drop_index(ctx, t, new_t, i)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(
            t, indexes=tuple(x for x in t.indexes if x.name != self.name)
        )

    def describe(self) -> str:
        return f"drop index {self.name} on {self.table}"

    def render(self) -> str:
        return f"op.drop_index({_lit(self.table)}, {_lit(self.name)})"


@dataclasses.dataclass
class AddForeignKey(Operation):
    """``op.add_foreign_key("orders", fk("fk_orders_user_id", "user_id", "users", "id"))``."""

    table: str
    fk: ForeignKeySpec
    kind: ClassVar[str] = "add_foreign_key"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        f = self.fk
        if f.name is None:
            f = dataclasses.replace(f, name=_constraint_name("fk", self.table, f.columns))
        if any(x.name == f.name for x in t.foreign_keys):
            raise MigrationError(
                f"add_foreign_key: {self.table} already has a foreign key named {_lit(f.name)}"
            )
        ctx.migrator.add_foreign_key(ctx, t, dataclasses.replace(t, foreign_keys=(*t.foreign_keys, f)), f)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        f = self.fk
        if f.name is None:
            f = dataclasses.replace(f, name=_constraint_name("fk", self.table, f.columns))
        schema.tables[self.table] = dataclasses.replace(t, foreign_keys=(*t.foreign_keys, f))

    def describe(self) -> str:
        return f"add foreign key {self.fk.name} on {self.table} -> {self.fk.ref_table}"

    def render(self) -> str:
        return f"op.add_foreign_key({_lit(self.table)}, {_render_fk(self.fk)})"


@dataclasses.dataclass
class DropForeignKey(Operation):
    """``op.drop_foreign_key("orders", "fk_orders_user_id")``."""

    table: str
    name: str
    kind: ClassVar[str] = "drop_foreign_key"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        if not any(f.name == self.name for f in t.foreign_keys):
            raise MigrationError(f"drop_foreign_key: {self.table} has no foreign key named {_lit(self.name)}")
        new_t = dataclasses.replace(t, foreign_keys=tuple(f for f in t.foreign_keys if f.name != self.name))
        ctx.migrator.drop_foreign_key(ctx, t, new_t, self.name)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(
            t, foreign_keys=tuple(f for f in t.foreign_keys if f.name != self.name)
        )

    def describe(self) -> str:
        return f"drop foreign key {self.name} on {self.table}"

    def render(self) -> str:
        return f"op.drop_foreign_key({_lit(self.table)}, {_lit(self.name)})"


@dataclasses.dataclass
class AddCheck(Operation):
    """``op.add_check("users", check("ck_users_adult", "age >= 18"))``."""

    table: str
    check: CheckSpec
    kind: ClassVar[str] = "add_check"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        ctx.migrator.add_check(ctx, t, dataclasses.replace(t, checks=(*t.checks, self.check)), self.check)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(t, checks=(*t.checks, self.check))

    def describe(self) -> str:
        return f"add check {self.check.name} on {self.table}"

    def render(self) -> str:
        return f"op.add_check({_lit(self.table)}, {_render_check(self.check)})"


@dataclasses.dataclass
class DropCheck(Operation):
    """``op.drop_check("users", "ck_users_adult")``."""

    table: str
    name: str
    kind: ClassVar[str] = "drop_check"

    def run(self, ctx: OpContext) -> None:
        t = ctx.schema.table(self.table)
        if not any(c.name == self.name for c in t.checks):
            raise MigrationError(f"drop_check: {self.table} has no check named {_lit(self.name)}")
        new_t = dataclasses.replace(t, checks=tuple(c for c in t.checks if c.name != self.name))
        ctx.migrator.drop_check(ctx, t, new_t, self.name)

    def apply(self, schema: Schema) -> None:
        t = schema.table(self.table)
        schema.tables[self.table] = dataclasses.replace(
            t, checks=tuple(c for c in t.checks if c.name != self.name)
        )

    def describe(self) -> str:
        return f"drop check {self.name} on {self.table}"

    def render(self) -> str:
        return f"op.drop_check({_lit(self.table)}, {_lit(self.name)})"


@dataclasses.dataclass
class Execute(Operation):
    """``op.execute("UPDATE users SET age = ? WHERE age IS NULL", [0])``: a data migration statement."""

    sql: str
    params: Sequence[Any] | Mapping[str, Any] | None = None
    kind: ClassVar[str] = "execute"
    schema_change: ClassVar[bool] = False

    def run(self, ctx: OpContext) -> None:
        ctx.execute(self.sql, self.params)

    def describe(self) -> str:
        text = " ".join(self.sql.split())
        return f"execute {text[:60]}{'...' if len(text) > 60 else ''}"

    def render(self) -> str:
        extra = f", {_lit(self.params)}" if self.params is not None else ""
        return f"op.execute({_lit(self.sql)}{extra})"


class MigrationContext:
    """What ``op.run_python(fn)`` hands ``fn``: the migration's connection, in its transaction.

    ``execute(sql, params)`` takes portable ``?`` / ``:name`` placeholders and returns a
    :class:`~typedorm.Result`; ``dialect`` is ``"sqlite"``, ``"postgresql"`` or ``"mysql"``.
    """

    def __init__(self, ctx: OpContext) -> None:
        self._ctx = ctx

    @property
    def dialect(self) -> str:
        return self._ctx.name

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Result:
        return self._ctx.execute(sql, params)


@dataclasses.dataclass
class RunPython(Operation):
    """``op.run_python(fn)``: ``fn(ctx)`` runs inside the migration with ``ctx.execute(sql, params)``."""

    fn: Callable[[MigrationContext], object]
    kind: ClassVar[str] = "run_python"
    schema_change: ClassVar[bool] = False

    def run(self, ctx: OpContext) -> None:
        if ctx.offline:
            ctx.statements.append(f"-- run_python({getattr(self.fn, '__name__', 'fn')})")
            return
        self.fn(MigrationContext(ctx))

    def describe(self) -> str:
        return f"run_python {getattr(self.fn, '__name__', 'fn')}"

    def render(self) -> str:
        return f"op.run_python({getattr(self.fn, '__name__', 'fn')})"


class Op:
    """What ``upgrade(op)`` and ``downgrade(op)`` receive: each call records one operation.

    Example::

        def upgrade(op: Op) -> None:
            op.add_column("users", col("age", "integer"), backfill=0)
            op.rename_column("users", "name", "full_name")
            op.execute("UPDATE users SET age = ? WHERE age < 0", [0])
    """

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def _add(self, operation: Operation) -> None:
        self.operations.append(operation)

    def create_table(
        self,
        name: str,
        columns: Sequence[ColumnSpec],
        *,
        primary_key: Sequence[str],
        indexes: Sequence[IndexSpec] = (),
        foreign_keys: Sequence[ForeignKeySpec] = (),
        checks: Sequence[CheckSpec] = (),
    ) -> None:
        pk = tuple(primary_key)
        cols = tuple(dataclasses.replace(c, primary_key=c.name in pk) for c in columns)
        spec = TableSpec(
            name=name,
            model_name=name,
            columns=cols,
            primary_key=pk,
            indexes=tuple(indexes),
            foreign_keys=tuple(foreign_keys),
            checks=tuple(checks),
        )
        self._add(CreateTableOp(normalize_table(spec)))

    def drop_table(self, name: str) -> None:
        self._add(DropTableOp(name))

    def rename_table(self, old: str, new: str) -> None:
        self._add(RenameTable(old, new))

    def add_column(self, table: str, column: ColumnSpec, *, backfill: Any = MISSING) -> None:
        self._add(AddColumn(table, normalize_column(column), backfill))

    def drop_column(self, table: str, name: str) -> None:
        self._add(DropColumn(table, name))

    def rename_column(self, table: str, old: str, new: str) -> None:
        self._add(RenameColumn(table, old, new))

    def alter_column(
        self,
        table: str,
        name: str,
        to: ColumnSpec,
        *,
        using: str | Mapping[str, str] | None = None,
        backfill: Any = MISSING,
    ) -> None:
        self._add(AlterColumn(table, name, normalize_column(to), using, backfill))

    def add_index(self, table: str, index: IndexSpec) -> None:
        self._add(AddIndex(table, index))

    def add_unique(self, table: str, name: str, columns: Sequence[str]) -> None:
        self._add(AddIndex(table, IndexSpec(name, tuple(columns), True)))

    def drop_index(self, table: str, name: str) -> None:
        self._add(DropIndexOp(table, name))

    def add_foreign_key(self, table: str, fk: ForeignKeySpec) -> None:
        self._add(AddForeignKey(table, fk))

    def drop_foreign_key(self, table: str, name: str) -> None:
        self._add(DropForeignKey(table, name))

    def add_check(self, table: str, check: CheckSpec) -> None:
        self._add(AddCheck(table, check))

    def drop_check(self, table: str, name: str) -> None:
        self._add(DropCheck(table, name))

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        self._add(Execute(sql, params))

    def run_python(self, fn: Callable[[MigrationContext], object]) -> None:
        self._add(RunPython(fn))
