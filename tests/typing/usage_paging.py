# pyright: strict
"""``Repository.limit`` / ``offset`` return typed queries, sync and async. Never executed."""

from __future__ import annotations

from typing import assert_type

from typing_models import User

from typedorm import AsyncDatabase, AsyncQuery, AsyncRepository, Database, Query, Repository

users = Repository(User, Database("sqlite:///:memory:"))
assert_type(users.limit(10), Query[User])
assert_type(users.offset(10), Query[User])
assert_type(users.limit(10).offset(20).all(), list[User])
assert_type(users.offset(5).first(), User | None)
ausers = AsyncRepository(User, AsyncDatabase("sqlite:///:memory:"))
assert_type(ausers.limit(None), AsyncQuery[User])
assert_type(ausers.offset(1).limit(2), AsyncQuery[User])
