"""``typedorm stubs``: the repository's stubs/ match the examples' models, and ``--check`` catches drift."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _typedorm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A subprocess: generating imports the models modules, which must not leak into this process.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "typedorm.cli", "stubs", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_repository_stubs_are_up_to_date() -> None:
    proc = _typedorm("--check", cwd=ROOT)
    assert proc.returncode == 0, (
        "stubs/ differs from what `typedorm stubs` makes of the examples' models (run `typedorm stubs`):\n"
        f"{proc.stdout}{proc.stderr}"
    )
    assert "up to date (6 files)" in proc.stdout


def test_repository_stubs_cover_every_example_model() -> None:
    stub = (ROOT / "stubs" / "examples" / "relationships.pyi").read_text(encoding="utf-8")
    for model in ("User", "Post", "Tag"):
        assert f"class _{model}Lookups(" in stub
        assert (
            f"def __typedorm_filter_by__(self, **lookups: _typedorm_typing.Unpack[_{model}Lookups]) -> {model}"
            in stub
        )
    assert "    author__name__startswith: str\n" in stub
    assert "    posts__tags__name: str\n" in stub
    assert "    tags__name__in: list[str]" in stub


MODELS_V1 = """
from __future__ import annotations

from typedorm import AUTO, PK, Col, Model, Rel, ForeignKey, column, relation
from typing import Annotated

VERSION = 1


class Team(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]


class Hero(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int | None] = column(default=None)
    team_id: Annotated[Col[int], ForeignKey(Team.id)]
    team: Rel[Team] = relation()


def helper(x: int) -> str:
    return str(x)
"""


def _project(tmp_path: Path, models: str) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.typedorm]\nmodels = ["app.models"]\n', encoding="utf-8")
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "__init__.py").write_text("GREETING = 'hi'\n", encoding="utf-8")
    (tmp_path / "app" / "models.py").write_text(textwrap.dedent(models), encoding="utf-8")
    return tmp_path


def test_stubs_writes_the_models_module_and_its_package(tmp_path: Path) -> None:
    proj = _project(tmp_path, MODELS_V1)
    proc = _typedorm(cwd=proj)
    assert proc.returncode == 0, proc.stderr
    stub = (proj / "stubs" / "app" / "models.pyi").read_text(encoding="utf-8")
    init = (proj / "stubs" / "app" / "__init__.pyi").read_text(encoding="utf-8")
    assert "GREETING = 'hi'" in init
    assert "def helper(x: int) -> str:\n    ..." in stub  # bodies dropped, signatures kept
    assert "    age: int | None\n" in stub and "    age__gte: int\n" in stub
    assert "    team__name__icontains: str\n" in stub
    assert "    team: Team | None\n" in stub
    assert "age__contains" not in stub  # text lookups only on text columns
    assert _typedorm("--check", cwd=proj).returncode == 0


def test_check_fails_naming_a_stale_stub(tmp_path: Path) -> None:
    proj = _project(tmp_path, MODELS_V1)
    assert _typedorm(cwd=proj).returncode == 0
    before = (proj / "stubs" / "app" / "models.pyi").read_text(encoding="utf-8")
    (proj / "app" / "models.py").write_text(
        textwrap.dedent(MODELS_V1).replace(
            "    name: Col[str]\n    age", "    name: Col[str]\n    power: Col[float]\n    age"
        ),
        encoding="utf-8",
    )
    proc = _typedorm("--check", cwd=proj)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert str(proj / "stubs" / "app" / "models.pyi") in proc.stderr and "stale" in proc.stderr
    # --check writes nothing
    assert (proj / "stubs" / "app" / "models.pyi").read_text(encoding="utf-8") == before
    assert _typedorm(cwd=proj).returncode == 0
    assert "power__gte: float" in (proj / "stubs" / "app" / "models.pyi").read_text(encoding="utf-8")
    assert _typedorm("--check", cwd=proj).returncode == 0


def test_check_fails_when_a_stub_is_missing(tmp_path: Path) -> None:
    proj = _project(tmp_path, MODELS_V1)
    assert _typedorm(cwd=proj).returncode == 0
    (proj / "stubs" / "app" / "__init__.pyi").unlink()
    proc = _typedorm("--check", cwd=proj)
    assert proc.returncode == 3
    assert "__init__.pyi" in proc.stderr


def test_stubs_without_models_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.typedorm]\n", encoding="utf-8")
    proc = _typedorm(cwd=tmp_path)
    assert proc.returncode == 2
    assert "no models module" in proc.stderr
    (tmp_path / "pyproject.toml").write_text(
        '[tool.typedorm]\nmodels = ["nowhere.models"]\n', encoding="utf-8"
    )
    proc = _typedorm(cwd=tmp_path)
    assert proc.returncode == 2 and "nowhere.models" in proc.stderr
