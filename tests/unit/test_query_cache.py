"""The query cache without a database: the row codec, MemoryCache's bounds, what a statement reads
and what a write changes."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from decimal import Decimal
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, ForeignKey, Model, Rel, RelList, column, relation, select
from typedorm.cache import MemoryCache, RedisCache
from typedorm.cache.base import MISS
from typedorm.cache.codec import Unencodable, decode_payload, encode_payload
from typedorm.cache.hook import EVERY_TABLE, CacheHook, cascade_targets, reads_of
from typedorm.dialects import get_dialect
from typedorm.errors import InvalidArgument
from typedorm.sql.relations import build_load_plan


class UAuthor(Model, table="u_authors"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    books: RelList[UBook] = relation()


class UBook(Model, table="u_books"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(UAuthor.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[UAuthor] = relation()
    tags: RelList[UTag] = relation(through="u_book_tags")


class UTag(Model, table="u_tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class UReview(Model, table="u_reviews"):
    id: PK[int] = column(default=AUTO)
    book_id: Annotated[Col[int | None], ForeignKey(UBook.id, on_delete="set null")] = column(default=None)


class UAudit(Model, table="u_audit"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(UAuthor.id)]  # no action: a delete is refused, nothing changes


# --- codec --------------------------------------------------------------------------------------
def test_codec_round_trips_driver_values_exactly() -> None:
    rows = [
        (
            1,
            "x",
            None,
            True,
            1.5,
            float("inf"),
            Decimal("1.10"),
            dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
            dt.date(2024, 1, 2),
            dt.time(1, 2, 3),
            dt.timedelta(days=1, seconds=2, microseconds=3),
            b"\x00\xff",
            uuid.UUID(int=5),
            {"a": [1, {"b": None}]},
            [1, "2"],
            (3, 4),
        )
    ]
    data = json.loads(json.dumps(encode_payload(rows), allow_nan=False))
    back = decode_payload(data)
    assert back == rows
    assert [type(v) for v in back[0]] == [type(v) for v in rows[0]]


def test_codec_refuses_unknown_types_and_malformed_entries() -> None:
    with pytest.raises(Unencodable):
        encode_payload([(object(),)])
    for bad in ([{"X": 1}], [[{"__class__": "os.system"}]], [[[1]]], "x", [[{"D": "1", "T": "2"}]]):
        with pytest.raises(ValueError):
            decode_payload(bad)


# --- MemoryCache --------------------------------------------------------------------------------
def _rows(c: MemoryCache, key: str) -> Any:
    """What a caller gets from the entry under ``key`` (the rows, as the hook serves them)."""
    found = c._lookup("ns", key, ["t"])[0]
    return MISS if found is MISS else CacheHook.serve(found, None)


def test_memory_cache_lru_bounds_and_ttl() -> None:
    c = MemoryCache(max_entries=2, max_bytes=10_000)
    snap = (0, (0,))
    for k in ("a", "b", "c"):
        c._store("ns", k, snap, [(k,)], None)
    assert c._lookup("ns", "a", ["t"])[0] is MISS  # least recently used went first
    assert _rows(c, "c") == [("c",)]
    s = c.stats()
    assert s.evictions == 1 and s.entries == 2 and s.bytes > 0
    small = MemoryCache(max_entries=100, max_bytes=2_000)
    for i in range(50):
        small._store("ns", i, snap, [("x" * 100,)], None)
    assert small.stats().bytes <= 2_000 and small.stats().evictions > 0
    ttl = MemoryCache()
    ttl._store("ns", "k", snap, [(1,)], 0.01)
    time.sleep(0.03)
    assert ttl._lookup("ns", "k", ["t"])[0] is MISS


def test_memory_cache_forgets_row_generations_safely() -> None:
    c = MemoryCache()
    c._max_generations = 4
    names = ["t\x00*", "t\x00=1"]
    _, before = c._lookup("ns", "k", names)  # a reader starts, then row 1 is written...
    assert before is not None
    c._bump("ns", ["t", "t\x00=1", "t\x00=2"])
    c._store("ns", "k", before, [("old",)], None)  # ...and the reader stores what it read before
    assert c._lookup("ns", "k", names)[0] is MISS
    c._store("ns", "k", before, [("old",)], None)
    c._bump("ns", ["u\x00=1", "u\x00=2", "u\x00=3"])  # over the bound: row generations dropped
    assert not [k for k in c._gens if "\x00=" in k[1]]
    # row 1 reads as generation 0 again, as when the stale entry was read: the table's keyed-write
    # generation moved instead, so that entry never matches
    assert c._lookup("ns", "k", names)[0] is MISS


def test_memory_cache_generations_and_fresh_values() -> None:
    c = MemoryCache()
    found, snap = c._lookup("ns", "k", ["t"])
    assert found is MISS and snap is not None
    c._store("ns", "k", snap, [({"a": [1]},)], None)
    hit = _rows(c, "k")
    hit[0][0]["a"].append(2)  # a caller mutating its result
    assert _rows(c, "k") == [({"a": [1]},)]
    c._bump("ns", ["other"])
    assert c._lookup("ns", "k", ["t"])[0] is not MISS
    c._bump("ns", ["t"])
    assert c._lookup("ns", "k", ["t"])[0] is MISS
    c._store("ns", "k", snap, [(1,)], None)  # stored under the old generation: never served
    assert c._lookup("ns", "k", ["t"])[0] is MISS
    _, snap = c._lookup("ns", "k", ["t"])
    assert snap is not None
    c._store("ns", "k", snap, [(1,)], None)
    c._bump("ns", None)  # every table
    assert c._lookup("ns", "k", ["t"])[0] is MISS


def test_bad_cache_arguments_name_the_argument() -> None:
    for kwargs, arg in (
        ({"max_entries": 0}, "max_entries"),
        ({"max_bytes": -1}, "max_bytes"),
        ({"default_ttl": 0}, "default_ttl"),
    ):
        with pytest.raises(InvalidArgument) as e:
            MemoryCache(**kwargs)  # type: ignore[arg-type]
        assert e.value.argument == arg
    with pytest.raises(InvalidArgument) as e:
        RedisCache("http://x")
    assert e.value.argument == "url"
    with pytest.raises(InvalidArgument) as e:
        RedisCache(timeout=0)
    assert e.value.argument == "timeout"
    for kwargs, arg in (
        ({"local_entries": -1}, "local_entries"),
        ({"local_entries": True}, "local_entries"),
        ({"local_entries": 1.5}, "local_entries"),
        ({"row_ttl": 0}, "row_ttl"),
        ({"row_ttl": "1"}, "row_ttl"),
    ):
        with pytest.raises(InvalidArgument) as e:
            RedisCache(**kwargs)  # type: ignore[arg-type]
        assert e.value.argument == arg


def test_keys_keep_parameter_types_apart() -> None:
    c = MemoryCache()
    keys = {c._key("ns", "SELECT ?", [v], "s") for v in (1, 1.0, True, "1", Decimal(1))}
    assert len(keys) == 5
    r = RedisCache(prefix="p")
    rkeys = {r._key("ns", "SELECT ?", [v], "s") for v in (1, 1.0, True, "1", Decimal(1))}
    assert len(rkeys) == 5 and all(k.startswith("p:ns:v:") for k in rkeys)
    assert r._key("ns", "SELECT ?", [1], "s") != r._key("ns", "SELECT ?", [1], "s2")  # schema version
    assert r._key("ns", "SELECT ?", [1], "s") != r._key("ns", "SELECT ? ", [1], "s")  # statement
    many = {
        r._key("ns", "SELECT ?, ?", list(v), "s") for v in ((1, 2), (2, 1), (1, "2"), ("1", 2), (12, None))
    }
    assert len(many) == 5 and len(many | rkeys) == 10


# --- what a statement reads -----------------------------------------------------------------------
def test_reads_follow_joins_subqueries_relations_and_link_tables() -> None:
    assert reads_of(select(UAuthor.id)).names == ("u_authors",)
    has = select(UBook.id).where(UBook.author.has(UAuthor.name == "x"))
    assert reads_of(has).names == ("u_authors", "u_books")
    tagged = select(UBook.id).where(UBook.tags.any(UTag.name == "t"))
    assert reads_of(tagged).names == ("u_book_tags", "u_books", "u_tags")
    loads = build_load_plan(UAuthor, (UAuthor.books, UBook.tags))
    assert reads_of(select(UAuthor.id), loads).names == ("u_authors", "u_book_tags", "u_books", "u_tags")
    sub = select(UAuthor.id).where(UAuthor.id.in_(select(UBook.author_id)))  # type: ignore[attr-defined]
    assert "u_books" in reads_of(sub).names
    assert reads_of(UAuthor).schema != reads_of(UBook).schema


def test_writes_reach_cascade_targets() -> None:
    assert cascade_targets("u_authors") >= {"u_authors", "u_books", "u_reviews"}
    assert "u_audit" not in cascade_targets("u_authors")
    assert cascade_targets("u_tags") >= {"u_tags", "u_book_tags"}  # the generated link table cascades
    assert cascade_targets("u_reviews") == {"u_reviews"}


def test_statement_kinds_and_transaction_plans() -> None:
    hook = CacheHook(MemoryCache(), "ns", get_dialect("postgresql"))
    assert not hook.writes("SELECT 1") and not hook.writes("  select * from t")
    assert hook.writes("INSERT INTO t VALUES (1)") and hook.writes("WITH x AS (DELETE FROM t) SELECT 1")
    assert hook.tables(None) is None
    with pytest.raises(InvalidArgument):
        hook.tables("u_books")

    class State:
        isolation = None
        written: set[str] | None = None

    reads = reads_of(UBook)
    st = State()
    assert hook.plan(None, reads, False) == 2  # fill
    assert hook.plan(st, reads, False) == 2  # read committed, nothing written
    hook.note(st, frozenset({"u_tags"}))
    assert hook.plan(st, reads, False) == 1  # read, never store
    hook.note(st, frozenset({"u_books"}))
    assert hook.plan(st, reads, False) == 0  # read your writes
    st2 = State()
    hook.note(st2, None)
    assert EVERY_TABLE in (st2.written or ()) and hook.plan(st2, reads, False) == 0
    st3 = State()
    st3.isolation = "repeatable read"  # type: ignore[assignment]
    assert hook.plan(st3, reads, False) == 0 and hook.plan(st3, reads, True) == 2
    mysql = CacheHook(MemoryCache(), "ns", get_dialect("mysql"))
    assert mysql.plan(State(), reads, False) == 0  # MySQL's default is repeatable read


def test_table_names_given_to_the_cache_are_identifiers_named_by_argument() -> None:
    from typedorm import Database, InvalidArgument

    db = Database("sqlite:///:memory:", cache=MemoryCache())
    try:
        with pytest.raises(InvalidArgument, match="touches= takes table names") as e:
            db.execute("SELECT 1", touches=["users; DROP TABLE users"])
        assert e.value.argument == "touches"
        with pytest.raises(InvalidArgument, match="tables= takes table names or table models") as e:
            db.invalidate_cache(42)  # type: ignore[arg-type]
        assert e.value.argument == "tables"
        db.execute("SELECT 1", touches=["users"])  # a plain name is taken
    finally:
        db.close()
