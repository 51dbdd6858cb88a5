"""Typed lookups the checkers reject, through the stubs of examples/relationships.py (never run)."""

from examples.relationships import Post, User
from typedorm import Database, Repository

db = Database("sqlite:///:memory:")
users, posts = Repository(User, db), Repository(Post, db)

# --8<-- [start:errors]
posts.filter_by(titel="Hello")  # E: a misspelled lookup key
posts.filter_by(title__startswith=3)  # E: an int where the title's str is expected
posts.filter_by(author__nme="Ann")  # E: User has no field nme
users.exclude(posts__author_id__gte="1")  # E: a str where an int is expected
users.filter_by(name__regex="^A")  # E: no such lookup
# --8<-- [end:errors]
