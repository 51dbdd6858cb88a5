"""SQLite's column types: dynamic typing with affinities (sqlite.org/datatype3.html), so most
values are stored as text in a fixed, sortable spelling, and CHECKs enforce what types do elsewhere."""

from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ..typemap import TypeMap, as_utc, decimal_finite, naive_as_utc, naive_only, require_aware, time_naive

if TYPE_CHECKING:
    from ...schema.spec import ColumnSpec
    from ...schema.types import ColumnType, Processor

__all__ = ["SQLiteTypes"]


class SQLiteTypes(TypeMap):
    # BOOLEAN has integer affinity: CHECK (col IN (0, 1)) keeps other numbers out
    native_bool: ClassVar[bool] = False
    # INTEGER is 64-bit: sqlite.org/datatype3.html
    integer_bits: ClassVar[int] = 64

    def integer_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        # INTEGER (not BIGINT): an INTEGER PRIMARY KEY aliases the rowid
        return "INTEGER"

    def float_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "REAL"

    def float_bind(self, ct: ColumnType) -> Processor | None:
        # SQLite silently stores NaN as NULL: sqlite.org/floatingpoint.html
        return _float_not_nan

    def string_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def string_checks(self, ct: ColumnType, column: ColumnSpec, quoted: str) -> list[str]:
        # SQLite ignores VARCHAR(n): enforce the length in the table itself.
        out: list[str] = []
        if column.max_length is not None:
            out.append(f"length({quoted}) <= {int(column.max_length)}")
        if column.min_length is not None:
            out.append(f"length({quoted}) >= {int(column.min_length)}")
        return out

    def decimal_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        # no exact decimal type: values are stored as text
        return "TEXT"

    def decimal_bind(self, ct: ColumnType) -> Processor | None:
        return _decimal_to_text

    def datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def datetime_bind(self, ct: ColumnType) -> Processor | None:
        return _datetime_to_utc_text

    def datetime_result(self, ct: ColumnType) -> Processor | None:
        return _text_as_utc

    def naive_datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def naive_datetime_bind(self, ct: ColumnType) -> Processor | None:
        return _naive_text

    def date_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def date_bind(self, ct: ColumnType) -> Processor | None:
        return _iso

    def time_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def time_bind(self, ct: ColumnType) -> Processor | None:
        return _time_text

    def timedelta_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "INTEGER"

    def uuid_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT"

    def enum_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TEXT" if getattr(ct, "kind", None) == "str" else self.integer_sql(ct, column)


def _float_not_nan(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        raise ValueError("NaN cannot be stored in a float column on SQLite (it would become NULL)")
    return v


def _decimal_to_text(v: Any) -> Any:
    if isinstance(v, Decimal):
        decimal_finite(v)
        return str(v)
    return v


def _datetime_to_utc_text(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        # Fixed width (isoformat pads the year; strftime("%Y") does not), always UTC: text
        # order is time order. A zero offset (timezone.utc, or Pydantic's own UTC tzinfo)
        # already prints as +00:00.
        if require_aware(v):
            v = as_utc(v)
        return v.isoformat(" ", "microseconds")
    return v


def _text_as_utc(v: Any) -> Any:
    # typedorm writes "...+00:00"; text without an offset comes from elsewhere (a legacy
    # table, CURRENT_TIMESTAMP) and is read as UTC, the zone typedorm stores in.
    if isinstance(v, str) and not v.endswith("+00:00"):
        try:
            parsed = _dt.datetime.fromisoformat(v)
        except ValueError:
            return v  # not a timestamp: validation reports it with the field's name
        return naive_as_utc(parsed)
    return v


def _naive_text(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        # "YYYY-MM-DD HH:MM:SS[.ffffff]", the spelling of SQLite's own datetime functions:
        # a value read from a legacy column is written back as the same text.
        return naive_only(v).isoformat(" ")
    return v


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (_dt.date, _dt.time)) else v


def _time_text(v: Any) -> Any:
    if isinstance(v, _dt.time):
        return time_naive(v).strftime("%H:%M:%S.%f")
    return v
