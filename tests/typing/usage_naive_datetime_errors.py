# pyright: strict
"""``NaiveDateTime`` fields take datetimes only. Checked by test_typing.py; never executed."""

from __future__ import annotations

import datetime as dt

from typedorm import AUTO, PK, Col, Model, NaiveDateTime, column


class Stamp(Model, table="stamps"):
    id: PK[int] = column(default=AUTO)
    at: Col[NaiveDateTime]


Stamp(at="2024-01-02")  # E: arg-type
Stamp(at=dt.date(2024, 1, 2))  # E: arg-type
_ = Stamp.at == 3  # ok at the comparison itself (bool-typed), as for every column
_ = Stamp.at > 3  # E: operator
