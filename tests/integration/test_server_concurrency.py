"""Servers under concurrency: pooled transactions, serializable retries, dead connections, exhaustion."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from _private_servers import PrivatePostgres
from _servers import require_server
from conftest import _server_test_url

from typedorm import AUTO, PK, Col, Database, Model, PoolTimeout, Repository, column
from typedorm.engine.url import URL


class Counter(Model, table="conc_counter"):
    id: PK[int] = column(default=AUTO)
    worker: Col[int]


class Account(Model, table="conc_account"):
    id: PK[int] = column(default=AUTO)
    balance: Col[int]


@pytest.fixture(params=["postgresql", "mysql"])
def server_url(request: pytest.FixtureRequest) -> URL:
    require_server(request.param)
    return _server_test_url(request.param)


@pytest.fixture
def pooled(server_url: URL) -> Iterator[Database]:
    db = Database(server_url, pool_size=8, max_overflow=0, pool_timeout=30, pool_pre_ping=True)
    db.drop_all(Counter, Account)
    db.create_all(Counter, Account)
    yield db
    db.drop_all(Counter, Account)
    db.close()


def test_16_threads_x_1000_transactions_through_pool_of_8(pooled: Database) -> None:
    counters = Repository(Counter, pooled)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for _ in range(1000):
                with pooled.transaction():
                    counters.insert(Counter(worker=worker))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counters.count() == 16_000
    assert counters.query().group_by(Counter.worker).rows(Counter.worker) == [
        (w,) for w in range(16)
    ] or sorted(counters.query().group_by(Counter.worker).rows(Counter.worker)) == [(w,) for w in range(16)]
    stats = pooled.pool.stats()
    assert stats.checked_out == 0
    assert stats.created_total <= 8


def test_serializable_transfers_with_retry_keep_the_total(pooled: Database) -> None:
    accounts = Repository(Account, pooled)
    ids = [a.id for a in accounts.insert_many([Account(balance=1000) for _ in range(10)])]
    retried = {"n": 0}

    @pooled.transaction(isolation="serializable", retry=50)
    def transfer(src: int, dst: int, amount: int) -> None:
        a = accounts.get_or_raise(src)
        b = accounts.get_or_raise(dst)
        accounts.update(Account.id == src, Account.balance.set(a.balance - amount))
        accounts.update(Account.id == dst, Account.balance.set(b.balance + amount))

    original = pooled.run_in_transaction

    def counting(fn, **kw):  # type: ignore[no-untyped-def]
        def wrapped():  # type: ignore[no-untyped-def]
            retried["n"] += 1
            return fn()

        return original(wrapped, **kw)

    pooled.run_in_transaction = counting  # type: ignore[method-assign]
    jobs = [(ids[i % 10], ids[(i * 7 + 3) % 10], (i % 13) + 1) for i in range(200)]
    jobs = [j for j in jobs if j[0] != j[1]]
    with ThreadPoolExecutor(max_workers=8) as ex:
        list(ex.map(lambda j: transfer(*j), jobs))
    assert accounts.query().sum(Account.balance) == 10_000
    assert retried["n"] > len(jobs), "the workload never conflicted: the retry path was not exercised"


def test_terminated_connections_are_replaced_without_failures(server_url: URL) -> None:
    if server_url.dialect != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    app = f"typedorm_kill_{id(server_url)}"
    url = URL(
        server_url.dialect,
        server_url.driver,
        server_url.username,
        server_url.password,
        server_url.host,
        server_url.port,
        server_url.database,
        {"application_name": app},
    )  # type: ignore[arg-type]
    db = Database(url, pool_size=8, max_overflow=0, pool_pre_ping=True)
    killer = Database(server_url)
    try:
        db.create_all(Counter)
        counters = Repository(Counter, db)
        with ThreadPoolExecutor(8) as ex:  # warm all 8 connections
            list(ex.map(lambda i: counters.insert(Counter(worker=i)), range(64)))
        killed = killer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()",
            (app,),
        ).rows
        assert len(killed) >= 1
        time.sleep(0.2)
        failures = 0
        for i in range(200):
            try:
                counters.insert(Counter(worker=i))
            except Exception:
                failures += 1
        assert failures == 0
        assert counters.count() == 264
    finally:
        db.drop_all(Counter)
        db.close()
        killer.close()


def test_pool_exhaustion_raises_pool_timeout_on_time(server_url: URL) -> None:
    db = Database(server_url, pool_size=2, max_overflow=0, pool_timeout=0.5)
    try:
        held = [db.transaction(), db.transaction()]
        done = threading.Event()
        results: list[float] = []

        def hold(tx: object) -> None:
            with tx:  # type: ignore[attr-defined]
                done.wait(5)

        threads = [threading.Thread(target=hold, args=(tx,)) for tx in held]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 5
        while db.pool.stats().checked_out < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        with pytest.raises(PoolTimeout):
            db.execute("SELECT 1")
        results.append(time.monotonic() - start)
        done.set()
        for t in threads:
            t.join()
        assert abs(results[0] - 0.5) <= 0.1
        assert db.pool.stats().checked_out == 0
        assert db.execute("SELECT 1").scalar() == 1
    finally:
        db.close()


@pytest.mark.slow
def test_postgres_restart_causes_no_failures_once_back(private_pg: PrivatePostgres) -> None:
    # On a private server: restarting the shared one would break every other test run.
    url = private_pg.create_database("restart")
    db = Database(url, pool_size=4, max_overflow=0, pool_pre_ping=True)
    try:
        db.create_all(Counter)
        counters = Repository(Counter, db)
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda i: counters.insert(Counter(worker=i)), range(16)))
        private_pg.restart()  # pg_ctl stop -m fast, then start; returns once it accepts connections
        deadline = time.monotonic() + 60
        while (
            subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(private_pg.port)]).returncode
            != 0
        ):
            assert time.monotonic() < deadline, "PostgreSQL did not come back"
            time.sleep(0.2)
        failures = 0
        for i in range(200):
            try:
                counters.insert(Counter(worker=i))
            except Exception:
                failures += 1
        assert failures == 0
        assert counters.count() == 216
    finally:
        try:
            db.drop_all(Counter)
        finally:
            db.close()
