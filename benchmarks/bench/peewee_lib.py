"""peewee: models bound through a DatabaseProxy, atomic() blocks, insert_many in chunks as its docs advise."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    chunked,
    fn,
)

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer

database_proxy = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database_proxy


class User(BaseModel):
    name = CharField(max_length=100)
    email = CharField(max_length=255, unique=True)
    age = IntegerField()
    score = FloatField()
    active = BooleanField()
    created = DateTimeField()

    class Meta:
        table_name = "users"


class WideUser(BaseModel):
    name = CharField(max_length=100)
    email = CharField(max_length=255, unique=True)
    age = IntegerField()
    score = FloatField()
    active = BooleanField()
    created = DateTimeField()
    title = CharField(max_length=200)
    city = CharField(max_length=50)
    country = CharField(max_length=50)
    phone = CharField(max_length=30)
    notes = CharField(max_length=500)
    views = IntegerField()
    likes = IntegerField()
    stars = IntegerField()
    visits = IntegerField()
    ratio = FloatField()
    balance = FloatField()
    verified = BooleanField()
    updated = DateTimeField()

    class Meta:
        table_name = "wide_users"


MODELS: dict[str, Any] = {"narrow": User, "wide": WideUser}
#: Rows per INSERT in insert_many, the batch size of peewee's documentation example.
BATCH = 100


class Peewee(Adapter):
    key = "peewee"
    title = "peewee"
    dists = ("peewee",)
    validates = "no (field db_value conversions only)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "Model.create(**row) (autocommitted)",
        "w2": "db.atomic(): Model.insert_many(batch).execute() per chunked(rows, 100)",
        "w3": "list(Model.select())",
        "w6": "objects loaded beforehand; db.atomic(): assign, obj.save()",
        "w7": "Model.update(score=s).where(Model.age == a).execute()",
        "w8": "objects loaded beforehand; db.atomic(): obj.delete_instance()",
        "w9": "Model.select(age, fn.COUNT, fn.AVG).group_by(age).tuples()",
        "w10": "json.loads, then the W2 path",
    }

    def __init__(self) -> None:
        self.db: Any = None

    def open(self, target: Target) -> None:
        if target.backend == "sqlite":
            self.db = SqliteDatabase(
                target.path, pragmas={k.lower(): v.lower() for k, v in SQLITE_PRAGMAS.items()}
            )
        else:
            # peewee picks psycopg 3 when asked (the same driver as the raw baseline).
            self.db = PostgresqlDatabase(
                target.dbname,
                prefer_psycopg3=True,
                **{k: v for k, v in target.pg_kwargs().items() if k != "dbname"},
            )
        database_proxy.initialize(self.db)
        self.db.connect()
        self.db.create_tables([User, WideUser])

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with self.db.atomic():
            cur = self.db.execute_sql(query)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = MODELS[shape.name]
        ids = []
        with t:
            for r in rows:
                ids.append(model.create(**r).id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            with self.db.atomic():
                for batch in chunked(rows, BATCH):
                    model.insert_many(batch).execute()
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        model = MODELS[shape.name]
        with t:
            out = list(model.select())
        return out

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for x in ages:
                out.append(list(m.select().where((m.age >= x) & (m.active == True)).limit(50)))  # noqa: E712 - builds SQL, not a bool comparison
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for i in ids:
                out.append(m.get_by_id(i))
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        by_id = {o.id: o for o in m.select().where(m.id.in_([c[0] for c in changes]))}
        objs = [(by_id[i], age, score) for i, age, score in changes]
        with t:
            with self.db.atomic():
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                    o.save()

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        with t:
            for age, score in pairs:
                m.update(score=score).where(m.age == age).execute()

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        m = MODELS[shape.name]
        by_id = {o.id: o for o in m.select().where(m.id.in_(ids))}
        objs = [by_id[i] for i in ids]
        with t:
            with self.db.atomic():
                for o in objs:
                    o.delete_instance()

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for _ in range(n):
                out.append(list(m.select(m.age, fn.COUNT(m.id), fn.AVG(m.score)).group_by(m.age).tuples()))
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            rows = [json.loads(d) for d in docs]
            with self.db.atomic():
                for batch in chunked(rows, BATCH):
                    model.insert_many(batch).execute()
        return len(rows)
