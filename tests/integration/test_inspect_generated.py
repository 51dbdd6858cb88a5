"""What ``inspect`` generates: SQLite's declared types read back, and relationships for every key."""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, Column, Database, ForeignKey, Model, Repository, ValidationError, column
from typedorm.migrations import introspect
from typedorm.migrations.codegen import generate_models
from typedorm.migrations.reflect import sqlite_text_types
from typedorm.schema.relations import relation_spec, relations_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def load() -> Iterator[Any]:
    names: list[str] = []

    def _load(path: Path) -> ModuleType:
        name = f"generated_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield _load
    for n in names:
        sys.modules.pop(n, None)


def _mypy(path: Path, cache: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "--strict",
            "--cache-dir",
            str(cache),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


SQLITE_TYPES = """
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    taken_at DATETIME NOT NULL,
    logged TIMESTAMP,
    day DATE NOT NULL,
    tm TIME NOT NULL,
    ok BOOLEAN NOT NULL DEFAULT 0,
    amount NUMERIC(8,3) NOT NULL,
    total DECIMAL NOT NULL DEFAULT 0,
    uid UUID NOT NULL,
    meta JSON NOT NULL,
    raw BLOB,
    label VARCHAR(5) NOT NULL DEFAULT 'x',
    ratio DOUBLE NOT NULL
)
"""


def test_sqlite_declared_types_are_read_as_declared(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, load: Any
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'legacy.db'}")
    try:
        db.execute(SQLITE_TYPES)
        db.execute(
            "INSERT INTO readings (id, taken_at, logged, day, tm, ok, amount, total, uid, meta, raw, label, ratio) "
            "VALUES (1, '2023-06-07 08:09:10', NULL, '2023-06-07', '08:09:10', 1, 12.345, 100, "
            "'12345678-1234-5678-1234-567812345678', '{\"a\": [1, 2]}', X'00FF', 'abc', 0.25)"
        )
        source = generate_models(introspect(db), "sqlite")
        for line in (
            'taken_at: Annotated[Col[NaiveDateTime], Column(sql_type={"sqlite": "DATETIME"})]',
            'logged: Annotated[Col[NaiveDateTime | None], Column(sql_type={"sqlite": "TIMESTAMP"})] = column(default=None)',
            'day: Annotated[Col[datetime.date], Column(sql_type={"sqlite": "DATE"})]',
            'tm: Annotated[Col[datetime.time], Column(sql_type={"sqlite": "TIME"})]',
            'ok: Annotated[Col[bool], Column(server_default=SQL("0"))] = column(default=False)',
            'amount: Annotated[Col[decimal.Decimal], Column(max_digits=8, decimal_places=3, sql_type={"sqlite": "NUMERIC(8,3)"})]',
            'total: Annotated[Col[decimal.Decimal], Column(server_default=SQL("0"), sql_type={"sqlite": "DECIMAL"})] = column(default=decimal.Decimal("0"))',
            'uid: Annotated[Col[uuid.UUID], Column(sql_type={"sqlite": "UUID"})]',
            'meta: Annotated[Col[JsonModel[Any]], Column(sql_type={"sqlite": "JSON"})]',
            "raw: Col[bytes | None] = column(default=None)",
            'label: Annotated[Col[str], Column(max_length=5, server_default=SQL("\'x\'"), sql_type={"sqlite": "VARCHAR(5)"})] = column(default="x")',
            'ratio: Annotated[Col[float], Column(sql_type={"sqlite": "DOUBLE"})]',
        ):
            assert f"    {line}\n" in source, f"{line}\n---\n{source}"
        path = tmp_path / "readings_models.py"
        path.write_text(source, encoding="utf-8")
        _mypy(path, tmp_path_factory.getbasetemp() / "mypy-cache-generated")
        model: Any = load(path).Readings
        repo: Any = Repository(model, db)
        (row,) = repo.all()
        assert row.taken_at == dt.datetime(2023, 6, 7, 8, 9, 10) and row.taken_at.tzinfo is None
        assert row.day == dt.date(2023, 6, 7) and row.tm == dt.time(8, 9, 10)
        assert row.ok is True and row.amount == decimal.Decimal("12.345") and row.total == 100
        assert row.uid == uuid.UUID("12345678-1234-5678-1234-567812345678")
        assert row.meta == {"a": [1, 2]} and row.raw == b"\x00\xff" and row.ratio == 0.25
        # the Python-side defaults the table declares
        fresh = model(
            id=2,
            taken_at=dt.datetime(2024, 1, 1),
            day=dt.date(2024, 1, 1),
            tm=dt.time(1),
            amount=1,
            uid=uuid.uuid4(),
            meta={},
            ratio=1.0,
        )
        assert (fresh.ok, fresh.total, fresh.label) == (False, 0, "x")
        repo.insert(fresh)
        assert repo.get(2) == fresh
        # VARCHAR(5) is a limit the model keeps, though SQLite itself does not
        with pytest.raises(ValidationError, match="label"):
            repo.insert_json(
                b'{"id": 3, "taken_at": "2024-01-01T00:00:00", "day": "2024-01-01", "tm": "01:00:00", '
                b'"amount": "1", "uid": "12345678-1234-5678-1234-567812345679", "meta": {}, "ratio": 1, '
                b'"label": "toolong"}'
            )
    finally:
        db.close()


# --- relationship names ------------------------------------------------------------------------


class GUser(Model, table="g_users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class GPost(Model, table="g_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey("g_users.id")]
    reviewer_id: Annotated[Col[int | None], ForeignKey("g_users.id")] = column(default=None)
    author: Col[str]  # a column holding the name the relation would take
    datetime: Col[int] = column(default=0)  # a column shadowing a module the file imports
    created: Col[dt.datetime]


class GTag(Model, table="g_tags"):
    id: PK[int] = column(default=AUTO)
    label: Annotated[Col[str], Column(max_length=20)]


class GProfile(Model, table="g_profiles"):
    id: PK[int] = column(default=AUTO)
    user_id: Annotated[Col[int], Column(unique=True), ForeignKey("g_users.id")]


class GPostTag(Model, table="g_post_tags", unique=[("post_id", "tag_id")]):
    """A link table with a key of its own and an extra column."""

    id: PK[int] = column(default=AUTO)
    post_id: Annotated[Col[int], ForeignKey("g_posts.id", on_delete="cascade")]
    tag_id: Annotated[Col[int], ForeignKey("g_tags.id", on_delete="cascade")]
    weight: Col[int] = column(default=1)


def test_relationships_for_every_key(
    db: Database, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, load: Any
) -> None:
    db.create_all(GUser, GPost, GTag, GProfile, GPostTag)
    users = Repository(GUser, db)
    ann, bob = users.insert(GUser(name="Ann")), users.insert(GUser(name="Bob"))
    post = Repository(GPost, db).insert(
        GPost(
            author_id=ann.id, reviewer_id=bob.id, author="Ann", created=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        )
    )
    tag = Repository(GTag, db).insert(GTag(label="news"))
    Repository(GProfile, db).insert(GProfile(user_id=ann.id))
    Repository(GPostTag, db).insert(GPostTag(post_id=post.id, tag_id=tag.id, weight=5))

    source = generate_models(introspect(db), db.dialect.name)
    path = tmp_path / f"rel_models_{db.dialect.name}.py"
    path.write_text(source, encoding="utf-8")
    module = load(path)
    got = {
        (cls.__name__, name, relation_spec(cls, name).kind, relation_spec(cls, name).target.__name__)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Model) and cls.__module__ == module.__name__
        for name in relations_of(cls)
    }
    assert got == {
        # the column "author" keeps its name: the relation through author_id takes another
        ("GPosts", "author_rel", "many_to_one", "GUsers"),
        ("GPosts", "reviewer", "many_to_one", "GUsers"),
        ("GUsers", "g_posts_by_author", "one_to_many", "GPosts"),
        ("GUsers", "g_posts_by_reviewer", "one_to_many", "GPosts"),
        # a unique key: one-to-one
        ("GProfiles", "user", "many_to_one", "GUsers"),
        ("GUsers", "g_profiles", "one_to_one", "GProfiles"),
        # the link table, with its own key, is the through= model of a many-to-many
        ("GPostTags", "post", "many_to_one", "GPosts"),
        ("GPostTags", "tag", "many_to_one", "GTags"),
        ("GPosts", "g_post_tags", "one_to_many", "GPostTags"),
        ("GTags", "g_post_tags", "one_to_many", "GPostTags"),
        ("GPosts", "g_tags", "many_to_many", "GTags"),
        ("GTags", "g_posts", "many_to_many", "GPosts"),
    }
    # renamed: "datetime" is a module the generated files import
    assert '    datetime_: Annotated[Col[int], Column(name="datetime")]' in source
    assert source.index("class GPostTags(") < min(source.index("class GPosts("), source.index("class GTags("))

    posts: Any = module.GPosts
    g_users: Any = module.GUsers
    (p,) = Repository(posts, db).load(posts.author_rel, posts.reviewer, posts.g_tags).all()
    assert (p.author, p.author_rel.name, p.reviewer.name) == ("Ann", "Ann", "Bob")
    assert [t.label for t in p.g_tags] == ["news"]
    (u,) = (
        Repository(g_users, db)
        .load(g_users.g_profiles, g_users.g_posts_by_author)
        .filter_by(name="Ann")
        .all()
    )
    assert u.g_profiles is not None and u.g_profiles.user_id == ann.id
    assert [x.id for x in u.g_posts_by_author] == [post.id]
    assert Repository(g_users, db).filter(g_users.g_posts_by_reviewer.any()).count() == 1
    if db.dialect.name == "sqlite":
        _mypy(path, tmp_path_factory.getbasetemp() / "mypy-cache-generated")


# --- tables typedorm itself created on SQLite: TEXT columns typed by their values --------------


class Ledger(Model, table="ledger"):
    id: PK[int] = column(default=AUTO)
    at: Col[dt.datetime]
    day: Col[dt.date]
    tm: Col[dt.time]
    uid: Col[uuid.UUID]
    amount: Col[decimal.Decimal]
    code: Col[str]  # zip-code-like text stays text
    note: Col[str | None] = column(default=None)


def test_sqlite_tables_typedorm_created_come_back_typed(tmp_path: Path, load: Any) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    db = Database(url)
    try:
        db.create_all(Ledger)
        repo = Repository(Ledger, db)
        rows = [
            repo.insert(
                Ledger(
                    at=dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=dt.UTC),
                    day=dt.date(2024, 5, 6),
                    tm=dt.time(7, 8, 9),
                    uid=uuid.uuid4(),
                    amount=decimal.Decimal("12.50"),
                    code="01234",
                )
            ),
            repo.insert(
                Ledger(
                    at=dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
                    day=dt.date(1999, 1, 1),
                    tm=dt.time(0),
                    uid=uuid.uuid4(),
                    amount=decimal.Decimal("-3"),
                    code="99",
                    note="x",
                )
            ),
        ]
        out = tmp_path / "ledger_models.py"
        proc = subprocess.run(
            [sys.executable, "-m", "typedorm.cli", "inspect", url, "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        source = out.read_text(encoding="utf-8")
        for line in (
            "at: Col[datetime.datetime]",
            "day: Col[datetime.date]",
            "tm: Col[datetime.time]",
            "uid: Col[uuid.UUID]",
            "amount: Col[decimal.Decimal]",
            "code: Col[str]",
            "note: Col[str | None] = column(default=None)",
        ):
            assert f"    {line}\n" in source, f"{line}\n---\n{source}"
        model: Any = load(out).Ledger
        got = Repository(model, db).all()
        assert [r.model_dump() for r in got] == [r.model_dump() for r in rows]
    finally:
        db.close()


def test_sqlite_datetime_column_with_offsets_is_aware(tmp_path: Path, load: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'events.db'}")
    try:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME NOT NULL, seen TIMESTAMP)")
        db.execute(
            "INSERT INTO events (id, at, seen) VALUES (1, '2024-01-02 03:04:05+02:00', '2024-01-02 03:04:05'), "
            "(2, '2024-01-02T01:04:05Z', NULL)"
        )
        source = generate_models(introspect(db), "sqlite", text_types=sqlite_text_types(db, introspect(db)))
        assert (
            '    at: Annotated[Col[datetime.datetime], Column(sql_type={"sqlite": "DATETIME"})]\n' in source
        )
        assert (
            '    seen: Annotated[Col[NaiveDateTime | None], Column(sql_type={"sqlite": "TIMESTAMP"})]'
            in source
        )
        path = tmp_path / "events_models.py"
        path.write_text(source, encoding="utf-8")
        model: Any = load(path).Events
        repo: Any = Repository(model, db)
        first, second = repo.all()
        assert first.at == second.at == dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.UTC)
        assert first.seen == dt.datetime(2024, 1, 2, 3, 4, 5) and first.seen.tzinfo is None
        repo.update(first)
        assert repo.get(1) == first
    finally:
        db.close()
