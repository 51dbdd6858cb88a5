"""How a dialect stores typedorm's column types: SQL type names, bind and result processing, CHECKs.

A built-in :class:`~typedorm.schema.types.ColumnType` names the rule it follows
(``FloatType.type_key == "float"``); the dialect answers with its methods ``float_sql(ct,
column)``, ``float_bind(ct)``, ``float_result(ct)`` and ``float_checks(ct, column, quoted)``
(a missing bind/result/checks method means "nothing to do"). :class:`TypeMap` holds
standard-SQL rules driven by the capability flags; each dialect package overrides the rules
where its backend differs, and a dialect outside typedorm does the same for its own backend.
A custom column type overrides ``ColumnType.sql_type`` (and the processors) instead and asks
the dialect it is given: its flags (``native_json``, ``native_uuid``, ``native_bool``), its
``family``, or one of these rules.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ModelDefinitionError
from ..schema.types import JsonDocument

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ..schema.spec import ColumnSpec
    from ..schema.types import ColumnType, EnumType, JSONType, Processor

__all__ = ["TypeMap"]

_UTC = _dt.UTC


class TypeMap:
    """The column-type rules of a dialect (mixed into :class:`~typedorm.dialects.Dialect`)."""

    name: ClassVar[str]
    #: a BOOLEAN column holds only true and false; otherwise (SQLite, where BOOLEAN is an
    #: integer) the table gets ``CHECK (col IN (0, 1))``
    native_bool: ClassVar[bool] = True
    #: UUIDs are stored in a UUID type the driver adapts; otherwise as 36-character text
    native_uuid: ClassVar[bool] = False
    #: JSON values reach the driver as :class:`~typedorm.schema.types.JsonDocument` markers it
    #: sends as the database's native JSON type; otherwise as JSON text
    native_json: ClassVar[bool] = False
    #: bits of a column declared ``INT``/``INTEGER`` (``Column(sql_type=...)`` narrows validation to it)
    integer_bits: ClassVar[int] = 32
    #: the type of a text column without a declared length that is part of a key or an index
    #: (MySQL indexes no TEXT column without a prefix length)
    indexable_text_type: ClassVar[str] = "TEXT"

    # --- dispatch --------------------------------------------------------------------------------
    def _type_rule(self, ct: ColumnType, what: str) -> Callable[..., Any] | None:
        key = ct.type_key
        return getattr(self, f"{key}_{what}", None) if key is not None else None

    def type_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        """The SQL type of ``column`` of type ``ct`` on this dialect (ColumnType.sql_type's default)."""
        rule = self._type_rule(ct, "sql")
        if rule is None:
            raise ModelDefinitionError(
                f"column {column.name!r}: {type(ct).__name__} ({ct.logical!r}) has no SQL type on {self.name}; "
                "override ColumnType.sql_type(dialect, column) or declare Column(sql_type=...)"
            )
        sql: str = rule(ct, column)
        return sql

    def type_bind(self, ct: ColumnType) -> Processor | None:
        """What converts a Python value of ``ct`` for the driver, or None (no conversion)."""
        rule = self._type_rule(ct, "bind")
        return rule(ct) if rule is not None else None

    def type_result(self, ct: ColumnType) -> Processor | None:
        """What converts a value the driver returns for ``ct`` before validation, or None."""
        rule = self._type_rule(ct, "result")
        return rule(ct) if rule is not None else None

    def type_checks(self, ct: ColumnType, column: ColumnSpec, quoted: str) -> list[str]:
        """CHECK expressions ``ct`` needs on this dialect (``quoted`` is the quoted column name)."""
        rule = self._type_rule(ct, "checks")
        return list(rule(ct, column, quoted)) if rule is not None else []

    # --- standard rules ------------------------------------------------------------------------
    def integer_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "BIGINT"

    def float_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "DOUBLE PRECISION"

    def boolean_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "BOOLEAN"

    def boolean_checks(self, ct: ColumnType, column: ColumnSpec, quoted: str) -> list[str]:
        return [] if self.native_bool else [f"{quoted} IN (0, 1)"]

    def string_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        n = column.max_length
        return f"VARCHAR({n})" if n is not None else "TEXT"

    def string_checks(self, ct: ColumnType, column: ColumnSpec, quoted: str) -> list[str]:
        # VARCHAR(n) enforces the maximum; the minimum needs a CHECK
        if column.min_length is not None:
            return [f"char_length({quoted}) >= {int(column.min_length)}"]
        return []

    def bytes_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "BLOB"

    def decimal_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        if column.max_digits is not None:
            return f"NUMERIC({int(column.max_digits)}, {int(column.decimal_places or 0)})"
        return "NUMERIC"

    def datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TIMESTAMP WITH TIME ZONE"

    def datetime_bind(self, ct: ColumnType) -> Processor | None:
        return datetime_aware

    def datetime_result(self, ct: ColumnType) -> Processor | None:
        # A naive value can only come from a column without a zone (a legacy TIMESTAMP, text
        # without an offset): it is read as UTC so the row can be written back as it was read.
        return naive_as_utc

    def naive_datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TIMESTAMP"

    def naive_datetime_bind(self, ct: ColumnType) -> Processor | None:
        return naive_only

    def date_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "DATE"

    def time_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TIME"

    def time_bind(self, ct: ColumnType) -> Processor | None:
        return time_naive

    def timedelta_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        # exact integer microseconds (a dialect with an INTERVAL its driver adapts overrides this)
        return "BIGINT"

    def timedelta_bind(self, ct: ColumnType) -> Processor | None:
        return timedelta_to_us

    def timedelta_result(self, ct: ColumnType) -> Processor | None:
        return us_to_timedelta

    def uuid_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "UUID" if self.native_uuid else "CHAR(36)"

    def uuid_bind(self, ct: ColumnType) -> Processor | None:
        return None if self.native_uuid else uuid_text

    def enum_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        e: EnumType = ct  # type: ignore[assignment]
        if e.kind == "int":
            return self.integer_sql(ct, column)
        width = max(len(str(v)) for v in e.values) if e.values else 1
        return f"VARCHAR({max(width, 1)})"

    def json_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "JSON" if self.native_json else "TEXT"

    def json_bind(self, ct: ColumnType) -> Processor | None:
        j: JSONType = ct  # type: ignore[assignment]
        return json_document(j.adapter) if self.native_json else json_text(j.adapter)

    def json_result(self, ct: ColumnType) -> Processor | None:
        return json_loads


# --- value conversions the rules share -------------------------------------------------------


def as_utc(v: _dt.datetime) -> _dt.datetime:
    try:
        return v.astimezone(_UTC)
    except OverflowError:
        raise ValueError(
            f"{v.isoformat()} is outside the years 1-9999 in UTC and cannot be read back"
        ) from None


def require_aware(v: _dt.datetime) -> _dt.timedelta:
    """``v``'s UTC offset; ValueError for a naive datetime (typedorm stores only aware ones)."""
    off = v.utcoffset() if v.tzinfo is not None else None
    if off is None:
        raise ValueError("naive datetime: typedorm stores only time-zone-aware datetimes")
    return off


def datetime_aware(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        # TIMESTAMPTZ would read a naive value in the session time zone: refuse to guess.
        off = require_aware(v)
        if off or v.year in (1, 9999):
            # Sent as UTC: PostgreSQL's text input takes offsets only up to 15:59 (COPY uses
            # text), and a year-1/9999 value must still be readable back.
            return as_utc(v)
    return v


def decimal_finite(v: Decimal) -> Decimal:
    if not v.is_finite():
        raise ValueError(f"{v} cannot be stored in a decimal column")
    return v


def naive_as_utc(v: Any) -> Any:
    if isinstance(v, _dt.datetime) and v.tzinfo is None:
        return v.replace(tzinfo=_UTC)
    return v


def naive_only(v: Any) -> Any:
    if isinstance(v, _dt.datetime) and v.tzinfo is not None:
        # Dropping the zone would silently change the instant.
        raise ValueError("aware datetime in a NaiveDateTime column: convert it to naive first")
    return v


def time_naive(v: Any) -> Any:
    if isinstance(v, _dt.time) and v.tzinfo is not None:
        # TIME columns keep no zone: storing one would silently drop it.
        raise ValueError("time values with a time zone are not supported")
    return v


def timedelta_to_us(v: Any) -> Any:
    if isinstance(v, _dt.timedelta):
        return (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    return v


def us_to_timedelta(v: Any) -> Any:
    if isinstance(v, int):
        return _dt.timedelta(microseconds=v)
    return v


def uuid_text(v: Any) -> Any:
    return str(v) if isinstance(v, uuid.UUID) else v


def json_loads(v: Any) -> Any:
    if isinstance(v, (str, bytes, bytearray)):
        return json.loads(v)
    return v


def json_text(adapter: TypeAdapter[Any]) -> Processor:
    """JSON text of a value (refusing NaN and infinity, which Pydantic would write as null)."""

    def conv(v: Any) -> Any:
        if v is None:
            return None
        out = adapter.dump_json(v)
        if b"null" in out:  # Pydantic writes NaN and infinity as null: refuse, do not lose them
            json_finite(adapter.dump_python(v))
        return out.decode()

    return conv


def json_document(adapter: TypeAdapter[Any]) -> Processor:
    """A :class:`JsonDocument` the driver sends as the native JSON type."""

    def conv(v: Any) -> Any:
        if v is None:
            return None
        data = adapter.dump_python(v, mode="json")
        # NaN and infinity stay floats or become None in JSON mode: refuse, do not lose them
        json_finite(data)
        if _has_none(data):
            json_finite(adapter.dump_python(v))
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


def json_finite(v: Any) -> None:
    """Raise ValueError for a NaN or infinite float anywhere in ``v`` (JSON has no such numbers)."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v} cannot be stored in a JSON column (JSON has no NaN or infinity)")
    elif isinstance(v, dict):
        for x in v.values():
            json_finite(x)
    elif isinstance(v, (list, tuple, set, frozenset)):
        for x in v:
            json_finite(x)
