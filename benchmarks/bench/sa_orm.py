"""SQLAlchemy 2 ORM: declarative ``Mapped[]`` classes, a Session per unit of work, 2.0-style statements."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, String, func, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from .common import Adapter, Shape, Target, Timer
from .sa_core import engine_sql, make_engine, parse_doc


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    age: Mapped[int]
    score: Mapped[float]
    active: Mapped[bool]
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WideUser(Base):
    __tablename__ = "wide_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    age: Mapped[int]
    score: Mapped[float]
    active: Mapped[bool]
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    title: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    country: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30))
    notes: Mapped[str] = mapped_column(String(500))
    views: Mapped[int]
    likes: Mapped[int]
    stars: Mapped[int]
    visits: Mapped[int]
    ratio: Mapped[float]
    balance: Mapped[float]
    verified: Mapped[bool]
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


MODELS: dict[str, Any] = {"narrow": User, "wide": WideUser}


class SAORM(Adapter):
    key = "sqlalchemy_orm"
    title = "SQLAlchemy 2 ORM"
    dists = ("sqlalchemy",)
    validates = "no (json.loads; only the datetime.fromisoformat the user writes can fail)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "Session: add(Model(**row)), commit (expire_on_commit=False, so the id needs no refresh)",
        "w2": "ORM bulk INSERT: session.execute(insert(Model), rows)",
        "w3": "session.scalars(select(Model)).all()",
        "w4": "a Session per query",
        "w5": "a Session per session.get(Model, pk)",
        "w6": "objects loaded in the Session beforehand; assign, commit (unit of work flushes the UPDATEs)",
        "w7": "session.execute(update(Model).where(...).values(...)), commit",
        "w8": "objects loaded in the Session beforehand; session.delete(obj) each, commit",
        "w10": "json.loads + fromisoformat, then the W2 path",
    }

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.Session: sessionmaker[Any] | None = None

    def open(self, target: Target) -> None:
        self.engine = make_engine(target)
        Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        assert self.engine is not None
        return engine_sql(self.engine, query)

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        model = MODELS[shape.name]
        Session = self.Session
        assert Session is not None
        ids = []
        with t:
            for r in rows:
                with Session() as session:
                    obj = model(**r)
                    session.add(obj)
                    session.commit()
                    ids.append(obj.id)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        model = MODELS[shape.name]
        assert self.Session is not None
        with t:
            with self.Session() as session:
                session.execute(insert(model), rows)
                session.commit()
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        model = MODELS[shape.name]
        assert self.Session is not None
        with t:
            with self.Session() as session:
                out = session.scalars(select(model)).all()
        return list(out)

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        Session = self.Session
        assert Session is not None
        out = []
        with t:
            for x in ages:
                with Session() as session:
                    out.append(session.scalars(select(m).where(m.age >= x, m.active == True).limit(50)).all())  # noqa: E712 - builds SQL, not a bool comparison
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        Session = self.Session
        assert Session is not None
        out = []
        with t:
            for i in ids:
                with Session() as session:
                    out.append(session.get(m, i))
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        assert self.Session is not None
        with self.Session() as session:
            by_id = {o.id: o for o in session.scalars(select(m).where(m.id.in_([c[0] for c in changes])))}
            objs = [(by_id[i], age, score) for i, age, score in changes]
            with t:
                for o, age, score in objs:
                    o.age = age
                    o.score = score
                session.commit()

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        m = MODELS[shape.name]
        Session = self.Session
        assert Session is not None
        with t:
            for age, score in pairs:
                with Session() as session:
                    session.execute(update(m).where(m.age == age).values(score=score))
                    session.commit()

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        m = MODELS[shape.name]
        assert self.Session is not None
        with self.Session() as session:
            by_id = {o.id: o for o in session.scalars(select(m).where(m.id.in_(ids)))}
            objs = [by_id[i] for i in ids]
            with t:
                for o in objs:
                    session.delete(o)
                session.commit()

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        m = MODELS[shape.name]
        Session = self.Session
        assert Session is not None
        out = []
        with t:
            for _ in range(n):
                with Session() as session:
                    out.append(
                        session.execute(select(m.age, func.count(), func.avg(m.score)).group_by(m.age)).all()
                    )
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        model = MODELS[shape.name]
        dts = shape.datetime_fields
        assert self.Session is not None
        with t:
            rows = [parse_doc(d, dts) for d in docs]
            with self.Session() as session:
                session.execute(insert(model), rows)
                session.commit()
        return len(rows)
