"""Replicated clusters of this test session's own: a PostgreSQL primary with a hot standby, and a
MariaDB primary with a GTID replica.

Nothing here touches the shared servers: each cluster is a private primary (``PrivatePostgres`` /
``PrivateMariaDB`` from ``_private_servers``: own data directory under a temporary directory, free
loopback port, trust auth) plus a replica cloned from it, destroyed when the fixture ends. The
PostgreSQL standby is ``pg_basebackup -R`` of the primary (PostgreSQL 15 defaults already have
``wal_level=replica``, ``max_wal_senders=10``, ``hot_standby=on``; ``initdb --auth=trust`` allows
replication connections from 127.0.0.1), started on its own port. Run as root, the servers run
as the ``postgres`` / ``mysql`` user, as in ``_private_servers``.

Reproduce by hand (what ``PgCluster`` runs)::

    BIN=$(pg_config --bindir); D=$(mktemp -d); chown postgres $D
    runuser -u postgres -- $BIN/initdb -D $D/p -U postgres --auth=trust
    runuser -u postgres -- $BIN/pg_ctl -D $D/p -o "-p 54001 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$D" -l $D/p.log start
    runuser -u postgres -- $BIN/pg_basebackup -D $D/s -h 127.0.0.1 -p 54001 -U postgres -R -X stream -c fast
    runuser -u postgres -- $BIN/pg_ctl -D $D/s -o "-p 54002 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$D" -l $D/s.log start
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _private_servers import (
    PrivateMariaDB,
    PrivatePostgres,
    _as_user,
    _free_port,
    _owned_tempdir,
    _pg_bindir,
    _skip_or_fail,
)

from typedorm.drivers import get_driver
from typedorm.engine.url import URL

__all__ = ["MariaDBPair", "PgCluster", "PgStandby", "mariadb_pair", "pg_cluster"]


def _sql(url: URL, sql: str) -> list[tuple[object, ...]]:
    """Run one statement on ``url`` with a connection of its own; its rows."""
    driver = get_driver(url)
    conn = driver.connect(url)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        rows = list(cur.fetchall() or []) if cur.description else []
        cur.close()
    finally:
        driver.close(conn)
    return rows


class PgStandby(PrivatePostgres):
    """A hot standby of ``primary``: ``pg_basebackup -R`` into a temporary directory, own port."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self.bindir = primary.bindir
        self.extra: tuple[str, ...] = ()
        self.port = _free_port()
        self.dir = _owned_tempdir("typedorm_pgs_", "postgres")
        self.data = self.dir / "data"
        proc = subprocess.run(
            _as_user(
                "postgres",
                [
                    str(self.bindir / "pg_basebackup"),
                    "-D",
                    str(self.data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "--no-sync",
                ],
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {proc.stderr}")
        self.url = URL.parse(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        self.start()
        deadline = time.monotonic() + 30
        while not self.in_recovery():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby is not in recovery: {self.log_tail()}")
            time.sleep(0.1)

    def in_recovery(self) -> bool:
        return bool(_sql(self.url, "SELECT pg_is_in_recovery()")[0][0])

    def pause_replay(self) -> None:
        _sql(self.url, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        _sql(self.url, "SELECT pg_wal_replay_resume()")

    def promote(self) -> None:
        proc = subprocess.run(
            _as_user(
                "postgres", [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote"]
            ),
            capture_output=True,
            text=True,
            timeout=90,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pg_ctl promote failed: {proc.stderr} {self.log_tail()}")

    def wait_caught_up(self, primary: PrivatePostgres, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far (the WAL
        insert position: with synchronous_commit=off a commit can be past the written one), and
        a little longer: past the router's cache of replica positions (0.05 s)."""
        target = _sql(primary.url, "SELECT pg_current_wal_insert_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while True:
            rows = _sql(self.url, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if rows[0][0]:
                time.sleep(0.06)
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not catch up")
            time.sleep(0.05)


class PgCluster:
    """A private PostgreSQL primary and one hot standby streaming from it."""

    def __init__(self) -> None:
        if _pg_bindir() is None:
            _skip_or_fail("PostgreSQL server binaries not found (pg_config --bindir has no initdb/pg_ctl)")
        self.primary = PrivatePostgres()
        try:
            # commits flushed (and so streamed) at once, as on a production primary; the private
            # server's default (synchronous_commit=off) lets WAL wait up to 3 x wal_writer_delay
            _sql(self.primary.url, "ALTER SYSTEM SET synchronous_commit = on")
            _sql(self.primary.url, "SELECT pg_reload_conf()")
            self.standby = PgStandby(self.primary)
        except BaseException:
            self.primary.destroy()
            raise

    def multi_host_url(self, **query: str) -> URL:
        """``postgresql://127.0.0.1:P,127.0.0.1:S/postgres?...``: libpq tries the hosts in turn."""
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return URL.parse(
            f"postgresql://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}/postgres"
            + (f"?{q}" if q else "")
        )

    def destroy(self) -> None:
        try:
            self.standby.destroy()
        finally:
            self.primary.destroy()


def _private_mariadb(*extra: str) -> PrivateMariaDB:
    """A ``PrivateMariaDB``; ``mariadb-install-db`` fails now and then on a busy machine (seen
    while other jobs bootstrapped servers at the same time): up to three attempts."""
    for attempt in range(3):
        try:
            return PrivateMariaDB(*extra)
        except RuntimeError:
            if attempt == 2:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


class MariaDBPair:
    """A private MariaDB primary (binary log, GTIDs) and a replica following it with
    ``MASTER_USE_GTID=slave_pos``."""

    def __init__(self) -> None:
        self.primary = _private_mariadb("--log-bin=mysql-bin", "--server-id=1", "--binlog-format=ROW")
        try:
            self.replica = _private_mariadb("--server-id=2", "--read-only=ON")
            _sql(
                self.replica.url,
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={self.primary.port:d}, "
                "MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, "
                "MASTER_CONNECT_RETRY=1",
            )
            _sql(self.replica.url, "START SLAVE")
            deadline = time.monotonic() + 30
            while not self._io_running():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the MariaDB replica does not connect: {self.replica.log_tail()}")
                time.sleep(0.1)
        except BaseException:
            self.primary.destroy()
            raise

    def _io_running(self) -> bool:
        driver = get_driver(self.replica.url)
        conn = driver.connect(self.replica.url)
        try:
            cur = conn.cursor()
            cur.execute("SHOW SLAVE STATUS")
            row = cur.fetchone()
            names = [d[0] for d in cur.description or ()]
            cur.close()
        finally:
            driver.close(conn)
        return row is not None and dict(zip(names, row, strict=False)).get("Slave_IO_Running") == "Yes"

    def stop_sql_thread(self) -> None:
        _sql(self.replica.url, "STOP SLAVE SQL_THREAD")

    def start_sql_thread(self) -> None:
        _sql(self.replica.url, "START SLAVE SQL_THREAD")

    def wait_caught_up(self, timeout: float = 30) -> None:
        pos = _sql(self.primary.url, "SELECT @@gtid_binlog_pos")[0][0]
        rows = _sql(self.replica.url, f"SELECT MASTER_GTID_WAIT('{pos}', {timeout:g})")
        if rows[0][0] != 0:
            raise RuntimeError(f"the MariaDB replica did not reach {pos}")
        time.sleep(0.06)  # past the router's cache of replica positions

    def destroy(self) -> None:
        try:
            self.replica.destroy()
        finally:
            self.primary.destroy()


def _mariadb_available() -> bool:
    return Path("/usr/sbin/mariadbd").exists() and shutil.which("mariadb-install-db") is not None


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL primary with a hot standby, both this session's own."""
    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def mariadb_pair() -> Iterator[MariaDBPair]:
    """A MariaDB primary with a GTID replica, both this session's own."""
    if not _mariadb_available():
        _skip_or_fail("MariaDB server binaries not found (/usr/sbin/mariadbd, mariadb-install-db)")
    pair = MariaDBPair()
    try:
        yield pair
    finally:
        pair.destroy()
