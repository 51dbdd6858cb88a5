"""The Python type -> column type map: one ordered, extensible table, and the ColumnType protocol."""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, EmailStr, NaiveDatetime, TypeAdapter

if TYPE_CHECKING:
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
    "register_type",
    "resolve_type",
]

Processor = Callable[[Any], Any]

_UTC = _dt.UTC


class ColumnType:
    """How one kind of Python value is stored: SQL type per dialect and value conversion.

    Subclass it for a custom column type and either register it with
    :func:`register_type` or give the Python class a ``__typedorm_column_type__``
    classmethod returning an instance. ``bind_processor`` converts a Python value
    into what the driver stores; ``result_processor`` converts what the driver
    returns into something the model's Pydantic validation accepts. Returning
    ``None`` from either means "no conversion", the fast path.

    Example::

        class Point(ColumnType):
            logical = "point"
            def sql_type(self, dialect, column): return "TEXT"
            def bind_processor(self, dialect): return lambda p: f"{p.x},{p.y}"
            def result_processor(self, dialect): return lambda s: dict(zip("xy", map(float, s.split(","))))
    """

    #: Name of the type in the JSON schema export (stable across versions).
    logical: ClassVar[str] = "custom"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        """The SQL type on ``dialect`` (``"sqlite"``, ``"postgresql"``, ``"mysql"``) for ``column``."""
        raise NotImplementedError

    def bind_processor(self, dialect: str) -> Processor | None:
        """A function converting a Python value into what the driver stores, or None for no conversion."""
        return None

    def result_processor(self, dialect: str) -> Processor | None:
        """A function converting what the driver returns for validation, or None for no conversion."""
        return None

    def ddl_checks(self, dialect: str, column: ColumnSpec, quoted: str) -> list[str]:
        """Extra CHECK expressions this type needs on ``dialect`` (``quoted`` is the quoted column)."""
        return []

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


def _text_or_varchar(dialect: str, column: ColumnSpec) -> str:
    n = column.max_length
    if dialect == "sqlite":
        return "TEXT"
    if dialect == "postgresql":
        return f"VARCHAR({n})" if n is not None else "TEXT"
    # MySQL cannot index a TEXT column without a prefix length: keyed text gets VARCHAR(255)
    # (strict sql_mode makes a longer value an error, never a silent truncation).
    if n is not None:
        return f"VARCHAR({n})" if n <= 16383 else "LONGTEXT"
    if column.primary_key or column.unique or column.index:
        return "VARCHAR(255)"
    return "LONGTEXT"


class IntType(ColumnType):
    logical = "integer"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return "INTEGER" if dialect == "sqlite" else "BIGINT"


def _float_not_nan(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        raise ValueError("NaN cannot be stored in a float column on SQLite (it would become NULL)")
    return v


def _float_finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"{v} cannot be stored in a float column on MySQL/MariaDB (DOUBLE has no NaN or infinity)")
    return v


class FloatType(ColumnType):
    logical = "float"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "REAL", "postgresql": "DOUBLE PRECISION"}.get(dialect, "DOUBLE")

    def bind_processor(self, dialect: str) -> Processor | None:
        # SQLite silently stores NaN as NULL: sqlite.org/floatingpoint.html
        if dialect == "sqlite":
            return _float_not_nan
        if dialect == "mysql":
            return _float_finite
        return None


class BoolType(ColumnType):
    logical = "boolean"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return "BOOLEAN"

    def ddl_checks(self, dialect: str, column: ColumnSpec, quoted: str) -> list[str]:
        return [f"{quoted} IN (0, 1)"] if dialect == "sqlite" else []


def _reject_nul(v: Any) -> Any:
    if isinstance(v, str) and "\x00" in v:
        raise ValueError("PostgreSQL text cannot hold NUL (\\x00) characters; store such data as bytes")
    return v


class StrType(ColumnType):
    logical = "string"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return _text_or_varchar(dialect, column)

    def bind_processor(self, dialect: str) -> Processor | None:
        return _reject_nul if dialect == "postgresql" else None

    def ddl_checks(self, dialect: str, column: ColumnSpec, quoted: str) -> list[str]:
        # SQLite ignores VARCHAR(n): enforce the length in the table itself.
        out: list[str] = []
        if dialect == "sqlite":
            if column.max_length is not None:
                out.append(f"length({quoted}) <= {int(column.max_length)}")
            if column.min_length is not None:
                out.append(f"length({quoted}) >= {int(column.min_length)}")
        elif column.min_length is not None:
            out.append(f"{'char_length' if dialect != 'sqlite' else 'length'}({quoted}) >= {int(column.min_length)}")
        return out


class BytesType(ColumnType):
    logical = "bytes"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "BLOB", "postgresql": "BYTEA"}.get(dialect, "LONGBLOB")


class DecimalType(ColumnType):
    """Exact decimals. SQLite has no exact decimal type: values are stored as text."""

    logical = "decimal"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        if dialect == "sqlite":
            return "TEXT"
        if column.max_digits is not None:
            return f"NUMERIC({int(column.max_digits)}, {int(column.decimal_places or 0)})"
        return "NUMERIC" if dialect == "postgresql" else "DECIMAL(65, 30)"

    def bind_processor(self, dialect: str) -> Processor | None:
        if dialect == "sqlite":
            return _decimal_to_text
        if dialect == "mysql":
            # MySQL DECIMAL has no NaN or infinity; PostgreSQL NUMERIC stores them faithfully.
            return _decimal_fits_mysql
        return None


def _decimal_finite(v: Any) -> Any:
    if isinstance(v, Decimal) and not v.is_finite():
        raise ValueError(f"{v} cannot be stored in a decimal column")
    return v


def _decimal_fits_mysql(v: Any) -> Any:
    if isinstance(v, Decimal):
        _decimal_finite(v)
        # DECIMAL(65, 30) rounds extra fraction digits away without an error, even in strict
        # mode: refuse them (dev.mysql.com/doc/refman/8.0/en/precision-math-decimal-characteristics.html)
        _, digits, exp = v.as_tuple()
        assert isinstance(exp, int)
        n = len(digits)
        while n > 1 and digits[n - 1] == 0 and exp < 0:
            n -= 1
            exp += 1
        if -exp > 30 or n + exp > 35:
            raise ValueError(f"{v} does not fit the decimal column (at most 35 digits before the point and 30 after)")
    return v


def _decimal_to_text(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(_decimal_finite(v))
    return v


def _as_utc(v: _dt.datetime) -> _dt.datetime:
    try:
        return v.astimezone(_UTC)
    except OverflowError:
        raise ValueError(f"{v.isoformat()} is outside the years 1-9999 in UTC and cannot be read back") from None


def _datetime_to_utc_text(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        off = v.utcoffset() if v.tzinfo is not None else None
        if off is None:
            raise ValueError("naive datetime: typedorm stores only time-zone-aware datetimes")
        # Fixed width (isoformat pads the year; strftime("%Y") does not), always UTC: text
        # order is time order. A zero offset (timezone.utc, or Pydantic's own UTC tzinfo)
        # already prints as +00:00.
        if off:
            v = _as_utc(v)
        return v.isoformat(" ", "microseconds")
    return v


def _datetime_aware(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        off = v.utcoffset() if v.tzinfo is not None else None
        if off is None:
            # TIMESTAMPTZ would read a naive value in the session time zone: refuse to guess.
            raise ValueError("naive datetime: typedorm stores only time-zone-aware datetimes")
        if off or v.year in (1, 9999):
            # Sent as UTC: PostgreSQL's text input takes offsets only up to 15:59 (COPY uses
            # text), and a year-1/9999 value must still be readable back.
            return _as_utc(v)
    return v


def _datetime_to_utc_naive(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("naive datetime: typedorm stores only time-zone-aware datetimes")
        return _as_utc(v).replace(tzinfo=None)
    return v


def _naive_as_utc(v: Any) -> Any:
    if isinstance(v, _dt.datetime) and v.tzinfo is None:
        return v.replace(tzinfo=_UTC)
    return v


def _sqlite_text_as_utc(v: Any) -> Any:
    # typedorm writes "...+00:00"; text without an offset comes from elsewhere (a legacy
    # table, CURRENT_TIMESTAMP) and is read as UTC, the zone typedorm stores in.
    if isinstance(v, str) and not v.endswith("+00:00"):
        try:
            parsed = _dt.datetime.fromisoformat(v)
        except ValueError:
            return v  # not a timestamp: validation reports it with the field's name
        return _naive_as_utc(parsed)
    return v


class DateTimeType(ColumnType):
    """Aware datetimes. Stored in UTC everywhere; read back as UTC-aware datetimes.

    SQLite: fixed-width ISO-8601 text; PostgreSQL: ``TIMESTAMPTZ``; MySQL/MariaDB:
    ``DATETIME(6)`` holding UTC (MySQL keeps no zone, so the zone is normalised to UTC).
    """

    logical = "datetime"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "TEXT", "postgresql": "TIMESTAMPTZ"}.get(dialect, "DATETIME(6)")

    def bind_processor(self, dialect: str) -> Processor | None:
        if dialect == "sqlite":
            return _datetime_to_utc_text
        if dialect == "mysql":
            return _datetime_to_utc_naive
        return _datetime_aware

    def result_processor(self, dialect: str) -> Processor | None:
        # A naive value can only come from a column without a zone (a legacy TIMESTAMP, text
        # without an offset): it is read as UTC so the row can be written back as it was read.
        return _sqlite_text_as_utc if dialect == "sqlite" else _naive_as_utc


def _naive_only(v: Any) -> Any:
    if isinstance(v, _dt.datetime) and v.tzinfo is not None:
        # Dropping the zone would silently change the instant.
        raise ValueError("aware datetime in a NaiveDateTime column: convert it to naive first")
    return v


def _naive_text(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        # "YYYY-MM-DD HH:MM:SS[.ffffff]", the spelling of SQLite's own datetime functions:
        # a value read from a legacy column is written back as the same text.
        return _naive_only(v).isoformat(" ")
    return v


class NaiveDateTimeType(ColumnType):
    """Naive timestamps, kept exactly as given: no zone is added, stored or assumed.

    For columns without a time zone (PostgreSQL ``TIMESTAMP``, MySQL ``DATETIME``, SQLite
    text): ``TEXT`` on SQLite (``YYYY-MM-DD HH:MM:SS[.ffffff]``), ``TIMESTAMP`` on
    PostgreSQL, ``DATETIME(6)`` on MySQL/MariaDB. Use it through :data:`NaiveDateTime`.
    """

    logical = "naive_datetime"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "TEXT", "postgresql": "TIMESTAMP"}.get(dialect, "DATETIME(6)")

    def bind_processor(self, dialect: str) -> Processor | None:
        return _naive_text if dialect == "sqlite" else _naive_only


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


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (_dt.date, _dt.time)) else v


class DateType(ColumnType):
    logical = "date"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return "TEXT" if dialect == "sqlite" else "DATE"

    def bind_processor(self, dialect: str) -> Processor | None:
        return _iso if dialect == "sqlite" else None


def _time_naive(v: Any) -> Any:
    if isinstance(v, _dt.time) and v.tzinfo is not None:
        # TIME columns keep no zone: storing one would silently drop it.
        raise ValueError("time values with a time zone are not supported")
    return v


def _time_text(v: Any) -> Any:
    if isinstance(v, _dt.time):
        return _time_naive(v).strftime("%H:%M:%S.%f")
    return v


class TimeType(ColumnType):
    logical = "time"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "TEXT", "postgresql": "TIME"}.get(dialect, "TIME(6)")

    def bind_processor(self, dialect: str) -> Processor | None:
        return _time_text if dialect == "sqlite" else _time_naive

    def result_processor(self, dialect: str) -> Processor | None:
        if dialect == "mysql":
            # MySQL drivers return TIME as timedelta since midnight.
            def conv(v: Any) -> Any:
                if isinstance(v, _dt.timedelta):
                    return (_dt.datetime.min + v).time()
                return v

            return conv
        return None


def _td_to_us(v: Any) -> Any:
    if isinstance(v, _dt.timedelta):
        return (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    return v


def _us_to_td(v: Any) -> Any:
    if isinstance(v, int):
        return _dt.timedelta(microseconds=v)
    return v


class TimedeltaType(ColumnType):
    """Durations: ``INTERVAL`` on PostgreSQL, exact integer microseconds elsewhere."""

    logical = "timedelta"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "INTEGER", "postgresql": "INTERVAL"}.get(dialect, "BIGINT")

    def bind_processor(self, dialect: str) -> Processor | None:
        return None if dialect == "postgresql" else _td_to_us

    def result_processor(self, dialect: str) -> Processor | None:
        return None if dialect == "postgresql" else _us_to_td


def _uuid_text(v: Any) -> Any:
    return str(v) if isinstance(v, uuid.UUID) else v


class UUIDType(ColumnType):
    logical = "uuid"

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "TEXT", "postgresql": "UUID"}.get(dialect, "CHAR(36)")

    def bind_processor(self, dialect: str) -> Processor | None:
        return None if dialect == "postgresql" else _uuid_text


class EnumType(ColumnType):
    """``str`` and ``int`` enums: stored by value, with a CHECK listing the members."""

    logical = "enum"

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

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        if self.kind == "int":
            return "INTEGER" if dialect == "sqlite" else "BIGINT"
        if dialect == "sqlite":
            return "TEXT"
        width = max(len(str(v)) for v in self.values) if self.values else 1
        return f"VARCHAR({max(width, 1)})"

    def bind_processor(self, dialect: str) -> Processor | None:
        def conv(v: Any) -> Any:
            return v.value if isinstance(v, enum.Enum) else v

        return conv

    def ddl_checks(self, dialect: str, column: ColumnSpec, quoted: str) -> list[str]:
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

    def __init__(self, python_type: Any = Any) -> None:
        self._adapter: TypeAdapter[Any] = TypeAdapter(python_type)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def sql_type(self, dialect: str, column: ColumnSpec) -> str:
        return {"sqlite": "TEXT", "postgresql": "JSONB"}.get(dialect, "JSON")

    def bind_processor(self, dialect: str) -> Processor | None:
        adapter = self._adapter
        if dialect == "postgresql":
            return _pg_json_processor(adapter)

        def conv(v: Any) -> Any:
            if v is None:
                return None
            out = adapter.dump_json(v)
            if b"null" in out:  # Pydantic writes NaN and infinity as null: refuse, do not lose them
                _json_finite(adapter.dump_python(v))
            return out.decode()

        return conv

    def result_processor(self, dialect: str) -> Processor | None:
        def conv(v: Any) -> Any:
            if isinstance(v, (str, bytes, bytearray)):
                return json.loads(v)
            return v

        return conv


class JsonDocument:
    """A JSON value (already in JSON mode: dicts, lists, str, numbers, bools, None) to be sent as
    the database's native JSON type. The schema layer knows no driver: the driver adapts this
    marker (psycopg sends it as ``jsonb``)."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data: Any = data

    def __repr__(self) -> str:
        return f"JsonDocument({self.data!r})"


def _pg_json_processor(adapter: TypeAdapter[Any]) -> Processor:
    def conv(v: Any) -> Any:
        if v is None:
            return None
        data = adapter.dump_python(v, mode="json")
        # NaN and infinity stay floats or become None in JSON mode: refuse, do not lose them
        _json_finite(data)
        if _has_none(data):
            _json_finite(adapter.dump_python(v))
        return JsonDocument(data)

    return conv


def _has_none(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, dict):
        return any(_has_none(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_none(x) for x in v)
    return False


def _json_finite(v: Any) -> None:
    """Raise ValueError for a NaN or infinite float anywhere in ``v`` (JSON has no such numbers)."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} cannot be stored in a JSON column (JSON has no NaN or infinity)")
    elif isinstance(v, dict):
        for x in v.values():
            _json_finite(x)
    elif isinstance(v, (list, tuple, set, frozenset)):
        for x in v:
            _json_finite(x)


# The ordered table. Order matters: bool before int (bool is an int), Enum before str/int
# (str enums are str). register_type() puts user rules first.
_Rule = tuple[Callable[[Any], bool], Callable[[Any], ColumnType]]


def _issub(t: Any, base: type | tuple[type, ...]) -> bool:
    return isinstance(t, type) and issubclass(t, base)


_RULES: list[_Rule] = [
    (lambda t: isinstance(t, type) and isinstance(t, CustomColumnType) and hasattr(t, "__typedorm_column_type__"),
     lambda t: t.__typedorm_column_type__()),
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
