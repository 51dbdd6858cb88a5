"""Mistakes the type checkers reject (this file is checked with each line's error expected)."""

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int] = column(default=0)


class Order(Model, table="orders"):
    id: PK[int] = column(default=AUTO)
    total: Col[int]


users = Repository(User, Database("sqlite:///:memory:"))

# --8<-- [start:errors]
users.filter(User.age >= "18")  # E: int column compared with str
users.filter(Order.total > 3)  # E: a Predicate[Order] is not a Predicate[User]
users.update(User.id == 1, User.age.set("x"))  # E: str is not int
User(name=1)  # E: int is not str
name: int = users.get_or_raise(1).name  # E: the result is a str


class Team(Model):
    id: PK[int] = column(default=AUTO)
    size: Col[int] = 0  # E: a bare default; write column(default=0)


# --8<-- [end:errors]
