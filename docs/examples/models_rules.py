"""The value rules every backend shares: integer ranges and text in keys."""

from typing import Annotated

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, ValidationError, column


# --8<-- [start:ranges]
class Counter(Model, table="counters"):
    id: PK[int] = column(default=AUTO)
    total: Col[int]  # signed 64-bit on every backend
    small: Annotated[Col[int], Column(sql_type="SMALLINT")] = column(default=0)  # -32768 ... 32767
    code: Annotated[Col[str], Column(unique=True)]  # a key without max_length: at most 255 characters


db = Database("sqlite:///:memory:")
db.create_all(Counter)
counters = Repository(Counter, db)
for payload in (
    '{"total": 9223372036854775808, "code": "a"}',  # 2**63
    '{"total": 1, "small": 40000, "code": "b"}',
    '{"total": 1, "code": "' + "x" * 256 + '"}',
):
    try:
        counters.insert_json(payload)
    except ValidationError as e:
        print(e.fields, e.errors()[0]["msg"])
print(counters.count(), Counter.model_json_schema()["properties"]["small"]["maximum"])
# --8<-- [end:ranges]
