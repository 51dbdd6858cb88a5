"""Schema state for migrations: the tables a database should have, as a JSON snapshot, and column helpers.

A :class:`Schema` is an ordered set of :class:`~typedorm.schema.spec.TableSpec` built from
models, from a snapshot file or by replaying migration operations. Column specs made here
(:func:`col`) carry a column type rebuilt from the logical type name, so that DDL compiled
from a snapshot has the same type-derived CHECK constraints as DDL compiled from models.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from ..dialects.base import Dialect
from ..dialects.registry import known_dialects
from ..errors import TypedORMError
from ..schema.columns import ServerDefault
from ..schema.model import server_default_spec
from ..schema.spec import (
    CheckSpec,
    ColumnSpec,
    DefaultLiteral,
    ForeignKeySpec,
    IndexSpec,
    TableSpec,
    frozen_types,
)
from ..schema.types import ColumnType, EnumType, JSONType, as_dialect

__all__ = [
    "Schema",
    "check",
    "col",
    "column_signature",
    "column_type_for",
    "derived_checks",
    "fk",
    "index",
    "replace_column",
]

#: 2: columns keep only their declared SQL types (version 1 stored one per built-in dialect)
SNAPSHOT_VERSION = 2


class _OpaqueType(ColumnType):
    """A column type known only by name (a custom type whose class is not imported)."""

    def __init__(self, logical: str) -> None:
        self.logical_name = logical

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        from .errors import MigrationError

        raise MigrationError(
            f"column {column.name!r} has custom type {self.logical_name!r}: give its SQL types with "
            "col(..., sql_types={...}) or import the module that defines the type"
        )


def _all_subclasses(cls: type[ColumnType]) -> Iterable[type[ColumnType]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def column_type_for(type_name: str, enum_values: Sequence[Any] | None = None) -> ColumnType:
    """The column type of a logical type name (``"integer"``, ``"string"``, ``"enum"``, ...).

    Custom types are found among the imported :class:`ColumnType` subclasses by their
    ``logical`` name; one that cannot be built without arguments becomes an opaque type
    whose SQL types must be given explicitly.
    """
    if type_name == "enum":
        values = list(enum_values or ())
        members = {f"m{i}": v for i, v in enumerate(values)}
        snapshot_enum: type[enum.Enum] = enum.Enum("SnapshotEnum", members)  # type: ignore[misc]
        return EnumType(snapshot_enum)
    if type_name == "json":
        return JSONType()
    for sub in _all_subclasses(ColumnType):
        if sub is _OpaqueType or getattr(sub, "logical", None) != type_name:
            continue
        try:
            return sub()
        except TypeError:
            continue
    return _OpaqueType(type_name)


def _stub(name: str, type_name: str, **kw: Any) -> ColumnSpec:
    return ColumnSpec(
        field=name, name=name, type_name=type_name, sql_types=frozen_types({}), nullable=False, **kw
    )


def col(
    name: str,
    type: str,
    *,
    nullable: bool = False,
    primary_key: bool = False,
    autoincrement: bool = False,
    server_default: ServerDefault | DefaultLiteral | None = None,
    max_length: int | None = None,
    min_length: int | None = None,
    ge: float | int | str | None = None,
    gt: float | int | str | None = None,
    le: float | int | str | None = None,
    lt: float | int | str | None = None,
    max_digits: int | None = None,
    decimal_places: int | None = None,
    values: Sequence[Any] | None = None,
    sql_types: Mapping[str, str] | None = None,
    unique: bool = False,
    index: bool = False,
    keyed: bool = False,
) -> ColumnSpec:
    """A column for migration operations: ``col("email", "string", max_length=200)``.

    ``type`` is the logical type; the SQL type of each dialect follows from it exactly as
    for a model field, unless ``sql_types`` names it (by dialect name or family, ``"*"`` for
    every dialect). ``values`` are the members of an ``"enum"`` column; ``keyed`` marks a
    column of a composite key or index.
    """
    enum_values = tuple(values) if values is not None else None
    ct = column_type_for(type, enum_values)
    base = _stub(
        name,
        type,
        primary_key=primary_key,
        autoincrement=autoincrement,
        server_default=server_default_spec(server_default, f"col({name!r})"),
        max_length=max_length,
        min_length=min_length,
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
        max_digits=max_digits,
        decimal_places=decimal_places,
        enum_values=enum_values,
        unique=unique,
        index=index,
        keyed=keyed,
        column_type=ct,
    )
    given = dict(sql_types or {})
    bad = [k for k, v in given.items() if not (isinstance(k, str) and k and isinstance(v, str) and v)]
    if bad:
        raise ValueError(f"col({name!r}): sql_types maps dialect names to SQL type text, not {bad!r}")
    return dataclasses.replace(base, nullable=nullable, sql_types=frozen_types(given))


def index(name: str, columns: Sequence[str] | str, *, unique: bool = False) -> IndexSpec:
    """An index (``unique=True``: a UNIQUE constraint) for migration operations."""
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    return IndexSpec(name, cols, unique)


def fk(
    name: str,
    columns: Sequence[str] | str,
    ref_table: str,
    ref_columns: Sequence[str] | str,
    *,
    on_delete: str | None = None,
    on_update: str | None = None,
) -> ForeignKeySpec:
    """A foreign key for migration operations: ``fk("fk_orders_user_id", "user_id", "users", "id")``."""
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    refs = (ref_columns,) if isinstance(ref_columns, str) else tuple(ref_columns)
    return ForeignKeySpec(cols, ref_table, refs, on_delete, on_update, name)


def check(name: str, sql: str) -> CheckSpec:
    """A named CHECK constraint for migration operations."""
    return CheckSpec(name, sql)


def normalize_column(c: ColumnSpec) -> ColumnSpec:
    """``c`` as the migration state keeps it: keyed by SQL name, with a column type for DDL."""
    ct = c.column_type
    if ct is None:
        ct = column_type_for(c.type_name, c.enum_values)
    return dataclasses.replace(c, field=c.name, column_type=ct, python_type=None, comment=None)


def normalize_table(t: TableSpec) -> TableSpec:
    return dataclasses.replace(
        t,
        model_name=t.model_name or t.name,
        columns=tuple(normalize_column(c) for c in t.columns),
        comment=None,
    )


def replace_column(t: TableSpec, name: str, new: ColumnSpec | None) -> TableSpec:
    """``t`` with column ``name`` replaced by ``new`` (or removed when ``new`` is None)."""
    cols: list[ColumnSpec] = []
    for c in t.columns:
        if c.name == name:
            if new is not None:
                cols.append(new)
        else:
            cols.append(c)
    return dataclasses.replace(t, columns=tuple(cols))


def derived_checks(t: TableSpec, c: ColumnSpec, dialect: Dialect | str) -> list[tuple[str, str]]:
    """The CHECK constraints DDL gives column ``c`` by itself on ``dialect``: ``[(name, sql)]``."""
    d = as_dialect(dialect)
    return [(d.constraint_name(t, suffix), sql) for suffix, sql in d.column_checks(t, c)]


def column_signature(t: TableSpec, c: ColumnSpec, dialect: Dialect | str) -> tuple[Any, ...]:
    """What the DDL of column ``c`` depends on for ``dialect``; equal signatures need no migration."""
    d = as_dialect(dialect)
    return (
        d.column_sql_type(c),
        c.nullable,
        c.server_default,
        c.autoincrement,
        tuple(derived_checks(t, c, d)),
    )


def columns_differ(t: TableSpec, old: ColumnSpec, nt: TableSpec, new: ColumnSpec) -> bool:
    """Whether column ``old`` of ``t`` and ``new`` of ``nt`` have different DDL on any known dialect
    (migrations are portable: a change that matters to one backend is a change)."""
    return any(column_signature(t, old, d) != column_signature(nt, new, d) for d in known_dialects())


def _jsonable(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _jsonable(x) for k, x in v.items())
    return False


def literal_default(value: Any) -> tuple[bool, Any]:
    """``(True, literal)`` when a model default can be written into a migration as a backfill."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Decimal):
        return False, None
    if isinstance(value, (bool, int, float, str)) and not isinstance(value, enum.Enum):
        return True, value
    return False, None


class Schema:
    """The tables a database has (or should have), in creation order, plus column defaults.

    ``defaults`` maps ``"table.column"`` to the model's literal default, which migrations
    use to fill existing rows when a NOT NULL column is added (not part of the DDL).
    """

    def __init__(self, tables: Iterable[TableSpec] = (), defaults: Mapping[str, Any] | None = None) -> None:
        self.tables: dict[str, TableSpec] = {}
        for t in tables:
            self.tables[t.name] = normalize_table(t)
        self.defaults: dict[str, Any] = dict(defaults or {})

    def copy(self) -> Schema:
        s = Schema()
        s.tables = dict(self.tables)
        s.defaults = dict(self.defaults)
        return s

    def table(self, name: str) -> TableSpec:
        from .errors import MigrationError

        try:
            return self.tables[name]
        except KeyError:
            raise MigrationError(
                f"table {name!r} is not in the migration state (known: {', '.join(self.tables) or 'none'})"
            ) from None

    def fingerprint(self) -> dict[str, Any]:
        """What the DDL of every table depends on, on every dialect (order-insensitive)."""
        out: dict[str, Any] = {}
        dialects = known_dialects()
        for name, t in self.tables.items():
            out[name] = (
                tuple(
                    sorted((c.name, tuple(column_signature(t, c, d) for d in dialects)) for c in t.columns)
                ),
                t.primary_key,
                tuple(sorted((i.name, i.columns, i.unique) for i in t.indexes)),
                tuple(
                    sorted(
                        (
                            (f.name or ""),
                            f.columns,
                            f.ref_table,
                            f.ref_columns,
                            f.on_delete or "",
                            f.on_update or "",
                        )
                        for f in t.foreign_keys
                    )
                ),
                tuple(sorted((c.name, c.sql) for c in t.checks)),
            )
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return self.fingerprint() == other.fingerprint()

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # equal by value and mutable: unhashable

    def __repr__(self) -> str:
        return f"<Schema tables={list(self.tables)}>"

    @classmethod
    def from_models(cls, models: Iterable[type[Any]]) -> Schema:
        """The schema of table models, with their literal defaults."""
        from pydantic_core import PydanticUndefined

        from ..schema.columns import AUTO

        tables: list[TableSpec] = []
        defaults: dict[str, Any] = {}
        for m in models:
            spec: TableSpec = m.__table__
            tables.append(spec)
            for c in spec.columns:
                info = m.model_fields[c.field]
                d = info.default
                if d is PydanticUndefined or d is AUTO or d is None:
                    continue
                ok, lit = literal_default(d)
                if ok:
                    defaults[f"{spec.name}.{c.name}"] = lit
        return cls(_dependency_order(tables), defaults)

    def to_dict(self, *, defaults: bool = True) -> dict[str, Any]:
        tables = []
        for t in self.tables.values():
            d = t.to_dict()
            d.pop("model_name", None)
            d.pop("comment", None)
            for c in d["columns"]:
                for k in ("field", "comment", "pattern", "has_default", "auto", "check"):
                    c.pop(k, None)
            tables.append(d)
        out: dict[str, Any] = {"version": SNAPSHOT_VERSION, "tables": tables}
        if defaults:
            out["defaults"] = {k: v for k, v in sorted(self.defaults.items()) if _jsonable(v)}
        return out

    def to_json(self) -> str:
        """The snapshot stored beside the migrations (stable, diff-friendly JSON)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        from .errors import MigrationError

        version = data.get("version")
        if version not in (1, SNAPSHOT_VERSION):
            raise MigrationError(
                f"snapshot version {version!r} is not supported (expected {SNAPSHOT_VERSION})"
            )
        tables = []
        for t in data.get("tables", ()):
            t = dict(t)
            t.setdefault("model_name", t["name"])
            cols = []
            for c in t["columns"]:
                c = dict(c)
                c.setdefault("field", c["name"])
                cols.append(c)
            t["columns"] = cols
            spec = TableSpec.from_dict(t)
            tables.append(_from_v1(spec) if version == 1 else spec)
        return cls(tables, data.get("defaults", {}))

    @classmethod
    def from_json(cls, text: str | bytes) -> Schema:
        return cls.from_dict(json.loads(text))


def _from_v1(t: TableSpec) -> TableSpec:
    """A table of a version-1 snapshot, which stored each column's SQL type for SQLite,
    PostgreSQL and MySQL: the types its column type computes are dropped, those that differ
    (declared in the model) are kept; a column of a composite index is marked ``keyed``."""
    in_index = {n for i in t.indexes for n in i.columns if len(i.columns) > 1}
    cols = []
    for c in t.columns:
        c = normalize_column(c)
        if c.name in in_index and not (c.index or c.unique or c.primary_key):
            c = dataclasses.replace(c, keyed=True)
        computed = dataclasses.replace(c, sql_types=frozen_types({}))
        declared = {}
        for name, sql in c.sql_types.items():
            try:
                same = computed.sql_type(name) == sql
            except (KeyError, TypedORMError):
                same = False  # a custom type whose class is not imported: keep its types
            if not same:
                declared[name] = sql
        cols.append(dataclasses.replace(c, sql_types=frozen_types(declared)))
    return dataclasses.replace(t, columns=tuple(cols))


def _dependency_order(tables: Sequence[TableSpec]) -> list[TableSpec]:
    """Parents before children (by foreign keys); cycles keep the given order."""
    by_name = {t.name: t for t in tables}
    out: list[TableSpec] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen or name not in by_name or name in stack:
            return
        for f in by_name[name].foreign_keys:
            if f.ref_table != name:
                visit(f.ref_table, (*stack, name))
        seen.add(name)
        out.append(by_name[name])

    for t in tables:
        visit(t.name, ())
    return out


dependency_order = _dependency_order
