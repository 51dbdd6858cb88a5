"""A 3-node MariaDB Galera cluster of the test session's own, on loopback ports.

Each node runs from a temporary data directory (``mariadb-install-db``) with its own socket, pid
file, client port, gcomm port (``base_port``), IST port and rsync SST port; node 1 bootstraps the
cluster (``--wsrep-new-cluster``), nodes 2 and 3 join it by state transfer (rsync). The shared
MariaDB on 3306 is never touched. ``galera_cluster`` is one session fixture for every Galera
test: starting three nodes is the slow part. Outside CI a missing ``galera-4``/``rsync`` skips
the tests with the reason; under ``CI=true`` it fails them.

The same commands reproduce the cluster by hand (README, "MariaDB Galera").
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _private_servers import _MARIADBD, _free_port, _owned_tempdir, _skip_or_fail, _wait_closed, _wait_port

from typedorm.drivers import get_driver
from typedorm.engine.url import URL

__all__ = ["GaleraCluster", "GaleraNode", "galera_cluster"]

logger = logging.getLogger(__name__)

PROVIDERS = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so")
DATABASE = "typedorm_galera"


def galera_provider() -> str | None:
    return next((p for p in PROVIDERS if Path(p).exists()), None)


class GaleraNode:
    """One mariadbd of the cluster."""

    def __init__(self, index: int, root: Path) -> None:
        self.index = index
        self.dir = root / f"node{index}"
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "mysql", "mysql")
        self.data = self.dir / "data"
        self.port = _free_port()
        self.gcomm_port = _free_port()
        self.ist_port = _free_port()
        self.sst_port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = URL.parse(f"mariadb://root@127.0.0.1:{self.port}/{DATABASE}")

    def install(self) -> None:
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
        for attempt in range(3):  # it has failed once under load, with nothing wrong the next time
            if self.data.exists():
                shutil.rmtree(self.data, ignore_errors=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
            if proc.returncode == 0:
                return
            logger.warning(
                "mariadb-install-db for node%d failed (attempt %d): %s",
                self.index,
                attempt + 1,
                proc.stderr[-1000:],
            )
            time.sleep(1)
        raise RuntimeError(f"mariadb-install-db failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")

    def command(self, provider: str, cluster_address: str, bootstrap: bool) -> list[str]:
        cmd = [
            _MARIADBD,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--socket={self.dir / 'sock'}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--skip-grant-tables",
            f"--pid-file={self.dir / 'pid'}",
            f"--log-error={self.dir / 'log'}",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=0",
            "--binlog-format=ROW",
            "--default-storage-engine=InnoDB",
            "--innodb-autoinc-lock-mode=2",
            "--wsrep-on=ON",
            f"--wsrep-provider={provider}",
            f"--wsrep-cluster-address={cluster_address}",
            "--wsrep-cluster-name=typedorm_test",
            f"--wsrep-node-name=node{self.index}",
            f"--wsrep-node-address=127.0.0.1:{self.gcomm_port}",
            f"--wsrep-node-incoming-address=127.0.0.1:{self.port}",
            f"--wsrep-sst-receive-address=127.0.0.1:{self.sst_port}",
            "--wsrep-sst-method=rsync",
            (
                f"--wsrep-provider-options=base_port={self.gcomm_port};ist.recv_addr=127.0.0.1:{self.ist_port};"
                "gcache.size=32M;gmcast.listen_addr=tcp://127.0.0.1:"
                + str(self.gcomm_port)
                + ";evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;pc.wait_prim_timeout=PT30S"
            ),
            "--wsrep-slave-threads=2",
        ]
        if bootstrap:
            cmd.append("--wsrep-new-cluster")
        if os.geteuid() == 0:
            cmd.append("--user=mysql")
        return cmd

    def start(self, provider: str, cluster_address: str, bootstrap: bool) -> None:
        env = dict(os.environ)
        # the rsync SST script looks for its helpers on PATH
        env["PATH"] = env.get("PATH", "") + ":/usr/bin:/usr/sbin:/bin:/sbin"
        self.proc = subprocess.Popen(
            self.command(provider, cluster_address, bootstrap),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    def wait_ready(self, timeout: float) -> None:
        try:
            _wait_port(self.port, timeout, self.proc)
        except RuntimeError as exc:
            raise RuntimeError(f"galera node{self.index}: {exc}: {self.log_tail()}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if (
                    self.status("wsrep_ready") == "ON"
                    and self.status("wsrep_local_state_comment") == "Synced"
                ):
                    return
            except Exception:  # still joining: the server refuses queries until synced
                pass
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(
            f"galera node{self.index} did not reach Synced within {timeout:g}s: {self.log_tail()}"
        )

    def admin(self, *statements: str) -> list[tuple[object, ...]]:
        url = self.url.with_database(None)
        driver = get_driver(url)
        conn = driver.connect(url)
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

    def status(self, name: str) -> str | None:
        rows = self.admin(f"SHOW GLOBAL STATUS LIKE '{name}'")
        return str(rows[0][1]) if rows else None

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

    def log_tail(self) -> str:
        try:
            return (self.dir / "log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


class GaleraCluster:
    """Three Galera nodes; ``nodes[i].url`` reaches node i (database ``typedorm_galera``)."""

    def __init__(self, size: int = 3) -> None:
        provider = galera_provider()
        missing = [name for name in ("rsync", "mariadb-install-db") if shutil.which(name) is None]
        if provider is None or missing or not Path(_MARIADBD).exists():
            _skip_or_fail(
                "MariaDB Galera needs galera-4 (libgalera_smm.so), rsync and mariadbd: "
                f"provider={provider}, missing={missing or 'none'}"
            )
        assert provider is not None
        self.provider = provider
        started = time.monotonic()
        self.dir = _owned_tempdir("typedorm_galera_", "mysql")
        self.nodes = [GaleraNode(i + 1, self.dir) for i in range(size)]
        address = self.address = "gcomm://" + ",".join(f"127.0.0.1:{n.gcomm_port}" for n in self.nodes)
        try:
            for n in self.nodes:
                n.install()
            first, rest = self.nodes[0], self.nodes[1:]
            first.start(provider, address, bootstrap=True)
            first.wait_ready(90)
            first.admin(f"CREATE DATABASE IF NOT EXISTS `{DATABASE}`")
            for n in rest:  # one joiner at a time: each state transfer has the donor to itself
                n.start(provider, address, bootstrap=False)
                n.wait_ready(120)
            size_seen = first.status("wsrep_cluster_size")
            if size_seen != str(size):
                raise RuntimeError(f"wsrep_cluster_size is {size_seen}, expected {size}")
        except BaseException:
            self.destroy()
            raise
        #: seconds from the first mariadb-install-db to three Synced nodes
        self.startup_seconds = time.monotonic() - started
        logger.warning("galera cluster of %d nodes up in %.1fs", size, self.startup_seconds)

    @property
    def urls(self) -> list[URL]:
        return [n.url for n in self.nodes]

    def stop_node(self, i: int) -> None:
        """Stop node ``i`` (0-based) cleanly; the other two keep quorum."""
        self.nodes[i].stop()

    def start_node(self, i: int, timeout: float = 120) -> None:
        """Start node ``i`` again; it rejoins by incremental state transfer and is Synced on return."""
        node = self.nodes[i]
        node.start(self.provider, self.address, bootstrap=False)
        node.wait_ready(timeout)

    def destroy(self) -> None:
        for n in reversed(self.nodes):
            try:
                n.stop()
            except Exception:  # keep stopping the others
                logger.exception("stopping galera node%d failed", n.index)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def galera_cluster() -> Iterator[GaleraCluster]:
    """A 3-node Galera cluster of this session's own (started once, destroyed at session end)."""
    cluster = GaleraCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()
