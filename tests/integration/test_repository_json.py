"""JSON payloads: insert_json, insert_many_json (all or nothing) and patch (only the given columns)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from models import User

from typedorm import Database, NotFound, Repository, UniqueViolation, UnknownField
from typedorm.errors import ValidationError


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User)
    yield Repository(User, db)


def _rows(db: Database) -> int:
    n = db.execute("SELECT COUNT(*) FROM users").scalar()
    assert isinstance(n, int)
    return n


def _doc(name: str, **kw: object) -> str:
    return json.dumps({"name": name, "email": f"{name.lower()}@example.com", **kw})


# --- insert_json -------------------------------------------------------------------------
def test_insert_json_str_and_bytes(users: Repository[User], db: Database) -> None:
    ann = users.insert_json(b'{"name": "Ann", "email": "ann@example.com", "age": 25}')
    assert isinstance(ann.id, int)
    assert (ann.name, ann.email, ann.age, ann.bio) == ("Ann", "ann@example.com", 25, None)
    bob = users.insert_json('{"name": "Bob", "email": "bob@example.com"}')
    assert bob.age == 0
    assert users.get_or_raise(ann.id) == ann
    assert _rows(db) == 2


def test_insert_json_unicode(users: Repository[User]) -> None:
    u = users.insert_json('{"name": "Zoë \\u00e9 😀", "email": "zoe@example.com"}'.encode())
    assert users.get_or_raise(u.id).name == "Zoë é 😀"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param(b'{"name": "Ann", "email": "ann@example.com", "age": "old"}', "age", id="bad-type"),
        pytest.param(b'{"name": "Ann", "age": 3}', "email", id="missing-field"),
        pytest.param(
            json.dumps({"name": "x" * 101, "email": "ann@example.com"}).encode(), "name", id="too-long"
        ),
        pytest.param(b'{"name": "Ann", "email": "not-an-email"}', "email", id="invalid-email"),
        pytest.param(b'{"name": "Ann", "email": "ann@example.com", "age": -1}', "age", id="constraint"),
        pytest.param(
            b'{"name": "Ann", "email": "ann@example.com", "is_admin": true}', "is_admin", id="extra"
        ),
    ],
)
def test_insert_json_invalid_names_the_field_and_writes_nothing(
    users: Repository[User], db: Database, payload: bytes, field: str
) -> None:
    with pytest.raises(ValidationError) as ei:
        users.insert_json(payload)
    err = ei.value
    assert err.fields == (field,)
    assert [e["loc"][0] for e in err.errors()] == [field]
    assert err.model == "User"
    assert field in str(err)
    assert _rows(db) == 0


def test_insert_json_duplicate_unique_key_names_the_field(users: Repository[User], db: Database) -> None:
    users.insert_json(_doc("Ann"))
    with pytest.raises(UniqueViolation) as ei:
        users.insert_json(_doc("Ann", age=3))
    assert ei.value.fields == ("email",)
    assert ei.value.model == "User"
    assert _rows(db) == 1


def test_insert_json_malformed(users: Repository[User], db: Database) -> None:
    with pytest.raises(ValidationError):
        users.insert_json(b'{"name": "Ann", ')
    with pytest.raises(ValidationError):
        users.insert_json(b"[1, 2]")
    with pytest.raises(TypeError):
        users.insert_json({"name": "Ann"})  # type: ignore[arg-type]
    assert _rows(db) == 0


# --- insert_many_json ------------------------------------------------------------------------
def test_insert_many_json_array(users: Repository[User], db: Database) -> None:
    doc = json.dumps([json.loads(_doc(f"U{i}", age=i)) for i in range(5)])
    got = users.insert_many_json(doc)
    assert [u.name for u in got] == [f"U{i}" for i in range(5)]
    assert len({u.id for u in got}) == 5
    assert sorted(users.query().values_list("name", "age")) == [(f"U{i}", i) for i in range(5)]
    assert users.insert_many_json(b"[]") == []


def test_insert_many_json_iterable_of_documents(users: Repository[User], db: Database) -> None:
    def docs() -> Iterator[bytes]:
        for i in range(4):
            yield _doc(f"G{i}").encode()

    got = users.insert_many_json(docs())
    assert [u.name for u in got] == ["G0", "G1", "G2", "G3"]
    assert _rows(db) == 4


def test_insert_many_json_array_all_or_nothing(users: Repository[User], db: Database) -> None:
    bad = json.dumps([json.loads(_doc("A")), {"name": "B", "email": "nope"}, json.loads(_doc("C"))])
    with pytest.raises(ValidationError) as ei:
        users.insert_many_json(bad)
    assert ei.value.fields == ("email",)
    assert ei.value.errors()[0]["loc"][:2] == (1, "email")
    assert _rows(db) == 0


def test_insert_many_json_iterable_all_or_nothing(users: Repository[User], db: Database) -> None:
    with pytest.raises(ValidationError) as ei:
        users.insert_many_json([_doc("A"), _doc("B"), '{"name": "C", "email": "c@example.com", "age": "x"}'])
    assert ei.value.fields == ("age",)
    assert ei.value.errors()[0]["loc"][:2] == (2, "age")
    assert _rows(db) == 0


def test_insert_many_json_database_error_is_all_or_nothing(users: Repository[User], db: Database) -> None:
    users.insert_json(_doc("Taken"))
    with pytest.raises(UniqueViolation) as ei:
        users.insert_many_json([_doc("New1"), _doc("New2"), _doc("Taken"), _doc("New3")])
    assert ei.value.fields == ("email",)
    assert users.query().values_list("name") == [("Taken",)]
    # duplicates inside one array document too
    with pytest.raises(UniqueViolation):
        users.insert_many_json(json.dumps([json.loads(_doc("Dup")), json.loads(_doc("Dup"))]))
    assert _rows(db) == 1


# --- patch ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["str", "bytes", "mapping"])
def test_patch_updates_only_the_given_columns(users: Repository[User], db: Database, kind: str) -> None:
    u = users.insert(User(name="Ann", email="ann@example.com", age=25, bio="orig"))
    # another writer changes other columns behind the repository's back
    db.execute("UPDATE users SET name = ?, bio = ?, n = ? WHERE id = ?", ("Changed", "theirs", 9, u.id))
    data: str | bytes | dict[str, object] = {"age": 40}
    if kind == "str":
        data = '{"age": 40}'
    elif kind == "bytes":
        data = b'{"age": 40}'
    patched = users.patch(u.id, data)
    assert patched.age == 40
    assert (patched.name, patched.bio, patched.n) == ("Changed", "theirs", 9)
    row = db.execute("SELECT name, email, age, n, bio FROM users WHERE id = ?", (u.id,)).first()
    assert row == ("Changed", "ann@example.com", 40, 9, "theirs")


def test_patch_several_fields_and_null(users: Repository[User], db: Database) -> None:
    u = users.insert(User(name="Ann", email="ann@example.com", age=25, bio="x"))
    db.execute("UPDATE users SET n = ? WHERE id = ?", (5, u.id))
    got = users.patch(u.id, {"name": "Anna", "bio": None})
    assert (got.name, got.bio, got.age, got.n) == ("Anna", None, 25, 5)
    assert users.get_or_raise(u.id) == got


def test_patch_validates_and_writes_nothing_on_error(users: Repository[User], db: Database) -> None:
    u = users.insert(User(name="Ann", email="ann@example.com", age=25))
    before = db.execute("SELECT name, email, age, n, bio FROM users").all()
    with pytest.raises(ValidationError) as ei:
        users.patch(u.id, b'{"age": -3}')
    assert ei.value.fields == ("age",)
    with pytest.raises(ValidationError) as ei:
        users.patch(u.id, {"email": "broken"})
    assert ei.value.fields == ("email",)
    with pytest.raises(ValidationError):
        users.patch(u.id, {"name": "x" * 101})
    with pytest.raises(UnknownField):
        users.patch(u.id, {"is_admin": True})
    with pytest.raises(ValidationError):
        users.patch(u.id, {"id": 99})  # the key is read-only
    with pytest.raises(ValidationError):
        users.patch(u.id, b"not json")
    with pytest.raises(ValidationError):
        users.patch(u.id, b"[1]")
    assert db.execute("SELECT name, email, age, n, bio FROM users").all() == before


def test_patch_unique_violation_and_missing_row(users: Repository[User], db: Database) -> None:
    a = users.insert(User(name="A", email="a@example.com"))
    users.insert(User(name="B", email="b@example.com"))
    with pytest.raises(UniqueViolation) as ei:
        users.patch(a.id, {"email": "b@example.com"})
    assert ei.value.fields == ("email",)
    assert users.get_or_raise(a.id).email == "a@example.com"
    with pytest.raises(NotFound):
        users.patch(a.id + 1000, {"age": 1})
    assert _rows(db) == 2
