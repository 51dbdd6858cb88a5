"""Driver adapters, one module per DB-API driver, chosen from a URL by ``get_driver``; none is imported eagerly."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import TYPE_CHECKING

from typedorm.drivers.base import Driver, ErrorInfo, ErrorKind, ResultMode, close_cursor_quietly
from typedorm.errors import ConfigurationError

if TYPE_CHECKING:
    from typedorm.engine.url import URL

__all__ = ["Driver", "ErrorInfo", "ErrorKind", "ResultMode", "close_cursor_quietly", "get_driver"]

# driver name -> (adapter module, adapter class, module the adapter needs, pip extra that installs it)
_REGISTRY: dict[str, tuple[str, str, str, str]] = {
    "sqlite3": ("typedorm.drivers.sqlite", "SQLiteDriver", "sqlite3", ""),
    "psycopg": ("typedorm.drivers.psycopg", "PsycopgDriver", "psycopg", "postgres"),
    "pymysql": ("typedorm.drivers.pymysql", "PyMySQLDriver", "pymysql", "mysql"),
    "mysqlclient": ("typedorm.drivers.mysqlclient", "MySQLClientDriver", "MySQLdb", "mysqlclient"),
}
_DEFAULTS: dict[str, tuple[str, ...]] = {
    "sqlite": ("sqlite3",),
    "postgresql": ("psycopg",),
    "mysql": ("mysqlclient", "pymysql"),  # the C driver when it is installed, else the pure-Python one
}
_INSTANCES: dict[str, Driver] = {}
_LOCK = threading.Lock()


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _load(name: str) -> Driver:
    with _LOCK:
        driver = _INSTANCES.get(name)
        if driver is None:
            adapter_module, class_name, needs, extra = _REGISTRY[name]
            try:
                importlib.import_module(needs)
            except ImportError as exc:
                hint = f"pip install 'typedorm[{extra}]'" if extra else "a Python built with sqlite3"
                raise ConfigurationError(f"the {name} driver is not installed: {hint}") from exc
            cls: type[Driver] = getattr(importlib.import_module(adapter_module), class_name)
            driver = _INSTANCES[name] = cls()
        return driver


def get_driver(url: URL) -> Driver:
    """The driver adapter for ``url``: its explicit ``+driver`` or the dialect's default.

    >>> from typedorm.engine.url import URL
    >>> get_driver(URL.parse("sqlite:///:memory:")).name
    'sqlite3'
    """
    if url.driver is not None:
        if url.driver not in _REGISTRY:
            raise ConfigurationError(
                f"no adapter for driver {url.driver!r}; available: {', '.join(_REGISTRY)}"
            )
        return _load(url.driver)
    candidates = _DEFAULTS.get(url.dialect)
    if candidates is None:
        raise ConfigurationError(f"no driver for dialect {url.dialect!r}")
    for name in candidates[:-1]:
        if _installed(_REGISTRY[name][2]):
            return _load(name)
    if url.dialect == "mysql" and not _installed("pymysql"):
        raise ConfigurationError("no MySQL driver is installed: pip install 'typedorm[mysql]'")
    return _load(candidates[-1])
