"""Table models shared by the repository integration tests."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr

from typedorm import AUTO, PK, Col, Column, ForeignKey, Model, column

__all__ = [
    "AllTypes",
    "Author",
    "Book",
    "Color",
    "Event",
    "Point",
    "Priority",
    "Product",
    "Reading",
    "User",
    "UserName",
]


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[EmailStr], Column(unique=True)]
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0)
    n: Col[int] = column(default=0)
    bio: Col[str | None] = column(default=None)


class UserName(BaseModel):
    """A projection of User (not a table)."""

    id: int
    name: str


class Author(Model, table="authors"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class Book(Model, table="books"):
    id: PK[int] = column(default=AUTO)
    title: Col[str]
    author_id: Annotated[Col[int], Column(foreign_key=ForeignKey("authors.id"))]


class Product(Model, table="products"):
    """``price`` has a CHECK only the database knows about (Pydantic accepts any int)."""

    id: PK[int] = column(default=AUTO)
    sku: Annotated[Col[str], Column(unique=True, max_length=20)]
    price: Col[int] = column(check="price >= 0")
    qty: Col[int] = column(default=0, ge=0)


class Event(Model, table="events"):
    """Rows written by hooks (an audit log)."""

    id: PK[int] = column(default=AUTO)
    kind: Col[str]
    ref: Col[int] = column(default=0)


class Reading(Model, table="readings"):
    """Many small rows, for the streaming tests."""

    id: PK[int] = column(default=AUTO)
    sensor: Col[str]
    value: Col[float]
    note: Col[str]
    at: Col[dt.datetime]


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2
    URGENT = 3


class Point(BaseModel):
    x: float
    y: float
    tags: list[str] = []


class AllTypes(Model, table="all_types"):
    """One column of every supported value type."""

    id: PK[int] = column(default=AUTO)
    i: Col[int]
    f: Col[float]
    b: Col[bool]
    s: Col[str]
    raw: Col[bytes]
    dec: Col[Decimal]
    ts: Col[dt.datetime]
    d: Col[dt.date]
    t: Col[dt.time]
    td: Col[dt.timedelta]
    u: Col[uuid.UUID]
    color: Col[Color]
    prio: Col[Priority]
    items: Col[list[Any]]
    doc: Col[dict[str, Any]]
    point: Col[Point]
    maybe: Col[int | None] = column(default=None)
    maybe_s: Col[str | None] = column(default=None)
