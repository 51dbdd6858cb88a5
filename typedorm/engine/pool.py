"""Thread-safe connection pools (``QueuePool``, ``StaticPool``) over any connection type."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from typedorm.engine.core import connect_error
from typedorm.errors import ConfigurationError, PoolTimeout, TypedORMError

if TYPE_CHECKING:
    from typedorm.drivers.base import Driver
    from typedorm.engine.url import URL

__all__ = ["Pool", "PoolStats", "QueuePool", "StaticPool", "ThreadLocalPool", "create_pool"]

logger: logging.Logger = logging.getLogger("typedorm.pool")

C = TypeVar("C")

_monotonic = time.monotonic

DEFAULT_PRE_PING_WINDOW = 0.5  # seconds: HikariCP's aliveBypassWindow


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A consistent snapshot of a pool's counters.

    ``checked_out`` counts connections handed out (and those being opened for a caller);
    ``overflow_in_use`` the open connections beyond ``size``.
    """

    size: int
    max_overflow: int
    checked_out: int
    idle: int
    overflow_in_use: int
    created_total: int
    closed_total: int
    timeouts_total: int
    waits_total: int
    pings_total: int = 0
    invalidations_total: int = 0


class Pool(Protocol[C]):
    """What the engine needs from a pool; ``QueuePool`` and ``StaticPool`` both provide it."""

    def acquire(self) -> C: ...
    def release(self, conn: C, *, discard: bool = False) -> None: ...
    def connection(self) -> _Checkout[C]: ...
    def stats(self) -> PoolStats: ...
    def dispose(self) -> None: ...
    def invalidate(self) -> None: ...


class _Releasable(Protocol[C]):
    _is_disconnect: Callable[[BaseException], bool] | None

    def acquire(self) -> C: ...
    def release(self, conn: C, *, discard: bool = False) -> None: ...
    def invalidate(self) -> None: ...


class _Checkout(Generic[C]):
    """``with pool.connection() as conn:`` — released on exit, discarded after a disconnect or a
    ``BaseException`` that is not an ``Exception`` (e.g. KeyboardInterrupt mid-protocol)."""

    __slots__ = ("_conn", "_pool")

    def __init__(self, pool: _Releasable[C]) -> None:
        self._pool = pool

    def __enter__(self) -> C:
        self._conn = self._pool.acquire()
        return self._conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
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
        self._pool.release(self._conn, discard=discard)


class _Entry(Generic[C]):
    __slots__ = ("conn", "created", "gen", "used")

    def __init__(self, conn: C, created: float, gen: int) -> None:
        self.conn = conn
        self.created = created
        self.gen = gen
        self.used = created  # when last checked in: a ping is skipped within pool_pre_ping_window


def _close_quietly(close: Callable[[C], None], conn: C) -> None:
    try:
        close(conn)
    except Exception:
        logger.warning("error while closing a pooled connection (ignored)", exc_info=True)


def _ping_quietly(ping: Callable[[C], bool], conn: C) -> bool:
    try:
        return bool(ping(conn))
    except Exception:
        return False


def check_queue_options(
    pool_size: int,
    max_overflow: int,
    pool_timeout: float | None,
    pool_recycle: float | None,
    pool_pre_ping: bool,
    has_ping: bool,
    pool_pre_ping_window: float = 0.0,
) -> float | None:
    """Validate a queue pool's settings (sync or async); returns ``pool_recycle`` normalised."""
    if pool_size < 0:
        raise ConfigurationError(f"pool_size must be >= 0, not {pool_size}")
    if max_overflow < -1:
        raise ConfigurationError(f"max_overflow must be >= 0 (or -1 for no limit), not {max_overflow}")
    if pool_size == 0 and max_overflow == 0:
        raise ConfigurationError("pool_size and max_overflow are both 0: the pool could never connect")
    check_static_options(pool_timeout, pool_pre_ping, has_ping)
    if pool_pre_ping_window < 0:
        raise ConfigurationError(f"pool_pre_ping_window must be >= 0 seconds, not {pool_pre_ping_window}")
    if pool_recycle is not None and pool_recycle < 0:
        pool_recycle = None  # SQLAlchemy's convention: -1 means never
    return pool_recycle


def check_static_options(pool_timeout: float | None, pool_pre_ping: bool, has_ping: bool) -> None:
    """Validate the settings a single-connection pool shares with a queue pool."""
    if pool_timeout is not None and pool_timeout < 0:
        raise ConfigurationError(
            f"pool_timeout must be >= 0 seconds (or None to wait forever), not {pool_timeout}"
        )
    if pool_pre_ping and not has_ping:
        raise ConfigurationError("pool_pre_ping=True needs a ping function")


def queue_timeout(timeout: float | None, total: int, pool_size: int, max_overflow: int) -> PoolTimeout:
    """The error a full queue pool raises after waiting ``timeout`` seconds."""
    return PoolTimeout(
        f"no connection available within {timeout:g}s: all {total} are checked out "
        f"(pool_size={pool_size}, max_overflow={max_overflow}, pool_timeout={timeout:g}s)"
    )


def static_timeout(timeout: float | None) -> PoolTimeout:
    """The error a single-connection pool raises when its holder keeps it past ``timeout``."""
    return PoolTimeout(f"the single shared connection was not released within {timeout:g}s (StaticPool)")


class QueuePool(Generic[C]):
    """A bounded pool: ``pool_size`` connections kept, up to ``max_overflow`` more under load.

    Idle connections are reused last-in first-out (the warmest one first). When every slot is in
    use, ``acquire`` waits up to ``pool_timeout`` seconds (``None``: forever) and then raises
    ``PoolTimeout``. ``pool_recycle`` (seconds) replaces connections older than that at checkout;
    ``pool_pre_ping`` pings an idle connection before handing it out and replaces it if dead,
    unless it was checked in less than ``pool_pre_ping_window`` seconds ago (HikariCP's
    ``aliveBypassWindow``: a connection used that recently is very likely alive, and the ping
    would double the round trips of a busy pool). ``invalidate()`` (called on a lost connection
    and on a failed ping) marks every connection opened before it as stale: an idle one is
    replaced at checkout without a ping, as SQLAlchemy's pool invalidation does.
    ``reset`` runs on every release; if it raises, the connection is closed instead of kept.

    >>> pool = QueuePool(lambda: object(), close=lambda c: None, pool_size=2, max_overflow=0)
    >>> with pool.connection() as conn:
    ...     pool.stats().checked_out
    1
    >>> pool.stats().idle
    1
    """

    def __init__(
        self,
        creator: Callable[[], C],
        *,
        close: Callable[[C], None],
        ping: Callable[[C], bool] | None = None,
        reset: Callable[[C], None] | None = None,
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

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._idle: list[_Entry[C]] = []  # a stack: append/pop at the end
        self._out: dict[int, _Entry[C]] = {}  # id(conn) -> entry, for connections handed out
        self._total = 0  # open connections plus slots reserved for connections being opened
        self._gen = 0  # bumped by dispose(); entries of an older generation are closed on release
        self._waiters = 0
        self._created_total = 0
        self._closed_total = 0
        self._timeouts_total = 0
        self._waits_total = 0
        self._pings_total = 0
        self._invalidations_total = 0

    # -- checkout ------------------------------------------------------------------------------------

    def acquire(self) -> C:
        """Check a connection out; raise ``PoolTimeout`` if none frees up within ``pool_timeout``."""
        with self._lock:
            if self._idle:
                entry: _Entry[C] | None = self._idle.pop()
            elif self._total < self._capacity:
                self._total += 1
                entry = None
            else:
                entry = self._wait()
            if entry is not None and not self._checks and entry.created >= self._invalidated:
                self._out[id(entry.conn)] = entry
                return entry.conn
        # Slow path, outside the lock: open, recycle or ping (I/O).
        if entry is None:
            entry = self._open()
        else:
            entry = self._check(entry)
        self._out[id(entry.conn)] = entry
        return entry.conn

    def _wait(self) -> _Entry[C] | None:
        """Called with the lock held and the pool full: an idle entry, or None for a reserved slot."""
        timeout = self._timeout
        self._waits_total += 1
        deadline = None if timeout is None else _monotonic() + timeout
        self._waiters += 1
        try:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._total < self._capacity:
                    self._total += 1
                    return None
                if deadline is None:
                    self._cond.wait()
                    continue
                remaining = deadline - _monotonic()
                if remaining <= 0:
                    self._timeouts_total += 1
                    raise queue_timeout(timeout, self._total, self._pool_size, self._max_overflow)
                self._cond.wait(remaining)
        finally:
            self._waiters -= 1

    def _open(self) -> _Entry[C]:
        """Open a connection into a slot already reserved; on failure give the slot back."""
        try:
            conn = self._creator()
        except BaseException:
            with self._lock:
                self._total -= 1
                if self._waiters:
                    self._cond.notify()
            raise
        with self._lock:
            self._created_total += 1
            return _Entry(conn, _monotonic(), self._gen)

    def _check(self, entry: _Entry[C]) -> _Entry[C]:
        """Recycle or pre-ping an idle entry taken from the stack; replace it in its slot if needed."""
        reason = None
        try:
            now = _monotonic()
            if entry.created < self._invalidated:
                reason = "opened before a lost connection (invalidated)"
            elif self._recycle is not None and now - entry.created > self._recycle:
                reason = "recycled (older than pool_recycle)"
            elif self._pre_ping and self._ping is not None and now - entry.used >= self._window:
                with self._lock:
                    self._pings_total += 1
                if not _ping_quietly(self._ping, entry.conn):
                    reason = "dead on pre-ping"
                    # One dead connection suggests a server restart or a mass kill: the others
                    # opened before it are replaced without a ping each.
                    self.invalidate()
        except BaseException:  # e.g. KeyboardInterrupt during the ping: give the slot back
            self._discard(entry.conn)
            raise
        if reason is None:
            return entry
        logger.debug("pooled connection %s; replacing it", reason)
        with self._lock:
            self._closed_total += 1
        _close_quietly(self._close, entry.conn)
        return self._open()  # reuses the slot; never pings the new connection

    def _discard(self, conn: C) -> None:
        with self._lock:
            self._total -= 1
            self._closed_total += 1
            if self._waiters:
                self._cond.notify()
        _close_quietly(self._close, conn)

    # -- checkin -------------------------------------------------------------------------------------

    def release(self, conn: C, *, discard: bool = False) -> None:
        """Give ``conn`` back: reset and kept idle, or closed if discarded, stale or overflow."""
        entry = self._out.pop(id(conn), None)
        if entry is None:
            raise ValueError("release() of a connection that is not checked out from this pool")
        entry.used = _monotonic()
        if not discard and self._reset is not None:
            try:
                self._reset(conn)
            except Exception:
                logger.warning("resetting a pooled connection failed; closing it", exc_info=True)
                discard = True
        with self._lock:
            # Like SQLAlchemy's QueuePool: keep up to pool_size idle; an overflow connection is
            # closed only when the idle set is already full, so steady load above pool_size
            # does not open a fresh connection for every checkout.
            if discard or entry.gen != self._gen or (len(self._idle) >= self._pool_size and not self._waiters):
                self._total -= 1
                self._closed_total += 1
            else:
                self._idle.append(entry)
                entry = None
            if self._waiters:
                self._cond.notify()
        if entry is not None:
            _close_quietly(self._close, conn)

    def connection(self) -> _Checkout[C]:
        """A context manager checking a connection out for the ``with`` block."""
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
            self._cond.notify_all()
        for entry in idle:
            _close_quietly(self._close, entry.conn)

    def invalidate(self) -> None:
        """Mark every connection opened until now as stale (after a lost connection: the server
        may have restarted or killed them all). Idle ones are replaced at their next checkout,
        checked-out ones too once they come back; nothing blocks or does I/O here."""
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
                timeouts_total=self._timeouts_total,
                waits_total=self._waits_total,
                pings_total=self._pings_total,
                invalidations_total=self._invalidations_total,
            )

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<QueuePool size={s.size} overflow={s.max_overflow} checked_out={s.checked_out} idle={s.idle}>"
        )


class StaticPool(Generic[C]):
    """One connection, shared: a thread holds it from ``acquire`` to ``release`` (re-entrantly),
    so threads take turns. For SQLite ``:memory:``, whose database lives in that one connection.

    >>> pool = StaticPool(lambda: object(), close=lambda c: None)
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
        pool_timeout: float | None = 30.0,
        pool_pre_ping: bool = False,
        is_disconnect: Callable[[BaseException], bool] | None = None,
    ) -> None:
        check_static_options(pool_timeout, pool_pre_ping, ping is not None)
        self._creator = creator
        self._close = close
        self._ping = ping
        self._reset = reset
        self._is_disconnect = is_disconnect
        self._timeout = pool_timeout
        self._pre_ping = pool_pre_ping
        self._hold = threading.RLock()  # held by the thread using the connection
        self._meta = threading.Lock()  # guards the counters, for stats() from any thread
        self._conn: C | None = None
        self._owner: int | None = None
        self._depth = 0
        self._discard_pending = False
        self._created_total = 0
        self._closed_total = 0
        self._timeouts_total = 0
        self._waits_total = 0

    def acquire(self) -> C:
        """The shared connection; waits up to ``pool_timeout`` while another thread holds it."""
        if not self._hold.acquire(blocking=False):
            with self._meta:
                self._waits_total += 1
            timeout = -1 if self._timeout is None else self._timeout
            if not self._hold.acquire(timeout=timeout):
                with self._meta:
                    self._timeouts_total += 1
                raise static_timeout(self._timeout)
        try:
            if self._depth == 0:
                conn = self._conn
                if conn is not None and self._pre_ping and self._ping is not None:
                    if not _ping_quietly(self._ping, conn):
                        logger.debug("shared connection dead on pre-ping; replacing it")
                        self._drop()
                        conn = None
                if conn is None:
                    conn = self._creator()
                    with self._meta:
                        self._created_total += 1
                    self._conn = conn
                self._owner = threading.get_ident()
            self._depth += 1
            assert self._conn is not None
            return self._conn
        except BaseException:
            self._hold.release()
            raise

    def release(self, conn: C, *, discard: bool = False) -> None:
        """Give the connection back; the outermost release resets it and lets other threads in."""
        if self._depth == 0 or self._owner != threading.get_ident() or conn is not self._conn:
            raise ValueError("release() of a connection this thread has not acquired from this pool")
        if discard:
            self._discard_pending = True
        self._depth -= 1
        try:
            if self._depth == 0:
                self._owner = None
                if not self._discard_pending and self._reset is not None:
                    try:
                        self._reset(conn)
                    except Exception:
                        logger.warning("resetting the shared connection failed; closing it", exc_info=True)
                        self._discard_pending = True
                if self._discard_pending:
                    self._drop()
        finally:
            self._hold.release()

    def _drop(self) -> None:
        conn, self._conn, self._discard_pending = self._conn, None, False
        if conn is not None:
            with self._meta:
                self._closed_total += 1
            _close_quietly(self._close, conn)

    def connection(self) -> _Checkout[C]:
        """A context manager holding the shared connection for the ``with`` block."""
        return _Checkout(self)

    def dispose(self) -> None:
        """Close the connection now if nobody holds it, else when its holder releases it."""
        if self._hold.acquire(blocking=False):
            try:
                if self._depth == 0:
                    self._drop()
                else:
                    self._discard_pending = True
            finally:
                self._hold.release()
        else:
            self._discard_pending = True

    def invalidate(self) -> None:
        """Nothing to do: the one connection that failed is discarded on its release."""

    def stats(self) -> PoolStats:
        with self._meta:
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
        return f"<StaticPool checked_out={self.stats().checked_out}>"


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
            if local.depth == 0 and self._pre_ping and self._ping is not None and not _ping_quietly(self._ping, conn):
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
                    logger.warning("resetting a connection failed; closing it", exc_info=True)
                    self._forget(conn)

    def connection(self) -> _Checkout[C]:
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


def _mapped_connect(driver: Driver, connect: Callable[[], Any]) -> Callable[[], Any]:
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
) -> QueuePool[Any] | StaticPool[Any] | ThreadLocalPool[Any]:
    """The pool a URL calls for, wired to its driver: a ``StaticPool`` for SQLite in memory
    (each connection would otherwise be a separate, empty database), a ``ThreadLocalPool``
    for SQLite files, else a ``QueuePool``.

    ``pool_pre_ping=None`` (the default) means on for a server, off for SQLite (a local file
    has no connection to lose), with a ``pool_pre_ping_window`` of 0.5 s unless given;
    ``pool_pre_ping=True`` pings at every checkout unless a window is given."""
    if pool_pre_ping_window is None:
        # An explicit pool_pre_ping=True keeps its meaning, a ping at every checkout; the default
        # skips it for a connection used in the last half second.
        pool_pre_ping_window = 0.0 if pool_pre_ping else DEFAULT_PRE_PING_WINDOW

    if driver is None:
        from typedorm.drivers import get_driver

        driver = get_driver(url)
    creator = _mapped_connect(driver, functools.partial(driver.connect, url, **dict(connect_options or {})))
    if url.is_memory:
        return StaticPool(
            creator,
            close=driver.close,
            ping=driver.ping,
            reset=driver.reset,
            pool_timeout=pool_timeout,
            pool_pre_ping=bool(pool_pre_ping),
            is_disconnect=driver.is_disconnect,
        )
    if url.is_file:
        # A SQLite file: one connection per thread (a thread-local lookup per checkout).
        return ThreadLocalPool(
            creator,
            close=driver.close,
            ping=driver.ping,
            reset=driver.reset,
            pool_pre_ping=bool(pool_pre_ping),
            is_disconnect=driver.is_disconnect,
        )
    return QueuePool(
        creator,
        close=driver.close,
        ping=driver.ping,
        reset=driver.reset,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping is not False,
        is_disconnect=driver.is_disconnect,
        pool_pre_ping_window=pool_pre_ping_window,
    )
