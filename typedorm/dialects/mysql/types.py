"""MySQL's and MariaDB's column types: DATETIME(6) in UTC, DECIMAL(65, 30), keyed text as VARCHAR."""

from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ..typemap import TypeMap, as_utc, decimal_finite, require_aware

if TYPE_CHECKING:
    from ...schema.spec import ColumnSpec
    from ...schema.types import ColumnType, Processor

__all__ = ["MySQLTypes"]


class MySQLTypes(TypeMap):
    # MySQL cannot index a TEXT column without a prefix length: keyed text gets VARCHAR(255)
    # (strict sql_mode makes a longer value an error, never a silent truncation).
    indexable_text_type: ClassVar[str] = "VARCHAR(255)"

    def float_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "DOUBLE"

    def float_bind(self, ct: ColumnType) -> Processor | None:
        return _float_finite

    def string_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        n = column.max_length
        if n is not None:
            return f"VARCHAR({n})" if n <= 16383 else "LONGTEXT"
        if column.primary_key or column.unique or column.index or column.keyed:
            return self.indexable_text_type
        return "LONGTEXT"

    def bytes_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "LONGBLOB"

    def decimal_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return super().decimal_sql(ct, column) if column.max_digits is not None else "DECIMAL(65, 30)"

    def decimal_bind(self, ct: ColumnType) -> Processor | None:
        # MySQL DECIMAL has no NaN or infinity; PostgreSQL NUMERIC stores them faithfully.
        return _decimal_fits

    def datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        # DATETIME keeps no zone: typedorm stores UTC there
        return "DATETIME(6)"

    def datetime_bind(self, ct: ColumnType) -> Processor | None:
        return _datetime_to_utc_naive

    def naive_datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "DATETIME(6)"

    def time_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TIME(6)"

    def time_result(self, ct: ColumnType) -> Processor | None:
        return _timedelta_as_time

    def json_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "JSON"


def _float_finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(
            f"{v} cannot be stored in a float column on MySQL/MariaDB (DOUBLE has no NaN or infinity)"
        )
    return v


def _decimal_fits(v: Any) -> Any:
    if isinstance(v, Decimal):
        decimal_finite(v)
        # DECIMAL(65, 30) rounds extra fraction digits away without an error, even in strict
        # mode: refuse them (dev.mysql.com/doc/refman/8.0/en/precision-math-decimal-characteristics.html)
        _, digits, exp = v.as_tuple()
        assert isinstance(exp, int)
        n = len(digits)
        while n > 1 and digits[n - 1] == 0 and exp < 0:
            n -= 1
            exp += 1
        if -exp > 30 or n + exp > 35:
            raise ValueError(
                f"{v} does not fit the decimal column (at most 35 digits before the point and 30 after)"
            )
    return v


def _datetime_to_utc_naive(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        require_aware(v)
        return as_utc(v).replace(tzinfo=None)
    return v


def _timedelta_as_time(v: Any) -> Any:
    # MySQL drivers return TIME as timedelta since midnight.
    if isinstance(v, _dt.timedelta):
        return (_dt.datetime.min + v).time()
    return v
