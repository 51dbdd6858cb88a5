"""The adapter for the standard library's ``sqlite3`` module."""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlencode

from typedorm.drivers.base import (
    Driver,
    ErrorInfo,
    ErrorKind,
    close_cursor_quietly,
    fetch_result,
    option_int,
)
from typedorm.errors import ConfigurationError, ConnectionLost

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = ["SQLiteDriver"]

logger: logging.Logger = logging.getLogger("typedorm.drivers.sqlite")

DEFAULT_BUSY_TIMEOUT_MS = 5000

# Query parameters SQLite itself understands in a file: URI (sqlite.org/uri.html#recognized_query_parameters).
_URI_PARAMS = frozenset({"mode", "cache", "immutable", "vfs", "nolock", "psow", "modeof"})
# typedorm's own options, accepted from the URL query and from connect(**options).
_OPTIONS = frozenset({"busy_timeout", "journal_mode", "synchronous", "cached_statements"})
_JOURNAL_MODES = frozenset({"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"})
_SYNCHRONOUS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA", "0", "1", "2", "3"})

# Extended result codes (sqlite.org/rescode.html); matched by number because sqlite_errorname
# is "unknown" for codes newer than the Python build's table (e.g. SQLITE_CONSTRAINT_DATATYPE).
_CONSTRAINT_CODES: dict[int, ErrorKind] = {
    275: "check",  # SQLITE_CONSTRAINT_CHECK
    787: "foreign_key",  # SQLITE_CONSTRAINT_FOREIGNKEY
    1299: "not_null",  # SQLITE_CONSTRAINT_NOTNULL
    1555: "unique",  # SQLITE_CONSTRAINT_PRIMARYKEY
    2067: "unique",  # SQLITE_CONSTRAINT_UNIQUE
    2579: "unique",  # SQLITE_CONSTRAINT_ROWID
    3091: "data",  # SQLITE_CONSTRAINT_DATATYPE: STRICT table, value of the wrong type
}
_DATA_CODES = frozenset({18, 20, 25})  # SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE

_COLUMN_LIST_RE = re.compile(r"^(UNIQUE|NOT NULL) constraint failed: (.+)$", re.DOTALL)
_INDEX_RE = re.compile(r"^UNIQUE constraint failed: index '(.+)'$", re.DOTALL)
_CHECK_RE = re.compile(r"^CHECK constraint failed: (.+)$", re.DOTALL)
_DATATYPE_RE = re.compile(r"^cannot store \w+ value in \w+ column (.+)\.([^.]+)$", re.DOTALL)


class SQLiteDriver(Driver):
    """``sqlite3`` in autocommit mode (``isolation_level=None``), foreign keys on, WAL for files.

    Options (URL query or ``connect(**options)``): ``busy_timeout`` (ms, default 5000),
    ``journal_mode`` (default WAL for files), ``synchronous`` (default NORMAL with WAL),
    ``cached_statements``; SQLite URI parameters (``mode``, ``cache``, ...) in the URL query.
    """

    name: ClassVar[str] = "sqlite3"
    dialect: ClassVar[str] = "sqlite"
    paramstyle: ClassVar[str] = "qmark"

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        # OverflowError: sqlite3 raises it while binding an int beyond 64 bits.
        return (sqlite3.Error, OverflowError)

    def connect(self, url: URL, **options: Any) -> sqlite3.Connection:
        opts: dict[str, Any] = {k: v for k, v in url.query.items() if k not in _URI_PARAMS}
        opts.update(options)
        unknown = sorted(set(opts) - _OPTIONS)
        if unknown:
            raise ConfigurationError(
                f"unknown sqlite option(s) {', '.join(unknown)}; valid: "
                f"{', '.join(sorted(_OPTIONS | _URI_PARAMS))}"
            )
        busy_ms = option_int("busy_timeout", opts.get("busy_timeout", DEFAULT_BUSY_TIMEOUT_MS))
        if busy_ms < 0:
            raise ConfigurationError("busy_timeout must be >= 0 milliseconds")
        cached = option_int("cached_statements", opts.get("cached_statements", 128))

        uri_params = {k: v for k, v in url.query.items() if k in _URI_PARAMS}
        path = url.database or ":memory:"
        memory = url.is_memory
        read_only = uri_params.get("mode") == "ro" or uri_params.get("immutable") in ("1", "true")
        if uri_params:
            target = f"file:{quote(path, safe='/:')}?{urlencode(sorted(uri_params.items()))}"
        else:
            target = path

        conn = sqlite3.connect(
            target,
            timeout=busy_ms / 1000,
            detect_types=0,
            isolation_level=None,  # no implicit BEGIN: the engine issues BEGIN IMMEDIATE itself
            check_same_thread=False,  # the pool hands connections across threads, one at a time
            cached_statements=cached,
            uri=bool(uri_params),
        )
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={busy_ms:d}")
            journal = str(opts.get("journal_mode", "" if memory or read_only else "WAL")).upper()
            if journal:
                if journal not in _JOURNAL_MODES:
                    raise ConfigurationError(
                        f"journal_mode must be one of {', '.join(sorted(_JOURNAL_MODES))}"
                    )
                got = conn.execute(f"PRAGMA journal_mode={journal}").fetchone()
                if got is not None and str(got[0]).upper() != journal:
                    logger.warning("sqlite journal_mode %s requested for %s, got %s", journal, path, got[0])
            sync = str(opts.get("synchronous", "NORMAL" if journal == "WAL" else "")).upper()
            if sync:
                if sync not in _SYNCHRONOUS:
                    raise ConfigurationError(f"synchronous must be one of {', '.join(sorted(_SYNCHRONOUS))}")
                conn.execute(f"PRAGMA synchronous={sync}")
        except BaseException:
            conn.close()
            raise
        logger.debug("opened sqlite3 connection to %s (SQLite %s)", path, sqlite3.sqlite_version)
        return conn

    def ping(self, conn: Any) -> bool:
        try:
            conn.execute("SELECT 1").fetchone()
        except Exception:
            return False
        return True

    def is_alive_cheap(self, conn: Any) -> bool:
        try:
            conn.in_transaction  # noqa: B018 - raises ProgrammingError once the connection is closed
        except Exception:
            return False
        return True

    def in_transaction(self, conn: Any) -> bool:
        return bool(conn.in_transaction)

    def reset(self, conn: Any) -> None:
        try:
            open_txn = conn.in_transaction
        except sqlite3.ProgrammingError as exc:
            raise ConnectionLost(f"sqlite3 connection is closed: {exc}") from exc
        if open_txn:
            conn.execute("ROLLBACK")

    def execute(self, conn: Any, sql: str, params: Any, mode: int, prepare: bool = False) -> Any:
        # conn.execute makes the cursor and runs the statement in one call (the hot path).
        cur = conn.execute(sql, () if params is None else params)
        try:
            out = fetch_result(cur, mode)
        except BaseException:
            close_cursor_quietly(cur)
            raise
        cur.close()
        return out

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        if isinstance(exc, OverflowError):
            return ErrorInfo("data", str(exc))
        if not isinstance(exc, sqlite3.Error):
            return None
        message = str(exc)
        code: int | None = getattr(exc, "sqlite_errorcode", None)
        if isinstance(exc, sqlite3.IntegrityError):
            return _classify_constraint(message, code)
        if (code is not None and (code & 0xFF) in _DATA_CODES) or isinstance(exc, sqlite3.DataError):
            return ErrorInfo("data", message, errno=code)
        if isinstance(exc, sqlite3.ProgrammingError) and "closed database" in message:
            return ErrorInfo("disconnect", message, errno=code)
        # "database is locked" (SQLITE_BUSY) and the rest: nothing finer to say.
        return ErrorInfo("other", message, errno=code)


def _split_qualified(names: str) -> tuple[str | None, tuple[str, ...]]:
    """``"users.email, users.x"`` -> ``("users", ("email", "x"))``."""
    table: str | None = None
    columns: list[str] = []
    for item in names.split(", "):
        tbl, dot, col = item.rpartition(".")
        if dot:
            table = table or tbl
            columns.append(col)
        else:
            columns.append(item)
    return table, tuple(columns)


def _classify_constraint(message: str, code: int | None) -> ErrorInfo:
    kind: ErrorKind | None = _CONSTRAINT_CODES.get(code) if code is not None else None
    if kind is None:
        # No extended code (or one we do not know): fall back to the message's wording.
        if message.startswith("UNIQUE"):
            kind = "unique"
        elif message.startswith("NOT NULL"):
            kind = "not_null"
        elif message.startswith("CHECK"):
            kind = "check"
        elif message.startswith("FOREIGN KEY"):
            kind = "foreign_key"
        elif message.startswith("cannot store") or message == "datatype mismatch":
            kind = "data"
        else:
            kind = "other"
    if kind == "unique":
        if m := _INDEX_RE.match(message):
            return ErrorInfo("unique", message, constraint=m.group(1), errno=code)
    if kind in ("unique", "not_null"):
        if m := _COLUMN_LIST_RE.match(message):
            table, columns = _split_qualified(m.group(2))
            return ErrorInfo(kind, message, table=table, columns=columns, errno=code)
    if kind == "check":
        if m := _CHECK_RE.match(message):
            return ErrorInfo("check", message, constraint=m.group(1), errno=code)
    if kind == "data":
        if m := _DATATYPE_RE.match(message):
            return ErrorInfo("data", message, table=m.group(1), columns=(m.group(2),), errno=code)
    return ErrorInfo(kind, message, errno=code)
