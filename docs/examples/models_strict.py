"""Strict models: no lax coercion of JSON strings into numbers."""

from typedorm import AUTO, PK, Col, Database, Model, Repository, ValidationError, column


# --8<-- [start:strict]
class Lax(Model, table="lax"):
    id: PK[int] = column(default=AUTO)
    age: Col[int]


class Strict(Model, table="strict", strict=True):
    id: PK[int] = column(default=AUTO)
    age: Col[int]


db = Database("sqlite:///:memory:")
db.create_all(Lax, Strict)
print(Repository(Lax, db).insert_json('{"age": "12"}'))  # lax: "12" becomes 12
try:
    Repository(Strict, db).insert_json('{"age": "12"}')
except ValidationError as e:
    print(e.fields, e.errors()[0]["type"])
print(Repository(Strict, db).insert_json('{"age": 12}'))
# --8<-- [end:strict]
