"""``MemoryCache``: query results in this process, bounded by entries and bytes, LRU with TTLs."""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Collection
from typing import Any, ClassVar

from ..errors import InvalidArgument
from .base import MISS, ROW, WIDE, Cache, Entry, Snapshot
from .codec import fresh_rows, has_mutable, size_of

__all__ = ["MemoryCache"]


def _instance_bytes(columns: int) -> int:
    """An estimate of what one row's prototype instance adds: the object with its slots and its
    ``__dict__`` (values mostly shared with the row; the fields set is shared by the prototypes)."""
    return 120 + sys.getsizeof(dict.fromkeys(range(columns)))


class _Entry(Entry):
    __slots__ = ("expires", "size", "snapshot")

    def __init__(
        self, snapshot: Snapshot, expires: float, rows: list[tuple[Any, ...]], size: int, mutable: bool
    ) -> None:
        super().__init__(rows, mutable)
        self.snapshot = snapshot
        self.expires = expires
        self.size = size


class MemoryCache(Cache):
    """Query results held in this process: the fastest cache, for one process (or one worker each).

    Example::

        db = Database("sqlite:///app.db", cache=MemoryCache(max_entries=10_000, max_bytes=64 * 2**20))
        users.filter(User.age >= 18).cached(ttl=30).all()

    Bounded by ``max_entries`` and ``max_bytes`` (an estimate of the memory the rows hold): the
    least recently used entries go first. An entry lives ``ttl`` seconds at most (the query's,
    else ``default_ttl``; None: until evicted or invalidated). An entry holds the rows as read and
    the instances validated from them once; every hit returns new copies of those instances
    (values that can change in place, such as a JSON column's dicts, deep-copied). Generations live here too, so writes by
    another process are not seen: with several processes, use :class:`RedisCache`.
    """

    peeks: ClassVar[bool] = True

    def __init__(
        self, *, max_entries: int = 10_000, max_bytes: int = 64 * 2**20, default_ttl: float | None = 300.0
    ) -> None:
        for name, v in (("max_entries", max_entries), ("max_bytes", max_bytes)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise InvalidArgument(f"{name} must be a positive int, not {v!r}", argument=name)
        super().__init__(default_ttl=default_ttl)
        self.max_entries: int = max_entries
        self.max_bytes: int = max_bytes
        self._data: OrderedDict[Any, _Entry] = OrderedDict()
        self._gens: dict[tuple[str, str], int] = {}
        #: generations kept before the per-row ones are dropped (see _forget_rows)
        self._max_generations = max(4 * max_entries, 10_000)
        self._epochs: dict[str, int] = {}
        self._bytes = 0

    def _held_bytes(self) -> int:
        return self._bytes

    def _entries(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Drop every entry (generations advance, so reads in flight do not store either)."""
        with self._lock:
            self._data.clear()
            self._bytes = 0
            for ns in list(self._epochs):
                self._epochs[ns] += 1

    def _key(self, ns: str, sql: str, params: Any, schema: str) -> Any:
        try:
            if len(params) == 1:  # a get by key (same SQL text, same number of parameters)
                v = params[0]
                key: Any = (ns, schema, sql, v, type(v))
            else:
                key = (ns, schema, sql, tuple(params), tuple(map(type, params)))
            hash(key)
            return key
        except TypeError:  # an unhashable parameter (a list for an array column)
            from .codec import params_key

            return (ns, schema, sql, params_key(params))

    def _snapshot(self, ns: str, tables: Collection[str]) -> Snapshot:
        gens = self._gens
        if len(tables) == 2:  # a get by key: the table's keyed-write generation and the row's
            a, b = tables
            return (self._epochs.get(ns, 0), (gens.get((ns, a), 0), gens.get((ns, b), 0)))
        return (self._epochs.get(ns, 0), tuple([gens.get((ns, t), 0) for t in tables]))

    def _lookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        with self._lock:
            snap = self._snapshot(ns, tables)
            e = self._data.get(key)
            if e is None:
                return MISS, snap
            if e.snapshot != snap or (e.expires and e.expires < time.monotonic()):
                del self._data[key]
                self._bytes -= e.size
                return MISS, snap
            self._data.move_to_end(key)
        return e, snap

    def _peek(self, ns: str, key: Any, tables: tuple[str, ...]) -> Entry | None:
        # Reads without the lock (each dict read is atomic): a write committing meanwhile is one
        # this read started before, as with _lookup. The lock guards the LRU order and the count.
        e = self._data.get(key)
        if e is None:
            return None
        if e.snapshot != self._snapshot(ns, tables) or (e.expires and e.expires < time.monotonic()):
            return None  # stale: _lookup drops it and counts the miss
        with self._lock:
            if self._data.get(key) is not e:
                return None  # evicted or replaced meanwhile
            self._data.move_to_end(key)
            self._hits += 1
        return e

    def _store(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> Entry | None:
        if mutable is None:
            mutable = has_mutable(rows)
        kept = fresh_rows(rows, mutable)
        # + the entry, its key and the index slot; and the instances validated once from the rows
        # (an object, its __dict__ and fields set per row; the values are mostly the rows' own)
        size = size_of(kept) + 200 + (_instance_bytes(len(kept[0])) * len(kept) if kept else 0)
        if size > self.max_bytes:
            return None
        if ttl is None:
            ttl = self.default_ttl
        expires = time.monotonic() + ttl if ttl is not None else 0.0
        evicted = 0
        with self._lock:
            if self._snapshot(ns, ())[0] != snapshot[0]:
                return None  # the namespace was cleared meanwhile
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            entry = self._data[key] = _Entry(snapshot, expires, kept, size, mutable)
            self._bytes += size
            data = self._data
            while len(data) > self.max_entries or self._bytes > self.max_bytes:
                _, e = data.popitem(last=False)
                self._bytes -= e.size
                evicted += 1
            self._evictions += evicted
        return entry

    def _bump(self, ns: str, tables: Collection[str] | None) -> None:
        with self._lock:
            if tables is None:
                self._epochs[ns] = self._epochs.get(ns, 0) + 1
                return
            gens = self._gens
            for t in tables:
                k = (ns, t)
                gens[k] = gens.get(k, 0) + 1
            if len(gens) > self._max_generations:
                self._forget_rows()

    def _forget_rows(self) -> None:
        """Drop the per-row generations (they grow with every row written by key), advancing the
        generation every cached get of those tables also depends on: a dropped row generation
        reads as 0 again, and no entry stored before may match it."""
        gens = self._gens
        tables: set[tuple[str, str]] = set()
        for k in [k for k in gens if ROW in k[1]]:
            del gens[k]
            tables.add((k[0], k[1].split(ROW, 1)[0] + WIDE))
        for k in tables:
            gens[k] = gens.get(k, 0) + 1
