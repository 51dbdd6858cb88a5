"""One database connection held for a whole migration run: raw DDL, bound queries, explicit transactions."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..dialects.base import Dialect
from ..engine.core import map_error
from ..engine.database import Database, Result
from ..sql.raw import translate_placeholders

__all__ = ["MigrationConnection"]

if TYPE_CHECKING:
    from ..drivers.base import Driver

logger: logging.Logger = logging.getLogger("typedorm.migrations")
sql_logger: logging.Logger = logging.getLogger("typedorm.sql")

Params = Sequence[Any] | Mapping[str, Any]


class MigrationConnection:
    """A connection checked out of ``db``'s pool for the duration of a migration run.

    Migrations need one session throughout: session-level locks (PostgreSQL advisory locks,
    MySQL ``GET_LOCK``), SQLite's ``PRAGMA foreign_keys`` (which only changes outside a
    transaction) and explicit ``BEGIN``/``COMMIT`` around each migration.

    ``execute(sql, params)`` takes typedorm's portable ``?`` / ``:name`` placeholders, like
    :meth:`Database.execute <typedorm.Database.execute>`; ``ddl(sql)`` sends a statement as is.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect: Dialect = db.dialect
        self.driver: Driver = db.driver
        self._errors: tuple[type[BaseException], ...] = (*db.driver.error_types, UnicodeError)
        self.raw: Any = db.pool.acquire()
        self.in_transaction: bool = False
        #: set when the session is in a state the pool must not hand out again
        self.broken = False
        self._closed = False

    @property
    def name(self) -> str:
        """The dialect's family: ``sqlite``, ``postgresql`` or ``mysql`` (a variant's is its parent's)."""
        return self.dialect.family

    def _run(self, sql: str, params: Any) -> Result:
        log = sql_logger.isEnabledFor(logging.DEBUG)
        start = time.perf_counter() if log else 0.0
        try:
            cur = self.raw.cursor()  # inside: a closed connection refuses to make one
            try:
                if params is None:
                    cur.execute(sql)
                else:
                    cur.execute(sql, params)
                desc = cur.description
                rows = list(cur.fetchall()) if desc is not None else []
                cols = tuple(d[0] for d in desc) if desc is not None else ()
                result = Result(rows, cols, cur.rowcount, getattr(cur, "lastrowid", None))
            finally:
                cur.close()
        except self._errors as e:
            err = map_error(self.driver, e, None)
            if err is None:
                raise
            raise err from e
        if log:
            sql_logger.debug("%s | %.3f ms", sql, (time.perf_counter() - start) * 1000)
        return result

    def execute(self, sql: str, params: Params | None = None) -> Result:
        """Run one statement with bound parameters (``?`` with a sequence, ``:name`` with a mapping)."""
        text, values = translate_placeholders(
            sql, params if params is not None else (), self.dialect.paramstyle
        )
        return self._run(text, values)

    def ddl(self, sql: str) -> None:
        """Run one statement exactly as written (no placeholders are recognised)."""
        self._run(sql, None)

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        return self.execute(sql, params).scalar()

    def begin(self) -> None:
        for sql in self.dialect.begin_sql():
            self._run(sql, None)
        self.in_transaction = True

    def commit(self) -> None:
        self._run(self.dialect.commit_sql, None)
        self.in_transaction = False
        self.db.invalidate_cache()  # a migration may change any table: every cached result goes

    def rollback(self) -> None:
        self.in_transaction = False
        self._run(self.dialect.rollback_sql, None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.db.invalidate_cache()  # statements outside a transaction (MySQL's DDL) changed tables too
        discard = self.broken
        if self.in_transaction:
            try:
                self.rollback()
            except Exception:
                discard = True
        self.db.pool.release(self.raw, discard=discard)
