"""PostgreSQL bulk inserts COPY rows in the binary format where every column's type allows it,
in the text format otherwise: both store exactly what validation accepted (NULLs, narrow integer
types, REAL, dates, aware datetimes at any offset), and a constraint failure names the field."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import pytest

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Column,
    Database,
    Model,
    Repository,
    UniqueViolation,
    column,
)
from typedorm.engine.url import URL

N = 80  # above the size from which insert_many COPYs


class Bin(Model, table="copy_bin"):
    id: PK[int] = column(default=AUTO)
    small: Annotated[Col[int], Column(sql_type={"postgresql": "SMALLINT"})]
    mid: Annotated[Col[int | None], Column(sql_type={"postgresql": "INTEGER"})] = None
    big: Col[int]
    f: Annotated[Col[float], Column(sql_type={"postgresql": "REAL"})]
    d: Col[float | None] = None
    flag: Col[bool | None] = None
    code: Annotated[Col[str], Column(max_length=20, unique=True)]
    text: Col[str | None] = None
    day: Col[dt.date | None] = None
    at: Col[dt.datetime]


class Mixed(Model, table="copy_mixed"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    price: Col[Decimal]
    ref: Col[uuid.UUID]
    meta: Col[dict[str, Any]]


def _bins(n: int, prefix: str = "c") -> list[Bin]:
    east = dt.timezone(dt.timedelta(hours=5, minutes=30))
    return [
        Bin(
            small=-32768 if i == 0 else i,
            mid=None if i % 4 == 0 else 2**31 - 1 - i,
            big=2**62 + i,
            f=i + 0.5,
            d=None if i % 3 == 0 else i / 7,
            flag=None if i % 5 == 0 else bool(i % 2),
            code=f"{prefix}{i}",
            text=None if i % 2 else "x\u00e9\U0001f600" * i,
            day=None if i % 6 == 0 else dt.date(2000 + i % 30, 1 + i % 12, 1),
            at=dt.datetime(2020, 1, 1, 12, tzinfo=east if i % 2 else dt.UTC) + dt.timedelta(minutes=i),
        )
        for i in range(n)
    ]


@pytest.fixture
def pg(db: Database) -> Database:
    if not db.supports_copy:
        pytest.skip("COPY is a PostgreSQL (psycopg) path")
    db.create_all(Bin, Mixed)
    return db


def test_binary_copy_is_chosen_only_for_known_types(pg: Database) -> None:
    d = pg.dialect
    assert d.copy_binary_types(Bin.__table__.columns) == (
        "int8",
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "bool",
        "varchar",
        "text",
        "date",
        "timestamptz",
    )
    assert d.copy_binary_types(Mixed.__table__.columns) is None  # numeric, uuid, jsonb: text format
    with pg.count_queries() as q:
        Repository(Bin, pg).insert_many(_bins(N))
    assert any(s.endswith("(FORMAT BINARY)") for s in q.statements)


def test_binary_copy_stores_exactly_what_was_validated(pg: Database) -> None:
    repo = Repository(Bin, pg)
    given = _bins(N)
    stored = repo.insert_many(given)
    back = {b.id: b for b in repo.all()}
    assert len(back) == N
    for g, s in zip(given, stored, strict=True):
        b = back[s.id]
        assert b.model_dump(exclude={"id"}) == g.model_dump(exclude={"id"})
        assert b.at == g.at


def test_text_copy_for_other_types_round_trips(pg: Database) -> None:
    repo = Repository(Mixed, pg)
    given = [
        Mixed(name=f"m{i}", price=Decimal(f"{i}.25"), ref=uuid.uuid4(), meta={"i": i, "l": [1, None]})
        for i in range(N)
    ]
    stored = repo.insert_many(given)
    back = {m.id: m for m in repo.all()}
    assert [back[s.id].model_dump(exclude={"id"}) for s in stored] == [
        g.model_dump(exclude={"id"}) for g in given
    ]


def test_a_unique_violation_in_a_binary_copy_names_the_field_and_writes_nothing(pg: Database) -> None:
    repo = Repository(Bin, pg)
    rows = _bins(N)
    rows[-1] = rows[-1].model_copy(update={"code": rows[0].code})
    with pytest.raises(UniqueViolation) as e:
        repo.insert_many(rows)
    assert "code" in e.value.fields
    assert repo.count() == 0


def test_async_binary_copy_round_trips(pg: Database, backend_url: URL) -> None:
    async def main() -> None:
        adb = AsyncDatabase(backend_url)
        try:
            repo = AsyncRepository(Bin, adb)
            given = _bins(N, "a")
            with adb.count_queries() as q:
                stored = await repo.insert_many(given)
            assert any(s.endswith("(FORMAT BINARY)") for s in q.statements)
            back = {b.id: b for b in await repo.all()}
            assert [back[s.id].model_dump(exclude={"id"}) for s in stored] == [
                g.model_dump(exclude={"id"}) for g in given
            ]
        finally:
            await adb.close()

    asyncio.run(main())
