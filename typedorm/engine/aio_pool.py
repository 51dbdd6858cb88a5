"""asyncio connection pools (``AsyncQueuePool``, ``AsyncStaticPool``) that never leak a slot, even under cancellation."""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from typedorm.errors import TypedORMError

from .core import connect_error
from .pool import (
    DEFAULT_PRE_PING_WINDOW,
    PoolStats,
    check_queue_options,
    check_static_options,
    queue_timeout,
    static_timeout,
)

if TYPE_CHECKING:
    from typedorm.drivers.aio import AsyncDriver
    from typedorm.engine.url import URL

__all__ = ["AsyncQueuePool", "AsyncStaticPool", "create_async_pool", "uncancellable"]

logger: logging.Logger = logging.getLogger("typedorm.pool")

C = TypeVar("C")
T = TypeVar("T")

_monotonic = time.monotonic


async def uncancellable(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end even if the calling task is cancelled meanwhile, then re-raise the
    cancellation. For clean-up that must not stop half-way: rollback, check-in, close.

    Repeated cancellations are absorbed until ``coro`` is done; only a cancellation of ``coro``
    itself (the event loop shutting down) stops it.
    """
    task = asyncio.ensure_future(coro)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            cancelled = True
        except BaseException:
            pass  # the task's own failure: read from the task below
    if cancelled:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("clean-up failed while its task was being cancelled", exc_info=task.exception())
        raise asyncio.CancelledError
    return task.result()


class _Entry(Generic[C]):
    __slots__ = ("conn", "created", "gen", "used")

    def __init__(self, conn: C, created: float, gen: int) -> None:
        self.conn = conn
        self.created = created
        self.gen = gen
        self.used = created  # when last checked in: a ping is skipped within pool_pre_ping_window


class AsyncQueuePool(Generic[C]):
    """A bounded pool for one event loop: ``pool_size`` connections kept, ``max_overflow`` more
    under load, the options of :class:`~typedorm.engine.pool.QueuePool` (including
    ``pool_pre_ping_window`` and ``invalidate()``).

    At most ``pool_size`` connections are kept idle: a connection coming back is closed only if
    that many are idle already (SQLAlchemy's rule), so a load between ``pool_size`` and the cap
    reuses its connections instead of opening and closing one per checkout.

    Waiters are served first come, first served: a released connection (or a freed slot) is
    handed straight to the oldest waiter, so nobody starves and ``pool_timeout`` is kept to the
    timer's precision. Cancellation never leaks a slot: a task cancelled while waiting leaves the
    queue (passing on a connection handed to it at that very moment); a task cancelled while
    opening, pinging or releasing gives its slot back; ``reset`` and ``close`` run to their end
    even if the releasing task is cancelled (see :func:`uncancellable`).

    >>> import asyncio
    >>> async def opened() -> object: return object()
    >>> async def closed(c: object) -> None: pass
    >>> async def demo() -> tuple[int, int]:
    ...     pool = AsyncQueuePool(opened, close=closed, pool_size=2, max_overflow=0)
    ...     conn = await pool.acquire()
    ...     out = pool.stats().checked_out
    ...     await pool.release(conn)
    ...     return out, pool.stats().idle
    >>> asyncio.run(demo())
    (1, 1)
    """

    def __init__(
        self,
        creator: Callable[[], Awaitable[C]],
        *,
        close: Callable[[C], Awaitable[None]],
        ping: Callable[[C], Awaitable[bool]] | None = None,
        reset: Callable[[C], Awaitable[None]] | None = None,
        needs_reset: Callable[[C], bool] | None = None,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float | None = 30.0,
        pool_recycle: float | None = None,
        pool_pre_ping: bool = False,
        is_disconnect: Callable[[BaseException], bool] | None = None,
        pool_pre_ping_window: float = 0.0,
    ) -> None:
        pool_recycle = check_queue_options(
            pool_size, max_overflow, pool_timeout, pool_recycle, pool_pre_ping, ping is not None, pool_pre_ping_window
        )
        self._creator = creator
        self._close = close
        self._ping = ping
        self._reset = reset
        self._needs_reset = needs_reset
        self._is_disconnect = is_disconnect
        self._pool_size = pool_size
        self._max_overflow = max_overflow
        self._capacity: float = float("inf") if max_overflow == -1 else pool_size + max_overflow
        self._timeout = pool_timeout
        self._recycle = pool_recycle
        self._pre_ping = pool_pre_ping
        self._window = pool_pre_ping_window
        self._checks = pool_recycle is not None or pool_pre_ping
        self._invalidated = float("-inf")  # connections opened before this moment are stale

        self._idle: list[_Entry[C]] = []  # a stack: the warmest connection first
        self._out: dict[int, _Entry[C]] = {}  # id(conn) -> entry, for connections handed out
        self._total = 0  # open connections plus slots reserved for connections being opened
        self._gen = 0  # bumped by dispose(); older entries are closed on release
        # Each waiter's future receives an idle entry, or None: "a slot is reserved for you".
        self._waiters: collections.deque[asyncio.Future[_Entry[C] | None]] = collections.deque()
        self._created_total = 0
        self._closed_total = 0
        self._timeouts_total = 0
        self._waits_total = 0
        self._pings_total = 0
        self._invalidations_total = 0

    # -- checkout ------------------------------------------------------------------------------------

    async def acquire(self) -> C:
        """Check a connection out; raise ``PoolTimeout`` if none frees up within ``pool_timeout``."""
        entry: _Entry[C] | None
        if self._idle:
            entry = self._idle.pop()
        elif self._total < self._capacity:
            self._total += 1
            entry = None
        else:
            entry = await self._wait()
        if entry is None:
            entry = await self._open()
        elif self._checks or entry.created < self._invalidated:
            entry = await self._check(entry)
        self._out[id(entry.conn)] = entry
        return entry.conn

    async def _wait(self) -> _Entry[C] | None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Entry[C] | None] = loop.create_future()
        self._waiters.append(fut)
        self._waits_total += 1
        timer = None if self._timeout is None else loop.call_later(self._timeout, self._expire, fut)
        try:
            return await fut
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                # Handed a connection (or a slot) just as this task was cancelled: pass it on.
                self._hand_back(fut.result())
            else:
                try:
                    self._waiters.remove(fut)
                except ValueError:
                    pass
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _expire(self, fut: asyncio.Future[_Entry[C] | None]) -> None:
        if fut.done():
            return
        try:
            self._waiters.remove(fut)
        except ValueError:
            pass
        self._timeouts_total += 1
        fut.set_exception(queue_timeout(self._timeout, self._total, self._pool_size, self._max_overflow))

    def _hand_back(self, item: _Entry[C] | None) -> None:
        if item is None:
            self._free_slot()
        else:
            self._put_idle(item)

    def _put_idle(self, entry: _Entry[C]) -> None:
        """A clean connection is free: to the oldest waiter, else onto the idle stack."""
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(entry)
                return
        self._idle.append(entry)

    def _free_slot(self) -> None:
        """A slot is no longer used: the oldest waiter may open a connection in it."""
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(None)
                return
        self._total -= 1

    async def _open(self) -> _Entry[C]:
        """Open a connection into a slot already reserved; on failure or cancellation give the slot back."""
        try:
            conn = await self._creator()
        except BaseException:
            self._free_slot()
            raise
        self._created_total += 1
        return _Entry(conn, _monotonic(), self._gen)

    async def _check(self, entry: _Entry[C]) -> _Entry[C]:
        """Recycle or pre-ping an idle entry; replace it in its slot if needed."""
        reason = None
        try:
            now = _monotonic()
            if entry.created < self._invalidated:
                reason = "opened before a lost connection (invalidated)"
            elif self._recycle is not None and now - entry.created > self._recycle:
                reason = "recycled (older than pool_recycle)"
            elif self._pre_ping and self._ping is not None and now - entry.used >= self._window:
                self._pings_total += 1
                if not await _ping_quietly(self._ping, entry.conn):
                    reason = "dead on pre-ping"
                    # One dead connection suggests a server restart or a mass kill: the others
                    # opened before it are replaced without a ping each.
                    self.invalidate()
            if reason is None:
                return entry
            logger.debug("pooled connection %s; replacing it", reason)
            self._closed_total += 1
            await uncancellable(self._close_quietly(entry.conn))
        except BaseException:  # cancelled during the ping or the close: give the slot back
            self._free_slot()
            if reason is None:  # a ping cut short leaves the connection in an unknown state
                self._closed_total += 1
                await uncancellable(self._close_quietly(entry.conn))
            raise
        return await self._open()  # reuses the slot; never pings the new connection

    async def _close_quietly(self, conn: C) -> None:
        try:
            await self._close(conn)
        except Exception:
            logger.warning("error while closing a pooled connection (ignored)", exc_info=True)

    # -- checkin -------------------------------------------------------------------------------------

    async def release(self, conn: C, *, discard: bool = False) -> None:
        """Give ``conn`` back: reset and kept idle, or closed if discarded, stale or overflow.

        Without I/O when there is nothing to reset; otherwise the reset (or close) completes
        even if the calling task is cancelled meanwhile.
        """
        entry = self._out.pop(id(conn), None)
        if entry is None:
            raise ValueError("release() of a connection that is not checked out from this pool")
        entry.used = _monotonic()
        if (
            not discard
            and (self._reset is None or (self._needs_reset is not None and not self._needs_reset(conn)))
            and entry.gen == self._gen
            and not (len(self._idle) >= self._pool_size and not self._waiters)
        ):
            self._put_idle(entry)
            return
        await uncancellable(self._checkin(entry, discard))

    async def _checkin(self, entry: _Entry[C], discard: bool) -> None:
        conn = entry.conn
        if not discard and self._reset is not None:
            try:
                await self._reset(conn)
            except Exception:
                logger.warning("resetting a pooled connection failed; closing it", exc_info=True)
                discard = True
            except BaseException:  # the loop is shutting down: do not keep a half-reset connection
                self._closed_total += 1
                self._free_slot()
                raise
        if discard or entry.gen != self._gen or (len(self._idle) >= self._pool_size and not self._waiters):
            self._closed_total += 1
            self._free_slot()
            await self._close_quietly(conn)
        else:
            self._put_idle(entry)

    def connection(self) -> _AsyncCheckout[C]:
        """``async with pool.connection() as conn:`` — released on exit."""
        return _AsyncCheckout(self)

    # -- housekeeping --------------------------------------------------------------------------------

    async def dispose(self) -> None:
        """Close the idle connections now and the checked-out ones when they come back.

        The pool stays usable: later checkouts open fresh connections.
        """
        self._gen += 1
        idle, self._idle = self._idle, []
        self._total -= len(idle)
        self._closed_total += len(idle)
        await uncancellable(_close_all(self._close_quietly, [e.conn for e in idle]))

    def invalidate(self) -> None:
        """Mark every connection opened until now as stale (after a lost connection: the server
        may have restarted or killed them all). Idle ones are replaced at their next checkout,
        checked-out ones too once they come back; no I/O here."""
        self._invalidated = _monotonic()
        self._invalidations_total += 1

    def stats(self) -> PoolStats:
        idle = len(self._idle)
        return PoolStats(
            size=self._pool_size,
            max_overflow=self._max_overflow,
            checked_out=self._total - idle,
            idle=idle,
            overflow_in_use=max(0, self._total - self._pool_size),
            created_total=self._created_total,
            closed_total=self._closed_total,
            timeouts_total=self._timeouts_total,
            waits_total=self._waits_total,
            pings_total=self._pings_total,
            invalidations_total=self._invalidations_total,
        )

    def __repr__(self) -> str:
        s = self.stats()
        return f"<AsyncQueuePool size={s.size} overflow={s.max_overflow} checked_out={s.checked_out} idle={s.idle}>"


async def _close_all(close: Callable[[C], Awaitable[None]], conns: list[C]) -> None:
    for conn in conns:
        await close(conn)


async def _ping_quietly(ping: Callable[[C], Awaitable[bool]], conn: C) -> bool:
    try:
        return bool(await ping(conn))
    except Exception:
        return False


class AsyncStaticPool(Generic[C]):
    """One connection, shared: a task holds it from ``acquire`` to ``release`` (re-entrantly), so
    tasks take turns, first come first served. For SQLite ``:memory:``, whose database lives in
    that one connection. Cancellation is handled as in :class:`AsyncQueuePool`.
    """

    def __init__(
        self,
        creator: Callable[[], Awaitable[C]],
        *,
        close: Callable[[C], Awaitable[None]],
        ping: Callable[[C], Awaitable[bool]] | None = None,
        reset: Callable[[C], Awaitable[None]] | None = None,
        needs_reset: Callable[[C], bool] | None = None,
        pool_timeout: float | None = 30.0,
        pool_pre_ping: bool = False,
        is_disconnect: Callable[[BaseException], bool] | None = None,
    ) -> None:
        check_static_options(pool_timeout, pool_pre_ping, ping is not None)
        self._creator = creator
        self._close = close
        self._ping = ping
        self._reset = reset
        self._needs_reset = needs_reset
        self._is_disconnect = is_disconnect
        self._timeout = pool_timeout
        self._pre_ping = pool_pre_ping
        self._conn: C | None = None
        self._owner: object = None  # the holding task (or the waiter future it was handed to)
        self._depth = 0
        self._discard_pending = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._created_total = 0
        self._closed_total = 0
        self._timeouts_total = 0
        self._waits_total = 0

    async def acquire(self) -> C:
        """The shared connection; waits up to ``pool_timeout`` while another task holds it."""
        me = asyncio.current_task()
        if self._owner is not me or self._depth == 0:
            if self._owner is not None and self._owner is not me:
                await self._wait()
            self._owner = me
        try:
            if self._depth == 0:
                conn = self._conn
                if conn is not None and self._pre_ping and self._ping is not None:
                    if not await _ping_quietly(self._ping, conn):
                        logger.debug("shared connection dead on pre-ping; replacing it")
                        await uncancellable(self._drop())
                        conn = None
                if conn is None:
                    conn = await self._creator()
                    self._created_total += 1
                    self._conn = conn
        except BaseException:
            if self._depth == 0:
                self._pass_on()
            raise
        self._depth += 1
        assert self._conn is not None
        return self._conn

    async def _wait(self) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters.append(fut)
        self._waits_total += 1
        timer = None if self._timeout is None else loop.call_later(self._timeout, self._expire, fut)
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._pass_on()  # it was our turn just as we were cancelled
            else:
                try:
                    self._waiters.remove(fut)
                except ValueError:
                    pass
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _expire(self, fut: asyncio.Future[None]) -> None:
        if fut.done():
            return
        try:
            self._waiters.remove(fut)
        except ValueError:
            pass
        self._timeouts_total += 1
        fut.set_exception(static_timeout(self._timeout))

    def _pass_on(self) -> None:
        """The holder is done: the oldest waiter's turn, else nobody's."""
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                self._owner = w
                w.set_result(None)
                return
        self._owner = None

    async def release(self, conn: C, *, discard: bool = False) -> None:
        """Give the connection back; the outermost release resets it and lets the next task in."""
        if self._depth == 0 or conn is not self._conn:
            raise ValueError("release() of a connection not acquired from this pool")
        if discard:
            self._discard_pending = True
        if self._depth > 1:
            self._depth -= 1
            return
        if not self._discard_pending and (
            self._reset is None or (self._needs_reset is not None and not self._needs_reset(conn))
        ):
            self._depth = 0
            self._pass_on()
            return
        await uncancellable(self._checkin(conn))

    async def _checkin(self, conn: C) -> None:
        try:
            if not self._discard_pending and self._reset is not None:
                try:
                    await self._reset(conn)
                except Exception:
                    logger.warning("resetting the shared connection failed; closing it", exc_info=True)
                    self._discard_pending = True
            if self._discard_pending:
                await self._drop()
        finally:
            self._depth = 0
            self._pass_on()

    async def _drop(self) -> None:
        conn, self._conn, self._discard_pending = self._conn, None, False
        if conn is not None:
            self._closed_total += 1
            try:
                await self._close(conn)
            except Exception:
                logger.warning("error while closing the shared connection (ignored)", exc_info=True)

    def connection(self) -> _AsyncCheckout[C]:
        """``async with pool.connection() as conn:`` — released on exit."""
        return _AsyncCheckout(self)

    async def dispose(self) -> None:
        """Close the connection now if nobody holds it, else when its holder releases it."""
        if self._owner is None and self._depth == 0:
            await uncancellable(self._drop())
        else:
            self._discard_pending = True

    def invalidate(self) -> None:
        """Nothing to do: the one connection that failed is discarded on its release."""

    def stats(self) -> PoolStats:
        held = 1 if self._depth else 0
        idle = 1 if self._conn is not None and not held else 0
        return PoolStats(
            size=1,
            max_overflow=0,
            checked_out=held,
            idle=idle,
            overflow_in_use=0,
            created_total=self._created_total,
            closed_total=self._closed_total,
            timeouts_total=self._timeouts_total,
            waits_total=self._waits_total,
        )

    def __repr__(self) -> str:
        return f"<AsyncStaticPool checked_out={self.stats().checked_out}>"


class _AsyncCheckout(Generic[C]):
    """``async with pool.connection() as conn:`` — released on exit; discarded after a disconnect
    or a ``BaseException`` that is not an ``Exception`` (e.g. a cancellation mid-protocol)."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: AsyncQueuePool[C] | AsyncStaticPool[C]) -> None:
        self._pool = pool

    async def __aenter__(self) -> C:
        self._conn = await self._pool.acquire()
        return self._conn

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        discard = False
        if exc is not None:
            if not isinstance(exc, Exception):
                discard = True
            elif self._pool._is_disconnect is not None:
                try:
                    discard = self._pool._is_disconnect(exc)
                except Exception:
                    discard = True
                else:
                    if discard:
                        self._pool.invalidate()
        await self._pool.release(self._conn, discard=discard)


def _mapped_connect(driver: AsyncDriver, connect: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """``connect`` raising typedorm errors only: a server that is down or refuses the login, a
    SQLite file that cannot be opened, all through the driver's own classification."""
    errors: tuple[type[BaseException], ...] = (*driver.error_types, OSError, UnicodeError)

    async def creator() -> Any:
        try:
            return await connect()
        except TypedORMError:
            raise
        except errors as exc:
            raise connect_error(driver, exc) from exc

    return creator


def create_async_pool(
    url: URL,
    driver: AsyncDriver,
    *,
    connect_options: Mapping[str, Any] | None = None,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float | None = 30.0,
    pool_recycle: float | None = None,
    pool_pre_ping: bool | None = None,
    pool_pre_ping_window: float | None = None,
) -> AsyncQueuePool[Any] | AsyncStaticPool[Any]:
    """The pool a URL calls for, wired to its async driver: an ``AsyncStaticPool`` for SQLite in
    memory (each connection would otherwise be a separate, empty database), else an ``AsyncQueuePool``.

    ``pool_pre_ping=None`` (the default) means on for a queue pool (servers and SQLite files),
    off for SQLite in memory, with a
    ``pool_pre_ping_window`` of 0.5 s unless given; ``pool_pre_ping=True`` pings at every
    checkout unless a window is given."""
    if pool_pre_ping_window is None:
        # An explicit pool_pre_ping=True keeps its meaning, a ping at every checkout; the default
        # skips it for a connection used in the last half second.
        pool_pre_ping_window = 0.0 if pool_pre_ping else DEFAULT_PRE_PING_WINDOW

    creator = _mapped_connect(driver, functools.partial(driver.connect, url, **dict(connect_options or {})))
    if url.is_memory:
        return AsyncStaticPool(
            creator,
            close=driver.close,
            ping=driver.ping,
            reset=driver.reset,
            needs_reset=driver.needs_reset,
            pool_timeout=pool_timeout,
            pool_pre_ping=bool(pool_pre_ping),
            is_disconnect=driver.is_disconnect,
        )
    return AsyncQueuePool(
        creator,
        close=driver.close,
        ping=driver.ping,
        reset=driver.reset,
        needs_reset=driver.needs_reset,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping is not False,
        is_disconnect=driver.is_disconnect,
        pool_pre_ping_window=pool_pre_ping_window,
    )
