"""The type map: Python type -> SQL type per dialect, and bind/result processors."""

import datetime as dt
import enum
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, TypeAdapter

from typedorm.dialects import Dialect, get_dialect
from typedorm.errors import ModelDefinitionError
from typedorm.schema import PK, Col, Column, ColumnSpec, Model, column, register_type, resolve_type
from typedorm.schema import types as types_mod
from typedorm.schema.types import (
    BoolType,
    BytesType,
    ColumnType,
    DateTimeType,
    DateType,
    DecimalType,
    EnumType,
    FloatType,
    IntType,
    JSONType,
    Processor,
    StrType,
    TimedeltaType,
    TimeType,
    UUIDType,
)

DIALECTS = ("sqlite", "postgresql", "mysql")
UTC = dt.UTC


class Color(str, enum.Enum):  # noqa: UP042 - the mixin form is what users write
    RED = "red"
    GREEN = "green"
    QUOTED = "it's"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 10


class Address(BaseModel):
    city: str
    zip: str | None = None


class Everything(Model):
    id: PK[int]
    i: Col[int]
    f: Col[float]
    b: Col[bool]
    s: Col[str]
    s80: Annotated[Col[str], Column(max_length=80)]
    s_unique: Annotated[Col[str], Column(unique=True)]
    s_huge: Annotated[Col[str], Column(max_length=20000)]
    raw: Col[bytes]
    d: Col[Decimal]
    money: Annotated[Col[Decimal], Column(max_digits=10, decimal_places=2)]
    ts: Col[dt.datetime]
    day: Col[dt.date]
    at: Col[dt.time]
    span: Col[dt.timedelta]
    uid: Col[uuid.UUID]
    color: Col[Color]
    prio: Col[Priority]
    tags: Col[list[str]]
    meta: Col[dict[str, Any]]
    addr: Col[Address]
    lit_s: Col[Literal["a", "bb"]]
    lit_i: Col[Literal[1, 2]]
    maybe: Col[int | None] = column(default=None)


COLS = Everything.__table__.by_field

EXPECTED_SQL: dict[str, tuple[str, str, str, str]] = {
    # field: (logical, sqlite, postgresql, mysql)
    "id": ("integer", "INTEGER", "BIGINT", "BIGINT"),
    "i": ("integer", "INTEGER", "BIGINT", "BIGINT"),
    "f": ("float", "REAL", "DOUBLE PRECISION", "DOUBLE"),
    "b": ("boolean", "BOOLEAN", "BOOLEAN", "BOOLEAN"),
    "s": ("string", "TEXT", "TEXT", "LONGTEXT"),
    "s80": ("string", "TEXT", "VARCHAR(80)", "VARCHAR(80)"),
    "s_unique": ("string", "TEXT", "TEXT", "VARCHAR(255)"),
    "s_huge": ("string", "TEXT", "VARCHAR(20000)", "LONGTEXT"),
    "raw": ("bytes", "BLOB", "BYTEA", "LONGBLOB"),
    "d": ("decimal", "TEXT", "NUMERIC", "DECIMAL(65, 30)"),
    "money": ("decimal", "TEXT", "NUMERIC(10, 2)", "NUMERIC(10, 2)"),
    "ts": ("datetime", "TEXT", "TIMESTAMPTZ", "DATETIME(6)"),
    "day": ("date", "TEXT", "DATE", "DATE"),
    "at": ("time", "TEXT", "TIME", "TIME(6)"),
    "span": ("timedelta", "INTEGER", "INTERVAL", "BIGINT"),
    "uid": ("uuid", "TEXT", "UUID", "CHAR(36)"),
    "color": ("enum", "TEXT", "VARCHAR(5)", "VARCHAR(5)"),
    "prio": ("enum", "INTEGER", "BIGINT", "BIGINT"),
    "tags": ("json", "TEXT", "JSONB", "JSON"),
    "meta": ("json", "TEXT", "JSONB", "JSON"),
    "addr": ("json", "TEXT", "JSONB", "JSON"),
    "lit_s": ("string", "TEXT", "TEXT", "LONGTEXT"),
    "lit_i": ("integer", "INTEGER", "BIGINT", "BIGINT"),
    "maybe": ("integer", "INTEGER", "BIGINT", "BIGINT"),
}


def test_every_column_is_covered() -> None:
    assert set(EXPECTED_SQL) == set(COLS)


@pytest.mark.parametrize("field", list(EXPECTED_SQL))
def test_sql_type_per_dialect(field: str) -> None:
    logical, *sql = EXPECTED_SQL[field]
    c = COLS[field]
    assert c.type_name == logical
    assert [c.sql_type(d) for d in DIALECTS] == sql


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (int, IntType),
        (float, FloatType),
        (bool, BoolType),
        (str, StrType),
        (bytes, BytesType),
        (bytearray, BytesType),
        (Decimal, DecimalType),
        (dt.datetime, DateTimeType),
        (dt.date, DateType),
        (dt.time, TimeType),
        (dt.timedelta, TimedeltaType),
        (uuid.UUID, UUIDType),
        (Color, EnumType),
        (Priority, EnumType),
        (list[int], JSONType),
        (dict[str, int], JSONType),
        (list, JSONType),
        (tuple[int, str], JSONType),
        (Address, JSONType),
        (Literal["x"], StrType),
        (Literal[3], IntType),
        (Annotated[int, "meta"], IntType),
    ],
)
def test_resolve_type(tp: Any, expected: type[ColumnType]) -> None:
    assert type(resolve_type(tp)) is expected


def test_order_of_the_map_bool_before_int_enum_before_str() -> None:
    assert type(resolve_type(bool)) is BoolType
    assert type(resolve_type(Color)) is EnumType
    assert type(resolve_type(Priority)) is EnumType
    assert type(resolve_type(dt.datetime)) is DateTimeType  # datetime is a date subclass


@pytest.mark.parametrize("tp", [object, complex, Literal["a", 1], Literal[True, 1.5]])
def test_unmapped_types_resolve_to_none(tp: Any) -> None:
    assert resolve_type(tp) is None


def test_mixed_enum_rejected_at_class_creation() -> None:
    class Mixed(enum.Enum):
        A = 1
        B = "b"

    with pytest.raises(ModelDefinitionError, match=r"R\.m: enum Mixed must have only str or only int values"):

        class R(Model):
            id: PK[int]
            m: Col[Mixed]


# --- DDL checks contributed by types -----------------------------------------------


def _checks(dialect: str, field: str) -> list[str]:
    c = COLS[field]
    assert c.column_type is not None
    q = get_dialect(dialect).quote(c.name)
    return c.column_type.ddl_checks(dialect, c, q)


def test_bool_check_only_on_sqlite() -> None:
    assert _checks("sqlite", "b") == ['"b" IN (0, 1)']
    assert _checks("postgresql", "b") == []
    assert _checks("mysql", "b") == []


def test_enum_checks_list_the_members() -> None:
    assert _checks("sqlite", "color") == ["\"color\" IN ('red', 'green', 'it''s')"]
    assert _checks("postgresql", "prio") == ['"prio" IN (1, 10)']
    assert _checks("mysql", "color") == ["`color` IN ('red', 'green', 'it''s')"]
    assert COLS["color"].enum_values == ("red", "green", "it's")


def test_string_length_checks() -> None:
    class S(Model):
        id: PK[int]
        s: Annotated[Col[str], Column(min_length=2, max_length=9)]

    c = S.__table__.by_field["s"]
    assert c.column_type is not None
    assert c.column_type.ddl_checks("sqlite", c, '"s"') == ['length("s") <= 9', 'length("s") >= 2']
    assert c.column_type.ddl_checks("postgresql", c, '"s"') == ['char_length("s") >= 2']
    assert c.column_type.ddl_checks("mysql", c, "`s`") == ["char_length(`s`) >= 2"]


# --- processors --------------------------------------------------------------------


def bind(field: str, dialect: str, value: Any) -> Any:
    ct = COLS[field].column_type
    assert ct is not None
    proc = ct.bind_processor(dialect)
    return proc(value) if proc is not None else value


def result(field: str, dialect: str, value: Any) -> Any:
    ct = COLS[field].column_type
    assert ct is not None
    proc = ct.result_processor(dialect)
    return proc(value) if proc is not None else value


def read_back(field: str, dialect: str, value: Any) -> Any:
    """bind -> (database) -> result -> the model's validation, as the repository does."""
    stored = bind(field, dialect, value)
    return Everything.__pydantic_validator__.validate_assignment(
        Everything.model_construct(), field, result(field, dialect, stored)
    ).__dict__[field]


AWARE = [
    dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-9, minutes=-30))),
    dt.datetime(2024, 6, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", AWARE)
def test_aware_datetime_round_trips_exactly_as_utc(dialect: str, value: dt.datetime) -> None:
    back = read_back("ts", dialect, value)
    assert back == value
    assert back.utcoffset() is not None
    if dialect != "postgresql":  # psycopg returns the session zone; the instant is what counts
        assert back.utcoffset() == dt.timedelta(0)


def test_datetime_stored_in_utc_per_dialect() -> None:
    v = AWARE[0]
    assert bind("ts", "sqlite", v) == "2024-01-02 01:04:05.678901+00:00"
    assert bind("ts", "mysql", v) == dt.datetime(2024, 1, 2, 1, 4, 5, 678901)
    pg = bind("ts", "postgresql", v)  # the same instant, sent as UTC (COPY's text input caps offsets)
    assert pg == v and pg.utcoffset() == dt.timedelta(0)
    utc = dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert bind("ts", "postgresql", utc) is utc  # already UTC: passed through
    assert result("ts", "mysql", dt.datetime(2024, 1, 2, 1, 4, 5)) == dt.datetime(
        2024, 1, 2, 1, 4, 5, tzinfo=UTC
    )


def test_sqlite_datetime_text_sorts_in_time_order() -> None:
    values = [
        *AWARE,
        dt.datetime(2024, 1, 2, 1, 4, 5, 678900, tzinfo=UTC),
        dt.datetime(2024, 1, 1, 23, tzinfo=UTC),
    ]
    assert sorted(values, key=lambda v: bind("ts", "sqlite", v)) == sorted(values)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_naive_datetime_rejected(dialect: str) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        bind("ts", dialect, dt.datetime(2024, 1, 1, 12))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_naive_datetime_rejected_in_compiled_comparison(dialect: str) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        get_dialect(dialect).compile(Everything.ts > dt.datetime(2024, 1, 1))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "value",
    [
        Decimal("0.1"),
        Decimal("12345678901234567890.123456789"),
        Decimal("-0.000001"),
        Decimal("1E+3"),
        Decimal("0.10"),
    ],
)
def test_decimal_round_trips_exactly(dialect: str, value: Decimal) -> None:
    stored = bind("d", dialect, value)
    if dialect == "sqlite":
        assert stored == str(value)
    back = read_back("d", dialect, value)
    assert back == value
    assert back.as_tuple() == value.as_tuple()


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_decimal_non_finite_rejected(dialect: str, value: Decimal) -> None:
    with pytest.raises(ValueError, match="cannot be stored"):
        bind("d", dialect, value)


def test_decimal_non_finite_passes_to_postgresql_numeric() -> None:
    # NUMERIC stores NaN (and, since PostgreSQL 14, infinity) faithfully.
    nan = Decimal("NaN")
    assert bind("d", "postgresql", nan) is nan


def test_model_validation_refuses_non_finite_decimal() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        TypeAdapter(Decimal).validate_python(Decimal("NaN"))
    m = Everything.model_construct()
    with pytest.raises(ValidationError):
        Everything.__pydantic_validator__.validate_assignment(m, "d", Decimal("NaN"))


def test_float_nan_rejected_on_sqlite_and_mysql() -> None:
    with pytest.raises(ValueError, match="NaN"):
        bind("f", "sqlite", float("nan"))
    assert bind("f", "sqlite", float("inf")) == float("inf")
    for v in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="MySQL"):
            bind("f", "mysql", v)
    assert bind("f", "sqlite", 1.5) == 1.5
    assert bind("f", "mysql", -2.25) == -2.25
    assert bind("f", "postgresql", float("inf")) == float("inf")


def test_float_nan_would_become_null_in_sqlite() -> None:
    # The reason for the check above: sqlite3 stores NaN as NULL without a word.
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x REAL)")
    conn.execute("INSERT INTO t VALUES (?)", (float("nan"),))
    assert conn.execute("SELECT x FROM t").fetchone() == (None,)
    conn.close()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_uuid_round_trip(dialect: str) -> None:
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    stored = bind("uid", dialect, u)
    assert stored == (u if dialect == "postgresql" else "12345678-1234-5678-1234-567812345678")
    assert read_back("uid", dialect, u) == u


@pytest.mark.parametrize("dialect", DIALECTS)
def test_enum_stored_by_value(dialect: str) -> None:
    assert bind("color", dialect, Color.GREEN) == "green"
    assert type(bind("color", dialect, Color.GREEN)) is str
    assert bind("prio", dialect, Priority.HIGH) == 10
    assert type(bind("prio", dialect, Priority.HIGH)) is int
    assert read_back("color", dialect, Color.QUOTED) is Color.QUOTED
    assert read_back("prio", dialect, Priority.LOW) is Priority.LOW


@pytest.mark.parametrize(
    "value",
    [
        dt.timedelta(0),
        dt.timedelta(microseconds=1),
        dt.timedelta(days=-1, microseconds=3),
        dt.timedelta(days=99999, seconds=86399, microseconds=999999),
        dt.timedelta(weeks=-3, hours=5),
    ],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_timedelta_round_trip(dialect: str, value: dt.timedelta) -> None:
    stored = bind("span", dialect, value)
    if dialect == "postgresql":
        assert stored is value
    else:
        assert type(stored) is int
        assert stored == value // dt.timedelta(microseconds=1)
    assert read_back("span", dialect, value) == value


@pytest.mark.parametrize("dialect", DIALECTS)
def test_date_round_trip(dialect: str) -> None:
    d = dt.date(2024, 2, 29)
    assert bind("day", dialect, d) == ("2024-02-29" if dialect == "sqlite" else d)
    assert read_back("day", dialect, d) == d


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", [dt.time(0, 0), dt.time(1, 2, 3, 4), dt.time(23, 59, 59, 999999)])
def test_time_round_trip(dialect: str, value: dt.time) -> None:
    back = read_back("at", dialect, value)
    assert back == value


def test_time_stored_per_dialect() -> None:
    assert bind("at", "sqlite", dt.time(1, 2, 3, 4)) == "01:02:03.000004"
    # MySQL drivers return TIME columns as the timedelta since midnight.
    assert result("at", "mysql", dt.timedelta(hours=1, seconds=3, microseconds=4)) == dt.time(1, 0, 3, 4)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_time_with_zone_rejected(dialect: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        bind("at", dialect, dt.time(1, 2, tzinfo=UTC))


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("tags", ["a", "b"], '["a","b"]'),
        ("meta", {"k": [1, {"x": None}], "ü": "é"}, '{"k":[1,{"x":null}],"ü":"é"}'),
        ("addr", Address(city="Oslo"), '{"city":"Oslo","zip":null}'),
    ],
)
def test_json_round_trip_as_text(dialect: str, field: str, value: Any, text: str) -> None:
    stored = bind(field, dialect, value)
    assert stored == text
    assert json.loads(stored) == (value.model_dump() if isinstance(value, BaseModel) else value)
    assert result(field, dialect, stored) == json.loads(text)
    assert result(field, dialect, stored.encode()) == json.loads(text)
    back = read_back(field, dialect, value)
    assert back == value
    assert type(back) is type(value)


def test_json_result_passes_through_already_decoded_values() -> None:
    # psycopg decodes JSONB itself.
    assert result("meta", "postgresql", {"a": 1}) == {"a": 1}
    assert result("tags", "mysql", ["x"]) == ["x"]


def test_json_on_postgresql_binds_jsonb() -> None:
    psycopg = pytest.importorskip("psycopg")
    from psycopg.adapt import PyFormat, Transformer

    from typedorm.drivers.psycopg import register_adapters
    from typedorm.schema.types import JsonDocument

    stored = bind("addr", "postgresql", Address(city="Oslo", zip="0150"))
    # the schema layer hands over a driver-neutral marker; psycopg's adapter sends it as jsonb
    assert isinstance(stored, JsonDocument)
    assert stored.data == {"city": "Oslo", "zip": "0150"}
    register_adapters()
    for fmt in (PyFormat.TEXT, PyFormat.BINARY):
        dumper = Transformer().get_dumper(stored, fmt)
        assert dumper.oid == psycopg.adapters.types["jsonb"].oid
    text = Transformer().get_dumper(stored, PyFormat.TEXT).dump(stored)
    assert text is not None and json.loads(bytes(text)) == {"city": "Oslo", "zip": "0150"}


def test_null_is_never_processed() -> None:
    for d in DIALECTS:
        c = get_dialect(d)
        assert c.bind(None, COLS["ts"]) is None
        assert c.bind(None, COLS["tags"]) is None


def test_compiled_params_are_bound_through_the_column_type() -> None:
    when = AWARE[0]
    _, params = get_dialect("sqlite").compile(
        (Everything.ts >= when)
        & (Everything.color == Color.RED)
        & Everything.span.in_([dt.timedelta(seconds=1)])
    )
    assert params == ["2024-01-02 01:04:05.678901+00:00", "red", 1_000_000]
    _, params = get_dialect("mysql").compile(Everything.uid == uuid.UUID(int=1))
    assert params == ["00000000-0000-0000-0000-000000000001"]


# --- register_type and custom types ------------------------------------------------


@pytest.fixture
def isolated_type_map(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(types_mod, "_RULES", list(types_mod._RULES))
    yield


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))


class PointType(ColumnType):
    logical = "point"

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        return "POINT" if dialect.family == "mysql" else "TEXT"

    def bind_processor(self, dialect: Dialect) -> Processor | None:
        return lambda p: f"{p.x},{p.y}" if isinstance(p, Point) else p

    def result_processor(self, dialect: Dialect) -> Processor | None:
        return lambda s: Point(*map(float, s.split(","))) if isinstance(s, str) else s


def test_register_type_maps_a_custom_class(isolated_type_map: None) -> None:
    assert resolve_type(Point) is None
    register_type(Point, PointType())
    assert isinstance(resolve_type(Point), PointType)

    class Place(Model, arbitrary_types_allowed=True):
        id: PK[int]
        where: Col[Point]

    c = Place.__table__.by_field["where"]
    assert c.type_name == "point"
    assert {d: c.sql_type(d) for d in DIALECTS} == {"sqlite": "TEXT", "postgresql": "TEXT", "mysql": "POINT"}
    assert c.sql_type("mariadb") == "POINT" and dict(c.sql_types) == {}
    _, params = get_dialect("sqlite").compile(Place.where == Point(1.5, -2))
    assert params == ["1.5,-2"]
    assert c.column_type is not None
    proc = c.column_type.result_processor("sqlite")
    assert proc is not None and proc("1.5,-2") == Point(1.5, -2.0)


def test_register_type_goes_ahead_of_builtins(isolated_type_map: None) -> None:
    class Cents(int):
        pass

    class CentsType(IntType):
        logical = "cents"

    assert type(resolve_type(Cents)) is IntType
    register_type(Cents, lambda t: CentsType())
    assert type(resolve_type(Cents)) is CentsType
    assert type(resolve_type(int)) is IntType  # only Cents and its subclasses
    register_type(int, CentsType())
    assert type(resolve_type(int)) is CentsType
    assert type(resolve_type(bool)) is CentsType  # bool is an int: the user's rule wins


def test_register_type_is_isolated_between_tests() -> None:
    assert type(resolve_type(int)) is IntType


class Celsius(float):
    """A value class naming its own column type through the hook."""

    @classmethod
    def __typedorm_column_type__(cls) -> ColumnType:
        return CelsiusType()


class CelsiusType(FloatType):
    logical = "celsius"

    def sql_type(self, dialect: Dialect, column: ColumnSpec) -> str:
        return "NUMERIC(5, 2)" if dialect.family != "sqlite" else dialect.float_sql(self, column)

    def ddl_checks(self, dialect: Dialect, column: ColumnSpec, quoted: str) -> list[str]:
        return [f"{quoted} >= -273.15"]


def test_typedorm_column_type_hook_checked_before_builtins() -> None:
    assert type(resolve_type(Celsius)) is CelsiusType

    class Reading(Model, arbitrary_types_allowed=True):
        id: PK[int]
        temp: Col[Celsius]

    c = Reading.__table__.by_field["temp"]
    assert (c.type_name, c.sql_type("sqlite"), c.sql_type("postgresql")) == (
        "celsius",
        "REAL",
        "NUMERIC(5, 2)",
    )
    # a subclass of a built-in type keeps its parent's processing (SQLite refuses NaN floats)
    proc = c.column_type.bind_processor("sqlite") if c.column_type is not None else None
    assert proc is not None
    with pytest.raises(ValueError, match="NaN"):
        proc(float("nan"))
    ddl = get_dialect("sqlite").create_table_statements(Reading.__table__)[0]
    assert 'CHECK ("temp" >= -273.15)' in ddl


def test_column_type_equality() -> None:
    assert IntType() == IntType()
    assert IntType() != FloatType()
    assert EnumType(Color) == EnumType(Color)
    assert EnumType(Color) != EnumType(Priority)
    assert hash(EnumType(Color)) == hash(EnumType(Color))
    assert repr(IntType()) == "IntType()"


def test_text_in_a_composite_key_gets_an_indexable_type_on_mysql() -> None:
    class Pair(Model, unique=[("a", "b")], indexes=["c"]):
        id: PK[int]
        a: Col[str]
        b: Col[int]
        c: Col[str]
        d: Col[str]

    by = Pair.__table__.by_field
    assert [by[f].sql_type("mysql") for f in "abcd"] == ["VARCHAR(255)", "BIGINT", "VARCHAR(255)", "LONGTEXT"]
    assert [by[f].sql_type("postgresql") for f in "ac"] == ["TEXT", "TEXT"]
    assert (by["a"].unique, by["a"].index, by["c"].index) == (False, False, False)


class LegacyPointType(ColumnType):
    """A custom type written when the methods received the dialect's family name."""

    logical = "legacy_point"

    def sql_type(self, dialect: Any, column: ColumnSpec) -> str:
        return "POINT" if dialect == "mysql" else "TEXT"


def test_a_type_comparing_the_dialect_with_a_name_still_works_with_a_warning() -> None:
    class Spot(Model, arbitrary_types_allowed=True):
        id: PK[int]
        where: Annotated[Col[str], Column(type=LegacyPointType())]

    c = Spot.__table__.by_field["where"]
    for name, want in (("mysql", "POINT"), ("mariadb", "POINT"), ("postgresql", "TEXT")):
        with pytest.warns(DeprecationWarning, match="comparing a Dialect with a name"):
            assert c.sql_type(name) == want
    with pytest.warns(DeprecationWarning):
        assert "POINT" in get_dialect("mariadb").create_table_statements(Spot.__table__)[0]


class Base2Dialect(Dialect):
    """A dialect outside typedorm that knows only the standard rules, and spells floats its own way."""

    name = "base2"
    family = "base2"

    def float_sql(self, ct: ColumnType, column: ColumnSpec) -> str:
        return "FLOAT8"


def test_a_dialect_supplies_sql_for_built_in_types() -> None:
    d = Base2Dialect()
    by = Everything.__table__.by_field
    assert [by[f].sql_type(d) for f in ("i", "f", "b", "s", "uid", "tags")] == [
        "BIGINT",
        "FLOAT8",
        "BOOLEAN",
        "TEXT",
        "CHAR(36)",
        "TEXT",
    ]
    # flags steer the standard rules: a native UUID/JSON dialect gets the types and no text conversion
    native = type(
        "Native", (Base2Dialect,), {"native_uuid": True, "native_json": True, "native_bool": False}
    )()
    assert [by[f].sql_type(native) for f in ("uid", "tags")] == ["UUID", "JSON"]
    assert by["uid"].column_type is not None and by["uid"].column_type.bind_processor(native) is None
    assert by["uid"].column_type.bind_processor(d) is not None
    assert by["b"].column_type is not None
    assert by["b"].column_type.ddl_checks(native, by["b"], "f") == ["f IN (0, 1)"]
    assert by["b"].column_type.ddl_checks(d, by["b"], "f") == []
