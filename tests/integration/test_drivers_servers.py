"""The psycopg, PyMySQL and mysqlclient adapters against real PostgreSQL and MariaDB/MySQL servers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from _servers import require_driver, require_server, unique_name

from typedorm.drivers import get_driver
from typedorm.drivers.base import Driver, ErrorInfo
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError, Deadlock, SerializationFailure, UniqueViolation


@dataclass
class Server:
    driver: Driver
    url: URL
    users: str  # table names, unique to this test
    orders: str
    opened: list[Any]

    @property
    def is_pg(self) -> bool:
        return self.driver.dialect == "postgresql"

    def connect(self, **options: Any) -> Any:
        conn = self.driver.connect(self.url, **options)
        self.opened.append(conn)
        return conn

    def q(self, name: str) -> str:
        return f'"{name}"' if self.is_pg else f"`{name}`"


def run(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[tuple[Any, ...]]:
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []
    finally:
        cur.close()


def provoke(server: Server, conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> ErrorInfo:
    with pytest.raises(server.driver.error_types) as raised:
        run(conn, sql, params)
    info = server.driver.classify(raised.value)
    assert info is not None, raised.value
    return info


@pytest.fixture(params=["psycopg", "pymysql", "mysqlclient"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    name: str = request.param
    base = require_server("postgresql" if name == "psycopg" else "mysql")
    driver, url = require_driver(base, name)
    s = Server(driver, url, unique_name("td_users"), unique_name("td_orders"), [])
    admin = s.connect()
    u, o = s.q(s.users), s.q(s.orders)
    engine = "" if s.is_pg else " ENGINE=InnoDB"
    run(
        admin,
        f"CREATE TABLE {u} (id INTEGER PRIMARY KEY, email VARCHAR(50) NOT NULL, name VARCHAR(5) NOT NULL, "
        f"age INTEGER, small SMALLINT, "
        f"CONSTRAINT {s.users}_email_key UNIQUE (email), CONSTRAINT {s.users}_age_check CHECK (age >= 0)){engine}",
    )
    run(
        admin,
        f"CREATE TABLE {o} (id INTEGER PRIMARY KEY, user_id INTEGER, "
        f"CONSTRAINT {s.orders}_user_fk FOREIGN KEY (user_id) REFERENCES {u} (id)){engine}",
    )
    run(
        admin,
        f"INSERT INTO {u} (id, email, name, age) VALUES (1, 'ann@example.com', 'Ann', 30), (2, 'bob@example.com', 'Bob', 40)",
    )
    run(admin, f"INSERT INTO {o} (id, user_id) VALUES (1, 1)")
    try:
        yield s
    finally:
        for conn in s.opened[1:]:
            driver.close(conn)
        if not driver.ping(admin):
            admin = driver.connect(url)
            s.opened.append(admin)
        driver.reset(admin)
        run(admin, f"DROP TABLE {o}")
        run(admin, f"DROP TABLE {u}")
        for conn in (admin, *s.opened):
            driver.close(conn)


# -- connection behaviour --------------------------------------------------------------------------


def test_connections_are_autocommit(server: Server) -> None:
    a, b = server.connect(), server.connect()
    run(a, f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (10, 'c@example.com', 'C')")
    assert not server.driver.in_transaction(a)
    assert run(b, f"SELECT name FROM {server.q(server.users)} WHERE id = 10") == [("C",)]


def test_in_transaction_and_reset_roll_back(server: Server) -> None:
    a, b = server.connect(), server.connect()
    d = server.driver
    assert not d.in_transaction(a)
    run(a, "BEGIN")
    assert d.in_transaction(a)
    run(a, f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (11, 'd@example.com', 'D')")
    assert d.in_transaction(a)
    d.reset(a)
    assert not d.in_transaction(a)
    assert run(b, f"SELECT count(*) FROM {server.q(server.users)} WHERE id = 11") == [(0,)]
    assert run(a, "SELECT 1") == [(1,)]


def test_commit_via_sql_ends_the_transaction(server: Server) -> None:
    a = server.connect()
    d = server.driver
    run(a, "BEGIN")
    run(a, "SAVEPOINT sp1")
    run(a, f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (12, 'e@example.com', 'E')")
    run(a, "ROLLBACK TO SAVEPOINT sp1")
    assert d.in_transaction(a)  # a savepoint rollback keeps the transaction open
    run(a, "COMMIT")
    assert not d.in_transaction(a)


def test_reset_is_free_when_nothing_is_open(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    a = server.connect()
    run(a, "SELECT 1")
    if server.is_pg:

        def no_round_trip(*args: Any) -> None:
            raise AssertionError("reset() issued a rollback with no transaction open")

        monkeypatch.setattr(a, "rollback", no_round_trip)
        monkeypatch.setattr(a, "execute", no_round_trip)
        server.driver.reset(a)
        return
    # MySQL counts the statements a session sent; the SHOW STATUS itself is one of them.
    questions = "SHOW SESSION STATUS LIKE 'Questions'"
    before = int(run(a, questions)[0][1])
    server.driver.reset(a)
    server.driver.reset(a)
    assert int(run(a, questions)[0][1]) == before + 1


def test_reset_after_a_failed_statement_in_a_transaction(server: Server) -> None:
    a = server.connect()
    run(a, "BEGIN")
    provoke(
        server, a, f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (1, 'x@example.com', 'X')"
    )
    assert server.driver.in_transaction(a)
    server.driver.reset(a)
    assert not server.driver.in_transaction(a)
    assert run(a, "SELECT 2") == [(2,)]


def test_ping_alive_and_close(server: Server) -> None:
    d = server.driver
    a = d.connect(server.url)
    assert d.ping(a) and d.is_alive_cheap(a)
    d.close(a)
    assert not d.ping(a)
    assert not d.is_alive_cheap(a)
    d.close(a)  # never raises


def test_killed_connection_is_a_disconnect(server: Server) -> None:
    d = server.driver
    victim, killer = server.connect(), server.connect()
    if server.is_pg:
        pid = victim.info.backend_pid
        run(killer, "SELECT pg_terminate_backend(%s)", (pid,))
    else:
        run(killer, f"KILL {victim.thread_id():d}")
    time.sleep(0.05)
    with pytest.raises(d.error_types) as raised:
        for _ in range(3):  # the first write may still fit in the socket buffer
            run(victim, "SELECT 1")
    assert d.is_disconnect(raised.value), raised.value
    info = d.classify(raised.value)
    assert info is not None and info.kind == "disconnect"
    assert not d.ping(victim)


# -- classify() on real constraint errors ----------------------------------------------------------


def test_unique(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (20, 'ann@example.com', 'A2')",
    )
    assert info.kind == "unique"
    assert info.constraint == f"{server.users}_email_key"
    if server.is_pg:
        assert (info.table, info.columns, info.sqlstate) == (server.users, ("email",), "23505")
    else:
        assert info.errno == 1062 and info.columns == ()  # MySQL names the index, not the columns
    exc = info.to_exception(model="User", fields=("email",))
    assert isinstance(exc, UniqueViolation) and exc.fields == ("email",)


def test_unique_primary_key(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (1, 'new@example.com', 'N')",
    )
    assert info.kind == "unique"
    if server.is_pg:
        assert info.columns == ("id",)
    else:
        assert info.constraint == "PRIMARY"


def test_foreign_key_on_insert(server: Server) -> None:
    a = server.connect()
    info = provoke(server, a, f"INSERT INTO {server.q(server.orders)} (id, user_id) VALUES (2, 999)")
    assert (info.kind, info.constraint) == ("foreign_key", f"{server.orders}_user_fk")
    assert (info.table, info.columns) == (server.orders, ("user_id",))


def test_foreign_key_on_delete_of_referenced_row(server: Server) -> None:
    a = server.connect()
    info = provoke(server, a, f"DELETE FROM {server.q(server.users)} WHERE id = 1")
    assert (info.kind, info.constraint) == ("foreign_key", f"{server.orders}_user_fk")
    assert (info.table, info.columns) == (server.users, ("id",))  # the parent row being deleted


def test_not_null(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (21, %s, %s)",
        ("n@example.com", None),
    )
    assert (info.kind, info.columns) == ("not_null", ("name",))
    if server.is_pg:
        assert info.table == server.users


def test_missing_not_null_column_without_default(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server, a, f"INSERT INTO {server.q(server.users)} (id, email) VALUES (22, 'm@example.com')"
    )
    assert (info.kind, info.columns) == ("not_null", ("name",))


def test_check(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name, age) VALUES (23, 'k@example.com', 'K', -1)",
    )
    assert (info.kind, info.constraint) == ("check", f"{server.users}_age_check")


def test_string_too_long_is_data_not_truncated(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (24, 'l@example.com', 'toolong')",
    )
    assert info.kind == "data"
    if not server.is_pg:
        assert info.columns == ("name",)


def test_number_out_of_range_is_data(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name, small) VALUES (25, 'o@example.com', 'O', 70000)",
    )
    assert info.kind == "data"
    if server.is_pg:
        assert info.sqlstate == "22003"
    else:
        assert (info.errno, info.columns) == (1264, ("small",))


def test_wrong_type_is_data(server: Server) -> None:
    a = server.connect()
    info = provoke(
        server,
        a,
        f"INSERT INTO {server.q(server.users)} (id, email, name) VALUES (%s, 'p@example.com', 'P')",
        ("abc",),
    )
    assert info.kind == "data"


def test_syntax_error_is_other(server: Server) -> None:
    info = provoke(server, server.connect(), "SELEKT 1")
    assert info.kind == "other"


def test_non_driver_error_is_not_classified(server: Server) -> None:
    assert server.driver.classify(ValueError("x")) is None


# -- concurrency errors ----------------------------------------------------------------------------


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=target)
    t.start()
    return t, errors


def test_deadlock(server: Server) -> None:
    a, b = server.connect(), server.connect()
    u = server.q(server.users)
    if server.is_pg:
        for conn in (a, b):
            run(conn, "SET deadlock_timeout = '100ms'")
    for conn in (a, b):
        run(conn, "BEGIN")
    run(a, f"UPDATE {u} SET age = 1 WHERE id = 1")
    run(b, f"UPDATE {u} SET age = 2 WHERE id = 2")
    t, errors_a = _in_thread(lambda: run(a, f"UPDATE {u} SET age = 3 WHERE id = 2"))  # waits for b
    time.sleep(0.2)
    errors_b: list[BaseException] = []
    try:
        run(b, f"UPDATE {u} SET age = 4 WHERE id = 1")  # waits for a: a cycle
    except BaseException as exc:
        errors_b.append(exc)
    if not errors_b:
        run(b, "ROLLBACK")  # the server chose a as the victim; let it finish
    t.join(10)
    errors = errors_a + errors_b
    assert len(errors) == 1, errors
    info = server.driver.classify(errors[0])
    assert info is not None and info.kind == "deadlock", errors[0]
    assert isinstance(info.to_exception(), Deadlock)
    for conn in (a, b):
        server.driver.reset(conn)


def test_serialization_failure(server: Server) -> None:
    a, b = server.connect(), server.connect()
    u = server.q(server.users)
    if server.is_pg:
        run(a, "BEGIN ISOLATION LEVEL REPEATABLE READ")
    else:
        try:
            run(a, "SET SESSION innodb_snapshot_isolation = ON")
        except server.driver.error_types:
            pytest.skip("this MariaDB/MySQL has no innodb_snapshot_isolation: no serialization failures")
        run(a, "START TRANSACTION WITH CONSISTENT SNAPSHOT")
    run(a, f"SELECT age FROM {u} WHERE id = 1")
    run(b, f"UPDATE {u} SET age = 50 WHERE id = 1")  # autocommit: committed at once
    info = provoke(server, a, f"UPDATE {u} SET age = 51 WHERE id = 1")
    assert info.kind == "serialization", info
    assert isinstance(info.to_exception(), SerializationFailure)
    server.driver.reset(a)


# -- options and session setup ---------------------------------------------------------------------


def test_autocommit_cannot_be_turned_off(server: Server) -> None:
    with pytest.raises(ConfigurationError, match="autocommit"):
        server.driver.connect(server.url, autocommit=False)


def test_paramstyle(server: Server) -> None:
    assert server.driver.paramstyle == "format"
    assert run(server.connect(), "SELECT %s", (5,)) == [(5,)]


@pytest.mark.parametrize("server", ["psycopg"], indirect=True)
def test_postgresql_options(server: Server) -> None:
    app = unique_name("app")
    a = server.connect(application_name=app, prepare_threshold=None)
    assert run(a, "SHOW application_name") == [(app,)]
    assert a.prepare_threshold is None and a.autocommit
    query_url = URL.parse(
        f"{server.url.render(hide_password=False)}?application_name={app}&prepare_threshold=2"
    )
    b = server.driver.connect(query_url)
    server.opened.append(b)
    assert run(b, "SHOW application_name") == [(app,)] and b.prepare_threshold == 2
    with pytest.raises(ConfigurationError, match="no_such_option"):
        server.driver.connect(server.url, no_such_option="1")


@pytest.mark.parametrize("server", ["pymysql", "mysqlclient"], indirect=True)
def test_mysql_session_setup(server: Server) -> None:
    a = server.connect()
    ((tz, mode, global_mode, charset),) = run(
        a, "SELECT @@SESSION.time_zone, @@SESSION.sql_mode, @@GLOBAL.sql_mode, @@character_set_client"
    )
    assert tz == "+00:00"
    modes = set(mode.split(","))
    assert "STRICT_ALL_TABLES" in modes
    assert {m for m in global_mode.split(",") if m} <= modes  # the server's own modes are kept
    assert charset == "utf8mb4"
    u = server.q(server.users)
    run(a, f"INSERT INTO {u} (id, email, name) VALUES (30, %s, 'E')", ("emoji\U0001f600@example.com",))
    assert run(a, f"SELECT email FROM {u} WHERE id = 30") == [("emoji\U0001f600@example.com",)]
    cur = a.cursor()
    try:
        cur.execute(f"UPDATE {u} SET name = name WHERE id = 30")
        assert cur.rowcount == 1  # matched rows, as on PostgreSQL and SQLite (CLIENT_FOUND_ROWS)
    finally:
        cur.close()


@pytest.mark.parametrize("server", ["pymysql", "mysqlclient"], indirect=True)
def test_mysql_unknown_url_option(server: Server) -> None:
    with pytest.raises(ConfigurationError, match="bogus"):
        server.driver.connect(URL.parse(f"{server.url.render(hide_password=False)}?bogus=1"))


@pytest.mark.parametrize("server", ["mysqlclient"], indirect=True)
def test_mysqlclient_transaction_tracking(server: Server) -> None:
    d, a = server.driver, server.connect()
    for opening in ("BEGIN", "  start transaction", "/* note */ BEGIN WORK", "-- c\nBEGIN"):
        run(a, opening)
        assert d.in_transaction(a), opening
        run(a, "ROLLBACK")
        assert not d.in_transaction(a)
    run(a, "BEGIN")
    run(a, "COMMIT AND CHAIN")
    assert d.in_transaction(a)
    a.commit()
    assert not d.in_transaction(a)
    run(a, "SET autocommit = 0")
    assert d.in_transaction(a)
    d.reset(a)
    assert not d.in_transaction(a) and a.get_autocommit()


def test_default_mysql_driver_prefers_mysqlclient() -> None:
    url = require_server("mysql")
    default = get_driver(url.with_database(url.database))
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        assert default.name == "pymysql"
    else:
        assert default.name == "mysqlclient"
