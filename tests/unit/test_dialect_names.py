"""Backend differences live in typedorm/dialects and typedorm/drivers: other code asks the Dialect, not its name.

The test scans every module outside those two packages for the string literals ``"sqlite"``,
``"postgresql"``, ``"mysql"``, ``"mariadb"`` and for ``dialect.name`` / ``ctx.name`` /
``conn.name`` compared with ``==``, ``!=`` or ``in``, and fails on any: type mapping, URL
schemes, drivers and migration rules are the dialect's to answer.
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


def dialect_name_uses(source: str) -> int:
    """How many dialect-name literals and dialect-name comparisons ``source`` holds."""
    hits = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.STRING:
            continue
        text = tok.string
        for prefix in ("", "r", "b", "u", "f"):
            if text.lower().startswith(prefix + '"') or text.lower().startswith(prefix + "'"):
                body = text[len(prefix) :]
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


def test_no_dialect_names_outside_dialects_and_drivers() -> None:
    found = _scan()
    assert not found, (
        f"dialect names compared outside typedorm/dialects and typedorm/drivers: {found}; "
        "ask the Dialect (a capability flag or method) instead"
    )


def test_the_scan_covers_the_package() -> None:
    # the scan would pass vacuously if it read nothing: it sees the modules and the exempt names
    scanned = [p for p in PACKAGE.rglob("*.py") if not p.relative_to(ROOT).as_posix().startswith(EXEMPT)]
    assert len(scanned) > 50
    assert dialect_name_uses((PACKAGE / "dialects" / "registry.py").read_text(encoding="utf-8")) > 0
