"""JSON payloads straight into rows, with errors that name the field."""

from __future__ import annotations

import sys
from typing import Annotated

from pydantic import EmailStr

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    Model,
    Repository,
    UniqueViolation,
    ValidationError,
    column,
)


class Customer(Model):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    email: Annotated[Col[EmailStr], Column(unique=True)]
    credit: Col[int] = column(default=0, ge=0)


def main(url: str = "sqlite:///:memory:") -> None:
    with Database(url) as db:
        db.create_all(Customer)
        customers = Repository(Customer, db)

        ann = customers.insert_json(b'{"name": "Ann", "email": "ann@example.com", "credit": 10}')
        print("stored:", ann)

        batch = customers.insert_many_json(
            '[{"name": "Bo", "email": "bo@example.com"}, {"name": "Cy", "email": "cy@example.com"}]'
        )
        print("batch ids:", [c.id for c in batch])

        for bad in (
            b'{"name": "Dee", "email": "not-an-email"}',
            b'{"name": "Dee", "email": "dee@example.com", "credit": -5}',
            b'{"email": "dee@example.com"}',
        ):
            try:
                customers.insert_json(bad)
            except ValidationError as e:
                print("rejected, field:", e.fields, "-", e.errors()[0]["msg"])

        try:
            customers.insert_json(b'{"name": "Ann again", "email": "ann@example.com"}')
        except UniqueViolation as e:
            print("rejected, duplicate:", e.fields)

        updated = customers.patch(ann.id, b'{"credit": 99}')  # only "credit" is written
        print("patched:", updated)
        print("rows:", customers.count())


if __name__ == "__main__":
    main(*sys.argv[1:2])
