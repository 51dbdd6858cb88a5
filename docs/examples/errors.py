"""Every typedorm error, raised for real on SQLite, with what it carries."""

from typing import Annotated

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    ConfigurationError,
    Database,
    ForeignKey,
    InvalidArgument,
    InvalidValue,
    Model,
    ModelDefinitionError,
    MultipleResultsFound,
    NotFound,
    Repository,
    TransactionAborted,
    TransactionError,
    UniqueViolation,
    UnknownField,
    UnknownLookup,
    UnsetValueError,
    column,
    errors,
)


# --8<-- [start:tree]
def tree(cls: type[BaseException], depth: int = 0) -> None:
    print("    " * depth + cls.__name__)
    for sub in cls.__subclasses__():
        if sub.__module__ == errors.__name__:
            tree(sub, depth + 1)


tree(errors.TypedORMError)
# --8<-- [end:tree]


class Team(Model, table="teams"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(unique=True, max_length=20)]


class Player(Model, table="players", checks=[("ck_players_number", "number > 0")]):
    id: PK[int] = column(default=AUTO)
    team_id: Annotated[Col[int], ForeignKey(Team.id)]
    number: Col[int]


db = Database("sqlite:///:memory:")
db.create_all(Team, Player)
teams, players = Repository(Team, db), Repository(Player, db)
red = teams.insert(Team(name="red"))
players.insert_many([Player(team_id=red.id, number=1), Player(team_id=red.id, number=2)])

# --8<-- [start:validation]
for payload in (
    b'{"name": "a name that is far too long"}',
    b'{"id": 7, "name": "blue"}',  # id is AUTO: read-only in payloads
):
    try:
        teams.insert_json(payload)
    except errors.ValidationError as e:
        print(type(e).__name__, e.fields, e.errors()[0]["type"])
try:
    players.insert_json(f'{{"team_id": {red.id}, "number": {2**70}}}')  # beyond signed 64 bits
except errors.ValidationError as e:
    print(type(e).__name__, e.fields, e.errors()[0]["type"])
# --8<-- [end:validation]

# --8<-- [start:query-values]
for value in ([1, 2], "seven"):  # a list where one int is expected; text that is not an int
    try:
        players.filter_by(number=value).all()
    except InvalidValue as e:
        print(
            f"InvalidValue: fields={e.fields} (bases: {', '.join(c.__name__ for c in InvalidValue.__bases__)})"
        )
try:
    players.limit(-1)
except InvalidArgument as e:
    print(f"InvalidArgument: {e} (argument={e.argument!r})")
# --8<-- [end:query-values]

# --8<-- [start:integrity]
for attempt in (
    lambda: teams.insert(Team(name="red")),
    lambda: players.insert(Player(team_id=999, number=7)),
    lambda: db.execute("INSERT INTO players (team_id, number) VALUES (?, ?)", (red.id, 0)),
    lambda: db.execute("INSERT INTO teams (name) VALUES (NULL)"),
):
    try:
        attempt()
    except errors.IntegrityError as e:
        print(f"{type(e).__name__}: table={e.table} fields={e.fields} constraint={e.constraint}")
# --8<-- [end:integrity]

# --8<-- [start:data]
try:  # raw SQL skips the model's validation: the database (here, the driver) refuses the value
    db.execute("INSERT INTO players (team_id, number) VALUES (?, ?)", (red.id, 2**70))
except errors.DataError as e:
    print(f"{type(e).__name__}: {e} (model={e.model}, field={e.field})")
# --8<-- [end:data]

# --8<-- [start:aborted]
try:
    with db.transaction():
        try:
            teams.insert(Team(name="red"))  # a duplicate
        except UniqueViolation:
            pass  # caught, but the transaction is aborted
        teams.insert(Team(name="green"))
except TransactionAborted as e:
    print(
        f"TransactionAborted after {type(e.error).__name__}; green stored: {teams.filter_by(name='green').exists()}"
    )
# --8<-- [end:aborted]

# --8<-- [start:lookups]
for query in (
    lambda: teams.get_or_raise(42),
    lambda: players.filter(Player.number > 0).one(),
    lambda: teams.filter_by(colour="red"),
    lambda: teams.filter_by(name__like_a_fish="red"),
    lambda: teams.order_by("-colour"),
):
    try:
        query()
    except (NotFound, MultipleResultsFound, UnknownField, UnknownLookup) as e:
        print(f"{type(e).__name__}: {e}")
# --8<-- [end:lookups]

# --8<-- [start:usage]
try:
    print(Team(name="blue").id)  # AUTO: assigned by the database on insert
except UnsetValueError as e:
    print("UnsetValueError:", e)
try:

    class Broken(Model):
        id: PK[int] = column(default=AUTO)
        other: PK[int]  # two primary keys without primary_key=(...)

except ModelDefinitionError as e:
    print("ModelDefinitionError:", e)
try:
    Database("oracle://scott@db/orcl")
except ConfigurationError as e:
    print("ConfigurationError:", e)
try:
    with db.transaction(), db.transaction(isolation="serializable"):
        pass
except TransactionError as e:
    print("TransactionError:", e)
# --8<-- [end:usage]
