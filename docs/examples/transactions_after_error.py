"""What happens when a statement fails inside a transaction and the error is caught."""

from typing import Annotated

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    Model,
    Repository,
    TransactionAborted,
    UniqueViolation,
    column,
)


class Account(Model, table="accounts"):
    id: PK[int] = column(default=AUTO)
    owner: Annotated[Col[str], Column(unique=True, max_length=20)]


db = Database.from_env("DATABASE_URL")  # sqlite:///..., postgresql://... or mysql://...
db.create_all(Account)
accounts = Repository(Account, db)
accounts.insert(Account(owner="ann"))

# --8<-- [start:caught]
try:
    with db.transaction():
        accounts.insert(Account(owner="bob"))
        try:
            accounts.insert(Account(owner="ann"))  # fails: duplicate
        except UniqueViolation:
            print("duplicate caught inside the transaction")
        accounts.insert(Account(owner="cy"))  # refused: the transaction is aborted
except TransactionAborted as e:
    print(f"{type(e).__name__}: caused by {type(e.error).__name__}, chained: {e.__cause__ is e.error}")
print(sorted(a.owner for a in accounts.all()))  # nothing of the block was stored
# --8<-- [end:caught]

# --8<-- [start:commit]
try:
    with db.transaction():
        accounts.insert(Account(owner="bob"))
        try:
            accounts.insert(Account(owner="ann"))
        except UniqueViolation:
            pass  # swallowed, but the commit still refuses
except TransactionAborted as e:
    print(f"the commit raised {type(e).__name__} ({type(e.error).__name__})")
print(sorted(a.owner for a in accounts.all()))
# --8<-- [end:commit]

# --8<-- [start:savepoint]
with db.transaction():
    accounts.insert(Account(owner="dee"))
    try:
        with db.transaction():  # a savepoint: only this block is undone
            accounts.insert(Account(owner="ann"))
    except UniqueViolation:
        print("duplicate rolled back to the savepoint")
    accounts.insert(Account(owner="eve"))
print(sorted(a.owner for a in accounts.all()))
db.drop_all(Account)
db.close()
# --8<-- [end:savepoint]
