"""Statement shapes the repository and relationship loading send: exact SQL and parameters per dialect.

A shape holds :class:`~typedorm.sql.expr.Slot` placeholders instead of values; it is compiled once,
its text cached, and each run passes the values in placeholder order.
"""

from typing import Annotated, Any

import pytest

from typedorm.dialects import get_dialect
from typedorm.errors import InvalidArgument
from typedorm.repository.mapping import Mapper
from typedorm.schema import AUTO, PK, Col, Column, ForeignKey, Model, column
from typedorm.sql.expr import SLOT, ColumnExpr, Compare, InList, Ordering, Slot
from typedorm.sql.stmt import CopyFrom, CountRows, Delete, Insert, ReserveKeys, Select, Update

DIALECTS = ("sqlite", "postgresql", "mysql")


class Author(Model, table="authors"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    age: Col[int] = column(default=0)


class Tag(Model, table="tags"):
    id: PK[int] = column(default=AUTO)
    label: Col[str]


class AuthorTag(Model, table="author_tags", primary_key=("author_id", "tag_id")):
    author_id: Annotated[Col[int], ForeignKey(Author.id)]
    tag_id: Annotated[Col[int], ForeignKey(Tag.id)]


def q(dialect: str, sql: str) -> str:
    """Write expected SQL once: double quotes and ``?`` become the dialect's own."""
    if dialect == "mysql":
        sql = sql.replace('"', "`")
    if dialect in ("postgresql", "mysql"):
        sql = sql.replace("?", "%s")
    return sql


def cols(model: type[Any]) -> tuple[ColumnExpr[Any, Any], ...]:
    return tuple(ColumnExpr(model, c) for c in model.__table__.columns)


@pytest.mark.parametrize("name", DIALECTS)
def test_select_by_key_shape(name: str) -> None:
    d = get_dialect(name)
    stmt = Select(
        Author,
        cols(Author),
        where=(Compare("=", ColumnExpr(Author, Author.__table__.by_field["id"]), Slot()),),
    )
    c = d.compile(stmt)
    assert c.sql == q(
        name,
        'SELECT "authors"."id", "authors"."name", "authors"."age" FROM "authors" WHERE "authors"."id" = ?',
    )
    assert c.params == [SLOT]
    assert d.compile_shape(stmt) == c.sql


@pytest.mark.parametrize("name", DIALECTS)
def test_a_shape_refuses_a_value(name: str) -> None:
    d = get_dialect(name)
    with pytest.raises(InvalidArgument, match="shape holds a value"):
        d.compile_shape(Select(Author, cols(Author)).where(Author.age >= 18))


@pytest.mark.parametrize("name", DIALECTS)
def test_insert_shapes(name: str) -> None:
    d = get_dialect(name)
    t = Author.__table__
    two = Insert(t, t.columns[1:], [[SLOT, SLOT]] * 2, returning=(t.columns[0],))
    assert d.compile_shape(two) == q(
        name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?), (?, ?) RETURNING "id"'
    )
    every = Insert(t, t.columns[1:], [[SLOT, SLOT]], returning=t.columns)
    assert d.compile_shape(every) == q(
        name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?) RETURNING "id", "name", "age"'
    )
    default = {"mysql": "INSERT INTO `authors` () VALUES ()"}.get(
        name, 'INSERT INTO "authors" DEFAULT VALUES'
    )
    assert d.compile_shape(Insert(t, ())) == default


@pytest.mark.parametrize("name", DIALECTS)
def test_upsert_with_returning(name: str) -> None:
    d = get_dialect(name)
    t = Author.__table__
    c = d.compile(
        Insert(t, t.columns, [[1, "Ann", 30]])
        .on_conflict_do_update(["id"], ["name", "age"])
        .returning_(*t.columns)
    )
    if name == "mysql":
        assert c.sql.startswith(
            "INSERT INTO `authors` (`id`, `name`, `age`) VALUES (%s, %s, %s) ON DUPLICATE KEY"
        )
    else:
        assert c.sql == q(
            name,
            'INSERT INTO "authors" ("id", "name", "age") VALUES (?, ?, ?) ON CONFLICT ("id") '
            'DO UPDATE SET "name" = excluded."name", "age" = excluded."age" '
            'RETURNING "id", "name", "age"',
        )
    assert c.sql.endswith(q(name, ' RETURNING "id", "name", "age"'))
    assert c.params == [1, "Ann", 30]


@pytest.mark.parametrize("name", DIALECTS)
def test_update_and_delete_by_key_shapes(name: str) -> None:
    d = get_dialect(name)
    m = Mapper(Author, d)
    cols_, sql = m.update_plan(None)
    assert cols_ == ((1, "name"), (2, "age"))
    assert sql == q(name, 'UPDATE "authors" SET "name" = ?, "age" = ? WHERE "authors"."id" = ?')
    assert m.update_plan(["age"])[1] == q(name, 'UPDATE "authors" SET "age" = ? WHERE "authors"."id" = ?')
    assert m.update_plan(["id"]) == ((), "")  # nothing but the key: no statement
    assert m.delete_sql == q(name, 'DELETE FROM "authors" WHERE "authors"."id" = ?')
    assert m.get_sql == q(
        name,
        'SELECT "authors"."id", "authors"."name", "authors"."age" FROM "authors" WHERE "authors"."id" = ?',
    )


@pytest.mark.parametrize("name", DIALECTS)
def test_mapper_insert_select_by_and_max_shapes(name: str) -> None:
    d = get_dialect(name)
    m = Mapper(Author, d)
    assert m.insert_sql((1, 2)) == q(name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?)')
    assert m.insert_sql((1, 2), 3) == q(
        name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?), (?, ?), (?, ?)'
    )
    assert m.insert_sql((1, 2), 1, (m.pk_cols[0],)) == q(
        name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?) RETURNING "id"'
    )
    assert m.insert_sql((1, 2), 1, m.columns) == q(
        name, 'INSERT INTO "authors" ("name", "age") VALUES (?, ?) RETURNING "id", "name", "age"'
    )
    # the cache key is the shape: the same shape gives the same text object back
    assert m.insert_sql((1, 2), 3) is m.insert_sql((1, 2), 3)
    assert m.select_by_sql(("name", "age")) == q(
        name,
        'SELECT "authors"."id", "authors"."name", "authors"."age" FROM "authors" '
        'WHERE "authors"."name" = ? AND "authors"."age" = ?',
    )
    assert m.max_pk_sql() == q(name, 'SELECT MAX("authors"."id") FROM "authors"')


@pytest.mark.parametrize("name", DIALECTS)
def test_composite_key_shapes(name: str) -> None:
    d = get_dialect(name)
    m = Mapper(AuthorTag, d)
    assert m.delete_sql == q(
        name, 'DELETE FROM "author_tags" WHERE "author_tags"."author_id" = ? AND "author_tags"."tag_id" = ?'
    )


@pytest.mark.parametrize("name", DIALECTS)
def test_relationship_loading_shapes(name: str) -> None:
    d = get_dialect(name)
    tag_id = ColumnExpr(Tag, Tag.__table__.by_field["id"])
    link_author = ColumnExpr(AuthorTag, AuthorTag.__table__.by_field["author_id"])
    link_tag = ColumnExpr(AuthorTag, AuthorTag.__table__.by_field["tag_id"])
    stmt = (
        Select(Tag, (*cols(Tag), link_author))
        .join(AuthorTag, Compare("=", link_tag, tag_id))
        .order_by(Ordering(ColumnExpr(Tag, Tag.__table__.by_field["label"]), True))
        .where(InList(link_author, (Slot(), Slot()), False))
    )
    assert d.compile_shape(stmt) == q(
        name,
        'SELECT "tags"."id", "tags"."label", "author_tags"."author_id" FROM "tags" '
        'JOIN "author_tags" ON "author_tags"."tag_id" = "tags"."id" '
        'WHERE "author_tags"."author_id" IN (?, ?) ORDER BY "tags"."label" DESC',
    )
    unlink = Delete(
        AuthorTag.__table__, (Compare("=", link_author, Slot()), InList(link_tag, (Slot(),) * 3, False))
    )
    assert d.compile_shape(unlink) == q(
        name,
        'DELETE FROM "author_tags" WHERE "author_tags"."author_id" = ? AND "author_tags"."tag_id" IN (?, ?, ?)',
    )


@pytest.mark.parametrize("name", DIALECTS)
def test_count_rows_wraps_a_select(name: str) -> None:
    d = get_dialect(name)
    c = d.compile(CountRows(Select(Author, cols(Author)).where(Author.age >= 18).distinct().limit(5)))
    assert c.sql == q(
        name,
        'SELECT COUNT(*) FROM (SELECT DISTINCT "authors"."id", "authors"."name", "authors"."age" '
        'FROM "authors" WHERE "authors"."age" >= ? LIMIT 5) AS typedorm_sub',
    )
    assert c.params == [18]


def test_copy_and_reserved_keys_on_postgresql() -> None:
    d = get_dialect("postgresql")
    t = Author.__table__
    assert d.compile(CopyFrom(t, t.columns)).sql == 'COPY "authors" ("id", "name", "age") FROM STDIN'
    c = d.compile(ReserveKeys(t, t.columns[0], 3))
    assert c.sql == "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
    assert c.params == ['"authors"', "id", 3]


@pytest.mark.parametrize("name", ["sqlite", "mysql"])
def test_reserved_keys_need_a_key_sequence(name: str) -> None:
    t = Author.__table__
    with pytest.raises(InvalidArgument, match="no key sequence"):
        get_dialect(name).compile(ReserveKeys(t, t.columns[0], 3))


def test_update_shape_with_returning() -> None:
    d = get_dialect("postgresql")
    t = Author.__table__
    stmt = Update(
        t,
        (Author.age.set(Slot()),),
        (Compare("=", ColumnExpr(Author, t.columns[0]), Slot()),),
        returning=t.columns,
    )
    assert d.compile_shape(stmt) == (
        'UPDATE "authors" SET "age" = %s WHERE "authors"."id" = %s RETURNING "id", "name", "age"'
    )


def test_select_replace_is_immutable_and_checked() -> None:
    base = Select(Author, cols(Author))
    limited = base.replace(limit=3, order_by=(Author.age.desc(),))
    assert (base.limit_, base.order_by_) == (None, ())
    assert limited.limit_ == 3 and limited.columns is base.columns
    with pytest.raises(InvalidArgument, match="no part 'limt'"):
        base.replace(limt=3)
