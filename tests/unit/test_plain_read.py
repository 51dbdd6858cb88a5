"""What the engine re-runs after a lost connection (and a replica may serve): plain reads only."""

from __future__ import annotations

import pytest

from typedorm.engine.aio_routing import is_plain_read


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "id", "name" FROM "users" WHERE "age" >= %s ORDER BY "id" LIMIT 10',
        "select count(*) from `users`",
        "  SELECT 1",
        "(SELECT a FROM t) UNION (SELECT a FROM u)",
        'SELECT "x" FROM "t" WHERE "y" IN (SELECT "y" FROM "u")',
    ],
)
def test_plain_reads(sql: str) -> None:
    assert is_plain_read(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "id" FROM "users" WHERE "id" = %s FOR UPDATE',
        'SELECT "id" FROM "users" FOR NO KEY UPDATE SKIP LOCKED',
        'SELECT "id" FROM "users" FOR SHARE',
        'SELECT "id" FROM "users" FOR KEY SHARE',
        "SELECT id FROM users LOCK IN SHARE MODE",
        "SELECT id INTO @x FROM users",
        "SELECT * INTO backup FROM users",
        "WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d",
        'INSERT INTO "users" ("name") VALUES (%s) RETURNING "id"',
        'UPDATE "users" SET "n" = %s',
        "DELETE FROM users",
        "BEGIN",
        "",
    ],
)
def test_not_plain_reads(sql: str) -> None:
    assert not is_plain_read(sql)
