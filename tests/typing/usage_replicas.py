# pyright: strict
"""The typing contract of read replicas: ``replicas=``, ``using=``, ``use_primary()``,
``Repository(..., using=)`` / ``repo.using()``, ``db.routing``. Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from typing import assert_type

from typing_models import User

from typedorm import AsyncDatabase, AsyncRepository, Database, Repository, Result
from typedorm.engine.routing import RoutingStats
from typedorm.engine.url import URL

db = Database("postgresql://app@primary/shop", replicas=["postgresql://app@replica1/shop", URL.parse("postgresql://r2/shop")])
db2 = Database("postgresql://h1:5432,h2:5432/shop?target_session_attrs=read-write", replica_strategy="round_robin")
assert_type(db.execute("SELECT 1", using="replica"), Result)
assert_type(db.execute("SELECT 1", (), using="primary"), Result)
with db.use_primary():
    pass
assert_type(db.routing, RoutingStats | None)
stats = db.routing
if stats is not None:
    assert_type(stats.replica_share, float)
    assert_type(stats.replica_reads, int)

users = Repository(User, db, using="primary")
assert_type(users, Repository[User])
assert_type(users.using("replica"), Repository[User])
assert_type(users.using(None).get(1), User | None)


async def main() -> None:
    adb = AsyncDatabase("postgresql://primary/shop", replicas=["postgresql://replica/shop"])
    assert_type(await adb.execute("SELECT 1", using="replica"), Result)
    with adb.use_primary():
        pass
    ausers = AsyncRepository(User, adb).using("primary")
    assert_type(ausers, AsyncRepository[User])
    assert_type(await ausers.get(1), User | None)
