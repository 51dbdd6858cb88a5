"""Papercuts met while porting: ``Repository.limit/offset`` and ``add_related`` on a one-to-many."""

from __future__ import annotations

import asyncio
from typing import Annotated

import pytest

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncRepository,
    Col,
    Database,
    ForeignKey,
    Model,
    RelList,
    Repository,
    column,
    relation,
)
from typedorm.engine.url import URL


class Owner(Model, table="pc_owner"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    pets: RelList[Pet] = relation(order_by="id")


class Pet(Model, table="pc_pet"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    owner_id: Annotated[Col[int | None], ForeignKey(Owner.id, on_delete="set null")] = column(default=None)


def test_repository_limit_and_offset(db: Database) -> None:
    db.create_all(Owner, Pet)
    owners = Repository(Owner, db)
    owners.insert_many([Owner(name=n) for n in "abcdef"])
    assert [o.name for o in owners.order_by("id").limit(2).all()] == ["a", "b"]
    assert [o.name for o in owners.order_by("id").offset(4).all()] == ["e", "f"]
    assert [o.name for o in owners.order_by("-id").offset(1).limit(2).all()] == ["e", "d"]
    assert [o.name for o in owners.limit(3).order_by("name").all()] == ["a", "b", "c"]
    assert owners.limit(0).all() == []
    with pytest.raises(ValueError, match="limit"):
        owners.limit(-1)
    with pytest.raises(ValueError, match="offset"):
        owners.offset(-5)


def test_add_related_sets_the_foreign_key_of_a_one_to_many(db: Database) -> None:
    db.create_all(Owner, Pet)
    owners, pets = Repository(Owner, db), Repository(Pet, db)
    ann, bob = owners.insert(Owner(name="Ann")), owners.insert(Owner(name="Bob"))
    rex, tom, kit = pets.insert_many([Pet(name="Rex"), Pet(name="Tom", owner_id=bob.id), Pet(name="Kit")])

    loaded = owners.load(Owner.pets).filter(Owner.id == ann.id).one()
    assert loaded.pets == []
    assert owners.add_related(loaded, Owner.pets, rex, tom) == 2
    assert rex.owner_id == ann.id and tom.owner_id == ann.id  # the given rows are updated in place
    assert [p.name for p in loaded.pets] == ["Rex", "Tom"]  # and a loaded list follows
    stored = {p.name: p.owner_id for p in pets.all()}
    assert stored == {"Rex": ann.id, "Tom": ann.id, "Kit": None}
    assert owners.add_related(ann, Owner.pets, rex, rex) == 0  # already Ann's: nothing changes
    assert owners.add_related(bob, Owner.pets, kit, rex) == 2
    assert [p.name for p in owners.load_related(bob, Owner.pets).pets] == ["Rex", "Kit"]
    assert [p.name for p in owners.load_related(ann, Owner.pets).pets] == ["Tom"]


def test_add_related_one_to_many_rejects_bad_input_and_writes_nothing(db: Database) -> None:
    db.create_all(Owner, Pet)
    owners, pets = Repository(Owner, db), Repository(Pet, db)
    ann = owners.insert(Owner(name="Ann"))
    rex = pets.insert(Pet(name="Rex"))
    with pytest.raises(TypeError, match="takes no link fields, got role"):
        owners.add_related(ann, Owner.pets, rex, role="x")
    with pytest.raises(TypeError, match="takes Pet instances, not Owner"):
        owners.add_related(ann, Owner.pets, rex, ann)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not stored yet"):
        owners.add_related(ann, Owner.pets, rex, Pet(name="Unsaved"))
    with pytest.raises(ValueError, match="not stored yet"):
        owners.add_related(Owner(name="Unsaved"), Owner.pets, rex)
    assert pets.get_or_raise(rex.id).owner_id is None
    with pytest.raises(TypeError, match="add_related\\(\\) sets the foreign key of a one-to-many"):
        owners.remove_related(ann, Owner.pets, rex)


def test_async_add_related_one_to_many_and_limit(backend_url: URL, db: Database) -> None:
    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone; the mysql id covers it")

    async def main() -> None:
        async with AsyncDatabase(backend_url) as adb:
            await adb.create_all(Owner, Pet)
            owners, pets = AsyncRepository(Owner, adb), AsyncRepository(Pet, adb)
            ann = await owners.insert(Owner(name="Ann"))
            a, b, c = await pets.insert_many([Pet(name="A"), Pet(name="B"), Pet(name="C")])
            assert await owners.add_related(ann, Owner.pets, a, c) == 2
            assert [p.name for p in await pets.filter_by(owner_id=ann.id).order_by("id").all()] == ["A", "C"]
            assert [p.name for p in await pets.order_by("id").offset(1).limit(1).all()] == ["B"]
            assert b.owner_id is None

    asyncio.run(main())
