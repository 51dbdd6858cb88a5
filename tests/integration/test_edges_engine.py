"""Engine edges on every backend, sync and async: a failed statement aborts its transaction the
same way everywhere, and a value the driver cannot encode is a DataError."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from _private_servers import PrivateMariaDB
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
    SerializationFailure,
    TransactionAborted,
    TransactionError,
    UniqueViolation,
    column,
)
from typedorm.engine.url import URL
from typedorm.errors import ConnectionLost, DataError


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


# --- MariaDB max_allowed_packet -----------------------------------------------------------------------


class EdgeBlob(Model, table="edge_blobs"):
    id: PK[int] = column(default=AUTO)
    note: Col[str]


MYSQL_SYNC_DRIVERS = ["mysqlclient", "pymysql"]


def _driver_url(url: URL, driver: str | None) -> URL:
    return URL(url.dialect, driver, url.username, url.password, url.host, url.port, url.database, url.query)


@pytest.fixture
def small_packet_url(private_mariadb_small_packet: PrivateMariaDB) -> URL:
    """A database on a private MariaDB whose max_allowed_packet is 1 MiB."""
    return private_mariadb_small_packet.create_database("edges")


def _fresh_blobs(db: Database) -> Repository[EdgeBlob]:
    db.drop_all(EdgeBlob)
    db.create_all(EdgeBlob)
    return Repository(EdgeBlob, db)


@pytest.mark.parametrize("driver", MYSQL_SYNC_DRIVERS)
def test_statement_over_the_packet_limit_is_a_data_error_and_its_connection_is_dropped(
    small_packet_url: URL, driver: str
) -> None:
    # One pooled connection: the server closes it after refusing the statement, and reusing it
    # made the next unrelated call fail with ConnectionLost.
    db = Database(_driver_url(small_packet_url, driver), pool_size=1, max_overflow=0)
    try:
        blobs = _fresh_blobs(db)
        assert db._max_packet == 1024 * 1024
        with pytest.raises(DataError, match="max_allowed_packet") as info:
            db.execute("INSERT INTO edge_blobs (note) VALUES (?)", ("x" * 2_000_000,))
        assert not isinstance(info.value, ConnectionLost)
        assert db.execute("SELECT 1").scalar() == 1
        # Refused before it is sent: a transaction around it is not harmed.
        with db.transaction():
            blobs.insert(EdgeBlob(note="kept"))
            with pytest.raises(DataError, match="max_allowed_packet"):
                db.execute("UPDATE edge_blobs SET note = ?", ("y" * 2_000_000,))
        assert [b.note for b in blobs.all()] == ["kept"]
    finally:
        db.drop_all(EdgeBlob)
        db.close()


@pytest.mark.parametrize("driver", MYSQL_SYNC_DRIVERS)
def test_a_connection_the_server_closed_after_an_error_is_not_reused(
    small_packet_url: URL, driver: str
) -> None:
    # What the size check cannot foresee: the server answers 1153 and closes the connection.
    # The error is a DataError (not retryable), and the connection is discarded, not pooled.
    db = Database(_driver_url(small_packet_url, driver), pool_size=1, max_overflow=0)
    try:
        db._max_packet = None  # as if the limit were unknown: the statement reaches the server
        _fresh_blobs(db)
        for _ in range(3):
            before = db.pool.stats().closed_total
            with pytest.raises((DataError, ConnectionLost)) as info:
                db.execute("INSERT INTO edge_blobs (note) VALUES (?)", ("x" * 2_000_000,))
            if isinstance(info.value, DataError):
                assert "max_allowed_packet" in str(info.value)
            assert db.pool.stats().closed_total == before + 1  # discarded at check-in
            assert db.execute("SELECT 1").scalar() == 1  # the next unrelated call works
    finally:
        db.drop_all(EdgeBlob)
        db.close()


def test_async_connection_the_server_closed_after_an_error_is_not_reused(small_packet_url: URL) -> None:
    async def main() -> None:
        async with AsyncDatabase(small_packet_url, pool_size=1, max_overflow=0) as db:
            db._max_packet = None  # as if the limit were unknown: the statement reaches the server
            await db.drop_all(EdgeBlob)
            await db.create_all(EdgeBlob)
            try:
                for _ in range(3):
                    before = db.pool.stats().closed_total
                    with pytest.raises((DataError, ConnectionLost)):
                        await db.execute("INSERT INTO edge_blobs (note) VALUES (?)", ("x" * 2_000_000,))
                    assert db.pool.stats().closed_total == before + 1  # discarded at check-in
                    assert (await db.execute("SELECT 1")).scalar() == 1
            finally:
                await db.drop_all(EdgeBlob)

    asyncio.run(main())


@pytest.mark.parametrize("driver", MYSQL_SYNC_DRIVERS)
def test_bulk_insert_splits_by_the_packet_limit(small_packet_url: URL, driver: str) -> None:
    db = Database(_driver_url(small_packet_url, driver), pool_size=1, max_overflow=0)
    try:
        blobs = _fresh_blobs(db)
        notes = [c * 600_000 for c in "abc"]  # 1.8 MB together, 0.6 MB each: three statements
        stored = blobs.insert_many_json([json.dumps({"note": n}).encode() for n in notes])
        assert [s.note for s in stored] == notes
        assert [b.note for b in blobs.order_by("id").all()] == notes
        # explicit keys (executemany) are split the same way
        more = blobs.insert_many([EdgeBlob(id=100 + i, note=n) for i, n in enumerate(notes)])
        assert [m.id for m in more] == [100, 101, 102]
        assert blobs.count() == 6
    finally:
        db.drop_all(EdgeBlob)
        db.close()


@pytest.mark.parametrize("driver", MYSQL_SYNC_DRIVERS)
def test_a_row_over_the_packet_limit_is_refused_naming_the_field(small_packet_url: URL, driver: str) -> None:
    db = Database(_driver_url(small_packet_url, driver), pool_size=1, max_overflow=0)
    try:
        blobs = _fresh_blobs(db)
        payload = json.dumps([{"note": "small"}, {"note": "z" * 2_000_000}]).encode()
        with db.count_queries() as q:
            with pytest.raises(DataError, match="max_allowed_packet") as info:
                blobs.insert_many_json(payload)
            with pytest.raises(DataError, match=r"EdgeBlob\.note") as one:
                blobs.insert(EdgeBlob(note="z" * 2_000_000))
        assert info.value.field == "note" and one.value.field == "note"
        assert "1048576" in str(info.value)
        assert not any(
            s.lstrip().upper().startswith("INSERT") for s in q.statements
        )  # refused before sending
        assert blobs.count() == 0
    finally:
        db.drop_all(EdgeBlob)
        db.close()


def test_async_packet_limit(small_packet_url: URL) -> None:
    async def main() -> None:
        async with AsyncDatabase(small_packet_url, pool_size=1, max_overflow=0) as db:
            await db.drop_all(EdgeBlob)
            await db.create_all(EdgeBlob)
            blobs = AsyncRepository(EdgeBlob, db)
            try:
                assert db._max_packet == 1024 * 1024
                with pytest.raises(DataError, match="max_allowed_packet"):
                    await db.execute("INSERT INTO edge_blobs (note) VALUES (?)", ("x" * 2_000_000,))
                assert (await db.execute("SELECT 1")).scalar() == 1
                notes = [c * 600_000 for c in "abc"]
                stored = await blobs.insert_many_json([json.dumps({"note": n}).encode() for n in notes])
                assert [s.note for s in stored] == notes
                with pytest.raises(DataError, match=r"EdgeBlob\.note"):
                    await blobs.insert_many([EdgeBlob(note="z" * 2_000_000)])
                assert await blobs.count() == 3
            finally:
                await db.drop_all(EdgeBlob)

    asyncio.run(main())


@pytest.mark.slow
def test_two_ten_megabyte_rows_on_the_shared_server(db: Database) -> None:
    if db.dialect.name != "mysql":
        pytest.skip("max_allowed_packet is MySQL's")
    limit = int(db.execute("SELECT @@max_allowed_packet").scalar())
    blobs = _fresh_blobs(db)
    notes = ["p" * 10_000_000, "q" * 10_000_000]
    payload = json.dumps([{"note": n} for n in notes]).encode()
    try:
        if limit > 10_100_000:  # each row fits alone: split into statements that fit
            stored = blobs.insert_many_json(payload)
            assert [len(s.note) for s in stored] == [10_000_000, 10_000_000]
            assert [b.note for b in blobs.order_by("id").all()] == notes
        else:  # no single row fits: a clear error, nothing written
            with pytest.raises(DataError, match="max_allowed_packet") as info:
                blobs.insert_many_json(payload)
            assert info.value.field == "note"
            assert blobs.count() == 0
        assert db.execute("SELECT 1").scalar() == 1
    finally:
        db.drop_all(EdgeBlob)


def test_run_in_transaction_retries_a_transaction_aborted_by_a_caught_serialization_failure(
    db: Database, rows: Repository[EdgeRow], other: Database
) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("raises SQLSTATE 40001 on demand with PL/pgSQL")
    attempts: list[int] = []

    def work() -> None:
        attempts.append(1)
        rows.insert(EdgeRow(name=f"try{len(attempts)}"))
        if len(attempts) == 1:
            with pytest.raises(SerializationFailure):
                db.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")

    db.run_in_transaction(work, retry=2)
    assert len(attempts) == 2
    assert committed(other) == ["try2"]
    # a caught error that is not retryable is not retried
    attempts.clear()

    def fails() -> None:
        attempts.append(1)
        with pytest.raises(UniqueViolation):
            rows.insert(EdgeRow(id=rows.all()[0].id, name="dup"))

    with pytest.raises(TransactionAborted):
        db.run_in_transaction(fails, retry=2)
    assert len(attempts) == 1
