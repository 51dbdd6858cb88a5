"""The query cache measured: cached W4 (filter queries) and W5 (gets by key) at 100% hits and with
one write per ten reads, and W1/W6 (writes) with the cache on, each as a ratio to the raw driver
(sqlite3 / psycopg 3) in the same run.

    .venv/bin/python -m benchmarks.cache --backend sqlite --n 2000 --repeat 3
    .venv/bin/python -m benchmarks.cache --backend postgresql --url postgresql://postgres@127.0.0.1/test

Variants: ``raw`` (the driver, no cache: the baseline), ``typedorm`` (no cache), ``memory``
(``MemoryCache``) and ``redis`` (``RedisCache`` at ``--redis``). Hits are timed after an untimed
pass that fills the cache; the mixed workloads interleave one ``UPDATE`` of one row per ten reads
(the raw driver runs the same statements). Writes it times: W1, 1,000 single-row inserts each
autocommitted, and W6, 1,000 single-row updates in one transaction. It also reports the hit ratio
of each mixed run and the memory a MemoryCache holds per 10,000 cached rows (tracemalloc, and the
cache's own estimate). Results: ``benchmarks/results/cache-<backend>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import platform
import statistics
import tempfile
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .bench.common import NARROW, Target, Timer, make_rows
from .bench.raw import Raw
from .bench.typedorm_lib import User

VARIANTS = ("raw", "typedorm", "memory", "redis")
W4_N, W5_N, W1_N, W6_N = 1000, 2000, 1000, 1000


def timed(fn: Callable[[], Any]) -> float:
    t = Timer()
    with t:
        fn()
    assert t.elapsed is not None
    return t.elapsed


class Env:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="typedorm_cbench_"))
        self.admin: Any = None
        if args.backend == "postgresql":
            import psycopg

            self.admin = psycopg.connect(args.url, autocommit=True)

    def target(self, key: str) -> Target:
        if self.args.backend == "sqlite":
            path = self.workdir / f"{key}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return Target("sqlite", path=str(path))
        from psycopg.conninfo import conninfo_to_dict

        name = f"typedorm_cbench_{key}"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{name}"')
        pg = conninfo_to_dict(self.args.url)
        return Target(
            "postgresql",
            host=str(pg.get("host") or "127.0.0.1"),
            port=int(pg.get("port") or 5432),
            user=str(pg.get("user") or "postgres"),
            password=str(pg.get("password") or ""),
            dbname=name,
        )

    def close(self) -> None:
        if self.admin is not None:
            for key in VARIANTS:
                with contextlib.suppress(Exception):
                    self.admin.execute(f'DROP DATABASE IF EXISTS "typedorm_cbench_{key}" WITH (FORCE)')
            self.admin.close()


def run_raw(env: Env, rows: list[dict[str, Any]], singles: list[dict[str, Any]]) -> dict[str, float]:
    raw = Raw()
    raw.open(env.target("raw"))
    try:
        raw.w2(NARROW, rows, Timer())
        st = raw.st["narrow"]
        conn = raw.conn
        ages = [18 + (k * 7) % 70 for k in range(W4_N)]
        ids = list(range(1, W5_N + 1))
        out: dict[str, float] = {}

        def w4() -> None:
            for x in ages:
                conn.execute(st.filter, (x,)).fetchall()

        def w5() -> None:
            for i in ids:
                conn.execute(st.get, (i,)).fetchone()

        def mixed(reads: Callable[[int], Any], n: int) -> Callable[[], None]:
            def go() -> None:
                for k in range(n):
                    if k % 10 == 9:
                        conn.execute(st.update_where.replace("age =", "id ="), (float(k), 1 + k % 50))
                    reads(k)

            return go

        out["w4_hits"] = timed(w4)
        out["w5_hits"] = timed(w5)
        out["w4_mixed"] = timed(mixed(lambda k: conn.execute(st.filter, (ages[k],)).fetchall(), W4_N))
        out["w5_mixed"] = timed(mixed(lambda k: conn.execute(st.get, (ids[k],)).fetchone(), W5_N))
        out["w1"] = timed(lambda: raw.w1(NARROW, singles, Timer()))
        changes = [(i, 20 + i % 50, float(i)) for i in range(1, W6_N + 1)]
        out["w6"] = timed(lambda: raw.w6(NARROW, changes, Timer()))
        return out
    finally:
        raw.close()


def make_cache(kind: str, args: argparse.Namespace) -> Any:
    from typedorm.cache import MemoryCache, RedisCache

    if kind == "memory":
        return MemoryCache(max_entries=100_000, max_bytes=1 << 30)
    if kind == "redis":
        return RedisCache(args.redis, prefix=f"bench{uuid.uuid4().hex[:8]}")
    return None


def run_typedorm(
    env: Env, kind: str, rows: list[dict[str, Any]], singles: list[dict[str, Any]]
) -> tuple[dict[str, float], dict[str, float]]:
    from typedorm import Database, Repository

    target = env.target(kind)
    url = f"sqlite:///{target.path}" if target.backend == "sqlite" else target.pg_url()
    cache = make_cache(kind, env.args)
    db = Database(url, cache=cache)
    db.create_all(User)
    users = Repository(User, db)
    users.insert_many([User(**r) for r in rows])
    ages = [18 + (k * 7) % 70 for k in range(W4_N)]
    ids = list(range(1, W5_N + 1))
    on = cache is not None
    out: dict[str, float] = {}
    ratios: dict[str, float] = {}

    def w4() -> None:
        for x in ages:
            q = users.filter(User.age >= x, User.active == True).limit(50)  # noqa: E712
            (q.cached() if on else q).all()

    def w5() -> None:
        for i in ids:
            users.get(i, cached=on)

    def mixed(read: Callable[[int], Any], n: int) -> Callable[[], None]:
        def go() -> None:
            for k in range(n):
                if k % 10 == 9:
                    users.update(User.id == 1 + k % 50, User.score.set(float(k)))
                read(k)

        return go

    def w4_read(k: int) -> None:
        q = users.filter(User.age >= ages[k], User.active == True).limit(50)  # noqa: E712
        (q.cached() if on else q).all()

    try:
        if on:
            w4()  # fill (untimed)
            w5()
        out["w4_hits"] = timed(w4)
        out["w5_hits"] = timed(w5)
        for name, fn, n in (
            ("w4_mixed", w4_read, W4_N),
            ("w5_mixed", lambda k: users.get(ids[k], cached=on), W5_N),
        ):
            before = db.cache.stats()
            out[name] = timed(mixed(fn, n))
            after = db.cache.stats()
            h, m = after.hits - before.hits, after.misses - before.misses
            ratios[name] = h / (h + m) if h + m else 0.0
        out["w1"] = timed(lambda: [users.insert(User(**r)).id for r in singles])
        objs = {o.id: o for o in users.filter(User.id.in_(list(range(1, W6_N + 1)))).all()}

        def w6() -> None:
            with db.transaction():
                for i in range(1, W6_N + 1):
                    o = objs[i]
                    o.age = 20 + i % 50
                    o.score = float(i)
                    users.update(o)

        out["w6"] = timed(w6)
        if kind == "memory":
            # What any hit must pay at least: new instances for the 50 rows of a W4 result, made
            # by the cheapest copy typedorm has (no lookup, no query building), W4_N times.
            from typedorm.repository.mapping import clone_all, prototypes

            first = users.filter(User.age >= ages[0], User.active == True).limit(50).all()  # noqa: E712
            protos = prototypes(first, users._mapper.deep_fields)

            def copies() -> None:
                for _ in range(W4_N):
                    clone_all(protos)

            out["w4_copies"] = timed(copies)
        return out, ratios
    finally:
        db.close()


def memory_per_10k(env: Env, rows: list[dict[str, Any]]) -> dict[str, float]:
    """Memory a MemoryCache holds for 10,000 cached one-row gets (tracemalloc and its estimate)."""
    from typedorm import Database, Repository
    from typedorm.cache import MemoryCache

    target = env.target("memory")
    url = f"sqlite:///{target.path}" if target.backend == "sqlite" else target.pg_url()
    cache = MemoryCache(max_entries=100_000, max_bytes=1 << 30)
    db = Database(url, cache=cache)
    db.create_all(User)
    users = Repository(User, db)
    extra = make_rows(NARROW, 10_000 if W5_N >= 1000 else 200, "mem", seed=5)
    users.insert_many([User(**r) for r in extra])
    ids = [u[0] for u in users.query().rows(User.id)][:10_000]
    for i in ids[:100]:  # warm imports and statement caches outside the measurement
        users.get(i)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in ids:
        users.get(i, cached=True)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    est = cache.stats().bytes
    db.close()
    return {"rows": float(len(ids)), "tracemalloc_bytes": float(held), "estimate_bytes": float(est)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cache", description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--n", type=int, default=10_000, help="rows in the table (>= 2,000)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    p.add_argument("--quick", action="store_true", help="a few operations per workload (a smoke run)")
    args = p.parse_args(argv)
    global W4_N, W5_N, W1_N, W6_N
    if args.quick:
        W4_N, W5_N, W1_N, W6_N = 20, 40, 20, 20
    n = max(args.n, W5_N)
    rows = make_rows(NARROW, n, "bulk", seed=20)
    singles = make_rows(NARROW, W1_N, "single", seed=10)
    env = Env(args)
    times: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    hit_ratios: dict[str, dict[str, list[float]]] = {v: {} for v in VARIANTS}
    try:
        for rep in range(args.repeat):
            order = VARIANTS[rep % len(VARIANTS) :] + VARIANTS[: rep % len(VARIANTS)]
            for v in order:
                if v == "raw":
                    res, hr = run_raw(env, rows, singles), {}
                else:
                    res, hr = run_typedorm(env, v, rows, singles)
                for k, t in res.items():
                    times[v].setdefault(k, []).append(t)
                for k, r in hr.items():
                    hit_ratios[v].setdefault(k, []).append(r)
                print(
                    f"rep {rep + 1} {v:9} " + " ".join(f"{k}={t * 1000:.1f}ms" for k, t in res.items()),
                    flush=True,
                )
        mem = memory_per_10k(env, rows)
    finally:
        env.close()
    med = {v: {k: statistics.median(ts) for k, ts in w.items()} for v, w in times.items()}
    ratio = {
        v: {k: med[v][k] / med["raw"][k if k != "w4_copies" else "w4_hits"] for k in med[v]} for v in VARIANTS
    }
    writes = {v: {k: med[v][k] / med["typedorm"][k] for k in ("w1", "w6")} for v in ("memory", "redis")}
    result = {
        "backend": args.backend,
        "n": n,
        "repeat": args.repeat,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "times": times,
        "median": med,
        "ratio_to_raw": ratio,
        "writes_ratio_to_uncached": writes,
        "hit_ratio": {v: {k: statistics.median(r) for k, r in w.items()} for v, w in hit_ratios.items() if w},
        "memory_per_10k_rows": mem,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"cache-{args.backend}.json").write_text(json.dumps(result, indent=2))
    md = render(result)
    (out / f"cache-{args.backend}.md").write_text(md)
    print(md)
    return 0


def render(r: dict[str, Any]) -> str:
    names = {
        "w4_hits": "W4 filter, 100% hits",
        "w5_hits": "W5 get, 100% hits",
        "w4_mixed": "W4 filter, 1 write / 10 reads",
        "w5_mixed": "W5 get, 1 write / 10 reads",
        "w1": "W1 1,000 inserts",
        "w6": "W6 1,000 updates in 1 tx",
    }
    lines = [
        f"Query cache, {r['backend']}, N = {r['n']:,}, median of {r['repeat']} ({r['when']}, {r['machine']}, "
        f"CPython {r['python']}).",
        "",
        "Ratio to the raw driver (median time / raw median; lower is faster):",
        "",
        "| workload | raw (ms) | typedorm | memory | redis |",
        "|---|---|---|---|---|",
    ]
    for k, title in names.items():
        med = r["median"]
        row = [f"{med['raw'][k] * 1000:.1f}"] + [
            f"{r['ratio_to_raw'][v][k]:.2f}" for v in ("typedorm", "memory", "redis")
        ]
        lines.append(f"| {title} | " + " | ".join(row) + " |")
    lines += [
        "",
        "Writes with the cache on, as a ratio to typedorm without it:",
        "",
        "| workload | memory | redis |",
        "|---|---|---|",
    ]
    for k in ("w1", "w6"):
        lines.append(
            f"| {names[k]} | {r['writes_ratio_to_uncached']['memory'][k]:.2f} | "
            f"{r['writes_ratio_to_uncached']['redis'][k]:.2f} |"
        )
    lines += [
        "",
        "Hit ratio of the mixed runs (each write is an update of one row by its key: it invalidates "
        "every cached query on the table, and the cached get of that row only):",
        "",
        "| workload | memory | redis |",
        "|---|---|---|",
    ]
    for k in ("w4_mixed", "w5_mixed"):
        lines.append(f"| {names[k]} | {r['hit_ratio']['memory'][k]:.2f} | {r['hit_ratio']['redis'][k]:.2f} |")
    if "w4_copies" in r["median"]["memory"]:
        lines += [
            "",
            f"The floor of a W4 hit: making the 50 new instances it returns (copies of the instances "
            f"the entry validated once, nothing else) takes {r['median']['memory']['w4_copies'] * 1000:.1f} ms "
            f"for {W4_N:,} results, {r['ratio_to_raw']['memory']['w4_copies']:.2f} of the raw driver's W4.",
        ]
    if r["backend"] == "postgresql":
        lines += [
            "",
            f"RedisCache hits against a raw PostgreSQL get (same run): W5 {r['ratio_to_raw']['redis']['w5_hits']:.2f}.",
        ]
    m = r["memory_per_10k_rows"]
    lines += [
        "",
        f"MemoryCache holding {int(m['rows']):,} cached one-row gets (7 columns): "
        f"{m['tracemalloc_bytes'] / 2**20:.1f} MiB by tracemalloc, {m['estimate_bytes'] / 2**20:.1f} MiB "
        "by its own estimate (`stats().bytes`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
