"""``typedorm.__all__`` is exactly the public surface, and every name in it exists."""

from __future__ import annotations

import typedorm


def test_all_names_exist() -> None:
    missing = [n for n in typedorm.__all__ if not hasattr(typedorm, n)]
    assert missing == []


def test_all_has_no_duplicates() -> None:
    assert len(typedorm.__all__) == len(set(typedorm.__all__))


def test_no_public_name_outside_all() -> None:
    public = {n for n in vars(typedorm) if not n.startswith("_")}
    # sub-packages are importable but only the curated modules are part of the surface
    subpackages = {"schema", "sql", "dialects", "drivers", "engine", "repository", "migrations", "cli"}
    extra = public - set(typedorm.__all__) - subpackages
    assert extra == set(), f"public names not in __all__: {sorted(extra)}"


def test_core_names_present() -> None:
    for name in ("Model", "Col", "PK", "Column", "column", "AUTO", "Database", "Repository", "select", "Q",
                 "func", "UniqueViolation", "ValidationError", "UnknownField", "NotFound", "fields",
                 "NaiveDateTime"):
        assert name in typedorm.__all__
