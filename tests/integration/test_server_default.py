"""``server_default`` on every backend: a Python value is stored as that value (never run as SQL),
``SQL(...)`` is run as SQL. ``server_default="none"`` used to be SQL: fine on SQLite, an unknown
column on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from typedorm import AUTO, PK, SQL, Col, Column, Database, Model, Repository, column

TRICKY = "it's a \\ test'); DROP TABLE sd_items; --"


class Item(Model, table="sd_items"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    label: Annotated[Col[str], Column(server_default="none", max_length=50)] = column(default=AUTO)
    tricky: Annotated[Col[str], Column(server_default=TRICKY, max_length=100)] = column(default=AUTO)
    flag: Annotated[Col[bool], Column(server_default=True)] = column(default=AUTO)
    n: Annotated[Col[int], Column(server_default=-5)] = column(default=AUTO)
    price: Annotated[
        Col[Decimal], Column(server_default=Decimal("12.50"), max_digits=8, decimal_places=2)
    ] = column(default=AUTO)
    answer: Annotated[Col[int], Column(server_default=SQL("(2 * 21)"))] = column(default=AUTO)


def test_literal_and_sql_server_defaults(db: Database) -> None:
    db.create_all(Item)
    items = Repository(Item, db)
    a = items.insert(Item(name="a"))
    got = items.get_or_raise(a.id)
    assert (got.label, got.tricky, got.flag, got.n, got.price, got.answer) == (
        "none",
        TRICKY,
        True,
        -5,
        Decimal("12.50"),
        42,
    )
    # the returned instance carries what the database stored, as a re-read does
    assert a == got
    assert items.count() == 1  # the quote in the literal ended nothing: the table is still there
