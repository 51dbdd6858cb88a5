# pyright: strict
"""Misuses of the asyncio API that the checkers must reject: each marked line reports exactly the marked codes.

Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from typing_models import Order, User

from typedorm import AsyncDatabase, AsyncRepository, Database, Repository

db = AsyncDatabase("sqlite:///:memory:")
users = AsyncRepository(User, db)
u = User(name="ann", email="ann@example.com")

AsyncRepository(User, Database("sqlite:///:memory:"))  # E: arg-type
Repository(User, db)  # E: arg-type
users.filter(Order.user_id > 1)  # E: arg-type


async def forgotten_await() -> None:
    found: User | None = users.get(1)  # E: assignment
    rows: list[User] = users.filter(User.age >= 18).all()  # E: assignment
    print(len(users.all()))  # E: arg-type
    await users.filter(User.age >= 18)  # E: misc
    for _ in users.iterate():  # E: attr-defined
        pass
    print(found, rows)


@users.before_insert  # E: arg-type
async def wrong_result(user: User) -> str:
    return user.name
