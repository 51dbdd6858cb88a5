"""The typing contract, checked by both mypy --strict and pyright (strict).

- ``usage_ok.py`` must type-check cleanly: each of its ``assert_type`` calls pins a
  public call's type, so a changed result type fails here.
- In ``usage_errors.py`` every line marked ``# E: <mypy-code>[, <code>...]`` must be
  reported by mypy with exactly those codes and by pyright with at least one error;
  no unmarked line may report an error (pyright's rule names differ from mypy's
  codes, so for pyright only line numbers are compared).
- The library itself passes ``mypy --strict`` with the project configuration, and
  ``pyright --verifytypes typedorm --ignoreexternal`` finds its public API 100% typed.

A missing checker skips these tests locally, and fails them in CI (``CI=true``).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OK_FILE = HERE / "usage_ok.py"
ERRORS_FILE = HERE / "usage_errors.py"
# Every usage*.py file is checked: *_errors.py files by their markers, the others must be clean.
ERROR_FILES = sorted(HERE.glob("usage*_errors.py"))
OK_FILES = sorted(p for p in HERE.glob("usage*.py") if p not in ERROR_FILES)
ALL_FILES = OK_FILES + ERROR_FILES
PYRIGHT_CONFIG = HERE / "pyrightconfig.json"
MARK = re.compile(r"#\s*E:\s*([\w\-, ]+)")
TIMEOUT = 900

pytestmark = pytest.mark.slow


def _unavailable(what: str) -> None:
    msg = f"{what} is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI must run the typing tests")
    pytest.skip(msg)


def _mypy_cmd() -> list[str]:
    if importlib.util.find_spec("mypy") is None:
        _unavailable("mypy")
    return [sys.executable, "-m", "mypy"]


def _pyright_cmd() -> list[str]:
    if importlib.util.find_spec("pyright") is not None:
        return [sys.executable, "-m", "pyright"]
    exe = shutil.which("pyright")
    if exe is None:
        _unavailable("pyright")
    return [str(exe)]


def _run(cmd: list[str], **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **extra_env}
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
    )


def _same_file(reported: str, path: Path) -> bool:
    p = Path(reported)
    return (p if p.is_absolute() else ROOT / p).resolve() == path


@functools.cache
def _mypy() -> dict[Path, dict[int, set[str]]]:
    """mypy --strict (project config) on both files: error codes by file and line."""
    res = _run(
        [
            *_mypy_cmd(),
            "--config-file",
            "pyproject.toml",
            "--strict",
            "--output",
            "json",
            "--no-error-summary",
            *map(str, ALL_FILES),
        ]
    )
    if res.returncode not in (0, 1):
        pytest.fail(f"mypy did not run (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    got: dict[Path, dict[int, set[str]]] = {p: defaultdict(set) for p in ALL_FILES}
    for line in res.stdout.splitlines():
        if not line.startswith("{"):
            continue
        err = json.loads(line)
        if err["severity"] != "error":
            continue
        for path, by_line in got.items():
            if _same_file(err["file"], path):
                by_line[err["line"]].add(f"{err['code']}: {err['message']}")
    return got


@functools.cache
def _pyright() -> dict[Path, dict[int, list[str]]]:
    """pyright (strict, tests/typing/pyrightconfig.json) on both files: messages by file and line."""
    res = _run(
        [
            *_pyright_cmd(),
            "--project",
            str(PYRIGHT_CONFIG),
            "--pythonpath",
            sys.executable,
            "--outputjson",
            *map(str, ALL_FILES),
        ]
    )
    try:
        report: dict[str, Any] = json.loads(res.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    if report.get("summary", {}).get("filesAnalyzed", 0) < len(ALL_FILES):
        pytest.fail(f"pyright analysed fewer files than given: {report.get('summary')}\n{res.stderr}")
    got: dict[Path, dict[int, list[str]]] = {p: defaultdict(list) for p in ALL_FILES}
    for d in report["generalDiagnostics"]:
        if d["severity"] != "error":
            continue
        for path, by_line in got.items():
            if _same_file(d["file"], path):
                by_line[d["range"]["start"]["line"] + 1].append(f"{d.get('rule', '')}: {d['message']}")
    return got


def _expected(path: Path) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if m := MARK.search(line):
            out[no] = {c.strip() for c in m.group(1).split(",") if c.strip()}
    return out


def _codes(messages: set[str]) -> set[str]:
    return {m.split(":", 1)[0] for m in messages}


def _fmt(by_line: dict[int, Any], path: Path) -> str:
    return "\n".join(f"  {path.name}:{n}: {m}" for n in sorted(by_line) for m in sorted(by_line[n]))


@pytest.mark.parametrize("path", OK_FILES, ids=lambda p: p.name)
def test_usage_ok_is_clean_in_mypy(path: Path) -> None:
    errors = {n: m for n, m in _mypy()[path].items() if m}
    assert not errors, f"mypy --strict reports errors in {path.name}:\n{_fmt(errors, path)}"


@pytest.mark.parametrize("path", OK_FILES, ids=lambda p: p.name)
def test_usage_ok_is_clean_in_pyright(path: Path) -> None:
    errors = {n: m for n, m in _pyright()[path].items() if m}
    assert not errors, f"pyright (strict) reports errors in {path.name}:\n{_fmt(errors, path)}"


def test_usage_ok_asserts_types() -> None:
    text = OK_FILE.read_text(encoding="utf-8")
    assert text.count("assert_type(") >= 150, "usage_ok.py lost most of its assert_type checks"
    for path in OK_FILES:
        assert "assert_type(" in path.read_text(encoding="utf-8"), f"{path.name} asserts no types"


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.name)
def test_expected_errors_in_mypy(path: Path) -> None:
    expected = _expected(path)
    if path == ERRORS_FILE:
        assert len(expected) >= 30, "usage_errors.py lost most of its expected-error markers"
    assert expected, f"{path.name} has no expected-error markers"
    got = _mypy()[path]
    problems = []
    for n in sorted(expected.keys() | {k for k, v in got.items() if v}):
        want, have = expected.get(n, set()), _codes(got.get(n, set()))
        if want != have:
            detail = "; ".join(sorted(got.get(n, set()))) or "no error"
            problems.append(f"  line {n}: expected {sorted(want) or 'no error'}, mypy reports {detail}")
    assert not problems, f"mypy --strict disagrees with the E: markers of {path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.name)
def test_expected_errors_in_pyright(path: Path) -> None:
    expected = _expected(path)
    got = {n: m for n, m in _pyright()[path].items() if m}
    problems = [
        f"  line {n}: expected an error, pyright reports none" for n in sorted(expected.keys() - got.keys())
    ]
    problems += [
        f"  line {n}: unexpected error: {'; '.join(got[n])}" for n in sorted(got.keys() - expected.keys())
    ]
    assert not problems, f"pyright disagrees with the E: markers of {path.name}:\n" + "\n".join(problems)


def test_library_passes_mypy_strict() -> None:
    res = _run([*_mypy_cmd(), "--config-file", "pyproject.toml"])
    assert res.returncode == 0, f"mypy --strict typedorm fails:\n{res.stdout}\n{res.stderr}"


def test_public_api_is_fully_typed() -> None:
    # pyright finds an editable install only through the interpreter's sys.path.
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    res = _run(
        [
            *_pyright_cmd(),
            "--pythonpath",
            sys.executable,
            "--verifytypes",
            "typedorm",
            "--ignoreexternal",
            "--outputjson",
        ],
        PYTHONPATH=pythonpath,
    )
    try:
        report: dict[str, Any] = json.loads(res.stdout)["typeCompleteness"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"pyright --verifytypes did not run (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    assert Path(report["packageRootDirectory"]).resolve() == ROOT / "typedorm"
    problems = [
        f"  {sym['name']}: {d['message'].splitlines()[0]}"
        for sym in report["symbols"]
        for d in sym["diagnostics"]
        if d["severity"] == "error"
    ]
    score = report["completenessScore"]
    assert score == 1.0, (
        f"public API {score:.1%} typed (pyright --verifytypes); not fully typed:\n" + "\n".join(problems)
    )
