"""Backend differences live in typedorm/dialects and typedorm/drivers: other code asks the Dialect, not its name.

The test scans every module outside those two packages for the string literals ``"sqlite"``,
``"postgresql"``, ``"mysql"``, ``"mariadb"`` and for ``dialect.name`` / ``ctx.name`` /
``conn.name`` compared with ``==``, ``!=`` or ``in``. The goal is none. ``REMAINING`` lists
the modules that still hold some (the type mapping of schema/types.py, live introspection,
model generation, URL parsing), with their exact count: the test fails when a module gains
one, when a new module has one, and when a module loses one without the list being lowered,
so the list only ever shrinks.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "typedorm"
NAMES = frozenset({"sqlite", "postgresql", "mysql", "mariadb"})
COMPARED_NAME = re.compile(r"\b(?:dialect|ctx|conn)\.name\s*(?:==|!=|not\s+in\b|in\b)")
EXEMPT = ("typedorm/dialects/", "typedorm/drivers/")

REMAINING: dict[str, int] = {
    "typedorm/cli/schema.py": 4,
    "typedorm/engine/url.py": 10,
    "typedorm/migrations/diff.py": 2,
    "typedorm/migrations/state.py": 3,
    "typedorm/schema/columns.py": 1,
    "typedorm/schema/custom.py": 1,
    "typedorm/schema/model.py": 3,
    "typedorm/schema/types.py": 42,
}


def dialect_name_uses(source: str) -> int:
    """How many dialect-name literals and dialect-name comparisons ``source`` holds."""
    hits = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING:
            continue
        text = tok.string
        for prefix in ("", "r", "b", "u", "f"):
            if text.lower().startswith(prefix + '"') or text.lower().startswith(prefix + "'"):
                body = text[len(prefix):]
                if len(body) >= 2 and body[0] == body[-1] and body[1:-1] in NAMES:
                    hits += 1
                break
    return hits + len(COMPARED_NAME.findall(source))


def _scan() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT):
            continue
        n = dialect_name_uses(path.read_text(encoding="utf-8"))
        if n:
            found[rel] = n
    return found


def test_the_scanner_sees_names_and_comparisons() -> None:
    assert dialect_name_uses('if ctx.name == "sqlite": pass\n') == 2
    assert dialect_name_uses("x = {'mysql': 1}\n") == 1
    assert dialect_name_uses("ok = self.dialect.name in names\n") == 1
    assert dialect_name_uses('"""Works on sqlite and mysql."""\nx = ctx.dialect.rebuilds_tables\n') == 0


def test_no_new_dialect_names_outside_dialects_and_drivers() -> None:
    found = _scan()
    grown = {f: n for f, n in found.items() if n > REMAINING.get(f, 0)}
    assert not grown, (
        f"dialect names compared outside typedorm/dialects and typedorm/drivers: {grown}; "
        "ask the Dialect (a capability flag or method) instead"
    )


def test_the_remaining_list_is_exact() -> None:
    found = _scan()
    shrunk = {f: (n, found.get(f, 0)) for f, n in REMAINING.items() if found.get(f, 0) < n}
    assert not shrunk, f"fewer dialect names than listed (listed, found): {shrunk}; lower REMAINING"
