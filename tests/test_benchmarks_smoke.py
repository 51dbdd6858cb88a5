"""Smoke run of benchmarks/: every library produces a number for every workload (no timing assertions)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ON_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("TYPEDORM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

#: The top-level module each library needs; in CI the ``bench`` extra installs them all.
PACKAGES = {
    "raw": "sqlite3",
    "raw_pydantic": "pydantic",
    "typedorm": "typedorm",
    "sqlalchemy_core": "sqlalchemy",
    "sqlalchemy_orm": "sqlalchemy",
    "sqlmodel": "sqlmodel",
    "peewee": "peewee",
    "django": "django",
    "pony": "pony",
    "tortoise": "tortoise",
}
PG_PACKAGES = {
    "raw": "psycopg",
    "raw_pydantic": "psycopg",
    "typedorm": "psycopg",
    "sqlalchemy_core": "psycopg",
    "sqlalchemy_orm": "psycopg",
    "sqlmodel": "psycopg",
    "peewee": "psycopg",
    "django": "psycopg",
    "pony": "psycopg2",
    "tortoise": "asyncpg",
}
NARROW = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10")
WIDE = ("w1", "w2", "w3", "w4", "w5")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _missing(backend: str) -> set[str]:
    missing = {k for k, m in PACKAGES.items() if not _installed(m)}
    if backend == "postgresql":
        missing |= {k for k, m in PG_PACKAGES.items() if not _installed(m)}
    return missing


def _run(backend: str, out: Path, *extra: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--backend",
        backend,
        "--n",
        "50",
        "--repeat",
        "1",
        "--quick",
        "--warmup",
        "0",
        "--out",
        str(out),
        *extra,
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"benchmark run failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    assert (out / f"{backend}.md").read_text().startswith("# Benchmarks on")
    result: dict[str, Any] = json.loads((out / f"{backend}.json").read_text())
    return result


def _check(result: dict[str, Any], backend: str) -> None:
    missing = _missing(backend)
    if ON_CI:
        assert not missing, f"the bench extra should install every peer; missing: {sorted(missing)}"
    libs = result["libraries"]
    assert set(libs) == set(PACKAGES), "every library is reported, none silently dropped"
    problems = []
    for key, info in libs.items():
        if info["status"] != "ok":
            if key in missing and info["status"] == "not installed":
                continue  # allowed off CI only (missing is empty on CI)
            problems.append(f"{key}: {info['status']}: {info.get('error')}")
            continue
        for shape, wls in (("narrow", NARROW), ("wide", WIDE)):
            for wl in wls:
                cell = result["results"][shape][wl].get(key)
                if cell is None or cell["median_ms"] is None or cell["errors"]:
                    problems.append(f"{key} {shape} {wl}: {cell and cell['errors']}")
                elif cell["ratio"] is None:
                    problems.append(f"{key} {shape} {wl}: no ratio to the raw driver")
            if key not in result["memory"][shape]:
                problems.append(f"{key} {shape}: no W3 peak memory")
        gm = result["geomean"]["narrow"][key]
        if gm["workloads"] != gm["of"]:
            problems.append(f"{key}: geometric mean over {gm['workloads']} of {gm['of']} workloads")
        if backend == "sqlite" and len(result["validation_probe"].get(key, {})) != 3:
            problems.append(f"{key}: no W10 validation probe")
    assert not problems, "\n".join(problems)
    assert result["n"] == 50 and result["repeat"] == 1
    assert result["machine"]["cores"] and result["versions"]["typedorm"]


def test_sqlite_smoke(tmp_path: Path) -> None:
    result = _run("sqlite", tmp_path)
    _check(result, "sqlite")
    assert result["pragmas"]["configured"] == {"journal_mode": "WAL", "synchronous": "NORMAL"}
    for key, pragmas in result["pragmas"]["measured"].items():
        assert str(pragmas["journal_mode"]).lower() == "wal", key
        assert int(pragmas["synchronous"]) == 1, key  # NORMAL


def _pg_reachable() -> str | None:
    if not _installed("psycopg"):
        return "psycopg is not installed"
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def test_postgresql_smoke(tmp_path: Path) -> None:
    problem = _pg_reachable()
    if problem is not None:
        msg = f"PostgreSQL not reachable at {PG_URL} ({problem}); set TYPEDORM_TEST_PG_URL"
        if ON_CI:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    result = _run("postgresql", tmp_path, "--url", PG_URL)
    _check(result, "postgresql")


MYSQL_URL = os.environ.get("TYPEDORM_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def test_mysql_smoke(tmp_path: Path) -> None:
    """On MariaDB only the raw driver (PyMySQL), raw + Pydantic and typedorm run; every one of
    them produces a number and a ratio for every workload, and the peers are reported as such."""
    try:
        from urllib.parse import urlsplit

        import pymysql

        u = urlsplit(MYSQL_URL)
        pymysql.connect(
            host=u.hostname,
            port=u.port or 3306,
            user=u.username or "root",
            password=u.password or "",
            connect_timeout=3,
        ).close()
    except Exception as e:
        msg = f"MariaDB/MySQL not reachable at {MYSQL_URL} ({type(e).__name__}: {e}); set TYPEDORM_TEST_MYSQL_URL"
        if ON_CI:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    result = _run("mysql", tmp_path, "--mysql-url", MYSQL_URL)
    libs = result["libraries"]
    assert set(libs) == set(PACKAGES), "every library is reported, none silently dropped"
    for key in ("raw", "raw_pydantic", "typedorm"):
        assert libs[key]["status"] == "ok", libs[key]
        for shape, wls in (("narrow", NARROW), ("wide", WIDE)):
            for wl in wls:
                cell = result["results"][shape][wl].get(key)
                assert cell is not None and cell["ratio"] is not None and not cell["errors"], (
                    key,
                    shape,
                    wl,
                    cell,
                )
    assert all(
        info["status"] in ("unsupported", "not installed")
        for k, info in libs.items()
        if k not in ("raw", "raw_pydantic", "typedorm")
    )
