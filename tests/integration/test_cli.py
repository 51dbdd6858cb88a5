"""The ``typedorm`` command, run as a separate process through its entry points, on every backend."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from typedorm import Database
from typedorm.engine.url import URL
from typedorm.migrations import introspect
from typedorm.migrations.runner import HISTORY_TABLE

PYPROJECT = """\
[project]
name = "shop"
version = "0"

[tool.typedorm]
models = "shop.models"
migrations = "migrations"
"""

MODELS_V1 = """\
from typedorm import AUTO, PK, Col, Model, column


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
"""

MODELS_V2 = """\
from typing import Annotated

from typedorm import AUTO, PK, Col, Column, Model, column


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    title: Annotated[Col[str], Column(index=True)]
    qty: Col[int] = column(default=0)
"""

MODELS_V3 = """\
from typedorm import AUTO, PK, Col, Model, column


class Item(Model, table="items"):
    id: PK[int] = column(default=AUTO)
    qty: Col[int] = column(default=0)
"""

SLOW = """\
import os
import time

from typedorm.migrations import MigrationContext, Op, col

revision = "0001_slow"
parent = None
message = "slow"


def nap(ctx: MigrationContext) -> None:
    # holds the migration lock until the test has seen the other processes wait (file "release")
    deadline = time.monotonic() + 60
    while not os.path.exists("release") and time.monotonic() < deadline:
        time.sleep(0.05)


def upgrade(op: Op) -> None:
    op.create_table("items", [col("id", "integer", primary_key=True, autoincrement=True)], primary_key=["id"])
    op.run_python(nap)


def downgrade(op: Op) -> None:
    op.drop_table("items")
"""


def _env(url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url
    return env


def typedorm(
    project: Path, *args: str, url: str | None = None, ok: int | None = 0
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "typedorm.cli", *args],
        cwd=project,
        env=_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if ok is not None:
        assert proc.returncode == ok, (
            f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop_project"
    (root / "shop").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS_V1)
    return root


@pytest.fixture
def server_url(db: Database, backend_url: URL, request: pytest.FixtureRequest) -> str:
    if "pymysql" in request.node.name:
        pytest.skip("the CLI runs the same SQL on either MySQL driver; covered by the mysql run")
    return backend_url.render(hide_password=False)


def test_console_script_help_and_version(project: Path) -> None:
    script = shutil.which("typedorm", path=str(Path(sys.executable).parent))
    assert script is not None, "the typedorm console script is not installed"
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "migrate" in proc.stdout and "inspect" in proc.stdout and "schema" in proc.stdout
    assert "Exit codes" in proc.stdout
    assert typedorm(project, "--version").stdout.startswith("typedorm ")


@pytest.mark.parametrize(
    "verb",
    [
        ["migrate", "make"],
        ["migrate", "up"],
        ["migrate", "down"],
        ["migrate", "status"],
        ["migrate", "history"],
        ["migrate", "restore"],
        ["inspect"],
        ["schema"],
    ],
)
def test_every_verb_has_help(project: Path, verb: list[str]) -> None:
    out = typedorm(project, *verb, "--help").stdout
    assert out.startswith("usage: typedorm " + " ".join(verb))
    assert "--url" in out


def test_usage_and_configuration_errors(project: Path, tmp_path: Path) -> None:
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    err = typedorm(project, "migrate", "up", ok=2).stderr
    assert "no database URL" in err and "DATABASE_URL" in err
    err = typedorm(project, "migrate", "make", ok=2).stderr
    assert "the following arguments are required: -m/--message" in err
    err = typedorm(project, "migrate", "explode", ok=2).stderr
    assert "invalid choice: 'explode'" in err
    err = typedorm(project, "migrate", ok=2).stderr
    assert "usage: typedorm migrate" in err
    err = typedorm(project, "schema", "--models", "shop.nothing_here", ok=2).stderr
    assert "cannot import models module 'shop.nothing_here'" in err
    err = typedorm(project, "migrate", "make", "-m", "x", "--rename", "nonsense", ok=2).stderr
    assert "expected TABLE.OLD=NEW" in err
    err = typedorm(project, "migrate", "up", "0042", url=sqlite, ok=1).stderr
    assert "unknown revision '0042'" in err
    err = typedorm(project, "migrate", "restore", "--yes", url=sqlite, ok=1).stderr
    assert "no backup to restore" in err
    err = typedorm(project, "inspect", "nosuch://x", ok=2).stderr
    assert "unknown database URL scheme 'nosuch'" in err
    err = typedorm(project, "migrate", "status", "--url", "postgresql://nobody@127.0.0.1:1/x", ok=1).stderr
    assert err.startswith("typedorm: error: ") and "Traceback" not in err
    (project / "pyproject.toml").write_text(PYPROJECT + 'colour = "blue"\n')
    err = typedorm(project, "schema", ok=2).stderr
    assert "unknown key(s) in [tool.typedorm]: colour" in err


def test_make_refuses_silent_renames_and_branches(project: Path) -> None:
    typedorm(project, "migrate", "make", "-m", "create items")
    (project / "shop" / "models.py").write_text(MODELS_V2)
    err = typedorm(project, "migrate", "make", "-m", "rename", ok=2).stderr
    assert "--rename items.name=title" in err and "--no-renames" in err
    assert not (project / "migrations" / "0002_rename.py").exists()
    out = typedorm(project, "migrate", "make", "-m", "rename", "--rename", "items.name=title").stdout
    assert "rename column items.name to title" in out and "add index ix_items_title" in out
    assert "no changes" in typedorm(project, "migrate", "make", "-m", "again").stdout
    # a second file following the same parent is a branch
    src = (project / "migrations" / "0002_rename.py").read_text()
    (project / "migrations" / "0002_other.py").write_text(src.replace('"0002_rename"', '"0002_other"'))
    err = typedorm(project, "migrate", "make", "-m", "more", ok=2).stderr
    assert "the history has branched: 0002_other and 0002_rename both follow 0001_create_items" in err


def test_schema_output(project: Path) -> None:
    out = typedorm(project, "schema", "--dialect", "postgresql").stdout
    assert 'CREATE TABLE "items"' in out and "GENERATED BY DEFAULT AS IDENTITY" in out
    assert '"tables"' in typedorm(project, "schema", "--format", "json").stdout
    assert '"Item"' in typedorm(project, "schema", "--format", "jsonschema").stdout


def test_full_workflow(project: Path, server_url: str) -> None:
    url = server_url
    typedorm(project, "migrate", "make", "-m", "create items")
    out = typedorm(project, "migrate", "up", url=url).stdout
    assert "applying 0001_create_items" in out and "now at 0001_create_items" in out
    assert "drift:      none" in typedorm(project, "migrate", "status", "--check", url=url).stdout

    (project / "shop" / "models.py").write_text(MODELS_V2)
    out = typedorm(
        project, "migrate", "make", "--check", "-m", "x", "--rename", "items.name=title", ok=3
    ).stdout
    assert "no migration covers" in out
    typedorm(project, "migrate", "make", "-m", "title and qty", "--rename", "items.name=title")
    out = typedorm(project, "migrate", "status", "--check", url=url, ok=3).stdout
    assert "pending:    1" in out and "0002_title_and_qty" in out
    sql = typedorm(project, "migrate", "up", "--sql", url=url).stdout
    assert "-- 0002_title_and_qty" in sql and "title" in sql
    typedorm(project, "migrate", "up", url=url)
    hist = typedorm(project, "migrate", "history", url=url).stdout.splitlines()
    assert [line.split()[0] for line in hist] == ["0001_create_items", "0002_title_and_qty"]
    assert all(" applied " in line for line in hist)
    src = typedorm(project, "inspect", url=url).stdout
    assert (
        'class Items(Model, table="items"):' in src and "title: Annotated[Col[str], Column(index=True" in src
    )
    out = typedorm(project, "migrate", "down", "base", url=url).stdout
    assert "reverting 0002_title_and_qty" in out and "now at the empty schema" in out
    db = Database(url)
    try:
        assert introspect(db).tables == {}
    finally:
        db.close()


def test_failed_migration_exit_code_and_message(project: Path, server_url: str) -> None:
    typedorm(project, "migrate", "make", "-m", "create items")
    (project / "migrations" / "0002_broken.py").write_text(
        textwrap.dedent("""\
        from typedorm.migrations import Op, col
        revision = "0002_broken"
        parent = "0001_create_items"
        def upgrade(op: Op) -> None:
            op.add_column("items", col("a", "integer", nullable=True))
            op.add_column("items", col("b", "integer", nullable=True))
            op.execute("THIS IS NOT SQL")
        def downgrade(op: Op) -> None:
            pass
    """)
    )
    proc = typedorm(project, "migrate", "up", url=server_url, ok=1)
    assert (
        "migration 0002_broken (upgrade) failed in operation 3 of 3 (execute THIS IS NOT SQL)" in proc.stderr
    )
    if server_url.startswith("mysql"):
        assert "MySQL cannot roll back DDL: operations 1-2 of this migration are applied" in proc.stderr
        status = typedorm(project, "migrate", "status", url=server_url).stdout
        assert "INCOMPLETE: 0002_broken stopped while applying after 2 of 3 operations" in status
    else:
        assert "rolled back" in proc.stderr
        assert (
            "current:    0001_create_items" in typedorm(project, "migrate", "status", url=server_url).stdout
        )
    if server_url.startswith("sqlite"):
        assert "migrate restore" in proc.stderr


def _read_until(proc: subprocess.Popen[str], text: str, timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed; got:\n{seen}")


def test_concurrent_upgrades_one_applies_others_wait_or_refuse(project: Path, server_url: str) -> None:
    (project / "migrations").mkdir()
    (project / "migrations" / "0001_slow.py").write_text(SLOW)
    cmd = [sys.executable, "-m", "typedorm.cli", "migrate", "up", "--no-backup"]
    first = subprocess.Popen(
        cmd, cwd=project, env=_env(server_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _read_until(first, "applying 0001_slow")  # it holds the lock now (until "release" exists)
        refused = typedorm(project, "migrate", "up", "--wait", "0", url=server_url, ok=4)
        assert "another process holds the migration lock" in refused.stderr
        waiter = subprocess.Popen(
            cmd, cwd=project, env=_env(server_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            seen = _read_until(waiter, "waiting for it to finish")
            (project / "release").write_text("")  # the first may finish now
            rest, werr = waiter.communicate(timeout=60)
            assert waiter.returncode == 0, werr
            assert "nothing to apply" in seen + rest
        finally:
            if waiter.poll() is None:
                waiter.kill()
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "now at 0001_slow" in out
    finally:
        (project / "release").write_text("")
        if first.poll() is None:
            first.kill()
            first.wait()
    db = Database(server_url)
    try:
        assert db.execute(f"SELECT revision, state FROM {HISTORY_TABLE}").rows == [("0001_slow", "applied")]
    finally:
        db.close()


def test_restore_sqlite_backup(project: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    typedorm(project, "migrate", "make", "-m", "create items")
    typedorm(project, "migrate", "up", url=url)
    db = Database(url)
    try:
        db.execute("INSERT INTO items (name) VALUES ('kept')")
        (project / "shop" / "models.py").write_text(MODELS_V3)
        typedorm(project, "migrate", "make", "-m", "v3", "--no-renames")
        out = typedorm(project, "migrate", "up", url=url).stdout
        assert "backed up the database to" in out
        assert db.execute("SELECT * FROM items").rows == [(1, 0)]  # name is gone, qty came
        err = typedorm(project, "migrate", "restore", url=url, ok=2).stderr
        assert "pass --yes to confirm" in err
        out = typedorm(project, "migrate", "restore", "--yes", url=url).stdout
        assert "restored" in out and "revision 0001_create_items" in out
        assert db.execute("SELECT name FROM items").rows == [("kept",)]
        assert "current:    0001_create_items" in typedorm(project, "migrate", "status", url=url).stdout
    finally:
        db.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_make_asks_about_renames_on_a_terminal(project: Path) -> None:
    import pty

    typedorm(project, "migrate", "make", "-m", "create items")
    (project / "shop" / "models.py").write_text(MODELS_V1.replace("name: Col[str]", "title: Col[str]"))
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command on a terminal
        os.chdir(project)
        os.execv(sys.executable, [sys.executable, "-m", "typedorm.cli", "migrate", "make", "-m", "retitle"])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if b"[y/N]" in chunk:
            os.write(fd, b"y\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode()
    assert b"Was column items.name renamed to items.title? [y/N]" in out
    source = (project / "migrations" / "0002_retitle.py").read_text()
    assert 'op.rename_column("items", "name", "title")' in source
    assert 'op.rename_column("items", "title", "name")' in source
