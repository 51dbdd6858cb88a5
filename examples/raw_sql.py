"""Raw SQL with bound parameters (portable ? and :name placeholders) and typed mapping."""

from __future__ import annotations

import sys

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class Book(Model):
    id: PK[int] = column(default=AUTO)
    title: Col[str]
    year: Col[int]


def main(url: str = "sqlite:///:memory:") -> None:
    with Database(url) as db:
        db.create_all(Book)
        books = Repository(Book, db)
        books.insert_many(
            [
                Book(title="Dune", year=1965),
                Book(title="Solaris", year=1961),
                Book(title="Hyperion", year=1989),
            ]
        )

        result = db.execute("SELECT title, year FROM book WHERE year < ? ORDER BY year", (1970,))
        print("positional:", result.rows)

        result = db.execute("SELECT COUNT(*) FROM book WHERE title LIKE :pattern", {"pattern": "%o%"})
        print("named:", result.scalar())

        old = books.raw("SELECT * FROM book WHERE year < :year ORDER BY title", {"year": 1970})  # list[Book]
        print("as models:", old)

        hostile = "x'; DROP TABLE book; --"
        print(
            "a value is only data:",
            books.raw("SELECT * FROM book WHERE title = ?", (hostile,)),
            books.count(),
        )


if __name__ == "__main__":
    main(*sys.argv[1:2])
