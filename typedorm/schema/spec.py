"""Immutable table specifications: the single source that DDL, queries, mapping and migrations read."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .types import ColumnType

if TYPE_CHECKING:
    from ..dialects.base import Dialect

__all__ = ["CheckSpec", "ColumnSpec", "DefaultLiteral", "ForeignKeySpec", "IndexSpec", "TableSpec"]


@dataclass(frozen=True, eq=False)
class DefaultLiteral:
    """A column's server default given as a Python value: each dialect renders it as a quoted,
    escaped SQL literal (``ColumnSpec.server_default`` holds a ``str`` for raw SQL text instead).

    Only ``str``, ``int``, ``float``, ``Decimal`` and ``bool`` values: ``Column(server_default="none")``
    is ``DEFAULT 'none'``, ``Column(server_default=SQL("now()"))`` is ``DEFAULT now()``.
    """

    value: str | int | float | Decimal | bool

    def __eq__(self, other: object) -> bool:
        # 1, 1.0 and True are equal in Python but not the same default.
        return (
            isinstance(other, DefaultLiteral)
            and type(other.value) is type(self.value)
            and other.value == self.value
        )

    def __hash__(self) -> int:
        return hash((type(self.value).__name__, self.value))

    def to_dict(self) -> dict[str, Any]:
        v = self.value
        kind = "decimal" if isinstance(v, Decimal) else type(v).__name__
        return {"literal": str(v) if isinstance(v, Decimal) else v, "type": kind}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DefaultLiteral:
        v = d["literal"]
        return cls(Decimal(v) if d.get("type") == "decimal" else v)


@dataclass(frozen=True)
class ForeignKeySpec:
    """A foreign key from ``columns`` to ``ref_table(ref_columns)``."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None
    on_update: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class IndexSpec:
    """An index (or a UNIQUE constraint when ``unique``) over SQL column names.

    Example: ``User.__table__.indexes[0].columns == ("name",)``
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False


@dataclass(frozen=True)
class CheckSpec:
    name: str
    sql: str


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its field, SQL name, type and constraints.

    ``type_name`` is the logical type (``"integer"``, ``"string"``, ``"datetime"``, ...). The
    SQL type is computed for the dialect that asks (:meth:`sql_type`) from ``column_type``;
    ``sql_types`` holds only SQL types declared explicitly (``Column(sql_type=...)``, or what
    a live database reports), by dialect name or family, ``"*"`` for every dialect.
    ``keyed`` marks a column that is part of a composite key or index (some backends need an
    indexable type there). ``python_type`` and ``column_type`` are for the running program and
    are not part of equality or the JSON export.
    """

    field: str
    name: str
    type_name: str
    sql_types: Mapping[str, str]
    nullable: bool
    primary_key: bool = False
    autoincrement: bool = False
    unique: bool = False
    index: bool = False
    has_default: bool = False
    auto: bool = False
    #: raw SQL text (``SQL("now()")`` in a model, or what a live database reports), or a
    #: :class:`DefaultLiteral` each dialect renders as a quoted SQL literal
    server_default: str | DefaultLiteral | None = None
    check: str | None = None
    comment: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    ge: float | int | str | None = None
    gt: float | int | str | None = None
    le: float | int | str | None = None
    lt: float | int | str | None = None
    pattern: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    enum_values: tuple[Any, ...] | None = None
    keyed: bool = False
    # dataclasses.field in full: the name ``field`` is this class's first attribute.
    python_type: Any = dataclasses.field(default=None, compare=False, repr=False)
    column_type: ColumnType | None = dataclasses.field(default=None, compare=False, repr=False)

    def sql_type(self, dialect: Dialect | str) -> str:
        """The column's SQL type on ``dialect`` (a Dialect, or a registered URL scheme):
        ``User.__table__.by_field["age"].sql_type("postgresql")``. KeyError for an unknown name."""
        from .types import as_dialect

        try:
            d = as_dialect(dialect)
        except KeyError:
            raise KeyError(f"column {self.name!r} has no SQL type for dialect {dialect!r}") from None
        return d.column_sql_type(self)

    def declared_sql_type(self, name: str, family: str) -> str | None:
        """The SQL type declared for dialect ``name`` (else its ``family``, else every dialect), or None."""
        t = self.sql_types
        if not t:
            return None
        return t.get(name) or t.get(family) or t.get("*")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of this column (``TableSpec.to_json()`` uses it)."""
        d = asdict(self)
        d.pop("python_type")
        d.pop("column_type")
        if isinstance(self.server_default, DefaultLiteral):
            d["server_default"] = self.server_default.to_dict()
        d["sql_types"] = dict(self.sql_types)
        if self.enum_values is not None:
            d["enum_values"] = list(self.enum_values)
        for k in ("ge", "gt", "le", "lt"):
            if isinstance(d[k], Decimal):
                d[k] = str(d[k])
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnSpec:
        """The column described by ``d`` (the inverse of ``to_dict()``)."""
        data = dict(d)
        data["sql_types"] = _FrozenDict(data.get("sql_types") or {})
        if isinstance(data.get("server_default"), Mapping):
            data["server_default"] = DefaultLiteral.from_dict(data["server_default"])
        if data.get("enum_values") is not None:
            data["enum_values"] = tuple(data["enum_values"])
        return cls(**data)


class _FrozenDict(dict[str, str]):
    """A hashable, read-only dict (for ``ColumnSpec.sql_types``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def _readonly(self, *a: object, **k: object) -> None:
        raise TypeError("sql_types is read-only")

    __setitem__ = __delitem__ = __ior__ = update = setdefault = pop = popitem = clear = _readonly  # type: ignore[assignment]


def frozen_types(d: Mapping[str, str]) -> Mapping[str, str]:
    return _FrozenDict(d)


@dataclass(frozen=True)
class TableSpec:
    """Everything typedorm knows about a model's table. Immutable.

    Example::

        spec = User.__table__
        spec.name, [c.name for c in spec.columns], spec.primary_key
        TableSpec.from_json(spec.to_json()) == spec
    """

    name: str
    model_name: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[IndexSpec, ...] = ()
    foreign_keys: tuple[ForeignKeySpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    comment: str | None = None
    by_field: Mapping[str, ColumnSpec] = field(default_factory=dict, compare=False, repr=False, hash=False)
    by_name: Mapping[str, ColumnSpec] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # Read-only views: a TableSpec is shared by every query of its model.
        object.__setattr__(self, "by_field", MappingProxyType({c.field: c for c in self.columns}))
        object.__setattr__(self, "by_name", MappingProxyType({c.name: c for c in self.columns}))

    def __hash__(self) -> int:
        return hash((self.name, self.columns, self.primary_key, self.indexes))

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    @property
    def pk_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(self.by_name[n] for n in self.primary_key)

    def column(self, field_name: str) -> ColumnSpec:
        """The column of ``field_name``; raises :class:`~typedorm.errors.UnknownField`."""
        try:
            return self.by_field[field_name]
        except (KeyError, TypeError):
            from ..errors import UnknownField

            raise UnknownField(str(field_name), model=self.model_name, choices=self.field_names) from None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the table: ``User.__table__.to_dict()["name"]``."""
        return {
            "name": self.name,
            "model_name": self.model_name,
            "columns": [c.to_dict() for c in self.columns],
            "primary_key": list(self.primary_key),
            "indexes": [
                {"name": i.name, "columns": list(i.columns), "unique": i.unique} for i in self.indexes
            ],
            "foreign_keys": [
                {**asdict(f), "columns": list(f.columns), "ref_columns": list(f.ref_columns)}
                for f in self.foreign_keys
            ],
            "checks": [asdict(c) for c in self.checks],
            "comment": self.comment,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The table as JSON (see :meth:`from_json`)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TableSpec:
        """The table described by ``d`` (the inverse of ``to_dict()``)."""
        return cls(
            name=d["name"],
            model_name=d["model_name"],
            columns=tuple(ColumnSpec.from_dict(c) for c in d["columns"]),
            primary_key=tuple(d["primary_key"]),
            indexes=tuple(
                IndexSpec(i["name"], tuple(i["columns"]), bool(i["unique"])) for i in d.get("indexes", ())
            ),
            foreign_keys=tuple(
                ForeignKeySpec(
                    tuple(f["columns"]),
                    f["ref_table"],
                    tuple(f["ref_columns"]),
                    f.get("on_delete"),
                    f.get("on_update"),
                    f.get("name"),
                )
                for f in d.get("foreign_keys", ())
            ),
            checks=tuple(CheckSpec(c["name"], c["sql"]) for c in d.get("checks", ())),
            comment=d.get("comment"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> TableSpec:
        """The table described by JSON ``text``: ``TableSpec.from_json(User.__table__.to_json())``."""
        return cls.from_dict(json.loads(text))
