# pyright: strict
"""Expected errors: every line marked with an ``E:`` comment naming the mypy error code must be an
error in mypy --strict and in pyright strict, and no other line may be (test_typing.py compares
line numbers). Never executed.
"""

from __future__ import annotations

from decimal import Decimal

from typing_models import Order, User

from typedorm import Col, Database, Model, Repository, add_hook, column, func, select

db = Database("sqlite:///:memory:")
users = Repository(User, db)
u = User(name="ann", email="ann@example.com")
q = users.filter(User.age >= 18)

# --- comparing a column with a value of another type ------------------------------------
users.filter(User.age >= "18")  # E: operator
users.filter(User.name == 5)  # E: arg-type
users.filter(User.score < "high")  # E: operator
users.filter(User.age.between("a", "z"))  # E: arg-type
users.filter(User.age.in_(["a", "b"]))  # E: list-item
users.filter(User.name.startswith(1))  # E: arg-type

# --- predicates of another model, or not predicates at all ------------------------------
users.filter(True)  # E: arg-type
users.filter(Order.total > Decimal(3))  # E: arg-type
users.exclude(Order.user_id == 1)  # E: arg-type
users.delete(Order.id == 1)  # E: arg-type
q.filter(Order.id == 1)  # E: arg-type
users.filter((User.age > 1) & (Order.id > 1))  # E: operator
q.order_by(Order.id)  # E: arg-type

# --- wrong values for a column ----------------------------------------------------------
u.age = "x"  # E: assignment
u.name = None  # E: assignment
x: int = users.get_or_raise(1).age  # E: assignment
users.update(User.id == 1, User.age.set("old"))  # E: arg-type
users.update(User.id == 1, Order.total.set(Decimal(1)))  # E: arg-type
q.update(User.name.set(3))  # E: arg-type

# --- constructor: unknown, missing and mistyped arguments -------------------------------
User(name="ann", email="a@example.com", nickname="x")  # E: call-arg
User(name="ann")  # E: call-arg
User(name=2, email="a@example.com")  # E: arg-type
Order()  # E: call-arg

# --- results of another model or shape --------------------------------------------------
users.rows(select(Order.id))  # E: arg-type
q.rows(Order.id)  # E: arg-type
users.insert(Order(user_id=1))  # E: arg-type
name: int = users.rows(select(User.id, User.name))[0][1]  # E: assignment
first: User = users.get(1)  # E: assignment
count: str = q.count()  # E: assignment
q.into(int)  # E: type-var
select(User.id, User.name).into(dict)  # E: type-var
func.sum(User.name)  # E: type-var
func.lower(User.age)  # E: arg-type
nickname = users.get_or_raise(1).nickname  # E: attr-defined
u.nickname = "x"  # E: attr-defined


# --- transaction() as a decorator keeps the signature -----------------------------------
@db.transaction()
def transfer(a: int, b: int) -> None: ...


transfer("1", 2)  # E: arg-type


# --- hooks and transactions take the right kinds of arguments ---------------------------
@users.before_insert  # E: arg-type
def order_hook(order: Order) -> None: ...


add_hook(User, "before_create", lambda user: None)  # E: arg-type
db.transaction(isolation="sometimes")  # E: arg-type


# --- declarations: a default of the wrong type ------------------------------------------
class Bad(Model):
    id: Col[int] = column(default=0)
    n: Col[int] = column(default="x")  # E: arg-type
    s: Col[str] = column(default=None)  # E: arg-type
