"""Generated hostile payloads through every JSON entry point and lookup, on every backend.

A seeded generator (stable in CI, no shrinking cost) builds ``EXAMPLES`` payloads per entry point:
wrong types, huge and non-finite numbers, deep nesting, invalid UTF-8, lone surrogates, NUL,
strings at and past the limits (a few of 10 MB), unknown keys, database-assigned keys. For each:
no exception other than a ``TypedORMError`` leaves typedorm; a refused payload writes nothing
(checked with raw SQL, from outside the repository); an accepted one reads back equal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, Column, Database, Model, Q, Repository, TypedORMError, column

EXAMPLES = int(os.environ.get("TYPEDORM_FUZZ_EXAMPLES", "1000"))
SEED = 20260511

pytestmark = pytest.mark.slow


class Fuzz(Model, table="fuzz_rows"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)] = column(default="n")
    note: Col[str | None] = column(default=None)
    n: Col[int] = column(default=0)
    f: Col[float] = column(default=0.0)
    flag: Col[bool] = column(default=False)
    amount: Col[Decimal | None] = column(default=None)
    at: Col[dt.datetime | None] = column(default=None)
    code: Annotated[Col[str | None], Column(unique=True)] = column(default=None)
    tags: Col[list[str]] = column(default_factory=list)


FIELDS = ["name", "note", "n", "f", "flag", "amount", "at", "code", "tags"]
TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def fuzz(db: Database) -> Iterator[Repository[Fuzz]]:
    db.create_all(Fuzz)
    yield Repository(Fuzz, db)


# --- the generator -------------------------------------------------------------------------------
class Gen:
    """JSON fragments (bytes) for field values, good and hostile, from one seeded ``random.Random``."""

    def __init__(self, seed: str) -> None:
        self.r = random.Random(seed)
        self.big_left = 3  # 10 MB strings per entry point: a few, they cost real I/O

    def text(self) -> str:
        r = self.r
        pools = [
            "abcxyz ",
            "ÄéøßçЖж中文한국어",
            "😀🎉🇫🇷\u200d",
            "\t\n\r\"\\/'%_;--",
            "\x00\x01\x1f\x7f",
        ]
        size = r.choice([0, 1, 5, 20, 49, 50, 51, 255, 256, 300])
        pool = "".join(r.sample(pools, r.randint(1, 3)))
        return "".join(r.choice(pool) for _ in range(size))

    def string_fragment(self) -> bytes:
        r = self.r
        roll = r.random()
        if roll < 0.08:
            # hand-made bytes: invalid UTF-8, lone surrogate escapes, raw control characters
            return r.choice(
                [
                    b'"a\xffb"',
                    b'"\xc3"',
                    b'"\xed\xa0\x80"',
                    b'"\\ud800"',
                    b'"x\\udfff"',
                    b'"\\ud83d"',
                    b'"tab\there"',
                    b'"nul\x00"',
                    b'"\\u0000"',
                    b'"bad \\q escape"',
                    b'"unterminated',
                ]
            )
        if roll < 0.09 and self.big_left > 0:
            self.big_left -= 1
            return json.dumps("z" * TEN_MB).encode()
        s = self.text()
        return json.dumps(s, ensure_ascii=r.random() < 0.5).encode()

    def number_fragment(self) -> bytes:
        r = self.r
        makers: list[Callable[[], bytes]] = [
            lambda: str(r.randint(-(2**31), 2**31)).encode(),
            lambda: str(r.choice([2**63 - 1, -(2**63), 2**63, 2**64, 2**70, -(2**70)])).encode(),
            lambda: b"1" + b"0" * r.choice([20, 308, 309, 4299, 4300, 5000]),
            lambda: repr(r.uniform(-1e6, 1e6)).encode(),
            lambda: r.choice([b"1e308", b"1e309", b"-1e400", b"1e-400", b"-0.0", b"0.1", b"1E2", b"3.0"]),
            lambda: r.choice([b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf"]),
            lambda: r.choice([b"01", b"+1", b"1.", b".5", b"0x10", b"1_000"]),
        ]
        return r.choice(makers)()

    def nested_fragment(self) -> bytes:
        r = self.r
        depth = r.choice([1, 2, 10, 100, 254, 255, 256, 1000, 5000])
        opener, closer = (b"[", b"]") if r.random() < 0.5 else (b'{"k":', b"}")
        return opener * depth + b"1" + closer * depth

    def wrong_fragment(self) -> bytes:
        r = self.r
        return r.choice(
            [
                b"null",
                b"true",
                b"false",
                b"[]",
                b"{}",
                b'["a"]',
                b'{"a": 1}',
                b'[1, "2", null]',
                b'"12"',
                b'"true"',
                b'"2024-01-01"',
                b'"1.5"',
                b'"abc"',
                b'""',
            ]
        )

    def value(self, field: str) -> bytes:
        r = self.r
        roll = r.random()
        if roll < 0.45:
            return self.good(field)
        if roll < 0.60:
            return self.wrong_fragment()
        if roll < 0.75:
            return self.number_fragment()
        if roll < 0.90:
            return self.string_fragment()
        return self.nested_fragment()

    def good(self, field: str) -> bytes:
        r = self.r
        if field in ("name", "note", "code"):
            return self.string_fragment() if r.random() < 0.5 else json.dumps(self.text()[:40]).encode()
        if field == "n":
            return str(r.randint(-(2**63), 2**63 - 1)).encode()
        if field == "f":
            return repr(r.choice([r.uniform(-1e300, 1e300), r.random(), float(r.randint(-99, 99))])).encode()
        if field == "flag":
            return r.choice([b"true", b"false", b"1", b"0", b'"yes"', b'"off"'])
        if field == "amount":
            return r.choice([b'"1.50"', b"2.25", b'"-0.000001"', b'"1e40"', b'"12345678901234567890.123"'])
        if field == "at":
            return r.choice(
                [
                    b'"2024-05-01T10:00:00Z"',
                    b'"2024-05-01T10:00:00+05:30"',
                    b'"2024-05-01T10:00:00"',
                    b'"9999-12-31T23:59:59Z"',
                    b'"0001-01-01T00:00:00Z"',
                    b"1714557600",
                    b'"yesterday"',
                ]
            )
        items = [json.dumps(self.text()[:10]).encode() for _ in range(r.randint(0, 3))]
        return b"[" + b", ".join(items) + b"]"

    def document(self, *, fields: list[str] | None = None) -> bytes:
        """One JSON object (or, rarely, something that is not one)."""
        r = self.r
        if r.random() < 0.03:
            return r.choice([b"", b"null", b"[]", b"1", b'"doc"', b"{", b"{}}", b"\xff\xfe{}", b'{"name": }'])
        chosen = fields if fields is not None else r.sample(FIELDS, r.randint(0, len(FIELDS)))
        parts = [json.dumps(f).encode() + b": " + self.value(f) for f in chosen]
        if r.random() < 0.08:
            parts.append(
                json.dumps(
                    r.choice(
                        ["id", "ID", "unknown", "_connector", "name ", "__class__", "a" * 300, "n\x00", ""]
                    )
                ).encode()
                + b": 1"
            )
        r.shuffle(parts)
        return b"{" + b", ".join(parts) + b"}"


# --- the checks ----------------------------------------------------------------------------------
def _count(db: Database) -> int:
    n = db.execute("SELECT count(*) FROM fuzz_rows").scalar()
    assert isinstance(n, int)
    return n


def _raw(db: Database, pk: int) -> str:
    # repr: a stored NaN reads back as a new float object, and NaN != NaN
    return repr(db.execute("SELECT * FROM fuzz_rows WHERE id = ?", [pk]).rows)


def _same(a: Fuzz, b: Fuzz) -> bool:
    """Field-by-field equality where NaN equals NaN (PostgreSQL stores it; NaN != NaN in Python)."""
    for f in ("id", *FIELDS):
        x, y = getattr(a, f), getattr(b, f)
        if not (
            x == y
            or (isinstance(x, (float, Decimal)) and isinstance(y, (float, Decimal)) and x != x and y != y)
        ):
            return False
    return True


def _call(fn: Callable[[], Any], what: bytes | str) -> tuple[Any, TypedORMError | None]:
    """Run ``fn``: its result, or the TypedORMError it raised; anything else fails the test."""
    try:
        return fn(), None
    except TypedORMError as e:
        return None, e
    except BaseException as e:  # the point: nothing else may escape
        shown = what if len(what) < 300 else what[:300]
        pytest.fail(f"{type(e).__name__} escaped for {shown!r}: {e}")


def _summary(accepted: int, refused: dict[str, int]) -> str:
    return f"accepted {accepted}, refused {sum(refused.values())} ({dict(sorted(refused.items()))})"


def test_fuzz_insert_json(fuzz: Repository[Fuzz], db: Database) -> None:
    gen = Gen(f"insert_json-{SEED}")
    accepted, refused = 0, dict[str, int]()
    for _ in range(EXAMPLES):
        doc: bytes | str = gen.document()
        if gen.r.random() < 0.2:  # a str document: invalid UTF-8 becomes lone surrogates in it
            doc = doc.decode("utf-8", "surrogateescape")  # type: ignore[union-attr]
        before = _count(db)
        stored, err = _call(partial(fuzz.insert_json, doc), doc)
        if err is not None:
            refused[type(err).__name__] = refused.get(type(err).__name__, 0) + 1
            assert _count(db) == before, f"{type(err).__name__} for {doc[:200]!r}, yet a row was written"
            continue
        accepted += 1
        assert _count(db) == before + 1
        assert _same(fuzz.get_or_raise(stored.id), stored), doc[:200]
    print(_summary(accepted, refused))
    assert accepted >= EXAMPLES // 20 and refused, "the generator must produce both kinds"


def test_fuzz_insert_many_json(fuzz: Repository[Fuzz], db: Database) -> None:
    gen = Gen(f"insert_many_json-{SEED}")
    accepted, refused = 0, dict[str, int]()
    for i in range(EXAMPLES):
        docs = [gen.document() for _ in range(gen.r.randint(1, 4))]
        payload: Any = docs if i % 2 else b"[" + b", ".join(docs) + b"]"
        before = _count(db)
        stored, err = _call(partial(fuzz.insert_many_json, payload), repr(payload)[:300])
        if err is not None:
            refused[type(err).__name__] = refused.get(type(err).__name__, 0) + 1
            assert _count(db) == before, f"{type(err).__name__}, yet rows were written: {payload!r:.200}"
            continue
        accepted += 1
        assert _count(db) == before + len(docs)
        for s in stored:
            assert _same(fuzz.get_or_raise(s.id), s)
    print(_summary(accepted, refused))
    assert accepted >= EXAMPLES // 50 and refused


def test_fuzz_patch(fuzz: Repository[Fuzz], db: Database) -> None:
    gen = Gen(f"patch-{SEED}")
    target = fuzz.insert(Fuzz(name="target", note="kept", n=1, tags=["a"]))
    accepted, refused = 0, dict[str, int]()
    for _ in range(EXAMPLES):
        doc = gen.document(fields=gen.r.sample(FIELDS, gen.r.randint(0, 3)))
        payload: Any = doc
        if gen.r.random() < 0.2:  # a mapping instead of JSON text, when the document parses
            try:
                payload = json.loads(doc)
            except (ValueError, RecursionError):
                payload = doc
        before = _raw(db, target.id)
        stored, err = _call(partial(fuzz.patch, target.id, payload), repr(payload)[:300])
        if err is not None:
            refused[type(err).__name__] = refused.get(type(err).__name__, 0) + 1
            assert _raw(db, target.id) == before, (
                f"{type(err).__name__}, yet the row changed: {payload!r:.200}"
            )
            continue
        accepted += 1
        assert _same(fuzz.get_or_raise(target.id), stored), repr(payload)[:200]
    assert _count(db) == 1
    print(_summary(accepted, refused))
    assert accepted >= EXAMPLES // 20 and refused


LOOKUPS = [
    "",
    "__exact",
    "__gt",
    "__gte",
    "__lt",
    "__in",
    "__contains",
    "__icontains",
    "__startswith",
    "__isnull",
    "__range",
    "__iexact",
    "__endswith",
]


def _lookup_value(gen: Gen) -> Any:
    r = gen.r
    makers: list[Callable[[], Any]] = [
        lambda: r.randint(-(2**70), 2**70),
        lambda: r.uniform(-1e308, 1e308),
        lambda: float("nan"),
        lambda: gen.text(),
        lambda: "\ud800",
        lambda: "a\x00b",
        lambda: "x" * 10_000,
        lambda: [gen.text()],
        lambda: (1, 2),
        lambda: {"a": 1},
        lambda: b"\xff",
        lambda: None,
        lambda: True,
        lambda: dt.datetime(2024, 1, 1),
        lambda: Decimal("NaN"),
        lambda: object(),
        lambda: [1, [2, [3]]],
        lambda: set(),
        lambda: Fuzz(),
    ]
    return r.choice(makers)()


class Escapes:
    """Collects exceptions other than TypedORMError, grouped by type and lookup, for one report."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], tuple[int, str]] = {}

    def run(self, fn: Callable[[], Any], keys: list[str], shown: str) -> None:
        try:
            fn()
        except TypedORMError:
            pass
        except Exception as e:  # the point: nothing else may escape
            for key in keys:
                group = (type(e).__name__, "__" + key.split("__", 1)[1] if "__" in key else "(exact)")
                n, example = self.seen.get(group, (0, f"{shown}: {e}"[:240]))
                self.seen[group] = (n + 1, example)

    def report(self) -> str:
        return "\n".join(
            f"{n:4d} x {kind} with lookup {lk}, e.g. {ex}"
            for (kind, lk), (n, ex) in sorted(self.seen.items())
        )


def _count_by(repo: Repository[Fuzz], key: str, value: Any) -> int:
    return repo.filter_by(**{key: value}).count()


def test_fuzz_filter_by_values(fuzz: Repository[Fuzz], db: Database) -> None:
    gen = Gen(f"filter_by-{SEED}")
    fuzz.insert(Fuzz(name="alice", n=5, tags=["x"]))
    escapes = Escapes()
    for _ in range(EXAMPLES):
        key = gen.r.choice(["id", *FIELDS]) + gen.r.choice(LOOKUPS)
        value = _lookup_value(gen)
        escapes.run(partial(_count_by, fuzz, key, value), [key], f"filter_by({key}={value!r:.80})")
    assert _count(db) == 1
    assert not escapes.seen, "exceptions outside TypedORMError:\n" + escapes.report()


def test_fuzz_q_values(fuzz: Repository[Fuzz], db: Database) -> None:
    gen = Gen(f"Q-{SEED}")
    fuzz.insert(Fuzz(name="alice", n=5))
    escapes = Escapes()
    for _ in range(EXAMPLES):
        lookups = {
            gen.r.choice(FIELDS) + gen.r.choice(LOOKUPS): _lookup_value(gen)
            for _ in range(gen.r.randint(1, 3))
        }
        negate = gen.r.random() < 0.3

        def run(lk: dict[str, Any] = lookups, neg: bool = negate) -> Any:
            q = Q(**lk)
            return fuzz.filter(~q if neg else q | Q(id=1)).count()

        escapes.run(run, list(lookups), f"Q({lookups!r:.120})")
    assert _count(db) == 1
    assert not escapes.seen, "exceptions outside TypedORMError:\n" + escapes.report()
