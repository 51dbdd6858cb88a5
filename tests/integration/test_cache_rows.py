"""Cached gets by key are invalidated per row: a write to one row by its key leaves the cached gets
of every other row valid; writes typedorm cannot name by key invalidate every get of the table."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Annotated

import pytest
from _servers import require_redis

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Column,
    Database,
    ForeignKey,
    Model,
    Repository,
    column,
)
from typedorm.cache import Cache, MemoryCache, RedisCache
from typedorm.cache.base import MISS
from typedorm.errors import InvalidArgument, UniqueViolation


class RUser(Model, table="cr_users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int] = column(default=0)


class RPost(Model, table="cr_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(RUser.id, on_delete="cascade")]
    title: Col[str]


class RNote(Model, table="cr_notes"):
    id: PK[int] = column(default=AUTO)
    owner_id: Annotated[Col[int | None], ForeignKey(RUser.id, on_delete="set null")] = column(default=None)
    body: Col[str]


class RNode(Model, table="cr_nodes"):
    id: PK[int] = column(default=AUTO)
    parent_id: Annotated[Col[int | None], ForeignKey("cr_nodes.id", on_delete="cascade")] = column(
        default=None
    )
    label: Col[str]


class REmail(Model, table="cr_emails"):
    id: PK[int] = column(default=AUTO)
    email: Annotated[Col[str], Column(max_length=100, unique=True)]
    name: Col[str]


class RPair(Model, table="cr_pairs", primary_key=("a", "b")):
    a: Col[int]
    b: Col[int]
    label: Col[str]


class RCode(Model, table="cr_codes"):
    code: PK[str]
    label: Col[str]


MODELS = (RUser, RPost, RNote, RNode, REmail, RPair, RCode)


def make_cache(kind: str) -> Cache:
    if kind == "memory":
        return MemoryCache()
    return RedisCache(require_redis(), prefix=f"r{uuid.uuid4().hex[:8]}", timeout=2.0)


@pytest.fixture(params=["memory", "redis"])
def cdb(request: pytest.FixtureRequest, db: Database) -> Iterator[Database]:
    cached = Database(db.url, cache=make_cache(request.param))
    cached.create_all(*MODELS)
    try:
        yield cached
    finally:
        cached.drop_all(*MODELS)
        cached.close()


def users_of(db: Database) -> tuple[Repository[RUser], list[RUser]]:
    users = Repository(RUser, db)
    rows = [users.insert(RUser(name=n, age=20 + i)) for i, n in enumerate(("ann", "bob", "cy"))]
    return users, rows


def queries(db: Database, fn: object) -> int:
    with db.count_queries() as q:
        fn()  # type: ignore[operator]
    return q.count


def test_a_keyed_write_keeps_the_cached_gets_of_other_rows(cdb: Database) -> None:
    users, (a, b, c) = users_of(cdb)
    writes = [
        lambda: users.update(a.model_copy(update={"age": 50})),
        lambda: users.update(RUser.id == a.id, RUser.age.set(51)),
        lambda: users.filter(RUser.id == a.id).update(RUser.name.set("anna")),
        lambda: users.filter(RUser.id.in_([a.id, c.id])).update(RUser.age.set(52)),
    ]
    for write in writes:
        for u in (a, b, c):
            users.get(u.id, cached=True)
        write()
        assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0  # still a hit
        assert users.get(a.id, cached=True) == users.get(a.id)  # re-read: the new values
    assert users.get(a.id, cached=True) == RUser(id=a.id, name="anna", age=52)
    assert users.get(c.id, cached=True) == RUser(id=c.id, name="cy", age=52)
    # a query over the table depends on every row: any write invalidates it
    users.filter(RUser.age >= 0).cached().all()
    users.update(RUser.id == b.id, RUser.age.set(60))
    assert [u.age for u in users.filter(RUser.age >= 0).cached().order_by(RUser.id).all()] == [52, 60, 52]


def test_deletes_by_key_invalidate_that_row_only(cdb: Database) -> None:
    users, (a, b, c) = users_of(cdb)
    for u in (a, b, c):
        users.get(u.id, cached=True)
    users.delete(a)
    assert users.get(a.id, cached=True) is None
    users.filter(RUser.id == c.id).delete()
    assert users.get(c.id, cached=True) is None
    assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0


def test_writes_filtered_by_the_key_and_more_keep_other_rows(cdb: Database) -> None:
    users, (a, b, c) = users_of(cdb)
    for r in (a, b, c):
        users.get(r.id, cached=True)
    # the key ANDed with anything else still names the only row the write can change
    assert users.update((RUser.id == a.id) & (RUser.age >= 0), RUser.age.set(50)) == 1
    assert users.update(RUser.id.in_([b.id]) & (RUser.age >= 0), RUser.name.set("bo")) == 1
    got_a, got_b = users.get(a.id, cached=True), users.get(b.id, cached=True)
    assert got_a is not None and got_a.age == 50 and got_b is not None and got_b.name == "bo"
    assert queries(cdb, lambda: users.get(c.id, cached=True)) == 0
    # a composite key: every key column equal to a value
    pairs = Repository(RPair, cdb)
    pairs.insert_many([RPair(a=1, b=1, label="x"), RPair(a=1, b=2, label="y")])
    pairs.get((1, 1), cached=True)
    pairs.get((1, 2), cached=True)
    assert pairs.update((RPair.a == 1) & (RPair.b == 1), RPair.label.set("x2")) == 1
    got = pairs.get((1, 1), cached=True)
    assert got is not None and got.label == "x2"
    assert queries(cdb, lambda: pairs.get((1, 2), cached=True)) == 0
    # a filter on part of a composite key names no single row: every get of the table goes
    assert pairs.update(RPair.a == 1, RPair.label.set("z")) == 2
    assert [p.label for p in (pairs.get((1, 1), cached=True), pairs.get((1, 2), cached=True)) if p] == [
        "z",
        "z",
    ]
    assert pairs.delete((RPair.b == 2) & (RPair.a == 1)) == 1
    assert pairs.get((1, 2), cached=True) is None
    assert queries(cdb, lambda: pairs.get((1, 1), cached=True)) == 0


def test_unkeyed_writes_invalidate_every_get_of_the_table(cdb: Database) -> None:
    users, (a, b, _) = users_of(cdb)
    writes = [
        lambda: users.update(RUser.age >= 21, RUser.age.set(70)),
        lambda: users.filter(RUser.name == "bob").update(RUser.age.set(71)),
        lambda: users.update(RUser.id != a.id, RUser.age.set(72)),
        lambda: cdb.execute("UPDATE cr_users SET age = age + 1", touches=[RUser]),
        lambda: cdb.execute("UPDATE cr_users SET age = age + 1"),
        lambda: cdb.invalidate_cache(RUser),
    ]
    for write in writes:
        users.get(b.id, cached=True)
        write()
        assert queries(cdb, lambda: users.get(b.id, cached=True)) == 1, write
        assert users.get(b.id, cached=True) == users.get(b.id)


def test_assigning_the_key_invalidates_every_get(cdb: Database) -> None:
    users, (a, b, _) = users_of(cdb)
    users.get(a.id, cached=True)
    users.get(b.id, cached=True)
    users.update(RUser.id == a.id, RUser.id.set(a.id + 1000))
    assert users.get(a.id, cached=True) is None
    moved = users.get(a.id + 1000, cached=True)
    assert moved is not None and moved.name == "ann"
    assert queries(cdb, lambda: users.get(b.id, cached=True)) == 1


def test_inserts_keep_cached_gets_and_empty_gets_are_not_stored(cdb: Database) -> None:
    users, (a, _, _) = users_of(cdb)
    users.get(a.id, cached=True)
    missing = a.id + 500
    assert users.get(missing, cached=True) is None
    assert queries(cdb, lambda: users.get(missing, cached=True)) == 1  # nothing was stored
    users.insert(RUser(id=missing, name="new"))
    users.insert_many([RUser(name=f"m{i}") for i in range(3)])
    assert queries(cdb, lambda: users.get(a.id, cached=True)) == 0
    found = users.get(missing, cached=True)
    assert found is not None and found.name == "new"
    codes = Repository(RCode, cdb)
    assert codes.get("x", cached=True) is None
    codes.insert(RCode(code="x", label="ex"))
    got = codes.get("x", cached=True)
    assert got is not None and got.label == "ex"


def test_text_keys_are_invalidated_per_row(cdb: Database) -> None:
    codes = Repository(RCode, cdb)
    x, y = codes.insert(RCode(code="x", label="1")), codes.insert(RCode(code="y", label="2"))
    codes.get("x", cached=True)
    codes.get("y", cached=True)
    codes.update(x.model_copy(update={"label": "one"}))
    assert queries(cdb, lambda: codes.get("y", cached=True)) == 0
    got = codes.get("x", cached=True)
    assert got is not None and got.label == "one"
    codes.delete(y)
    assert codes.get("y", cached=True) is None


def test_cascades_invalidate_the_gets_of_the_rows_they_reach(cdb: Database) -> None:
    users, (a, _, _) = users_of(cdb)
    posts, notes, nodes = Repository(RPost, cdb), Repository(RNote, cdb), Repository(RNode, cdb)
    post = posts.insert(RPost(author_id=a.id, title="t"))
    note = notes.insert(RNote(owner_id=a.id, body="n"))
    root = nodes.insert(RNode(label="root"))
    leaf = nodes.insert(RNode(parent_id=root.id, label="leaf"))
    other = nodes.insert(RNode(label="other"))
    for get in (
        lambda: posts.get(post.id, cached=True),
        lambda: notes.get(note.id, cached=True),
        lambda: nodes.get(leaf.id, cached=True),
        lambda: nodes.get(other.id, cached=True),
    ):
        get()
    users.delete(a)  # ON DELETE CASCADE and SET NULL reach rows no key names
    assert posts.get(post.id, cached=True) is None
    got = notes.get(note.id, cached=True)
    assert got is not None and got.owner_id is None
    nodes.delete(root)  # a table referencing itself: its own rows, by no key
    assert nodes.get(leaf.id, cached=True) is None
    assert nodes.get(other.id, cached=True) == other


def test_transactions_bump_rows_after_commit_only(cdb: Database) -> None:
    users, (a, b, _) = users_of(cdb)
    users.get(a.id, cached=True)
    users.get(b.id, cached=True)
    with pytest.raises(RuntimeError), cdb.transaction():
        users.update(RUser.id == a.id, RUser.age.set(99))
        inside = users.get(a.id, cached=True)  # read your own write: bypasses the cache
        assert inside is not None and inside.age == 99
        raise RuntimeError("roll back")
    assert queries(cdb, lambda: users.get(a.id, cached=True)) == 0  # nothing was bumped
    with cdb.transaction(isolation="read committed"):
        users.update(RUser.id == a.id, RUser.age.set(98))
        assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0  # another row: from the cache
    got = users.get(a.id, cached=True)
    assert got is not None and got.age == 98
    assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0


# --- RedisCache: generations, row TTLs and the per-process layer ---------------------------------
def redis_pair(db: Database, **options: object) -> tuple[Database, Database, str]:
    """Two databases (as two processes would have) on ``db``'s URL sharing one Redis prefix."""
    prefix = f"p{uuid.uuid4().hex[:8]}"
    url = require_redis()
    one = Database(db.url, cache=RedisCache(url, prefix=prefix, timeout=2.0, **options))  # type: ignore[arg-type]
    two = Database(db.url, cache=RedisCache(url, prefix=prefix, timeout=2.0, **options))  # type: ignore[arg-type]
    one.create_all(*MODELS)
    return one, two, prefix


def test_redis_row_generations_expire_and_cap_cached_gets(db: Database) -> None:
    import redis

    one, two, prefix = redis_pair(db, row_ttl=120.0, default_ttl=None)
    try:
        users, (a, _, _) = users_of(one)
        users.get(a.id, cached=True)
        users.filter(RUser.age >= 0).cached().all()
        r = redis.Redis.from_url(require_redis())
        values = r.keys(f"{prefix}:*:v:*")
        ttls = sorted(r.pttl(k) for k in values)
        # the get lives at most row_ttl; the query (default_ttl=None) does not expire
        assert ttls[0] == -1 and 0 < ttls[-1] <= 120_000
        users.update(RUser.id == a.id, RUser.age.set(1))
        row_keys = [k for k in r.keys(f"{prefix}:*:g:*") if b"\x00=" in k]
        table_keys = [k for k in r.keys(f"{prefix}:*:g:*") if b"\x00" not in k]
        assert row_keys and all(0 < r.pttl(k) <= 120_000 for k in row_keys)
        assert table_keys and all(r.pttl(k) == -1 for k in table_keys)
        # generations are tokens: a value that is no integer is no error
        for k in table_keys:
            r.set(k, "not a number")
        assert (
            Repository(RUser, two).filter(RUser.age >= 0).cached().all() == users.filter(RUser.age >= 0).all()
        )
    finally:
        one.drop_all(*MODELS)
        one.close()
        two.close()


def test_redis_local_layer_never_serves_what_another_process_changed(db: Database) -> None:
    one, two, _ = redis_pair(db, local_entries=2)
    try:
        users1, (a, b, c) = users_of(one)
        users2 = Repository(RUser, two)
        for u in (a, b, c):
            users1.get(u.id, cached=True)
            users2.get(u.id, cached=True)
        assert len(one.cache._local) == 2  # type: ignore[attr-defined]  # bounded
        users2.update(RUser.id == a.id, RUser.age.set(77))  # in the other process
        got = users1.get(a.id, cached=True)
        assert got is not None and got.age == 77
        assert queries(one, lambda: users1.get(c.id, cached=True)) == 0  # another row: still a hit
        users2.update(RUser.age >= 0, RUser.name.set("all"))  # a write naming no key
        assert {u.name for u in (users1.get(x.id, cached=True) for x in (a, b, c)) if u} == {"all"}
    finally:
        one.drop_all(*MODELS)
        one.close()
        two.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_async_gets_are_invalidated_per_row(kind: str, db: Database) -> None:
    if db.url.driver == "pymysql":
        pytest.skip("the asyncio MySQL driver is asyncmy; the pymysql variant adds nothing here")

    async def main() -> None:
        async with AsyncDatabase(db.url, cache=make_cache(kind)) as adb:
            await adb.create_all(*MODELS)
            try:
                users = AsyncRepository(RUser, adb)
                a = await users.insert(RUser(name="ann"))
                b = await users.insert(RUser(name="bob"))
                assert await users.get(a.id + 100, cached=True) is None
                for u in (a, b):
                    await users.get(u.id, cached=True)
                got = await users.get(a.id, cached=True)
                assert got is not None
                got.age = 5
                await users.update(got)
                with adb.count_queries() as c:
                    again_b = await users.get(b.id, cached=True)
                assert c.count == 0 and again_b == b
                again_a = await users.get(a.id, cached=True)
                assert again_a is not None and again_a.age == 5
                await users.update(RUser.age >= 0, RUser.name.set("x"))
                with adb.count_queries() as c:
                    again_b = await users.get(b.id, cached=True)
                assert c.count == 1 and again_b is not None and again_b.name == "x"
            finally:
                await adb.drop_all(*MODELS)

    asyncio.run(main())


def test_run_refuses_keys_that_are_not_lists_of_keys(cdb: Database) -> None:
    from typedorm.errors import InvalidArgument

    users, (a, _, _) = users_of(cdb)
    c = cdb.dialect.compile(users.query().statement)  # any statement: the check comes first
    for bad in (5, "1", [5], ({"id": 1},)):
        with pytest.raises(InvalidArgument) as e:
            cdb.run(c.sql, c.params, keys=bad)  # type: ignore[arg-type]
        assert e.value.argument == "keys"
    mapper = users._mapper
    _, sql = mapper.update_plan(("age",))
    with pytest.raises(InvalidArgument):
        cdb.run(sql, [99, a.id], keys=7)  # type: ignore[arg-type]
    assert users.get(a.id) == a  # nothing was written


def test_upserts_invalidate_the_gets_they_may_change(cdb: Database) -> None:
    users, (a, b, _) = users_of(cdb)
    users.get(a.id, cached=True)
    users.get(b.id, cached=True)
    users.upsert(RUser(id=a.id, name="upserted", age=1))  # an INSERT that updated a row
    got = users.get(a.id, cached=True)
    assert got is not None and got.name == "upserted"
    # an upsert on the primary key changes that row only: the other cached gets stay
    assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0
    users.save(RUser(id=a.id, name="saved", age=2))
    got = users.get(a.id, cached=True)
    assert got is not None and got.name == "saved"
    assert queries(cdb, lambda: users.get(b.id, cached=True)) == 0
    assert users.get(b.id, cached=True) == b


def test_upserts_that_may_take_over_another_row_invalidate_every_get(cdb: Database) -> None:
    """On MySQL/MariaDB an upsert updates the row of a conflict on any unique key, not only on
    its target: the row it changed is not the one its key names."""
    emails = Repository(REmail, cdb)
    x = emails.insert(REmail(email="x@a.io", name="x"))
    y = emails.insert(REmail(email="y@a.io", name="y"))
    emails.get(x.id, cached=True)
    emails.get(y.id, cached=True)
    # PostgreSQL and SQLite refuse it (ON CONFLICT (id) leaves other conflicts to fail); MySQL
    # updates row y, and typedorm refuses it the same way, rolling the update back
    with pytest.raises(UniqueViolation) as e:
        emails.upsert(REmail(id=y.id + 10, email="y@a.io", name="taken over"))
    assert e.value.fields == ("email",) or not cdb.dialect.upsert_any_unique
    assert emails.get(y.id, cached=True) == emails.get(y.id) == y
    assert emails.get(x.id, cached=True) == x


# --- MemoryCache: gets answered in this process (no lookup through the general read path) -------
def test_memory_gets_keep_the_lru_order_ttl_and_counts(db: Database) -> None:
    mem = Database(db.url, cache=MemoryCache(max_entries=2))
    mem.create_all(*MODELS)
    try:
        users, (a, b, c) = users_of(mem)
        users.get(a.id, cached=True)
        users.get(b.id, cached=True)
        assert queries(mem, lambda: users.get(a.id, cached=True)) == 0  # a hit: a is now the newest
        users.get(c.id, cached=True)  # evicts the least recently used: b
        assert mem.cache.stats().evictions == 1
        users.get(a.id, cached=True)
        assert mem.cache.stats().hits == 2  # a was kept
        users.get(b.id, cached=True)
        s = mem.cache.stats()
        assert (s.hits, s.misses, s.entries) == (2, 4, 2)  # b was not
        # a short TTL: served until it ends, then read again
        mem.cache.clear()
        users.get(a.id, cached=0.2)
        assert queries(mem, lambda: users.get(a.id, cached=True)) == 0
        import time

        time.sleep(0.25)
        assert queries(mem, lambda: users.get(a.id, cached=True)) == 1
        # each hit is a new instance equal to a fresh read
        x, y = users.get(a.id, cached=True), users.get(a.id, cached=True)
        assert x == y == users.get(a.id) and x is not y
    finally:
        mem.drop_all(*MODELS)
        mem.close()


def test_cached_get_hit_refuses_bad_arguments(cdb: Database) -> None:
    users, (a, _, _) = users_of(cdb)
    users.get(a.id, cached=True)
    m = users._mapper
    spec = RUser.__table__
    good: dict[str, object] = {"sql": m.get_sql, "key": [a.id], "table": spec, "objects": m}
    for arg, bad in (
        ("sql", None),
        ("key", a.id),
        ("key", (a.id,)),
        ("table", "cr_users"),
        ("objects", object()),
    ):
        with pytest.raises(InvalidArgument) as e:
            cdb.cached_get_hit(**{**good, arg: bad})  # type: ignore[arg-type]
        assert e.value.argument == arg
    hit = cdb.cached_get_hit(**good)  # type: ignore[arg-type]
    if isinstance(cdb.cache, RedisCache):  # not in this process: the general read path answers
        assert hit is MISS
    else:
        assert hit == a and hit is not cdb.cached_get_hit(**good)  # type: ignore[arg-type]
