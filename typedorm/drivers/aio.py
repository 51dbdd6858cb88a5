"""The contract every async driver adapter fulfils (``AsyncDriver``) and ``get_async_driver``, which picks one from a URL."""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers.base import ALL, COUNT, LASTID, ONE, RESULT, ErrorInfo, ResultMode
from typedorm.errors import ConfigurationError

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = [
    "ALL",
    "COUNT",
    "LASTID",
    "ONE",
    "RESULT",
    "AsyncDriver",
    "ResultMode",
    "close_cursor_quietly",
    "get_async_driver",
]

logger: logging.Logger = logging.getLogger("typedorm.drivers")

# ``execute``'s ``mode`` is a ``ResultMode`` (from ``drivers.base``), shared with the sync ``Driver``.


class AsyncDriver(ABC):
    """Adapts one asyncio driver to what ``AsyncDatabase`` needs; stateless, like ``Driver``.

    Connections are opened in autocommit mode with the session settings of the sync adapter for
    the same database; typedorm issues ``BEGIN``/``COMMIT``/``SAVEPOINT`` itself. Error
    classification is the sync adapter's (same exception classes, or the same error numbers).
    Methods raise the driver's own exceptions; the engine maps them with ``map_error``.
    """

    name: ClassVar[str]
    dialect: ClassVar[str]
    paramstyle: ClassVar[str]
    #: A statement without parameters may run several statements ("SELECT 1; DROP TABLE t")
    #: unless it is sent prepared (``execute(..., prepare=True)``).
    simple_protocol_runs_many: ClassVar[bool] = False
    #: Streaming (``stream_cursor``) only works inside a transaction (server-side cursors).
    stream_needs_transaction: ClassVar[bool] = False

    @property
    @abstractmethod
    def error_types(self) -> tuple[type[BaseException], ...]:
        """The driver's base exception classes, for ``except`` clauses (imports the driver)."""

    @abstractmethod
    async def connect(self, url: URL, **options: Any) -> Any:
        """Open a connection in autocommit mode with typedorm's session settings applied.

        If cancelled, leaves nothing open behind it."""

    @abstractmethod
    async def ping(self, conn: Any) -> bool:
        """A real round trip; False if the connection is dead. Never raises an ``Exception``."""

    def has_input(self, conn: Any) -> bool:
        """No round trip: whether the server sent something on this idle connection (an error
        before closing it, or the close); the pool then pings it even within
        ``pool_pre_ping_window``. False where the driver cannot tell."""
        return False

    @abstractmethod
    def is_alive_cheap(self, conn: Any) -> bool:
        """No I/O: False if the driver already knows the connection is closed or broken
        (e.g. after a statement was cancelled half-way through the protocol)."""

    @abstractmethod
    def in_transaction(self, conn: Any) -> bool:
        """Whether a transaction is open on ``conn``, answered without a round trip."""

    @abstractmethod
    async def reset(self, conn: Any) -> None:
        """Roll back anything left open; raises if the connection is unusable."""

    def needs_reset(self, conn: Any) -> bool:
        """No I/O: whether ``reset`` has any work to do (or may fail) before ``conn`` is reused."""
        return not self.is_alive_cheap(conn) or self.in_transaction(conn)

    async def close(self, conn: Any) -> None:
        """Close ``conn``; never raises an ``Exception``."""
        try:
            await conn.close()
        except Exception:
            logger.debug("error while closing a %s connection (ignored)", self.name, exc_info=True)

    @abstractmethod
    def classify(self, exc: BaseException) -> ErrorInfo | None:
        """Describe a driver exception; None if ``exc`` is not one of this driver's errors."""

    def is_disconnect(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the connection is gone (or going) and must be discarded."""
        info = self.classify(exc)
        return info is not None and (info.kind == "disconnect" or info.closes_connection)

    # -- statements ------------------------------------------------------------------------------

    @abstractmethod
    async def cursor(self, conn: Any) -> Any:
        """A new cursor: ``await cur.execute(sql, params)``, ``await cur.fetchall()``, ``await cur.close()``."""

    @abstractmethod
    async def stream_cursor(self, conn: Any, name: str) -> Any:
        """A cursor that fetches in batches with bounded memory (``name``: for server-side cursors)."""

    async def _execute(self, cur: Any, sql: str, params: Any, prepare: bool) -> None:
        await cur.execute(sql, params)

    async def execute(self, conn: Any, sql: str, params: Any, mode: int, prepare: bool = False) -> Any:
        """Run one statement and return what ``mode`` asks for (a ``ResultMode``).

        ``prepare``: send it as a prepared statement without parameters (one statement only).
        """
        cur = await self.cursor(conn)
        try:
            await self._execute(cur, sql, params, prepare)
            if mode == ALL:
                out: Any = await cur.fetchall()
            elif mode == ONE:
                out = await cur.fetchone()
            elif mode == COUNT:
                out = cur.rowcount
            elif mode == LASTID:
                out = cur.lastrowid
            else:
                desc = cur.description
                rows = await cur.fetchall() if desc is not None else []
                cols = tuple(d[0] for d in desc) if desc is not None else ()
                out = (rows, cols, cur.rowcount, getattr(cur, "lastrowid", None))
        except BaseException:
            await close_cursor_quietly(cur)
            raise
        await cur.close()
        return out

    async def executemany(self, conn: Any, sql: str, seq: Sequence[Sequence[Any]]) -> int:
        """Run one statement for each parameter row; the total row count."""
        cur = await self.cursor(conn)
        try:
            await cur.executemany(sql, seq)
            n: int = cur.rowcount
        except BaseException:
            await close_cursor_quietly(cur)
            raise
        await cur.close()
        return n

    supports_copy: ClassVar[bool] = False

    #: :meth:`commit_probed` sends a probe and ``COMMIT`` in one round trip, reading the probe's answer apart
    supports_commit_probe: ClassVar[bool] = False

    async def commit_probed(self, conn: Any, probe_sql: str, commit_sql: str, seen: list[str | None]) -> None:
        """Send ``probe_sql`` (one value) and ``commit_sql`` in one round trip; the probe's value is
        appended to ``seen`` as soon as it arrives, so it is known even if the COMMIT's answer is
        lost with the connection (``Dialect.commit_probe_sql``)."""
        raise NotImplementedError(f"{type(self).__name__} cannot probe a commit")

    async def copy_rows(
        self, conn: Any, copy_sql: str, rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
    ) -> None:
        """``COPY ... FROM STDIN`` of ``rows`` (drivers that have it set ``supports_copy``);
        ``types`` names each column's server type for the binary format."""
        raise NotImplementedError(f"{type(self).__name__} has no COPY")

    async def control(self, conn: Any, sql: str) -> None:
        """Run a transaction-control statement (``BEGIN``, ``COMMIT``, ``SAVEPOINT`` ...)."""
        await self.execute(conn, sql, None, COUNT)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} for {self.dialect}>"


async def close_cursor_quietly(cur: Any) -> None:
    # Closing after a failure must not hide the failure (or a cancellation) behind its own error.
    try:
        await cur.close()
    except Exception:
        logger.debug("error while closing a cursor after a failure (ignored)", exc_info=True)


# driver name -> (adapter module, adapter class, module the adapter needs)
_REGISTRY: dict[str, tuple[str, str, str]] = {
    "aiosqlite": ("typedorm.drivers.aio_sqlite", "AioSQLiteDriver", "aiosqlite"),
    "psycopg": ("typedorm.drivers.aio_psycopg", "AsyncPsycopgDriver", "psycopg"),
    "asyncmy": ("typedorm.drivers.aio_asyncmy", "AsyncmyDriver", "asyncmy"),
}
_DEFAULTS: dict[str, str] = {"sqlite": "aiosqlite", "postgresql": "psycopg", "mysql": "asyncmy"}
_INSTANCES: dict[str, AsyncDriver] = {}


def get_async_driver(url: URL) -> AsyncDriver:
    """The async adapter for ``url``'s dialect: aiosqlite, psycopg's ``AsyncConnection`` or asyncmy.

    A URL's ``+driver`` names the sync driver, so the same URL serves ``Database`` and
    ``AsyncDatabase``; the async side always uses its dialect's async driver.

    >>> from typedorm.engine.url import URL
    >>> get_async_driver(URL.parse("sqlite://")).name
    'aiosqlite'
    """
    name = _DEFAULTS.get(url.dialect)
    if name is None:
        raise ConfigurationError(f"no async driver for dialect {url.dialect!r}")
    driver = _INSTANCES.get(name)
    if driver is None:
        adapter_module, class_name, needs = _REGISTRY[name]
        try:
            importlib.import_module(needs)
        except ImportError as exc:
            raise ConfigurationError(
                f"the {name} driver is not installed: pip install 'typedorm[async]'"
            ) from exc
        cls: type[AsyncDriver] = getattr(importlib.import_module(adapter_module), class_name)
        driver = _INSTANCES[name] = cls()
    return driver
