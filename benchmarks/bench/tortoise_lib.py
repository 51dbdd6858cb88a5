"""Tortoise ORM (async): every workload runs in its own ``asyncio.run``, with Tortoise initialised
and closed around it outside the timed region."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

from tortoise import Tortoise, fields, models
from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer


class User(models.Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=255, unique=True)
    age = fields.IntField()
    score = fields.FloatField()
    active = fields.BooleanField()
    created = fields.DatetimeField()

    class Meta:
        table = "users"


class WideUser(models.Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=255, unique=True)
    age = fields.IntField()
    score = fields.FloatField()
    active = fields.BooleanField()
    created = fields.DatetimeField()
    title = fields.CharField(max_length=200)
    city = fields.CharField(max_length=50)
    country = fields.CharField(max_length=50)
    phone = fields.CharField(max_length=30)
    notes = fields.CharField(max_length=500)
    views = fields.IntField()
    likes = fields.IntField()
    stars = fields.IntField()
    visits = fields.IntField()
    ratio = fields.FloatField()
    balance = fields.FloatField()
    verified = fields.BooleanField()
    updated = fields.DatetimeField()

    class Meta:
        table = "wide_users"


MODELS: dict[str, Any] = {"narrow": User, "wide": WideUser}


class TortoiseORM(Adapter):
    key = "tortoise"
    title = "Tortoise ORM"
    dists = ("tortoise-orm", "aiosqlite")
    pg_dists = ("asyncpg",)
    validates = "yes: values converted to the field types and max_length validated, on construction"
    notes: ClassVar[dict[str, str]] = {
        "*": "async; asyncio.run per workload, Tortoise.init/close_connections untimed",
        "w1": "await Model.create(**row)",
        "w2": "in_transaction(): await Model.bulk_create([Model(**row), ...])",
        "w3": "await Model.all()",
        "w4": "await Model.filter(age__gte=x, active=True).limit(50)",
        "w5": "await Model.get(id=pk)",
        "w6": "objects loaded beforehand; in_transaction(): assign, await obj.save()",
        "w7": "await Model.filter(age=a).update(score=s)",
        "w8": "objects loaded beforehand; in_transaction(): await obj.delete()",
        "w9": "Model.annotate(n=Count('id'), avg=Avg('score')).group_by('age').values(...)",
        "w10": "Model(**json.loads(doc)), then the W2 path",
    }

    def __init__(self) -> None:
        self.config: dict[str, Any] = {}

    def open(self, target: Target) -> None:
        if target.backend == "sqlite":
            # Tortoise sets journal_mode=WAL, journal_size_limit=16384 and foreign_keys=ON itself;
            # extra credentials become PRAGMAs too.
            conn: dict[str, Any] = {
                "engine": "tortoise.backends.sqlite",
                "credentials": {"file_path": target.path, **SQLITE_PRAGMAS},
            }
        else:
            # asyncpg: Tortoise's default PostgreSQL driver.
            conn = {
                "engine": "tortoise.backends.asyncpg",
                "credentials": {
                    "host": target.host,
                    "port": target.port,
                    "user": target.user,
                    "password": target.password,
                    "database": target.dbname,
                },
            }
        self.config = {
            "connections": {"default": conn},
            "apps": {"models": {"models": [__name__], "default_connection": "default"}},
            "use_tz": True,
            "timezone": "UTC",
        }
        self._run(Tortoise.generate_schemas)

    def close(self) -> None:
        pass  # every asyncio.run closes its connections

    def _run(self, fn: Any, *args: Any) -> Any:
        async def main() -> Any:
            await Tortoise.init(config=self.config)
            try:
                return await fn(*args)
            finally:
                await Tortoise.close_connections()

        return asyncio.run(main())

    def run(self, workload: str, shape: Shape, arg: Any, timer: Timer) -> Any:
        return self._run(getattr(self, workload), shape, arg, timer)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        async def go() -> list[tuple[Any, ...]]:
            from tortoise import connections

            rows = await connections.get("default").execute_query_dict(query)
            return [tuple(r.values()) for r in rows]

        return self._run(go)  # type: ignore[no-any-return]

    async def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = MODELS[shape.name]
        ids = []
        with t:
            for r in rows:
                ids.append((await model.create(**r)).id)
        return ids

    async def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            async with in_transaction():
                await model.bulk_create([model(**r) for r in rows])
        return len(rows)

    async def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        model = MODELS[shape.name]
        with t:
            out = await model.all()
        return list(out)

    async def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for x in ages:
                out.append(await m.filter(age__gte=x, active=True).limit(50))
        return out

    async def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for i in ids:
                out.append(await m.get(id=i))
        return out

    async def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        by_id = {o.id: o for o in await m.filter(id__in=[c[0] for c in changes])}
        objs = [(by_id[i], age, score) for i, age, score in changes]
        with t:
            async with in_transaction():
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                    await o.save()

    async def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        with t:
            for age, score in pairs:
                await m.filter(age=age).update(score=score)

    async def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        m = MODELS[shape.name]
        by_id = {o.id: o for o in await m.filter(id__in=ids)}
        objs = [by_id[i] for i in ids]
        with t:
            async with in_transaction():
                for o in objs:
                    await o.delete()

    async def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for _ in range(n):
                out.append(
                    await m.annotate(n=Count("id"), avg=Avg("score"))
                    .group_by("age")
                    .values("age", "n", "avg")
                )
        return out

    async def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            objs = [model(**json.loads(d)) for d in docs]
            async with in_transaction():
                await model.bulk_create(objs)
        return len(objs)
