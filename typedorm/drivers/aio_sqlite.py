"""The async adapter for SQLite through ``aiosqlite``, opening connections with the sync adapter's own setup."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers.aio import ALL, COUNT, LASTID, ONE, AsyncDriver, close_cursor_quietly
from typedorm.drivers.base import ErrorInfo
from typedorm.drivers.sqlite import SQLiteDriver
from typedorm.errors import ConnectionLost

if TYPE_CHECKING:
    import aiosqlite

    from typedorm.engine.url import URL

__all__ = ["AioSQLiteDriver"]

_CHUNK = 64  # rows per thread hop when aiosqlite iterates a cursor


class AioSQLiteDriver(AsyncDriver):
    """aiosqlite: each connection is a ``sqlite3`` connection served by its own thread.

    The connection is opened *in that thread* by :class:`~typedorm.drivers.sqlite.SQLiteDriver`
    itself, so the async side gets exactly the same setup: ``isolation_level=None`` (the engine
    issues ``BEGIN IMMEDIATE``), ``foreign_keys=ON``, ``busy_timeout``, WAL and
    ``synchronous=NORMAL`` for files, and the same URL options. A statement whose task is
    cancelled still runs to its end in that thread, in order, so the connection never desyncs.
    """

    name: ClassVar[str] = "aiosqlite"
    dialect: ClassVar[str] = "sqlite"
    paramstyle: ClassVar[str] = "qmark"

    def __init__(self) -> None:
        self._sync = SQLiteDriver()

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        return self._sync.error_types

    async def connect(self, url: URL, **options: Any) -> aiosqlite.Connection:
        import aiosqlite

        conn = aiosqlite.Connection(functools.partial(self._sync.connect, url, **options), _CHUNK)
        # Awaiting starts the thread and runs the connector there; on failure (or cancellation)
        # aiosqlite stops the thread itself.
        try:
            return await conn
        except Exception:
            # ... but does not wait for it: the thread would then answer its stop request on an
            # event loop that may be closed by then ("Event loop is closed" from the thread).
            thread = getattr(conn, "_thread", None)
            if thread is not None and thread.is_alive():
                await asyncio.get_running_loop().run_in_executor(None, thread.join, 5.0)
                await asyncio.sleep(0)
            raise

    async def ping(self, conn: Any) -> bool:
        try:
            cur = await conn.execute("SELECT 1")
            await cur.fetchone()
            await cur.close()
        except Exception:
            return False
        return True

    def is_alive_cheap(self, conn: Any) -> bool:
        try:
            conn.in_transaction  # noqa: B018 - raises once the connection is closed
        except Exception:
            return False
        return True

    def in_transaction(self, conn: Any) -> bool:
        return bool(conn.in_transaction)

    async def reset(self, conn: Any) -> None:
        try:
            open_txn = conn.in_transaction
        except Exception as exc:
            raise ConnectionLost(f"sqlite3 connection is closed: {exc}") from exc
        if open_txn:
            cur = await conn.execute("ROLLBACK")
            await cur.close()

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        return self._sync.classify(exc)

    async def cursor(self, conn: Any) -> Any:
        return await conn.cursor()

    async def stream_cursor(self, conn: Any, name: str) -> Any:
        # sqlite3 steps its cursor lazily: fetchmany reads the next rows only.
        return await conn.cursor()

    async def execute(self, conn: Any, sql: str, params: Any, mode: int, prepare: bool = False) -> Any:
        # conn.execute opens the cursor and runs the statement in one trip to the thread.
        cur = await conn.execute(sql, () if params is None else params)
        try:
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
                out = (rows, cols, cur.rowcount, cur.lastrowid)
        except BaseException:
            await close_cursor_quietly(cur)
            raise
        await cur.close()
        return out
