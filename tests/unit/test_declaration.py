"""Model declaration: Col/PK/Column/column/AUTO, table names, keys, constraints and validation."""

from __future__ import annotations

import pickle
from typing import Annotated, Any, TypeAlias

import pytest
from pydantic import EmailStr, Field, ValidationError, field_validator

from typedorm.errors import ModelDefinitionError, UnsetValueError
from typedorm.schema import AUTO, PK, Col, Column, ForeignKey, Model, ModelMeta, column
from typedorm.sql import ColumnExpr

DIALECTS = ("sqlite", "postgresql", "mysql")


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[EmailStr], Column(unique=True)]
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0)
    nick: Col[str | None] = column(default=None)


class Checked(Model):
    id: PK[int] = column(default=AUTO)
    code: Annotated[Col[str], Field(max_length=5, pattern=r"^[A-Z]+$")]
    # Pydantic types Field(default=...) as the value, not as the Col descriptor.
    score: Col[int] = Field(default=0, ge=0, le=10)  # type: ignore[arg-type]
    label: Col[str] = column(default="ok", min_length=2)

    @field_validator("code")
    @classmethod
    def no_x(cls, v: str) -> str:
        if "X" in v:
            raise ValueError("X is not allowed")
        return v


# --- table names -------------------------------------------------------------------


def test_table_keyword_sets_table_name() -> None:
    assert User.__table__.name == "users"
    assert User.__table__.model_name == "User"


@pytest.mark.parametrize(
    ("cls_name", "table"),
    [
        ("Item", "item"),
        ("OrderLine", "order_line"),
        ("HTTPLogEntry", "http_log_entry"),
        ("UserV2Data", "user_v2_data"),
    ],
)
def test_table_name_defaults_to_snake_case(cls_name: str, table: str) -> None:
    ns: dict[str, Any] = {"__annotations__": {"id": PK[int]}, "__module__": __name__}
    cls: Any = ModelMeta(cls_name, (Model,), ns)
    assert cls.__table__.name == table


def test_invalid_table_name_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="table name"):

        class Bad(Model, table="users; DROP TABLE x"):
            id: PK[int]


# --- columns, nullability, defaults ------------------------------------------------


def test_class_attribute_is_column_expression_and_instance_attribute_is_value() -> None:
    assert isinstance(User.age, ColumnExpr)
    assert User.age.model is User
    assert User.age.name == "age"
    u = User(name="Ann", email="ann@example.com", age=3)
    assert u.age == 3
    assert u.name == "Ann"


def test_nullable_inferred_from_optional() -> None:
    cols = User.__table__.by_field
    assert cols["nick"].nullable is True
    assert cols["name"].nullable is False
    assert cols["age"].nullable is False


def test_column_nullable_override() -> None:
    class N(Model):
        id: PK[int]
        x: Annotated[Col[int | None], Column(nullable=False)] = column(default=1)

    assert N.__table__.by_field["x"].nullable is False


def test_column_options_recorded() -> None:
    cols = User.__table__.by_field
    assert cols["name"].max_length == 100
    assert cols["email"].unique is True
    assert cols["age"].index is True
    assert cols["age"].ge == 0
    assert cols["age"].has_default is True
    assert cols["name"].has_default is False


def test_column_name_override_keeps_field_name() -> None:
    class R(Model):
        id: PK[int]
        full_name: Annotated[Col[str], Column(name="fullname", comment="shown")]

    c = R.__table__.by_field["full_name"]
    assert (c.field, c.name, c.comment) == ("full_name", "fullname", "shown")
    assert R.__table__.by_name["fullname"] is c


def test_default_none_on_non_optional_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="not Optional"):

        class R(Model):
            id: PK[int]
            x: Col[int] = None  # type: ignore[assignment]


# --- primary keys ------------------------------------------------------------------


def test_auto_pk_is_autoincrement() -> None:
    pk = User.__table__.by_field["id"]
    assert pk.primary_key and pk.autoincrement and pk.auto
    assert User.__table__.primary_key == ("id",)


def test_field_named_id_is_the_default_primary_key() -> None:
    class R(Model):
        id: Col[int]
        x: Col[int]

    assert R.__table__.primary_key == ("id",)
    assert R.__table__.by_field["id"].autoincrement is False


def test_column_primary_key_on_non_id_field() -> None:
    class R(Model):
        code: Annotated[Col[str], Column(primary_key=True)]
        id: Col[int]

    assert R.__table__.primary_key == ("code",)
    assert R.__table__.by_field["id"].primary_key is False


def test_composite_primary_key_class_keyword() -> None:
    class OrderItem(Model, primary_key=("order_id", "product_id")):
        order_id: Col[int]
        product_id: Col[int]
        qty: Col[int] = column(default=1)

    t = OrderItem.__table__
    assert t.primary_key == ("order_id", "product_id")
    assert [c.primary_key for c in t.columns] == [True, True, False]
    assert not any(c.autoincrement for c in t.columns)


def test_two_field_level_primary_keys_point_to_class_form() -> None:
    with pytest.raises(ModelDefinitionError) as ei:

        class Pair(Model):
            a: PK[int]
            b: PK[int]

    msg = str(ei.value)
    assert "a, b" in msg
    assert "primary_key=('a', 'b')" in msg


def test_primary_key_on_field_and_class_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="both"):

        class R(Model, primary_key=("a", "b")):
            a: PK[int]
            b: Col[int]


def test_composite_key_naming_unknown_field_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="unknown field 'nope'"):

        class R(Model, primary_key=("a", "nope")):
            a: Col[int]


def test_missing_primary_key_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="no primary key"):

        class R(Model):
            x: Col[int]


def test_optional_primary_key_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="cannot be Optional"):

        class R(Model):
            id: PK[int | None] = column(default=None)


# --- unique constraints and indexes ------------------------------------------------


def test_composite_unique_and_indexes() -> None:
    class Seat(Model, unique=[("row", "number")], indexes=["row", ("number", "row")]):
        id: PK[int] = column(default=AUTO)
        row: Col[str]
        number: Col[int]

    idx = {(i.name, i.columns, i.unique) for i in Seat.__table__.indexes}
    assert idx == {
        ("uq_seat_row_number", ("row", "number"), True),
        ("ix_seat_row", ("row",), False),
        ("ix_seat_number_row", ("number", "row"), False),
    }


def test_field_level_unique_and_index() -> None:
    idx = {(i.name, i.columns, i.unique) for i in User.__table__.indexes}
    assert idx == {("uq_users_email", ("email",), True), ("ix_users_age", ("age",), False)}


def test_unique_naming_unknown_field_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="unique names unknown field 'zz'"):

        class R(Model, unique=[("x", "zz")]):
            id: PK[int]
            x: Col[int]


def test_duplicate_index_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="duplicate"):

        class R(Model, indexes=["x", "x"]):
            id: PK[int]
            x: Col[int]


def test_foreign_key_recorded() -> None:
    class Post(Model):
        id: PK[int] = column(default=AUTO)
        author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
        editor_id: Annotated[Col[int | None], ForeignKey("users.id")] = column(default=None)

    fks = {(f.columns, f.ref_table, f.ref_columns, f.on_delete) for f in Post.__table__.foreign_keys}
    assert fks == {(("author_id",), "users", ("id",), "cascade"), (("editor_id",), "users", ("id",), None)}


def test_foreign_key_bad_action_rejected() -> None:
    with pytest.raises(ValueError, match="on_delete"):
        ForeignKey("users.id", on_delete="explode")  # type: ignore[arg-type]


# --- bad column names and types ----------------------------------------------------


@pytest.mark.parametrize("name", ["rowid", "oid", "ctid", "xmin", "ROWID", "_rowid_"])
def test_reserved_column_names_rejected(name: str) -> None:
    with pytest.raises(ModelDefinitionError, match="reserved"):

        class R(Model):
            id: PK[int]
            x: Annotated[Col[int], Column(name=name)]


def test_reserved_field_name_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="'rowid' is reserved"):

        class R(Model):
            id: PK[int]
            rowid: Col[int]


def test_clashing_column_names_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="'b' clashes with field 'a'"):

        class R(Model):
            id: PK[int]
            a: Annotated[Col[int], Column(name="b")]
            b: Col[int]


def test_column_names_clash_case_insensitively() -> None:
    with pytest.raises(ModelDefinitionError, match="clashes"):

        class R(Model):
            id: PK[int]
            Name: Col[str]
            name: Col[str]


@pytest.mark.parametrize("bad", ["has space", "semi;colon", '"quoted"', "1starts_digit", "x" * 64, "ünïcode"])
def test_invalid_column_names_rejected(bad: str) -> None:
    with pytest.raises(ModelDefinitionError, match="column name"):

        class R(Model):
            id: PK[int]
            x: Annotated[Col[int], Column(name=bad)]


class _Opaque:
    pass


def test_unknown_type_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="_Opaque"):

        class R(Model):
            id: PK[int]
            x: Col[_Opaque]


def test_unknown_type_with_arbitrary_types_rejected_by_type_map() -> None:
    with pytest.raises(ModelDefinitionError, match=r"R\.x: no column type .*register_type"):

        class R(Model, arbitrary_types_allowed=True):
            id: PK[int]
            x: Col[_Opaque]


def test_column_type_override_accepts_otherwise_unknown_type() -> None:
    from typedorm.schema.types import StrType

    class R(Model, arbitrary_types_allowed=True):
        id: PK[int]
        x: Annotated[Col[_Opaque], Column(type=StrType())]

    assert R.__table__.by_field["x"].type_name == "string"


def test_sql_type_override_per_dialect() -> None:
    class R(Model):
        id: PK[int]
        a: Annotated[Col[str], Column(sql_type="CITEXT")]
        b: Annotated[Col[str], Column(sql_type={"postgresql": "CITEXT"})]

    t = R.__table__.by_field
    assert {d: t["a"].sql_type(d) for d in DIALECTS} == {
        "sqlite": "CITEXT",
        "postgresql": "CITEXT",
        "mysql": "CITEXT",
    }
    assert {d: t["b"].sql_type(d) for d in DIALECTS} == {
        "sqlite": "TEXT",
        "postgresql": "CITEXT",
        "mysql": "LONGTEXT",
    }
    # only the declared types are kept; "*" stands for every dialect (a variant's family included)
    assert (dict(t["a"].sql_types), dict(t["b"].sql_types)) == ({"*": "CITEXT"}, {"postgresql": "CITEXT"})
    assert t["a"].sql_type("mariadb") == "CITEXT"


# --- defaults of the wrong type ----------------------------------------------------


def test_wrong_typed_plain_default_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match=r"R\.x: default 'abc' is not a valid value"):

        class R(Model):
            id: PK[int]
            x: Col[int] = "abc"  # type: ignore[assignment]


def test_wrong_typed_column_default_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match=r"R\.x: default 'abc'"):

        class R(Model):
            id: PK[int]
            x: Col[int] = column(default="abc")  # type: ignore[arg-type]


def test_default_violating_constraint_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="greater than or equal to 0"):

        class R(Model):
            id: PK[int]
            x: Col[int] = column(default=-1, ge=0)


def test_default_violating_max_length_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match="default 'toolong'"):

        class R(Model):
            id: PK[int]
            x: Annotated[Col[str], Column(max_length=3)] = column(default="toolong")


def test_valid_defaults_accepted() -> None:
    class R(Model):
        id: PK[int]
        x: Col[int] = column(default=5, ge=0)
        y: Col[list[int]] = column(default_factory=list)

    r = R(id=1)
    assert (r.x, r.y) == (5, [])


# --- validation on construction and assignment -------------------------------------


def test_column_constraints_enforced_on_construction() -> None:
    with pytest.raises(ValidationError) as ei:
        User(name="x" * 101, email="a@example.com")
    assert ei.value.errors()[0]["loc"] == ("name",)
    with pytest.raises(ValidationError) as ei:
        User(name="x", email="a@example.com", age=-1)
    assert ei.value.errors()[0]["loc"] == ("age",)


def test_column_constraints_enforced_on_assignment() -> None:
    u = User(name="x", email="a@example.com")
    with pytest.raises(ValidationError):
        u.age = -5
    assert u.age == 0
    with pytest.raises(ValidationError):
        u.name = "y" * 101
    u.age = 7
    assert u.age == 7


def test_email_str_enforced() -> None:
    with pytest.raises(ValidationError) as ei:
        User(name="x", email="not-an-email")
    assert ei.value.errors()[0]["loc"] == ("email",)
    u = User(name="x", email="a@example.com")
    with pytest.raises(ValidationError):
        u.email = "nope"
    assert u.email == "a@example.com"
    assert User.__table__.by_field["email"].type_name == "string"


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"code": "TOOLONG"}, "code"),
        ({"code": "abc"}, "code"),
        ({"code": "AXB"}, "code"),
        ({"code": "AB", "score": 11}, "score"),
        ({"code": "AB", "score": -1}, "score"),
        ({"code": "AB", "label": "x"}, "label"),
    ],
)
def test_pydantic_constraints_enforced_on_construction(kwargs: dict[str, Any], loc: str) -> None:
    with pytest.raises(ValidationError) as ei:
        Checked(**kwargs)
    assert [e["loc"] for e in ei.value.errors()] == [(loc,)]


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", "TOOLONG"), ("code", "abc"), ("code", "AXB"), ("score", 11), ("label", "x")],
)
def test_pydantic_constraints_enforced_on_assignment(field: str, value: object) -> None:
    c = Checked(code="AB")
    before = getattr(c, field)
    with pytest.raises(ValidationError):
        setattr(c, field, value)
    assert getattr(c, field) == before


def test_pydantic_constraints_recorded_in_spec() -> None:
    cols = Checked.__table__.by_field
    assert (cols["code"].max_length, cols["code"].pattern) == (5, r"^[A-Z]+$")
    assert (cols["score"].ge, cols["score"].le) == (0, 10)
    assert cols["label"].min_length == 2


def test_lax_coercion_on_assignment_stores_validated_value() -> None:
    c = Checked(code="AB")
    c.score = "7"  # type: ignore[assignment]
    assert c.score == 7


def test_extra_fields_rejected() -> None:
    with pytest.raises(ValidationError) as ei:
        User(name="x", email="a@example.com", bogus=1)  # type: ignore[call-arg]
    assert ei.value.errors()[0]["type"] == "extra_forbidden"
    assert ei.value.errors()[0]["loc"] == ("bogus",)


def test_missing_required_field_rejected() -> None:
    with pytest.raises(ValidationError) as ei:
        User(name="x")  # type: ignore[call-arg]
    assert ei.value.errors()[0]["loc"] == ("email",)
    assert ei.value.errors()[0]["type"] == "missing"


# --- AUTO --------------------------------------------------------------------------


def test_auto_read_before_insert_raises() -> None:
    u = User(name="x", email="a@example.com")
    with pytest.raises(UnsetValueError, match=r"User\.id is assigned by the database"):
        _ = u.id
    u2 = User(id=5, name="x", email="a@example.com")
    assert u2.id == 5


def test_auto_survives_pickle_and_copy() -> None:
    u = User(name="x", email="a@example.com")
    for clone in (pickle.loads(pickle.dumps(u)), u.model_copy(), u.model_copy(deep=True)):
        with pytest.raises(UnsetValueError):
            _ = clone.id
    assert pickle.loads(pickle.dumps(AUTO)) is AUTO
    assert repr(AUTO) == "AUTO"
    assert not AUTO


def test_model_dump_omits_auto() -> None:
    u = User(name="x", email="a@example.com")
    assert u.model_dump() == {"name": "x", "email": "a@example.com", "age": 0, "nick": None}
    assert "id" not in u.model_dump_json()
    assert User(id=3, name="x", email="a@example.com").model_dump()["id"] == 3


def test_json_schema_of_auto_field_is_read_only() -> None:
    props = User.model_json_schema()["properties"]
    # an integer column's range (signed 64-bit on every backend) is part of its schema
    assert props["id"] == {
        "readOnly": True,
        "title": "Id",
        "type": "integer",
        "minimum": -(2**63),
        "maximum": 2**63 - 1,
    }
    assert "id" not in User.model_json_schema().get("required", [])


# --- inheritance and abstract bases ------------------------------------------------


def test_abstract_base_and_inherited_columns() -> None:
    class Stamped(Model, abstract=True):
        id: PK[int] = column(default=AUTO)
        version: Col[int] = column(default=1)

    class Doc(Stamped):
        title: Col[str]

    class Memo(Doc, table="memos"):
        body: Col[str] = column(default="")

    assert not hasattr(Stamped, "__table__")
    assert Doc.__table__.field_names == ("id", "version", "title")
    assert Memo.__table__.name == "memos"
    assert Memo.__table__.field_names == ("id", "version", "title", "body")
    assert Memo.title.model is Memo
    assert Doc.title.model is Doc
    m = Memo(title="t")
    assert (m.version, m.body) == (1, "")


def test_non_col_annotations_are_columns_too() -> None:
    class R(Model):
        id: int
        x: str = "a"

    assert R.__table__.field_names == ("id", "x")
    assert isinstance(R.x, ColumnExpr)


# --- string annotations (this module uses ``from __future__ import annotations``) ---


def test_string_annotations_resolve_names_local_to_the_defining_function() -> None:
    Score: TypeAlias = int  # a local type alias, visible only in this frame

    class R(Model):
        id: PK[int]
        x: Col[Score]

    assert R.__table__.by_field["x"].type_name == "integer"
    assert R(id=1, x="3").x == 3  # type: ignore[arg-type]


def test_annotation_may_reference_a_finished_models_column() -> None:
    class Comment(Model):
        id: PK[int] = column(default=AUTO)
        user_id: Annotated[Col[int], ForeignKey(User.id)]

    assert Comment.__table__.foreign_keys[0].ref_table == "users"
    assert isinstance(User.id, ColumnExpr)
