"""What the type checker knows: every result type, checked by mypy --strict and pyright strict."""

from decimal import Decimal
from typing import assert_type

from typedorm import (
    AUTO,
    PK,
    Col,
    ColumnExpr,
    Database,
    Model,
    Page,
    Predicate,
    Query,
    Repository,
    column,
    func,
    select,
)


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int | None] = column(default=None)


class Order(Model, table="orders"):
    id: PK[int] = column(default=AUTO)
    user_id: Col[int]
    total: Col[Decimal]


db = Database("sqlite:///:memory:")
db.create_all(User, Order)
users = Repository(User, db)
users.insert(User(name="Ann", age=31))

# --8<-- [start:types]
assert_type(User.age, ColumnExpr[User, int | None])  # on the class: a column expression
assert_type(User(name="x").age, int | None)  # on an instance: the value
assert_type(User.age >= 18, Predicate[User])
assert_type(users.filter(User.age >= 18), Query[User])
assert_type(users.get(1), User | None)
assert_type(users.filter(User.age >= 18).all(), list[User])
assert_type(users.query().rows(User.id, User.name), list[tuple[int, str]])
assert_type(users.rows(select(User.name, func.count()).group_by(User.name)), list[tuple[str, int]])
assert_type(users.query().avg(User.age), float | None)
assert_type(Repository(Order, db).query().sum(Order.total), Decimal | None)
assert_type(users.paginate(1, 10), Page[User])
print(users.query().rows(User.id, User.name))
# --8<-- [end:types]
