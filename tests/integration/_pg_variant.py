"""An out-of-tree PostgreSQL variant dialect: sequence-backed keys and its own migration lock key.

It lives outside typedorm on purpose: it proves that a dialect variant plugs in through the
registry (``register_dialect`` or the ``typedorm.dialects`` entry point group) with no core edit.
"""

from __future__ import annotations

from typing import ClassVar

from typedorm.dialects import PostgreSQLDialect, register_dialect
from typedorm.schema.spec import ColumnSpec, TableSpec

SCHEME = "pgvariant"
#: differs from typedorm's own advisory lock key ("typedorm" in ASCII)
LOCK_KEY = 0x7067_7661_7269_616E  # "pgvarian"


class SerialPostgreSQLDialect(PostgreSQLDialect):
    """PostgreSQL with BIGSERIAL keys (a sequence as the column default) instead of identity columns."""

    name: ClassVar[str] = SCHEME
    advisory_lock_key: ClassVar[int] = LOCK_KEY

    def column_ddl(self, t: TableSpec, c: ColumnSpec, inline_pk: bool) -> str:
        if c.autoincrement:
            return f"{self.quote(c.name)} BIGSERIAL{' PRIMARY KEY' if inline_pk else ''}"
        return super().column_ddl(t, c, inline_pk)


def register() -> None:
    """Make ``pgvariant://`` URLs use :class:`SerialPostgreSQLDialect`."""
    register_dialect(SCHEME, SerialPostgreSQLDialect)
