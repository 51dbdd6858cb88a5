"""Private PostgreSQL and MariaDB servers for tests that stop, restart or kill a server.

The shared servers must never be stopped or reconfigured; these run from their own data
directories under a temporary directory, on free loopback ports, and are started once per
session (``private_pg``, ``private_mariadb``, ``private_mariadb_small_packet``). Outside CI a
missing binary skips the test with the reason; under ``CI=true`` it fails it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from typedorm.drivers import get_driver
from typedorm.engine.url import URL

__all__ = [
    "PrivateMariaDB",
    "PrivatePostgres",
    "PrivateRedis",
    "private_mariadb",
    "private_mariadb_small_packet",
    "private_pg",
    "private_pg_2pc",
]

_MARIADBD = "/usr/sbin/mariadbd"


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_user(user: str, cmd: list[str]) -> list[str]:
    """Run ``cmd`` as ``user`` when we are root (the servers refuse to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *cmd]
    return cmd


def _wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on 127.0.0.1:{port} within {timeout:g}s")


def _wait_closed(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
        except OSError:
            return
        time.sleep(0.1)
    raise RuntimeError(f"server still listens on 127.0.0.1:{port} after {timeout:g}s")


def _owned_tempdir(prefix: str, user: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(path, user, user)
    path.chmod(0o700)
    return path


class PrivatePostgres:
    """A PostgreSQL cluster of its own: ``initdb`` into a temporary directory, trust auth, a free
    loopback port. ``stop()``/``start()``/``restart()`` and ``kill_connections()`` for tests;
    ``extra`` server settings (e.g. ``-c max_prepared_transactions=10``)."""

    def __init__(self, *extra: str) -> None:
        self.extra = extra
        bindir = _pg_bindir()
        if bindir is None:
            _skip_or_fail("PostgreSQL server binaries not found (pg_config --bindir has no initdb/pg_ctl)")
        assert bindir is not None
        self.bindir = bindir
        self.port = _free_port()
        self.dir = _owned_tempdir("typedorm_pg_", "postgres")
        self.data = self.dir / "data"
        proc = subprocess.run(
            _as_user(
                "postgres",
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed: {proc.stderr}")
        self.url = URL.parse(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        self.start()

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        if self.extra:
            opts = f"{opts} {' '.join(self.extra)}"
        proc = subprocess.run(
            _as_user(
                "postgres",
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    opts,
                    "-l",
                    str(self.dir / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            ),
            capture_output=True,
            text=True,
            timeout=90,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {proc.stderr} {self.log_tail()}")
        _wait_port(self.port, 30)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            _as_user(
                "postgres", [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]
            ),
            capture_output=True,
            text=True,
            timeout=90,
        )
        _wait_closed(self.port, 30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill_connections(self) -> int:
        """``pg_terminate_backend`` every other client connection; how many were ended."""
        driver = get_driver(self.url)
        conn = driver.connect(self.url)
        try:
            cur = conn.cursor()
            cur.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            row = cur.fetchone()
            cur.close()
        finally:
            driver.close(conn)
        return int(row[0]) if row else 0

    def create_database(self, name: str) -> URL:
        driver = get_driver(self.url)
        conn = driver.connect(self.url)
        try:
            cur = conn.cursor()
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
            cur.close()
        finally:
            driver.close(conn)
        return self.url.with_database(name)

    def log_tail(self) -> str:
        try:
            return (self.dir / "log").read_text()[-2000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateMariaDB:
    """A MariaDB server of its own: ``mariadb-install-db`` into a temporary directory, root
    without a password (grant tables skipped), a free loopback port; ``extra`` server options
    (e.g. ``--max-allowed-packet=1M``)."""

    def __init__(self, *extra: str) -> None:
        if not (Path(_MARIADBD).exists() and shutil.which("mariadb-install-db")):
            _skip_or_fail(f"MariaDB server binaries not found ({_MARIADBD}, mariadb-install-db)")
        self.extra = extra
        self.port = _free_port()
        self.dir = _owned_tempdir("typedorm_mdb_", "mysql")
        self.data = self.dir / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        cmd = [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={self.data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if os.geteuid() == 0:
            cmd.append("--user=mysql")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if proc.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
        self.url = URL.parse(f"mysql://root@127.0.0.1:{self.port}/mysql")
        self.start()

    def start(self) -> None:
        cmd = [
            _MARIADBD,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--socket={self.dir / 'sock'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-grant-tables",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
            "--innodb-flush-log-at-trx-commit=0",
            f"--pid-file={self.dir / 'pid'}",
            f"--log-error={self.dir / 'log'}",
            *self.extra,
        ]
        if os.geteuid() == 0:
            cmd.append("--user=mysql")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(self.port, 60, self.proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {self.log_tail()}") from None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        _wait_closed(self.port, 30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _admin(self, *statements: str) -> list[tuple[object, ...]]:
        driver = get_driver(self.url)
        conn = driver.connect(self.url)
        out: list[tuple[object, ...]] = []
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
                out = list(cur.fetchall() or [])
            cur.close()
        finally:
            driver.close(conn)
        return out

    def kill_connections(self) -> int:
        """``KILL`` every other client connection; how many were ended."""
        driver = get_driver(self.url)
        conn = driver.connect(self.url)
        n = 0
        try:
            cur = conn.cursor()
            cur.execute(
                "SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() "
                "AND command <> 'Daemon' AND user <> 'system user'"
            )
            for (pid,) in cur.fetchall():
                try:
                    cur.execute(f"KILL {int(pid):d}")
                    n += 1
                except Exception:  # already gone
                    pass
            cur.close()
        finally:
            driver.close(conn)
        return n

    def create_database(self, name: str) -> URL:
        self._admin(f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}`")
        return self.url.with_database(name)

    def log_tail(self) -> str:
        try:
            return (self.dir / "log").read_text()[-2000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
    bindir = Path(out)
    if not ((bindir / "initdb").exists() and (bindir / "pg_ctl").exists()):
        return None
    return bindir


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this session's own, free to stop, restart and kill."""
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def private_pg_2pc() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this session's own with ``max_prepared_transactions`` = 20 (the
    shared server keeps the default 0, which refuses PREPARE TRANSACTION)."""
    server = PrivatePostgres("-c max_prepared_transactions=20")
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    """A MariaDB server of this session's own, free to stop, restart and kill."""
    server = PrivateMariaDB()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def private_mariadb_small_packet() -> Iterator[PrivateMariaDB]:
    """A MariaDB server of this session's own with ``max_allowed_packet`` = 1 MiB."""
    server = PrivateMariaDB("--max-allowed-packet=1M")
    try:
        yield server
    finally:
        server.destroy()


class PrivateRedis:
    """A redis-server of its own on a free loopback port (no persistence, a temporary dir), for
    tests that kill and restart Redis. ``kill()`` (SIGKILL), ``start()``, ``stop()``."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            _skip_or_fail("redis-server not found on PATH")
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="typedorm_redis_"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        assert self.binary is not None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "log"),
                "--enable-debug-command",
                "local",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, 10, self.proc)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
        _wait_closed(self.port, 10)

    stop = kill

    def destroy(self) -> None:
        try:
            self.kill()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis server of this test's own, free to kill and restart."""
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.destroy()
