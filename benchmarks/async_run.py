"""Async: typedorm's ``AsyncRepository`` against the raw async driver, plus a 50-task concurrency workload.

``python -m benchmarks.async_run --backend sqlite`` (aiosqlite), ``--backend postgresql``
(psycopg's ``AsyncConnection``), ``--backend mysql`` (asyncmy). The raw side is written as a user
of the driver would: tuples, autocommitted statements, ``BEGIN``/``COMMIT`` around the
transactional workloads, a queue of connections for the concurrency workload. The peer ORMs
(Tortoise, SQLAlchemy's asyncio ORM) are not measured here yet.

Workloads (narrow rows, as in ``benchmarks.run``): A1 single inserts, A2 bulk insert of N rows, A3
fetch all, A4 filter queries, A5 gets by key, A6 updates one by one in a transaction (objects
loaded beforehand), A8 deletes one by one in a transaction, C50: 50 tasks at once, each doing 20
gets and 2 single inserts through the pool. Median of ``--repeat``; ratio = typedorm / raw in the
same run; results go to ``benchmarks/results/async_<backend>.{json,md}``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .bench.common import NARROW, make_rows
from .bench.raw import Statements, ddl
from .bench.report import BACKEND_NAMES, machine_info
from .bench.typedorm_lib import User

RESULTS = Path(__file__).resolve().parent / "results"
URLS = {"postgresql": "postgresql://postgres@127.0.0.1/test", "mysql": "mysql://root@127.0.0.1:3306/test"}
WORKLOADS = ("a1", "a2", "a3", "a4", "a5", "a6", "a8", "c50")
TITLES = {
    "a1": "single inserts",
    "a2": "bulk insert",
    "a3": "fetch all",
    "a4": "filter queries",
    "a5": "gets by key",
    "a6": "updates in a transaction",
    "a8": "deletes in a transaction",
    "c50": "50 tasks: gets + inserts through the pool",
}
POOL = 10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.async_run", description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql", "mysql"), default="sqlite")
    p.add_argument(
        "--url", default=None, help="server URL (PostgreSQL or MySQL); the benchmark makes its own databases"
    )
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--ops", type=int, default=500, help="operations in A1/A4/A6/A8 (A5: twice as many)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, default=RESULTS)
    a = p.parse_args(argv)
    a.url = a.url or os.environ.get(f"TYPEDORM_BENCH_{a.backend.upper()}_URL") or URLS.get(a.backend, "")
    return a


# --- raw async drivers ------------------------------------------------------------------
class RawConn:
    """One raw async connection: ``rows, lastrowid = await c.run(sql, params)``."""

    def __init__(self, backend: str, conn: Any) -> None:
        self.backend = backend
        self.conn = conn

    @classmethod
    async def open(cls, backend: str, target: dict[str, Any]) -> RawConn:
        if backend == "sqlite":
            import aiosqlite

            conn = await aiosqlite.connect(target["path"], isolation_level=None)
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA busy_timeout=5000")
        elif backend == "postgresql":
            import psycopg

            conn = await psycopg.AsyncConnection.connect(target["url"], autocommit=True)
        else:
            import asyncmy

            conn = await asyncmy.connect(
                host=target["host"],
                port=target["port"],
                user=target["user"],
                password=target["password"],
                db=target["db"],
                autocommit=True,
            )
        return cls(backend, conn)

    async def run(self, sql: str, params: Any = None, fetch: bool = True) -> tuple[list[Any], int | None]:
        if self.backend == "mysql":
            async with self.conn.cursor() as cur:
                await cur.execute(sql, params)
                rows = list(await cur.fetchall()) if fetch and cur.description else []
                return rows, cur.lastrowid
        cur = await self.conn.execute(sql, params) if params is not None else await self.conn.execute(sql)
        rows = list(await cur.fetchall()) if fetch and cur.description else []
        return rows, getattr(cur, "lastrowid", None)

    async def many(self, sql: str, seq: list[Any]) -> None:
        if self.backend == "sqlite":
            await self.conn.executemany(sql, seq)
        else:
            async with self.conn.cursor() as cur:
                await cur.executemany(sql, seq)

    async def begin(self) -> None:
        await self.run("BEGIN", fetch=False)

    async def commit(self) -> None:
        await self.run("COMMIT", fetch=False)

    async def close(self) -> None:
        await self.conn.close() if self.backend != "mysql" else self.conn.close()


class Raw:
    key = "raw"

    def __init__(self, backend: str, target: dict[str, Any]) -> None:
        self.backend, self.target = backend, target
        self.st = Statements(NARROW, backend)

    async def open(self) -> None:
        self.c = await RawConn.open(self.backend, self.target)
        await self.c.run(ddl(NARROW, self.backend), fetch=False)
        self.pool: asyncio.Queue[RawConn] = asyncio.Queue()
        for _ in range(POOL):
            self.pool.put_nowait(await RawConn.open(self.backend, self.target))

    async def close(self) -> None:
        await self.c.close()
        while not self.pool.empty():
            await self.pool.get_nowait().close()

    def _params(self, r: dict[str, Any]) -> tuple[Any, ...]:
        return self.st.params(r, NARROW.names)

    async def _insert(self, c: RawConn, r: dict[str, Any]) -> int:
        if self.backend == "postgresql":
            rows, _ = await c.run(self.st.insert_returning, self._params(r))
            return int(rows[0][0])
        _, last = await c.run(self.st.insert, self._params(r), fetch=False)
        assert last is not None
        return int(last)

    async def a1(self, rows: list[dict[str, Any]]) -> int:
        return len([await self._insert(self.c, r) for r in rows])

    async def a2(self, rows: list[dict[str, Any]]) -> int:
        await self.c.begin()
        await self.c.many(self.st.insert, [self._params(r) for r in rows])
        await self.c.commit()
        return len(rows)

    async def a3(self) -> int:
        return len((await self.c.run(self.st.select_all))[0])

    async def a4(self, ages: list[int]) -> int:
        return sum([len((await self.c.run(self.st.filter, (x,)))[0]) for x in ages])

    async def a5(self, ids: list[int]) -> int:
        return sum([len((await self.c.run(self.st.get, (i,)))[0]) for i in ids])

    async def prepare_a6(self, ids: list[int]) -> Any:
        return ids

    async def a6(self, prepared: Any, changes: list[tuple[int, int, float]]) -> None:
        await self.c.begin()
        for i, age, score in changes:
            await self.c.run(self.st.update_two, (age, score, i), fetch=False)
        await self.c.commit()

    async def a8(self, prepared: Any) -> None:
        await self.c.begin()
        for i in prepared:
            await self.c.run(self.st.delete, (i,), fetch=False)
        await self.c.commit()

    async def c50(self, ids: list[int], rows: list[dict[str, Any]]) -> int:
        async def task(k: int) -> int:
            c = await self.pool.get()
            try:
                n = 0
                for i in ids[k * 20 : (k + 1) * 20]:
                    n += len((await c.run(self.st.get, (i,)))[0])
                for r in rows[k * 2 : (k + 1) * 2]:
                    await self._insert(c, r)
                return n
            finally:
                self.pool.put_nowait(c)

        return sum(await asyncio.gather(*(task(k) for k in range(50))))

    async def ids(self) -> list[int]:
        return [int(r[0]) for r in (await self.c.run(f"SELECT id FROM {NARROW.table} ORDER BY id"))[0]]


class TypedORM(Raw):
    key = "typedorm"

    async def open(self) -> None:
        from typedorm import AsyncDatabase, AsyncRepository

        t = self.target
        url = f"sqlite:///{t['path']}" if self.backend == "sqlite" else t["url"]
        self.db = AsyncDatabase(url, pool_size=POOL)
        await self.db.create_all(User)
        self.repo = AsyncRepository(User, self.db)
        self.c = await RawConn.open(self.backend, t)  # for ids() only

    async def close(self) -> None:
        await self.c.close()
        await self.db.close()

    async def a1(self, rows: list[dict[str, Any]]) -> int:
        return len([(await self.repo.insert(User(**r))).id for r in rows])

    async def a2(self, rows: list[dict[str, Any]]) -> int:
        return len(await self.repo.insert_many([User(**r) for r in rows]))

    async def a3(self) -> int:
        return len(await self.repo.all())

    async def a4(self, ages: list[int]) -> int:
        return sum(
            [
                len(await self.repo.filter(User.age >= x, User.active == True).limit(50).all())  # noqa: E712
                for x in ages
            ]
        )

    async def a5(self, ids: list[int]) -> int:
        return sum([1 for i in ids if await self.repo.get(i) is not None])

    async def prepare_a6(self, ids: list[int]) -> Any:
        by_id = {o.id: o for o in await self.repo.filter(User.id.in_(ids)).all()}
        return [by_id[i] for i in ids]

    async def a6(self, prepared: Any, changes: list[tuple[int, int, float]]) -> None:
        async with self.db.transaction():
            for o, (_, age, score) in zip(prepared, changes, strict=True):
                o.age = age
                o.score = score
                await self.repo.update(o)

    async def a8(self, prepared: Any) -> None:
        async with self.db.transaction():
            for o in prepared:
                await self.repo.delete(o)

    async def c50(self, ids: list[int], rows: list[dict[str, Any]]) -> int:
        async def task(k: int) -> int:
            n = 0
            for i in ids[k * 20 : (k + 1) * 20]:
                n += await self.repo.get(i) is not None
            for r in rows[k * 2 : (k + 1) * 2]:
                await self.repo.insert(User(**r))
            return n

        return sum(await asyncio.gather(*(task(k) for k in range(50))))


SIDES = (Raw, TypedORM)


async def _admin(backend: str, url: str, sql: str) -> None:
    if backend == "postgresql":
        import psycopg

        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
            await c.execute(sql)
    else:
        import asyncmy

        u = urlsplit(url)
        c = await asyncmy.connect(
            host=u.hostname,
            port=u.port or 3306,
            user=u.username or "root",
            password=u.password or "",
            autocommit=True,
        )
        async with c.cursor() as cur:
            await cur.execute(sql)
        c.close()


async def fresh_target(args: argparse.Namespace, key: str, tmp: str) -> dict[str, Any]:
    if args.backend == "sqlite":
        path = Path(tmp) / f"{key}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return {"path": str(path)}
    name = f"typedorm_bench_async_{key}"
    u = urlsplit(args.url)
    if args.backend == "postgresql":
        await _admin("postgresql", args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin("postgresql", args.url, f'CREATE DATABASE "{name}"')
    else:
        await _admin("mysql", args.url, f"DROP DATABASE IF EXISTS `{name}`")
        await _admin("mysql", args.url, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return {
        "url": u._replace(path=f"/{name}").geturl(),
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": u.username or "root",
        "password": u.password or "",
        "db": name,
    }


async def one_repetition(
    args: argparse.Namespace, tmp: str, order: list[type[Raw]], times: dict[str, dict[str, list[float]]]
) -> None:
    n, ops = args.n, args.ops
    single = make_rows(NARROW, ops, "single", seed=10)
    bulk = make_rows(NARROW, n, "bulk", seed=20)
    extra = make_rows(NARROW, 100, "json", seed=40)
    sides = []
    for cls in order:
        s = cls(args.backend, await fresh_target(args, cls.key, tmp))
        await s.open()
        sides.append(s)

    async def timed(key: str, wl: str, coro: Any) -> Any:
        gc.collect()
        t = time.perf_counter()
        out = await coro
        times[key].setdefault(wl, []).append(time.perf_counter() - t)
        return out

    try:
        for s in sides:
            assert await timed(s.key, "a1", s.a1(single)) == ops
            await s.c.run(f"DELETE FROM {NARROW.table}", fetch=False)
        for s in sides:
            assert await timed(s.key, "a2", s.a2(bulk)) == n
        for s in sides:
            assert await timed(s.key, "a3", s.a3()) == n
        ages = [18 + (k * 7) % 70 for k in range(ops)]
        for s in sides:
            await timed(s.key, "a4", s.a4(ages))
        for s in sides:
            ids = await s.ids()
            got = await timed(s.key, "a5", s.a5(ids[: 2 * ops]))
            assert got == 2 * ops, (s.key, got)
        for s in sides:
            ids = (await s.ids())[:ops]
            changes = [(i, 20 + k % 50, k + 0.5) for k, i in enumerate(ids)]
            prepared = await s.prepare_a6(ids)
            await timed(s.key, "a6", s.a6(prepared, changes))
            got = (await s.c.run(f"SELECT age, score FROM {NARROW.table} WHERE id = {int(ids[-1])}"))[0]
            assert int(got[0][0]) == changes[-1][1] and float(got[0][1]) == changes[-1][2], (s.key, got)
        for s in sides:
            ids = (await s.ids())[ops : 2 * ops]
            prepared = await s.prepare_a6(ids)
            await timed(s.key, "a8", s.a8(prepared))
        for s in sides:
            ids = (await s.ids())[:1000]
            assert await timed(s.key, "c50", s.c50(ids, extra)) == len(ids)
    finally:
        for s in sides:
            await s.close()


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def markdown(r: dict[str, Any]) -> str:
    be = BACKEND_NAMES.get(r["backend"], r["backend"])
    m = r["machine"]
    res = r["results"]
    lines = [
        f"# Async on {be}",
        "",
        f"Command: `{r['command']}`  ",
        f"Run {r['started']}; N = {r['n']:,}, {r['ops']} operations per workload, median of {r['repeat']}; "
        f"{m['cpu']}, {m['cores']} cores; load average at end {m['load_average_at_end']}. Raw driver: {r['driver']}.",
        "",
        "| | " + " | ".join(f"{w.upper()} {TITLES[w]}" for w in WORKLOADS) + " | geo mean |",
        "|---|" + "---:|" * (len(WORKLOADS) + 1),
        "| raw driver (ms) | " + " | ".join(f"{res['raw'][w] * 1000:.1f}" for w in WORKLOADS) + " | |",
        "| typedorm (ms) | " + " | ".join(f"{res['typedorm'][w] * 1000:.1f}" for w in WORKLOADS) + " | |",
        "| typedorm / raw | "
        + " | ".join(f"{r['ratios'][w]:.2f}" for w in WORKLOADS)
        + f" | {r['geomean']:.2f} |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    args = parse_args(argv)
    words = argv if argv is not None else sys.argv[1:]
    command = "python -m benchmarks.async_run " + " ".join(shlex.quote(a) for a in words)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    times: dict[str, dict[str, list[float]]] = {c.key: {} for c in SIDES}
    with tempfile.TemporaryDirectory(prefix="typedorm-async-") as tmp:
        for rep in range(args.repeat):
            order = list(SIDES) if rep % 2 == 0 else list(reversed(SIDES))
            asyncio.run(one_repetition(args, tmp, order, times))
            print(f"repetition {rep + 1}/{args.repeat} done", flush=True)
        if args.backend != "sqlite":
            for c in SIDES:
                name = f"typedorm_bench_async_{c.key}"
                drop = (
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                    if args.backend == "postgresql"
                    else f"DROP DATABASE IF EXISTS `{name}`"
                )
                asyncio.run(_admin(args.backend, args.url, drop))
    med = {k: {w: statistics.median(v) for w, v in per.items()} for k, per in times.items()}
    ratios = {w: med["typedorm"][w] / med["raw"][w] for w in WORKLOADS}
    result = {
        "command": command,
        "backend": args.backend,
        "started": started,
        "n": args.n,
        "ops": args.ops,
        "repeat": args.repeat,
        "machine": machine_info(),
        "driver": {"sqlite": "aiosqlite", "postgresql": "psycopg AsyncConnection", "mysql": "asyncmy"}[
            args.backend
        ],
        "times": times,
        "results": med,
        "ratios": {w: round(x, 3) for w, x in ratios.items()},
        "geomean": round(geomean(list(ratios.values())), 3),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / f"async_{args.backend}"
    Path(f"{base}.json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result)
    Path(f"{base}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
