"""The dialect registry: URL scheme -> Dialect class, for built-in and out-of-tree dialects."""

from __future__ import annotations

import logging
import threading
from importlib import import_module
from importlib.metadata import entry_points

from ..errors import ConfigurationError
from ..schema.types import set_dialect_resolver
from .base import Dialect

__all__ = [
    "ENTRY_POINT_GROUP",
    "dialect_class",
    "get_dialect",
    "is_builtin_scheme",
    "register_dialect",
    "known_dialects",
    "registered_schemes",
    "shared_dialect",
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
_shared: dict[type[Dialect], Dialect] = {}  # one instance per class for type lookups by name


def _check_scheme(scheme: object) -> str:
    if not isinstance(scheme, str) or not scheme or not all(ch.isalnum() or ch in "-." for ch in scheme):
        raise ConfigurationError(
            f"a dialect's URL scheme must be letters, digits, '-' or '.', not {scheme!r}"
        )
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


def shared_dialect(name: str) -> Dialect:
    """A shared instance of the dialect registered for URL scheme ``name``, for reading its
    type mapping and DDL rules (``ColumnSpec.sql_type("postgresql")``); KeyError if unknown.

    Engines make their own instance (a server's version adjusts its flags): use
    :func:`get_dialect` for a dialect to run statements with."""
    cls = dialect_class(name) if isinstance(name, str) else None
    if cls is None:
        raise KeyError(f"no dialect is registered for {name!r}; known: {', '.join(registered_schemes())}")
    found = _shared.get(cls)
    if found is None:
        found = _shared.setdefault(cls, cls())
    return found


def known_dialects() -> list[Dialect]:
    """One shared instance of every registered dialect class (migrations compare column
    DDL on each: a change that alters any dialect's DDL is a change). A registered dialect
    that cannot be loaded is left out with a warning."""
    out: list[Dialect] = []
    seen: set[type[Dialect]] = set()
    for scheme in registered_schemes():
        try:
            d = shared_dialect(scheme)
        except ConfigurationError as e:
            logger.warning("dialect %r is left out: %s", scheme, e)
            continue
        if type(d) not in seen:
            seen.add(type(d))
            out.append(d)
    return out


set_dialect_resolver(shared_dialect)
