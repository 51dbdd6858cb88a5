"""The cache backend contract (``Cache``), its statistics, and the snapshot a read is checked against."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Protocol

__all__ = [
    "ALL_TABLES",
    "MISS",
    "ROW",
    "WIDE",
    "Cache",
    "CacheStats",
    "Entry",
    "Materializer",
    "NoCache",
    "Snapshot",
]

#: "every table": what raw SQL without ``touches=`` and migrations invalidate
ALL_TABLES: Final = None
#: after a table's name, the generation of its writes to rows named by no key (see cache.hook)
WIDE: Final = "\x00*"
#: after a table's name, then a primary key: the generation of one row (see cache.hook)
ROW: Final = "\x00="


class _Miss:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISS"


#: what a lookup returns when there is no valid entry
MISS: Final = _Miss()

#: what a read saw before it ran: the namespace's epoch and the generation of each table it reads
Snapshot = tuple[Any, tuple[Any, ...]]


class Materializer(Protocol):
    """What turns a cached result's rows into the objects a caller gets (a repository's mapper):
    validated once into prototypes an entry keeps, then copied for every hit."""

    def hydrate_all(self, rows: list[tuple[Any, ...]]) -> list[Any]:
        """Validated instances of ``rows`` (new ones, every call)."""
        ...

    def prototypes(self, rows: list[tuple[Any, ...]]) -> Any:
        """What :meth:`clone` copies for each hit, built from ``rows``; None if it cannot copy."""
        ...

    def hydrate_kept(self, rows: list[tuple[Any, ...]]) -> tuple[list[Any], Any]:
        """``rows`` validated into new instances for the caller, and what :meth:`clone` copies,
        sharing nothing with them (None if it cannot copy)."""
        ...

    def clone(self, prototypes: Any) -> list[Any]:
        """New objects equal to the prototypes' instances, sharing nothing a caller can change."""
        ...

    def clone_one(self, prototypes: Any) -> Any:
        """:meth:`clone` of prototypes that hold one instance: the new object itself."""
        ...


class Entry:
    """A cached result as a backend's lookup returns it: the rows as read (shared: never changed,
    the hook gives callers copies) and whether they hold values that can change in place. Where
    the backend keeps the entry between lookups (``keeps``), it also keeps ``made``: a
    :class:`Materializer` and the prototypes it built from the rows once, for every later hit to
    copy (one attribute, so threads read and replace the pair at once)."""

    __slots__ = ("keeps", "made", "mutable", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], mutable: bool, keeps: bool = True) -> None:
        self.rows: list[tuple[Any, ...]] = rows
        self.mutable: bool = mutable
        self.keeps: bool = keeps
        self.made: tuple[Materializer, Any] | None = None


@dataclass(frozen=True)
class CacheStats:
    """Counters of one cache backend since it was made (``db.cache.stats()``).

    ``hits``/``misses``: cached reads served from the cache / run on the database and stored;
    ``bypasses``: cached reads that did not use the cache at all (inside a transaction that wrote
    the table, a repeatable-read transaction, the backend unreachable); ``evictions``: entries
    dropped to stay within the bounds; ``bytes``/``entries``: what the cache holds now (for Redis,
    the bytes this process stored); ``errors``: failed backend operations (each one a bypass).
    """

    hits: int = 0
    misses: int = 0
    bypasses: int = 0
    evictions: int = 0
    bytes: int = 0
    entries: int = 0
    errors: int = 0

    @property
    def hit_ratio(self) -> float:
        """``hits / (hits + misses)`` (0.0 before any cached read)."""
        n = self.hits + self.misses
        return self.hits / n if n else 0.0


class Cache:
    """Base of the query-result caches (:class:`~typedorm.cache.MemoryCache`,
    :class:`~typedorm.cache.RedisCache`): pass one to ``Database(..., cache=...)``.

    A backend keeps entries and per-table generations; the database decides what to read, store
    and invalidate. Subclasses implement the ``_lookup``/``_store``/``_bump`` trio (and their
    ``_a...`` asyncio twins where I/O is involved).
    """

    #: seconds an entry lives when the query names no ``ttl``
    default_ttl: float | None
    #: the longest a cached get may live (None: no limit), where a row's generation expires
    row_ttl: float | None = None
    #: whether :meth:`_peek` can answer (the backend holds entries and generations in this process)
    peeks: ClassVar[bool] = False

    def __init__(self, *, default_ttl: float | None = 300.0) -> None:
        from ..errors import InvalidArgument

        if default_ttl is not None and (isinstance(default_ttl, bool) or not default_ttl > 0):
            raise InvalidArgument(
                f"default_ttl must be a positive number of seconds or None, not {default_ttl!r}",
                argument="default_ttl",
            )
        self.default_ttl = default_ttl
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._bypasses = 0
        self._evictions = 0
        self._errors = 0

    # --- statistics ----------------------------------------------------------------------
    def stats(self) -> CacheStats:
        """The counters so far: hits, misses, bypasses, evictions, bytes held, entries, errors."""
        return CacheStats(
            self._hits,
            self._misses,
            self._bypasses,
            self._evictions,
            self._held_bytes(),
            self._entries(),
            self._errors,
        )

    def _held_bytes(self) -> int:
        return 0

    def _entries(self) -> int:
        return 0

    def _count(self, what: str) -> None:
        # ``+=`` on an attribute is not atomic across threads: counters take the lock.
        with self._lock:
            self.__dict__[what] += 1

    # --- the backend trio ----------------------------------------------------------------
    def _bind(self, namespace: str) -> None:
        """Called by each database that uses this cache, with its namespace."""

    def _lookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        """The :class:`Entry` for ``key`` if it was stored at the current generations (or the rows,
        as a list the caller may keep), else ``MISS``; and the current snapshot (None: the backend is
        unavailable, bypass)."""
        raise NotImplementedError

    def _peek(self, ns: str, key: Any, tables: tuple[str, ...]) -> Entry | None:
        """The :class:`Entry` for ``key`` if this process holds it at the current generations,
        found without I/O (the hit counted); None when it does not or cannot say (the caller then
        takes :meth:`_lookup`'s path, which counts the miss). Only in-process backends answer."""
        return None

    def _store(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> Entry | None:
        """Keep ``rows`` under ``key`` as read at ``snapshot`` (``mutable``: whether they hold values
        a caller could change in place, if known); returns the :class:`Entry` it keeps, if it
        keeps the entry's prototypes too, else None."""
        raise NotImplementedError

    def _bump(self, ns: str, tables: Collection[str] | None) -> None:
        """Advance the generations of ``tables`` (``None``: every table of the namespace)."""
        raise NotImplementedError

    async def _alookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        return self._lookup(ns, key, tables)

    async def _astore(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> Entry | None:
        return self._store(ns, key, snapshot, rows, ttl, mutable)

    async def _abump(self, ns: str, tables: Collection[str] | None) -> None:
        self._bump(ns, tables)

    def _close(self) -> None:
        """Release connections (a database using this cache is closing); used again, it reconnects."""

    async def _aclose(self) -> None:
        self._close()

    def _key(self, ns: str, sql: str, params: Any, schema: str) -> Any:
        """The backend's key for a statement and its parameters, in ``ns`` at schema version ``schema``."""
        raise NotImplementedError


class NoCache(Cache):
    """What ``db.cache`` is without a cache: every cached read goes to the database (a bypass)."""

    def __init__(self) -> None:
        super().__init__(default_ttl=None)

    def _key(self, ns: str, sql: str, params: Any, schema: str) -> Any:
        return None

    def _lookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        return MISS, None

    def _store(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> None:
        return None

    def _bump(self, ns: str, tables: Collection[str] | None) -> None:
        return None
