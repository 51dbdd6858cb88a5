"""Sans-I/O engine core shared by the sync and async engines: transaction bookkeeping, error mapping, query log."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import DatabaseError, TransactionError

if TYPE_CHECKING:
    from ..dialects.base import Dialect, IsolationLevel
    from ..drivers.base import ErrorInfo
    from ..schema.spec import TableSpec

__all__ = [
    "ErrorClassifier",
    "QueryCounter",
    "TxState",
    "apply_server_version",
    "check_transaction_options",
    "enable_echo",
    "log_statement",
    "map_error",
    "prepare_execute",
    "retry_delay",
    "sql_logger",
]

sql_logger: logging.Logger = logging.getLogger("typedorm.sql")


class ErrorClassifier(Protocol):
    """What ``map_error`` needs from a driver adapter, sync or async."""

    def classify(self, exc: BaseException) -> ErrorInfo | None: ...


@dataclass
class _Level:
    savepoint: str | None
    callbacks: list[Callable[[], object]] = field(default_factory=list)


class TxState:
    """Where one connection's transaction stands: its nesting levels and pending on-commit callbacks.

    Returns the SQL each step needs; running it is the caller's job (sync or async).
    """

    __slots__ = ("conn", "counter", "dialect", "failed", "levels")

    def __init__(self, conn: Any, dialect: Dialect) -> None:
        self.conn: Any = conn
        self.dialect: Dialect = dialect
        self.levels: list[_Level] = []
        self.counter: int = 0
        self.failed: bool = False

    @property
    def depth(self) -> int:
        return len(self.levels)

    def begin(self, isolation: IsolationLevel | None, mode: str | None) -> list[str]:
        if self.levels:
            raise TransactionError("begin() on a transaction that is already open")
        self.levels.append(_Level(None))
        return self.dialect.begin_sql(isolation, mode)

    def savepoint(self) -> list[str]:
        if not self.dialect.supports_savepoints:
            raise TransactionError(f"{self.dialect.name} has no savepoints: nested transactions are not possible")
        self.counter += 1
        name = f"typedorm_sp_{self.counter}"
        self.levels.append(_Level(name))
        return [self.dialect.savepoint_sql(name)]

    def end(self, commit: bool) -> tuple[list[str], list[Callable[[], object]]]:
        """SQL to close the innermost level, and the callbacks to run once that SQL succeeded."""
        level = self.levels.pop()
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
        rest = name[len(prefix):]
        for c in spec.columns:
            if rest == c.name:
                return (c.name,)
            if rest.startswith(c.name + "_") and len(c.name) > (len(best[0]) if best else -1):
                best = (c.name,)
    return best


def map_error(
    driver: ErrorClassifier, exc: BaseException, spec: TableSpec | None, sql: str | None = None, params: Any = None
) -> DatabaseError | None:
    """The typedorm error for a driver exception, naming the model's fields where it can.

    ``sql`` is the failed statement and ``params`` its parameters, when known.
    """
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
    """Adjust a MySQL dialect's capability flags to ``SELECT VERSION()``: RETURNING on MariaDB 10.5+, not MySQL."""
    d: Any = dialect
    if "mariadb" in version.lower():
        major, minor = (int(x) for x in version.split(".")[:2])
        ok = (major, minor) >= (10, 5)
        d.supports_returning = ok
        d.supports_delete_returning = ok
    else:
        d.supports_returning = False
        d.supports_delete_returning = False
    d.server_version = version


def check_transaction_options(dialect: Dialect, isolation: IsolationLevel | None, retry: object) -> None:
    """Validate ``transaction(isolation=, retry=)`` before any I/O."""
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 0:
        raise ValueError(f"retry must be a non-negative int, not {retry!r}")
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
