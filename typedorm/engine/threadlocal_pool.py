"""``ThreadLocalPool``: one connection per thread, for SQLite files. Sync only (it has no asyncio
twin), so written by hand; ``typedorm.engine.pool`` re-exports it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from .pool_base import PoolStats, log_failure

if TYPE_CHECKING:
    from .pool import _Checkout

__all__ = ["ThreadLocalPool"]

logger: logging.Logger = logging.getLogger("typedorm.pool")

C = TypeVar("C")


def _close_quietly(close: Callable[[C], None], conn: C) -> None:
    try:
        close(conn)
    except Exception:
        log_failure("error while closing a pooled connection (ignored)")


def _alive(ping: Callable[[C], bool], conn: C) -> bool:
    try:
        return bool(ping(conn))
    except Exception:
        return False


class ThreadLocalPool(Generic[C]):
    """One connection per thread, kept for the thread's lifetime: for SQLite files.

    SQLite connections are cheap and the database is local, so checking a connection
    out costs only a thread-local lookup. Re-entrant within a thread (a stream and a
    statement can share it); the outermost release resets anything left open. When a
    thread ends, its connection is closed with it.

    >>> pool = ThreadLocalPool(lambda: object(), close=lambda c: None)
    >>> with pool.connection() as a, pool.connection() as b:
    ...     a is b
    True
    """

    def __init__(
        self,
        creator: Callable[[], C],
        *,
        close: Callable[[C], None],
        ping: Callable[[C], bool] | None = None,
        reset: Callable[[C], None] | None = None,
        pool_pre_ping: bool = False,
        is_disconnect: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self._creator = creator
        self._close = close
        self._ping = ping
        self._reset = reset
        self._pre_ping = pool_pre_ping and ping is not None
        self._is_disconnect = is_disconnect
        self._local = threading.local()
        self._meta = threading.Lock()
        self._all: dict[int, tuple[threading.Thread, C]] = {}
        self._gen = 0
        self._created_total = 0
        self._closed_total = 0

    def acquire(self) -> C:
        local = self._local
        conn: C | None = getattr(local, "conn", None)
        if conn is not None and local.gen == self._gen:
            if (
                local.depth == 0
                and self._pre_ping
                and self._ping is not None
                and not _alive(self._ping, conn)
            ):
                self._forget(conn)
                conn = None
            else:
                local.depth += 1
                return conn
        elif conn is not None:  # disposed since: replace it
            self._forget(conn)
            conn = None
        conn = self._creator()
        local.conn = conn
        local.gen = self._gen
        local.depth = 1
        with self._meta:
            self._created_total += 1
            self._prune()
            self._all[id(conn)] = (threading.current_thread(), conn)
        return conn

    def _prune(self) -> None:
        # Connections of threads that ended: close them (called under _meta).
        for key, (thread, c) in list(self._all.items()):
            if not thread.is_alive():
                del self._all[key]
                self._closed_total += 1
                _close_quietly(self._close, c)

    def _forget(self, conn: C) -> None:
        with self._meta:
            if self._all.pop(id(conn), None) is not None:
                self._closed_total += 1
        self._local.conn = None
        self._local.depth = 0
        _close_quietly(self._close, conn)

    def release(self, conn: C, *, discard: bool = False) -> None:
        local = self._local
        if getattr(local, "conn", None) is not conn or local.depth <= 0:
            raise ValueError("release() of a connection this thread has not acquired from this pool")
        local.depth -= 1
        if discard:
            local.depth = 0
            self._forget(conn)
            return
        if local.depth == 0:
            if local.gen != self._gen:
                self._forget(conn)
            elif self._reset is not None:
                try:
                    self._reset(conn)
                except Exception:
                    log_failure("resetting a connection failed; closing it")
                    self._forget(conn)

    def connection(self) -> _Checkout[C]:
        """A context manager holding this thread's connection for the ``with`` block."""
        from .pool import _Checkout  # pool.py re-exports this class: imported when first used

        return _Checkout(self)

    def dispose(self) -> None:
        """Close every idle connection; ones in use close when their thread releases them."""
        with self._meta:
            self._gen += 1
            mine = getattr(self._local, "conn", None)
            for key, (_thread, c) in list(self._all.items()):
                if c is mine and self._local.depth > 0:
                    continue
                del self._all[key]
                self._closed_total += 1
                _close_quietly(self._close, c)
            if mine is not None and self._local.depth == 0:
                self._local.conn = None

    def invalidate(self) -> None:
        """Nothing to do: SQLite connections are local; a broken one is discarded on release."""

    def stats(self) -> PoolStats:
        with self._meta:
            self._prune()
            n = len(self._all)
            out = 1 if getattr(self._local, "depth", 0) > 0 else 0
            return PoolStats(
                size=n,
                max_overflow=0,
                checked_out=out,
                idle=n - out,
                overflow_in_use=0,
                created_total=self._created_total,
                closed_total=self._closed_total,
                timeouts_total=0,
                waits_total=0,
            )

    def __repr__(self) -> str:
        return f"<ThreadLocalPool connections={len(self._all)}>"
