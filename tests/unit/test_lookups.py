"""Django-style lookups (filter_by keys and Q objects), checked against the model before any SQL."""

from typing import Annotated, Any

import pytest

from typedorm.dialects import get_dialect
from typedorm.errors import UnknownField, UnknownLookup
from typedorm.schema import AUTO, PK, Col, Column, Model, column
from typedorm.sql import Q, resolve_lookups, select
from typedorm.sql.expr import Predicate
from typedorm.sql.lookups import LOOKUPS, lookup_predicate


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    age: Col[int] = column(default=0)
    nick: Col[str | None] = column(default=None)


class Order(Model, table="orders"):
    id: PK[int] = column(default=AUTO)
    user_id: Col[int]


FIELDS = ("id", "name", "age", "nick")
ALL_LOOKUPS = (
    "exact",
    "iexact",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "isnull",
    "range",
)


def sql_of(pred: Predicate[Any], dialect: str = "postgresql") -> tuple[str, list[Any]]:
    sql, params = get_dialect(dialect).compile(pred)
    return sql, params


def test_every_lookup_is_known() -> None:
    assert set(LOOKUPS) == set(ALL_LOOKUPS)


ESC = " ESCAPE '\\'"

LOOKUP_CASES: list[tuple[str, Any, str, list[Any]]] = [
    # key, value, PostgreSQL SQL, params
    ("name", "Ann", '"users"."name" = %s', ["Ann"]),
    ("name__exact", "Ann", '"users"."name" = %s', ["Ann"]),
    ("nick__exact", None, '"users"."nick" IS NULL', []),
    ("name__iexact", "ann_", '"users"."name" ILIKE %s' + ESC, ["ann\\_"]),
    ("nick__iexact", None, '"users"."nick" IS NULL', []),
    ("name__ne", "Ann", '"users"."name" <> %s', ["Ann"]),
    ("nick__ne", None, '"users"."nick" IS NOT NULL', []),
    ("age__lt", 18, '"users"."age" < %s', [18]),
    ("age__lte", 18, '"users"."age" <= %s', [18]),
    ("age__gt", 18, '"users"."age" > %s', [18]),
    ("age__gte", 18, '"users"."age" >= %s', [18]),
    ("id__in", [1, 2], '"users"."id" IN (%s, %s)', [1, 2]),
    ("id__in", (3,), '"users"."id" IN (%s)', [3]),
    ("id__in", [], "1 = 0", []),
    ("name__contains", "a%", '"users"."name" LIKE %s' + ESC, ["%a\\%%"]),
    ("name__icontains", "A", '"users"."name" ILIKE %s' + ESC, ["%A%"]),
    ("name__startswith", "J_", '"users"."name" LIKE %s' + ESC, ["J\\_%"]),
    ("name__istartswith", "j", '"users"."name" ILIKE %s' + ESC, ["j%"]),
    ("name__endswith", "\\", '"users"."name" LIKE %s' + ESC, ["%\\\\"]),
    ("name__iendswith", "N", '"users"."name" ILIKE %s' + ESC, ["%N"]),
    ("nick__isnull", True, '"users"."nick" IS NULL', []),
    ("nick__isnull", False, '"users"."nick" IS NOT NULL', []),
    ("age__range", (18, 65), '"users"."age" BETWEEN %s AND %s', [18, 65]),
    ("age__range", [1, 2], '"users"."age" BETWEEN %s AND %s', [1, 2]),
]


@pytest.mark.parametrize(
    ("key", "value", "sql", "params"), LOOKUP_CASES, ids=[f"{c[0]}={c[1]!r}" for c in LOOKUP_CASES]
)
def test_lookup(key: str, value: Any, sql: str, params: list[Any]) -> None:
    assert sql_of(lookup_predicate(User, key, value)) == (sql, params)


def test_every_lookup_has_a_case() -> None:
    used = {k.partition("__")[2] or "exact" for k, *_ in LOOKUP_CASES}
    assert used == set(ALL_LOOKUPS)


def test_lookup_equals_the_operator_form() -> None:
    pairs: list[tuple[str, Any, Predicate[Any]]] = [
        ("age__gte", 18, User.age >= 18),
        ("name__startswith", "J", User.name.startswith("J")),
        ("id__in", [1], User.id.in_([1])),
        ("age__range", (1, 2), User.age.between(1, 2)),
        ("name__iexact", "x", User.name.iexact("x")),
    ]
    for dialect in ("sqlite", "postgresql", "mysql"):
        for key, value, pred in pairs:
            assert sql_of(lookup_predicate(User, key, value), dialect) == sql_of(pred, dialect)


def test_in_lookup_takes_a_subquery() -> None:
    pred = lookup_predicate(User, "id__in", select(Order.user_id).where(Order.id > 3))
    assert sql_of(pred) == (
        '"users"."id" IN (SELECT "orders"."user_id" FROM "orders" WHERE "orders"."id" > %s)',
        [3],
    )


def test_resolve_lookups() -> None:
    preds = resolve_lookups(User, {"age__gte": 18, "name__startswith": "J"})
    assert [sql_of(p) for p in preds] == [
        ('"users"."age" >= %s', [18]),
        ('"users"."name" LIKE %s' + ESC, ["J%"]),
    ]
    assert resolve_lookups(User, {}) == []


def test_resolve_lookups_validates_all_before_building_any() -> None:
    with pytest.raises(UnknownField) as ei:
        resolve_lookups(User, {"age__gte": 18, "nope": 1})
    assert ei.value.field == "nope"


# --- bad values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("age__range", (1,), "range lookup on 'age' takes a \\(low, high\\) pair"),
        ("age__range", (1, 2, 3), "pair"),
        ("age__range", "ab", "pair"),
        ("age__range", 5, "pair"),
        ("nick__isnull", 1, "isnull lookup on 'nick' takes True or False"),
        ("nick__isnull", "yes", "True or False"),
        ("id__in", "123", "in lookup on 'id' takes a list of values"),
        ("id__in", 5, "list of values"),
        ("name__contains", 5, "expected a str"),
        ("name__startswith", None, "expected a str"),
    ],
)
def test_bad_lookup_values_rejected(key: str, value: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match) as ei:
        lookup_predicate(User, key, value)
    assert str(ei.value).startswith(f"{key}: ")


# --- unknown fields and lookups ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("nope", "nope"),
        ("nope__gte", "nope"),
        ("Name", "Name"),
        ("name; DROP TABLE users", "name; DROP TABLE users"),
        ("name; DROP TABLE users__exact", "name; DROP TABLE users"),
        ("id\x00", "id\x00"),
        ("__class__", "__class__"),
        ("__dict__", "__dict__"),
        ("__init__", "__init__"),
        ("", ""),
        ("__", "__"),
        ("model_fields", "model_fields"),
        ("__table__", "__table__"),
        ("_building", "_building"),
        ("name__gte__x", "name__gte__x"),
        ("name__age", "name__age"),
        ("users.name", "users.name"),
        ('"name"', '"name"'),
        (" name", " name"),
    ],
)
def test_unknown_field_named_with_choices(key: str, field: str) -> None:
    with pytest.raises(UnknownField) as ei:
        lookup_predicate(User, key, 1)
    err = ei.value
    assert err.field == field
    assert err.model == "User"
    assert err.choices == FIELDS
    assert repr(field) in str(err)
    assert "valid fields: id, name, age, nick" in str(err)


@pytest.mark.parametrize("lookup", ["foo", "like", "regex", "GTE", "", "in ", "exact; --"])
def test_unknown_lookup_named_with_choices(lookup: str) -> None:
    key = f"name__{lookup}"
    with pytest.raises(UnknownLookup) as ei:
        lookup_predicate(User, key, 1)
    err = ei.value
    assert err.lookup == lookup
    assert err.key == key
    assert err.choices == tuple(LOOKUPS)
    assert repr(lookup) in str(err) and repr(key) in str(err)
    assert "valid lookups: exact, iexact, ne, lt" in str(err)


def test_unknown_field_is_reported_before_unknown_lookup() -> None:
    with pytest.raises(UnknownField):
        lookup_predicate(User, "nope__foo", 1)


def test_non_string_key_rejected() -> None:
    with pytest.raises(UnknownField):
        lookup_predicate(User, 5, 1)  # type: ignore[arg-type]


# --- Q objects ---------------------------------------------------------------------


def test_q_is_checked_when_resolved() -> None:
    q = Q(age__gte=18) | Q(nope=1)
    with pytest.raises(UnknownField) as ei:
        q.resolve(User)
    assert ei.value.field == "nope"
    with pytest.raises(UnknownLookup):
        Q(age__older=3).resolve(User)


def test_q_combinations() -> None:
    q = (Q(age__gte=18) & ~Q(name__in=["x", "y"])) | Q(nick__isnull=True)
    assert sql_of(q.resolve(User), "sqlite") == (
        '(("users"."age" >= ? AND NOT ("users"."name" IN (?, ?))) OR "users"."nick" IS NULL)',
        [18, "x", "y"],
    )


def test_q_keywords_combine_with_and_in_key_order() -> None:
    assert sql_of(Q(name="a", age=1).resolve(User)) == (
        '("users"."age" = %s AND "users"."name" = %s)',
        [1, "a"],
    )


def test_q_mixes_with_predicates() -> None:
    assert sql_of((Q(User.age > 1) | Q(name="z")).resolve(User)) == (
        '("users"."age" > %s OR "users"."name" = %s)',
        [1, "z"],
    )


def test_q_rejects_stray_positionals() -> None:
    with pytest.raises(TypeError, match="Q\\(\\) takes Q objects"):
        Q("name")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Q(("name", "x"))  # type: ignore[arg-type]


def test_q_repr() -> None:
    assert repr(Q(age__gte=18)) == "Q(('age__gte', 18))"
    assert repr(~Q(age=1)) == "NOT Q(Q(('age', 1)))"
