# pyright: strict
"""Expected errors of the query cache API (see usage_errors.py for the rules). Never executed."""

from __future__ import annotations

from typing_models import User

from typedorm import Database, Repository
from typedorm.cache import MemoryCache

db = Database("sqlite:///:memory:", cache=MemoryCache())
users = Repository(User, db)

Database("sqlite:///:memory:", cache="redis")  # E: arg-type
users.filter(User.age >= 18).cached(ttl="30")  # E: arg-type
users.get(1, cached="yes")  # E: arg-type
db.execute("DELETE FROM users", touches=[1])  # E: list-item
MemoryCache(max_entries="10")  # E: arg-type
