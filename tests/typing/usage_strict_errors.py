# pyright: strict
"""Misuses of strict models and of ``allow_auto`` that the checkers must reject.

Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class StrictUser(Model, table="strict_users", strict=True):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


users = Repository(StrictUser, Database("sqlite:///:memory:"))
users.insert_json(b'{"name": "ann"}', True)  # E: call-arg
users.insert_many_json(b"[]", True)  # E: call-arg
users.patch(1, b"{}", True)  # E: call-arg
users.insert_json(b'{"name": "ann"}', allow_auto="yes")  # E: arg-type
