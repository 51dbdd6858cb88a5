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
    for name in (
        "Model",
        "Col",
        "PK",
        "Column",
        "column",
        "AUTO",
        "Database",
        "Repository",
        "select",
        "Q",
        "func",
        "UniqueViolation",
        "ValidationError",
        "UnknownField",
        "NotFound",
        "fields",
        "TransactionAborted",
        "NaiveDateTime",
    ):
        assert name in typedorm.__all__


def _error_classes() -> set[type[BaseException]]:
    """Every TypedORMError subclass defined anywhere in the package (all modules imported)."""
    import importlib
    import pkgutil
    import warnings

    for info in pkgutil.walk_packages(typedorm.__path__, "typedorm."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        try:
            with warnings.catch_warnings():
                # the deprecated module aliases (migrations.inspect, migrations.introspect) warn
                warnings.simplefilter("ignore", DeprecationWarning)
                importlib.import_module(info.name)
        except ImportError:  # a driver whose optional package is not installed
            continue
    out: set[type[BaseException]] = set()
    todo: list[type[BaseException]] = [typedorm.TypedORMError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("typedorm") and cls not in out:
            out.add(cls)
            todo.extend(cls.__subclasses__())
    return out


def test_every_error_class_is_exported() -> None:
    classes = _error_classes()
    assert {"DataError", "DatabaseError", "ConnectionLost", "IntegrityError", "RetryableError"} <= {
        c.__name__ for c in classes
    }
    missing = sorted(c.__name__ for c in classes if getattr(typedorm, c.__name__, None) is not c)
    assert missing == [], f"error classes a caller can see but not exported from typedorm: {missing}"
    not_in_all = sorted(c.__name__ for c in classes if c.__name__ not in typedorm.__all__)
    assert not_in_all == []


def test_every_error_class_is_in_the_readme_error_list() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    unnamed = sorted(c.__name__ for c in _error_classes() if f"`{c.__name__}`" not in section)
    assert unnamed == [], f"README's Errors section does not name: {unnamed}"
