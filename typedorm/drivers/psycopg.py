"""The adapter for psycopg 3 (PostgreSQL); psycopg is imported only when this driver is used."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers.base import Driver, ErrorInfo, option_int, socket_readable
from typedorm.errors import ConfigurationError, ConnectionLost

if TYPE_CHECKING:
    import psycopg

    from typedorm.engine.url import URL

__all__ = ["PsycopgDriver", "connect_params"]

logger: logging.Logger = logging.getLogger("typedorm.drivers.psycopg")

# libpq's PGTransactionStatusType (postgresql.org/docs/current/libpq-status.html), as plain ints so
# the hot path (reset on every pool release) needs no import or enum lookup.
_IDLE, _ACTIVE, _INTRANS, _INERROR = 0, 1, 2, 3

# SQLSTATEs meaning the session is gone (postgresql.org/docs/current/errcodes-appendix.html).
_DISCONNECT_STATES = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, cannot connect now

# A server that refuses the login answers with a FATAL message, which psycopg raises without a
# SQLSTATE; it is not a lost connection (nothing to retry), unlike "the database system is
# starting up" or a refused socket.
_LOGIN_REFUSED_RE = re.compile(
    r'FATAL:\s+(?:password authentication failed|role ".*" does not exist|database ".*" does not exist|'
    r"no pg_hba\.conf entry|.*authentication failed|permission denied for database)"
)
_KEY_RE = re.compile(r"^Key \((.*?)\)=\(", re.DOTALL)
_IDENT_RE = re.compile(r'\s*(?:"((?:[^"]|"")*)"|([^\s",()]+))\s*(?:,|$)')
_PLAIN_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_PARENT_TABLE_RE = re.compile(r'^update or delete on table "((?:[^"]|"")*)"')

_impl_logged = False
_adapters_registered = False


def register_adapters() -> None:
    """Teach psycopg typedorm's driver-neutral parameter markers (once per process): a
    :class:`~typedorm.schema.types.JsonDocument` is sent as ``jsonb``."""
    global _adapters_registered
    if _adapters_registered:
        return
    import psycopg
    from psycopg.types.json import JsonbBinaryDumper, JsonbDumper

    from typedorm.schema.types import JsonDocument

    class _DocumentDumper(JsonbDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(obj.data)

    class _DocumentBinaryDumper(JsonbBinaryDumper):
        def dump(self, obj: Any) -> Any:
            return super().dump(obj.data)

    psycopg.adapters.register_dumper(JsonDocument, _DocumentDumper)
    psycopg.adapters.register_dumper(JsonDocument, _DocumentBinaryDumper)
    _adapters_registered = True


def _parse_key_columns(detail: str | None) -> tuple[str, ...]:
    """Columns from a DETAIL like ``Key (a, "B c")=(1, 2) already exists.``; () for expressions."""
    if not detail:
        return ()
    m = _KEY_RE.match(detail)
    if m is None:
        return ()
    text, pos, out = m.group(1), 0, []
    while pos < len(text):
        im = _IDENT_RE.match(text, pos)
        if im is None or im.end() == pos:
            return ()  # an index on an expression, e.g. Key (lower(email))=(...)
        quoted, plain = im.group(1), im.group(2)
        if quoted is not None:
            out.append(quoted.replace('""', '"'))
        elif plain is not None and _PLAIN_IDENT_RE.match(plain):
            out.append(plain)
        else:
            return ()
        pos = im.end()
    return tuple(out)


def connect_params(url: URL, options: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """libpq keywords for ``url`` and ``options``, and psycopg's ``prepare_threshold`` (sync and async)."""
    params: dict[str, Any] = {}
    if len(url.hosts) > 1:
        # libpq tries each host in turn (target_session_attrs picks the primary or a standby)
        params["host"] = ",".join(h for h, _ in url.hosts)
        params["port"] = ",".join("" if p is None else str(p) for _, p in url.hosts)
    else:
        if url.host is not None:
            params["host"] = url.host
        if url.port is not None:
            params["port"] = url.port
    if url.username is not None:
        params["user"] = url.username
    if url.password is not None:
        params["password"] = url.password
    if url.database is not None:
        params["dbname"] = url.database
    params.update(url.query)
    params.update(options)
    if "autocommit" in params:
        if params.pop("autocommit") is not True:
            raise ConfigurationError(
                "typedorm manages transactions itself: connections are always autocommit"
            )
    threshold: int | None = 5
    if "prepare_threshold" in params:
        raw = params.pop("prepare_threshold")
        threshold = (
            None if raw is None or str(raw).lower() in ("", "none") else option_int("prepare_threshold", raw)
        )
    return params, threshold


def commit_probed_gen(conn: Any, probe_sql: str, commit_sql: str, seen: list[str | None]) -> Any:
    """psycopg's generator (``conn.wait(...)``, sync or async) that sends ``probe; COMMIT`` as one
    simple query and reads the results one by one: the probe's value is in ``seen`` before the
    COMMIT's answer is awaited. Raises the first statement error, or the loss of the connection."""
    from psycopg import errors, generators, pq

    pgconn = conn.pgconn
    pgconn.send_query(f"{probe_sql}; {commit_sql}".encode())
    yield from generators.send(pgconn)
    error: BaseException | None = None
    first = True
    while True:
        res = yield from generators.fetch(pgconn)
        if res is None:
            break
        if res.status == pq.ExecStatus.FATAL_ERROR:
            if error is None:
                error = errors.error_from_result(res, encoding=conn.info.encoding)
        elif first and res.status == pq.ExecStatus.TUPLES_OK:
            value = res.get_value(0, 0) if res.ntuples else None
            seen.append(None if value is None else bytes(value).decode())
        first = False
    if pgconn.status == pq.ConnStatus.BAD and not isinstance(error, errors.OperationalError):
        # the server went away without an error of its own: say so as psycopg would
        raise errors.OperationalError(
            pgconn.get_error_message().decode(errors="replace") or "connection lost"
        )
    if error is not None:
        raise error


class PsycopgDriver(Driver):
    """psycopg 3 in autocommit mode.

    The URL's query parameters are libpq keywords (``sslmode``, ``connect_timeout``,
    ``application_name``, ...), passed through; ``prepare_threshold`` (psycopg's: a statement run
    that many times is prepared server-side; ``none`` disables) keeps psycopg's default of 5, which
    speeds up the repeated statements an ORM issues. Disable it behind PgBouncer < 1.21 in
    transaction mode, which cannot track prepared statements.
    """

    name: ClassVar[str] = "psycopg"
    dialect: ClassVar[str] = "postgresql"
    paramstyle: ClassVar[str] = "format"
    simple_protocol_runs_many: ClassVar[bool] = True
    stream_needs_transaction: ClassVar[bool] = True
    supports_copy: ClassVar[bool] = True
    supports_commit_probe: ClassVar[bool] = True

    def commit_probed(self, conn: Any, probe_sql: str, commit_sql: str, seen: list[str | None]) -> None:
        conn.wait(commit_probed_gen(conn, probe_sql, commit_sql, seen))

    def stream_cursor(self, conn: Any, name: str) -> Any:
        # A server-side (named) cursor: FETCH FORWARD per batch.
        return conn.cursor(name=name)

    def _execute(self, cur: Any, sql: str, params: Any, prepare: bool) -> None:
        if prepare:
            cur.execute(sql, None, prepare=True)
        else:
            cur.execute(sql, params)

    def copy_rows(
        self, conn: Any, copy_sql: str, rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
    ) -> None:
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            if types is not None:
                copy.set_types(list(types))
            write = copy.write_row
            for row in rows:
                write(row)

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        import psycopg

        return (psycopg.Error,)

    def connect(self, url: URL, **options: Any) -> psycopg.Connection[Any]:
        import psycopg

        global _impl_logged
        if not _impl_logged:
            _impl_logged = True
            logger.debug(
                "psycopg %s, libpq wrapper implementation: %s", psycopg.__version__, psycopg.pq.__impl__
            )

        register_adapters()
        params, threshold = connect_params(url, options)
        try:
            conn = psycopg.connect(autocommit=True, prepare_threshold=threshold, **params)
        except psycopg.ProgrammingError as exc:
            # libpq rejects unknown keywords ("invalid connection option") before any I/O.
            raise ConfigurationError(f"invalid PostgreSQL connection option: {exc}") from exc
        return conn

    def ping(self, conn: Any) -> bool:
        try:
            if conn.closed or conn.broken:
                return False
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
        except Exception:
            return False
        return True

    def has_input(self, conn: Any) -> bool:
        try:
            fd = conn.pgconn.socket
        except Exception:  # closed
            return True
        return socket_readable(fd)

    def is_alive_cheap(self, conn: Any) -> bool:
        return not (conn.closed or conn.broken)

    def in_transaction(self, conn: Any) -> bool:
        return conn.pgconn.transaction_status in (_ACTIVE, _INTRANS, _INERROR)

    def reset(self, conn: Any) -> None:
        status = conn.pgconn.transaction_status
        if status == _IDLE:
            return
        if conn.closed or conn.broken:
            raise ConnectionLost("the PostgreSQL connection is closed or broken")
        # conn.rollback() issues ROLLBACK and also drops psycopg's prepared-statement bookkeeping
        # for the aborted transaction, which a plain execute("ROLLBACK") would not.
        conn.rollback()

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        import psycopg

        if not isinstance(exc, psycopg.Error):
            return None
        message = str(exc)
        state = exc.sqlstate
        diag = exc.diag
        if state is None:
            # Raised by psycopg itself, not the server: a dead socket, a closed connection, a NUL in text.
            if isinstance(exc, psycopg.OperationalError):
                if _LOGIN_REFUSED_RE.search(message):
                    return ErrorInfo("other", message)
                return ErrorInfo("disconnect", message)
            if isinstance(exc, psycopg.DataError):
                return ErrorInfo("data", message)
            return ErrorInfo("other", message)
        table = diag.table_name
        constraint = diag.constraint_name
        if state == "23505":
            return ErrorInfo(
                "unique", message, constraint, table, _parse_key_columns(diag.message_detail), sqlstate=state
            )
        if state in ("23503", "23001"):
            columns = _parse_key_columns(diag.message_detail)
            # Deleting a referenced parent: diag names the child table, DETAIL the parent's columns.
            if m := _PARENT_TABLE_RE.match(diag.message_primary or ""):
                table = m.group(1).replace('""', '"')
            return ErrorInfo("foreign_key", message, constraint, table, columns, sqlstate=state)
        if state == "23502":
            column = diag.column_name
            return ErrorInfo(
                "not_null", message, constraint, table, (column,) if column else (), sqlstate=state
            )
        if state == "23514":
            return ErrorInfo("check", message, constraint, table, sqlstate=state)
        if state == "40001":
            return ErrorInfo("serialization", message, sqlstate=state)
        if state == "40P01":
            return ErrorInfo("deadlock", message, sqlstate=state)
        if state.startswith("22"):
            column = diag.column_name
            return ErrorInfo("data", message, constraint, table, (column,) if column else (), sqlstate=state)
        if state.startswith("08") or state in _DISCONNECT_STATES:
            return ErrorInfo("disconnect", message, sqlstate=state)
        return ErrorInfo("other", message, constraint, table, sqlstate=state)
