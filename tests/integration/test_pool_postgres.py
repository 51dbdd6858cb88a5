"""QueuePool over real PostgreSQL connections: throughput under threads, pre-ping after kills, exhaustion."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from _servers import require_server, unique_name

from typedorm.drivers import get_driver
from typedorm.drivers.base import Driver
from typedorm.engine.pool import QueuePool, create_pool
from typedorm.engine.url import URL
from typedorm.errors import PoolTimeout


@pytest.fixture(scope="module")
def url() -> URL:
    return require_server("postgresql")


@pytest.fixture(scope="module")
def driver(url: URL) -> Driver:
    return get_driver(url)


@pytest.fixture
def admin(url: URL, driver: Driver) -> Iterator[Any]:
    conn = driver.connect(url, application_name=unique_name("admin"))
    yield conn
    driver.close(conn)


@pytest.fixture
def table(admin: Any) -> Iterator[str]:
    name = unique_name("td_pool")
    admin.execute(
        f'CREATE TABLE "{name}" (id BIGSERIAL PRIMARY KEY, worker INTEGER NOT NULL, n INTEGER NOT NULL)'
    )
    yield name
    admin.execute(f'DROP TABLE "{name}"')


def make_pool(url: URL, driver: Driver, app: str, **kw: Any) -> QueuePool[Any]:
    pool = create_pool(url, driver, connect_options={"application_name": app}, **kw)
    assert isinstance(pool, QueuePool)
    return pool


def backends(admin: Any, app: str) -> list[int]:
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
        (app,),
    ).fetchall()
    return [r[0] for r in rows]


def wait_for_backends(admin: Any, app: str, expected: int, timeout: float = 3.0) -> int:
    """Backends exit asynchronously after a close or a kill: poll until the count settles."""
    deadline = time.monotonic() + timeout
    while True:
        n = len(backends(admin, app))
        if n == expected or time.monotonic() > deadline:
            return n
        time.sleep(0.02)


def test_sixteen_threads_thousand_transactions_each(url: URL, driver: Driver, admin: Any, table: str) -> None:
    app = unique_name("td_hammer")
    pool = make_pool(url, driver, app, pool_size=8, max_overflow=0, pool_timeout=30)
    errors: list[BaseException] = []
    per_thread = 1000

    def worker(w: int) -> None:
        try:
            for n in range(per_thread):
                with pool.connection() as conn:
                    conn.execute("BEGIN")
                    conn.execute(f'INSERT INTO "{table}" (worker, n) VALUES (%s, %s)', (w, n))
                    conn.execute("COMMIT")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert admin.execute(f'SELECT count(*), count(DISTINCT (worker, n)) FROM "{table}"').fetchone() == (
            16_000,
            16_000,
        )
        s = pool.stats()
        assert s.checked_out == 0
        assert s.created_total <= 8 and s.idle == s.created_total
        assert len(backends(admin, app)) == s.idle
    finally:
        pool.dispose()
    assert wait_for_backends(admin, app, 0) == 0


def test_pre_ping_survives_killed_backends(url: URL, driver: Driver, admin: Any) -> None:
    app = unique_name("td_ping")
    pool = make_pool(url, driver, app, pool_size=4, max_overflow=4, pool_pre_ping=True, pool_timeout=10)
    try:
        held = [pool.acquire() for _ in range(4)]
        for conn in held:
            pool.release(conn)
        assert len(backends(admin, app)) == 4
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND application_name = %s",
            (app,),
        ).fetchall()
        assert len(killed) == 4 and all(ok for (ok,) in killed)
        assert wait_for_backends(admin, app, 0) == 0

        failures: list[BaseException] = []

        def request() -> None:
            try:
                for _ in range(20):
                    with pool.connection() as conn:
                        assert conn.execute("SELECT 1").fetchone() == (1,)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=request) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        s = pool.stats()
        assert s.checked_out == 0
        assert s.closed_total >= 4  # every killed connection was found dead and replaced
    finally:
        pool.dispose()


def test_without_pre_ping_a_killed_connection_is_discarded_on_error(
    url: URL, driver: Driver, admin: Any
) -> None:
    app = unique_name("td_noping")
    pool = make_pool(url, driver, app, pool_size=1, max_overflow=0, pool_pre_ping=False)
    try:
        with pool.connection() as conn:
            pid = conn.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        wait_for_backends(admin, app, 0)
        with pytest.raises(driver.error_types) as raised, pool.connection() as conn:
            conn.execute("SELECT 1")
        assert driver.is_disconnect(raised.value)
        with pool.connection() as conn:  # the dead one was discarded, not handed out again
            assert conn.info.backend_pid != pid
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.dispose()


def test_exhaustion_raises_pool_timeout_on_time_and_leaks_nothing(
    url: URL, driver: Driver, admin: Any
) -> None:
    app = unique_name("td_exhaust")
    pool = make_pool(url, driver, app, pool_size=2, max_overflow=1, pool_timeout=0.3)
    try:
        held = [pool.acquire() for _ in range(3)]
        start = time.monotonic()
        with pytest.raises(PoolTimeout, match="pool_size=2, max_overflow=1"):
            pool.acquire()
        assert abs(time.monotonic() - start - 0.3) < 0.1
        for conn in held:
            pool.release(conn)
        s = pool.stats()
        assert (s.checked_out, s.idle, s.timeouts_total) == (0, 2, 1)
        assert wait_for_backends(admin, app, 2) == 2  # the overflow connection was closed, none leaked
    finally:
        pool.dispose()
    assert wait_for_backends(admin, app, 0) == 0


def test_release_rolls_back_an_open_transaction(url: URL, driver: Driver, admin: Any, table: str) -> None:
    pool = make_pool(url, driver, unique_name("td_reset"), pool_size=1, max_overflow=0)
    try:
        with pool.connection() as conn:
            conn.execute("BEGIN")
            conn.execute(f'INSERT INTO "{table}" (worker, n) VALUES (1, 1)')
        with pool.connection() as again:
            assert again is conn
            assert not driver.in_transaction(again)
            assert again.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (0,)
        with pool.connection() as conn:  # a failed transaction is rolled back too
            conn.execute("BEGIN")
            with pytest.raises(driver.error_types):
                conn.execute("SELECT 1/0")
        with pool.connection() as again:
            assert again is conn and again.execute("SELECT 2").fetchone() == (2,)
    finally:
        pool.dispose()


def test_recycle_reconnects(url: URL, driver: Driver, admin: Any) -> None:
    pool = make_pool(url, driver, unique_name("td_recycle"), pool_size=1, max_overflow=0, pool_recycle=0.2)
    try:
        with pool.connection() as conn:
            first = conn.info.backend_pid
        time.sleep(0.25)
        with pool.connection() as conn:
            assert conn.info.backend_pid != first
        assert pool.stats().closed_total == 1
    finally:
        pool.dispose()
