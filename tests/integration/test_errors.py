"""Integrity errors name the model and field; a failed write leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest
from models import Author, Book, Product, User

from typedorm import (
    AUTO,
    CheckViolation,
    Database,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    Repository,
    TypedORMError,
    UniqueViolation,
)


class Repos(NamedTuple):
    users: Repository[User]
    products: Repository[Product]
    authors: Repository[Author]
    books: Repository[Book]


@pytest.fixture
def repos(db: Database) -> Iterator[Repos]:
    db.create_all(User, Product, Author, Book)
    yield Repos(Repository(User, db), Repository(Product, db), Repository(Author, db), Repository(Book, db))


def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: db.execute(f"SELECT * FROM {t} ORDER BY id").all()
        for t in ("users", "products", "authors", "books")
    }


def _u(name: str) -> User:
    return User(name=name, email=f"{name.lower()}@example.com")


def _check(err: IntegrityError, cls: type[IntegrityError], model: str, fields: tuple[str, ...]) -> None:
    assert type(err) is cls
    assert isinstance(err, TypedORMError)
    assert err.model == model
    assert err.fields == fields
    assert f"{model}.{fields[0]}" in str(err)


# --- unique ------------------------------------------------------------------------------------
def test_unique_violation_names_the_field(db: Database, repos: Repos) -> None:
    users = repos[0]
    first = users.insert(_u("Ann"))
    before = snapshot(db)
    with pytest.raises(UniqueViolation) as ei:
        users.insert(User(name="Other", email="ann@example.com"))
    _check(ei.value, UniqueViolation, "User", ("email",))
    with pytest.raises(UniqueViolation) as ei:
        users.insert(User(id=first.id, name="Other", email="other@example.com"))
    _check(ei.value, UniqueViolation, "User", ("id",))
    assert snapshot(db) == before


def test_unique_violation_on_update_and_upsert(db: Database, repos: Repos) -> None:
    users = repos[0]
    users.insert(_u("Ann"))
    bob = users.insert(_u("Bob"))
    before = snapshot(db)
    with pytest.raises(UniqueViolation) as ei:
        users.update(bob.model_copy(update={"email": "ann@example.com"}))
    _check(ei.value, UniqueViolation, "User", ("email",))
    with pytest.raises(UniqueViolation) as ei:
        users.save(bob.model_copy(update={"email": "ann@example.com"}))
    _check(ei.value, UniqueViolation, "User", ("email",))
    with pytest.raises(UniqueViolation):
        # conflict on the key, then a clash on email while updating
        users.upsert(User(id=bob.id, name="B", email="ann@example.com"))
    assert snapshot(db) == before


def test_statement_failing_midway_changes_no_row(db: Database, repos: Repos) -> None:
    users = repos[0]
    users.insert_many([_u(f"U{i}") for i in range(5)])
    before = snapshot(db)
    # the first row updated is fine, the second clashes: the whole statement must be undone
    with pytest.raises(UniqueViolation):
        users.update(User.age >= 0, User.email.set("same@example.com"), User.age.set(7))
    assert snapshot(db) == before
    with pytest.raises(UniqueViolation):
        users.insert_many([_u("New"), _u("U3")])
    assert snapshot(db) == before


# --- not null ------------------------------------------------------------------------------------
def test_not_null_violation_names_the_field(db: Database, repos: Repos) -> None:
    products = repos[1]
    products.insert(Product(sku="ok", price=1))
    before = snapshot(db)
    # model_construct skips validation: the database constraint is the last line of defence
    bad = Product.model_construct(id=AUTO, sku=None, price=1, qty=0)
    with pytest.raises(NotNullViolation) as ei:
        products.insert(bad)
    _check(ei.value, NotNullViolation, "Product", ("sku",))
    assert snapshot(db) == before


# --- check ---------------------------------------------------------------------------------------
def test_check_violation_of_a_column_check(db: Database, repos: Repos) -> None:
    products = repos[1]
    p = products.insert(Product(sku="ok", price=1))
    before = snapshot(db)
    with pytest.raises(CheckViolation) as ei:
        products.insert(Product(sku="neg", price=-1))
    _check(ei.value, CheckViolation, "Product", ("price",))
    assert ei.value.constraint
    with pytest.raises(CheckViolation) as ei:
        products.update(Product.id == p.id, Product.price.set(Product.price - 100))
    _check(ei.value, CheckViolation, "Product", ("price",))
    assert snapshot(db) == before


def test_check_violation_of_a_validated_bound(db: Database, repos: Repos) -> None:
    products = repos[1]
    before = snapshot(db)
    # ge=0 is enforced by Pydantic and, for data that skipped it, by a CHECK in the table
    with pytest.raises(CheckViolation) as ei:
        products.insert(Product.model_construct(id=AUTO, sku="x", price=1, qty=-5))
    _check(ei.value, CheckViolation, "Product", ("qty",))
    assert snapshot(db) == before


# --- foreign keys ----------------------------------------------------------------------------------
def test_foreign_key_violation_names_the_field(db: Database, repos: Repos) -> None:
    _, _, authors, books = repos
    a = authors.insert(Author(name="A"))
    b = books.insert(Book(title="T", author_id=a.id))
    before = snapshot(db)
    with pytest.raises(ForeignKeyViolation) as ei:
        books.insert(Book(title="Orphan", author_id=a.id + 999))
    _check(ei.value, ForeignKeyViolation, "Book", ("author_id",))
    with pytest.raises(ForeignKeyViolation) as ei:
        books.update(b.model_copy(update={"author_id": a.id + 999}))
    _check(ei.value, ForeignKeyViolation, "Book", ("author_id",))
    with pytest.raises(ForeignKeyViolation) as ei:
        books.insert_many([Book(title="ok", author_id=a.id), Book(title="bad", author_id=-1)])
    assert ei.value.model == "Book"
    assert snapshot(db) == before


def test_deleting_a_referenced_row(db: Database, repos: Repos) -> None:
    _, _, authors, books = repos
    a = authors.insert(Author(name="A"))
    books.insert(Book(title="T", author_id=a.id))
    before = snapshot(db)
    with pytest.raises(ForeignKeyViolation) as ei:
        authors.delete(a)
    assert ei.value.model == "Author"
    with pytest.raises(ForeignKeyViolation):
        authors.delete(Author.id == a.id)
    assert snapshot(db) == before


def test_failed_write_inside_a_transaction_leaves_everything(db: Database, repos: Repos) -> None:
    users, products, authors, books = repos
    users.insert(_u("Keep"))
    before = snapshot(db)
    with pytest.raises(ForeignKeyViolation):
        with db.transaction():
            users.insert(_u("New"))
            a = authors.insert(Author(name="New"))
            products.insert(Product(sku="new", price=5))
            books.insert(Book(title="bad", author_id=a.id + 1000))
    assert snapshot(db) == before
