"""Every built-in column type, and the SQL each becomes on each backend."""

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, column


# --8<-- [start:model]
class Status(enum.Enum):
    ACTIVE = "active"
    BANNED = "banned"


class Address(BaseModel):
    city: str
    zip: str


class Everything(Model):
    id: PK[int] = column(default=AUTO)
    count: Col[int]
    ratio: Col[float]
    flag: Col[bool]
    name: Annotated[Col[str], Column(max_length=40)]  # VARCHAR(40); plain str is TEXT
    blob: Col[bytes]
    price: Annotated[Col[Decimal], Column(max_digits=10, decimal_places=2)]
    at: Col[dt.datetime]  # time-zone aware only; stored in UTC
    day: Col[dt.date]
    clock: Col[dt.time]
    took: Col[dt.timedelta]
    key: Col[uuid.UUID]
    status: Col[Status]
    tags: Col[list[str]]  # JSON (JSONB on PostgreSQL)
    address: Col[Address]  # a Pydantic model, stored as JSON
    note: Col[str | None] = column(default=None)  # nullable: inferred from "| None"


# --8<-- [end:model]

# --8<-- [start:ddl]
print(f"{'field':8} {'sqlite':8} {'postgresql':17} mysql")
for c in Everything.__table__.columns:
    print(f"{c.name:8} {c.sql_type('sqlite'):8} {c.sql_type('postgresql'):17} {c.sql_type('mysql')}")
# --8<-- [end:ddl]

# --8<-- [start:roundtrip]
db = Database("sqlite:///:memory:")
db.create_all(Everything)
rows = Repository(Everything, db)
row = rows.insert(
    Everything(
        count=1,
        ratio=0.5,
        flag=True,
        name="x",
        blob=b"\x00\x01",
        price=Decimal("9.99"),
        at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        day=dt.date(2024, 5, 1),
        clock=dt.time(8, 30),
        took=dt.timedelta(minutes=90),
        key=uuid.UUID(int=1),
        status=Status.ACTIVE,
        tags=["a", "b"],
        address=Address(city="Oslo", zip="0150"),
    )
)
back = rows.get_or_raise(row.id)
print(back == row, back.at, back.address.city, back.status)
# --8<-- [end:roundtrip]
