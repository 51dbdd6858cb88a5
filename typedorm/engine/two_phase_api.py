"""``two_phase()`` and ``recover_two_phase()``: the entry points to two-phase commit, sync or asyncio by the databases given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from .aio_database import AsyncDatabase
from .aio_twophase import AsyncTwoPhase
from .database import Database
from .twophase import RecoveryReport, TwoPhase, recover

__all__ = ["recover_two_phase", "two_phase"]


@overload
def two_phase(
    *dbs: Database,
    log: Database | None = None,
    coordinator: str | None = None,
    isolation: Any = None,
    on_stage: Callable[[str, str], object] | None = None,
) -> TwoPhase: ...
@overload
def two_phase(
    *dbs: AsyncDatabase,
    log: AsyncDatabase | None = None,
    coordinator: str | None = None,
    isolation: Any = None,
    on_stage: Callable[[str, str], object] | None = None,
) -> AsyncTwoPhase: ...
def two_phase(
    *dbs: Any,
    log: Any = None,
    coordinator: str | None = None,
    isolation: Any = None,
    on_stage: Callable[[str, str], object] | None = None,
) -> TwoPhase | AsyncTwoPhase:
    """One transaction over several databases, committed on all or none.

    Example::

        with two_phase(orders_db, billing_db):
            orders.insert(Order(...))         # Repository(Order, orders_db): joins its branch
            invoices.insert(Invoice(...))     # Repository(Invoice, billing_db)

    ``async with two_phase(adb1, adb2):`` with ``AsyncDatabase`` objects. PostgreSQL
    (``max_prepared_transactions`` > 0) and MySQL/MariaDB (XA) only. See :class:`TwoPhase`.
    """
    if dbs and all(isinstance(d, AsyncDatabase) for d in dbs):
        return AsyncTwoPhase(*dbs, log=log, coordinator=coordinator, isolation=isolation, on_stage=on_stage)
    return TwoPhase(*dbs, log=log, coordinator=coordinator, isolation=isolation, on_stage=on_stage)


def recover_two_phase(
    *dbs: Database, log: Database | None = None, coordinator: str | None = None
) -> RecoveryReport:
    """Finish the two-phase transactions a crashed coordinator left prepared: commit those the
    coordinator log records as decided, roll back the others (see :func:`typedorm.engine.twophase.recover`).

    Example::

        report = recover_two_phase(orders_db, billing_db)     # the same databases, log on the first
        report.committed, report.rolled_back                  # [(url, branch id), ...]
    """
    return recover(*dbs, log=log, coordinator=coordinator)
