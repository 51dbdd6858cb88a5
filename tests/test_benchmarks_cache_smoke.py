"""Smoke run of benchmarks/cache.py on SQLite with both caches (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from _servers import require_redis  # noqa: E402 - tests/integration is put on the path first


def test_cache_benchmark_reports_every_variant(tmp_path: Path) -> None:
    redis = require_redis()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.cache",
            "--backend",
            "sqlite",
            "--quick",
            "--n",
            "40",
            "--repeat",
            "1",
            "--redis",
            redis,
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "cache-sqlite.json").read_text())
    workloads = {"w4_hits", "w5_hits", "w4_mixed", "w5_mixed", "w1", "w6"}
    for variant in ("raw", "typedorm", "redis"):
        assert set(result["median"][variant]) == workloads
    # the memory run also times the floor of a W4 hit: copying the instances it returns
    assert set(result["median"]["memory"]) == workloads | {"w4_copies"}
    assert result["median"]["memory"]["w4_copies"] > 0
    assert result["memory_per_10k_rows"]["estimate_bytes"] > 0
    assert 0.0 <= result["hit_ratio"]["memory"]["w5_mixed"] <= 1.0
    assert "Ratio to the raw driver" in (tmp_path / "cache-sqlite.md").read_text()
