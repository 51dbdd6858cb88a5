"""Every file in examples/ runs to completion (on SQLite), and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))

EXPECTED = {
    "quickstart.py": [
        "adults: ['John', 'Ann']",
        "John is now 31",
        "rejected duplicate: ('email',)",
        "count: 2",
    ],
    "json_payloads.py": [
        "rejected, field: ('email',)",
        "rejected, field: ('credit',)",
        "rejected, duplicate: ('email',)",
        "rows: 3",
    ],
    "transactions.py": ["balances: {'a': 60, 'b': 30}"],
    "raw_sql.py": ["named: 2", "a value is only data: [] 3"],
    "relationships.py": [
        "not loaded: User.posts was not loaded",
        "queries: 3",
        "untagged posts by Ann: ['Typed ORMs']",
    ],
    "fastapi_app.py": [
        "created: 201",
        "duplicate sku: 409 ['sku']",
        "negative price: 422 ['price']",
        "patched: 200 7",
        "read after delete: 404",
    ],
}


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLES} >= set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path) -> None:
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for line in EXPECTED.get(path.name, []):
        assert line in proc.stdout, f"{line!r} missing from output:\n{proc.stdout}"
