"""``typedorm stubs`` in a user's project (a package outside this repository): with the stubs/ it
writes, wired in as the README says (mypy ``mypy_path``, pyright ``stubPath``), both checkers accept
valid lookups and flag a misspelled field or a wrong value type, while the rest of the package (its
``__init__`` and modules without a stub) still resolves.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_typing import _mypy_cmd, _pyright_cmd

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

MODELS = """
from __future__ import annotations

from typing import Annotated

from typedorm import AUTO, PK, Col, ForeignKey, Model, Rel, RelList, column, relation


class Team(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    heroes: RelList[Hero] = relation()


class Hero(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int | None] = column(default=None)
    team_id: Annotated[Col[int], ForeignKey(Team.id)]
    team: Rel[Team] = relation()
"""

USAGE = """
from __future__ import annotations

from typing import assert_type

from app import GREETING
from app.models import Hero, Team
from app.services import shout
from typedorm import Database, Query, Repository

heroes = Repository(Hero, Database("sqlite:///:memory:"))
teams = Repository(Team, Database("sqlite:///:memory:"))
assert_type(GREETING, str)
assert_type(shout("x"), str)
assert_type(heroes.filter_by(age__gte=18, name__startswith="J", team__name="Avengers"), Query[Hero])
assert_type(heroes.filter_by(age=None, age__isnull=True).exclude(team__name__in=["X"]), Query[Hero])
assert_type(teams.filter_by(heroes__age__lt=30), Query[Team])
heroes.filter_by(age__gte="x")  # E
heroes.filter_by(agee=1)  # E
heroes.filter_by(team__nme="x")  # E
teams.exclude(heroes__name=1)  # E
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _mypy_cmd(), _pyright_cmd()  # skip (or fail in CI) when a checker is missing
    proj = tmp_path_factory.mktemp("project")
    assert ROOT not in proj.resolve().parents
    (proj / "pyproject.toml").write_text(
        '[tool.typedorm]\nmodels = ["app.models"]\n\n[tool.mypy]\nstrict = true\nmypy_path = "stubs"\n',
        encoding="utf-8",
    )
    (proj / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11", "stubPath": "stubs"}), encoding="utf-8"
    )
    (proj / "app").mkdir()
    (proj / "app" / "__init__.py").write_text('GREETING: str = "hello"\n', encoding="utf-8")
    (proj / "app" / "services.py").write_text("def shout(s: str) -> str:\n    return s.upper()\n", encoding="utf-8")
    (proj / "app" / "models.py").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    (proj / "main.py").write_text(textwrap.dedent(USAGE), encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "typedorm.cli", "stubs"], cwd=proj, capture_output=True, text=True, env=env,
        timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (proj / "stubs" / "app" / "models.pyi").is_file() and (proj / "stubs" / "app" / "__init__.pyi").is_file()
    return proj


def _expected_lines(proj: Path) -> set[int]:
    lines = (proj / "main.py").read_text(encoding="utf-8").splitlines()
    return {n for n, line in enumerate(lines, start=1) if line.endswith("# E")}


def test_mypy_uses_the_generated_stubs(project: Path) -> None:
    res = subprocess.run(
        [*_mypy_cmd(), "--no-incremental", "--no-error-summary", "main.py"],
        cwd=project, capture_output=True, text=True, timeout=600, check=False,
    )
    out = res.stdout + res.stderr
    got = {int(m.group(1)) for m in re.finditer(r"^main\.py:(\d+): error:", out, re.M)}
    assert got == _expected_lines(project), out
    assert not re.search(r"^(app|stubs)/", out, re.M), f"errors outside main.py:\n{out}"


def test_pyright_uses_the_generated_stubs(project: Path) -> None:
    res = subprocess.run(
        [*_pyright_cmd(), "--pythonpath", sys.executable, "--outputjson", "main.py", "stubs/app/models.pyi"],
        cwd=project, capture_output=True, text=True, timeout=600, check=False,
    )
    report = json.loads(res.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    text = "\n".join(f"{d['range']['start']['line'] + 1}: {d['message']}" for d in errors)
    assert all(d["file"].endswith("main.py") for d in errors), text
    assert {d["range"]["start"]["line"] + 1 for d in errors} == _expected_lines(project), text
