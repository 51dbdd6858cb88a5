# pyright: strict
"""The typing contract: every ``assert_type`` here must hold in mypy --strict and pyright strict.

Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, assert_type

from typing_models import Order, Product, Summary, User

from typedorm import (
    Assignment,
    Col,
    ColumnExpr,
    Database,
    Expr,
    Model,
    Ordering,
    Page,
    Predicate,
    Q,
    Query,
    QueryCounter,
    Repository,
    Result,
    Select,
    Transaction,
    add_hook,
    column,
    func,
    hook,
    select,
)
from typedorm.fields import BooleanField, CharField, EmailField, IntegerField, TextField

db = Database("sqlite:///:memory:")
assert_type(db, Database)
users = Repository(User, db)
assert_type(users, Repository[User])
orders = Repository(Order, db)
assert_type(orders, Repository[Order])

# --- class attributes are column expressions -------------------------------------------
assert_type(User.id, ColumnExpr[User, int])
assert_type(User.name, ColumnExpr[User, str])
assert_type(User.email, ColumnExpr[User, str])
assert_type(User.age, ColumnExpr[User, int | None])
assert_type(User.score, ColumnExpr[User, float])
assert_type(Order.total, ColumnExpr[Order, Decimal])
assert_type(Product.title, ColumnExpr[Product, str])
assert_type(User.name.name, str)
assert_type(User.name.field, str)

# --- instances: constructor and attribute values -----------------------------------------
u = User(name="ann", email="ann@example.com")
assert_type(u, User)
assert_type(u.id, int)
assert_type(u.name, str)
assert_type(u.age, int | None)
assert_type(u.score, float)
u.name = "bob"
u.age = None
u.age = 31
assert_type(User(name="x", email="y", age=3, score=1.5).age, int | None)
assert_type(Order(user_id=1).total, Decimal)
assert_type(Product(title="t", price=Decimal("1.00")).stock, int)
assert_type(u.model_dump(), dict[str, Any])

# --- predicates, expressions, orderings ---------------------------------------------------
assert_type(User.age >= 18, Predicate[User])
assert_type(User.age < 65, Predicate[User])
assert_type(User.name == "ann", Predicate[User])
assert_type(User.name != "ann", Predicate[User])
assert_type(User.age == None, Predicate[User])  # noqa: E711
assert_type((User.age >= 18) & (User.name != "x"), Predicate[User])
assert_type((User.age >= 18) | (User.age.is_null()), Predicate[User])
assert_type(~(User.age >= 18), Predicate[User])
assert_type(User.age.in_([1, 2, 3]), Predicate[User])
assert_type(User.age.not_in([1, 2]), Predicate[User])
assert_type(User.id.in_(select(User.id).where(User.age > 3)), Predicate[User])
assert_type(User.age.between(18, 65), Predicate[User])
assert_type(User.age.is_not_null(), Predicate[User])
assert_type(User.name.like("J%"), Predicate[User])
assert_type(User.name.ilike("j%"), Predicate[User])
assert_type(User.name.contains("n"), Predicate[User])
assert_type(User.name.icontains("n"), Predicate[User])
assert_type(User.name.startswith("J"), Predicate[User])
assert_type(User.name.istartswith("j"), Predicate[User])
assert_type(User.name.endswith("n"), Predicate[User])
assert_type(User.name.iendswith("N"), Predicate[User])
assert_type(User.name.iexact("ANN"), Predicate[User])
assert_type(User.score + 1.0, Expr[User, float])
assert_type(User.score * 2.0 >= 10.0, Predicate[User])
assert_type(User.id > User.id * 2, Predicate[User])
assert_type(User.age.desc(), Ordering[User])
assert_type(User.age.asc(nulls="last"), Ordering[User])
assert_type(User.age.set(31), Assignment[User])
assert_type(User.score.set(User.score + 1.0), Assignment[User])
assert_type(select(User.id).exists(), Predicate[Any])
assert_type(Q(age__gte=18) | Q(name="x"), Q)
assert_type(~Q(age__gte=18), Q)

# --- SQL functions and aggregates ---------------------------------------------------------
assert_type(func.count(), Expr[Any, int])
assert_type(func.count(User.id), Expr[User, int])
assert_type(func.count(User.age, distinct=True), Expr[User, int])
assert_type(func.sum(User.score), Expr[User, float | None])
assert_type(func.sum(User.age), Expr[User, int | None])
assert_type(func.avg(User.age), Expr[User, float | None])
assert_type(func.avg(Order.total), Expr[Order, Decimal | None])
assert_type(func.min(User.name), Expr[User, str | None])
assert_type(func.max(User.score), Expr[User, float | None])
assert_type(func.coalesce(User.age, 0), Expr[User, int])
assert_type(func.lower(User.name), Expr[User, str])
assert_type(func.upper(User.name), Expr[User, str])
assert_type(func.length(User.name), Expr[User, int])

# --- select() -> typed rows ---------------------------------------------------------------
stmt = select(User.id, User.name)
assert_type(stmt, Select[User, tuple[int, str]])
assert_type(
    stmt.where(User.age >= 18).order_by(User.name.desc()).limit(10).offset(5).distinct(),
    Select[User, tuple[int, str]],
)
assert_type(select(User.id), Select[User, tuple[int]])
assert_type(select(User.id, User.name, User.age), Select[User, tuple[int, str, int | None]])
# (mypy joins User with count()'s Any model to Any, pyright keeps User: assigned, not asserted)
by_age: Select[User, tuple[int | None, int]] = (
    select(User.age, func.count()).group_by(User.age).having(func.count() > 1)
)
assert_type(users.rows(by_age), list[tuple[int | None, int]])
assert_type(
    select(
        User.id,
        User.name,
        User.email,
        User.age,
        User.score,
        User.id,
        User.name,
        User.email,
        User.age,
        User.score,
    ),
    Select[User, tuple[int, str, str, int | None, float, int, str, str, int | None, float]],
)
assert_type(stmt.into(Summary), Select[User, Summary])
assert_type(users.rows(stmt), list[tuple[int, str]])
assert_type(users.rows(select(User.id, User.name).where(User.age >= 18)), list[tuple[int, str]])
assert_type(users.rows(select(User.id, User.name).into(Summary)), list[Summary])
assert_type(users.rows(select(func.count())), list[tuple[int]])
assert_type(users.rows(select(User.age, func.count()).group_by(User.age)), list[tuple[int | None, int]])

# --- Repository: writes -------------------------------------------------------------------
assert_type(users.insert(u), User)
assert_type(users.insert_many([u, u]), list[User])
assert_type(users.insert_many(x for x in [u]), list[User])
assert_type(users.save(u), User)
assert_type(users.update(u), User)
assert_type(users.update(User.id == 1, User.age.set(31), User.name.set("x")), int)
assert_type(users.update(Q(name="ann"), User.age.set(None)), int)
assert_type(users.upsert(u), User)
assert_type(users.upsert(u, conflict=User.email), User)
assert_type(users.upsert(u, conflict=[User.email], update=[User.name, User.age]), User)
assert_type(users.refresh(u), User)
assert_type(users.patch(1, {"age": 32}), User)
assert_type(users.patch(1, '{"age": 32}'), User)
assert_type(users.patch(1, b'{"age": 32}'), User)
assert_type(users.delete(u), None)
assert_type(users.delete(User.age < 18), int)
assert_type(users.delete(Q(age__lt=18)), int)

# --- Repository: JSON payloads ------------------------------------------------------------
assert_type(users.insert_json('{"name": "ann", "email": "a@example.com"}'), User)
assert_type(users.insert_json(b'{"name": "ann", "email": "a@example.com"}'), User)
assert_type(users.insert_many_json('[{"name": "ann", "email": "a@example.com"}]'), list[User])
assert_type(
    users.insert_many_json([b'{"name": "a", "email": "b"}', '{"name": "c", "email": "d"}']), list[User]
)
assert_type(users.validate_json('{"name": "ann", "email": "a@example.com"}'), User)

# --- Repository: reads --------------------------------------------------------------------
assert_type(users.get(1), User | None)
assert_type(users.get_or_raise(1), User)
assert_type(users.query(), Query[User])
assert_type(users.filter(User.age >= 18), Query[User])
assert_type(users.filter(User.age >= 18, User.name.startswith("J")), Query[User])
assert_type(users.filter(Q(age__gte=18) | Q(name="x")), Query[User])
assert_type(users.filter_by(age__gte=18, name__startswith="J"), Query[User])
assert_type(users.exclude(User.age < 18), Query[User])
assert_type(users.exclude(age__lt=18), Query[User])
assert_type(users.order_by(User.age.desc(), "-name", User.id), Query[User])
assert_type(users.all(), list[User])
assert_type(users.first(), User | None)
assert_type(users.last(), User | None)
assert_type(users.count(), int)
assert_type(users.exists(), bool)
assert_type(users.iterate(), Iterator[User])
assert_type(users.iterate(batch_size=500), Iterator[User])
assert_type(users.paginate(1, 20), Page[User])
assert_type(users.values(), list[dict[str, Any]])
assert_type(users.values("id", "name"), list[dict[str, Any]])
assert_type(users.raw("SELECT * FROM users WHERE age > ?", (18,)), list[User])
assert_type(users.raw("SELECT * FROM users WHERE age > :age", {"age": 18}), list[User])

# --- Query[User] ----------------------------------------------------------------------------
q = users.filter(User.age >= 18)
assert_type(q.filter(User.name != "x"), Query[User])
assert_type(q.filter_by(name__icontains="a"), Query[User])
assert_type(q.exclude(User.name == "x"), Query[User])
assert_type(q.order_by(User.name), Query[User])
assert_type(q.order_by("-age"), Query[User])
assert_type(q.limit(10).offset(20).distinct(), Query[User])
assert_type(q.group_by(User.age).having(func.count() > 1), Query[User])
assert_type(q.all(), list[User])
assert_type(list(q), list[User])
assert_type(q.first(), User | None)
assert_type(q.last(), User | None)
assert_type(q.one(), User)
assert_type(q.one_or_none(), User | None)
assert_type(q.count(), int)
assert_type(q.exists(), bool)
assert_type(q.iterate(batch_size=100), Iterator[User])
page = q.paginate(2, 10)
assert_type(page, Page[User])
assert_type(page.items, list[User])
assert_type(page.total, int)
assert_type(page.pages, int)
assert_type(page.has_next, bool)
assert_type(q.values("name"), list[dict[str, Any]])
assert_type(q.values_list("id", "name"), list[tuple[Any, ...]])
assert_type(q.rows(User.id), list[tuple[int]])
assert_type(q.rows(User.id, User.name), list[tuple[int, str]])
assert_type(q.rows(User.id, User.name, User.age), list[tuple[int, str, int | None]])
assert_type(q.group_by(User.age).rows(User.age, func.count()), list[tuple[int | None, int]])
assert_type(q.rows(func.lower(User.name), func.max(User.score)), list[tuple[str, float | None]])
assert_type(q.into(Summary), list[Summary])
assert_type(q.sum(User.score), float | None)
assert_type(q.sum(User.age), int | None)
assert_type(orders.query().sum(Order.total), Decimal | None)
assert_type(q.avg(User.age), float | None)
assert_type(q.avg(User.score), float | None)
assert_type(orders.query().avg(Order.total), Decimal | None)
assert_type(q.min(User.name), str | None)
assert_type(q.max(User.age), int | None)
assert_type(q.update(User.age.set(18)), int)
assert_type(q.delete(), int)

# --- Database --------------------------------------------------------------------------------
result = db.execute("SELECT id, name FROM users WHERE age > ?", (18,))
assert_type(result, Result)
assert_type(db.execute("SELECT 1"), Result)
assert_type(db.execute("UPDATE users SET age = :age", {"age": 1}), Result)
assert_type(result.rows, list[tuple[Any, ...]])
assert_type(result.all(), list[tuple[Any, ...]])
assert_type(result.first(), tuple[Any, ...] | None)
assert_type(result.scalar(), Any)
assert_type(result.mappings(), list[dict[str, Any]])
assert_type(result.rowcount, int)
assert_type(result.columns, tuple[str, ...])
assert_type(db.create_all(User, Order), None)
assert_type(db.drop_all(User), None)
assert_type(db.in_transaction(), bool)

with db.transaction() as tx:
    assert_type(tx, Transaction)
    users.insert(u)
with db.transaction(isolation="serializable", retry=0):
    pass
assert_type(db.transaction(), Transaction)


@db.transaction()
def transfer(a: int, b: int, *, amount: Decimal) -> list[User]:
    return users.all()


assert_type(transfer(1, 2, amount=Decimal("3")), list[User])


@db.transaction(retry=3, isolation="serializable")
def bump(user_id: int) -> int:
    return users.update(User.id == user_id, User.score.set(User.score + 1.0))


assert_type(bump(1), int)
assert_type(db.run_in_transaction(lambda: users.count()), int)
db.on_commit(lambda: None)
with db as same:
    assert_type(same, Database)


with db.count_queries() as counter:
    assert_type(counter, QueryCounter)
    assert_type(counter.count, int)
    assert_type(counter.statements, list[str])
assert_type(Database.from_env("DATABASE_URL"), Database)


# --- hooks -------------------------------------------------------------------------------------
@users.before_insert
def normalise(user: User) -> User:
    return user.model_copy(update={"email": user.email.lower()})


assert_type(normalise, Callable[[User], User | None])


@users.after_insert
def inserted(user: User) -> None: ...


users.add_hook("before_update", lambda user: None)
add_hook(User, "after_delete", lambda user: None)


@hook(User, "before_insert")
def stamp(user: User) -> User:
    return user


assert_type(stamp(u), User)


# --- declaring models: field specifiers ------------------------------------------------------
class Article(Model):
    id: Col[int] = IntegerField(primary_key=True)
    title: Col[str] = CharField(max_length=200)
    body: Col[str] = TextField(default="")
    author_email: Col[str] = EmailField(unique=True)
    published: Col[bool] = BooleanField(default=False)
    views: Col[int] = column(default=0, ge=0)


a = Article(id=1, title="t", author_email="a@example.com")
assert_type(a.title, str)
assert_type(a.published, bool)
assert_type(Article.views, ColumnExpr[Article, int])
assert_type(Repository(Article, db).filter(Article.published == True).all(), list[Article])  # noqa: E712
