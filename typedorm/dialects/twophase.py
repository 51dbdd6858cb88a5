"""Two-phase commit SQL: prepared-transaction statements per backend and the coordinator log's statements.

A backend that can prepare a transaction (PostgreSQL ``PREPARE TRANSACTION``, MySQL/MariaDB
``XA``) overrides the ``tpc_*`` methods and sets ``supports_two_phase``; the base refuses with a
``ConfigurationError``. Transaction ids are written into the SQL as literals, because neither
``PREPARE TRANSACTION`` nor ``XA`` takes a bound parameter: they come only from
``typedorm.engine`` (letters, digits, ``.``, ``-``, ``_``) and are checked again here.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ..errors import ConfigurationError, InvalidArgument
from ..sql.compiler import Compiler

__all__ = ["LOG_TABLE", "TwoPhaseSQL", "check_gid"]

#: the coordinator log: one row per transaction whose outcome was decided (commit or rollback)
LOG_TABLE = "typedorm_two_phase_log"

# XA's gtrid holds at most 64 bytes (mariadb.com/kb/en/xa-transactions/); PostgreSQL's gid 200.
_GID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def check_gid(gid: object) -> str:
    """``gid`` if it is a transaction id typedorm writes into SQL, else ``InvalidArgument``."""
    if not isinstance(gid, str) or _GID.match(gid) is None:
        raise InvalidArgument(
            f"a two-phase transaction id is 1 to 64 letters, digits, '.', '-' or '_', not {gid!r}",
            argument="gid",
        )
    return gid


class TwoPhaseSQL(Compiler):
    """The two-phase commit part of a dialect (mixed into :class:`~typedorm.dialects.base.Dialect`)."""

    name: ClassVar[str] = "generic"
    #: prepared transactions are available (``two_phase()``, ``recover_two_phase()``)
    supports_two_phase: ClassVar[bool] = False

    def _no_two_phase(self) -> ConfigurationError:
        return ConfigurationError(
            f"{self.name} has no prepared transactions: two_phase() needs PostgreSQL (PREPARE TRANSACTION) "
            "or MySQL/MariaDB (XA) for every database it spans"
        )

    def tpc_literal(self, gid: str) -> str:
        return self.literal_string(check_gid(gid))

    def tpc_begin_sql(self, gid: str, isolation: Any = None) -> list[str]:
        """Statements that open the branch ``gid`` of a two-phase transaction."""
        raise self._no_two_phase()

    def tpc_prepare_sql(self, gid: str) -> list[str]:
        """Statements that end the branch's work and prepare it (phase one)."""
        raise self._no_two_phase()

    def tpc_commit_sql(self, gid: str) -> str:
        """Commit the prepared branch ``gid`` (phase two); any session of the database may run it."""
        raise self._no_two_phase()

    def tpc_rollback_prepared_sql(self, gid: str) -> str:
        """Roll back the prepared branch ``gid``; any session of the database may run it."""
        raise self._no_two_phase()

    def tpc_rollback_active_sql(self, gid: str) -> list[str]:
        """Roll back the branch ``gid`` before it was prepared, on its own session."""
        raise self._no_two_phase()

    def tpc_recover_sql(self) -> str:
        """A query listing the prepared transactions of this database (see :meth:`tpc_recovered_gid`)."""
        raise self._no_two_phase()

    def tpc_recovered_gid(self, row: tuple[Any, ...]) -> str | None:
        """The transaction id in one row of :meth:`tpc_recover_sql`."""
        return str(row[0]) if row and row[0] is not None else None

    def tpc_check_sql(self) -> str | None:
        """A query returning a number that must be > 0 for prepared transactions to work, or None."""
        return None

    def tpc_unknown_id(self, sqlstate: str | None, errno: int | None) -> bool:
        """Whether an error says the prepared transaction does not exist (already finished)."""
        return False

    # --- the coordinator log (portable: ``?`` placeholders, types every backend has) --------------
    def tpc_log_create_sql(self) -> str:
        q = self.quote
        return (
            f"CREATE TABLE IF NOT EXISTS {q(LOG_TABLE)} ({q('gid')} VARCHAR(64) NOT NULL PRIMARY KEY, "
            f"{q('decision')} VARCHAR(8) NOT NULL, {q('decided_at')} BIGINT NOT NULL)"
        )

    def tpc_log_insert_sql(self) -> str:
        q = self.quote
        return f"INSERT INTO {q(LOG_TABLE)} ({q('gid')}, {q('decision')}, {q('decided_at')}) VALUES (?, ?, ?)"

    def tpc_log_select_sql(self) -> str:
        q = self.quote
        return f"SELECT {q('gid')}, {q('decision')}, {q('decided_at')} FROM {q(LOG_TABLE)}"

    def tpc_log_delete_sql(self) -> str:
        q = self.quote
        return f"DELETE FROM {q(LOG_TABLE)} WHERE {q('gid')} = ?"
