"""Backend fixtures: every integration test that takes ``db`` runs on SQLite, PostgreSQL and MariaDB/MySQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest
from _galera import galera_cluster  # noqa: F401 - fixture
from _private_servers import (  # noqa: F401 - fixtures
    private_mariadb,
    private_mariadb_small_packet,
    private_pg,
    private_pg_2pc,
    private_redis,
)
from _replica_servers import mariadb_pair, pg_cluster  # noqa: F401 - fixtures
from _servers import require_server

from typedorm import Database
from typedorm.drivers import get_driver
from typedorm.engine.url import URL

# "mysql" runs on the default MySQL driver (mysqlclient when installed), "pymysql" on the
# pure-Python fallback against the same server.
BACKENDS = [
    b.strip()
    for b in os.environ.get("TYPEDORM_BACKENDS", "sqlite,postgresql,mysql,pymysql").split(",")
    if b.strip()
]

_created: dict[str, URL] = {}


def _server_test_url(kind: str) -> URL:
    """A database of this run's own on the ``kind`` server (created once, dropped at exit)."""
    if kind in _created:
        return _created[kind]
    base = require_server(kind)  # type: ignore[arg-type]
    name = f"typedorm_t{os.getpid()}"
    driver = get_driver(base)
    conn = driver.connect(base)
    try:
        cur = conn.cursor()
        q = '"' if kind == "postgresql" else "`"
        cur.execute(f"DROP DATABASE IF EXISTS {q}{name}{q}")
        cur.execute(f"CREATE DATABASE {q}{name}{q}")
        cur.close()
    finally:
        driver.close(conn)
    url = base.with_database(name)
    _created[kind] = url
    return url


def _drop_everything(db: Database) -> None:
    kind = db.dialect.family  # a variant (pgvariant) is dropped as its family
    if kind == "postgresql":
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")
    elif kind == "mysql":
        names = [
            r[0]
            for r in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            ).rows
        ]
        if names:
            with db.transaction():
                db.execute("SET FOREIGN_KEY_CHECKS = 0")
                for n in names:
                    db.execute(f"DROP TABLE IF EXISTS `{n}`")
                db.execute("SET FOREIGN_KEY_CHECKS = 1")


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> URL:
    kind = request.param
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        return URL.parse(f"sqlite:///{path}")
    if kind == "pgvariant":
        # the out-of-tree PostgreSQL variant of _pg_variant.py, on the shared PostgreSQL server
        from _pg_variant import SCHEME, register

        register()
        return replace(_server_test_url("postgresql"), variant=SCHEME)
    if kind == "pymysql":
        url = _server_test_url("mysql")
        return URL(
            url.dialect, "pymysql", url.username, url.password, url.host, url.port, url.database, url.query
        )
    return _server_test_url(kind)


@pytest.fixture
def server_url(backend_url: URL) -> URL:
    """``backend_url`` for the server backends only: SQLite has no server connection to lose."""
    if backend_url.dialect == "sqlite":
        pytest.skip("SQLite has no server connection to kill")
    return backend_url


@pytest.fixture
def db(backend_url: URL) -> Iterator[Database]:
    database = Database(backend_url)
    if database.dialect.name != "sqlite":
        _drop_everything(database)
    try:
        yield database
    finally:
        try:
            if database.dialect.name != "sqlite":
                _drop_everything(database)
        finally:
            database.close()


@pytest.fixture
def memory_db() -> Iterator[Database]:
    database = Database("sqlite:///:memory:")
    yield database
    database.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for kind, url in _created.items():
        base = URL.parse(str(url.render(hide_password=False))).with_database("test")
        driver = get_driver(base)
        try:
            conn = driver.connect(base)
        except Exception:
            continue
        try:
            cur = conn.cursor()
            q = '"' if kind == "postgresql" else "`"
            if kind == "postgresql":
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (url.database,),
                )
            cur.execute(f"DROP DATABASE IF EXISTS {q}{url.database}{q}")
            cur.close()
        finally:
            driver.close(conn)
