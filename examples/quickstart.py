"""Quickstart: declare a model, create its table, insert, query adults, update, delete."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

from pydantic import EmailStr

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, UniqueViolation, column, select


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)  # assigned by the database on insert
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[EmailStr], Column(unique=True)]
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0)


def main(url: str) -> None:
    with Database(url) as db:
        db.create_all(User)
        users = Repository(User, db)  # Repository[User]

        john = users.insert(User(name="John", email="john@example.com", age=30))
        users.insert(User(name="Ann", email="ann@example.com", age=25))
        users.insert(User(name="Tim", email="tim@example.com", age=12))
        print("inserted:", john)

        adults = users.filter(User.age >= 18).order_by(User.age.desc()).all()  # list[User]
        print("adults:", [u.name for u in adults])

        users.update(User.id == john.id, User.age.set(31))
        print("John is now", users.get_or_raise(john.id).age)

        pairs = users.rows(select(User.id, User.name).where(User.age >= 18))  # list[tuple[int, str]]
        print("id/name pairs:", sorted(pairs))

        try:
            users.insert(User(name="Johnny", email="john@example.com"))
        except UniqueViolation as e:
            print("rejected duplicate:", e.fields)

        with db.transaction():
            users.delete(john)
        print("left:", [u.name for u in users.order_by("name").all()], "count:", users.count())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(f"sqlite:///{Path(tmp) / 'quickstart.db'}")
