"""The sync ``Driver`` runs statements itself, with the same methods and result modes as ``AsyncDriver``."""

from __future__ import annotations

import asyncio
import inspect
import re
from pathlib import Path

import pytest

from typedorm.drivers import get_driver
from typedorm.drivers.aio import AsyncDriver
from typedorm.drivers.base import ALL, COUNT, LASTID, ONE, RESULT, Driver, ResultMode
from typedorm.engine.url import URL

ENGINE = Path(__file__).resolve().parents[2] / "typedorm" / "engine"
STATEMENT_METHODS = ("execute", "executemany", "copy_rows", "control")


@pytest.mark.parametrize("method", STATEMENT_METHODS)
def test_sync_and_async_drivers_have_the_same_statement_methods(method: str) -> None:
    sync_params = list(inspect.signature(getattr(Driver, method)).parameters)
    async_params = list(inspect.signature(getattr(AsyncDriver, method)).parameters)
    assert sync_params == async_params
    assert inspect.iscoroutinefunction(getattr(AsyncDriver, method))
    assert not inspect.iscoroutinefunction(getattr(Driver, method))


def test_one_result_mode_enum() -> None:
    import typedorm.drivers.aio as aio

    assert (aio.ALL, aio.ONE, aio.COUNT, aio.RESULT, aio.LASTID) == (ALL, ONE, COUNT, RESULT, LASTID)
    assert all(isinstance(m, ResultMode) for m in (aio.ALL, aio.ONE, aio.COUNT, aio.RESULT, aio.LASTID))


def test_sqlite_driver_statement_methods() -> None:
    url = URL.parse("sqlite:///:memory:")
    driver = get_driver(url)
    conn = driver.connect(url)
    try:
        driver.control(conn, "BEGIN")
        assert driver.in_transaction(conn)
        assert driver.execute(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", (), COUNT) == -1
        assert driver.executemany(conn, "INSERT INTO t (v) VALUES (?)", [("a",), ("b",)]) == 2
        assert driver.execute(conn, "INSERT INTO t (v) VALUES (?)", ("c",), LASTID) == 3
        driver.control(conn, "COMMIT")
        assert not driver.in_transaction(conn)
        assert driver.execute(conn, "SELECT v FROM t ORDER BY id", (), ALL) == [("a",), ("b",), ("c",)]
        assert driver.execute(conn, "SELECT v FROM t WHERE id = ?", (2,), ONE) == ("b",)
        rows, cols, _, _ = driver.execute(conn, "SELECT id, v FROM t WHERE id = ?", (1,), RESULT)
        assert (list(rows), cols) == ([(1, "a")], ("id", "v"))
        assert driver.execute(conn, "UPDATE t SET v = ?", ("z",), COUNT) == 3
        with pytest.raises(NotImplementedError):
            driver.copy_rows(conn, "COPY t FROM STDIN", [])
    finally:
        driver.close(conn)


def test_async_sqlite_driver_same_modes() -> None:
    from typedorm.drivers.aio import get_async_driver

    async def main() -> None:
        url = URL.parse("sqlite:///:memory:")
        driver = get_async_driver(url)
        conn = await driver.connect(url)
        try:
            await driver.execute(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", (), COUNT)
            assert await driver.executemany(conn, "INSERT INTO t (v) VALUES (?)", [("a",), ("b",)]) == 2
            assert await driver.execute(conn, "SELECT v FROM t ORDER BY id", (), ALL) == [("a",), ("b",)]
        finally:
            await driver.close(conn)

    asyncio.run(main())


def test_engine_leaves_the_db_api_to_the_drivers() -> None:
    """No cursor juggling, COPY or fetching in the engine: the drivers' statement methods do it."""
    pattern = re.compile(r"\.cursor\(|\.copy\(|\.write_row\(|\.fetchall\(|\.fetchone\(|\.executemany\(")
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(ENGINE.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "driver." not in line
    ]
    assert offenders == []
