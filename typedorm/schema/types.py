"""The Python type -> column type map: one ordered, extensible table, and the ColumnType protocol."""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, EmailStr, NaiveDatetime, TypeAdapter

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .spec import ColumnSpec

__all__ = [
    "BoolType",
    "BytesType",
    "ColumnType",
    "CustomColumnType",
    "DateTimeType",
    "DateType",
    "DecimalType",
    "EnumType",
    "FloatType",
    "IntType",
    "JSONType",
    "NaiveDateTime",
    "NaiveDateTimeType",
    "Processor",
    "StrType",
    "TimeType",
    "TimedeltaType",
    "UUIDType",
    "as_dialect",
    "register_type",
    "resolve_type",
]

Processor = Callable[[Any], Any]


# The dialect registry (a layer above this one) installs how a URL scheme becomes a Dialect.
_resolve_dialect: Callable[[str], Dialect] | None = None


def set_dialect_resolver(resolve: Callable[[str], Dialect]) -> None:
    """Called by :mod:`typedorm.dialects.registry`: ``resolve(name)`` returns a shared dialect."""
    global _resolve_dialect
    _resolve_dialect = resolve


def as_dialect(dialect: Dialect | str) -> Dialect:
    """``dialect`` itself, or the registered dialect a URL scheme names (``"postgresql"``).

    Raises KeyError for a name no dialect is registered under."""
    if isinstance(dialect, str):
        if _resolve_dialect is None:
            raise KeyError(f"no dialect registry is loaded to look up {dialect!r}")
        return _resolve_dialect(dialect)
    return dialect


class ColumnType:
    """How one kind of Python value is stored: its SQL type and value conversions, per dialect.

    The methods receive the :class:`~typedorm.dialects.Dialect` in use (the built-in types'
    methods also take a registered URL scheme such as ``"postgresql"``, looked up in the
    registry, as they did when dialects were passed by name). A built-in
    type names the dialect rule it follows (``type_key``): the dialect answers for it, so a
    dialect outside typedorm supplies SQL for every built-in type. A custom column type
    subclasses this and overrides ``sql_type`` (asking the dialect's flags such as
    ``native_json``, ``native_uuid``, ``native_bool``, or its ``family``), and either is
    registered with :func:`register_type` or is returned by a ``__typedorm_column_type__``
    classmethod of the Python class. ``bind_processor`` converts a Python value into what
    the driver stores; ``result_processor`` converts what the driver returns into something
    the model's Pydantic validation accepts. Returning ``None`` from either means "no
    conversion", the fast path.

    Example::

        class Point(ColumnType):
            logical = "point"
            def sql_type(self, dialect, column): return "JSON" if dialect.native_json else "TEXT"
            def bind_processor(self, dialect): return lambda p: f"{p.x},{p.y}"
            def result_processor(self, dialect): return lambda s: dict(zip("xy", map(float, s.split(","))))
    """

    #: Name of the type in the JSON schema export (stable across versions).
    logical: ClassVar[str] = "custom"
    #: The dialect rule a built-in type follows (``"float"``: ``Dialect.float_sql``,
    #: ``float_bind``, ``float_result``, ``float_checks``); a subclass of a built-in type keeps
    #: its parent's. None for a custom type, which overrides :meth:`sql_type` itself.
    type_key: ClassVar[str | None] = None

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        """The SQL type of ``column`` on ``dialect``."""
        return as_dialect(dialect).type_sql(self, column)

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        """A function converting a Python value into what the driver stores, or None for no conversion."""
        return as_dialect(dialect).type_bind(self)

    def result_processor(self, dialect: Dialect) -> Processor | None:
        """A function converting what the driver returns for validation, or None for no conversion."""
        return as_dialect(dialect).type_result(self)

    def ddl_checks(self, dialect: Dialect, column: ColumnSpec, quoted: str) -> list[str]:
        """Extra CHECK expressions this type needs on ``dialect`` (``quoted`` is the quoted column)."""
        return as_dialect(dialect).type_checks(self, column, quoted)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@runtime_checkable
class CustomColumnType(Protocol):
    """A Python class that names its own column type (``Col[PasswordHash]``)."""

    @classmethod
    def __typedorm_column_type__(cls) -> ColumnType: ...


class IntType(ColumnType):
    logical = "integer"
    type_key: ClassVar[str | None] = "integer"


class FloatType(ColumnType):
    logical = "float"
    type_key: ClassVar[str | None] = "float"


class BoolType(ColumnType):
    logical = "boolean"
    type_key: ClassVar[str | None] = "boolean"


class StrType(ColumnType):
    logical = "string"
    type_key: ClassVar[str | None] = "string"


class BytesType(ColumnType):
    logical = "bytes"
    type_key: ClassVar[str | None] = "bytes"


class DecimalType(ColumnType):
    """Exact decimals. SQLite has no exact decimal type: values are stored as text."""

    logical = "decimal"
    type_key: ClassVar[str | None] = "decimal"


class DateTimeType(ColumnType):
    """Aware datetimes. Stored in UTC everywhere; read back as UTC-aware datetimes.

    SQLite: fixed-width ISO-8601 text; PostgreSQL: ``TIMESTAMPTZ``; MySQL/MariaDB:
    ``DATETIME(6)`` holding UTC (MySQL keeps no zone, so the zone is normalised to UTC).
    """

    logical = "datetime"
    type_key: ClassVar[str | None] = "datetime"


class NaiveDateTimeType(ColumnType):
    """Naive timestamps, kept exactly as given: no zone is added, stored or assumed.

    For columns without a time zone (PostgreSQL ``TIMESTAMP``, MySQL ``DATETIME``, SQLite
    text): ``TEXT`` on SQLite (``YYYY-MM-DD HH:MM:SS[.ffffff]``), ``TIMESTAMP`` on
    PostgreSQL, ``DATETIME(6)`` on MySQL/MariaDB. Use it through :data:`NaiveDateTime`.
    """

    logical = "naive_datetime"
    type_key: ClassVar[str | None] = "naive_datetime"


if TYPE_CHECKING:
    NaiveDateTime = _dt.datetime
    """A time-zone-naive timestamp column, kept exactly as given on every backend.

    ``TIMESTAMP`` on PostgreSQL, ``DATETIME(6)`` on MariaDB/MySQL, text on SQLite. Validation
    accepts only naive values (an aware one is a ``ValidationError`` naming the field); type
    checkers see ``datetime.datetime``. Use it for columns that hold local or zone-less times
    (and for legacy columns: ``typedorm inspect`` emits it for zone-less timestamps).

    Example::

        class Event(Model):
            id: PK[int] = column(default=AUTO)
            starts: Col[NaiveDateTime]   # Event(starts=datetime(2025, 1, 1, 9, 30))
    """
else:
    # At run time: Pydantic's naive-only datetime, stored through NaiveDateTimeType.
    NaiveDateTime = Annotated[NaiveDatetime, NaiveDateTimeType()]


class DateType(ColumnType):
    logical = "date"
    type_key: ClassVar[str | None] = "date"


class TimeType(ColumnType):
    logical = "time"
    type_key: ClassVar[str | None] = "time"


class TimedeltaType(ColumnType):
    """Durations: ``INTERVAL`` on PostgreSQL, exact integer microseconds elsewhere."""

    logical = "timedelta"
    type_key: ClassVar[str | None] = "timedelta"


class UUIDType(ColumnType):
    logical = "uuid"
    type_key: ClassVar[str | None] = "uuid"


def _enum_value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


class EnumType(ColumnType):
    """``str`` and ``int`` enums: stored by value, with a CHECK listing the members."""

    logical = "enum"
    type_key: ClassVar[str | None] = "enum"

    def __init__(self, enum_cls: type[enum.Enum]) -> None:
        values = [m.value for m in enum_cls]
        self.kind: Literal["int", "str"]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            self.kind = "int"
        elif all(isinstance(v, str) for v in values):
            self.kind = "str"
        else:
            raise TypeError(f"enum {enum_cls.__name__} must have only str or only int values")
        self.enum_name: str = enum_cls.__name__
        self.values: tuple[Any, ...] = tuple(values)

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return _enum_value

    def ddl_checks(self, dialect: Dialect, column: ColumnSpec, quoted: str) -> list[str]:
        def lit(v: object) -> str:
            if isinstance(v, int):
                return str(int(v))
            return "'" + str(v).replace("'", "''") + "'"

        return [f"{quoted} IN ({', '.join(lit(v) for v in self.values)})"]

    def __hash__(self) -> int:
        return hash((self.kind, self.values))


class JSONType(ColumnType):
    """``dict``, ``list`` and Pydantic models, stored as JSON (``JSONB`` on PostgreSQL)."""

    logical = "json"
    type_key: ClassVar[str | None] = "json"

    def __init__(self, python_type: Any = Any) -> None:
        self._adapter: TypeAdapter[Any] = TypeAdapter(python_type)

    @property
    def adapter(self) -> TypeAdapter[Any]:
        """The Pydantic adapter that dumps values of the column's Python type."""
        return self._adapter

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class JsonDocument:
    """A JSON value (already in JSON mode: dicts, lists, str, numbers, bools, None) to be sent as
    the database's native JSON type. The schema layer knows no driver: the driver adapts this
    marker (psycopg sends it as ``jsonb``)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data: Any = data

    def __repr__(self) -> str:
        return f"JsonDocument({self.data!r})"


# The ordered table. Order matters: bool before int (bool is an int), Enum before str/int
# (str enums are str). register_type() puts user rules first.
_Rule = tuple[Callable[[Any], bool], Callable[[Any], ColumnType]]


def _issub(t: Any, base: type | tuple[type, ...]) -> bool:
    return isinstance(t, type) and issubclass(t, base)


_RULES: list[_Rule] = [
    (
        lambda t: (
            isinstance(t, type) and isinstance(t, CustomColumnType) and hasattr(t, "__typedorm_column_type__")
        ),
        lambda t: t.__typedorm_column_type__(),
    ),
    (lambda t: _issub(t, enum.Enum), lambda t: EnumType(t)),
    (lambda t: _issub(t, bool), lambda t: BoolType()),
    (lambda t: _issub(t, int), lambda t: IntType()),
    (lambda t: _issub(t, float), lambda t: FloatType()),
    (lambda t: _issub(t, Decimal), lambda t: DecimalType()),
    (lambda t: _issub(t, str), lambda t: StrType()),
    # EmailStr validates to a plain str but is not a str subclass at runtime.
    (lambda t: t is EmailStr, lambda t: StrType()),
    (lambda t: _issub(t, (bytes, bytearray)), lambda t: BytesType()),
    (lambda t: _issub(t, _dt.datetime), lambda t: DateTimeType()),
    (lambda t: _issub(t, _dt.date), lambda t: DateType()),
    (lambda t: _issub(t, _dt.time), lambda t: TimeType()),
    (lambda t: _issub(t, _dt.timedelta), lambda t: TimedeltaType()),
    (lambda t: _issub(t, uuid.UUID), lambda t: UUIDType()),
    (lambda t: _issub(t, BaseModel), lambda t: JSONType(t)),
]

_JSON_ORIGINS = (list, dict, tuple, set, frozenset)


def register_type(python_type: type, column_type: ColumnType | Callable[[Any], ColumnType]) -> None:
    """Map ``python_type`` (and its subclasses) to ``column_type``, ahead of the built-in rules."""
    factory: Callable[[Any], ColumnType]
    if isinstance(column_type, ColumnType):
        ct = column_type
        factory = lambda t: ct  # noqa: E731
    else:
        factory = column_type
    _RULES.insert(0, (lambda t: _issub(t, python_type), factory))


def resolve_type(tp: Any) -> ColumnType | None:
    """The column type for a (non-optional) Python type, or None if nothing maps it."""
    import typing

    origin = typing.get_origin(tp)
    if origin in _JSON_ORIGINS or tp in _JSON_ORIGINS:
        return JSONType(tp)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(tp)
        # A ColumnType in the metadata names the column type itself (JsonModel[T] does this).
        for m in metadata:
            if isinstance(m, ColumnType):
                return m
        return resolve_type(inner)
    if origin is typing.Literal:
        args = typing.get_args(tp)
        if all(isinstance(a, str) for a in args):
            return StrType()
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return IntType()
        return None
    if origin is not None and isinstance(origin, type):
        tp = origin
    for match, factory in _RULES:
        if match(tp):
            return factory(tp)
    return None
