"""typedorm.schema.fields: the Django-style specifiers build the same metadata as column(...)."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from typedorm.errors import ModelDefinitionError
from typedorm.schema import PK, Col, Column, Model, ModelMeta, column
from typedorm.schema.fields import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    FloatField,
    IntegerField,
    JSONField,
    TextField,
    UUIDField,
)

_counter = 0


def make_model(fields: dict[str, tuple[Any, Any]], *, with_id: bool = True) -> Any:
    """A model class named ``T`` (table ``t``) with ``fields``: name -> (annotation, default/specifier)."""
    global _counter
    _counter += 1
    ann: dict[str, Any] = {"id": PK[int]} if with_id else {}
    ns: dict[str, Any] = {"__module__": __name__, "__qualname__": f"T{_counter}"}
    for name, (tp, spec) in fields.items():
        ann[name] = tp
        ns[name] = spec
    ns["__annotations__"] = ann
    return ModelMeta("T", (Model,), ns, table="t")


def column_meta(info: FieldInfo) -> list[Column]:
    return [m for m in info.metadata if isinstance(m, Column)]


CASES: list[tuple[str, Any, Any, Any]] = [
    ("char", Col[str], CharField(max_length=100), column(max_length=100)),
    (
        "char-all",
        Col[str],
        CharField(
            max_length=50,
            min_length=2,
            unique=True,
            index=True,
            pattern="^a",
            default="abc",
            name="c",
            comment="note",
        ),
        column(
            max_length=50,
            min_length=2,
            unique=True,
            index=True,
            pattern="^a",
            default="abc",
            name="c",
            comment="note",
        ),
    ),
    ("char-null", Col[str | None], CharField(null=True, default=None), column(nullable=True, default=None)),
    ("text", Col[str], TextField(unique=True), column(unique=True)),
    ("text-default", Col[str], TextField(default_factory=str), column(default_factory=str)),
    ("int", Col[int], IntegerField(min_value=0, max_value=10, default=5), column(ge=0, le=10, default=5)),
    ("int-index", Col[int], IntegerField(index=True, unique=True), column(index=True, unique=True)),
    ("float", Col[float], FloatField(min_value=0.5, max_value=2.5), column(ge=0.5, le=2.5)),
    ("bool", Col[bool], BooleanField(default=False, index=True), column(default=False, index=True)),
    (
        "datetime",
        Col[dt.datetime | None],
        DateTimeField(null=True, default=None),
        column(nullable=True, default=None),
    ),
    ("date", Col[dt.date], DateField(unique=True), column(unique=True)),
    ("blob", Col[bytes], BlobField(max_length=1024), column(max_length=1024)),
    (
        "decimal",
        Col[Decimal],
        DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1000")),
        column(max_digits=10, decimal_places=2, ge=Decimal("0"), le=Decimal("1000")),
    ),
    (
        "uuid",
        Col[uuid.UUID],
        UUIDField(unique=True, default_factory=uuid.uuid4),
        column(unique=True, default_factory=uuid.uuid4),
    ),
    ("json", Col[dict[str, int]], JSONField(default_factory=dict), column(default_factory=dict)),
    (
        "json-null",
        Col[list[int] | None],
        JSONField(null=True, default=None),
        column(nullable=True, default=None),
    ),
]


@pytest.mark.parametrize(("label", "tp", "field", "col"), CASES, ids=[c[0] for c in CASES])
def test_specifier_builds_the_same_field_info(label: str, tp: Any, field: FieldInfo, col: FieldInfo) -> None:
    assert column_meta(field) == column_meta(col)
    assert len(column_meta(field)) == 1
    assert field.default == col.default
    assert field.default_factory is col.default_factory


@pytest.mark.parametrize(("label", "tp", "field", "col"), CASES, ids=[c[0] for c in CASES])
def test_specifier_builds_the_same_table_spec(label: str, tp: Any, field: FieldInfo, col: FieldInfo) -> None:
    a = make_model({"f": (tp, field)}).__table__
    b = make_model({"f": (tp, col)}).__table__
    assert a == b
    assert a.to_dict() == b.to_dict()


def test_primary_key_specifiers() -> None:
    a = make_model(
        {"code": (Col[uuid.UUID], UUIDField(primary_key=True, default_factory=uuid.uuid4))}, with_id=False
    )
    b = make_model(
        {"code": (Col[uuid.UUID], column(primary_key=True, default_factory=uuid.uuid4))}, with_id=False
    )
    assert a.__table__ == b.__table__
    assert a.__table__.primary_key == ("code",)
    c = make_model({"n": (Col[int], IntegerField(primary_key=True))}, with_id=False)
    assert c.__table__.primary_key == ("n",)


def test_email_field_matches_column_metadata_and_validates() -> None:
    field = EmailField(unique=True)
    assert column_meta(field) == column_meta(column(max_length=254, unique=True))
    M = make_model({"email": (Col[str], field)})
    spec = M.__table__.by_field["email"]
    assert (spec.unique, spec.max_length, spec.type_name) == (True, 254, "string")
    assert M(id=1, email="ann@example.com").email == "ann@example.com"
    with pytest.raises(ValidationError) as ei:
        M(id=1, email="not an email")
    assert ei.value.errors()[0]["loc"] == ("email",)
    m = M(id=1, email="ann@example.com")
    with pytest.raises(ValidationError):
        m.email = "nope"


def test_email_field_allows_none_when_null() -> None:
    M = make_model({"email": (Col[str | None], EmailField(null=True, default=None))})
    assert M(id=1).email is None
    assert M.__table__.by_field["email"].nullable


@pytest.mark.parametrize(
    ("tp", "field", "good", "bad"),
    [
        (Col[str], CharField(max_length=3), "abc", "abcd"),
        (Col[str], CharField(min_length=2), "ab", "a"),
        (Col[str], CharField(pattern=r"^[a-z]+$"), "abc", "ABC"),
        (Col[int], IntegerField(min_value=0, max_value=9), 9, 10),
        (Col[int], IntegerField(min_value=0), 0, -1),
        (Col[float], FloatField(max_value=1.0), 1.0, 1.5),
        (Col[Decimal], DecimalField(max_digits=4, decimal_places=2), Decimal("12.34"), Decimal("123.4")),
        (Col[Decimal], DecimalField(decimal_places=1), Decimal("1.5"), Decimal("1.55")),
        (Col[bytes], BlobField(max_length=2), b"ab", b"abc"),
    ],
)
def test_specifier_constraints_are_validated(tp: Any, field: FieldInfo, good: Any, bad: Any) -> None:
    M = make_model({"f": (tp, field)})
    m = M(id=1, f=good)
    assert m.f == good
    with pytest.raises(ValidationError):
        M(id=1, f=bad)
    with pytest.raises(ValidationError):
        m.f = bad


def test_specifier_wrong_default_rejected_at_class_creation() -> None:
    with pytest.raises(ModelDefinitionError, match="default -1"):
        make_model({"f": (Col[int], IntegerField(min_value=0, default=-1))})
    with pytest.raises(ModelDefinitionError, match="default 'abcd'"):
        make_model({"f": (Col[str], CharField(max_length=3, default="abcd"))})


def test_specifier_defaults_apply() -> None:
    M = make_model(
        {
            "a": (Col[bool], BooleanField(default=True)),
            "b": (Col[list[int]], JSONField(default_factory=list)),
            "c": (Col[str], TextField(default="x")),
        }
    )
    m = M(id=1)
    assert (m.a, m.b, m.c) == (True, [], "x")
    assert M(id=2).b is not m.b
