"""``server_default``: a Python value is a literal each dialect quotes and escapes; raw SQL only in ``SQL(...)``."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pytest

from typedorm import AUTO, PK, SQL, Col, Column, Model, ModelDefinitionError, TableSpec, column
from typedorm.dialects import get_dialect
from typedorm.migrations import Schema, col, diff
from typedorm.migrations.ops import render_column
from typedorm.schema.spec import DefaultLiteral


class Mood(StrEnum):
    HAPPY = "happy"


TRICKY = "it's a \\ test'); DROP TABLE t; --"


class Defaults(Model, table="defaults"):
    id: PK[int] = column(default=AUTO)
    label: Annotated[Col[str], Column(server_default="none")] = column(default=AUTO)
    tricky: Annotated[Col[str], Column(server_default=TRICKY)] = column(default=AUTO)
    flag: Annotated[Col[bool], Column(server_default=True)] = column(default=AUTO)
    n: Annotated[Col[int], Column(server_default=-5)] = column(default=AUTO)
    ratio: Annotated[Col[float], Column(server_default=0.25)] = column(default=AUTO)
    price: Annotated[
        Col[Decimal], Column(server_default=Decimal("12.50"), max_digits=8, decimal_places=2)
    ] = column(default=AUTO)
    mood: Annotated[Col[str], Column(server_default=Mood.HAPPY)] = column(default=AUTO)
    answer: Annotated[Col[int], Column(server_default=SQL("(2 * 21)"))] = column(default=AUTO)


def _default_sql(dialect: str, field: str) -> str:
    d = get_dialect(dialect)
    c = Defaults.__table__.by_field[field]
    ddl = d.column_ddl(Defaults.__table__, c, False)
    return ddl.split(" DEFAULT ", 1)[1]


@pytest.mark.parametrize(
    ("field", "sqlite", "postgresql", "mysql"),
    [
        ("label", "'none'", "'none'", "'none'"),
        (
            "tricky",
            "'it''s a \\ test''); DROP TABLE t; --'",
            "'it''s a \\ test''); DROP TABLE t; --'",
            "'it''s a \\\\ test''); DROP TABLE t; --'",
        ),
        ("flag", "TRUE", "TRUE", "TRUE"),
        ("n", "-5", "-5", "-5"),
        ("ratio", "0.25", "0.25", "0.25"),
        ("price", "12.50", "12.50", "12.50"),
        ("mood", "'happy'", "'happy'", "'happy'"),
        ("answer", "(2 * 21)", "(2 * 21)", "(2 * 21)"),
    ],
)
def test_literals_are_quoted_per_dialect_and_sql_is_raw(
    field: str, sqlite: str, postgresql: str, mysql: str
) -> None:
    assert _default_sql("sqlite", field) == sqlite
    assert _default_sql("postgresql", field) == postgresql
    assert _default_sql("mysql", field) == mysql


def test_the_spec_keeps_the_kind() -> None:
    by = Defaults.__table__.by_field
    assert by["label"].server_default == DefaultLiteral("none")
    assert by["answer"].server_default == "(2 * 21)"
    assert by["mood"].server_default == DefaultLiteral("happy")
    # 1 and True are equal in Python, not as defaults
    assert DefaultLiteral(1) != DefaultLiteral(True) and DefaultLiteral(1) != DefaultLiteral(1.0)


def test_table_spec_json_round_trips_both_kinds() -> None:
    spec = Defaults.__table__
    back = TableSpec.from_json(spec.to_json())
    assert back == spec
    assert back.by_field["price"].server_default == DefaultLiteral(Decimal("12.50"))
    assert back.by_field["flag"].server_default == DefaultLiteral(True)


@pytest.mark.parametrize(
    "field", [c.field for c in Defaults.__table__.columns if c.server_default is not None]
)
def test_a_migration_file_round_trips_either_kind(field: str) -> None:
    c = Defaults.__table__.by_field[field]
    source = render_column(c)
    assert ("SQL(" in source) == (field == "answer")
    ns: dict[str, Any] = {"col": col, "SQL": SQL, "Decimal": Decimal}
    rebuilt = eval(source, ns)
    assert rebuilt.server_default == c.server_default
    for d in ("sqlite", "postgresql", "mysql"):
        assert get_dialect(d).default_sql(rebuilt.server_default) == _default_sql(d, field)


def test_changing_a_literal_default_is_a_migration() -> None:
    def model(default: Any) -> Schema:
        class T(Model, table="t_default"):
            id: PK[int] = column(default=AUTO)
            v: Annotated[Col[str], Column(server_default=default)] = column(default=AUTO)

        return Schema([T.__table__])

    assert diff(model("a"), model("a")) == []
    assert diff(model("a"), model(SQL("'a'"))) != []  # a literal and raw SQL are different specs
    ops = diff(model("a"), model("b"))
    assert len(ops) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "finite"),
        (Decimal("Infinity"), "finite"),
        ("a\x00b", "NUL"),
        (["x"], "takes a str, int, float, Decimal or bool literal, or SQL"),
        (object(), "takes a str, int, float, Decimal or bool literal, or SQL"),
    ],
)
def test_bad_server_defaults_are_rejected_naming_the_field(value: Any, message: str) -> None:
    with pytest.raises(ModelDefinitionError, match=rf"Bad\.v: .*{message}"):

        class Bad(Model, table="bad_default"):
            id: PK[int] = column(default=AUTO)
            v: Annotated[Col[str], Column(server_default=value)] = column(default=AUTO)


def test_sql_needs_text() -> None:
    with pytest.raises(TypeError, match="non-empty SQL text"):
        SQL("  ")
