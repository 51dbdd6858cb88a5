"""A plain read that loses its connection before any result reached the caller, outside a
transaction, runs once more on a fresh connection; nothing else is re-run. Real servers: the
shared ones (killing only this test's own connections) and private ones (restarted).

What counts as a plain read: a statement of the statement API (``db.run`` / ``db.stream``, which
the repository uses) whose compiled SQL is a SELECT without FOR UPDATE/SHARE or INTO, outside
``transaction()``; a stream only until its first batch. Raw ``db.execute`` is never re-run.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from _private_servers import PrivateMariaDB, PrivatePostgres
from models import User
from test_pool_survival import _warm_async, _warm_sync, kill_all

from typedorm import AsyncDatabase, AsyncRepository, Database, Repository
from typedorm.engine.url import URL
from typedorm.errors import ConnectionLost, TypedORMError

N = 40


def _user(i: int) -> User:
    return User(name=f"u{i}", email=f"u{i}@example.com", age=20 + i)  # type: ignore[arg-type]


def _fresh(url: URL, **options: Any) -> tuple[Database, Repository[User]]:
    db = Database(url, pool_size=4, max_overflow=0, **options)
    db.drop_all(User)
    db.create_all(User)
    users = Repository(User, db)
    users.insert_many([_user(i) for i in range(5)])
    return db, users


def _reads(users: Repository[User]) -> list[Any]:
    """One call of each kind of plain read the repository makes."""
    return [
        lambda: users.all(),
        lambda: users.get(1),
        lambda: users.count(),
        lambda: users.filter(User.age >= 21).first(),
        lambda: list(users.iterate(batch_size=2)),
    ]


def _failures(calls: list[Any], n: int = N) -> list[str]:
    def call(i: int) -> str | None:
        try:
            calls[i % len(calls)]()
        except TypedORMError as e:
            return type(e).__name__
        return None

    with ThreadPoolExecutor(4) as ex:
        return [r for r in ex.map(call, range(n)) if r is not None]


async def _async_failures(calls: list[Any], n: int = N) -> list[str]:
    async def call(i: int) -> str | None:
        try:
            await calls[i % len(calls)]()
        except TypedORMError as e:
            return type(e).__name__
        return None

    return [r for r in await asyncio.gather(*(call(i) for i in range(n))) if r is not None]


@pytest.mark.parametrize("pre_ping", [None, False], ids=["defaults", "no-ping"])
def test_plain_reads_survive_a_kill_of_every_connection(server_url: URL, pre_ping: bool | None) -> None:
    # "no-ping": no pre-ping at all, so only the retry saves the first reads.
    db, users = _fresh(server_url, pool_pre_ping=pre_ping)
    try:
        _warm_sync(db, 4)
        assert kill_all(server_url) >= 4
        assert _failures(_reads(users)) == []  # at once: within the ping window of the warm-up
        assert users.count() == 5
        assert db.pool.stats().invalidations_total >= 1
    finally:
        db.drop_all(User)
        db.close()


def test_a_write_or_raw_sql_outside_a_transaction_is_not_retried(server_url: URL) -> None:
    db, users = _fresh(server_url, pool_pre_ping=False)  # else the pool would find the dead ones
    try:
        for write in (
            lambda: users.insert(_user(100)),
            lambda: db.execute(
                "INSERT INTO users (name, email, age, n) VALUES (?, ?, ?, ?)",
                ("u100", "u100@example.com", 1, 0),
            ),
            lambda: users.filter(User.id == 1).update(User.n.set(7)),
        ):
            _warm_sync(db, 4)
            kill_all(server_url)
            with pytest.raises(ConnectionLost):
                write()
        # Never run twice, nor at all here: the connection it ran on was already dead.
        assert users.filter(User.name == "u100").count() == 0
        assert users.get(1).n == 0  # type: ignore[union-attr]
        _warm_sync(db, 4)
        kill_all(server_url)
        with pytest.raises(ConnectionLost):
            db.execute("SELECT 1")  # raw SQL: not known to be a read, not re-run
        _warm_sync(db, 4)
        kill_all(server_url)
        with db.transaction():  # a BEGIN that lost its connection ran nothing: it runs once more
            users.insert(_user(101))
        assert users.filter(User.name == "u101").count() == 1
        with pytest.raises(ConnectionLost), db.transaction():
            users.count()
            kill_all(server_url)
            users.all()  # inside a transaction: a read is not re-run either
    finally:
        db.drop_all(User)
        db.close()


def test_async_plain_reads_survive_a_kill_of_every_connection(server_url: URL) -> None:
    if server_url.driver == "pymysql":
        pytest.skip("the async MySQL driver runs under the 'mysql' parameter")
    _fresh(server_url)[0].close()

    async def main() -> list[str]:
        async with AsyncDatabase(server_url, pool_size=4, max_overflow=0, pool_pre_ping=False) as db:
            users = AsyncRepository(User, db)

            async def stream() -> list[User]:
                return [u async for u in users.iterate(batch_size=2)]

            calls = [users.all, lambda: users.get(1), users.count, stream]
            await _warm_async(db, 4)
            await asyncio.to_thread(kill_all, server_url)
            failures = await _async_failures(calls)
            with pytest.raises(ConnectionLost):  # a write is not re-run
                await _warm_async(db, 4)
                await asyncio.to_thread(kill_all, server_url)
                await users.insert(_user(100))
            assert await users.count() == 5
            return failures

    try:
        assert asyncio.run(main()) == []
    finally:
        with Database(server_url) as db:
            db.drop_all(User)


def test_writes_right_after_a_kill_find_live_connections(server_url: URL) -> None:
    # Default settings, a kill within the ping window of the last use: the pool sees the server's
    # goodbye on each idle socket (no round trip) and pings, so no write meets a dead connection.
    db, users = _fresh(server_url)
    keys = itertools.count(200)
    try:
        _warm_sync(db, 4)
        assert kill_all(server_url) >= 4
        assert _failures([lambda: users.insert(_user(next(keys)))]) == []
        assert users.count() == 5 + N
        assert db.pool.stats().pings_total >= 1
    finally:
        db.drop_all(User)
        db.close()


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_a_restart_while_idle_fails_no_call_once_the_server_answers(
    kind: str, request: pytest.FixtureRequest
) -> None:
    server: PrivatePostgres | PrivateMariaDB = request.getfixturevalue(
        "private_pg" if kind == "postgresql" else "private_mariadb"
    )
    url = server.create_database("read_retry")
    db, users = _fresh(url)  # default pool settings
    try:
        _warm_sync(db, 4)
        server.restart()  # returns once the server accepts connections again
        keys = itertools.count(1000)
        writes = [lambda: users.insert(_user(next(keys)))] * 4
        assert _failures([*_reads(users), *writes]) == []
        assert server.kill_connections() >= 1
        assert _failures(_reads(users)) == []  # a kill right away: the reads are re-run
    finally:
        db.drop_all(User)
        db.close()


def test_async_restart_while_idle_fails_no_call_once_the_server_answers(private_pg: PrivatePostgres) -> None:
    url = private_pg.create_database("read_retry_async")
    _fresh(url)[0].close()

    async def main() -> list[str]:
        async with AsyncDatabase(url, pool_size=4, max_overflow=0) as db:  # default pool settings
            users = AsyncRepository(User, db)
            await _warm_async(db, 4)
            await asyncio.to_thread(private_pg.restart)
            keys = itertools.count(3000)
            calls = [users.all, lambda: users.get(1), users.count, lambda: users.insert(_user(next(keys)))]
            failures = await _async_failures(calls)
            await asyncio.to_thread(private_pg.kill_connections)
            # pg_terminate_backend only signals: let the backends end (their goodbye is what the
            # pool sees), as kill_all does; a call in that instant would be in flight at the kill.
            await asyncio.sleep(0.1)
            failures += await _async_failures(calls)
            return failures

    assert asyncio.run(main()) == []
