"""Read replica measurements on a private PostgreSQL cluster (primary + 2 hot standbys, started and
destroyed here; the shared server is not touched):

1. what read-your-writes costs a commit: the replication position is asked right after COMMIT on
   the same connection (one more round trip); per transaction, with and without replicas;
2. least-loaded vs round-robin replica choice: 8 threads reading for a few seconds while one
   standby is kept busy by a CPU-heavy query, reads/s and how the reads were split.

Run: ``python benchmarks/replicas.py [seconds]`` (as root the servers run as ``postgres``).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from _replica_servers import PgCluster, PgStandby

from typedorm import Database
from typedorm.engine.url import URL


def commit_cost(primary: URL, replicas: list[URL], n: int = 1000, rounds: int = 7) -> dict[str, float]:
    """Best-of-``rounds`` µs per small write transaction, alternating the two databases (the
    machine is shared: alternating and taking the best keeps noise out of the difference)."""
    dbs = {"no replicas": Database(primary), "replicas": Database(primary, replicas=replicas)}
    best = dict.fromkeys(dbs, float("inf"))
    probe = dict.fromkeys(dbs, float("inf"))
    try:
        dbs["no replicas"].execute("CREATE TABLE IF NOT EXISTS bench_commit (id int PRIMARY KEY, n int)")
        dbs["no replicas"].execute("INSERT INTO bench_commit VALUES (1, 0) ON CONFLICT DO NOTHING")
        for _ in range(rounds):
            for label, db in dbs.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    with db.transaction():
                        db.execute("UPDATE bench_commit SET n = n + 1 WHERE id = 1")
                best[label] = min(best[label], (time.perf_counter() - t0) / n)
                t0 = time.perf_counter()
                for _ in range(n):
                    db.execute("SELECT pg_current_wal_insert_lsn()")
                probe[label] = min(probe[label], (time.perf_counter() - t0) / n)
    finally:
        for db in dbs.values():
            db.close()
    out = {f"tx_us ({k})": round(v * 1e6, 1) for k, v in best.items()}
    out.update({f"position_query_us ({k})": round(v * 1e6, 1) for k, v in probe.items()})
    return out


def piggyback(primary: URL, n: int = 2000, rounds: int = 5) -> dict[str, float]:
    """Raw psycopg, µs per BEGIN/UPDATE/COMMIT: without the position, with the position query
    after COMMIT (what typedorm does), and with it in COMMIT's round trip (simple protocol,
    ``COMMIT; SELECT pg_current_wal_insert_lsn()``): what sending it along would save."""
    import psycopg

    conn = psycopg.connect(
        host=primary.host, port=primary.port, user=primary.username, dbname=primary.database, autocommit=True
    )
    best: dict[str, float] = {}
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_rt (id int PRIMARY KEY, n int)")
        conn.execute("INSERT INTO bench_rt VALUES (1, 0) ON CONFLICT DO NOTHING")
        for _ in range(rounds):
            for label in ("no position", "position after COMMIT", "position in COMMIT's round trip"):
                t0 = time.perf_counter()
                for _ in range(n):
                    conn.execute("BEGIN")
                    conn.execute("UPDATE bench_rt SET n = n + 1 WHERE id = 1")
                    if label == "no position":
                        conn.execute("COMMIT")
                    elif label == "position after COMMIT":
                        conn.execute("COMMIT")
                        conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
                    else:
                        cur = conn.execute("COMMIT; SELECT pg_current_wal_insert_lsn()::text")
                        cur.nextset()
                        cur.fetchone()
                best[label] = min(best.get(label, float("inf")), (time.perf_counter() - t0) / n)
    finally:
        conn.close()
    return {f"raw tx_us ({k})": round(v * 1e6, 1) for k, v in best.items()}


def strategies(primary: URL, replicas: list[URL], busy: URL, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hog_stop = threading.Event()

    def hog() -> None:  # keeps the second standby's CPU busy
        with Database(busy) as h:
            while not hog_stop.is_set():
                h.execute("SELECT count(*) FROM generate_series(1, 3000000)")

    hogs = [threading.Thread(target=hog) for _ in range(2)]
    for t in hogs:
        t.start()
    try:
        for strategy in ("round_robin", "least_loaded"):
            with Database(primary, replicas=replicas, replica_strategy=strategy, pool_size=8) as db:  # type: ignore[arg-type]
                stop = threading.Event()
                counts = [0] * 8

                def reader(
                    k: int, db: Database = db, stop: threading.Event = stop, counts: list[int] = counts
                ) -> None:
                    while not stop.is_set():
                        db.execute("SELECT 1", using="replica")
                        counts[k] += 1

                threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
                for t in threads:
                    t.start()
                time.sleep(seconds)
                stop.set()
                for t in threads:
                    t.join()
                stats = db.routing
                assert stats is not None
                out[strategy] = {
                    "reads_per_s": round(sum(counts) / seconds),
                    "split": [r.reads for r in stats.replicas],
                }
    finally:
        hog_stop.set()
        for t in hogs:
            t.join()
    return out


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    cluster = PgCluster()
    second: PgStandby | None = None
    try:
        second = PgStandby(cluster.primary)
        report: dict[str, Any] = {"commit": commit_cost(cluster.primary.url, [cluster.standby.url])}
        report["commit"].update(piggyback(cluster.primary.url))
        report["strategies (standby 2 busy)"] = strategies(
            cluster.primary.url, [cluster.standby.url, second.url], second.url, seconds
        )
        print(json.dumps(report, indent=2))
    finally:
        if second is not None:
            second.destroy()
        cluster.destroy()


if __name__ == "__main__":
    main()
