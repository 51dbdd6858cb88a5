# pyright: strict
"""Typing of two-phase commit: ``two_phase`` gives the sync or asyncio coordinator by its databases.

Checked by test_typing.py; never executed.
"""

from __future__ import annotations

from typing import assert_type

from typedorm import AsyncDatabase, Database, TwoPhaseError, recover_two_phase, two_phase
from typedorm.engine.aio_twophase import AsyncTwoPhase
from typedorm.engine.twophase import RecoveryReport, TwoPhase


def sync_use(a: Database, b: Database) -> None:
    assert_type(two_phase(a, b), TwoPhase)
    with two_phase(a, b, log=a, coordinator="billing") as tx:
        assert_type(tx, TwoPhase)
        assert_type(tx.gid, str)
    report = recover_two_phase(a, b)
    assert_type(report, RecoveryReport)
    assert_type(report.committed, list[tuple[str, str]])


async def async_use(a: AsyncDatabase, b: AsyncDatabase) -> None:
    async with two_phase(a, b) as tx:
        assert_type(tx, AsyncTwoPhase)


def errors(e: TwoPhaseError) -> None:
    assert_type(e.decision, str | None)
    assert_type(e.gid, str)
