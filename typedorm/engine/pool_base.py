"""What the sync and asyncio pools share: settings checks, timeouts, stats and the waiter queue.

``aio_pool.py`` is the one source of both flavours of pool (``pool.py`` is generated from it by
``tools/unasync.py``); this module holds the pieces with no ``async`` in them. The waiter queue
is the same for threads and tasks: a waiter is a future (``concurrent.futures.Future`` or
``asyncio.Future``) that receives what a release hands over, under the pool's lock.
"""

from __future__ import annotations

import collections
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from typedorm.errors import ConfigurationError, PoolTimeout

__all__ = [
    "DEFAULT_PRE_PING_WINDOW",
    "PoolStats",
    "check_queue_options",
    "check_static_options",
    "queue_timeout",
    "static_timeout",
]

C = TypeVar("C")
T = TypeVar("T")

logger: logging.Logger = logging.getLogger("typedorm.pool")

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


class Entry(Generic[C]):
    """A pooled connection with its birth time, its pool generation and when it was last used."""

    __slots__ = ("conn", "created", "gen", "used")

    def __init__(self, conn: C, created: float, gen: int) -> None:
        self.conn = conn
        self.created = created
        self.gen = gen
        self.used = created  # when last checked in: a ping is skipped within pool_pre_ping_window


class _Future(Protocol[T]):
    """What the queue needs of a future; ``asyncio.Future`` and ``concurrent.futures.Future`` have it."""

    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> T: ...
    def exception(self) -> BaseException | None: ...
    def set_result(self, result: T, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...


F = TypeVar("F", bound=_Future[Any])


class Waiters(collections.deque[F]):
    """Callers waiting for a connection, a slot or a turn, served first come, first served.

    Every method is called with the pool's lock held. A release hands what it frees to the
    oldest waiter (:meth:`serve`), so nobody starves and a timeout is kept to the timer's
    precision; a waiter that gives up leaves the queue (:meth:`leave`), passing on what it was
    handed at that very moment. A deque, so that "anyone waiting?" costs no Python call.
    """

    __slots__ = ("timeouts", "waits")

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0
        self.timeouts = 0

    def add(self, fut: F) -> F:
        self.append(fut)
        self.waits += 1
        return fut

    def serve(self, value: Any) -> bool:
        """Hand ``value`` to the oldest waiter still waiting; False if there is none."""
        while self:
            w = self.popleft()
            if not w.done():
                w.set_result(value)
                return True
        return False

    def expire(self, fut: F, error: Callable[[], PoolTimeout]) -> None:
        """``fut`` waited too long: it leaves the queue with ``error()`` unless it was served meanwhile."""
        if fut.done():
            return
        self._remove(fut)
        self.timeouts += 1
        fut.set_exception(error())

    def leave(self, fut: F, pass_on: Callable[[Any], None]) -> None:
        """The waiter of ``fut`` gives up (cancelled, interrupted, timed out): what it was handed
        just then goes to ``pass_on``; else it leaves the queue."""
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            pass_on(fut.result())
        else:
            self._remove(fut)

    def _remove(self, fut: F) -> None:
        try:
            self.remove(fut)
        except ValueError:
            pass


def log_failure(what: str, exc: BaseException | None = None) -> None:
    """``what`` failed with ``exc`` (the exception being handled by default): one WARNING line with
    the error's class and first line; the traceback only at DEBUG. A dead connection is routine
    after a server restart; a traceback per connection would flood the logs."""
    if exc is None:
        exc = sys.exc_info()[1]
    text = str(exc).strip().splitlines()
    logger.warning("%s (%s: %s)", what, type(exc).__name__, text[0] if text else "")
    logger.debug("%s: the traceback", what, exc_info=exc)


class Lock(Protocol):
    """What a pool needs of the lock around its state: ``threading.Lock``, or :class:`NoLock`."""

    def acquire(self) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> bool: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> None: ...


class NoLock:
    """The lock of an asyncio pool: nothing to do, since one event loop runs one task at a time
    and a pool never holds its lock across an ``await``. (A sync pool takes a ``threading.Lock``
    at the same places; neither holds it across I/O.)"""

    __slots__ = ()

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def __enter__(self) -> bool:
        return True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> None:
        pass


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
