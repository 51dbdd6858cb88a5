"""PostgreSQL: its dialect (compiler overrides, identity keys, advisory locks), importable without psycopg."""

from .dialect import PostgreSQLDialect

__all__ = ["PostgreSQLDialect"]
