"""Cache hits answered with copies of instances validated once: what the caller gets is the same as
an uncached read, shares nothing with the cache or with other callers, and is tracked as clean."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from _servers import require_redis
from pydantic import PrivateAttr, field_validator

from typedorm import AUTO, PK, Col, Column, Database, ForeignKey, Model, RelList, Repository, column, relation
from typedorm.cache import Cache, MemoryCache, RedisCache
from typedorm.schema.model import assigned_fields

VALIDATED: list[str] = []


class IUser(Model, table="ci_users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    prefs: Col[dict[str, list[int]]] = column(default_factory=dict)
    tags: Col[list[str]] = column(default_factory=list)
    posts: RelList[IPost] = relation(order_by="id")

    @field_validator("name")
    @classmethod
    def _count(cls, v: str) -> str:
        VALIDATED.append(v)
        return v


class IPost(Model, table="ci_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(IUser.id, on_delete="cascade")]
    title: Col[str]


class IPrivate(Model, table="ci_private"):
    """Private attributes are built anew by every validation: hits validate, never copy."""

    id: PK[int] = column(default=AUTO)
    name: Col[str]
    _seen: list[str] = PrivateAttr(default_factory=list)


MODELS = (IUser, IPost, IPrivate)


def make_cache(kind: str) -> Cache:
    if kind == "memory":
        return MemoryCache()
    return RedisCache(require_redis(), prefix=f"i{uuid.uuid4().hex[:8]}", timeout=2.0)


@pytest.fixture(params=["memory", "redis"])
def cdb(request: pytest.FixtureRequest, db: Database) -> Iterator[Database]:
    cached = Database(db.url, cache=make_cache(request.param))
    cached.create_all(*MODELS)
    try:
        yield cached
    finally:
        cached.drop_all(*MODELS)
        cached.close()


def seed(db: Database) -> tuple[Repository[IUser], IUser]:
    users, posts = Repository(IUser, db), Repository(IPost, db)
    ann = users.insert(IUser(name="Ann", prefs={"a": [1, 2]}, tags=["x"]))
    users.insert_many([IUser(name=f"u{i}", prefs={"n": [i]}) for i in range(20)])
    posts.insert_many([IPost(author_id=ann.id, title="one"), IPost(author_id=ann.id, title="two")])
    return users, ann


def test_hits_validate_no_row_again(cdb: Database) -> None:
    users, ann = seed(cdb)
    q = users.filter(IUser.id >= 1).cached()
    first = q.all()  # a miss: validates the rows it read, as any read does
    users.get(ann.id, cached=True)
    VALIDATED.clear()
    for _ in range(5):
        assert q.all() == first
        assert users.get(ann.id, cached=True) == first[0]
    # hits copy the instances validated by the read that filled the entry
    assert VALIDATED == []
    assert cdb.cache.stats().hits == 10
    if not isinstance(cdb.cache, RedisCache):
        return
    # another process (a RedisCache of its own): validates a shared entry once, on its first hit
    c = cdb.cache
    other = Database(cdb.url, cache=RedisCache(c.url, prefix=c.prefix, timeout=c.timeout))
    try:
        mine = Repository(IUser, other).filter(IUser.id >= 1).cached()
        VALIDATED.clear()
        assert mine.all() == first
        assert other.cache.stats().hits == 1 and len(VALIDATED) == len(first)
        VALIDATED.clear()
        assert mine.all() == first and mine.all() == first
        assert other.cache.stats().hits == 3 and VALIDATED == []
    finally:
        other.close()


def test_hit_instances_share_nothing(cdb: Database) -> None:
    users, ann = seed(cdb)
    uncached = users.filter(IUser.id >= 1).all()
    a = users.filter(IUser.id >= 1).cached().all()
    b = users.filter(IUser.id >= 1).cached().all()
    assert a == b == uncached
    assert all(x is not y for x, y in zip(a, b, strict=True))
    assert type(b[0]) is IUser and b[0].model_fields_set == uncached[0].model_fields_set
    # change everything a caller can change on one result...
    a[0].prefs["a"].append(99)
    a[0].prefs["new"] = [1]
    a[0].tags.append("y")
    a[0].name = "changed"
    a[0].model_fields_set.discard("tags")
    a.pop()
    # ...and neither the other result nor the next hit sees it
    assert b == uncached
    c = users.filter(IUser.id >= 1).cached().all()
    assert c == uncached and c[0].prefs == {"a": [1, 2]} and c[0].tags == ["x"]
    assert "tags" in c[0].model_fields_set
    got = users.get(ann.id, cached=True)
    assert got is not None
    got.prefs["a"].clear()
    assert users.get(ann.id, cached=True) == uncached[0]


def test_hit_instances_are_clean_and_write_what_was_assigned(cdb: Database) -> None:
    users, ann = seed(cdb)
    users.get(ann.id, cached=True)
    hit = users.get(ann.id, cached=True)
    assert hit is not None and cdb.cache.stats().hits == 1
    assert assigned_fields(hit) == frozenset()  # matches its row, like a read from the database
    hit.name = "Anna"
    assert assigned_fields(hit) == frozenset({"name"})
    other = users.get(ann.id, cached=True)
    assert other is not None and assigned_fields(other) == frozenset() and other.name == "Ann"
    users.update(hit)
    after = users.get(ann.id, cached=True)  # the write invalidated the entry
    assert after is not None and after.name == "Anna" and after.prefs == {"a": [1, 2]}
    assert after == users.get(ann.id)


def test_loaded_relations_belong_to_each_result(cdb: Database) -> None:
    users, ann = seed(cdb)
    q = users.filter(IUser.id == ann.id).load(IUser.posts).cached()
    a = q.all()
    b = q.all()
    assert [p.title for p in a[0].posts] == ["one", "two"]
    assert b[0].posts == a[0].posts and b[0].posts is not a[0].posts
    a[0].posts.clear()
    assert [p.title for p in q.all()[0].posts] == ["one", "two"]


def test_models_with_private_attributes_validate_every_hit(cdb: Database) -> None:
    repo = Repository(IPrivate, cdb)
    row = repo.insert(IPrivate(name="p"))
    a = repo.get(row.id, cached=True)
    b = repo.get(row.id, cached=True)
    assert a is not None and b is not None and cdb.cache.stats().hits == 1
    a._seen.append("a")
    assert b._seen == [] and a._seen is not b._seen
    c = repo.get(row.id, cached=True)
    assert c is not None and c._seen == []


def _equal_rows(xs: list[Any], ys: list[Any]) -> bool:
    return [x.model_dump() for x in xs] == [y.model_dump() for y in ys]


def test_first_last_one_through_the_cache(cdb: Database) -> None:
    users, ann = seed(cdb)
    q = users.filter(IUser.id >= 1).cached()
    for _ in range(2):
        first, last = q.first(), q.last()
        assert first is not None and last is not None
        assert first == users.filter(IUser.id >= 1).first()
        assert last == users.filter(IUser.id >= 1).last()
        assert q.filter(IUser.id == ann.id).one() == ann
    assert cdb.cache.stats().hits == 3
    assert _equal_rows(q.all(), users.filter(IUser.id >= 1).all())


def test_entries_hold_no_instances(cdb: Database) -> None:
    """What an entry keeps for its hits is plain data (rows, and the validated values as dicts):
    no model instance outlives the results handed out, so a large cache adds no objects for the
    garbage collector to scan beyond its containers."""
    import gc

    users, ann = seed(cdb)
    ann_id = ann.id
    q = users.filter(IUser.id >= 1).cached()
    first, hit = q.all(), q.all()
    assert users.get(ann_id, cached=True) == users.get(ann_id, cached=True) == first[0] == hit[0]
    assert cdb.cache.stats().hits == 2
    del first, hit, ann
    gc.collect()
    assert [o for o in gc.get_objects() if type(o) is IUser] == []
    assert q.all()[0].name == "Ann" and cdb.cache.stats().hits == 3
