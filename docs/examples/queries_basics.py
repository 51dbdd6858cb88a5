"""Filtering: typed expressions, Django-style lookups, Q objects and ordering."""

from typing import Annotated

from typedorm import AUTO, PK, Col, Column, Database, InvalidValue, Model, Q, Repository, UnknownField, column


# --8<-- [start:model]
class Book(Model, table="books"):
    id: PK[int] = column(default=AUTO)
    title: Annotated[Col[str], Column(max_length=200)]
    author: Annotated[Col[str], Column(max_length=100, index=True)]
    year: Col[int]
    pages: Col[int | None] = column(default=None)


db = Database("sqlite:///:memory:")
db.create_all(Book)
books = Repository(Book, db)
books.insert_many(
    [
        Book(title="Dune", author="Herbert", year=1965, pages=412),
        Book(title="Emma", author="Austen", year=1815, pages=474),
        Book(title="Persuasion", author="Austen", year=1817),
        Book(title="100% Python", author="Guido", year=2024, pages=90),
    ]
)
# --8<-- [end:model]


def titles(rows: list[Book]) -> list[str]:
    return [b.title for b in rows]


# --8<-- [start:expressions]
print(titles(books.filter(Book.year >= 1900).all()))
print(titles(books.filter((Book.author == "Austen") & (Book.pages.is_not_null())).all()))
print(titles(books.filter(Book.year.between(1800, 1900), Book.title != "Emma").all()))
print(titles(books.filter(Book.title.contains("%")).all()))  # % and _ are matched literally
print(titles(books.filter(Book.author.in_(["Herbert", "Guido"])).all()))
print(titles(books.filter(Book.pages * 2 > 800).all()))  # arithmetic in SQL
print(titles(books.exclude(Book.author == "Austen").all()))
# --8<-- [end:expressions]

# --8<-- [start:lookups]
print(titles(books.filter_by(author="Austen", year__lt=1816).all()))
print(titles(books.filter_by(title__istartswith="p", pages__isnull=True).all()))
print(titles(books.filter_by(year="1815").all()))  # validated by the column's type: "1815" is 1815
try:
    books.filter_by(auther="Austen")
except UnknownField as e:
    print("rejected:", e)
try:
    books.filter_by(author=["Austen", "Herbert"])  # one value expected; use author__in=[...]
except InvalidValue as e:
    print("rejected:", e.fields, type(e).__name__)
# --8<-- [end:lookups]

# --8<-- [start:q]
old_or_short = Q(year__lt=1900) | Q(pages__lt=100)
print(titles(books.filter(old_or_short).all()))
print(titles(books.filter(~Q(author="Austen")).all()))
# --8<-- [end:q]

# --8<-- [start:ordering]
print(titles(books.order_by(Book.year.desc()).all()))
print(titles(books.order_by(Book.pages.asc(nulls="first"), "title").all()))
print(titles(books.order_by("-year").limit(2).all()))  # a checked string: "-" is descending
# --8<-- [end:ordering]
