"""The query cache on every backend, with MemoryCache and RedisCache: never stale after a commit."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from _private_servers import PrivateRedis
from _servers import require_redis

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Database,
    ForeignKey,
    Model,
    Rel,
    RelList,
    Repository,
    column,
    relation,
)
from typedorm.cache import Cache, MemoryCache, RedisCache
from typedorm.engine.url import URL
from typedorm.errors import InvalidArgument


class CUser(Model, table="c_users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int] = column(default=0)
    posts: RelList[CPost] = relation(order_by="id")


class CPost(Model, table="c_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(CUser.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[CUser] = relation()
    tags: RelList[CTag] = relation(through="c_post_tags", order_by="name")


class CTag(Model, table="c_tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[CPost] = relation(through="c_post_tags")


class CNote(Model, table="c_notes"):
    id: PK[int] = column(default=AUTO)
    owner_id: Annotated[Col[int | None], ForeignKey(CUser.id, on_delete="set null")] = column(default=None)
    body: Col[str]


MODELS = (CUser, CPost, CTag, CNote)


def make_cache(kind: str) -> Cache:
    if kind == "memory":
        return MemoryCache()
    # a generous timeout: on a loaded CI machine 50 ms can pass, and a bypass would change the counts
    return RedisCache(require_redis(), prefix=f"t{uuid.uuid4().hex[:8]}", timeout=2.0)


@pytest.fixture(params=["memory", "redis"])
def cdb(request: pytest.FixtureRequest, db: Database) -> Iterator[Database]:
    """The backend's test database again, with a query cache."""
    cached = Database(db.url, cache=make_cache(request.param))
    cached.create_all(*MODELS)
    try:
        yield cached
    finally:
        cached.drop_all(*MODELS)
        cached.close()


def seed(db: Database) -> tuple[Repository[CUser], Repository[CPost], CUser]:
    users, posts = Repository(CUser, db), Repository(CPost, db)
    ann = users.insert(CUser(name="Ann", age=30))
    posts.insert(CPost(author_id=ann.id, title="hello"))
    return users, posts, ann


def test_nothing_is_cached_unless_asked(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    with cdb.count_queries() as q:
        users.get(ann.id)
        users.get(ann.id)
        users.filter(CUser.age >= 18).all()
        users.filter(CUser.age >= 18).all()
    assert q.count == 4
    assert cdb.cache.stats().hits == cdb.cache.stats().misses == 0


def test_hits_skip_the_database_and_return_fresh_instances(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    first = users.filter(CUser.age >= 18).cached(ttl=30).all()
    with cdb.count_queries() as q:
        again = users.filter(CUser.age >= 18).cached(ttl=30).all()
        got = users.get(ann.id, cached=True)
        got2 = users.get(ann.id, cached=True)
    assert q.count == 1  # only the first get reached the database
    assert again == first and again[0] is not first[0]
    assert got == got2 and got is not got2
    assert got is not None and got2 is not None
    got.name = "changed"
    assert users.get(ann.id, cached=True) == CUser(id=ann.id, name="Ann", age=30)
    s = cdb.cache.stats()
    assert s.hits == 3 and s.misses == 2 and s.hit_ratio == 0.6


def test_every_write_invalidates_after_commit(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    q = users.filter(CUser.age >= 18).order_by(CUser.id).cached()
    assert [u.name for u in q.all()] == ["Ann"]
    users.insert(CUser(name="Bob", age=40))
    assert [u.name for u in q.all()] == ["Ann", "Bob"]
    users.update(CUser.name == "Bob", CUser.age.set(10))
    assert [u.name for u in q.all()] == ["Ann"]
    assert users.get(ann.id, cached=True) is not None
    users.filter(CUser.id == ann.id).delete()
    assert q.all() == [] and users.get(ann.id, cached=True) is None


def test_cascades_and_link_tables_invalidate(cdb: Database) -> None:
    users, posts, ann = seed(cdb)
    notes, tags = Repository(CNote, cdb), Repository(CTag, cdb)
    notes.insert(CNote(owner_id=ann.id, body="n"))
    post = posts.filter(CPost.author_id == ann.id).one()
    tag = tags.insert(CTag(name="t1"))
    loaded = posts.query().load(CPost.tags).cached().all()
    assert loaded[0].tags == []  # no link yet
    posts.add_related(post, CPost.tags, tag)
    assert [t.name for t in posts.query().load(CPost.tags).cached().all()[0].tags] == ["t1"]
    tagged = posts.filter(CPost.tags.any(CTag.name == "t1")).cached()
    assert len(tagged.all()) == 1
    posts.remove_related(post, CPost.tags, tag)
    assert tagged.all() == []
    # ON DELETE CASCADE (posts) and SET NULL (notes): deleting the user changes both tables
    assert posts.cached().count() == 1
    assert notes.cached().first() == CNote(id=1, owner_id=ann.id, body="n")
    users.delete(ann)
    assert posts.cached().count() == 0
    found = notes.cached().first()
    assert found is not None and found.owner_id is None


def test_joins_and_subqueries_are_keyed_by_every_table(cdb: Database) -> None:
    users, posts, ann = seed(cdb)
    by_author = posts.filter(CPost.author.has(CUser.name == "Ann")).cached()
    assert len(by_author.all()) == 1
    users.update(CUser.id == ann.id, CUser.name.set("Anna"))  # changes only c_users
    assert by_author.all() == []
    with_posts = users.filter(CUser.posts.any(CPost.title == "hello")).cached()
    assert len(with_posts.all()) == 1
    posts.update(CPost.author_id == ann.id, CPost.title.set("bye"))
    assert with_posts.all() == []


def test_rollback_bumps_nothing_and_commit_bumps_after(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    users.get(ann.id, cached=True)
    with pytest.raises(RuntimeError), cdb.transaction():
        users.update(CUser.id == ann.id, CUser.name.set("ghost"))
        raise RuntimeError("roll back")
    with cdb.count_queries() as q:
        got = users.get(ann.id, cached=True)
    assert q.count == 0 and got is not None and got.name == "Ann"  # still a hit: nothing changed
    with cdb.transaction():
        users.update(CUser.id == ann.id, CUser.name.set("Anna"))
        seen: list[str] = []
        # another thread, outside the transaction, reads the committed row (and may store it)
        t = threading.Thread(target=lambda: seen.append(users.get(ann.id, cached=True).name))  # type: ignore[union-attr]
        t.start()
        t.join()
    assert seen == ["Ann"]
    got = users.get(ann.id, cached=True)
    assert got is not None and got.name == "Anna"


def test_read_your_writes_inside_a_transaction(cdb: Database) -> None:
    users, posts, ann = seed(cdb)
    iso = None if cdb.dialect.default_isolation == "read committed" else "read committed"
    try:
        tx = cdb.transaction(isolation=iso)  # type: ignore[arg-type]
    except Exception:
        tx = cdb.transaction()
    users.get(ann.id, cached=True)
    posts.cached().count()
    with tx:
        users.update(CUser.id == ann.id, CUser.name.set("inside"))
        got = users.get(ann.id, cached=True)
        assert got is not None and got.name == "inside"  # bypassed: this transaction wrote c_users
        n = posts.cached().count()  # c_posts was not written: may come from the cache, never stored
        assert n == 1
    s = cdb.cache.stats()
    assert s.bypasses >= 1
    got = users.get(ann.id, cached=True)
    assert got is not None and got.name == "inside"


def test_nothing_read_after_a_write_in_a_transaction_is_stored(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    tags = Repository(CTag, cdb)
    tags.insert(CTag(name="t"))
    iso = None if cdb.dialect.default_isolation == "read committed" else "read committed"
    try:
        tx = cdb.transaction(isolation=iso)  # type: ignore[arg-type]
    except Exception:
        tx = cdb.transaction()
    with tx:
        users.update(CUser.id == ann.id, CUser.age.set(5))  # c_users (and its cascade targets)
        assert tags.cached().count() == 1  # c_tags is not written here: read, never stored
    with cdb.count_queries() as q:
        assert tags.cached().count() == 1
    assert q.count == 1  # it was not stored inside the transaction


def test_snapshot_transactions_neither_read_nor_fill(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    users.get(ann.id, cached=True)
    before = cdb.cache.stats()
    with cdb.transaction(isolation="serializable"):
        users.get(ann.id, cached=True)
        users.filter(CUser.age > 1).cached().all()
    after = cdb.cache.stats()
    assert (after.hits, after.misses) == (before.hits, before.misses)
    assert after.bypasses == before.bypasses + 2
    with cdb.transaction(isolation="serializable"):
        users.get(ann.id, cached=True)
        users.query().cached(in_snapshot=True).count()  # the user says so
    assert cdb.cache.stats().hits + cdb.cache.stats().misses > after.hits + after.misses


def test_raw_sql_invalidates_everything_unless_it_names_tables(cdb: Database) -> None:
    users, posts, _ = seed(cdb)
    q_users = users.query().cached()
    q_posts = posts.query().cached()
    q_users.all()
    q_posts.all()
    table = "c_posts"
    cdb.execute(f"UPDATE {table} SET title = ?", ("raw",), touches=[CPost])
    with cdb.count_queries() as q:
        q_users.all()  # untouched: a hit
        assert [p.title for p in q_posts.all()] == ["raw"]
    assert q.count == 1
    cdb.execute(f"UPDATE {table} SET title = ?", ("raw2",))  # names nothing: every table
    with cdb.count_queries() as q:
        q_users.all()
        assert [p.title for p in q_posts.all()] == ["raw2"]
    assert q.count == 2
    with pytest.raises(InvalidArgument) as e:
        cdb.execute(f"UPDATE {table} SET title = ?", ("x",), touches="c_posts")  # type: ignore[arg-type]
    assert e.value.argument == "touches"
    assert [p.title for p in posts.query().all()] == ["raw2"]  # nothing written


def test_invalid_arguments_name_the_argument(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    for bad in (0, -1, "30", True):
        with pytest.raises(InvalidArgument) as e:
            users.query().cached(ttl=bad)  # type: ignore[arg-type]
        assert e.value.argument == "ttl"
    with pytest.raises(InvalidArgument) as e:
        users.get(ann.id, cached="yes")  # type: ignore[arg-type]
    assert e.value.argument == "cached"
    with pytest.raises(InvalidArgument) as e:
        Database(cdb.url, cache="redis")  # type: ignore[arg-type]
    assert e.value.argument == "cache"


def test_ttl_expires_entries(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    users.get(ann.id, cached=0.05)
    time.sleep(0.15)
    with cdb.count_queries() as q:
        users.get(ann.id, cached=0.05)
    assert q.count == 1


def test_debug_log_on_typedorm_cache(cdb: Database, caplog: pytest.LogCaptureFixture) -> None:
    users, _, ann = seed(cdb)
    with caplog.at_level(logging.DEBUG, logger="typedorm.cache"):
        users.get(ann.id, cached=True)
        users.get(ann.id, cached=True)
    msgs = [r.getMessage() for r in caplog.records if r.name == "typedorm.cache"]
    assert any(m.startswith("cache miss") for m in msgs) and any(m.startswith("cache hit") for m in msgs)


def test_single_flight_across_threads(cdb: Database) -> None:
    users, _, _ = seed(cdb)
    for i in range(20):
        users.insert(CUser(name=f"u{i}", age=i))
    barrier = threading.Barrier(8)
    results: list[int] = []

    def work() -> None:
        barrier.wait()
        results.append(len(users.filter(CUser.age >= 0).cached().all()))

    with cdb.count_queries() as q:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [21] * 8
    assert q.count < 8  # concurrent misses coalesced (usually exactly 1)


def test_migrations_and_create_all_invalidate_everything(cdb: Database) -> None:
    users, _, ann = seed(cdb)
    users.get(ann.id, cached=True)
    cdb.invalidate_cache()
    with cdb.count_queries() as q:
        users.get(ann.id, cached=True)
    assert q.count == 1
    cdb.invalidate_cache(CPost)  # other tables: still cached
    with cdb.count_queries() as q:
        users.get(ann.id, cached=True)
    assert q.count == 0


def test_keys_are_namespaced_per_database_and_schema() -> None:
    url = require_redis()
    prefix = f"t{uuid.uuid4().hex[:8]}"
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        a = Database(f"sqlite:///{Path(tmp) / 'a.db'}", cache=RedisCache(url, prefix=prefix, timeout=2.0))
        b = Database(f"sqlite:///{Path(tmp) / 'b.db'}", cache=RedisCache(url, prefix=prefix, timeout=2.0))
        for d, name in ((a, "in-a"), (b, "in-b")):
            d.create_all(CUser)
            Repository(CUser, d).insert(CUser(name=name))
        assert [u.name for u in Repository(CUser, a).cached().all()] == ["in-a"]
        assert [u.name for u in Repository(CUser, b).cached().all()] == ["in-b"]
        a.close()
        b.close()


# --- asyncio --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_async_database_with_cache(kind: str, backend_url: URL) -> None:
    if backend_url.driver == "pymysql":
        pytest.skip("the asyncio MySQL driver is asyncmy; the pymysql variant adds nothing here")

    async def main() -> None:
        async with AsyncDatabase(backend_url, cache=make_cache(kind)) as db:
            await db.drop_all(*MODELS)
            await db.create_all(*MODELS)
            try:
                users = AsyncRepository(CUser, db)
                ann = await users.insert(CUser(name="Ann", age=3))
                q = users.filter(CUser.age > 1).cached(ttl=30)
                assert len(await q.all()) == 1
                with db.count_queries() as c:
                    res = await asyncio.gather(*(q.all() for _ in range(5)))
                    got = await users.get(ann.id, cached=True)
                    got2 = await users.get(ann.id, cached=True)
                assert all(len(r) == 1 for r in res) and c.count == 1 and got == got2 and got is not got2
                await users.update(CUser.id == ann.id, CUser.age.set(0))
                assert await q.all() == []
                async with db.transaction():
                    await users.insert(CUser(name="Bob", age=5))
                    assert len(await q.all()) == 1  # read-your-writes (bypass)
                assert len(await q.all()) == 1
                # concurrent misses in tasks run the query once
                await users.update(CUser.id == ann.id, CUser.age.set(9))
                with db.count_queries() as c:
                    res = await asyncio.gather(*(q.all() for _ in range(6)))
                assert all(len(r) == 2 for r in res) and c.count == 1
            finally:
                await db.drop_all(*MODELS)

    asyncio.run(main())


# --- Redis outages -----------------------------------------------------------------------------
def test_redis_down_slow_restarted_never_fails_a_query(
    private_redis: PrivateRedis, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisCache(private_redis.url, timeout=0.05, retry_after=0.2)
    db = Database(f"sqlite:///{tmp_path / 'o.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    ann = users.insert(CUser(name="Ann"))
    assert users.get(ann.id, cached=True) is not None
    with caplog.at_level(logging.WARNING, logger="typedorm.cache"):
        private_redis.kill()
        for i in range(5):  # down: served from the database, no error, one warning
            users.update(CUser.id == ann.id, CUser.age.set(i))
            got = users.get(ann.id, cached=True)
            assert got is not None and got.age == i
        warnings = [r for r in caplog.records if r.name == "typedorm.cache" and r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
        assert cache.stats().bypasses >= 5
        private_redis.start()
        time.sleep(0.3)
        users.update(CUser.id == ann.id, CUser.age.set(42))
        for _ in range(3):
            got = users.get(ann.id, cached=True)
            assert got is not None and got.age == 42
    assert cache.stats().hits >= 1  # caching resumed by itself
    db.close()


def test_async_database_survives_redis_outages(private_redis: PrivateRedis, tmp_path: Any) -> None:
    async def main() -> None:
        cache = RedisCache(private_redis.url, timeout=0.05, retry_after=0.1)
        async with AsyncDatabase(f"sqlite:///{tmp_path / 'a.db'}", cache=cache) as db:
            await db.create_all(CUser)
            users = AsyncRepository(CUser, db)
            ann = await users.insert(CUser(name="Ann"))
            assert await users.get(ann.id, cached=True) is not None
            private_redis.kill()
            for i in range(3):
                await users.update(CUser.id == ann.id, CUser.age.set(i))
                got = await users.get(ann.id, cached=True)
                assert got is not None and got.age == i
            private_redis.start()
            await asyncio.sleep(0.2)
            await users.update(CUser.id == ann.id, CUser.age.set(7))
            for _ in range(3):
                got = await users.get(ann.id, cached=True)
                assert got is not None and got.age == 7
            assert cache.stats().hits >= 1 and cache.stats().bypasses >= 3

    asyncio.run(main())


def test_redis_restart_between_reads_is_not_stale(private_redis: PrivateRedis, tmp_path: Any) -> None:
    """A restart loses every key, generations included: the lost epoch marks every old snapshot."""
    cache = RedisCache(private_redis.url, timeout=2.0)
    db = Database(f"sqlite:///{tmp_path / 'r.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    ann = users.insert(CUser(name="Ann"))
    users.get(ann.id, cached=True)
    private_redis.kill()
    private_redis.start()
    users.update(CUser.id == ann.id, CUser.name.set("after"))
    for _ in range(3):
        got = users.get(ann.id, cached=True)
        assert got is not None and got.name == "after"
    db.close()


def test_slow_redis_is_bypassed_within_the_timeout(private_redis: PrivateRedis, tmp_path: Any) -> None:
    import redis

    cache = RedisCache(private_redis.url, timeout=0.05, retry_after=5)
    db = Database(f"sqlite:///{tmp_path / 's.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    ann = users.insert(CUser(name="Ann"))
    admin = redis.Redis.from_url(private_redis.url)
    blocker = threading.Thread(target=lambda: admin.execute_command("DEBUG", "SLEEP", "0.5"))
    blocker.start()
    time.sleep(0.05)
    start = time.monotonic()
    got = users.get(ann.id, cached=True)
    took = time.monotonic() - start
    blocker.join()
    assert got is not None and took < 0.4
    assert cache.stats().errors >= 1
    admin.close()
    db.close()


# --- the connections RedisCache holds ----------------------------------------------------------
def _connections_received(url: str) -> int:
    import redis

    admin = redis.Redis.from_url(url)
    try:
        return int(admin.info("stats")["total_connections_received"])
    finally:
        admin.close()


def test_redis_held_connection_survives_a_restart(
    private_redis: PrivateRedis, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection the cache held across a Redis restart is dead: it is replaced within the
    same operation (as redis-py's pool checkout would), no error, no bypass, nothing stale."""
    cache = RedisCache(private_redis.url, timeout=2.0, retry_after=0.2)
    db = Database(f"sqlite:///{tmp_path / 'h.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    ann = users.insert(CUser(name="Ann"))
    users.get(ann.id, cached=True)
    assert users.get(ann.id, cached=True) is not None and cache.stats().hits == 1
    with caplog.at_level(logging.WARNING, logger="typedorm.cache"):
        for i in range(2):  # a held connection first meets the restart in a read, then in a write
            private_redis.kill()
            private_redis.start()
            if i == 1:
                users.update(CUser.id == ann.id, CUser.name.set("after"))
            for _ in range(3):
                got = users.get(ann.id, cached=True)
                assert got is not None and got.name == ("Ann" if i == 0 else "after")
    assert not [r for r in caplog.records if r.name == "typedorm.cache" and r.levelno >= logging.WARNING]
    stats = cache.stats()
    assert stats.errors == 0 and stats.bypasses == 0 and stats.hits == 1 + 2 + 2
    db.close()


def test_redis_timeout_mid_reply_leaves_no_half_read_connection(
    private_redis: PrivateRedis, tmp_path: Any
) -> None:
    """A read that times out has a reply still coming: its connection is dropped, never given
    back, or the next read would take that late reply (another query's rows) for its own."""
    import redis

    # generous: a read that is not blocked must not time out on a loaded machine
    cache = RedisCache(private_redis.url, timeout=0.3, retry_after=0.05)
    db = Database(f"sqlite:///{tmp_path / 't.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    people = [users.insert(CUser(name=f"user{i}", age=i)) for i in range(3)]
    for p in people:  # cached; the next reads of them are hits
        users.get(p.id, cached=True)
    admin = redis.Redis.from_url(private_redis.url)
    for rnd in range(2):
        blocker = threading.Thread(target=lambda: admin.execute_command("DEBUG", "SLEEP", "0.9"))
        blocker.start()
        time.sleep(0.05)
        got = users.get(people[rnd].id, cached=True)  # its MGET's reply arrives after the timeout
        assert got is not None and got.name == f"user{rnd}"
        blocker.join()
        time.sleep(0.1)  # the late reply has arrived; the breaker lets Redis be tried again
        errors = cache.stats().errors
        for _ in range(2):
            for p in people:
                got = users.get(p.id, cached=True)
                assert got is not None and (got.id, got.name, got.age) == (p.id, p.name, p.age)
        assert cache.stats().errors == errors  # each read was a correct hit or miss
    assert cache.stats().hits >= 3 + 2
    admin.close()
    db.close()


def test_redis_connections_are_held_and_reused(private_redis: PrivateRedis, tmp_path: Any) -> None:
    """1,000 cached reads from 4 threads use at most one connection per thread, and no pool
    checkout each: the cache gives its connections back to itself, not to redis-py's pool."""
    cache = RedisCache(private_redis.url, timeout=2.0)
    db = Database(f"sqlite:///{tmp_path / 'c.db'}", cache=cache)
    db.create_all(CUser)
    users = Repository(CUser, db)
    ann = users.insert(CUser(name="Ann"))
    users.get(ann.id, cached=True)
    pool = cache._sync().connection_pool
    checkouts = []
    real_get_connection = pool.get_connection

    def counting_get_connection() -> Any:  # observes the real pool; changes nothing
        checkouts.append(1)
        return real_get_connection()

    pool.get_connection = counting_get_connection
    before = _connections_received(private_redis.url)
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(250):
                got = users.get(ann.id, cached=True)
                assert got is not None and got.name == "Ann"
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert cache.stats().errors == 0 and cache.stats().hits >= 1000
    assert _connections_received(private_redis.url) - before <= 4 + 1  # + the counting connection
    assert len(checkouts) <= 4
    import redis

    admin = redis.Redis.from_url(private_redis.url)
    assert len(admin.client_list()) <= 5 + 1
    db.close()
    assert len(admin.client_list()) == 1  # closing the database releases them all
    admin.close()


def test_a_forked_child_never_uses_the_parents_redis_connection(private_redis: PrivateRedis) -> None:
    import os

    cache = RedisCache(private_redis.url, timeout=2.0)
    (parent_id,) = cache._call([("CLIENT", "ID")])
    assert cache._call([("CLIENT", "ID")]) == [parent_id]  # held and reused
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if it talks on a connection of its own
        code = 1
        try:
            ids = {cache._call([("CLIENT", "ID")])[0] for _ in range(3)}
            code = 0 if len(ids) == 1 and parent_id not in ids else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache._call([("CLIENT", "ID")]) == [parent_id]  # the child left the parent's alone
    cache._close()


def test_async_redis_connections_are_held_and_survive_a_restart(
    private_redis: PrivateRedis, tmp_path: Any
) -> None:
    async def main() -> None:
        cache = RedisCache(private_redis.url, timeout=2.0)
        async with AsyncDatabase(f"sqlite:///{tmp_path / 'ah.db'}", cache=cache) as db:
            await db.create_all(CUser)
            users = AsyncRepository(CUser, db)
            ann = await users.insert(CUser(name="Ann"))
            before = _connections_received(private_redis.url)
            for _ in range(3):
                res = await asyncio.gather(*(users.get(ann.id, cached=True) for _ in range(4)))
                assert all(r is not None and r.name == "Ann" for r in res)
            for _ in range(100):
                got = await users.get(ann.id, cached=True)
                assert got is not None and got.name == "Ann"
            assert _connections_received(private_redis.url) - before <= 4 + 1
            private_redis.kill()
            private_redis.start()
            await users.update(CUser.id == ann.id, CUser.name.set("after"))
            for _ in range(3):
                got = await users.get(ann.id, cached=True)
                assert got is not None and got.name == "after"
            stats = cache.stats()
            assert stats.errors == 0 and stats.bypasses == 0 and stats.hits >= 100

    asyncio.run(main())
