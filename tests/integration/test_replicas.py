"""Read replicas on real clusters of the session's own (``_replica_servers``): routing, overrides,
pinning, read-your-writes under injected lag, a replica stopped and started, and the standby
promoted under load with a multi-host URL. PostgreSQL hot standby, and MariaDB GTID replication.

Which server answered is proven by the server itself (``pg_is_in_recovery()``,
``inet_server_port()``, ``@@server_id``) or by a stale value only the lagging replica can hold.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from _replica_servers import MariaDBPair, PgCluster, _sql

from typedorm import AUTO, PK, AsyncDatabase, AsyncRepository, Col, Database, Model, Repository, column
from typedorm.errors import InvalidArgument, TypedORMError


class Counter_(Model, table="replica_counters"):
    id: PK[int] = column(default=AUTO)
    n: Col[int] = column(default=0)


def _other_thread(fn: Any) -> Any:
    """``fn()`` in a thread of its own (another context: none of this one's writes)."""
    out: list[Any] = []
    err: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:  # pragma: no cover - re-raised below
            err.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if err:
        raise err[0]
    return out[0]


@pytest.fixture
def cluster(pg_cluster: PgCluster) -> Iterator[PgCluster]:
    with Database(pg_cluster.primary.url) as admin:
        admin.drop_all(Counter_)
        admin.create_all(Counter_)
    pg_cluster.standby.wait_caught_up(pg_cluster.primary)
    yield pg_cluster
    pg_cluster.standby.resume_replay()


@pytest.fixture
def db(cluster: PgCluster) -> Iterator[Database]:
    database = Database(cluster.primary.url, replicas=[cluster.standby.url])
    yield database
    database.close()


def in_recovery(db: Database, **kw: Any) -> bool:
    return bool(db.execute("SELECT pg_is_in_recovery()", **kw).scalar())


def test_plain_reads_go_to_the_replica_everything_else_to_the_primary(
    cluster: PgCluster, db: Database
) -> None:
    repo = Repository(Counter_, db)
    row = repo.insert(Counter_(n=1))
    cluster.standby.wait_caught_up(cluster.primary)
    # raw SQL runs on the primary unless marked a read
    assert in_recovery(db) is False
    assert in_recovery(db, using="replica") is True
    # a compiled plain read (the statement API) goes to a replica
    assert bool(db.run("SELECT pg_is_in_recovery()", [])[0][0]) is True
    # repository reads: the replica serves them (proven by a value only the paused replica holds)
    before = db.routing
    assert before is not None
    assert repo.get(row.id) == row
    after = db.routing
    assert after is not None and after.replica_reads == before.replica_reads + 1
    cluster.standby.pause_replay()
    with Database(cluster.primary.url) as other:  # a write this context did not make
        Repository(Counter_, other).update(row.model_copy(update={"n": 2}))
    assert repo.get(row.id).n == 1  # type: ignore[union-attr]  # the replica, lagging
    assert repo.filter(Counter_.id == row.id).one().n == 1
    assert [r.n for r in repo.filter(Counter_.id == row.id).iterate(batch_size=10)] == [1]
    # overrides: per call, per repository, and a block pinned to the primary
    assert repo.using("primary").get(row.id).n == 2  # type: ignore[union-attr]
    assert Repository(Counter_, db, using="primary").filter(Counter_.id == row.id).one().n == 2
    assert [r.n for r in repo.using("primary").filter(Counter_.id == row.id).iterate(batch_size=10)] == [2]
    with db.use_primary():
        assert repo.get(row.id).n == 2  # type: ignore[union-attr]
        assert in_recovery(db, using="primary") is False
        assert in_recovery(db, using="replica") is True  # a per-call override beats the block
    assert repo.get(row.id).n == 1  # type: ignore[union-attr]  # the block ended
    # a locking read runs on the primary, even when asked for a replica (it writes WAL: lock bits)
    assert bool(db.run("SELECT pg_is_in_recovery() FROM replica_counters FOR UPDATE", [])[0][0]) is False
    assert (
        bool(db.run("SELECT pg_is_in_recovery() FROM replica_counters FOR SHARE", [], using="replica")[0][0])
        is False
    )
    # inside a transaction everything runs on its connection, the primary
    with db.transaction():
        assert in_recovery(db, using="replica") is False
        assert repo.get(row.id).n == 2  # type: ignore[union-attr]


def test_read_your_writes_under_lag(cluster: PgCluster, db: Database) -> None:
    repo = Repository(Counter_, db)
    row = repo.insert(Counter_(n=0))
    cluster.standby.wait_caught_up(cluster.primary)
    assert _other_thread(lambda: repo.get(row.id)) == row
    cluster.standby.pause_replay()
    stats0 = db.routing
    assert stats0 is not None
    for i in range(1, 6):
        with db.transaction():
            repo.update(row.model_copy(update={"n": i}))
        # this context committed: its reads see the commit although the replica lags
        with db.count_queries() as q:
            assert repo.get(row.id).n == i  # type: ignore[union-attr]
        assert q.count == 1  # the position checks are not the caller's statements
        assert repo.filter(Counter_.id == row.id).one().n == i
        # another thread wrote nothing: it may read the replica, which still has 0
        assert _other_thread(lambda: repo.get(row.id).n) == 0  # type: ignore[union-attr]
    # a raw write outside a transaction is tracked the same way
    db.execute("UPDATE replica_counters SET n = 99 WHERE id = ?", (row.id,))
    assert repo.get(row.id).n == 99  # type: ignore[union-attr]
    stats1 = db.routing
    assert stats1 is not None and stats1.primary_reads >= stats0.primary_reads + 11
    # once the replica has replayed the commit, this context reads it there again
    cluster.standby.resume_replay()
    cluster.standby.wait_caught_up(cluster.primary)
    time.sleep(0.1)  # past the position cache's refresh interval
    assert repo.get(row.id).n == 99  # type: ignore[union-attr]
    stats2 = db.routing
    assert stats2 is not None and stats2.replica_reads == stats1.replica_reads + 1
    assert stats2.replicas[0].position is not None


def test_commit_position_not_learnt_is_asked_from_the_primary(cluster: PgCluster, db: Database) -> None:
    """When the position query after a commit fails (the connection dropped right after COMMIT),
    the next read asks the primary's current position, which is past the commit."""
    from typedorm.engine.routing import _UNRESOLVED

    repo = Repository(Counter_, db)
    row = repo.insert(Counter_(n=0))
    cluster.standby.wait_caught_up(cluster.primary)
    cluster.standby.pause_replay()
    with Database(cluster.primary.url) as other:
        Repository(Counter_, other).update(row.model_copy(update={"n": 1}))
    router = db._router
    assert router is not None
    router.require(_UNRESOLVED)  # as commit_position() leaves it
    assert repo.get(row.id).n == 1  # type: ignore[union-attr]  # fresh: the primary
    assert isinstance(router.written_position(), int)  # resolved, and kept for the next reads
    assert _other_thread(lambda: repo.get(row.id).n) == 0  # type: ignore[union-attr]


def test_async_read_your_writes_per_task(cluster: PgCluster) -> None:
    async def main() -> None:
        async with AsyncDatabase(cluster.primary.url, replicas=[cluster.standby.url]) as adb:
            repo = AsyncRepository(Counter_, adb)
            row = await repo.insert(Counter_(n=0))
            await asyncio.sleep(0)
            cluster.standby.wait_caught_up(cluster.primary)
            cluster.standby.pause_replay()
            try:

                async def writer() -> int:
                    async with adb.transaction():
                        await repo.update(row.model_copy(update={"n": 7}))
                    got = await repo.get(row.id)
                    assert got is not None
                    return got.n

                async def reader() -> int:
                    got = await repo.get(row.id)
                    assert got is not None
                    return got.n

                assert await asyncio.create_task(writer()) == 7
                # a task that wrote nothing reads the lagging replica; the parent did not write
                assert await asyncio.create_task(reader()) == 0
                assert (await repo.get(row.id)).n == 0  # type: ignore[union-attr]
                assert (await repo.using("primary").get(row.id)).n == 7  # type: ignore[union-attr]
                r = await adb.execute("SELECT pg_is_in_recovery()", using="replica")
                assert r.scalar() is True
            finally:
                cluster.standby.resume_replay()

    asyncio.run(main())


def test_replica_down_reads_go_to_the_primary_and_come_back(cluster: PgCluster, db: Database) -> None:
    repo = Repository(Counter_, db)
    row = repo.insert(Counter_(n=5))
    cluster.standby.wait_caught_up(cluster.primary)
    assert in_recovery(db, using="replica") is True
    cluster.standby.stop()
    try:
        for _ in range(20):  # not one read fails: each runs on the primary
            assert in_recovery(db, using="replica") is False
            assert _other_thread(lambda: repo.get(row.id)) == row
            assert [r.n for r in repo.filter(Counter_.id == row.id).iterate(batch_size=5)] == [5]
        stats = db.routing
        assert stats is not None and stats.failovers >= 1 and stats.replicas[0].down
    finally:
        cluster.standby.start()
    deadline = time.monotonic() + 20
    while not in_recovery(db, using="replica"):  # tried again after its back-off
        assert time.monotonic() < deadline, "the replica was not used again"
        time.sleep(0.1)
    stats = db.routing
    assert stats is not None and stats.replicas[0].failures == 0 and not stats.replicas[0].down


def test_async_replica_down_and_back(cluster: PgCluster) -> None:
    async def main() -> None:
        async with AsyncDatabase(cluster.primary.url, replicas=[cluster.standby.url]) as adb:
            recovery = "SELECT pg_is_in_recovery()"
            assert (await adb.execute(recovery, using="replica")).scalar() is True
            repo = AsyncRepository(Counter_, adb)
            row = await repo.insert(Counter_(n=3))
            cluster.standby.stop()
            try:
                for _ in range(5):
                    assert (await adb.execute(recovery, using="replica")).scalar() is False
                    assert [r.n async for r in repo.filter(Counter_.id == row.id).iterate(batch_size=5)] == [
                        3
                    ]
            finally:
                cluster.standby.start()
            deadline = time.monotonic() + 20
            while not (await adb.execute(recovery, using="replica")).scalar():
                assert time.monotonic() < deadline, "the replica was not used again"
                await asyncio.sleep(0.1)

    asyncio.run(main())


def test_replica_down_at_start_is_skipped(cluster: PgCluster) -> None:
    live = cluster.standby.url.render()
    # a replica URL whose server is not there (port 1 refuses) and a working one
    with Database(cluster.primary.url, replicas=["postgresql://postgres@127.0.0.1:1/postgres", live]) as db:
        for _ in range(6):
            assert in_recovery(db, using="replica") is True
        stats = db.routing
        assert stats is not None
        assert stats.replicas[0].failures >= 1 and stats.replicas[1].reads == 6


def test_bad_arguments(cluster: PgCluster) -> None:
    with pytest.raises(InvalidArgument, match="using"):
        with Database(cluster.primary.url, replicas=[cluster.standby.url]) as db:
            db.execute("SELECT 1", using="standby")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="replica_strategy"):
        Database(cluster.primary.url, replicas=[cluster.standby.url], replica_strategy="random")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="replicas"):
        Database(cluster.primary.url, replicas="postgresql://x/y")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="replica"):
        Database(cluster.primary.url, replicas=["sqlite:///:memory:"])
    with Database(cluster.primary.url) as plain:
        assert plain.routing is None
        with plain.use_primary():  # no replicas: nothing to pin, nothing fails
            assert plain.execute("SELECT 1", using="replica").scalar() == 1


def test_promotion_under_load_with_a_multi_host_url() -> None:
    """The standby is promoted while threads write and read; the multi-host URL finds it."""
    cluster = PgCluster()
    try:
        url = cluster.multi_host_url(target_session_attrs="read-write", connect_timeout="2")
        with Database(cluster.primary.url) as admin:
            admin.create_all(Counter_)
        cluster.standby.wait_caught_up(cluster.primary)
        db = Database(url, replicas=[cluster.standby.url])
        repo = Repository(Counter_, db)
        row = repo.insert(Counter_(n=0))
        stop = threading.Event()
        marks: dict[str, float] = {}
        calls: list[tuple[float, float, str | None]] = []  # start, end, error class
        lock = threading.Lock()

        def work() -> None:
            while not stop.is_set():
                t0 = time.monotonic()
                err: str | None = None
                try:
                    with db.transaction():
                        db.execute("UPDATE replica_counters SET n = n + 1 WHERE id = ?", (row.id,))
                    repo.get(row.id)
                except TypedORMError as e:
                    err = type(e).__name__
                with lock:
                    calls.append((t0, time.monotonic(), err))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        marks["stop"] = time.monotonic()
        cluster.primary.stop("fast")  # the walsender ships all WAL to the standby before exiting
        marks["down"] = time.monotonic()
        cluster.standby.promote()
        marks["promoted"] = time.monotonic()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(30)
        after = [c for c in calls if c[0] >= marks["promoted"]]
        failed = Counter(c[2] for c in calls if c[2] is not None)
        assert after and all(c[2] is None for c in after), f"calls after the promotion failed: {failed}"
        # only what was in flight when the primary went failed: later calls waited for the new one
        assert all(c[0] < marks["down"] for c in calls if c[2] is not None), failed
        # (a COMMIT in flight at that moment: CommitOutcomeUnknown, a ConnectionLost whose outcome
        # no server could tell: the old primary is gone)
        assert set(failed) <= {"ConnectionLost", "CommitOutcomeUnknown", "DatabaseError"}
        port = db.execute("SELECT inet_server_port()").scalar()
        assert port == cluster.standby.port  # writes go to the promoted standby
        db.close()
    finally:
        cluster.destroy()


# --- MariaDB: GTIDs ---------------------------------------------------------------------


@pytest.fixture
def maria(mariadb_pair: MariaDBPair) -> Iterator[tuple[Database, MariaDBPair]]:
    _sql(mariadb_pair.primary.url, "CREATE DATABASE IF NOT EXISTS app")
    url = mariadb_pair.primary.url.with_database("app")
    with Database(url) as admin:
        admin.drop_all(Counter_)
        admin.create_all(Counter_)
    mariadb_pair.wait_caught_up()
    database = Database(url, replicas=[mariadb_pair.replica.url.with_database("app")])
    yield database, mariadb_pair
    database.close()
    mariadb_pair.start_sql_thread()


def test_mariadb_gtid_read_your_writes(maria: tuple[Database, MariaDBPair]) -> None:
    db, pair = maria
    server_id = "SELECT @@server_id"
    assert db.execute(server_id).scalar() == 1
    assert db.execute(server_id, using="replica").scalar() == 2
    repo = Repository(Counter_, db)
    row = repo.insert(Counter_(n=0))
    pair.wait_caught_up()
    pair.stop_sql_thread()  # lag: the replica receives events but applies none
    for i in range(1, 4):
        with db.transaction():
            repo.update(row.model_copy(update={"n": i}))
        assert repo.get(row.id).n == i  # type: ignore[union-attr]
        assert _other_thread(lambda: repo.get(row.id).n) == 0  # type: ignore[union-attr]
    pair.start_sql_thread()
    pair.wait_caught_up()
    time.sleep(0.1)
    before = db.routing
    assert before is not None
    assert repo.get(row.id).n == 3  # type: ignore[union-attr]
    after = db.routing
    assert after is not None and after.replica_reads == before.replica_reads + 1
    # the replica stopped: reads run on the primary; started again: used again
    pair.replica.stop()
    try:
        for _ in range(5):
            assert db.execute(server_id, using="replica").scalar() == 1
            assert repo.get(row.id).n == 3  # type: ignore[union-attr]
    finally:
        pair.replica.start()
    deadline = time.monotonic() + 20
    while db.execute(server_id, using="replica").scalar() != 2:
        assert time.monotonic() < deadline, "the MariaDB replica was not used again"
        time.sleep(0.1)
