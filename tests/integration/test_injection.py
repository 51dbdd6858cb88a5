"""Keys from user input are checked against the model before any SQL; values always stay data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from models import User

from typedorm import Database, Repository, UnknownField
from typedorm.errors import UnknownLookup

BAD_KEYS = ["name; DROP TABLE users", "id\x00", "__class__", "", "name --", "users.name", "NAME", "-age"]


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User)
    repo = Repository(User, db)
    repo.insert(User(name="Ann", email="ann@example.com", age=30))
    yield repo


def _table_intact(db: Database) -> None:
    assert db.execute("SELECT COUNT(*) FROM users").scalar() == 1


ORDER_KEYS = [k for k in BAD_KEYS if k != "-age"] + ["-", "--age", "-name; DROP TABLE users"]
LOOKUP_KEYS = ["name__gte; DROP TABLE users", "age__\x00", "age__class__", "name__"]


def test_filter_by_unknown_field(db: Database, users: Repository[User]) -> None:
    with db.count_queries() as q:
        for key in BAD_KEYS:
            with pytest.raises(UnknownField) as ei:
                users.filter_by(**{key: 1}).all()
            assert ei.value.model == "User", key
            with pytest.raises(UnknownField):
                users.query().filter_by(**{key: 1}).count()
            with pytest.raises(UnknownField):
                users.exclude(**{key: 1}).all()
    assert q.count == 0
    _table_intact(db)


def test_filter_by_unknown_lookup(db: Database, users: Repository[User]) -> None:
    with db.count_queries() as q:
        for key in LOOKUP_KEYS:
            with pytest.raises((UnknownLookup, UnknownField)):
                users.filter_by(**{key: 1}).all()
    assert q.count == 0
    _table_intact(db)


def test_order_by_unknown_field(db: Database, users: Repository[User]) -> None:
    with db.count_queries() as q:
        for key in ORDER_KEYS:
            with pytest.raises(UnknownField):
                users.query().order_by(key).all()
            with pytest.raises(UnknownField):
                users.order_by("age", key).first()
    assert q.count == 0
    _table_intact(db)


def test_values_unknown_field(db: Database, users: Repository[User]) -> None:
    with db.count_queries() as q:
        for key in BAD_KEYS:
            with pytest.raises(UnknownField):
                users.values(key)
            with pytest.raises(UnknownField):
                users.query().values("name", key)
            with pytest.raises(UnknownField):
                users.query().values_list(key)
    assert q.count == 0
    _table_intact(db)


def test_patch_unknown_field(db: Database, users: Repository[User]) -> None:
    ann = users.filter(User.name == "Ann").one()
    with db.count_queries() as q:
        for key in BAD_KEYS:
            with pytest.raises(UnknownField):
                users.patch(ann.id, {key: "x"})
    assert q.count == 0
    assert users.get_or_raise(ann.id) == ann


def test_non_string_keys_rejected(db: Database, users: Repository[User]) -> None:
    with db.count_queries() as q:
        with pytest.raises((UnknownField, TypeError)):
            users.values(1)  # type: ignore[arg-type]
        with pytest.raises((UnknownField, TypeError)):
            users.query().order_by(None).all()  # type: ignore[arg-type]
    assert q.count == 0


EVIL = [
    "Robert'); DROP TABLE users;--",
    "x' OR '1'='1",
    'x" OR "1"="1',
    "\\'; DROP TABLE users; --",
    "%",
    "_",
    "a%b_c\\",
    "?",
    ":name",
    "%s",
    "$1",
    "`users`",
    "); DELETE FROM users; --",
]


def test_values_containing_sql_stay_data(db: Database, users: Repository[User]) -> None:
    for n, value in enumerate(EVIL):
        u = users.insert(User(name=value, email=f"evil{n}@example.com", bio=value))
        assert users.get_or_raise(u.id).name == value
        assert [x.id for x in users.filter_by(name=value).all()] == [u.id]
        assert [x.id for x in users.filter(User.name == value).all()] == [u.id]
        assert [x.id for x in users.filter_by(name__contains=value).all()] == [u.id]
        assert [x.id for x in users.filter_by(name__startswith=value).all()] == [u.id]
        assert [x.id for x in users.filter_by(name__endswith=value).all()] == [u.id]
        assert [x.id for x in users.filter_by(name__icontains=value).all()] == [u.id]
        assert users.filter_by(bio=value).count() == 1
        users.update(User.id == u.id, User.bio.set(value + value))
        assert users.get_or_raise(u.id).bio == value + value
        assert db.execute("SELECT name FROM users WHERE name = ?", (value,)).scalar() == value
        assert db.execute("SELECT name FROM users WHERE name = :v", {"v": value}).scalar() == value
        assert users.raw("SELECT * FROM users WHERE bio = ?", (value + value,))[0].id == u.id
        users.delete(u)
    assert users.count() == 1  # only Ann is left: nothing was dropped or deleted by a value
