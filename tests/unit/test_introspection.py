"""TableSpec introspection: contents, JSON round trip and immutability."""

import dataclasses
import enum
import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any

import pytest

from typedorm.schema import AUTO, PK, SQL, Col, Column, ForeignKey, Model, TableSpec, column
from typedorm.schema.spec import CheckSpec, ColumnSpec, ForeignKeySpec, IndexSpec
from typedorm.schema.types import EnumType, IntType, StrType


class Status(str, enum.Enum):  # noqa: UP042 - the mixin form is what users write
    ACTIVE = "active"
    GONE = "gone"


class Team(Model, table="teams"):
    id: PK[int] = column(default=AUTO)
    title: Annotated[Col[str], Column(max_length=80, unique=True)]


class Member(
    Model,
    table="members",
    unique=[("team_id", "handle")],
    indexes=[("status", "score")],
    checks=["score < 1000", ("ck_named", "handle <> ''")],
    comment="people in teams",
):
    id: PK[int] = column(default=AUTO)
    team_id: Annotated[Col[int], ForeignKey(Team.id, on_delete="cascade", on_update="restrict")]
    handle: Annotated[
        Col[str], Column(name="handle_name", min_length=1, max_length=30, comment="public name")
    ]
    score: Col[int] = column(default=0, ge=0, index=True)
    price: Annotated[Col[Decimal], Column(max_digits=8, decimal_places=2, gt=Decimal("0.01"))] = column(
        default=Decimal("1.00")
    )
    status: Col[Status] = column(default=Status.ACTIVE)
    bio: Annotated[Col[str | None], Column(server_default=SQL("'none'"), check="length(bio) < 500")] = column(
        default=None
    )


SPEC = Member.__table__


def test_table_level_contents() -> None:
    assert SPEC.name == "members"
    assert SPEC.model_name == "Member"
    assert SPEC.comment == "people in teams"
    assert SPEC.primary_key == ("id",)
    assert SPEC.field_names == ("id", "team_id", "handle", "score", "price", "status", "bio")
    assert [c.name for c in SPEC.pk_columns] == ["id"]


def test_column_contents() -> None:
    c = SPEC.column("handle")
    assert c == ColumnSpec(
        field="handle",
        name="handle_name",
        type_name="string",
        sql_types={},  # none declared: each dialect computes it
        nullable=False,
        has_default=False,
        comment="public name",
        max_length=30,
        min_length=1,
        keyed=True,  # part of the composite unique (team_id, handle)
    )
    assert {d: c.sql_type(d) for d in ("sqlite", "postgresql", "mysql")} == {
        "sqlite": "TEXT",
        "postgresql": "VARCHAR(30)",
        "mysql": "VARCHAR(30)",
    }
    assert c.python_type is str
    assert c.column_type == StrType()
    assert c.sql_type("postgresql") == "VARCHAR(30)"
    with pytest.raises(KeyError, match="oracle"):
        c.sql_type("oracle")


def test_column_details() -> None:
    by = SPEC.by_field
    assert (by["id"].primary_key, by["id"].autoincrement, by["id"].auto, by["id"].has_default) == (
        True,
        True,
        True,
        True,
    )
    assert by["id"].column_type == IntType()
    assert (by["score"].ge, by["score"].index, by["score"].has_default) == (0, True, True)
    assert (by["price"].max_digits, by["price"].decimal_places, by["price"].gt) == (8, 2, "0.01")
    assert by["price"].sql_type("postgresql") == "NUMERIC(8, 2)"
    assert by["status"].type_name == "enum"
    assert by["status"].enum_values == ("active", "gone")
    assert isinstance(by["status"].column_type, EnumType)
    assert (
        by["bio"].nullable and by["bio"].server_default == "'none'" and by["bio"].check == "length(bio) < 500"
    )
    assert SPEC.by_name["handle_name"] is by["handle"]


def test_indexes_foreign_keys_and_checks() -> None:
    assert SPEC.indexes == (
        IndexSpec("ix_members_score", ("score",), unique=False),
        IndexSpec("uq_members_team_id_handle_name", ("team_id", "handle_name"), unique=True),
        IndexSpec("ix_members_status_score", ("status", "score"), unique=False),
    )
    assert SPEC.foreign_keys == (
        ForeignKeySpec(("team_id",), "teams", ("id",), "cascade", "restrict", "fk_members_team_id"),
    )
    assert SPEC.checks == (
        CheckSpec("ck_members_bio", "length(bio) < 500"),
        CheckSpec("ck_members_0", "score < 1000"),
        CheckSpec("ck_named", "handle <> ''"),
    )


def test_long_constraint_names_are_shortened_deterministically() -> None:
    class WideTableWithAnExtremelyLongNameForTesting(
        Model, unique=[("first_rather_long_column", "second_rather_long_column")]
    ):
        id: PK[int]
        first_rather_long_column: Col[int]
        second_rather_long_column: Col[int]

    (idx,) = WideTableWithAnExtremelyLongNameForTesting.__table__.indexes
    full = "uq_wide_table_with_an_extremely_long_name_for_testing_first_rather_long_column_second_rather_long_column"
    assert idx.name == full[:54] + "_" + hashlib.sha1(full.encode()).hexdigest()[:8]
    assert len(idx.name) == 63
    again = TableSpec.from_json(WideTableWithAnExtremelyLongNameForTesting.__table__.to_json())
    assert again.indexes[0].name == idx.name


def test_unknown_column_raises_unknown_field_with_choices() -> None:
    from typedorm.errors import UnknownField

    with pytest.raises(UnknownField) as ei:
        SPEC.column("nope")
    assert ei.value.field == "nope"
    assert ei.value.model == "Member"
    assert ei.value.choices == SPEC.field_names


# --- JSON round trip ---------------------------------------------------------------


def test_json_round_trip_is_equal() -> None:
    text = SPEC.to_json()
    back = TableSpec.from_json(text)
    assert back == SPEC
    assert hash(back) == hash(SPEC)
    assert back.to_json() == text
    assert TableSpec.from_json(text.encode()) == SPEC


def test_json_round_trip_preserves_every_field() -> None:
    back = TableSpec.from_json(SPEC.to_json())
    for a, b in zip(back.columns, SPEC.columns, strict=True):
        for f in dataclasses.fields(ColumnSpec):
            if f.compare:
                assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert back.indexes == SPEC.indexes
    assert back.foreign_keys == SPEC.foreign_keys
    assert back.checks == SPEC.checks
    assert back.comment == SPEC.comment
    assert back.by_field.keys() == SPEC.by_field.keys()


def test_json_is_plain_data() -> None:
    data = json.loads(SPEC.to_json())
    assert data["name"] == "members"
    assert data["primary_key"] == ["id"]
    price = next(c for c in data["columns"] if c["field"] == "price")
    assert price["gt"] == "0.01"
    assert price["sql_types"] == {}  # computed per dialect, not stored
    assert [price[k] for k in ("max_digits", "decimal_places", "keyed")] == [8, 2, False]
    assert "python_type" not in price and "column_type" not in price
    assert data["foreign_keys"][0]["ref_columns"] == ["id"]
    assert SPEC.to_dict() == data


def test_json_round_trip_detects_differences() -> None:
    data = json.loads(SPEC.to_json())
    data["columns"][2]["max_length"] = 31
    assert TableSpec.from_dict(data) != SPEC


@pytest.mark.parametrize("model", [Team, Member])
def test_round_trip_of_every_model(model: Any) -> None:
    assert TableSpec.from_dict(json.loads(json.dumps(model.__table__.to_dict()))) == model.__table__


# --- immutability ------------------------------------------------------------------


def test_table_spec_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPEC.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPEC.columns[0].nullable = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPEC.indexes[0].unique = True  # type: ignore[misc]
    assert isinstance(SPEC.columns, tuple) and isinstance(SPEC.indexes, tuple)


def test_lookup_maps_are_read_only() -> None:
    with pytest.raises(TypeError):
        SPEC.by_field["x"] = SPEC.columns[0]  # type: ignore[index]
    with pytest.raises(TypeError):
        SPEC.by_name["x"] = SPEC.columns[0]  # type: ignore[index]
    with pytest.raises(AttributeError):
        SPEC.by_field.pop("id")  # type: ignore[attr-defined]
    assert "x" not in SPEC.by_field


def test_sql_types_are_read_only() -> None:
    types = SPEC.columns[0].sql_types
    with pytest.raises(TypeError):
        types["sqlite"] = "TEXT"  # type: ignore[index]
    with pytest.raises(TypeError):
        types.update(sqlite="TEXT")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        types |= {"sqlite": "TEXT"}  # type: ignore[operator]
    with pytest.raises(TypeError):
        del types["sqlite"]  # type: ignore[attr-defined]
    assert SPEC.columns[0].sql_types == {}
    assert SPEC.columns[0].sql_type("sqlite") == "INTEGER"


def test_specs_are_hashable_and_usable_as_keys() -> None:
    assert {SPEC: 1}[TableSpec.from_json(SPEC.to_json())] == 1
    assert len({*SPEC.columns}) == len(SPEC.columns)


def test_same_declaration_gives_equal_specs() -> None:
    def declare() -> TableSpec:
        class Tag(Model, table="tags"):
            id: PK[int] = column(default=AUTO)
            label: Annotated[Col[str], Column(max_length=20, unique=True)]

        return Tag.__table__

    assert declare() == declare()
