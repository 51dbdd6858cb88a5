"""Read replicas: which server a statement runs on, read-your-writes, and skipping a replica that is down.

The one source of both flavours: ``routing.py`` is generated from this module by ``tools/unasync.py``.

``AsyncDatabase(primary_url, replicas=[...])`` keeps one :class:`AsyncRouter`. Statements inside
a transaction run on the transaction's connection (the primary), untouched by the router; outside
one, the router sends

- plain reads (a ``SELECT`` without ``FOR UPDATE``/``FOR SHARE``/``INTO``, and raw SQL passed
  ``using="replica"``) to a replica: the least loaded one (fewest statements in flight from this
  process, ties taken in turn), or in turn with ``replica_strategy="round_robin"``;
- everything else (writes, DDL, locking reads, raw SQL) to the primary, as do reads passed
  ``using="primary"`` or run inside ``with db.use_primary():``.

**Read-your-writes.** After a commit on the primary (a transaction, or a write outside one) the
router asks, on the same connection, the position of that commit (the dialect's
:class:`~typedorm.dialects.replication.ReplicationPositions`: the WAL LSN on PostgreSQL, the
GTID on MariaDB) and keeps it in a context variable of the current thread or task. A later read
in that context goes to a replica only once the replica's replayed position has passed it, else
to the primary. A replica's position is polled with one small query at most every
``position_refresh`` seconds and cached; reads in contexts that wrote nothing never wait for it.
A backend without positions (MySQL) keeps that context's reads on the primary.

**Failover.** While no connection to the primary can be opened (it is down, or a standby is
being promoted: a multi-host URL with ``target_session_attrs=read-write`` finds the new one),
a statement waits up to ``failover_timeout`` seconds for one. A replica that cannot be reached (a lost or refused connection, a server shutting
down or starting up) is skipped for a back-off that doubles from ``backoff`` up to
``backoff_max`` seconds, then tried again by the next read; the read that found it down runs on
another replica or on the primary, so it does not fail. With no replica left, reads go to the
primary.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import threading
import time
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ConnectionLost, DatabaseError, InvalidArgument, TypedORMError
from .core import map_error
from .result import _ONE
from .url import URL

if True:  # ASYNC
    import asyncio

if TYPE_CHECKING:
    from ..dialects.replication import ReplicationPositions
    from ..schema.spec import TableSpec
    from .aio_database import AsyncDatabase

__all__ = [
    "AsyncReplica",
    "AsyncRouter",
    "ReplicaStats",
    "ReplicaStrategy",
    "RoutingStats",
    "Using",
    "is_plain_read",
]

logger: logging.Logger = logging.getLogger("typedorm.engine")

#: where a statement may run: ``"primary"``, or ``"replica"`` (a read; a replica that has the
#: context's own writes, else the primary)
Using = Literal["primary", "replica"]
#: how a replica is picked among those that can serve a read
ReplicaStrategy = Literal["least_loaded", "round_robin"]

_USING = ("primary", "replica")
_STRATEGIES = ("least_loaded", "round_robin")

_SELECT = re.compile(r"\A[\s(]*SELECT\b", re.IGNORECASE)
# Locking reads and SELECT ... INTO (a new table, variables, a file) belong on the primary.
_NOT_PLAIN = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|\bLOCK\s+IN\s+SHARE\s+MODE\b|\bINTO\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def is_plain_read(sql: str) -> bool:
    """Whether ``sql`` is a plain read a replica may serve: a SELECT that neither locks rows nor
    stores its result. Conservative: anything else (``WITH``, a quoted name that reads like a
    keyword) counts as a write and runs on the primary."""
    return _SELECT.match(sql) is not None and _NOT_PLAIN.search(sql) is None


def check_using(using: object, argument: str = "using") -> Using | None:
    """``using`` validated: None, ``"primary"`` or ``"replica"``."""
    if using is None or (isinstance(using, str) and using in _USING):
        return using  # type: ignore[return-value]
    raise InvalidArgument(
        f"{argument} must be 'primary', 'replica' or None, not {using!r}", argument=argument
    )


def _unavailable(err: BaseException) -> bool:
    """Whether ``err`` says the server cannot be used now (rather than that the statement is wrong):
    a lost or refused connection, SQLSTATE class 08 (connection exception) or 57P (shutting down,
    starting up)."""
    if isinstance(err, ConnectionLost):
        return True
    if isinstance(err, DatabaseError):
        state = err.sqlstate or ""
        return state.startswith(("08", "57P"))
    return False


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: a commit happened but its position is unknown: learnt from the primary before the next read
_UNRESOLVED = _Marker("UNRESOLVED")
#: a commit happened and the backend has no positions: this context reads from the primary
_PRIMARY_ONLY = _Marker("PRIMARY_ONLY")


@dataclass(frozen=True)
class ReplicaStats:
    """One replica as the router sees it: reads served, failures, whether it is skipped now."""

    url: str
    reads: int
    failures: int
    down: bool
    #: the replayed position last polled (dialect-specific), None if not polled yet
    position: Any


@dataclass(frozen=True)
class RoutingStats:
    """Where the reads routed so far ran: ``replica_reads`` + ``primary_reads`` (reads that fell
    back to the primary, by read-your-writes, pinning, or no replica being up)."""

    replica_reads: int
    primary_reads: int
    #: reads that found a replica down and ran elsewhere
    failovers: int
    #: position queries run on the primary after commits, and on replicas
    commit_positions: int
    replica_polls: int
    replicas: tuple[ReplicaStats, ...]

    @property
    def replica_share(self) -> float:
        """The share of routed reads a replica served (0.0 without reads)."""
        total = self.replica_reads + self.primary_reads
        return self.replica_reads / total if total else 0.0


class AsyncReplica:
    """One replica: its own database (pool), opened on first use, and its health and position."""

    __slots__ = (
        "db",
        "down_until",
        "failures",
        "inflight",
        "position",
        "position_at",
        "reads",
        "refreshing",
        "url",
    )

    def __init__(self, url: URL) -> None:
        self.url: URL = url
        self.db: AsyncDatabase | None = None
        #: failed attempts in a row; the back-off doubles with each
        self.failures: int = 0
        #: skipped until this ``time.monotonic()``
        self.down_until: float = 0.0
        #: statements running on it now (the least-loaded choice)
        self.inflight: int = 0
        self.reads: int = 0
        #: the replayed position last polled, and when
        self.position: Any = None
        self.position_at: float = float("-inf")
        self.refreshing: bool = False

    def __repr__(self) -> str:
        return f"<AsyncReplica {self.url.render()} failures={self.failures}>"


class AsyncRouter:
    """Routes a database's statements between its primary and replicas (see the module doc)."""

    def __init__(
        self,
        primary: AsyncDatabase,
        replicas: Sequence[str | URL],
        options: Mapping[str, Any],
        *,
        strategy: ReplicaStrategy = "least_loaded",
        position_refresh: float = 0.05,
        backoff: float = 0.5,
        backoff_max: float = 15.0,
        failover_timeout: float = 5.0,
    ) -> None:
        if isinstance(replicas, (str, URL)) or not isinstance(replicas, Sequence):
            raise InvalidArgument("replicas must be a list of database URLs", argument="replicas")
        if strategy not in _STRATEGIES:
            raise InvalidArgument(
                f"replica_strategy must be one of {', '.join(_STRATEGIES)}, not {strategy!r}",
                argument="replica_strategy",
            )
        self.primary: AsyncDatabase = primary
        self.replicas: list[AsyncReplica] = []
        for u in replicas:
            url = URL.parse(u)
            if url.dialect != primary.url.dialect:
                raise InvalidArgument(
                    f"replica {url} is not the primary's kind of database ({primary.url.dialect_scheme})",
                    argument="replicas",
                )
            self.replicas.append(AsyncReplica(url))
        if not isinstance(failover_timeout, (int, float)) or failover_timeout < 0:
            raise InvalidArgument(
                f"failover_timeout must be a number of seconds >= 0, not {failover_timeout!r}",
                argument="failover_timeout",
            )
        self.failover_timeout: float = float(failover_timeout)
        self.options: dict[str, Any] = dict(options)
        self.strategy: ReplicaStrategy = strategy
        self.position_refresh: float = position_refresh
        self.backoff: float = backoff
        self.backoff_max: float = backoff_max
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._required: ContextVar[Any] = ContextVar(f"typedorm_written_{id(self)}", default=None)
        self._pinned: ContextVar[int] = ContextVar(f"typedorm_pinned_{id(self)}", default=0)
        self.replica_reads: int = 0
        self.primary_reads: int = 0
        self.failovers: int = 0
        self.commit_positions: int = 0
        self.replica_polls: int = 0

    @property
    def positions(self) -> ReplicationPositions | None:
        return self.primary.dialect.replication

    # --- what the caller sees ------------------------------------------------------------
    @contextlib.contextmanager
    def use_primary(self) -> Iterator[None]:
        token = self._pinned.set(self._pinned.get() + 1)
        try:
            yield
        finally:
            self._pinned.reset(token)

    def stats(self) -> RoutingStats:
        now = time.monotonic()
        return RoutingStats(
            replica_reads=self.replica_reads,
            primary_reads=self.primary_reads,
            failovers=self.failovers,
            commit_positions=self.commit_positions,
            replica_polls=self.replica_polls,
            replicas=tuple(
                ReplicaStats(r.url.render(), r.reads, r.failures, r.down_until > now, r.position)
                for r in self.replicas
            ),
        )

    def written_position(self) -> Any:
        """The position this context's reads must see (None: it wrote nothing)."""
        return self._required.get()

    def routes_to_replica(self, sql: str, using: Using | None) -> bool:
        """Whether a statement outside a transaction is a read for a replica."""
        if using is not None:
            return using == "replica"
        return not self._pinned.get() and is_plain_read(sql)

    # --- statements ------------------------------------------------------------------------
    async def run(self, sql: str, params: Any, mode: int, spec: TableSpec | None, using: Using | None) -> Any:
        """Run one statement outside a transaction where it belongs."""
        if not self.routes_to_replica(sql, using):
            # A write (anything but a plain read) records its position for read-your-writes.
            return await self.primary._run_pooled(sql, params, mode, spec, not is_plain_read(sql))
        replica = await self._choose()
        while replica is not None:
            db = replica.db
            assert db is not None
            self._enter(replica)
            try:
                out = await db._run(sql, params, mode, spec)
            except TypedORMError as e:
                self._leave(replica)
                if not _unavailable(e):
                    raise
                self._down(replica, e)
                self.failovers += 1
                replica = await self._choose()
                continue
            except BaseException:
                self._leave(replica)
                raise
            self._leave(replica)
            self._up(replica)
            replica.reads += 1
            self.replica_reads += 1
            return out
        self.primary_reads += 1
        try:
            return await self.primary._run_pooled(sql, params, mode, spec, False)
        except ConnectionLost as e:
            # A read that lost its connection returned nothing yet: once more on a fresh one (a
            # pooled connection can die with a primary that is going away; the next connection
            # waits for the new one).
            logger.debug("a read on the primary lost its connection (%s); running it again", e)
            return await self.primary._run_pooled(sql, params, mode, spec, False)

    async def stream(
        self, sql: str, params: Any, batch_size: int, spec: TableSpec | None, using: Using | None
    ) -> AsyncGenerator[list[Any], None]:
        """Batches of a read outside a transaction, from a replica when it routes there. A replica
        found down before the first batch is skipped; a failure after it reaches the caller."""
        if self.routes_to_replica(sql, using):
            replica = await self._choose()
            while replica is not None:
                db = replica.db
                assert db is not None
                started = False
                current = replica
                self._enter(current)
                try:
                    async for batch in db._stream(sql, params, batch_size, spec):
                        started = True
                        yield batch
                except TypedORMError as e:
                    if started or not _unavailable(e):
                        raise
                    self._down(current, e)
                    self.failovers += 1
                    replica = await self._choose()
                    continue
                finally:
                    self._leave(current)
                self._up(current)
                current.reads += 1
                self.replica_reads += 1
                return
            self.primary_reads += 1
        async for batch in self.primary._stream(sql, params, batch_size, spec):
            yield batch

    async def acquire_primary(self) -> Any:
        """A connection to the primary. While none can be opened (the primary down, a standby
        being promoted: with a multi-host URL libpq finds the new primary once it accepts
        writes), tries again for up to ``failover_timeout`` seconds: nothing was sent yet, so a
        write is as safe to start late as a read."""
        pool = self.primary._pool
        deadline: float | None = None
        delay = 0.02
        while True:
            try:
                return await pool.acquire()
            except TypedORMError as e:
                if not _unavailable(e):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.failover_timeout
                    logger.info(
                        "the primary cannot be reached (%s); trying again for %.1fs", e, self.failover_timeout
                    )
                if now + delay > deadline:
                    raise
            if True:  # ASYNC
                await asyncio.sleep(delay)
            else:  # SYNC
                time.sleep(delay)
            delay = min(delay * 2, 0.5)

    # --- read-your-writes ----------------------------------------------------------------
    async def commit_position(self, conn: Any) -> tuple[Any, bool]:
        """The position of the commit just made on ``conn`` (a primary connection), and whether
        ``conn`` is still usable. Never raises a database error: the commit has happened."""
        positions = self.positions
        if positions is None:
            return _PRIMARY_ONLY, True
        self.commit_positions += 1
        db = self.primary
        try:
            # straight to the driver: typedorm's own bookkeeping, not counted by count_queries()
            row = await db.driver.execute(conn, positions.commit_position_sql, (), _ONE, False)
        except Exception as e:  # the commit stands whatever happens here: the position is learnt later
            logger.debug("reading the commit's replication position failed: %s", e)
            return _UNRESOLVED, db.driver.is_alive_cheap(conn)
        pos = positions.parse(row[0] if row else None)
        return pos, True

    def require(self, position: Any) -> None:
        """Reads in this context must see the commit at ``position`` from now on."""
        if position is None:
            return
        current = self._required.get()
        if current is _PRIMARY_ONLY or position is _PRIMARY_ONLY:
            new: Any = _PRIMARY_ONLY
        elif current is _UNRESOLVED or position is _UNRESOLVED:
            new = _UNRESOLVED
        elif current is None:
            new = position
        else:
            positions = self.positions
            assert positions is not None
            new = positions.merge(current, position)
        if new is not current:
            self._required.set(new)

    async def _resolve(self) -> Any:
        """The primary's current position, for a commit whose own position was not learnt."""
        positions = self.positions
        if positions is None:
            return _PRIMARY_ONLY
        try:
            row = await self._position(self.primary, positions.primary_position_sql)
        except TypedORMError as e:
            logger.debug("reading the primary's replication position failed: %s", e)
            return _PRIMARY_ONLY  # this read goes to the primary; the next one asks again
        pos = positions.parse(row[0] if row else None)
        if pos is None:
            return _PRIMARY_ONLY
        self._required.set(pos)
        return pos

    async def _caught_up(self, replica: AsyncReplica, required: Any) -> bool:
        positions = self.positions
        assert positions is not None
        pos = replica.position
        if pos is not None and positions.reached(pos, required):
            return True
        if replica.refreshing or time.monotonic() - replica.position_at < self.position_refresh:
            return False
        db = replica.db
        assert db is not None
        replica.refreshing = True
        try:
            self.replica_polls += 1
            row = await self._position(db, positions.replica_position_sql)
        except TypedORMError as e:
            if _unavailable(e):
                self._down(replica, e)
            else:
                logger.debug("polling replica %s's position failed: %s", replica.url, e)
            return False
        finally:
            replica.refreshing = False
        replica.position = pos = positions.parse(row[0] if row else None)
        replica.position_at = time.monotonic()
        return pos is not None and positions.reached(pos, required)

    async def _position(self, db: AsyncDatabase, sql: str) -> Any:
        """One row of a position query on a pooled connection of ``db``: typedorm's own
        bookkeeping, straight to the driver (not counted by ``count_queries()``, not logged)."""
        pool = db._pool
        conn = await pool.acquire()
        discard = False
        try:
            return await db.driver.execute(conn, sql, (), _ONE, False)
        except db._errors as e:
            discard = not db.driver.is_alive_cheap(conn)
            err = map_error(db.driver, e, None, sql)
            if err is None:
                raise
            if isinstance(err, ConnectionLost):
                discard = True
            raise err from e
        except BaseException:
            discard = not db.driver.is_alive_cheap(conn)
            raise
        finally:
            await pool.release(conn, discard=discard)

    # --- choosing a replica ----------------------------------------------------------------
    async def _choose(self) -> AsyncReplica | None:
        """A replica that is up and has this context's writes, or None for the primary."""
        required = self._required.get()
        if required is _PRIMARY_ONLY:
            return None
        now = time.monotonic()
        candidates = [r for r in self.replicas if r.down_until <= now]
        if not candidates:
            return None
        if required is _UNRESOLVED:
            required = await self._resolve()
            if required is _PRIMARY_ONLY:
                return None
        n = len(candidates)
        start = next(self._turn) % n
        order = candidates[start:] + candidates[:start]
        if self.strategy == "least_loaded" and n > 1:
            order.sort(key=lambda r: r.inflight)  # stable: ties keep their turn
        for replica in order:
            if replica.db is None and not self._open(replica):
                continue
            if required is None or await self._caught_up(replica, required):
                return replica
        return None

    def _open(self, replica: AsyncReplica) -> bool:
        from .aio_database import AsyncDatabase

        with self._lock:
            if replica.db is not None:
                return True
            try:
                db = AsyncDatabase(replica.url, **self.options)
            except TypedORMError as e:
                if not _unavailable(e):
                    raise
                self._down(replica, e)
                return False
            db._counters = self.primary._counters  # count_queries() sees the reads replicas serve
            replica.db = db
        return True

    def _enter(self, replica: AsyncReplica) -> None:
        with self._count_lock:  # threads: += is not atomic, and a drifting count would skew the choice
            replica.inflight += 1

    def _leave(self, replica: AsyncReplica) -> None:
        with self._count_lock:
            replica.inflight -= 1

    def _down(self, replica: AsyncReplica, err: BaseException) -> None:
        replica.failures += 1
        delay = min(self.backoff_max, self.backoff * 2 ** min(replica.failures - 1, 16))
        replica.down_until = time.monotonic() + delay
        replica.position = None
        replica.position_at = float("-inf")
        level = logging.WARNING if replica.failures == 1 else logging.DEBUG
        logger.log(
            level,
            "replica %s is unavailable (%s: %s); reads go elsewhere for %.1fs",
            replica.url,
            type(err).__name__,
            err,
            delay,
        )

    def _up(self, replica: AsyncReplica) -> None:
        if replica.failures:
            logger.info("replica %s is back after %d failed attempt(s)", replica.url, replica.failures)
            replica.failures = 0

    async def close(self) -> None:
        for replica in self.replicas:
            db, replica.db = replica.db, None
            if db is not None:
                await db.close()
