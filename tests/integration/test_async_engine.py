"""AsyncDatabase on every backend: raw execute, transactions and savepoints, on_commit, retries, isolation,
streaming, error mapping, stacked statements, session setup, and the async pool under load and cancellation."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from _servers import unique_name
from conftest import _server_test_url
from models import Author, Book, User

from typedorm import (
    AsyncDatabase,
    DatabaseError,
    ForeignKeyViolation,
    PoolTimeout,
    SerializationFailure,
    TransactionError,
    UniqueViolation,
)
from typedorm.engine.aio import AsyncTransaction
from typedorm.engine.core import prepare_execute
from typedorm.engine.database import _COUNT
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError, RetryableError

KINDS = ["sqlite", "postgresql", "mysql"]
Body = Callable[[AsyncDatabase], Awaitable[None]]


class Boom(Exception):
    pass


@pytest.fixture(params=KINDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if request.param == "sqlite":
        return URL.parse(f"sqlite:///{tmp_path / 'async.db'}")
    return _server_test_url(request.param)


def run(url: URL, body: Body, **options: Any) -> None:
    """Run ``body(db)`` on a fresh event loop; afterwards no connection may be checked out."""

    async def main() -> None:
        db = AsyncDatabase(url, **options)
        try:
            await body(db)
            assert db.pool.stats().checked_out == 0, db.pool.stats()
        finally:
            await db.close()

    asyncio.run(main())


_AUTO_PK = {
    "sqlite": "INTEGER PRIMARY KEY",
    "postgresql": "BIGSERIAL PRIMARY KEY",
    "mysql": "BIGINT AUTO_INCREMENT PRIMARY KEY",
}


async def table(db: AsyncDatabase) -> str:
    name = unique_name("td_async")
    await db.execute(
        f"CREATE TABLE {name} (id {_AUTO_PK[db.dialect.name]}, name VARCHAR(100) NOT NULL UNIQUE, "
        "n INTEGER NOT NULL DEFAULT 0)"
    )
    return name


async def insert(db: AsyncDatabase, t: str, name: str, n: int = 0) -> None:
    await db.execute(f"INSERT INTO {t} (name, n) VALUES (?, ?)", (name, n))


async def names(db: AsyncDatabase, t: str) -> list[str]:
    return [r[0] for r in (await db.execute(f"SELECT name FROM {t} ORDER BY name")).rows]


async def count(db: AsyncDatabase, t: str) -> int:
    return int((await db.execute(f"SELECT COUNT(*) FROM {t}")).scalar())


# --- raw statements -------------------------------------------------------------------------------


def test_execute_with_portable_placeholders(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        r = await db.execute(f"INSERT INTO {t} (name, n) VALUES (?, ?)", ("a'1", 1))
        assert r.rowcount == 1
        await db.execute(f"INSERT INTO {t} (name, n) VALUES (:name, :n)", {"name": "b%", "n": 2})
        r = await db.execute(f"SELECT name, n FROM {t} WHERE n >= ? ORDER BY n", (1,))
        assert r.rows == [("a'1", 1), ("b%", 2)]
        assert r.columns == ("name", "n")
        assert r.mappings() == [{"name": "a'1", "n": 1}, {"name": "b%", "n": 2}]
        assert r.first() == ("a'1", 1) and len(r) == 2
        # a literal % and a quoted ? stay as written
        assert (
            await db.execute(f"SELECT COUNT(*) FROM {t} WHERE name LIKE 'b%' AND name <> '?'")
        ).scalar() == 1
        r = await db.execute(f"UPDATE {t} SET n = n + :d WHERE n >= :lo", {"d": 10, "lo": 0})
        assert r.rowcount == 2 and r.rows == []
        assert (await db.execute(f"SELECT SUM(n) FROM {t}")).scalar() == 23
        with pytest.raises(TypeError):
            await db.execute("SELECT ?", ())
        with pytest.raises(TypeError):
            await db.execute("SELECT :x", {})
        with pytest.raises(TypeError):
            await db.execute("SELECT 1", "not params")
        with pytest.raises(TypeError):
            await db.execute(b"SELECT 1")  # type: ignore[arg-type]

    run(url, body)


def test_stacked_statements_never_run(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        for sql, params in [
            (f"SELECT 1; DROP TABLE {t}", None),
            (f"SELECT ?; DROP TABLE {t}", (1,)),
            (f"INSERT INTO {t} (name) VALUES ('x'); DROP TABLE {t}", None),
            (f"INSERT INTO {t} (name) VALUES (?); DELETE FROM {t}", ("y",)),
        ]:
            with pytest.raises(DatabaseError):
                await db.execute(sql, params)
        assert await count(db, t) == 0  # the table is still there, and nothing was inserted

    run(url, body)


def test_run_many_and_modes(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        sql, _ = prepare_execute(f"INSERT INTO {t} (name, n) VALUES (?, ?)", (0, 0), db.dialect.paramstyle)
        assert await db._run_many(sql, [(f"r{i}", i) for i in range(30)]) == 30
        assert not db.in_transaction()  # _run_many opened and closed a transaction of its own
        sel, _ = prepare_execute(f"SELECT name FROM {t} WHERE n = ?", (0,), db.dialect.paramstyle)
        assert await db._run(sel, [7], 1) == ("r7",)
        assert await db._run(sel, [99], 1) is None
        assert await count(db, t) == 30

    run(url, body)


# --- transactions ---------------------------------------------------------------------------------


def test_commit_and_rollback(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        async with AsyncDatabase(db.url) as other:
            async with db.transaction() as tx:
                assert isinstance(tx, AsyncTransaction) and db.in_transaction()
                await insert(db, t, "A")
                await insert(db, t, "B")
                assert await count(db, t) == 2  # visible inside
                assert await names(other, t) == []  # not yet outside
            assert not db.in_transaction()
            assert await names(other, t) == ["A", "B"]
            with pytest.raises(Boom):
                async with db.transaction():
                    await insert(db, t, "C")
                    raise Boom
            with pytest.raises(UniqueViolation):
                async with db.transaction():
                    await insert(db, t, "D")
                    await insert(db, t, "A")
            assert await names(other, t) == ["A", "B"]
            await insert(db, t, "E")  # the connections are usable afterwards
            assert await names(other, t) == ["A", "B", "E"]
            assert other.pool.stats().checked_out == 0

    run(url, body)


def test_savepoint_matrix(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        # an inner rollback keeps the outer work
        async with db.transaction():
            await insert(db, t, "outer1")
            with pytest.raises(Boom):
                async with db.transaction():
                    await insert(db, t, "inner")
                    assert await count(db, t) == 2
                    raise Boom
            await insert(db, t, "outer2")
        assert await names(db, t) == ["outer1", "outer2"]
        # an outer rollback discards a released inner block
        with pytest.raises(Boom):
            async with db.transaction():
                await insert(db, t, "x-outer")
                async with db.transaction():
                    await insert(db, t, "x-inner")
                raise Boom
        # an exception in the inner block that propagates rolls everything back
        with pytest.raises(Boom):
            async with db.transaction():
                await insert(db, t, "y-outer")
                async with db.transaction():
                    await insert(db, t, "y-inner")
                    raise Boom
        assert await names(db, t) == ["outer1", "outer2"]
        # three levels, the innermost rolled back
        async with db.transaction():
            await insert(db, t, "L1")
            async with db.transaction():
                await insert(db, t, "L2")
                with pytest.raises(Boom):
                    async with db.transaction():
                        await insert(db, t, "L3")
                        raise Boom
                await insert(db, t, "L2b")
        # a database error inside a savepoint, then the outer block goes on (PostgreSQL aborts
        # the transaction until the savepoint is rolled back)
        async with db.transaction():
            await insert(db, t, "M1")
            with pytest.raises(UniqueViolation):
                async with db.transaction():
                    await insert(db, t, "M2")
                    await insert(db, t, "M1")
            await insert(db, t, "M3")
        assert await names(db, t) == ["L1", "L2", "L2b", "M1", "M3", "outer1", "outer2"]
        # one transaction object cannot be entered twice
        tx = db.transaction()
        async with tx:
            with pytest.raises(TransactionError):
                async with tx:
                    pass
        with pytest.raises(TransactionError):
            async with db.transaction():
                async with db.transaction(isolation="serializable"):
                    pass

    run(url, body)


def test_on_commit(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        seen: list[tuple[str, list[str]]] = []
        async with AsyncDatabase(db.url) as other:

            def cb(tag: str) -> Callable[[], None]:
                return lambda: seen.append((tag, []))

            async def acb() -> None:
                seen.append(("async", await names(other, t)))  # what another connection sees then

            async with db.transaction():
                await insert(db, t, "A")
                db.on_commit(cb("outer"))
                db.on_commit(acb)
                async with db.transaction():
                    await insert(db, t, "B")
                    db.on_commit(cb("inner"))
                assert seen == []  # releasing a savepoint runs nothing
            assert seen == [("outer", []), ("async", ["A", "B"]), ("inner", [])]
        seen.clear()
        with pytest.raises(Boom):
            async with db.transaction():
                db.on_commit(cb("dropped"))
                raise Boom
        async with db.transaction():
            db.on_commit(cb("kept"))
            with pytest.raises(Boom):
                async with db.transaction():
                    db.on_commit(cb("rolled back savepoint"))
                    raise Boom
        assert [s[0] for s in seen] == ["kept"]
        db.on_commit(cb("now"))  # outside a transaction: at once
        assert [s[0] for s in seen] == ["kept", "now"]
        with pytest.raises(TransactionError):
            db.on_commit(acb)

    run(url, body)


def test_decorator_and_run_in_transaction(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)

        @db.transaction()
        async def add(name: str, fail: bool = False) -> str:
            await insert(db, t, name)
            assert db.in_transaction()
            if fail:
                raise Boom
            return name

        assert await add("a") == "a"
        with pytest.raises(Boom):
            await add("b", fail=True)
        assert await names(db, t) == ["a"]

        calls = collections.Counter[str]()

        async def flaky() -> int:
            calls["flaky"] += 1
            await insert(db, t, f"f{calls['flaky']}")
            if calls["flaky"] < 3:
                raise SerializationFailure("simulated", sqlstate="40001")
            return calls["flaky"]

        assert await db.run_in_transaction(flaky, retry=3) == 3
        assert await names(db, t) == ["a", "f3"]  # the failed attempts were rolled back

        async def always() -> None:
            calls["always"] += 1
            raise SerializationFailure("simulated")

        with pytest.raises(SerializationFailure):
            await db.run_in_transaction(always, retry=2)
        assert calls["always"] == 3

        async def other_error() -> None:
            calls["other"] += 1
            raise Boom

        with pytest.raises(Boom):
            await db.run_in_transaction(other_error, retry=5)
        assert calls["other"] == 1  # only serialization failures and deadlocks are retried
        with pytest.raises(ValueError):
            db.transaction(retry=-1)
        with pytest.raises(ValueError):
            db.transaction(isolation="chaos")  # type: ignore[arg-type]

    run(url, body)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_retry_on_real_serialization_failure(kind: str) -> None:
    url = _server_test_url(kind)

    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        await insert(db, t, "counter", 0)
        attempts = collections.Counter[str]()
        both_read = asyncio.Barrier(2)

        @db.transaction(isolation="serializable", retry=5)
        async def bump(who: str) -> None:
            attempts[who] += 1
            v = (await db.execute(f"SELECT n FROM {t} WHERE name = 'counter'")).scalar()
            if attempts[who] == 1:
                await asyncio.wait_for(both_read.wait(), 10)  # both read before either writes
            await db.execute(f"UPDATE {t} SET n = ? WHERE name = 'counter'", (v + 1,))

        await asyncio.gather(bump("a"), bump("b"))
        # PostgreSQL: "could not serialize access" (40001); MariaDB: a deadlock between the two
        # shared locks of serializable reads. Either way one attempt was re-run, and no update lost.
        assert (await db.execute(f"SELECT n FROM {t} WHERE name = 'counter'")).scalar() == 2
        assert sum(attempts.values()) == 3

    run(url, body)


def test_isolation_levels(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        for level in ("read committed", "repeatable read", "serializable"):
            async with db.transaction(isolation=level):
                await insert(db, t, level)
                if db.dialect.name == "postgresql":
                    assert (await db.execute("SHOW transaction_isolation")).scalar() == level
        assert len(await names(db, t)) == 3

    run(url, body)


# --- per-task transactions ------------------------------------------------------------------------


def test_each_task_has_its_own_transaction(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def holder() -> None:
            async with db.transaction():
                await insert(db, t, "held")
                entered.set()
                await leave.wait()

        h = asyncio.create_task(holder())
        await entered.wait()
        assert not db.in_transaction()  # the holder's transaction is not this task's
        assert await count(db, t) == 0  # autocommit, on another connection
        leave.set()
        await h
        assert await count(db, t) == 1

        async with db.transaction():
            await insert(db, t, "parent")

            async def child_statement() -> Any:
                return await db.execute("SELECT 1")

            async def child_own_transaction() -> tuple[bool, int]:
                async with db.transaction(mode="deferred"):  # SQLite: a reader, beside the writer
                    return db.in_transaction(), await count(db, t)

            with pytest.raises(TransactionError, match="another task's transaction"):
                await asyncio.create_task(child_statement())
            # a child may open its own transaction: it sees only what is committed
            assert await asyncio.create_task(child_own_transaction()) == (True, 1)
        assert await count(db, t) == 2

    run(url, body)


# --- streaming ------------------------------------------------------------------------------------


def test_stream_in_batches(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        sql, _ = prepare_execute(f"INSERT INTO {t} (name, n) VALUES (?, ?)", (0, 0), db.dialect.paramstyle)
        await db._run_many(sql, [(f"r{i:03d}", i) for i in range(250)])
        sel, _ = prepare_execute(f"SELECT n FROM {t} WHERE n >= ? ORDER BY n", (0,), db.dialect.paramstyle)

        sizes = [len(b) async for b in db._stream(sel, [0], 100)]
        assert sizes == [100, 100, 50]
        assert db.pool.stats().checked_out == 0 and not db.in_transaction()

        async with db.transaction():
            seen = [r[0] for b in [b async for b in db._stream(sel, [200], 20)] for r in b]
            assert seen == list(range(200, 250))
            assert db.in_transaction()

        # leaving early returns the connection (and, on PostgreSQL, ends the stream's transaction)
        async with contextlib.aclosing(db._stream(sel, [0], 10)) as it:
            async for batch in it:
                assert [r[0] for r in batch] == list(range(10))
                break
        assert db.pool.stats().checked_out == 0
        assert await count(db, t) == 250

        with pytest.raises(DatabaseError):
            async for _ in db._stream(f"SELECT * FROM {t}_missing", [], 10):
                pass
        assert db.pool.stats().checked_out == 0

    run(url, body)


# --- errors ---------------------------------------------------------------------------------------


def test_unique_violation_names_the_field(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        await db.drop_all(User)
        await db.create_all(User)
        await db.create_all(User)  # idempotent
        try:
            sql, _ = prepare_execute(
                "INSERT INTO users (name, email, age, n) VALUES (?, ?, ?, ?)",
                (0, 0, 0, 0),
                db.dialect.paramstyle,
            )
            await db._run(sql, ["Ann", "ann@example.com", 30, 0], _COUNT, User.__table__)
            with pytest.raises(UniqueViolation) as info:
                await db._run(sql, ["Bob", "ann@example.com", 40, 0], _COUNT, User.__table__)
            assert info.value.fields == ("email",)
            assert info.value.model == "User"
            assert "User.email" in str(info.value)
            with pytest.raises(UniqueViolation):
                async with db.transaction():
                    await db._run(sql, ["Cid", "cid@example.com", 1, 0], _COUNT, User.__table__)
                    await db._run(sql, ["Dee", "ann@example.com", 1, 0], _COUNT, User.__table__)
            assert (await db.execute("SELECT COUNT(*) FROM users")).scalar() == 1
        finally:
            await db.drop_all(User)
        with pytest.raises(DatabaseError):
            await db.execute("SELECT COUNT(*) FROM users")  # dropped

    run(url, body)


def test_foreign_key_violation_names_the_field(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        await db.create_all(Author, Book)
        try:
            sql, _ = prepare_execute(
                "INSERT INTO books (title, author_id) VALUES (?, ?)", (0, 0), db.dialect.paramstyle
            )
            with pytest.raises(ForeignKeyViolation) as info:
                await db._run(sql, ["Orphan", 12345], _COUNT, Book.__table__)
            assert info.value.fields == ("author_id",) and info.value.model == "Book"
        finally:
            await db.drop_all(Author, Book)

    run(url, body)


def test_timeout_inside_a_transaction_rolls_back(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                async with db.transaction():
                    await insert(db, t, "late")
                    await asyncio.sleep(5)
        assert not db.in_transaction()
        assert await count(db, t) == 0

    run(url, body)


def test_count_queries_and_create_tables(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        await db.create_tables([User])
        try:
            with db.count_queries() as q:
                async with db.transaction():
                    await db.execute("SELECT COUNT(*) FROM users")
                    await db.execute("SELECT COUNT(*) FROM users")
            assert q.count == 2  # BEGIN and COMMIT are not counted
        finally:
            await db.drop_tables([User])

    run(url, body)


# --- session setup --------------------------------------------------------------------------------


def test_session_setup_matches_the_sync_drivers(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        kind = db.dialect.name
        if kind == "sqlite":
            assert (await db.execute("PRAGMA journal_mode")).scalar() == "wal"
            assert (await db.execute("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert (await db.execute("PRAGMA foreign_keys")).scalar() == 1
            assert (await db.execute("PRAGMA busy_timeout")).scalar() == 5000
        elif kind == "mysql":
            tz, mode, charset = (
                await db.execute(
                    "SELECT @@session.time_zone, @@session.sql_mode, @@session.character_set_client"
                )
            ).rows[0]
            assert tz == "+00:00"
            assert "STRICT_ALL_TABLES" in mode and "NO_ZERO_DATE" in mode
            assert charset == "utf8mb4"
            t = await table(db)
            await insert(db, t, "same", 1)
            # CLIENT_FOUND_ROWS: an UPDATE counts the rows it matched, as on PostgreSQL and SQLite
            assert (await db.execute(f"UPDATE {t} SET n = 1 WHERE name = 'same'")).rowcount == 1
            version = str((await db.execute("SELECT VERSION()")).scalar())
            assert getattr(db.dialect, "server_version", None) == version
        # autocommit: nothing is left open on the connection after a statement
        async with db.pool.connection() as conn:
            assert not db.driver.in_transaction(conn)
            assert await db.driver.ping(conn)

    run(url, body)


def test_lifecycle_and_from_env(url: URL, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        async with AsyncDatabase(url) as db:
            assert (await db.execute("SELECT 1")).scalar() == 1
            assert db.pool.stats().idle == 1
        assert db.pool.stats().idle == 0  # closed on exit
        monkeypatch.setenv("TYPEDORM_ASYNC_TEST_URL", url.render(hide_password=False))
        db2 = AsyncDatabase.from_env("TYPEDORM_ASYNC_TEST_URL", pool_size=2)
        try:
            assert repr(db2).startswith("AsyncDatabase(")
            assert (await db2.execute("SELECT 2")).scalar() == 2
        finally:
            await db2.close()
        with pytest.raises(ConfigurationError):
            AsyncDatabase.from_env("TYPEDORM_ASYNC_TEST_UNSET")

    asyncio.run(main())


# --- the pool -------------------------------------------------------------------------------------


def test_pool_timeout_on_time(url: URL) -> None:
    _pool_timeout_on_time(url)


def test_static_pool_timeout_on_time() -> None:
    # sqlite:///:memory: is one connection that tasks take turns on
    _pool_timeout_on_time(URL.parse("sqlite:///:memory:"))


def _pool_timeout_on_time(target: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def holder() -> None:
            async with db.transaction():
                entered.set()
                await leave.wait()

        h = asyncio.create_task(holder())
        await entered.wait()
        t0 = time.monotonic()
        with pytest.raises(PoolTimeout):
            await db.execute("SELECT 1")
        assert abs(time.monotonic() - t0 - 0.3) < 0.1
        leave.set()
        await h
        assert (await db.execute("SELECT 1")).scalar() == 1
        assert db.pool.stats().timeouts_total == 1

    run(target, body, pool_size=1, max_overflow=0, pool_timeout=0.3)


def test_100_tasks_x_50_inserts(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)

        async def worker(w: int) -> None:
            for i in range(50):
                await insert(db, t, f"w{w:03d}-{i:02d}", w)

        await asyncio.gather(*(worker(w) for w in range(100)))
        assert await count(db, t) == 5_000
        assert (await db.execute(f"SELECT COUNT(DISTINCT n) FROM {t}")).scalar() == 100
        s = db.pool.stats()
        # 100 tasks on 15 connections at most, each opened once: they queued for them
        assert s.checked_out == 0 and s.waits_total > 0 and s.created_total <= 15 and s.idle == 5
        assert s.created_total - s.closed_total == s.idle

    run(url, body)


def test_concurrent_write_transactions(url: URL) -> None:
    # SQLite: BEGIN IMMEDIATE makes writers queue on the lock instead of failing "database is locked".
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)

        async def worker(w: int) -> None:
            async with db.transaction():
                for i in range(20):
                    await insert(db, t, f"w{w}-{i}", w)

        await asyncio.gather(*(worker(w) for w in range(10)))
        assert await count(db, t) == 200

    run(url, body)


def test_cancelling_20_tasks_mid_transaction(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        inside = 0
        all_inside = asyncio.Event()

        async def worker(w: int) -> None:
            nonlocal inside
            async with db.transaction():
                for i in range(5):
                    await insert(db, t, f"w{w}-{i}", w)
                inside += 1
                if inside == 20:
                    all_inside.set()
                await asyncio.sleep(60)  # cancelled here, mid-transaction
                await insert(db, t, f"w{w}-never", w)

        tasks = [asyncio.create_task(worker(w)) for w in range(20)]
        # SQLite serialises write transactions: then only some are inside, the rest wait on the lock
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_inside.wait(), 2 if db.dialect.name == "sqlite" else 20)
        assert inside >= 1
        if db.dialect.name != "sqlite":
            assert inside == 20
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results
        assert db.pool.stats().checked_out == 0
        assert await count(db, t) == 0  # no partial rows
        async with db.transaction():  # the pooled connections are clean and usable
            await insert(db, t, "after")
        assert await names(db, t) == ["after"]

    run(url, body, pool_size=20, max_overflow=0)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_cancelling_20_tasks_mid_statement(kind: str) -> None:
    url = _server_test_url(kind)
    sleep = "SELECT pg_sleep(5)" if kind == "postgresql" else "SELECT SLEEP(5)"

    async def body(db: AsyncDatabase) -> None:
        t = await table(db)
        started = 0

        async def worker(w: int) -> None:
            nonlocal started
            async with db.transaction():
                await insert(db, t, f"w{w}", w)
                started += 1
                await db.execute(sleep)  # cancelled while the server runs this

        tasks = [asyncio.create_task(worker(w)) for w in range(20)]
        deadline = time.monotonic() + 10
        while started < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # let the statements reach the server
        t0 = time.monotonic()
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert time.monotonic() - t0 < 3, "cancellation waited for the statements"
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results
        assert db.pool.stats().checked_out == 0
        assert await count(db, t) == 0
        # nothing runs on in the server: psycopg cancels the query, asyncmy's connection is killed
        if kind == "postgresql":
            running = "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND query = ?"
        else:
            running = "SELECT COUNT(*) FROM information_schema.processlist WHERE info = ?"
        assert (await db.execute(running, (sleep,))).scalar() == 0
        # psycopg's connections are rolled back and reused; asyncmy's, cut mid-reply, are replaced
        s = db.pool.stats()
        if kind == "postgresql":
            assert s.created_total == 20 and s.closed_total == 0, s
        else:
            assert s.closed_total == 20, s
        async with db.transaction():
            await insert(db, t, "after")
        assert await names(db, t) == ["after"]

    run(url, body, pool_size=20, max_overflow=0)


def test_cancelled_while_waiting_for_a_connection(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def holder() -> None:
            async with db.transaction():
                entered.set()
                await leave.wait()

        h = asyncio.create_task(holder())
        await entered.wait()
        waiters = [asyncio.create_task(db.execute("SELECT 1")) for _ in range(10)]
        await asyncio.sleep(0.05)
        for w in waiters:
            w.cancel()
        assert all(
            isinstance(r, asyncio.CancelledError)
            for r in await asyncio.gather(*waiters, return_exceptions=True)
        )
        leave.set()
        await h
        t0 = time.monotonic()
        assert (await db.execute("SELECT 1")).scalar() == 1
        assert time.monotonic() - t0 < 0.5

    run(url, body, pool_size=1, max_overflow=0, pool_timeout=5)


def test_retryable_errors_are_typed() -> None:
    assert issubclass(SerializationFailure, RetryableError)
