"""``RedisCache``: query results and table generations in Redis, shared by every process, never fatal.

One round trip per cached read: an ``MGET`` of the namespace's epoch, the generations of the
tables the query reads and the entry itself. An entry is JSON (``[epoch, generations, rows]``),
never a pickle, and is served only if its epoch and generations are the current ones. A write
``INCR``\\ s the generations of the tables it changed, after its commit; raw SQL without
``touches=`` and migrations replace the epoch, which invalidates the whole namespace.

Redis down, slow or restarted never fails a query: every operation has a short timeout, a
failure opens a circuit breaker (reads and writes go to the database alone for ``retry_after``
seconds, with one warning per outage on the ``typedorm.cache`` logger), and the first operation
that works again replaces the epoch, because writes made meanwhile could not be recorded. A
restarted Redis has lost its epoch key: the first read that sees it missing sets a new one.

The cache holds its own connections (taken for one operation, given back after its complete
response, dropped on any error): redis-py's pool checkout costs a poll and some bookkeeping on
every command, more than a loopback round trip on some machines.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Collection
from typing import Any

from ..errors import ConfigurationError, InvalidArgument
from .base import MISS, ROW, Cache, Entry, Snapshot
from .codec import Unencodable, decode_payload, encode_payload, has_mutable, params_key

__all__ = ["RedisCache"]

logger: logging.Logger = logging.getLogger("typedorm.cache")


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigurationError('RedisCache needs redis-py: pip install "typedorm[redis]"') from None
    return redis


#: advanced in a forked child: connections held before the fork are the parent's
_forks = 0


#: what every generation token this process sets starts with (random, replaced in a forked child)
#: and the counter after it: tokens never repeat, and making one costs no system call
_token_prefix = secrets.token_hex(8)
_token_counter = itertools.count()


def _token() -> str:
    return f"{_token_prefix}.{next(_token_counter):x}"


def _after_fork() -> None:
    global _forks, _token_prefix
    _forks += 1
    _token_prefix = secrets.token_hex(8)


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork)


class _Held:
    """The connections a :class:`RedisCache` holds for one client (sync): idle ones wait in a list;
    one is taken per operation and given back after a complete response, or dropped on an error.
    A connection taken never has unread data, so redis-py's checkout check is not needed."""

    __slots__ = ("closed", "fork", "idle", "lock", "pool")

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.idle: list[Any] = []
        self.lock = threading.Lock()
        self.fork = _forks
        self.closed = False


class _AHeld:
    """The asyncio twin of :class:`_Held`, one per event loop (a connection belongs to its loop),
    with the loop's client."""

    __slots__ = ("client", "closed", "idle", "pool")

    def __init__(self, client: Any) -> None:
        self.client = client
        self.pool = client.connection_pool
        self.idle: list[Any] = []
        self.closed = False


def _roundtrip(conn: Any, cmds: list[tuple[Any, ...]]) -> list[Any]:
    """Send ``cmds`` in one write and read every reply (an error reply raises; the caller then
    drops the connection, since replies may remain unread)."""
    if len(cmds) == 1:
        conn.send_command(*cmds[0])
        return [conn.read_response()]
    conn.send_packed_command(conn.pack_commands(cmds))
    return [conn.read_response() for _ in cmds]


async def _aroundtrip(conn: Any, cmds: list[tuple[Any, ...]]) -> list[Any]:
    if len(cmds) == 1:
        await conn.send_command(*cmds[0])
        return [await conn.read_response()]
    await conn.send_packed_command(conn.pack_commands(cmds))
    return [await conn.read_response() for _ in cmds]


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else None if value is None else str(value)


class _Breaker:
    """Closed (use Redis) or open until a time (bypass); one warning per outage."""

    __slots__ = ("_lock", "down", "open_until", "reset_epoch", "retry_after")

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.open_until = 0.0
        self.down = False
        #: the next successful contact must replace the epochs first (writes may have been missed)
        self.reset_epoch = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        return not self.down or time.monotonic() >= self.open_until

    def failed(self, error: BaseException, what: str) -> None:
        with self._lock:
            self.open_until = time.monotonic() + self.retry_after
            self.reset_epoch = True
            if self.down:
                return
            self.down = True
        logger.warning(
            "Redis cache unreachable (%s: %s: %s); queries go to the database until it answers again",
            what,
            type(error).__name__,
            error,
        )

    def recovered(self) -> None:
        if not self.down:
            return
        with self._lock:
            was = self.down
            self.down = False
        if was:
            logger.info("Redis cache reachable again; every cached entry was invalidated")


class RedisCache(Cache):
    """Query results shared through Redis by every process of an application (``typedorm[redis]``).

    Example::

        db = Database("postgresql://app@db/app", cache=RedisCache("redis://127.0.0.1:6379/0"))
        users.filter(User.active == True).cached(ttl=60).all()

    A commit in one process is seen by the cached reads that every other process starts after
    it: each read checks the generations of its tables in the same round trip as the value.
    ``timeout`` bounds each Redis operation (seconds); after a failure Redis is left alone for
    ``retry_after`` seconds. ``prefix`` starts every key (the database and the schema version
    of the tables a query reads are part of each key as well). Entries expire after the query's
    ``ttl`` or ``default_ttl``. :class:`~typedorm.Database` uses redis-py's client and
    :class:`~typedorm.AsyncDatabase` ``redis.asyncio``'s, both made from ``url``.

    Each process also keeps the last ``local_entries`` results it read or stored, with the
    instances validated from them once: when Redis reports the same generations for a key, the
    value is not decoded or validated again (the round trip that checks them still happens, so
    another process's commit is seen all the same). A generation is a random token set by each
    write; a row's (for cached gets, see ``typedorm.cache.hook``) expires ``row_ttl`` seconds after
    its last write, and cached gets live at most that long.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "typedorm",
        default_ttl: float | None = 300.0,
        timeout: float = 0.05,
        retry_after: float = 1.0,
        max_value_bytes: int = 1 << 20,
        local_entries: int = 10_000,
        row_ttl: float = 86_400.0,
    ) -> None:
        super().__init__(default_ttl=default_ttl)
        if isinstance(local_entries, bool) or not isinstance(local_entries, int) or local_entries < 0:
            raise InvalidArgument(
                f"local_entries must be an int >= 0, not {local_entries!r}", argument="local_entries"
            )
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise InvalidArgument(f"RedisCache takes a redis:// URL, not {url!r}", argument="url")
        for name, v in (("timeout", timeout), ("retry_after", retry_after), ("row_ttl", row_ttl)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise InvalidArgument(
                    f"{name} must be a positive number of seconds, not {v!r}", argument=name
                )
        if not isinstance(prefix, str) or not prefix:
            raise InvalidArgument(f"prefix must be a non-empty string, not {prefix!r}", argument="prefix")
        _redis_module()
        self.url: str = url
        self.prefix: str = prefix
        self.timeout: float = float(timeout)
        self.max_value_bytes: int = max_value_bytes
        self._breaker = _Breaker(float(retry_after))
        self._client: Any = None
        self._held: _Held | None = None
        self._aclients: weakref.WeakKeyDictionary[Any, _AHeld] = weakref.WeakKeyDictionary()
        self._namespaces: set[str] = set()
        self._stored = 0
        self._resetting = False
        self.local_entries: int = local_entries
        self.row_ttl: float | None = float(row_ttl)
        #: key -> (snapshot, expiry on the monotonic clock or 0, entry): what this process read or
        #: stored, served again while Redis reports the same snapshot for the key
        self._local: OrderedDict[Any, tuple[Snapshot, float, Entry]] = OrderedDict()
        #: (schema version, SQL text) -> its digest, the first part of a result's key
        self._statements: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"RedisCache({self.url!r}, prefix={self.prefix!r})"

    def _held_bytes(self) -> int:
        return self._stored

    def _bind(self, namespace: str) -> None:
        self._namespaces.add(namespace)

    # --- clients ------------------------------------------------------------------------
    def _sync(self) -> Any:
        if self._client is None:
            redis = _redis_module()
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._client = redis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
        return self._client

    def _async(self) -> _AHeld:
        import asyncio

        loop = asyncio.get_running_loop()
        held = self._aclients.get(loop)
        if held is None:
            _redis_module()
            import redis.asyncio as aredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            client = aredis.Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
            held = self._aclients[loop] = _AHeld(client)
        return held

    # --- held connections -----------------------------------------------------------------
    def _connections(self) -> _Held:
        held = self._held
        if held is None or held.fork != _forks:
            # a forked child forgets (never uses nor closes) its parent's connections; the
            # client's pool resets itself in the child
            held = self._held = _Held(self._sync().connection_pool)
        return held

    def _call(self, cmds: list[tuple[Any, ...]]) -> list[Any]:
        """The replies to ``cmds``, sent in one write on a connection the cache holds.

        A held connection found dead (Redis restarted, the server closed it) is replaced once, as
        redis-py's pool checkout would have; a timeout is not retried (Redis is slow)."""
        held = self._connections()
        with held.lock:
            conn = held.idle.pop() if held.idle else None
        reused = conn is not None
        try:
            if conn is None:
                conn = held.pool.get_connection()
            try:
                out = _roundtrip(conn, cmds)
            except _redis_module().ConnectionError:
                if not reused:
                    raise
                dead, conn = conn, None
                self._drop(held, dead)
                conn = held.pool.get_connection()
                out = _roundtrip(conn, cmds)
        except BaseException:
            if conn is not None:
                self._drop(held, conn)
            raise
        with held.lock:
            if not held.closed and held is self._held:
                held.idle.append(conn)
                return out
        self._drop(held, conn)
        return out

    @staticmethod
    def _drop(held: _Held, conn: Any) -> None:
        """Disconnect ``conn`` (it may hold unread replies) and hand it back to its pool."""
        try:
            conn.disconnect()
            if held.fork == _forks:
                held.pool.release(conn)
        except Exception:  # dropping never fails a caller
            logger.debug("disconnecting a Redis connection failed", exc_info=True)

    async def _acall(self, cmds: list[tuple[Any, ...]]) -> list[Any]:
        """:meth:`_call` on this event loop's connections."""
        held = self._async()
        conn = held.idle.pop() if held.idle else None
        reused = conn is not None
        try:
            if conn is None:
                conn = await held.pool.get_connection()
            try:
                out = await _aroundtrip(conn, cmds)
            except _redis_module().ConnectionError:
                if not reused:
                    raise
                dead, conn = conn, None
                await self._adrop(held, dead)
                conn = await held.pool.get_connection()
                out = await _aroundtrip(conn, cmds)
        except BaseException:
            if conn is not None:
                await self._adrop(held, conn)
            raise
        if held.closed:
            await self._adrop(held, conn)
        else:
            held.idle.append(conn)
        return out

    @staticmethod
    async def _adrop(held: _AHeld, conn: Any) -> None:
        try:
            await conn.disconnect(nowait=True)
            await held.pool.release(conn)
        except Exception:
            logger.debug("disconnecting a Redis connection failed", exc_info=True)

    def _close(self) -> None:
        with self._lock:
            self._local.clear()
        held, self._held = self._held, None
        if held is not None:
            with held.lock:
                held.closed = True
                idle, held.idle = held.idle, []
            for conn in idle:
                self._drop(held, conn)
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing never fails a caller
                logger.debug("closing the Redis client failed", exc_info=True)

    async def _aclose(self) -> None:
        with self._lock:
            self._local.clear()
        import asyncio

        held = self._aclients.pop(asyncio.get_running_loop(), None)
        if held is not None:
            held.closed = True
            idle, held.idle = held.idle, []
            for conn in idle:
                await self._adrop(held, conn)
            try:
                await held.client.aclose()
            except Exception:
                logger.debug("closing the Redis client failed", exc_info=True)

    def _retry_reset(self) -> None:
        """A write's invalidation did not reach Redis: until the epochs are replaced, other processes
        could serve entries older than it. A daemon thread retries every ``retry_after`` seconds
        (not waiting for this process's next cache operation)."""
        with self._lock:
            if self._resetting:
                return
            self._resetting = True
        threading.Thread(target=self._reset_loop, name="typedorm-cache-reset", daemon=True).start()

    def _reset_loop(self) -> None:
        b = self._breaker
        try:
            while b.reset_epoch:
                time.sleep(b.retry_after)
                if not b.reset_epoch:
                    break
                redis = _redis_module()
                from redis.backoff import NoBackoff
                from redis.retry import Retry

                client = redis.Redis.from_url(
                    self.url,
                    socket_timeout=self.timeout,
                    socket_connect_timeout=self.timeout,
                    retry=Retry(NoBackoff(), 0),
                )
                try:
                    pipe = client.pipeline(transaction=False)
                    for ns in list(self._namespaces):
                        pipe.set(self._epoch_key(ns), secrets.token_hex(8))
                    pipe.execute()
                except self._error_types():
                    continue
                finally:
                    client.close()
                b.reset_epoch = False
                b.recovered()
        finally:
            with self._lock:
                self._resetting = False

    # --- keys -----------------------------------------------------------------------------
    def _key(self, ns: str, sql: str, params: Any, schema: str) -> Any:
        # The statement's digest once per text; then the parameters: a single int as itself (a
        # get by key), anything else by the digest of its canonical text (types kept apart).
        stmt = self._statements.get((schema, sql))
        if stmt is None:
            stmt = hashlib.sha256(f"{schema}\x00{sql}".encode()).hexdigest()[:32]
            if len(self._statements) < 4096:
                self._statements[(schema, sql)] = stmt
        if len(params) == 1 and type(params[0]) is int:
            return f"{self.prefix}:{ns}:v:{stmt}:i{params[0]}"
        h = hashlib.sha256(params_key(params).encode()).hexdigest()[:32]
        return f"{self.prefix}:{ns}:v:{stmt}:h{h}"

    def _epoch_key(self, ns: str) -> str:
        return f"{self.prefix}:{ns}:epoch"

    def _gen_keys(self, ns: str, tables: Collection[str]) -> list[str]:
        p = f"{self.prefix}:{ns}:g:"
        return [p + t for t in tables]

    def _error_types(self) -> tuple[type[BaseException], ...]:
        redis = _redis_module()
        return (redis.RedisError, OSError)

    # --- decoding (shared) ----------------------------------------------------------------
    def _parse(self, key: Any, values: list[Any]) -> tuple[Any, Snapshot | None, bool]:
        """(entry or MISS, snapshot, epoch missing) from ``MGET epoch, gens..., value``; the entry
        this process keeps for ``key`` if it was read at the same snapshot (not decoded again)."""
        raw_epoch, raw = values[0], values[-1]
        gens = tuple(_text(v) for v in values[1:-1])
        if raw_epoch is None:
            return MISS, None, True
        snap: Snapshot = (_text(raw_epoch), gens)
        if raw is None:
            return MISS, snap, False
        if self.local_entries:
            with self._lock:
                held = self._local.get(key)
                if held is not None:
                    if held[0] == snap and (not held[1] or held[1] > time.monotonic()):
                        self._local.move_to_end(key)
                        return held[2], snap, False
                    del self._local[key]
        try:
            data = json.loads(raw)
            if (
                type(data) is not list
                or len(data) != 4
                or data[0] != snap[0]
                or data[1] != list(gens)
                or (data[3] is not None and type(data[3]) not in (int, float))
            ):
                return MISS, snap, False
            rows = decode_payload(data[2])
        except (ValueError, TypeError, KeyError):
            self._count("_errors")
            logger.debug("ignoring a malformed cache entry", exc_info=True)
            return MISS, snap, False
        left = None if data[3] is None else data[3] - time.time()
        if left is not None and left <= 0:
            return MISS, snap, False
        return self._keep(key, snap, rows, left), snap, False

    def _keep(self, key: Any, snap: Snapshot, rows: list[tuple[Any, ...]], left: float | None) -> Entry:
        """``rows`` read at ``snap`` as an entry this process keeps for ``key`` (for ``left``
        seconds; None: no expiry), its prototypes to be built on first use."""
        entry = Entry(rows, has_mutable(rows), self.local_entries > 0)
        if self.local_entries:
            expires = 0.0 if left is None else time.monotonic() + left
            with self._lock:
                local = self._local
                local[key] = (snap, expires, entry)
                local.move_to_end(key)
                while len(local) > self.local_entries:
                    local.popitem(last=False)
        return entry

    def _encode(self, snapshot: Snapshot, rows: list[tuple[Any, ...]], ttl: float | None) -> bytes | None:
        ttl = self.default_ttl if ttl is None else ttl
        try:
            body = json.dumps(
                [
                    snapshot[0],
                    list(snapshot[1]),
                    encode_payload(rows),
                    None if ttl is None else time.time() + ttl,
                ],
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
            ).encode()
        except (Unencodable, ValueError) as e:
            logger.debug("result not cached: %s", e)
            return None
        return body if len(body) <= self.max_value_bytes else None

    def _left(self, ttl: float | None) -> float | None:
        return self.default_ttl if ttl is None else ttl

    def _ttl_ms(self, ttl: float | None) -> int | None:
        ttl = self.default_ttl if ttl is None else ttl
        return max(1, int(ttl * 1000)) if ttl is not None else None

    # --- sync ------------------------------------------------------------------------------
    def _epoch_sets(self) -> list[tuple[Any, ...]]:
        return [("SET", self._epoch_key(ns), secrets.token_hex(8)) for ns in list(self._namespaces)]

    def _guard_sync(self, what: str, force: bool = False) -> bool:
        """Whether Redis may be used now (replacing the epochs first after an outage).
        ``force``: try even while the breaker is open (an invalidation is worth a timeout)."""
        b = self._breaker
        if not force and not b.allow():
            return False
        if b.reset_epoch:
            try:
                cmds = self._epoch_sets()
                if cmds:
                    self._call(cmds)
            except self._error_types() as e:
                self._failed(e, what)
                return False
            b.reset_epoch = False
            b.recovered()
        return True

    def _failed(self, e: BaseException, what: str) -> None:
        self._count("_errors")
        self._breaker.failed(e, what)

    def _new_epoch(self, ns: str) -> list[tuple[Any, ...]]:
        """Set an epoch unless one exists, and read the one that is."""
        ek = self._epoch_key(ns)
        return [("SET", ek, secrets.token_hex(8), "NX"), ("GET", ek)]

    @staticmethod
    def _started(values: list[Any], epoch: Any) -> Snapshot | None:
        """The snapshot after an epoch was started (None: it vanished at once, bypass)."""
        text = _text(epoch)
        if text is None:
            return None
        return (text, tuple(_text(v) for v in values[1:-1]))

    def _set_cmd(self, key: Any, body: bytes, ttl: float | None) -> tuple[Any, ...]:
        ms = self._ttl_ms(ttl)
        return ("SET", key, body) if ms is None else ("SET", key, body, "PX", ms)

    def _bump_cmds(self, ns: str, tables: Collection[str] | None) -> list[tuple[Any, ...]]:
        """A new random generation for each of ``tables`` (a row's expires ``row_ttl`` after it is
        written: an entry that read its old value expires before, so no value ever comes back)."""
        token = _token()
        if tables is None:
            return [("SET", self._epoch_key(ns), token)]
        row_ms = max(1, int((self.row_ttl or 0) * 1000))
        p = f"{self.prefix}:{ns}:g:"
        return [("SET", p + t, token, "PX", row_ms) if ROW in t else ("SET", p + t, token) for t in tables]

    def _lookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        if not self._guard_sync("read"):
            return MISS, None
        try:
            values = self._call([("MGET", self._epoch_key(ns), *self._gen_keys(ns, tables), key)])[0]
            found, snap, missing = self._parse(key, values)
            if missing:  # a new (or flushed) Redis: start an epoch; what it had is gone anyway
                snap = self._started(values, self._call(self._new_epoch(ns))[1])
        except self._error_types() as e:
            self._failed(e, "read")
            return MISS, None
        self._breaker.recovered()
        return found, snap

    def _store(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> Entry | None:
        body = self._encode(snapshot, rows, ttl)
        if body is None:
            return None
        if not self._guard_sync("store"):
            return None
        try:
            self._call([self._set_cmd(key, body, ttl)])
        except self._error_types() as e:
            self._failed(e, "store")
            return None
        with self._lock:
            self._stored += len(body)
        return self._keep(key, snapshot, rows, self._left(ttl))

    def _bump(self, ns: str, tables: Collection[str] | None) -> None:
        self._namespaces.add(ns)
        if not self._guard_sync("invalidate", force=True):
            self._retry_reset()  # a write went unrecorded: replace the epochs as soon as Redis answers
            return
        try:
            cmds = self._bump_cmds(ns, tables)
            if cmds:  # several INCRs: one write, one round trip
                self._call(cmds)
        except self._error_types() as e:
            self._failed(e, "invalidate")
            self._retry_reset()
            return
        self._breaker.recovered()

    # --- asyncio ---------------------------------------------------------------------------
    async def _guard_async(self, what: str, force: bool = False) -> bool:
        b = self._breaker
        if not force and not b.allow():
            return False
        if b.reset_epoch:
            try:
                cmds = self._epoch_sets()
                if cmds:
                    await self._acall(cmds)
            except self._error_types() as e:
                self._failed(e, what)
                return False
            b.reset_epoch = False
            b.recovered()
        return True

    async def _alookup(self, ns: str, key: Any, tables: Collection[str]) -> tuple[Any, Snapshot | None]:
        if not await self._guard_async("read"):
            return MISS, None
        try:
            values = (await self._acall([("MGET", self._epoch_key(ns), *self._gen_keys(ns, tables), key)]))[0]
            found, snap, missing = self._parse(key, values)
            if missing:
                snap = self._started(values, (await self._acall(self._new_epoch(ns)))[1])
        except self._error_types() as e:
            self._failed(e, "read")
            return MISS, None
        self._breaker.recovered()
        return found, snap

    async def _astore(
        self,
        ns: str,
        key: Any,
        snapshot: Snapshot,
        rows: list[tuple[Any, ...]],
        ttl: float | None,
        mutable: bool | None = None,
    ) -> Entry | None:
        body = self._encode(snapshot, rows, ttl)
        if body is None:
            return None
        if not await self._guard_async("store"):
            return None
        try:
            await self._acall([self._set_cmd(key, body, ttl)])
        except self._error_types() as e:
            self._failed(e, "store")
            return None
        with self._lock:
            self._stored += len(body)
        return self._keep(key, snapshot, rows, self._left(ttl))

    async def _abump(self, ns: str, tables: Collection[str] | None) -> None:
        self._namespaces.add(ns)
        if not await self._guard_async("invalidate", force=True):
            self._retry_reset()
            return
        try:
            cmds = self._bump_cmds(ns, tables)
            if cmds:
                await self._acall(cmds)
        except self._error_types() as e:
            self._failed(e, "invalidate")
            self._retry_reset()
            return
        self._breaker.recovered()
