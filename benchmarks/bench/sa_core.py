"""SQLAlchemy 2 Core: Table objects, ``insert()/select()/update()/delete()`` on pooled connections."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)

from .common import SQLITE_PRAGMAS, Adapter, Shape, Target, Timer

metadata = MetaData()


def _base_columns() -> list[Column[Any]]:
    return [
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("email", String(255), nullable=False, unique=True),
        Column("age", Integer, nullable=False),
        Column("score", Float, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created", DateTime(timezone=True), nullable=False),
    ]


users = Table("users", metadata, *_base_columns())
wide_users = Table(
    "wide_users",
    metadata,
    *_base_columns(),
    Column("title", String(200), nullable=False),
    Column("city", String(50), nullable=False),
    Column("country", String(50), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("notes", String(500), nullable=False),
    Column("views", Integer, nullable=False),
    Column("likes", Integer, nullable=False),
    Column("stars", Integer, nullable=False),
    Column("visits", Integer, nullable=False),
    Column("ratio", Float, nullable=False),
    Column("balance", Float, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)
TABLES = {"narrow": users, "wide": wide_users}


def make_engine(target: Target) -> Engine:
    """An Engine as the SQLAlchemy docs configure one; SQLite PRAGMAs on every new connection."""
    if target.backend == "sqlite":
        engine = create_engine(f"sqlite:///{target.path}")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            for k, v in SQLITE_PRAGMAS.items():
                cur.execute(f"PRAGMA {k}={v}")
            cur.close()

        return engine
    return create_engine(target.pg_url("postgresql+psycopg"))


def engine_sql(engine: Engine, query: str) -> list[tuple[Any, ...]]:
    with engine.begin() as conn:
        res = conn.execute(text(query))
        return [tuple(r) for r in res] if res.returns_rows else []


def parse_doc(doc: bytes, dt_fields: tuple[str, ...]) -> dict[str, Any]:
    """What a SQLAlchemy user does with a JSON payload: json.loads, then the datetimes parsed
    (SQLAlchemy's DateTime takes only datetime objects). No further checks."""
    obj: dict[str, Any] = json.loads(doc)
    for f in dt_fields:
        obj[f] = dt.datetime.fromisoformat(obj[f])
    return obj


class SACore(Adapter):
    key = "sqlalchemy_core"
    title = "SQLAlchemy 2 Core"
    dists = ("sqlalchemy",)
    validates = "no (json.loads; only the datetime.fromisoformat the user writes can fail)"
    notes: ClassVar[dict[str, str]] = {
        "w1": "engine.begin(): conn.execute(insert(t), row); inserted_primary_key",
        "w2": "engine.begin(): conn.execute(insert(t), rows) (insertmanyvalues)",
        "w3": "engine.connect(): conn.execute(select(t)).all() -> Row tuples",
        "w4": "engine.connect() per query",
        "w5": "engine.connect() per get",
        "w6": "engine.begin(): update(t).where(t.c.id == i).values(...) per row",
        "w10": "json.loads + fromisoformat, then the W2 path",
    }

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def open(self, target: Target) -> None:
        self.engine = make_engine(target)
        metadata.create_all(self.engine)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        assert self.engine is not None
        return engine_sql(self.engine, query)

    def w1(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> list[int]:
        table = TABLES[shape.name]
        engine = self.engine
        assert engine is not None
        ids = []
        with t:
            for r in rows:
                with engine.begin() as conn:
                    pk = conn.execute(insert(table), r).inserted_primary_key
                    ids.append(pk[0] if pk is not None else -1)
        return ids

    def w2(self, shape: Shape, rows: list[dict[str, Any]], t: Timer) -> int:
        table = TABLES[shape.name]
        assert self.engine is not None
        with t:
            with self.engine.begin() as conn:
                conn.execute(insert(table), rows)
        return len(rows)

    def w3(self, shape: Shape, _: Any, t: Timer) -> list[Any]:
        table = TABLES[shape.name]
        assert self.engine is not None
        with t:
            with self.engine.connect() as conn:
                out = conn.execute(select(table)).all()
        return list(out)

    def w4(self, shape: Shape, ages: list[int], t: Timer) -> list[Any]:
        table = TABLES[shape.name]
        engine = self.engine
        assert engine is not None
        out = []
        with t:
            for x in ages:
                with engine.connect() as conn:
                    out.append(
                        conn.execute(
                            select(table).where(table.c.age >= x, table.c.active == True).limit(50)  # noqa: E712 - builds SQL, not a bool comparison
                        ).all()
                    )
        return out

    def w5(self, shape: Shape, ids: list[int], t: Timer) -> list[Any]:
        table = TABLES[shape.name]
        engine = self.engine
        assert engine is not None
        out = []
        with t:
            for i in ids:
                with engine.connect() as conn:
                    out.append(conn.execute(select(table).where(table.c.id == i)).first())
        return out

    def w6(self, shape: Shape, changes: list[tuple[int, int, float]], t: Timer) -> None:
        table = TABLES[shape.name]
        assert self.engine is not None
        with t:
            with self.engine.begin() as conn:
                for i, age, score in changes:
                    conn.execute(update(table).where(table.c.id == i).values(age=age, score=score))

    def w7(self, shape: Shape, pairs: list[tuple[int, float]], t: Timer) -> None:
        table = TABLES[shape.name]
        engine = self.engine
        assert engine is not None
        with t:
            for age, score in pairs:
                with engine.begin() as conn:
                    conn.execute(update(table).where(table.c.age == age).values(score=score))

    def w8(self, shape: Shape, ids: list[int], t: Timer) -> None:
        table = TABLES[shape.name]
        assert self.engine is not None
        with t:
            with self.engine.begin() as conn:
                for i in ids:
                    conn.execute(delete(table).where(table.c.id == i))

    def w9(self, shape: Shape, n: int, t: Timer) -> list[Any]:
        table = TABLES[shape.name]
        engine = self.engine
        assert engine is not None
        out = []
        with t:
            for _ in range(n):
                with engine.connect() as conn:
                    out.append(
                        conn.execute(
                            select(table.c.age, func.count(), func.avg(table.c.score)).group_by(table.c.age)
                        ).all()
                    )
        return out

    def w10(self, shape: Shape, docs: list[bytes], t: Timer) -> int:
        table = TABLES[shape.name]
        dts = shape.datetime_fields
        assert self.engine is not None
        with t:
            rows = [parse_doc(d, dts) for d in docs]
            with self.engine.begin() as conn:
                conn.execute(insert(table), rows)
        return len(rows)
