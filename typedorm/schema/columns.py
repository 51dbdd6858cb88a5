"""Column declarations: the ``Col[T]`` descriptor, ``Column`` metadata, ``column()``, ``PK`` and ``AUTO``."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Final,
    Generic,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    overload,
)

import annotated_types as at
from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from ..errors import UnsetValueError

if TYPE_CHECKING:
    from ..sql.expr import ColumnExpr
    from .types import ColumnType

__all__ = ["AUTO", "PK", "SQL", "Col", "Column", "ForeignKey", "ServerDefault", "column"]

T = TypeVar("T")
M = TypeVar("M")


@dataclass(frozen=True)
class SQL:
    """Raw SQL text for a ``server_default``, written into the DDL as it is.

    A plain value is a literal (``server_default="none"`` is ``DEFAULT 'none'``, quoted and escaped
    by each dialect); raw SQL must be wrapped, so it is never mistaken for a value::

        created: Annotated[Col[datetime], Column(server_default=SQL("CURRENT_TIMESTAMP"))] = column(default=AUTO)
    """

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise TypeError(f"SQL() takes non-empty SQL text, not {self.text!r}")


#: what ``server_default=`` takes: a literal value, or ``SQL("...")`` for raw SQL
ServerDefault = SQL | str | int | float | Decimal

# True while Pydantic builds a model class: it probes ``getattr(cls, field)`` on the new
# class for inherited defaults and must not be handed a column expression.
_building: ContextVar[bool] = ContextVar("_building", default=False)


#: Builds ``User.age``'s column expression. ``typedorm.sql`` registers it on import (the
#: package always imports it), so this lower layer never imports the one above.
_EXPR_FACTORY: Callable[[type[Any], Any], Any] | None = None


def register_expression_factory(factory: Callable[[type[Any], Any], Any]) -> None:
    global _EXPR_FACTORY
    _EXPR_FACTORY = factory


class _Auto:
    """The type of :data:`AUTO`."""

    _instance: _Auto | None = None

    def __new__(cls) -> _Auto:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AUTO"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "AUTO"

    def __copy__(self) -> _Auto:
        return self

    def __deepcopy__(self, memo: object) -> _Auto:
        return self

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # Lets Pydantic encode AUTO when it renders a JSON schema default (dropped again
        # by _auto_json_schema); AUTO is never a value, so it encodes as null.
        return core_schema.any_schema(
            serialization=core_schema.plain_serializer_function_ser_schema(lambda _: None)
        )


AUTO: Final = _Auto()
"""Marks a value the database assigns (an autoincrement key, a server default).

Example: ``id: PK[int] = column(default=AUTO)``. Reading it before insert raises
:class:`~typedorm.errors.UnsetValueError`; ``insert()`` fills in the real value.
"""

OnAction = Literal["cascade", "set null", "set default", "restrict", "no action"]


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key constraint on one column: ``Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]``.

    ``target`` is a column expression (``User.id``) or the string ``"table.column"``.
    """

    target: Any
    on_delete: OnAction | None = None
    on_update: OnAction | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        valid = ("cascade", "set null", "set default", "restrict", "no action", None)
        for attr in ("on_delete", "on_update"):
            if getattr(self, attr) not in valid:
                raise ValueError(f"ForeignKey {attr}={getattr(self, attr)!r}: expected one of {valid[:-1]}")

    def resolve(self) -> tuple[str, str]:
        """``(table, column)`` of the referenced column."""
        t = self.target
        if isinstance(t, str):
            table, _, col = t.partition(".")
            if not table or not col:
                raise ValueError(f"ForeignKey target {t!r} must be 'table.column' or a column like User.id")
            return table, col
        spec = getattr(t, "spec", None)
        model = getattr(t, "model", None)
        if spec is None or model is None:
            raise ValueError(f"ForeignKey target {t!r} is not a column")
        return model.__table__.name, spec.name


@dataclass(frozen=True)
class Column:
    """Column metadata, placed in ``Annotated[Col[T], Column(...)]`` or given to :func:`column`.

    Validation constraints (``max_length``, ``ge``, ``pattern``, ...) are enforced by
    Pydantic on construction and assignment, and in DDL where the dialect can.

    Example::

        name: Annotated[Col[str], Column(max_length=100, index=True)]
    """

    name: str | None = None
    primary_key: bool = False
    autoincrement: bool | None = None
    unique: bool = False
    index: bool = False
    nullable: bool | None = None
    sql_type: str | Mapping[str, str] | None = None
    type: ColumnType | None = None
    server_default: ServerDefault | None = None
    check: str | None = None
    comment: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    ge: float | Decimal | None = None
    gt: float | Decimal | None = None
    le: float | Decimal | None = None
    lt: float | Decimal | None = None
    pattern: str | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    foreign_key: ForeignKey | None = None

    def _constraints(self) -> list[Any]:
        out: list[Any] = []
        if self.max_length is not None:
            out.append(at.MaxLen(self.max_length))
        if self.min_length is not None:
            out.append(at.MinLen(self.min_length))
        for attr, cls in (("ge", at.Ge), ("gt", at.Gt), ("le", at.Le), ("lt", at.Lt)):
            v = getattr(self, attr)
            if v is not None:
                out.append(cls(v))
        if self.pattern is not None or self.max_digits is not None or self.decimal_places is not None:
            kw: dict[str, Any] = {}
            if self.pattern is not None:
                kw["pattern"] = self.pattern
            if self.max_digits is not None:
                kw["max_digits"] = self.max_digits
            if self.decimal_places is not None:
                kw["decimal_places"] = self.decimal_places
            out.append(Field(**kw))
        return out

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        extra = self._constraints()
        if self.sql_type is not None:
            # a narrower declared integer type (SMALLINT, INTEGER on PostgreSQL/MySQL, ...)
            # narrows validation to it, so no backend refuses what another stores
            rng = _declared_int_range(self.sql_type)
            if rng is not None and _is_int_column(
                get_args(source)[0] if get_origin(source) is Col else source
            ):
                extra.append(at.Interval(ge=rng[0], le=rng[1]))
        if extra:
            return handler(Annotated[(source, *extra)])
        return handler(source)

    def merged(self, other: Column) -> Column:
        """This metadata overlaid with the non-default values of ``other``."""
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) != f.default
        }
        return dataclasses.replace(self, **changes)


class Col(Generic[T]):
    """The annotation of a column field: ``age: Col[int]``.

    On the class, ``User.age`` is a ``ColumnExpr[User, int]`` (for queries); on an
    instance, ``user.age`` is the ``int``. Pydantic validates the field as plain ``T``.
    """

    __slots__ = ("_exprs", "name")

    def __init__(self, name: str) -> None:
        self.name: str = name
        self._exprs: dict[type[Any], Any] = {}

    @overload
    def __get__(self, instance: None, owner: type[M]) -> ColumnExpr[M, T]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> Any:
        if instance is None:
            # Only the class being built is shielded (Pydantic probes it for inherited
            # defaults); finished models stay usable, e.g. in ForeignKey(User.id) inside
            # an annotation Pydantic evaluates while building another model.
            if _building.get() and (owner is None or "__table__" not in vars(owner)):
                raise AttributeError(self.name)
            try:
                return self._exprs[owner]  # type: ignore[index]
            except KeyError:
                return self._make_expr(owner)
        try:
            value = instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if value is AUTO:
            raise UnsetValueError(
                f"{type(instance).__name__}.{self.name} is assigned by the database and is not known "
                "until the row is inserted; use the instance returned by insert()"
            )
        return value

    def _make_expr(self, owner: type[Any] | None) -> Any:
        table = getattr(owner, "__table__", None)
        if owner is None or table is None or _EXPR_FACTORY is None:
            raise AttributeError(self.name)
        expr = _EXPR_FACTORY(owner, table.by_field[self.name])
        self._exprs[owner] = expr
        return expr

    def __set__(self, instance: object, value: T) -> None:
        # Reached only through object.__setattr__: BaseModel.__setattr__ validates and
        # writes __dict__ itself.
        instance.__dict__[self.name] = value

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        args = get_args(source)
        tp = args[0] if args else Any
        if _is_int_column(tp):
            # Every integer column is a signed 64-bit integer (SQLite INTEGER, BIGINT
            # elsewhere): a larger value is a validation error naming the field, before any
            # SQL, the same on every backend.
            tp = _with_int_range(tp, INT64_MIN, INT64_MAX)
        return handler.generate_schema(tp)


#: The range of every integer column: SQLite's INTEGER and BIGINT elsewhere are signed 64-bit.
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


def _non_optional(tp: Any) -> tuple[Any, bool]:
    """``(T, True)`` for ``T | None``; ``(tp, False)`` otherwise."""
    if get_origin(tp) in (Union, UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1 and len(get_args(tp)) == 2:
            return members[0], True
    return tp, False


def _is_int_column(tp: Any) -> bool:
    """True when ``tp`` (optionally ``| None``, possibly Annotated) is stored in an integer column."""
    from .types import ColumnType, IntType, resolve_type

    tp = _non_optional(tp)[0]
    base = tp
    while get_origin(base) is Annotated:
        if any(isinstance(m, ColumnType) for m in base.__metadata__):
            return False  # the column type is named explicitly: it decides
        base = get_args(base)[0]
    if not (isinstance(base, type) and issubclass(base, int)) or issubclass(base, (bool, enum.Enum)):
        return False
    return isinstance(resolve_type(base), IntType)


def _with_int_range(tp: Any, lo: int, hi: int) -> Any:
    inner, optional = _non_optional(tp)
    ranged: Any = Annotated[(inner, at.Interval(ge=lo, le=hi))]
    return ranged | None if optional else ranged


# Declared integer SQL types and their signed bit widths (SQLite's INTEGER is 64-bit:
# sqlite.org/datatype3.html; elsewhere INT/INTEGER is 32-bit).
_INT_WIDTHS: Final = (
    ("TINYINT", 8),
    ("SMALLINT", 16),
    ("INT2", 16),
    ("MEDIUMINT", 24),
    ("BIGINT", 64),
    ("INT8", 64),
    ("INT4", 32),
    ("INTEGER", 32),
    ("INT", 32),
)


def _declared_integer_bits(dialect: str, default: int) -> int:
    # what INT/INTEGER means on a named dialect (64 bits on SQLite); unknown names keep ``default``
    from .types import as_dialect

    try:
        return as_dialect(dialect).integer_bits
    except KeyError:
        return default


def _declared_int_range(sql_type: str | Mapping[str, str]) -> tuple[int, int] | None:
    """The narrowest integer range among the declared SQL types (one limit on every backend)."""
    items = sql_type.items() if isinstance(sql_type, Mapping) else (("", sql_type),)
    lo, hi = INT64_MIN, INT64_MAX
    found = False
    for dialect, name in items:
        words = name.upper().replace("(", " ").split()
        if not words:
            continue
        for type_name, bits in _INT_WIDTHS:
            if words[0] == type_name:
                if type_name in ("INT", "INTEGER") and dialect not in ("", "*"):
                    bits = _declared_integer_bits(dialect, bits)
                unsigned = "UNSIGNED" in words
                t_lo, t_hi = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
                lo, hi = max(lo, t_lo), min(hi, t_hi)
                found = True
                break
    return (lo, hi) if found else None


PK = Annotated[Col[T], Column(primary_key=True)]
"""A primary-key column: ``id: PK[int] = column(default=AUTO)``."""


def _is_auto(v: object) -> bool:
    return v is AUTO


def _auto_json_schema(schema: dict[str, Any]) -> None:
    # A database-assigned value has no default a client could send: it is read-only.
    schema.pop("default", None)
    schema["readOnly"] = True


# ``column()`` is a PEP 681 field specifier: type checkers read ``default`` /
# ``default_factory`` to know whether the constructor argument is optional.
@overload
def column(
    *,
    default: _Auto,
    name: str | None = ...,
    primary_key: bool = ...,
    autoincrement: bool | None = ...,
    unique: bool = ...,
    index: bool = ...,
    nullable: bool | None = ...,
    sql_type: str | Mapping[str, str] | None = ...,
    type: ColumnType | None = ...,
    server_default: ServerDefault | None = ...,
    check: str | None = ...,
    comment: str | None = ...,
    max_length: int | None = ...,
    min_length: int | None = ...,
    ge: float | Decimal | None = ...,
    gt: float | Decimal | None = ...,
    le: float | Decimal | None = ...,
    lt: float | Decimal | None = ...,
    pattern: str | None = ...,
    max_digits: int | None = ...,
    decimal_places: int | None = ...,
    foreign_key: ForeignKey | None = ...,
    description: str | None = ...,
    alias: str | None = ...,
) -> Any: ...
@overload
def column(
    *,
    default: T,
    name: str | None = ...,
    primary_key: bool = ...,
    autoincrement: bool | None = ...,
    unique: bool = ...,
    index: bool = ...,
    nullable: bool | None = ...,
    sql_type: str | Mapping[str, str] | None = ...,
    type: ColumnType | None = ...,
    server_default: ServerDefault | None = ...,
    check: str | None = ...,
    comment: str | None = ...,
    max_length: int | None = ...,
    min_length: int | None = ...,
    ge: float | Decimal | None = ...,
    gt: float | Decimal | None = ...,
    le: float | Decimal | None = ...,
    lt: float | Decimal | None = ...,
    pattern: str | None = ...,
    max_digits: int | None = ...,
    decimal_places: int | None = ...,
    foreign_key: ForeignKey | None = ...,
    description: str | None = ...,
    alias: str | None = ...,
) -> Col[T]: ...
@overload
def column(
    *,
    default_factory: Callable[[], T],
    name: str | None = ...,
    primary_key: bool = ...,
    autoincrement: bool | None = ...,
    unique: bool = ...,
    index: bool = ...,
    nullable: bool | None = ...,
    sql_type: str | Mapping[str, str] | None = ...,
    type: ColumnType | None = ...,
    server_default: ServerDefault | None = ...,
    check: str | None = ...,
    comment: str | None = ...,
    max_length: int | None = ...,
    min_length: int | None = ...,
    ge: float | Decimal | None = ...,
    gt: float | Decimal | None = ...,
    le: float | Decimal | None = ...,
    lt: float | Decimal | None = ...,
    pattern: str | None = ...,
    max_digits: int | None = ...,
    decimal_places: int | None = ...,
    foreign_key: ForeignKey | None = ...,
    description: str | None = ...,
    alias: str | None = ...,
) -> Col[T]: ...
@overload
def column(
    *,
    name: str | None = ...,
    primary_key: bool = ...,
    autoincrement: bool | None = ...,
    unique: bool = ...,
    index: bool = ...,
    nullable: bool | None = ...,
    sql_type: str | Mapping[str, str] | None = ...,
    type: ColumnType | None = ...,
    server_default: ServerDefault | None = ...,
    check: str | None = ...,
    comment: str | None = ...,
    max_length: int | None = ...,
    min_length: int | None = ...,
    ge: float | Decimal | None = ...,
    gt: float | Decimal | None = ...,
    le: float | Decimal | None = ...,
    lt: float | Decimal | None = ...,
    pattern: str | None = ...,
    max_digits: int | None = ...,
    decimal_places: int | None = ...,
    foreign_key: ForeignKey | None = ...,
    description: str | None = ...,
    alias: str | None = ...,
) -> Any: ...
def column(
    *,
    default: Any = ...,
    default_factory: Callable[[], Any] | None = None,
    description: str | None = None,
    alias: str | None = None,
    **options: Any,
) -> Any:
    """Declare a column's default and options: ``age: Col[int] = column(default=0, ge=0)``.

    Takes every :class:`Column` option. ``default=AUTO`` marks a database-assigned value.
    """
    meta = Column(**options)
    kw: dict[str, Any] = {}
    if default_factory is not None:
        kw["default_factory"] = default_factory
    else:
        kw["default"] = default
    if default is AUTO:
        # Never serialise the placeholder: it is not a value.
        kw["exclude_if"] = _is_auto
        kw["json_schema_extra"] = _auto_json_schema
    if description is not None:
        kw["description"] = description
    if alias is not None:
        kw["alias"] = alias
    info: Any = Field(**kw)
    info.metadata.append(meta)
    return info
