"""Relationships without a database: declarations, the SQL of has/any/lookups per dialect, load plans, link tables."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from typedorm import (
    AUTO,
    NOT_LOADED,
    PK,
    Col,
    Column,
    ForeignKey,
    ModelDefinitionError,
    NotLoaded,
    Q,
    Rel,
    RelList,
    UnknownField,
    column,
    is_loaded,
    link_models,
    relation,
)
from typedorm.dialects import get_dialect
from typedorm.schema import Model
from typedorm.sql import select
from typedorm.sql.lookups import resolve_lookups
from typedorm.sql.relations import build_load_plan

DIALECTS = ("sqlite", "postgresql", "mysql")


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(fk="author_id")
    profile: Rel[Profile | None] = relation()


class Profile(Model, table="profiles"):
    id: PK[int] = column(default=AUTO)
    user_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade"), Column(unique=True)]
    user: Rel[User] = relation()


class Post(Model, table="posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
    editor_id: Annotated[Col[int | None], ForeignKey(User.id, on_delete="set null")] = column(default=None)
    title: Col[str]
    author: Rel[User] = relation(fk="author_id")
    editor: Rel[User | None] = relation(fk="editor_id")
    tags: RelList[Tag] = relation(through="post_tags")


class Tag(Model, table="tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(through="post_tags")


class Node(Model, table="nodes"):
    id: PK[int] = column(default=AUTO)
    parent_id: Annotated[Col[int | None], ForeignKey("nodes.id", on_delete="cascade")] = column(default=None)
    parent: Rel[Node | None] = relation()
    children: RelList[Node] = relation(order_by="-id")


def sql_in(dialect: str, stmt: object) -> tuple[str, list[Any]]:
    c = get_dialect(dialect).compile(stmt)
    return c.sql, c.params


def same(sql: str) -> dict[str, str]:
    pg = sql.replace("?", "%s")
    return {"sqlite": sql, "postgresql": pg, "mysql": pg.replace('"', "`")}


# --- declarations ----------------------------------------------------------------------


def test_relationships_are_not_columns() -> None:
    assert User.__table__.field_names == ("id", "name")
    assert Post.__table__.field_names == ("id", "author_id", "editor_id", "title")
    assert [fk.columns for fk in Post.__table__.foreign_keys] == [("author_id",), ("editor_id",)]
    u = User(name="Ann")
    assert u.model_dump() == {"name": "Ann"}
    assert "posts" not in User.model_json_schema()["properties"]
    assert "posts" not in repr(u)
    assert u.__dict__["posts"] is NOT_LOADED


def test_unloaded_relation_raises_not_loaded_with_the_fix() -> None:
    u = User(name="Ann")
    with pytest.raises(NotLoaded) as ei:
        _ = u.posts
    assert "User.posts was not loaded" in str(ei.value)
    assert "load(User.posts)" in str(ei.value)
    assert not is_loaded(u, "posts")


def test_relation_values_are_validated() -> None:
    p = Post(author_id=1, title="t")
    u = User(name="Ann", posts=[p], profile=None)
    assert u.posts == [p] and u.profile is None and is_loaded(u, "posts")
    with pytest.raises(Exception, match="expected a Post"):
        User(name="Ann", posts=[User(name="x")])  # type: ignore[list-item]
    with pytest.raises(Exception, match="None is not allowed"):
        Post(author_id=1, title="t", author=None)  # type: ignore[arg-type]
    from_dict = User.model_validate({"name": "Ann", "posts": [{"author_id": 1, "title": "t"}]})
    assert isinstance(from_dict.posts[0], Post)
    u.posts = []
    assert u.posts == []


def test_resolved_keys() -> None:
    s = User.posts.spec
    assert (s.kind, s.local.name, s.remote.name, s.target) == ("one_to_many", "id", "author_id", Post)
    s = Post.editor.spec
    assert (s.kind, s.local.name, s.remote.name, s.nullable) == ("many_to_one", "editor_id", "id", True)
    s = User.profile.spec
    assert (s.kind, s.local.name, s.remote.name) == ("one_to_one", "id", "user_id")
    s = Node.children.spec
    assert (s.kind, s.local.name, s.remote.name, s.order_by) == (
        "one_to_many",
        "id",
        "parent_id",
        (("id", True),),
    )
    s = Post.tags.spec
    assert s.kind == "many_to_many" and s.link is Tag.posts.through
    assert s.link_local is not None and s.link_local.name == "post_id"
    assert s.link_remote is not None and s.link_remote.name == "tag_id"
    assert Tag.posts.spec.link_local is not None and Tag.posts.spec.link_local.name == "tag_id"


def test_automatic_link_table_ddl() -> None:
    link = Post.tags.through
    assert link is not None and link_models(Post, Tag) == [link]
    assert get_dialect("sqlite").create_table_statements(link.__table__) == [
        'CREATE TABLE IF NOT EXISTS "post_tags" (\n'
        '    "post_id" INTEGER NOT NULL,\n'
        '    "tag_id" INTEGER NOT NULL,\n'
        '    PRIMARY KEY ("post_id", "tag_id"),\n'
        '    CONSTRAINT "fk_post_tags_post_id" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE,\n'
        '    CONSTRAINT "fk_post_tags_tag_id" FOREIGN KEY ("tag_id") REFERENCES "tags" ("id") ON DELETE CASCADE\n'
        ")",
        'CREATE INDEX IF NOT EXISTS "ix_post_tags_tag_id" ON "post_tags" ("tag_id")',
    ]


def test_declaration_errors() -> None:
    with pytest.raises(ModelDefinitionError, match=r"needs relation\(\) as its default"):

        class NoDefault(Model, table="nd"):
            id: PK[int] = column(default=AUTO)
            users: RelList[User]

    with pytest.raises(ModelDefinitionError, match="needs a Rel"):

        class WrongAnnotation(Model, table="wa"):
            id: PK[int] = column(default=AUTO)
            users: Col[int] = relation()


class Ambiguous(Model, table="amb"):
    id: PK[int] = column(default=AUTO)
    a_id: Annotated[Col[int], ForeignKey(User.id)]
    b_id: Annotated[Col[int], ForeignKey(User.id)]
    user: Rel[User] = relation()


class NullableMismatch(Model, table="nm"):
    id: PK[int] = column(default=AUTO)
    user_id: Annotated[Col[int | None], ForeignKey(User.id)] = column(default=None)
    user: Rel[User] = relation()


class NoKey(Model, table="nk"):
    id: PK[int] = column(default=AUTO)
    tags: RelList[Tag] = relation()
    tags_by: RelList[Tag] = relation(order_by="nope", through="nk_tags")


@pytest.mark.parametrize(
    ("rel", "message"),
    [
        (
            lambda: Ambiguous.user,
            r"several foreign keys to User \(a_id, b_id\); pick one with relation\(fk=\.\.\.\)",
        ),
        (lambda: NullableMismatch.user, r"user_id may be NULL.*declare Rel\[User \| None\]"),
        (lambda: NoKey.tags, r"Tag has no foreign key to NoKey.*through="),
        (lambda: NoKey.tags_by, r"order_by names unknown field 'nope' of Tag"),
    ],
)
def test_key_errors_surface_on_first_use(rel: Any, message: str) -> None:
    with pytest.raises(ModelDefinitionError, match=message):
        _ = rel().spec


# --- has / any / none --------------------------------------------------------------------

CASES: list[tuple[str, Any, dict[str, str], list[Any]]] = [
    (
        "has",
        lambda: Post.author.has(User.name == "Ann"),
        same('"posts"."author_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."name" = ?)'),
        ["Ann"],
    ),
    (
        "has on a nullable key",
        lambda: Post.editor.has(User.name == "Ann"),
        same(
            '("posts"."editor_id" IS NOT NULL AND "posts"."editor_id" IN '
            '(SELECT "users"."id" FROM "users" WHERE "users"."name" = ?))'
        ),
        ["Ann"],
    ),
    (
        "any",
        lambda: User.posts.any(Post.title == "x", Post.id > 3),
        same(
            '"users"."id" IN (SELECT "posts"."author_id" FROM "posts" '
            'WHERE "posts"."title" = ? AND "posts"."id" > ?)'
        ),
        ["x", 3],
    ),
    (
        "none",
        lambda: User.posts.none(),
        same('NOT ("users"."id" IN (SELECT "posts"."author_id" FROM "posts"))'),
        [],
    ),
    (
        "one-to-one has",
        lambda: User.profile.has(),
        same('"users"."id" IN (SELECT "profiles"."user_id" FROM "profiles")'),
        [],
    ),
    (
        "self-referential children (NULL keys skipped for NOT IN)",
        lambda: ~Node.children.any(Node.id == 5),
        same(
            'NOT ("nodes"."id" IN (SELECT "nodes"."parent_id" FROM "nodes" '
            'WHERE "nodes"."parent_id" IS NOT NULL AND "nodes"."id" = ?))'
        ),
        [5],
    ),
    (
        "self-referential parent",
        lambda: Node.parent.has(Node.parent_id.is_null()),
        same(
            '("nodes"."parent_id" IS NOT NULL AND "nodes"."parent_id" IN '
            '(SELECT "nodes"."id" FROM "nodes" WHERE "nodes"."parent_id" IS NULL))'
        ),
        [],
    ),
    (
        "many-to-many",
        lambda: Post.tags.any(Tag.name == "py"),
        same(
            '"posts"."id" IN (SELECT "post_tags"."post_id" FROM "post_tags" WHERE "post_tags"."tag_id" IN '
            '(SELECT "tags"."id" FROM "tags" WHERE "tags"."name" = ?))'
        ),
        ["py"],
    ),
    (
        "many-to-many without condition",
        lambda: Post.tags.any(),
        same('"posts"."id" IN (SELECT "post_tags"."post_id" FROM "post_tags")'),
        [],
    ),
    (
        "nested",
        lambda: User.posts.any(Post.tags.any(Tag.name == "py")),
        same(
            '"users"."id" IN (SELECT "posts"."author_id" FROM "posts" WHERE "posts"."id" IN '
            '(SELECT "post_tags"."post_id" FROM "post_tags" WHERE "post_tags"."tag_id" IN '
            '(SELECT "tags"."id" FROM "tags" WHERE "tags"."name" = ?)))'
        ),
        ["py"],
    ),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("name", "build", "sql", "params"), CASES, ids=[c[0] for c in CASES])
def test_relation_predicates(
    dialect: str, name: str, build: Any, sql: dict[str, str], params: list[Any]
) -> None:
    assert sql_in(dialect, build()) == (sql[dialect], params)


def test_in_a_select_and_text_matching_per_dialect() -> None:
    stmt = select(User.id).where(User.posts.any(Post.title.contains("5%")))
    assert sql_in("sqlite", stmt) == (
        'SELECT "users"."id" FROM "users" WHERE "users"."id" IN '
        '(SELECT "posts"."author_id" FROM "posts" WHERE "posts"."title" GLOB ?)',
        ["*5%*"],
    )
    assert sql_in("postgresql", stmt) == (
        'SELECT "users"."id" FROM "users" WHERE "users"."id" IN '
        '(SELECT "posts"."author_id" FROM "posts" WHERE "posts"."title" LIKE %s ESCAPE \'\\\')',
        ["%5\\%%"],
    )
    assert sql_in("mysql", stmt) == (
        "SELECT `users`.`id` FROM `users` WHERE `users`.`id` IN "
        "(SELECT `posts`.`author_id` FROM `posts` WHERE `posts`.`title` LIKE %s ESCAPE '\\\\')",
        ["%5\\%%"],
    )


# --- lookups ---------------------------------------------------------------------------


def lookups_sql(model: type[Any], **lookups: Any) -> list[tuple[str, list[Any]]]:
    return [sql_in("sqlite", p) for p in resolve_lookups(model, lookups)]


def test_lookup_through_to_one() -> None:
    assert lookups_sql(Post, author__name="Ann") == [
        ('"posts"."author_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."name" = ?)', ["Ann"])
    ]
    assert lookups_sql(Post, title="t", author__name__startswith="A") == [
        ('"posts"."title" = ?', ["t"]),
        ('"posts"."author_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."name" GLOB ?)', ["A*"]),
    ]


def test_lookups_on_one_relation_share_one_subquery() -> None:
    assert lookups_sql(User, posts__title="x", posts__editor_id__isnull=False) == [
        (
            '"users"."id" IN (SELECT "posts"."author_id" FROM "posts" '
            'WHERE "posts"."title" = ? AND "posts"."editor_id" IS NOT NULL)',
            ["x"],
        )
    ]


def test_lookups_across_two_relations() -> None:
    assert lookups_sql(User, posts__tags__name="py") == [
        (
            '"users"."id" IN (SELECT "posts"."author_id" FROM "posts" WHERE "posts"."id" IN '
            '(SELECT "post_tags"."post_id" FROM "post_tags" WHERE "post_tags"."tag_id" IN '
            '(SELECT "tags"."id" FROM "tags" WHERE "tags"."name" = ?)))',
            ["py"],
        )
    ]


def test_lookups_by_instance_and_null() -> None:
    ann = User(name="Ann").model_copy(update={"id": 7})
    assert lookups_sql(Post, author=ann) == [('"posts"."author_id" = ?', [7])]
    assert lookups_sql(Post, editor=None) == [('"posts"."editor_id" IS NULL', [])]
    assert lookups_sql(Post, editor__isnull=False) == [('"posts"."editor_id" IS NOT NULL', [])]
    post = Post(author_id=1, title="t").model_copy(update={"id": 3})
    assert lookups_sql(User, posts=post) == [
        ('"users"."id" IN (SELECT "posts"."author_id" FROM "posts" WHERE "posts"."id" = ?)', [3])
    ]
    assert lookups_sql(User, posts__isnull=True) == [
        ('NOT ("users"."id" IN (SELECT "posts"."author_id" FROM "posts"))', [])
    ]
    with pytest.raises(TypeError, match="takes a User instance"):
        lookups_sql(Post, author=post)


def test_q_objects_resolve_relation_lookups() -> None:
    pred = (Q(author__name="Ann") | Q(title="x")).resolve(Post)
    assert sql_in("sqlite", pred) == (
        '("posts"."author_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."name" = ?) OR "posts"."title" = ?)',
        ["Ann", "x"],
    )


@pytest.mark.parametrize(
    ("lookups", "model", "field"),
    [
        ({"autor__name": "Ann"}, "Post", "autor"),
        ({"author__nme": "Ann"}, "User", "nme"),
        ({"author__posts__titel": "x"}, "Post", "titel"),
        ({"author__posts__tags__nam": "x"}, "Tag", "nam"),
    ],
)
def test_unknown_names_in_relation_lookups(lookups: dict[str, Any], model: str, field: str) -> None:
    with pytest.raises(UnknownField) as ei:
        resolve_lookups(Post, lookups)
    assert (ei.value.model, ei.value.field) == (model, field)
    if model != "Post":
        assert "in lookup" in "".join(getattr(ei.value, "__notes__", []))


# --- load plans ------------------------------------------------------------------------


def test_load_plan_nests_by_model() -> None:
    plan = build_load_plan(User, [User.posts, Post.tags, Post.author, User.profile])
    assert repr(plan) == "(User.posts.then(Post.tags, Post.author), User.profile)"
    plan = build_load_plan(Node, [Node.children.then(Node.children.then(Node.children)), Node.parent])
    assert repr(plan) == "(Node.children.then(Node.children.then(Node.children)), Node.parent)"
    # the same relation named twice is loaded once
    assert (
        repr(build_load_plan(User, [User.posts, User.posts.then(Post.tags)]))
        == "(User.posts.then(Post.tags),)"
    )


def test_load_plan_errors_before_any_sql() -> None:
    with pytest.raises(TypeError, match=r"Tag\.posts cannot be loaded from User"):
        build_load_plan(User, [User.profile, Tag.posts])
    with pytest.raises(TypeError, match=r"Tag\.posts cannot follow User\.posts"):
        User.posts.then(Tag.posts)  # type: ignore[arg-type]
    with pytest.raises(ModelDefinitionError, match="several foreign keys"):
        build_load_plan(Ambiguous, [Ambiguous.user])


class Person(Model, table="people"):
    id: PK[int] = column(default=AUTO)
    following: RelList[Person] = relation(through="follows")
    followers: RelList[Person] = relation(through="follows", fk="to_person_id")


def test_self_referential_many_to_many_through_an_automatic_link() -> None:
    out, back = Person.following.spec, Person.followers.spec
    assert out.link is back.link and out.link is not None
    assert out.link.__table__.field_names == ("from_person_id", "to_person_id")
    assert (out.link_local and out.link_local.name, out.link_remote and out.link_remote.name) == (
        "from_person_id",
        "to_person_id",
    )
    assert (back.link_local and back.link_local.name, back.link_remote and back.link_remote.name) == (
        "to_person_id",
        "from_person_id",
    )
    assert sql_in("sqlite", Person.followers.any(Person.id == 1)) == (
        '"people"."id" IN (SELECT "follows"."to_person_id" FROM "follows" WHERE "follows"."from_person_id" IN '
        '(SELECT "people"."id" FROM "people" WHERE "people"."id" = ?))',
        [1],
    )
