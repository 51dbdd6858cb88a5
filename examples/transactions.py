"""Transactions: commit, rollback, savepoints, on-commit callbacks and retried units of work."""

from __future__ import annotations

import sys

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class Account(Model):
    id: PK[int] = column(default=AUTO)
    owner: Col[str]
    balance: Col[int] = column(default=0, ge=0)


def main(url: str = "sqlite:///:memory:") -> None:
    with Database(url) as db:
        db.create_all(Account)
        accounts = Repository(Account, db)
        a = accounts.insert(Account(owner="a", balance=100))
        b = accounts.insert(Account(owner="b", balance=0))

        @db.transaction(retry=3)  # re-run on serialization failures and deadlocks only
        def transfer(src: int, dst: int, amount: int) -> None:
            accounts.update(Account.id == src, Account.balance.set(Account.balance - amount))
            accounts.update(Account.id == dst, Account.balance.set(Account.balance + amount))
            db.on_commit(lambda: print(f"committed: {amount} from {src} to {dst}"))

        transfer(a.id, b.id, 30)

        with db.transaction():
            accounts.update(Account.id == a.id, Account.balance.set(Account.balance - 10))
            try:
                with db.transaction():  # a savepoint
                    accounts.update(Account.id == b.id, Account.balance.set(Account.balance + 1000))
                    raise RuntimeError("changed my mind")
            except RuntimeError:
                pass  # the inner block is rolled back, the outer work is kept

        print("balances:", {x.owner: x.balance for x in accounts.all()})


if __name__ == "__main__":
    main(*sys.argv[1:2])
