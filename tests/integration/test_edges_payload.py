"""Trust at the edges, payload side: hostile JSON, text every backend can store, keyed text limits,
explicit keys and identity sequences, read-only database-assigned fields, strict models."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any

import pydantic
import pytest

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Column,
    Database,
    Model,
    Repository,
    TypedORMError,
    UnknownField,
    ValidationError,
    column,
)
from typedorm.engine.url import URL


class Note(Model, table="edge_notes"):
    id: PK[int] = column(default=AUTO)
    title: Col[str] = column(default="t")
    note: Col[str | None] = column(default=None)
    n: Col[int] = column(default=0)
    code: Annotated[Col[str | None], Column(unique=True)] = column(default=None)
    tag: Annotated[Col[str], Column(index=True)] = column(default="x")
    body: Col[str] = column(default="")
    stamp: Col[int] = column(default=AUTO, server_default="7")


class Pair(Model, table="edge_pairs", unique=[("a", "b")]):
    id: PK[int] = column(default=AUTO)
    a: Col[str]
    b: Col[str]


class Strict(Model, table="edge_strict", strict=True):
    id: PK[int] = column(default=AUTO)
    n: Col[int] = column(default=0)
    flag: Col[bool] = column(default=False)
    at: Col[dt.datetime | None] = column(default=None)


class Lax(Model, table="edge_lax"):
    id: PK[int] = column(default=AUTO)
    n: Col[int] = column(default=0)
    flag: Col[bool] = column(default=False)


@pytest.fixture
def notes(db: Database) -> Iterator[Repository[Note]]:
    db.create_all(Note, Pair, Strict, Lax)
    yield Repository(Note, db)


def _count(db: Database, table: str = "edge_notes") -> int:
    n = db.execute(f"SELECT count(*) FROM {table}").scalar()
    assert isinstance(n, int)
    return n


def _raw_note(db: Database, pk: int) -> Any:
    return db.execute("SELECT note FROM edge_notes WHERE id = ?", [pk]).scalar()


# --- 1. every JSON entry point parses through Pydantic: hostile JSON is a ValidationError ---------
HOSTILE_JSON = [
    pytest.param(b'{"note": "\xff"}', id="invalid-utf8"),
    pytest.param(b'{"note": "a\xc3"}', id="truncated-utf8"),
    pytest.param(b'{"n": 1' + b"0" * 5000 + b"}", id="5000-digit-int"),
    pytest.param(b'{"note": ' + b"[" * 5000 + b"]" * 5000 + b"}", id="deep-arrays"),
    pytest.param(b'{"note": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2000 + b"}", id="deep-objects"),
    pytest.param(b'{"note": "\\ud800"}', id="lone-surrogate-escape"),
    pytest.param(b'{"note": "\\udc00x"}', id="lone-low-surrogate-escape"),
    pytest.param('{"note": "a\ud800"}', id="lone-surrogate-in-str"),
    pytest.param(b'{"note": "a\\u0000b"}', id="nul-escape"),
    pytest.param(b'{"n": 1e400}', id="float-overflow"),
    pytest.param(b'{"n": NaN}', id="nan"),
    pytest.param(b'{"note": "x"', id="truncated"),
    pytest.param(b"[1, 2]", id="not-an-object"),
    pytest.param(b"", id="empty"),
]


@pytest.mark.parametrize("payload", HOSTILE_JSON)
def test_patch_hostile_json_is_a_validation_error_and_writes_nothing(
    notes: Repository[Note], db: Database, payload: bytes | str
) -> None:
    row = notes.insert(Note(note="kept"))
    with pytest.raises(ValidationError) as ei:
        notes.patch(row.id, payload)
    assert ei.value.model == "Note"
    assert ei.value.errors(), "the error carries Pydantic's error list"
    assert _raw_note(db, row.id) == "kept"
    assert notes.get_or_raise(row.id) == row


@pytest.mark.parametrize("payload", HOSTILE_JSON)
def test_insert_json_entry_points_refuse_hostile_json(
    notes: Repository[Note], db: Database, payload: bytes | str
) -> None:
    with pytest.raises(ValidationError):
        notes.insert_json(payload)
    with pytest.raises(ValidationError):
        notes.insert_many_json([payload])
    if payload:  # "[]" is a valid (empty) array
        as_array = (b"[" + payload + b"]") if isinstance(payload, bytes) else "[" + payload + "]"
        with pytest.raises(ValidationError):
            notes.insert_many_json(as_array)
    assert _count(db) == 0


def test_patch_json_errors_name_the_field(notes: Repository[Note], db: Database) -> None:
    row = notes.insert(Note())
    with pytest.raises(ValidationError) as ei:
        notes.patch(row.id, b'{"note": "ok", "n": "many"}')
    assert ei.value.fields == ("n",)
    with pytest.raises(UnknownField) as uf:
        notes.patch(row.id, b'{"nope": 1}')
    assert uf.value.field == "nope"
    assert notes.get_or_raise(row.id) == row


# --- text every backend can store: NUL and lone surrogates are refused at validation -------------
@pytest.mark.parametrize(
    "bad", ["\ud800", "x\udfffy", "a\x00b", "\x00"], ids=["high", "low", "nul", "only-nul"]
)
def test_bad_text_is_refused_at_validation_on_every_path(
    notes: Repository[Note], db: Database, bad: str
) -> None:
    # From Python objects: the model itself refuses it (Pydantic's error, naming the field).
    with pytest.raises(pydantic.ValidationError) as pe:
        Note(note=bad)
    assert [e["loc"] for e in pe.value.errors()] == [("note",)]
    row = notes.insert(Note(note="kept"))
    # From mappings and assignments: a ValidationError naming the field.
    calls: list[Callable[[], object]] = [
        lambda: notes.patch(row.id, {"note": bad}),
        lambda: notes.update(Note.id == row.id, Note.note.set(bad)),
        lambda: notes.filter(Note.id == row.id).update(Note.title.set(bad)),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as ei:
            call()
        assert ei.value.fields in (("note",), ("title",))
    # From JSON text, escaped (\u0000, \ud800) or as the character itself in a str document.
    # NUL is valid JSON and is refused by the field's rule; a lone surrogate is not valid
    # JSON text at all, so the parser refuses the document and says where.
    for doc in (json.dumps({"note": bad}), json.dumps({"note": bad}, ensure_ascii=False)):
        json_calls: list[Callable[[], object]] = [
            partial(notes.insert_json, doc),
            partial(notes.insert_many_json, [doc]),
            partial(notes.insert_many_json, "[" + doc + "]"),
            partial(notes.patch, row.id, doc),
        ]
        for call in json_calls:
            with pytest.raises(ValidationError) as ei:
                call()
            if "\x00" in bad:
                assert ei.value.fields == ("note",)
                assert "NUL" in str(ei.value)
            else:
                assert ei.value.errors()[0]["type"] in ("json_invalid", "string_unicode")
    assert _count(db) == 1
    assert _raw_note(db, row.id) == "kept"


def test_a_user_pattern_does_not_lift_the_text_rules(db: Database) -> None:
    class Patterned(Model, table="edge_patterned"):
        id: PK[int] = column(default=AUTO)
        s: Col[str] = column(pattern=r"^.*$")

    with pytest.raises(pydantic.ValidationError):
        Patterned(s="a\x00b")
    with pytest.raises(pydantic.ValidationError):
        Patterned(s="\ud800")
    assert Patterned(s="fine").s == "fine"


def test_rows_already_holding_nul_still_load(notes: Repository[Note], db: Database) -> None:
    # Written before the rule, or by other programs: reads are not held to the input rules.
    if db.dialect.name == "postgresql":
        pytest.skip("PostgreSQL text cannot hold NUL at all")
    db.execute(
        "INSERT INTO edge_notes (title, note, n, tag, body, stamp) VALUES (?, ?, 0, 'x', '', 7)",
        ["legacy", "a\x00b"],
    )
    (row,) = notes.filter_by(title="legacy").all()
    assert row.note == "a\x00b"
    assert notes.get_or_raise(row.id) == row
    with pytest.raises(ValidationError):  # writing it again is held to the rule
        notes.patch(row.id, {"n": 1})


# --- 2. one model, one set of limits on every backend ----------------------------------------------
def test_keyed_text_without_max_length_holds_255_characters_everywhere(
    notes: Repository[Note], db: Database
) -> None:
    at_limit = "é" * 255
    stored = notes.insert(Note(code=at_limit, tag="t" * 255))
    assert notes.get_or_raise(stored.id).code == at_limit
    for field, value in (("code", "c" * 256), ("tag", "t" * 256), ("code", "x" * 1_000_000)):
        with pytest.raises(ValidationError) as ei:
            notes.insert_json(json.dumps({field: value}))
        assert ei.value.fields == (field,)
        with pytest.raises(ValidationError) as ei:
            notes.patch(stored.id, {field: value})
        assert ei.value.fields == (field,)
    pairs = Repository(Pair, db)
    pairs.insert(Pair(a="a" * 255, b="b" * 255))
    with pytest.raises(ValidationError):
        pairs.insert_json(json.dumps({"a": "a" * 256, "b": "b"}))
    assert _count(db) == 1
    assert _count(db, "edge_pairs") == 1


def test_keyed_text_limit_is_in_the_json_schema_and_matches_the_mysql_column() -> None:
    props = Note.model_json_schema()["properties"]
    assert props["tag"]["maxLength"] == 255
    assert "maxLength" not in props["body"]
    assert "pattern" not in props["body"]  # the NUL rule is not part of the documented shape
    spec = Note.__table__.by_field
    assert spec["tag"].sql_type("mysql") == "VARCHAR(255)"
    assert spec["code"].sql_type("mysql") == "VARCHAR(255)"


@pytest.mark.parametrize("size", [70_000, 2_000_000], ids=["over-64k", "2mb"])
def test_unkeyed_text_holds_the_same_sizes_on_every_backend(notes: Repository[Note], size: int) -> None:
    assert Note.__table__.by_field["body"].sql_type("mysql") == "LONGTEXT"  # not TEXT (64 KB)
    text = ("0123456789abcdef" * (size // 16 + 1))[:size]
    stored = notes.insert_json(json.dumps({"body": text}))
    assert notes.get_or_raise(stored.id).body == text
    assert notes.patch(stored.id, {"body": text + "!"}).body == text + "!"
    assert notes.get_or_raise(stored.id).body == text + "!"


# --- 3. explicit keys do not break the key generator; AUTO fields are read-only in payloads ------
def _plain(repo: Repository[Note], n: int) -> list[int]:
    return [repo.insert(Note(title=f"plain {i}")).id for i in range(n)]


def test_explicit_key_through_insert_json_then_plain_inserts(notes: Repository[Note], db: Database) -> None:
    assert notes.insert_json(b'{"id": 2, "title": "imported"}', allow_auto=True).id == 2
    assert _plain(notes, 2) == [3, 4]
    assert _count(db) == 3


def test_explicit_keys_every_write_path(notes: Repository[Note], db: Database) -> None:
    notes.insert(Note(id=10, title="insert"))
    assert _plain(notes, 1) == [11]
    notes.insert_many([Note(id=20, title="many"), Note(id=21, title="many")])
    assert _plain(notes, 1) == [22]
    notes.upsert(Note(id=30, title="upsert"))
    assert _plain(notes, 1) == [31]
    notes.save(Note(id=40, title="save"))
    assert _plain(notes, 1) == [41]
    notes.insert_many_json(b'[{"id": 50}, {"id": 51}]', allow_auto=True)
    assert _plain(notes, 1) == [52]
    # explicit and database-assigned keys in one call: the assigned ones skip the explicit ones
    mixed = notes.insert_many([Note(title="auto"), Note(id=60, title="explicit"), Note(title="auto")])
    assert mixed[1].id == 60
    assert len({m.id for m in mixed}) == 3
    assert _plain(notes, 1)[0] > 60
    ids = [r[0] for r in db.execute("SELECT id FROM edge_notes").rows]
    assert len(ids) == len(set(ids)) == 16


def test_explicit_keys_then_a_bulk_insert_of_assigned_keys(notes: Repository[Note], db: Database) -> None:
    # 100 rows: on PostgreSQL the assigned keys come from the sequence and go in by COPY.
    notes.insert_many([Note(id=i, title="explicit") for i in range(1, 101)])
    stored = notes.insert_many([Note(title="bulk") for _ in range(100)])
    assert [s.id for s in stored] == list(range(101, 201))
    assert _count(db) == 200
    assert notes.insert(Note()).id == 201


def test_the_key_generator_never_moves_backwards(notes: Repository[Note]) -> None:
    ids = _plain(notes, 5)
    assert ids == [1, 2, 3, 4, 5]
    notes.insert(Note(id=-3, title="negative key"))
    notes.insert(Note(id=2_000_000_000_000, title="big key"))
    assert _plain(notes, 1) == [2_000_000_000_001]


@pytest.mark.parametrize(
    ("call", "loc"),
    [
        pytest.param(lambda r: r.insert_json(b'{"id": 5000, "title": "mine"}'), ("id",), id="insert_json"),
        pytest.param(lambda r: r.insert_json(b'{"stamp": 1}'), ("stamp",), id="server-default"),
        pytest.param(
            lambda r: r.insert_many_json(b'[{"title": "a"}, {"id": 9}]'), (1, "id"), id="many-array"
        ),
        pytest.param(
            lambda r: r.insert_many_json([b'{"title": "a"}', b'{"id": 9}']), (1, "id"), id="many-docs"
        ),
    ],
)
def test_auto_fields_are_read_only_in_payloads(
    notes: Repository[Note], db: Database, call: Any, loc: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as ei:
        call(notes)
    assert [e["loc"] for e in ei.value.errors()] == [loc]
    assert ei.value.errors()[0]["type"] == "frozen_field"
    assert "allow_auto=True" in str(ei.value)
    assert _count(db) == 0


def test_patch_treats_auto_fields_as_read_only_unless_allowed(notes: Repository[Note], db: Database) -> None:
    row = notes.insert(Note())
    assert row.stamp == 7
    with pytest.raises(ValidationError) as ei:
        notes.patch(row.id, b'{"stamp": 9}')
    assert ei.value.fields == ("stamp",)
    with pytest.raises(ValidationError):
        notes.patch(row.id, {"id": 99}, allow_auto=True)  # the primary key is never patchable
    assert notes.get_or_raise(row.id).stamp == 7
    assert notes.patch(row.id, b'{"stamp": 9}', allow_auto=True).stamp == 9
    assert db.execute("SELECT stamp FROM edge_notes WHERE id = ?", [row.id]).scalar() == 9


def test_allow_auto_is_keyword_only_and_never_read_from_the_payload(
    notes: Repository[Note], db: Database
) -> None:
    with pytest.raises(TypeError):
        notes.insert_json(b'{"id": 1}', True)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        notes.insert_json(b'{"id": 1, "allow_auto": true}')
    assert _count(db) == 0


# --- 4. strict models ------------------------------------------------------------------------------
def test_strict_model_refuses_coercion_on_every_entry_point(notes: Repository[Note], db: Database) -> None:
    strict = Repository(Strict, db)
    with pytest.raises(pydantic.ValidationError):
        Strict(n="12")  # type: ignore[arg-type]
    for bad in (b'{"n": "12"}', b'{"flag": "true"}', b'{"n": 1.5}'):
        with pytest.raises(ValidationError) as ei:
            strict.insert_json(bad)
        assert ei.value.fields in (("n",), ("flag",))
        with pytest.raises(ValidationError):
            strict.insert_many_json([bad])
    row = strict.insert_json(b'{"n": 12, "at": "2024-05-01T10:00:00Z"}')
    assert (row.n, row.at) == (12, dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as ei:
        strict.patch(row.id, b'{"n": "13"}')
    assert ei.value.fields == ("n",)
    with pytest.raises(ValidationError):
        strict.patch(row.id, {"n": "13"})
    # JSON has no datetime: strict JSON still takes ISO-8601 text, in patch as in insert_json.
    patched = strict.patch(row.id, b'{"at": "2025-01-02T03:04:05+01:00", "flag": true}')
    assert patched.at == dt.datetime(2025, 1, 2, 2, 4, 5, tzinfo=dt.UTC)
    assert strict.get_or_raise(row.id) == patched
    assert _count(db, "edge_strict") == 1


def test_lax_models_coerce_as_pydantic_does(db: Database, notes: Repository[Note]) -> None:
    lax = Repository(Lax, db)
    row = lax.insert_json(b'{"n": "12", "flag": "true"}')
    assert (row.n, row.flag) == (12, True)
    assert lax.patch(row.id, b'{"n": "13"}').n == 13
    assert lax.patch(row.id, {"n": "14"}).n == 14


def test_errors_from_entry_points_are_typedorm_errors(notes: Repository[Note]) -> None:
    row = notes.insert(Note())
    for payload in (b'{"note": "\xff"}', b"\xff\xfe", b'{"n": ' + b"9" * 5000 + b"}"):
        for call in (partial(notes.patch, row.id, payload), partial(notes.insert_json, payload)):
            with pytest.raises(TypedORMError):
                call()


# --- the same on AsyncRepository (generated from one source; checked once end to end) ------------
def test_async_entry_points_follow_the_same_rules(backend_url: URL, db: Database) -> None:
    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone; the mysql id covers it")

    async def main() -> None:
        adb = AsyncDatabase(backend_url)
        try:
            await adb.create_all(Note, Strict)
            anotes = AsyncRepository(Note, adb)
            with pytest.raises(ValidationError):
                await anotes.insert_json(b'{"id": 7, "title": "mine"}')
            assert (await anotes.insert_json(b'{"id": 7, "title": "imported"}', allow_auto=True)).id == 7
            assert (await anotes.insert(Note(title="next"))).id == 8
            stored = await anotes.insert_many([Note(id=i) for i in range(20, 90)])
            assert len(stored) == 70
            assert [n.id for n in await anotes.insert_many([Note() for _ in range(70)])] == list(
                range(90, 160)
            )
            with pytest.raises(ValidationError) as ei:
                await anotes.patch(7, b'{"note": "\xff"}')
            assert ei.value.model == "Note"
            with pytest.raises(ValidationError):
                await anotes.patch(7, {"note": "\ud800"})
            assert (await anotes.patch(7, b'{"note": "ok"}')).note == "ok"
            with pytest.raises(ValidationError):
                await AsyncRepository(Strict, adb).insert_json(b'{"n": "12"}')
            n = (await adb.execute("SELECT count(*) FROM edge_notes")).scalar()
            assert n == 142
        finally:
            await adb.close()

    asyncio.run(main())
