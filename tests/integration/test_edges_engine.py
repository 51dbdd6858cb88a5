"""Engine edges on every backend, sync and async: a failed statement aborts its transaction the
same way everywhere, and a value the driver cannot encode is a DataError."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from conftest import _server_test_url

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Database,
    Model,
    Repository,
    TransactionAborted,
    TransactionError,
    UniqueViolation,
    column,
)
from typedorm.engine.url import URL
from typedorm.errors import DataError


class EdgeRow(Model, table="edge_rows"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


@pytest.fixture
def rows(db: Database) -> Iterator[Repository[EdgeRow]]:
    db.drop_all(EdgeRow)
    db.create_all(EdgeRow)
    yield Repository(EdgeRow, db)
    db.drop_all(EdgeRow)


@pytest.fixture
def other(db: Database) -> Iterator[Database]:
    """A second Database on the same data: it sees only what was committed."""
    second = Database(db.url)
    yield second
    second.close()


def committed(other: Database) -> list[str]:
    return sorted(r[0] for r in other.execute("SELECT name FROM edge_rows").rows)


# --- a caught failure inside a transaction ----------------------------------------------------------


def test_caught_failure_aborts_the_transaction_on_every_backend(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    # The example of the issue: PostgreSQL turned this COMMIT into a ROLLBACK and raised nothing,
    # SQLite and MariaDB committed the first row. Now all three refuse the commit and roll back.
    with pytest.raises(TransactionAborted) as info:
        with db.transaction():
            a = rows.insert(EdgeRow(name="a"))
            with pytest.raises(UniqueViolation):
                rows.insert(EdgeRow(id=a.id, name="dup"))
    assert isinstance(info.value.error, UniqueViolation)
    assert info.value.__cause__ is info.value.error
    assert "commit refused" in str(info.value)
    assert rows.get(a.id) is None
    assert committed(other) == []
    assert not db.in_transaction()
    # the connection went back to the pool in a clean state
    rows.insert(EdgeRow(name="after"))
    assert committed(other) == ["after"]


def test_statements_after_the_failure_are_refused_without_reaching_the_server(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    with pytest.raises(TransactionAborted):
        with db.transaction():
            rows.insert(EdgeRow(name="a"))
            with pytest.raises(UniqueViolation):
                db.execute("INSERT INTO edge_rows (id, name) VALUES (?, ?)", (rows.all()[0].id, "dup"))
            with db.count_queries() as q:
                with pytest.raises(TransactionAborted, match="statement refused") as info:
                    rows.insert(EdgeRow(name="b"))
                with pytest.raises(TransactionAborted):
                    rows.count()
                with pytest.raises(TransactionAborted):
                    with db.transaction():  # no savepoint can be opened in a failed transaction
                        pass
            assert q.count == 0
            assert isinstance(info.value.error, UniqueViolation)
    assert committed(other) == []


def test_a_savepoint_around_the_risky_statement_keeps_the_transaction(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    # The documented portable pattern.
    with db.transaction():
        a = rows.insert(EdgeRow(name="a"))
        with pytest.raises(UniqueViolation):
            with db.transaction():
                rows.insert(EdgeRow(id=a.id, name="dup"))
        rows.insert(EdgeRow(name="b"))
    assert committed(other) == ["a", "b"]


def test_a_failure_caught_inside_a_savepoint_rolls_back_only_the_savepoint(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    with db.transaction():
        a = rows.insert(EdgeRow(name="a"))
        with pytest.raises(TransactionAborted, match="savepoint rolled back"):
            with db.transaction():
                rows.insert(EdgeRow(name="inner"))
                with pytest.raises(UniqueViolation):
                    rows.insert(EdgeRow(id=a.id, name="dup"))
        rows.insert(EdgeRow(name="b"))
    assert committed(other) == ["a", "b"]


def test_a_repository_call_inside_a_transaction_fails_like_a_statement(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    # insert_many runs its own unit of work; inside a transaction it joins it (no hidden
    # savepoint, which on some backends used to keep the transaction alive and on others not).
    with pytest.raises(TransactionAborted):
        with db.transaction():
            a = rows.insert(EdgeRow(name="a"))
            with pytest.raises(UniqueViolation):
                rows.insert_many([EdgeRow(name="b"), EdgeRow(id=a.id, name="dup")])
    assert committed(other) == []


def test_the_transaction_object_is_an_error_of_the_transaction_family() -> None:
    assert issubclass(TransactionAborted, TransactionError)


# --- values the driver cannot encode ----------------------------------------------------------------


def test_lone_surrogate_is_a_data_error(db: Database, rows: Repository[EdgeRow], other: Database) -> None:
    with pytest.raises(DataError):
        db.execute("INSERT INTO edge_rows (name) VALUES (?)", ("bad \ud800 value",))
    assert committed(other) == []
    with pytest.raises(TransactionAborted):
        with db.transaction():
            rows.insert(EdgeRow(name="a"))
            with pytest.raises(DataError):
                db.execute("INSERT INTO edge_rows (name) VALUES (?)", ("\ud800",))
    assert committed(other) == []


# --- the same, async --------------------------------------------------------------------------------

ASYNC_KINDS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(params=ASYNC_KINDS)
def aurl(request: pytest.FixtureRequest, tmp_path: Path) -> URL:
    if request.param == "sqlite":
        return URL.parse(f"sqlite:///{tmp_path / 'edges.db'}")
    return _server_test_url(request.param)


def arun(url: URL, body: Callable[[AsyncDatabase, AsyncRepository[EdgeRow]], Awaitable[None]]) -> None:
    async def main() -> None:
        async with AsyncDatabase(url) as db:
            await db.drop_all(EdgeRow)
            await db.create_all(EdgeRow)
            try:
                await body(db, AsyncRepository(EdgeRow, db))
                assert db.pool.stats().checked_out == 0
            finally:
                await db.drop_all(EdgeRow)

    asyncio.run(main())


def test_async_caught_failure_aborts_the_transaction(aurl: URL) -> None:
    async def body(db: AsyncDatabase, rows: AsyncRepository[EdgeRow]) -> None:
        with pytest.raises(TransactionAborted) as info:
            async with db.transaction():
                a = await rows.insert(EdgeRow(name="a"))
                with pytest.raises(UniqueViolation):
                    await rows.insert(EdgeRow(id=a.id, name="dup"))
                with pytest.raises(TransactionAborted, match="statement refused"):
                    await rows.count()
        assert isinstance(info.value.error, UniqueViolation)
        assert await rows.get(a.id) is None
        assert await rows.count() == 0
        assert not db.in_transaction()

    arun(aurl, body)


def test_async_savepoint_keeps_the_transaction(aurl: URL) -> None:
    async def body(db: AsyncDatabase, rows: AsyncRepository[EdgeRow]) -> None:
        async with db.transaction():
            a = await rows.insert(EdgeRow(name="a"))
            with pytest.raises(UniqueViolation):
                async with db.transaction():
                    await rows.insert(EdgeRow(id=a.id, name="dup"))
            with pytest.raises(TransactionAborted, match="savepoint rolled back"):
                async with db.transaction():
                    with pytest.raises(UniqueViolation):
                        await rows.insert(EdgeRow(id=a.id, name="dup"))
            await rows.insert(EdgeRow(name="b"))
        assert sorted(r.name for r in await rows.all()) == ["a", "b"]

    arun(aurl, body)


def test_async_lone_surrogate_is_a_data_error(aurl: URL) -> None:
    async def body(db: AsyncDatabase, rows: AsyncRepository[EdgeRow]) -> None:
        with pytest.raises(DataError):
            await db.execute("INSERT INTO edge_rows (name) VALUES (?)", ("bad \ud800 value",))
        assert await rows.count() == 0

    arun(aurl, body)
