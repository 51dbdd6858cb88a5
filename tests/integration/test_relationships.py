"""Relationships on every backend: foreign-key actions, explicit batched loading, cross-relation filters, writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    ForeignKey,
    ForeignKeyViolation,
    Model,
    NotLoaded,
    Q,
    Rel,
    RelList,
    Repository,
    UnknownField,
    column,
    is_loaded,
    relation,
)


class Membership(Model, table="rel_memberships", primary_key=("user_id", "group_id")):
    """An explicit link model with an extra column (declared first: relation(through=...) names it)."""

    user_id: Annotated[Col[int], ForeignKey("rel_users.id", on_delete="cascade")]
    group_id: Annotated[Col[int], ForeignKey("rel_groups.id", on_delete="restrict")]
    role: Col[str] = column(default="member")
    user: Rel[User] = relation()
    group: Rel[Group] = relation()


class User(Model, table="rel_users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(fk="author_id", order_by="id")
    profile: Rel[Profile | None] = relation()
    groups: RelList[Group] = relation(through=Membership, order_by="name")
    memberships: RelList[Membership] = relation()


class Profile(Model, table="rel_profiles"):
    id: PK[int] = column(default=AUTO)
    user_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade"), Column(unique=True)]
    bio: Col[str] = column(default="")
    user: Rel[User] = relation()


class Group(Model, table="rel_groups"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    members: RelList[User] = relation(through=Membership, order_by="name")


class Post(Model, table="rel_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
    editor_id: Annotated[Col[int | None], ForeignKey(User.id, on_delete="set null")] = column(default=None)
    title: Col[str]
    author: Rel[User] = relation(fk="author_id")
    editor: Rel[User | None] = relation(fk="editor_id")
    comments: RelList[Comment] = relation(order_by="id")
    tags: RelList[Tag] = relation(through="rel_post_tags", order_by="name")


class Comment(Model, table="rel_comments"):
    id: PK[int] = column(default=AUTO)
    post_id: Annotated[Col[int], ForeignKey(Post.id, on_delete="cascade")]
    body: Col[str]
    post: Rel[Post] = relation()


class Tag(Model, table="rel_tags"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(unique=True, max_length=50)]
    posts: RelList[Post] = relation(through="rel_post_tags", order_by="id")


class Category(Model, table="rel_categories"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    parent_id: Annotated[Col[int | None], ForeignKey("rel_categories.id", on_delete="cascade")] = column(
        default=None
    )
    parent: Rel[Category | None] = relation()
    children: RelList[Category] = relation(order_by="name")


class Person(Model, table="rel_people"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    following: RelList[Person] = relation(through="rel_follows", order_by="name")
    followers: RelList[Person] = relation(through="rel_follows", fk="to_person_id", order_by="name")


ALL = (User, Profile, Group, Membership, Post, Comment, Tag, Category, Person)


@pytest.fixture
def rdb(db: Database) -> Iterator[Database]:
    db.create_all(*ALL)
    yield db


def _ids(rows: list[Any]) -> list[int]:
    return sorted(r.id for r in rows)


def _sql_ids(db: Database, sql: str, params: tuple[Any, ...] = ()) -> list[int]:
    return sorted(int(r[0]) for r in db.execute(sql, params).rows)


# --- foreign keys ------------------------------------------------------------------------


def test_link_table_is_created_with_its_models(rdb: Database) -> None:
    link = Post.tags.through
    assert link is not None and link is Tag.posts.through
    assert link.__table__.name == "rel_post_tags"
    assert rdb.execute("SELECT COUNT(*) FROM rel_post_tags").scalar() == 0


def test_insert_with_missing_parent_names_the_field(rdb: Database) -> None:
    with pytest.raises(ForeignKeyViolation) as ei:
        Repository(Post, rdb).insert(Post(author_id=999, title="orphan"))
    assert ei.value.fields == ("author_id",)
    assert ei.value.model == "Post"
    assert "author_id" in str(ei.value)


def test_cascade_delete(rdb: Database) -> None:
    users, posts, comments = Repository(User, rdb), Repository(Post, rdb), Repository(Comment, rdb)
    ann = users.insert(User(name="Ann"))
    bob = users.insert(User(name="Bob"))
    p1 = posts.insert(Post(author_id=ann.id, title="a"))
    posts.insert(Post(author_id=bob.id, title="b"))
    comments.insert(Comment(post_id=p1.id, body="c"))
    users.delete(ann)
    assert [p.title for p in posts.all()] == ["b"]
    assert comments.count() == 0  # cascaded through posts


def test_set_null(rdb: Database) -> None:
    users, posts = Repository(User, rdb), Repository(Post, rdb)
    ann = users.insert(User(name="Ann"))
    ed = users.insert(User(name="Ed"))
    p = posts.insert(Post(author_id=ann.id, editor_id=ed.id, title="a"))
    users.delete(ed)
    assert posts.get_or_raise(p.id).editor_id is None


def test_restrict(rdb: Database) -> None:
    users, groups, members = Repository(User, rdb), Repository(Group, rdb), Repository(Membership, rdb)
    ann = users.insert(User(name="Ann"))
    g = groups.insert(Group(name="admins"))
    members.insert(Membership(user_id=ann.id, group_id=g.id))
    with pytest.raises(ForeignKeyViolation) as ei:
        groups.delete(g)
    assert ei.value.fields == ("id",)
    assert groups.count() == 1
    users.delete(ann)  # cascades to the membership, which then no longer blocks
    groups.delete(g)
    assert groups.count() == 0


# --- loading ---------------------------------------------------------------------------


def _seed_blog(db: Database, n_users: int, posts_per_user: int, comments_per_post: int) -> None:
    # Raw multi-row inserts keep the seeding of thousands of rows fast on every backend.
    users = Repository(User, db)
    stored = users.insert_many([User(name=f"u{i:04d}") for i in range(n_users)])
    posts = Repository(Post, db).insert_many(
        [Post(author_id=u.id, title=f"{u.name}-p{j}") for u in stored for j in range(posts_per_user)]
    )
    Repository(Comment, db).insert_many(
        [Comment(post_id=p.id, body=f"{p.title}-c{k}") for p in posts for k in range(comments_per_post)]
    )


def test_posts_and_comments_of_1000_users_in_3_queries(rdb: Database) -> None:
    _seed_blog(rdb, 1000, 2, 1)
    users = Repository(User, rdb)
    with rdb.count_queries(warn_repeats=3) as q:
        loaded = users.order_by(User.id).load(User.posts, Post.comments).all()
    assert q.count == 3
    assert len(loaded) == 1000
    assert all(len(u.posts) == 2 for u in loaded)
    assert all(len(p.comments) == 1 for u in loaded for p in u.posts)
    first = loaded[0]
    assert [p.title for p in first.posts] == ["u0000-p0", "u0000-p1"]
    assert first.posts[1].comments[0].body == "u0000-p1-c0"
    assert all(p.author_id == u.id for u in loaded for p in u.posts)


def test_in_lists_are_chunked_under_max_params(rdb: Database) -> None:
    _seed_blog(rdb, 25, 1, 0)
    d: Any = rdb.dialect
    d.max_params = 10  # an instance attribute shadows the class limit for this database only
    try:
        with rdb.count_queries() as q:
            loaded = Repository(User, rdb).load(User.posts).all()
    finally:
        del d.max_params
    assert q.count == 1 + 3  # the users, then 25 keys in chunks of 10
    assert sum(len(u.posts) for u in loaded) == 25


@pytest.mark.parametrize("in_transaction", [False, True])
def test_iterate_loads_relations_per_batch(rdb: Database, in_transaction: bool) -> None:
    _seed_blog(rdb, 25, 2, 0)
    users = Repository(User, rdb)
    with rdb.count_queries() as q:
        if in_transaction:
            with rdb.transaction():  # MySQL's streaming cursor would block the connection here
                got = list(users.order_by(User.id).load(User.posts).iterate(batch_size=10))
        else:
            got = list(users.order_by(User.id).load(User.posts).iterate(batch_size=10))
    assert q.count == 1 + 3  # the users, then one posts query per batch of 10
    assert [len(u.posts) for u in got] == [2] * 25


def test_unloaded_relation_raises_and_runs_no_query(rdb: Database) -> None:
    users, posts = Repository(User, rdb), Repository(Post, rdb)
    ann = users.insert(User(name="Ann"))
    posts.insert(Post(author_id=ann.id, title="a"))
    fetched = users.get_or_raise(ann.id)
    p = posts.all()[0]
    with rdb.count_queries() as q:
        with pytest.raises(NotLoaded, match=r"User\.posts was not loaded.*load\(User\.posts\)"):
            _ = fetched.posts
        with pytest.raises(NotLoaded, match=r"Post\.author"):
            _ = p.author
        assert not is_loaded(fetched, "posts")
    assert q.count == 0
    # a relation is never part of the row
    assert "posts" not in fetched.model_dump()
    assert set(fetched.model_dump()) == {"id", "name"}


def test_to_one_and_one_to_one_loading(rdb: Database) -> None:
    users, posts, profiles = Repository(User, rdb), Repository(Post, rdb), Repository(Profile, rdb)
    ann = users.insert(User(name="Ann"))
    ed = users.insert(User(name="Ed"))
    profiles.insert(Profile(user_id=ann.id, bio="hi"))
    posts.insert_many(
        [
            Post(author_id=ann.id, title="a", editor_id=ed.id),
            Post(author_id=ann.id, title="b"),
        ]
    )
    with rdb.count_queries() as q:
        loaded = posts.order_by(Post.id).load(Post.author.then(User.profile), Post.editor).all()
    assert q.count == 4  # posts, authors, their profiles, editors
    a, b = loaded
    assert a.author.name == "Ann" and a.author is b.author  # fetched once, shared
    assert a.author.profile is not None and a.author.profile.bio == "hi"
    assert a.editor is not None and a.editor.name == "Ed"
    assert b.editor is None
    with_profiles = users.order_by(User.id).load(User.profile).all()
    assert [u.profile.bio if u.profile else None for u in with_profiles] == ["hi", None]


def test_load_related_on_fetched_rows(rdb: Database) -> None:
    users, posts = Repository(User, rdb), Repository(Post, rdb)
    ann = users.insert(User(name="Ann"))
    posts.insert(Post(author_id=ann.id, title="a"))
    got = users.get_or_raise(ann.id)
    with rdb.count_queries() as q:
        same = users.load_related(got, User.posts)
    assert q.count == 1
    assert same is got and [p.title for p in got.posts] == ["a"]


def test_three_level_tree_one_query_per_level(rdb: Database) -> None:
    cats = Repository(Category, rdb)
    root = cats.insert(Category(name="root"))
    kids = cats.insert_many([Category(name=n, parent_id=root.id) for n in ("b", "a")])
    for k in kids:
        cats.insert_many([Category(name=f"{k.name}{i}", parent_id=k.id) for i in range(2)])
    with rdb.count_queries() as q:
        tree = cats.filter(Category.parent_id.is_null()).load(Category.children.then(Category.children)).all()
    assert q.count == 3
    (top,) = tree
    assert [c.name for c in top.children] == ["a", "b"]
    assert [g.name for g in top.children[0].children] == ["a0", "a1"]
    with pytest.raises(NotLoaded):
        _ = top.children[0].children[0].children  # the fourth level was not asked for
    # and upwards: parent and grandparent
    leaf = cats.filter(Category.name == "b1").load(Category.parent.then(Category.parent)).one()
    assert leaf.parent is not None and leaf.parent.name == "b"
    assert leaf.parent.parent is not None and leaf.parent.parent.name == "root"


# --- many-to-many ----------------------------------------------------------------------


def test_many_to_many_add_remove_set_round_trip(rdb: Database) -> None:
    posts, tags, users = Repository(Post, rdb), Repository(Tag, rdb), Repository(User, rdb)
    ann = users.insert(User(name="Ann"))
    p = posts.insert(Post(author_id=ann.id, title="p"))
    t1, t2, t3 = tags.insert_many([Tag(name="t1"), Tag(name="t2"), Tag(name="t3")])

    def names() -> list[str]:
        return [t.name for t in posts.filter(Post.id == p.id).load(Post.tags).one().tags]

    assert posts.add_related(p, Post.tags, t1, t2) == 2
    assert posts.add_related(p, Post.tags, t2) == 0  # already linked: kept, not duplicated
    assert names() == ["t1", "t2"]
    assert posts.remove_related(p, Post.tags, t1) == 1
    assert names() == ["t2"]
    posts.set_related(p, Post.tags, [t3, t1])
    assert names() == ["t1", "t3"]
    posts.set_related(p, Post.tags, [])
    assert names() == []
    # the other side shares the link table
    posts.add_related(p, Post.tags, t3)
    assert [x.title for x in tags.filter(Tag.id == t3.id).load(Tag.posts).one().posts] == ["p"]
    # a loaded list follows the changes made through the repository
    loaded = posts.filter(Post.id == p.id).load(Post.tags).one()
    posts.add_related(loaded, Post.tags, t1)
    assert [t.name for t in loaded.tags] == ["t3", "t1"]
    posts.remove_related(loaded, Post.tags, t3)
    assert [t.name for t in loaded.tags] == ["t1"]


def test_many_to_many_explicit_link_model_with_extra_columns(rdb: Database) -> None:
    users, groups = Repository(User, rdb), Repository(Group, rdb)
    ann, bob = users.insert_many([User(name="Ann"), User(name="Bob")])
    admins, devs = groups.insert_many([Group(name="admins"), Group(name="devs")])
    users.add_related(ann, User.groups, admins, role="owner")
    users.add_related(ann, User.groups, devs)
    groups.add_related(devs, Group.members, bob)
    with rdb.count_queries() as q:
        loaded = users.order_by(User.id).load(User.groups, User.memberships.then(Membership.group)).all()
    assert q.count == 4
    a, b = loaded
    assert [g.name for g in a.groups] == ["admins", "devs"]
    assert [g.name for g in b.groups] == ["devs"]
    assert sorted((m.group.name, m.role) for m in a.memberships) == [("admins", "owner"), ("devs", "member")]
    devs_loaded = groups.filter(Group.id == devs.id).load(Group.members).one()
    assert [u.name for u in devs_loaded.members] == ["Ann", "Bob"]


# --- cross-relation filters and lookups --------------------------------------------------


@pytest.fixture
def blog(rdb: Database) -> Database:
    users, posts, tags = Repository(User, rdb), Repository(Post, rdb), Repository(Tag, rdb)
    ann, bob, cy = users.insert_many([User(name="Ann"), User(name="Bob"), User(name="Cy")])
    p = posts.insert_many(
        [
            Post(author_id=ann.id, title="hello x", editor_id=bob.id),
            Post(author_id=ann.id, title="plain"),
            Post(author_id=bob.id, title="x marks", editor_id=ann.id),
            Post(author_id=bob.id, title="other"),
        ]
    )
    t_py, t_db = tags.insert_many([Tag(name="py"), Tag(name="db")])
    posts.add_related(p[0], Post.tags, t_py, t_db)
    posts.add_related(p[2], Post.tags, t_db)
    _ = cy
    return rdb


def test_has_filter_matches_hand_written_sql(blog: Database) -> None:
    posts = Repository(Post, blog)
    got = _ids(posts.filter(Post.author.has(User.name == "Ann")).all())
    expect = _sql_ids(
        blog, "SELECT p.id FROM rel_posts p JOIN rel_users u ON u.id = p.author_id WHERE u.name = ?", ("Ann",)
    )
    assert got == expect and len(expect) == 2
    # a nullable to-one, negated: posts without an editor are kept
    got = _ids(posts.filter(~Post.editor.has(User.name == "Bob")).all())
    expect = _sql_ids(
        blog,
        "SELECT p.id FROM rel_posts p LEFT JOIN rel_users u ON u.id = p.editor_id "
        "WHERE u.id IS NULL OR u.name <> ?",
        ("Bob",),
    )
    assert got == expect and len(expect) == 3


def test_any_filter_matches_hand_written_sql(blog: Database) -> None:
    users = Repository(User, blog)
    got = _ids(users.filter(User.posts.any(Post.title.contains("x"))).all())
    expect = _sql_ids(
        blog,
        "SELECT DISTINCT u.id FROM rel_users u JOIN rel_posts p ON p.author_id = u.id WHERE p.title LIKE ?",
        ("%x%",),
    )
    assert got == expect and len(expect) == 2
    got = _ids(users.filter(User.posts.none()).all())
    expect = _sql_ids(
        blog,
        "SELECT u.id FROM rel_users u WHERE NOT EXISTS (SELECT 1 FROM rel_posts p WHERE p.author_id = u.id)",
    )
    assert got == expect and len(expect) == 1
    # through a many-to-many link table
    posts = Repository(Post, blog)
    got = _ids(posts.filter(Post.tags.any(Tag.name == "db")).all())
    expect = _sql_ids(
        blog,
        "SELECT pt.post_id FROM rel_post_tags pt JOIN rel_tags t ON t.id = pt.tag_id WHERE t.name = ?",
        ("db",),
    )
    assert got == expect and len(expect) == 2


def test_lookups_match_hand_written_sql(blog: Database) -> None:
    posts, users = Repository(Post, blog), Repository(User, blog)
    got = _ids(posts.filter_by(author__name="Ann").all())
    expect = _sql_ids(
        blog, "SELECT p.id FROM rel_posts p JOIN rel_users u ON u.id = p.author_id WHERE u.name = ?", ("Ann",)
    )
    assert got == expect
    got = _ids(users.filter_by(posts__title__startswith="x", posts__tags__name="db").all())
    expect = _sql_ids(
        blog,
        "SELECT DISTINCT u.id FROM rel_users u JOIN rel_posts p ON p.author_id = u.id "
        "JOIN rel_post_tags pt ON pt.post_id = p.id JOIN rel_tags t ON t.id = pt.tag_id "
        "WHERE p.title LIKE ? AND t.name = ?",
        ("x%", "db"),
    )
    assert got == expect and len(expect) == 1
    # both lookups through posts must hold for the same post (not one post each)
    got = _ids(users.filter_by(posts__title="plain", posts__editor_id__isnull=False).all())
    expect = _sql_ids(
        blog,
        "SELECT DISTINCT u.id FROM rel_users u JOIN rel_posts p ON p.author_id = u.id "
        "WHERE p.title = ? AND p.editor_id IS NOT NULL",
        ("plain",),
    )
    assert got == expect == []
    ann = users.filter_by(name="Ann").one()
    assert _ids(posts.filter_by(author=ann).all()) == _ids(posts.filter(Post.author_id == ann.id).all())
    assert _ids(posts.filter(Q(author__name="Bob") | Q(title="plain")).all()) == _sql_ids(
        blog,
        "SELECT p.id FROM rel_posts p JOIN rel_users u ON u.id = p.author_id WHERE u.name = ? OR p.title = ?",
        ("Bob", "plain"),
    )


@pytest.mark.parametrize(
    ("lookups", "field"),
    [
        ({"autor__name": "Ann"}, "autor"),
        ({"author__nme": "Ann"}, "nme"),
        ({"author__posts__titel": "x"}, "titel"),
    ],
)
def test_unknown_relation_names_raise_before_any_sql(
    blog: Database, lookups: dict[str, Any], field: str
) -> None:
    posts = Repository(Post, blog)
    with blog.count_queries() as q:
        with pytest.raises(UnknownField) as ei:
            posts.filter_by(**lookups).all()
    assert ei.value.field == field
    assert q.count == 0


# --- writes ----------------------------------------------------------------------------


def test_insert_with_related_in_one_transaction(rdb: Database) -> None:
    users = Repository(User, rdb)
    tag = Repository(Tag, rdb).insert(Tag(name="old"))
    user = User(
        name="Ann",
        profile=Profile(user_id=0, bio="me"),
        posts=[
            Post(
                author_id=0,
                title="first",
                comments=[Comment(post_id=0, body="c1"), Comment(post_id=0, body="c2")],
                tags=[tag, Tag(name="new")],
            ),
            Post(author_id=0, title="second"),
        ],
    )
    stored = users.insert(user, with_related=True)
    assert isinstance(stored.id, int)
    assert [p.author_id for p in stored.posts] == [stored.id, stored.id]
    assert stored.profile is not None and stored.profile.user_id == stored.id
    again = (
        users.filter(User.id == stored.id).load(User.posts.then(Post.comments, Post.tags), User.profile).one()
    )
    assert [p.title for p in again.posts] == ["first", "second"]
    assert [c.body for c in again.posts[0].comments] == ["c1", "c2"]
    assert [t.name for t in again.posts[0].tags] == ["new", "old"]
    assert again.profile is not None and again.profile.bio == "me"


def test_insert_with_related_rolls_back_entirely(rdb: Database) -> None:
    users = Repository(User, rdb)
    Repository(Tag, rdb).insert(Tag(name="dup"))
    user = User(name="Ann", posts=[Post(author_id=0, title="p", tags=[Tag(name="dup")])])
    with pytest.raises(Exception):  # noqa: B017 - the unique violation of the tag, whatever its class
        users.insert(user, with_related=True)
    assert users.count() == 0
    assert Repository(Post, rdb).count() == 0


def test_insert_with_related_parent_first(rdb: Database) -> None:
    posts = Repository(Post, rdb)
    stored = posts.insert(Post(author_id=0, title="p", author=User(name="New")), with_related=True)
    assert stored.author.name == "New"
    assert stored.author_id == stored.author.id
    assert Repository(User, rdb).get_or_raise(stored.author_id).name == "New"


def test_plain_insert_refuses_to_drop_related_rows(rdb: Database) -> None:
    users = Repository(User, rdb)
    with pytest.raises(ValueError, match=r"User\.posts holds related rows.*with_related=True"):
        users.insert(User(name="Ann", posts=[Post(author_id=0, title="p")]))
    with pytest.raises(ValueError, match=r"insert_many\(\) does not write"):
        users.insert_many([User(name="Bob"), User(name="Cy", posts=[])])
    assert users.count() == 0
    assert users.insert(User(name="Ann")).name == "Ann"  # nothing set: a plain row


def test_self_referential_many_to_many(rdb: Database) -> None:
    people = Repository(Person, rdb)
    a, b, c = people.insert_many([Person(name="a"), Person(name="b"), Person(name="c")])
    people.add_related(a, Person.following, b, c)
    people.add_related(b, Person.following, c)
    loaded = {p.name: p for p in people.load(Person.following, Person.followers).all()}
    assert [p.name for p in loaded["a"].following] == ["b", "c"]
    assert [p.name for p in loaded["c"].followers] == ["a", "b"]
    assert loaded["a"].followers == []
    people.delete(b)  # the link rows go with it (ON DELETE CASCADE)
    again = people.filter(Person.id == c.id).load(Person.followers).one()
    assert [p.name for p in again.followers] == ["a"]


# --- ordering across relations -------------------------------------------------------------


def _seed_for_ordering(rdb: Database) -> tuple[Repository[User], Repository[Post], Repository[Comment]]:
    users, posts, comments = Repository(User, rdb), Repository(Post, rdb), Repository(Comment, rdb)
    zoe, ann, bob = (users.insert(User(name=n)) for n in ("Zoe", "Ann", "Bob"))
    for author, editor, title in ((zoe, ann, "z1"), (ann, None, "a1"), (bob, zoe, "b1"), (ann, bob, "a2")):
        p = posts.insert(Post(author_id=author.id, editor_id=editor.id if editor else None, title=title))
        comments.insert(Comment(post_id=p.id, body=f"on {title}"))
    return users, posts, comments


def test_order_by_a_column_of_a_to_one_relation(rdb: Database) -> None:
    _, posts, _ = _seed_for_ordering(rdb)
    want = [
        int(r[0])
        for r in rdb.execute(
            "SELECT p.id FROM rel_posts p JOIN rel_users u ON u.id = p.author_id ORDER BY u.name DESC, p.id"
        ).rows
    ]
    got = posts.order_by(Post.author.order(User.name.desc()), Post.id).all()
    assert [p.id for p in got] == want
    assert [p.id for p in posts.order_by("-author__name", "id").all()] == want
    # limit/offset/count stay per post: the relation is a subquery, not a join
    assert [p.id for p in posts.order_by("-author__name", "id").offset(1).limit(2).all()] == want[1:3]
    assert posts.order_by("author__name").count() == 4


def test_order_by_a_nullable_relation_and_two_levels(rdb: Database) -> None:
    _, posts, comments = _seed_for_ordering(rdb)
    got = posts.order_by(Post.editor.order(User.name.asc(nulls="last")), "id").all()
    want = [
        int(r[0])
        for r in rdb.execute(
            "SELECT p.id FROM rel_posts p LEFT JOIN rel_users u ON u.id = p.editor_id "
            "ORDER BY CASE WHEN u.name IS NULL THEN 1 ELSE 0 END, u.name, p.id"
        ).rows
    ]
    assert [p.id for p in got] == want
    two = comments.order_by("post__author__name", "id").all()
    want2 = [
        int(r[0])
        for r in rdb.execute(
            "SELECT c.id FROM rel_comments c JOIN rel_posts p ON p.id = c.post_id "
            "JOIN rel_users u ON u.id = p.author_id ORDER BY u.name, c.id"
        ).rows
    ]
    assert [c.id for c in two] == want2


def test_order_by_unknown_or_to_many_relation_is_refused_before_sql(rdb: Database) -> None:
    users, posts, _ = _seed_for_ordering(rdb)
    with rdb.count_queries() as q:
        with pytest.raises(UnknownField):
            posts.order_by("writer__name")
        with pytest.raises(UnknownField):
            posts.order_by("author__nickname")
        with pytest.raises(TypeError, match="to-many"):
            users.order_by("posts__title")
        with pytest.raises(TypeError, match="self-referential"):
            Category.parent.order(Category.name)
    assert q.count == 0
