"""Column options and class keywords, and the DDL they produce."""

import datetime as dt
from typing import Annotated

from typedorm import AUTO, PK, SQL, Col, Column, Database, ForeignKey, Model, column


# --8<-- [start:model]
class Team(Model, table="teams"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50, unique=True)]


class Player(
    Model,
    table="players",
    unique=[("team_id", "number")],  # a composite UNIQUE constraint
    indexes=[("team_id", "name")],  # a composite index
    checks=[("ck_players_number", "number BETWEEN 1 AND 99")],
):
    id: PK[int] = column(default=AUTO)
    team_id: Annotated[Col[int], ForeignKey(Team.id, on_delete="cascade")]
    name: Annotated[Col[str], Column(max_length=100, min_length=1, index=True)]
    number: Col[int] = column(ge=1, le=99)  # validated by Pydantic as well
    nickname: Annotated[Col[str | None], Column(name="nick", comment="shown on the shirt")] = column(
        default=None
    )
    rating: Annotated[Col[int], Column(server_default=0)] = column(default=AUTO)  # a literal
    status: Annotated[Col[str], Column(server_default="it's new", max_length=20)] = column(default=AUTO)
    joined: Annotated[Col[dt.datetime], Column(server_default=SQL("CURRENT_TIMESTAMP"))] = column(
        default=AUTO
    )


# --8<-- [end:model]

# --8<-- [start:ddl]
db = Database("sqlite:///:memory:")
with db.count_queries() as counter:
    db.create_all(Team, Player)
for statement in counter.statements:
    print(statement)
# --8<-- [end:ddl]
