"""How ``inspect`` reads declared SQL types: SQLite's affinity names, zone-less timestamps, key names."""

from __future__ import annotations

import pytest

from typedorm.migrations.codegen import _python_default, _strip_id
from typedorm.migrations.reflect import canonical_type, guess_logical


@pytest.mark.parametrize(
    ("declared", "logical"),
    [
        ("DATETIME", "naive_datetime"),
        ("TIMESTAMP", "naive_datetime"),
        ("timestamp", "naive_datetime"),
        ("DATE", "date"),
        ("TIME", "time"),
        ("BOOLEAN", "boolean"),
        ("BOOL", "boolean"),
        ("NUMERIC(10,2)", "decimal"),
        ("DECIMAL(12, 4)", "decimal"),
        ("NUMERIC", "decimal"),
        ("MONEY", "decimal"),
        ("UUID", "uuid"),
        ("JSON", "json"),
        ("BLOB", "bytes"),
        ("", "bytes"),
        ("VARCHAR(50)", "string"),
        ("NVARCHAR(10)", "string"),
        ("CHARACTER(20)", "string"),
        ("TEXT", "string"),
        ("CLOB", "string"),
        ("INTEGER", "integer"),
        ("BIGINT", "integer"),
        ("UNSIGNED BIG INT", "integer"),
        ("REAL", "float"),
        ("DOUBLE PRECISION", "float"),
        ("FLOAT", "float"),
    ],
)
def test_sqlite_declared_types(declared: str, logical: str) -> None:
    assert guess_logical("sqlite", canonical_type("sqlite", declared)) == logical


@pytest.mark.parametrize(
    ("dialect", "declared", "logical"),
    [
        ("postgresql", "timestamp without time zone", "naive_datetime"),
        ("postgresql", "timestamp(0) without time zone", "naive_datetime"),
        ("postgresql", "timestamp", "naive_datetime"),
        ("postgresql", "timestamp with time zone", "datetime"),
        ("postgresql", "timestamptz", "datetime"),
        ("mysql", "datetime", "naive_datetime"),
        ("mysql", "datetime(6)", "naive_datetime"),
        ("mysql", "timestamp", "datetime"),
    ],
)
def test_zone_less_timestamps_are_naive(dialect: str, declared: str, logical: str) -> None:
    assert guess_logical(dialect, canonical_type(dialect, declared)) == logical


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("author_id", "author"),
        ("invoice_no", "invoice"),
        ("project_code", "project"),
        ("ManagerID", "Manager"),
        ("parentId", "parent"),
        ("id", "id"),
        ("kid", "kid"),
        ("video", "video"),
    ],
)
def test_relation_names_from_key_columns(column: str, name: str) -> None:
    assert _strip_id(column) == name


@pytest.mark.parametrize(
    ("logical", "text", "source"),
    [
        ("integer", "0", "0"),
        ("integer", "'7'::integer", "7"),
        ("decimal", "0.00", 'decimal.Decimal("0.00")'),
        ("decimal", "'0'::numeric", 'decimal.Decimal("0")'),
        ("string", "'member'", '"member"'),
        ("string", "'it''s'::character varying", '"it\'s"'),
        ("boolean", "1", "True"),
        ("boolean", "false", "False"),
        ("float", "1.5", "1.5"),
        ("naive_datetime", "CURRENT_TIMESTAMP", None),
        ("integer", "nextval('x_seq'::regclass)", None),
        ("string", "lower('A')", None),
    ],
)
def test_constant_server_defaults_become_python_defaults(logical: str, text: str, source: str | None) -> None:
    assert _python_default(logical, text) == source
