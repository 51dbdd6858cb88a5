# pyright: strict
"""Typed Django-style lookups: the examples' models are typed by the stubs in stubs/ (written by
``typedorm stubs``), so every valid lookup keyword type-checks and keeps the precise result type.
Never executed.
"""

from __future__ import annotations

from typing import assert_type

from examples.json_payloads import Customer
from examples.quickstart import User
from examples.relationships import Post, Tag
from examples.relationships import User as Author
from typedorm import AsyncDatabase, AsyncQuery, AsyncRepository, Database, Q, Query, Repository, select

db = Database("sqlite:///:memory:")
users = Repository(User, db)
posts = Repository(Post, db)
authors = Repository(Author, db)
tags = Repository(Tag, db)
customers = Repository(Customer, db)

# --- every lookup of a column, with a value of the column's type ------------------------------
assert_type(users.filter_by(age__gte=18, name__startswith="J"), Query[User])
assert_type(users.filter_by(age=30, name="John", email="john@example.com", id=1), Query[User])
assert_type(users.filter_by(age__exact=1, age__ne=2, age__lt=3, age__lte=4, age__gt=5), Query[User])
assert_type(users.filter_by(age__in=[1, 2], id__in=(1, 2), name__in={"a"}, email__in=frozenset({"x"})), Query[User])
assert_type(users.filter_by(age__in=select(User.age)), Query[User])
assert_type(users.filter_by(age__range=(18, 65), name__range=("a", "m")), Query[User])
assert_type(users.filter_by(age__isnull=False, name__iexact="john"), Query[User])
assert_type(
    users.filter_by(
        name__contains="o",
        name__icontains="O",
        name__istartswith="j",
        name__endswith="n",
        name__iendswith="N",
        email__contains="@",
    ),
    Query[User],
)
assert_type(customers.filter_by(credit__gt=0, email__endswith=".com"), Query[Customer])
assert_type(users.filter_by(), Query[User])

# --- chained on a query, with exclude, predicates and Q objects -------------------------------
assert_type(users.filter(User.age >= 18).filter_by(name="x").all(), list[User])
assert_type(users.filter_by(age__gte=18).exclude(name__startswith="J").first(), User | None)
assert_type(users.exclude(User.age < 18, Q(name="x"), email__endswith=".org"), Query[User])
assert_type(users.query().exclude(age__lt=18).count(), int)
assert_type(users.exclude(), Query[User])

# --- across relations: to-one, to-many, many-to-many, two levels deep -------------------------
assert_type(posts.filter_by(author__name="Ann"), Query[Post])
assert_type(posts.filter_by(author__name__startswith="A", author__id__in=[1, 2]), Query[Post])
assert_type(posts.filter_by(author__isnull=False, tags__name="intro"), Query[Post])
assert_type(posts.filter_by(author__posts__title__contains="x"), Query[Post])
assert_type(authors.filter_by(posts__title__contains="Typed", posts__tags__name="intro"), Query[Author])
assert_type(authors.filter_by(posts__isnull=True), Query[Author])
assert_type(tags.filter_by(posts__author__name="Ann"), Query[Tag])
ann = authors.get_or_raise(1)
assert_type(posts.filter_by(author=ann), Query[Post])
assert_type(posts.filter_by(author=None, author__exact=ann), Query[Post])

# --- the same on AsyncRepository / AsyncQuery -------------------------------------------------
adb = AsyncDatabase("sqlite:///:memory:")
ausers = AsyncRepository(User, adb)
assert_type(ausers.filter_by(age__gte=18, name__startswith="J"), AsyncQuery[User])
assert_type(ausers.filter(User.age > 1).exclude(name="x").filter_by(email__contains="@"), AsyncQuery[User])
aposts = AsyncRepository(Post, adb)
assert_type(aposts.filter_by(author__name="Ann"), AsyncQuery[Post])
