"""Values round-trip exactly through every backend; what cannot be stored faithfully is refused."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models import AllTypes, Color, Point, Priority
from pydantic import ValidationError as PydanticValidationError

from typedorm import Database, Repository, UniqueViolation, select
from typedorm.errors import DataError, ValidationError

I64 = 2**63 - 1
# The largest duration every backend holds exactly (BIGINT microseconds off PostgreSQL).
MAX_TD = dt.timedelta(microseconds=I64)


def _examples(db: Database) -> int:
    # servers cost a round trip per statement: keep their runs short
    return 100 if db.dialect.name == "sqlite" else 50


def _settings(db: Database) -> settings:
    return settings(
        max_examples=_examples(db),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


@pytest.fixture
def repo(db: Database) -> Iterator[Repository[AllTypes]]:
    db.create_all(AllTypes)
    yield Repository(AllTypes, db)


# --- strategies ---------------------------------------------------------------------------------
text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
zones = st.one_of(offsets, st.just(dt.UTC), st.timezones())
# the UTC instant of these stays within years 1..9999 whatever the offset
aware = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=zones)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-I64, I64),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False),
    text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
decimals = st.decimals(
    min_value=Decimal("-1e30") + 1,
    max_value=Decimal("1e30") - 1,
    allow_nan=False,
    allow_infinity=False,
    places=20,
) | st.decimals(allow_nan=False, allow_infinity=False, places=0, min_value=-(10**34), max_value=10**34)

rows = st.builds(
    AllTypes,
    i=st.integers(-(2**63), I64),
    f=st.floats(allow_nan=False, allow_infinity=False),
    b=st.booleans(),
    s=text,
    raw=st.binary(max_size=64) | st.just(b"\x00") | st.just(b"a\x00\x00b\xff"),
    dec=decimals,
    ts=aware,
    d=st.dates(),
    t=st.times(),
    td=st.timedeltas(min_value=-MAX_TD, max_value=MAX_TD),
    u=st.uuids(),
    color=st.sampled_from(Color),
    prio=st.sampled_from(Priority),
    items=st.lists(json_value, max_size=5),
    doc=st.dictionaries(text, json_value, max_size=5),
    point=st.builds(
        Point,
        x=st.floats(-1e15, 1e15, allow_nan=False),
        y=st.floats(-1e15, 1e15, allow_nan=False),
        tags=st.lists(text, max_size=3),
    ),
    maybe=st.none() | st.integers(-(2**63), I64),
    maybe_s=st.none() | text,
)

FIELDS = [f for f in AllTypes.model_fields if f != "id"]


def instant(v: Any) -> Any:
    """Aware datetimes as their UTC instant: == between zones is False for a wall time in a DST fold."""
    return v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v


def assert_same(got: AllTypes, want: AllTypes, *, read: bool = True) -> None:
    for f in FIELDS:
        a, b = instant(getattr(got, f)), instant(getattr(want, f))
        assert a == b, f"{f}: stored {b!r}, read back {a!r}"
        if isinstance(b, float):
            assert math.copysign(1, a) == math.copysign(1, b) or a == 0, f
        if f == "ts" and read:
            assert getattr(got, f).utcoffset() == dt.timedelta(0), "datetimes come back in UTC"
        if f in ("color", "prio"):
            assert type(a) is type(b)
        if f == "dec":
            assert isinstance(a, Decimal)


# --- the property -----------------------------------------------------------------------------------
def test_every_type_round_trips(db: Database, repo: Repository[AllTypes]) -> None:
    @_settings(db)
    @given(row=rows)
    def check(row: AllTypes) -> None:
        stored = repo.insert(row)
        got = repo.get_or_raise(stored.id)
        assert_same(got, row)
        assert_same(stored, row, read=False)  # what insert() returns
        # the same values through the other read paths
        assert_same(repo.filter(AllTypes.id == stored.id).one(), row)
        values = repo.filter(AllTypes.id == stored.id).values(*FIELDS)[0]
        for f in FIELDS:
            assert instant(values[f]) == instant(getattr(row, f)), f
        (ts, dec, td, u) = repo.rows(
            select(AllTypes.ts, AllTypes.dec, AllTypes.td, AllTypes.u).where(AllTypes.id == stored.id)
        )[0]
        assert (instant(ts), dec, td, u) == (instant(row.ts), row.dec, row.td, row.u)
        # and back in through update(obj)
        again = repo.update(got)
        assert_same(again, row)

    check()


def test_round_trip_through_insert_many(db: Database, repo: Repository[AllTypes]) -> None:
    @_settings(db)
    @given(batch=st.lists(rows, min_size=1, max_size=5))
    def check(batch: list[AllTypes]) -> None:
        stored = repo.insert_many(batch)
        for s, want in zip(stored, batch, strict=True):
            assert_same(repo.get_or_raise(s.id), want)

    check()


def test_equality_filters_find_stored_values(db: Database, repo: Repository[AllTypes]) -> None:
    @_settings(db)
    @given(row=rows)
    def check(row: AllTypes) -> None:
        stored = repo.insert(row)
        for col in (
            AllTypes.i,
            AllTypes.s,
            AllTypes.raw,
            AllTypes.u,
            AllTypes.d,
            AllTypes.ts,
            AllTypes.color,
        ):
            ids = [x.id for x in repo.filter(col == getattr(row, col.field)).all()]
            assert stored.id in ids, col.field

    check()


# --- limits ----------------------------------------------------------------------------------------
def _base(**kw: Any) -> AllTypes:
    values: dict[str, Any] = dict(
        i=1,
        f=1.5,
        b=True,
        s="s",
        raw=b"\x00",
        dec=Decimal("1.5"),
        ts=dt.datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
        d=dt.date(2024, 2, 29),
        t=dt.time(23, 59, 59, 999999),
        td=dt.timedelta(days=-1, microseconds=1),
        u=uuid.UUID(int=0),
        color=Color.GREEN,
        prio=Priority.URGENT,
        items=[1, "a", None],
        doc={"k": {"n": [True]}},
        point=Point(x=0.5, y=-2.0, tags=["t"]),
    )
    values.update(kw)
    return AllTypes(**values)


def _count(db: Database) -> int:
    n = db.execute("SELECT COUNT(*) FROM all_types").scalar()
    assert isinstance(n, int)
    return n


@pytest.mark.parametrize("value", [I64, -I64, -(2**63), 0, 2**53 + 1, -(2**31) - 1])
def test_64_bit_integer_limits_round_trip(db: Database, repo: Repository[AllTypes], value: int) -> None:
    s = repo.insert(_base(i=value, maybe=value))
    got = repo.get_or_raise(s.id)
    assert (got.i, got.maybe) == (value, value)
    assert type(got.i) is int
    assert db.execute("SELECT i FROM all_types WHERE i = ?", (value,)).scalar() == value


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**64, 10**30])
def test_out_of_range_integer_is_rejected_not_stored_as_real(
    db: Database, repo: Repository[AllTypes], value: int
) -> None:
    # validation refuses it first, naming the field, the same on every backend ...
    with pytest.raises(PydanticValidationError) as ei:
        _base(i=value)
    assert ei.value.errors()[0]["loc"] == ("i",)
    with pytest.raises(ValidationError) as vi:
        repo.insert_json(_base(i=1).model_dump_json().replace('"i":1', f'"i":{value}'))
    assert vi.value.fields == ("i",)
    # ... and an instance that skipped validation (model_copy) is still refused, not stored as REAL
    unchecked = _base(i=1).model_copy(update={"i": value})
    with pytest.raises((DataError, ValidationError)):
        repo.insert(unchecked)
    assert _count(db) == 0
    kept = repo.insert(_base(i=1))
    with pytest.raises((DataError, ValidationError)):
        repo.update(kept.model_copy(update={"i": value}))
    with pytest.raises((DataError, ValidationError)):
        repo.update(AllTypes.id == kept.id, AllTypes.i.set(value))
    with pytest.raises((DataError, ValidationError)):
        repo.insert_many([_base(i=2), unchecked])
    assert db.execute("SELECT i FROM all_types").all() == [(1,)]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_rejected_or_stored_faithfully(
    db: Database, repo: Repository[AllTypes], value: float
) -> None:
    def same(x: float | None) -> bool:
        return x is not None and (math.isnan(x) if math.isnan(value) else x == value)

    try:
        s = repo.insert(_base(f=value))
    except ValidationError as e:
        assert e.fields == ("f",)
        assert _count(db) == 0
        return
    assert same(repo.get_or_raise(s.id).f)
    raw = db.execute("SELECT f FROM all_types WHERE id = ?", (s.id,)).scalar()
    assert raw is not None, "stored as NULL"
    assert db.execute("SELECT COUNT(*) FROM all_types WHERE f IS NULL").scalar() == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_through_updates(db: Database, repo: Repository[AllTypes], value: float) -> None:
    kept = repo.insert(_base(f=2.0))
    for attempt in (
        lambda: repo.update(kept.model_copy(update={"f": value})),
        lambda: repo.update(AllTypes.id == kept.id, AllTypes.f.set(value)),
    ):
        try:
            attempt()
        except ValidationError as e:
            assert e.fields == ("f",)
            assert repo.get_or_raise(kept.id).f == 2.0
        else:
            got = repo.get_or_raise(kept.id).f
            assert math.isnan(got) if math.isnan(value) else got == value
    assert db.execute("SELECT COUNT(*) FROM all_types WHERE f IS NULL").scalar() == 0


@pytest.mark.parametrize(
    "field",
    ["doc", "items", "point"],
)
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_floats_in_json_are_never_nulled(
    db: Database, repo: Repository[AllTypes], field: str, value: float
) -> None:
    payload: Any = {"doc": {"x": value}, "items": [1, value], "point": Point(x=value, y=1.0)}[field]
    try:
        s = repo.insert(_base(**{field: payload}))
    except ValidationError as e:
        assert e.fields == (field,)
        assert _count(db) == 0
        return
    got = getattr(repo.get_or_raise(s.id), field)
    flat = {"doc": lambda g: g["x"], "items": lambda g: g[1], "point": lambda g: g.x}[field](got)
    assert flat is not None and (math.isnan(flat) if math.isnan(value) else flat == value)


def test_nan_decimal_is_rejected(db: Database, repo: Repository[AllTypes]) -> None:
    with pytest.raises(ValueError):  # by the model itself
        _base(dec=Decimal("NaN"))
    doc = _base().model_dump_json().replace('"dec":"1.5"', '"dec":"NaN"')
    assert '"NaN"' in doc
    with pytest.raises(ValidationError) as ei:
        repo.insert_json(doc)
    assert ei.value.fields == ("dec",)
    assert _count(db) == 0


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1e-30"),
        Decimal("-1e-40"),
        Decimal("123456789012345678901234567890.5"),
        Decimal("1e40"),
        Decimal("0.1000000000000000000000000000001"),
    ],
)
def test_extreme_decimals_round_trip_or_are_refused(
    db: Database, repo: Repository[AllTypes], value: Decimal
) -> None:
    try:
        s = repo.insert(_base(dec=value))
    except (ValidationError, DataError):
        assert _count(db) == 0
        return
    assert repo.get_or_raise(s.id).dec == value  # never rounded


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(999, 6, 1, 1, 2, 3, 4, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        dt.datetime(1970, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-12))),
    ],
)
def test_datetime_edges_round_trip_as_utc(
    db: Database, repo: Repository[AllTypes], value: dt.datetime
) -> None:
    s = repo.insert(_base(ts=value))
    got = repo.get_or_raise(s.id).ts
    assert got == value  # the same instant
    assert got.utcoffset() == dt.timedelta(0)
    assert got.replace(tzinfo=None) == value.astimezone(dt.UTC).replace(tzinfo=None)
    # ordering by the column is ordering by instant
    near: list[dt.datetime] = []
    for delta in (dt.timedelta(hours=-13), dt.timedelta(microseconds=1)):
        try:
            near.append((value.astimezone(dt.UTC) + delta).astimezone(value.tzinfo))
        except OverflowError:
            continue
    for other in near:
        repo.insert(_base(ts=other))
    assert [r[0] for r in repo.query().order_by(AllTypes.ts).rows(AllTypes.ts)] == sorted([value, *near])


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_datetime_whose_utc_instant_is_out_of_range_is_refused(
    db: Database, repo: Repository[AllTypes], value: dt.datetime
) -> None:
    with pytest.raises(ValidationError) as ei:
        repo.insert(_base(ts=value))
    assert ei.value.fields == ("ts",)
    assert _count(db) == 0


def test_naive_datetime_is_refused(db: Database, repo: Repository[AllTypes]) -> None:
    naive = AllTypes.model_construct(**{**_base().__dict__, "ts": dt.datetime(2024, 1, 1)})
    with pytest.raises(ValidationError) as ei:
        repo.insert(naive)
    assert ei.value.fields == ("ts",)
    assert _count(db) == 0


def test_text_with_nul_is_refused_at_validation_on_every_backend(
    db: Database, repo: Repository[AllTypes]
) -> None:
    # PostgreSQL text cannot hold NUL: every backend refuses it when the model validates.
    with pytest.raises(pydantic.ValidationError) as ei:
        _base(s="a\x00b", maybe_s="\x00")
    assert sorted(e["loc"][0] for e in ei.value.errors()) == ["maybe_s", "s"]
    assert _count(db) == 0


def test_bytes_keep_nul_and_every_byte(db: Database, repo: Repository[AllTypes]) -> None:
    every = bytes(range(256)) * 4
    s = repo.insert(_base(raw=every))
    assert repo.get_or_raise(s.id).raw == every
    assert repo.filter(AllTypes.raw == every).count() == 1


def test_durations_beyond_the_exact_range_are_refused_or_exact(
    db: Database, repo: Repository[AllTypes]
) -> None:
    for value in (dt.timedelta.max, dt.timedelta.min, MAX_TD + dt.timedelta(microseconds=1)):
        try:
            s = repo.insert(_base(td=value))
        except (ValidationError, DataError):
            continue
        assert repo.get_or_raise(s.id).td == value
    assert db.execute("SELECT COUNT(*) FROM all_types WHERE td IS NULL").scalar() == 0


def test_none_round_trips(db: Database, repo: Repository[AllTypes]) -> None:
    s = repo.insert(_base(maybe=None, maybe_s=None))
    got = repo.get_or_raise(s.id)
    assert (got.maybe, got.maybe_s) == (None, None)
    s2 = repo.insert(_base(maybe=0, maybe_s=""))
    got2 = repo.get_or_raise(s2.id)
    assert (got2.maybe, got2.maybe_s) == (0, "")  # not confused with NULL
    assert repo.filter(AllTypes.maybe_s.is_null()).count() == 1


def test_wall_times_in_a_dst_fold_keep_their_instant(db: Database, repo: Repository[AllTypes]) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    first = dt.datetime(2023, 10, 29, 2, 30, tzinfo=zone)  # 02:30 CEST, fold=0
    second = first.replace(fold=1)  # 02:30 CET, an hour later
    gap = dt.datetime(2023, 3, 26, 2, 30, tzinfo=zone)  # a wall time that never happened
    for value in (first, second, gap):
        s = repo.insert(_base(ts=value))
        got = repo.get_or_raise(s.id).ts
        assert got == value.astimezone(dt.UTC), value
        assert got.utcoffset() == dt.timedelta(0)
    stored = [r[0] for r in repo.query().order_by(AllTypes.id).rows(AllTypes.ts)]
    assert stored[1] - stored[0] == dt.timedelta(hours=1)


def test_round_trip_through_bulk_insert_of_many_rows(db: Database, repo: Repository[AllTypes]) -> None:
    """Batches large enough for the bulk path (COPY on PostgreSQL, multi-row VALUES elsewhere)."""

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(seed=st.lists(rows, min_size=1, max_size=6))
    def check(seed: list[AllTypes]) -> None:
        batch = (seed * 80)[:80]  # generated values, in a batch large enough for the bulk path
        with db.count_queries() as q:
            stored = repo.insert_many(batch)
        if db.supports_copy:
            assert q.count == 2, q.statements  # keys from the sequence, then one COPY
            assert q.statements[1].startswith("COPY ")
        ids = [s.id for s in stored]
        assert len(set(ids)) == len(ids)
        by_id = {r.id: r for r in repo.filter(AllTypes.id.in_(ids)).all()}
        for s, want in zip(stored, batch, strict=True):
            assert_same(by_id[s.id], want)

    check()


def test_bulk_insert_failure_writes_nothing_and_names_the_field(db: Database) -> None:
    from models import User

    db.create_all(User)
    users = Repository(User, db)
    batch = [User(name=f"u{i}", email=f"u{i}@example.com", age=20) for i in range(100)]
    batch.append(User(name="dup", email="u5@example.com", age=20))
    with pytest.raises(UniqueViolation) as info:
        users.insert_many(batch)
    assert "email" in info.value.fields
    assert users.count() == 0
