"""Load through a Database with a primary and a replica while the cluster misbehaves.

8 threads: 4 writers write their own row, read it back (read-your-writes: a read older than
the thread's last commit is a stale read) and read another row, in turn; 4 readers read rows, for ``TYPEDORM_LOAD_SECONDS`` seconds
(5 by default; the README's figures are from 30). Meanwhile: replay on the standby is paused
(lag) and resumed, the standby is stopped and started, and at the end the primary is stopped
and the standby promoted: the Database's multi-host URL
(``target_session_attrs=read-write``) finds it.

Reported (``-s`` shows it): calls made, failed by class and by phase, stale reads (must be 0),
the share of reads replicas served. Failures are allowed only for calls in flight when the
primary went away, until the promotion completed.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from _replica_servers import PgCluster

from typedorm import AUTO, PK, Col, Database, Model, Repository, column
from typedorm.errors import TypedORMError

THREADS = 8
WRITERS = 4
SECONDS = float(os.environ.get("TYPEDORM_LOAD_SECONDS", "5"))


class LoadRow(Model, table="replica_load"):
    id: PK[int] = column(default=AUTO)
    n: Col[int] = column(default=0)


@pytest.mark.slow
def test_replica_load_with_lag_outage_and_promotion() -> None:
    cluster = PgCluster()
    try:
        _run(cluster)
    finally:
        cluster.destroy()


def _run(cluster: PgCluster) -> None:
    with Database(cluster.primary.url) as admin:
        admin.create_all(LoadRow)
        Repository(LoadRow, admin).insert_many([LoadRow(n=0) for _ in range(THREADS)])
    cluster.standby.wait_caught_up(cluster.primary)
    url = cluster.multi_host_url(target_session_attrs="read-write", connect_timeout="2")
    db = Database(url, replicas=[cluster.standby.url], pool_size=THREADS)
    repo = Repository(LoadRow, db)
    ids = [r.id for r in repo.all()]

    stop = threading.Event()
    phase = ["normal"]
    marks: dict[str, float] = {}
    lock = threading.Lock()
    calls: Counter[str] = Counter()
    failed: Counter[tuple[str, str]] = Counter()  # (phase, "kind error class")
    failure_starts: list[float] = []
    stale: list[tuple[int, int, int]] = []
    foreign: list[str] = []  # exceptions that are not typedorm errors
    own_reads = [0]

    def worker(k: int) -> None:
        rng = random.Random(k)
        my_id = ids[k]
        expected: int | None = 0
        value = 0
        i = 0
        while not stop.is_set():
            i += 1
            if k < WRITERS:  # write, read it back, read another row
                op = "write" if i % 3 == 1 else ("own" if i % 3 == 2 else "other")
            else:  # a reader: other threads' rows only
                op = "other"
            t0 = time.monotonic()
            try:
                if op == "write":
                    value += 1
                    try:
                        with db.transaction():
                            db.execute("UPDATE replica_load SET n = ? WHERE id = ?", (value, my_id))
                    except TypedORMError:
                        expected = None  # the commit may or may not have happened
                        raise
                    expected = value
                elif op == "own":
                    got = repo.get(my_id)
                    assert got is not None
                    if expected is not None:
                        with lock:
                            own_reads[0] += 1
                            if got.n < expected:
                                stale.append((k, got.n, expected))
                else:
                    repo.get(ids[rng.randrange(len(ids))])
            except TypedORMError as e:
                with lock:
                    failed[(phase[0], f"{op} {type(e).__name__}")] += 1
                    failure_starts.append(t0)
            except Exception as e:  # pragma: no cover - reported by the assertion below
                with lock:
                    foreign.append(repr(e))
            with lock:
                calls[op] += 1

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(THREADS)]
    start = time.monotonic()
    for t in threads:
        t.start()

    def at(fraction: float) -> None:
        delay = start + SECONDS * fraction - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    at(0.15)
    phase[0] = "lag"
    cluster.standby.pause_replay()
    at(0.35)
    cluster.standby.resume_replay()
    phase[0] = "normal"
    at(0.45)
    phase[0] = "replica down"
    cluster.standby.stop()
    at(0.6)
    cluster.standby.start()
    phase[0] = "normal"
    at(0.8)
    phase[0] = "promotion"
    marks["primary stopped"] = time.monotonic()
    cluster.primary.stop("fast")
    marks["primary down"] = time.monotonic()  # pg_ctl stop returned: no connection is left
    cluster.standby.promote()
    marks["promoted"] = time.monotonic()
    phase[0] = "after promotion"
    at(1.0)
    stop.set()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - start
    routing = db.routing
    assert routing is not None
    router = db._router
    assert router is not None and all(r.inflight == 0 for r in router.replicas)  # the load counts balance
    db.close()

    reads = calls["own"] + calls["other"]
    report: dict[str, Any] = {
        "threads": THREADS,
        "writers": WRITERS,
        "seconds": round(elapsed, 1),
        "calls": sum(calls.values()),
        "calls_by_kind": dict(calls),
        "failed": {f"{p}: {cls}": n for (p, cls), n in sorted(failed.items())},
        "stale_reads": len(stale),
        "own_reads_checked": own_reads[0],
        "reads": reads,
        "replica_share": round(routing.replica_share, 3),
        "replica_reads": routing.replica_reads,
        "primary_reads": routing.primary_reads,
        "failovers": routing.failovers,
        "promotion_seconds": round(marks["promoted"] - marks["primary stopped"], 2),
        "shutdown_seconds": round(marks["primary down"] - marks["primary stopped"], 2),
        # failed calls: started before the old primary was down (in flight when it went), or after
        "failed_in_flight": sum(t0 < marks["primary down"] for t0 in failure_starts),
        "failed_started_after_primary_down": sum(t0 >= marks["primary down"] for t0 in failure_starts),
    }
    print("\nreplica load:", json.dumps(report))
    assert not foreign, foreign[:5]
    assert not stale, stale[:10]
    # only calls in flight when the primary went away may fail: later ones wait for the new one
    assert all(marks["primary stopped"] - 5 <= t0 <= marks["primary down"] for t0 in failure_starts), report
    # a COMMIT in flight when the primary stops is CommitOutcomeUnknown (a ConnectionLost)
    assert {cls.split()[-1] for _, cls in failed} <= {
        "ConnectionLost",
        "CommitOutcomeUnknown",
        "DatabaseError",
    }, report
    assert routing.replica_reads > 0 and calls["write"] > 0
