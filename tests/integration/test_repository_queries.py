"""Repository reads: filters, Query[M] building and fetching, projections, aggregates, pagination."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from models import User, UserName
from pydantic import BaseModel

from typedorm import Database, MultipleResultsFound, NotFound, Page, Q, Repository, UnknownField, func, select
from typedorm.errors import UnknownLookup

# name, age, bio: ages repeat so grouping and ordering ties are exercised
PEOPLE = [
    ("John", 30, "a"),
    ("Ann", 25, None),
    ("Bob", 17, "b"),
    ("Jane", 30, None),
    ("Carl", 42, "c"),
    ("Dora", 17, None),
]


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User)
    repo = Repository(User, db)
    repo.insert_many([User(name=n, email=f"{n.lower()}@example.com", age=a, bio=b) for n, a, b in PEOPLE])
    yield repo


def names(items: list[User]) -> list[str]:
    return [u.name for u in items]


# --- filter / filter_by / exclude / all -------------------------------------------
def test_all_returns_every_row_as_models(users: Repository[User]) -> None:
    got = users.all()
    assert all(isinstance(u, User) for u in got)
    assert sorted(names(got)) == sorted(n for n, _, _ in PEOPLE)


def test_filter_predicates_and_combinations(users: Repository[User]) -> None:
    assert sorted(names(users.filter(User.age >= 30).all())) == ["Carl", "Jane", "John"]
    assert sorted(names(users.filter(User.age >= 18, User.age < 40).all())) == ["Ann", "Jane", "John"]
    assert sorted(names(users.filter((User.age < 18) | (User.name == "Carl")).all())) == [
        "Bob",
        "Carl",
        "Dora",
    ]
    assert sorted(names(users.filter(~(User.age >= 18)).all())) == ["Bob", "Dora"]
    assert sorted(names(users.filter(User.bio.is_null()).all())) == ["Ann", "Dora", "Jane"]
    assert sorted(names(users.filter(User.name.in_(["Ann", "Bob", "Nobody"])).all())) == ["Ann", "Bob"]
    assert sorted(names(users.filter(Q(age__gte=30) | Q(name="Ann")).all())) == [
        "Ann",
        "Carl",
        "Jane",
        "John",
    ]
    # chained filters are ANDed
    assert names(users.filter(User.age >= 18).filter(User.name.startswith("J")).order_by("name").all()) == [
        "Jane",
        "John",
    ]


def test_filter_by_lookups(users: Repository[User]) -> None:
    assert users.filter_by(age__gte=18, name__startswith="J").count() == 2
    assert sorted(names(users.filter_by(age=17).all())) == ["Bob", "Dora"]
    assert sorted(names(users.filter_by(name__in=["Ann", "Carl"]).all())) == ["Ann", "Carl"]
    assert sorted(names(users.filter_by(bio__isnull=True).all())) == ["Ann", "Dora", "Jane"]
    assert sorted(names(users.filter_by(name__contains="o").all())) == ["Bob", "Dora", "John"]
    assert names(users.filter_by(name__icontains="JA").all()) == ["Jane"]
    assert users.filter_by(name__startswith="j").count() == 0  # case-sensitive everywhere
    with pytest.raises(UnknownLookup):
        users.filter_by(age__near=3)


def test_like_wildcards_in_values_are_literal(users: Repository[User]) -> None:
    users.insert(User(name="100%_done", email="pct@example.com"))
    assert names(users.filter_by(name__contains="%").all()) == ["100%_done"]
    assert names(users.filter_by(name__contains="_").all()) == ["100%_done"]
    assert names(users.filter(User.name.endswith("%_done")).all()) == ["100%_done"]
    assert users.filter_by(name__startswith="1%").count() == 0


def test_exclude(users: Repository[User]) -> None:
    assert sorted(names(users.exclude(User.age < 18).all())) == ["Ann", "Carl", "Jane", "John"]
    assert sorted(names(users.exclude(age=30).all())) == ["Ann", "Bob", "Carl", "Dora"]
    assert sorted(names(users.filter(User.age >= 18).exclude(name__startswith="J").all())) == ["Ann", "Carl"]


# --- ordering, limit, offset, distinct ------------------------------------------------
def test_order_by_expressions_and_strings(users: Repository[User]) -> None:
    by_age_desc = users.query().order_by(User.age.desc(), User.name).all()
    assert names(by_age_desc) == ["Carl", "Jane", "John", "Ann", "Bob", "Dora"]
    assert names(users.order_by("-age", "name").all()) == names(by_age_desc)
    assert names(users.query().order_by("age", "-name").all()) == [
        "Dora",
        "Bob",
        "Ann",
        "John",
        "Jane",
        "Carl",
    ]
    assert names(users.query().order_by(User.name).all()) == sorted(n for n, _, _ in PEOPLE)


def test_limit_offset(users: Repository[User]) -> None:
    q = users.query().order_by("name")
    assert names(q.limit(2).all()) == ["Ann", "Bob"]
    assert names(q.limit(2).offset(2).all()) == ["Carl", "Dora"]
    assert names(q.offset(4).all()) == ["Jane", "John"]
    assert q.offset(100).all() == []
    assert q.limit(3).count() == 3
    with pytest.raises((ValueError, TypeError)):
        q.limit(-1)


def test_distinct(users: Repository[User]) -> None:
    ages = users.query().distinct().order_by("age").values("age")
    assert ages == [{"age": 17}, {"age": 25}, {"age": 30}, {"age": 42}]
    assert sorted(users.query().distinct().rows(User.age)) == [(17,), (25,), (30,), (42,)]
    assert users.query().distinct().order_by(User.age.desc()).values_list("age") == [
        (42,),
        (30,),
        (25,),
        (17,),
    ]


# --- first / last / one / one_or_none -------------------------------------------------
def test_first_and_last(users: Repository[User]) -> None:
    all_by_id = users.query().order_by(User.id).all()
    assert users.first() == all_by_id[0]
    assert users.last() == all_by_id[-1]
    assert users.query().order_by("age", "name").first().name == "Bob"  # type: ignore[union-attr]
    assert users.query().order_by("age", "name").last().name == "Carl"  # type: ignore[union-attr]
    assert users.filter(User.age > 1000).first() is None
    assert users.filter(User.age > 1000).last() is None


def test_one_with_zero_one_and_two_matches(users: Repository[User]) -> None:
    assert users.filter(User.name == "Ann").one().age == 25
    with pytest.raises(NotFound):
        users.filter(User.name == "Nobody").one()
    with pytest.raises(MultipleResultsFound):
        users.filter(User.age == 30).one()


def test_one_or_none(users: Repository[User]) -> None:
    assert users.filter(User.name == "Ann").one_or_none() is not None
    assert users.filter(User.name == "Nobody").one_or_none() is None
    with pytest.raises(MultipleResultsFound):
        users.filter(User.age == 17).one_or_none()


# --- count / exists -------------------------------------------------------------------
def test_count_and_exists(users: Repository[User]) -> None:
    assert users.count() == 6
    assert users.filter(User.age == 30).count() == 2
    assert users.filter(User.age == 31).count() == 0
    assert users.exists() is True
    assert users.filter(User.name == "Ann").exists() is True
    assert users.filter(User.name == "Nobody").exists() is False


# --- query writes -----------------------------------------------------------------------
def test_query_update_and_delete(users: Repository[User], db: Database) -> None:
    assert users.filter(User.age < 18).update(User.bio.set("minor"), User.n.set(User.n + 5)) == 2
    assert sorted(users.filter(User.bio == "minor").values_list("name", "n")) == [("Bob", 5), ("Dora", 5)]
    assert users.filter(User.age == 30).delete() == 2
    assert users.count() == 4
    assert db.execute("SELECT COUNT(*) FROM users WHERE age = ?", (30,)).scalar() == 0
    with pytest.raises(ValueError):
        users.query().limit(1).delete()
    assert users.count() == 4


# --- projections ------------------------------------------------------------------------
def test_values_and_values_list(users: Repository[User]) -> None:
    got = users.filter(User.age >= 30).order_by("name").values("name", "age")
    assert got == [{"name": "Carl", "age": 42}, {"name": "Jane", "age": 30}, {"name": "John", "age": 30}]
    full = users.filter(User.name == "Ann").values()
    assert len(full) == 1 and set(full[0]) == {"id", "name", "email", "age", "n", "bio"}
    assert full[0]["bio"] is None
    assert users.order_by("name").values_list("name") == [
        ("Ann",),
        ("Bob",),
        ("Carl",),
        ("Dora",),
        ("Jane",),
        ("John",),
    ]
    assert users.values("email")[0]["email"].endswith("@example.com")


def test_rows_typed_tuples(users: Repository[User]) -> None:
    rows = users.filter(User.age >= 30).order_by("name").rows(User.name, User.age, User.bio)
    assert rows == [("Carl", 42, "c"), ("Jane", 30, None), ("John", 30, "a")]
    assert all(isinstance(r, tuple) for r in rows)
    assert isinstance(rows[0][1], int)


def test_repository_rows_with_select(users: Repository[User]) -> None:
    stmt = select(User.id, User.name).where(User.age >= 18).order_by(User.name)
    pairs = users.rows(stmt)
    assert [n for _, n in pairs] == ["Ann", "Carl", "Jane", "John"]
    assert all(isinstance(i, int) and isinstance(n, str) for i, n in pairs)
    # the same statement runs again (compiled once, cached)
    assert users.rows(stmt) == pairs
    assert users.rows(select(User.name).where(User.age > 1000)) == []


def test_select_into_other_model(users: Repository[User]) -> None:
    got = users.rows(select(User.id, User.name).where(User.age < 18).order_by(User.name).into(UserName))
    assert all(isinstance(x, UserName) for x in got)
    assert [x.name for x in got] == ["Bob", "Dora"]


def test_query_into(users: Repository[User]) -> None:
    class AgeOnly(BaseModel):
        name: str
        age: int

    got = users.filter(User.age >= 30).order_by("-age", "name").into(AgeOnly)
    assert got == [AgeOnly(name="Carl", age=42), AgeOnly(name="Jane", age=30), AgeOnly(name="John", age=30)]

    class Bad(BaseModel):
        nope: int

    with pytest.raises(UnknownField):
        users.query().into(Bad)


def test_rows_from_another_model_rejected(users: Repository[User]) -> None:
    from models import Author

    with pytest.raises(TypeError):
        users.rows(select(Author.id))  # type: ignore[arg-type]


# --- aggregates ---------------------------------------------------------------------------
def test_aggregates(users: Repository[User]) -> None:
    ages = [a for _, a, _ in PEOPLE]
    q = users.query()
    assert q.sum(User.age) == sum(ages)
    assert q.avg(User.age) == pytest.approx(sum(ages) / len(ages))
    assert q.min(User.age) == 17
    assert q.max(User.age) == 42
    assert q.max(User.name) == "John"
    assert q.min(User.name) == "Ann"
    adults = users.filter(User.age >= 18)
    assert adults.sum(User.age) == 30 + 25 + 30 + 42
    assert isinstance(adults.sum(User.age), int)
    # no rows: None, not 0
    none = users.filter(User.age > 1000)
    assert none.sum(User.age) is None
    assert none.avg(User.age) is None
    assert none.min(User.age) is None
    assert none.max(User.age) is None
    assert none.count() == 0


def test_group_by_and_having_via_rows(users: Repository[User]) -> None:
    per_age = users.query().group_by(User.age).order_by(User.age).rows(User.age, func.count())
    assert per_age == [(17, 2), (25, 1), (30, 2), (42, 1)]
    assert all(isinstance(c, int) for _, c in per_age)
    crowded = (
        users.query()
        .group_by(User.age)
        .having(func.count() >= 2)
        .order_by(User.age)
        .rows(User.age, func.count(), func.max(User.name))
    )
    assert crowded == [(17, 2, "Dora"), (30, 2, "John")]
    stmt = (
        select(User.age, func.sum(User.n), func.min(User.name))
        .group_by(User.age)
        .having(func.count() < 2)
        .order_by(User.age)
    )
    assert users.rows(stmt) == [(25, 0, "Ann"), (42, 0, "Carl")]


# --- iterate / paginate ---------------------------------------------------------------------
def test_iterate_in_batches(users: Repository[User]) -> None:
    got = list(users.query().order_by("name").iterate(batch_size=4))
    assert names(got) == sorted(n for n, _, _ in PEOPLE)
    assert names(list(users.filter(User.age < 18).order_by("name").iterate(batch_size=1))) == ["Bob", "Dora"]
    assert len(list(users.iterate(batch_size=1000))) == 6
    with pytest.raises(ValueError):
        list(users.iterate(batch_size=0))


def test_iterate_stopped_early_releases_the_connection(users: Repository[User]) -> None:
    it = users.query().order_by("name").iterate(batch_size=2)
    assert next(it).name == "Ann"
    assert isinstance(it, Generator)  # a generator: close() ends the stream
    it.close()
    # the connection went back to the pool and can be used again
    assert users.count() == 6
    assert users.insert(User(name="Eve", email="eve@example.com")).name == "Eve"


def test_paginate_is_one_based_with_totals(users: Repository[User]) -> None:
    p1 = users.query().order_by("name").paginate(1, 4)
    assert isinstance(p1, Page)
    assert names(p1.items) == ["Ann", "Bob", "Carl", "Dora"]
    assert (p1.page, p1.size, p1.total, p1.pages, p1.has_next, p1.has_prev) == (1, 4, 6, 2, True, False)
    p2 = users.query().order_by("name").paginate(2, 4)
    assert names(p2.items) == ["Jane", "John"]
    assert (p2.total, p2.has_next, p2.has_prev) == (6, False, True)
    p3 = users.query().order_by("name").paginate(3, 4)
    assert p3.items == [] and p3.total == 6
    filtered = users.filter(User.age >= 18).paginate(1, 10)
    assert filtered.total == 4 and len(filtered.items) == 4
    with pytest.raises(ValueError):
        users.paginate(0, 10)
    with pytest.raises(ValueError):
        users.paginate(1, 0)


def test_query_is_immutable(users: Repository[User]) -> None:
    base = users.filter(User.age >= 18)
    narrowed = base.filter(User.name == "Ann")
    base.order_by("name").limit(1)
    assert base.count() == 4
    assert narrowed.count() == 1
