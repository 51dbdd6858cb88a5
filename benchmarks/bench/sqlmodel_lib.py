"""SQLModel: table models as its documentation writes them, a Session per unit of work."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, func, update
from sqlmodel import Field, Session, SQLModel, select

from .common import Adapter, Shape, Target, Timer
from .sa_core import engine_sql, make_engine


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=255, unique=True)
    age: int
    score: float
    active: bool
    created: dt.datetime = Field(sa_type=DateTime(timezone=True))


class WideUser(SQLModel, table=True):
    __tablename__ = "wide_users"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=255, unique=True)
    age: int
    score: float
    active: bool
    created: dt.datetime = Field(sa_type=DateTime(timezone=True))
    title: str = Field(max_length=200)
    city: str = Field(max_length=50)
    country: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    notes: str = Field(max_length=500)
    views: int
    likes: int
    stars: int
    visits: int
    ratio: float
    balance: float
    verified: bool
    updated: dt.datetime = Field(sa_type=DateTime(timezone=True))


MODELS: dict[str, Any] = {"narrow": User, "wide": WideUser}


class SQLModelAdapter(Adapter):
    key = "sqlmodel"
    title = "SQLModel"
    dists = ("sqlmodel", "sqlalchemy", "pydantic")
    validates = "yes on W10 (Model.model_validate); table models skip validation in __init__ (W1/W2)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "Session: add(Model(**row)), commit (expire_on_commit=False, so the id needs no refresh)",
        "w2": "session.add_all([Model(**row), ...]), commit: the unit of work, as SQLModel's docs show",
        "w3": "session.exec(select(Model)).all()",
        "w4": "a Session per query",
        "w5": "a Session per session.get(Model, pk)",
        "w6": "objects loaded in the Session beforehand; assign, session.add(obj), commit",
        "w7": "session.execute(update(Model).where(...).values(...)), commit",
        "w8": "objects loaded in the Session beforehand; session.delete(obj) each, commit",
        "w10": "Model.model_validate(json.loads(doc)) (validates), then the W2 path",
    }

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def open(self, target: Target) -> None:
        self.engine = make_engine(target)
        SQLModel.metadata.create_all(self.engine)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        assert self.engine is not None
        return engine_sql(self.engine, query)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = MODELS[shape.name]
        ids = []
        with t:
            for r in rows:
                with self.session() as session:
                    obj = model(**r)
                    session.add(obj)
                    session.commit()
                    ids.append(obj.id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            with self.session() as session:
                session.add_all([model(**r) for r in rows])
                session.commit()
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        model = MODELS[shape.name]
        with t:
            with self.session() as session:
                out = session.exec(select(model)).all()
        return list(out)

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for x in ages:
                with self.session() as session:
                    out.append(session.exec(select(m).where(m.age >= x, m.active == True).limit(50)).all())  # noqa: E712 - builds SQL, not a bool comparison
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for i in ids:
                with self.session() as session:
                    out.append(session.get(m, i))
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        with self.session() as session:
            by_id = {o.id: o for o in session.exec(select(m).where(m.id.in_([c[0] for c in changes])))}
            objs = [(by_id[i], age, score) for i, age, score in changes]
            with t:
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                    session.add(o)
                session.commit()

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        with t:
            for age, score in pairs:
                with self.session() as session:
                    session.execute(update(m).where(m.age == age).values(score=score))
                    session.commit()

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        m = MODELS[shape.name]
        with self.session() as session:
            by_id = {o.id: o for o in session.exec(select(m).where(m.id.in_(ids)))}
            objs = [by_id[i] for i in ids]
            with t:
                for o in objs:
                    session.delete(o)
                session.commit()

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        out = []
        with t:
            for _ in range(n):
                with self.session() as session:
                    out.append(
                        session.exec(select(m.age, func.count(), func.avg(m.score)).group_by(m.age)).all()
                    )
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = MODELS[shape.name]
        with t:
            objs = [model.model_validate(json.loads(d)) for d in docs]
            with self.session() as session:
                session.add_all(objs)
                session.commit()
        return len(objs)
