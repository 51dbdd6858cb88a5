"""Scale: W2 (bulk insert), W3 (fetch all) and ``iterate()`` at growing N, typedorm against the raw driver.

``python -m benchmarks.scale --backend sqlite`` (N = 10,000 and 100,000; ``--full`` adds
1,000,000). For each N and repetition a fresh database; the median of ``--repeat`` runs. Reported
per N: the time per row (µs) of each, typedorm's ratio to the raw driver, and the peak of Python
allocations (tracemalloc) while iterating every row without keeping them — flat when streaming
works — next to W3's peak, which grows with N by design (every row is kept).

Results go to ``benchmarks/results/scale_<backend>.{json,md}``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .bench.common import NARROW, make_rows
from .bench.raw import Statements, ddl
from .bench.report import BACKEND_NAMES, machine_info
from .bench.typedorm_lib import User

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1/test"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--url", default=os.environ.get("TYPEDORM_BENCH_PG_URL", DEFAULT_PG_URL))
    p.add_argument("--sizes", default="10000,100000", help="comma-separated N (default 10000,100000)")
    p.add_argument("--full", action="store_true", help="also N = 1,000,000 (minutes, GBs of RAM)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=1000, help="iterate()'s batch size")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    if args.full and 1_000_000 not in args.sizes:
        args.sizes.append(1_000_000)
    return args


class Side:
    """One library on one fresh database: W2, W3 and iterate()."""

    def w2(self, rows: list[dict[str, Any]]) -> None: ...
    def w3(self) -> int: ...
    def iterate(self, batch: int) -> int: ...
    def close(self) -> None: ...


class Raw(Side):
    def __init__(self, backend: str, target: str) -> None:
        self.backend = backend
        self.st = Statements(NARROW, backend)
        if backend == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(target, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            self.conn = psycopg.connect(target, autocommit=True)
        self.conn.execute(ddl(NARROW, backend))

    def w2(self, rows: list[dict[str, Any]]) -> None:
        names = NARROW.names
        params = [self.st.params(r, names) for r in rows]
        if self.backend == "sqlite":
            self.conn.execute("BEGIN")
            self.conn.executemany(self.st.insert, params)
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction(), self.conn.cursor() as cur:
                cur.executemany(self.st.insert, params)

    def w3(self) -> int:
        return len(self.conn.execute(self.st.select_all).fetchall())

    def iterate(self, batch: int) -> int:
        n = 0
        if self.backend == "sqlite":
            cur = self.conn.execute(self.st.select_all)
            while rows := cur.fetchmany(batch):
                n += len(rows)
            return n
        with self.conn.transaction(), self.conn.cursor(name="scale") as cur:  # server-side cursor
            cur.execute(self.st.select_all)
            while rows := cur.fetchmany(batch):
                n += len(rows)
        return n

    def close(self) -> None:
        self.conn.close()


class TypedORM(Side):
    def __init__(self, backend: str, target: str) -> None:
        from typedorm import Database, Repository

        self.db = Database(f"sqlite:///{target}" if backend == "sqlite" else target)
        self.db.create_all(User)
        self.repo = Repository(User, self.db)

    def w2(self, rows: list[dict[str, Any]]) -> None:
        self.repo.insert_many([User(**r) for r in rows])

    def w3(self) -> int:
        return len(self.repo.all())

    def iterate(self, batch: int) -> int:
        n = 0
        for _ in self.repo.query().iterate(batch_size=batch):
            n += 1
        return n

    def close(self) -> None:
        self.db.close()


SIDES: dict[str, Callable[[str, str], Side]] = {"raw": Raw, "typedorm": TypedORM}


@contextmanager
def fresh(backend: str, url: str, key: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="typedorm-scale-") as d:
            yield str(Path(d) / f"{key}.sqlite3")
        return
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"typedorm_bench_scale_{key}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    info = conninfo_to_dict(url)
    info["dbname"] = name
    auth = str(info.get("user") or "postgres") + (f":{info['password']}" if info.get("password") else "")
    try:
        yield f"postgresql://{auth}@{info.get('host') or '127.0.0.1'}:{info.get('port') or 5432}/{name}"
    finally:
        with psycopg.connect(make_conninfo(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def peak(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in args.sizes:
        rows = make_rows(NARROW, n, "bulk", seed=20)
        res: dict[str, dict[str, list[float]]] = {
            k: {"w2": [], "w3": [], "iterate": [], "iterate_peak": [], "w3_peak": []} for k in SIDES
        }
        for rep in range(args.repeat):
            order = list(SIDES) if rep % 2 == 0 else list(reversed(SIDES))
            for key in order:
                with fresh(args.backend, args.url, key) as target:
                    side = SIDES[key](args.backend, target)
                    try:
                        r = res[key]
                        r["w2"].append(timed(lambda s=side, rw=rows: s.w2(rw)))
                        r["w3"].append(timed(side.w3))
                        r["iterate"].append(timed(lambda s=side: s.iterate(args.batch_size)))
                        if rep == 0:
                            r["iterate_peak"].append(peak(lambda s=side: s.iterate(args.batch_size)))
                            r["w3_peak"].append(peak(side.w3))
                        got = side.iterate(args.batch_size)
                        if got != n:
                            raise RuntimeError(f"{key} iterated {got} rows, not {n}")
                    finally:
                        side.close()
            print(f"N={n:,} repetition {rep + 1}/{args.repeat} done", flush=True)
        entry: dict[str, Any] = {}
        for key, r in res.items():
            entry[key] = {
                wl: {
                    "median_s": statistics.median(v),
                    "us_per_row": statistics.median(v) / n * 1e6,
                    "runs": v,
                }
                for wl, v in r.items()
                if wl in ("w2", "w3", "iterate")
            }
            entry[key]["iterate_peak_mb"] = round(r["iterate_peak"][0] / 2**20, 2)
            entry[key]["w3_peak_mb"] = round(r["w3_peak"][0] / 2**20, 2)
        for wl in ("w2", "w3", "iterate"):
            entry["typedorm"][wl]["ratio"] = round(
                entry["typedorm"][wl]["median_s"] / entry["raw"][wl]["median_s"], 2
            )
        out[str(n)] = entry
    return out


def markdown(r: dict[str, Any]) -> str:
    be = BACKEND_NAMES.get(r["backend"], r["backend"])
    m = r["machine"]
    lines = [
        f"# Scale on {be}",
        "",
        f"Command: `{r['command']}`  ",
        f"Run {r['started']}; median of {r['repeat']}; {m['cpu']}, {m['cores']} cores; load average at end "
        f"{m['load_average_at_end']}.",
        "",
        "Time per row in µs (typedorm's ratio to the raw driver in brackets); peak Python allocations while",
        "iterating every row without keeping them (`iterate()`, flat when streaming works) and while",
        "fetching them all (W3, which keeps every row).",
        "",
        "| N | raw W2 | typedorm W2 | raw W3 | typedorm W3 | raw iterate | typedorm iterate "
        "| iterate peak MB raw / typedorm | W3 peak MB raw / typedorm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, e in r["results"].items():
        raw, td = e["raw"], e["typedorm"]
        cells = [f"{int(n):,}"]
        for wl in ("w2", "w3", "iterate"):
            cells += [f"{raw[wl]['us_per_row']:.2f}", f"{td[wl]['us_per_row']:.2f} ({td[wl]['ratio']:.2f})"]
        cells += [
            f"{raw['iterate_peak_mb']} / {td['iterate_peak_mb']}",
            f"{raw['w3_peak_mb']} / {td['w3_peak_mb']}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    args = parse_args(argv)
    words = argv if argv is not None else sys.argv[1:]
    command = "python -m benchmarks.scale " + " ".join(shlex.quote(a) for a in words)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    results = run(args)
    result = {
        "command": command,
        "backend": args.backend,
        "started": started,
        "repeat": args.repeat,
        "batch_size": args.batch_size,
        "machine": machine_info(),
        "results": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / f"scale_{args.backend}"
    Path(f"{base}.json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result)
    Path(f"{base}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
