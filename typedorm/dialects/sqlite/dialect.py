"""The SQLite dialect: GLOB for case-sensitive matching, IMMEDIATE transactions, rowid keys."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from ...schema.spec import ColumnSpec, TableSpec
from ...sql.closed import SQLITE_MODES, check_keyword
from ...sql.expr import TextMatch
from ..base import Dialect, IsolationLevel
from .migrate import SQLiteMigrator
from .reflect import SQLiteIntrospector
from .types import SQLiteTypes

__all__ = ["SQLiteDialect"]


def _glob_escape(text: str) -> str:
    # GLOB has no escape character: a special character is matched literally inside [ ].
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)


class SQLiteDialect(SQLiteTypes, Dialect):
    name: ClassVar[str] = "sqlite"
    family: ClassVar[str] = "sqlite"
    url_drivers: ClassVar[Mapping[str, str]] = MappingProxyType({"sqlite3": "sqlite3", "pysqlite": "sqlite3"})
    url_is_path: ClassVar[bool] = True
    decimal_range_checks: ClassVar[bool] = False
    # ALTER TABLE only renames and adds columns: sqlite.org/lang_altertable.html#otheralter
    rebuilds_tables: ClassVar[bool] = True
    file_backups: ClassVar[bool] = True
    table_exists_sql: ClassVar[str] = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    paramstyle: ClassVar[str] = "qmark"
    supports_ilike: ClassVar[bool] = False
    supports_lastrowid: ClassVar[bool] = True
    consecutive_rowids: ClassVar[bool] = True
    # SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32
    max_params: ClassVar[int] = 32766

    def begin_sql(self, isolation: IsolationLevel | None = None, mode: str | None = None) -> list[str]:
        # Write transactions take the write lock up front (BEGIN IMMEDIATE): with a
        # deferred BEGIN, concurrent writers fail with "database is locked" on upgrade.
        if isolation is not None and isolation != "serializable":
            self.check_isolation(isolation)
        m = mode.lower() if isinstance(mode, str) else mode
        m = check_keyword("immediate" if m is None else m, SQLITE_MODES, "mode")
        return [f"BEGIN {m.upper()}"]

    def text_match(self, p: TextMatch[Any], params: list[Any]) -> str:
        if p.ci:
            # LIKE is case-insensitive for ASCII in SQLite: see sqlite.org/lang_expr.html#like
            pattern = self.like_pattern(p.kind, p.text)
            left = self.expr(p.expr, params)
            return f"{left} LIKE {self.param(pattern, None, params)} ESCAPE '\\'"
        # LIKE ignores case in SQLite, so case-sensitive matching uses GLOB.
        t = _glob_escape(p.text)
        pattern = {"contains": f"*{t}*", "startswith": f"{t}*", "endswith": f"*{t}", "exact": t}[p.kind]
        return f"{self.expr(p.expr, params)} GLOB {self.param(pattern, None, params)}"

    def sample_sql(self, table: str, column: str, limit: int) -> str:
        """Up to ``limit`` non-NULL values of a column (``inspect`` reads what a TEXT column holds)."""
        c = self.quote(column)
        return f"SELECT {c} FROM {self.quote(table)} WHERE {c} IS NOT NULL LIMIT {int(limit)}"

    def column_ddl(self, t: TableSpec, c: ColumnSpec, inline_pk: bool) -> str:
        if inline_pk and c.autoincrement:
            # INTEGER PRIMARY KEY aliases the rowid: sqlite.org/lang_createtable.html#rowid
            return f"{self.quote(c.name)} INTEGER NOT NULL PRIMARY KEY"
        return super().column_ddl(t, c, inline_pk)

    def migrator(self) -> SQLiteMigrator:
        return SQLiteMigrator(self)

    def introspector(self) -> SQLiteIntrospector:
        """Reads a live SQLite schema for migrations and ``typedorm inspect``."""
        return SQLiteIntrospector(self)
