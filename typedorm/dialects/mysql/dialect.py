"""The MySQL/MariaDB dialect: backticks, ON DUPLICATE KEY UPDATE, inline indexes, UTC datetimes."""

from __future__ import annotations

from typing import Any, ClassVar

from ...schema.spec import ColumnSpec, TableSpec
from ...sql.expr import FuncCall
from ...sql.stmt import CreateIndex, CreateTable, DropIndex, Insert
from ..base import Dialect, IsolationLevel, MigrationLock
from .reflect import MySQLIntrospector

__all__ = ["MariaDBDialect", "MySQLDialect"]


def _mariadb_has_returning(version: str) -> bool:
    # INSERT/DELETE ... RETURNING arrived in MariaDB 10.5 (UPDATE ... RETURNING has not):
    # mariadb.com/kb/en/insertreturning/
    try:
        major, minor = (int(x) for x in version.split("-")[0].split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (10, 5)


class MySQLDialect(Dialect):
    name: ClassVar[str] = "mysql"
    family: ClassVar[str] = "mysql"
    default_isolation: ClassVar[IsolationLevel] = "repeatable read"
    probes_server_version: ClassVar[bool] = True
    # dev.mysql.com/doc/refman/8.0/en/select.html: "to retrieve all rows from a certain offset
    # up to the end, use some large number for the second parameter"
    unlimited: ClassVar[str | None] = "18446744073709551615"
    # dev.mysql.com/doc/refman/8.0/en/alter-table.html: MODIFY COLUMN restates the column;
    # MariaDB refuses to drop or rename a column a CHECK uses; UNIQUE is an index; InnoDB keeps
    # the index it made for a foreign key
    modify_column: ClassVar[bool] = True
    checks_pin_columns: ClassVar[bool] = True
    unique_is_index: ClassVar[bool] = True
    foreign_keys_make_indexes: ClassVar[bool] = True
    short_text_type: ClassVar[str] = "VARCHAR(1000)"
    table_exists_sql: ClassVar[str] = (
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
    )
    paramstyle: ClassVar[str] = "format"
    quote_char: ClassVar[str] = "`"
    supports_ilike: ClassVar[bool] = False
    supports_nulls_order: ClassVar[bool] = False
    # MariaDB 10.5+ has INSERT/DELETE ... RETURNING but no UPDATE ... RETURNING; the
    # engine switches these flags off for MySQL servers, which have none.
    supports_returning: ClassVar[bool] = True
    supports_update_returning: ClassVar[bool] = False
    supports_delete_returning: ClassVar[bool] = True
    # an upsert reads the stored row back after ON DUPLICATE KEY UPDATE instead of RETURNING it
    supports_upsert_returning: ClassVar[bool] = False
    # MySQL commits implicitly around DDL: dev.mysql.com/doc/refman/8.0/en/implicit-commit.html
    transactional_ddl: ClassVar[bool] = False
    supports_lastrowid: ClassVar[bool] = True
    max_params: ClassVar[int] = 65535
    max_identifier_length: ClassVar[int] = 64
    # backslash is an escape character inside MySQL string literals
    like_escape_literal: ClassVar[str] = "'\\\\'"

    def begin_sql(self, isolation: IsolationLevel | None = None, mode: str | None = None) -> list[str]:
        if isolation is not None:
            level = self.check_isolation(isolation)
            return [f"SET TRANSACTION ISOLATION LEVEL {level.upper()}", "START TRANSACTION"]
        return ["START TRANSACTION"]

    def apply_server_version(self, version: str) -> None:
        # mysql:// and mariadb:// URLs reach either server; the version tells them apart, and
        # a MariaDB server gets the MariaDB variant's capabilities. MySQL has no RETURNING.
        ok = "mariadb" in version.lower() and _mariadb_has_returning(version)
        d: Any = self  # instance flags shadow the class defaults for this server
        d.supports_returning = ok
        d.supports_delete_returning = ok
        super().apply_server_version(version)

    def migration_lock(self, database: str | None) -> MigrationLock | None:
        # GET_LOCK names are server-wide and at most 64 characters.
        name = f"typedorm_migrate:{database or ''}"[:64]
        return MigrationLock("SELECT GET_LOCK(?, 0)", "SELECT RELEASE_LOCK(?)", (name,))

    def rename_table_sql(self, old: str, new: str) -> str:
        return f"RENAME TABLE {self.quote(old)} TO {self.quote(new)}"

    def func_name(self, name: str) -> str:
        # LENGTH() counts bytes on MySQL; CHAR_LENGTH() counts characters, as LENGTH() does
        # on SQLite and PostgreSQL: dev.mysql.com/doc/refman/8.0/en/string-functions.html
        if name == "length":
            return "CHAR_LENGTH"
        return super().func_name(name)

    def func(self, f: FuncCall[Any, Any], params: list[Any]) -> str:
        if f.name == "avg" and f.result_type is float and len(f.args) == 1:
            # AVG of an integer is a DECIMAL rounded to div_precision_increment (4) places:
            # average a DOUBLE instead (dev.mysql.com/doc/refman/8.0/en/arithmetic-functions.html)
            return f"AVG({'DISTINCT ' if f.distinct else ''}{self.expr(f.args[0], params)} + 0E0)"
        return super().func(f, params)

    def default_values(self) -> str:
        return "() VALUES ()"

    def on_conflict(self, s: Insert) -> str:
        oc = s.on_conflict
        assert oc is not None
        if not oc.update:
            # A no-op assignment; INSERT IGNORE would also hide unrelated errors.
            pk = s.table.primary_key[0]
            return f" ON DUPLICATE KEY UPDATE {self.quote(pk)} = {self.quote(pk)}"
        sets = ", ".join(f"{self.quote(c)} = VALUES({self.quote(c)})" for c in oc.update)
        return f" ON DUPLICATE KEY UPDATE {sets}"

    def literal_string(self, v: str) -> str:
        # MySQL reads a backslash in a string literal as an escape (unless NO_BACKSLASH_ESCAPES):
        # dev.mysql.com/doc/refman/8.0/en/string-literals.html
        return super().literal_string(v.replace("\\", "\\\\"))

    def column_ddl(self, t: TableSpec, c: ColumnSpec, inline_pk: bool) -> str:
        ddl = super().column_ddl(t, c, inline_pk)
        if c.autoincrement:
            ddl = ddl.replace(" PRIMARY KEY", " AUTO_INCREMENT PRIMARY KEY") if inline_pk else ddl + " AUTO_INCREMENT"
        return ddl

    def table_body(self, t: TableSpec) -> list[str]:
        lines = super().table_body(t)
        # No CREATE INDEX IF NOT EXISTS on MySQL: indexes go inside CREATE TABLE.
        for idx in t.indexes:
            if not idx.unique:
                lines.append(f"INDEX {self.quote(idx.name)} ({', '.join(self.quote(n) for n in idx.columns)})")
        return lines

    def table_options(self) -> str:
        # utf8mb4_bin: text compares case-sensitively, as on SQLite and PostgreSQL.
        return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

    def create_table_statements(self, t: TableSpec, *, if_not_exists: bool = True) -> list[str]:
        return [self.visit_create_table(CreateTable(t, if_not_exists=if_not_exists))]

    # MySQL has no IF [NOT] EXISTS for indexes (only MariaDB does), and DROP INDEX needs
    # the table: dev.mysql.com/doc/refman/8.0/en/drop-index.html
    def visit_create_index(self, s: CreateIndex) -> str:
        cols = ", ".join(self.quote(n) for n in s.index.columns)
        unique = "UNIQUE " if s.index.unique else ""
        return f"CREATE {unique}INDEX {self.quote(s.index.name)} ON {self.quote(s.table.name)} ({cols})"

    def visit_drop_index(self, s: DropIndex) -> str:
        return f"DROP INDEX {self.quote(s.index.name)} ON {self.quote(s.table.name)}"

    def introspector(self) -> MySQLIntrospector:
        """Reads a live MySQL/MariaDB schema for migrations and ``typedorm inspect``."""
        return MySQLIntrospector(self)


class MariaDBDialect(MySQLDialect):
    """MariaDB: MySQL's protocol and SQL, plus INSERT/DELETE ... RETURNING (10.5+).

    Picked by ``mariadb://`` URLs; a ``mysql://`` URL that reaches a MariaDB server gets the
    same capabilities from the server version the engine reads on connecting.
    """

    name: ClassVar[str] = "mariadb"

    def apply_server_version(self, version: str) -> None:
        ok = _mariadb_has_returning(version)
        d: Any = self
        d.supports_returning = ok
        d.supports_delete_returning = ok
        Dialect.apply_server_version(self, version)
