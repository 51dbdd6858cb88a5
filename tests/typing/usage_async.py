# pyright: strict
"""The typing contract of the asyncio API: the same result types as the sync one, awaited.

Every ``assert_type`` here must hold in mypy --strict and pyright strict. Checked by test_typing.py;
never executed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from decimal import Decimal
from typing import Any, assert_type

from typing_models import Order, Summary, User

from typedorm import (
    AsyncDatabase,
    AsyncQuery,
    AsyncRepository,
    Page,
    Q,
    Result,
    func,
    select,
)
from typedorm.engine.aio import AsyncTransaction

db = AsyncDatabase("sqlite:///:memory:")
assert_type(db, AsyncDatabase)
users = AsyncRepository(User, db)
assert_type(users, AsyncRepository[User])
orders = AsyncRepository(Order, db)
u = User(name="ann", email="ann@example.com")

# --- calls that do I/O are coroutines; building queries is not ------------------------------
# (assigned, not asserted: mypy names the type Coroutine, pyright CoroutineType; awaited below)
pending_get: Coroutine[Any, Any, User | None] = users.get(1)
pending_insert: Awaitable[User] = users.insert(u)
pending_count: Awaitable[int] = users.filter(User.age >= 18).count()
assert_type(users.filter(User.age >= 18), AsyncQuery[User])
assert_type(users.query(), AsyncQuery[User])
assert_type(users.iterate(), AsyncIterator[User])
assert_type(users.filter(User.age >= 18).iterate(batch_size=100), AsyncIterator[User])
assert_type(users.validate_json('{"name": "ann", "email": "a@example.com"}'), User)
coro: Awaitable[list[User]] = users.filter(User.age >= 18).all()


async def writes() -> None:
    assert_type(await users.insert(u), User)
    assert_type(await users.insert(u, with_related=True), User)
    assert_type(await users.insert_many([u, u]), list[User])
    assert_type(await users.insert_many(x for x in [u]), list[User])
    assert_type(await users.save(u), User)
    assert_type(await users.update(u), User)
    assert_type(await users.update(User.id == 1, User.age.set(31), User.name.set("x")), int)
    assert_type(await users.update(Q(name="ann"), User.age.set(None)), int)
    assert_type(await users.upsert(u), User)
    assert_type(await users.upsert(u, conflict=User.email, update=[User.name]), User)
    assert_type(await users.refresh(u), User)
    assert_type(await users.patch(1, {"age": 32}), User)
    assert_type(await users.patch(1, b'{"age": 32}'), User)
    assert_type(await users.delete(u), None)
    assert_type(await users.delete(User.age < 18), int)
    assert_type(await users.delete(Q(age__lt=18)), int)
    assert_type(await users.insert_json('{"name": "ann", "email": "a@example.com"}'), User)
    assert_type(await users.insert_many_json(b'[{"name": "ann", "email": "a@example.com"}]'), list[User])
    assert_type(await users.insert_many_json(['{"name": "a", "email": "b"}']), list[User])


async def reads() -> None:
    assert_type(await users.get(1), User | None)
    assert_type(await users.get_or_raise(1), User)
    assert_type(await users.all(), list[User])
    assert_type(await users.first(), User | None)
    assert_type(await users.last(), User | None)
    assert_type(await users.count(), int)
    assert_type(await users.exists(), bool)
    assert_type(await users.paginate(1, 20), Page[User])
    assert_type(await users.values("id", "name"), list[dict[str, Any]])
    assert_type(await users.raw("SELECT * FROM users WHERE age > ?", (18,)), list[User])
    assert_type(await users.rows(select(User.id, User.name)), list[tuple[int, str]])
    assert_type(await users.rows(select(User.id, User.name).into(Summary)), list[Summary])
    assert_type(await users.rows(select(func.count())), list[tuple[int]])
    async for user in users.iterate(batch_size=500):
        assert_type(user, User)


async def queries() -> None:
    q = users.filter(User.age >= 18)
    assert_type(q.filter(User.name != "x").filter_by(name__icontains="a"), AsyncQuery[User])
    assert_type(q.exclude(User.name == "x").order_by("-age", User.name).limit(10).offset(5), AsyncQuery[User])
    assert_type(q.distinct().group_by(User.age).having(func.count() > 1), AsyncQuery[User])
    assert_type(await q.all(), list[User])
    assert_type(await q.first(), User | None)
    assert_type(await q.last(), User | None)
    assert_type(await q.one(), User)
    assert_type(await q.one_or_none(), User | None)
    assert_type(await q.count(), int)
    assert_type(await q.exists(), bool)
    page = await q.paginate(2, 10)
    assert_type(page, Page[User])
    assert_type(page.items, list[User])
    assert_type(await q.values("name"), list[dict[str, Any]])
    assert_type(await q.values_list("id", "name"), list[tuple[Any, ...]])
    assert_type(await q.rows(User.id), list[tuple[int]])
    assert_type(await q.rows(User.id, User.name, User.age), list[tuple[int, str, int | None]])
    assert_type(await q.group_by(User.age).rows(User.age, func.count()), list[tuple[int | None, int]])
    assert_type(await q.into(Summary), list[Summary])
    assert_type(await q.sum(User.score), float | None)
    assert_type(await q.sum(User.age), int | None)
    assert_type(await orders.query().sum(Order.total), Decimal | None)
    assert_type(await q.avg(User.age), float | None)
    assert_type(await orders.query().avg(Order.total), Decimal | None)
    assert_type(await q.min(User.name), str | None)
    assert_type(await q.max(User.age), int | None)
    assert_type(await q.update(User.age.set(18)), int)
    assert_type(await q.delete(), int)
    assert_type(q.iterate(), AsyncIterator[User])
    async for user in q:
        assert_type(user, User)
    assert_type([x async for x in q.iterate(batch_size=10)], list[User])


# --- the database ------------------------------------------------------------------------------
async def database() -> None:
    assert_type(await db.execute("SELECT id FROM users WHERE age > ?", (18,)), Result)
    assert_type(db.transaction(), AsyncTransaction)
    async with db.transaction() as tx:
        assert_type(tx, AsyncTransaction)
        assert_type(await users.insert(u), User)
        async with db.transaction():  # a savepoint
            assert_type(await users.count(), int)
    assert_type(db.in_transaction(), bool)

    @db.transaction(retry=3)
    async def move(user_id: int) -> int:
        return await users.update(User.id == user_id, User.score.set(User.score + 1.0))

    assert_type(await move(1), int)


# --- hooks: plain or async functions ---------------------------------------------------------------
@users.before_insert
async def normalise(user: User) -> User:
    return user.model_copy(update={"email": user.email.lower()})


@users.before_update
def check(user: User) -> None: ...


@users.after_insert
async def inserted(user: User) -> None: ...


@users.after_delete
def deleted(user: User) -> None: ...


assert_type(normalise, Callable[[User], User | Awaitable[User | None] | None])
assert_type(inserted, Callable[[User], Awaitable[None] | None])
users.add_hook("before_update", lambda user: None)
