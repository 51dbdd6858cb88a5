"""The sync bodies of :mod:`._aio_support`'s names, for the generated sync modules (``repo.py``, ``query.py``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from ..engine.aio import AsyncDatabase

if TYPE_CHECKING:
    from ..engine.database import Database

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

#: A ``before_*`` hook: may return a replacement instance.
BeforeHook: TypeAlias = Callable[[T], "T | None"]
#: An ``after_*`` hook (``before_delete`` too); its result is ignored.
AfterHook: TypeAlias = Callable[[T], None]


def call_hook(fn: Callable[[Any], Any], obj: Any) -> Any:
    """``fn(obj)``; an awaitable result (an ``async def`` hook) is an error, not silently dropped."""
    out = fn(obj)
    if out is not None and inspect.isawaitable(out):
        if inspect.iscoroutine(out):
            out.close()  # never awaited: close it, so no "coroutine was never awaited" warning follows
        raise TypeError(
            f"hook {fn!r} returned {type(out).__name__}, an awaitable: async hooks run only in an "
            "AsyncRepository; give a Repository a plain function"
        )
    return out


def iterate_all(fetch: Callable[[], list[T]]) -> Iterator[T]:
    """``for obj in query``: the rows of ``query.all()``, fetched now."""
    return iter(fetch())


def close_stream(stream: Iterator[Any]) -> None:
    """Close a ``db.stream(...)`` now (a generator: its ``finally`` returns the connection)."""
    close = getattr(stream, "close", None)
    if close is not None:
        close()


def supports_returning(db: Database) -> bool:
    """Whether inserts can use RETURNING (a ``Database`` learns the server version when it is made)."""
    return db.dialect.supports_returning


def check_database(db: object) -> None:
    """A ``Repository`` runs on a ``Database``: an ``AsyncDatabase`` is refused at once."""
    if isinstance(db, AsyncDatabase):
        raise TypeError("Repository needs a Database; for an AsyncDatabase use AsyncRepository")
