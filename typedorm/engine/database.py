"""``Database``: a URL's driver, dialect and pool; statement execution, transactions, DDL and logging."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..dialects import get_dialect
from ..dialects.base import Dialect, IsolationLevel
from ..drivers import get_driver
from ..errors import (
    ConfigurationError,
    ConnectionLost,
    DatabaseError,
    InvalidArgument,
    RetryableError,
    TransactionAborted,
    TransactionError,
)
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
    prepare_execute,
    retry_delay,
    split_by_size,
    sql_logger,
)
from .pool import create_pool
from .url import URL

if TYPE_CHECKING:
    from ..drivers.base import Driver
    from ..schema.model import Model
    from ..schema.spec import TableSpec

__all__ = ["Database", "Result", "Transaction"]

P = ParamSpec("P")
R = TypeVar("R")

Params = Sequence[Any] | Mapping[str, Any]

_ALL, _ONE, _COUNT, _NONE, _LASTID = 0, 1, 2, 3, 4


class _NoParams(tuple[()]):
    """Marks a raw statement without parameters that must still be sent as one statement."""


class Result:
    """What ``Database.execute`` returns: rows (tuples), column names and the row count."""

    __slots__ = ("columns", "lastrowid", "rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], columns: tuple[str, ...], rowcount: int, lastrowid: Any) -> None:
        self.rows: list[tuple[Any, ...]] = rows
        self.columns: tuple[str, ...] = columns
        self.rowcount: int = rowcount
        self.lastrowid: Any = lastrowid

    def all(self) -> list[tuple[Any, ...]]:
        """The rows, as a new list of tuples: ``db.execute("SELECT id FROM users").all()``."""
        return list(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None: ``db.execute("SELECT 1").first()``."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None when there are no rows."""
        return self.rows[0][0] if self.rows else None

    def mappings(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name: ``db.execute("SELECT id FROM users").mappings()``."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"<Result rows={len(self.rows)} rowcount={self.rowcount}>"


class Transaction:
    """``with db.transaction():`` — commit on success, roll back on any exception.

    Nested blocks are savepoints: an inner rollback keeps the outer work. Also a
    decorator, which can re-run the function on serialization failures and deadlocks::

        @db.transaction(retry=3, isolation="serializable")
        def transfer(a: int, b: int, amount: int) -> None: ...

    A statement that fails with a database error inside the block aborts the transaction on
    every backend: the statements after it and the commit raise
    :class:`~typedorm.errors.TransactionAborted` (chaining the failure) and everything rolls
    back. A nested ``transaction()`` around a statement that may fail keeps the outer one going.
    """

    __slots__ = ("_depth", "_internal", "_owner", "_state", "_token", "db", "isolation", "mode", "retry")

    def __init__(
        self, db: Database, isolation: IsolationLevel | None, mode: str | None, retry: int, *, internal: bool = False
    ) -> None:
        check_transaction_options(db.dialect, isolation, retry)
        self.db: Database = db
        self.isolation: IsolationLevel | None = isolation
        self.mode: str | None = mode
        self.retry: int = retry
        self._state: TxState | None = None
        self._token: Token[TxState | None] | None = None
        self._owner = False
        self._depth = 0
        self._internal = internal

    def __enter__(self) -> Transaction:
        if self._state is not None:
            raise TransactionError("this transaction object is already in use; call db.transaction() again")
        db = self.db
        state = db._tx.get()
        if state is None:
            conn = db._pool.acquire()
            state = TxState(conn, db.dialect)
            try:
                for sql in state.begin(self.isolation, self.mode):
                    db._control(conn, sql)
            except BaseException:
                db._pool.release(conn, discard=True)
                raise
            self._token = db._tx.set(state)
            self._owner = True
        else:
            if self.isolation is not None:
                raise TransactionError("isolation can only be chosen for the outermost transaction")
            sqls = state.savepoint(internal=self._internal)
            try:
                for sql in sqls:
                    db._control(state.conn, sql)
            except BaseException as e:
                state.levels.pop()  # the savepoint never opened: the enclosing level is current again
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
        db = self.db
        if state.depth != self._depth:
            raise TransactionError("transactions were closed out of order")
        sqls, callbacks, aborted = state.end(et is None)
        commit = et is None and aborted is None
        failed = False
        try:
            if not state.broken:  # nothing can be sent on a connection the server closed
                for sql in sqls:
                    db._control(state.conn, sql)
        except BaseException as e:
            failed = True
            if self._owner and commit:
                # COMMIT failed (e.g. a deferred constraint or serialization failure): roll back.
                with contextlib.suppress(Exception):
                    db._control(state.conn, db.dialect.rollback_sql)
            elif not self._owner and isinstance(e, DatabaseError):
                state.fail(e, broken=db._broken(state.conn, e))
            raise
        finally:
            if self._owner:
                assert self._token is not None
                db._tx.reset(self._token)
                self._token = None
                db._pool.release(state.conn, discard=(failed and not commit) or state.broken)
        if aborted is not None:
            raise aborted from aborted.error
        for cb in callbacks:
            cb()

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        isolation, mode, retry, db = self.isolation, self.mode, self.retry, self.db

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return db.run_in_transaction(lambda: fn(*args, **kwargs), retry=retry, isolation=isolation, mode=mode)

        return wrapper


class Database:
    """A database: its URL, driver, dialect and connection pool.

    Example::

        db = Database("sqlite:///app.db")        # or postgresql://..., mysql://...
        db.create_all(User)
        with db.transaction():
            ...

    SQLite files get WAL, ``foreign_keys=ON`` and a busy timeout; write transactions
    start with ``BEGIN IMMEDIATE``. Threads share the pool (each checks a connection
    out per statement or per transaction); ``sqlite:///:memory:`` has one shared
    connection that threads take turns on. Statements outside ``transaction()`` are
    autocommitted one by one.
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
        pool_pre_ping: bool = False,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self.url: URL = URL.parse(url)
        self.driver: Driver = get_driver(self.url)
        self.dialect: Dialect = get_dialect(self.url.dialect)
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
        )
        self._tx: ContextVar[TxState | None] = ContextVar(f"typedorm_tx_{id(self)}", default=None)
        self._counters: list[QueryCounter] = []
        # UnicodeError: a driver encoding a value it cannot (a lone surrogate) raises it raw.
        self._errors: tuple[type[BaseException], ...] = (*self.driver.error_types, UnicodeError)
        self._closed = False
        self._mappers: dict[type[Any], Any] = {}
        #: per-database cache of the repository's row mappers (model -> mapper)
        self.mappers: dict[type[Any], Any] = self._mappers
        #: COPY FROM STDIN is available (psycopg): the fastest bulk insert on PostgreSQL
        self.supports_copy: bool = self.driver.supports_copy
        self._simple_protocol_runs_many = self.driver.simple_protocol_runs_many
        self._stream_seq = itertools.count(1)
        #: MySQL's max_allowed_packet (read at construction): the largest statement the server takes
        self._max_packet: int | None = None
        if echo:
            enable_echo()
        self._configure_dialect()

    def _configure_dialect(self) -> None:
        """Adjust capability flags to the server's version (RETURNING on MariaDB 10.5+, not MySQL)."""
        if self.dialect.name != "mysql":
            return
        row = self.execute("SELECT VERSION(), @@max_allowed_packet").first()
        apply_server_version(self.dialect, str(row[0] if row else ""))
        self._max_packet = int(row[1]) if row and row[1] else None

    @classmethod
    def from_env(cls, var: str = "DATABASE_URL", **options: Any) -> Database:
        """A Database for the URL in environment variable ``var``."""
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

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- execution -------------------------------------------------------------------
    def _control(self, conn: Any, sql: str) -> None:
        if sql_logger.isEnabledFor(logging.DEBUG):
            sql_logger.debug("%s", sql)
        try:
            cur = conn.cursor()
            try:
                cur.execute(sql)
            finally:
                cur.close()
        except self._errors as e:
            err = map_error(self.driver, e, None)
            if err is None:
                raise
            raise err from e

    def _broken(self, conn: Any, err: DatabaseError) -> bool:
        """Whether ``err`` left ``conn`` unusable: lost, or closed by the server after the error
        (MariaDB closes the connection after a statement over ``max_allowed_packet``)."""
        if isinstance(err, ConnectionLost) or not self.driver.is_alive_cheap(conn):
            return True
        cause = err.__cause__
        return cause is not None and self.driver.is_disconnect(cause)

    def _split_rows(
        self, rows: Sequence[Sequence[Any]], max_rows: int, fields: Sequence[str], model: str | None = None
    ) -> list[tuple[int, int]]:
        """Spans of ``rows`` for multi-row statements within ``max_rows`` and, on MySQL, within the
        server's max_allowed_packet; a row too large to send at all is a ``DataError``."""
        return split_by_size(rows, max_rows, self._max_packet, fields, model)

    def _run(self, sql: str, params: Any, mode: int, spec: TableSpec | None = None) -> Any:
        if self._max_packet is not None and params:
            check_statement_size(sql, params, self._max_packet)
        state = self._tx.get()
        if state is not None:
            state.check()
            try:
                return self._run_on(state.conn, sql, params, mode, spec)
            except DatabaseError as e:
                state.fail(e, broken=self._broken(state.conn, e))
                raise
        pool = self._pool
        conn = pool.acquire()
        discard = False
        try:
            return self._run_on(conn, sql, params, mode, spec)
        except DatabaseError as e:
            discard = self._broken(conn, e)
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
            cur = conn.cursor()  # inside: a closed connection refuses to make one
            try:
                if type(params) is _NoParams:
                    cur.execute(sql, None, prepare=True)
                else:
                    cur.execute(sql, params)
                if mode == _ALL:
                    out: Any = cur.fetchall()
                elif mode == _ONE:
                    out = cur.fetchone()
                elif mode == _COUNT:
                    out = cur.rowcount
                elif mode == _LASTID:
                    out = cur.lastrowid
                else:
                    desc = cur.description
                    rows = cur.fetchall() if desc is not None else []
                    cols = tuple(d[0] for d in desc) if desc is not None else ()
                    out = Result(list(rows), cols, cur.rowcount, getattr(cur, "lastrowid", None))
            except BaseException:
                _close_quietly(cur)
                raise
            cur.close()
        except self._errors as e:
            err = map_error(self.driver, e, spec, sql, params)
            if err is None:
                raise
            raise err from e
        if log:
            self._log(sql, params, start)
        return out

    def _run_many(self, sql: str, seq: Sequence[Sequence[Any]], spec: TableSpec | None = None) -> int:
        state = self._tx.get()
        if state is None:
            with self.transaction():
                return self._run_many(sql, seq, spec)
        state.check()
        for c in self._counters:
            c.record(sql)
        log = sql_logger.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if log else 0.0
        try:
            cur = state.conn.cursor()
            try:
                cur.executemany(sql, seq)
                n: int = cur.rowcount
            except BaseException:
                _close_quietly(cur)
                raise
            cur.close()
        except self._errors as e:
            err = map_error(self.driver, e, spec, sql, seq)
            if err is None:
                raise
            state.fail(err, broken=self._broken(state.conn, err))
            raise err from e
        if log:
            self._log(sql, seq, start, many=True)
        return n

    def _copy_in(self, copy_sql: str, rows: Sequence[Sequence[Any]], spec: TableSpec | None = None) -> None:
        """``COPY ... FROM STDIN`` of ``rows`` inside the open transaction (``supports_copy``)."""
        state = self._tx.get()
        if state is None:
            with self.transaction():
                return self._copy_in(copy_sql, rows, spec)
        state.check()
        for c in self._counters:
            c.record(copy_sql)
        log = sql_logger.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if log else 0.0
        try:
            with state.conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except self._errors as e:
            err = map_error(self.driver, e, spec, copy_sql, None)
            if err is None:
                raise
            state.fail(err, broken=self._broken(state.conn, err))
            raise err from e
        if log:
            self._log(copy_sql, rows, start, many=True)
        return None

    def _stream(self, sql: str, params: Any, batch_size: int, spec: TableSpec | None = None) -> Iterator[list[Any]]:
        """Yield batches of rows with bounded memory; holds one connection until exhausted or closed.

        SQLite steps its cursor lazily. PostgreSQL uses a server-side (named) cursor, inside
        a transaction of its own when none is open. MySQL uses an unbuffered cursor: the
        connection can run nothing else until the iteration ends.
        """
        state = self._tx.get()
        if state is None and self.driver.stream_needs_transaction:
            with self.transaction():
                yield from self._stream(sql, params, batch_size, spec)
            return
        if state is not None:
            state.check()
        conn = state.conn if state is not None else self._pool.acquire()
        discard = False
        try:
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
                        yield rows
                except BaseException:
                    _close_quietly(cur)
                    raise
                cur.close()
            except self._errors as e:
                err = map_error(self.driver, e, spec, sql)
                if err is None:
                    raise
                broken = self._broken(conn, err)
                if state is not None:
                    state.fail(err, broken=broken)
                discard = broken
                raise err from e
        finally:
            if state is None:
                self._pool.release(conn, discard=discard)

    def _log(self, sql: str, params: Any, start: float, many: bool = False) -> None:
        log_statement(sql, params, start, self.log_parameters, many)

    # --- statement API: what the repository runs compiled statements with -------------
    def run(
        self, sql: str, params: Sequence[Any], mode: ResultMode = ResultMode.ALL, *, table: TableSpec | None = None
    ) -> Any:
        """Run one statement compiled by ``self.dialect`` and return what ``mode`` asks for.

        ``sql`` and ``params`` are a :class:`~typedorm.sql.compiler.Compiled` (or a cached compiled
        shape with its values); ``table`` names the table in mapped errors
        (``UniqueViolation(fields=...)``). Inside ``transaction()`` the statement runs on its
        connection, else on a pooled one. Example::

            c = db.dialect.compile(select(User.id).where(User.age >= 18))
            rows = db.run(c.sql, c.params, ResultMode.ALL)
        """
        return self._run(sql, params, mode, table)

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]], *, table: TableSpec | None = None) -> int:
        """Run one compiled statement once per parameter row (the driver's ``executemany``), in the
        current transaction or one of its own; returns the number of rows changed."""
        return self._run_many(sql, rows, table)

    def copy_rows(self, sql: str, rows: Sequence[Sequence[Any]], *, table: TableSpec | None = None) -> None:
        """Send ``rows`` with a compiled ``COPY ... FROM STDIN`` (only where ``supports_copy``), in the
        current transaction or one of its own."""
        if not self.supports_copy:
            raise InvalidArgument(f"copy_rows() needs a driver that streams rows in (psycopg); {self.driver.name} cannot",
                                  argument="copy_rows")
        self._copy_in(sql, rows, table)

    def stream(
        self, sql: str, params: Sequence[Any], batch_size: int, *, table: TableSpec | None = None
    ) -> Iterator[list[Any]]:
        """Batches of at most ``batch_size`` rows of one compiled SELECT, with bounded memory; the
        stream holds one connection until it is exhausted or closed (see ``_stream``)."""
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
        return True  # a Database reads the server version when it is made

    def execute(self, sql: str, params: Params | None = None) -> Result:
        """Run one raw SQL statement with bound parameters; returns a :class:`Result`.

        Placeholders are the same on every backend: ``?`` with a sequence of values, or
        ``:name`` with a mapping; typedorm rewrites them into the driver's style. Values
        are never formatted into the SQL text, and only one statement runs per call.

        Example::

            db.execute("SELECT name FROM users WHERE age >= ? AND name LIKE ?", (18, "J%"))
            db.execute("UPDATE users SET age = :age WHERE id = :id", {"age": 31, "id": 1})
        """
        sql, values = prepare_execute(sql, params, self.dialect.paramstyle)
        if not values and self._simple_protocol_runs_many:
            # psycopg sends a parameterless query with the simple protocol, which runs every
            # statement in the string ("SELECT 1; DROP TABLE t"). A prepared statement is
            # always one statement: the server refuses the stacked form.
            result: Result = self._run(sql, _NoParams(), _NONE)
        else:
            result = self._run(sql, values, _NONE)
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
        multi-statement write, hooks around a write): all or nothing, and inside an open
        transaction a savepoint whose database failure aborts that transaction, as a single
        statement's would."""
        return Transaction(self, None, None, 0, internal=True)

    def run_in_transaction(
        self,
        fn: Callable[[], R],
        *,
        retry: int = 3,
        isolation: IsolationLevel | None = None,
        mode: str | None = None,
    ) -> R:
        """Run ``fn()`` in a transaction, re-running it up to ``retry`` times on serialization
        failures and deadlocks (only those), with a short randomised back-off."""
        attempt = 0
        while True:
            try:
                with Transaction(self, isolation, mode, 0):
                    return fn()
            except (RetryableError, TransactionAborted) as e:
                if not is_retryable(e) or attempt >= retry or self._tx.get() is not None:
                    raise
                attempt += 1
                time.sleep(retry_delay(attempt))

    def in_transaction(self) -> bool:
        """Whether this thread is inside ``db.transaction()``."""
        return self._tx.get() is not None

    def on_commit(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` after the outermost transaction commits (dropped on rollback);
        outside a transaction it runs at once."""
        state = self._tx.get()
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
        """Create the tables (and indexes) of ``models`` that do not exist yet, parents first.

        Automatic link tables of their many-to-many relations (``relation(through="table")``)
        are created with them."""
        specs = _ordered_specs(models)
        stmts = [s for spec in specs for s in self.dialect.create_table_statements(spec)]
        self._ddl(stmts)

    def drop_all(self, *models: type[Model]) -> None:
        """Drop the tables of ``models`` that exist, children first."""
        from ..sql.stmt import DropTable

        specs = list(reversed(_ordered_specs(models)))
        self._ddl([self.dialect.compile(DropTable(s)).sql for s in specs])

    def create_tables(self, models: Sequence[type[Model]]) -> None:
        """Alias of :meth:`create_all` taking a list."""
        self.create_all(*models)

    def drop_tables(self, models: Sequence[type[Model]]) -> None:
        """Alias of ``drop_all(*models)`` taking a list: ``db.drop_tables([User])``."""
        self.drop_all(*models)

    def _ddl(self, stmts: list[str]) -> None:
        if self.dialect.transactional_ddl:
            with self.transaction():
                for s in stmts:
                    self._run(s, (), _COUNT)
        else:
            for s in stmts:
                self._run(s, (), _COUNT)


def _close_quietly(cur: Any) -> None:
    # Closing a cursor after a failure must not replace the failure with its own error.
    try:
        cur.close()
    except Exception:
        logging.getLogger("typedorm.engine").debug("error while closing a cursor (ignored)", exc_info=True)


def _ordered_specs(models: Sequence[type[Model]]) -> list[TableSpec]:
    from ..schema.model import Model

    specs: dict[str, TableSpec] = {}
    for m in models:
        if not (isinstance(m, type) and issubclass(m, Model)) or getattr(m, "__typedorm_abstract__", True):
            raise TypeError(f"expected table model classes, got {m!r}")
        specs[m.__table__.name] = m.__table__
    from ..schema.relations import link_models

    for link in link_models(*models):  # automatic many-to-many link tables go with their models
        specs.setdefault(link.__table__.name, link.__table__)
    out: list[TableSpec] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen or name not in specs:
            return
        if name in stack:
            return  # a cycle: leave the order as declared
        for fk in specs[name].foreign_keys:
            if fk.ref_table != name:
                visit(fk.ref_table, (*stack, name))
        seen.add(name)
        out.append(specs[name])

    for n in specs:
        visit(n, ())
    return out

