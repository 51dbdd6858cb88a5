"""``inspect`` round trips: database -> generated models -> create_all on an empty database -> same schema."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib.util
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, Col, Column, Database, ForeignKey, Model, column
from typedorm.migrations import Schema, introspect
from typedorm.migrations.codegen import generate_models
from typedorm.schema import CheckSpec, PasswordHash


class Color(enum.StrEnum):
    red = "red"
    green = "green"
    blue = "blue"


class Priority(enum.IntEnum):
    low = 1
    high = 2


class Author(Model, table="insp_authors"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[str], Column(unique=True)]
    bio: Col[str | None] = column(default=None)
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0, le=200)
    password: Col[PasswordHash | None] = column(default=None)


class Everything(
    Model, table="insp_everything", checks=[("ck_insp_everything_ratio_sane", "ratio < 1000000")]
):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey("insp_authors.id", on_delete="cascade")]
    editor_id: Annotated[Col[int | None], ForeignKey("insp_authors.id", on_delete="set null")] = column(
        default=None
    )
    flag: Col[bool]
    ratio: Col[float]
    price: Annotated[Col[decimal.Decimal], Column(max_digits=10, decimal_places=2)]
    amount: Col[decimal.Decimal]
    blob: Col[bytes]
    at: Col[datetime.datetime]
    day: Col[datetime.date]
    tm: Col[datetime.time]
    dur: Col[datetime.timedelta]
    uid: Col[uuid.UUID]
    color: Col[Color]
    prio: Col[Priority]
    data: Col[dict[str, Any]]
    tags: Col[list[str]]
    short: Annotated[Col[str], Column(min_length=2, max_length=20)]
    opt: Col[int | None] = column(default=None)
    counter: Annotated[Col[int], Column(server_default="7")] = column(default=AUTO)


class Pair(Model, table="insp_pairs", primary_key=("a", "b"), unique=[("b", "c")], indexes=[("c", "a")]):
    a: Annotated[Col[int], ForeignKey("insp_authors.id")]
    b: Annotated[Col[str], Column(max_length=30)]
    c: Col[int] = column(default=1)


MODELS: list[type[Model]] = [Author, Everything, Pair]

LEGACY = {
    "sqlite": "CREATE TABLE legacy (code VARCHAR(10) NOT NULL PRIMARY KEY, n SMALLINT NOT NULL DEFAULT 0, "
    "note TEXT, CONSTRAINT legacy_n_pos CHECK (n >= 0))",
    "postgresql": "CREATE TABLE legacy (code VARCHAR(10) NOT NULL PRIMARY KEY, n SMALLINT NOT NULL DEFAULT 0, "
    "note TEXT, CONSTRAINT legacy_n_pos CHECK (n >= 0))",
    "mysql": "CREATE TABLE legacy (code VARCHAR(10) NOT NULL PRIMARY KEY, n SMALLINT NOT NULL DEFAULT 0, "
    "note TEXT, CONSTRAINT legacy_n_pos CHECK (n >= 0)) ENGINE=InnoDB",
}


def summary(schema: Schema) -> dict[str, Any]:
    return {
        name: (t.columns, t.primary_key, t.indexes, t.foreign_keys, t.checks)
        for name, t in schema.tables.items()
    }


def _load(path: Path) -> list[type[Model]]:
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # as an import does: the generated module's annotations (and relationships) resolve in it
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return [
        v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Model) and v is not Model
    ]


def _mypy(path: Path, cache: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(cache),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _drop_tables(db: Database, names: list[str]) -> None:
    q = db.dialect.quote
    if db.dialect.name == "mysql":
        with db.transaction():
            db.execute("SET FOREIGN_KEY_CHECKS = 0")
            for n in names:
                db.execute(f"DROP TABLE {q(n)}")
            db.execute("SET FOREIGN_KEY_CHECKS = 1")
    else:
        for n in names:
            db.execute(f"DROP TABLE {q(n)}" + (" CASCADE" if db.dialect.name == "postgresql" else ""))


def test_inspect_round_trips_every_type(
    db: Database, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db.create_all(*MODELS)
    db.execute(LEGACY[db.dialect.name])
    before = introspect(db)
    assert set(before.tables) == {"insp_authors", "insp_everything", "insp_pairs", "legacy"}
    source = generate_models(before, db.dialect.name, source="the test database")
    path = tmp_path / f"generated_{db.dialect.name}.py"
    path.write_text(source, encoding="utf-8")

    generated = _load(path)
    assert {m.__table__.name for m in generated} == set(before.tables)
    _drop_tables(db, ["insp_pairs", "insp_everything", "insp_authors", "legacy"])
    assert introspect(db).tables == {}
    db.create_all(*generated)
    after = introspect(db)
    if db.dialect.name == "sqlite":
        # SQLite ignores VARCHAR(10): the model validates the length, and its table checks it too
        legacy = after.tables["legacy"]
        assert [ck for ck in legacy.checks if ck not in before.tables["legacy"].checks] == [
            CheckSpec("ck_legacy_code_t0", 'length("code") <= 10')
        ]
        after.tables["legacy"] = dataclasses.replace(
            legacy, checks=tuple(ck for ck in legacy.checks if ck.name != "ck_legacy_code_t0")
        )
    assert summary(after) == summary(before)

    # the generated source reads as typed models
    assert "class InspEverythingColor(enum.StrEnum):" in source
    assert "class InspEverythingPrio(enum.IntEnum):" in source
    assert 'primary_key=("a", "b")' in source
    assert 'ForeignKey("insp_authors.id", on_delete="cascade")' in source
    _mypy(path, tmp_path_factory.getbasetemp() / "mypy-cache")


def test_generated_models_validate_and_store_rows(db: Database, tmp_path: Path) -> None:
    from typedorm import Repository

    db.create_all(Author)
    path = tmp_path / "gen.py"
    path.write_text(generate_models(introspect(db), db.dialect.name), encoding="utf-8")
    (loaded,) = _load(path)
    gen_author: Any = loaded
    repo = Repository(gen_author, db)
    row = repo.insert(gen_author(name="Ann", email="ann@example.com", age=30))
    assert repo.get(row.id) == row
    with pytest.raises(Exception, match="age"):
        gen_author(name="Bob", email="bob@example.com", age=-1)


def test_inspect_only_named_tables(db: Database) -> None:
    db.create_all(*MODELS)
    source = generate_models(introspect(db), db.dialect.name, tables=["insp_authors"])
    assert "class InspAuthors(Model" in source and "InspPairs" not in source
