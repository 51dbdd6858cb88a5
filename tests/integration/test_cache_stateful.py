"""Model-based test of the query cache: random reads, cached reads, writes, transactions, rollbacks
and raw SQL in two processes sharing a RedisCache, with Redis killed and restarted mid-run.

At every step, every cached read (in either process, inside transactions too) equals the same
read without the cache; no operation ever raises. Runs on a SQLite file and on PostgreSQL, against
a redis-server of the test's own (it is killed and restarted). ``TYPEDORM_CACHE_EXAMPLES`` raises
the number of examples (default 10, a few seconds per backend).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _cache_ops import MODELS, READS, WRITES, HPost, HUser, read, transaction, write
from _private_servers import PrivateRedis
from _servers import require_server
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from typedorm import Database, Repository
from typedorm.cache import RedisCache
from typedorm.engine.url import URL

HERE = Path(__file__).parent
EXAMPLES = int(os.environ.get("TYPEDORM_CACHE_EXAMPLES", "10"))


class Worker:
    """The second process: the same operations, its own Database and RedisCache client."""

    def __init__(self, db_url: str, redis_url: str, prefix: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_cache_worker.py"), db_url, redis_url, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def call(self, **req: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        assert "error" not in reply, reply["error"]
        return reply["ok"]

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(10)
        self.proc.stdout.close()


class Env:
    def __init__(self, url: str, redis: PrivateRedis) -> None:
        self.redis = redis
        self.up = True
        prefix = f"h{uuid.uuid4().hex[:8]}"
        self.main = Database(url, cache=RedisCache(redis.url, prefix=prefix, retry_after=0.2, timeout=1.0))
        self.plain = Database(url)  # the truth: no cache
        self.plain.drop_all(*MODELS)
        self.plain.create_all(*MODELS)
        self.worker = Worker(url, redis.url, prefix)

    def close(self) -> None:
        self.worker.close()
        self.plain.drop_all(*MODELS)
        self.main.close()
        self.plain.close()


_read_args = st.integers(0, 40)
_writes = st.tuples(st.sampled_from(WRITES), st.integers(0, 9), st.integers(0, 40))
_procs = st.sampled_from(["main", "worker"])


class CacheMachine(RuleBasedStateMachine):
    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        if not env.up:
            env.redis.start()
            env.up = True
        # a clean slate, through the cached database (so the deletes invalidate)
        Repository(HPost, env.main).query().delete()
        Repository(HUser, env.main).query().delete()
        self.last: tuple[str, int] = ("ages", 0)
        self.down_steps = 0

    @rule(proc=_procs, name=st.sampled_from(READS), arg=_read_args)
    def cached_read(self, proc: str, name: str, arg: int) -> None:
        self.last = (name, arg)
        if proc == "main":
            got = read(self.env.main, name, arg, True)
        else:
            got = self.env.worker.call(op="read", name=name, arg=arg, cached=True)
        want = json.loads(json.dumps(read(self.env.plain, name, arg, False)))
        assert json.loads(json.dumps(got)) == want, (proc, name, arg)

    @rule(proc=_procs)
    def repeat_read(self, proc: str) -> None:
        """The previous cached read again (in either process): where hits come from."""
        self.cached_read(proc, *self.last)

    @rule(proc=_procs, name=st.sampled_from(READS), arg=_read_args)
    def uncached_read(self, proc: str, name: str, arg: int) -> None:
        if proc == "main":
            read(self.env.main, name, arg, False)
        else:
            self.env.worker.call(op="read", name=name, arg=arg, cached=False)

    @rule(proc=_procs, w=_writes, reader=_procs)
    def write(self, proc: str, w: tuple[str, int, int], reader: str) -> None:
        if proc == "main":
            write(self.env.main, *w)
        else:
            self.env.worker.call(op="write", name=w[0], a=w[1], b=w[2])
        self.cached_read(reader, *self.last)  # read after write: where staleness would show

    @rule(
        proc=_procs,
        writes=st.lists(_writes, min_size=1, max_size=3),
        rollback=st.booleans(),
        name=st.sampled_from(READS),
        arg=_read_args,
    )
    def transaction(
        self, proc: str, writes: list[tuple[str, int, int]], rollback: bool, name: str, arg: int
    ) -> None:
        ws = [list(w) for w in writes]
        self.cached_read(proc, name, arg)  # filled before: inside, the transaction must not see it
        if proc == "main":
            out = transaction(self.env.main, ws, rollback, name, arg)
        else:
            out = self.env.worker.call(op="tx", writes=ws, rollback=rollback, name=name, arg=arg)
        cached, uncached = json.loads(json.dumps(out))
        assert cached == uncached, ("inside a transaction", proc, name, arg)
        self.cached_read("worker" if proc == "main" else "main", name, arg)

    @precondition(lambda self: self.env.up)
    @rule()
    def kill_redis(self) -> None:
        """Redis dies; it comes back (empty) three steps later."""
        self.env.redis.kill()
        self.env.up = False
        self.down_steps = 3

    @precondition(lambda self: not self.env.up)
    @rule(proc=_procs)
    def read_while_down(self, proc: str) -> None:
        self.cached_read(proc, *self.last)
        self.down_steps -= 1
        if self.down_steps <= 0:
            self.env.redis.start()
            self.env.up = True


def _pg_url() -> str:
    base = require_server("postgresql")
    name = f"typedorm_h{os.getpid()}"
    from typedorm.drivers import get_driver

    driver = get_driver(base)
    conn = driver.connect(base)
    try:
        cur = conn.cursor()
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
        cur.close()
    finally:
        driver.close(conn)
    return base.with_database(name).render(hide_password=False)


def _drop_pg(url: str) -> None:
    u = URL.parse(url)
    from typedorm.drivers import get_driver

    base = u.with_database("postgres")
    driver = get_driver(base)
    conn = driver.connect(base)
    try:
        cur = conn.cursor()
        cur.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
        cur.close()
    finally:
        driver.close(conn)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    url = _pg_url()
    try:
        yield url
    finally:
        _drop_pg(url)


def test_cached_reads_equal_uncached_reads_in_two_processes(
    shared_url: str, private_redis: PrivateRedis
) -> None:
    env = Env(shared_url, private_redis)
    CacheMachine.env = env
    try:
        run_state_machine_as_test(
            CacheMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
                database=None,
            ),
        )
        hits = env.main.cache.stats().hits + env.worker.call(op="stats")
        assert hits > 0  # the cache was used, not just bypassed
    finally:
        if not env.up:
            private_redis.start()
        env.close()
