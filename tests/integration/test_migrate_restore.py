"""``migrate restore`` gives back the SQLite file exactly as it was before ``migrate up``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from test_migrations import v1, v2

from typedorm import Database
from typedorm.migrations import Runner, make_migration, restore_backup


def _content(path: Path) -> list[str]:
    """Everything the file holds: the schema and every row of every table, as SQL."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_restore_of_first_migration_gives_back_the_database_before_it(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        db.execute("INSERT INTO notes (body) VALUES (?)", ("kept",))
        before = _content(path)
        mdir = tmp_path / "migrations"
        make_migration(mdir, v1(), "add items")
        Runner(db, mdir).upgrade()
        assert "items" in {r[0] for r in db.execute("SELECT name FROM sqlite_master").rows}
        restore_backup(db)
        # neither the lock row (nor its table) nor the history table this run created comes back
        assert _content(path) == before
    finally:
        db.close()


def test_restore_of_a_later_migration_gives_back_the_database_before_it(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = Database(f"sqlite:///{path}")
    try:
        mdir = tmp_path / "migrations"
        make_migration(mdir, v1(), "add items")
        make_migration(mdir, v2(), "add qty")
        runner = Runner(db, mdir)
        runner.upgrade("0001")
        db.execute("INSERT INTO items (name, price) VALUES (?, ?)", ("apple", "12"))
        before = _content(path)
        assert any("typedorm_migration_lock" in line for line in before)  # the table stays, empty
        runner.upgrade()
        assert runner.status().current == "0002_add_qty"
        restore_backup(db)
        assert _content(path) == before
        assert runner.status().current == "0001_add_items"
        # and the restored file migrates again, no stale lock in the way
        Runner(db, mdir, lock_timeout=0).upgrade()
        assert runner.status().current == "0002_add_qty"
    finally:
        db.close()


PYPROJECT = """\
[tool.typedorm]
models = "shop.models"
migrations = "migrations"
"""

MODELS = """\
from typedorm import AUTO, PK, Col, Model, column


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
"""


def _cli(project: Path, *args: str, url: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "typedorm.cli", *args, "--url", url],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_cli_restore_gives_back_the_file_before_migrate_up(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "shop").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "shop" / "__init__.py").write_text("")
    (project / "shop" / "models.py").write_text(MODELS)
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    sqlite3.connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE legacy (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO legacy (v) VALUES ('x')")
    conn.commit()
    conn.close()
    before = _content(path)
    _cli(project, "migrate", "make", "-m", "create items", url=url)
    assert "backed up the database" in _cli(project, "migrate", "up", url=url)
    assert _content(path) != before
    _cli(project, "migrate", "restore", "--yes", url=url)
    assert _content(path) == before
