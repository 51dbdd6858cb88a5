"""Property tests: values only ever travel as parameters; identifiers from strings are checked; LIKE escaping is exact."""

import functools
import sqlite3
from collections.abc import Callable
from contextlib import closing
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from typedorm.dialects import get_dialect
from typedorm.errors import ModelDefinitionError, UnknownField, UnknownLookup
from typedorm.schema import AUTO, PK, Col, Column, Model, ModelMeta, column
from typedorm.sql import Q, func, select
from typedorm.sql.compiler import Compiler
from typedorm.sql.expr import Predicate, escape_like
from typedorm.sql.lookups import LOOKUPS, lookup_predicate
from typedorm.sql.stmt import Insert, Update

DIALECTS = ("sqlite", "postgresql", "mysql")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    label: Annotated[Col[str], Column(max_length=500)]
    blob: Col[bytes] = column(default=b"")
    qty: Col[int] = column(default=0)
    ratio: Col[float] = column(default=0.0)
    price: Col[Decimal] = column(default=Decimal("0"))
    note: Col[str | None] = column(default=None)


FIELDS = Item.__table__.field_names

# --- values never reach the SQL text --------------------------------------------------

# NUL is left out: PostgreSQL text cannot hold it and the type map refuses it there.
texts = st.text(st.characters(exclude_characters="\x00"), max_size=40)
decimals = st.decimals(
    min_value=-(10**30), max_value=10**30, places=20, allow_nan=False, allow_infinity=False
)
values_by_field: dict[str, st.SearchStrategy[Any]] = {
    "label": texts,
    "blob": st.binary(max_size=40),
    # every integer column is signed 64-bit: a value beyond it is never sent (no rows match it,
    # see tests/unit/test_sql_closed_sets.py), so the property is about the representable ones
    "qty": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "ratio": st.floats(allow_nan=False, allow_infinity=False),
    # within what every backend's decimal column holds exactly (MySQL: 35 digits . 30 digits)
    "price": decimals,
}

# A value of each kind that is certainly not part of any SQL skeleton.
FIXED: dict[str, Any] = {"label": "fixed", "blob": b"fixed", "qty": 7, "ratio": 0.5, "price": Decimal("0.5")}

COMPARISONS: list[tuple[str, Callable[[Any, Any], object]]] = [
    ("eq", lambda c, v: c == v),
    ("ne", lambda c, v: c != v),
    ("lt", lambda c, v: c < v),
    ("ge", lambda c, v: c >= v),
    ("in", lambda c, v: c.in_([v, v])),
    ("not-in", lambda c, v: c.not_in([v])),
    ("between", lambda c, v: c.between(v, v)),
    ("coalesce", lambda c, v: func.coalesce(c, v) == v),
    ("add", lambda c, v: c + v > c),
    ("select", lambda c, v: select(Item.id).where(c == v).order_by(Item.id)),
    ("update", lambda c, v: Update(Item.__table__, (c.set(v),)).where(c != v)),
]

TEXT_OPS: list[tuple[str, Callable[[Any, str], object]]] = [
    ("like", lambda c, v: c.like(v)),
    ("ilike", lambda c, v: c.ilike(v)),
    ("like-escape", lambda c, v: c.like(v, escape="!")),
    ("contains", lambda c, v: c.contains(v)),
    ("icontains", lambda c, v: c.icontains(v)),
    ("startswith", lambda c, v: c.startswith(v)),
    ("istartswith", lambda c, v: c.istartswith(v)),
    ("endswith", lambda c, v: c.endswith(v)),
    ("iendswith", lambda c, v: c.iendswith(v)),
    ("iexact", lambda c, v: c.iexact(v)),
    ("q-contains", lambda c, v: Q(label__contains=v).resolve(Item)),
    ("q-exact", lambda c, v: Q(label=v).resolve(Item)),
]


def check_value_only_in_params(dialect: str, build: Callable[[Any], object], value: Any, fixed: Any) -> None:
    compiler = get_dialect(dialect)
    sql, params = compiler.compile(build(value))
    skeleton, fixed_params = compiler.compile(build(fixed))
    # The text does not depend on the value at all ...
    assert sql == skeleton
    assert len(params) == len(fixed_params) > 0
    # ... so a value can be in the text only where the skeleton already has it.
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    assert text not in sql or text in skeleton


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("field", list(values_by_field))
@SETTINGS
@given(data=st.data())
def test_values_never_in_sql_text(dialect: str, field: str, data: st.DataObject) -> None:
    value = data.draw(values_by_field[field], label="value")
    col = getattr(Item, field)
    bound = get_dialect(dialect).bind(value, col.spec)
    for _op, make in COMPARISONS:
        check_value_only_in_params(dialect, functools.partial(make, col), value, FIXED[field])
        _, params = get_dialect(dialect).compile(make(col, value))
        assert bound in params


@pytest.mark.parametrize("dialect", DIALECTS)
@SETTINGS
@given(value=texts)
def test_text_values_never_in_sql_text(dialect: str, value: str) -> None:
    for _op, make in TEXT_OPS:
        check_value_only_in_params(dialect, functools.partial(make, Item.label), value, "fixed")


@pytest.mark.parametrize("dialect", DIALECTS)
@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            texts,
            st.binary(max_size=20),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            decimals,
            st.none() | texts,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_insert_values_never_in_sql_text(dialect: str, rows: list[tuple[Any, ...]]) -> None:
    t = Item.__table__
    cols = tuple(c for c in t.columns if not c.auto)
    sql, params = get_dialect(dialect).compile(Insert(t, cols, rows))
    skeleton, _ = get_dialect(dialect).compile(Insert(t, cols, [tuple(range(len(cols)))] * len(rows)))
    assert sql == skeleton
    assert params == [v for row in rows for v in row]


# --- identifiers from strings are checked against the model -----------------------------

identifier_like = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)
any_key = (
    identifier_like
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "id",
            "label",
            "qty",
            "note",
            "__class__",
            "__dict__",
            "model_fields",
            "__table__",
            "label; --",
            "id\x00",
            "",
        ]
    )
)
value_for_field = {
    "id": 1,
    "label": "x",
    "blob": b"x",
    "qty": 1,
    "ratio": 1.0,
    "price": Decimal(1),
    "note": None,
}


@SETTINGS
@given(key=any_key)
def test_filter_keys_rejected_unless_they_name_a_field(key: str) -> None:
    field, sep, lookup = key.partition("__")
    if field not in FIELDS:
        with pytest.raises(UnknownField) as ei:
            lookup_predicate(Item, key, 1)
        assert ei.value.field == (field or key)
        assert ei.value.choices == FIELDS
        with pytest.raises(UnknownField):
            lookups: dict[str, Any] = {key: 1}
            Q(**lookups).resolve(Item)
    elif not sep:
        pred = lookup_predicate(Item, key, value_for_field[field])
        assert isinstance(pred, Predicate)
    elif lookup not in LOOKUPS:
        with pytest.raises((UnknownField, UnknownLookup)):
            lookup_predicate(Item, key, 1)


@SETTINGS
@given(key=identifier_like, lookup=st.sampled_from(sorted(LOOKUPS)))
def test_lookup_suffix_never_rescues_an_unknown_field(key: str, lookup: str) -> None:
    assume(key not in FIELDS)
    with pytest.raises(UnknownField):
        lookup_predicate(Item, f"{key}__{lookup}", 1)


@SETTINGS
@given(name=any_key)
def test_table_spec_column_lookup_rejects_undeclared_names(name: str) -> None:
    if name in FIELDS:
        assert Item.__table__.column(name).field == name
    else:
        with pytest.raises(UnknownField):
            Item.__table__.column(name)


_n = 0


def _declare(**class_kw: Any) -> type[Model]:
    global _n
    _n += 1
    ns: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": f"Decl{_n}",
        "__annotations__": {"id": Col[int], "qty": Col[int], "label": Col[str]},
    }
    cls: type[Model] = ModelMeta(f"Decl{_n}", (Model,), ns, **class_kw)
    return cls


@settings(max_examples=100, deadline=None)
@given(name=any_key)
def test_class_level_key_names_rejected_unless_declared(name: str) -> None:
    declared = ("id", "qty", "label")
    if name in declared:
        assert _declare(indexes=[name]).__table__.indexes[0].columns == (name,)
    else:
        with pytest.raises(ModelDefinitionError, match="unknown field"):
            _declare(indexes=[name])
        with pytest.raises(ModelDefinitionError, match="unknown field"):
            _declare(unique=[("qty", name)])
        with pytest.raises(ModelDefinitionError, match="unknown field"):
            _declare(primary_key=("id", name))


@settings(max_examples=100, deadline=None)
@given(name=st.text(max_size=70))
def test_column_and_label_names_are_identifiers_or_rejected(name: str) -> None:
    import re

    valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None and len(name) <= 63
    reserved = name.lower() in {
        "rowid",
        "oid",
        "_rowid_",
        "ctid",
        "xmin",
        "xmax",
        "cmin",
        "cmax",
        "tableoid",
        "id",
    }
    if valid:
        sql, _ = get_dialect("postgresql").compile(select(Item.qty.label(name)))
        assert sql == f'SELECT "items"."qty" AS "{name}" FROM "items"'
    else:
        with pytest.raises(ValueError):
            Item.qty.label(name)
    global _n
    _n += 1
    ns: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": f"Named{_n}",
        "__annotations__": {"id": PK[int], "x": Annotated[Col[int], Column(name=name)]},
    }
    if valid and not reserved:
        cls: Any = ModelMeta(f"Named{_n}", (Model,), ns)
        assert cls.__table__.by_field["x"].name == name
    else:
        with pytest.raises(ModelDefinitionError):
            ModelMeta(f"Named{_n}", (Model,), ns)


# --- LIKE escaping matches Python's str semantics on a real database ----------------------

# Wildcards and escape characters of LIKE and GLOB, mixed case, non-ASCII.
alphabet = st.sampled_from([*"%_\\*?[]^!-'\"aAbBzZ éÉ", "ß", "\u0130", "\u0131", "\u2603"])
haystacks = st.lists(st.text(alphabet, max_size=8), min_size=1, max_size=12)
needles = st.text(alphabet, max_size=4)

PY_MATCH: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda s, n: n in s,
    "startswith": lambda s, n: s.startswith(n),
    "endswith": lambda s, n: s.endswith(n),
    "exact": lambda s, n: s == n,
}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_fold(s: str) -> str:
    # SQLite's LIKE folds case for ASCII letters only: sqlite.org/lang_expr.html#like
    return s.translate(_ASCII_LOWER)


class Doc(Model, table="docs"):
    id: PK[int] = column(default=AUTO)
    s: Col[str]


def docs_db(rows: list[str], pragma: str | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    if pragma:
        conn.execute(pragma)
    conn.execute('CREATE TABLE "docs" ("id" INTEGER PRIMARY KEY, "s" TEXT NOT NULL)')
    conn.executemany('INSERT INTO "docs" ("id", "s") VALUES (?, ?)', list(enumerate(rows)))
    return conn


def matching(conn: sqlite3.Connection, where_sql: str, params: list[Any]) -> list[int]:
    return [r[0] for r in conn.execute(f'SELECT "id" FROM "docs" WHERE {where_sql} ORDER BY "id"', params)]


SQLITE_HELPERS: list[tuple[str, str, bool]] = [
    ("contains", "contains", False),
    ("startswith", "startswith", False),
    ("endswith", "endswith", False),
    ("icontains", "contains", True),
    ("istartswith", "startswith", True),
    ("iendswith", "endswith", True),
    ("iexact", "exact", True),
]


@SETTINGS
@given(rows=haystacks, needle=needles)
def test_sqlite_text_helpers_match_python(rows: list[str], needle: str) -> None:
    with closing(docs_db(rows)) as conn:
        for method, kind, ci in SQLITE_HELPERS:
            sql, params = get_dialect("sqlite").compile(getattr(Doc.s, method)(needle))
            match = PY_MATCH[kind]
            if ci:
                expected = [i for i, s in enumerate(rows) if match(ascii_fold(s), ascii_fold(needle))]
            else:
                expected = [i for i, s in enumerate(rows) if match(s, needle)]
            assert matching(conn, sql, params) == expected, method


@SETTINGS
@given(rows=haystacks, needle=needles)
def test_like_escaping_matches_python(rows: list[str], needle: str) -> None:
    # The LIKE patterns PostgreSQL and MySQL get, run case-sensitively on SQLite.
    with closing(docs_db(rows, pragma="PRAGMA case_sensitive_like = ON")) as conn:
        for kind, match in PY_MATCH.items():
            pattern = Compiler.like_pattern(kind, needle)
            got = matching(conn, "\"s\" LIKE ? ESCAPE '\\'", [pattern])
            assert got == [i for i, s in enumerate(rows) if match(s, needle)], kind


@SETTINGS
@given(text=st.text(alphabet, max_size=12))
def test_escape_like_matches_only_itself(text: str) -> None:
    rows = [text, text + "x", "x" + text, text.replace("%", "a").replace("_", "b"), ""]
    with closing(docs_db(rows, pragma="PRAGMA case_sensitive_like = ON")) as conn:
        got = matching(conn, "\"s\" LIKE ? ESCAPE '\\'", [escape_like(text)])
    assert got == [i for i, s in enumerate(rows) if s == text]
