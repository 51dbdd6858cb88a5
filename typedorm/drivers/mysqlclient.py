"""The adapter for mysqlclient (``MySQLdb``, the C driver for MySQL/MariaDB); imported only when used."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers._mysql import (
    classify_mysql_error,
    common_connect_kwargs,
    error_args,
    session_kwargs,
)
from typedorm.drivers.base import Driver, ErrorInfo, socket_readable

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = ["MySQLClientDriver"]

logger: logging.Logger = logging.getLogger("typedorm.drivers.mysqlclient")

# The first keyword of a statement, after blanks and comments.
_FIRST_WORD_RE = re.compile(rb"^(?:\s+|/\*.*?\*/|(?:--|#)[^\n]*(?:\n|$))*([A-Za-z]+)", re.DOTALL)
_OPENS = frozenset({b"BEGIN", b"START", b"SAVEPOINT", b"XA"})
_ENDS = frozenset({b"COMMIT", b"ROLLBACK"})
_STAYS_OPEN_RE = re.compile(rb"\bTO\b|(?<!NO )\bCHAIN\b", re.IGNORECASE)

_connection_class: type[Any] | None = None


def _note_statement(conn: Any, query: bytes) -> None:
    m = _FIRST_WORD_RE.match(query)
    if m is None:
        return
    word = m.group(1).upper()
    if word in _OPENS:
        conn._typedorm_in_txn = True
    elif word in _ENDS and not _STAYS_OPEN_RE.search(query, m.end()):
        conn._typedorm_in_txn = False


def _tracking_connection_class() -> type[Any]:
    """A ``MySQLdb`` connection that remembers whether a transaction may be open.

    libmysqlclient knows the server's SERVER_STATUS_IN_TRANS flag but mysqlclient does not expose
    it, so the statements that open and close transactions are noted as they are sent. The flag
    errs towards "open" (e.g. after DDL's implicit commit or a deadlock's rollback), which costs
    one harmless ROLLBACK; it never reports "closed" for a transaction begun through SQL.
    """
    global _connection_class
    if _connection_class is None:
        from MySQLdb.connections import Connection

        class TrackingConnection(Connection):  # type: ignore[misc]
            _typedorm_in_txn = False

            def query(self, query: bytes | bytearray | str) -> None:
                raw = query.encode() if isinstance(query, str) else bytes(query)
                _note_statement(self, raw)
                super().query(raw)

            def commit(self) -> None:
                super().commit()
                self._typedorm_in_txn = False

            def rollback(self) -> None:
                super().rollback()
                self._typedorm_in_txn = False

        _connection_class = TrackingConnection
    return _connection_class


_MULTI_STATEMENTS_OFF = 1


class MySQLClientDriver(Driver):
    """mysqlclient in autocommit mode, utf8mb4, UTC session time zone and strict sql_mode.

    URL options: ``charset``, ``unix_socket``, ``connect_timeout``, ``read_timeout``,
    ``write_timeout``, ``ssl_ca``, ``ssl_cert``, ``ssl_key``, ``ssl_disabled``; any other
    ``MySQLdb.connect`` argument may be passed as a keyword to ``connect``.
    """

    name: ClassVar[str] = "mysqlclient"
    dialect: ClassVar[str] = "mysql"
    paramstyle: ClassVar[str] = "format"

    def stream_cursor(self, conn: Any, name: str) -> Any:
        import MySQLdb.cursors

        return conn.cursor(MySQLdb.cursors.SSCursor)  # unbuffered

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        import MySQLdb

        return (MySQLdb.Error,)

    def connect(self, url: URL, **options: Any) -> Any:
        kwargs = common_connect_kwargs(url)
        ssl = {key[4:]: kwargs.pop(key) for key in ("ssl_ca", "ssl_cert", "ssl_key") if key in kwargs}
        if ssl:
            kwargs["ssl"] = ssl
        if kwargs.pop("ssl_disabled", False):
            kwargs["ssl_mode"] = "DISABLED"
        session_kwargs(kwargs, options)
        conn = _tracking_connection_class()(autocommit=True, **kwargs)
        # mysqlclient always connects with CLIENT_MULTI_STATEMENTS, so "SELECT 1; DROP TABLE t"
        # would run both statements: switch multi-statements off for the session
        # (MYSQL_OPTION_MULTI_STATEMENTS_OFF = 1, dev.mysql.com/doc/c-api/8.0/en/mysql-set-server-option.html).
        try:
            conn.set_server_option(_MULTI_STATEMENTS_OFF)
        except BaseException:
            conn.close()
            raise
        logger.debug("opened mysqlclient connection to %s (server %s)", url, conn.get_server_info())
        return conn

    def ping(self, conn: Any) -> bool:
        try:
            if not conn.open:
                return False
            cur = conn.cursor()
            try:
                cur.execute("SELECT 1")
                cur.fetchall()
            finally:
                cur.close()
        except Exception:
            return False
        return True

    def has_input(self, conn: Any) -> bool:
        try:
            fd = conn.fileno()
        except Exception:  # closed
            return True
        return socket_readable(fd)

    def is_alive_cheap(self, conn: Any) -> bool:
        return bool(conn.open)

    def in_transaction(self, conn: Any) -> bool:
        # get_autocommit() reads the status flags of the last reply: no round trip.
        return bool(getattr(conn, "_typedorm_in_txn", True)) or not conn.get_autocommit()

    def reset(self, conn: Any) -> None:
        if not self.in_transaction(conn):
            return
        conn.rollback()
        if not conn.get_autocommit():  # someone ran SET autocommit=0
            conn.autocommit(True)

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        import MySQLdb

        if not isinstance(exc, MySQLdb.Error):
            return None
        errno, message = error_args(exc)
        if isinstance(exc, MySQLdb.InterfaceError):
            return ErrorInfo("disconnect", message or "the connection is closed", errno=errno)
        return classify_mysql_error(errno, message)
