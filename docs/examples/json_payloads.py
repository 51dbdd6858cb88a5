"""JSON payloads straight into rows, partial updates, and JSON out."""

from typing import Annotated

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    Model,
    Repository,
    UniqueViolation,
    ValidationError,
    column,
)


class Customer(Model):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]
    email: Annotated[Col[str], Column(unique=True)]
    credit: Col[int] = column(default=0, ge=0)


db = Database("sqlite:///:memory:")
db.create_all(Customer)
customers = Repository(Customer, db)

# --8<-- [start:insert]
ann = customers.insert_json(b'{"name": "Ann", "email": "ann@example.com", "credit": 10}')
batch = customers.insert_many_json(
    '[{"name": "Bo", "email": "bo@example.com"}, {"name": "Cy", "email": "cy@example.com"}]'
)
print(ann, [c.id for c in batch])
# --8<-- [end:insert]

# --8<-- [start:errors]
for bad in (
    b'{"name": "Dee", "email": "dee@example.com", "credit": -5}',
    b'{"email": "dee@example.com"}',
    b'{"name": "Dee", "email": "ann@example.com"}',
):
    try:
        customers.insert_json(bad)
    except ValidationError as e:
        print("invalid:", e.fields, e.errors()[0]["msg"])
    except UniqueViolation as e:
        print("duplicate:", e.fields)
print(customers.count())  # nothing of the above was written
# --8<-- [end:errors]

# --8<-- [start:patch]
updated = customers.patch(ann.id, b'{"credit": 99}')  # writes only "credit"
print(updated)
try:
    customers.patch(ann.id, {"credit": "lots"})
except ValidationError as e:
    print("invalid:", e.fields)
# --8<-- [end:patch]

# --8<-- [start:auto]
try:
    customers.insert_json(b'{"id": 7, "name": "Eve", "email": "eve@example.com"}')
except ValidationError as e:
    print("read-only:", e.fields, e.errors()[0]["type"])
try:
    customers.patch(ann.id, b'{"id": 8}')
except ValidationError as e:
    print("read-only:", e.fields, e.errors()[0]["type"])
imported = customers.insert_json(b'{"id": 7, "name": "Eve", "email": "eve@example.com"}', allow_auto=True)
print(imported.id, customers.insert_json(b'{"name": "Fay", "email": "fay@example.com"}').id)
# --8<-- [end:auto]

# --8<-- [start:out]
print(updated.model_dump_json())
print(Customer.model_json_schema()["required"])
# --8<-- [end:out]
