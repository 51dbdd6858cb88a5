"""Pony ORM: entities on a Database, a db_session per unit of work, generator queries."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pony.orm import Database, PrimaryKey, Required, avg, commit, count, db_session, select

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer
from .sa_core import parse_doc


def define(db: Database) -> dict[str, Any]:
    """The entities, declared on one Database (Pony binds entities to it, so each repetition's
    fresh database gets its own)."""

    class User(db.Entity):  # type: ignore[misc]  # pony ships no type hints
        _table_ = "users"
        id = PrimaryKey(int, auto=True)
        name = Required(str, 100)
        email = Required(str, 255, unique=True)
        age = Required(int)
        score = Required(float)
        active = Required(bool)
        created = Required(dt.datetime)

    class WideUser(db.Entity):  # type: ignore[misc]  # pony ships no type hints
        _table_ = "wide_users"
        id = PrimaryKey(int, auto=True)
        name = Required(str, 100)
        email = Required(str, 255, unique=True)
        age = Required(int)
        score = Required(float)
        active = Required(bool)
        created = Required(dt.datetime)
        title = Required(str, 200)
        city = Required(str, 50)
        country = Required(str, 50)
        phone = Required(str, 30)
        notes = Required(str, 500)
        views = Required(int)
        likes = Required(int)
        stars = Required(int)
        visits = Required(int)
        ratio = Required(float)
        balance = Required(float)
        verified = Required(bool)
        updated = Required(dt.datetime)

    return {"narrow": User, "wide": WideUser}


class PonyORM(Adapter):
    key = "pony"
    title = "Pony ORM"
    dists = ("pony",)
    pg_dists = ("psycopg2-binary",)
    validates = "yes: attribute types and max length, on construction (converters)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "db_session: Model(**row); committed on exit",
        "w2": "one db_session: Model(**row) for each (Pony has no bulk insert)",
        "w3": "db_session: Model.select()[:]",
        "w4": "a db_session per query: select(lambda u: u.age >= x and u.active)[:50]",
        "w5": "a db_session per Model[pk]",
        "w6": "objects loaded in the db_session beforehand; assign, commit()",
        "w7": "Pony has no bulk UPDATE: a db_session per statement loading the matching rows and assigning each",
        "w8": "objects loaded in the db_session beforehand; obj.delete() each, commit()",
        "w9": "a db_session per query: select((u.age, count(u), avg(u.score)) for u in Model)[:]",
        "w10": "json.loads + fromisoformat (Pony does not parse ISO 8601 with an offset), then the W2 path",
    }

    def __init__(self) -> None:
        self.db: Database | None = None
        self.models: dict[str, Any] = {}

    def open(self, target: Target) -> None:
        db = Database()
        self.models = define(db)
        if target.backend == "sqlite":

            @db.on_connect(provider="sqlite")  # type: ignore[untyped-decorator]  # pony ships no type hints
            def _pragmas(_db: Database, conn: Any) -> None:
                cur = conn.cursor()
                for k, v in SQLITE_PRAGMAS.items():
                    cur.execute(f"PRAGMA {k}={v}")

            db.bind(provider="sqlite", filename=target.path, create_db=True)
        else:
            # Pony supports PostgreSQL through psycopg2 only.
            kw = target.pg_kwargs()
            kw["database"] = kw.pop("dbname")
            db.bind(provider="postgres", **kw)
        db.generate_mapping(create_tables=True)
        self.db = db

    def close(self) -> None:
        if self.db is not None:
            self.db.disconnect()
            self.db = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        assert self.db is not None
        with db_session:
            cur = self.db.execute(query)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = self.models[shape.name]
        ids = []
        with t:
            for r in rows:
                with db_session:
                    obj = model(**r)
                ids.append(obj.id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = self.models[shape.name]
        with t:
            with db_session:
                for r in rows:
                    model(**r)
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        model = self.models[shape.name]
        with t:
            with db_session:
                out = model.select()[:]
        return list(out)

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        m = self.models[shape.name]
        out = []
        with t:
            for x in ages:
                with db_session:
                    out.append(select(u for u in m if u.age >= x and u.active)[:50])
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        m = self.models[shape.name]
        out = []
        with t:
            for i in ids:
                with db_session:
                    out.append(m[i])
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        m = self.models[shape.name]
        wanted = [c[0] for c in changes]
        with db_session:
            by_id = {o.id: o for o in select(u for u in m if u.id in wanted)}
            objs = [(by_id[i], age, score) for i, age, score in changes]
            with t:
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                commit()

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        m = self.models[shape.name]
        with t:
            for age, score in pairs:
                with db_session:
                    for u in select(u for u in m if u.age == age):
                        u.score = score

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        m = self.models[shape.name]
        with db_session:
            by_id = {o.id: o for o in select(u for u in m if u.id in ids)}
            objs = [by_id[i] for i in ids]
            with t:
                for o in objs:
                    o.delete()
                commit()

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        m = self.models[shape.name]
        out = []
        with t:
            for _ in range(n):
                with db_session:
                    out.append(select((u.age, count(u), avg(u.score)) for u in m)[:])
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = self.models[shape.name]
        dts = shape.datetime_fields
        with t:
            with db_session:
                for d in docs:
                    model(**parse_doc(d, dts))
        return len(docs)
