"""An honest commit: a COMMIT whose connection drops raises ``CommitOutcomeUnknown`` unless the
outcome can be learnt. On PostgreSQL the transaction id travels in the COMMIT's own round trip
and ``txid_status`` is asked on a new connection: committed -> no error, rolled back ->
``ConnectionLost`` saying so, server unreachable -> ``CommitOutcomeUnknown(xid=...)``.

Real servers of the tests' own (``private_pg``, ``private_mariadb``): the connection is made to
drop *during* COMMIT by making COMMIT wait (a synchronous standby that does not exist, a deferred
trigger that sleeps, MariaDB's global read lock) and ending the backend from another connection.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _private_servers import PrivateMariaDB, PrivatePostgres

from typedorm import AsyncDatabase, Database
from typedorm.dialects.postgresql.dialect import PostgreSQLDialect
from typedorm.drivers import get_driver
from typedorm.engine.url import URL
from typedorm.errors import CommitOutcomeUnknown, ConnectionLost

TIMEOUT = 20.0


def _admin(url: URL) -> Any:
    return get_driver(url).connect(url)


def _scalar(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    cur = conn.cursor()
    try:
        cur.execute(sql, params)
        row = cur.fetchone()
    finally:
        cur.close()
    return row[0] if row else None


def _when(
    url: URL, ready_sql: str, pid: Callable[[], int | None], act: Callable[[Any, int], None]
) -> threading.Thread:
    """A thread that waits until backend ``pid()`` matches ``ready_sql`` (one ``%s``: the pid), then
    runs ``act(admin_conn, pid)``. Failures are kept on the thread as ``error``."""

    def run() -> None:
        conn = _admin(url)
        try:
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                p = pid()
                if p is not None and _scalar(conn, ready_sql, (p,)):
                    act(conn, p)
                    return
                time.sleep(0.02)
            raise AssertionError(f"the backend never reached the state: {ready_sql}")
        except BaseException as e:
            t.error = e  # type: ignore[attr-defined]
        finally:
            get_driver(url).close(conn)

    t = threading.Thread(target=run, daemon=True)
    t.error = None  # type: ignore[attr-defined]
    t.start()
    return t


_SYNC_REP = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event = 'SyncRep'"
_SLEEPING = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event = 'PgSleep'"


def _terminate(conn: Any, pid: int) -> None:
    _scalar(conn, "SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def pg(private_pg: PrivatePostgres) -> Iterator[tuple[PrivatePostgres, URL]]:
    url = private_pg.create_database("commit_outcome")
    conn = _admin(url)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE item (id int PRIMARY KEY)")
        cur.execute(
            "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$"
        )
        cur.execute("CREATE TABLE slow_item (id int PRIMARY KEY)")
        cur.execute(
            "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow_item "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow()"
        )
        cur.close()
    finally:
        get_driver(url).close(conn)
    yield private_pg, url


class _SyncStandby:
    """COMMIT with ``synchronous_commit=on`` waits for a standby named ``nobody``: the commit record
    is written locally first, so the transaction is stored whatever the client sees."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def __enter__(self) -> None:
        self._set("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")

    def __exit__(self, *exc: object) -> None:
        self._set("ALTER SYSTEM RESET synchronous_standby_names")

    def _set(self, sql: str) -> None:
        conn = _admin(self.url)
        try:
            cur = conn.cursor()
            cur.execute(sql)
            cur.execute("SELECT pg_reload_conf()")
            cur.close()
        finally:
            get_driver(self.url).close(conn)
        time.sleep(0.2)  # the reload reaches every backend asynchronously


def _rows(url: URL, table: str) -> list[int]:
    conn = _admin(url)
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT id FROM {table} ORDER BY id")
        out = [r[0] for r in cur.fetchall()]
        cur.close()
    finally:
        get_driver(url).close(conn)
    return out


def test_postgres_commit_stored_before_the_drop_returns_normally(
    pg: tuple[PrivatePostgres, URL], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = pg
    db = Database(url, pool_size=2, max_overflow=0)
    pid: list[int] = []
    try:
        with _SyncStandby(url):
            killer = _when(url, _SYNC_REP, lambda: pid[0] if pid else None, _terminate)
            with caplog.at_level("INFO", logger="typedorm.engine"), db.transaction():
                db.execute("SET LOCAL synchronous_commit = on")
                pid.append(db.execute("SELECT pg_backend_pid()").scalar())
                db.execute("INSERT INTO item (id) VALUES (1)")
            killer.join(TIMEOUT)
            assert killer.error is None  # type: ignore[attr-defined]
        assert _rows(url, "item") == [1]
        assert any("which is stored" in r.getMessage() for r in caplog.records)
        assert db.execute("SELECT count(*) FROM item").scalar() == 1  # the pool recovered
    finally:
        db.close()


def test_postgres_commit_rolled_back_raises_connection_lost_saying_so(
    pg: tuple[PrivatePostgres, URL],
) -> None:
    _, url = pg
    db = Database(url, pool_size=1, max_overflow=0)
    pid: list[int] = []
    try:
        killer = _when(url, _SLEEPING, lambda: pid[0] if pid else None, _terminate)
        with pytest.raises(ConnectionLost, match="rolled back") as info, db.transaction():
            pid.append(db.execute("SELECT pg_backend_pid()").scalar())
            db.execute("INSERT INTO slow_item (id) VALUES (1)")  # COMMIT runs the sleeping trigger
        killer.join(TIMEOUT)
        assert killer.error is None  # type: ignore[attr-defined]
        assert not isinstance(info.value, CommitOutcomeUnknown)
        assert _rows(url, "slow_item") == []
    finally:
        db.close()


def test_postgres_commit_with_the_server_gone_is_unknown_with_its_xid(
    pg: tuple[PrivatePostgres, URL],
) -> None:
    server, url = pg
    db = Database(url, pool_size=1, max_overflow=0, pool_timeout=5)
    pid: list[int] = []
    stopped = threading.Event()

    def crash(_conn: Any, _pid: int) -> None:
        server.stop("immediate")  # the server dies while COMMIT waits for the standby
        stopped.set()

    try:
        with _SyncStandby(url):
            killer = _when(url, _SYNC_REP, lambda: pid[0] if pid else None, crash)
            try:
                with pytest.raises(CommitOutcomeUnknown) as info, db.transaction():
                    db.execute("SET LOCAL synchronous_commit = on")
                    pid.append(db.execute("SELECT pg_backend_pid()").scalar())
                    db.execute("INSERT INTO item (id) VALUES (2)")
            finally:
                killer.join(TIMEOUT)
                if stopped.is_set():
                    server.start()
            assert killer.error is None  # type: ignore[attr-defined]
        xid = info.value.xid
        assert xid is not None and xid.isdigit()
        # Crash recovery replays the commit record: the outcome the error could not give.
        conn = _admin(url)
        try:
            assert _scalar(conn, "SELECT txid_status(%s::bigint)", (xid,)) == "committed"
        finally:
            get_driver(url).close(conn)
        assert 2 in _rows(url, "item")
    finally:
        db.close()


def test_async_postgres_commit_stored_before_the_drop_returns_normally(
    pg: tuple[PrivatePostgres, URL],
) -> None:
    _, url = pg

    async def main() -> None:
        pid: list[int] = []
        async with AsyncDatabase(url, pool_size=2, max_overflow=0) as db:
            killer = _when(url, _SYNC_REP, lambda: pid[0] if pid else None, _terminate)
            async with db.transaction():
                await db.execute("SET LOCAL synchronous_commit = on")
                pid.append((await db.execute("SELECT pg_backend_pid()")).scalar())
                await db.execute("INSERT INTO item (id) VALUES (3)")
            await asyncio.to_thread(killer.join, TIMEOUT)
            assert killer.error is None  # type: ignore[attr-defined]

            killer = _when(url, _SLEEPING, lambda: pid[1] if len(pid) > 1 else None, _terminate)
            with pytest.raises(ConnectionLost, match="rolled back"):
                async with db.transaction():
                    pid.append((await db.execute("SELECT pg_backend_pid()")).scalar())
                    await db.execute("INSERT INTO slow_item (id) VALUES (3)")
            await asyncio.to_thread(killer.join, TIMEOUT)

    with _SyncStandby(url):
        asyncio.run(main())
    assert 3 in _rows(url, "item")
    assert 3 not in _rows(url, "slow_item")


def test_postgres_status_is_asked_of_the_same_server_instance_only(pg: tuple[PrivatePostgres, URL]) -> None:
    _, url = pg
    d = PostgreSQLDialect()
    conn = _admin(url)
    try:
        cur = conn.cursor()
        cur.execute("BEGIN")
        cur.execute("INSERT INTO item (id) VALUES (40)")
        assert d.commit_probe_sql is not None
        cur.execute(d.commit_probe_sql)
        row = cur.fetchone()
        assert row is not None
        probe = row[0]
        cur.execute("COMMIT")
        xid = d.commit_xid(probe)
        assert xid.isdigit()
        query = d.commit_status_query(probe)
        assert query is not None
        cur.execute(*query)
        assert cur.fetchone() == ("committed",)
        # Another instance (a restart, a promoted standby) may have given the id to another
        # transaction: the answer is NULL there, hence CommitOutcomeUnknown.
        other = d.commit_status_query(f"{xid}@2000-01-01 00:00:00+00")
        assert other is not None
        cur.execute(*other)
        assert cur.fetchone() == (None,)
        cur.close()
    finally:
        get_driver(url).close(conn)


def test_postgres_commit_outcome_statuses() -> None:
    d = PostgreSQLDialect()
    assert d.commit_outcome("committed") is True
    assert d.commit_outcome("aborted") is False
    assert d.commit_outcome("in progress") is None  # -> CommitOutcomeUnknown
    assert d.commit_outcome(None) is None  # too old to know -> CommitOutcomeUnknown


def test_mariadb_commit_cut_off_is_unknown(private_mariadb: PrivateMariaDB) -> None:
    url = private_mariadb.create_database("commit_outcome")
    db = Database(url, pool_size=1, max_overflow=0)
    conn_id: list[int] = []
    admin = _admin(url)
    try:
        db.execute("CREATE TABLE item (id int PRIMARY KEY) ENGINE=InnoDB")
        _scalar(admin, "SET SESSION lock_wait_timeout = 10")  # never hang the suite on a lock
        waiting = (
            "SELECT count(*) FROM information_schema.processlist WHERE id = %s AND info = 'COMMIT' "
            "AND state LIKE '%%lock%%'"
        )
        killer = _when(
            url,
            waiting,
            lambda: conn_id[0] if conn_id else None,
            lambda c, i: _scalar(c, f"KILL CONNECTION {int(i):d}"),
        )
        try:
            with pytest.raises(CommitOutcomeUnknown) as info, db.transaction():
                db.execute("SET SESSION lock_wait_timeout = 10")
                conn_id.append(db.execute("SELECT CONNECTION_ID()").scalar())
                db.execute("INSERT INTO item (id) VALUES (1)")
                # The global read lock, taken now, makes this transaction's COMMIT wait for it.
                _scalar(admin, "FLUSH TABLES WITH READ LOCK")
        finally:
            killer.join(TIMEOUT)
            _scalar(admin, "UNLOCK TABLES")
        assert killer.error is None  # type: ignore[attr-defined]
        assert info.value.xid is None  # MariaDB has no lookup: the outcome stays unknown
        assert isinstance(info.value, ConnectionLost)
        # Killed while waiting for the lock, the COMMIT may still have been stored: unknown indeed.
        assert db.execute("SELECT count(*) FROM item").scalar() in (0, 1)  # and the pool recovered
    finally:
        get_driver(url).close(admin)
        db.close()
