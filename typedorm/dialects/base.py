"""The Dialect base: capability flags, transaction SQL and the compiler hooks a backend overrides."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Literal

from ..errors import InvalidArgument
from ..schema.naming import is_identifier
from ..sql.closed import ISOLATION_LEVELS
from ..sql.stmt import CreateTable
from .migrate import Migrator
from .reflect import Introspector
from .replication import ReplicationPositions
from .twophase import TwoPhaseSQL
from .typemap import TypeMap

if TYPE_CHECKING:
    from ..schema.spec import ColumnSpec

__all__ = ["Dialect", "IsolationLevel", "MigrationLock"]

IsolationLevel = Literal["read uncommitted", "read committed", "repeatable read", "serializable"]
_ISOLATION = ISOLATION_LEVELS


@dataclass(frozen=True)
class MigrationLock:
    """How a server-wide migration lock is taken: ``acquire`` returns 1 (or true) once held,
    ``release`` gives it back; both take ``params`` as bound parameters (``?`` placeholders)."""

    acquire: str
    release: str
    params: tuple[object, ...]


class Dialect(TypeMap, TwoPhaseSQL):
    """A backend's SQL: a compiler, its column-type rules (:class:`~typedorm.dialects.typemap.TypeMap`)
    and the capability flags the engine and repository consult.

    Code is gated on these flags and methods, never on the dialect's name. A variant (MariaDB
    of MySQL, a PostgreSQL-compatible server) subclasses a built-in dialect; a dialect outside
    typedorm registers with :func:`typedorm.dialects.register_dialect` or the
    ``typedorm.dialects`` entry point group and is picked by its URL scheme.
    """

    #: this dialect's own name (unique in the registry; shown in messages)
    name: ClassVar[str] = "generic"
    #: the engine reads the server's version on the first connection and passes it to
    #: :meth:`apply_server_version` (MySQL and MariaDB differ in RETURNING support)
    probes_server_version: ClassVar[bool] = False
    #: what a first connection asks when ``probes_server_version``: the version, then (optionally)
    #: the largest packet the server accepts
    server_probe_sql: ClassVar[str] = "SELECT VERSION()"
    #: URL options this dialect's URLs get unless they set them (Galera: ``wsrep_sync_wait``)
    url_defaults: ClassVar[dict[str, str]] = {}
    supports_savepoints: ClassVar[bool] = True
    transactional_ddl: ClassVar[bool] = True
    #: the isolation a transaction gets when none is asked for (a snapshot from its first read on
    #: "repeatable read"/"serializable": the query cache neither reads nor fills inside those)
    default_isolation: ClassVar[IsolationLevel] = "serializable"
    #: an upsert (INSERT ... ON CONFLICT/ON DUPLICATE KEY) can return the stored row
    supports_upsert_returning: ClassVar[bool] = True
    #: what makes an INSERT this dialect compiles an upsert (it may change existing rows)
    upsert_markers: ClassVar[tuple[str, ...]] = (" ON CONFLICT",)
    #: an upsert takes over the row of a conflict on any unique key, not only on its target
    #: (MySQL's ON DUPLICATE KEY UPDATE): the rows it may change are not named by its target
    upsert_any_unique: ClassVar[bool] = False
    #: fresh autoincrement keys can be taken ahead of an insert (a ``ReserveKeys`` statement):
    #: the repository's bulk insert then COPYs rows with their keys (drivers with COPY)
    reserves_keys: ClassVar[bool] = False
    #: cursor.lastrowid names the row a single-row INSERT created
    supports_lastrowid: ClassVar[bool] = False
    #: a multi-row INSERT inside a write transaction gets consecutive integer keys ending at
    #: lastrowid (SQLite's rowid allocation: sqlite.org/autoinc.html)
    consecutive_rowids: ClassVar[bool] = False
    # --- migrations: how ALTER TABLE behaves (migrations/ops.py and runner.py ask these) ---
    #: ALTER TABLE cannot change columns or constraints: migrations rebuild the table (with
    #: foreign keys off and checked afterwards), and the file can be backed up first
    rebuilds_tables: ClassVar[bool] = False
    #: the database is one file: the migration runner can copy it before migrating (and
    #: ``typedorm migrate restore`` put it back)
    file_backups: ClassVar[bool] = False
    #: a column change restates the whole column (MODIFY COLUMN) instead of ALTER COLUMN ... SET
    modify_column: ClassVar[bool] = False
    #: a CHECK constraint that uses a column must be dropped before the column is dropped or renamed
    checks_pin_columns: ClassVar[bool] = False
    #: a UNIQUE constraint is an index and is dropped as one
    unique_is_index: ClassVar[bool] = False
    #: a foreign key creates an index of its own, which outlives DROP FOREIGN KEY
    foreign_keys_make_indexes: ClassVar[bool] = False
    #: type of typedorm's own short free-text columns (the migration history's message)
    short_text_type: ClassVar[str] = "TEXT"
    #: how far a replica has applied the primary's commits (read-your-writes with replicas), or
    #: None: after a write, reads in that context stay on the primary
    replication: ClassVar[ReplicationPositions | None] = None
    #: a query with one ``?`` parameter (a table name) that returns a row if the table exists
    table_exists_sql: ClassVar[str] = (
        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
    )
    # --- URLs: the registry maps a scheme to a dialect; its family's dialect lists the drivers ---
    #: driver spellings a ``family+driver://`` URL accepts -> the canonical driver name
    #: (``typedorm.drivers`` registers drivers under the canonical names)
    url_drivers: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: the URL names a database file (``sqlite:///path.db``), not a server; file databases
    #: get one connection per thread
    url_is_path: ClassVar[bool] = False
    #: most bound parameters one statement may carry
    max_params: ClassVar[int] = 32766
    max_identifier_length: ClassVar[int] = 63

    def visit_create_table(self, s: CreateTable) -> str:
        # model names are checked against typedorm's own limit; a dialect may allow fewer
        t = s.table
        names = [
            t.name,
            *(c.name for c in t.columns),
            *(i.name for i in t.indexes),
            *(k.name for k in t.checks),
            *(f.name for f in t.foreign_keys if f.name is not None),
        ]
        for n in names:
            if len(n.encode()) > self.max_identifier_length:
                raise InvalidArgument(
                    f"identifier {n!r} is longer than {self.name}'s limit of {self.max_identifier_length} bytes",
                    argument="table",
                )
        return super().visit_create_table(s)

    def statement_kind(self, sql: str) -> int:
        """What a compiled statement does, for the query cache: 0 reads (a SELECT), 2 only adds
        rows (a plain INSERT or COPY: no upsert clause, no replace), 1 anything else."""
        head = sql.lstrip()[:12].upper()
        if head.startswith("SELECT"):
            return 0
        if head.startswith(("INSERT INTO ", "COPY ")):
            upper = sql.upper()
            return 1 if any(m in upper for m in self.upsert_markers) else 2
        return 1

    def copy_binary_types(self, columns: Sequence[ColumnSpec]) -> tuple[str, ...] | None:
        """The server type of each column when rows of ``columns``, as the bind processors leave
        them, can be sent with COPY's binary format (faster than text); None when any cannot."""
        return None

    def begin_sql(self, isolation: IsolationLevel | None = None, mode: str | None = None) -> list[str]:
        """Statements that open a transaction."""
        if isolation is not None:
            return [f"BEGIN ISOLATION LEVEL {self.check_isolation(isolation).upper()}"]
        return ["BEGIN"]

    def check_isolation(self, isolation: str) -> str:
        """``isolation`` if it is one of the four levels, else InvalidArgument (it is written into SQL)."""
        if isolation not in _ISOLATION or type(isolation) is not str:
            raise InvalidArgument(
                f"isolation must be one of {', '.join(_ISOLATION)}, not {isolation!r}", argument="isolation"
            )
        return isolation

    def check_savepoint(self, name: str) -> str:
        """A savepoint name (typedorm makes them) must be a plain identifier; it is quoted too."""
        if not is_identifier(name):
            raise InvalidArgument(f"savepoint name {name!r} is not a valid identifier", argument="savepoint")
        return name

    def savepoint_sql(self, name: str) -> str:
        return f"SAVEPOINT {self.quote(self.check_savepoint(name))}"

    def release_sql(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {self.quote(self.check_savepoint(name))}"

    def rollback_to_sql(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {self.quote(self.check_savepoint(name))}"

    def identity_sync_sql(self, table: str, column: str) -> tuple[str, list[object]] | None:
        """A statement that moves ``table``'s key generator past keys written explicitly into
        its autoincrement ``column``, or None where the database does that itself (SQLite's
        rowid and MySQL's AUTO_INCREMENT continue after the largest key)."""
        return None

    def apply_server_version(self, version: str) -> None:
        """Adjust this instance's capability flags to the server's ``SELECT VERSION()``."""
        self.server_version: str | None = version

    def rename_table_sql(self, old: str, new: str) -> str:
        """``ALTER TABLE old RENAME TO new`` in this dialect."""
        return f"ALTER TABLE {self.quote(old)} RENAME TO {self.quote(new)}"

    def migration_lock(self, database: str | None) -> MigrationLock | None:
        """The server-wide lock migrations run under, or None where typedorm keeps a lock row
        in a table instead (SQLite has no session locks)."""
        return None

    def migrator(self) -> Migrator:
        """What writes this dialect's DDL for migration operations (standard ALTER TABLE here)."""
        return Migrator(self)

    def introspector(self) -> Introspector:
        """What reads a live schema of this dialect (tables, columns, indexes, keys, checks,
        collations); a dialect without a catalog reader gets one that refuses to read tables."""
        return Introspector(self)

    commit_sql: ClassVar[str] = "COMMIT"
    rollback_sql: ClassVar[str] = "ROLLBACK"
    #: sent in the same round trip as ``COMMIT``, just before it, where the driver can read its
    #: answer apart (``Driver.supports_commit_probe``): one text value naming the transaction (and
    #: the server instance), NULL if the transaction wrote nothing. A COMMIT cut off by a lost
    #: connection is then looked up with :meth:`commit_status_query`; None where the backend has
    #: no such lookup (the outcome is unknown)
    commit_probe_sql: ClassVar[str | None] = None

    def commit_status_query(self, probe: str) -> tuple[str, tuple[object, ...]] | None:
        """The query, and its parameters, whose one value says what became of the transaction
        ``probe`` (the probe's value) named, asked on a new connection; None if it cannot be asked."""
        return None

    def commit_xid(self, probe: str) -> str:
        """The transaction id in ``probe``, for ``CommitOutcomeUnknown.xid``."""
        return probe

    def commit_outcome(self, status: object) -> bool | None:
        """What the status query answered: True committed, False rolled back, None unknown."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __eq__(self, other: object) -> bool:
        # Column types written before dialects were objects compare the argument with a name
        # (``dialect == "mysql"``): keep them working, as the family name was what they got.
        if isinstance(other, str):
            warnings.warn(
                "comparing a Dialect with a name is deprecated: ask its flags (native_json, native_uuid, "
                "native_bool, ...) or its family",
                DeprecationWarning,
                stacklevel=2,
            )
            return other == self.family
        return self is other

    def __hash__(self) -> int:
        return object.__hash__(self)
