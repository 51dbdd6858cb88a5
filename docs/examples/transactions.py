"""Transactions: commit and rollback, savepoints, the decorator with retry, and on_commit."""

from typedorm import AUTO, PK, Col, Database, Model, Repository, ValidationError, column


class Account(Model):
    id: PK[int] = column(default=AUTO)
    owner: Col[str]
    balance: Col[int] = column(default=0, ge=0)


db = Database("sqlite:///:memory:")
db.create_all(Account)
accounts = Repository(Account, db)
a = accounts.insert(Account(owner="a", balance=100))
b = accounts.insert(Account(owner="b", balance=0))


def balances() -> dict[str, int]:
    return {x.owner: x.balance for x in accounts.order_by(Account.id).all()}


# --8<-- [start:block]
try:
    with db.transaction():
        accounts.update(Account.id == a.id, Account.balance.set(Account.balance - 50))
        raise RuntimeError("power cut")  # any exception rolls the whole block back
except RuntimeError:
    pass
print(balances())
# --8<-- [end:block]

# --8<-- [start:savepoint]
with db.transaction():
    accounts.update(Account.id == a.id, Account.balance.set(Account.balance - 10))
    try:
        with db.transaction():  # nested: a SAVEPOINT
            accounts.update(Account.id == b.id, Account.balance.set(Account.balance + 1000))
            raise RuntimeError("changed my mind")
    except RuntimeError:
        pass  # only the inner block is undone
print(balances())
# --8<-- [end:savepoint]


# --8<-- [start:decorator]
@db.transaction(retry=3)  # re-run on SerializationFailure / Deadlock only, up to 3 times
def transfer(src: int, dst: int, amount: int) -> None:
    accounts.update(Account.id == src, Account.balance.set(Account.balance - amount))
    accounts.update(Account.id == dst, Account.balance.set(Account.balance + amount))
    db.on_commit(lambda: print(f"committed: {amount} from {src} to {dst}"))  # after COMMIT only


transfer(a.id, b.id, 30)
print(balances())
# --8<-- [end:decorator]

# --8<-- [start:run]
total = db.run_in_transaction(lambda: sum(balances().values()), retry=3)
print(total, db.in_transaction())
# --8<-- [end:run]

# --8<-- [start:failed-commit]
try:
    with db.transaction():
        db.on_commit(lambda: print("never printed"))
        accounts.update(Account.id == b.id, Account.balance.set(Account.balance + 5))
        accounts.update(Account.id == a.id, Account.balance.set(-1))  # ge=0 refuses it
except ValidationError as e:
    print(type(e).__name__, e.fields)
print(balances())
# --8<-- [end:failed-commit]
