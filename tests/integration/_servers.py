"""Where the test database servers are, and the skip-or-fail rule when one does not answer."""

from __future__ import annotations

import functools
import os
import uuid
from typing import Literal

import pytest

from typedorm.drivers import get_driver
from typedorm.drivers.base import Driver
from typedorm.engine.url import URL
from typedorm.errors import ConfigurationError

__all__ = [
    "mysql_url",
    "pg_url",
    "redis_url",
    "require_driver",
    "require_redis",
    "require_server",
    "unique_name",
]

ServerKind = Literal["postgresql", "mysql"]

_ENV = {"postgresql": "TYPEDORM_TEST_PG_URL", "mysql": "TYPEDORM_TEST_MYSQL_URL"}
_DEFAULTS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "mysql://root@127.0.0.1:3306/test",
}


def pg_url() -> URL:
    """The PostgreSQL test database (env ``TYPEDORM_TEST_PG_URL``)."""
    return URL.parse(os.environ.get(_ENV["postgresql"], _DEFAULTS["postgresql"]))


def mysql_url() -> URL:
    """The MariaDB/MySQL test database (env ``TYPEDORM_TEST_MYSQL_URL``)."""
    return URL.parse(os.environ.get(_ENV["mysql"], _DEFAULTS["mysql"]))


def _skip_or_fail(message: str) -> None:
    # On CI a missing server is a broken pipeline, not a reason to go green.
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@functools.cache
def _probe(kind: ServerKind, url: URL) -> str | None:
    """None if the server answers, else why not (cached: probed once per run)."""
    try:
        driver = get_driver(url)
    except ConfigurationError as exc:
        return str(exc)
    option = {"connect_timeout": 3}
    try:
        conn = driver.connect(url, **option)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        return None if driver.ping(conn) else "ping failed"
    finally:
        driver.close(conn)


def require_server(kind: ServerKind) -> URL:
    """The URL of a reachable ``kind`` server; skips the test (fails it when ``CI=true``) otherwise."""
    url = pg_url() if kind == "postgresql" else mysql_url()
    problem = _probe(kind, url)
    if problem is not None:
        _skip_or_fail(
            f"{kind} test server not reachable at {url} ({problem}); set {_ENV[kind]} to point at one"
        )
    return url


def require_driver(url: URL, driver: str) -> tuple[Driver, URL]:
    """The named driver for ``url``'s server; skips if that optional driver is not installed."""
    explicit = URL(
        url.dialect, driver, url.username, url.password, url.host, url.port, url.database, url.query
    )
    try:
        return get_driver(explicit), explicit
    except ConfigurationError as exc:
        pytest.skip(str(exc))


def unique_name(prefix: str = "td") -> str:
    """A table or application name no other test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def redis_url() -> str:
    """The shared Redis (env ``TYPEDORM_TEST_REDIS_URL``), for RedisCache tests."""
    return os.environ.get("TYPEDORM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@functools.cache
def _probe_redis(url: str) -> str | None:
    try:
        import redis
    except ImportError as exc:
        return f"redis-py is not installed ({exc}); pip install -e '.[dev]'"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return None if client.ping() else "PING failed"
        finally:
            client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def require_redis() -> str:
    """The URL of a reachable Redis; skips the test (fails it when ``CI=true``) otherwise."""
    url = redis_url()
    problem = _probe_redis(url)
    if problem is not None:
        _skip_or_fail(
            f"Redis test server not reachable at {url} ({problem}); set TYPEDORM_TEST_REDIS_URL "
            "to point at one"
        )
    return url
