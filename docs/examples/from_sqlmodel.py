"""A SQLModel app ported to typedorm: the hero tutorial's model and queries."""

from typing import Annotated

import pydantic

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, column, select


# --8<-- [start:model]
class Hero(Model, table="hero"):  # SQLModel: class Hero(SQLModel, table=True)
    id: PK[int] = column(default=AUTO)  # Field(default=None, primary_key=True): no Optional id
    name: Annotated[Col[str], Column(index=True)]  # Field(index=True)
    secret_name: Col[str]
    age: Annotated[Col[int | None], Column(index=True)] = column(default=None)


# --8<-- [end:model]

# --8<-- [start:session]
db = Database("sqlite:///:memory:")  # create_engine(...)
db.create_all(Hero)  # SQLModel.metadata.create_all(engine)
heroes = Repository(Hero, db)  # with Session(engine) as session: ...

deadpond = heroes.insert(Hero(name="Deadpond", secret_name="Dive Wilson"))  # add + commit + refresh
heroes.insert_many(
    [
        Hero(name="Spider-Boy", secret_name="Pedro Parqueador"),
        Hero(name="Rusty-Man", secret_name="Tommy Sharp", age=48),
    ]
)
print(deadpond.id)
# --8<-- [end:session]

# --8<-- [start:select]
# session.exec(select(Hero).where(col(Hero.age) >= 35)).all(): no col() needed
print([h.name for h in heroes.filter(Hero.age >= 35).all()])
# session.exec(select(Hero).where(Hero.name == "Deadpond")).first()
print(heroes.filter(Hero.name == "Deadpond").first())
# session.get(Hero, 1)
print(heroes.get(1))
# session.exec(select(Hero).offset(1).limit(1)).all()
print([h.name for h in heroes.order_by(Hero.id).offset(1).limit(1).all()])
# session.exec(select(Hero.id, Hero.name)).all(): typed list[tuple[int, str]]
print(heroes.rows(select(Hero.id, Hero.name).order_by(Hero.id)))
# --8<-- [end:select]

# --8<-- [start:update]
# hero.age = 16; session.add(hero); session.commit(); session.refresh(hero)
spider = heroes.filter(Hero.name == "Spider-Boy").one()
spider.age = 16  # validated on assignment
print(heroes.update(spider).age)
# session.delete(hero); session.commit()
heroes.delete(deadpond)
print(heroes.count())
# --8<-- [end:update]

# --8<-- [start:validation]
# A SQLModel table model does not validate Hero(age="old"); a typedorm model always does.
try:
    Hero(name="X", secret_name="Y", age="old")  # type: ignore[arg-type]
except pydantic.ValidationError as e:  # construction raises Pydantic's own error
    print(e.errors()[0]["loc"], e.errors()[0]["type"])
# --8<-- [end:validation]
