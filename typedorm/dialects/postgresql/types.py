"""PostgreSQL's column types: native UUID, JSONB, TIMESTAMPTZ and INTERVAL, which psycopg adapts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..typemap import TypeMap

if TYPE_CHECKING:
    from ...schema.spec import ColumnSpec
    from ...schema.types import ColumnType, Processor

__all__ = ["PostgreSQLTypes"]


class PostgreSQLTypes(TypeMap):
    native_uuid: ClassVar[bool] = True
    native_json: ClassVar[bool] = True

    def string_bind(self, ct: ColumnType) -> Processor | None:
        return _reject_nul

    def bytes_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "BYTEA"

    def datetime_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "TIMESTAMPTZ"

    def timedelta_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "INTERVAL"

    def timedelta_bind(self, ct: ColumnType) -> Processor | None:
        return None  # psycopg adapts timedelta to INTERVAL and back

    def timedelta_result(self, ct: ColumnType) -> Processor | None:
        return None

    def json_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "JSONB"


def _reject_nul(v: Any) -> Any:
    if isinstance(v, str) and "\x00" in v:
        raise ValueError("PostgreSQL text cannot hold NUL (\\x00) characters; store such data as bytes")
    return v
