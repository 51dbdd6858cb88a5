"""What only the asyncio repository needs besides ``async``/``await``: awaited hooks, ``async for`` over a query.

``aio_repo.py`` and ``aio_query.py`` import these names from here; the sync modules generated from
them (``tools/unasync.py``) import the same names from ``_sync_support``, which has the sync bodies.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ..engine.database import Database

if TYPE_CHECKING:
    from ..engine.aio import AsyncDatabase

__all__ = [
    "AfterHook",
    "BeforeHook",
    "call_hook",
    "check_database",
    "close_stream",
    "iterate_all",
    "supports_returning",
]

T = TypeVar("T")

#: A ``before_*`` hook: a plain or an ``async`` function that may return a replacement instance.
BeforeHook: TypeAlias = Callable[[T], "T | Awaitable[T | None] | None"]
#: An ``after_*`` hook (``before_delete`` too): a plain or an ``async`` function; its result is ignored.
AfterHook: TypeAlias = Callable[[T], "Awaitable[None] | None"]


async def call_hook(fn: Callable[[Any], Any], obj: Any) -> Any:
    """``fn(obj)``, awaited when it returns an awaitable (an ``async def`` hook)."""
    out = fn(obj)
    if out is not None and inspect.isawaitable(out):
        out = await out
    return out


async def iterate_all(fetch: Callable[[], Awaitable[list[T]]]) -> AsyncIterator[T]:
    """``async for obj in query``: the rows of ``await query.all()``, fetched at the first step."""
    for obj in await fetch():
        yield obj


async def close_stream(stream: AsyncGenerator[Any, None]) -> None:
    """Close a ``db.stream(...)`` now. An async generator left unfinished is otherwise closed only when
    the event loop gets round to finalizing it, holding its connection (and cursor) until then."""
    await stream.aclose()


def supports_returning(db: AsyncDatabase) -> bool:
    """Whether inserts can use RETURNING. Until the first connection a MySQL-family server's version is
    unknown (MariaDB has RETURNING, MySQL has not): a repository made before then uses LAST_INSERT_ID."""
    return db.capabilities_known and db.dialect.supports_returning


def check_database(db: object) -> None:
    """An ``AsyncRepository`` runs on an ``AsyncDatabase``: a sync ``Database`` is refused at once."""
    if isinstance(db, Database):
        raise TypeError("AsyncRepository needs an AsyncDatabase; for a Database use Repository")
