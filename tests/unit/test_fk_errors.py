"""Naming the broken foreign key from the failed statement when SQLite does not (engine/fk_errors.py)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from typedorm.engine.fk_errors import foreign_key_columns
from typedorm.schema import AUTO, PK, Col, ForeignKey, Model, column


class Owner(Model, table="owners"):
    id: PK[int] = column(default=AUTO)


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    owner_id: Annotated[Col[int], ForeignKey(Owner.id)]
    editor_id: Annotated[Col[int | None], ForeignKey(Owner.id)] = column(default=None)
    n: Col[int] = column(default=0)


SPEC = Item.__table__


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        ('INSERT INTO "items" ("owner_id", "editor_id", "n") VALUES (?, ?, ?)', [9, None, 1], ("owner_id",)),
        (
            'INSERT INTO "items" ("owner_id", "editor_id", "n") VALUES (?, ?, ?)',
            [9, 8, 1],
            ("owner_id", "editor_id"),
        ),
        (
            "INSERT INTO `items` (`owner_id`, `editor_id`, `n`) VALUES (%s, %s, %s), (%s, %s, %s)",
            [1, None, 0, 2, 5, 0],
            ("owner_id", "editor_id"),
        ),
        (
            'INSERT INTO "items" ("owner_id", "editor_id", "n") VALUES (?, ?, ?)',
            [(1, None, 0), (2, None, 0)],
            ("owner_id",),
        ),
        ('INSERT INTO "items" ("owner_id", "n") VALUES (?, ?)', None, ("owner_id",)),
        (
            'UPDATE "items" SET "owner_id" = ?, "editor_id" = ?, "n" = ? WHERE "items"."id" = ?',
            [3, None, 0, 1],
            ("owner_id",),
        ),
        (
            'UPDATE "items" SET "n" = ("items"."n" + ?), "editor_id" = ? WHERE "items"."id" = ?',
            [1, 4, 1],
            ("editor_id",),
        ),
        ('UPDATE "items" SET "id" = ? WHERE "items"."id" = ?', [5, 1], ("id",)),
        ('DELETE FROM "items" WHERE "items"."id" = ?', [1], ("id",)),
        ("SELECT 1", None, ()),
    ],
)
def test_foreign_key_columns(sql: str, params: Any, expected: tuple[str, ...]) -> None:
    assert foreign_key_columns(SPEC, sql, params) == expected
