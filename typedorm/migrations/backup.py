"""Online backups of SQLite files before migrating (``sqlite3.Connection.backup``), and restoring them."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sqlite3
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
    if db.dialect.name != "sqlite" or db.url.is_memory or not db.url.database:
        raise MigrationError("backups are taken of SQLite database files only")
    return Path(db.url.database + ".typedorm-backup")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def take_backup(raw: Any, db: Database, revision: str | None) -> BackupInfo:
    """Copy the live database into the backup file, page by page, while others keep reading.

    ``raw`` is an open ``sqlite3`` connection to the database, outside a transaction.
    """
    path = backup_path(db)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    dst = sqlite3.connect(str(tmp))
    try:
        # the backup API copies a consistent snapshot even while other connections write
        raw.backup(dst)
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
