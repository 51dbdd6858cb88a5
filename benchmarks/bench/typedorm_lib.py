"""typedorm, through its public API only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, column, func

from .common import Adapter, Shape, Target, Timer


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[str], Column(max_length=255, unique=True)]
    age: Col[int]
    score: Col[float]
    active: Col[bool]
    created: Col[dt.datetime]


class WideUser(Model, table="wide_users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[str], Column(max_length=255, unique=True)]
    age: Col[int]
    score: Col[float]
    active: Col[bool]
    created: Col[dt.datetime]
    title: Annotated[Col[str], Column(max_length=200)]
    city: Annotated[Col[str], Column(max_length=50)]
    country: Annotated[Col[str], Column(max_length=50)]
    phone: Annotated[Col[str], Column(max_length=30)]
    notes: Annotated[Col[str], Column(max_length=500)]
    views: Col[int]
    likes: Col[int]
    stars: Col[int]
    visits: Col[int]
    ratio: Col[float]
    balance: Col[float]
    verified: Col[bool]
    updated: Col[dt.datetime]


MODELS: dict[str, Any] = {"narrow": User, "wide": WideUser}


class TypedORM(Adapter):
    key = "typedorm"
    title = "typedorm"
    dists = ("typedorm", "pydantic")
    mysql_dists = ("mysqlclient",)
    backends = ("sqlite", "postgresql", "mysql")
    validates = "yes: types and max_length on construction, assignment and JSON (Pydantic v2)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "repo.insert(Model(**row)) (autocommitted; returns the row with its id)",
        "w2": "repo.insert_many([Model(**row), ...])",
        "w3": "repo.all()",
        "w4": "repo.filter(M.age >= x, M.active == True).limit(50).all()",
        "w5": "repo.get(pk)",
        "w6": "objects loaded beforehand; in db.transaction(): assign (validated), repo.update(obj)",
        "w7": "repo.update(M.age == a, M.score.set(s))",
        "w8": "objects loaded beforehand; in db.transaction(): repo.delete(obj)",
        "w9": "repo.query().group_by(M.age).rows(M.age, func.count(), func.avg(M.score))",
        "w10": "repo.insert_many_json(docs)",
    }

    def __init__(self) -> None:
        self.db: Database | None = None
        self.repos: dict[str, Repository[Any]] = {}

    def open(self, target: Target) -> None:
        if target.backend == "sqlite":
            # typedorm's SQLite defaults are journal_mode=WAL, synchronous=NORMAL, foreign_keys=ON.
            url = f"sqlite:///{target.path}"
        elif target.backend == "mysql":
            url = target.pg_url("mysql")  # mysqlclient, typedorm's default MySQL driver
        else:
            url = target.pg_url()
        self.db = Database(url)
        self.db.create_all(User, WideUser)
        self.repos = {k: Repository(m, self.db) for k, m in MODELS.items()}

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        assert self.db is not None
        return list(self.db.execute(query).rows)

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        repo = self.repos[shape.name]
        model = MODELS[shape.name]
        ids = []
        with t:
            for r in rows:
                ids.append(repo.insert(model(**r)).id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        repo = self.repos[shape.name]
        model = MODELS[shape.name]
        with t:
            out = repo.insert_many([model(**r) for r in rows])
        return len(out)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        repo = self.repos[shape.name]
        with t:
            out = repo.all()
        return out

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        repo = self.repos[shape.name]
        m = MODELS[shape.name]
        out = []
        with t:
            for x in ages:
                out.append(repo.filter(m.age >= x, m.active == True).limit(50).all())  # noqa: E712 - builds SQL, not a bool comparison
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        repo = self.repos[shape.name]
        out = []
        with t:
            for i in ids:
                out.append(repo.get(i))
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        repo = self.repos[shape.name]
        m = MODELS[shape.name]
        by_id = {o.id: o for o in repo.filter(m.id.in_([c[0] for c in changes])).all()}
        objs = [(by_id[i], age, score) for i, age, score in changes]
        assert self.db is not None
        db = self.db
        with t:
            with db.transaction():
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                    repo.update(o)

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        repo = self.repos[shape.name]
        m = MODELS[shape.name]
        with t:
            for age, score in pairs:
                repo.update(m.age == age, m.score.set(score))

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        repo = self.repos[shape.name]
        m = MODELS[shape.name]
        by_id = {o.id: o for o in repo.filter(m.id.in_(ids)).all()}
        objs = [by_id[i] for i in ids]
        assert self.db is not None
        db = self.db
        with t:
            with db.transaction():
                for o in objs:
                    repo.delete(o)

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        repo = self.repos[shape.name]
        m = MODELS[shape.name]
        out = []
        with t:
            for _ in range(n):
                out.append(repo.query().group_by(m.age).rows(m.age, func.count(), func.avg(m.score)))
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        repo = self.repos[shape.name]
        with t:
            out = repo.insert_many_json(docs)
        return len(out)
