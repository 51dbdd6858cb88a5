"""The MySQL/MariaDB dialect: backticks, ON DUPLICATE KEY UPDATE, inline indexes, UTC datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from ...errors import ConfigurationError
from ...schema.spec import ColumnSpec, TableSpec
from ...sql.expr import FuncCall
from ...sql.stmt import CreateIndex, CreateTable, DropIndex, Insert
from ..base import Dialect, IsolationLevel, MigrationLock
from ..replication import MariaDBGtidPositions, ReplicationPositions
from .migrate import MySQLMigrator
from .reflect import MySQLIntrospector
from .types import MySQLTypes

__all__ = ["GaleraDialect", "MariaDBDialect", "MySQLDialect"]


def _mariadb_has_returning(version: str) -> bool:
    # INSERT/DELETE ... RETURNING arrived in MariaDB 10.5 (UPDATE ... RETURNING has not):
    # mariadb.com/kb/en/insertreturning/
    try:
        major, minor = (int(x) for x in version.split("-")[0].split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (10, 5)


_MARIADB_GTID = MariaDBGtidPositions()


class MySQLDialect(MySQLTypes, Dialect):
    name: ClassVar[str] = "mysql"
    family: ClassVar[str] = "mysql"
    url_drivers: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"pymysql": "pymysql", "mysqlclient": "mysqlclient", "mysqldb": "mysqlclient"}
    )
    default_isolation: ClassVar[IsolationLevel] = "repeatable read"
    probes_server_version: ClassVar[bool] = True
    server_probe_sql: ClassVar[str] = "SELECT VERSION(), @@max_allowed_packet"
    upsert_markers: ClassVar[tuple[str, ...]] = (" ON DUPLICATE KEY",)
    # dev.mysql.com/doc/refman/8.0/en/insert-on-duplicate.html: "if a row is inserted that would
    # cause a duplicate value in a UNIQUE index or PRIMARY KEY, an UPDATE of the old row occurs"
    upsert_any_unique: ClassVar[bool] = True
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
        # MariaDB's GTIDs (domain-server-seq) tell a replica's progress; MySQL's differ (not handled)
        d.replication = _MARIADB_GTID if "mariadb" in version.lower() else None
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
            ddl = (
                ddl.replace(" PRIMARY KEY", " AUTO_INCREMENT PRIMARY KEY")
                if inline_pk
                else ddl + " AUTO_INCREMENT"
            )
        return ddl

    def table_body(self, t: TableSpec) -> list[str]:
        lines = super().table_body(t)
        # No CREATE INDEX IF NOT EXISTS on MySQL: indexes go inside CREATE TABLE.
        for idx in t.indexes:
            if not idx.unique:
                lines.append(
                    f"INDEX {self.quote(idx.name)} ({', '.join(self.quote(n) for n in idx.columns)})"
                )
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

    def migrator(self) -> MySQLMigrator:
        return MySQLMigrator(self)

    def introspector(self) -> MySQLIntrospector:
        """Reads a live MySQL/MariaDB schema for migrations and ``typedorm inspect``."""
        return MySQLIntrospector(self)

    # --- two-phase commit: XA (mariadb.com/kb/en/xa-transactions/); a prepared XA transaction
    # outlives its session on MariaDB 10.5+ and MySQL 5.7+, so a coordinator crash leaves it
    # for recovery instead of rolling it back ----------------------------------------------------
    supports_two_phase: ClassVar[bool] = True

    def tpc_begin_sql(self, gid: str, isolation: Any = None) -> list[str]:
        start = f"XA START {self.tpc_literal(gid)}"
        if isolation is not None:
            return [f"SET TRANSACTION ISOLATION LEVEL {self.check_isolation(isolation).upper()}", start]
        return [start]

    def tpc_prepare_sql(self, gid: str) -> list[str]:
        lit = self.tpc_literal(gid)
        return [f"XA END {lit}", f"XA PREPARE {lit}"]

    def tpc_commit_sql(self, gid: str) -> str:
        return f"XA COMMIT {self.tpc_literal(gid)}"

    def tpc_rollback_prepared_sql(self, gid: str) -> str:
        return f"XA ROLLBACK {self.tpc_literal(gid)}"

    def tpc_rollback_active_sql(self, gid: str) -> list[str]:
        lit = self.tpc_literal(gid)
        return [f"XA END {lit}", f"XA ROLLBACK {lit}"]

    def tpc_recover_sql(self) -> str:
        # formatID, gtrid_length, bqual_length, data (gtrid + bqual); server-wide, not per schema
        return "XA RECOVER"

    def tpc_recovered_gid(self, row: tuple[Any, ...]) -> str | None:
        if len(row) < 4 or row[3] is None:
            return None
        data = row[3]
        text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)
        return text[: int(row[1])]

    def tpc_unknown_id(self, sqlstate: str | None, errno: int | None) -> bool:
        return errno == 1397  # XAER_NOTA: unknown XID


class MariaDBDialect(MySQLDialect):
    """MariaDB: MySQL's protocol and SQL, plus INSERT/DELETE ... RETURNING (10.5+).

    Picked by ``mariadb://`` URLs; a ``mysql://`` URL that reaches a MariaDB server gets the
    same capabilities from the server version the engine reads on connecting.
    """

    name: ClassVar[str] = "mariadb"
    replication: ClassVar[ReplicationPositions | None] = MariaDBGtidPositions()

    def apply_server_version(self, version: str) -> None:
        ok = _mariadb_has_returning(version)
        d: Any = self
        d.supports_returning = ok
        d.supports_delete_returning = ok
        Dialect.apply_server_version(self, version)


class GaleraDialect(MariaDBDialect):
    """MariaDB Galera Cluster (multi-primary): ``galera://user@node/db``.

    Differences from a single MariaDB server (mariadb.com/kb/en/mariadb-galera-cluster-known-limitations/):

    - every statement is causal by default: the URL gets ``wsrep_sync_wait=15`` unless it sets
      another value, so a read, update, delete, insert or SHOW on any node first waits until that
      node has applied every write (and DDL) the cluster committed before it; ``?wsrep_sync_wait=1``
      makes only reads wait, ``0`` nothing;
    - a write set that fails certification against another node's concurrent commit is aborted
      with MariaDB error 1213, raised as ``Deadlock``: ``transaction(retry=n)`` re-runs it;
    - ``GET_LOCK`` is local to one node, so the migration lock is a row in a table with a primary
      key, which certification lets only one node insert;
    - every table needs a primary key (replication applies rows by key); creating one without is
      refused;
    - the server refuses XA transactions under Galera replication: ``two_phase()`` is refused.
    """

    name: ClassVar[str] = "galera"
    url_defaults: ClassVar[dict[str, str]] = {"wsrep_sync_wait": "15"}
    # MariaDB 10.11: "This version of MariaDB doesn't yet support 'XA transactions with Galera
    # replication'" (error 1235)
    supports_two_phase: ClassVar[bool] = False

    def tpc_literal(self, gid: str) -> str:
        raise self._no_two_phase()

    def tpc_recover_sql(self) -> str:
        raise self._no_two_phase()

    def migration_lock(self, database: str | None) -> MigrationLock | None:
        return None  # a lock row in typedorm_migration_lock: GET_LOCK is per node

    def visit_create_table(self, s: CreateTable) -> str:
        # create_all and the migrations' create_table both come through here
        if not s.table.primary_key:
            raise ConfigurationError(
                f"table {s.table.name!r} has no primary key: Galera replicates rows by primary key, so every "
                "table on a Galera cluster needs one"
            )
        return super().visit_create_table(s)
