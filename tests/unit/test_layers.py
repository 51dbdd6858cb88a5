"""The import layers of DESIGN.md hold: cli -> migrations | repository -> engine -> drivers -> dialects -> sql -> schema."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_import_layers() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("import-linter is not installed (it is in the dev extra)")
        pytest.skip("import-linter is not installed: pip install -e '.[dev]'")
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout or "kept" in proc.stdout


def test_dialects_import_without_drivers() -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None; sys.modules['pymysql'] = None; sys.modules['MySQLdb'] = None\n"
        "from typedorm.dialects import get_dialect\n"
        "from typedorm.sql import select\n"
        "print(get_dialect('postgresql').name, get_dialect('mysql').name)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["postgresql", "mysql"]
