"""Run documentation snippets and type-check them: the helpers behind tests/docs/test_docs.py.

A snippet is a script under ``docs/examples/``. What it prints is recorded next to it in
``<stem>.out`` (or ``<stem>.<backend>.out`` where a backend prints something else), and pages
include both files, so the output a page shows is the output the snippet produces. Run the suite
with ``TYPEDORM_DOCS_UPDATE=1`` to re-record the ``.out`` files after changing a snippet.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PYRIGHT_CONFIG = Path(__file__).resolve().parent / "pyrightconfig.json"
TIMEOUT = 120

# Snippets about a server run against PostgreSQL and MariaDB/MySQL too (as well as SQLite). They
# read their URL from DATABASE_URL, which the runner points at a private, fresh database.
SERVER_SNIPPETS: dict[str, tuple[str, ...]] = {
    "servers_urls.py": ("sqlite", "postgresql", "mysql"),
    "servers_pool.py": ("postgresql", "mysql"),  # SQLite has no queue pool: one connection per thread
    "servers_down.py": ("postgresql", "mysql"),  # connecting to a server that is not there
    "transactions_after_error.py": ("sqlite", "postgresql", "mysql"),
    "transactions_isolation.py": ("sqlite", "postgresql", "mysql"),
}


def snippets() -> list[Path]:
    """Every snippet file."""
    return sorted(EXAMPLES.glob("*.py"))


def runnable() -> list[Path]:
    """The snippets that run and must type-check cleanly."""
    return [p for p in snippets() if not p.name.endswith("_errors.py")]


def error_snippets() -> list[Path]:
    """``*_errors.py``: mistakes the checkers must reject, each marked ``# E: why``; never run."""
    return [p for p in snippets() if p.name.endswith("_errors.py")]


def marked_lines(path: Path) -> set[int]:
    """The lines of ``path`` marked ``# E:`` (an error expected there)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {n for n, line in enumerate(lines, start=1) if re.search(r"#\s*E:", line)}


def backends(path: Path) -> tuple[str, ...]:
    """The backends a snippet runs on."""
    return SERVER_SNIPPETS.get(path.name, ("sqlite",))


def expected_output(path: Path, backend: str) -> Path:
    """The file holding what ``path`` prints on ``backend``."""
    specific = path.with_name(f"{path.stem}.{backend}.out")
    return specific if specific.exists() else path.with_suffix(".out")


def run_snippet(path: Path, cwd: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run one snippet as a script in ``cwd`` (where it may create files)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    env.pop("DATABASE_URL", None)
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


def record(path: Path, backend: str, stdout: str) -> None:
    """Re-record what ``path`` printed on ``backend`` (TYPEDORM_DOCS_UPDATE=1).

    The first backend a snippet runs on writes ``<stem>.out``; another backend writes
    ``<stem>.<backend>.out`` only where its output differs.
    """
    generic = path.with_suffix(".out")
    specific = path.with_name(f"{path.stem}.{backend}.out")
    if backend == backends(path)[0]:
        generic.write_text(stdout, encoding="utf-8")
    elif generic.exists() and generic.read_text(encoding="utf-8") == stdout:
        specific.unlink(missing_ok=True)
    else:
        specific.write_text(stdout, encoding="utf-8")


def check_run(
    path: Path, out: Path, proc: subprocess.CompletedProcess[str], backend: str | None = None
) -> list[str]:
    """Problems with a snippet's run: a failure, or output other than the recorded one."""
    if proc.returncode != 0:
        return [f"{path.name} exited with {proc.returncode}:\n{proc.stderr}"]
    if backend is not None and os.environ.get("TYPEDORM_DOCS_UPDATE") == "1":
        record(path, backend, proc.stdout)
        out = expected_output(path, backend)
    if not out.exists():
        return [f"{path.name}: no recorded output {out.name} (run with TYPEDORM_DOCS_UPDATE=1)"]
    want = out.read_text(encoding="utf-8")
    if proc.stdout != want:
        return [
            f"{path.name} printed something else than {out.name}:\n--- printed\n{proc.stdout}--- recorded\n{want}"
        ]
    return []


class Job:
    """A command started now, in the background, whose result is collected when a test needs it.

    The checkers and the site builds are the slow parts of these tests; started together at the
    beginning, they run while the snippets run. Output goes to files, so a full pipe never stalls
    a process nobody is reading yet.
    """

    def __init__(self, cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.cmd = list(cmd)
        self._out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._err = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        self._proc = subprocess.Popen(
            self.cmd, cwd=cwd, stdout=self._out, stderr=self._err, text=True, env=env
        )
        self._result: subprocess.CompletedProcess[str] | None = None

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Wait for the command; its exit code and output."""
        if self._result is None:
            self._proc.wait(timeout=timeout)
            self._out.seek(0)
            self._err.seek(0)
            self._result = subprocess.CompletedProcess(
                self.cmd, self._proc.returncode, self._out.read(), self._err.read()
            )
            self._out.close()
            self._err.close()
        return self._result

    def stop(self) -> None:
        """Kill the command if it still runs (a test run that did not need its result)."""
        if self._result is None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._out.close()
            self._err.close()


def mypy_cmd(files: Sequence[Path]) -> list[str]:
    """mypy --strict with the project configuration, JSON output."""
    if importlib.util.find_spec("mypy") is None:
        raise RuntimeError("mypy is not installed (pip install -e '.[dev]')")
    return [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--strict",
        "--output",
        "json",
        "--no-error-summary",
        *map(str, files),
    ]


def mypy_errors(res: subprocess.CompletedProcess[str]) -> dict[Path, list[str]]:
    """mypy's errors, by file."""
    if res.returncode not in (0, 1):
        raise RuntimeError(f"mypy did not run (exit {res.returncode}):\n{res.stdout}\n{res.stderr}")
    got: dict[Path, list[str]] = defaultdict(list)
    for line in res.stdout.splitlines():
        if not line.startswith("{"):
            continue
        err = json.loads(line)
        if err["severity"] == "error":
            p = Path(err["file"])
            got[(p if p.is_absolute() else ROOT / p).resolve()].append(
                f"{p.name}:{err['line']}: {err['code']}: {err['message']}"
            )
    return got


def pyright_cmd(files: Sequence[Path]) -> list[str]:
    """pyright in strict mode (tests/docs/pyrightconfig.json), JSON output."""
    if importlib.util.find_spec("pyright") is not None:
        cmd = [sys.executable, "-m", "pyright"]
    elif exe := shutil.which("pyright"):
        cmd = [exe]
    else:
        raise RuntimeError("pyright is not installed (pip install -e '.[dev]')")
    return [
        *cmd,
        "--project",
        str(PYRIGHT_CONFIG),
        "--pythonpath",
        sys.executable,
        "--outputjson",
        *map(str, files),
    ]


def pyright_errors(res: subprocess.CompletedProcess[str], n_files: int) -> dict[Path, list[str]]:
    """pyright's errors, by file."""
    try:
        report: dict[str, Any] = json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"pyright did not run (exit {res.returncode}):\n{res.stdout}\n{res.stderr}"
        ) from exc
    if report.get("summary", {}).get("filesAnalyzed", 0) < n_files:
        raise RuntimeError(f"pyright analysed fewer files than given: {report.get('summary')}")
    got: dict[Path, list[str]] = defaultdict(list)
    for d in report["generalDiagnostics"]:
        if d["severity"] == "error":
            p = Path(d["file"]).resolve()
            got[p].append(f"{p.name}:{d['range']['start']['line'] + 1}: {d.get('rule', '')}: {d['message']}")
    return got
