"""ruff (configured in pyproject.toml): the linter passes and the formatter has been applied, over the
library, tests, examples, benchmarks and tools (tests/typing is excluded from formatting in pyproject.toml:
its expected-error files name lines)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_check_passes() -> None:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("ruff is not installed (it is in the dev extra)")
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    proc = subprocess.run(
        [exe, "check", "--output-format", "concise", "typedorm", "tests", "examples", "benchmarks", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
