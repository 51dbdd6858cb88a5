"""README's editable install is visible to both type checkers, from a project outside the repository.

A fresh virtual environment gets ``pip install -e <repository> --no-deps`` (the build backend's
path-based editable install: a ``.pth`` entry that mypy and pyright follow, unlike an import-hook
install, which left both with "Cannot find implementation or library stub for module named
typedorm" and every model typed ``Any``). A user module in a temporary folder is then checked by
``mypy --strict`` and pyright strict with that environment's interpreter: results are precisely
typed and a wrong comparison is reported.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
from test_typing import _mypy_cmd, _pyright_cmd

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

USER_MODULE = '''
from __future__ import annotations

from typing import assert_type

from typedorm import AUTO, PK, Col, Database, Model, Query, Repository, column


class Hero(Model):
    id: PK[int] = column(default=AUTO)
    name: Col[str]
    age: Col[int | None] = column(default=None)


db = Database("sqlite:///:memory:")
heroes = Repository(Hero, db)
assert_type(heroes, Repository[Hero])
assert_type(heroes.get(1), Hero | None)
assert_type(heroes.filter(Hero.age >= 18).all(), list[Hero])
assert_type(heroes.order_by(Hero.name).limit(5).offset(5), Query[Hero])
reveal_type(heroes.get_or_raise(1).name)
heroes.filter(Hero.age >= "18")  # the one error
'''


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MYPYPATH")}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, env=_env(),
    )
    return Path(out.stdout.strip())


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with typedorm installed editable, as README's command does."""
    mypy_cmd, pyright_cmd = _mypy_cmd(), _pyright_cmd()  # skip (or fail in CI) before the slow part
    del mypy_cmd, pyright_cmd
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home / "env")
    python = home / "env" / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)],
        capture_output=True, text=True, timeout=600, env=_env(),
    )
    assert proc.returncode == 0, f"pip install -e failed:\n{proc.stdout}\n{proc.stderr}"
    # typedorm's dependencies (pydantic, typing-extensions) from this test run's environment: a
    # plain path entry, whose own .pth files (this checkout's editable install) are not processed.
    ours = Path(next(p for p in sys.path if p.endswith("site-packages")))
    (_site_packages(python) / "zz_outer_site_packages.pth").write_text(f"{ours}\n", encoding="utf-8")
    return python


def test_the_editable_install_is_a_path_entry(fresh_env: Path) -> None:
    site = _site_packages(fresh_env)
    entries = {
        line.strip()
        for pth in site.glob("*.pth")
        if pth.name != "zz_outer_site_packages.pth"
        for line in pth.read_text(encoding="utf-8").splitlines()
    }
    assert str(ROOT) in entries, f"no .pth path entry for {ROOT} in {site}: {entries}"
    out = subprocess.run(
        [str(fresh_env), "-c", "import typedorm, pathlib; print(pathlib.Path(typedorm.__file__).resolve())"],
        capture_output=True, text=True, cwd=fresh_env.parent, env=_env(), check=False,
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == ROOT / "typedorm" / "__init__.py"


@pytest.fixture()
def user_project(tmp_path: Path) -> Path:
    assert ROOT not in tmp_path.resolve().parents
    (tmp_path / "heroes.py").write_text(textwrap.dedent(USER_MODULE), encoding="utf-8")
    return tmp_path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_mypy_strict_sees_the_editable_install(fresh_env: Path, user_project: Path) -> None:
    src = user_project / "heroes.py"
    res = subprocess.run(
        [*_mypy_cmd(), "--strict", "--python-executable", str(fresh_env), "--no-error-summary",
         "--show-error-codes", "--no-incremental", "heroes.py"],
        capture_output=True, text=True, cwd=user_project, env=_env(), timeout=600, check=False,
    )
    out = res.stdout + res.stderr
    assert "Cannot find implementation" not in out and "import-not-found" not in out, out
    assert "Any" not in out, out
    errors = [ln for ln in out.splitlines() if ": error:" in ln]
    bad = _line_of(src, "the one error")
    assert len(errors) == 1 and errors[0].startswith(f"heroes.py:{bad}:"), out
    assert "[operator]" in errors[0]
    reveal = _line_of(src, "reveal_type(")
    assert re.search(rf'heroes\.py:{reveal}: note: Revealed type is "(builtins\.)?str"', out), out


def test_pyright_strict_sees_the_editable_install(fresh_env: Path, user_project: Path) -> None:
    src = user_project / "heroes.py"
    (user_project / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"}), encoding="utf-8"
    )
    res = subprocess.run(
        [*_pyright_cmd(), "--pythonpath", str(fresh_env), "--outputjson", "heroes.py"],
        capture_output=True, text=True, cwd=user_project, env=_env(), timeout=600, check=False,
    )
    report = json.loads(res.stdout)
    diags = report["generalDiagnostics"]
    text = "\n".join(f"{d['range']['start']['line'] + 1}: {d['severity']}: {d['message']}" for d in diags)
    assert not any("could not be resolved" in d["message"] or "Unknown" in d["message"] for d in diags), text
    errors = [d for d in diags if d["severity"] == "error"]
    assert errors and {d["range"]["start"]["line"] + 1 for d in errors} == {_line_of(src, "the one error")}, text
    reveal = [d["message"] for d in diags if d["severity"] == "information"]
    assert any(re.search(r'Type of "heroes\.get_or_raise\(1\)\.name" is "str"', m) for m in reveal), text


def test_the_wheel_ships_py_typed_and_the_console_script(tmp_path: Path) -> None:
    import zipfile

    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600, env=_env(), check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("typedorm-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = zf.read(entry_points).decode()
    assert "typedorm/py.typed" in names
    assert {"typedorm/__init__.py", "typedorm/repository/lookup_types.py", "typedorm/cli/stubs.py"} <= names
    assert "typedorm = typedorm.cli:main" in scripts
    # the package alone: no examples, tests or stubs of this repository
    assert not any(n.startswith(("examples/", "tests/", "stubs/", "benchmarks/")) for n in names)
