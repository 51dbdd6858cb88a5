"""Transactions: commit, rollback, the nested savepoint matrix, on_commit, autocommit, SQLite specifics."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from models import User

from typedorm import Database, Repository, TransactionError, UniqueViolation


class Boom(Exception):
    pass


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User)
    yield Repository(User, db)


@pytest.fixture
def other(db: Database) -> Iterator[Database]:
    """A second Database on the same data: sees only what was committed."""
    second = Database(db.url)
    yield second
    second.close()


def _u(name: str) -> User:
    return User(name=name, email=f"{name.lower()}@example.com")


def committed(other: Database) -> list[str]:
    return [r[0] for r in other.execute("SELECT name FROM users ORDER BY name").rows]


# --- commit / rollback -----------------------------------------------------------------------
def test_commit_on_success(db: Database, users: Repository[User], other: Database) -> None:
    with db.transaction() as tx:
        assert db.in_transaction()
        users.insert(_u("A"))
        users.insert(_u("B"))
        assert users.count() == 2  # visible inside
        assert committed(other) == []  # not yet visible outside
        assert tx is not None
    assert not db.in_transaction()
    assert committed(other) == ["A", "B"]


def test_rollback_on_any_exception(db: Database, users: Repository[User], other: Database) -> None:
    users.insert(_u("Before"))
    with pytest.raises(Boom):
        with db.transaction():
            users.insert(_u("A"))
            users.update(users.filter(User.name == "Before").one().model_copy(update={"age": 99}))
            raise Boom
    assert not db.in_transaction()
    assert committed(other) == ["Before"]
    assert users.filter(User.name == "Before").one().age == 0


def test_rollback_on_database_error(db: Database, users: Repository[User], other: Database) -> None:
    with pytest.raises(UniqueViolation):
        with db.transaction():
            users.insert(_u("A"))
            users.insert(_u("A"))
    assert committed(other) == []
    # the connection is usable afterwards
    users.insert(_u("B"))
    assert committed(other) == ["B"]


# --- nested: the savepoint matrix ---------------------------------------------------------------
def test_inner_rollback_keeps_outer_work(db: Database, users: Repository[User], other: Database) -> None:
    with db.transaction():
        users.insert(_u("Outer1"))
        with pytest.raises(Boom):
            with db.transaction():
                users.insert(_u("Inner"))
                assert users.count() == 2
                raise Boom
        assert users.query().values_list("name") == [("Outer1",)]
        users.insert(_u("Outer2"))
    assert committed(other) == ["Outer1", "Outer2"]


def test_outer_rollback_discards_committed_inner(
    db: Database, users: Repository[User], other: Database
) -> None:
    with pytest.raises(Boom):
        with db.transaction():
            users.insert(_u("Outer"))
            with db.transaction():
                users.insert(_u("Inner"))
            assert users.count() == 2  # the inner block was released, not committed
            assert committed(other) == []
            raise Boom
    assert committed(other) == []


def test_exception_in_inner_propagating_rolls_back_everything(
    db: Database, users: Repository[User], other: Database
) -> None:
    with pytest.raises(Boom):
        with db.transaction():
            users.insert(_u("Outer"))
            with db.transaction():
                users.insert(_u("Inner"))
                raise Boom
    assert not db.in_transaction()
    assert committed(other) == []


def test_exception_in_outer_after_inner(db: Database, users: Repository[User], other: Database) -> None:
    with pytest.raises(Boom):
        with db.transaction():
            with db.transaction():
                users.insert(_u("Inner"))
            users.insert(_u("Outer"))
            raise Boom
    assert committed(other) == []


def test_three_levels(db: Database, users: Repository[User], other: Database) -> None:
    with db.transaction():
        users.insert(_u("L1"))
        with db.transaction():
            users.insert(_u("L2"))
            with pytest.raises(Boom):
                with db.transaction():
                    users.insert(_u("L3"))
                    raise Boom
            users.insert(_u("L2b"))
    assert committed(other) == ["L1", "L2", "L2b"]


def test_database_error_inside_savepoint_then_outer_continues(
    db: Database, users: Repository[User], other: Database
) -> None:
    # On PostgreSQL an error aborts the transaction: rolling back to the savepoint must recover it.
    with db.transaction():
        users.insert(_u("A"))
        with pytest.raises(UniqueViolation):
            with db.transaction():
                users.insert(_u("B"))
                users.insert(_u("A"))
        users.insert(_u("C"))
        assert users.count() == 2
    assert committed(other) == ["A", "C"]


# --- on_commit ----------------------------------------------------------------------------------
def test_on_commit_runs_after_the_outermost_commit(
    db: Database, users: Repository[User], other: Database
) -> None:
    seen: list[tuple[str, list[str]]] = []

    def cb(tag: str) -> None:
        seen.append((tag, committed(other)))  # what another connection can see at that moment

    with db.transaction():
        users.insert(_u("A"))
        db.on_commit(lambda: cb("outer"))
        with db.transaction():
            users.insert(_u("B"))
            db.on_commit(lambda: cb("inner"))
        assert seen == []  # releasing the savepoint does not run them
    assert seen == [("outer", ["A", "B"]), ("inner", ["A", "B"])]


def test_on_commit_dropped_on_rollback(db: Database, users: Repository[User]) -> None:
    seen: list[str] = []
    with pytest.raises(Boom):
        with db.transaction():
            db.on_commit(lambda: seen.append("outer"))
            with db.transaction():
                db.on_commit(lambda: seen.append("inner"))
            raise Boom
    assert seen == []
    # the next transaction does not inherit them
    with db.transaction():
        users.insert(_u("A"))
    assert seen == []


def test_on_commit_of_rolled_back_savepoint_is_dropped(db: Database, users: Repository[User]) -> None:
    seen: list[str] = []
    with db.transaction():
        db.on_commit(lambda: seen.append("outer"))
        with pytest.raises(Boom):
            with db.transaction():
                db.on_commit(lambda: seen.append("inner"))
                raise Boom
        assert seen == []
    assert seen == ["outer"]


def test_on_commit_outside_a_transaction_runs_at_once(db: Database) -> None:
    seen: list[int] = []
    db.on_commit(lambda: seen.append(1))
    assert seen == [1]


# --- autocommit outside transactions --------------------------------------------------------------
def test_statements_outside_a_transaction_autocommit(
    db: Database, users: Repository[User], other: Database
) -> None:
    assert not db.in_transaction()
    users.insert(_u("A"))
    assert committed(other) == ["A"]
    with pytest.raises(UniqueViolation):
        users.insert(_u("A"))
    users.update(User.name == "A", User.age.set(5))
    assert other.execute("SELECT age FROM users").scalar() == 5
    db.execute("INSERT INTO users (name, email, age, n) VALUES (?, ?, ?, ?)", ("B", "b@example.com", 1, 0))
    assert committed(other) == ["A", "B"]
    assert users.delete(User.name == "B") == 1
    assert committed(other) == ["A"]
    assert not db.in_transaction()


# --- decorator, run_in_transaction, misuse ----------------------------------------------------------
def test_transaction_as_decorator(db: Database, users: Repository[User], other: Database) -> None:
    @db.transaction()
    def two(fail: bool) -> int:
        users.insert(_u("X" if not fail else "Y"))
        users.insert(_u("X2" if not fail else "Y2"))
        if fail:
            raise Boom
        return users.count()

    assert two(False) == 2
    with pytest.raises(Boom):
        two(True)
    assert committed(other) == ["X", "X2"]
    assert db.run_in_transaction(lambda: users.insert(_u("Z")).name) == "Z"
    assert committed(other) == ["X", "X2", "Z"]


def test_isolation_levels(db: Database, users: Repository[User]) -> None:
    for level in ("read committed", "repeatable read", "serializable"):
        with db.transaction(isolation=level):
            users.insert(_u(level.replace(" ", "")))
    assert users.count() == 3
    with pytest.raises(ValueError):
        db.transaction(isolation="chaos")  # type: ignore[arg-type]
    with db.transaction():
        with pytest.raises(TransactionError):
            with db.transaction(isolation="serializable"):
                pass


def test_transaction_object_cannot_be_reentered(db: Database) -> None:
    tx = db.transaction()
    with tx:
        with pytest.raises(TransactionError):
            with tx:
                pass
    with tx:  # reusable once closed
        pass


# --- SQLite specifics -----------------------------------------------------------------------------
@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'app.db'}")
    yield database
    database.close()


def test_sqlite_write_transactions_begin_immediate(
    sqlite_file: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_file
    db.create_all(User)
    users = Repository(User, db)
    with caplog.at_level(logging.DEBUG, logger="typedorm.sql"):
        with db.transaction():
            users.insert(_u("A"))
    logged = [
        r.getMessage().split(" | ")[0].strip().upper() for r in caplog.records if r.name == "typedorm.sql"
    ]
    assert logged[0] == "BEGIN IMMEDIATE"
    assert logged[-1] == "COMMIT"
    assert "BEGIN" not in logged[1:]
    # deferred on request
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="typedorm.sql"):
        with db.transaction(mode="deferred"):
            users.count()
    assert caplog.records[0].getMessage().strip().upper() == "BEGIN DEFERRED"


def test_sqlite_transaction_holds_the_write_lock_from_the_start(
    sqlite_file: Database, tmp_path: Path
) -> None:
    db = sqlite_file
    db.create_all(User)
    probe = sqlite3.connect(tmp_path / "app.db", timeout=0, isolation_level=None)
    try:
        with db.transaction():
            # nothing written yet, yet a second writer cannot start: BEGIN IMMEDIATE took the lock
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")
        probe.execute("BEGIN IMMEDIATE")  # free again after commit
        probe.execute("ROLLBACK")
    finally:
        probe.close()


def test_sqlite_file_uses_wal_and_foreign_keys(sqlite_file: Database, tmp_path: Path) -> None:
    db = sqlite_file
    assert str(db.execute("PRAGMA journal_mode").scalar()).lower() == "wal"
    assert db.execute("PRAGMA foreign_keys").scalar() == 1
    assert int(db.execute("PRAGMA busy_timeout").scalar()) > 0
    with db.transaction():  # a connection used for a transaction has them too
        assert db.execute("PRAGMA foreign_keys").scalar() == 1
    # WAL is a property of the file: a plain connection sees it
    db.create_all(User)
    probe = sqlite3.connect(tmp_path / "app.db")
    try:
        assert probe.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        probe.close()


def test_sqlite_not_in_implicit_transaction_mode(sqlite_file: Database) -> None:
    db = sqlite_file
    db.create_all(User)
    users = Repository(User, db)
    users.insert(_u("A"))
    conn = db.pool.acquire()
    try:
        assert conn.isolation_level is None  # the sqlite3 module never issues BEGIN itself
        assert not conn.in_transaction
    finally:
        db.pool.release(conn)


def test_failed_savepoint_leaves_the_outer_transaction_usable(memory_db: Database) -> None:
    """If SAVEPOINT itself fails, the outer block still rolls back normally (no "out of order")."""
    import typedorm.engine.database as dbmod

    db = memory_db
    db.execute("CREATE TABLE sp_t (x INTEGER)")
    real = dbmod.Database._control

    def failing(self: Database, conn: object, sql: str) -> None:
        if sql.startswith("SAVEPOINT"):
            raise RuntimeError("savepoint refused")
        real(self, conn, sql)

    with pytest.raises(RuntimeError, match="savepoint refused"):
        with db.transaction():
            db.execute("INSERT INTO sp_t VALUES (1)")
            dbmod.Database._control = failing  # type: ignore[method-assign]
            try:
                with db.transaction():
                    pass
            finally:
                dbmod.Database._control = real  # type: ignore[method-assign]
    assert db.execute("SELECT COUNT(*) FROM sp_t").scalar() == 0
    assert not db.in_transaction()
