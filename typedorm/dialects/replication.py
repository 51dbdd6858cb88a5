"""How a backend tells how far a replica has applied the primary's changes (read-your-writes).

A :class:`ReplicationPositions` answers three questions the replica router asks, in SQL and in
plain comparisons, so that the engine never looks at the backend's name:

- the position of the commit just made, asked right after ``COMMIT`` on the same connection
  (``commit_position_sql``) or, when that failed, of everything committed so far on any primary
  connection (``primary_position_sql``);
- the position a replica has replayed (``replica_position_sql``), polled and cached;
- whether a replica's position has passed a commit's (``reached``), and the later of two
  commit positions (``merge``).

Positions are opaque to the engine: an ``int`` WAL byte offset on PostgreSQL, a mapping of
GTID domain to sequence number on MariaDB.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["MariaDBGtidPositions", "PostgresWalPositions", "ReplicationPositions"]


class ReplicationPositions:
    """The replication position queries and comparisons of one backend (see the module doc)."""

    #: one value: the position of this session's last commit (run right after ``COMMIT``)
    commit_position_sql: ClassVar[str] = ""
    #: one value: a position at or past every commit made so far (any primary connection)
    primary_position_sql: ClassVar[str] = ""
    #: one value: the position a replica has replayed (NULL when it is not replaying)
    replica_position_sql: ClassVar[str] = ""

    def parse(self, value: Any) -> Any | None:
        """The position in a value one of the queries returned; None when there is none."""
        raise NotImplementedError

    def reached(self, replica: Any, required: Any) -> bool:
        """Whether a replica at position ``replica`` has applied the commit at ``required``."""
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        """A position at or after both ``a`` and ``b``."""
        raise NotImplementedError


class PostgresWalPositions(ReplicationPositions):
    """PostgreSQL streaming replication: WAL LSNs (``'16/B374D848'``) as byte offsets.

    The insert position after a commit is past its commit record; a standby has replayed it once
    ``pg_last_wal_replay_lsn()`` is at or past that offset. ``pg_current_wal_insert_lsn()``, not
    ``pg_current_wal_lsn()``: the latter is the position written out of the WAL buffers, which
    with ``synchronous_commit=off`` can still be before the commit record (measured: a standby
    "caught up" to it did not have the table just created).
    """

    commit_position_sql: ClassVar[str] = "SELECT pg_current_wal_insert_lsn()::text"
    primary_position_sql: ClassVar[str] = "SELECT pg_current_wal_insert_lsn()::text"
    replica_position_sql: ClassVar[str] = "SELECT pg_last_wal_replay_lsn()::text"

    def parse(self, value: Any) -> int | None:
        if value is None:
            return None
        text = str(value)
        high, sep, low = text.partition("/")
        if not sep:
            return None
        try:
            return (int(high, 16) << 32) + int(low, 16)
        except ValueError:
            return None

    def reached(self, replica: Any, required: Any) -> bool:
        return bool(replica >= required)

    def merge(self, a: Any, b: Any) -> Any:
        return max(a, b)


class MariaDBGtidPositions(ReplicationPositions):
    """MariaDB GTID replication: ``domain-server-sequence`` lists, compared per domain.

    ``@@last_gtid`` is this session's last logged transaction; ``@@gtid_binlog_pos`` the
    primary's binlog position; a replica's ``@@gtid_slave_pos`` is what it has applied (it is
    updated in the same transaction as the replicated change). A replica has a commit once, in
    every domain the commit names, its sequence number is at least the commit's: what
    ``MASTER_GTID_WAIT(gtid, 0)`` would answer, without a round trip per read.
    """

    commit_position_sql: ClassVar[str] = "SELECT @@last_gtid"
    primary_position_sql: ClassVar[str] = "SELECT @@gtid_binlog_pos"
    replica_position_sql: ClassVar[str] = "SELECT @@gtid_slave_pos"

    def parse(self, value: Any) -> tuple[tuple[int, int], ...] | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        out: dict[int, int] = {}
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            pieces = part.split("-")
            if len(pieces) != 3:
                return None
            try:
                domain, _server, seq = (int(p) for p in pieces)
            except ValueError:
                return None
            out[domain] = max(seq, out.get(domain, 0))
        if not out:
            return None
        return tuple(sorted(out.items()))

    def reached(self, replica: Any, required: Any) -> bool:
        have = dict(replica)
        return all(have.get(domain, -1) >= seq for domain, seq in required)

    def merge(self, a: Any, b: Any) -> Any:
        out = dict(a)
        for domain, seq in b:
            out[domain] = max(seq, out.get(domain, 0))
        return tuple(sorted(out.items()))
