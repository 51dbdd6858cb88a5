"""The adapter for PyMySQL (MySQL/MariaDB, pure Python); PyMySQL is imported only when this driver is used."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers._mysql import (
    SERVER_STATUS_IN_TRANS,
    classify_mysql_error,
    common_connect_kwargs,
    error_args,
    session_kwargs,
)
from typedorm.drivers.base import Driver, ErrorInfo, socket_readable
from typedorm.errors import ConnectionLost

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = ["PyMySQLDriver"]

logger: logging.Logger = logging.getLogger("typedorm.drivers.pymysql")


class PyMySQLDriver(Driver):
    """PyMySQL in autocommit mode, utf8mb4, UTC session time zone and strict sql_mode.

    URL options: ``charset``, ``unix_socket``, ``connect_timeout``, ``read_timeout``,
    ``write_timeout``, ``ssl_ca``, ``ssl_cert``, ``ssl_key``, ``ssl_disabled``; any other
    ``pymysql.connect`` argument may be passed as a keyword to ``connect``.
    """

    name: ClassVar[str] = "pymysql"
    dialect: ClassVar[str] = "mysql"
    paramstyle: ClassVar[str] = "format"

    def stream_cursor(self, conn: Any, name: str) -> Any:
        import pymysql.cursors

        return conn.cursor(pymysql.cursors.SSCursor)  # unbuffered

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        import pymysql

        return (pymysql.err.Error,)

    def connect(self, url: URL, **options: Any) -> Any:
        import pymysql

        kwargs = common_connect_kwargs(url)
        session_kwargs(kwargs, options)
        conn = pymysql.connect(autocommit=True, **kwargs)
        logger.debug("opened PyMySQL connection to %s (server %s)", url, conn.get_server_info())
        return conn

    def ping(self, conn: Any) -> bool:
        try:
            if not conn.open:
                return False
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchall()
        except Exception:
            return False
        return True

    def has_input(self, conn: Any) -> bool:
        try:
            fd = conn._sock.fileno()
        except Exception:  # closed
            return True
        return socket_readable(fd)

    def is_alive_cheap(self, conn: Any) -> bool:
        return bool(conn.open)

    def in_transaction(self, conn: Any) -> bool:
        # server_status comes with every OK/EOF packet, so this costs no round trip.
        status = conn.server_status
        return bool(status is not None and status & SERVER_STATUS_IN_TRANS)

    def reset(self, conn: Any) -> None:
        if not conn.open:
            raise ConnectionLost("the PyMySQL connection is closed")
        if self.in_transaction(conn):
            conn.rollback()
        if not conn.get_autocommit():  # someone ran SET autocommit=0
            conn.autocommit(True)

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        import pymysql

        if not isinstance(exc, pymysql.err.Error):
            return None
        errno, message = error_args(exc)
        if isinstance(exc, pymysql.err.InterfaceError):
            # (0, '') on a closed connection; PyMySQL raises nothing else of this class mid-query.
            return ErrorInfo("disconnect", message or "the connection is closed", errno=errno)
        if errno is None and message.startswith("Packet sequence number wrong"):
            return ErrorInfo("disconnect", message)  # the protocol stream is out of step: unusable
        sqlstate = getattr(exc, "sqlstate", None)
        return classify_mysql_error(errno, message, sqlstate if isinstance(sqlstate, str) else None)
