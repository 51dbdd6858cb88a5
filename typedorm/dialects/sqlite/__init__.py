"""SQLite: its dialect (compiler overrides, DDL, transactions), importable without a driver."""

from .dialect import SQLiteDialect

__all__ = ["SQLiteDialect"]
