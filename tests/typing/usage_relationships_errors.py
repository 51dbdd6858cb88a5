# pyright: strict
"""Relationship misuses both checkers must reject: each line marked with an error code below is
an error in mypy --strict (with that code) and in pyright strict, and no other line is.

Never executed.
"""

from __future__ import annotations

from typing import Any

from usage_relationships import Author, Book, Chapter, Shelf

from typedorm import Database, Repository


def misuse(db: Database, a: Author, b: Book, s: Shelf) -> None:
    authors = Repository(Author, db)
    Book.author.has(Book.title == "x")  # E: arg-type
    Book.author.order(Book.title)  # E: arg-type
    authors.order_by(Book.author.order(Author.name))  # E: arg-type
    Author.books.any(Author.name == "x")  # E: arg-type
    authors.filter(Book.author.has(Author.name == "x"))  # E: arg-type
    authors.load(Book.chapters)  # E: arg-type
    Author.books.then(Chapter.book)  # E: arg-type
    authors.add_related(a, Author.shelves, b)  # E: misc
    authors.add_related(a, Book.chapters, s)  # E: arg-type
    Author(name="Ann", books=[s])  # E: list-item
    x: list[Shelf] = a.books  # E: assignment
    _: Any = x
