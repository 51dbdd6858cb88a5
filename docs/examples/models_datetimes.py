"""Aware datetimes round-trip in UTC; naive ones are refused, or kept exactly in a NaiveDateTime column."""

import datetime as dt

from typedorm import AUTO, PK, Col, Database, Model, NaiveDateTime, Repository, ValidationError, column


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


# --8<-- [start:naive-column]
class Shift(Model):
    id: PK[int] = column(default=AUTO)
    starts: Col[NaiveDateTime]  # a wall-clock time without a zone; checkers see datetime


db.create_all(Shift)
shifts = Repository(Shift, db)
s = shifts.insert(Shift(starts=dt.datetime(2024, 6, 1, 9, 30)))
print(shifts.get_or_raise(s.id).starts)  # exactly as given: no zone added or assumed
print({d: Shift.__table__.column("starts").sql_type(d) for d in ("sqlite", "postgresql", "mysql")})
try:
    shifts.insert_json(b'{"starts": "2024-06-01T09:30:00+02:00"}')  # an aware value
except ValidationError as err:
    print(err.fields, err.errors()[0]["msg"])
# --8<-- [end:naive-column]
