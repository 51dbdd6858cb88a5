"""SQL dialects, one package per backend (SQLite, PostgreSQL, MySQL with its MariaDB variant),
importable without their drivers, plus the registry that maps URL schemes to them."""

from .base import Dialect, IsolationLevel, MigrationLock
from .mysql import GaleraDialect, MariaDBDialect, MySQLDialect
from .postgresql import PostgreSQLDialect
from .registry import ENTRY_POINT_GROUP, dialect_class, get_dialect, register_dialect, registered_schemes
from .sqlite import SQLiteDialect

__all__ = [
    "ENTRY_POINT_GROUP",
    "Dialect",
    "GaleraDialect",
    "IsolationLevel",
    "MariaDBDialect",
    "MigrationLock",
    "MySQLDialect",
    "PostgreSQLDialect",
    "SQLiteDialect",
    "dialect_class",
    "get_dialect",
    "register_dialect",
    "registered_schemes",
]
