"""The dialect registry: URL scheme -> Dialect class, for built-in and out-of-tree dialects."""

from __future__ import annotations

import logging
import threading
from importlib import import_module
from importlib.metadata import entry_points

from ..errors import ConfigurationError
from .base import Dialect

__all__ = [
    "ENTRY_POINT_GROUP",
    "dialect_class",
    "get_dialect",
    "is_builtin_scheme",
    "register_dialect",
    "registered_schemes",
]

logger: logging.Logger = logging.getLogger("typedorm")

#: the entry point group an installed package registers a dialect under: the entry point's name
#: is the URL scheme, its value ``package.module:DialectClass``
ENTRY_POINT_GROUP = "typedorm.dialects"

# Built-in dialects load lazily by module path, so importing the registry stays cheap.
_BUILTIN: dict[str, str] = {
    "sqlite": "typedorm.dialects.sqlite:SQLiteDialect",
    "postgresql": "typedorm.dialects.postgresql:PostgreSQLDialect",
    "postgres": "typedorm.dialects.postgresql:PostgreSQLDialect",
    "mysql": "typedorm.dialects.mysql:MySQLDialect",
    "mariadb": "typedorm.dialects.mysql:MariaDBDialect",
}
# Built-in variants keep their own scheme (and dialect) instead of normalising to the family's.
_BUILTIN_VARIANTS: dict[str, str] = {
    "galera": "typedorm.dialects.mysql:GaleraDialect",
}
_registered: dict[str, type[Dialect] | str] = {}
_resolved: dict[str, type[Dialect]] = {}  # "module:Class" -> the class, loaded once
_lock = threading.Lock()
_entry_points_loaded = False


def _check_scheme(scheme: object) -> str:
    if not isinstance(scheme, str) or not scheme or not all(ch.isalnum() or ch in "-." for ch in scheme):
        raise ConfigurationError(f"a dialect's URL scheme must be letters, digits, '-' or '.', not {scheme!r}")
    return scheme.lower()


def register_dialect(scheme: str, dialect: type[Dialect] | str) -> None:
    """Make ``scheme://`` URLs use ``dialect`` (a Dialect subclass or ``"module:Class"``).

    Example::

        class CockroachDialect(PostgreSQLDialect):
            name = "cockroachdb"
        register_dialect("cockroachdb", CockroachDialect)
        Database("cockroachdb://root@localhost:26257/app")   # psycopg, CockroachDialect

    The dialect's ``family`` picks the driver (PostgreSQL's, MySQL's or SQLite's). Registering
    a scheme again replaces the earlier entry, a built-in scheme included.
    """
    key = _check_scheme(scheme)
    if isinstance(dialect, type):
        if not issubclass(dialect, Dialect):
            raise ConfigurationError(f"register_dialect({scheme!r}): {dialect!r} is not a Dialect subclass")
    elif not isinstance(dialect, str) or ":" not in dialect:
        raise ConfigurationError(
            f"register_dialect({scheme!r}): expected a Dialect subclass or 'module:Class', not {dialect!r}"
        )
    with _lock:
        _registered[key] = dialect


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    with _lock:
        if _entry_points_loaded:
            return
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            # an explicit register_dialect() call wins over an installed package's entry point
            key = ep.name.lower()
            if key not in _registered:
                _registered[key] = ep.value
        _entry_points_loaded = True


def _resolve(target: str) -> type[Dialect]:
    module, _, attr = target.partition(":")
    try:
        obj = import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ConfigurationError(f"cannot load dialect {target!r}: {e}") from e
    if not (isinstance(obj, type) and issubclass(obj, Dialect)):
        raise ConfigurationError(f"dialect {target!r} is not a Dialect subclass")
    return obj


def dialect_class(scheme: str) -> type[Dialect] | None:
    """The Dialect class for URL scheme ``scheme`` (registered, entry point or built-in), or None."""
    key = scheme.lower()
    found = _registered.get(key)
    if found is None:
        _load_entry_points()
        found = _registered.get(key, _BUILTIN.get(key, _BUILTIN_VARIANTS.get(key)))
    if found is None or isinstance(found, type):
        return found
    cls = _resolved.get(found)
    if cls is None:
        cls = _resolved[found] = _resolve(found)
    return cls


def is_builtin_scheme(scheme: str) -> bool:
    """True for a scheme typedorm itself maps and nobody re-registered: such a URL is normalised
    to its family (``mariadb://`` renders as ``mysql://``), whose dialect adapts to the server."""
    key = scheme.lower()
    return key in _BUILTIN and key not in _registered


def registered_schemes() -> list[str]:
    """Every URL scheme a dialect is known for, built-in ones first."""
    _load_entry_points()
    builtin = [*_BUILTIN, *_BUILTIN_VARIANTS]
    return [*builtin, *(s for s in _registered if s not in builtin)]


def get_dialect(name: str) -> Dialect:
    """A new dialect instance by URL scheme (``sqlite``, ``postgresql``, ``mysql``, ``mariadb``, ...)."""
    cls = dialect_class(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown dialect {name!r}; known: {', '.join(registered_schemes())}")
    return cls()
