"""Sans-I/O engine core shared by the sync and async engines: transaction bookkeeping, error mapping, query log."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from ..drivers.base import ResultMode
from ..errors import (
    ConnectionLost,
    DatabaseError,
    DataError,
    InvalidArgument,
    RetryableError,
    TransactionAborted,
    TransactionError,
    TypedORMError,
)
from ..schema.spec import TableSpec

if TYPE_CHECKING:
    from ..dialects.base import Dialect, IsolationLevel
    from ..drivers.base import ErrorInfo
    from ..schema.model import Model

__all__ = [
    "ErrorClassifier",
    "QueryCounter",
    "ResultMode",
    "TxState",
    "apply_server_version",
    "check_statement_size",
    "check_transaction_options",
    "connect_error",
    "is_retryable",
    "enable_echo",
    "log_statement",
    "map_error",
    "ordered_specs",
    "prepare_execute",
    "refuse_get_hit",
    "retry_delay",
    "split_by_size",
    "sql_logger",
    "value_size",
]

sql_logger: logging.Logger = logging.getLogger("typedorm.sql")


class ErrorClassifier(Protocol):
    """What ``map_error`` needs from a driver adapter, sync or async."""

    def classify(self, exc: BaseException) -> ErrorInfo | None: ...


@dataclass
class _Level:
    savepoint: str | None
    callbacks: list[Callable[[], object]] = field(default_factory=list)
    #: the database error that aborted this level; it can only roll back now
    failure: BaseException | None = None
    #: a savepoint of typedorm's own (a repository call's unit of work): a failure inside it
    #: aborts the enclosing level as well, as if its statements had run there
    internal: bool = False


def _aborted(failure: BaseException, what: str) -> TransactionAborted:
    return TransactionAborted(
        f"{what}: a statement inside the transaction failed ({type(failure).__name__}: {failure}), "
        "so the transaction was rolled back; wrap a statement that may fail in a nested "
        "transaction() (a savepoint) to keep the enclosing transaction going",
        error=failure,
    )


class TxState:
    """Where one connection's transaction stands: its nesting levels and pending on-commit callbacks.

    Returns the SQL each step needs; running it is the caller's job (sync or async).

    A statement that fails on the server marks the innermost level failed (``fail``), on every
    backend alike: PostgreSQL aborts the transaction and would turn its COMMIT into a ROLLBACK,
    while SQLite and MariaDB would commit the statements around the failed one. From then on
    the level only rolls back: later statements (``check``) and its commit (``end``) raise
    ``TransactionAborted`` chaining the failure. A savepoint level that rolls back takes its
    failure with it, which keeps the enclosing transaction usable; except a savepoint of
    typedorm's own (``internal``), whose failure aborts the enclosing level too, so that a
    repository call fails a transaction the same way whether it runs one statement or several.
    """

    __slots__ = ("broken", "conn", "counter", "dialect", "isolation", "levels", "written")

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn: Any = conn
        self.dialect: Dialect = dialect
        self.levels: list[_Level] = []
        self.counter: int = 0
        #: the connection itself is unusable (lost, or closed by the server): discard it at the end
        self.broken: bool = False
        #: the isolation asked for at begin (None: the dialect's default)
        self.isolation: IsolationLevel | None = None
        #: tables written so far, for the query cache (invalidated after the commit)
        self.written: set[str] | None = None

    @property
    def failure(self) -> BaseException | None:
        """The error that aborted the innermost level, if any."""
        return self.levels[-1].failure if self.levels else None

    def fail(self, error: BaseException, *, broken: bool = False) -> None:
        """Record that a statement at the innermost level failed on the server."""
        if self.levels and self.levels[-1].failure is None:
            self.levels[-1].failure = error
        if broken:
            # The connection is gone: no enclosing level can commit either.
            self.broken = True
            for level in self.levels:
                if level.failure is None:
                    level.failure = error

    def check(self) -> None:
        """Raise ``TransactionAborted`` if the innermost level failed: no statement may run in it."""
        if self.levels:
            failure = self.levels[-1].failure
            if failure is not None:
                raise _aborted(failure, "statement refused") from failure

    @property
    def depth(self) -> int:
        return len(self.levels)

    def begin(self, isolation: IsolationLevel | None, mode: str | None) -> list[str]:
        if self.levels:
            raise TransactionError("begin() on a transaction that is already open")
        self.levels.append(_Level(None))
        self.isolation = isolation
        return self.dialect.begin_sql(isolation, mode)

    def savepoint(self, *, internal: bool = False) -> list[str]:
        self.check()
        if not self.dialect.supports_savepoints:
            raise TransactionError(
                f"{self.dialect.name} has no savepoints: nested transactions are not possible"
            )
        self.counter += 1
        name = f"typedorm_sp_{self.counter}"
        self.levels.append(_Level(name, internal=internal))
        return [self.dialect.savepoint_sql(name)]

    def end(self, commit: bool) -> tuple[list[str], list[Callable[[], object]], TransactionAborted | None]:
        """SQL to close the innermost level, the callbacks to run once that SQL succeeded, and the
        error to raise afterwards: a failed level asked to commit rolls back instead and raises
        ``TransactionAborted`` (``raise err from err.error``)."""
        level = self.levels.pop()
        if level.internal and level.failure is not None and self.levels and self.levels[-1].failure is None:
            self.levels[-1].failure = level.failure
        aborted: TransactionAborted | None = None
        if level.failure is not None and commit:
            what = "commit refused" if level.savepoint is None else "savepoint rolled back"
            aborted = _aborted(level.failure, what)
            commit = False
        sqls, callbacks = self._close(level, commit)
        return sqls, callbacks, aborted

    def _close(self, level: _Level, commit: bool) -> tuple[list[str], list[Callable[[], object]]]:
        if level.savepoint is None:
            if commit:
                return [self.dialect.commit_sql], level.callbacks
            return [self.dialect.rollback_sql], []
        if commit:
            # Callbacks of a released savepoint belong to the enclosing level now.
            self.levels[-1].callbacks.extend(level.callbacks)
            return [self.dialect.release_sql(level.savepoint)], []
        return [self.dialect.rollback_to_sql(level.savepoint), self.dialect.release_sql(level.savepoint)], []

    def on_commit(self, fn: Callable[[], object]) -> None:
        self.levels[-1].callbacks.append(fn)


class QueryCounter:
    """Counts statements run while active: ``with db.count_queries() as q: ...; q.count``.

    ``statements`` lists the SQL text of each. With ``warn_repeats=N``, a statement shape
    that runs more than N times emits a warning: the N+1 pattern.
    """

    def __init__(self, warn_repeats: int | None = None) -> None:
        self.statements: list[str] = []
        self.warn_repeats = warn_repeats
        self._shapes: dict[str, int] = {}
        self._warned: set[str] = set()

    @property
    def count(self) -> int:
        return len(self.statements)

    def record(self, sql: str) -> None:
        """Count one statement (called by the engine for each statement run while active)."""
        self.statements.append(sql)
        if self.warn_repeats is not None:
            n = self._shapes.get(sql, 0) + 1
            self._shapes[sql] = n
            if n > self.warn_repeats and sql not in self._warned:
                import warnings

                self._warned.add(sql)
                warnings.warn(
                    f"possible N+1 query: the same statement ran {n} times: {sql[:200]}; "
                    "load related rows in one query with .load(...)",
                    NPlusOneWarning,
                    stacklevel=4,
                )

    def __repr__(self) -> str:
        return f"<QueryCounter count={self.count}>"


class NPlusOneWarning(UserWarning):
    """The same statement ran many times in a row."""


def _field_names(spec: TableSpec | None, columns: tuple[str, ...]) -> tuple[str, ...]:
    if spec is None:
        return columns
    out = []
    for c in columns:
        col = spec.by_name.get(c)
        out.append(col.field if col is not None else c)
    return tuple(out)


def _columns_from_constraint(spec: TableSpec, info: ErrorInfo) -> tuple[str, ...]:
    name = info.constraint
    if not name:
        return ()
    for idx in spec.indexes:
        if idx.name == name:
            return idx.columns
    if name == "PRIMARY" or name.endswith("_pkey"):
        return spec.primary_key
    for fk in spec.foreign_keys:
        if fk.name == name:
            return fk.columns
    # generated CHECK names: ck_<table>_<column>_<suffix> (a bound or type check) and
    # ck_<table>_<column> (a column's own check=)
    best: tuple[str, ...] = ()
    prefix = f"ck_{spec.name}_"
    if name.startswith(prefix):
        rest = name[len(prefix) :]
        for c in spec.columns:
            if rest == c.name:
                return (c.name,)
            if rest.startswith(c.name + "_") and len(c.name) > (len(best[0]) if best else -1):
                best = (c.name,)
    return best


def map_error(
    driver: ErrorClassifier,
    exc: BaseException,
    spec: TableSpec | None,
    sql: str | None = None,
    params: Any = None,
) -> DatabaseError | None:
    """The typedorm error for a driver exception, naming the model's fields where it can.

    ``sql`` is the failed statement and ``params`` its parameters, when known. A ``UnicodeError``
    raised while a driver encodes a value (a lone surrogate in a ``str``) is a ``DataError``.
    """
    if isinstance(exc, UnicodeError):
        return DataError(f"a value cannot be encoded for the database: {exc}")
    info = driver.classify(exc)
    if info is None:
        return None
    columns = info.columns
    if (
        info.kind == "foreign_key"
        and not columns
        and info.table is None
        and info.constraint is None
        and spec is not None
        and len(spec.foreign_keys) == 1
        and sql is not None
        and sql.lstrip()[:6].upper() in ("INSERT", "UPDATE")
    ):
        # SQLite names neither the constraint nor the column ("FOREIGN KEY constraint failed").
        # An INSERT into a table with a single foreign key can only have broken that one; so can
        # an UPDATE, unless it changed a key that other tables reference (then it is misnamed).
        columns = spec.foreign_keys[0].columns
    if (
        info.kind == "foreign_key"
        and not columns
        and info.table is None
        and info.constraint is None
        and spec is not None
        and sql is not None
    ):
        # Several foreign keys, or a parent row still referenced: the statement tells which.
        from .fk_errors import foreign_key_columns

        columns = foreign_key_columns(spec, sql, params)
    if spec is not None and info.table not in (None, spec.name) and info.kind != "foreign_key":
        spec_for_names: TableSpec | None = None
    else:
        spec_for_names = spec
    if spec_for_names is not None and not columns:
        columns = _columns_from_constraint(spec_for_names, info)
    fields = _field_names(spec_for_names, columns)
    model = spec.model_name if spec is not None else None
    err = info.to_exception(model=model, fields=fields)
    if fields and model:
        msg = f"{model}.{', '.join(fields)}: {info.message}"
        err.args = (msg,)
    return err


def connect_error(driver: ErrorClassifier, exc: BaseException) -> TypedORMError:
    """The typedorm error for a failure to open a connection (server down, login refused, a
    SQLite file that cannot be opened): the driver's classification, ``ConnectionLost`` for an
    ``OSError`` (e.g. a refused socket) it does not wrap, else ``DatabaseError``."""
    if isinstance(exc, TypedORMError):
        return exc
    err = map_error(driver, exc, None)
    if err is not None:
        return err
    if isinstance(exc, OSError):
        return ConnectionLost(f"cannot connect: {exc}")
    return DatabaseError(f"cannot connect: {type(exc).__name__}: {exc}")


# What MySQL drivers double when they escape a literal (pymysql, mysqlclient and asyncmy build the
# statement text client-side; dev.mysql.com/doc/c-api/8.0/en/mysql-real-escape-string.html).
_ESCAPED_CHARS = ("\\", "'", '"', "\0", "\n", "\r", "\x1a")
_ESCAPED_BYTES = tuple(c.encode() for c in _ESCAPED_CHARS)
# Room for the statement's own text around the values, and the packet's header.
_STATEMENT_MARGIN = 16 * 1024


def value_size(value: object) -> int:
    """An upper bound of the bytes ``value`` takes as an escaped literal in a statement's text.

    Exact enough for large values (their encoded length plus the characters escaping doubles),
    and pessimistic for small ones, which cost nothing to over-count.
    """
    if value is None or type(value) in (int, float, bool):
        return 24
    if isinstance(value, str):
        n = len(value)
        if n < 512:
            return 4 * n + 2  # utf8mb4: at most 4 bytes a character, an escaped one takes 2
        return len(value.encode("utf-8", "surrogatepass")) + sum(value.count(c) for c in _ESCAPED_CHARS) + 2
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if len(data) < 512:
            return 2 * len(data) + 10
        return len(data) + sum(data.count(c) for c in _ESCAPED_BYTES) + 10  # _binary'...'
    return 2 * len(str(value)) + 8


def check_statement_size(sql: str, params: Sequence[Any], limit: int) -> None:
    """Raise ``DataError`` before sending a statement larger than ``limit`` (MySQL's
    ``max_allowed_packet``): the server would refuse it and close the connection, and the client
    may then only see the connection drop (a retryable-looking ``ConnectionLost``)."""
    budget = limit - _STATEMENT_MARGIN
    # A quick upper bound first (4 bytes a character, 2 a byte): nearly every statement is far
    # below the limit, and this costs about a microsecond.
    rough = len(sql)
    for v in params:
        t = type(v)
        if t is str:
            rough += 4 * len(v) + 2
        elif t is int or t is float or v is None:
            rough += 24
        else:
            rough += value_size(v)
    if rough <= budget:
        return
    size = len(sql) + sum(value_size(v) for v in params)
    if size > budget:
        biggest = max((value_size(v) for v in params), default=0)
        raise DataError(
            f"the statement needs about {size} bytes (its largest value about {biggest}), more than the "
            f"server's max_allowed_packet of {limit} bytes allows; store a smaller value or raise "
            "max_allowed_packet on the server"
        )


def split_by_size(
    rows: Sequence[Sequence[Any]],
    max_rows: int,
    limit: int | None,
    fields: Sequence[str],
    model: str | None = None,
) -> list[tuple[int, int]]:
    """``(start, stop)`` spans of ``rows`` for multi-row statements: at most ``max_rows`` rows each
    and, with a statement size ``limit`` (MySQL's ``max_allowed_packet``), small enough to send.

    A row that cannot fit even alone raises ``DataError`` naming its largest field and the limit,
    before anything is sent: the server would refuse it and close the connection.

    >>> split_by_size([[1], [2], [3]], 2, None, ["a"])
    [(0, 2), (2, 3)]
    """
    n = len(rows)
    max_rows = max(1, max_rows)
    if limit is None:
        return [(start, min(start + max_rows, n)) for start in range(0, n, max_rows)]
    budget = limit - _STATEMENT_MARGIN
    spans: list[tuple[int, int]] = []
    start = size = 0
    for i, row in enumerate(rows):
        sizes = [value_size(v) for v in row]
        need = sum(sizes) + 2 * len(sizes) + 4
        if need > budget:
            j = max(range(len(sizes)), key=sizes.__getitem__) if sizes else 0
            name = fields[j] if j < len(fields) else None
            where = f"{model}.{name}" if model and name else (name or "a value")
            raise DataError(
                f"{where}: row {i} needs about {need} bytes in one statement, more than the server's "
                f"max_allowed_packet of {limit} bytes allows; store a smaller value or raise "
                "max_allowed_packet on the server",
                field=name,
                model=model,
            )
        if i > start and (i - start >= max_rows or size + need > budget):
            spans.append((start, i))
            start, size = i, 0
        size += need
    if start < n:
        spans.append((start, n))
    return spans


def is_retryable(exc: BaseException) -> bool:
    """Whether re-running the transaction may succeed: a serialization failure or deadlock, raised
    directly or as the cause of a ``TransactionAborted`` (the caller caught it and went on)."""
    if isinstance(exc, TransactionAborted):
        return isinstance(exc.error, RetryableError)
    return isinstance(exc, RetryableError)


def timed() -> float:
    return time.perf_counter()


# --- helpers both engines call around their I/O ------------------------------------------------


def prepare_execute(sql: object, params: object, paramstyle: str) -> tuple[str, list[Any]]:
    """Check ``execute()``'s arguments and rewrite portable ``?``/``:name`` placeholders.

    Raises TypeError for a non-string statement, parameters that are neither a sequence nor a
    mapping, or placeholders that do not match the parameters.

    >>> prepare_execute("SELECT * FROM t WHERE a = :a", {"a": 1}, "format")
    ('SELECT * FROM t WHERE a = %s', [1])
    """
    if not isinstance(sql, str):
        raise TypeError(f"sql must be a str, not {type(sql).__name__}")
    if params is None:
        params = ()
    elif isinstance(params, (str, bytes)) or not isinstance(params, (Sequence, Mapping)):
        raise TypeError("params must be a sequence (positional) or a mapping (named parameters)")
    from ..sql.raw import translate_placeholders

    try:
        return translate_placeholders(sql, params, paramstyle)
    except ValueError as e:
        raise TypeError(str(e)) from None


def apply_server_version(dialect: Dialect, version: str) -> None:
    """Adjust a dialect's capability flags to ``SELECT VERSION()`` (the dialect decides how)."""
    dialect.apply_server_version(version)


def check_transaction_options(dialect: Dialect, isolation: IsolationLevel | None, retry: object) -> None:
    """Validate ``transaction(isolation=, retry=)`` before any I/O."""
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 0:
        raise InvalidArgument(f"retry must be a non-negative int, not {retry!r}", argument="retry")
    if isolation is not None:
        dialect.check_isolation(isolation)


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): short, randomised, capped at 0.1 s."""
    return random.uniform(0, min(0.002 * 2**attempt, 0.1))


def log_statement(sql: str, params: Any, start: float, log_parameters: bool, many: bool = False) -> None:
    """Log one statement on ``typedorm.sql``: its text, parameter count (values if asked) and duration."""
    ms = (time.perf_counter() - start) * 1000
    n = len(params) if params is not None else 0
    if log_parameters:
        sql_logger.debug("%s | %s=%r | %.3f ms", sql, "rows" if many else "params", params, ms)
    else:
        sql_logger.debug("%s | %d %s | %.3f ms", sql, n, "rows" if many else "params", ms)


_echo_handler: logging.Handler | None = None


def enable_echo() -> None:
    """``echo=True``: log statements at DEBUG to stderr unless the application configured the logger."""
    global _echo_handler
    if sql_logger.level == logging.NOTSET or sql_logger.level > logging.DEBUG:
        sql_logger.setLevel(logging.DEBUG)
    if _echo_handler is None and not sql_logger.handlers:
        _echo_handler = logging.StreamHandler()
        _echo_handler.setFormatter(logging.Formatter("%(asctime)s typedorm.sql %(message)s"))
        sql_logger.addHandler(_echo_handler)


def ordered_specs(models: Sequence[type[Model]]) -> list[TableSpec]:
    """The table specs of ``models`` (and their automatic link tables), parents before children."""
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


def refuse_get_hit(sql: object, key: object, table: object, objects: object) -> NoReturn:
    """``cached_get_hit()``'s error for the first argument of the wrong kind."""
    for name, value, ok, wanted in (
        ("sql", sql, type(sql) is str, "the get's SQL text"),
        ("key", key, type(key) is list, "a list of bound key values"),
        ("table", table, type(table) is TableSpec, "a TableSpec"),
    ):
        if not ok:
            raise InvalidArgument(f"{name}= takes {wanted}, not {value!r:.80}", argument=name)
    raise InvalidArgument(
        f"objects= takes a repository's mapper (a Materializer), not {objects!r:.80}", argument="objects"
    )
