"""Naive timestamps: ``NaiveDateTime`` round-trips them exactly, and a naive value read into an
aware ``datetime`` field can be written back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pytest

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    Model,
    NaiveDateTime,
    Repository,
    ValidationError,
    column,
)


class Shift(Model, table="naive_shifts"):
    id: PK[int] = column(default=AUTO)
    starts: Col[NaiveDateTime]
    ends: Col[NaiveDateTime | None] = column(default=None)


VALUES = [
    dt.datetime(2024, 1, 2, 3, 4, 5),
    dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
    dt.datetime(1, 1, 1, 0, 0, 0),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 3, 31, 2, 30),  # a wall time some zones skip: nothing is converted
]


def test_naive_datetime_round_trips_exactly(db: Database) -> None:
    db.create_all(Shift)
    repo = Repository(Shift, db)
    rows = [repo.insert(Shift(starts=v, ends=v if i % 2 else None)) for i, v in enumerate(VALUES)]
    for row, v in zip(rows, VALUES, strict=True):
        got = repo.get(row.id)
        assert got is not None
        assert got.starts == v and got.starts.tzinfo is None
        assert got == row
        got.ends = v
        repo.update(got)  # what was read is written back
        again = repo.get(row.id)
        assert again is not None and again.starts == v and again.ends == v
    assert repo.filter(Shift.starts == VALUES[1]).count() == 1
    assert (
        repo.filter(Shift.starts > dt.datetime(2000, 1, 1), Shift.starts < dt.datetime(3000, 1, 1)).count()
        == 3
    )


def test_naive_datetime_refuses_aware_values(db: Database) -> None:
    db.create_all(Shift)
    with pytest.raises((ValidationError, ValueError), match="starts"):
        Shift(starts=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    repo = Repository(Shift, db)
    with pytest.raises(ValidationError, match="starts"):
        repo.insert_json(b'{"starts": "2024-01-02T03:04:05+02:00"}')
    assert repo.count() == 0


# A zone-less column from a legacy schema, declared by its users as an aware datetime.
ZONELESS = {"sqlite": "TEXT", "postgresql": "TIMESTAMP", "mysql": "DATETIME(6)"}


class Visit(Model, table="legacy_visits"):
    id: PK[int]
    at: Annotated[Col[dt.datetime], Column(sql_type=ZONELESS)]


def test_naive_value_read_into_aware_field_is_written_back(db: Database) -> None:
    q = db.dialect.quote
    db.execute(
        f"CREATE TABLE {q('legacy_visits')} ({q('id')} INTEGER NOT NULL PRIMARY KEY, "
        f"{q('at')} {ZONELESS[db.dialect.name]} NOT NULL)"
    )
    db.execute(f"INSERT INTO {q('legacy_visits')} ({q('id')}, {q('at')}) VALUES (1, '2024-01-02 03:04:05')")
    repo = Repository(Visit, db)
    visit = repo.get(1)
    assert visit is not None
    # typedorm stores aware datetimes in UTC: a value without a zone is read as UTC
    assert visit.at == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    repo.update(visit)  # raised "naive datetime" before
    again = repo.get(1)
    assert again is not None and again.at == visit.at
