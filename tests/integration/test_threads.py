"""Concurrent writers: 8 threads x 500 write transactions, no lost rows and no "database is locked"."""

from __future__ import annotations

import threading
from pathlib import Path

from models import Event, User

from typedorm import Database, Repository

THREADS = 8
PER_THREAD = 500


def _hammer(db: Database, work: int) -> list[BaseException]:
    users = Repository(User, db)
    events = Repository(Event, db)
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(t: int) -> None:
        try:
            start.wait()
            for i in range(work):
                # a real write transaction: a read, then writes to two tables
                with db.transaction():
                    events.count()
                    u = users.insert(User(name=f"t{t}", email=f"t{t}-{i}@example.com", age=i % 100))
                    events.insert(Event(kind="insert", ref=u.id))
        except BaseException as e:
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads), "a worker hung"
    return errors


def test_concurrent_write_transactions(db: Database) -> None:
    db.create_all(User, Event)
    # a pool with a connection per thread: overflow connections are closed on check-in, and
    # reconnecting for every transaction would measure the server's handshake instead
    with Database(db.url, pool_size=THREADS) as pooled:
        errors = _hammer(pooled, PER_THREAD)
    locked = [e for e in errors if "locked" in str(e)]
    assert locked == [], f"{len(locked)} transactions hit 'database is locked'"
    assert errors == [], f"{len(errors)} failed, first: {errors[0]!r}"
    assert db.execute("SELECT COUNT(*) FROM users").scalar() == THREADS * PER_THREAD
    assert db.execute("SELECT COUNT(*) FROM events").scalar() == THREADS * PER_THREAD
    per_thread = dict(db.execute("SELECT name, COUNT(*) FROM users GROUP BY name").rows)
    assert per_thread == {f"t{t}": PER_THREAD for t in range(THREADS)}
    # every event points at its own user
    assert db.execute("SELECT COUNT(DISTINCT ref) FROM events").scalar() == THREADS * PER_THREAD


def test_sqlite_deferred_read_then_write_is_what_immediate_avoids(tmp_path: Path) -> None:
    """The control: with plain deferred BEGIN, read-then-write transactions do collide."""
    with Database(f"sqlite:///{tmp_path / 'deferred.db'}") as db:
        db.create_all(User, Event)
        users = Repository(User, db)
        failures: list[BaseException] = []
        start = threading.Barrier(4)

        def worker(t: int) -> None:
            start.wait()
            for i in range(100):
                try:
                    with db.transaction(mode="deferred"):
                        users.count()
                        users.insert(User(name=f"d{t}", email=f"d{t}-{i}@example.com"))
                except Exception as e:
                    failures.append(e)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert failures, "deferred transactions never collided: the main test would prove nothing"
        assert all("locked" in str(e) or "busy" in str(e).lower() for e in failures)
