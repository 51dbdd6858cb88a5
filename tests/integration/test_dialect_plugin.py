"""An out-of-tree dialect variant (tests/integration/_pg_variant.py) plugs in by URL scheme with no core edit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pytest
from _pg_variant import LOCK_KEY, SCHEME, SerialPostgreSQLDialect, register
from _servers import require_server

from typedorm import AUTO, PK, Col, Column, Database, Model, Repository, column
from typedorm.dialects import PostgreSQLDialect, dialect_class, get_dialect
from typedorm.drivers import get_driver
from typedorm.engine.url import URL
from typedorm.errors import LockTimeout
from typedorm.migrations import Runner, make_migration

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


class Gadget(Model, table="pv_gadgets"):
    id: PK[int] = column(default=AUTO)
    name: Annotated[Col[str], Column(max_length=50)]


@pytest.fixture(scope="module")
def variant_url() -> Iterator[URL]:
    register()
    base = require_server("postgresql")
    name = f"typedorm_pv{os.getpid()}_{uuid.uuid4().hex[:6]}"
    driver = get_driver(base)
    conn = driver.connect(base)
    try:
        conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        driver.close(conn)
    yield replace(base.with_database(name), variant=SCHEME)
    conn = driver.connect(base)
    try:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        driver.close(conn)


@pytest.fixture
def vdb(variant_url: URL) -> Iterator[Database]:
    db = Database(variant_url.render(hide_password=False))
    db.execute("DROP SCHEMA public CASCADE")
    db.execute("CREATE SCHEMA public")
    yield db
    db.close()


def test_scheme_selects_the_registered_variant(variant_url: URL) -> None:
    text = variant_url.render(hide_password=False)
    assert text.startswith(f"{SCHEME}://")
    url = URL.parse(text)
    assert (url.dialect, url.variant) == ("postgresql", SCHEME)  # PostgreSQL's driver, the variant's SQL
    db = Database(url)
    try:
        assert type(db.dialect) is SerialPostgreSQLDialect
        assert db.dialect.family == "postgresql"
        assert db.driver.name == "psycopg"
    finally:
        db.close()
    assert dialect_class(SCHEME) is SerialPostgreSQLDialect
    assert type(get_dialect("postgresql")) is PostgreSQLDialect  # the built-in is untouched


def test_variant_ddl_makes_sequence_keys_and_crud_works(vdb: Database) -> None:
    vdb.create_all(Gadget)
    ident, default = vdb.execute(
        "SELECT a.attidentity, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = 'pv_gadgets'::regclass AND a.attname = 'id'"
    ).rows[0]
    # the built-in dialect makes an identity column (attidentity 'd'); the variant a serial
    assert ident == ""
    assert str(default).startswith("nextval(")
    gadgets = Repository(Gadget, vdb)
    a = gadgets.insert(Gadget(name="a"))
    gadgets.insert(Gadget(id=10, name="explicit"))
    b = gadgets.insert(Gadget(name="b"))  # the sequence moved past the explicit key
    assert a.id == 1 and b.id == 11
    gadgets.update(Gadget.id == a.id, Gadget.name.set("a2"))
    assert [g.name for g in gadgets.filter(Gadget.id < 11).order_by(Gadget.id).all()] == ["a2", "explicit"]
    with pytest.raises(RuntimeError), vdb.transaction():
        gadgets.delete(b)
        raise RuntimeError("roll back")
    assert gadgets.count() == 3


def _hold_advisory_lock(url: URL, key: int, ready: threading.Event, release: threading.Event) -> None:
    plain = replace(url, variant=None)
    driver = get_driver(plain)
    conn = driver.connect(plain)
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        ready.set()
        release.wait(30)
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    finally:
        driver.close(conn)


def _with_lock_held(url: URL, key: int) -> tuple[threading.Event, threading.Thread]:
    ready, release = threading.Event(), threading.Event()
    t = threading.Thread(target=_hold_advisory_lock, args=(url, key, ready, release), daemon=True)
    t.start()
    assert ready.wait(10)
    return release, t


def test_variant_migrates_under_its_own_lock_key(vdb: Database, variant_url: URL, tmp_path: Path) -> None:
    mdir = tmp_path / "migrations"
    mdir.mkdir()
    make_migration(mdir, [Gadget], "gadgets")
    # typedorm's own key held elsewhere does not block the variant ...
    release, t = _with_lock_held(variant_url, PostgreSQLDialect.advisory_lock_key)
    try:
        runner = Runner(vdb, mdir, backup=False, lock_timeout=5)
        assert len(runner.upgrade()) == 1
        assert runner.status().drift == []
        assert runner.downgrade("base") != []
    finally:
        release.set()
        t.join()
    # ... its own key does
    release, t = _with_lock_held(variant_url, LOCK_KEY)
    try:
        with pytest.raises(LockTimeout):
            Runner(vdb, mdir, backup=False, lock_timeout=0.3).upgrade()
    finally:
        release.set()
        t.join()
    assert Runner(vdb, mdir, backup=False).upgrade() != []


def test_integration_suite_part_runs_on_the_variant() -> None:
    """CRUD, queries, transactions and migrations, run on the variant by the ``db`` fixture."""
    files = [
        "test_repository_crud.py",
        "test_repository_queries.py",
        "test_transactions.py",
        "test_migrations.py",
    ]
    env = {**os.environ, "TYPEDORM_BACKENDS": "pgvariant"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(str(HERE / f) for f in files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "pgvariant passed" in proc.stdout, proc.stdout[-2000:]


def test_entry_point_registers_a_dialect(tmp_path: Path) -> None:
    """An installed package's ``typedorm.dialects`` entry point maps its scheme, read lazily."""
    dist = tmp_path / "pgvariant_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pgvariant-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[typedorm.dialects]\nepvariant = _pg_variant:SerialPostgreSQLDialect\n"
    )
    code = (
        "from typedorm.dialects import dialect_class; from typedorm.engine.url import URL; "
        "u = URL.parse('epvariant://u@h/db'); "
        "print(dialect_class('epvariant').__name__, u.dialect, u.variant, u.render())"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(HERE)])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["SerialPostgreSQLDialect", "postgresql", "epvariant", "epvariant://u@h/db"]
