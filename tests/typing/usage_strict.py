# pyright: strict
"""Strict models (``strict=True`` class keyword) and the keyword-only ``allow_auto`` of the JSON entry points.

Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from typing import assert_type

from typedorm import AUTO, PK, AsyncDatabase, AsyncRepository, Col, Database, Model, Repository, column


class StrictUser(Model, table="strict_users", strict=True):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int] = column(default=0)


class LaxUser(Model, table="lax_users", strict=False):
    id: PK[int] = column(default=AUTO)
    age: Col[int] = column(default=0)


users = Repository(StrictUser, Database("sqlite:///:memory:"))
assert_type(users.insert_json(b'{"name": "ann"}'), StrictUser)
assert_type(users.insert_json(b'{"id": 7, "name": "ann"}', allow_auto=True), StrictUser)
assert_type(users.insert_many_json(b'[{"name": "ann"}]', allow_auto=False), list[StrictUser])
assert_type(users.patch(1, b'{"age": 3}'), StrictUser)
assert_type(users.patch(1, {"age": 3}, allow_auto=True), StrictUser)
assert_type(StrictUser(name="ann").age, int)
assert_type(LaxUser(age=1), LaxUser)


async def async_use(db: AsyncDatabase) -> None:
    ausers = AsyncRepository(StrictUser, db)
    assert_type(await ausers.insert_json(b'{"name": "ann"}', allow_auto=True), StrictUser)
    assert_type(await ausers.insert_many_json([b'{"name": "ann"}'], allow_auto=True), list[StrictUser])
    assert_type(await ausers.patch(1, b'{"age": 3}', allow_auto=False), StrictUser)
