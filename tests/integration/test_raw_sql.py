"""Raw SQL: portable ``?`` and ``:name`` parameters, Result, repository.raw(), and no stacked statements."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from models import Event, User

from typedorm import Database, Repository, Result, TypedORMError
from typedorm.errors import ValidationError


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User, Event)
    repo = Repository(User, db)
    repo.insert_many(
        [
            User(name="John", email="john@example.com", age=30),
            User(name="Ann", email="ann@example.com", age=25, bio="x"),
            User(name="Bob", email="bob@example.com", age=17),
        ]
    )
    yield repo


def _tables(db: Database) -> int:
    n = db.execute("SELECT COUNT(*) FROM events").scalar()
    assert isinstance(n, int)
    return n


# --- db.execute --------------------------------------------------------------------------------
def test_positional_parameters(db: Database, users: Repository[User]) -> None:
    r = db.execute("SELECT name, age FROM users WHERE age >= ? AND name LIKE ? ORDER BY name", (18, "J%"))
    assert isinstance(r, Result)
    assert r.columns == ("name", "age")
    assert r.all() == [("John", 30)]
    assert r.first() == ("John", 30)
    assert r.scalar() == "John"
    assert r.mappings() == [{"name": "John", "age": 30}]
    assert len(r) == 1 and list(r) == [("John", 30)]
    assert db.execute("SELECT COUNT(*) FROM users WHERE age < ?", [100]).scalar() == 3


def test_named_parameters(db: Database, users: Repository[User]) -> None:
    r = db.execute(
        "SELECT name FROM users WHERE age >= :low AND age <= :high OR name = :low_name ORDER BY name",
        {"low": 18, "high": 26, "low_name": "Bob"},
    )
    assert r.all() == [("Ann",), ("Bob",)]
    # a name used twice
    assert db.execute("SELECT COUNT(*) FROM users WHERE age > :a OR age = :a", {"a": 25}).scalar() == 2


def test_writes_return_rowcount(db: Database, users: Repository[User]) -> None:
    r = db.execute("UPDATE users SET age = age + :d WHERE age < :lim", {"d": 1, "lim": 26})
    assert r.rowcount == 2
    assert r.rows == []
    assert db.execute("DELETE FROM users WHERE name = ?", ("Bob",)).rowcount == 1
    r = db.execute(
        "INSERT INTO users (name, email, age, n) VALUES (?, ?, ?, ?)", ("Cy", "cy@example.com", 3, 0)
    )
    assert r.rowcount == 1
    assert users.count() == 3


def test_placeholders_inside_literals_and_comments_are_text(db: Database, users: Repository[User]) -> None:
    r = db.execute("SELECT '?', ':name', 'it''s ?' FROM users WHERE name = ? -- a comment with ?\n", ("Ann",))
    assert r.all() == [("?", ":name", "it's ?")]
    r = db.execute("SELECT ':x', 'a%b' FROM users /* :y ? */ WHERE name = :n", {"n": "Ann"})
    assert r.all() == [(":x", "a%b")]
    # a literal % needs no escaping by the caller, with or without parameters
    assert db.execute("SELECT COUNT(*) FROM users WHERE name LIKE '%o%'").scalar() == 2
    assert db.execute("SELECT COUNT(*) FROM users WHERE name LIKE '%o%' AND age > ?", (20,)).scalar() == 1


def test_parameter_mistakes(db: Database, users: Repository[User]) -> None:
    with pytest.raises(TypeError):
        db.execute("SELECT ? + ?", (1,))
    with pytest.raises(TypeError):
        db.execute("SELECT ?", (1, 2))
    with pytest.raises(TypeError):
        db.execute("SELECT :a", {"b": 1})
    with pytest.raises(TypeError):
        db.execute("SELECT ?", "x")
    with pytest.raises(TypeError):
        db.execute(b"SELECT 1")  # type: ignore[arg-type]


def test_sql_errors_are_typedorm_errors(db: Database, users: Repository[User]) -> None:
    with pytest.raises(TypedORMError):
        db.execute("SELEC nonsense")
    with pytest.raises(TypedORMError):
        db.execute("SELECT * FROM no_such_table WHERE id = ?", (1,))
    assert users.count() == 3  # the connection is still good


# --- repository.raw ----------------------------------------------------------------------------------
def test_repository_raw_validates_rows(db: Database, users: Repository[User]) -> None:
    got = users.raw("SELECT * FROM users WHERE age >= ? ORDER BY age", (18,))
    assert [type(u) for u in got] == [User, User]
    assert [(u.name, u.age) for u in got] == [("Ann", 25), ("John", 30)]
    assert got[0] == users.filter(User.name == "Ann").one()
    named = users.raw("SELECT id, name, email, age, n, bio FROM users WHERE name = :n", {"n": "Bob"})
    assert [u.name for u in named] == ["Bob"]
    assert users.raw("SELECT * FROM users WHERE age > ?", (1000,)) == []


def test_repository_raw_extra_and_missing_columns(db: Database, users: Repository[User]) -> None:
    # unknown result columns are ignored, defaults fill omitted optional fields
    got = users.raw("SELECT id, name, email, 42 AS unrelated FROM users WHERE name = ?", ("Ann",))
    assert (got[0].name, got[0].age, got[0].bio) == ("Ann", 0, None)
    # a row that does not validate is an error naming the field, not a half-built model
    with pytest.raises(ValidationError) as ei:
        users.raw("SELECT id, name FROM users")
    assert "email" in ei.value.fields
    with pytest.raises(ValidationError):
        users.raw("SELECT id, name, email, -5 AS age FROM users")


# --- stacked statements -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DROP TABLE events",
        "SELECT 1;DROP TABLE events;",
        "SELECT 1; DELETE FROM events",
        "SELECT 1 -- x\n; DROP TABLE events",
    ],
)
def test_stacked_statements_never_run(db: Database, users: Repository[User], sql: str) -> None:
    Repository(Event, db).insert(Event(kind="keep"))
    with pytest.raises(TypedORMError):
        db.execute(sql)
    assert _tables(db) == 1
    with pytest.raises(TypedORMError):
        db.execute(sql, ())
    assert _tables(db) == 1
    with pytest.raises(TypedORMError):
        db.execute(sql.replace("SELECT 1", "SELECT ?"), (1,))
    assert _tables(db) == 1
    with pytest.raises(TypedORMError):
        users.raw(sql.replace("SELECT 1", "SELECT * FROM users"))
    assert _tables(db) == 1
    # and the connection is healthy afterwards
    assert users.count() == 3


def test_stacked_statement_inside_a_transaction(db: Database, users: Repository[User]) -> None:
    Repository(Event, db).insert(Event(kind="keep"))
    with pytest.raises(TypedORMError):
        with db.transaction():
            db.execute("SELECT 1; DROP TABLE events")
    assert _tables(db) == 1
