"""Online backups of SQLite files before migrating (``sqlite3.Connection.backup``), and restoring them."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.database import Database
from .errors import MigrationError

__all__ = ["BackupInfo", "backup_path", "restore_backup", "take_backup"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")


@dataclass(frozen=True)
class BackupInfo:
    """A backup file and what it holds."""

    path: Path
    source: str
    revision: str | None
    taken_at: str


def backup_path(db: Database) -> Path:
    """Where the backup of ``db``'s file goes: beside it, ``app.db.typedorm-backup``."""
    if not db.dialect.file_backups or db.url.is_memory or not db.url.database:
        raise MigrationError("backups are taken of SQLite database files only")
    return Path(db.url.database + ".typedorm-backup")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


# The migration runner's own tables (runner.HISTORY_TABLE and runner.LOCK_TABLE), spelled out:
# this module sits below the runner. A closed set: nothing else is ever dropped from a backup.
_DROP = {
    "typedorm_migrations": 'DROP TABLE IF EXISTS "typedorm_migrations"',
    "typedorm_migration_lock": 'DROP TABLE IF EXISTS "typedorm_migration_lock"',
}


def take_backup(
    raw: Any,
    db: Database,
    revision: str | None,
    *,
    lock_owner: str | None = None,
    drop_tables: Sequence[str] = (),
) -> BackupInfo:
    """Copy the live database into the backup file, page by page, while others keep reading.

    ``raw`` is an open ``sqlite3`` connection to the database, outside a transaction. The
    backup is taken under the migration lock, so the copy holds what the migration added
    first: the lock row of ``lock_owner`` and the tables in ``drop_tables`` (the runner's
    own, created by this run) are taken out of it, so a restore gives back the database as
    it was before the migration.
    """
    path = backup_path(db)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    dst = sqlite3.connect(str(tmp))
    try:
        # the backup API copies a consistent snapshot even while other connections write
        raw.backup(dst)
        _undo_lock(dst, lock_owner, drop_tables)
    finally:
        dst.close()
    os.replace(tmp, path)
    info = BackupInfo(path, str(db.url.database), revision, _dt.datetime.now(_dt.UTC).isoformat())
    _meta_path(path).write_text(
        json.dumps({"source": info.source, "revision": revision, "taken_at": info.taken_at}, indent=2) + "\n",
        encoding="utf-8",
    )
    logger.info("backed up %s to %s (at revision %s)", info.source, path, revision)
    return info


def _undo_lock(dst: sqlite3.Connection, lock_owner: str | None, drop_tables: Sequence[str]) -> None:
    unknown = [t for t in drop_tables if t not in _DROP]
    if unknown:
        raise MigrationError(f"a backup only leaves out typedorm's own tables, not {', '.join(unknown)}")
    with dst:  # one transaction, committed on success
        if lock_owner is not None and "typedorm_migration_lock" not in drop_tables:
            dst.execute('DELETE FROM "typedorm_migration_lock" WHERE "owner" = ?', (lock_owner,))
        for table in drop_tables:
            dst.execute(_DROP[table])
    if drop_tables:
        # give back the pages the dropped tables took, as in the file before the migration
        dst.execute("VACUUM")


def read_backup(db: Database) -> BackupInfo:
    path = backup_path(db)
    if not path.exists():
        raise MigrationError(
            f"no backup to restore: {path} does not exist (backups are taken by `migrate up`)"
        )
    meta: dict[str, Any] = {}
    mp = _meta_path(path)
    if mp.exists():
        meta = json.loads(mp.read_text(encoding="utf-8"))
    return BackupInfo(
        path,
        str(meta.get("source", db.url.database)),
        meta.get("revision"),
        str(meta.get("taken_at", "unknown time")),
    )


def restore_backup(db: Database) -> BackupInfo:
    """Put the backup back into ``db``'s file (through the backup API, so open readers stay safe)."""
    info = read_backup(db)
    src = sqlite3.connect(f"file:{info.path}?mode=ro", uri=True)
    try:
        raw = db.pool.acquire()
        try:
            if raw.in_transaction:
                raise MigrationError("cannot restore while a transaction is open on the database")
            src.backup(raw)
        finally:
            db.pool.release(raw)
    finally:
        src.close()
    logger.info("restored %s from %s (revision %s)", info.source, info.path, info.revision)
    return info
