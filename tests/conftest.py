"""Shared pytest configuration: per-backend test counts in the summary."""

from __future__ import annotations

import collections

import pytest

_counts: collections.Counter[str] = collections.Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for backend in ("sqlite", "postgresql", "mysql", "pymysql", "pgvariant"):
        if (
            f"[{backend}" in report.nodeid
            or f"-{backend}]" in report.nodeid
            or f"-{backend}-" in report.nodeid
        ):
            _counts[f"{backend} {report.outcome}"] += 1
            break


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _counts:
        terminalreporter.section("tests run per backend")
        for key in sorted(_counts):
            terminalreporter.write_line(f"{key}: {_counts[key]}")
