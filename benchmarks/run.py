"""One command for the whole benchmark: ``python -m benchmarks.run --backend sqlite --n 10000 --repeat 3``.

Every library gets a fresh database per repetition; within a repetition the workloads run in
order on it, and for each workload every library runs before the next workload starts
(libraries interleaved, their order rotated each repetition). Medians over the repetitions,
ratios to the raw driver, and the geometric mean go to ``benchmarks/results/<backend>.{json,md}``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .bench import report
from .bench.common import (
    COUNTS,
    NARROW,
    PRAGMA_CHECKS,
    QUICK_COUNTS,
    SHAPES,
    WIDE_WORKLOADS,
    WORKLOADS,
    Adapter,
    Shape,
    Target,
    Timer,
    make_rows,
    to_json_docs,
    validation_probes,
)
from .bench.registry import KEYS, LIBRARIES, load

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1/test"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
_CONNECTION_LOST = (
    "terminating connection due to administrator command",
    "the connection is closed",
    "the connection is lost",
    "the database system is shutting down",
    "the database system is starting up",
    "server closed the connection unexpectedly",
    "Connection refused",
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
)
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql", "mysql"), default="sqlite")
    p.add_argument(
        "--mysql-url",
        default=os.environ.get("TYPEDORM_BENCH_MYSQL_URL", DEFAULT_MYSQL_URL),
        help="MariaDB/MySQL server to use (the benchmark creates and drops its own databases "
        "typedorm_bench_<library>); only the raw driver (PyMySQL), raw + Pydantic and typedorm run there",
    )
    p.add_argument(
        "--url",
        default=os.environ.get("TYPEDORM_BENCH_PG_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to use (any database on it; the benchmark creates and drops "
        "its own databases typedorm_bench_<library>)",
    )
    p.add_argument("--n", type=int, default=10_000, help="rows in W2/W3/W10 (default 10000)")
    p.add_argument("--repeat", type=int, default=3, help="repetitions; medians are reported (default 3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: the fixed-count workloads do a few operations instead of 1000s",
    )
    p.add_argument(
        "--only", default="", help=f"comma-separated libraries (raw always runs): {','.join(KEYS)}"
    )
    p.add_argument("--skip", default="", help="comma-separated libraries to leave out")
    p.add_argument(
        "--warmup",
        type=int,
        choices=(0, 1),
        default=1,
        help="run one untimed repetition on small inputs first (default 1)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        help="how often a repetition is run again when the database server dropped every "
        "connection during it (a restart by another job); default 3",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="where <backend>.json and <backend>.md go")
    p.add_argument(
        "--update-readme",
        action="store_true",
        help="also put the ratio tables into benchmarks/README.md (between its results markers)",
    )
    p.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="JSON",
        help="run nothing: rewrite the Markdown report (and with --update-readme the README) from a JSON result",
    )
    p.add_argument("--workdir", type=Path, default=None, help="where SQLite files go (default: a temp dir)")
    args = p.parse_args(argv)
    if args.n < 10 or args.repeat < 1:
        p.error("--n must be >= 10 and --repeat >= 1")
    return args


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.backend: str = args.backend
        self.n: int = args.n
        counts = dict(QUICK_COUNTS if args.quick else COUNTS)
        # A workload that deletes or updates distinct rows cannot touch more rows than there are.
        for k in ("w6", "w8"):
            counts[k] = min(counts[k], self.n // 2)
        self.counts = counts
        self.libs: dict[str, dict[str, Any]] = {}
        self.adapters: dict[str, Adapter] = {}
        self.times: dict[str, dict[str, dict[str, list[float]]]] = {s.name: {} for s in SHAPES}
        self.memory: dict[str, dict[str, list[int]]] = {s.name: {} for s in SHAPES}
        self.errors: dict[str, dict[str, dict[str, list[str]]]] = {s.name: {} for s in SHAPES}
        self.readback: dict[str, dict[str, str]] = {}
        self.pragmas: dict[str, dict[str, Any]] = {}
        self.probes: dict[str, dict[str, str]] = {}
        self.ids: dict[tuple[str, str], list[int]] = {}
        self.admin: Any = None
        self.recording = True
        self.connection_lost = False
        self.discarded: list[dict[str, Any]] = []
        self.server_version = ""

    # --- setup ---------------------------------------------------------------------
    def load_libraries(self) -> None:
        only = {k for k in self.args.only.split(",") if k}
        skip = {k for k in self.args.skip.split(",") if k}
        unknown = (only | skip) - set(KEYS)
        if unknown:
            raise SystemExit(f"unknown libraries: {', '.join(sorted(unknown))} (known: {', '.join(KEYS)})")
        for e in LIBRARIES:
            if e.key != "raw" and ((only and e.key not in only) or e.key in skip):
                continue
            adapter, info = load(e)
            info["title"] = e.title
            if adapter is not None and self.backend not in adapter.backends:
                adapter, info = None, {**info, "status": "unsupported", "error": f"no {self.backend} support"}
            self.libs[e.key] = info
            if adapter is not None:
                self.adapters[e.key] = adapter
                info["validates"] = adapter.validates
                info["notes"] = adapter.notes
            print(
                f"  {e.key:16} {info['status']}" + (f": {info.get('error')}" if info.get("error") else ""),
                flush=True,
            )
        if "raw" not in self.adapters:
            raise SystemExit("the raw driver baseline could not be loaded")

    def make_inputs(self) -> None:
        c = self.counts
        self.inputs: dict[str, dict[str, Any]] = {}
        for i, s in enumerate(SHAPES):
            self.inputs[s.name] = {
                "w1": make_rows(s, c["w1"], "single", seed=10 + i),
                "w2": make_rows(s, self.n, "bulk", seed=20 + i),
                "w3": None,
                "w4": [18 + (k * 7) % 70 for k in range(c["w4"])],
                "w7": [(18 + (k * 4) % 80, float(k) + 0.25) for k in range(c["w7"])],
                "w9": c["w9"],
            }
        self.inputs[NARROW.name]["w10"] = to_json_docs(make_rows(NARROW, self.n, "json", seed=30))

    @contextmanager
    def databases(self) -> Iterator[None]:
        if self.backend == "sqlite":
            tmp = self.args.workdir or Path(tempfile.mkdtemp(prefix="typedorm-bench-"))
            tmp.mkdir(parents=True, exist_ok=True)
            self.workdir = tmp
            try:
                yield
            finally:
                if self.args.workdir is None:
                    shutil.rmtree(tmp, ignore_errors=True)
            return
        if self.backend == "mysql":
            from urllib.parse import urlsplit

            import pymysql

            u = urlsplit(self.args.mysql_url)
            self.my = {
                "host": u.hostname or "127.0.0.1",
                "port": u.port or 3306,
                "user": u.username or "root",
                "password": u.password or "",
            }
            self.admin = pymysql.connect(**self.my, autocommit=True)
            with self.admin.cursor() as cur:
                cur.execute("SELECT VERSION()")
                self.server_version = str(cur.fetchone()[0])
            try:
                yield
            finally:
                for key in self.adapters:
                    try:
                        self.admin_sql(f"DROP DATABASE IF EXISTS `typedorm_bench_{key}`")
                    except Exception as e:
                        print(f"could not drop typedorm_bench_{key}: {e}", flush=True)
                self.admin.close()
            return
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        self.pg = conninfo_to_dict(self.args.url)
        self.admin = psycopg.connect(self.args.url, autocommit=True)
        self.server_version = str(self.admin.execute("SHOW server_version").fetchone()[0])
        try:
            yield
        finally:
            for key in self.adapters:
                try:
                    self.admin_sql(f'DROP DATABASE IF EXISTS "typedorm_bench_{key}" WITH (FORCE)')
                except Exception as e:
                    print(f"could not drop typedorm_bench_{key}: {e}", flush=True)
            self.admin.close()

    def admin_sql(self, sql: str) -> None:
        """A statement on the admin connection, reconnecting (and waiting up to a minute for the
        server) if the connection was lost, e.g. to a server restart by another job."""
        if self.backend == "mysql":
            with self.admin.cursor() as cur:
                cur.execute(sql)
            return
        import psycopg

        for attempt in range(60):
            try:
                if self.admin.closed:
                    self.admin = psycopg.connect(self.args.url, autocommit=True, connect_timeout=5)
                self.admin.execute(sql)
                return
            except psycopg.OperationalError:
                if attempt == 59:
                    raise
                time.sleep(1)
                with contextlib.suppress(Exception):
                    self.admin.close()

    def fresh_target(self, key: str) -> Target:
        if self.backend == "sqlite":
            path = self.workdir / f"{key}.sqlite3"
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return Target("sqlite", path=str(path))
        name = f"typedorm_bench_{key}"
        if self.backend == "mysql":
            self.admin_sql(f"DROP DATABASE IF EXISTS `{name}`")
            self.admin_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            return Target("mysql", dbname=name, **self.my)
        self.admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin_sql(f'CREATE DATABASE "{name}"')
        pg = self.pg
        return Target(
            "postgresql",
            host=str(pg.get("host") or "127.0.0.1"),
            port=int(pg.get("port") or 5432),
            user=str(pg.get("user") or "postgres"),
            password=str(pg.get("password") or ""),
            dbname=name,
        )

    # --- bookkeeping ---------------------------------------------------------------
    def error(self, shape: str, wl: str, key: str, exc: BaseException) -> None:
        msg = f"{type(exc).__name__}: {exc}".strip()[:500]
        if any(m in msg for m in _CONNECTION_LOST):
            self.connection_lost = True
        if not self.recording:
            print(f"    ! (warm-up) {key} {shape} {wl}: {msg}", flush=True)
            return
        self.errors[shape].setdefault(wl, {}).setdefault(key, []).append(msg)
        print(f"    ! {key} {shape} {wl}: {msg}", flush=True)
        if len(self.errors[shape][wl][key]) == 1:
            self.libs[key].setdefault("tracebacks", {})[f"{shape}/{wl}"] = traceback.format_exc(limit=-6)

    def count(self, a: Adapter, shape: Shape) -> int:
        return int(a.sql(f"SELECT count(*) FROM {shape.table}")[0][0])

    def arg_for(self, key: str, shape: Shape, wl: str) -> Any:
        c = self.counts
        if wl in ("w5", "w6", "w8"):
            ids = self.ids.get((key, shape.name))
            if not ids:
                raise RuntimeError("no row ids: W2 did not complete")
            if wl == "w5":
                return [ids[(k * 7919) % len(ids)] for k in range(c["w5"])]
            step = max(1, len(ids) // c[wl])
            off = 1 if wl == "w8" and step > 1 else 0
            picked = [ids[k * step + off] for k in range(c[wl])]
            if wl == "w8":
                return picked
            return [(i, 18 + k % 80, k * 0.5) for k, i in enumerate(picked)]
        return self.inputs[shape.name][wl]

    def check(self, key: str, a: Adapter, shape: Shape, wl: str, arg: Any, out: Any) -> None:
        """Untimed: did the workload do what it should? A wrong result is an error, not a number."""
        n, c = self.n, self.counts

        def want(cond: bool, what: str) -> None:
            if not cond:
                raise AssertionError(f"check failed after {wl}: {what}")

        if wl == "w1":
            want(
                len(out) == c["w1"] and len(set(out)) == c["w1"] and all(isinstance(i, int) for i in out),
                f"expected {c['w1']} distinct integer ids, got {out[:3]}...",
            )
            want(self.count(a, shape) == c["w1"], "row count")
        elif wl == "w2":
            want(self.count(a, shape) == n, f"row count {self.count(a, shape)} != {n}")
        elif wl == "w3":
            want(len(out) == n, f"fetched {len(out)} rows, not {n}")
        elif wl == "w4":
            want(len(out) == c["w4"] and all(len(r) <= 50 for r in out) and len(out[0]) > 0, "filter results")
        elif wl == "w5":
            want(len(out) == c["w5"] and all(r is not None for r in out), "every get found its row")
        elif wl == "w6":
            i, age, score = arg[-1]
            got = a.sql(f"SELECT age, score FROM {shape.table} WHERE id = {int(i)}")
            want(bool(got) and int(got[0][0]) == age and float(got[0][1]) == score, f"row {i} updated: {got}")
        elif wl == "w7":
            age, score = arg[-1]
            got = a.sql(
                f"SELECT count(*) FROM {shape.table} WHERE age = {int(age)} AND score <> {float(score)!r}"
            )
            want(int(got[0][0]) == 0, "every matching row updated")
        elif wl == "w8":
            want(self.count(a, shape) == n - c["w8"], "rows deleted")
        elif wl == "w9":
            want(len(out) == c["w9"] and len(out[0]) > 0, "group results")
        elif wl == "w10":
            want(self.count(a, shape) == 2 * n - c["w8"], "rows inserted")

    def after(self, key: str, a: Adapter, shape: Shape, wl: str, out: Any) -> None:
        """Untimed bookkeeping between workloads."""
        if wl == "w1":
            a.sql(f"DELETE FROM {shape.table}")  # W2 starts from an empty table
        elif wl == "w2":
            self.ids[(key, shape.name)] = [
                int(r[0]) for r in a.sql(f"SELECT id FROM {shape.table} ORDER BY id")
            ]
        elif wl == "w3" and out is not None and shape.name not in self.readback.get(key, {}):
            self.readback.setdefault(key, {})[shape.name] = report.describe_row(out[0], "created")

    # --- the run -------------------------------------------------------------------
    def run(self) -> None:
        keys = list(self.adapters)
        if self.args.warmup:
            self.warmup(keys)
        total = self.args.repeat
        retries = self.args.retries
        rep = 0
        while rep < total:
            order = keys[rep % len(keys) :] + keys[: rep % len(keys)]
            print(f"repetition {rep + 1}/{total}: {', '.join(order)}", flush=True)
            saved = copy.deepcopy((self.times, self.memory, self.errors, self.readback, self.probes))
            self.connection_lost = False
            self.repetition(order, first=rep == 0, last=rep == total - 1)
            if self.connection_lost and retries > 0:
                # The server went away under every library at once (another job restarting it):
                # that repetition measured nothing about the libraries, so it is run again.
                retries -= 1
                self.discarded.append({"repetition": rep + 1, "errors": self.errors})
                self.times, self.memory, self.errors, self.readback, self.probes = saved
                print(f"  lost the database server during repetition {rep + 1}: running it again", flush=True)
                continue
            rep += 1

    def warmup(self, keys: list[str]) -> None:
        """One untimed repetition on small inputs, so one-time costs (statement caches, query
        compilation, lazy imports) land in no measured repetition."""
        saved = (self.n, self.counts, self.inputs)
        self.n = min(self.n, 200)
        self.counts = {k: min(v, QUICK_COUNTS[k]) for k, v in self.counts.items()}
        self.make_inputs()
        self.recording = False
        print("warm-up repetition (not measured)", flush=True)
        try:
            self.repetition(keys, first=False, last=False)
        finally:
            self.n, self.counts, self.inputs = saved
            self.recording = True
            self.ids.clear()

    def repetition(self, order: list[str], *, first: bool, last: bool) -> None:
        live: list[str] = []
        for key in order:
            a = self.adapters[key]
            try:
                a.open(self.fresh_target(key))
                live.append(key)
                if first and self.backend == "sqlite":
                    self.pragmas[key] = {p: a.sql(f"PRAGMA {p}")[0][0] for p in PRAGMA_CHECKS}
            except Exception as e:
                self.error("narrow", "open", key, e)
        for shape in SHAPES:
            wls = WORKLOADS if shape is NARROW else WIDE_WORKLOADS
            for wl in wls:
                if self.connection_lost and self.recording:
                    break  # this repetition will be run again
                t0 = time.perf_counter()
                for key in live:
                    self.one(key, shape, wl)
                print(f"  {shape.name:6} {wl:3} {time.perf_counter() - t0:7.2f}s", flush=True)
        if last and self.backend == "sqlite":
            for key in live:
                self.probe(key)
        for key in order:
            try:
                self.adapters[key].close()
            except Exception as e:
                self.error("narrow", "close", key, e)

    def one(self, key: str, shape: Shape, wl: str) -> None:
        a = self.adapters[key]
        try:
            arg = self.arg_for(key, shape, wl)
            timer = Timer()
            out = a.run(wl, shape, arg, timer)
            if timer.elapsed is None:
                raise RuntimeError("the workload never entered its timed region")
            self.check(key, a, shape, wl, arg, out)
            if not self.recording:
                self.after(key, a, shape, wl, None)
                return
            self.times[shape.name].setdefault(wl, {}).setdefault(key, []).append(timer.elapsed)
            self.after(key, a, shape, wl, out)
            del out
            if wl == "w3":
                mt = Timer(memory=True)
                out = a.run(wl, shape, arg, mt)
                del out
                assert mt.peak is not None
                self.memory[shape.name].setdefault(key, []).append(mt.peak)
        except Exception as e:
            self.error(shape.name, wl, key, e)

    def probe(self, key: str) -> None:
        """Feed W10's path one invalid document per case; what the library rejects is what it validates."""
        a = self.adapters[key]
        results = {}
        for case, doc in validation_probes(NARROW).items():
            try:
                a.run("w10", NARROW, [doc], Timer())
                results[case] = "accepted"
            except Exception as e:
                results[case] = f"rejected ({type(e).__name__})"
        self.probes[key] = results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render is not None:
        result = json.loads(args.render.read_text())
        write_outputs(result, args.render.with_suffix(""), update=args.update_readme)
        return 0
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    words = argv if argv is not None else sys.argv[1:]
    command = "python -m benchmarks.run " + " ".join(shlex.quote(a) for a in words)
    print(f"{command}\nlibraries:", flush=True)
    bench = Bench(args)
    bench.load_libraries()
    bench.make_inputs()
    with bench.databases():
        bench.run()
    result = report.build(bench, command=command, started=started, duration=time.perf_counter() - t0)
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / args.backend
    Path(f"{base}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    write_outputs(result, base, update=args.update_readme)
    return 0


def write_outputs(result: dict[str, Any], base: Path, *, update: bool) -> None:
    md = report.markdown(result)
    Path(f"{base}.md").write_text(md)
    print()
    print(md)
    print(f"wrote {base}.md")
    if update:
        readme = Path(__file__).resolve().parent / "README.md"
        if report.update_readme(readme, result):
            print(f"updated {readme}")
        else:
            print(f"{readme} has no <!-- results:{result['backend']} --> markers; not updated")


if __name__ == "__main__":
    raise SystemExit(main())
