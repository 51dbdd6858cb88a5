"""QueuePool and StaticPool with fake connections: limits, waiting, recycling, pre-ping, reset, stats."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable

import pytest

from typedorm.engine.pool import PoolStats, QueuePool, StaticPool, ThreadLocalPool, create_pool
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError, PoolTimeout


class FakeConn:
    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.id = next(self._ids)
        self.closed = False
        self.alive = True
        self.resets = 0
        self.pings = 0
        self.fail_reset = False


class Factory:
    """Creates FakeConns and records what the pool does with them."""

    def __init__(self, *, fail: bool = False, delay: float = 0.0) -> None:
        self.made: list[FakeConn] = []
        self.fail = fail
        self.delay = delay
        self.lock = threading.Lock()

    def create(self) -> FakeConn:
        fail = self.fail  # decided when the call starts, however long it then takes
        if self.delay:
            time.sleep(self.delay)
        if fail:
            raise ConnectionRefusedError("no server")
        conn = FakeConn()
        with self.lock:
            self.made.append(conn)
        return conn

    @staticmethod
    def close(conn: FakeConn) -> None:
        assert not conn.closed, "closed twice"
        conn.closed = True

    @staticmethod
    def ping(conn: FakeConn) -> bool:
        conn.pings += 1
        return conn.alive and not conn.closed

    @staticmethod
    def reset(conn: FakeConn) -> None:
        if conn.fail_reset:
            raise OSError("reset failed")
        conn.resets += 1

    def pool(self, **kw: object) -> QueuePool[FakeConn]:
        return QueuePool(
            self.create,
            close=self.close,
            ping=self.ping,
            reset=self.reset,
            **kw,  # type: ignore[arg-type]
        )

    def open_count(self) -> int:
        return sum(not c.closed for c in self.made)


# -- limits ----------------------------------------------------------------------------------------


def test_creates_lazily_and_reuses_lifo() -> None:
    f = Factory()
    pool = f.pool(pool_size=3, max_overflow=0)
    assert pool.stats().created_total == 0
    a, b = pool.acquire(), pool.acquire()
    pool.release(a)
    pool.release(b)
    assert pool.acquire() is b  # the most recently returned first
    assert pool.stats().created_total == 2


def test_size_plus_overflow_is_the_limit() -> None:
    f = Factory()
    pool = f.pool(pool_size=2, max_overflow=3, pool_timeout=0)
    conns = [pool.acquire() for _ in range(5)]
    assert len({c.id for c in conns}) == 5
    s = pool.stats()
    assert (s.checked_out, s.idle, s.overflow_in_use) == (5, 0, 3)
    with pytest.raises(PoolTimeout):
        pool.acquire()
    for c in conns:
        pool.release(c)
    s = pool.stats()
    assert (s.checked_out, s.idle, s.overflow_in_use) == (0, 2, 0)
    assert f.open_count() == 2  # the overflow connections were closed on release


def test_unlimited_overflow() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=-1, pool_timeout=0)
    conns = [pool.acquire() for _ in range(50)]
    for c in conns:
        pool.release(c)
    assert f.open_count() == 1


def test_pool_size_zero_keeps_nothing_idle() -> None:
    f = Factory()
    pool = f.pool(pool_size=0, max_overflow=2)
    c = pool.acquire()
    pool.release(c)
    assert c.closed and pool.stats().idle == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pool_size": -1},
        {"max_overflow": -2},
        {"pool_size": 0, "max_overflow": 0},
        {"pool_timeout": -1.0},
        {"pool_pre_ping": True, "ping": None},
    ],
)
def test_bad_configuration(kwargs: dict[str, object]) -> None:
    f = Factory()
    args: dict[str, object] = {"close": f.close, "ping": f.ping, **kwargs}
    with pytest.raises(ConfigurationError):
        QueuePool(f.create, **args)  # type: ignore[arg-type]


# -- waiting and timeouts --------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0.0, 0.25, 0.5])
def test_timeout_is_accurate(timeout: float) -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=1, pool_timeout=timeout)
    held = [pool.acquire(), pool.acquire()]
    start = time.monotonic()
    with pytest.raises(PoolTimeout) as info:
        pool.acquire()
    elapsed = time.monotonic() - start
    assert abs(elapsed - timeout) < 0.1
    message = str(info.value)
    assert (
        "pool_size=1" in message and "max_overflow=1" in message and f"pool_timeout={timeout:g}s" in message
    )
    s = pool.stats()
    assert (s.timeouts_total, s.waits_total, s.checked_out) == (1, 1, 2)
    for c in held:
        pool.release(c)
    assert pool.stats().checked_out == 0


def test_waiter_is_woken_by_release() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=0, pool_timeout=5)
    first = pool.acquire()
    got: list[FakeConn] = []
    waited: list[float] = []

    def waiter() -> None:
        start = time.monotonic()
        got.append(pool.acquire())
        waited.append(time.monotonic() - start)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.1)
    pool.release(first)
    t.join(2)
    assert got == [first]
    assert 0.05 < waited[0] < 1.0
    pool.release(got[0])
    assert pool.stats().waits_total == 1


def test_overflow_connection_goes_to_a_waiter_instead_of_closing() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=1, pool_timeout=5)
    a, b = pool.acquire(), pool.acquire()
    got: list[FakeConn] = []
    t = threading.Thread(target=lambda: got.append(pool.acquire()))
    t.start()
    time.sleep(0.05)
    pool.release(b)  # overflow, but someone is waiting for it
    t.join(2)
    assert got == [b] and not b.closed
    pool.release(a)
    pool.release(b)
    assert f.open_count() == 1


def test_discard_frees_a_slot_and_wakes_a_waiter() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=0, pool_timeout=5)
    first = pool.acquire()
    got: list[FakeConn] = []
    t = threading.Thread(target=lambda: got.append(pool.acquire()))
    t.start()
    time.sleep(0.05)
    pool.release(first, discard=True)
    t.join(2)
    assert first.closed
    assert len(got) == 1 and got[0] is not first and not got[0].closed
    pool.release(got[0])
    s = pool.stats()
    assert (s.created_total, s.closed_total, s.checked_out, s.idle) == (2, 1, 0, 1)


def test_wait_forever_when_timeout_is_none() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=0, pool_timeout=None)
    first = pool.acquire()
    threading.Timer(0.1, pool.release, args=(first,)).start()
    assert pool.acquire() is first
    pool.release(first)


# -- reset, discard, release errors ----------------------------------------------------------------


def test_reset_runs_on_every_release() -> None:
    f = Factory()
    pool = f.pool()
    c = pool.acquire()
    pool.release(c)
    c = pool.acquire()
    pool.release(c)
    assert c.resets == 2


def test_failed_reset_discards_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    f = Factory()
    pool = f.pool(pool_size=2)
    c = pool.acquire()
    c.fail_reset = True
    pool.release(c)
    assert c.closed
    assert "reset" in caplog.text
    s = pool.stats()
    assert (s.checked_out, s.idle, s.closed_total) == (0, 0, 1)
    assert pool.acquire() is not c


def test_discarded_connection_is_not_reset() -> None:
    f = Factory()
    pool = f.pool()
    c = pool.acquire()
    pool.release(c, discard=True)
    assert c.closed and c.resets == 0


def test_release_of_unknown_or_twice() -> None:
    f = Factory()
    pool = f.pool()
    with pytest.raises(ValueError, match="not checked out"):
        pool.release(FakeConn())
    c = pool.acquire()
    pool.release(c)
    with pytest.raises(ValueError, match="not checked out"):
        pool.release(c)
    assert pool.stats().idle == 1


def test_close_errors_are_swallowed() -> None:
    f = Factory()

    def bad_close(conn: FakeConn) -> None:
        raise OSError("close failed")

    pool = QueuePool(f.create, close=bad_close, pool_size=1, max_overflow=1)
    a, b = pool.acquire(), pool.acquire()
    pool.release(a)
    pool.release(b)  # overflow: closed, and the close error is only logged
    assert pool.stats().closed_total == 1


# -- creator failures ------------------------------------------------------------------------------


def test_creator_failure_does_not_leak_a_slot() -> None:
    f = Factory(fail=True)
    pool = f.pool(pool_size=1, max_overflow=0, pool_timeout=0)
    for _ in range(5):
        with pytest.raises(ConnectionRefusedError):
            pool.acquire()
    assert pool.stats().checked_out == 0
    f.fail = False
    c = pool.acquire()
    pool.release(c)
    assert pool.stats().created_total == 1


def test_creator_failure_wakes_a_waiter_who_can_try_itself() -> None:
    f = Factory(delay=0.2, fail=True)
    pool = f.pool(pool_size=1, max_overflow=0, pool_timeout=5)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            pool.acquire()
        except ConnectionRefusedError as exc:
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.05)
    f.fail, f.delay = False, 0.0  # the second caller waits for the slot, then connects
    c = pool.acquire()
    t.join(2)
    assert len(errors) == 1
    pool.release(c)
    assert pool.stats().checked_out == 0


# -- recycle and pre-ping --------------------------------------------------------------------------


def test_recycle_replaces_old_connections_at_checkout() -> None:
    f = Factory()
    pool = f.pool(pool_recycle=0.1)
    c = pool.acquire()
    pool.release(c)
    assert pool.acquire() is c  # still young
    pool.release(c)
    time.sleep(0.15)
    d = pool.acquire()
    assert d is not c and c.closed
    pool.release(d)
    s = pool.stats()
    assert (s.created_total, s.closed_total, s.idle, s.checked_out) == (2, 1, 1, 0)


def test_recycle_minus_one_means_never() -> None:
    f = Factory()
    pool = f.pool(pool_recycle=-1)
    c = pool.acquire()
    pool.release(c)
    assert pool.acquire() is c


def test_pre_ping_replaces_dead_connections() -> None:
    f = Factory()
    pool = f.pool(pool_size=2, pool_pre_ping=True)
    a, b = pool.acquire(), pool.acquire()
    assert a.pings == b.pings == 0  # fresh connections are not pinged
    pool.release(a)
    pool.release(b)
    a.alive = b.alive = False
    c, d = pool.acquire(), pool.acquire()
    assert {c.id, d.id}.isdisjoint({a.id, b.id})
    assert a.closed and b.closed
    assert c.pings == d.pings == 0
    pool.release(c)
    pool.release(d)
    c2 = pool.acquire()
    assert c2 in (c, d) and c2.pings == 1
    pool.release(c2)


def test_pre_ping_that_raises_counts_as_dead() -> None:
    f = Factory()

    def ping(conn: FakeConn) -> bool:
        raise OSError("boom")

    pool = QueuePool(f.create, close=f.close, ping=ping, pool_pre_ping=True)
    c = pool.acquire()
    pool.release(c)
    d = pool.acquire()
    assert d is not c and c.closed
    pool.release(d)


def test_pre_ping_replacement_failure_frees_the_slot() -> None:
    f = Factory()
    pool = f.pool(pool_size=1, max_overflow=0, pool_pre_ping=True, pool_timeout=0)
    c = pool.acquire()
    pool.release(c)
    c.alive = False
    f.fail = True
    with pytest.raises(ConnectionRefusedError):
        pool.acquire()
    assert pool.stats().checked_out == 0 and pool.stats().idle == 0
    f.fail = False
    pool.release(pool.acquire())


def test_interrupted_pre_ping_frees_the_slot() -> None:
    f = Factory()

    def ping(conn: FakeConn) -> bool:
        raise KeyboardInterrupt

    pool = QueuePool(f.create, close=f.close, ping=ping, pool_pre_ping=True, pool_size=1, max_overflow=0)
    pool.release(pool.acquire())
    with pytest.raises(KeyboardInterrupt):
        pool.acquire()
    assert pool.stats().checked_out == 0


# -- dispose ---------------------------------------------------------------------------------------


def test_dispose_closes_idle_now_and_checked_out_on_return() -> None:
    f = Factory()
    pool = f.pool(pool_size=3)
    a, b, c = pool.acquire(), pool.acquire(), pool.acquire()
    pool.release(a)
    pool.release(b)
    pool.dispose()
    assert a.closed and b.closed and not c.closed
    pool.release(c)
    assert c.closed
    s = pool.stats()
    assert (s.checked_out, s.idle, s.closed_total) == (0, 0, 3)
    d = pool.acquire()  # still usable afterwards
    assert not d.closed
    pool.release(d)
    assert f.open_count() == 1


# -- context manager -------------------------------------------------------------------------------


def test_connection_context_manager() -> None:
    f = Factory()
    pool = f.pool()
    with pool.connection() as c:
        assert pool.stats().checked_out == 1
    assert pool.stats().checked_out == 0 and c.resets == 1
    with pytest.raises(RuntimeError), pool.connection() as c2:
        raise RuntimeError("query failed")
    assert c2 is c and not c.closed  # an ordinary error: reset and kept


def test_connection_context_manager_discards_after_disconnect_or_interrupt() -> None:
    f = Factory()
    pool = QueuePool(
        f.create,
        close=f.close,
        reset=f.reset,
        is_disconnect=lambda exc: isinstance(exc, ConnectionResetError),
    )
    with pytest.raises(ConnectionResetError), pool.connection() as c:
        raise ConnectionResetError
    assert c.closed
    with pytest.raises(KeyboardInterrupt), pool.connection() as d:
        raise KeyboardInterrupt
    assert d.closed
    assert pool.stats().checked_out == 0


# -- stats and concurrency -------------------------------------------------------------------------


def test_stats_is_a_frozen_snapshot() -> None:
    f = Factory()
    pool = f.pool(pool_size=4, max_overflow=6)
    s = pool.stats()
    assert s == PoolStats(4, 6, 0, 0, 0, 0, 0, 0, 0)
    with pytest.raises(AttributeError):
        s.idle = 3  # type: ignore[misc]
    assert "QueuePool" in repr(pool)


def test_sixteen_threads_hammering() -> None:
    f = Factory()
    pool = f.pool(pool_size=4, max_overflow=4, pool_timeout=10)
    in_use: set[int] = set()
    guard = threading.Lock()
    errors: list[BaseException] = []
    peak = [0]

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for i in range(500):
                conn = pool.acquire()
                with guard:
                    assert conn.id not in in_use, "handed out twice"
                    in_use.add(conn.id)
                    peak[0] = max(peak[0], len(in_use))
                if i % 50 == 0:
                    time.sleep(rng.random() / 1000)
                with guard:
                    in_use.discard(conn.id)
                pool.release(conn, discard=rng.random() < 0.02)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s = pool.stats()
    assert s.checked_out == 0
    assert peak[0] <= 8
    assert s.idle <= 4
    assert s.created_total - s.closed_total == s.idle == f.open_count()


# -- StaticPool ------------------------------------------------------------------------------------


def static(f: Factory, **kw: object) -> StaticPool[FakeConn]:
    return StaticPool(f.create, close=f.close, ping=f.ping, reset=f.reset, **kw)  # type: ignore[arg-type]


def test_static_pool_shares_one_connection_reentrantly() -> None:
    f = Factory()
    pool = static(f)
    a = pool.acquire()
    b = pool.acquire()
    assert a is b
    pool.release(b)
    assert a.resets == 0  # only the outermost release resets
    pool.release(a)
    assert a.resets == 1
    assert pool.acquire() is a
    pool.release(a)
    s = pool.stats()
    assert (s.size, s.checked_out, s.idle, s.created_total) == (1, 0, 1, 1)


def test_static_pool_serializes_threads() -> None:
    f = Factory()
    pool = static(f, pool_timeout=10)
    active = [0]
    overlap: list[int] = []
    guard = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            with pool.connection():
                with guard:
                    active[0] += 1
                    overlap.append(active[0])
                time.sleep(0.0001)
                with guard:
                    active[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(overlap) == 1
    assert len(f.made) == 1
    assert pool.stats().checked_out == 0
    assert pool.stats().waits_total > 0


def test_static_pool_timeout() -> None:
    f = Factory()
    pool = static(f, pool_timeout=0.2)
    held = pool.acquire()
    errors: list[BaseException] = []
    elapsed: list[float] = []

    def other() -> None:
        start = time.monotonic()
        try:
            pool.acquire()
        except PoolTimeout as exc:
            errors.append(exc)
        elapsed.append(time.monotonic() - start)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    pool.release(held)
    assert len(errors) == 1 and abs(elapsed[0] - 0.2) < 0.1
    assert pool.stats().timeouts_total == 1


def test_static_pool_release_from_wrong_thread_or_twice() -> None:
    f = Factory()
    pool = static(f)
    with pytest.raises(ValueError):
        pool.release(FakeConn())
    c = pool.acquire()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            pool.release(c)
        except ValueError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1
    pool.release(c)
    with pytest.raises(ValueError):
        pool.release(c)


def test_static_pool_discard_reset_failure_pre_ping_and_dispose() -> None:
    f = Factory()
    pool = static(f, pool_pre_ping=True)
    a = pool.acquire()
    pool.release(a, discard=True)
    assert a.closed
    b = pool.acquire()
    b.fail_reset = True
    pool.release(b)
    assert b.closed
    c = pool.acquire()
    pool.release(c)
    c.alive = False
    d = pool.acquire()
    assert d is not c and c.closed and d.pings == 0
    pool.dispose()  # held: closed on release
    assert not d.closed
    pool.release(d)
    assert d.closed
    e = pool.acquire()
    pool.release(e)
    pool.dispose()
    assert e.closed
    s = pool.stats()
    assert (s.created_total, s.closed_total, s.checked_out, s.idle) == (5, 5, 0, 0)


def test_static_pool_creator_failure_releases_the_lock() -> None:
    f = Factory(fail=True)
    pool = static(f, pool_timeout=0.5)
    with pytest.raises(ConnectionRefusedError):
        pool.acquire()
    f.fail = False
    result: list[FakeConn] = []
    t = threading.Thread(target=lambda: result.append(pool.acquire()))
    t.start()
    t.join(2)
    assert len(result) == 1


# -- create_pool -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sqlite://", StaticPool),
        ("sqlite:///:memory:", StaticPool),
        ("sqlite:///{tmp}/f.db", ThreadLocalPool),
    ],
)
def test_create_pool_for_sqlite(text: str, kind: Callable[..., object], tmp_path: object) -> None:
    pool = create_pool(URL.parse(text.format(tmp=tmp_path)), pool_size=2)
    assert isinstance(pool, kind)  # type: ignore[arg-type]
    with pool.connection() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (1)")
    with pool.connection() as conn:  # the open transaction was rolled back on release
        assert not conn.in_transaction
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    pool.dispose()
    assert pool.stats().idle == 0


# -- ThreadLocalPool ---------------------------------------------------------------------------------


def _counting_pool() -> tuple[ThreadLocalPool[object], list[object], list[object]]:
    made: list[object] = []
    closed: list[object] = []

    def creator() -> object:
        c = object()
        made.append(c)
        return c

    return ThreadLocalPool(creator, close=closed.append), made, closed


def test_thread_local_pool_gives_each_thread_its_own_connection() -> None:
    pool, made, _ = _counting_pool()
    seen: dict[str, object] = {}

    def work(name: str) -> None:
        a = pool.acquire()
        b = pool.acquire()  # re-entrant: the same connection
        assert a is b
        pool.release(b)
        pool.release(a)
        seen[name] = pool.acquire()
        pool.release(seen[name])

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 4
    assert len({id(c) for c in seen.values()}) == 4


def test_thread_local_pool_closes_connections_of_ended_threads_and_on_dispose() -> None:
    pool, made, closed = _counting_pool()
    t = threading.Thread(target=lambda: pool.release(pool.acquire()))
    t.start()
    t.join()
    mine = pool.acquire()
    pool.release(mine)
    assert pool.stats().size == 1  # the ended thread's connection was closed
    assert closed == [made[0]]
    pool.dispose()
    assert mine in closed
    again = pool.acquire()
    assert again is not mine
    pool.release(again)


def test_thread_local_pool_resets_on_outermost_release_and_discards() -> None:
    resets: list[object] = []
    closed: list[object] = []
    pool: ThreadLocalPool[object] = ThreadLocalPool(object, close=closed.append, reset=resets.append)
    a = pool.acquire()
    b = pool.acquire()
    pool.release(b)
    assert resets == []
    pool.release(a)
    assert resets == [a]
    c = pool.acquire()
    assert c is a
    pool.release(c, discard=True)
    assert closed == [a]
    with pytest.raises(ValueError):
        pool.release(c)


def test_steady_load_above_pool_size_does_not_churn_connections() -> None:
    created: list[object] = []

    def creator() -> object:
        created.append(object())
        return created[-1]

    pool: QueuePool[object] = QueuePool(creator, close=lambda c: None, pool_size=2, max_overflow=6)
    barrier = threading.Barrier(6)

    def work() -> None:
        barrier.wait()
        for _ in range(300):
            with pool.connection():
                time.sleep(0)  # let the other threads run while this one holds a connection

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = pool.stats()
    assert stats.checked_out == 0
    # at most one connection per thread plus a little churn at the pool_size boundary;
    # closing every returning overflow connection opened hundreds here
    assert stats.created_total <= 20, stats
    assert stats.idle <= 8
