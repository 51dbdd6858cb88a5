# Generated from typedorm/engine/aio_pool.py by tools/unasync.py: do not edit.
"""Connection pools (``QueuePool``, ``StaticPool``) that never leak a slot, even under cancellation.

The one source of both flavours: ``pool.py`` (``QueuePool``, ``StaticPool``, ``create_pool``) is
generated from this module by ``tools/unasync.py``. The few places where they really differ are
``if True:  # ASYNC`` / ``else:  # SYNC`` blocks: how a waiter waits (an ``asyncio.Future`` with a
timer, or a ``concurrent.futures.Future`` with a timeout), who holds the shared connection (a task
or a thread), and the sync-only ``ThreadLocalPool`` for SQLite files (``threadlocal_pool.py``).
A sync pool takes a ``threading.Lock`` around its state, never across I/O; an asyncio pool the
same calls on a :class:`~.pool_base.NoLock` (one event loop, never held across an ``await``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar

from typedorm.errors import PoolTimeout, TypedORMError

from .core import connect_error
from .pool_base import (
    DEFAULT_PRE_PING_WINDOW,
    Entry,
    Lock,
    PoolStats,
    Waiters,
    check_queue_options,
    check_static_options,
    log_failure,
    queue_timeout,
    static_timeout,
)

__all__ = ["Pool", "QueuePool", "StaticPool", "PoolStats", "create_pool"]

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from .threadlocal_pool import ThreadLocalPool

__all__ += ["ThreadLocalPool"]

if TYPE_CHECKING:
    from typedorm.drivers import Driver
    from typedorm.engine.url import URL

logger: logging.Logger = logging.getLogger("typedorm.pool")

C = TypeVar("C")
T = TypeVar("T")
P = ParamSpec("P")

_monotonic = time.monotonic

# What a pool is given to open, close, reset and ping its connections
_Creator = Callable[[], T]
_Closer = Callable[[T], None]
_Pinger = Callable[[T], bool]

#: who holds a StaticPool's connection: the running thread
_holder = threading.current_thread


def _new_lock() -> Lock:
    return threading.Lock()


def _to_the_end(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args)``: a thread is not cancelled half-way (the asyncio flavour shields it)."""
    return fn(*args, **kwargs)


def _new_future() -> Future[Any]:
    return Future()


def _wait(
    lock: Lock,
    waiters: Waiters[Future[Any]],
    timeout: float | None,
    error: Callable[[], PoolTimeout],
    pass_on: Callable[[Any], None],
) -> Any:
    """Queue up (``lock`` held by the caller, released here) and wait until a release hands this
    waiter something; ``error()`` after ``timeout`` seconds. A waiter cancelled (or interrupted)
    just as it was served passes what it got on to ``pass_on`` (called with ``lock`` held)."""
    try:
        fut = waiters.add(_new_future())
    finally:
        lock.release()
    try:
        try:
            return fut.result(timeout)
        except FutureTimeout:
            _expire(lock, waiters, fut, error)
        return fut.result()  # served at the last moment, else the PoolTimeout
    except BaseException:
        with lock:
            waiters.leave(fut, pass_on)
        raise


def _expire(
    lock: Lock, waiters: Waiters[Future[Any]], fut: Future[Any], error: Callable[[], PoolTimeout]
) -> None:
    with lock:
        waiters.expire(fut, error)


class Pool(Protocol[C]):
    """What the engine needs from a pool; every pool of this module provides it."""

    _is_disconnect: Callable[[BaseException], bool] | None

    def acquire(self) -> C: ...
    def release(self, conn: C, *, discard: bool = False) -> None: ...
    def connection(self) -> _Checkout[C]: ...
    def stats(self) -> PoolStats: ...
    def dispose(self) -> None: ...
    def invalidate(self) -> None: ...


class QueuePool(Generic[C]):
    """A bounded pool: ``pool_size`` connections kept, up to ``max_overflow`` more under load.

    Idle connections are reused last-in first-out (the warmest one first). When every slot is in
    use, ``acquire`` waits up to ``pool_timeout`` seconds (``None``: forever) and then raises
    ``PoolTimeout``. ``pool_recycle`` (seconds) replaces connections older than that at checkout;
    ``pool_pre_ping`` pings an idle connection before handing it out and replaces it if dead,
    unless it was checked in less than ``pool_pre_ping_window`` seconds ago (HikariCP's
    ``aliveBypassWindow``: a connection used that recently is very likely alive, and the ping
    would double the round trips of a busy pool) — unless ``has_input`` (no round trip: one
    non-blocking poll of the socket) says the server sent something on the idle connection,
    as it does when it ends a connection. ``invalidate()`` (called on a lost connection
    and on a failed ping) marks every connection opened before it as stale: an idle one is
    replaced at checkout without a ping, as SQLAlchemy's pool invalidation does.
    ``reset`` runs on release (unless ``needs_reset`` says there is nothing to undo); if it
    raises, the connection is closed instead of kept.

    At most ``pool_size`` connections are kept idle: a connection coming back is closed only if
    that many are idle already (SQLAlchemy's rule), so a load between ``pool_size`` and the cap
    reuses its connections instead of opening and closing one per checkout.

    Waiters are served first come, first served: a released connection (or a freed slot) is
    handed straight to the oldest waiter, so nobody starves and ``pool_timeout`` is kept to the
    timer's precision. Nothing leaks a slot: a caller cancelled (or interrupted) while waiting
    leaves the queue, passing on a connection handed to it at that very moment; one cancelled
    while opening, pinging or releasing gives its slot back; with asyncio, ``reset`` and
    ``close`` run to their end even if the releasing task is cancelled (see :func:`uncancellable`).

    Example (``opened``/``closed`` open and close a connection)::

        pool = QueuePool(opened, close=closed, pool_size=2, max_overflow=0)
        with pool.connection() as conn:
            assert pool.stats().checked_out == 1
        assert pool.stats().idle == 1
    """

    def __init__(
        self,
        creator: _Creator[C],
        *,
        close: _Closer[C],
        ping: _Pinger[C] | None = None,
        reset: _Closer[C] | None = None,
        needs_reset: Callable[[C], bool] | None = None,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float | None = 30.0,
        pool_recycle: float | None = None,
        pool_pre_ping: bool = False,
        is_disconnect: Callable[[BaseException], bool] | None = None,
        pool_pre_ping_window: float = 0.0,
        has_input: Callable[[C], bool] | None = None,
    ) -> None:
        pool_recycle = check_queue_options(
            pool_size,
            max_overflow,
            pool_timeout,
            pool_recycle,
            pool_pre_ping,
            ping is not None,
            pool_pre_ping_window,
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
        self._has_input = has_input
        self._checks = pool_recycle is not None or pool_pre_ping
        self._invalidated = float("-inf")  # connections opened before this moment are stale

        self._lock: Lock = _new_lock()
        self._idle: list[Entry[C]] = []  # a stack: the warmest connection first
        self._out: dict[int, Entry[C]] = {}  # id(conn) -> entry, for connections handed out
        self._total = 0  # open connections plus slots reserved for connections being opened
        self._gen = 0  # bumped by dispose(); older entries are closed on release
        # Each waiter's future receives an idle entry, or None: "a slot is reserved for you".
        self._waiters: Waiters[Future[Entry[C] | None]] = Waiters()
        self._created_total = 0
        self._closed_total = 0
        self._pings_total = 0
        self._invalidations_total = 0

    # -- checkout ------------------------------------------------------------------------------------

    def acquire(self) -> C:
        """Check a connection out; raise ``PoolTimeout`` if none frees up within ``pool_timeout``."""
        entry: Entry[C] | None
        self._lock.acquire()
        if self._idle:
            entry = self._idle.pop()
            self._lock.release()
        elif self._total < self._capacity:
            self._total += 1
            self._lock.release()
            entry = None
        else:  # _wait releases the lock
            entry = _wait(self._lock, self._waiters, self._timeout, self._timed_out, self._hand_back)
        if entry is None:
            entry = self._open()
        elif self._checks or entry.created < self._invalidated:
            entry = self._check(entry)
        self._out[id(entry.conn)] = entry
        return entry.conn

    def _timed_out(self) -> PoolTimeout:
        return queue_timeout(self._timeout, self._total, self._pool_size, self._max_overflow)

    def _hand_back(self, item: Entry[C] | None) -> None:
        """(Lock held.) What a waiter that gave up was handed: on to the next one."""
        if item is None:
            self._free_slot()
        else:
            self._put_idle(item)

    def _put_idle(self, entry: Entry[C]) -> None:
        """(Lock held.) A clean connection is free: to the oldest waiter, else onto the idle stack."""
        if not self._waiters.serve(entry):
            self._idle.append(entry)

    def _free_slot(self) -> None:
        """(Lock held.) A slot is no longer used: the oldest waiter may open a connection in it."""
        if not self._waiters.serve(None):
            self._total -= 1

    def _give_back_slot(self) -> None:
        with self._lock:
            self._free_slot()

    def _open(self) -> Entry[C]:
        """Open a connection into a slot already reserved; on failure or cancellation give the slot back."""
        try:
            conn = self._creator()
        except BaseException:
            self._give_back_slot()
            raise
        with self._lock:
            self._created_total += 1
        return Entry(conn, _monotonic(), self._gen)

    def _check(self, entry: Entry[C]) -> Entry[C]:
        """Recycle or pre-ping an idle entry; replace it in its slot if needed."""
        reason = None
        try:
            now = _monotonic()
            if entry.created < self._invalidated:
                reason = "opened before a lost connection (invalidated)"
            elif self._recycle is not None and now - entry.created > self._recycle:
                reason = "recycled (older than pool_recycle)"
            elif (
                self._pre_ping
                and self._ping is not None
                and (
                    now - entry.used >= self._window
                    or (self._has_input is not None and self._has_input(entry.conn))
                )
            ):
                with self._lock:
                    self._pings_total += 1
                if not _ping_quietly(self._ping, entry.conn):
                    reason = "dead on pre-ping"
                    # One dead connection suggests a server restart or a mass kill: the others
                    # opened before it are replaced without a ping each.
                    self.invalidate()
            if reason is None:
                return entry
            logger.debug("pooled connection %s; replacing it", reason)
            with self._lock:
                self._closed_total += 1
            _to_the_end(self._close_quietly, entry.conn)
        except BaseException:  # cancelled during the ping or the close: give the slot back
            self._give_back_slot()
            if reason is None:  # a ping cut short leaves the connection in an unknown state
                with self._lock:
                    self._closed_total += 1
                _to_the_end(self._close_quietly, entry.conn)
            raise
        return self._open()  # reuses the slot; never pings the new connection

    def _close_quietly(self, conn: C) -> None:
        try:
            self._close(conn)
        except Exception:
            log_failure("error while closing a pooled connection (ignored)")

    # -- checkin -------------------------------------------------------------------------------------

    def release(self, conn: C, *, discard: bool = False) -> None:
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
        ):
            lock = self._lock
            lock.acquire()  # (nothing below raises: no try/finally on this hot path)
            if self._waiters and self._waiters.serve(entry):
                lock.release()
                return
            if len(self._idle) < self._pool_size:  # else closed: enough are idle (see _keeps_idle)
                self._idle.append(entry)
                lock.release()
                return
            lock.release()
        _to_the_end(self._checkin, entry, discard)

    def _keeps_idle(self) -> bool:
        """(Lock held.) Like SQLAlchemy's QueuePool: keep up to pool_size idle; a connection is closed
        only when the idle set is full already, so steady load above pool_size does not churn."""
        return len(self._idle) < self._pool_size or bool(self._waiters)

    def _checkin(self, entry: Entry[C], discard: bool) -> None:
        conn = entry.conn
        if not discard and self._reset is not None:
            try:
                self._reset(conn)
            except Exception:
                log_failure("resetting a pooled connection failed; closing it")
                discard = True
            except BaseException:  # the loop is shutting down: do not keep a half-reset connection
                with self._lock:
                    self._closed_total += 1
                    self._free_slot()
                raise
        with self._lock:
            keep = not discard and entry.gen == self._gen and self._keeps_idle()
            if keep:
                self._put_idle(entry)
            else:
                self._closed_total += 1
                self._free_slot()
        if not keep:
            self._close_quietly(conn)

    def connection(self) -> _Checkout[C]:
        """``with pool.connection() as conn:`` — released on exit."""
        return _Checkout(self)

    # -- housekeeping --------------------------------------------------------------------------------

    def dispose(self) -> None:
        """Close the idle connections now and the checked-out ones when they come back.

        The pool stays usable: later checkouts open fresh connections.
        """
        with self._lock:
            self._gen += 1
            idle, self._idle = self._idle, []
            self._total -= len(idle)
            self._closed_total += len(idle)
        _to_the_end(_close_all, self._close_quietly, [e.conn for e in idle])

    def invalidate(self) -> None:
        """Mark every connection opened until now as stale (after a lost connection: the server
        may have restarted or killed them all). Idle ones are replaced at their next checkout,
        checked-out ones too once they come back; no I/O here."""
        with self._lock:
            self._invalidated = _monotonic()
            self._invalidations_total += 1

    def stats(self) -> PoolStats:
        with self._lock:
            idle = len(self._idle)
            return PoolStats(
                size=self._pool_size,
                max_overflow=self._max_overflow,
                checked_out=self._total - idle,
                idle=idle,
                overflow_in_use=max(0, self._total - self._pool_size),
                created_total=self._created_total,
                closed_total=self._closed_total,
                timeouts_total=self._waiters.timeouts,
                waits_total=self._waiters.waits,
                pings_total=self._pings_total,
                invalidations_total=self._invalidations_total,
            )

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<QueuePool size={s.size} overflow={s.max_overflow} checked_out={s.checked_out} idle={s.idle}>"
        )


def _close_all(close: _Closer[C], conns: list[C]) -> None:
    for conn in conns:
        close(conn)


def _ping_quietly(ping: _Pinger[C], conn: C) -> bool:
    try:
        return bool(ping(conn))
    except Exception:
        return False


class StaticPool(Generic[C]):
    """One connection, shared: a task holds it from ``acquire`` to ``release`` (re-entrantly), so
    tasks take turns, first come first served. For SQLite ``:memory:``, whose database lives in
    that one connection. Waiting and cancellation are handled as in :class:`QueuePool`.

    Example::

        pool = StaticPool(opened, close=closed)
        with pool.connection() as a, pool.connection() as b:
            assert a is b  # re-entrant: the same connection
    """

    def __init__(
        self,
        creator: _Creator[C],
        *,
        close: _Closer[C],
        ping: _Pinger[C] | None = None,
        reset: _Closer[C] | None = None,
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
        self._lock: Lock = _new_lock()
        self._conn: C | None = None
        self._owner: object = None  # the holding task (or the waiter future it was handed to)
        self._depth = 0
        self._discard_pending = False
        self._waiters: Waiters[Future[None]] = Waiters()
        self._created_total = 0
        self._closed_total = 0

    def acquire(self) -> C:
        """The shared connection; waits up to ``pool_timeout`` while another task holds it."""
        me = _holder()
        self._lock.acquire()
        if self._depth and self._owner is me:  # re-entrant
            self._depth += 1
            self._lock.release()
            assert self._conn is not None
            return self._conn
        if self._owner is None:
            self._owner = me
            self._lock.release()
        else:  # _wait releases the lock
            _wait(self._lock, self._waiters, self._timeout, self._timed_out, self._pass_on)
            self._owner = me
        try:
            conn = self._conn
            if conn is not None and self._pre_ping and self._ping is not None:
                if not _ping_quietly(self._ping, conn):
                    logger.debug("shared connection dead on pre-ping; replacing it")
                    _to_the_end(self._drop)
                    conn = None
            if conn is None:
                conn = self._creator()
                self._created_total += 1
                self._conn = conn
        except BaseException:
            with self._lock:
                self._pass_on()
            raise
        self._depth = 1
        return conn

    def _timed_out(self) -> PoolTimeout:
        return static_timeout(self._timeout)

    def _pass_on(self, _: object = None) -> None:
        """(Lock held.) The holder is done: the oldest waiter's turn, else nobody's."""
        self._owner = _HANDED_OVER if self._waiters.serve(None) else None

    def release(self, conn: C, *, discard: bool = False) -> None:
        """Give the connection back; the outermost release resets it and lets the next task in."""
        held = self._depth > 0 and conn is self._conn and self._owner is _holder()
        if not held:
            raise ValueError("release() of a connection the caller has not acquired from this pool")
        if discard:
            self._discard_pending = True
        if self._depth > 1:
            self._depth -= 1
            return
        if not self._discard_pending and (
            self._reset is None or (self._needs_reset is not None and not self._needs_reset(conn))
        ):
            with self._lock:
                self._depth = 0
                self._pass_on()
            return
        _to_the_end(self._checkin, conn)

    def _checkin(self, conn: C) -> None:
        try:
            if not self._discard_pending and self._reset is not None:
                try:
                    self._reset(conn)
                except Exception:
                    log_failure("resetting the shared connection failed; closing it")
                    self._discard_pending = True
            if self._discard_pending:
                self._drop()
        finally:
            with self._lock:
                self._depth = 0
                self._pass_on()

    def _drop(self) -> None:
        conn, self._conn, self._discard_pending = self._conn, None, False
        if conn is not None:
            self._closed_total += 1
            try:
                self._close(conn)
            except Exception:
                log_failure("error while closing the shared connection (ignored)")

    def connection(self) -> _Checkout[C]:
        """``with pool.connection() as conn:`` — released on exit."""
        return _Checkout(self)

    def dispose(self) -> None:
        """Close the connection now if nobody holds it, else when its holder releases it."""
        with self._lock:
            free = self._owner is None
            if free:
                self._owner = _DISPOSING  # keeps others out while the connection closes
            else:
                self._discard_pending = True
        if free:
            try:
                _to_the_end(self._drop)
            finally:
                with self._lock:
                    self._pass_on()

    def invalidate(self) -> None:
        """Nothing to do: the one connection that failed is discarded on its release."""

    def stats(self) -> PoolStats:
        with self._lock:
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
                timeouts_total=self._waiters.timeouts,
                waits_total=self._waiters.waits,
            )

    def __repr__(self) -> str:
        return f"<StaticPool checked_out={self.stats().checked_out}>"


_HANDED_OVER = object()  # a StaticPool's owner between a release and the woken waiter taking over
_DISPOSING = object()  # a StaticPool's owner while dispose() closes the idle connection


class _Checkout(Generic[C]):
    """``with pool.connection() as conn:`` — released on exit; discarded after a disconnect
    or a ``BaseException`` that is not an ``Exception`` (e.g. a cancellation mid-protocol)."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: Pool[C]) -> None:
        self._pool = pool

    def __enter__(self) -> C:
        self._conn = self._pool.acquire()
        return self._conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
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
        self._pool.release(self._conn, discard=discard)


def _mapped_connect(driver: Driver, connect: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """``connect`` raising typedorm errors only: a server that is down or refuses the login, a
    SQLite file that cannot be opened, all through the driver's own classification."""
    errors: tuple[type[BaseException], ...] = (*driver.error_types, OSError, UnicodeError)

    def creator() -> Any:
        try:
            return connect()
        except TypedORMError:
            raise
        except errors as exc:
            raise connect_error(driver, exc) from exc

    return creator


def create_pool(
    url: URL,
    driver: Driver | None = None,
    *,
    connect_options: Mapping[str, Any] | None = None,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float | None = 30.0,
    pool_recycle: float | None = None,
    pool_pre_ping: bool | None = None,
    pool_pre_ping_window: float | None = None,
) -> Pool[Any]:
    """The pool a URL calls for, wired to its driver (by default the URL's): an ``StaticPool``
    for SQLite in memory (each connection would otherwise be a separate, empty database), a
    ``ThreadLocalPool`` for SQLite files with the sync driver, else an ``QueuePool``.

    ``pool_pre_ping=None`` (the default) means on for a queue pool (servers; SQLite files with
    asyncio), off for SQLite in memory and the thread-local pool (a local file has no connection
    to lose), with a ``pool_pre_ping_window`` of 0.5 s unless given; ``pool_pre_ping=True`` pings
    at every checkout unless a window is given."""
    if pool_pre_ping_window is None:
        # An explicit pool_pre_ping=True keeps its meaning, a ping at every checkout; the default
        # skips it for a connection used in the last half second.
        pool_pre_ping_window = 0.0 if pool_pre_ping else DEFAULT_PRE_PING_WINDOW

    if driver is None:
        from typedorm.drivers import get_driver

        driver = get_driver(url)
    creator = _mapped_connect(driver, functools.partial(driver.connect, url, **dict(connect_options or {})))
    hooks: dict[str, Any] = {
        "close": driver.close,
        "ping": driver.ping,
        "reset": driver.reset,
        "is_disconnect": driver.is_disconnect,
    }
    if url.is_memory:
        return StaticPool(
            creator,
            needs_reset=driver.needs_reset,
            pool_timeout=pool_timeout,
            pool_pre_ping=bool(pool_pre_ping),
            **hooks,
        )
    if url.is_file:
        # A SQLite file: one connection per thread (a thread-local lookup per checkout).
        return ThreadLocalPool(creator, pool_pre_ping=bool(pool_pre_ping), **hooks)
    return QueuePool(
        creator,
        needs_reset=driver.needs_reset,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping is not False,
        pool_pre_ping_window=pool_pre_ping_window,
        has_input=driver.has_input,
        **hooks,
    )
