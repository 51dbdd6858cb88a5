"""The sqlite3 adapter: connection settings, transaction state, and classify() on real SQLite errors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from typedorm.drivers import get_driver
from typedorm.drivers.base import ErrorInfo
from typedorm.drivers.sqlite import SQLiteDriver
from typedorm.engine.url import URL
from typedorm.errors import (
    CheckViolation,
    ConfigurationError,
    DatabaseError,
    DataError,
    ForeignKeyViolation,
    NotNullViolation,
    UniqueViolation,
)

DRIVER = SQLiteDriver()
MEMORY = URL.parse("sqlite:///:memory:")

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    age INTEGER CONSTRAINT age_non_negative CHECK (age >= 0),
    a INTEGER,
    b INTEGER,
    UNIQUE (a, b),
    CHECK (b < 100)
);
CREATE UNIQUE INDEX users_lower_name ON users (lower(name));
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));
CREATE TABLE strict_t (x INTEGER) STRICT;
INSERT INTO users (id, email, name, age) VALUES (1, 'ann@example.com', 'Ann', 30);
INSERT INTO orders (id, user_id) VALUES (1, 1);
"""


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    c = DRIVER.connect(MEMORY)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            c.execute(statement)
    yield c
    DRIVER.close(c)


def provoke(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> ErrorInfo:
    with pytest.raises(DRIVER.error_types) as info:
        conn.execute(sql, params)
    got = DRIVER.classify(info.value)
    assert got is not None
    assert got.message == str(info.value)
    return got


# -- classify() on real errors ---------------------------------------------------------------------


def test_unique_single_column(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (email, name) VALUES ('ann@example.com', 'Bob')")
    assert (info.kind, info.table, info.columns) == ("unique", "users", ("email",))
    assert info.errno == 2067  # SQLITE_CONSTRAINT_UNIQUE
    assert isinstance(info.to_exception(), UniqueViolation)


def test_unique_primary_key(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (id, email, name) VALUES (1, 'x@example.com', 'X')")
    assert (info.kind, info.table, info.columns, info.errno) == ("unique", "users", ("id",), 1555)


def test_unique_composite(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO users (email, name, a, b) VALUES ('c@example.com', 'C', 1, 2)")
    info = provoke(conn, "INSERT INTO users (email, name, a, b) VALUES ('d@example.com', 'D', 1, 2)")
    assert (info.kind, info.table, info.columns) == ("unique", "users", ("a", "b"))
    exc = info.to_exception(model="User")
    assert isinstance(exc, UniqueViolation)
    assert (exc.model, exc.fields, exc.table) == ("User", ("a", "b"), "users")


def test_unique_expression_index_names_the_index(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (email, name) VALUES ('e@example.com', 'ANN')")
    assert (info.kind, info.constraint, info.columns) == ("unique", "users_lower_name", ())


def test_not_null(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (email, name) VALUES (?, ?)", ("f@example.com", None))
    assert (info.kind, info.table, info.columns, info.errno) == ("not_null", "users", ("name",), 1299)
    assert isinstance(info.to_exception(), NotNullViolation)


def test_check_named(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (email, name, age) VALUES ('g@example.com', 'G', -1)")
    assert (info.kind, info.constraint) == ("check", "age_non_negative")
    assert isinstance(info.to_exception(), CheckViolation)


def test_check_unnamed_reports_the_expression(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (email, name, b) VALUES ('h@example.com', 'H', 500)")
    assert (info.kind, info.constraint) == ("check", "b < 100")


def test_foreign_key_on_insert(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO orders (user_id) VALUES (999)")
    assert (info.kind, info.columns, info.errno) == ("foreign_key", (), 787)
    assert isinstance(info.to_exception(), ForeignKeyViolation)


def test_foreign_key_on_delete_of_referenced_row(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "DELETE FROM users WHERE id = 1")
    assert info.kind == "foreign_key"


def test_int_beyond_64_bits_is_data(conn: sqlite3.Connection) -> None:
    with pytest.raises(DRIVER.error_types) as raised:
        conn.execute("INSERT INTO users (email, name, age) VALUES ('i@example.com', 'I', ?)", (2**63,))
    assert isinstance(raised.value, OverflowError)
    info = DRIVER.classify(raised.value)
    assert info is not None and info.kind == "data"
    assert isinstance(info.to_exception(), DataError)


def test_largest_64_bit_int_is_fine(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO users (email, name, age) VALUES ('j@example.com', 'J', ?)", (2**63 - 1,))


def test_strict_table_type_mismatch_is_data(conn: sqlite3.Connection) -> None:
    if sqlite3.sqlite_version_info < (3, 37):
        pytest.skip("STRICT tables need SQLite 3.37")
    info = provoke(conn, "INSERT INTO strict_t (x) VALUES ('abc')")
    assert (info.kind, info.table, info.columns) == ("data", "strict_t", ("x",))


def test_rowid_type_mismatch_is_data(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "INSERT INTO users (id, email, name) VALUES ('not-an-int', 'k@example.com', 'K')")
    assert info.kind == "data"


def test_syntax_error_is_other(conn: sqlite3.Connection) -> None:
    info = provoke(conn, "SELEC 1")
    assert info.kind == "other"
    assert type(info.to_exception()) is DatabaseError


def test_database_is_locked_is_other(tmp_path: Path) -> None:
    url = URL.parse(f"sqlite:///{tmp_path / 'locked.db'}")
    a = DRIVER.connect(url, busy_timeout=0)
    b = DRIVER.connect(url, busy_timeout=0)
    try:
        a.execute("CREATE TABLE t (x INTEGER)")
        a.execute("BEGIN IMMEDIATE")
        a.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError) as raised:
            b.execute("BEGIN IMMEDIATE")
        assert "database is locked" in str(raised.value)
        info = DRIVER.classify(raised.value)
        assert info is not None and info.kind == "other"
        a.execute("ROLLBACK")
    finally:
        DRIVER.close(a)
        DRIVER.close(b)


def test_closed_connection_is_disconnect() -> None:
    c = DRIVER.connect(MEMORY)
    DRIVER.close(c)
    with pytest.raises(sqlite3.ProgrammingError) as raised:
        c.execute("SELECT 1")
    assert DRIVER.is_disconnect(raised.value)
    assert not DRIVER.is_disconnect(sqlite3.OperationalError("database is locked"))


def test_non_driver_errors_are_not_classified() -> None:
    assert DRIVER.classify(ValueError("x")) is None
    assert DRIVER.classify(KeyError("x")) is None
    assert not DRIVER.is_disconnect(RuntimeError("x"))


def test_message_only_fallback_without_extended_code() -> None:
    info = DRIVER.classify(sqlite3.IntegrityError("UNIQUE constraint failed: t.a, t.b"))
    assert info == ErrorInfo("unique", "UNIQUE constraint failed: t.a, t.b", table="t", columns=("a", "b"))
    info = DRIVER.classify(sqlite3.IntegrityError("NOT NULL constraint failed: t.name"))
    assert info is not None and (info.kind, info.columns) == ("not_null", ("name",))
    info = DRIVER.classify(sqlite3.IntegrityError("CHECK constraint failed: positive"))
    assert info is not None and (info.kind, info.constraint) == ("check", "positive")
    info = DRIVER.classify(sqlite3.IntegrityError("FOREIGN KEY constraint failed"))
    assert info is not None and info.kind == "foreign_key"


# -- connection settings and transaction state -----------------------------------------------------


def test_connection_settings_memory() -> None:
    c = DRIVER.connect(MEMORY)
    try:
        assert c.isolation_level is None
        assert c.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert c.execute("PRAGMA busy_timeout").fetchone() == (5000,)
        assert c.execute("PRAGMA journal_mode").fetchone() == ("memory",)
    finally:
        DRIVER.close(c)


def test_connection_settings_file(tmp_path: Path) -> None:
    c = DRIVER.connect(URL.parse(f"sqlite:///{tmp_path / 'app.db'}"), busy_timeout=1234)
    try:
        assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert c.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert c.execute("PRAGMA busy_timeout").fetchone() == (1234,)
        assert c.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        DRIVER.close(c)


def test_relative_path_is_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    c = DRIVER.connect(URL.parse("sqlite:///rel.db?busy_timeout=10"))
    try:
        c.execute("CREATE TABLE t (x INTEGER)")
        assert c.execute("PRAGMA busy_timeout").fetchone() == (10,)
    finally:
        DRIVER.close(c)
    assert (tmp_path / "rel.db").exists()


def test_uri_parameters_read_only(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    w = DRIVER.connect(URL.parse(f"sqlite:///{path}"))
    w.execute("CREATE TABLE t (x INTEGER)")
    DRIVER.close(w)
    r = DRIVER.connect(URL.parse(f"sqlite:///{path}?mode=ro"))
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            r.execute("INSERT INTO t VALUES (1)")
    finally:
        DRIVER.close(r)


def test_unknown_option_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="bogus"):
        DRIVER.connect(URL.parse("sqlite://?bogus=1"))
    with pytest.raises(ConfigurationError, match="journal_mode"):
        DRIVER.connect(MEMORY, journal_mode="fast")


def test_autocommit_no_implicit_transactions() -> None:
    c = DRIVER.connect(MEMORY)
    try:
        c.execute("CREATE TABLE t (x INTEGER)")
        c.execute("INSERT INTO t VALUES (1)")
        assert not DRIVER.in_transaction(c)  # the sqlite3 module did not open one behind our back
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO t VALUES (2)")
        assert DRIVER.in_transaction(c)
        DRIVER.reset(c)
        assert not DRIVER.in_transaction(c)
        assert c.execute("SELECT x FROM t").fetchall() == [(1,)]
        DRIVER.reset(c)  # nothing open: a no-op
    finally:
        DRIVER.close(c)


def test_ping_alive_close() -> None:
    c = DRIVER.connect(MEMORY)
    assert DRIVER.ping(c) and DRIVER.is_alive_cheap(c)
    DRIVER.close(c)
    assert not DRIVER.ping(c)
    assert not DRIVER.is_alive_cheap(c)
    DRIVER.close(c)  # closing twice never raises
    with pytest.raises(DatabaseError):
        DRIVER.reset(c)


def test_connection_usable_from_another_thread() -> None:
    c = DRIVER.connect(MEMORY)
    results: list[object] = []
    t = threading.Thread(target=lambda: results.append(c.execute("SELECT 41 + 1").fetchone()))
    t.start()
    t.join()
    DRIVER.close(c)
    assert results == [(42,)]


def test_get_driver_defaults_to_sqlite3() -> None:
    driver = get_driver(URL.parse("sqlite://"))
    assert (driver.name, driver.dialect, driver.paramstyle) == ("sqlite3", "sqlite", "qmark")
    assert get_driver(URL.parse("sqlite+sqlite3:///x.db")) is driver
