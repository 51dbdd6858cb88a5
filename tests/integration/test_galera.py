"""MariaDB Galera: a 3-node cluster started by the tests (``galera_cluster``, one per session).

Writes on any node are read on the others (causal reads by ``wsrep_sync_wait``), a certification
conflict between two nodes is a ``Deadlock`` that ``transaction(retry=)`` resolves, and two
``migrate`` runs on two nodes at once apply each migration once (the lock is a row, not GET_LOCK).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _galera import GaleraCluster

from typedorm import AUTO, PK, Col, ConnectionLost, Database, Deadlock, Model, Repository, column
from typedorm.dialects import GaleraDialect
from typedorm.engine.url import URL
from typedorm.migrations.runner import Runner


class GaleraCounter(Model, table="galera_counter"):
    id: PK[int]
    n: Col[int] = column(default=0)


class GaleraItem(Model, table="galera_item"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class GaleraNote(Model, table="galera_note"):
    id: PK[int]
    node: Col[int]
    text: Col[str]


def _galera(url: URL, **query: str) -> Database:
    """A ``galera://`` database for a node's URL (``query`` overrides its options)."""
    opts = "&".join(f"{k}={v}" for k, v in query.items())
    return Database(f"galera://root@127.0.0.1:{url.port}/{url.database}" + (f"?{opts}" if opts else ""))


@pytest.fixture
def nodes(galera_cluster: GaleraCluster) -> Iterator[list[Database]]:
    dbs = [_galera(u) for u in galera_cluster.urls]
    dbs[0].drop_all(GaleraNote, GaleraCounter, GaleraItem)
    dbs[0].create_all(GaleraNote, GaleraCounter, GaleraItem)
    try:
        yield dbs
    finally:
        for d in dbs:
            d.close()


def test_cluster_has_three_synced_nodes(galera_cluster: GaleraCluster, nodes: list[Database]) -> None:
    for d in nodes:
        assert isinstance(d.dialect, GaleraDialect)
        assert d.execute("SHOW STATUS LIKE 'wsrep_cluster_size'").all()[0][1] == "3"
        assert d.execute("SHOW STATUS LIKE 'wsrep_local_state_comment'").all()[0][1] == "Synced"
    assert galera_cluster.startup_seconds > 0


def test_writes_on_any_node_are_read_on_every_node(nodes: list[Database]) -> None:
    for i, d in enumerate(nodes):
        Repository(GaleraNote, d).insert(GaleraNote(id=i + 1, node=i + 1, text=f"from node {i + 1}"))
    for d in nodes:  # causal reads: no sleep, no polling
        got = [(n.id, n.node) for n in Repository(GaleraNote, d).order_by("id").all()]
        assert got == [(1, 1), (2, 2), (3, 3)]


def test_causal_reads_by_default_and_switchable(galera_cluster: GaleraCluster, nodes: list[Database]) -> None:
    assert nodes[1].execute("SELECT @@wsrep_sync_wait").scalar() == 15
    relaxed = _galera(galera_cluster.urls[1], wsrep_sync_wait="0")
    try:
        assert relaxed.execute("SELECT @@wsrep_sync_wait").scalar() == 0
    finally:
        relaxed.close()
    writer, reader = Repository(GaleraNote, nodes[0]), Repository(GaleraNote, nodes[2])
    stale = missed = 0
    for i in range(100, 200):
        writer.insert(GaleraNote(id=i, node=1, text="x"))
        if reader.get(i) is None:  # read on another node right after the commit
            stale += 1
        # an update on a third node right after: it finds the row (a lost update would be 0 rows)
        if Repository(GaleraNote, nodes[1]).update(GaleraNote.id == i, GaleraNote.text.set("y")) != 1:
            missed += 1
    assert (stale, missed) == (0, 0)


def test_certification_conflict_is_a_deadlock(nodes: list[Database]) -> None:
    a, b = nodes[0], nodes[1]
    counters_a, counters_b = Repository(GaleraCounter, a), Repository(GaleraCounter, b)
    counters_a.insert(GaleraCounter(id=1, n=0))
    with pytest.raises(Deadlock) as info:
        with a.transaction():
            counters_a.update(GaleraCounter.id == 1, GaleraCounter.n.set(10))
            with b.transaction():  # another node, the same row: commits first
                counters_b.update(GaleraCounter.id == 1, GaleraCounter.n.set(20))
    assert info.value.errno == 1213
    assert [c.n for c in counters_a.all()] == [20]  # node 1's write set lost certification


def test_transaction_retry_resolves_a_certification_conflict(nodes: list[Database]) -> None:
    a, b = nodes[0], nodes[1]
    counters_a, counters_b = Repository(GaleraCounter, a), Repository(GaleraCounter, b)
    counters_a.insert(GaleraCounter(id=2, n=0))
    attempts = 0

    @a.transaction(retry=3)
    def bump() -> None:
        nonlocal attempts
        attempts += 1
        counters_a.update(GaleraCounter.id == 2, GaleraCounter.n.set(GaleraCounter.n + 1))
        if attempts == 1:  # another node commits a write to the same row first
            with b.transaction():
                counters_b.update(GaleraCounter.id == 2, GaleraCounter.n.set(GaleraCounter.n + 100))

    bump()
    assert attempts == 2  # the first attempt lost certification (Deadlock) and was re-run
    for d in nodes:
        got = Repository(GaleraCounter, d).get(2)
        assert got is not None and got.n == 101


def test_concurrent_increments_on_three_nodes_lose_nothing(nodes: list[Database]) -> None:
    """Read-modify-write on three nodes at once with a locking read: certification conflicts are
    re-run by ``retry=``, and no update is lost. (A plain read would let a stale value be written
    back, on Galera as on one InnoDB server: read with FOR UPDATE, or write ``n = n + 1``.)"""
    Repository(GaleraCounter, nodes[0]).insert(GaleraCounter(id=7, n=0))
    per_thread, attempts, errors = 10, [0], []
    lock = threading.Lock()

    def work(d: Database) -> None:
        counters = Repository(GaleraCounter, d)

        @d.transaction(retry=50)
        def bump() -> None:
            with lock:
                attempts[0] += 1
            n = d.execute("SELECT n FROM galera_counter WHERE id = ? FOR UPDATE", (7,)).scalar()
            counters.update(GaleraCounter.id == 7, GaleraCounter.n.set(int(n) + 1))

        try:
            for _ in range(per_thread):
                bump()
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(d,)) for d in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    total = per_thread * len(nodes)
    for d in nodes:
        final = Repository(GaleraCounter, d).get(7)
        assert final is not None and final.n == total  # no lost update across nodes
    assert attempts[0] >= total


MIGRATION = '''\
"""a table and a data step that must run once"""

from typedorm.migrations import MigrationContext, Op

revision = "0001_{tag}"
parent = None
message = "galera"


def fill(ctx: MigrationContext) -> None:
    ctx.execute("INSERT INTO {table} (id, who) VALUES (NULL, ?)", ["once"])


def upgrade(op: Op) -> None:
    op.execute("CREATE TABLE {table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(20) NOT NULL)")
    op.run_python(fill)


def downgrade(op: Op) -> None:
    op.execute("DROP TABLE {table}")
'''


def test_concurrent_migrate_on_two_nodes_applies_once(nodes: list[Database], tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    table = f"galera_mig_{tag}"
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    (mdir / f"0001_{tag}.py").write_text(MIGRATION.format(tag=tag, table=table), encoding="utf-8")
    for d in nodes:
        d.execute("DROP TABLE IF EXISTS typedorm_migrations")
        d.execute("DROP TABLE IF EXISTS typedorm_migration_lock")
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def migrate(i: int) -> None:
        try:
            runner = Runner(nodes[i], mdir, backup=False, lock_timeout=60)
            start.wait()
            results[i] = runner.upgrade()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=migrate, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(len(r) for r in results.values()) == [0, 1]  # one applied it, the other found it done
    for d in nodes:
        assert d.execute(f"SELECT who FROM {table}").all() == [("once",)]
        assert d.execute("SELECT count(*) FROM typedorm_migration_lock").scalar() == 0
    nodes[0].execute(f"DROP TABLE {table}")


def test_two_phase_is_refused_on_galera(nodes: list[Database]) -> None:
    # the server refuses XA under Galera replication (error 1235): refused before any statement
    from typedorm import ConfigurationError, two_phase

    with pytest.raises(ConfigurationError, match="galera has no prepared transactions"), two_phase(nodes[0]):
        pass


def test_database_assigned_keys_with_interleaved_auto_increment(nodes: list[Database]) -> None:
    # Galera spaces AUTO_INCREMENT values by the cluster size (wsrep_auto_increment_control): keys
    # typedorm returns come from the server (RETURNING / last insert id), never guessed
    assert nodes[1].execute("SELECT @@auto_increment_increment").scalar() == 3
    items = Repository(GaleraItem, nodes[1])
    made = items.insert_many([GaleraItem(name=f"i{k}") for k in range(20)])
    one = items.insert(GaleraItem(name="single"))
    stored = {i.id: i.name for i in Repository(GaleraItem, nodes[2]).all()}
    assert {m.id: m.name for m in [*made, one]} == stored
    assert len(stored) == 21


def test_a_node_that_leaves_and_rejoins(galera_cluster: GaleraCluster, nodes: list[Database]) -> None:
    """Stop node 3: its callers get ConnectionLost, the other two keep writing; started again, it
    catches up by state transfer and its pool serves reads that see every write (runs last: it
    restarts a node of the shared cluster)."""
    notes = [Repository(GaleraNote, d) for d in nodes]
    notes[2].insert(GaleraNote(id=500, node=3, text="before"))
    galera_cluster.stop_node(2)
    try:
        with pytest.raises(ConnectionLost):
            notes[2].get(500)
        for k in range(501, 511):  # the remaining two nodes have quorum
            notes[k % 2].insert(GaleraNote(id=k, node=k % 2 + 1, text="while away"))
    finally:
        galera_cluster.start_node(2)
    ids = [n.id for n in notes[2].filter(GaleraNote.id >= 500).order_by("id").all()]
    assert ids == list(range(500, 511))
    assert nodes[2].execute("SHOW STATUS LIKE 'wsrep_cluster_size'").all()[0][1] == "3"
