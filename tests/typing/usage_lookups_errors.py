# pyright: strict
"""Expected errors for typed lookups (the stubs in stubs/ for the examples' models): a misspelled
field, an unknown lookup or a value of the wrong type is an error in both checkers (see
usage_errors.py for the ``E:`` convention). Never executed.
"""

from __future__ import annotations

from examples.quickstart import User
from examples.relationships import Post
from examples.relationships import User as Author
from typedorm import AsyncDatabase, AsyncRepository, Database, Repository

db = Database("sqlite:///:memory:")
users = Repository(User, db)
posts = Repository(Post, db)
authors = Repository(Author, db)
q = users.filter(User.age >= 18)

# --- a value of the wrong type -----------------------------------------------------------------
users.filter_by(age__gte="x")  # E: arg-type
users.filter_by(age="30")  # E: arg-type
users.filter_by(name=5)  # E: arg-type
users.filter_by(age__in=["a"])  # E: list-item
users.filter_by(age__range=(1, "z"))  # E: arg-type
users.filter_by(age__isnull="yes")  # E: arg-type
users.filter_by(age=None)  # E: arg-type
q.filter_by(name__startswith=1)  # E: arg-type
users.exclude(age__lt="18")  # E: arg-type
posts.filter_by(author__name=3)  # E: arg-type
posts.filter_by(author=posts.get_or_raise(1))  # E: arg-type
authors.filter_by(posts__title__contains=1)  # E: arg-type

# --- unknown fields and lookups ----------------------------------------------------------------
users.filter_by(agee=1)  # E: call-arg
users.filter_by(age__gtee=1)  # E: call-arg
users.filter_by(age__contains="1")  # E: call-arg
q.exclude(nickname="x")  # E: call-arg
posts.filter_by(author__nme="Ann")  # E: call-arg
authors.filter_by(posts__titel="x")  # E: call-arg

# --- positional arguments and predicates of another model --------------------------------------
users.filter_by(User.age >= 18)  # E: call-arg, arg-type
users.exclude(Post.id == 1)  # E: arg-type

# --- async repositories alike ------------------------------------------------------------------
ausers = AsyncRepository(User, AsyncDatabase("sqlite:///:memory:"))
ausers.filter_by(age__gte="x")  # E: arg-type
ausers.filter(User.age > 1).exclude(agee=1)  # E: call-arg
