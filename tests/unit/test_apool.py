"""AsyncQueuePool / AsyncStaticPool over fake connections: limits, timeouts, hand-off, and cancellation that leaks nothing."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from typedorm.drivers import aio as driver_modes
from typedorm.engine import database
from typedorm.engine.apool import AsyncQueuePool, AsyncStaticPool, uncancellable
from typedorm.errors import ConfigurationError, PoolTimeout

T = TypeVar("T")

_ids = itertools.count(1)


class Conn:
    def __init__(self) -> None:
        self.id = next(_ids)
        self.open = True
        self.in_tx = False
        self.resets = 0


class Fake:
    """Creator, close, ping and reset for a pool, with knobs to make each slow or failing."""

    def __init__(self) -> None:
        self.made: list[Conn] = []
        self.closed: list[Conn] = []
        self.connect_delay = 0.0
        self.reset_delay = 0.0
        self.ping_delay = 0.0
        self.fail_connect = False
        self.fail_reset = False

    async def create(self) -> Conn:
        if self.connect_delay:
            await asyncio.sleep(self.connect_delay)
        if self.fail_connect:
            raise OSError("cannot connect")
        c = Conn()
        self.made.append(c)
        return c

    async def close(self, c: Conn) -> None:
        c.open = False
        self.closed.append(c)

    async def ping(self, c: Conn) -> bool:
        if self.ping_delay:
            await asyncio.sleep(self.ping_delay)
        return c.open

    async def reset(self, c: Conn) -> None:
        if self.reset_delay:
            await asyncio.sleep(self.reset_delay)
        if self.fail_reset:
            raise RuntimeError("reset failed")
        c.in_tx = False
        c.resets += 1

    @staticmethod
    def needs_reset(c: Conn) -> bool:
        return c.in_tx or not c.open

    def queue(self, **kw: Any) -> AsyncQueuePool[Conn]:
        return AsyncQueuePool(
            self.create,
            close=self.close,
            ping=self.ping,
            reset=self.reset,
            needs_reset=self.needs_reset,
            **kw,
        )

    def static(self, **kw: Any) -> AsyncStaticPool[Conn]:
        return AsyncStaticPool(
            self.create,
            close=self.close,
            ping=self.ping,
            reset=self.reset,
            needs_reset=self.needs_reset,
            **kw,
        )


def run(fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await fn()

    return asyncio.run(main())


def test_modes_are_the_engines() -> None:
    assert (
        driver_modes.ALL,
        driver_modes.ONE,
        driver_modes.COUNT,
        driver_modes.RESULT,
        driver_modes.LASTID,
    ) == (
        database._ALL,
        database._ONE,
        database._COUNT,
        database._NONE,
        database._LASTID,
    )


def test_options_are_validated_like_the_sync_pool() -> None:
    f = Fake()
    with pytest.raises(ConfigurationError):
        f.queue(pool_size=0, max_overflow=0)
    with pytest.raises(ConfigurationError):
        f.queue(pool_timeout=-1)
    with pytest.raises(ConfigurationError):
        AsyncQueuePool(f.create, close=f.close, pool_pre_ping=True)
    with pytest.raises(ConfigurationError):
        f.static(pool_timeout=-1)


def test_reuse_lifo_and_limits() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=2, max_overflow=1, pool_timeout=0.05)
        a, b, c = await pool.acquire(), await pool.acquire(), await pool.acquire()
        assert pool.stats().checked_out == 3 and pool.stats().overflow_in_use == 1
        with pytest.raises(PoolTimeout):
            await pool.acquire()
        await pool.release(c)  # kept: fewer than pool_size are idle
        await pool.release(b)
        assert await pool.acquire() is b  # the warmest first
        await pool.release(b)
        assert c not in f.closed
        await pool.release(a)  # pool_size connections are idle already: closed
        assert a in f.closed
        s = pool.stats()
        assert (s.checked_out, s.idle, s.created_total, s.closed_total, s.timeouts_total) == (0, 2, 3, 1, 1)
        with pytest.raises(ValueError):
            await pool.release(a)
        await pool.dispose()
        assert pool.stats().idle == 0 and all(not x.open for x in f.made)

    run(body)


def test_load_between_pool_size_and_the_cap_does_not_churn() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=2, max_overflow=8)

        async def worker() -> None:
            for _ in range(50):
                c = await pool.acquire()
                await asyncio.sleep(0)
                await pool.release(c)

        await asyncio.gather(*(worker() for _ in range(6)))
        s = pool.stats()
        assert s.created_total <= 6 and s.idle == 2 and s.checked_out == 0, s

    run(body)


def test_timeout_is_on_time() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_timeout=0.3)
        held = await pool.acquire()
        t = time.monotonic()
        with pytest.raises(PoolTimeout, match=r"within 0\.3s"):
            await pool.acquire()
        assert abs(time.monotonic() - t - 0.3) < 0.1
        await pool.release(held)
        assert pool.stats().checked_out == 0

    run(body)


def test_waiters_are_served_in_order() -> None:
    f = Fake()
    order: list[int] = []

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0)
        held = await pool.acquire()

        async def waiter(i: int) -> None:
            c = await pool.acquire()
            order.append(i)
            await asyncio.sleep(0)
            await pool.release(c)

        tasks = [asyncio.create_task(waiter(i)) for i in range(5)]
        await asyncio.sleep(0.01)
        await pool.release(held)
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2, 3, 4]
        assert pool.stats().checked_out == 0 and len(f.made) == 1

    run(body)


def test_cancelled_waiters_leave_the_queue() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=2, max_overflow=0, pool_timeout=5)
        a, b = await pool.acquire(), await pool.acquire()
        waiters = [asyncio.create_task(pool.acquire()) for _ in range(10)]
        await asyncio.sleep(0.01)
        for w in waiters:
            w.cancel()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        await pool.release(a)
        await pool.release(b)
        assert pool.stats().checked_out == 0 and not pool._waiters
        t = time.monotonic()
        c = await pool.acquire()
        assert time.monotonic() - t < 0.05
        await pool.release(c)

    run(body)


def test_connection_handed_to_a_waiter_cancelled_at_that_moment_is_passed_on() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_timeout=5)
        held = await pool.acquire()
        first = asyncio.create_task(pool.acquire())
        second = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        await pool.release(held)  # handed to `first`, which has not run yet ...
        first.cancel()  # ... and is cancelled before it does
        with pytest.raises(asyncio.CancelledError):
            await first
        got = await asyncio.wait_for(second, 1)
        assert got is held
        await pool.release(got)
        assert pool.stats().checked_out == 0 and pool.stats().idle == 1

    run(body)


def test_slot_handed_to_a_cancelled_waiter_is_passed_on() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_timeout=5)
        held = await pool.acquire()
        first = asyncio.create_task(pool.acquire())
        second = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        # A discarded connection frees its slot for `first` to open a connection in (done here in
        # one step: a real discard awaits the close, which lets `first` run before the cancel).
        del pool._out[id(held)]
        pool._free_slot()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        got = await asyncio.wait_for(second, 1)
        assert got is not held
        await pool.release(got)
        assert pool.stats().checked_out == 0

    run(body)


def test_cancelled_while_connecting_gives_the_slot_back() -> None:
    f = Fake()
    f.connect_delay = 1.0

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_timeout=5)
        t = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        assert pool.stats().checked_out == 1  # the slot is reserved while connecting
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert pool.stats().checked_out == 0
        f.connect_delay = 0
        c = await pool.acquire()
        await pool.release(c)

    run(body)


def test_failed_connect_gives_the_slot_back() -> None:
    f = Fake()
    f.fail_connect = True

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0)
        for _ in range(3):
            with pytest.raises(OSError):
                await pool.acquire()
        assert pool.stats().checked_out == 0

    run(body)


def test_release_finishes_the_reset_even_if_cancelled() -> None:
    f = Fake()
    f.reset_delay = 0.05

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0)
        c = await pool.acquire()
        c.in_tx = True
        t = asyncio.create_task(pool.release(c))
        await asyncio.sleep(0.01)
        t.cancel()
        t.cancel()  # twice: still runs to its end
        with pytest.raises(asyncio.CancelledError):
            await t
        assert c.resets == 1 and not c.in_tx
        assert pool.stats().checked_out == 0 and pool.stats().idle == 1

    run(body)


def test_failed_reset_discards() -> None:
    f = Fake()
    f.fail_reset = True

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0)
        c = await pool.acquire()
        c.in_tx = True
        await pool.release(c)
        assert c in f.closed and pool.stats().checked_out == 0 and pool.stats().idle == 0

    run(body)


def test_pre_ping_and_recycle_replace_connections() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_pre_ping=True)
        c = await pool.acquire()
        await pool.release(c)
        c.open = False  # died while idle
        d = await pool.acquire()
        assert d is not c and d.open
        await pool.release(d)
        pool2 = f.queue(pool_size=1, max_overflow=0, pool_recycle=0.01)
        e = await pool2.acquire()
        await pool2.release(e)
        await asyncio.sleep(0.02)
        g = await pool2.acquire()
        assert g is not e and e in f.closed
        await pool2.release(g)
        assert pool.stats().checked_out == 0 and pool2.stats().checked_out == 0

    run(body)


def test_cancelled_during_pre_ping_gives_the_slot_back() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=1, max_overflow=0, pool_pre_ping=True)
        c = await pool.acquire()
        await pool.release(c)
        f.ping_delay = 1.0
        t = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert pool.stats().checked_out == 0 and c in f.closed

    run(body)


def test_dispose_closes_returned_connections_later() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.queue(pool_size=2, max_overflow=0)
        a = await pool.acquire()
        b = await pool.acquire()
        await pool.release(b)
        await pool.dispose()
        assert b in f.closed and a not in f.closed
        await pool.release(a)
        assert a in f.closed and pool.stats().checked_out == 0

    run(body)


def test_uncancellable_reraises_after_finishing() -> None:
    done: list[int] = []

    async def work() -> int:
        await asyncio.sleep(0.05)
        done.append(1)
        return 7

    async def body() -> None:
        t = asyncio.create_task(uncancellable(work()))
        await asyncio.sleep(0.01)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert done == [1]
        assert await uncancellable(work()) == 7

    run(body)


# --- static pool ---------------------------------------------------------------------------------


def test_static_pool_is_reentrant_per_task_and_tasks_take_turns() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.static(pool_timeout=0.2)
        a = await pool.acquire()
        assert await pool.acquire() is a  # the same task again
        other = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        assert not other.done()
        await pool.release(a)
        await asyncio.sleep(0.01)
        assert not other.done()  # still held once
        await pool.release(a)
        got = await asyncio.wait_for(other, 1)
        assert got is a
        t = time.monotonic()
        with pytest.raises(PoolTimeout):
            await pool.acquire()  # this task is not the holder
        assert abs(time.monotonic() - t - 0.2) < 0.1
        await pool.release(got)
        assert pool.stats().checked_out == 0 and len(f.made) == 1

    async def runner() -> None:
        # the holder must be another task than the one timing out
        await asyncio.create_task(body())

    run(runner)


def test_static_pool_cancelled_waiter_and_reset() -> None:
    f = Fake()

    async def body() -> None:
        pool = f.static()
        holder_ready = asyncio.Event()
        release_now = asyncio.Event()

        async def holder() -> None:
            c = await pool.acquire()
            c.in_tx = True
            holder_ready.set()
            await release_now.wait()
            await pool.release(c)

        h = asyncio.create_task(holder())
        await holder_ready.wait()
        waiters = [asyncio.create_task(pool.acquire()) for _ in range(5)]
        await asyncio.sleep(0.01)
        for w in waiters:
            w.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        release_now.set()
        await h
        assert pool.stats().checked_out == 0 and f.made[0].resets == 1
        c = await pool.acquire()
        await pool.release(c, discard=True)
        assert c in f.closed and pool.stats().idle == 0
        await pool.dispose()

    run(body)
