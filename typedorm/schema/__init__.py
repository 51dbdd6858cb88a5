"""What a table is: column markers, the type map, model introspection into TableSpec."""

from .columns import AUTO, PK, SQL, Col, Column, ForeignKey, column
from .custom import JsonModel, PasswordHash, PasswordHashType
from .model import Model, ModelMeta, build_table_spec
from .naming import snake_case
from .spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec, TableSpec
from .types import ColumnType, NaiveDateTime, NaiveDateTimeType, register_type, resolve_type

__all__ = [
    "AUTO",
    "PK",
    "SQL",
    "CheckSpec",
    "Col",
    "Column",
    "ColumnSpec",
    "ColumnType",
    "ForeignKey",
    "ForeignKeySpec",
    "IndexSpec",
    "JsonModel",
    "Model",
    "ModelMeta",
    "NaiveDateTime",
    "NaiveDateTimeType",
    "PasswordHash",
    "PasswordHashType",
    "TableSpec",
    "build_table_spec",
    "column",
    "register_type",
    "resolve_type",
    "snake_case",
]
