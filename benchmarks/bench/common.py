"""Row shapes, deterministic data, the timer and the adapter base class shared by every library."""

from __future__ import annotations

import datetime as dt
import gc
import json
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

UTC = dt.UTC

# Workloads in the order they run on one database. The narrow shape runs all ten; the wide
# (20-column) shape runs W1-W5.
WORKLOADS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10")
WIDE_WORKLOADS = ("w1", "w2", "w3", "w4", "w5")

WORKLOAD_TITLES = {
    "w1": "single-row inserts, each its own transaction",
    "w2": "bulk insert of N rows in one transaction",
    "w3": "fetch all N rows as model instances",
    "w4": "filter queries (age >= x AND active, LIMIT 50), hydrated",
    "w5": "gets by primary key",
    "w6": "update rows one by one in one transaction",
    "w7": "bulk UPDATE statements by filter",
    "w8": "delete rows one by one in one transaction",
    "w9": "count + avg(score) GROUP BY age queries",
    "w10": "validate N JSON payloads into models and insert them",
}

#: How many operations the fixed-size workloads do: the full run, and ``--quick`` (smoke runs).
COUNTS = {"w1": 1000, "w4": 1000, "w5": 2000, "w6": 1000, "w7": 20, "w8": 1000, "w9": 500}
QUICK_COUNTS = {"w1": 20, "w4": 20, "w5": 40, "w6": 20, "w7": 4, "w8": 20, "w9": 10}


@dataclass(frozen=True)
class Field:
    name: str
    type: type
    max_length: int | None = None
    unique: bool = False


@dataclass(frozen=True)
class Shape:
    """A table: its name and its columns after the integer autoincrement primary key ``id``."""

    name: str
    table: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def datetime_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.type is dt.datetime)


_BASE = (
    Field("name", str, 100),
    Field("email", str, 255, unique=True),
    Field("age", int),
    Field("score", float),
    Field("active", bool),
    Field("created", dt.datetime),
)

NARROW = Shape("narrow", "users", _BASE)
WIDE = Shape(
    "wide",
    "wide_users",
    (
        *_BASE,
        Field("title", str, 200),
        Field("city", str, 50),
        Field("country", str, 50),
        Field("phone", str, 30),
        Field("notes", str, 500),
        Field("views", int),
        Field("likes", int),
        Field("stars", int),
        Field("visits", int),
        Field("ratio", float),
        Field("balance", float),
        Field("verified", bool),
        Field("updated", dt.datetime),
    ),
)
SHAPES = (NARROW, WIDE)
assert len(WIDE.fields) + 1 == 20

_WORDS = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
)
_EPOCH = dt.datetime(2024, 1, 1, tzinfo=UTC)


def make_rows(shape: Shape, n: int, prefix: str, seed: int) -> list[dict[str, Any]]:
    """``n`` deterministic rows of ``shape`` as plain dicts of Python values (aware datetimes);
    ``prefix`` keeps emails unique across workloads."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        words = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(2, 6)))
        row: dict[str, Any] = {
            "name": f"{words} {i}"[:100],
            "email": f"{prefix}{i}@example.com",
            "age": rnd.randint(18, 97),
            "score": round(rnd.uniform(0, 1000), 3),
            "active": rnd.random() < 2 / 3,
            "created": _EPOCH
            + dt.timedelta(seconds=rnd.randint(0, 86400 * 365), microseconds=rnd.randint(0, 999999)),
        }
        if shape is WIDE:
            row.update(
                title=" ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(3, 12))).title(),
                city=rnd.choice(_WORDS).title() + " City",
                country=rnd.choice(_WORDS).upper(),
                phone=f"+1-555-{rnd.randint(0, 9999):04d}",
                notes=" ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(10, 40))),
                views=rnd.randint(0, 10**6),
                likes=rnd.randint(0, 10**4),
                stars=rnd.randint(0, 5),
                visits=rnd.randint(0, 10**5),
                ratio=rnd.random(),
                balance=round(rnd.uniform(-1e4, 1e4), 2),
                verified=rnd.random() < 0.5,
                updated=_EPOCH + dt.timedelta(seconds=rnd.randint(0, 86400 * 365)),
            )
        rows.append(row)
    return rows


def to_json_docs(rows: list[dict[str, Any]]) -> list[bytes]:
    """The rows as JSON documents (what an API receives): datetimes as ISO 8601 text."""
    return [
        json.dumps({k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in r.items()}).encode()
        for r in rows
    ]


#: Invalid W10 payloads: each breaks the declared types or constraints in a way SQLite itself
#: accepts (it does not enforce VARCHAR lengths or column types), so only the library can object.
def validation_probes(shape: Shape) -> dict[str, bytes]:
    good = to_json_docs(make_rows(shape, 3, "probe", seed=99))
    docs = [json.loads(d) for d in good]
    docs[0]["age"] = "not a number"
    docs[1]["name"] = "x" * 101
    docs[2]["created"] = "not a date"
    return {
        "age='not a number'": json.dumps(docs[0]).encode(),
        "name of 101 chars (max 100)": json.dumps(docs[1]).encode(),
        "created='not a date'": json.dumps(docs[2]).encode(),
    }


class Timer:
    """The timed region of one workload run: ``with timer: ...``. Garbage from earlier runs is
    collected before the clock starts. With ``memory=True`` it records tracemalloc's peak of the
    Python allocations made inside the region instead (the result is still alive at the end, so it
    counts)."""

    __slots__ = ("_t0", "elapsed", "memory", "peak")

    def __init__(self, memory: bool = False) -> None:
        self.memory = memory
        self.elapsed: float | None = None
        self.peak: int | None = None
        self._t0 = 0.0

    def __enter__(self) -> Timer:
        if self.elapsed is not None:
            raise RuntimeError("the timed region was entered twice")
        gc.collect()
        if self.memory:
            tracemalloc.start()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        t1 = time.perf_counter()
        if self.memory:
            _, self.peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        self.elapsed = t1 - self._t0


@dataclass
class Target:
    """Where one library's database lives for one repetition."""

    backend: str  # "sqlite" | "postgresql" | "mysql"
    path: str = ""  # SQLite file
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def pg_url(self, scheme: str = "postgresql") -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"{scheme}://{auth}@{self.host}:{self.port}/{self.dbname}"

    def pg_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        if self.password:
            kw["password"] = self.password
        return kw


#: The SQLite PRAGMAs every library is configured with (foreign_keys is left to each library).
SQLITE_PRAGMAS = {"journal_mode": "WAL", "synchronous": "NORMAL"}
#: What the harness reads back through each library's own connection to confirm them.
PRAGMA_CHECKS = ("journal_mode", "synchronous", "foreign_keys")


class Adapter:
    """One library, written the way its users write it.

    A workload method ``wN(shape, arg, timer)`` does any untimed preparation (loading the objects
    W6/W8 change), then its timed part inside ``with timer:``, and returns what it produced (the
    harness checks it). ``arg`` is the workload's input, the same for every library: ``w1``/``w2``
    get row dicts, ``w4`` ages, ``w5``/``w8`` primary keys, ``w6`` (id, age, score) triples,
    ``w7`` (age, score) pairs, ``w9`` a count, ``w10`` JSON documents.
    """

    key = ""
    title = ""
    #: Distributions whose versions the report shows, and those used only on PostgreSQL.
    dists: tuple[str, ...] = ()
    pg_dists: tuple[str, ...] = ("psycopg", "psycopg-binary")
    mysql_dists: tuple[str, ...] = ("pymysql",)
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    #: Per-workload remarks shown in the report (which API is used, deviations, validation).
    notes: ClassVar[dict[str, str]] = {}
    #: What this library's W10 path checks, in words (the probe in the report shows what it does).
    validates = "no"

    def open(self, target: Target) -> None:
        """Connect to a fresh, empty database and create both shapes' tables."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Run a plain statement through the library's own connection (untimed bookkeeping)."""
        raise NotImplementedError

    def run(self, workload: str, shape: Shape, arg: Any, timer: Timer) -> Any:
        fn: Callable[[Shape, Any, Timer], Any] = getattr(self, workload)
        return fn(shape, arg, timer)
