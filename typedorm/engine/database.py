# Generated from typedorm/engine/aio_database.py by tools/unasync.py: do not edit.
"""``Database``: a URL's driver, dialect and pool; statement execution, transactions, DDL and logging.

The one source of both engines: ``database.py`` (``Database``) is generated from this module by
``tools/unasync.py``. The few places where the flavours really differ are ``if True:  # ASYNC`` /
``else:  # SYNC`` blocks: the generator keeps the ``else`` branch (or nothing, without one).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import threading
import time
from collections.abc import Generator, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..cache.base import MISS, Cache, Materializer, NoCache
from ..cache.hook import CacheHook, Reads, namespace_for
from ..dialects import get_dialect
from ..dialects.base import Dialect, IsolationLevel
from ..drivers import close_cursor_quietly, get_driver
from ..errors import (
    CommitOutcomeUnknown,
    ConfigurationError,
    ConnectionLost,
    DatabaseError,
    InvalidArgument,
    RetryableError,
    TransactionAborted,
    TransactionError,
    TypedORMError,
)
from ..schema.spec import TableSpec
from .pool import create_pool
from .routing import Router, ReplicaStrategy, RoutingStats, Using, check_using, is_plain_read
from .core import (
    QueryCounter,
    ResultMode,
    TxState,
    apply_server_version,
    check_statement_size,
    check_transaction_options,
    enable_echo,
    is_retryable,
    log_statement,
    map_error,
    ordered_specs,
    prepare_execute,
    refuse_get_hit,
    retry_delay,
    split_by_size,
    sql_logger,
)
from .result import _ALL, _COUNT, _LASTID, _NONE, _ONE, Params, Result, _NoParams  # noqa: F401 (modes re-exported)
from .url import URL

if TYPE_CHECKING:
    from ..drivers import Driver
    from ..schema.model import Model

__all__ = ["Database", "Transaction", "Result"]

logger: logging.Logger = logging.getLogger("typedorm.engine")

P = ParamSpec("P")
R = TypeVar("R")

# The transaction a task has open: its state and the task itself. A task created inside a
# transaction inherits this value with its context, but the connection is not its to use.
# (Sync: a thread has a context of its own, so the owner is always the current one.)
_Owned = tuple[TxState, Any]


def _current_task() -> object:
    return None  # a thread's context is its own: whoever sees the transaction owns it


_Thunk = Callable[[], R]


class Transaction:
    """``with db.transaction():`` — commit on success, roll back on any exception.

    Nested blocks are savepoints: an inner rollback keeps the outer work. Also a decorator,
    which can re-run the function on serialization failures and deadlocks::

        @db.transaction(retry=3, isolation="serializable")
        def transfer(a: int, b: int, amount: int) -> None: ...

    With asyncio, the rollback (or commit) and the return of the connection to the pool run to
    their end even when the task is cancelled, so a cancelled task never leaves a transaction
    open or a connection checked out; the cancellation is re-raised afterwards.

    A statement that fails with a database error inside the block aborts the transaction on
    every backend: the statements after it and the commit raise
    :class:`~typedorm.errors.TransactionAborted` (chaining the failure) and everything rolls
    back. A nested ``transaction()`` around a statement that may fail keeps the outer one going.
    """

    __slots__ = ("_depth", "_internal", "_owner", "_state", "_token", "db", "isolation", "mode", "retry")

    def __init__(
        self,
        db: Database,
        isolation: IsolationLevel | None,
        mode: str | None,
        retry: int,
        *,
        internal: bool = False,
    ) -> None:
        check_transaction_options(db.dialect, isolation, retry)
        self.db: Database = db
        self.isolation: IsolationLevel | None = isolation
        self.mode: str | None = mode
        self.retry: int = retry
        self._state: TxState | None = None
        self._token: Token[_Owned | None] | None = None
        self._owner = False
        self._depth = 0
        self._internal = internal

    def __enter__(self) -> Transaction:
        if self._state is not None:
            raise TransactionError("this transaction object is already in use; call db.transaction() again")
        db = self.db
        if not db._ready:
            db.connect()
        state = db._own_state()
        if state is None:
            retry = True  # a BEGIN that lost its connection has run nothing: once more on a new one
            while True:
                conn = db._pool.acquire() if db._router is None else db._router.acquire_primary()
                state = TxState(conn, db.dialect)
                try:
                    for sql in state.begin(self.isolation, self.mode):
                        db._control(conn, sql)
                    break
                except BaseException as e:
                    lost = isinstance(e, ConnectionLost) and db._broken(conn, e)  # invalidates the pool
                    db._pool.release(conn, discard=True)
                    if not (lost and retry):
                        raise
                    retry = False
                    logger.info("BEGIN lost its connection (%s); beginning once more on a new one", e)
            self._token = db._tx.set((state, _current_task()))
            self._owner = True
        else:
            if self.isolation is not None:
                raise TransactionError("isolation can only be chosen for the outermost transaction")
            sqls = state.savepoint(internal=self._internal)
            try:
                for sql in sqls:
                    db._control(state.conn, sql)
            except BaseException as e:
                state.levels.pop()  # the block never opened: the enclosing level is innermost again
                if isinstance(e, DatabaseError):
                    state.fail(e, broken=db._broken(state.conn, e))
                raise
            self._owner = False
        self._state = state
        self._depth = state.depth
        return self

    def __exit__(self, et: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        state = self._state
        assert state is not None
        self._state = None
        if state.depth != self._depth:
            raise TransactionError("transactions were closed out of order")
        sqls, callbacks, aborted = state.end(et is None)
        commit = et is None and aborted is None
        done: list[bool] = []
        try:
            position = self._finish(state, sqls, commit, done)
        finally:
            self._release_token()
        if position is not None and self.db._router is not None:
            self.db._router.require(position)  # read-your-writes: in the caller's context
        if aborted is not None:
            raise aborted from aborted.error
        if callbacks:
            _run_callbacks(callbacks)

    def _release_token(self) -> None:
        if self._owner:
            assert self._token is not None
            self.db._tx.reset(self._token)
            self._token = None

    def _finish(self, state: TxState, sqls: list[str], commit: bool, done: list[bool]) -> Any:
        """Close this level on the server; the outermost level also returns the connection.
        With replicas, a commit's replication position (for read-your-writes), else None."""
        db = self.db
        failed = False
        position: Any = None
        lost: ConnectionLost | None = None  # the COMMIT's connection broke: its outcome is to be found
        seen: list[str | None] = []  # the dialect's commit probe (PostgreSQL: the transaction id)
        try:
            if not state.broken:  # nothing can be sent on a connection the server closed
                # The outermost COMMIT goes with the dialect's probe (the transaction id), if any.
                probe = db._commit_probe if self._owner and commit else None
                for sql in sqls:
                    db._control(state.conn, sql, probe, seen)
            done.append(True)
            if commit and self._owner and db._router is not None:
                position, usable = db._router.commit_position(state.conn)
                state.broken = state.broken or not usable
            if self._owner and commit and state.written:
                db._cache_committed(state)  # after the commit, never before
        except BaseException as e:
            if self._owner and commit and not done and isinstance(e, ConnectionLost):
                lost = e  # resolved below, once the dead connection is back in the pool
                state.broken = True
            else:
                failed = True
                if self._owner and commit and state.written and not done:
                    db._cache_committed(state)  # the commit may have happened: invalidate anyway
                if self._owner and commit:
                    # COMMIT failed (e.g. a deferred constraint or serialization failure): roll back.
                    with contextlib.suppress(Exception):
                        db._control(state.conn, db.dialect.rollback_sql)
                elif not self._owner and isinstance(e, DatabaseError):
                    state.fail(e, broken=db._broken(state.conn, e))
                raise
        finally:
            if self._owner:
                db._pool.release(state.conn, discard=(failed and not commit) or state.broken)
        if lost is not None:
            if state.written:
                db._cache_committed(state)  # the commit may have happened: invalidate anyway
            db._commit_outcome(lost, seen)  # returns only if the transaction is stored
            done.append(True)
        return position

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        isolation, mode, retry, db = self.isolation, self.mode, self.retry, self.db

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return db.run_in_transaction(
                lambda: fn(*args, **kwargs), retry=retry, isolation=isolation, mode=mode
            )

        return wrapper


def _run_callbacks(callbacks: list[Callable[[], object]]) -> None:
    for cb in callbacks:
        cb()


class Database:
    """A database: its URL, driver, dialect and connection pool.

    Example::

        with Database("sqlite:///app.db") as db:    # or postgresql://..., mysql://...
            db.create_all(User)
            with db.transaction():
                db.execute("UPDATE users SET age = age + 1 WHERE id = ?", (1,))

    The sync and asyncio flavours take the same URL and have the same methods (awaited in asyncio
    code, whose drivers are aiosqlite, psycopg's asyncio connection and asyncmy).
    SQLite files get WAL, ``foreign_keys=ON`` and a busy timeout; write transactions start with
    ``BEGIN IMMEDIATE``. Statements outside ``transaction()`` are autocommitted one by one.

    Threads share the pool of a sync database (each checks a connection out per statement or per
    transaction); ``sqlite:///:memory:`` has one shared connection that threads take turns on.
    Each asyncio task has its own transaction: a task started inside another task's
    ``transaction()`` (``asyncio.gather``, ``create_task``, ``wait_for`` on Python 3.11) cannot
    run statements on that transaction's connection and gets a ``TransactionError`` rather than
    silently running outside it; it may open a transaction of its own. An asyncio database
    belongs to one event loop.

    For MySQL/MariaDB the server version decides some capabilities (RETURNING): it is learnt by
    :meth:`connect`, which a sync database calls at construction and an asyncio one when entered
    as a context manager, or at the latest by the first statement.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        echo: bool = False,
        log_parameters: bool = False,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float | None = 30.0,
        pool_recycle: float | None = None,
        pool_pre_ping: bool | None = None,
        pool_pre_ping_window: float | None = None,
        connect_args: Mapping[str, Any] | None = None,
        replicas: Sequence[str | URL] | None = None,
        replica_strategy: ReplicaStrategy = "least_loaded",
        failover_timeout: float = 5.0,
        cache: Cache | None = None,
    ) -> None:
        self.url: URL = URL.parse(url)
        self.driver: Driver = get_driver(self.url)
        self.dialect: Dialect = get_dialect(self.url.dialect_scheme)
        if cache is not None and not isinstance(cache, Cache):
            raise InvalidArgument(
                f"cache must be a MemoryCache or a RedisCache, not {cache!r}", argument="cache"
            )
        #: the query cache (``db.cache.stats()``); without one, cached reads go to the database
        self.cache: Cache = cache if cache is not None else NoCache()
        self._cache_hook = None if cache is None else CacheHook(cache, namespace_for(self.url), self.dialect)
        self.echo: bool = echo
        self.log_parameters: bool = log_parameters
        self._pool = create_pool(
            self.url,
            self.driver,
            connect_options=connect_args,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_recycle=pool_recycle,
            pool_pre_ping=pool_pre_ping,
            pool_pre_ping_window=pool_pre_ping_window,
        )
        self._tx: ContextVar[_Owned | None] = ContextVar(f"typedorm_tx_{id(self)}", default=None)
        self._counters: list[QueryCounter] = []
        # UnicodeError: a driver encoding a value it cannot (a lone surrogate) raises it raw.
        self._errors: tuple[type[BaseException], ...] = (*self.driver.error_types, UnicodeError)
        self._closed = False
        #: the replica router (``replicas=``), None without replicas
        self._router: Router | None = None
        if replicas:
            options = {
                "echo": echo,
                "log_parameters": log_parameters,
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_timeout": pool_timeout,
                "pool_recycle": pool_recycle,
                "pool_pre_ping": pool_pre_ping,
                "pool_pre_ping_window": pool_pre_ping_window,
                "connect_args": connect_args,
            }
            self._router = Router(
                self, replicas, options, strategy=replica_strategy, failover_timeout=failover_timeout
            )
        self._mappers: dict[type[Any], Any] = {}
        #: per-database cache of the repository's row mappers (model -> mapper)
        self.mappers: dict[type[Any], Any] = self._mappers
        #: COPY FROM STDIN is available (psycopg): the fastest bulk insert on PostgreSQL
        self.supports_copy: bool = self.driver.supports_copy
        self._simple_protocol_runs_many = self.driver.simple_protocol_runs_many
        # A lost COMMIT can be looked up afterwards where the dialect has a lookup and the driver
        # reads the probe in the COMMIT's own round trip (PostgreSQL with psycopg).
        self._commit_probe: str | None = (
            self.dialect.commit_probe_sql if self.driver.supports_commit_probe else None
        )
        self._stream_seq = itertools.count(1)
        # Only MySQL needs a round trip before the first statement (the server version).
        self._ready = not self.dialect.probes_server_version
        #: MySQL's max_allowed_packet (read by connect()): the largest statement the server takes
        self._max_packet: int | None = None
        if echo:
            enable_echo()
        self._ready_lock = threading.Lock()
        if not self._ready:
            self.connect()

    def connect(self) -> Database:
        """Open a first connection (failing fast on a wrong URL or password) and adjust the
        dialect's capability flags to the server's version (RETURNING on MariaDB 10.5+, not
        MySQL). Idempotent."""
        with self._ready_lock:
            conn = self._pool.acquire()
            discard = False
            try:
                if self.dialect.probes_server_version and not self._ready:
                    row = self._run_on(conn, self.dialect.server_probe_sql, (), _ONE, None)
                    apply_server_version(self.dialect, str(row[0] if row else ""))
                    self._max_packet = int(row[1]) if row and len(row) > 1 and row[1] else None
            except BaseException:
                discard = not self.driver.is_alive_cheap(conn)
                raise
            finally:
                self._pool.release(conn, discard=discard)
            self._ready = True
        return self

    @classmethod
    def from_env(cls, var: str = "DATABASE_URL", **options: Any) -> Database:
        """A database for the URL in environment variable ``var``."""
        url = os.environ.get(var)
        if not url:
            raise ConfigurationError(f"environment variable {var} is not set (expected a database URL)")
        return cls(url, **options)

    def __repr__(self) -> str:
        return f"Database({self.url.render()!r})"

    # --- lifecycle -------------------------------------------------------------------
    @property
    def pool(self) -> Any:
        """The connection pool (``db.pool.stats()``)."""
        return self._pool

    def close(self) -> None:
        """Close every pooled connection. Connections in use close when they come back."""
        self._closed = True
        self._pool.dispose()
        if self._router is not None:
            self._router.close()
        if self._cache_hook is not None:
            self._cache_hook.close()

    def __enter__(self) -> Database:
        return self  # connect() ran at construction

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transaction state ------------------------------------------------------------
    def _state(self) -> TxState | None:
        """The current task's open transaction, for running a statement in it."""
        owned = self._tx.get()
        if owned is None:
            return None
        return owned[0]  # the hot path: a thread's context is its own

    def _own_state(self) -> TxState | None:
        """The current task's open transaction, for nesting; None in a task that has none of its own."""
        owned = self._tx.get()
        if owned is None or owned[1] is not _current_task():
            return None
        return owned[0]

    # --- execution -------------------------------------------------------------------
    def _control(
        self, conn: Any, sql: str, probe: str | None = None, seen: list[str | None] | None = None
    ) -> None:
        """Run a transaction-control statement; with ``probe`` (a COMMIT), in the same round trip
        as the probe, whose value lands in ``seen`` before the COMMIT's answer is awaited."""
        if sql_logger.isEnabledFor(logging.DEBUG):
            sql_logger.debug("%s", sql if probe is None else f"{probe}; {sql}")
        try:
            if probe is None:
                self.driver.control(conn, sql)
            else:
                assert seen is not None
                self.driver.commit_probed(conn, probe, sql, seen)
        except self._errors as e:
            err = map_error(self.driver, e, None)
            if err is None:
                raise
            raise err from e

    def _commit_outcome(self, lost: ConnectionLost, seen: list[str | None]) -> None:
        """The connection broke during COMMIT: return if the transaction is stored (or wrote
        nothing); raise ``ConnectionLost`` if it is known to be rolled back, else
        ``CommitOutcomeUnknown``. Asks the server on a new connection where the dialect can."""
        self._pool.invalidate()  # the server may have restarted or killed them all
        kw: dict[str, Any] = {"sqlstate": lost.sqlstate, "errno": lost.errno}
        if self._commit_probe is None:
            raise CommitOutcomeUnknown(
                f"the connection was lost during COMMIT: the transaction may or may not be stored ({lost})",
                **kw,
            ) from lost
        if not seen:
            raise CommitOutcomeUnknown(
                "the connection was lost during COMMIT before the transaction id arrived: "
                f"the transaction may or may not be stored ({lost})",
                **kw,
            ) from lost
        probe = seen[0]
        if probe is None:
            logger.info("the connection was lost during COMMIT of a transaction that wrote nothing")
            return
        xid = self.dialect.commit_xid(probe)
        query = self.dialect.commit_status_query(probe)
        status: object = None
        if query is not None:
            try:
                with self._pool.connection() as conn:
                    row = self._run_on(conn, query[0], query[1], _ONE, None)
            except TypedORMError as e:
                raise CommitOutcomeUnknown(
                    f"the connection was lost during COMMIT of transaction {xid}, and asking the server "
                    f"for its outcome failed ({e}): it may or may not be stored",
                    xid=xid,
                    **kw,
                ) from lost
            status = row[0] if row else None
        outcome = self.dialect.commit_outcome(status)
        if outcome is True:
            logger.info("the connection was lost during COMMIT of transaction %s, which is stored", xid)
            return
        if outcome is False:
            raise ConnectionLost(
                f"the connection was lost during COMMIT and transaction {xid} was rolled back ({lost})", **kw
            ) from lost
        raise CommitOutcomeUnknown(
            f"the connection was lost during COMMIT of transaction {xid}, whose status is {status!r} "
            "(None: not known, e.g. the server restarted since): it may or may not be stored",
            xid=xid,
            **kw,
        ) from lost

    def _broken(self, conn: Any, err: DatabaseError) -> bool:
        """Whether ``err`` left ``conn`` unusable: lost, or closed by the server after the error
        (MariaDB closes the connection after a statement over ``max_allowed_packet``)."""
        if isinstance(err, ConnectionLost):
            # The server may have restarted or killed every connection: the idle ones opened
            # before this moment are replaced at checkout instead of failing one call each.
            self._pool.invalidate()
            return True
        if not self.driver.is_alive_cheap(conn):
            return True
        cause = err.__cause__
        return cause is not None and self.driver.is_disconnect(cause)

    def _split_rows(
        self, rows: Sequence[Sequence[Any]], max_rows: int, fields: Sequence[str], model: str | None = None
    ) -> list[tuple[int, int]]:
        """Spans of ``rows`` for multi-row statements within ``max_rows`` and, on MySQL, within the
        server's max_allowed_packet; a row too large to send at all is a ``DataError``."""
        return split_by_size(rows, max_rows, self._max_packet, fields, model)

    def _run(
        self,
        sql: str,
        params: Any,
        mode: int,
        spec: TableSpec | None = None,
        using: Using | None = None,
        retry_read: bool = False,
    ) -> Any:
        """Run one statement in the task's transaction, else on a pooled connection. ``retry_read``
        (the statement API): a plain read (:func:`~.routing.is_plain_read`) outside a transaction
        that loses its connection before any result reached the caller runs once more, on a new one."""
        if not self._ready:
            self.connect()
        if self._max_packet is not None and params:
            check_statement_size(sql, params, self._max_packet)
        state = self._state()
        if state is not None:
            state.check()
            try:
                return self._run_on(state.conn, sql, params, mode, spec)
            except DatabaseError as e:
                state.fail(e, broken=self._broken(state.conn, e))
                raise
        if self._router is not None:
            return self._router.run(sql, params, mode, spec, using)
        return self._run_pooled(sql, params, mode, spec, False, retry_read)

    def _run_pooled(
        self, sql: str, params: Any, mode: int, spec: TableSpec | None, record: bool, retry_read: bool = False
    ) -> Any:
        """Run one statement on a pooled connection of this database (outside any transaction);
        ``record``: a write, whose replication position the router keeps (read-your-writes);
        ``retry_read``: see :meth:`_run`."""
        pool = self._pool
        while True:
            conn = pool.acquire() if self._router is None else self._router.acquire_primary()
            discard = False
            try:
                out = self._run_on(conn, sql, params, mode, spec)
                if record and self._router is not None:
                    position, usable = self._router.commit_position(conn)
                    discard = not usable
                    self._router.require(position)
                return out
            except DatabaseError as e:
                discard = self._broken(conn, e)
                if not (retry_read and isinstance(e, ConnectionLost) and is_plain_read(sql)):
                    raise
                retry_read = False  # the lost connection invalidated the pool: the next one is new
                logger.info("a read lost its connection (%s); running it once more on a new one", e)
            except BaseException:  # e.g. cancelled mid-statement: keep the connection only if intact
                discard = not self.driver.is_alive_cheap(conn)
                raise
            finally:
                pool.release(conn, discard=discard)

    def _run_on(self, conn: Any, sql: str, params: Any, mode: int, spec: TableSpec | None) -> Any:
        if self._counters:
            for c in self._counters:
                c.record(sql)
        log = sql_logger.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if log else 0.0
        try:
            out = self.driver.execute(conn, sql, params, mode, type(params) is _NoParams)
        except self._errors as e:
            err = map_error(self.driver, e, spec, sql, params)
            if err is None:
                raise
            raise err from e
        if mode == _NONE:
            rows, cols, rowcount, lastrowid = out
            out = Result(list(rows), cols, rowcount, lastrowid)
        if log:
            log_statement(sql, params, start, self.log_parameters)
        return out

    def _run_many(self, sql: str, seq: Sequence[Sequence[Any]], spec: TableSpec | None = None) -> int:
        """``executemany`` of ``seq`` inside the task's transaction (or one of its own); the row count."""
        return self._run_bulk(False, sql, seq, spec)

    def _copy_in(
        self,
        copy_sql: str,
        rows: Sequence[Sequence[Any]],
        spec: TableSpec | None = None,
        types: Sequence[str] | None = None,
    ) -> None:
        """``COPY ... FROM STDIN`` of ``rows`` inside the task's transaction (``supports_copy``)."""
        self._run_bulk(True, copy_sql, rows, spec, types)

    def _run_bulk(
        self,
        copy: bool,
        sql: str,
        rows: Sequence[Sequence[Any]],
        spec: TableSpec | None,
        types: Sequence[str] | None = None,
    ) -> int:
        state = self._state()
        if state is None:
            with self.transaction():
                return self._run_bulk(copy, sql, rows, spec, types)
        state.check()
        if self._cache_hook is not None:
            self._cache_hook.note(state, self._cache_hook.changes(spec, sql, None))
        for c in self._counters:
            c.record(sql)
        log = sql_logger.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if log else 0.0
        try:
            if copy:
                self.driver.copy_rows(state.conn, sql, rows, types)
                n = len(rows)
            else:
                n = self.driver.executemany(state.conn, sql, rows)
        except self._errors as e:
            err = map_error(self.driver, e, spec, sql, None if copy else rows)
            if err is None:
                raise
            state.fail(err, broken=self._broken(state.conn, err))
            raise err from e
        if log:
            log_statement(sql, rows, start, self.log_parameters, many=True)
        return n

    def _stream(
        self, sql: str, params: Any, batch_size: int, spec: TableSpec | None = None
    ) -> Generator[list[Any], None]:
        """Yield batches of rows with bounded memory; holds one connection until exhausted or closed.

        SQLite steps its cursor lazily. PostgreSQL uses a server-side (named) cursor, inside a
        transaction of its own when the task has none open. MySQL uses an unbuffered cursor:
        the connection can run nothing else until the iteration ends. Outside a transaction the
        stream has a connection of its own, and statements the consumer runs between batches use
        other connections. Close the iterator to return the connection early. Outside a
        transaction, a stream that loses its connection before its first batch starts once more
        on a new one (as a plain read does in ``run``).
        """
        if not self._ready:
            self.connect()
        state = self._state()
        own = state is None
        if state is not None:
            state.check()
        retry = own
        while True:
            conn = self._pool.acquire() if state is None else state.conn
            tx = own and self.driver.stream_needs_transaction
            discard = False
            yielded = False
            try:
                if tx:
                    for s in self.dialect.begin_sql():
                        self._control(conn, s)
                for c in self._counters:
                    c.record(sql)
                try:
                    cur = self.driver.stream_cursor(conn, f"typedorm_stream_{next(self._stream_seq)}")
                    try:
                        cur.execute(sql, params)
                        while True:
                            rows = cur.fetchmany(batch_size)
                            if not rows:
                                break
                            yielded = True
                            yield list(rows)
                    except BaseException:
                        close_cursor_quietly(cur)
                        raise
                    cur.close()
                except self._errors as e:
                    err = map_error(self.driver, e, spec, sql)
                    if err is None:
                        raise
                    if state is not None:
                        state.fail(err, broken=self._broken(conn, err))
                    raise err from e
                if tx:
                    self._control(conn, self.dialect.commit_sql)
                return
            except BaseException as e:
                # release() rolls back what is left open; drop the connection if it is broken
                discard = (
                    self._broken(conn, e)
                    if isinstance(e, DatabaseError)
                    else not self.driver.is_alive_cheap(conn)
                )
                if not (retry and not yielded and isinstance(e, ConnectionLost) and is_plain_read(sql)):
                    raise
                retry = False
                logger.info(
                    "a stream lost its connection before its first batch (%s); starting it once more", e
                )
            finally:
                if own:
                    self._pool.release(conn, discard=discard)

    # --- statement API: what the repository runs compiled statements with -------------
    def run(
        self,
        sql: str,
        params: Sequence[Any],
        mode: ResultMode = ResultMode.ALL,
        *,
        table: TableSpec | None = None,
        using: Using | None = None,
        keys: Sequence[Sequence[Any]] | None = None,
    ) -> Any:
        """Run one statement compiled by ``self.dialect`` and return what ``mode`` asks for.

        ``sql`` and ``params`` are a :class:`~typedorm.sql.compiler.Compiled` (or a cached compiled
        shape with its values); ``table`` names the table in mapped errors
        (``UniqueViolation(fields=...)``). Inside ``transaction()`` the statement runs on its
        connection, else on a pooled one; there, a plain read (a SELECT without FOR UPDATE/SHARE or
        INTO) that loses its connection runs once more on a new one. With replicas, ``using``
        (``"primary"``/``"replica"``) overrides where a statement outside a transaction runs. Example::

            c = db.dialect.compile(select(User.id).where(User.age >= 18))
            rows = db.run(c.sql, c.params, ResultMode.ALL)

        ``keys``: for a write, the primary keys (as bound parameters) of the only rows of
        ``table`` it can change, if known; the query cache then invalidates the cached gets of
        those rows only (queries over the table are invalidated by every write).
        """
        if keys is not None and (
            not isinstance(keys, (list, tuple)) or not all(isinstance(k, (list, tuple)) for k in keys)
        ):
            raise InvalidArgument(
                f"keys= takes a list of primary keys, each a list of bound values, not {keys!r:.80}",
                argument="keys",
            )
        if using is not None:
            using = check_using(using)
            if using == "replica" and not is_plain_read(sql):
                using = None  # a locking read or a write: the primary (only raw SQL is taken at its word)
        hook = self._cache_hook
        if hook is None:
            return self._run(sql, params, mode, table, using, True)
        kind = hook.kind(sql)
        if kind == 0:
            return self._run(sql, params, mode, table, using, True)
        try:
            return self._run(sql, params, mode, table, using, True)
        finally:
            self._cache_wrote(hook.changes(table, sql, keys, kind))

    def cached_get_hit(self, sql: str, key: list[Any], table: TableSpec, objects: Materializer) -> Any:
        """What a cached get of row ``key`` (bound primary-key parameters; ``sql`` the get's
        statement) returns when this process's cache holds it and no transaction is open: a new
        instance from ``objects``, found without I/O (nothing awaited). Else ``MISS``: then
        :meth:`run_cached` reads it, through the cache."""
        if (
            type(key) is not list
            or type(sql) is not str
            or type(table) is not TableSpec
            or not callable(getattr(objects, "clone_one", None))
        ):
            refuse_get_hit(sql, key, table, objects)
        hook = self._cache_hook
        if hook is None or self._state() is not None:
            return MISS
        return hook.peek_get(table, sql, key, objects)

    def run_cached(
        self,
        sql: str,
        params: Sequence[Any],
        mode: ResultMode = ResultMode.ALL,
        *,
        reads: Reads,
        ttl: float | None = None,
        in_snapshot: bool = False,
        table: TableSpec | None = None,
        using: Using | None = None,
        objects: Materializer | None = None,
    ) -> Any:
        """:meth:`run` of a SELECT through the query cache (``ResultMode.ALL`` or ``ONE``).

        ``reads`` names the tables the statement reads (``typedorm.cache.hook.reads_of(stmt)``);
        the result is served from the cache while none of them changed, else run and stored for
        ``ttl`` seconds (the cache's default if None). Inside a transaction that wrote one of those
        tables, or a repeatable-read/serializable one (unless ``in_snapshot``), it runs uncached.
        ``objects`` (a repository's mapper): return the instances it builds from the rows instead
        of the rows; a cache entry keeps them validated once and every hit gets copies.
        """
        if mode != _ALL and mode != _ONE:
            raise InvalidArgument(
                "run_cached() returns rows: ResultMode.ALL or ResultMode.ONE", argument="mode"
            )
        hook = self._cache_hook
        if hook is None:
            self.cache._count("_bypasses")
            if objects is None:
                return self._run(sql, params, mode, table, using)
            rows = objects.hydrate_all(self._run(sql, params, _ALL, table, using))
        else:
            if using is not None:
                using = check_using(using)
            if not self._ready:
                self.connect()
            rows = hook.read(
                self._state(),
                sql,
                params,
                reads,
                ttl,
                in_snapshot,
                lambda: self._run(sql, params, _ALL, table, using, True),
                objects,
            )
        if mode == _ALL:
            return rows
        return rows[0] if rows else None

    def invalidate_cache(self, *tables: str | type[Model]) -> None:
        """Invalidate the cached results that read ``tables`` (table names or models; every table if
        none), for writes typedorm cannot see (another program, a trigger). Inside a transaction it
        takes effect when the transaction commits."""
        hook = self._cache_hook
        if hook is not None:
            self._cache_wrote(hook.tables(tables, "tables") if tables else None)

    def _cache_wrote(self, tables: Collection[str] | None) -> None:
        """A statement changed ``tables`` (None: any): recorded in the task's transaction, to be
        invalidated after its commit, or invalidated now when it ran on its own."""
        hook = self._cache_hook
        assert hook is not None
        state = self._own_state()
        if state is not None:
            hook.note(state, tables)
        else:
            hook.bump(tables)

    def _cache_committed(self, state: TxState) -> None:
        if self._cache_hook is not None:
            self._cache_hook.bump(self._cache_hook.committed(state))

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]], *, table: TableSpec | None = None) -> int:
        """Run one compiled statement once per parameter row (the driver's ``executemany``), in the
        current transaction or one of its own; returns the number of rows changed."""
        return self._run_many(sql, rows, table)

    def copy_rows(
        self,
        sql: str,
        rows: Sequence[Sequence[Any]],
        *,
        table: TableSpec | None = None,
        types: Sequence[str] | None = None,
    ) -> None:
        """Send ``rows`` with a compiled ``COPY ... FROM STDIN`` (only where ``supports_copy``), in the
        current transaction or one of its own. ``types``: the server type of each column, for a
        ``COPY`` in the binary format (``CopyFrom(..., binary=types)``)."""
        if not self.supports_copy:
            raise InvalidArgument(
                f"copy_rows() needs a driver that streams rows in (psycopg); {self.driver.name} cannot",
                argument="copy_rows",
            )
        self._copy_in(sql, rows, table, types)

    def stream(
        self,
        sql: str,
        params: Sequence[Any],
        batch_size: int,
        *,
        table: TableSpec | None = None,
        using: Using | None = None,
    ) -> Generator[list[Any], None]:
        """Batches of at most ``batch_size`` rows of one compiled SELECT, with bounded memory; the
        stream holds one connection until it is exhausted or closed (see ``_stream``). With
        replicas, outside a transaction it reads from a replica (``using`` overrides)."""
        if self._router is not None and self._state() is None:
            route = check_using(using)
            if route == "replica" and not is_plain_read(sql):
                route = None
            return self._router.stream(sql, params, batch_size, table, route)
        return self._stream(sql, params, batch_size, table)

    def unit_of_work(self) -> Transaction:
        """A transaction for one unit of typedorm's own work (insert and read back, hooks around a
        write): all or nothing; inside an open transaction a savepoint whose database failure
        aborts that transaction, as a single statement's would."""
        return self._atomic()

    def split_rows(
        self, rows: Sequence[Sequence[Any]], max_rows: int, fields: Sequence[str], model: str | None = None
    ) -> list[tuple[int, int]]:
        """Spans of ``rows`` for multi-row statements: at most ``max_rows`` each and, on MySQL, within
        the server's max_allowed_packet; a row too large to send at all is a ``DataError``."""
        return self._split_rows(rows, max_rows, fields, model)

    @property
    def max_statement_bytes(self) -> int | None:
        """The largest statement the server accepts (MySQL's max_allowed_packet), None if unlimited."""
        return self._max_packet

    @property
    def capabilities_known(self) -> bool:
        """Whether the dialect's version-dependent flags (RETURNING on MariaDB) are known yet."""
        return self._ready

    def execute(
        self,
        sql: str,
        params: Params | None = None,
        *,
        using: Using | None = None,
        touches: Iterable[str | type[Model]] | None = None,
    ) -> Result:
        """Run one raw SQL statement with bound parameters; returns a :class:`~typedorm.Result`.

        Placeholders are the same on every backend: ``?`` with a sequence of values, or
        ``:name`` with a mapping. Values are never formatted into the SQL text, and only one
        statement runs per call. With replicas it runs on the primary unless marked a read with
        ``using="replica"``.

        With a query cache, raw SQL invalidates every cached result unless ``touches`` names the
        tables it may change (names or models; ``touches=()`` for a read).

        Example::

            db.execute("SELECT name FROM users WHERE age >= ? AND name LIKE ?", (18, "J%"))
            db.execute("UPDATE users SET age = :age WHERE id = :id", {"age": 31, "id": 1})
            db.execute("UPDATE users SET age = age + 1", touches=[User])
        """
        tables = CacheHook.tables(touches)
        try:
            return self._execute(sql, params, using)
        finally:
            if self._cache_hook is not None:
                self._cache_wrote(tables)

    def _execute(self, sql: str, params: Params | None, using: Using | None) -> Result:
        """The statement of :meth:`execute`."""
        route: Using = check_using(using) or "primary"
        sql, values = prepare_execute(sql, params, self.dialect.paramstyle)
        if not values and self._simple_protocol_runs_many:
            # Without parameters psycopg would use the simple protocol, which runs every
            # statement in the string; a prepared statement is always exactly one.
            result: Result = self._run(sql, _NoParams(), _NONE, None, route)
        else:
            result = self._run(sql, values, _NONE, None, route)
        return result

    # --- transactions ----------------------------------------------------------------
    def transaction(
        self,
        *,
        isolation: IsolationLevel | None = None,
        mode: str | None = None,
        retry: int = 0,
    ) -> Transaction:
        """A transaction (or, nested, a savepoint): a context manager and a decorator.

        ``isolation``: ``"read committed"``, ``"repeatable read"``, ``"serializable"``;
        ``mode`` (SQLite): ``"immediate"`` (default), ``"deferred"`` or ``"exclusive"``;
        ``retry``: as a decorator, re-run the function this many times on
        :class:`~typedorm.errors.SerializationFailure` / :class:`~typedorm.errors.Deadlock`.
        """
        return Transaction(self, isolation, mode, retry)

    def _atomic(self) -> Transaction:
        """A transaction for a unit of work of typedorm's own (insert and read back, a
        multi-statement write, hooks around a write): all or nothing, and inside the task's
        transaction a savepoint whose database failure aborts that transaction, as a single
        statement's would."""
        return Transaction(self, None, None, 0, internal=True)

    def run_in_transaction(
        self,
        fn: _Thunk[R],
        *,
        retry: int = 3,
        isolation: IsolationLevel | None = None,
        mode: str | None = None,
    ) -> R:
        """Run ``fn()`` in a transaction, re-running it up to ``retry`` times on
        serialization failures and deadlocks (only those), with a short randomised back-off."""
        attempt = 0
        while True:
            try:
                with Transaction(self, isolation, mode, 0):
                    return fn()
            except (RetryableError, TransactionAborted) as e:
                if not is_retryable(e) or attempt >= retry or self._own_state() is not None:
                    raise
                attempt += 1
                time.sleep(retry_delay(attempt))

    def use_primary(self) -> contextlib.AbstractContextManager[None]:
        """``with db.use_primary():`` — every statement in the block (in this thread or task) runs
        on the primary. Without replicas it changes nothing."""
        if self._router is None:
            return contextlib.nullcontext()
        return self._router.use_primary()

    @property
    def routing(self) -> RoutingStats | None:
        """Where routed reads ran so far (``replica_share``), per replica reads and failures;
        None without replicas."""
        return self._router.stats() if self._router is not None else None

    def in_transaction(self) -> bool:
        """Whether the current task has a transaction open."""
        return self._own_state() is not None

    def on_commit(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` after the outermost transaction commits (dropped on rollback); outside a
        transaction it runs at once. With asyncio, awaited if it returns an awaitable (an async
        function needs a transaction: it cannot be awaited from here)."""
        state = self._state()
        if state is None:
            fn()
        else:
            state.on_commit(fn)

    @contextlib.contextmanager
    def count_queries(self, *, warn_repeats: int | None = None) -> Iterator[QueryCounter]:
        """Count the statements run inside the block (transaction control not included)."""
        counter = QueryCounter(warn_repeats)
        self._counters.append(counter)
        try:
            yield counter
        finally:
            self._counters.remove(counter)

    # --- schema ----------------------------------------------------------------------
    def create_all(self, *models: type[Model]) -> None:
        """Create the tables (and indexes) of ``models`` that do not exist yet, parents first."""
        specs = ordered_specs(models)
        self._ddl([s for spec in specs for s in self.dialect.create_table_statements(spec)])

    def drop_all(self, *models: type[Model]) -> None:
        """Drop the tables of ``models`` that exist, children first."""
        from ..sql.stmt import DropTable

        specs = list(reversed(ordered_specs(models)))
        self._ddl([self.dialect.compile(DropTable(s)).sql for s in specs])

    def create_tables(self, models: Sequence[type[Model]]) -> None:
        """Alias of :meth:`create_all` taking a list."""
        self.create_all(*models)

    def drop_tables(self, models: Sequence[type[Model]]) -> None:
        """Alias of ``drop_all(*models)`` taking a list: ``db.drop_tables([User])``."""
        self.drop_all(*models)

    def _ddl(self, stmts: list[str]) -> None:
        try:
            self._run_ddl(stmts)
        finally:
            if self._cache_hook is not None:
                self._cache_wrote(None)

    def _run_ddl(self, stmts: list[str]) -> None:
        if self.dialect.transactional_ddl:
            with self.transaction():
                for s in stmts:
                    self._run(s, (), _COUNT)
        else:
            for s in stmts:
                self._run(s, (), _COUNT)
