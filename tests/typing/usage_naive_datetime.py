# pyright: strict
"""``NaiveDateTime`` fields read and compare as ``datetime``. Checked by test_typing.py; never executed."""

from __future__ import annotations

import datetime as dt
from typing import assert_type

from typedorm import AUTO, PK, Col, ColumnExpr, Database, Model, NaiveDateTime, Predicate, Repository, column


class Shift(Model, table="shifts"):
    id: PK[int] = column(default=AUTO)
    starts: Col[NaiveDateTime]
    ends: Col[NaiveDateTime | None] = column(default=None)


shifts = Repository(Shift, Database("sqlite:///:memory:"))
shift = shifts.insert(Shift(starts=dt.datetime(2024, 1, 2, 3, 4)))
assert_type(shift.starts, dt.datetime)
assert_type(shift.ends, dt.datetime | None)
assert_type(Shift.starts, ColumnExpr[Shift, dt.datetime])
assert_type(Shift.starts >= dt.datetime(2024, 1, 1), Predicate[Shift])
assert_type(shifts.filter(Shift.starts < dt.datetime(2025, 1, 1)).all(), list[Shift])
