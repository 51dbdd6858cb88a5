"""The quickstart: declare a model, create its table, write and read typed rows."""

# --8<-- [start:imports]
from typing import Annotated

from pydantic import EmailStr

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, UniqueViolation, column, select

# --8<-- [end:imports]


# --8<-- [start:model]
class User(Model, table="users"):
    id: PK[int] = column(default=AUTO)  # assigned by the database on insert
    name: Annotated[Col[str], Column(max_length=100)]
    email: Annotated[Col[EmailStr], Column(unique=True)]
    age: Annotated[Col[int], Column(index=True)] = column(default=0, ge=0)


# --8<-- [end:model]

# --8<-- [start:database]
db = Database("sqlite:///:memory:")  # or "postgresql://...", "mysql://..."
db.create_all(User)  # CREATE TABLE users (...) and its index
users = Repository(User, db)  # a Repository[User]
# --8<-- [end:database]

# --8<-- [start:insert]
john = users.insert(User(name="John", email="john@example.com", age=30))
ann = users.insert_json(b'{"name": "Ann", "email": "ann@example.com", "age": 25}')
users.insert(User(name="Tim", email="tim@example.com", age=12))
print(john)
print(ann.id)
# --8<-- [end:insert]

# --8<-- [start:query]
adults = users.filter(User.age >= 18).order_by(User.age.desc()).all()  # list[User]
print([u.name for u in adults])
same = users.get(john.id)  # User | None
print(same == john)
n = users.filter_by(age__gte=18, name__startswith="J").count()  # Django-style lookups
print(n)
# --8<-- [end:query]

# --8<-- [start:update]
users.update(User.id == john.id, User.age.set(31))  # UPDATE users SET age = ? WHERE id = ?
print(users.get_or_raise(john.id).age)
pairs = users.rows(select(User.id, User.name).where(User.age >= 18))  # list[tuple[int, str]]
print(sorted(pairs))
# --8<-- [end:update]

# --8<-- [start:errors]
try:
    users.insert(User(name="Johnny", email="john@example.com"))
except UniqueViolation as e:
    print("duplicate:", e.fields)
# --8<-- [end:errors]

# --8<-- [start:delete]
with db.transaction():  # nested transactions become savepoints
    users.delete(john)
print([u.name for u in users.order_by("name").all()])
db.close()
# --8<-- [end:delete]
