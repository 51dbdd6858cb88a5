"""The error boundary: every public method of ``Database``, ``AsyncDatabase``, ``Repository``,
``AsyncRepository``, ``Query`` and ``AsyncQuery``, called while its server is stopped or right
after its connections were killed, raises nothing but ``TypedORMError``.

The methods are enumerated by introspection, so a new public method fails this test until it has
arguments in ``ARGS``. The servers are private instances (``_private_servers``): stopping or
killing the shared ones is not allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _private_servers import PrivateMariaDB, PrivatePostgres
from _servers import mysql_url, pg_url
from pydantic import BaseModel

from typedorm import (
    AUTO,
    PK,
    AsyncDatabase,
    AsyncQuery,
    AsyncRepository,
    Col,
    Database,
    Model,
    Query,
    RelList,
    Repository,
    TypedORMError,
    column,
    relation,
    select,
)
from typedorm.cache.hook import reads_of
from typedorm.engine.url import URL
from typedorm.errors import ConnectionLost, DatabaseError
from typedorm.sql.expr import SLOT
from typedorm.sql.stmt import CopyFrom, Insert


class BndTag(Model, table="bnd_tags"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class BndItem(Model, table="bnd_items"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    tags: RelList[BndTag] = relation(through="bnd_item_tags")


class BndItemName(BaseModel):
    id: int
    name: str


class Ctx:
    """What the argument builders need: the database, a stored item and tag."""

    def __init__(self, db: Any, url: URL) -> None:
        self.db = db
        self.url = url
        self.item = BndItem(id=1, name="one")
        self.tag = BndTag(id=1, name="red")


def _noop(*_: Any) -> None:
    return None


def _select_sql(c: Ctx) -> str:
    sql: str = c.db.dialect.compile(select(BndItem.id, BndItem.name)).sql
    return sql


def _insert_sql(c: Ctx) -> str:
    t = BndItem.__table__
    sql: str = c.db.dialect.compile_shape(Insert(t, t.columns[1:], [[SLOT]]))
    return sql


def _copy_sql(c: Ctx) -> str:
    t = BndItem.__table__
    sql: str = c.db.dialect.compile(CopyFrom(t, t.columns)).sql
    return sql


def _get_hit(c: Ctx) -> Args:
    from typedorm.repository.mapping import Mapper

    m = Mapper(BndItem, c.db.dialect)
    return ((m.get_sql, [1], BndItem.__table__, m), {})


# Arguments per public method, by family. Every method of the classes under test must be here.
Args = tuple[tuple[Any, ...], dict[str, Any]]
ARGS: dict[str, dict[str, Callable[[Ctx], Args]]] = {
    "db": {
        "cached_get_hit": _get_hit,
        "close": lambda c: ((), {}),
        "connect": lambda c: ((), {}),
        "copy_rows": lambda c: ((_copy_sql(c), [(9, "copied")]), {}),
        "count_queries": lambda c: ((), {}),
        "create_all": lambda c: ((BndTag, BndItem), {}),
        "create_tables": lambda c: (([BndTag, BndItem],), {}),
        "drop_all": lambda c: ((BndTag, BndItem), {}),
        "drop_tables": lambda c: (([BndTag, BndItem],), {}),
        "execute": lambda c: (("SELECT 1",), {}),
        "from_env": lambda c: (("TYPEDORM_BOUNDARY_URL",), {}),
        "in_transaction": lambda c: ((), {}),
        "invalidate_cache": lambda c: ((BndItem,), {}),
        "on_commit": lambda c: ((_noop,), {}),
        "run": lambda c: ((_select_sql(c), []), {}),
        "run_cached": lambda c: ((_select_sql(c), []), {"reads": reads_of(select(BndItem.id))}),
        "run_many": lambda c: ((_insert_sql(c), [("a",), ("b",)]), {}),
        "split_rows": lambda c: (([("a",), ("b",)], 1, ["name"]), {}),
        "stream": lambda c: ((_select_sql(c), [], 10), {}),
        "unit_of_work": lambda c: ((), {}),
        "use_primary": lambda c: ((), {}),
        "run_in_transaction": lambda c: ((lambda: c.db.execute("SELECT 1"),), {}),
        "transaction": lambda c: ((), {}),
    },
    "repo": {
        "add_hook": lambda c: (("before_insert", lambda o: o), {}),
        "add_related": lambda c: ((c.item, BndItem.tags, c.tag), {}),
        "after_delete": lambda c: ((_noop,), {}),
        "after_insert": lambda c: ((_noop,), {}),
        "after_update": lambda c: ((_noop,), {}),
        "all": lambda c: ((), {}),
        "before_delete": lambda c: ((_noop,), {}),
        "before_insert": lambda c: ((lambda o: o,), {}),
        "before_update": lambda c: ((lambda o: o,), {}),
        "cached": lambda c: ((), {}),
        "count": lambda c: ((), {}),
        "delete": lambda c: ((BndItem.id == 999,), {}),
        "exclude": lambda c: ((BndItem.id == 1,), {}),
        "exists": lambda c: ((), {}),
        "filter": lambda c: ((BndItem.id == 1,), {}),
        "filter_by": lambda c: ((), {"id": 1}),
        "first": lambda c: ((), {}),
        "get": lambda c: ((1,), {}),
        "get_or_raise": lambda c: ((1,), {}),
        "insert": lambda c: ((BndItem(name="new"),), {}),
        "insert_json": lambda c: ((b'{"name": "new"}',), {}),
        "insert_many": lambda c: (([BndItem(name="a"), BndItem(name="b")],), {}),
        "insert_many_json": lambda c: ((b'[{"name": "a"}, {"name": "b"}]',), {}),
        "iterate": lambda c: ((), {}),
        "last": lambda c: ((), {}),
        "limit": lambda c: ((10,), {}),
        "load": lambda c: ((BndItem.tags,), {}),
        "load_related": lambda c: (([c.item], BndItem.tags), {}),
        "offset": lambda c: ((1,), {}),
        "order_by": lambda c: (("id",), {}),
        "paginate": lambda c: ((1, 10), {}),
        "patch": lambda c: ((1, {"name": "patched"}), {}),
        "query": lambda c: ((), {}),
        "raw": lambda c: (("SELECT id, name FROM bnd_items",), {}),
        "refresh": lambda c: ((c.item,), {}),
        "remove_related": lambda c: ((c.item, BndItem.tags, c.tag), {}),
        "rows": lambda c: ((select(BndItem.id, BndItem.name),), {}),
        "save": lambda c: ((c.item,), {}),
        "set_related": lambda c: ((c.item, BndItem.tags, [c.tag]), {}),
        "update": lambda c: ((BndItem.id == 1, BndItem.name.set("upd")), {}),
        "upsert": lambda c: ((BndItem(id=1, name="one"),), {}),
        "using": lambda c: (("primary",), {}),
        "validate_json": lambda c: ((b'{"name": "v"}',), {}),
        "values": lambda c: (("id", "name"), {}),
    },
    "query": {
        "all": lambda c: ((), {}),
        "avg": lambda c: ((BndItem.id,), {}),
        "cached": lambda c: ((), {}),
        "count": lambda c: ((), {}),
        "delete": lambda c: ((), {}),
        "distinct": lambda c: ((), {}),
        "exclude": lambda c: ((BndItem.id == 1,), {}),
        "exists": lambda c: ((), {}),
        "filter": lambda c: ((BndItem.id == 1,), {}),
        "filter_by": lambda c: ((), {"id": 1}),
        "first": lambda c: ((), {}),
        "group_by": lambda c: ((BndItem.id,), {}),
        "having": lambda c: ((BndItem.id > 0,), {}),
        "into": lambda c: ((BndItemName,), {}),
        "iterate": lambda c: ((), {}),
        "last": lambda c: ((), {}),
        "limit": lambda c: ((10,), {}),
        "load": lambda c: ((BndItem.tags,), {}),
        "max": lambda c: ((BndItem.id,), {}),
        "min": lambda c: ((BndItem.id,), {}),
        "offset": lambda c: ((1,), {}),
        "one": lambda c: ((), {}),
        "one_or_none": lambda c: ((), {}),
        "order_by": lambda c: (("id",), {}),
        "paginate": lambda c: ((1, 10), {}),
        "rows": lambda c: ((BndItem.id,), {}),
        "sum": lambda c: ((BndItem.id,), {}),
        "update": lambda c: ((BndItem.name.set("q"),), {}),
        "values": lambda c: (("id",), {}),
        "values_list": lambda c: (("id",), {}),
    },
}
# Run last: they drop the tables or the pool the other calls use.
_LAST = ("close", "drop_all", "drop_tables")


def public_methods(cls: type) -> list[str]:
    """Every public method of ``cls`` (properties excluded), destructive ones last."""
    names = [
        n
        for n, v in inspect.getmembers(cls)
        if not n.startswith("_") and callable(v) and not isinstance(inspect.getattr_static(cls, n), property)
    ]
    return sorted(names, key=lambda n: (n in _LAST, _LAST.index(n) if n in _LAST else 0, n))


def test_every_public_method_has_arguments() -> None:
    families = {
        "db": (Database, AsyncDatabase),
        "repo": (Repository, AsyncRepository),
        "query": (Query, AsyncQuery),
    }
    missing = [
        f"{cls.__name__}.{name}"
        for family, classes in families.items()
        for cls in classes
        for name in public_methods(cls)
        if name not in ARGS[family]
    ]
    assert missing == [], f"add arguments for these public methods to ARGS: {missing}"


# --- calling -----------------------------------------------------------------------------------------

Outcome = tuple[str, str]  # (method, what escaped) for each non-typedorm exception


def _targets(db: Any, repo_cls: type, family: str) -> Any:
    repo = repo_cls(BndItem, db)
    if family == "db":
        return db
    if family == "repo":
        return repo
    return repo.filter(BndItem.id < 0)  # matches nothing: every call is harmless, still real I/O


def _complete_sync(result: Any) -> None:
    """Drive a result to its I/O: run a query, enter a context manager, drain an iterator."""
    if isinstance(result, Query):
        result.all()
    elif isinstance(result, Database):
        result.close()
    elif hasattr(result, "__enter__") and hasattr(result, "__exit__"):
        with result:
            pass
    elif isinstance(result, Iterator):
        list(result)


async def _complete_async(result: Any) -> None:
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, AsyncQuery):
        await result.all()
    elif isinstance(result, AsyncDatabase):
        await result.close()
    elif hasattr(result, "__aenter__"):
        async with result:
            pass
    elif hasattr(result, "__aiter__"):
        async for _ in result:
            pass
    elif hasattr(result, "__enter__") and hasattr(result, "__exit__"):
        with result:
            pass


def _note(escaped: list[Outcome], label: str, exc: BaseException) -> None:
    if not isinstance(exc, TypedORMError):
        escaped.append((label, f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"))


def sweep_sync(
    db: Database,
    before_each: Callable[[], object],
    monkeypatch: pytest.MonkeyPatch,
    *,
    in_transaction: bool = False,
) -> tuple[list[Outcome], int]:
    """Call every public sync method once, ``before_each`` first; what escaped, and how many raised."""
    monkeypatch.setenv("TYPEDORM_BOUNDARY_URL", db.url.render(hide_password=False))
    escaped: list[Outcome] = []
    raised = 0
    ctx = Ctx(db, db.url)
    for family, cls in (("db", Database), ("repo", Repository), ("query", Query)):
        for name in public_methods(cls):
            target = _targets(db, Repository, family)
            args, kwargs = ARGS[family][name](ctx)
            label = f"{cls.__name__}.{name}"
            before_each()
            try:
                if in_transaction and name not in _LAST:
                    with db.transaction():
                        before_each()
                        _complete_sync(getattr(target, name)(*args, **kwargs))
                else:
                    _complete_sync(getattr(target, name)(*args, **kwargs))
            except BaseException as exc:
                raised += 1
                _note(escaped, label, exc)
    with contextlib.suppress(TypedORMError):
        db.close()
    return escaped, raised


def sweep_async(
    url: URL, before_each: Callable[[], object], *, in_transaction: bool = False
) -> tuple[list[Outcome], int]:
    """Call every public async method once, ``before_each`` first; what escaped, and how many raised."""
    escaped: list[Outcome] = []
    raised = 0

    async def main() -> None:
        nonlocal raised
        db = AsyncDatabase(url)
        ctx = Ctx(db, url)
        for family, cls in (("db", AsyncDatabase), ("repo", AsyncRepository), ("query", AsyncQuery)):
            for name in public_methods(cls):
                target = _targets(db, AsyncRepository, family)
                args, kwargs = ARGS[family][name](ctx)
                label = f"{cls.__name__}.{name}"
                before_each()
                try:
                    if in_transaction and name not in _LAST:
                        async with db.transaction():
                            before_each()
                            await _complete_async(getattr(target, name)(*args, **kwargs))
                    else:
                        await _complete_async(getattr(target, name)(*args, **kwargs))
                except BaseException as exc:
                    raised += 1
                    _note(escaped, label, exc)
        with contextlib.suppress(TypedORMError):
            await db.close()

    asyncio.run(main())
    return escaped, raised


# --- the servers -------------------------------------------------------------------------------------

SERVERS = ["postgresql", "mysql"]
SYNC_DRIVERS = {"postgresql": ["psycopg"], "mysql": ["mysqlclient", "pymysql"]}


def _server(request: pytest.FixtureRequest, kind: str) -> PrivatePostgres | PrivateMariaDB:
    name = "private_pg" if kind == "postgresql" else "private_mariadb"
    server: PrivatePostgres | PrivateMariaDB = request.getfixturevalue(name)
    return server


def _prepare(server: PrivatePostgres | PrivateMariaDB) -> URL:
    url = server.create_database("boundary")
    db = Database(url)
    try:
        db.drop_all(BndTag, BndItem)
        db.create_all(BndTag, BndItem)
        Repository(BndItem, db).insert(BndItem(name="one"))
        Repository(BndTag, db).insert(BndTag(name="red"))
    finally:
        db.close()
    return url


def _with_driver(url: URL, driver: str | None) -> URL:
    return URL(url.dialect, driver, url.username, url.password, url.host, url.port, url.database, url.query)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> PrivatePostgres | PrivateMariaDB:
    return _server(request, request.param)


def _warm_then_kill(server: PrivatePostgres | PrivateMariaDB, kill_every: list[int]) -> Callable[[], object]:
    def before() -> None:
        kill_every[0] += server.kill_connections()

    return before


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "in_transaction"])
def test_killed_connections_raise_only_typedorm_errors(
    server: PrivatePostgres | PrivateMariaDB, monkeypatch: pytest.MonkeyPatch, in_transaction: bool
) -> None:
    url = _prepare(server)
    killed = [0]
    for driver in SYNC_DRIVERS[url.dialect]:
        db = Database(_with_driver(url, driver), pool_size=2)
        escaped, _ = sweep_sync(
            db, _warm_then_kill(server, killed), monkeypatch, in_transaction=in_transaction
        )
        assert escaped == [], f"{driver}: non-typedorm exceptions escaped: {escaped}"
    escaped, _ = sweep_async(url, _warm_then_kill(server, killed), in_transaction=in_transaction)
    assert escaped == [], f"async: non-typedorm exceptions escaped: {escaped}"
    assert killed[0] > 0  # the connections really were killed under the calls


def test_stopped_server_raises_only_typedorm_errors(
    server: PrivatePostgres | PrivateMariaDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _prepare(server)
    # Built while the server is up (MySQL reads the server version on construction).
    dbs = {driver: Database(_with_driver(url, driver)) for driver in SYNC_DRIVERS[url.dialect]}
    server.stop()
    try:
        for driver, db in dbs.items():
            escaped, raised = sweep_sync(db, _noop, monkeypatch)
            assert escaped == [], f"{driver}: non-typedorm exceptions escaped: {escaped}"
            assert raised > 50  # the calls that need the server did fail
        escaped, raised = sweep_async(url, _noop)
        assert escaped == [], f"async: non-typedorm exceptions escaped: {escaped}"
        assert raised > 50
        # opening a connection to a server that is down: ConnectionLost, sync and async
        for driver in SYNC_DRIVERS[url.dialect]:
            with pytest.raises(ConnectionLost):
                Database(_with_driver(url, driver)).execute("SELECT 1")

        async def one() -> None:
            async with AsyncDatabase(url) as db:
                await db.execute("SELECT 1")

        with pytest.raises(ConnectionLost):
            asyncio.run(one())
    finally:
        server.start()


# --- refused logins and unusable SQLite files (no server to stop) -----------------------------------


def _refused_logins() -> list[URL]:
    pg = pg_url()
    my = mysql_url()
    return [
        URL(pg.dialect, None, "typedorm_no_such_role", None, pg.host, pg.port, pg.database, pg.query),
        URL(
            my.dialect,
            "mysqlclient",
            "typedorm_no_such_user",
            "wrong",
            my.host,
            my.port,
            my.database,
            my.query,
        ),
        URL(my.dialect, "pymysql", "typedorm_no_such_user", "wrong", my.host, my.port, my.database, my.query),
    ]


@pytest.mark.parametrize("index", range(3), ids=["psycopg", "mysqlclient", "pymysql"])
def test_refused_login_is_a_typedorm_error(index: int) -> None:
    from _servers import require_server

    require_server("postgresql" if index == 0 else "mysql")
    url = _refused_logins()[index]
    with pytest.raises(DatabaseError) as info:
        Database(url).execute("SELECT 1")
    assert isinstance(info.value.__cause__, Exception)
    assert not isinstance(info.value, ConnectionLost)  # nothing to retry: the login is wrong

    async def one() -> None:
        async with AsyncDatabase(url) as db:
            await db.execute("SELECT 1")

    with pytest.raises(DatabaseError) as ainfo:
        asyncio.run(one())
    assert not isinstance(ainfo.value, ConnectionLost)


def _corrupt(tmp: Path) -> str:
    path = tmp / "corrupt.db"
    path.write_bytes(b"this is not a SQLite database, just some bytes " * 200)
    return f"sqlite:///{path}"


def _missing_directory(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'no' / 'such' / 'dir' / 'x.db'}"


def _directory_as_file(tmp: Path) -> str:
    return f"sqlite:///{tmp}"


@pytest.mark.parametrize(
    "make",
    [_corrupt, _missing_directory, _directory_as_file],
    ids=["corrupt", "missing_directory", "directory"],
)
def test_unusable_sqlite_file_is_a_typedorm_error(make: Callable[[Path], str], tmp_path: Path) -> None:
    url = make(tmp_path)
    with pytest.raises(DatabaseError) as info:
        Database(url).execute("SELECT 1")
    assert isinstance(info.value.__cause__, sqlite3.Error)

    async def one() -> None:
        async with AsyncDatabase(url) as db:
            await db.execute("SELECT 1")

    with pytest.raises(DatabaseError):
        asyncio.run(one())


def test_full_sqlite_database_is_a_typedorm_error(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'full.db'}")
    try:
        db.execute("CREATE TABLE t (v TEXT)")
        db.execute("PRAGMA max_page_count = 8")  # a disk that is full after a few pages
        with pytest.raises(DatabaseError, match="full"):
            for _ in range(100):
                db.execute("INSERT INTO t VALUES (?)", ("x" * 4000,))
    finally:
        db.close()
