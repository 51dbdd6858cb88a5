"""Default pool settings survive a kill of every connection: pre-ping with a bypass window, and
invalidation of the connections opened before a lost one. Real servers, sync and async."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from typedorm import AsyncDatabase, Database
from typedorm.drivers import get_driver
from typedorm.engine.url import URL
from typedorm.errors import ConnectionLost, TypedORMError

WINDOW = 0.5  # the default pool_pre_ping_window
SETTLE = WINDOW + 0.3  # wait past the window after a kill, so every idle connection is stale


def kill_all(url: URL) -> int:
    """Kill every connection to this test's own database (only), from a connection of its own."""
    driver = get_driver(url)
    conn = driver.connect(url)
    try:
        cur = conn.cursor()
        if url.dialect == "postgresql":
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.database,),
            )
            killed = len(cur.fetchall())
        else:
            cur.execute(
                "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
                (url.database,),
            )
            ids = [int(r[0]) for r in cur.fetchall()]
            for pid in ids:
                cur.execute("KILL %s", (pid,))
            killed = len(ids)
        cur.close()
    finally:
        driver.close(conn)
    time.sleep(0.1)  # KILL is asynchronous on MariaDB; let the server finish it
    return killed


def _warm_sync(db: Database, n: int) -> None:
    conns = [db.pool.acquire() for _ in range(n)]
    for c in conns:
        db.pool.release(c)
    assert db.pool.stats().idle == n


def test_default_settings_survive_a_kill_of_every_connection(server_url: URL) -> None:
    db = Database(server_url, pool_size=4, max_overflow=0)  # otherwise the defaults
    try:
        db.execute("SELECT 1")
        _warm_sync(db, 4)
        assert kill_all(server_url) >= 4
        time.sleep(SETTLE)

        def call(_: int) -> str | None:
            try:
                db.execute("SELECT 1")
            except TypedORMError as e:
                return type(e).__name__
            return None

        with ThreadPoolExecutor(4) as ex:
            failures = [r for r in ex.map(call, range(40)) if r is not None]
        assert failures == []
        assert db.pool.stats().pings_total >= 1
    finally:
        db.close()


def test_a_lost_connection_invalidates_the_older_idle_ones(server_url: URL) -> None:
    # No ping at all (a killed connection would be pinged even within the window, its socket
    # being readable): only invalidation can save the calls after the first.
    db = Database(server_url, pool_size=4, max_overflow=0, pool_pre_ping=False)
    try:
        db.execute("SELECT 1")
        _warm_sync(db, 4)
        kill_all(server_url)
        with pytest.raises(ConnectionLost):
            db.execute("SELECT 1")
        for _ in range(8):
            assert db.execute("SELECT 1").rows[0][0] == 1
        stats = db.pool.stats()
        assert stats.invalidations_total >= 1
        assert stats.pings_total == 0
    finally:
        db.close()


def test_ping_is_skipped_within_the_window(server_url: URL) -> None:
    db = Database(server_url, pool_size=1, max_overflow=0)
    try:
        db.execute("SELECT 1")
        before = db.pool.stats().pings_total
        for _ in range(20):  # back to back: each checkout is within the window of the last
            db.execute("SELECT 1")
        assert db.pool.stats().pings_total == before
        time.sleep(SETTLE)
        db.execute("SELECT 1")
        assert db.pool.stats().pings_total == before + 1
    finally:
        db.close()


def _async_url(url: URL) -> URL:
    if url.driver == "pymysql":
        pytest.skip("the async MySQL driver runs under the 'mysql' parameter")
    return url


async def _warm_async(db: AsyncDatabase, n: int) -> None:
    conns = [await db.pool.acquire() for _ in range(n)]
    for c in conns:
        await db.pool.release(c)
    assert db.pool.stats().idle == n


def test_async_default_settings_survive_a_kill_of_every_connection(server_url: URL) -> None:
    url = _async_url(server_url)

    async def main() -> list[str]:
        async with AsyncDatabase(url, pool_size=4, max_overflow=0) as db:
            await db.execute("SELECT 1")
            await _warm_async(db, 4)
            assert await asyncio.to_thread(kill_all, url) >= 4
            await asyncio.sleep(SETTLE)

            async def call() -> str | None:
                try:
                    await db.execute("SELECT 1")
                except TypedORMError as e:
                    return type(e).__name__
                return None

            results: list[Any] = await asyncio.gather(*(call() for _ in range(40)))
            assert db.pool.stats().pings_total >= 1
            return [r for r in results if r is not None]

    assert asyncio.run(main()) == []


def test_async_lost_connection_invalidates_and_window_skips_pings(server_url: URL) -> None:
    url = _async_url(server_url)

    async def main() -> None:
        async with AsyncDatabase(url, pool_size=4, max_overflow=0, pool_pre_ping=False) as db:
            await db.execute("SELECT 1")
            await _warm_async(db, 4)
            await asyncio.to_thread(kill_all, url)
            with pytest.raises(ConnectionLost):
                await db.execute("SELECT 1")
            for _ in range(8):
                assert (await db.execute("SELECT 1")).rows[0][0] == 1
            assert db.pool.stats().invalidations_total >= 1
            assert db.pool.stats().pings_total == 0
        async with AsyncDatabase(url, pool_size=1, max_overflow=0) as db:
            await db.execute("SELECT 1")
            before = db.pool.stats().pings_total
            for _ in range(20):
                await db.execute("SELECT 1")
            assert db.pool.stats().pings_total == before
            await asyncio.sleep(SETTLE)
            await db.execute("SELECT 1")
            assert db.pool.stats().pings_total == before + 1

    asyncio.run(main())


def test_a_dead_connection_logs_one_warning_line_and_its_traceback_only_at_debug(
    server_url: URL, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(server_url, pool_size=2, max_overflow=0)
    try:
        conn = db.pool.acquire()
        db.driver.control(conn, "BEGIN")  # left open: the pool rolls it back on release
        kill_all(server_url)
        with caplog.at_level(logging.DEBUG, logger="typedorm"):
            db.pool.release(conn)  # the rollback fails on the dead connection: it is closed
            with pytest.raises(ConnectionLost), db.transaction():
                db.execute("SELECT 1")
                kill_all(server_url)
                db.execute("SELECT 1")
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert warnings[0].exc_info is None and "\n" not in warnings[0].getMessage()
        assert "resetting a pooled connection failed" in warnings[0].getMessage()
        assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)  # the traceback
        assert db.execute("SELECT 1").rows[0][0] == 1
    finally:
        db.close()
