"""The pre-commit configuration is valid and its hooks pass on the tree, as CI's checks do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def _pre_commit() -> str:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pre-commit is not installed (it is in the dev extra)")
        pytest.skip("pre-commit is not installed: pip install -e '.[dev]'")
    return exe


def test_config_is_valid() -> None:
    proc = subprocess.run(
        [_pre_commit(), "validate-config", str(CONFIG)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("hook", ["unasync", "stubs", "import-layers"])
def test_hook_passes_on_the_tree(hook: str) -> None:
    # ruff and mypy hooks run the same commands as tests/unit/test_lint.py and the typing tests.
    if not (ROOT / ".venv" / "bin").is_dir():
        pytest.skip("the hooks run the tools of the repository's own .venv (README's test command makes it)")
    proc = subprocess.run(
        [_pre_commit(), "run", hook, "--all-files"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout, proc.stdout
