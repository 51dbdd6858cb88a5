"""Models and operations shared by the stateful cache test and its second process (_cache_worker.py)."""

from __future__ import annotations

from typing import Annotated, Any

from typedorm import AUTO, PK, Col, Database, ForeignKey, Model, Rel, RelList, Repository, column, relation


class HUser(Model, table="h_users"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int] = column(default=0)
    posts: RelList[HPost] = relation(order_by="id")


class HPost(Model, table="h_posts"):
    id: PK[int] = column(default=AUTO)
    author_id: Annotated[Col[int], ForeignKey(HUser.id, on_delete="cascade")]
    title: Col[str]
    author: Rel[HUser] = relation()


MODELS = (HUser, HPost)
NAMES = ("ann", "bob", "cy")


def read(db: Database, name: str, arg: Any, cached: bool) -> Any:
    """One of a fixed set of reads, as JSON-ready data."""
    users, posts = Repository(HUser, db), Repository(HPost, db)
    uq = users.cached() if cached else users.query()
    pq = posts.cached() if cached else posts.query()
    if name == "get":
        ids = [r[0] for r in users.query().order_by(HUser.id).rows(HUser.id)]
        u = users.get(ids[arg % len(ids)] + arg % 2 if ids else arg, cached=cached)
        return None if u is None else u.model_dump(mode="json")
    if name == "adults":
        return [u.model_dump(mode="json") for u in uq.filter(HUser.age >= arg).order_by(HUser.id).all()]
    if name == "by_author":
        return [
            p.model_dump(mode="json")
            for p in pq.filter(HPost.author.has(HUser.name == NAMES[arg % 3])).order_by(HPost.id).all()
        ]
    if name == "count_posts":
        return pq.count()
    if name == "with_posts":
        return [[u.id, [p.title for p in u.posts]] for u in uq.load(HUser.posts).order_by(HUser.id).all()]
    if name == "ages":
        return [list(r) for r in uq.order_by(HUser.id).rows(HUser.id, HUser.age)]
    raise ValueError(name)


READS = ("get", "adults", "by_author", "count_posts", "with_posts", "ages")


def write(db: Database, name: str, a: int, b: int) -> None:
    """One of a fixed set of writes (never an error: targets that do not exist are skipped)."""
    users, posts = Repository(HUser, db), Repository(HPost, db)
    ids = [r[0] for r in users.query().order_by(HUser.id).rows(HUser.id)]
    a = ids[a % len(ids)] if ids else 0  # the a-th user (ids grow across examples)
    if name == "insert_user":
        users.insert(HUser(name=NAMES[a % 3], age=b))
    elif name == "update_age":
        users.update(HUser.id == a, HUser.age.set(b))
    elif name == "rename":
        users.filter(HUser.id == a).update(HUser.name.set(NAMES[b % 3]))
    elif name == "delete_user":
        users.filter(HUser.id == a).delete()  # cascades to h_posts
    elif name == "insert_post":
        if users.get(a) is not None:
            posts.insert(HPost(author_id=a, title=f"p{b}"))
    elif name == "delete_posts":
        posts.filter(HPost.author_id == a).delete()
    elif name == "update_obj":
        u = users.get(a)
        if u is not None:
            u.age = b
            users.update(u)
    elif name == "delete_obj":
        u = users.get(a)
        if u is not None:
            users.delete(u)  # by key; cascades to h_posts
    elif name == "update_in":
        users.update(HUser.id.in_(ids[b % 3 :: 2] or [a]), HUser.age.set(b))
    elif name == "raw_touches":
        db.execute("UPDATE h_users SET age = age + ? WHERE id = ?", (b, a), touches=[HUser])
    elif name == "raw_all":
        db.execute("UPDATE h_posts SET title = ? WHERE author_id = ?", (f"raw{b}", a))
    else:
        raise ValueError(name)


WRITES = (
    "insert_user",
    "update_age",
    "rename",
    "delete_user",
    "insert_post",
    "delete_posts",
    "update_obj",
    "delete_obj",
    "update_in",
    "raw_touches",
    "raw_all",
)


class _Rollback(Exception):
    pass


def transaction(db: Database, writes: list[list[Any]], rollback: bool, name: str, arg: Any) -> list[Any]:
    """Writes in one transaction, then the read ``name`` cached and uncached inside it; rolled back
    if asked. Returns ``[cached result, uncached result]``."""
    out: list[Any] = []
    try:
        with db.transaction():
            for w in writes:
                write(db, *w)
            out = [read(db, name, arg, True), read(db, name, arg, False)]
            if rollback:
                raise _Rollback
    except _Rollback:
        pass
    return out
