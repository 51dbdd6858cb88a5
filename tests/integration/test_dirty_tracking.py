"""Dirty tracking: ``update(obj)`` writes only what changed since the row was read or written,
and never drops a change. Every test writes behind the repository's back (raw SQL) to tell
"this column was written" from "this column was left alone"."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
from pydantic import model_validator

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
    column,
)
from typedorm.engine.url import URL
from typedorm.schema.model import assigned_fields


class Doc(Model, table="dirty_docs"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    age: Col[int] = 0
    tags: Col[list[str]] = column(default_factory=list)
    meta: Col[dict[str, int] | None] = None


@pytest.fixture
def docs(db: Database) -> Repository[Doc]:
    db.create_all(Doc)
    return Repository(Doc, db)


def _behind(db: Database, column_name: str, value: object, pk: int) -> None:
    """Change one column of the row with raw SQL, as another client would."""
    assert column_name in ("name", "age")
    db.execute(f"UPDATE dirty_docs SET {column_name} = ? WHERE id = ?", [value, pk])


def _row(db: Database, pk: int) -> tuple[Any, ...]:
    return tuple(db.execute("SELECT name, age FROM dirty_docs WHERE id = ?", [pk]).all()[0])


def _loaded(docs: Repository[Doc], **kw: Any) -> Doc:
    stored = docs.insert(Doc(name=kw.pop("name", "Ann"), age=kw.pop("age", 30), **kw))
    got = docs.get(stored.id)
    assert got is not None
    return got


def test_only_assigned_columns_are_written(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs)
    assert assigned_fields(d) == frozenset()
    _behind(db, "name", "Changed elsewhere", d.id)
    d.age = 31
    assert assigned_fields(d) == {"age"}
    with db.count_queries() as q:
        stored = docs.update(d)
    assert q.count == 1
    assert stored.age == 31
    # name was not assigned: the other client's write survives
    assert _row(db, d.id) == ("Changed elsewhere", 31)


def test_nothing_assigned_sends_no_statement(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, tags=["a"])
    with db.count_queries() as q:
        stored = docs.update(d)
    # the mutable-typed columns (tags, meta) are always written: a list can change unseen
    assert q.count == 1
    plain = Repository(_Plain, db)
    db.create_all(_Plain)
    p = plain.get(plain.insert(_Plain(name="x")).id)
    assert p is not None
    with db.count_queries() as q:
        again = plain.update(p)
    assert q.count == 0
    assert again == p and stored == d


class _Plain(Model, table="dirty_plain"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]


def test_assigning_the_same_value_is_written(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, age=30)
    _behind(db, "age", 40, d.id)
    d.age = 30  # the same value as read: still an assignment the caller asked to store
    docs.update(d)
    assert _row(db, d.id) == ("Ann", 30)


def test_assignment_then_revert_is_written(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, age=30)
    _behind(db, "age", 40, d.id)
    d.age = 31
    d.age = 30
    docs.update(d)
    assert _row(db, d.id) == ("Ann", 30)


def test_in_place_mutation_of_json_fields_is_written(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, tags=["a"], meta={"x": 1})
    d.tags.append("b")  # not seen by __setattr__
    assert d.meta is not None
    d.meta["y"] = 2
    docs.update(d)
    again = docs.get(d.id)
    assert again is not None and again.tags == ["a", "b"] and again.meta == {"x": 1, "y": 2}


def test_model_copy_and_caller_built_instances_write_every_column(
    docs: Repository[Doc], db: Database
) -> None:
    d = _loaded(docs, age=30)
    c = d.model_copy(update={"age": 50})
    assert assigned_fields(c) is None
    _behind(db, "name", "Changed elsewhere", d.id)
    docs.update(c)
    assert _row(db, d.id) == ("Ann", 50)  # name written back from the copy too
    _behind(db, "name", "Changed elsewhere", d.id)
    built = Doc(id=d.id, name="Built", age=7)
    assert assigned_fields(built) is None
    docs.update(built)
    assert _row(db, d.id) == ("Built", 7)


def test_assigning_the_key_writes_every_column(docs: Repository[Doc], db: Database) -> None:
    a = _loaded(docs, name="A", age=1)
    b = _loaded(docs, name="B", age=2)
    a.id = b.id  # now names row b: its content is unknown, so everything is written
    docs.update(a)
    assert _row(db, b.id) == ("A", 1)


def test_a_rolled_back_write_is_written_again(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, age=30)
    d.age = 31
    stored = None
    with pytest.raises(RuntimeError), db.transaction():
        stored = docs.update(d)
        raise RuntimeError("roll back")
    assert _row(db, d.id) == ("Ann", 30)
    assert stored is not None
    with db.count_queries() as q:
        docs.update(stored)  # the instance returned inside the rolled-back transaction
    assert q.count == 1 and _row(db, d.id) == ("Ann", 31)
    _behind(db, "age", 30, d.id)
    docs.update(d)  # the caller's own instance, retried
    assert _row(db, d.id) == ("Ann", 31)


def test_an_autocommitted_write_makes_the_instance_clean(docs: Repository[Doc], db: Database) -> None:
    db.create_all(_Plain)
    plain = Repository(_Plain, db)
    p = plain.get(plain.insert(_Plain(name="x")).id)
    assert p is not None
    p.name = "y"
    stored = plain.update(p)
    assert assigned_fields(p) == frozenset() and assigned_fields(stored) == frozenset()
    with db.count_queries() as q:
        plain.update(p)
    assert q.count == 0
    p.name = "z"
    plain.update(p)
    assert db.execute("SELECT name FROM dirty_plain WHERE id = ?", [p.id]).scalar() == "z"


def test_a_failed_assignment_marks_nothing(docs: Repository[Doc]) -> None:
    d = _loaded(docs)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's error, from validate_assignment
        d.age = "not a number"  # type: ignore[assignment]
    assert assigned_fields(d) == frozenset()


def test_a_before_update_hook_assignment_is_written(docs: Repository[Doc], db: Database) -> None:
    d = _loaded(docs, age=30)

    @docs.before_update
    def bump(obj: Doc) -> None:
        obj.age = obj.age + 100

    d.name = "Bea"
    docs.update(d)
    assert _row(db, d.id) == ("Bea", 130)


def test_async_repository_tracks_the_same_way(backend_url: URL, db: Database) -> None:
    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone; the mysql id covers it")

    async def main() -> None:
        adb = AsyncDatabase(backend_url)
        try:
            await adb.create_all(Doc)
            repo = AsyncRepository(Doc, adb)
            stored = await repo.insert(Doc(name="Ann", age=30, tags=["a"]))
            d = await repo.get(stored.id)
            assert d is not None and assigned_fields(d) == frozenset()
            await adb.execute("UPDATE dirty_docs SET age = 40 WHERE id = ?", [d.id])
            d.name = "Bea"
            d.tags.append("b")
            await repo.update(d)
            again = await repo.get(d.id)
            assert again is not None
            assert (again.name, again.age, again.tags) == ("Bea", 40, ["a", "b"])
            d.age = 31
            with pytest.raises(RuntimeError):
                async with adb.transaction():
                    await repo.update(d)
                    raise RuntimeError("roll back")
            await repo.update(d)
            again = await repo.get(d.id)
            assert again is not None and again.age == 31
        finally:
            await adb.close()

    asyncio.run(main())


class Derived(Model, table="dirty_derived"):
    """``total`` is derived by a model validator, which also runs on assignment of ``qty``."""

    id: PK[int] = column(default=AUTO)
    qty: Col[int] = 0
    total: Col[int] = 0

    @model_validator(mode="before")
    @classmethod
    def derive(cls, data: Any) -> Any:
        if isinstance(data, dict) and "qty" in data:
            data = {**data, "total": data["qty"] * 10}
        return data


def test_fields_a_model_validator_changes_on_assignment_are_written(db: Database) -> None:
    db.create_all(Derived)
    repo = Repository(Derived, db)
    d = repo.get(repo.insert(Derived(qty=1)).id)
    assert d is not None and d.total == 10
    d.qty = 2  # the validator also sets total = 20: not assigned, but changed
    assert assigned_fields(d) == {"qty", "total"}
    repo.update(d)
    again = repo.get(d.id)
    assert again is not None and (again.qty, again.total) == (2, 20)
