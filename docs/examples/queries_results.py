"""What a query returns: rows, projections, aggregates, subqueries, pages and streams."""

from pydantic import BaseModel

from typedorm import AUTO, PK, Col, Database, InvalidArgument, Model, Repository, column, func, select


class Author(Model, table="authors"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class Book(Model, table="books"):
    id: PK[int] = column(default=AUTO)
    title: Col[str]
    author_id: Col[int]
    year: Col[int]
    price: Col[float] = column(default=10.0)


db = Database("sqlite:///:memory:")
db.create_all(Author, Book)
authors = Repository(Author, db)
books = Repository(Book, db)
austen, herbert = authors.insert_many([Author(name="Austen"), Author(name="Herbert")])
books.insert_many(
    [
        Book(title="Emma", author_id=austen.id, year=1815, price=8.5),
        Book(title="Persuasion", author_id=austen.id, year=1817),
        Book(title="Dune", author_id=herbert.id, year=1965, price=12.0),
    ]
)

# --8<-- [start:results]
q = books.filter(Book.year < 1900).order_by(Book.year)  # builds SQL, runs nothing
print(q.count(), q.exists())
print(q.first())  # Book | None
print(q.one_or_none() if q.count() == 1 else "more than one")
# --8<-- [end:results]


# --8<-- [start:projections]
class TitleOnly(BaseModel):
    id: int
    title: str


pairs = books.query().order_by(Book.id).rows(Book.id, Book.title)  # list[tuple[int, str]]
print(pairs)
print(books.order_by(Book.id).limit(1).into(TitleOnly))  # list[TitleOnly]
print(books.filter(Book.year > 1900).values("title", "year"))  # list[dict[str, Any]]
typed = books.rows(select(Book.title, Book.price).where(Book.price > 9).order_by(Book.title))
print(typed)  # list[tuple[str, float]]
# --8<-- [end:projections]

# --8<-- [start:aggregates]
print(books.query().sum(Book.price), books.query().max(Book.year))
per_author = books.rows(
    select(Book.author_id, func.count(), func.avg(Book.price))
    .group_by(Book.author_id)
    .having(func.count() > 1)
)
print(per_author)  # list[tuple[int, int, float | None]]
# --8<-- [end:aggregates]

# --8<-- [start:subqueries]
austen_ids = select(Author.id).where(Author.name == "Austen")
print([b.title for b in books.filter(Book.author_id.in_(austen_ids)).all()])
has_books = select(Book.id).where(Book.year > 1900).exists()
print(authors.filter(has_books).count())  # EXISTS (...): true here, so every author
# --8<-- [end:subqueries]

# --8<-- [start:pagination]
page = books.order_by(Book.title).paginate(1, 2)  # page 1, 2 rows per page
print([b.title for b in page.items], page.total, page.pages, page.has_next)
print([b.title for b in books.order_by(Book.title).offset(2).limit(2).all()])
print([b.title for b in books.limit(2).order_by(Book.id).all()])  # on the repository too: a Query[Book]
for bad in (lambda: books.offset(-1), lambda: books.order_by(Book.title).paginate(0, 2)):
    try:
        bad()
    except InvalidArgument as e:
        print(f"InvalidArgument ({e.argument}): {e}")
# --8<-- [end:pagination]

# --8<-- [start:streaming]
for book in books.order_by(Book.id).iterate(batch_size=2):  # bounded memory
    print(book.id, book.title)
# --8<-- [end:streaming]
