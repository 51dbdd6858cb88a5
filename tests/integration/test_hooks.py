"""Write hooks: per repository (decorators) and per model (typedorm.hook), run transactionally."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from models import Event, User

import typedorm
from typedorm import AUTO, PK, Col, Database, Model, Repository, column


class Boom(Exception):
    pass


@pytest.fixture
def users(db: Database) -> Iterator[Repository[User]]:
    db.create_all(User, Event)
    yield Repository(User, db)


@pytest.fixture
def events(db: Database, users: Repository[User]) -> Repository[Event]:
    return Repository(Event, db)


def _u(name: str, age: int = 0) -> User:
    return User(name=name, email=f"{name.lower()}@example.com", age=age)


def _count(db: Database, table: str) -> int:
    n = db.execute(f"SELECT COUNT(*) FROM {table}").scalar()
    assert isinstance(n, int)
    return n


# --- per repository -------------------------------------------------------------------------
def test_hooks_run_in_order_with_the_right_objects(users: Repository[User]) -> None:
    calls: list[tuple[str, object]] = []

    @users.before_insert
    def bi(u: User) -> None:
        calls.append(("before_insert", u.name))

    @users.after_insert
    def ai(u: User) -> None:
        calls.append(("after_insert", u.id))  # the stored row: id is set

    @users.before_update
    def bu(u: User) -> None:
        calls.append(("before_update", u.age))

    @users.after_update
    def au(u: User) -> None:
        calls.append(("after_update", u.age))

    @users.before_delete
    def bd(u: User) -> None:
        calls.append(("before_delete", u.id))

    @users.after_delete
    def ad(u: User) -> None:
        calls.append(("after_delete", u.id))

    assert bi.__name__ == "bi"  # the decorator returns the function
    a = users.insert(_u("A"))
    users.update(a.model_copy(update={"age": 5}))
    users.delete(a)
    assert calls == [
        ("before_insert", "A"),
        ("after_insert", a.id),
        ("before_update", 5),
        ("after_update", 5),
        ("before_delete", a.id),
        ("after_delete", a.id),
    ]


def test_hooks_are_per_repository(db: Database, users: Repository[User]) -> None:
    seen: list[str] = []
    users.before_insert(lambda u: seen.append(u.name))
    plain = Repository(User, db)
    plain.insert(_u("Plain"))
    users.insert(_u("Hooked"))
    assert seen == ["Hooked"]


def test_before_insert_may_replace_the_instance(users: Repository[User], db: Database) -> None:
    @users.before_insert
    def normalise(u: User) -> User:
        return u.model_copy(update={"email": u.email.lower(), "name": u.name.strip().title()})

    stored = users.insert(User(name="  ann smith ", email="Ann@Example.COM"))
    assert (stored.name, stored.email) == ("Ann Smith", "ann@example.com")
    assert db.execute("SELECT name, email FROM users").first() == ("Ann Smith", "ann@example.com")
    many = users.insert_many(
        [User(name="bob", email="BOB@example.com"), User(name="cy", email="Cy@example.com")]
    )
    assert [(u.name, u.email) for u in many] == [("Bob", "bob@example.com"), ("Cy", "cy@example.com")]


def test_before_hook_returning_a_wrong_type_is_rejected(users: Repository[User], db: Database) -> None:
    users.before_insert(lambda u: "nope")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError):
        users.insert(_u("A"))
    assert _count(db, "users") == 0


def test_hooks_write_in_the_same_transaction(
    users: Repository[User], events: Repository[Event], db: Database
) -> None:
    @users.after_insert
    def audit(u: User) -> None:
        events.insert(Event(kind="insert", ref=u.id))

    a = users.insert(_u("A"))
    assert events.query().values_list("kind", "ref") == [("insert", a.id)]


# --- exceptions roll back -----------------------------------------------------------------------
def test_exception_in_before_insert_writes_nothing(
    users: Repository[User], events: Repository[Event], db: Database
) -> None:
    @users.before_insert
    def guard(u: User) -> None:
        events.insert(Event(kind="attempt"))  # a write the hook itself made
        if u.name == "Bad":
            raise Boom

    with pytest.raises(Boom):
        users.insert(_u("Bad"))
    assert _count(db, "users") == 0
    assert _count(db, "events") == 0
    with pytest.raises(Boom):
        users.insert_many([_u("Good1"), _u("Bad"), _u("Good2")])
    assert _count(db, "users") == 0
    assert _count(db, "events") == 0


def test_exception_in_after_insert_rolls_the_row_back(
    users: Repository[User], events: Repository[Event], db: Database
) -> None:
    @users.after_insert
    def audit(u: User) -> None:
        events.insert(Event(kind="insert", ref=u.id))

    @users.after_insert
    def fail(u: User) -> None:
        raise Boom

    with pytest.raises(Boom):
        users.insert(_u("A"))
    with pytest.raises(Boom):
        users.insert_many([_u("B"), _u("C")])
    with pytest.raises(Boom):
        users.insert_json(b'{"name": "D", "email": "d@example.com"}')
    assert _count(db, "users") == 0
    assert _count(db, "events") == 0


def test_exception_in_update_hooks_rolls_back(users: Repository[User], db: Database) -> None:
    a = users.insert(_u("A", 1))
    flag = {"where": "before"}

    @users.before_update
    def bu(u: User) -> None:
        if flag["where"] == "before":
            raise Boom

    @users.after_update
    def au(u: User) -> None:
        if flag["where"] == "after":
            raise Boom

    with pytest.raises(Boom):
        users.update(a.model_copy(update={"age": 2}))
    flag["where"] = "after"
    with pytest.raises(Boom):
        users.update(a.model_copy(update={"age": 3}))
    with pytest.raises(Boom):
        users.patch(a.id, {"age": 4})
    assert db.execute("SELECT age FROM users").scalar() == 1


def test_exception_in_delete_hooks_rolls_back(
    users: Repository[User], events: Repository[Event], db: Database
) -> None:
    a = users.insert(_u("A"))
    flag = {"where": "before"}

    @users.before_delete
    def bd(u: User) -> None:
        events.insert(Event(kind="delete", ref=u.id))
        if flag["where"] == "before":
            raise Boom

    @users.after_delete
    def ad(u: User) -> None:
        if flag["where"] == "after":
            raise Boom

    with pytest.raises(Boom):
        users.delete(a)
    flag["where"] = "after"
    with pytest.raises(Boom):
        users.delete(a)
    assert _count(db, "users") == 1
    assert _count(db, "events") == 0
    flag["where"] = "none"
    users.delete(a)
    assert _count(db, "users") == 0
    assert _count(db, "events") == 1


def test_hook_failure_inside_an_outer_transaction_keeps_outer_work(
    users: Repository[User], db: Database
) -> None:
    @users.before_insert
    def guard(u: User) -> None:
        if u.name == "Bad":
            raise Boom

    with db.transaction():
        users.insert(_u("Good"))
        with pytest.raises(Boom):
            with db.transaction():
                users.insert(_u("Bad"))
    assert users.query().values_list("name") == [("Good",)]


# --- per model ---------------------------------------------------------------------------------
def _local_model() -> type[Model]:
    # A fresh class per test: model-level hooks are registered on the class itself.
    class Tagged(Model, table="tagged"):
        id: PK[int] = column(default=AUTO)
        label: Col[str]
        stamp: Col[str] = column(default="")

    return Tagged


def test_model_level_hooks_apply_to_every_repository(db: Database) -> None:
    Tagged = _local_model()
    db.create_all(Tagged)
    seen: list[str] = []

    @typedorm.hook(Tagged, "before_insert")
    def stamp(obj: Model) -> Model:
        return obj.model_copy(update={"stamp": "hooked"})

    typedorm.add_hook(Tagged, "after_insert", lambda obj: seen.append(obj.label))  # type: ignore[attr-defined]

    r1 = Repository(Tagged, db)
    r2 = Repository(Tagged, db)
    a = r1.insert(Tagged(label="one"))  # type: ignore[call-arg]
    b = r2.insert(Tagged(label="two"))  # type: ignore[call-arg]
    assert (a.stamp, b.stamp) == ("hooked", "hooked")  # type: ignore[attr-defined]
    assert seen == ["one", "two"]
    assert [r[0] for r in db.execute("SELECT stamp FROM tagged").rows] == ["hooked", "hooked"]


def test_model_level_hook_exception_rolls_back(db: Database) -> None:
    Tagged = _local_model()
    db.create_all(Tagged)

    @typedorm.hook(Tagged, "after_insert")
    def fail(obj: Model) -> None:
        raise Boom

    with pytest.raises(Boom):
        Repository(Tagged, db).insert(Tagged(label="x"))  # type: ignore[call-arg]
    assert _count(db, "tagged") == 0


def test_model_hooks_run_before_repository_hooks(db: Database) -> None:
    Tagged = _local_model()
    db.create_all(Tagged)
    order: list[str] = []
    typedorm.hook(Tagged, "before_insert")(lambda o: order.append("model"))
    repo = Repository(Tagged, db)
    repo.before_insert(lambda o: order.append("repo"))
    repo.insert(Tagged(label="x"))  # type: ignore[call-arg]
    assert order == ["model", "repo"]


def test_unknown_hook_event(users: Repository[User]) -> None:
    with pytest.raises(ValueError):
        users.add_hook("before_explode", lambda u: None)  # type: ignore[arg-type]


def test_async_hook_in_a_sync_repository_is_refused(users: Repository[User], db: Database) -> None:
    # An awaitable result would otherwise be dropped unawaited: the hook would silently not run.
    async def later(u: User) -> None:
        raise AssertionError("never awaited")

    users.after_insert(later)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"awaitable.*AsyncRepository"):
        users.insert(_u("A"))
    with pytest.raises(TypeError, match=r"awaitable"):
        users.insert_many([_u("B")])
    assert _count(db, "users") == 0


def test_model_level_async_hook_in_a_sync_repository_is_refused(db: Database) -> None:
    Tagged = _local_model()
    db.create_all(Tagged)

    async def stamp(obj: Model) -> Model:
        return obj

    typedorm.add_hook(Tagged, "before_insert", stamp)
    with pytest.raises(TypeError, match=r"awaitable"):
        Repository(Tagged, db).insert(Tagged(label="x"))  # type: ignore[call-arg]
    assert _count(db, "tagged") == 0
