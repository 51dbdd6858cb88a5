"""The query side at the edges, on every backend: keys are lookups and nothing else, values are checked
against their column before SQL, integers beyond what a column holds, bad counts and hostile keys.

Each test names the defect it covers (issue "Trust at the edges"):

- ``Q(**user_input)`` could set ``_connector`` and inject SQL;
- ``filter_by(name=["alice"])`` matched a row on MariaDB (``('alice')``), returned ``[]`` on
  PostgreSQL and raised on SQLite;
- ``Col[int]`` took ``2**70`` (the insert then failed with a DataError naming no field) and
  ``get(2**63)`` raised on SQLite but returned None elsewhere;
- ``offset(-1)``/``limit(-1)`` raised a plain ValueError;
- ``order_by("-")`` reported field ``''``;
- the hostile-keys suite: 300+ keys through every entry point that takes a name, each refused
  naming the key, with no statement run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    ForeignKey,
    InvalidArgument,
    InvalidValue,
    Model,
    NotFound,
    Q,
    Rel,
    RelList,
    Repository,
    TypedORMError,
    UnknownField,
    UnknownLookup,
    ValidationError,
    column,
    func,
    relation,
    select,
)

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)


class Writer(Model, table="edge_writers"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=100)]
    age: Col[int] = column(default=0, ge=0)
    n: Col[int] = column(default=0)
    note: Col[str | None] = column(default=None)
    articles: RelList[Article] = relation(order_by="id")


class Article(Model, table="edge_articles"):
    id: PK[int] = column(default=AUTO)
    writer_id: Annotated[Col[int], ForeignKey("edge_writers.id", on_delete="cascade")]
    title: Col[str]
    writer: Rel[Writer] = relation()


@pytest.fixture
def writers(db: Database) -> Iterator[Repository[Writer]]:
    db.create_all(Writer, Article)
    repo = Repository(Writer, db)
    alice = repo.insert(Writer(name="alice", age=30, n=1))
    repo.insert(Writer(name="bob", age=40, n=2, note="x"))
    Repository(Article, db).insert(Article(writer_id=alice.id, title="hello"))
    yield repo


def _rows(db: Database) -> int:
    n = db.execute("SELECT COUNT(*) FROM edge_writers").scalar()
    assert isinstance(n, int)
    return n


# --- 1. Q keywords are lookups only ---------------------------------------------------------------


def test_q_connector_keyword_cannot_inject(db: Database, writers: Repository[Writer]) -> None:
    user_input: dict[str, Any] = {"name": "nobody", "id": 999, "_connector": "OR 1=1 OR"}
    with db.count_queries() as q:
        with pytest.raises(UnknownField) as ei:
            writers.filter(Q(**user_input)).all()
        assert ei.value.field == "_connector"
        with pytest.raises(UnknownField) as ei:
            writers.filter(Q(name="alice") | Q(**user_input)).all()
        assert ei.value.field == "_connector"
        for key in ("_negated", "_connector", "connector", "negated", "children"):
            with pytest.raises(UnknownField) as ei:
                writers.filter(Q(**{"name": "alice", key: True})).count()
            assert ei.value.field == key
            with pytest.raises(UnknownField):
                writers.filter_by(**{key: "OR 1=1 OR"}).all()
            with pytest.raises(UnknownField):
                writers.exclude(**{key: "OR 1=1 OR"}).all()
    assert q.count == 0
    # the operators still build OR and NOT
    assert sorted(w.name for w in writers.filter(Q(name="alice") | Q(name="bob")).all()) == ["alice", "bob"]
    assert [w.name for w in writers.filter(~Q(name="alice")).all()] == ["bob"]
    assert _rows(db) == 2


# --- 2. values are checked against the column before SQL -------------------------------------------


class _Thing:
    pass


WRONG_SHAPES: list[Any] = [
    ["alice"],
    ("alice",),
    {"alice"},
    {"name": "alice"},
    b"alice",
    bytearray(b"alice"),
    _Thing(),
    Writer(name="alice"),
]


@pytest.mark.parametrize("value", WRONG_SHAPES, ids=lambda v: type(v).__name__)
def test_value_shape_rejected_the_same_on_every_backend(
    db: Database, writers: Repository[Writer], value: Any
) -> None:
    with db.count_queries() as q:
        for build in (
            lambda: writers.filter_by(name=value),
            lambda: writers.filter_by(name__exact=value),
            lambda: writers.filter_by(name__ne=value),
            lambda: writers.filter_by(name__gte=value),
            lambda: writers.filter_by(name__lt=value),
            lambda: writers.exclude(name=value),
            lambda: writers.filter(Q(name=value)),
            lambda: writers.filter(Writer.name == value),
            lambda: writers.filter(Writer.name != value),
            lambda: writers.filter(Writer.name <= value),
            lambda: writers.filter(Writer.name > value),
            lambda: writers.filter(Writer.name.between(value, "z")),
            lambda: writers.filter_by(name__range=("a", value)),
            lambda: writers.filter(Writer.age == value),
            lambda: writers.filter_by(age__gt=value),
            lambda: writers.filter_by(name__in=[value]),
            lambda: writers.filter(Writer.name.in_(["bob", value])),
            lambda: writers.filter(Writer.age.not_in([value])),
            lambda: writers.filter_by(name__iexact=value),
            lambda: writers.filter_by(name__contains=value),
            lambda: writers.filter_by(name__istartswith=value),
            lambda: writers.filter(Writer.name.like(value)),
        ):
            with pytest.raises(InvalidValue) as ei:
                build().all()
            err = ei.value
            assert (
                isinstance(err, TypedORMError)
                and isinstance(err, ValidationError)
                and isinstance(err, TypeError)
            )
            assert err.fields and err.fields[0] in ("name", "age"), err.errors()
    assert q.count == 0


def test_in_takes_an_iterable_of_the_column_type(db: Database, writers: Repository[Writer]) -> None:
    with db.count_queries() as q:
        for bad in ("alice", b"alice", {"alice": 1}, 5, None):
            with pytest.raises(InvalidValue) as ei:
                writers.filter_by(name__in=bad).all()
            assert ei.value.fields == ("name",)
        with pytest.raises(InvalidValue) as ei:
            writers.filter_by(age__in=[30, "forty"]).all()
        assert ei.value.fields == ("age",)
        with pytest.raises(InvalidValue):
            writers.filter(Writer.age.in_([[30]])).all()
    assert q.count == 0
    assert [w.name for w in writers.filter_by(name__in=("alice", "carol")).all()] == ["alice"]
    assert [w.name for w in writers.filter(Writer.name.in_(n for n in ["bob"])).all()] == ["bob"]
    assert sorted(w.name for w in writers.filter_by(age__in={30, 40}).all()) == ["alice", "bob"]


def test_checked_values_keep_what_worked(db: Database, writers: Repository[Writer]) -> None:
    # the model's own coercion: "30" is 30 for an int column, as in a JSON payload
    assert [w.name for w in writers.filter_by(age="30").all()] == ["alice"]
    assert [w.name for w in writers.filter_by(age__gte=35.0).all()] == ["bob"]
    # == None is IS NULL, != None IS NOT NULL
    assert [w.name for w in writers.filter_by(note=None).all()] == ["alice"]
    assert [w.name for w in writers.filter(Writer.note != None).all()] == ["bob"]  # noqa: E711
    # columns, expressions and subqueries still compare
    assert sorted(w.name for w in writers.filter(Writer.age > Writer.n).all()) == ["alice", "bob"]
    assert [w.name for w in writers.filter(Writer.age * 1.5 > 50).all()] == ["bob"]
    assert [w.name for w in writers.filter(Writer.id.in_(select(Article.writer_id))).all()] == ["alice"]
    oldest = select(func.max(Writer.age))
    assert [w.name for w in writers.filter(Writer.age == oldest).all()] == ["bob"]  # type: ignore[comparison-overlap]
    assert [w.name for w in writers.filter_by(articles__title="hello").all()] == ["alice"]
    # a bound that breaks the field's own constraint (ge=0) is still a fine question
    assert writers.filter_by(age__lt=-1).count() == 0
    with pytest.raises(InvalidValue):
        writers.filter_by(age=1.5).all()


# --- 3. integers beyond every integer column --------------------------------------------------------


def test_integer_range_checked_at_validation(db: Database, writers: Repository[Writer]) -> None:
    with db.count_queries() as q:
        for value in (I64_MAX + 1, I64_MIN - 1, 2**70):
            # constructing the model is Pydantic's own validation, naming the field
            with pytest.raises(PydanticValidationError) as pi:
                Writer(name="big", n=value)
            assert pi.value.errors()[0]["loc"] == ("n",)
            with pytest.raises(ValidationError) as vi:
                writers.insert_json(json.dumps({"name": "big", "n": value}))
            assert vi.value.fields == ("n",)
            with pytest.raises(ValidationError) as vi:
                writers.insert_many_json(json.dumps([{"name": "ok"}, {"name": "big", "age": value}]))
            assert "age" in str(vi.value)
            with pytest.raises(ValidationError) as vi:
                writers.update(Writer.name == "alice", Writer.n.set(value))
            assert vi.value.fields == ("n",)
    assert q.count == 0
    assert _rows(db) == 2
    # the edges themselves are stored and read back exactly, everywhere
    lo = writers.insert(Writer(name="lo", n=I64_MIN))
    hi = writers.insert(Writer(name="hi", n=I64_MAX))
    assert writers.get_or_raise(lo.id).n == I64_MIN
    assert writers.get_or_raise(hi.id).n == I64_MAX
    assert [w.name for w in writers.filter_by(n=I64_MAX).all()] == ["hi"]
    alice = writers.filter_by(name="alice").one()
    with pytest.raises(ValidationError) as vi:
        writers.patch(alice.id, {"n": 2**64})
    assert vi.value.fields == ("n",)
    assert writers.get_or_raise(alice.id).n == 1


def test_out_of_range_lookups_match_nothing_without_sql(db: Database, writers: Repository[Writer]) -> None:
    with db.count_queries() as q:
        for big in (I64_MAX + 1, 2**70, I64_MIN - 1):
            assert writers.get(big) is None
            with pytest.raises(NotFound):
                writers.get_or_raise(big)
    assert q.count == 0
    for big in (I64_MAX + 1, 2**70):
        assert writers.filter_by(id=big).all() == []
        assert writers.filter(Writer.id == big).count() == 0
        assert writers.filter_by(n__gt=big).all() == []
        assert writers.filter_by(n__gte=big).count() == 0
        assert writers.filter_by(n__lt=big).count() == 2
        assert writers.filter_by(n__lte=big).count() == 2
        assert writers.filter_by(n__ne=big).count() == 2
        assert writers.filter_by(n__gt=-big).count() == 2
        assert writers.filter_by(n__lt=-big).count() == 0
        assert writers.exclude(id=big).count() == 2
        assert [w.name for w in writers.filter_by(n__in=[1, big]).all()] == ["alice"]
        assert writers.filter_by(n__in=[big]).count() == 0
        assert writers.filter(Writer.n.not_in([2, big])).count() == 1
        assert writers.filter_by(n__range=(0, big)).count() == 2
        assert writers.filter_by(n__range=(-big, 1)).count() == 1
        assert writers.filter_by(n__range=(big, big + 1)).count() == 0
        assert writers.filter_by(n__range=(-big - 1, -big)).count() == 0
        assert writers.filter(Writer.n.between(-big, big)).count() == 2
        assert writers.filter(Q(id=big) | Q(name="bob")).count() == 1
        with pytest.raises(InvalidValue):
            writers.filter(Writer.n + big > 0).all()


# --- 4. limit / offset / page arguments ---------------------------------------------------------------


def test_negative_counts_are_typedorm_errors_naming_the_argument(
    db: Database, writers: Repository[Writer]
) -> None:
    with db.count_queries() as q:
        for what in ("limit", "offset"):
            for bad in (-1, -(2**70), 1.5, "3", True):
                for target in (writers.query(), writers.filter_by(name="alice"), select(Writer.id)):
                    with pytest.raises(InvalidArgument) as ei:
                        getattr(target, what)(bad)
                    assert ei.value.argument == what and isinstance(ei.value, ValueError)
                    assert what in str(ei.value)
        for page, size, arg in ((0, 10, "page"), (1, 0, "size"), (-1, 10, "page"), (1, -5, "size")):
            with pytest.raises(InvalidArgument) as ei:
                writers.paginate(page, size)
            assert ei.value.argument == arg
        with pytest.raises(InvalidArgument) as ei:
            next(iter(writers.iterate(batch_size=0)))
        assert ei.value.argument == "batch_size"
    assert q.count == 0
    assert [w.name for w in writers.query().order_by("id").limit(1).offset(1).all()] == ["bob"]
    assert writers.paginate(2, 1).items[0].name == "bob"


def test_negative_counts_async(backend_url: Any) -> None:
    import asyncio

    from typedorm import AsyncDatabase, AsyncRepository

    if backend_url.driver == "pymysql":
        pytest.skip("AsyncDatabase reaches MySQL/MariaDB through asyncmy alone")

    async def main() -> None:
        db = AsyncDatabase(backend_url)
        try:
            repo = AsyncRepository(Writer, db)
            for what in ("limit", "offset"):
                with pytest.raises(InvalidArgument) as ei:
                    getattr(repo.query(), what)(-1)
                assert ei.value.argument == what
            with pytest.raises(InvalidArgument):
                await repo.paginate(0, 1)
        finally:
            await db.close()

    asyncio.run(main())


# --- 5. order_by names the key as given -----------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["-", "+", "--", "--age", "-nosuch", "-articles__nosuch", "-name__x", " -name"]
)
def test_order_by_names_the_key_as_given(db: Database, writers: Repository[Writer], key: str) -> None:
    with db.count_queries() as q:
        with pytest.raises(UnknownField) as ei:
            writers.order_by(key).all()
        assert ei.value.field == key
        assert repr(key) in str(ei.value)
    assert q.count == 0


# --- 6. hostile keys x every entry point that takes a name -----------------------------------------

_INTERNAL = [
    "_connector",
    "_negated",
    "_model",
    "_children",
    "connector",
    "negated",
    "children",
    "model",
    "repo",
    "_where",
    "_order",
    "_limit",
    "_offset",
    "_load",
    "_db",
    "_spec",
    "_mapper",
    "_dialect",
    "_hooks",
    "_copy",
    "self",
    "cls",
    "lookups",
    "preds",
    "items",
    "fields",
    "data",
    "pk",
    "target",
    "assignments",
    "kwargs",
    "args",
    "value",
    "__class__",
    "__init__",
    "__dict__",
    "__module__",
    "__slots__",
    "__table__",
    "__doc__",
    "__new__",
    "__del__",
    "__getattribute__",
    "__setattr__",
    "__reduce__",
    "__pydantic_fields__",
    "__pydantic_validator__",
    "__typedorm_relations__",
    "__typedorm_abstract__",
    "model_fields",
    "model_config",
    "model_dump",
    "model_validate",
    "__annotations__",
    "__weakref__",
    "__subclasshook__",
    "__init_subclass__",
    "__globals__",
    "__builtins__",
    "__import__",
    "__code__",
    "__closure__",
    "mro",
    "__mro__",
    "__bases__",
    "__base__",
]
_CONTROL = [f"name{chr(c)}" for c in [*range(32), 127]] + [f"{chr(c)}id" for c in (0, 9, 10, 13, 27, 127)]
_SQL = [
    "name; DROP TABLE edge_writers",
    "name --",
    "name/*",
    "*/name",
    "name' OR '1'='1",
    'name" OR "1"="1',
    "1=1",
    "1) OR (1=1",
    "id OR 1=1",
    "name = name",
    "edge_writers.name",
    '"name"',
    "`name`",
    "[name]",
    "name, age",
    "name AS x",
    "COUNT(*)",
    "name IS NULL",
    "(name)",
    "name;",
    ";",
    "'",
    '"',
    "`",
    "--",
    "/**/",
    "name\\",
    "%",
    "_",
    "?",
    ":name",
    "%s",
    "$1",
    "@name",
    "name UNION SELECT 1",
    "1 OR 1",
    "SLEEP(1)",
    "pg_sleep(1)",
    "name COLLATE nocase",
    "name||'x'",
    "CAST(name AS INT)",
    "name::text",
    "(SELECT 1)",
    "id DESC",
    "id ASC NULLS FIRST",
    "name LIMIT 1",
]
_LOOKALIKE = [
    "n\u0430me",
    "\uff4e\uff41\uff4d\uff45",
    "name\u200b",
    "\u200bname",
    "name\u00a0",
    "\u00a0name",
    "nam\u0435",
    "name\u0301",
    "\u202ename",
    "name\ufeff",
    "\u0456d",
    "\u0131d",
    "\u03b9d",
    "\u2170d",
    "NAME",
    "Name",
    "nAme",
    "ID",
    "Id",
    "AGE",
    "na\uff4de",
    "\u24dd\u24d0\u24dc\u24d4",
    "name\U000e0001",
    "\U0001d427\U0001d41a\U0001d426\U0001d41e",
    "nam\u0435__gte",
    "\uff49\uff44__in",
    "\u00f1ame",
    "name ",
    " name",
    "\tname",
    "name\n",
]
_HUGE = [
    "a" * 10_240,
    "name" * 2_560,
    "name__" + "x" * 10_240,
    "__".join(["name"] * 2_000),
    "articles__" + "__".join(["writer", "articles"] * 1_000) + "__nosuch",
    "_" * 10_240,
    "\x00" * 10_240,
    "n\u0430me" * 2_000,
]
_EMPTYISH = [
    "",
    " ",
    "__",
    "___",
    "____",
    "_",
    "-",
    "+",
    "--",
    "-_",
    "+name",
    ".",
    "..",
    "*",
    "?",
    "\x00",
    "0",
    "1",
    "-1",
    "None",
    "null",
    "true",
]
_BOGUS_LOOKUPS = [
    "name__",
    "name____",
    "name__bogus",
    "name__in__x",
    "name__gte__lte",
    "name__Exact",
    "name__EXACT",
    "name__exact__",
    "name__ne__",
    "name__isnull__",
    "name__regex",
    "name__search",
    "name__pk",
    "name__length",
    "name__lower",
    "age__contains__x",
    "age__year",
    "age__date",
    "id__pk",
    "id__in__in",
    "name__exact__exact",
    "name__name",
    "name__age",
    "age__id",
    "name__ gte",
    "name__gte ",
    "name__GTE",
    "name__\x00",
    "name__gte\x00",
    "name__; DROP TABLE edge_writers",
    "name__' OR 1=1",
    "name__contains; --",
    "__name",
    "__name__",
    "__name__gte",
    "name__in; DROP",
    "note__isnull__x",
    "n__range__x",
    "name__startswith__",
    "name__icontains__x",
]
_RELATIONS = [
    "articles__",
    "articles____",
    "articles__nosuch",
    "articles__title__bogus",
    "articles__writer__",
    "articles__writer__nosuch",
    "articles__writer__articles__nosuch",
    "articles__writer__articles__title__bogus",
    "articles____title",
    "articles__title__in__x",
    "articles__; DROP TABLE edge_articles",
    "articles__\x00",
    "articles__id__exact__x",
    "articles__writer_id__gte__x",
    "articles__ title",
    "articles__TITLE",
    "Articles__title",
    "article__title",
    "articles_title",
    "articles__writer__name__nosuch",
    "articles__writer__articles__writer__x",
    "articles__writer__" + "__" * 50,
    "writer__name",
    "writer",
    "title",
    "writer_id",
    "articles__pk",
    "articles__writer__pk",
    "articles__isnull__x",
    "articles__exact__x",
    "articles__in",
    "articles__gte",
    "articles__range",
    "articles__contains",
    "articles__writer__exact__x",
    "articles__writer__isnull__x",
    "articles__" + "\u200btitle",
    "articles__title\u200b",
    "articles__title__",
    "articles__writer__articles__",
    "articles__\U0001d42d\U0001d422\U0001d42d\U0001d425\U0001d41e",
]
# variants on every field name: prefixes, suffixes, separators
_FIELD_VARIANTS = [
    f"{p}{f}{s}"
    for f in ("id", "name", "age", "n", "note")
    for p, s in (("_", ""), ("", "_"), ("__", ""), ("", "."), ("x", ""), ("", "1"), ("", "()"), ("-", "-"))
]

HOSTILE_KEYS: list[str] = list(
    dict.fromkeys(
        _INTERNAL
        + _CONTROL
        + _SQL
        + _LOOKALIKE
        + _HUGE
        + _EMPTYISH
        + _BOGUS_LOOKUPS
        + _RELATIONS
        + _FIELD_VARIANTS
    )
)


def _names_key(err: BaseException, key: str) -> bool:
    """The error names the key as given (or, for the sub-key of a relation, its unknown part)."""
    if isinstance(err, UnknownLookup):
        return err.key == key
    assert isinstance(err, UnknownField)
    return key in (err.key, err.field)


def test_hostile_key_count() -> None:
    assert len(HOSTILE_KEYS) >= 300, len(HOSTILE_KEYS)


def test_hostile_keys_refused_everywhere_without_sql(db: Database, writers: Repository[Writer]) -> None:
    alice = writers.filter_by(name="alice").one()
    entry_points: dict[str, Any] = {
        "filter_by": lambda k: writers.filter_by(**{k: 1}),
        "query.filter_by": lambda k: writers.query().filter_by(name="alice", **{k: 1}),
        "exclude": lambda k: writers.exclude(**{k: 1}),
        "Q": lambda k: writers.filter(Q(**{k: 1})),
        "Q|": lambda k: writers.filter(Q(name="alice") | Q(**{k: 1})),
        "~Q": lambda k: writers.exclude(~Q(**{k: 1})),
        "order_by": lambda k: writers.order_by(k),
        "query.order_by": lambda k: writers.query().order_by("name", k),
        "values": lambda k: writers.values(k),
        "query.values": lambda k: writers.query().values("name", k),
        "values_list": lambda k: writers.query().values_list(k),
        "patch": lambda k: writers.patch(alice.id, {k: "x"}),
        "patch-json": lambda k: writers.patch(alice.id, json.dumps({k: "x"})),
    }
    failures: list[str] = []
    with db.count_queries() as q:
        for name, call in entry_points.items():
            for key in HOSTILE_KEYS:
                try:
                    call(key)
                except (UnknownField, UnknownLookup) as e:
                    if not _names_key(e, key):
                        failures.append(f"{name}: {key[:40]!r} -> {e!s:.200}")
                except Exception as e:  # any other outcome is the failure reported
                    failures.append(f"{name}: {key[:40]!r} raised {type(e).__name__}: {e!s:.200}")
                else:
                    failures.append(f"{name}: {key[:40]!r} was accepted")
    assert failures == [], "\n".join(failures)
    assert q.count == 0
    assert writers.get_or_raise(alice.id) == alice
    assert _rows(db) == 2


def test_hostile_keys_executed_once_per_entry_point(db: Database, writers: Repository[Writer]) -> None:
    # the refusal holds on the executing calls too, and the valid form of each call works
    alice = writers.filter_by(name="alice").one()
    key = "_connector"
    with db.count_queries() as q:
        with pytest.raises(UnknownField):
            writers.filter_by(**{key: "OR 1=1 OR"}).all()
        with pytest.raises(UnknownField):
            writers.exclude(**{key: "OR 1=1 OR"}).count()
        with pytest.raises(UnknownField):
            writers.filter(Q(**{key: "OR 1=1 OR"})).first()
        with pytest.raises(UnknownField):
            writers.order_by("-").all()
        with pytest.raises(UnknownField):
            writers.values("__class__")
        with pytest.raises(UnknownField):
            writers.query().values_list("name; DROP TABLE edge_writers")
        with pytest.raises(UnknownField):
            writers.patch(alice.id, {"__class__": "x"})
    assert q.count == 0
    assert [w.name for w in writers.filter_by(name="alice").all()] == ["alice"]
    assert writers.exclude(name="alice").count() == 1
    assert writers.filter(Q(name="bob")).first() is not None
    assert [w.name for w in writers.order_by("-name").all()] == ["bob", "alice"]
    assert sorted(d["name"] for d in writers.values("name")) == ["alice", "bob"]
    assert sorted(writers.query().values_list("name")) == [("alice",), ("bob",)]
    assert writers.patch(alice.id, {"note": "y"}).note == "y"


def test_query_misuse_raises_typedorm_errors(db: Database, writers: Repository[Writer]) -> None:
    # wrong argument types on the query side are typedorm errors (still TypeErrors), before any SQL
    articles = Repository(Article, db)
    with db.count_queries() as q:
        for call in (
            lambda: writers.filter("name = 'x'"),  # type: ignore[arg-type]
            lambda: writers.query().order_by(None),  # type: ignore[arg-type]
            lambda: select(Writer.id).where(True),  # type: ignore[arg-type]
            lambda: select("name"),  # type: ignore[call-overload]
            lambda: Q("name = 'x'"),  # type: ignore[arg-type]
            lambda: Q(name="x") | "OR 1=1",  # type: ignore[operator]
            lambda: writers.query().rows(),  # type: ignore[call-overload]
            lambda: writers.query().into(dict),  # type: ignore[type-var]
            lambda: writers.query().limit(2).update(Writer.n.set(1)),
            lambda: writers.load(Article.writer),  # type: ignore[arg-type]
            lambda: bool(Writer.n == 1),
        ):
            with pytest.raises(InvalidArgument) as ei:
                call()
            assert isinstance(ei.value, TypeError) and isinstance(ei.value, TypedORMError)
        for value in (5, "alice", ["x"]):
            with pytest.raises(InvalidValue) as vi:
                articles.filter_by(writer=value).all()
            assert vi.value.fields == ("writer",)
        with pytest.raises(InvalidValue):
            articles.filter_by(writer__isnull="yes").all()
    assert q.count == 0
