"""Where the database meets its cache: which tables a statement reads or writes, what a
transaction may read or store, single flight, and the invalidation after a commit.

``CacheHook`` (sync) and ``AsyncCacheHook`` (asyncio) differ only in waiting (threads or tasks)
and in awaiting the backend; the decisions are made once, in ``_HookBase``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from ..schema.model import TABLE_MODELS_DEFINED
from ..schema.naming import is_identifier
from ..schema.spec import TableSpec
from .base import MISS, ROW, WIDE, Cache, Entry, Materializer
from .codec import fresh_rows, has_mutable, params_key

if TYPE_CHECKING:
    from ..dialects.base import Dialect

__all__ = [
    "EVERY_TABLE",
    "WIDE",
    "AsyncCacheHook",
    "CacheHook",
    "Reads",
    "cascade_targets",
    "key_reads",
    "namespace_for",
    "reads_of",
    "row_name",
]

logger: logging.Logger = logging.getLogger("typedorm.cache")

#: in a transaction's written set: raw SQL (or DDL) changed tables we cannot name
EVERY_TABLE: Final = "\x00every table"

Rows = list[tuple[Any, ...]]

_BYPASS, _READ, _FILL = 0, 1, 2


def namespace_for(url: Any) -> str:
    """The cache namespace of a database URL: its rendering without the password (a file
    database by its absolute path; an in-memory one is private to its ``Database``)."""
    import os
    import secrets

    text = url.render()
    if url.host is None:
        db = url.database
        if not db or db == ":memory:" or db.startswith("file::memory:"):
            text += "#" + secrets.token_hex(8)
        else:
            text = f"{text}#{os.path.abspath(db)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- what a statement reads ------------------------------------------------------------------
class Reads:
    """The generations a cached read depends on (sorted names: tables, or for a get by key, the
    table's keyed-write and row generations, see :func:`key_reads`) and their schema version (a
    digest of their specs, so two model versions of a table never share entries). ``keyed``: a
    read of one row by its key, whose empty result is not stored."""

    __slots__ = ("keyed", "names", "schema")

    def __init__(self, names: tuple[str, ...], schema: str, keyed: bool = False) -> None:
        self.names: tuple[str, ...] = names
        self.schema: str = schema
        self.keyed: bool = keyed

    def __repr__(self) -> str:
        return f"<Reads {', '.join(self.names)}>"


# --- per-row generations ----------------------------------------------------------------------
# Every write to table ``t`` advances the generation named ``t``: what queries over ``t`` depend
# on. A get by primary key depends instead on two: ``t`` + WIDE, advanced by every write to ``t``
# whose changed rows typedorm cannot name (a filter, raw SQL, a cascade), and the row's own,
# ``row_name(t, key)``, advanced by a write to that row by its key (update(obj), delete(obj), a
# filter on the key alone). An insert changes no row a get found, and a get that finds nothing
# is not stored, so an insert advances ``t`` only: cached gets survive writes to other rows.
def row_name(table: str, key: Sequence[Any]) -> str:
    """The generation of one row: ``key`` is its primary key as bound parameters."""
    if len(key) == 1 and type(key[0]) is int:
        return f"{table}{ROW}{key[0]}"
    return f"{table}{ROW}{params_key(key)}"


def key_reads(spec: TableSpec, key: Sequence[Any]) -> Reads:
    """What a get of row ``key`` (bound primary-key parameters) of ``spec``'s table depends on:
    the table's keyed-write generation, then the row's."""
    base = _keyed_bases.get(id(spec))
    if base is None or base[0] is not spec:
        base = _keyed_bases[id(spec)] = (spec, spec.name + WIDE, _digest(spec))
    return Reads((base[1], row_name(spec.name, key)), base[2], True)


_keyed_bases: dict[int, tuple[TableSpec, str, str]] = {}


_digests: dict[int, tuple[TableSpec, str]] = {}


def _digest(spec: TableSpec) -> str:
    hit = _digests.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    d = hashlib.sha256(json.dumps(spec.to_json(), sort_keys=True, default=str).encode()).hexdigest()[:16]
    _digests[id(spec)] = (spec, d)
    return d


_LEAVES = (str, int, float, bool, bytes, type(None))
_fields_of: dict[type, tuple[str, ...]] = {}


def _fields(t: type) -> tuple[str, ...]:
    f = _fields_of.get(t)
    if f is None:
        names: list[str] = []
        for k in t.__mro__:
            for s in getattr(k, "__slots__", ()):
                if s not in names and s not in ("__weakref__", "__dict__", "_cache"):
                    names.append(s)
        f = _fields_of[t] = tuple(names)
    return f


def reads_of(*objs: object) -> Reads:
    """Every table ``objs`` (statements, load paths, relations) read: the models named anywhere in
    them (columns, joins, subqueries, ``has``/``any``, relations and their link tables).

    Over-approximation is safe (an entry is invalidated more often); missing a table is not, so
    the walk visits every typedorm object reachable from the statement.
    """
    found: dict[str, str] = {}
    seen: set[int] = set()
    stack: list[Any] = list(objs)
    from ..sql.relations import Relation

    while stack:
        obj = stack.pop()
        t = type(obj)
        if t in _LEAVES:
            continue
        if t is tuple or t is list or t is frozenset or t is set:
            stack.extend(obj)
            continue
        if t is dict:
            stack.extend(obj.values())
            continue
        if isinstance(obj, type):
            spec = getattr(obj, "__table__", None)
            if isinstance(spec, TableSpec):
                found[spec.name] = _digest(spec)
            continue
        if isinstance(obj, TableSpec):
            found[obj.name] = _digest(obj)
            continue
        if not t.__module__.startswith("typedorm.") or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Relation):
            rs = obj.spec
            stack.extend((rs.owner, rs.target, rs.link))
            continue
        for name in _fields(t):
            stack.append(getattr(obj, name, None))
        d = getattr(obj, "__dict__", None)
        if d:
            stack.extend(d.values())
    names = tuple(sorted(found))
    return Reads(names, "".join(found[n] for n in names))


# --- what a write changes ----------------------------------------------------------------------
_CASCADING = {"cascade", "set null", "set default"}
_graph: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}
_graph_models: list[int] = [-1]
_graph_lock = threading.Lock()


def _table_models() -> list[type[Any]]:
    from ..schema.model import Model

    out: list[type[Any]] = []
    stack = list(Model.__subclasses__())
    while stack:
        c = stack.pop()
        stack.extend(c.__subclasses__())
        if isinstance(getattr(c, "__table__", None), TableSpec):
            out.append(c)
    return out


def cascade_targets(table: str) -> frozenset[str]:
    """``table`` and every table a change to it can change through foreign keys declared
    ``ON DELETE``/``ON UPDATE`` ``CASCADE``/``SET NULL``/``SET DEFAULT`` (transitively), from the
    table specs of the models defined so far."""
    return _cascade(table)[0]


def _wide(tables: Iterable[str]) -> frozenset[str]:
    """The generations a write changing unnamed rows of ``tables`` advances."""
    out: set[str] = set()
    for t in tables:
        out.add(t)
        out.add(t + WIDE)
    return frozenset(out)


def _cascade(table: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """:func:`cascade_targets`; the generations a write to rows of ``table`` named by their keys
    advances besides those rows' own (the table's; the tables it cascades to as for a write to
    rows no key names; and its own keyed-write one if it cascades to itself, since then rows of
    its own are changed by no key); and the generations an unkeyed write advances."""
    defined = TABLE_MODELS_DEFINED[0]
    hit = _graph.get(table)
    if hit is not None and _graph_models[0] == defined:
        return hit
    with _graph_lock:
        if _graph_models[0] != defined:
            _graph.clear()
            _graph_models[0] = defined
    # (a model since garbage-collected may still add edges until the next model is defined:
    # invalidating more tables than needed is safe, fewer is not)
    models = _table_models()
    edges: dict[str, set[str]] = {}
    for m in models:
        spec: TableSpec = m.__table__
        for fk in spec.foreign_keys:
            acts = {
                (fk.on_delete or "").lower().replace("_", " "),
                (fk.on_update or "").lower().replace("_", " "),
            }
            if acts & _CASCADING:
                edges.setdefault(fk.ref_table, set()).add(spec.name)
    out = {table}
    itself = False
    todo = [table]
    while todo:
        for child in edges.get(todo.pop(), ()):
            itself = itself or child == table
            if child not in out:
                out.add(child)
                todo.append(child)
    targets = frozenset(out)
    keyed = _wide(targets - {table}) | {table}
    if itself:
        keyed |= {table + WIDE}
    result = (targets, keyed, _wide(targets))
    with _graph_lock:
        _graph[table] = result
    return result


# --- the hooks ---------------------------------------------------------------------------------
def _capped(ttl: float | None, cache: Cache) -> float | None:
    """The TTL of a cached get where row generations expire after ``cache.row_ttl``: no longer."""
    limit = cache.row_ttl
    want = cache.default_ttl if ttl is None else ttl
    return limit if limit is not None and (want is None or want > limit) else ttl


def _built(rows: Rows, objects: Materializer | None) -> Any:
    """Rows read from the database as the caller wants them (instances, with ``objects``)."""
    return rows if objects is None else objects.hydrate_all(rows)


#: how long a finished flight still answers callers whose own lookup saw the same snapshot (their
#: lookup was on its way while the leader ran the query and stored the rows)
_LINGER = 1.0


class _Flight:
    __slots__ = ("done", "entry", "ok", "until")

    def __init__(self, done: Any) -> None:
        self.done = done
        self.ok = False
        #: what the leader read (the rows and the prototypes it built), for the callers it answers
        self.entry: Entry = _NO_ROWS
        self.until: float | None = None  # set when finished: served until then


_NO_ROWS = Entry([], False, False)


def _join(flights: dict[Any, _Flight], fk: Any) -> _Flight | None:
    """The flight for ``fk`` to wait for or take rows from, if any (a finished one only while it
    lingers). The key holds the snapshot (epoch and generations) the caller's lookup saw, so rows a
    flight read at that snapshot are what the cache would have served it."""
    flight = flights.get(fk)
    if flight is not None and flight.until is not None and time.monotonic() > flight.until:
        del flights[fk]
        return None
    return flight


class _Flights(dict[Any, _Flight]):
    """The flights of one hook by key, and the finished ones in the order they finished."""

    __slots__ = ("finished",)

    def __init__(self) -> None:
        super().__init__()
        self.finished: deque[tuple[float, Any, _Flight]] = deque()


def _retire(flights: _Flights, fk: Any, flight: _Flight, ttl: float | None) -> None:
    """``flight`` has stored its rows: it lingers briefly, and finished flights past theirs go
    (the oldest first: no scan of every flight per call)."""
    now = time.monotonic()
    flight.until = until = now + (min(_LINGER, ttl) if ttl is not None else _LINGER)
    done = flights.finished
    done.append((until, fk, flight))
    while done and (done[0][0] < now or len(done) > 4096):
        _, k, f = done.popleft()
        if flights.get(k) is f:
            del flights[k]


class _HookBase:
    __slots__ = ("_dialect", "_flights", "_flock", "_kinds", "cache", "namespace", "snapshot_by_default")

    def __init__(self, cache: Cache, namespace: str, dialect: Dialect) -> None:
        self.cache: Cache = cache
        self.namespace: str = namespace
        #: a transaction without an isolation level reads a snapshot (MySQL, SQLite)
        self.snapshot_by_default: bool = dialect.default_isolation in ("repeatable read", "serializable")
        self._dialect: Dialect = dialect
        #: compiled SQL -> Dialect.statement_kind (0 read, 1 write, 2 only adds rows)
        self._kinds: dict[str, int] = {}
        self._flights: _Flights = _Flights()
        self._flock = threading.Lock()
        cache._bind(namespace)

    def writes(self, sql: str) -> bool:
        """Whether a compiled statement may change data (anything but a SELECT)."""
        return self.kind(sql) != 0

    def kind(self, sql: str) -> int:
        """What a compiled statement does (:meth:`Dialect.statement_kind`): 0 reads, 1 writes, 2
        only adds rows."""
        kind = self._kinds.get(sql)
        if kind is None:
            kind = self._dialect.statement_kind(sql)
            if len(self._kinds) < 4096:
                self._kinds[sql] = kind
        return kind

    @staticmethod
    def tables(touched: Iterable[Any] | None, argument: str = "touches") -> frozenset[str] | None:
        """Names of the tables a write to ``touched`` changes (cascades included); None: every table.
        ``argument``: the caller's name for ``touched``, in errors."""
        if touched is None:
            return None
        if type(touched) is tuple and len(touched) == 1 and type(touched[0]) is TableSpec:
            return _cascade(touched[0].name)[2]  # a statement's own table: the common case
        if isinstance(touched, (str, bytes)):
            from ..errors import InvalidArgument

            raise InvalidArgument(
                f"{argument}= takes a list of table names or models, not the string {touched!r}",
                argument=argument,
            )
        out: set[str] = set()
        for t in touched:
            if isinstance(t, TableSpec):
                name = t.name
            elif isinstance(t, str):
                if not is_identifier(t):
                    from ..errors import InvalidArgument

                    raise InvalidArgument(f"{argument}= takes table names, not {t!r}", argument=argument)
                name = t
            else:
                spec = getattr(t, "__table__", None)
                if not isinstance(spec, TableSpec):
                    from ..errors import InvalidArgument

                    raise InvalidArgument(
                        f"{argument}= takes table names or table models, not {t!r}", argument=argument
                    )
                name = spec.name
            out |= _cascade(name)[2]
        return frozenset(out)

    def changes(
        self, table: TableSpec | None, sql: str, keys: Sequence[Sequence[Any]] | None, kind: int = -1
    ) -> Collection[str] | None:
        """The generations a write statement ``sql`` to ``table`` advances (None: every one):
        ``keys``, the primary keys (bound parameters) of the only rows of ``table`` it can change,
        if known (see :data:`WIDE`); ``kind``, the statement's :meth:`kind` if known."""
        if table is None:
            return None
        name = table.name
        if (kind if kind >= 0 else self.kind(sql)) == 2:  # only adds rows
            return (name,)
        _, keyed, wide = _cascade(name)
        if keys is None:
            return wide
        if len(keys) == 1:
            return (*keyed, row_name(name, keys[0]))
        return (*keyed, *[row_name(name, k) for k in keys])

    @staticmethod
    def note(state: Any, tables: Collection[str] | None) -> None:
        """Record in a transaction the tables it changed (invalidated when it commits)."""
        w = state.written
        if w is None:
            w = state.written = set()
        if tables is None:
            w.add(EVERY_TABLE)
        else:
            w.update(tables)

    @staticmethod
    def committed(state: Any) -> frozenset[str] | None:
        """What to invalidate after ``state`` committed (None: every table)."""
        w = state.written
        return None if EVERY_TABLE in w else frozenset(w)

    def plan(self, state: Any, reads: Reads, in_snapshot: bool) -> int:
        if state is None:
            return _FILL
        iso = state.isolation
        snapshot = self.snapshot_by_default if iso is None else iso in ("repeatable read", "serializable")
        if snapshot and not in_snapshot:
            return _BYPASS
        w = state.written
        if w:
            if EVERY_TABLE in w or not w.isdisjoint(reads.names):
                return _BYPASS  # read your own writes
            return _READ  # nothing read after a write is stored
        return _FILL

    def peek_get(self, spec: TableSpec, sql: str, key: list[Any], objects: Materializer) -> Any:
        """A get of row ``key`` (bound primary-key parameters; ``sql`` the get's statement) served
        from an in-process cache without I/O, outside any transaction: a new instance; or ``MISS``,
        and the caller takes the general path (:meth:`CacheHook.read`), which fills and counts."""
        cache = self.cache
        if not cache.peeks:
            return MISS
        base = _keyed_bases.get(id(spec))
        if base is None or base[0] is not spec:
            return MISS  # no get of this table was ever cached
        ns = self.namespace
        found = cache._peek(ns, cache._key(ns, sql, key, base[2]), (base[1], row_name(spec.name, key)))
        if found is None:
            return MISS
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("cache hit: %s", sql[:200])
        made = found.made
        if made is not None and made[0] is objects:
            return objects.clone_one(made[1])
        return self.serve(found, objects)[0]

    @staticmethod
    def serve(found: Any, objects: Materializer | None) -> Any:
        """What a caller gets from a cached result ``found`` (an :class:`Entry`, or rows nobody
        else holds): new rows, or with ``objects`` new instances, copied from the prototypes the
        entry keeps (validated once, on the first read) or validated from the rows."""
        if type(found) is list:  # a backend that decoded new rows for this lookup
            return found if objects is None else objects.hydrate_all(found)
        entry: Entry = found
        if objects is None:
            return fresh_rows(entry.rows, entry.mutable)
        made = entry.made
        if made is not None and made[0] is objects:
            return objects.clone(made[1])
        if not entry.keeps:
            return objects.hydrate_all(fresh_rows(entry.rows, entry.mutable))
        protos = objects.prototypes(fresh_rows(entry.rows, entry.mutable))
        if protos is None:  # instances this materializer cannot copy: validate every time
            return objects.hydrate_all(fresh_rows(entry.rows, entry.mutable))
        entry.made = (objects, protos)  # two threads racing here build equal prototypes
        return objects.clone(protos)

    @staticmethod
    def kept(entry: Entry | None, rows: Rows, mutable: bool) -> Entry:
        """The result a fill just read, as an entry to answer single-flight followers from: the
        one the backend kept (its prototypes are built on its first hit), or a private one."""
        return entry if entry is not None and entry.keeps else Entry(rows, mutable)

    @staticmethod
    def filled(entry: Entry | None, rows: Rows, mutable: bool, objects: Materializer | None) -> Any:
        """What the caller whose read filled ``entry`` gets: the instances validated from its rows;
        copies of them become the entry's prototypes (so no hit validates again)."""
        if objects is None:
            return fresh_rows(rows, mutable)
        if entry is not None and entry.keeps:
            objs, protos = objects.hydrate_kept(fresh_rows(rows, mutable))
            if protos is not None:
                entry.made = (objects, protos)
            return objs
        return objects.hydrate_all(fresh_rows(rows, mutable))

    def _debug(self, what: str, sql: str) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("cache %s: %s", what, sql[:200])


class CacheHook(_HookBase):
    """The sync database's hook (single flight across threads)."""

    __slots__ = ()

    def read(
        self,
        state: Any,
        sql: str,
        params: Any,
        reads: Reads,
        ttl: float | None,
        in_snapshot: bool,
        run: Callable[[], Rows],
        objects: Materializer | None = None,
    ) -> Any:
        """The result of ``sql``: its rows, or with ``objects``, the instances built from them;
        from the cache when it holds them at the current generations, else run (and stored)."""
        cache = self.cache
        if reads.keyed and cache.row_ttl is not None:
            ttl = _capped(ttl, cache)
        plan = _FILL if state is None else self.plan(state, reads, in_snapshot)
        if plan == _BYPASS:
            cache._count("_bypasses")
            self._debug("bypass", sql)
            return _built(run(), objects)
        ns = self.namespace
        key = cache._key(ns, sql, params, reads.schema)
        found, snap = cache._lookup(ns, key, reads.names)
        if snap is None:
            cache._count("_bypasses")
            self._debug("bypass (unavailable)", sql)
            return _built(run(), objects)
        if found is not MISS:
            with cache._lock:
                cache._hits += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("cache hit: %s", sql[:200])
            return self.serve(found, objects)
        cache._count("_misses")
        self._debug("miss", sql)
        if plan == _READ:
            return _built(run(), objects)
        if state is not None:
            rows = list(run())
            if reads.keyed and not rows:
                return _built(rows, objects)  # a get that found nothing: an insert would not invalidate it
            mutable = has_mutable(rows)
            entry = cache._store(ns, key, snap, rows, ttl, mutable)
            return self.filled(entry, rows, mutable, objects)
        fk = (key, snap)
        with self._flock:
            flight = _join(self._flights, fk)
            leader = flight is None
            if flight is None:
                done = threading.Lock()  # held by the leader until it finishes
                done.acquire()
                flight = self._flights[fk] = _Flight(done)
        if not leader:
            with flight.done:  # returns when the leader has released it
                pass
            if flight.ok:
                return self.serve(flight.entry, objects)
            return _built(run(), objects)
        stored = False
        try:
            rows = list(run())
            mutable = has_mutable(rows)
            want = bool(rows) or not reads.keyed  # a get that found nothing is not stored
            entry = cache._store(ns, key, snap, rows, ttl, mutable) if want else None
            result = self.filled(entry, rows, mutable, objects)
            flight.entry, flight.ok = self.kept(entry, rows, mutable), True
            stored = want
        finally:
            flight.done.release()
            if not stored:  # failed, or nothing stored: later callers must not be answered by it
                with self._flock:
                    self._flights.pop(fk, None)
        if stored:
            with self._flock:
                _retire(self._flights, fk, flight, ttl)
        return result

    def bump(self, tables: Collection[str] | None) -> None:
        try:
            self.cache._bump(self.namespace, tables)
        except Exception:  # the cache never fails a write: the backend logs and bypasses
            logger.exception("cache invalidation failed")

    def close(self) -> None:
        self.cache._close()


class AsyncCacheHook(_HookBase):
    """The asyncio database's hook (single flight across tasks)."""

    __slots__ = ()

    async def read(
        self,
        state: Any,
        sql: str,
        params: Any,
        reads: Reads,
        ttl: float | None,
        in_snapshot: bool,
        run: Callable[[], Awaitable[Rows]],
        objects: Materializer | None = None,
    ) -> Any:
        """:meth:`CacheHook.read` for asyncio."""
        import asyncio

        cache = self.cache
        if reads.keyed and cache.row_ttl is not None:
            ttl = _capped(ttl, cache)
        plan = _FILL if state is None else self.plan(state, reads, in_snapshot)
        if plan == _BYPASS:
            cache._count("_bypasses")
            self._debug("bypass", sql)
            return _built(await run(), objects)
        ns = self.namespace
        key = cache._key(ns, sql, params, reads.schema)
        found, snap = await cache._alookup(ns, key, reads.names)
        if snap is None:
            cache._count("_bypasses")
            self._debug("bypass (unavailable)", sql)
            return _built(await run(), objects)
        if found is not MISS:
            with cache._lock:
                cache._hits += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("cache hit: %s", sql[:200])
            return self.serve(found, objects)
        cache._count("_misses")
        self._debug("miss", sql)
        if plan == _READ:
            return _built(await run(), objects)
        if state is not None:
            rows = list(await run())
            if reads.keyed and not rows:
                return _built(rows, objects)  # a get that found nothing: an insert would not invalidate it
            mutable = has_mutable(rows)
            entry = await cache._astore(ns, key, snap, rows, ttl, mutable)
            return self.filled(entry, rows, mutable, objects)
        fk = (key, snap)
        flight = _join(self._flights, fk)
        if flight is not None:
            await flight.done.wait()
            if flight.ok:
                return self.serve(flight.entry, objects)
            return _built(await run(), objects)
        flight = self._flights[fk] = _Flight(asyncio.Event())
        stored = False
        try:
            rows = list(await run())
            mutable = has_mutable(rows)
            want = bool(rows) or not reads.keyed  # a get that found nothing is not stored
            entry = await cache._astore(ns, key, snap, rows, ttl, mutable) if want else None
            result = self.filled(entry, rows, mutable, objects)
            flight.entry, flight.ok = self.kept(entry, rows, mutable), True
            stored = want
        finally:
            flight.done.set()
            if not stored:  # failed, or nothing stored: later callers must not be answered by it
                self._flights.pop(fk, None)
        if stored:
            _retire(self._flights, fk, flight, ttl)
        return result

    async def bump(self, tables: Collection[str] | None) -> None:
        try:
            await self.cache._abump(self.namespace, tables)
        except Exception:
            logger.exception("cache invalidation failed")

    async def close(self) -> None:
        await self.cache._aclose()
