"""The statements a transaction with an isolation level sends on each backend."""

import logging

from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class Counter(Model, table="counters"):
    id: PK[int] = column(default=AUTO)
    value: Col[int] = column(default=0)


db = Database.from_env("DATABASE_URL")
db.create_all(Counter)
counters = Repository(Counter, db)
c = counters.insert(Counter())


# --8<-- [start:isolation]
class Print(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        print(" ", record.getMessage().split(" | ")[0])  # the statement, without its timing


sql_log = logging.getLogger("typedorm.sql")  # every statement is logged here at DEBUG
sql_log.addHandler(Print())
sql_log.setLevel(logging.DEBUG)
print(db.dialect.name)
with db.transaction(isolation="serializable"):
    counters.update(Counter.id == c.id, Counter.value.set(Counter.value + 1))
sql_log.setLevel(logging.WARNING)
print(counters.get_or_raise(c.id).value)
# --8<-- [end:isolation]
db.drop_all(Counter)
db.close()
