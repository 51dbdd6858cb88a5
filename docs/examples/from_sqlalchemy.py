"""SQLAlchemy 2 idioms and their typedorm counterparts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from typedorm import (
    AUTO,
    PK,
    Col,
    Column,
    Database,
    ForeignKey,
    Model,
    Rel,
    RelList,
    Repository,
    column,
    func,
    relation,
    select,
)


# --8<-- [start:model]
class User(Model, table="user_account"):  # class User(Base): __tablename__ = "user_account"
    id: PK[int] = column(default=AUTO)  # id: Mapped[int] = mapped_column(primary_key=True)
    name: Annotated[Col[str], Column(max_length=30)]  # mapped_column(String(30))
    fullname: Col[str | None] = column(default=None)  # Mapped[Optional[str]]
    joined: Col[dt.datetime]  # Mapped[datetime]: aware datetimes only
    addresses: RelList[Address] = relation()  # relationship(back_populates="user")


class Address(Model, table="address"):
    id: PK[int] = column(default=AUTO)
    email: Col[str]
    user_id: Annotated[Col[int], ForeignKey(User.id)]  # mapped_column(ForeignKey("user_account.id"))
    user: Rel[User] = relation()  # relationship(back_populates="addresses")


# --8<-- [end:model]

db = Database("sqlite:///:memory:")
db.create_all(User, Address)
users, addresses = Repository(User, db), Repository(Address, db)
when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

# --8<-- [start:write]
# with Session(engine) as session: session.add(spongebob); session.commit()
sandy = users.insert(
    User(
        name="sandy",
        fullname="Sandy Cheeks",
        joined=when,
        addresses=[Address(email="sandy@x.org", user_id=0)],
    ),
    with_related=True,
)
users.insert(User(name="patrick", joined=when))
print(sandy.id, [a.email for a in sandy.addresses])
# --8<-- [end:write]

# --8<-- [start:query]
# session.scalars(select(User).where(User.name.in_(["sandy", "patrick"]))).all()
print([u.name for u in users.filter(User.name.in_(["sandy", "patrick"])).all()])
# session.scalars(select(User).where(User.addresses.any())).all()
print([u.name for u in users.filter(User.addresses.any()).all()])
# session.execute(select(Address.user_id, func.count()).group_by(Address.user_id)).all()
print(addresses.rows(select(Address.user_id, func.count()).group_by(Address.user_id)))
# selectinload(User.addresses): the only kind of loading there is; lazy="select" does not exist
loaded = users.order_by(User.id).load(User.addresses).all()
print([(u.name, len(u.addresses)) for u in loaded])
# session.execute(update(User).where(User.name == "patrick").values(fullname="Patrick Star"))
print(users.update(User.name == "patrick", User.fullname.set("Patrick Star")))
# session.execute(select(User.name).order_by(User.name.desc())).scalars().all()
print([name for (name,) in users.rows(select(User.name).order_by(User.name.desc()))])
# --8<-- [end:query]
