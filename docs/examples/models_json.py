"""JSON columns: dict, list and Pydantic models, validated on the way in and out."""

from typing import Any

from pydantic import BaseModel, Field

from typedorm import AUTO, PK, Col, Database, Model, Repository, ValidationError, column


# --8<-- [start:model]
class Prefs(BaseModel):
    theme: str = "light"
    font_size: int = Field(default=12, ge=8)


class Profile(Model):
    id: PK[int] = column(default=AUTO)
    prefs: Col[Prefs] = column(default_factory=Prefs)  # a model, stored as JSON
    labels: Col[list[str]] = column(default_factory=list[str])
    extra: Col[dict[str, Any]] = column(default_factory=dict[str, Any])


# --8<-- [end:model]

# --8<-- [start:use]
db = Database("sqlite:///:memory:")
db.create_all(Profile)
profiles = Repository(Profile, db)

p = profiles.insert(Profile(prefs=Prefs(theme="dark"), labels=["a"], extra={"k": [1, 2]}))
back = profiles.get_or_raise(p.id)
print(back.prefs.theme, back.prefs.font_size, back.labels, back.extra)

try:
    profiles.insert_json(b'{"prefs": {"font_size": 2}}')
except ValidationError as err:
    print(err.fields, err.errors()[0]["loc"])
# --8<-- [end:use]
