"""The async adapter for psycopg 3's ``AsyncConnection`` (PostgreSQL), sharing the sync adapter's setup and errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from typedorm.drivers.aio import AsyncDriver
from typedorm.drivers.base import ErrorInfo
from typedorm.drivers.psycopg import PsycopgDriver, commit_probed_gen, connect_params, register_adapters
from typedorm.errors import ConfigurationError, ConnectionLost

if TYPE_CHECKING:
    import psycopg

    from typedorm.engine.url import URL

__all__ = ["AsyncPsycopgDriver"]

_IDLE = 0  # libpq's PQTRANS_IDLE


class AsyncPsycopgDriver(AsyncDriver):
    """psycopg 3's ``AsyncConnection`` in autocommit mode, with the sync adapter's URL options
    (libpq keywords, ``prepare_threshold``) and error classification.

    A task cancelled during a statement makes psycopg cancel the query on the server and wait
    for the outcome, so the connection stays in step and can be rolled back and reused.
    """

    name: ClassVar[str] = "psycopg"
    dialect: ClassVar[str] = "postgresql"
    paramstyle: ClassVar[str] = "format"
    simple_protocol_runs_many: ClassVar[bool] = True
    stream_needs_transaction: ClassVar[bool] = True
    supports_copy: ClassVar[bool] = True
    supports_commit_probe: ClassVar[bool] = True

    async def commit_probed(self, conn: Any, probe_sql: str, commit_sql: str, seen: list[str | None]) -> None:
        await conn.wait(commit_probed_gen(conn, probe_sql, commit_sql, seen))

    def __init__(self) -> None:
        self._sync = PsycopgDriver()

    async def copy_rows(
        self, conn: Any, copy_sql: str, rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
    ) -> None:
        async with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            if types is not None:
                copy.set_types(list(types))
            write = copy.write_row
            for row in rows:
                await write(row)

    @property
    def error_types(self) -> tuple[type[BaseException], ...]:
        return self._sync.error_types

    async def connect(self, url: URL, **options: Any) -> psycopg.AsyncConnection[Any]:
        import psycopg

        register_adapters()
        params, threshold = connect_params(url, dict(options))
        try:
            return await psycopg.AsyncConnection.connect(
                autocommit=True, prepare_threshold=threshold, **params
            )
        except psycopg.ProgrammingError as exc:
            # libpq rejects unknown keywords ("invalid connection option") before any I/O.
            raise ConfigurationError(f"invalid PostgreSQL connection option: {exc}") from exc

    async def ping(self, conn: Any) -> bool:
        try:
            if conn.closed or conn.broken:
                return False
            cur = conn.cursor()
            try:
                await cur.execute("SELECT 1")
                await cur.fetchone()
            finally:
                await cur.close()
        except Exception:
            return False
        return True

    def has_input(self, conn: Any) -> bool:
        return self._sync.has_input(conn)  # the same libpq connection underneath

    def is_alive_cheap(self, conn: Any) -> bool:
        return self._sync.is_alive_cheap(conn)

    def in_transaction(self, conn: Any) -> bool:
        return self._sync.in_transaction(conn)

    def needs_reset(self, conn: Any) -> bool:
        return bool(conn.pgconn.transaction_status != _IDLE or conn.closed or conn.broken)

    async def reset(self, conn: Any) -> None:
        if conn.pgconn.transaction_status == _IDLE:
            return
        if conn.closed or conn.broken:
            raise ConnectionLost("the PostgreSQL connection is closed or broken")
        # rollback() also drops psycopg's prepared-statement bookkeeping for the aborted transaction.
        await conn.rollback()

    def classify(self, exc: BaseException) -> ErrorInfo | None:
        return self._sync.classify(exc)

    async def cursor(self, conn: Any) -> Any:
        return conn.cursor()

    async def stream_cursor(self, conn: Any, name: str) -> Any:
        return conn.cursor(name=name)

    async def _execute(self, cur: Any, sql: str, params: Any, prepare: bool) -> None:
        if prepare:
            await cur.execute(sql, None, prepare=True)
        else:
            await cur.execute(sql, params)
