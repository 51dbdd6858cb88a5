"""Repository writes and key lookups: insert, insert_many, save, update, delete, upsert, refresh, get."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from models import User

from typedorm import Database, NotFound, Repository, UniqueViolation, UnsetValueError
from typedorm.errors import ValidationError


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User)
    yield Repository(User, db)


def _u(name: str, age: int = 30, **kw: object) -> User:
    return User(name=name, email=f"{name.lower()}@example.com", age=age, **kw)  # type: ignore[arg-type]


def _stored(db: Database) -> list[tuple[object, ...]]:
    """Every row of users, read behind the repository's back."""
    return db.execute("SELECT id, name, email, age, n, bio FROM users ORDER BY id").all()


# --- insert -------------------------------------------------------------------------
def test_insert_sets_id_and_stores_the_row(users: Repository[User], db: Database) -> None:
    u = _u("John")
    with pytest.raises(UnsetValueError):
        _ = u.id
    john = users.insert(u)
    assert isinstance(john.id, int) and john.id > 0
    assert john.name == "John" and john.age == 30
    ann = users.insert(_u("Ann", 25))
    assert ann.id != john.id
    assert _stored(db) == [
        (john.id, "John", "john@example.com", 30, 0, None),
        (ann.id, "Ann", "ann@example.com", 25, 0, None),
    ]
    # the argument is not mutated: insert returns the stored row
    with pytest.raises(UnsetValueError):
        _ = u.id


def test_insert_with_explicit_key(users: Repository[User], db: Database) -> None:
    u = users.insert(User(id=42, name="X", email="x@example.com"))
    assert u.id == 42
    assert users.get_or_raise(42) == u


def test_insert_defaults_and_optional(users: Repository[User]) -> None:
    u = users.insert(User(name="D", email="d@example.com", bio="hello"))
    assert (u.age, u.n, u.bio) == (0, 0, "hello")
    assert users.get_or_raise(u.id) == u


def test_insert_many_returns_ids_in_input_order(users: Repository[User], db: Database) -> None:
    names = [f"user{i:03d}" for i in range(250)]
    # mixed ages so the rows are not in any natural order but the input's
    items = [_u(n, age=(i * 37) % 90) for i, n in enumerate(names)]
    stored = users.insert_many(items)
    assert [s.name for s in stored] == names
    ids = [s.id for s in stored]
    assert len(set(ids)) == 250 and all(isinstance(i, int) for i in ids)
    # each returned id really belongs to the row with that name
    by_id = {r[0]: r[1] for r in _stored(db)}
    assert [by_id[i] for i in ids] == names
    assert users.count() == 250


def test_insert_many_with_explicit_keys_and_empty(users: Repository[User]) -> None:
    assert users.insert_many([]) == []
    stored = users.insert_many(
        [User(id=10, name="a", email="a@e.com"), User(id=5, name="b", email="b@e.com")]
    )
    assert [u.id for u in stored] == [10, 5]
    assert sorted(users.query().values_list("id")) == [(5,), (10,)]


def test_insert_many_is_all_or_nothing(users: Repository[User]) -> None:
    users.insert(_u("Taken"))
    with pytest.raises(UniqueViolation) as ei:
        users.insert_many([_u("New1"), _u("Taken"), _u("New2")])
    assert ei.value.fields == ("email",)
    assert users.query().values_list("name") == [("Taken",)]


# --- get / get_or_raise / refresh ---------------------------------------------------
def test_get_missing_key_returns_none(users: Repository[User]) -> None:
    assert users.get(12345) is None
    users.insert(_u("A"))
    assert users.get(12345) is None


def test_get_or_raise(users: Repository[User]) -> None:
    u = users.insert(_u("A"))
    assert users.get_or_raise(u.id) == u
    with pytest.raises(NotFound):
        users.get_or_raise(u.id + 1000)


def test_get_validates_the_key(users: Repository[User]) -> None:
    with pytest.raises(ValidationError):
        users.get("not-a-number")


def test_refresh_reads_the_stored_version(users: Repository[User], db: Database) -> None:
    u = users.insert(_u("A", 20))
    db.execute("UPDATE users SET age = ? WHERE id = ?", (77, u.id))
    assert u.age == 20
    fresh = users.refresh(u)
    assert fresh.age == 77 and fresh.id == u.id
    users.delete(u)
    with pytest.raises(NotFound):
        users.refresh(u)


# --- save -----------------------------------------------------------------------------
def test_save_inserts_then_updates(users: Repository[User], db: Database) -> None:
    new = users.save(_u("S", 1))  # AUTO key: insert
    assert isinstance(new.id, int)
    assert users.count() == 1
    changed = users.save(new.model_copy(update={"age": 2, "name": "S2"}))  # known key: update
    assert changed.id == new.id and changed.age == 2 and changed.name == "S2"
    assert users.count() == 1
    assert _stored(db) == [(new.id, "S2", "s@example.com", 2, 0, None)]
    # explicit key that does not exist yet: inserted
    other = users.save(User(id=new.id + 100, name="T", email="t@example.com"))
    assert other.id == new.id + 100
    assert users.count() == 2


# --- update ---------------------------------------------------------------------------
def test_update_object(users: Repository[User], db: Database) -> None:
    a = users.insert(_u("A", 10))
    b = users.insert(_u("B", 20))
    a2 = users.update(a.model_copy(update={"age": 11, "bio": "x"}))
    assert (a2.id, a2.age, a2.bio) == (a.id, 11, "x")
    assert _stored(db) == [
        (a.id, "A", "a@example.com", 11, 0, "x"),
        (b.id, "B", "b@example.com", 20, 0, None),
    ]


def test_update_object_that_is_gone(users: Repository[User]) -> None:
    a = users.insert(_u("A"))
    users.delete(a)
    with pytest.raises(NotFound):
        users.update(a.model_copy(update={"age": 1}))
    assert users.count() == 0


def test_update_where_returns_count(users: Repository[User], db: Database) -> None:
    users.insert_many([_u("A", 10), _u("B", 20), _u("C", 30)])
    n = users.update(User.age >= 20, User.bio.set("old"))
    assert n == 2
    assert users.filter(User.bio == "old").count() == 2
    assert users.update(User.age > 1000, User.bio.set("none")) == 0


def test_update_with_expression(users: Repository[User], db: Database) -> None:
    a = users.insert(_u("A", 10))
    b = users.insert(_u("B", 20))
    assert users.update(User.id == a.id, User.n.set(User.n + 1)) == 1
    assert users.update(User.id == a.id, User.n.set(User.n + 1)) == 1
    assert users.update(User.age >= 0, User.n.set(User.n + 10), User.age.set(User.age * 2)) == 2
    assert [(r[0], r[3], r[4]) for r in _stored(db)] == [(a.id, 20, 12), (b.id, 40, 10)]


def test_update_where_validates_assigned_values(users: Repository[User]) -> None:
    users.insert(_u("A", 10))
    with pytest.raises(ValidationError) as ei:
        users.update(User.age >= 0, User.age.set(-5))
    assert "age" in ei.value.fields
    with pytest.raises(ValidationError):
        users.update(User.age >= 0, User.name.set("x" * 101))
    assert users.query().values_list("age", "name") == [(10, "A")]


def test_update_where_unique_violation_changes_nothing(users: Repository[User], db: Database) -> None:
    users.insert_many([_u("A"), _u("B")])
    before = _stored(db)
    with pytest.raises(UniqueViolation) as ei:
        users.update(User.name == "B", User.email.set("a@example.com"))
    assert ei.value.fields == ("email",)
    assert _stored(db) == before


# --- delete ---------------------------------------------------------------------------
def test_delete_object(users: Repository[User], db: Database) -> None:
    a = users.insert(_u("A"))
    b = users.insert(_u("B"))
    assert users.delete(a) is None
    assert users.get(a.id) is None
    assert [r[0] for r in _stored(db)] == [b.id]
    with pytest.raises(NotFound):
        users.delete(a)


def test_delete_where_returns_count(users: Repository[User]) -> None:
    users.insert_many([_u("A", 10), _u("B", 20), _u("C", 30)])
    assert users.delete(User.age < 25) == 2
    assert users.query().values_list("name") == [("C",)]
    assert users.delete(User.age < 0) == 0


def test_delete_requires_a_model_or_predicate(users: Repository[User]) -> None:
    with pytest.raises(TypeError):
        users.delete(1)  # type: ignore[call-overload]


# --- upsert ---------------------------------------------------------------------------
def test_upsert_on_unique_column_inserts_then_updates(users: Repository[User], db: Database) -> None:
    first = users.upsert(User(name="Ann", email="ann@example.com", age=1), conflict=User.email)
    assert isinstance(first.id, int) and first.age == 1
    assert users.count() == 1
    second = users.upsert(User(name="Ann2", email="ann@example.com", age=2), conflict=User.email)
    assert second.id == first.id  # the existing row was updated, not a new one made
    assert (second.name, second.age) == ("Ann2", 2)
    assert users.count() == 1
    assert _stored(db) == [(first.id, "Ann2", "ann@example.com", 2, 0, None)]
    other = users.upsert(User(name="Bob", email="bob@example.com"), conflict=User.email)
    assert other.id != first.id and users.count() == 2


def test_upsert_by_primary_key(users: Repository[User]) -> None:
    a = users.upsert(User(id=7, name="A", email="a@example.com"))
    b = users.upsert(User(id=7, name="B", email="b@example.com"))
    assert a.id == b.id == 7
    assert users.query().values_list("id", "name", "email") == [(7, "B", "b@example.com")]


def test_upsert_update_subset(users: Repository[User]) -> None:
    users.upsert(User(name="A", email="a@example.com", age=1, bio="keep"), conflict=User.email)
    got = users.upsert(
        User(name="Z", email="a@example.com", age=9, bio="drop"), conflict=User.email, update=[User.age]
    )
    assert (got.name, got.age, got.bio) == ("A", 9, "keep")


def test_upsert_rejects_a_non_unique_target(users: Repository[User]) -> None:
    with pytest.raises(ValueError):
        users.upsert(_u("A"), conflict=User.name)
    assert users.count() == 0


def test_instance_type_is_checked(users: Repository[User]) -> None:
    with pytest.raises(TypeError):
        users.insert({"name": "A", "email": "a@example.com"})  # type: ignore[arg-type]
