"""Typed lookups: the models of examples/relationships.py, typed by the stubs in the repository's stubs/."""

from typing import assert_type

from examples.relationships import Post, Tag, User
from typedorm import Database, Query, Repository

db = Database("sqlite:///:memory:")
db.create_all(User, Post, Tag)
users, posts = Repository(User, db), Repository(Post, db)
ann = users.insert(User(name="Ann"))
posts.insert_many([Post(author_id=ann.id, title="Hello"), Post(author_id=ann.id, title="Typed ORMs")])

# --8<-- [start:lookups]
typed = posts.filter_by(title__startswith="Typed", author__name="Ann")  # keys and values checked
assert_type(typed, Query[Post])
assert_type(users.filter_by(posts__title__contains="ORM").exclude(name__in=["Bob"]), Query[User])
assert_type(posts.filter_by(author__isnull=False, id__range=(1, 10)), Query[Post])
print([p.title for p in typed.all()], users.filter_by(posts__title__contains="ORM").count())
# --8<-- [end:lookups]
