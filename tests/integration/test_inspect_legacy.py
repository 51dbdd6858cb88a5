"""``typedorm inspect`` on legacy databases made by plain SQL scripts (tests/integration/legacy/*.sql).

Each backend gets a schema typedorm did not create: zone-less timestamps, NUMERIC money, a
self-referential foreign key, a many-to-many link table with an extra column, composite keys
and legacy collations. The generated module must type-check in mypy --strict and pyright
strict, read every row, write a read row back unchanged and query through every relationship.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from typedorm import Database, Model, Repository
from typedorm.drivers import get_driver
from typedorm.schema.relations import relation_spec, relations_of

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPTS = HERE / "legacy"
PYRIGHT_CONFIG = ROOT / "tests" / "typing" / "pyrightconfig.json"

# Every relationship the generated module must declare, per class: (name, kind, target).
EXPECTED_RELATIONS = {
    "Departments": {
        ("employees", "one_to_many", "Employees"),
        ("invoices", "one_to_many", "Invoices"),
    },
    "Employees": {
        ("department", "many_to_one", "Departments"),
        ("manager", "many_to_one", "Employees"),
        ("employees_by_manager", "one_to_many", "Employees"),
        ("assignments", "one_to_many", "Assignments"),
        ("projects", "many_to_many", "Projects"),
    },
    "Projects": {
        ("assignments", "one_to_many", "Assignments"),
        ("employees", "many_to_many", "Employees"),
    },
    "Assignments": {
        ("employee", "many_to_one", "Employees"),
        ("project", "many_to_one", "Projects"),
    },
    "Invoices": {
        ("department", "many_to_one", "Departments"),
        ("invoice_lines", "one_to_many", "InvoiceLines"),
    },
    "InvoiceLines": {("invoice", "many_to_one", "Invoices")},
    "LineNotes": set(),
}


def _statements(script: str) -> list[str]:
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


def _run_script(db: Database) -> None:
    """Create the legacy schema with the database's own driver: no typedorm DDL involved."""
    kind = db.dialect.name
    script = (SCRIPTS / f"{kind}.sql").read_text(encoding="utf-8")
    if kind == "sqlite":
        assert db.url.database
        conn = sqlite3.connect(db.url.database)
        try:
            conn.executescript(script)
        finally:
            conn.close()
        return
    driver = get_driver(db.url)
    raw = driver.connect(db.url)
    try:
        cur = raw.cursor()
        for stmt in _statements(script):
            cur.execute(stmt.rstrip(";"))
        cur.close()
        raw.commit()
    finally:
        driver.close(raw)


def _inspect(db: Database, out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "typedorm.cli", "inspect", db.url.render(hide_password=False), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out.read_text(encoding="utf-8")


def _checker_missing(what: str) -> None:
    msg = f"{what} is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI must run the typing checks")
    pytest.skip(msg)


def _mypy(path: Path, cache: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        _checker_missing("mypy")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "--strict",
            "--cache-dir",
            str(cache),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, f"mypy --strict rejects the generated module:\n{proc.stdout}{proc.stderr}"


def _pyright(path: Path) -> None:
    if importlib.util.find_spec("pyright") is not None:
        cmd = [sys.executable, "-m", "pyright"]
    else:
        exe = shutil.which("pyright")
        if exe is None:
            _checker_missing("pyright")
        cmd = [str(exe)]
    proc = subprocess.run(
        [*cmd, "--project", str(PYRIGHT_CONFIG), "--pythonpath", sys.executable, "--outputjson", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    report = json.loads(proc.stdout)
    assert report["summary"]["filesAnalyzed"] >= 1, proc.stdout
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert errors == [], f"pyright (strict) rejects the generated module: {json.dumps(errors, indent=1)}"


@pytest.fixture
def module_name() -> Iterator[str]:
    name = f"legacy_models_{uuid.uuid4().hex}"
    yield name
    sys.modules.pop(name, None)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _models(module: ModuleType) -> dict[str, type[Model]]:
    return {
        k: v
        for k, v in vars(module).items()
        if isinstance(v, type) and issubclass(v, Model) and v.__module__ == module.__name__
    }


def _dump(db: Database, table: str) -> list[tuple[Any, ...]]:
    """Every stored value of every row, as the driver returns it (no typedorm conversion)."""
    rows = db.execute(f"SELECT * FROM {db.dialect.quote(table)}").rows
    return sorted((tuple(r) for r in rows), key=repr)


def _key(obj: Any, model: type[Model]) -> tuple[Any, ...]:
    return tuple(getattr(obj, c.field) for c in model.__table__.pk_columns)


def _check_relation(db: Database, model: type[Model], name: str) -> int:
    """Load relationship ``name`` of every row and compare it with what the keys say; return
    how many rows have a related row."""
    spec = relation_spec(model, name)
    rel: Any = getattr(model, name)
    rows = Repository(model, db).load(rel).all()
    assert rows, f"{model.__name__} has no rows"
    target_repo: Any = Repository(spec.target, db)
    with_related = 0
    for row in rows:
        value = getattr(row, name)
        local = getattr(row, spec.local.field)
        if spec.kind == "many_to_many":
            assert spec.link is not None and spec.link_local is not None and spec.link_remote is not None
            links = Repository(spec.link, db).filter_by(**{spec.link_local.field: local}).all()
            want = {getattr(link, spec.link_remote.field) for link in links}
            got = {getattr(v, spec.remote.field) for v in value}
        elif spec.many:
            want = {_key(t, spec.target) for t in target_repo.filter_by(**{spec.remote.field: local}).all()}
            got = {_key(v, spec.target) for v in value}
        else:
            found = target_repo.filter_by(**{spec.remote.field: local}).all() if local is not None else []
            want = {_key(t, spec.target) for t in found}
            got = set() if value is None else {_key(value, spec.target)}
        assert got == want, f"{model.__name__}.{name} of {_key(row, model)}: loaded {got}, keys say {want}"
        with_related += bool(got)
    # the same relationship in a filter: rows that have a related row
    pred = rel.any() if spec.many else rel.has()
    assert Repository(model, db).filter(pred).count() == with_related
    return with_related


def test_inspect_legacy_schema(
    db: Database, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, module_name: str
) -> None:
    kind = db.dialect.name
    _run_script(db)
    tables = [
        "departments",
        "employees",
        "projects",
        "assignments",
        "invoices",
        "invoice_lines",
        "line_notes",
    ]
    counts = {t: len(_dump(db, t)) for t in tables}
    assert all(counts.values()), counts

    path = tmp_path / f"{module_name}.py"
    source = _inspect(db, path)

    # zone-less timestamps become NaiveDateTime, money keeps its precision
    assert "hired_at: Annotated[Col[NaiveDateTime]" in source or "hired_at: Col[NaiveDateTime]" in source
    assert "salary: Annotated[Col[decimal.Decimal], Column(max_digits=10, decimal_places=2" in source
    # legacy collations are flagged on the column they concern
    email_at = source.index("    email: ")
    comment = source.rfind("# collation ", 0, email_at)
    assert comment != -1 and source.count("\n", comment, email_at) == 1, source
    if kind == "mysql":
        assert "# collation utf8mb3_general_ci: compares case-insensitively" in source
        assert "# collation latin1_swedish_ci: compares case-insensitively" in source

    _mypy(path, tmp_path_factory.getbasetemp() / "mypy-cache-legacy")
    _pyright(path)

    models = _models(_load(path, module_name))
    assert {m.__table__.name for m in models.values()} == set(tables)

    # every row of every table reads
    for m in models.values():
        assert len(Repository(m, db).all()) == counts[m.__table__.name], m.__name__

    # a row read is written back unchanged (every stored value compared)
    for m in models.values():
        before = _dump(db, m.__table__.name)
        repo: Any = Repository(m, db)
        for row in repo.all():
            # update() writes only assigned fields: assign every field its own value, so that the
            # whole row is written back
            for field in m.__table__.by_field:
                setattr(row, field, getattr(row, field))
            repo.update(row)
        after = _dump(db, m.__table__.name)
        if kind == "sqlite" and m.__name__ == "Projects":
            # typedorm writes SQLite time text at a fixed width ("09:00:00.000000") so that text
            # order and equality in SQL stay time order; the value itself is unchanged
            assert [r[3] for r in after] == ["09:00:00.000000", None]
            after = [(*r[:3], before[i][3]) for i, r in enumerate(after)]
        assert after == before, m.__name__

    # every generated relationship is the expected one, and a query runs through each
    for cls_name, model in models.items():
        got = set()
        for name in relations_of(model):
            spec = relation_spec(model, name)
            got.add((name, spec.kind, spec.target.__name__))
        assert got == EXPECTED_RELATIONS[cls_name], cls_name
        for name in relations_of(model):
            assert _check_relation(db, model, name) > 0, f"{cls_name}.{name} found no related row"

    # the loaded many-to-many reaches the link's extra column through the link model
    employees: Any = models["Employees"]
    boss = Repository(employees, db).load(employees.assignments, employees.projects).filter_by(id=1).one()
    assert [p.code for p in boss.projects] == ["APOLLO"]
    assert [a.role for a in boss.assignments] == ["lead"]
    # what the collation comment warns of: the legacy column ignores case
    assert [e.id for e in Repository(employees, db).filter(employees.email == "boss@example.com").all()] == [
        1
    ]
    # the self-referential key, both ways
    ann = Repository(employees, db).load(employees.manager).filter_by(id=2).one()
    assert ann.manager is not None and ann.manager.id == 1
    team = Repository(employees, db).load(employees.employees_by_manager).filter_by(id=1).one()
    assert sorted(e.id for e in team.employees_by_manager) == [2, 3]
