"""Every word typedorm writes into SQL text that is not a bound value or a quoted identifier comes
from a closed set, checked where the node is built AND again where it is compiled.

One test per place in the audit of :mod:`typedorm.sql.closed` (connectors, comparison and
arithmetic operators, function names, DISTINCT, ASC/DESC, NULLS FIRST/LAST, LIKE escape,
text-match kinds, integer literals, LIMIT/OFFSET, labels, ON DELETE/UPDATE actions,
isolation levels, SQLite BEGIN modes, savepoint names) plus the ``Q`` keyword injection:
hostile input through the public API raises a ``TypedORMError`` subclass, and a node
tampered with after construction is refused by every dialect's compiler.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any

import pytest

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    ForeignKey,
    InvalidArgument,
    Model,
    Q,
    TypedORMError,
    UnknownField,
    column,
    func,
    select,
)
from typedorm.dialects import get_dialect
from typedorm.sql import closed
from typedorm.sql.expr import (
    BinaryOp,
    BoolOp,
    Compare,
    Const,
    FuncCall,
    Label,
    Like,
    Ordering,
    Param,
    TextMatch,
)
from typedorm.sql.stmt import CreateTable

DIALECTS = ("sqlite", "postgresql", "mysql")
HOSTILE = [
    "OR 1=1 OR",
    "AND 1=1; DROP TABLE accs; --",
    "and",
    "Or",
    "",
    " AND",
    "AND ",
    "\x00",
    "1",
    "ASC; --",
]


class Acc(Model, table="accs"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    age: Col[int] = column(default=0)


class Child(Model, table="children"):
    id: PK[int] = column(default=AUTO)
    acc_id: Annotated[Col[int], Column(foreign_key=ForeignKey("accs.id", on_delete="cascade"))]


def _refused_by_every_compiler(stmt: object, argument: str) -> None:
    for d in DIALECTS:
        with pytest.raises(InvalidArgument) as ei:
            get_dialect(d).compile(stmt)
        assert ei.value.argument == argument, d


def _tampered(node: Any, attr: str, value: object) -> Any:
    # nodes are built through checked constructors; simulate one changed afterwards
    object.__setattr__(node, attr, value)
    return node


def _where(pred: Any) -> Any:
    return select(Acc.id).where(pred)


# --- Q: keywords are lookups only ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["_connector", "_negated", "connector", "negated", "_model", "children"])
def test_q_internal_keyword_names_are_unknown_fields(key: str) -> None:
    q = Q(**{"name": "nobody", "id": 999, key: "OR 1=1 OR"})
    with pytest.raises(UnknownField) as ei:
        q.resolve(Acc)
    assert ei.value.field == key
    assert q.connector == "AND" and q.negated is False


def test_q_connector_comes_only_from_operators() -> None:
    assert (Q(name="a") | Q(name="b")).connector == "OR"
    assert (Q(name="a") & Q(name="b")).connector == "AND"
    assert (~Q(name="a")).negated is True
    with pytest.raises(TypeError):
        Q(name="a") | "OR 1=1"  # type: ignore[operator]


@pytest.mark.parametrize("bad", HOSTILE)
def test_q_connector_tampered_is_refused(bad: str) -> None:
    q = _tampered(Q(name="a", id=1), "connector", bad)
    with pytest.raises(InvalidArgument):
        q.resolve(Acc)


def test_q_negated_tampered_is_refused() -> None:
    q = Q._node("AND", (Q(name="a"),), False)
    with pytest.raises(InvalidArgument):
        Q._node("AND", (q,), "yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Q._node("OR 1=1 OR", (q,), False)  # type: ignore[arg-type]


# --- AND / OR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", HOSTILE)
def test_connector_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        BoolOp(bad, (Acc.age > 1, Acc.age < 5))  # type: ignore[arg-type]
    node = _tampered(BoolOp("AND", (Acc.age > 1, Acc.name == "x")), "op", bad)
    _refused_by_every_compiler(_where(node), "connector")


# --- comparison and arithmetic operators ---------------------------------------------------------


@pytest.mark.parametrize("bad", ["= 1 OR 1 =", "==", "+", "LIKE", "IS", "", "=\x00"])
def test_comparison_operator_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        Compare(bad, Acc.age, Param(1, None))
    node = _tampered(Acc.age == 1, "op", bad)
    _refused_by_every_compiler(_where(node), "comparison operator")


@pytest.mark.parametrize("bad", ["+ 1) OR (1", "||", "<<", "=", "", "**"])
def test_arithmetic_operator_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        BinaryOp(bad, Acc.age, Param(1, None))
    node = _tampered(Acc.age + 1, "op", bad)
    _refused_by_every_compiler(_where(node > 2), "arithmetic operator")


# --- functions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["pg_sleep", "count(*) FROM accs; --", "COUNT", "sleep", "", "load_file"])
def test_function_name_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        FuncCall(bad, (Acc.age,))
    node = _tampered(func.max(Acc.age), "name", bad)
    _refused_by_every_compiler(select(node), "function")


def test_function_distinct_is_a_flag() -> None:
    with pytest.raises(InvalidArgument):
        func.count(Acc.age, distinct="DISTINCT 1) OR (1")  # type: ignore[arg-type]
    node = _tampered(func.count(Acc.age), "distinct", "x")
    _refused_by_every_compiler(select(node), "distinct")


# --- ORDER BY: ASC/DESC and NULLS FIRST/LAST ----------------------------------------------------


@pytest.mark.parametrize("bad", ["FIRST", "first; DROP TABLE accs", "middle", "", "last "])
def test_nulls_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        Acc.age.asc(nulls=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Acc.age.desc(nulls=bad)  # type: ignore[arg-type]
    node = _tampered(Acc.age.asc(nulls="first"), "nulls", bad)
    _refused_by_every_compiler(select(Acc.id).order_by(node), "nulls")


@pytest.mark.parametrize("bad", ["DESC; DROP TABLE accs", 1, None, "ASC"])
def test_direction_is_a_flag(bad: object) -> None:
    with pytest.raises(InvalidArgument):
        Ordering(Acc.age, bad)  # type: ignore[arg-type]
    node = _tampered(Acc.age.desc(), "descending", bad)
    _refused_by_every_compiler(select(Acc.id).order_by(node), "descending")


# --- LIKE escape and text-match kinds ----------------------------------------------------------


@pytest.mark.parametrize("bad", ["'; DROP TABLE accs; --", "\x00", "a", "%", "_", '"', "\n", "ab", 5])
def test_like_escape_closed_set(bad: object) -> None:
    with pytest.raises(InvalidArgument):
        Acc.name.like("x", escape=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Acc.name.ilike("x", escape=bad)  # type: ignore[arg-type]
    node = _tampered(Acc.name.like("x!%", escape="!"), "escape", bad)
    _refused_by_every_compiler(_where(node), "LIKE escape")


def test_like_escape_allowed_characters_compile() -> None:
    for ch in sorted(closed.LIKE_ESCAPES):
        for d in DIALECTS:
            sql = get_dialect(d).compile(_where(Like(Acc.name, Param("x", None), False, ch))).sql
            assert " ESCAPE '" in sql


@pytest.mark.parametrize("bad", ["regex", "contains'; --", ""])
def test_text_match_kind_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        TextMatch(Acc.name, "x", bad, False)  # type: ignore[arg-type]
    node = _tampered(Acc.name.contains("x"), "kind", bad)
    _refused_by_every_compiler(_where(node), "text match")


# --- integer literals, LIMIT and OFFSET ----------------------------------------------------------


@pytest.mark.parametrize("bad", ["1; DROP TABLE accs", 1.5, True, "0"])
def test_const_holds_only_ints(bad: object) -> None:
    with pytest.raises(InvalidArgument):
        Const(bad)  # type: ignore[arg-type]
    node = _tampered(Const(1), "value", bad)
    _refused_by_every_compiler(_where(Compare("=", node, Const(1))), "Const")


@pytest.mark.parametrize("what", ["limit", "offset"])
@pytest.mark.parametrize("bad", [-1, "10; DROP TABLE accs", 1.5, True, "5", -(2**70)])
def test_limit_offset_closed(what: str, bad: object) -> None:
    with pytest.raises(InvalidArgument) as ei:
        getattr(select(Acc.id), what)(bad)
    assert ei.value.argument == what
    assert isinstance(ei.value, ValueError)
    stmt = _tampered(select(Acc.id), f"{what}_", bad)
    _refused_by_every_compiler(stmt, what)


def test_limit_offset_int_subclass_written_as_plain_int() -> None:
    class Sneaky(int):
        def __format__(self, spec: str) -> str:
            return "1; DROP TABLE accs"

        def __str__(self) -> str:
            return "1; DROP TABLE accs"

    for d in DIALECTS:
        sql = get_dialect(d).compile(select(Acc.id).limit(Sneaky(3)).offset(Sneaky(4))).sql
        assert sql.endswith(" LIMIT 3 OFFSET 4") and "DROP" not in sql


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ['x" FROM accs; --', "1x", "", "a b", "x" * 64, "ä"])
def test_label_is_an_identifier(bad: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        Acc.age.label(bad)
    assert ei.value.argument == "label"
    node = _tampered(Label(Acc.age, "ok"), "name", bad)
    _refused_by_every_compiler(select(node), "label")


# --- foreign-key actions ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["cascade; DROP TABLE accs", "CASCADE", "delete", ""])
def test_fk_actions_closed_set(bad: str) -> None:
    with pytest.raises(ValueError):
        ForeignKey("accs.id", on_delete=bad)  # type: ignore[arg-type]
    t = Child.__table__
    fk = dataclasses.replace(t.foreign_keys[0], on_delete=bad or "x", on_update="cascade")
    tampered = dataclasses.replace(t, foreign_keys=(fk,))
    _refused_by_every_compiler(CreateTable(tampered), "on_delete")
    fk2 = dataclasses.replace(t.foreign_keys[0], on_update=bad or "x")
    _refused_by_every_compiler(CreateTable(dataclasses.replace(t, foreign_keys=(fk2,))), "on_update")

    for d in DIALECTS:
        # what migrations' add_foreign_key writes
        with pytest.raises(InvalidArgument):
            get_dialect(d).migrator().foreign_key_sql(fk)


# --- transactions: isolation levels, SQLite modes, savepoints ------------------------------------


@pytest.mark.parametrize("bad", ["serializable; DROP TABLE accs", "SERIALIZABLE", "snapshot", ""])
def test_isolation_closed_set(bad: str) -> None:
    for d in DIALECTS:
        with pytest.raises(InvalidArgument) as ei:
            get_dialect(d).begin_sql(bad)  # type: ignore[arg-type]
        assert ei.value.argument == "isolation"
    db = Database("sqlite:///:memory:")
    try:
        with pytest.raises(InvalidArgument), db.transaction(isolation=bad):  # type: ignore[arg-type]
            pass
    finally:
        db.close()


@pytest.mark.parametrize("bad", ["immediate; DROP TABLE accs", "concurrent", ""])
def test_sqlite_mode_closed_set(bad: str) -> None:
    with pytest.raises(InvalidArgument) as ei:
        get_dialect("sqlite").begin_sql(None, bad)
    assert ei.value.argument == "mode"
    assert get_dialect("sqlite").begin_sql(None, "DEFERRED") == ["BEGIN DEFERRED"]
    db = Database("sqlite:///:memory:")
    try:
        with pytest.raises(InvalidArgument), db.transaction(mode=bad):
            pass
    finally:
        db.close()


@pytest.mark.parametrize("bad", ['sp"; DROP TABLE accs; --', "1sp", "", "sp 1"])
def test_savepoint_names_are_identifiers(bad: str) -> None:
    for d in DIALECTS:
        dialect = get_dialect(d)
        make: list[Callable[[str], str]] = [
            dialect.savepoint_sql,
            dialect.release_sql,
            dialect.rollback_to_sql,
        ]
        for sql_of in make:
            with pytest.raises(InvalidArgument) as ei:
                sql_of(bad)
            assert ei.value.argument == "savepoint"
        assert dialect.savepoint_sql("typedorm_sp_1").startswith("SAVEPOINT ")


# --- every refusal is a typedorm error ----------------------------------------------------------


def test_refusals_are_typedorm_errors_and_value_errors() -> None:
    assert issubclass(InvalidArgument, TypedORMError) and issubclass(InvalidArgument, ValueError)
    for name in (
        "CONNECTORS",
        "COMPARE_OPS",
        "ARITH_OPS",
        "FUNCTIONS",
        "NULLS",
        "LIKE_ESCAPES",
        "TEXT_MATCH_KINDS",
        "FK_ACTIONS",
        "ISOLATION_LEVELS",
        "SQLITE_MODES",
    ):
        assert getattr(closed, name), name
