# pyright: strict
"""The query cache keeps every result type exactly (sync and asyncio). Checked by test_typing.py;
never executed."""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from typing import Any, assert_type

from typing_models import User

from typedorm import AsyncDatabase, AsyncQuery, AsyncRepository, Database, Query, Repository
from typedorm.cache import Cache, CacheStats, MemoryCache, RedisCache

db = Database("sqlite:///:memory:", cache=MemoryCache(max_entries=1000, max_bytes=2**20, default_ttl=60))
shared = Database("sqlite:///:memory:", cache=RedisCache("redis://127.0.0.1:6379/0", timeout=0.05))
users = Repository(User, db)

assert_type(db.cache, Cache)
assert_type(db.cache.stats(), CacheStats)
assert_type(db.cache.stats().hits, int)
assert_type(db.cache.stats().hit_ratio, float)
assert_type(users.filter(User.age >= 18).cached(ttl=30), Query[User])
assert_type(users.filter(User.age >= 18).cached(ttl=30).all(), list[User])
assert_type(users.filter(User.age >= 18).cached().first(), User | None)
assert_type(users.cached(ttl=5).filter(User.age >= 18).count(), int)
assert_type(users.query().cached(in_snapshot=True).rows(User.id, User.name), list[tuple[int, str]])
assert_type(users.get(1, cached=True), User | None)
assert_type(users.get(1, cached=30), User | None)
assert_type(users.get_or_raise(1, cached=2.5), User)
assert_type(db.execute("UPDATE users SET age = 1", touches=[User]).rowcount, int)
db.execute("UPDATE users SET age = 1", touches=["users"])
db.invalidate_cache(User, "orders")

adb = AsyncDatabase("sqlite:///:memory:", cache=RedisCache())
ausers = AsyncRepository(User, adb)
assert_type(ausers.filter(User.age >= 18).cached(ttl=30), AsyncQuery[User])
pending: Coroutine[Any, Any, User | None] = ausers.get(1, cached=True)
listing: Awaitable[list[User]] = ausers.cached().filter(User.age >= 18).all()


async def reads() -> None:
    assert_type(await ausers.get(1, cached=True), User | None)
    assert_type(await ausers.filter(User.age >= 18).cached(ttl=30).all(), list[User])
    assert_type(adb.cache.stats(), CacheStats)
