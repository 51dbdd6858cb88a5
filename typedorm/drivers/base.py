"""The contract every driver adapter fulfils (``Driver``) and the driver-neutral error description (``ErrorInfo``)."""

from __future__ import annotations

import logging
import select
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from typedorm.errors import (
    CheckViolation,
    ConfigurationError,
    ConnectionLost,
    DatabaseError,
    DataError,
    Deadlock,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    SerializationFailure,
    UniqueViolation,
)

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = [
    "ALL",
    "COUNT",
    "ERROR_CLASSES",
    "LASTID",
    "ONE",
    "RESULT",
    "Driver",
    "ErrorInfo",
    "ErrorKind",
    "ResultMode",
    "close_cursor_quietly",
    "option_bool",
    "option_float",
    "option_int",
]

logger: logging.Logger = logging.getLogger("typedorm.drivers")


class ResultMode(IntEnum):
    """What a driver's ``execute`` returns (sync and async drivers alike).

    ``ALL``: every row; ``ONE``: the first row or None; ``COUNT``: the row count; ``RESULT``:
    ``(rows, column names, rowcount, lastrowid)``; ``LASTID``: the last inserted id.
    """

    ALL = 0
    ONE = 1
    COUNT = 2
    RESULT = 3
    LASTID = 4


# Module-level names for the hot path: a global lookup instead of an attribute lookup per statement.
ALL, ONE, COUNT, RESULT, LASTID = (
    ResultMode.ALL,
    ResultMode.ONE,
    ResultMode.COUNT,
    ResultMode.RESULT,
    ResultMode.LASTID,
)

ErrorKind = Literal[
    "unique", "foreign_key", "not_null", "check", "serialization", "deadlock", "disconnect", "data", "other"
]

#: The typedorm exception class raised for each kind of driver error.
ERROR_CLASSES: Mapping[ErrorKind, type[DatabaseError]] = {
    "unique": UniqueViolation,
    "foreign_key": ForeignKeyViolation,
    "not_null": NotNullViolation,
    "check": CheckViolation,
    "serialization": SerializationFailure,
    "deadlock": Deadlock,
    "disconnect": ConnectionLost,
    "data": DataError,
    "other": DatabaseError,
}


@dataclass(frozen=True)
class ErrorInfo:
    """What a driver exception means, independent of the driver.

    ``table`` and ``columns`` describe the table being written and the columns the message names
    (for a parent row still referenced, the parent table and its referenced columns).

    >>> ErrorInfo("unique", "UNIQUE constraint failed: users.email", table="users", columns=("email",)).kind
    'unique'
    """

    kind: ErrorKind
    message: str
    constraint: str | None = None
    table: str | None = None
    columns: tuple[str, ...] = ()
    sqlstate: str | None = None
    errno: int | None = None
    #: the server closed the connection after this error (besides every "disconnect")
    closes_connection: bool = False

    def to_exception(
        self, *, model: str | None = None, fields: tuple[str, ...] | None = None
    ) -> DatabaseError:
        """Build the typedorm exception for this error; ``fields`` defaults to the column names.

        The caller should ``raise exc.to_exception(...) from original`` to keep the driver's traceback.
        """
        cls = ERROR_CLASSES[self.kind]
        common: dict[str, Any] = {"sqlstate": self.sqlstate, "errno": self.errno}
        if issubclass(cls, IntegrityError):
            return cls(
                self.message,
                model=model,
                fields=self.columns if fields is None else fields,
                constraint=self.constraint,
                table=self.table,
                **common,
            )
        if issubclass(cls, DataError):
            names = self.columns if fields is None else fields
            return cls(self.message, field=names[0] if names else None, model=model, **common)
        return cls(self.message, **common)


def fetch_result(cur: Any, mode: int) -> Any:
    """What ``mode`` (a :class:`ResultMode`) asks of a DB-API cursor that has just run a statement."""
    if mode == ALL:
        return cur.fetchall()
    if mode == ONE:
        return cur.fetchone()
    if mode == COUNT:
        return cur.rowcount
    if mode == LASTID:
        return cur.lastrowid
    desc = cur.description
    rows = cur.fetchall() if desc is not None else []
    cols = tuple(d[0] for d in desc) if desc is not None else ()
    return (rows, cols, cur.rowcount, getattr(cur, "lastrowid", None))


def socket_readable(fd: int) -> bool:
    """Whether a socket has something to read, or is closed, without waiting (one system call).

    An idle database connection should be silent: input on it means the server sent an error
    before closing it (PostgreSQL's ``pg_terminate_backend``, a shutdown) or closed it (MariaDB's
    ``KILL``). A bad descriptor counts as readable."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class Driver(ABC):
    """Adapts one DB-API driver to what the engine needs. Instances are stateless and thread-safe.

    Connections are opened in autocommit mode: typedorm issues ``BEGIN``/``COMMIT``/``ROLLBACK``/
    ``SAVEPOINT`` itself and never relies on a driver's implicit transactions.

    >>> from typedorm.drivers import get_driver
    >>> from typedorm.engine.url import URL
    >>> driver = get_driver(URL.parse("sqlite://"))
    >>> conn = driver.connect(URL.parse("sqlite://"))
    >>> driver.ping(conn), driver.in_transaction(conn)
    (True, False)
    >>> driver.close(conn)
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    paramstyle: ClassVar[str]
    #: a parameterless execute() uses a protocol that runs every statement in the string
    simple_protocol_runs_many: ClassVar[bool] = False
    #: streaming cursors (server-side) exist only inside a transaction
    stream_needs_transaction: ClassVar[bool] = False
    #: ``COPY ... FROM STDIN`` is available (the engine's fastest bulk insert)
    supports_copy: ClassVar[bool] = False

    def stream_cursor(self, conn: Any, name: str) -> Any:
        """A cursor that fetches rows in batches with bounded memory (``name``: for named cursors)."""
        return conn.cursor()

    @property
    @abstractmethod
    def error_types(self) -> tuple[type[BaseException], ...]:
        """The driver's base exception classes, for ``except`` clauses (imports the driver)."""

    @abstractmethod
    def connect(self, url: URL, **options: Any) -> Any:
        """Open a DB-API connection in autocommit mode with typedorm's session settings applied."""

    @abstractmethod
    def ping(self, conn: Any) -> bool:
        """A real round trip; False if the connection is dead. Never raises."""

    def has_input(self, conn: Any) -> bool:
        """No round trip: whether the server sent something on this idle connection (an error
        before closing it, or the close); the pool then pings it even within
        ``pool_pre_ping_window``. False where the driver cannot tell."""
        return False

    @abstractmethod
    def is_alive_cheap(self, conn: Any) -> bool:
        """No I/O: False if the driver already knows the connection is closed or broken."""

    @abstractmethod
    def in_transaction(self, conn: Any) -> bool:
        """Whether a transaction is open on ``conn``, answered without a round trip."""

    @abstractmethod
    def reset(self, conn: Any) -> None:
        """Roll back anything left open (no round trip when nothing is); raises if the connection is unusable."""

    def needs_reset(self, conn: Any) -> bool:
        """Whether :meth:`reset` has anything to undo (no I/O); when False the pool skips it."""
        return True

    def close(self, conn: Any) -> None:
        """Close ``conn``; never raises."""
        try:
            conn.close()
        except Exception:
            logger.debug("error while closing a %s connection (ignored)", self.name, exc_info=True)

    @abstractmethod
    def classify(self, exc: BaseException) -> ErrorInfo | None:
        """Describe a driver exception; None if ``exc`` is not one of this driver's errors."""

    def is_disconnect(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the connection is gone (or going) and must be discarded."""
        info = self.classify(exc)
        return info is not None and (info.kind == "disconnect" or info.closes_connection)

    # -- statements (the same methods as ``AsyncDriver``, not awaited) ------------------------------

    def cursor(self, conn: Any) -> Any:
        """A new DB-API cursor on ``conn``."""
        return conn.cursor()

    def _execute(self, cur: Any, sql: str, params: Any, prepare: bool) -> None:
        cur.execute(sql, params)

    def execute(self, conn: Any, sql: str, params: Any, mode: int, prepare: bool = False) -> Any:
        """Run one statement and return what ``mode`` asks for (a :class:`ResultMode`).

        ``prepare``: send it as a prepared statement without parameters (one statement only).
        """
        cur = self.cursor(conn)  # a closed connection refuses to make one: the caller maps that
        try:
            self._execute(cur, sql, params, prepare)
            out = fetch_result(cur, mode)
        except BaseException:
            close_cursor_quietly(cur)
            raise
        cur.close()
        return out

    def executemany(self, conn: Any, sql: str, seq: Sequence[Sequence[Any]]) -> int:
        """Run one statement for each parameter row; the total row count."""
        cur = self.cursor(conn)
        try:
            cur.executemany(sql, seq)
            n: int = cur.rowcount
        except BaseException:
            close_cursor_quietly(cur)
            raise
        cur.close()
        return n

    #: :meth:`commit_probed` sends a probe and ``COMMIT`` in one round trip, reading the probe's answer apart
    supports_commit_probe: ClassVar[bool] = False

    def commit_probed(self, conn: Any, probe_sql: str, commit_sql: str, seen: list[str | None]) -> None:
        """Send ``probe_sql`` (one value) and ``commit_sql`` in one round trip; the probe's value is
        appended to ``seen`` as soon as it arrives, so it is known even if the COMMIT's answer is
        lost with the connection (``Dialect.commit_probe_sql``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot probe a commit")

    def copy_rows(
        self, conn: Any, copy_sql: str, rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
    ) -> None:
        """``COPY ... FROM STDIN`` of ``rows`` (drivers that have it set ``supports_copy``);
        ``types`` names each column's server type for the binary format."""
        raise NotImplementedError(f"{type(self).__name__} has no COPY")

    def control(self, conn: Any, sql: str) -> None:
        """Run a transaction-control statement (``BEGIN``, ``COMMIT``, ``SAVEPOINT`` ...)."""
        cur = self.cursor(conn)
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} for {self.dialect}>"


def close_cursor_quietly(cur: Any) -> None:
    """Close ``cur`` after a failure without hiding the failure behind the close's own error."""
    try:
        cur.close()
    except Exception:
        logger.debug("error while closing a cursor after a failure (ignored)", exc_info=True)


# -- helpers for reading connect options that arrive as strings (from the URL) or as Python values --


def option_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ConfigurationError(f"option {name!r} must be an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ConfigurationError(f"option {name!r} must be an integer, not {value!r}")


def option_float(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ConfigurationError(f"option {name!r} must be a number, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ConfigurationError(f"option {name!r} must be a number, not {value!r}")


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def option_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ConfigurationError(f"option {name!r} must be a boolean (true/false), not {value!r}")
