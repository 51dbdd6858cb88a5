"""Relationships: declare them, insert a user with posts in one call, load explicitly, filter across them."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
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
    relation,
)


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(order_by="id")  # one-to-many: Post.author_id points here


class Post(Model, table="posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[User] = relation()  # many-to-one
    tags: RelList[Tag] = relation(through="post_tags", order_by="name")  # many-to-many


class Tag(Model, table="tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    posts: RelList[Post] = relation(through="post_tags")


def main(url: str) -> None:
    with Database(url) as db:
        db.create_all(User, Post, Tag)  # and the post_tags link table
        users, posts = Repository(User, db), Repository(Post, db)

        # One call, one transaction: the user, then its posts (author_id set), then tags and links.
        ann = users.insert(
            User(
                name="Ann",
                posts=[
                    Post(author_id=0, title="Hello", tags=[Tag(name="intro")]),
                    Post(author_id=0, title="Typed ORMs"),
                ],
            ),
            with_related=True,
        )
        print("inserted:", ann.name, [p.title for p in ann.posts])

        plain = users.get_or_raise(ann.id)
        try:
            plain.posts  # noqa: B018 - never a hidden query
        except NotLoaded as e:
            print("not loaded:", str(e).split(":")[0])

        with db.count_queries() as q:
            loaded = users.load(User.posts, Post.tags).all()  # users, posts, tags: 3 queries
        print("queries:", q.count, "tags:", [[t.name for t in p.tags] for p in loaded[0].posts])

        titled = posts.filter(Post.author.has(User.name == "Ann"), Post.tags.none()).all()
        print("untagged posts by Ann:", [p.title for p in titled])
        print("lookup:", users.filter_by(posts__title__startswith="Typed").count())

        db.drop_all(User, Post, Tag)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(f"sqlite:///{Path(tmp) / 'relationships.db'}")
