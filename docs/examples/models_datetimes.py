"""Aware datetimes round-trip in UTC; naive ones are refused before any SQL."""

import datetime as dt

from typedorm import AUTO, PK, Col, Database, Model, Repository, ValidationError, column


class Event(Model):
    id: PK[int] = column(default=AUTO)
    at: Col[dt.datetime]


db = Database("sqlite:///:memory:")
db.create_all(Event)
events = Repository(Event, db)

# --8<-- [start:aware]
oslo = dt.timezone(dt.timedelta(hours=2))
e = events.insert(Event(at=dt.datetime(2024, 6, 1, 14, 0, tzinfo=oslo)))
back = events.get_or_raise(e.id)
print(back.at, back.at == e.at)  # the same instant, read back in UTC
# --8<-- [end:aware]

# --8<-- [start:naive]
try:
    events.insert(Event(at=dt.datetime(2024, 6, 1, 14, 0)))  # no tzinfo
except ValidationError as err:
    print(err.fields, err.errors()[0]["msg"])
print(events.count())  # only the aware event was stored
# --8<-- [end:naive]
