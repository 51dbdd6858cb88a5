"""AsyncRepository / AsyncQuery on every backend: every repository and query call awaited, hooks (plain and
async), transactions and savepoints, relationship loading and writes, error mapping, the pool under load
and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import Annotated, Any

import pytest
from conftest import _drop_everything, _server_test_url
from models import Author, Book, Event, Product, User, UserName

import typedorm
from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncQuery,
    AsyncRepository,
    CheckViolation,
    Col,
    Column,
    Database,
    ForeignKey,
    ForeignKeyViolation,
    Model,
    MultipleResultsFound,
    NotFound,
    NotLoaded,
    NotNullViolation,
    Page,
    Q,
    Rel,
    RelList,
    UniqueViolation,
    UnknownField,
    UnsetValueError,
    column,
    func,
    relation,
    select,
)
from typedorm.engine.url import URL
from typedorm.errors import UnknownLookup, ValidationError

Body = Callable[[AsyncDatabase], Awaitable[None]]


class Boom(Exception):
    pass


@pytest.fixture
def url(request: pytest.FixtureRequest, backend_url: URL) -> URL:
    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone; the mysql id covers it")
    request.getfixturevalue("db")  # the sync fixture empties the server database before and after
    return backend_url


def run(url: URL, body: Body, *models: type[Model], **options: Any) -> None:
    """Create ``models``' tables, run ``body(db)`` on a fresh event loop; then no connection may be out."""

    async def main() -> None:
        db = AsyncDatabase(url, **options)
        try:
            await db.create_all(*models)
            await body(db)
            assert db.pool.stats().checked_out == 0, db.pool.stats()
        finally:
            await db.close()

    asyncio.run(main())


def _u(name: str, age: int = 30, **kw: Any) -> User:
    return User(name=name, email=f"{name.lower()}@example.com", age=age, **kw)


async def _stored(db: AsyncDatabase) -> list[tuple[Any, ...]]:
    """Every row of users, read behind the repository's back."""
    return (await db.execute("SELECT id, name, email, age, n, bio FROM users ORDER BY id")).all()


async def _count(db: AsyncDatabase, table: str) -> int:
    n = (await db.execute(f"SELECT COUNT(*) FROM {table}")).scalar()
    assert isinstance(n, int)
    return n


def names(items: list[User]) -> list[str]:
    return [u.name for u in items]


# --- inserts and key lookups ----------------------------------------------------------------------
def test_insert_get_get_or_raise_refresh(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        u = _u("John")
        john = await users.insert(u)
        assert isinstance(john.id, int) and john.id > 0 and john.name == "John"
        with pytest.raises(UnsetValueError):
            _ = u.id  # the argument is not mutated
        explicit = await users.insert(User(id=4242, name="X", email="x@example.com", bio="b"))
        assert explicit.id == 4242 and (explicit.age, explicit.n, explicit.bio) == (0, 0, "b")
        assert await users.get(4242) == explicit
        assert await users.get(999_999) is None
        assert await users.get_or_raise(john.id) == john
        with pytest.raises(NotFound):
            await users.get_or_raise(999_999)
        with pytest.raises(ValidationError):
            await users.get("not-a-number")
        await db.execute("UPDATE users SET age = ? WHERE id = ?", (77, john.id))
        fresh = await users.refresh(john)
        assert fresh.age == 77 and john.age == 30
        await users.delete(john)
        with pytest.raises(NotFound):
            await users.refresh(john)
        with pytest.raises(TypeError):
            await users.insert({"name": "A"})  # type: ignore[arg-type]

    run(url, body, User)


def test_insert_many_in_input_order_and_all_or_nothing(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        assert await users.insert_many([]) == []
        wanted = [f"user{i:03d}" for i in range(250)]
        stored = await users.insert_many(_u(n, age=(i * 37) % 90) for i, n in enumerate(wanted))
        assert names(stored) == wanted
        by_id = {r[0]: r[1] for r in await _stored(db)}
        assert [by_id[s.id] for s in stored] == wanted
        explicit = await users.insert_many(
            [User(id=9010, name="a", email="a@e.com"), User(id=9005, name="b", email="b@e.com")]
        )
        assert [u.id for u in explicit] == [9010, 9005]
        before = await _stored(db)
        with pytest.raises(UniqueViolation) as ei:
            await users.insert_many([_u("New1"), _u("user007"), _u("New2")])
        assert ei.value.fields == ("email",) and ei.value.model == "User"
        assert await _stored(db) == before

    run(url, body, User)


def test_save_update_delete(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        new = await users.save(_u("S", 1))  # AUTO key: insert
        changed = await users.save(new.model_copy(update={"age": 2, "name": "S2"}))  # known key: upsert
        assert changed.id == new.id and (changed.name, changed.age) == ("S2", 2)
        assert await _stored(db) == [(new.id, "S2", "s@example.com", 2, 0, None)]

        a = await users.insert(_u("A", 10))
        b = await users.insert(_u("B", 20))
        a2 = await users.update(a.model_copy(update={"age": 11, "bio": "x"}))
        assert (a2.id, a2.age, a2.bio) == (a.id, 11, "x")
        assert await users.update(User.age >= 11, User.bio.set("old")) == 2
        assert await users.update(User.id == a.id, User.n.set(User.n + 1)) == 1
        assert await users.update(User.age > 1000, User.bio.set("none")) == 0
        with pytest.raises(ValidationError) as ei:
            await users.update(User.age >= 0, User.age.set(-5))
        assert "age" in ei.value.fields
        assert (await users.get_or_raise(a.id)).n == 1

        await users.delete(b)
        assert await users.get(b.id) is None
        with pytest.raises(NotFound):
            await users.delete(b)
        with pytest.raises(NotFound):
            await users.update(b.model_copy(update={"age": 1}))
        assert await users.delete(User.age < 5) == 1
        assert await users.delete(User.age < 0) == 0
        assert names(await users.order_by("name").all()) == ["A"]
        with pytest.raises(TypeError):
            await users.delete(1)  # type: ignore[call-overload]

    run(url, body, User)


def test_patch(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        u = await users.insert(_u("Ann", 30, bio="mine", n=3))
        other = await users.insert(_u("Bob"))
        patched = await users.patch(u.id, b'{"age": 40, "name": "Changed"}')
        assert (patched.age, patched.name, patched.bio, patched.n) == (40, "Changed", "mine", 3)
        assert (await users.patch(u.id, {"bio": None})).bio is None
        assert await users.get_or_raise(u.id) == (await users.refresh(u))
        before = await _stored(db)
        with pytest.raises(ValidationError) as ei:
            await users.patch(u.id, b'{"age": -3}')
        assert ei.value.fields == ("age",)
        with pytest.raises(UnknownField):
            await users.patch(u.id, {"is_admin": True})
        with pytest.raises(ValidationError):
            await users.patch(u.id, {"id": 99})
        with pytest.raises(ValidationError):
            await users.patch(u.id, b"not json")
        with pytest.raises(UniqueViolation) as uv:
            await users.patch(u.id, {"email": other.email})
        assert uv.value.fields == ("email",)
        with pytest.raises(NotFound):
            await users.patch(u.id + 1000, {"age": 1})
        assert await _stored(db) == before

    run(url, body, User)


def test_upsert(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        first = await users.upsert(User(name="Ann", email="ann@example.com", age=1), conflict=User.email)
        second = await users.upsert(User(name="Ann2", email="ann@example.com", age=2), conflict=User.email)
        assert second.id == first.id and (second.name, second.age) == ("Ann2", 2)
        assert await users.count() == 1
        kept = await users.upsert(
            User(name="Z", email="ann@example.com", age=9, bio="drop"), conflict=User.email, update=[User.age]
        )
        assert (kept.name, kept.age, kept.bio) == ("Ann2", 9, None)
        a = await users.upsert(User(id=7, name="A", email="a@example.com"))
        b = await users.upsert(User(id=7, name="B", email="b@example.com"))
        assert a.id == b.id == 7 and b.name == "B"
        with pytest.raises(ValueError):
            await users.upsert(_u("C"), conflict=User.name)
        assert await users.count() == 2

    run(url, body, User)


# --- queries ---------------------------------------------------------------------------------------
PEOPLE = [
    ("John", 30, "a"),
    ("Ann", 25, None),
    ("Bob", 17, "b"),
    ("Jane", 30, None),
    ("Carl", 42, "c"),
    ("Dora", 17, None),
]


async def _people(db: AsyncDatabase) -> AsyncRepository[User]:
    users = AsyncRepository(User, db)
    await users.insert_many(
        [User(name=n, email=f"{n.lower()}@example.com", age=a, bio=b) for n, a, b in PEOPLE]
    )
    return users


def test_filter_filter_by_exclude_order_limit(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        assert sorted(names(await users.all())) == sorted(n for n, _, _ in PEOPLE)
        assert sorted(names(await users.filter(User.age >= 30).all())) == ["Carl", "Jane", "John"]
        assert sorted(names(await users.filter((User.age < 18) | (User.name == "Carl")).all())) == [
            "Bob",
            "Carl",
            "Dora",
        ]
        assert sorted(names(await users.filter(Q(age__gte=30) | Q(name="Ann")).all())) == [
            "Ann",
            "Carl",
            "Jane",
            "John",
        ]
        assert sorted(names(await users.filter(User.bio.is_null()).all())) == ["Ann", "Dora", "Jane"]
        assert await users.filter_by(age__gte=18, name__startswith="J").count() == 2
        assert names(await users.filter_by(name__icontains="JA").all()) == ["Jane"]
        with pytest.raises(UnknownLookup):
            users.filter_by(age__near=3)
        assert sorted(names(await users.exclude(User.age < 18).all())) == ["Ann", "Carl", "Jane", "John"]
        assert sorted(names(await users.filter(User.age >= 18).exclude(name__startswith="J").all())) == [
            "Ann",
            "Carl",
        ]
        by_age = await users.query().order_by(User.age.desc(), User.name).all()
        assert names(by_age) == ["Carl", "Jane", "John", "Ann", "Bob", "Dora"]
        assert names(await users.order_by("-age", "name").all()) == names(by_age)
        with pytest.raises(UnknownField):
            users.order_by("nope")
        q = users.query().order_by("name")
        assert names(await q.limit(2).all()) == ["Ann", "Bob"]
        assert names(await q.limit(2).offset(2).all()) == ["Carl", "Dora"]
        assert await q.offset(100).all() == []
        assert await q.limit(3).count() == 3
        assert await users.query().distinct().order_by("age").values("age") == [
            {"age": 17},
            {"age": 25},
            {"age": 30},
            {"age": 42},
        ]
        assert isinstance(users.filter(User.age > 1), AsyncQuery)
        assert "SELECT" in repr(users.filter(User.age > 1))

    run(url, body, User)


def test_first_last_one_one_or_none_count_exists(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        by_id = await users.query().order_by(User.id).all()
        assert await users.first() == by_id[0]
        assert await users.last() == by_id[-1]
        first = await users.query().order_by("age", "name").first()
        last = await users.query().order_by("age", "name").last()
        assert first is not None and first.name == "Bob"
        assert last is not None and last.name == "Carl"
        assert await users.filter(User.age > 1000).first() is None
        assert await users.filter(User.age > 1000).last() is None
        assert (await users.filter(User.name == "Ann").one()).age == 25
        with pytest.raises(NotFound):
            await users.filter(User.name == "Nobody").one()
        with pytest.raises(MultipleResultsFound):
            await users.filter(User.age == 30).one()
        assert await users.filter(User.name == "Ann").one_or_none() is not None
        assert await users.filter(User.name == "Nobody").one_or_none() is None
        with pytest.raises(MultipleResultsFound):
            await users.filter(User.age == 17).one_or_none()
        assert await users.count() == 6
        assert await users.filter(User.age == 30).count() == 2
        assert await users.exists() is True
        assert await users.filter(User.name == "Nobody").exists() is False

    run(url, body, User)


def test_projections_rows_values_into(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        got = await users.filter(User.age >= 30).order_by("name").values("name", "age")
        assert got == [{"name": "Carl", "age": 42}, {"name": "Jane", "age": 30}, {"name": "John", "age": 30}]
        full = await users.filter(User.name == "Ann").values()
        assert set(full[0]) == {"id", "name", "email", "age", "n", "bio"}
        assert (await users.values("email"))[0]["email"].endswith("@example.com")
        assert await users.order_by("name").limit(2).values_list("name", "age") == [("Ann", 25), ("Bob", 17)]
        rows = await users.filter(User.age >= 30).order_by("name").rows(User.name, User.age, User.bio)
        assert rows == [("Carl", 42, "c"), ("Jane", 30, None), ("John", 30, "a")]
        pairs = await users.rows(select(User.id, User.name).where(User.age >= 30).order_by(User.name))
        assert [p[1] for p in pairs] == ["Carl", "Jane", "John"] and all(isinstance(p[0], int) for p in pairs)
        into = await users.rows(select(User.id, User.name).where(User.name == "Ann").into(UserName))
        assert [type(x) for x in into] == [UserName] and into[0].name == "Ann"
        projected = await users.filter(User.age < 18).order_by("name").into(UserName)
        assert [p.name for p in projected] == ["Bob", "Dora"]
        with pytest.raises(UnknownField):
            await users.query().values("nope")

    run(url, body, User)


def test_aggregates_group_by_having_and_query_writes(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        assert await users.query().sum(User.age) == 161
        assert await users.filter(User.age < 30).avg(User.age) == pytest.approx(59 / 3)
        assert await users.query().min(User.age) == 17
        assert await users.query().max(User.name) == "John"
        assert await users.filter(User.age > 1000).sum(User.age) is None
        groups = (
            await users.query()
            .group_by(User.age)
            .having(func.count() > 1)
            .order_by(User.age)
            .rows(User.age, func.count())
        )
        assert groups == [(17, 2), (30, 2)]
        assert await users.filter(User.age < 18).update(User.bio.set("minor"), User.n.set(User.n + 5)) == 2
        assert sorted(await users.filter(User.bio == "minor").values_list("name", "n")) == [
            ("Bob", 5),
            ("Dora", 5),
        ]
        assert await users.filter(User.age == 30).delete() == 2
        with pytest.raises(ValueError):
            await users.query().limit(1).delete()
        assert await users.count() == 4

    run(url, body, User)


def test_paginate(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        page = await users.query().order_by("name").paginate(2, 4)
        assert isinstance(page, Page)
        assert (names(page.items), page.page, page.size, page.total, page.pages) == (
            ["Jane", "John"],
            2,
            4,
            6,
            2,
        )
        assert page.has_prev and not page.has_next
        first = await users.paginate(1, 4)
        assert len(first.items) == 4 and first.has_next
        with pytest.raises(ValueError):
            await users.paginate(0, 4)

    run(url, body, User)


def test_iterate_and_async_for(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        await users.insert_many(_u(f"u{i:03d}", age=i) for i in range(120))
        seen = [u.age async for u in users.order_by(User.age).iterate(batch_size=7)]
        assert seen == list(range(120))
        assert len([u async for u in users.iterate()]) == 120
        assert [u.age async for u in users.filter(User.age < 3).order_by("age")] == [0, 1, 2]  # __aiter__
        async with db.transaction():  # a stream inside a transaction uses the transaction's connection
            inside = [
                u.age async for u in users.filter(User.age >= 100).order_by("age").iterate(batch_size=5)
            ]
            assert inside == list(range(100, 120))
            await users.insert(_u("late", age=200))
        stream = users.order_by("age").iterate(batch_size=10)
        assert isinstance(stream, AsyncGenerator)  # an async generator: it can be closed early
        async with contextlib.aclosing(stream):
            async for u in stream:
                if u.age == 15:
                    break  # closing the stream early returns its connection
        assert db.pool.stats().checked_out == 0
        with pytest.raises(ValueError):
            _ = [u async for u in users.iterate(batch_size=0)]
        assert await users.count() == 121

    run(url, body, User)


def test_raw(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = await _people(db)
        got = await users.raw("SELECT * FROM users WHERE age >= ? ORDER BY name", (30,))
        assert names(got) == ["Carl", "Jane", "John"] and all(isinstance(u, User) for u in got)
        named = await users.raw("SELECT * FROM users WHERE name = :name", {"name": "Ann"})
        assert [u.age for u in named] == [25]
        assert await users.raw("SELECT * FROM users WHERE name = ?", ("x' OR '1'='1",)) == []

    run(url, body, User)


# --- JSON payloads -----------------------------------------------------------------------------
def test_insert_json_and_insert_many_json(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        ann = await users.insert_json(b'{"name": "Ann", "email": "ann@example.com", "age": 25}')
        assert (ann.name, ann.age, ann.bio) == ("Ann", 25, None) and isinstance(ann.id, int)
        bob = await users.insert_json('{"name": "Bob", "email": "bob@example.com"}')
        assert await users.get_or_raise(bob.id) == bob
        with pytest.raises(ValidationError) as ei:
            await users.insert_json(b'{"name": "Cy", "email": "not-an-email"}')
        assert ei.value.fields == ("email",)
        with pytest.raises(UniqueViolation) as uv:
            await users.insert_json(b'{"name": "Ann2", "email": "ann@example.com"}')
        assert uv.value.fields == ("email",)
        many = await users.insert_many_json(
            json.dumps([{"name": f"a{i}", "email": f"a{i}@example.com"} for i in range(3)])
        )
        assert names(many) == ["a0", "a1", "a2"]
        docs = [json.dumps({"name": f"d{i}", "email": f"d{i}@example.com"}) for i in range(3)]
        assert names(await users.insert_many_json(docs)) == ["d0", "d1", "d2"]
        before = await _stored(db)
        with pytest.raises(ValidationError) as bad:
            await users.insert_many_json([docs[0].replace("d0", "e0"), '{"name": "x", "age": 1}'])
        assert bad.value.errors()[0]["loc"][0] == 1
        with pytest.raises(UniqueViolation):
            await users.insert_many_json(
                '[{"name": "n1", "email": "n1@example.com"}, {"name": "n2", "email": "ann@example.com"}]'
            )
        assert await _stored(db) == before

    run(url, body, User)


# --- hooks -----------------------------------------------------------------------------------------
def test_plain_and_async_hooks_run_in_order(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        calls: list[tuple[str, object]] = []

        @users.before_insert
        async def normalise(u: User) -> User:
            await asyncio.sleep(0)
            calls.append(("before_insert", u.name))
            return u.model_copy(update={"email": u.email.lower()})

        @users.after_insert
        def ai(u: User) -> None:
            calls.append(("after_insert", u.id))

        @users.before_update
        def bu(u: User) -> None:
            calls.append(("before_update", u.age))

        @users.after_update
        async def au(u: User) -> None:
            calls.append(("after_update", u.age))

        @users.before_delete
        async def bd(u: User) -> None:
            calls.append(("before_delete", u.id))

        @users.after_delete
        def ad(u: User) -> None:
            calls.append(("after_delete", u.id))

        a = await users.insert(User(name="A", email="A@Example.com"))
        assert a.email == "a@example.com"
        await users.update(a.model_copy(update={"age": 5}))
        await users.patch(a.id, {"age": 6})
        await users.delete(a)
        assert calls == [
            ("before_insert", "A"),
            ("after_insert", a.id),
            ("before_update", 5),
            ("after_update", 5),
            ("before_update", 6),
            ("after_update", 6),
            ("before_delete", a.id),
            ("after_delete", a.id),
        ]
        many = await users.insert_many([User(name="B", email="B@x.com"), User(name="C", email="C@x.com")])
        assert [u.email for u in many] == ["b@x.com", "c@x.com"]

    run(url, body, User)


def test_async_hooks_write_in_the_transaction_and_failures_roll_back(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        events = AsyncRepository(Event, db)
        fail = {"on": False}

        @users.after_insert
        async def audit(u: User) -> None:
            await events.insert(Event(kind="insert", ref=u.id))
            if fail["on"]:
                raise Boom

        a = await users.insert(_u("A"))
        assert await events.query().values_list("kind", "ref") == [("insert", a.id)]
        fail["on"] = True
        with pytest.raises(Boom):
            await users.insert(_u("B"))
        with pytest.raises(Boom):
            await users.insert_many([_u("C"), _u("D")])
        with pytest.raises(Boom):
            await users.insert_json(b'{"name": "E", "email": "e@example.com"}')
        assert await _count(db, "users") == 1
        assert await _count(db, "events") == 1

        @users.before_update
        async def guard(u: User) -> None:
            raise Boom

        with pytest.raises(Boom):
            await users.update(a.model_copy(update={"age": 99}))
        with pytest.raises(Boom):
            await users.patch(a.id, {"age": 98})
        assert (await users.get_or_raise(a.id)).age == 30

        @users.before_insert
        def wrong(u: User) -> Any:
            return "nope"

        with pytest.raises(TypeError):
            await users.insert(_u("F"))
        assert await _count(db, "users") == 1

    run(url, body, User, Event)


def test_model_level_async_hook(url: URL) -> None:
    class Tagged(Model, table="atagged"):
        id: PK[int] = column(default=AUTO)
        label: Col[str]
        stamp: Col[str] = column(default="")

    async def stamp(obj: Tagged) -> Tagged:
        await asyncio.sleep(0)
        return obj.model_copy(update={"stamp": "hooked"})

    typedorm.add_hook(Tagged, "before_insert", stamp)

    async def body(db: AsyncDatabase) -> None:
        got = await AsyncRepository(Tagged, db).insert(Tagged(label="x"))
        assert got.stamp == "hooked"
        assert (await db.execute("SELECT stamp FROM atagged")).scalar() == "hooked"

    run(url, body, Tagged)


# --- transactions -----------------------------------------------------------------------------------
def test_transactions_and_savepoints(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        async with db.transaction():
            await users.insert(_u("Outer"))
            with pytest.raises(Boom):
                async with db.transaction():  # a savepoint
                    await users.insert(_u("Inner"))
                    raise Boom
            async with db.transaction():
                await users.insert(_u("Kept"))
                with pytest.raises(UniqueViolation):
                    async with db.transaction():
                        await users.insert(_u("Kept"))  # fails inside a third level
            assert sorted(names(await users.all())) == ["Kept", "Outer"]
        assert sorted(names(await users.all())) == ["Kept", "Outer"]

        with pytest.raises(Boom):
            async with db.transaction():
                await users.insert(_u("Gone"))
                async with db.transaction():
                    await users.update(User.name == "Outer", User.age.set(1))
                raise Boom
        assert await users.filter(User.name == "Gone").count() == 0
        assert (await users.filter(User.name == "Outer").one()).age == 30

        @db.transaction()
        async def move(n: int) -> int:
            await users.insert(_u(f"Moved{n}"))
            if n < 0:
                raise Boom
            return await users.count()

        assert await move(1) == 3
        with pytest.raises(Boom):
            await move(-1)
        assert await users.count() == 3
        assert not db.in_transaction()

    run(url, body, User)


# --- relationships ------------------------------------------------------------------------------------
class AWriter(Model, table="arel_writers"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[APost] = relation(fk="writer_id", order_by="id")


class APost(Model, table="arel_posts"):
    id: PK[int] = column(default=AUTO)
    writer_id: Annotated[Col[int], ForeignKey(AWriter.id, on_delete="cascade")]
    title: Col[str]
    writer: Rel[AWriter] = relation(fk="writer_id")
    notes: RelList[ANote] = relation(order_by="id")
    labels: RelList[ALabel] = relation(through="arel_post_labels", order_by="name")


class ANote(Model, table="arel_notes"):
    id: PK[int] = column(default=AUTO)
    post_id: Annotated[Col[int], ForeignKey(APost.id, on_delete="cascade")]
    body: Col[str]


class ALabel(Model, table="arel_labels"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(unique=True, max_length=50)]
    posts: RelList[APost] = relation(through="arel_post_labels", order_by="id")


REL_MODELS = (AWriter, APost, ANote, ALabel)


def test_relationship_loading(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        writers, posts, notes = (
            AsyncRepository(AWriter, db),
            AsyncRepository(APost, db),
            AsyncRepository(ANote, db),
        )
        stored = await writers.insert_many([AWriter(name=f"w{i}") for i in range(30)])
        ps = await posts.insert_many(
            [APost(writer_id=w.id, title=f"{w.name}-p{j}") for w in stored for j in range(2)]
        )
        await notes.insert_many([ANote(post_id=p.id, body=f"{p.title}-n") for p in ps])
        with db.count_queries() as q:
            loaded = await writers.order_by(AWriter.id).load(AWriter.posts, APost.notes).all()
        assert q.count == 3  # one query per relation, whatever the number of rows
        assert [len(w.posts) for w in loaded] == [2] * 30
        assert loaded[0].posts[1].notes[0].body == "w0-p1-n"
        one = await posts.filter(APost.id == ps[0].id).load(APost.writer).one()
        assert one.writer.name == "w0"
        assert [
            len(w.posts) async for w in writers.order_by("id").load(AWriter.posts).iterate(batch_size=7)
        ] == [2] * 30
        async with db.transaction():
            assert len([w async for w in writers.load(AWriter.posts).iterate(batch_size=4)]) == 30
        plain = await writers.get_or_raise(stored[0].id)
        with pytest.raises(NotLoaded):
            _ = plain.posts
        same = await writers.load_related(plain, AWriter.posts)
        assert same is plain and [p.title for p in plain.posts] == ["w0-p0", "w0-p1"]
        batch = await writers.load_related(
            await writers.filter(AWriter.id <= stored[1].id).all(), AWriter.posts
        )
        assert [len(w.posts) for w in batch] == [2, 2]
        assert await writers.load(AWriter.posts).count() == 30

    run(url, body, *REL_MODELS)


def test_relationship_writes(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        writers, posts, labels = (
            AsyncRepository(AWriter, db),
            AsyncRepository(APost, db),
            AsyncRepository(ALabel, db),
        )
        old = await labels.insert(ALabel(name="old"))
        w = AWriter(
            name="Ann",
            posts=[
                APost(
                    writer_id=0,
                    title="first",
                    notes=[ANote(post_id=0, body="n1")],
                    labels=[old, ALabel(name="new")],
                ),
                APost(writer_id=0, title="second"),
            ],
        )
        stored = await writers.insert(w, with_related=True)
        assert [p.writer_id for p in stored.posts] == [stored.id, stored.id]
        again = (
            await writers.filter(AWriter.id == stored.id)
            .load(AWriter.posts.then(APost.notes, APost.labels))
            .one()
        )
        assert [p.title for p in again.posts] == ["first", "second"]
        assert [n.body for n in again.posts[0].notes] == ["n1"]
        assert [t.name for t in again.posts[0].labels] == ["new", "old"]
        parent_first = await posts.insert(
            APost(writer_id=0, title="p", writer=AWriter(name="New")), with_related=True
        )
        assert parent_first.writer_id == parent_first.writer.id
        with pytest.raises(ValueError):
            await writers.insert(AWriter(name="Bob", posts=[APost(writer_id=0, title="x")]))

        p = await posts.insert(APost(writer_id=stored.id, title="tagged"))
        t1, t2, t3 = await labels.insert_many([ALabel(name="t1"), ALabel(name="t2"), ALabel(name="t3")])
        assert await posts.add_related(p, APost.labels, t1, t2) == 2
        assert await posts.add_related(p, APost.labels, t2) == 0
        assert await posts.remove_related(p, APost.labels, t1) == 1
        await posts.set_related(p, APost.labels, [t3, t1])
        loaded = await posts.filter(APost.id == p.id).load(APost.labels).one()
        assert [t.name for t in loaded.labels] == ["t1", "t3"]
        await posts.set_related(p, APost.labels, [])
        assert (await posts.load_related(p, APost.labels)).labels == []

        with pytest.raises(UniqueViolation):  # a clash deep in the graph undoes the whole insert
            await writers.insert(
                AWriter(name="Cy", posts=[APost(writer_id=0, title="c", labels=[ALabel(name="old")])]),
                with_related=True,
            )
        assert await writers.filter(AWriter.name == "Cy").count() == 0
        assert await posts.filter(APost.title == "c").count() == 0

    run(url, body, *REL_MODELS)


# --- errors ------------------------------------------------------------------------------------------------
def test_integrity_errors_name_the_field(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users, products = AsyncRepository(User, db), AsyncRepository(Product, db)
        authors, books = AsyncRepository(Author, db), AsyncRepository(Book, db)
        ann = await users.insert(_u("Ann"))
        bob = await users.insert(_u("Bob"))
        before = await _stored(db)
        for attempt in (
            users.insert(User(name="Other", email=ann.email)),
            users.update(bob.model_copy(update={"email": ann.email})),
            users.save(bob.model_copy(update={"email": ann.email})),
            users.update(User.id == bob.id, User.email.set(ann.email)),
        ):
            with pytest.raises(UniqueViolation) as ei:
                await attempt
            assert (ei.value.model, ei.value.fields) == ("User", ("email",))
            assert "User.email" in str(ei.value)
        with pytest.raises(UniqueViolation) as pk:
            await users.insert(User(id=ann.id, name="Other", email="other@example.com"))
        assert pk.value.fields == ("id",)
        assert await _stored(db) == before

        with pytest.raises(CheckViolation) as cv:
            await products.insert(Product(sku="neg", price=-1))
        assert (cv.value.model, cv.value.fields) == ("Product", ("price",))
        with pytest.raises(NotNullViolation) as nn:
            await products.insert(Product.model_construct(id=AUTO, sku=None, price=1, qty=0))
        assert nn.value.fields == ("sku",)
        with pytest.raises(ForeignKeyViolation) as fk:
            await books.insert(Book(title="Orphan", author_id=12345))
        assert (fk.value.model, fk.value.fields) == ("Book", ("author_id",))
        author = await authors.insert(Author(name="A"))
        await books.insert(Book(title="B", author_id=author.id))
        with pytest.raises(ForeignKeyViolation):
            await authors.delete(author)
        assert await products.count() == 0 and await authors.count() == 1

    run(url, body, User, Product, Author, Book)


def test_repository_made_before_the_first_connection(url: URL) -> None:
    async def main() -> None:
        async with AsyncDatabase(url) as setup:
            await setup.create_all(User)
        db = AsyncDatabase(url)  # nothing connected yet (MySQL: server version unknown)
        try:
            users = AsyncRepository(User, db)
            stored = await users.insert_many([_u("A"), _u("B")])
            assert [u.id for u in stored] == sorted(u.id for u in stored)
            assert (await users.insert(_u("C"))).id > stored[1].id
        finally:
            await db.close()

    asyncio.run(main())


def test_flavours_are_not_mixed(url: URL, db: Database) -> None:
    async def body(adb: AsyncDatabase) -> None:
        with pytest.raises(TypeError, match="AsyncDatabase"):
            typedorm.Repository(User, adb)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="AsyncRepository needs an AsyncDatabase"):
        AsyncRepository(User, db)  # type: ignore[arg-type]
    run(url, body, User)


# --- the pool under load and cancellation ----------------------------------------------------------------
def test_cancelling_20_tasks_mid_transaction(url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)
        inside = 0
        all_inside = asyncio.Event()

        async def worker(w: int) -> None:
            nonlocal inside
            async with db.transaction():
                rows = await users.insert_many([_u(f"w{w}x{i}") for i in range(3)])
                single = await users.insert(_u(f"w{w}single"))
                # by primary key: a WHERE on an unindexed column would lock every row on InnoDB
                await users.update(single.model_copy(update={"age": 1}))
                await users.update(User.id == rows[0].id, User.age.set(2))
                inside += 1
                if inside == 20:
                    all_inside.set()
                await asyncio.sleep(60)  # cancelled here, mid-transaction
                await users.insert(_u(f"w{w}never"))

        tasks = [asyncio.create_task(worker(w)) for w in range(20)]
        # SQLite serialises write transactions: then only some are inside, the rest wait on the lock
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_inside.wait(), 2 if db.dialect.name == "sqlite" else 30)
        assert inside >= 1
        if db.dialect.name != "sqlite":
            assert inside == 20
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results
        assert db.pool.stats().checked_out == 0
        assert await users.count() == 0  # no partial rows
        assert names(await users.insert_many([_u("after")])) == ["after"]  # the connections are clean

    run(url, body, User, pool_size=20, max_overflow=0)


@pytest.fixture
def pg_url() -> Iterator[URL]:
    url = _server_test_url("postgresql")
    sync = Database(url)
    _drop_everything(sync)
    try:
        yield url
    finally:
        _drop_everything(sync)
        sync.close()


def test_100_tasks_x_50_inserts_on_postgresql(pg_url: URL) -> None:
    async def body(db: AsyncDatabase) -> None:
        users = AsyncRepository(User, db)

        async def worker(t: int) -> None:
            for i in range(50):
                if i % 10 == 0:
                    async with db.transaction():
                        await users.insert(_u(f"t{t:03d}i{i:02d}"))
                else:
                    await users.insert(_u(f"t{t:03d}i{i:02d}"))

        await asyncio.gather(*(worker(t) for t in range(100)))
        assert await users.count() == 5000
        assert len({row[0] for row in await users.query().values_list("id")}) == 5000
        stats = db.pool.stats()
        assert stats.checked_out == 0 and stats.timeouts_total == 0

    run(pg_url, body, User, pool_size=10, max_overflow=10)
