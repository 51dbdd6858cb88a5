"""The migration runner: upgrade / downgrade to a target, status and history, under a database-wide lock.

Each migration runs in one transaction where the dialect has transactional DDL (SQLite,
PostgreSQL): a failure anywhere leaves schema and data as they were. MySQL commits around
every DDL statement, so there each operation's completion is recorded in the history table
and a failed migration says exactly what was applied; ``upgrade`` continues from there.
Two processes never migrate at once: PostgreSQL advisory lock, MySQL ``GET_LOCK``, and where the
dialect has no server-wide lock (SQLite; Galera, whose ``GET_LOCK`` is per node) a lock row in
``typedorm_migration_lock`` whose primary key lets one writer in (SQLite: ``BEGIN IMMEDIATE``;
Galera: certification refuses the second node's insert).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.database import Database
from ..errors import DatabaseError, IntegrityError, RetryableError
from .backup import BackupInfo, take_backup
from .connection import MigrationConnection
from .diff import compare_live
from .errors import LockTimeout, MigrationError, MigrationFailed
from .ops import OpContext, Operation
from .reflect import introspect
from .scripts import Migrations, MigrationScript
from .state import Schema

__all__ = ["HISTORY_TABLE", "LOCK_TABLE", "AppliedMigration", "Runner", "Status"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")

HISTORY_TABLE = "typedorm_migrations"
LOCK_TABLE = "typedorm_migration_lock"


@dataclass(frozen=True)
class AppliedMigration:
    """A row of the history table."""

    revision: str
    parent: str | None
    message: str
    applied_at: str
    ops_done: int
    ops_total: int
    state: str  # "applied", "partial" (MySQL: stopped during upgrade), "reverting" (during downgrade)


@dataclass
class Status:
    """Where a database stands relative to the migration files."""

    current: str | None
    head: str | None
    pending: list[str]
    applied: list[AppliedMigration]
    unknown: list[str] = field(default_factory=list)
    incomplete: AppliedMigration | None = None
    drift: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not self.pending and self.incomplete is None and not self.unknown


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # no cheap check: never steal a lock there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Runner:
    """Applies migration files to a database.

    Example::

        runner = Runner(Database("sqlite:///app.db"), "migrations")
        runner.upgrade()            # to the head
        runner.downgrade("0002")    # back to revision 0002_...
        runner.status().pending

    ``progress`` receives one readable line per step (the CLI prints them); everything
    is also logged to ``typedorm.migrations``. ``lock_timeout`` is how long to wait for
    another process's migration to finish (0: refuse at once). Where the lock is a row (SQLite,
    Galera), a row left by a dead process on this host is taken over, and with
    ``lock_stale_after`` (seconds) any row older than that, whichever host wrote it. SQLite files are backed up
    before anything is applied unless ``backup=False``.
    """

    def __init__(
        self,
        db: Database,
        migrations: Migrations | str | Path,
        *,
        backup: bool = True,
        lock_timeout: float = 60.0,
        lock_stale_after: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.migrations: Migrations = (
            migrations if isinstance(migrations, Migrations) else Migrations.load(migrations)
        )
        self.backup = backup
        self.lock_timeout = lock_timeout
        self.lock_stale_after = lock_stale_after
        self._progress = progress
        self.last_backup: BackupInfo | None = None
        # What this run added to a SQLite file before its backup: the backup leaves it out.
        self._lock_token: str | None = None
        self._added_tables: list[str] = []

    def _say(self, msg: str) -> None:
        logger.info("%s", msg)
        if self._progress is not None:
            self._progress(msg)

    # --- history table ----------------------------------------------------------------------------
    def _ensure_history(self, conn: MigrationConnection) -> None:
        q = conn.dialect.quote
        text = conn.dialect.short_text_type
        opts = conn.dialect.table_options()
        conn.ddl(
            f"CREATE TABLE IF NOT EXISTS {q(HISTORY_TABLE)} ("
            f"{q('revision')} VARCHAR(255) NOT NULL PRIMARY KEY, {q('parent')} VARCHAR(255), "
            f"{q('message')} {text}, {q('applied_at')} VARCHAR(40) NOT NULL, {q('ops_done')} INTEGER NOT NULL, "
            f"{q('ops_total')} INTEGER NOT NULL, {q('state')} VARCHAR(16) NOT NULL){opts}"
        )

    def _ensure_history_noting(self, conn: MigrationConnection) -> None:
        """``_ensure_history``, remembering whether this run created the table (for the backup)."""
        if conn.dialect.file_backups and not self._has_history(conn):
            self._added_tables.append(HISTORY_TABLE)
        self._ensure_history(conn)

    def _table_exists(self, conn: MigrationConnection, name: str) -> bool:
        return bool(conn.execute(conn.dialect.table_exists_sql, (name,)).rows)

    def _has_history(self, conn: MigrationConnection) -> bool:
        return bool(conn.execute(conn.dialect.table_exists_sql, (HISTORY_TABLE,)).rows)

    def _read_history(self, conn: MigrationConnection) -> list[AppliedMigration]:
        if not self._has_history(conn):
            return []
        q = conn.dialect.quote
        rows = conn.execute(
            f"SELECT {q('revision')}, {q('parent')}, {q('message')}, {q('applied_at')}, {q('ops_done')}, "
            f"{q('ops_total')}, {q('state')} FROM {q(HISTORY_TABLE)}"
        ).rows
        order = {r: i for i, r in enumerate(self.migrations.revisions)}
        out = [
            AppliedMigration(str(r[0]), r[1], str(r[2] or ""), str(r[3]), int(r[4]), int(r[5]), str(r[6]))
            for r in rows
        ]
        out.sort(key=lambda a: order.get(a.revision, len(order)))
        return out

    def _position(self, applied: list[AppliedMigration]) -> tuple[str | None, AppliedMigration | None]:
        """The last fully applied revision, and a half-done migration if there is one."""
        known = set(self.migrations.revisions)
        unknown = [a.revision for a in applied if a.revision not in known]
        if unknown:
            raise MigrationError(
                f"the database has migrations that are not in {self.migrations.directory}: {', '.join(unknown)}. "
                "Is this the right migrations directory (or an older checkout)?"
            )
        done = {a.revision: a for a in applied}
        current: str | None = None
        incomplete: AppliedMigration | None = None
        for s in self.migrations:
            a = done.get(s.revision)
            if a is None:
                break
            if a.state != "applied":
                incomplete = a
                break
            current = s.revision
        rest = [r for r in self.migrations.revisions[self.migrations.index(current) + 1 :] if r in done]
        if incomplete is not None:
            rest = [r for r in rest if r != incomplete.revision]
        if rest:
            raise MigrationError(
                f"the history table has gaps: {', '.join(rest)} applied but an earlier migration is not"
            )
        return current, incomplete

    # --- lock -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, conn: MigrationConnection) -> Iterator[None]:
        deadline = time.monotonic() + max(self.lock_timeout, 0.0)
        waited = False
        lock = conn.dialect.migration_lock(conn.db.url.database)
        if lock is not None:
            # 1 on MySQL's GET_LOCK, true on PostgreSQL's pg_try_advisory_lock (True == 1)
            while conn.scalar(lock.acquire, lock.params) != 1:
                waited = self._wait(deadline, waited)
            try:
                yield
            finally:
                conn.scalar(lock.release, lock.params)
            return
        self._added_tables = []
        token = self._row_lock(conn, deadline)
        self._lock_token = token
        try:
            yield
        finally:
            self._lock_token = None
            q = conn.dialect.quote
            conn.execute(f"DELETE FROM {q(LOCK_TABLE)} WHERE {q('owner')} = ?", (token,))

    def _wait(self, deadline: float, waited: bool) -> bool:
        if not waited:
            self._say("another migration is running on this database; waiting for it to finish")
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"another process holds the migration lock on this database and did not release it within "
                f"{self.lock_timeout:g}s; try again later (or raise the wait with --wait SECONDS)"
            )
        time.sleep(0.1)
        return True

    def _stale(self, row: tuple[object, ...], host: str) -> bool:
        """A lock row whose holder is gone: a dead process on this host, or (``lock_stale_after``)
        a lock older than that on any host."""
        if row[1] == host and not _pid_alive(int(str(row[0]))):
            return True
        if self.lock_stale_after is not None and len(row) > 2:
            try:
                taken = _dt.datetime.strptime(str(row[2]), "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=_dt.UTC)
            except ValueError:
                return False
            return (_dt.datetime.now(_dt.UTC) - taken).total_seconds() > self.lock_stale_after
        return False

    def _row_lock(self, conn: MigrationConnection, deadline: float) -> str:
        q = conn.dialect.quote
        if not self._table_exists(conn, LOCK_TABLE):
            self._added_tables.append(LOCK_TABLE)
        conn.ddl(
            f"CREATE TABLE IF NOT EXISTS {q(LOCK_TABLE)} ({q('id')} INTEGER NOT NULL PRIMARY KEY CHECK ({q('id')} = 1), "
            f"{q('owner')} TEXT NOT NULL, {q('pid')} INTEGER NOT NULL, {q('host')} TEXT NOT NULL, "
            f"{q('acquired_at')} TEXT NOT NULL)"
        )
        token = uuid.uuid4().hex
        host = socket.gethostname()
        waited = False
        while True:
            # Look first without taking the write lock: a migration in progress holds it for as
            # long as its transaction runs, and BEGIN IMMEDIATE would sit in the busy handler.
            row = conn.execute(
                f"SELECT {q('pid')}, {q('host')}, {q('acquired_at')} FROM {q(LOCK_TABLE)}"
            ).first()
            if row is not None and not self._stale(tuple(row), host):
                waited = self._wait(deadline, waited)
                continue
            try:
                conn.begin()  # SQLite: BEGIN IMMEDIATE, one writer decides at a time
            except DatabaseError:
                waited = self._wait(deadline, waited)
                continue
            try:
                row = conn.execute(
                    f"SELECT {q('pid')}, {q('host')}, {q('acquired_at')} FROM {q(LOCK_TABLE)}"
                ).first()
                if row is not None and self._stale(tuple(row), host):
                    logger.warning("taking over the stale migration lock of process %s on %s", row[0], row[1])
                    conn.execute(f"DELETE FROM {q(LOCK_TABLE)}")
                    row = None
                if row is None:
                    conn.execute(
                        f"INSERT INTO {q(LOCK_TABLE)} ({q('id')}, {q('owner')}, {q('pid')}, {q('host')}, "
                        f"{q('acquired_at')}) VALUES (1, ?, ?, ?, ?)",
                        (token, os.getpid(), host, _now()),
                    )
                    conn.commit()
                    return token
                conn.commit()
            except (IntegrityError, RetryableError):
                # Galera: another node inserted the row first (duplicate key once its write set is
                # applied here, or a certification failure at COMMIT, raised as Deadlock)
                with contextlib.suppress(Exception):
                    conn.rollback()
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
            waited = self._wait(deadline, waited)

    # --- public API -------------------------------------------------------------------------------
    def status(self, *, drift: bool = True) -> Status:
        """Current revision, pending migrations, a half-applied one (MySQL) and schema drift."""
        conn = MigrationConnection(self.db)
        try:
            applied = self._read_history(conn)
            known = set(self.migrations.revisions)
            unknown = [a.revision for a in applied if a.revision not in known]
            if unknown:
                return Status(None, self.migrations.head, [], applied, unknown)
            current, incomplete = self._position(applied)
            start = self.migrations.index(current) + 1
            pending = self.migrations.revisions[start:]
            st = Status(current, self.migrations.head, pending, applied, [], incomplete)
            if drift and incomplete is None:
                expected = self.migrations.state_at(current)
                st.drift = compare_live(expected, introspect(conn), conn.dialect)
            return st
        finally:
            conn.close()

    def history(self) -> list[tuple[MigrationScript, AppliedMigration | None]]:
        """Every migration file in order, with its history row when applied."""
        conn = MigrationConnection(self.db)
        try:
            rows = {a.revision: a for a in self._read_history(conn)}
        finally:
            conn.close()
        return [(s, rows.get(s.revision)) for s in self.migrations]

    def upgrade(self, target: str | None = None) -> list[str]:
        """Apply migrations up to ``target`` (default: the head); returns the revisions applied."""
        goal = self.migrations.resolve(target)
        conn = MigrationConnection(self.db)
        try:
            with self._lock(conn):
                # created under the lock: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL
                self._ensure_history_noting(conn)
                current, incomplete = self._position(self._read_history(conn))
                if incomplete is not None and incomplete.state == "reverting":
                    raise MigrationError(
                        f"migration {incomplete.revision} was being reverted and stopped after "
                        f"{incomplete.ops_done} of {incomplete.ops_total} downgrade operations; run "
                        "`typedorm migrate down` to finish reverting it first"
                    )
                cur_i = self.migrations.index(current)
                goal_i = self.migrations.index(goal)
                if goal_i < cur_i:
                    raise MigrationError(
                        f"the database is at {current}, past {goal}; use `migrate down {goal}` to go back"
                    )
                todo = self.migrations.scripts[cur_i + 1 : goal_i + 1]
                if not todo:
                    self._say(f"already at {current or 'the empty schema'}: nothing to apply")
                    return []
                self._maybe_backup(conn, current)
                state = self.migrations.state_at(current)
                done: list[str] = []
                for script in todo:
                    mine = incomplete is not None and incomplete.revision == script.revision
                    resume = incomplete.ops_done if incomplete is not None and mine else 0
                    self._run_script(conn, script, state, up=True, resume=resume, has_row=mine)
                    done.append(script.revision)
                return done
        finally:
            conn.close()

    def downgrade(self, target: str | None = "-1") -> list[str]:
        """Revert migrations back to ``target`` (a revision, ``"base"`` for none, ``"-1"`` one step)."""
        conn = MigrationConnection(self.db)
        try:
            with self._lock(conn):
                self._ensure_history_noting(conn)
                current, incomplete = self._position(self._read_history(conn))
                if incomplete is not None and incomplete.state == "partial":
                    raise MigrationError(
                        f"migration {incomplete.revision} is partly applied ({incomplete.ops_done} of "
                        f"{incomplete.ops_total} operations); run `typedorm migrate up` to finish it before going back"
                    )
                cur_i = self.migrations.index(current)
                top = cur_i
                if incomplete is not None:  # finishing a downgrade that stopped half-way
                    top = self.migrations.index(incomplete.revision)
                if target == "-1":
                    goal_i = top - 1
                else:
                    goal_i = self.migrations.index(self.migrations.resolve(target))
                if goal_i > cur_i:
                    raise MigrationError(
                        f"the database is at {current or 'the empty schema'}, before "
                        f"{self.migrations.revisions[goal_i]}; use `migrate up` to go forward"
                    )
                todo = list(reversed(self.migrations.scripts[goal_i + 1 : top + 1]))
                if not todo:
                    self._say(f"already at {current or 'the empty schema'}: nothing to revert")
                    return []
                self._maybe_backup(conn, current)
                done: list[str] = []
                for script in todo:
                    state = self.migrations.state_at(script.revision)
                    mine = incomplete is not None and incomplete.revision == script.revision
                    resume = incomplete.ops_done if incomplete is not None and mine else 0
                    self._run_script(conn, script, state, up=False, resume=resume, has_row=True)
                    done.append(script.revision)
                return done
        finally:
            conn.close()

    def sql(self, target: str | None = None, *, up: bool = True) -> list[tuple[str, list[str]]]:
        """The SQL ``upgrade(target)`` (or ``downgrade(target)``) would run, per migration, without running it.

        Checks that need the data (rows present, values convertible) are skipped, and
        ``run_python`` steps appear as comments.
        """
        conn = MigrationConnection(self.db)
        try:
            current, _ = self._position(self._read_history(conn))
        finally:
            conn.close()
        cur_i = self.migrations.index(current)
        if up:
            goal_i = self.migrations.index(self.migrations.resolve(target))
            todo = self.migrations.scripts[cur_i + 1 : goal_i + 1]
        else:
            goal_i = cur_i - 1 if target == "-1" else self.migrations.index(self.migrations.resolve(target))
            todo = list(reversed(self.migrations.scripts[goal_i + 1 : cur_i + 1]))
        out: list[tuple[str, list[str]]] = []
        state = self.migrations.state_at(current)
        for script in todo:
            if not up:
                state = self.migrations.state_at(script.revision)
            statements: list[str] = []
            for op in script.upgrade_ops() if up else script.downgrade_ops():
                ctx = OpContext(self.db.dialect, state, None)
                op.run(ctx)
                op.apply(state)
                statements += ctx.statements
            out.append((script.revision, statements))
        return out

    # --- internals --------------------------------------------------------------------------------
    def _maybe_backup(self, conn: MigrationConnection, revision: str | None) -> None:
        if (
            not self.backup
            or not conn.dialect.file_backups
            or self.db.url.is_memory
            or not self.db.url.database
        ):
            return
        self.last_backup = take_backup(
            conn.raw, self.db, revision, lock_owner=self._lock_token, drop_tables=tuple(self._added_tables)
        )
        self._say(f"backed up the database to {self.last_backup.path}")

    def _record(
        self,
        conn: MigrationConnection,
        script: MigrationScript,
        state: str,
        done: int,
        total: int,
        *,
        insert: bool,
    ) -> None:
        q = conn.dialect.quote
        if insert:
            conn.execute(
                f"INSERT INTO {q(HISTORY_TABLE)} ({q('revision')}, {q('parent')}, {q('message')}, {q('applied_at')}, "
                f"{q('ops_done')}, {q('ops_total')}, {q('state')}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (script.revision, script.parent, script.message, _now(), done, total, state),
            )
        else:
            conn.execute(
                f"UPDATE {q(HISTORY_TABLE)} SET {q('ops_done')} = ?, {q('ops_total')} = ?, {q('state')} = ?, "
                f"{q('applied_at')} = ? WHERE {q('revision')} = ?",
                (done, total, state, _now(), script.revision),
            )

    def _forget(self, conn: MigrationConnection, revision: str) -> None:
        q = conn.dialect.quote
        conn.execute(f"DELETE FROM {q(HISTORY_TABLE)} WHERE {q('revision')} = ?", (revision,))

    def _run_script(
        self,
        conn: MigrationConnection,
        script: MigrationScript,
        state: Schema,
        *,
        up: bool,
        resume: int,
        has_row: bool,
    ) -> None:
        ops = script.upgrade_ops() if up else script.downgrade_ops()
        verb = "applying" if up else "reverting"
        self._say(
            f"{verb} {script.revision}: {script.message or '(no message)'} ({len(ops)} operation{'' if len(ops) == 1 else 's'})"
        )
        started = time.perf_counter()
        if conn.dialect.transactional_ddl:
            self._run_transactional(conn, script, ops, state, up)
        else:
            self._run_stepwise(conn, script, ops, state, up, resume, has_row)
        ms = (time.perf_counter() - started) * 1000
        self._say(f"{'applied' if up else 'reverted'} {script.revision} in {ms:.0f} ms")

    def _op_failed(
        self, script: MigrationScript, i: int, n: int, op: Operation, exc: BaseException, up: bool, kept: str
    ) -> MigrationFailed:
        what = "upgrade" if up else "downgrade"
        return MigrationFailed(
            f"migration {script.revision} ({what}) failed in operation {i + 1} of {n} ({op.describe()}): "
            f"{type(exc).__name__}: {exc}. {kept}",
            revision=script.revision,
            op_index=i,
            applied_ops=0,
        )

    def _run_transactional(
        self,
        conn: MigrationConnection,
        script: MigrationScript,
        ops: list[Operation],
        state: Schema,
        up: bool,
    ) -> None:
        migrator = conn.dialect.migrator()
        fk_off = migrator.foreign_keys_off_sql()
        if fk_off is not None:
            # table rebuilds need foreign keys off (SQLite: only outside a transaction)
            conn.ddl(fk_off)
        try:
            conn.begin()
            try:
                q = conn.dialect.quote
                exists = conn.execute(
                    f"SELECT {q('state')} FROM {q(HISTORY_TABLE)} WHERE {q('revision')} = ?",
                    (script.revision,),
                ).first()
                if (exists is not None) == up:
                    # another process got here first (it held the lock before us)
                    conn.rollback()
                    self._say(
                        f"{script.revision} was {'applied' if up else 'reverted'} meanwhile; skipping it"
                    )
                    return
                work = state.copy()
                rolled = "The migration was rolled back: schema and data are as they were before it."
                for i, op in enumerate(ops):
                    ctx = OpContext(conn.dialect, work, conn)
                    try:
                        op.run(ctx)
                    except MigrationError as e:
                        raise self._op_failed(script, i, len(ops), op, e, up, rolled) from e
                    except DatabaseError as e:
                        raise self._op_failed(script, i, len(ops), op, e, up, rolled) from e
                    op.apply(work)
                    self._say(f"  [{i + 1}/{len(ops)}] {op.describe()}")
                if fk_off is not None:
                    bad = migrator.foreign_key_violations(conn)
                    if bad:
                        sample = "; ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in bad[:5])
                        raise MigrationFailed(
                            f"migration {script.revision} leaves {len(bad)} rows whose foreign keys point nowhere "
                            f"({sample}). {rolled}",
                            revision=script.revision,
                            op_index=len(ops),
                            applied_ops=0,
                        )
                if up:
                    self._record(conn, script, "applied", len(ops), len(ops), insert=True)
                else:
                    self._forget(conn, script.revision)
                conn.commit()
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(Exception):
                        conn.rollback()
                raise
            state.tables = work.tables
        finally:
            fk_on = migrator.foreign_keys_on_sql()
            if fk_off is not None and fk_on is not None:
                try:
                    conn.ddl(fk_on)
                except DatabaseError:
                    logger.warning("could not switch foreign keys back on; the connection is dropped")
                    conn.broken = True

    def _run_stepwise(
        self,
        conn: MigrationConnection,
        script: MigrationScript,
        ops: list[Operation],
        state: Schema,
        up: bool,
        resume: int,
        has_row: bool,
    ) -> None:
        # MySQL commits around every DDL statement (dev.mysql.com/doc/refman/8.0/en/implicit-commit.html):
        # record each finished operation so that a failure says exactly what is in effect.
        tag = "partial" if up else "reverting"
        work = state.copy()
        for op in ops[:resume]:
            op.apply(work)
        if resume:
            self._say(f"  resuming after operation {resume} of {len(ops)}")
        else:
            self._record(conn, script, tag, 0, len(ops), insert=not has_row)
        for i in range(resume, len(ops)):
            op = ops[i]
            ctx = OpContext(conn.dialect, work, conn)
            try:
                if op.schema_change:
                    op.run(ctx)
                    self._record(conn, script, tag, i + 1, len(ops), insert=False)
                else:
                    conn.begin()  # data operations are atomic with their progress record
                    try:
                        op.run(ctx)
                        self._record(conn, script, tag, i + 1, len(ops), insert=False)
                        conn.commit()
                    except BaseException:
                        with contextlib.suppress(Exception):
                            conn.rollback()
                        raise
            except (MigrationError, DatabaseError) as e:
                ran = [s for s in ctx.statements]
                partial = ""
                if op.schema_change and len(ran) > 1:
                    partial = (
                        f" Of operation {i + 1}, these statements ran before the failure and may be in "
                        f"effect: {'; '.join(ran[:-1])}."
                    )
                applied = (
                    f"operations 1-{i} of this migration are applied and recorded in {HISTORY_TABLE}"
                    if i
                    else "no operation of this migration was applied"
                )
                kept = (
                    f"MySQL cannot roll back DDL: {applied}.{partial} Fix the cause and run `typedorm migrate "
                    f"{'up' if up else 'down'}` again to continue with operation {i + 1}."
                )
                err = self._op_failed(script, i, len(ops), op, e, up, kept)
                err.applied_ops = i
                raise err from e
            op.apply(work)
            self._say(f"  [{i + 1}/{len(ops)}] {op.describe()}")
        if up:
            self._record(conn, script, "applied", len(ops), len(ops), insert=False)
        else:
            self._forget(conn, script.revision)
        state.tables = work.tables
