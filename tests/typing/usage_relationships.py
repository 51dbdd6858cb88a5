# pyright: strict
"""The typing contract of relationships: every ``assert_type`` here must hold in mypy --strict and pyright strict.

Never executed; the misuses these types catch are in ``usage_relationships_errors.py``.
"""

from __future__ import annotations

from typing import Annotated, assert_type

from typedorm import (
    AUTO,
    PK,
    Col,
    Database,
    ForeignKey,
    LoadPath,
    Model,
    Ordering,
    Predicate,
    Query,
    Rel,
    RelList,
    Repository,
    ToMany,
    ToOne,
    column,
    relation,
)


class Author(Model, table="t_authors"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    books: RelList[Book] = relation(order_by="title")
    bio: Rel[Bio | None] = relation()
    shelves: RelList[Shelf] = relation(through="t_author_shelves")


class Bio(Model, table="t_bios"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(Author.id, on_delete="cascade")]
    text: Col[str] = column(default="")
    author: Rel[Author] = relation()


class Book(Model, table="t_books"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(Author.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[Author] = relation()
    chapters: RelList[Chapter] = relation()


class Chapter(Model, table="t_chapters"):
    id: PK[int] = column(default=AUTO)
    book_id: Annotated[Col[int], ForeignKey(Book.id, on_delete="cascade")]
    n: Col[int]
    book: Rel[Book] = relation()


class Shelf(Model, table="t_shelves"):
    id: PK[int] = column(default=AUTO)
    label: Col[str]
    authors: RelList[Author] = relation(through="t_author_shelves")


class Node(Model, table="t_nodes"):
    id: PK[int] = column(default=AUTO)
    parent_id: Annotated[Col[int | None], ForeignKey("t_nodes.id")] = column(default=None)
    parent: Rel[Node | None] = relation()
    children: RelList[Node] = relation()


def construct() -> None:
    # relationships never have to be given ...
    a = Author(name="Ann")
    b = Book(author_id=1, title="T")
    Node()
    # ... and may be: the related model (or None for an optional one), or a list of them
    Author(name="Ann", books=[b], bio=None)
    Book(author_id=1, title="T", author=a, chapters=[Chapter(book_id=1, n=1)])
    Node(parent=None, children=[Node()])


def instance_types(a: Author, b: Book, n: Node, bio: Bio) -> None:
    assert_type(a.books, list[Book])
    assert_type(a.bio, Bio | None)
    assert_type(a.shelves, list[Shelf])
    assert_type(b.author, Author)
    assert_type(b.chapters, list[Chapter])
    assert_type(b.chapters[0].book, Book)
    assert_type(bio.author, Author)
    assert_type(n.parent, Node | None)
    assert_type(n.children, list[Node])
    assert_type(n.children[0].children[0].parent, Node | None)


def class_types() -> None:
    assert_type(Author.books, ToMany[Author, Book])
    assert_type(Author.bio, ToOne[Author, Bio])
    assert_type(Book.author, ToOne[Book, Author])
    assert_type(Node.parent, ToOne[Node, Node])
    assert_type(Node.children, ToMany[Node, Node])
    assert_type(Author.shelves, ToMany[Author, Shelf])
    assert_type(Author.books.target, type[Book])
    assert_type(Author.books.model, type[Author])


def predicates() -> None:
    assert_type(Book.author.has(Author.name == "Ann"), Predicate[Book])
    assert_type(Book.author.order(Author.name.desc()), Ordering[Book])
    assert_type(Book.author.order(Author.name), Ordering[Book])
    assert_type(Author.books.any(Book.title.contains("x")), Predicate[Author])
    assert_type(Author.books.any(), Predicate[Author])
    assert_type(Author.books.none(Book.title == "x"), Predicate[Author])
    assert_type(Author.bio.has(Bio.text == ""), Predicate[Author])
    assert_type(Node.parent.has(Node.id == 1), Predicate[Node])
    assert_type(~Author.books.any() & (Author.name == "x"), Predicate[Author])
    assert_type(Author.books.any(Book.chapters.any(Chapter.n > 3)), Predicate[Author])


def loading(db: Database) -> None:
    authors = Repository(Author, db)
    assert_type(authors.filter(Author.name == "Ann").load(Author.books), Query[Author])
    assert_type(authors.load(Author.books, Book.chapters).all(), list[Author])
    assert_type(authors.load(Author.books.then(Book.chapters)).first(), Author | None)
    assert_type(Author.books.then(Book.chapters), LoadPath[Author])
    assert_type(Node.children.then(Node.children.then(Node.children)), LoadPath[Node])
    one = authors.load(Author.books).one()
    assert_type(one.books[0].title, str)
    got = authors.get(1)
    if got is not None:
        assert_type(authors.load_related(got, Author.books), Author)
    assert_type(authors.load_related(authors.all(), Author.bio), list[Author])


def writes(db: Database, a: Author, s: Shelf) -> None:
    authors = Repository(Author, db)
    assert_type(authors.insert(a, with_related=True), Author)
    assert_type(authors.add_related(a, Author.shelves, s), int)
    assert_type(authors.remove_related(a, Author.shelves, s), int)
    assert_type(authors.set_related(a, Author.shelves, [s]), None)
