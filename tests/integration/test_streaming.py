"""iterate() streams: 200,000 rows with bounded memory, measured in a fresh child process.

A child made by fork (or vfork + exec, which subprocess uses) starts with the parent's peak RSS
in ``ru_maxrss``, so a child of a large pytest process could load every row without its peak
moving. The child is therefore started by a shell that forks it (``...; exit $?`` keeps the shell
from exec-ing it), and it checks that its starting ``ru_maxrss`` is its own.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import subprocess
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from models import Reading

from typedorm import Database, Repository

ROWS = 200_000
LIMIT_MB = 20
CHILD = Path(__file__).with_name("_stream_child.py")


SEED = ROWS // 64  # doubled six times in the database itself: 3,125 * 2**6 = 200,000


def _fill(db: Database, doublings: int) -> Repository[Reading]:
    db.create_all(Reading)
    repo = Repository(Reading, db)
    at = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    repo.insert_many(
        [
            Reading(sensor=f"s{i % 50}", value=i * 0.5, note=f"note {i:06d} " + "x" * 30, at=at)
            for i in range(SEED)
        ]
    )
    for _ in range(doublings):
        db.execute(
            "INSERT INTO readings (sensor, value, note, at) SELECT sensor, value + 1, note, at FROM readings"
        )
    return repo


@pytest.fixture
def readings(db: Database) -> Iterator[Repository[Reading]]:
    repo = _fill(db, 6)
    assert repo.count() == ROWS
    yield repo


@pytest.fixture
def some_readings(db: Database) -> Iterator[Repository[Reading]]:
    yield _fill(db, 1)


def run_child(db: Database, mode: str, batch_size: int = 1000) -> dict[str, Any]:
    url = db.url.render(hide_password=False)
    cmd = shlex.join([sys.executable, str(CHILD), str(url), mode, str(batch_size)]) + "; exit $?"
    proc = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["start_hwm_kb"] is not None:
        # the child's peak at start is its own, not a copy of this process's
        assert out["start_maxrss_kb"] <= out["start_hwm_kb"] + 5 * 1024, out
    return out


def test_iterate_keeps_memory_bounded_and_all_does_not(db: Database, readings: Repository[Reading]) -> None:
    streamed = run_child(db, "iterate")
    assert streamed["count"] == ROWS
    assert streamed["growth_mb"] < LIMIT_MB, streamed
    # the control: loading the same rows at once grows far past the limit, so the
    # measurement above can tell a streaming implementation from one that is not
    loaded = run_child(db, "all")
    assert loaded["count"] == ROWS
    assert loaded["checksum"] == streamed["checksum"]
    assert loaded["growth_mb"] > 2 * LIMIT_MB, loaded
    assert loaded["growth_mb"] > 4 * max(streamed["growth_mb"], 1.0), (streamed, loaded)


def test_iterate_in_a_transaction_and_with_filters(db: Database, some_readings: Repository[Reading]) -> None:
    readings = some_readings
    n = 0
    with db.transaction():
        for r in readings.filter(Reading.sensor == "s7").order_by(Reading.id).iterate(batch_size=500):
            assert r.sensor == "s7"
            n += 1
        # the transaction's connection is still usable after streaming
        assert readings.filter(Reading.sensor == "s7").count() == n
    assert n == 2 * len([i for i in range(SEED) if i % 50 == 7])


def test_abandoned_iterator_frees_its_connection(db: Database, some_readings: Repository[Reading]) -> None:
    with Database(db.url, pool_size=2, max_overflow=0, pool_timeout=5) as small:
        repo = Repository(Reading, small)
        for _ in range(6):  # more than the pool holds: each abandoned stream gives its connection back
            it = repo.filter(Reading.sensor == "s1").iterate(batch_size=100)
            next(it)
            assert isinstance(it, Generator)  # a generator: close() ends the stream
            it.close()
        assert repo.count() == 2 * SEED
        assert small.pool.stats().checked_out == 0
