"""The engine's public statement API (run, run_many, stream, copy_rows, unit_of_work), sync and async, on every backend."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, AsyncDatabase, Col, Column, Database, Model, Result, column, select
from typedorm.engine.core import ResultMode
from typedorm.engine.url import URL
from typedorm.errors import UniqueViolation
from typedorm.sql.expr import SLOT
from typedorm.sql.stmt import CopyFrom, Delete, Insert, Update


class Gadget(Model, table="stmt_api_gadgets"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=40, unique=True)]
    n: Col[int] = column(default=0)


T = Gadget.__table__


def test_statement_api(db: Database) -> None:
    db.create_all(Gadget)
    d = db.dialect
    insert = d.compile_shape(Insert(T, T.columns[1:], [[SLOT, SLOT]]))
    assert db.run_many(insert, [("a", 1), ("b", 2), ("c", 3)], table=T) == 3
    assert not db.in_transaction()  # run_many opened and closed a transaction of its own

    sel = d.compile(select(Gadget.name).where(Gadget.n >= 2).order_by(Gadget.n))
    assert list(db.run(sel.sql, sel.params, ResultMode.ALL, table=T)) == [("b",), ("c",)]
    one = d.compile(select(Gadget.name).where(Gadget.n == 1))
    assert db.run(one.sql, one.params, ResultMode.ONE) == ("a",)
    upd = d.compile(Update(T, (Gadget.n.set(10),)).where(Gadget.name == "a"))
    assert db.run(upd.sql, upd.params, ResultMode.COUNT) == 1
    res = db.run(sel.sql, sel.params, ResultMode.RESULT)
    assert isinstance(res, Result) and res.rows == [("b",), ("c",), ("a",)] and res.columns == ("name",)

    every = d.compile(select(Gadget.n).order_by(Gadget.n))
    assert [len(b) for b in db.stream(every.sql, every.params, 2, table=T)] == [2, 1]

    # table= names the model in mapped errors
    dup = d.compile(Insert(T, T.columns[1:], [["b", 5]]))
    with pytest.raises(UniqueViolation) as e:
        db.run(dup.sql, dup.params, ResultMode.COUNT, table=T)
    assert e.value.fields == ("name",)

    # a unit of work is all or nothing
    with pytest.raises(RuntimeError), db.unit_of_work():
        gone = d.compile(Delete(T).where(Gadget.name == "c"))
        assert db.run(gone.sql, gone.params, ResultMode.COUNT) == 1
        raise RuntimeError("undo")
    count = d.compile(select(Gadget.name))
    assert len(db.run(count.sql, count.params)) == 3  # ResultMode.ALL is the default

    if db.supports_copy:
        copy = d.compile(CopyFrom(T, T.columns[1:]))
        db.copy_rows(copy.sql, [("x", 7), ("y", 8)], table=T)
        assert len(db.run(count.sql, count.params)) == 5
    assert db.split_rows([("a", 1)] * 5, 2, ["name", "n"]) == [(0, 2), (2, 4), (4, 5)]
    assert db.capabilities_known


def test_async_statement_api(backend_url: URL) -> None:
    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone; the mysql id covers it")

    async def main() -> None:
        async with AsyncDatabase(backend_url) as db:
            assert db.capabilities_known
            d = db.dialect
            await db.drop_all(Gadget)
            await db.create_all(Gadget)
            try:
                insert = d.compile_shape(Insert(T, T.columns[1:], [[SLOT, SLOT]]))
                assert await db.run_many(insert, [("a", 1), ("b", 2), ("c", 3)], table=T) == 3
                sel = d.compile(select(Gadget.name).where(Gadget.n >= 2).order_by(Gadget.n))
                assert list(await db.run(sel.sql, sel.params, ResultMode.ALL, table=T)) == [("b",), ("c",)]
                one = d.compile(select(Gadget.name).where(Gadget.n == 9))
                assert await db.run(one.sql, one.params, ResultMode.ONE) is None
                every = d.compile(select(Gadget.n).order_by(Gadget.n))
                sizes = [len(b) async for b in db.stream(every.sql, every.params, 2, table=T)]
                assert sizes == [2, 1]
                with pytest.raises(RuntimeError):
                    async with db.unit_of_work():
                        gone = d.compile(Delete(T).where(Gadget.name == "c"))
                        assert await db.run(gone.sql, gone.params, ResultMode.COUNT) == 1
                        raise RuntimeError("undo")
                rows: Any = await db.run(every.sql, every.params)
                assert [r[0] for r in rows] == [1, 2, 3]
                if db.supports_copy:
                    copy = d.compile(CopyFrom(T, T.columns[1:]))
                    await db.copy_rows(copy.sql, [("x", 7)], table=T)
                    assert len(await db.run(every.sql, every.params)) == 4
            finally:
                await db.drop_all(Gadget)
            assert db.pool.stats().checked_out == 0

    asyncio.run(main())
