"""What the bulk paths return: the stored rows, keys filled, in input order; the caller's own
instances are never changed, while rows typedorm validated from JSON get their keys in place;
rows read back with converted columns (datetimes, NULLs) hydrate column-wise exactly as row-wise."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import pytest

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, UnsetValueError, column


class Ev(Model, table="ret_events"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    at: Col[dt.datetime]
    until: Col[dt.datetime | None] = None


@pytest.fixture
def evs(db: Database) -> Repository[Ev]:
    db.create_all(Ev)
    return Repository(Ev, db)


T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _docs(n: int) -> list[bytes]:
    return [
        json.dumps({"name": f"e{i}", "at": (T0 + dt.timedelta(seconds=i)).isoformat()}).encode()
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 100])  # below and above the COPY threshold on PostgreSQL
def test_insert_many_leaves_the_given_instances_alone(evs: Repository[Ev], n: int) -> None:
    given = [Ev(name=f"e{i}", at=T0) for i in range(n)]
    stored = evs.insert_many(given)
    assert [s.name for s in stored] == [g.name for g in given]
    assert len({s.id for s in stored}) == n
    for g, s in zip(given, stored, strict=True):
        assert s is not g
        with pytest.raises(UnsetValueError):
            _ = g.id  # a key the database may yet roll back is never put on the caller's instance
    assert sorted(e.id for e in evs.all()) == sorted(s.id for s in stored)


@pytest.mark.parametrize("n", [3, 100])
def test_insert_many_json_returns_its_rows_with_their_keys(evs: Repository[Ev], n: int) -> None:
    stored = evs.insert_many_json(_docs(n))
    assert [s.name for s in stored] == [f"e{i}" for i in range(n)]
    assert all("id" in s.model_fields_set for s in stored)
    by_id = {e.id: e for e in evs.all()}
    assert {s.id: s for s in stored} == by_id  # every returned row equals its stored row
    stored2 = evs.insert_many_json(json.dumps([json.loads(d) for d in _docs(n)]))
    assert len({s.id for s in stored2} | set(by_id)) == 2 * n


def test_insert_many_json_with_a_before_insert_hook_keeps_what_the_hook_saw(evs: Repository[Ev]) -> None:
    seen: list[Ev] = []

    @evs.before_insert
    def keep(e: Ev) -> None:
        seen.append(e)

    stored = evs.insert_many_json(_docs(3))
    assert len(seen) == 3
    for e, s in zip(seen, stored, strict=True):
        assert s is not e
        with pytest.raises(UnsetValueError):
            _ = e.id


def test_rows_hydrate_column_wise_with_conversions_and_nulls(evs: Repository[Ev], db: Database) -> None:
    n = 2500  # more than one chunk of the column-wise hydration
    evs.insert_many(
        [
            Ev(
                name=f"e{i}",
                at=T0 + dt.timedelta(seconds=i),
                until=None if i % 3 else T0 + dt.timedelta(days=i),
            )
            for i in range(n)
        ]
    )
    got = evs.order_by("id").all()
    assert len(got) == n
    for i, e in enumerate(got):
        assert e.name == f"e{i}"
        assert e.at == T0 + dt.timedelta(seconds=i) and e.at.utcoffset() == dt.timedelta(0)
        assert e.until == (None if i % 3 else T0 + dt.timedelta(days=i))
    assert evs.filter(Ev.name == "nobody").all() == []
    # one row, through the same path
    one = evs.filter(Ev.name == "e3").all()
    assert [(o.name, o.until) for o in one] == [("e3", T0 + dt.timedelta(days=3))]
