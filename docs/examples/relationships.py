"""Relationships: declare, write, load explicitly, filter and order across them."""

from __future__ import annotations

from typing import Annotated

from typedorm import (
    AUTO,
    PK,
    Col,
    Database,
    ForeignKey,
    Model,
    NotLoaded,
    Rel,
    RelList,
    Repository,
    column,
    is_loaded,
    relation,
)


# --8<-- [start:models]
class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(order_by="id")  # one-to-many: Post.author_id points here


class Post(Model, table="posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[User] = relation()  # many-to-one, through the foreign key
    tags: RelList[Tag] = relation(through="post_tags", order_by="name")  # many-to-many


class Tag(Model, table="tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(through="post_tags")


# --8<-- [end:models]

db = Database("sqlite:///:memory:")
db.create_all(User, Post, Tag)  # and the automatic post_tags link table
users, posts, tags = Repository(User, db), Repository(Post, db), Repository(Tag, db)

# --8<-- [start:write]
ann = users.insert(
    User(
        name="Ann",
        posts=[
            Post(author_id=0, title="Hello", tags=[Tag(name="intro")]),
            Post(author_id=0, title="Typed ORMs"),
        ],
    ),
    with_related=True,  # one transaction: the user, its posts (author_id set), tags and links
)
print([(p.id, p.author_id, p.title) for p in ann.posts])
bob = users.insert(User(name="Bob"))
posts.insert(Post(author_id=bob.id, title="Bob's post"))
python = tags.insert(Tag(name="python"))
typed_orms = posts.get_or_raise(2)
print(posts.add_related(typed_orms, Post.tags, python))  # links added
# --8<-- [end:write]

# --8<-- [start:not-loaded]
plain = users.get_or_raise(ann.id)
print(is_loaded(plain, "posts"))
try:
    print(plain.posts)
except NotLoaded as e:
    print("NotLoaded:", e)
# --8<-- [end:not-loaded]

# --8<-- [start:load]
with db.count_queries() as counter:
    everyone = users.order_by(User.id).load(User.posts, Post.tags).all()
print(counter.count, "queries")  # users, then posts, then tags: never one per row
for u in everyone:
    print(u.name, [(p.title, [t.name for t in p.tags]) for p in u.posts])
one = users.load_related(users.get_or_raise(bob.id), User.posts)  # onto a fetched row
print([p.title for p in one.posts])
print([p.author.name for p in posts.order_by(Post.id).load(Post.author).all()])
# --8<-- [end:load]

# --8<-- [start:filter]
print([p.title for p in posts.filter(Post.author.has(User.name == "Ann")).all()])
print([u.name for u in users.filter(User.posts.any(Post.title.contains("ORM"))).all()])
print([p.title for p in posts.filter(Post.tags.none()).all()])
print(users.filter_by(posts__tags__name="python").count())
print([p.title for p in posts.order_by("-author__name", "id").all()])
# --8<-- [end:filter]

# --8<-- [start:one-to-many]
print(users.add_related(bob, User.posts, typed_orms))  # one UPDATE: the post's author_id
bobs = users.load_related(users.get_or_raise(bob.id), User.posts)
print(typed_orms.author_id == bob.id, [p.title for p in bobs.posts])  # updated in place and stored
# --8<-- [end:one-to-many]


# --8<-- [start:through-name]
class Member(Model, table="members"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    clubs: RelList[Club] = relation(through="Membership")  # a link model declared below, named


class Club(Model, table="clubs"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class Membership(Model, table="memberships", primary_key=("member_id", "club_id")):
    member_id: Annotated[Col[int], ForeignKey(Member.id)]
    club_id: Annotated[Col[int], ForeignKey(Club.id)]
    role: Col[str] = column(default="member")  # an extra column of the link


db.create_all(Member, Club, Membership)
members, clubs = Repository(Member, db), Repository(Club, db)
eve = members.insert(Member(name="Eve"))
members.add_related(eve, Member.clubs, clubs.insert(Club(name="chess")), role="captain")
print([c.name for c in members.query().load(Member.clubs).one().clubs], Repository(Membership, db).all())
# --8<-- [end:through-name]
