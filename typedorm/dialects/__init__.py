"""SQL dialects: SQLite, PostgreSQL and MySQL/MariaDB, importable without their drivers."""

from .base import Dialect, IsolationLevel
from .mysql import MySQLDialect
from .postgresql import PostgreSQLDialect
from .sqlite import SQLiteDialect

__all__ = ["Dialect", "IsolationLevel", "MySQLDialect", "PostgreSQLDialect", "SQLiteDialect", "get_dialect"]

_DIALECTS: dict[str, type[Dialect]] = {
    "sqlite": SQLiteDialect,
    "postgresql": PostgreSQLDialect,
    "mysql": MySQLDialect,
}


def get_dialect(name: str) -> Dialect:
    """A new dialect instance by name (``sqlite``, ``postgresql``, ``mysql``)."""
    try:
        return _DIALECTS[name]()
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; known: {', '.join(_DIALECTS)}") from None
