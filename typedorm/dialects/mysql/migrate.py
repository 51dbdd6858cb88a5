"""MySQL's and MariaDB's migrator: MODIFY COLUMN, CHECKs that pin columns, foreign keys that make indexes
(the flags of :class:`~typedorm.dialects.mysql.MySQLDialect` steer the standard ALTER TABLE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..migrate import MigrationTarget, Migrator

if TYPE_CHECKING:
    from ...schema.spec import TableSpec

__all__ = ["MySQLMigrator"]


class MySQLMigrator(Migrator):
    def drop_foreign_key(self, target: MigrationTarget, t: TableSpec, new_t: TableSpec, name: str) -> None:
        q = self.q
        target.ddl(f"ALTER TABLE {q(t.name)} DROP FOREIGN KEY {q(name)}")
        if not self.dialect.foreign_keys_make_indexes or any(i.name == name for i in t.indexes):
            return
        # InnoDB made an index for the key and keeps it: drop it unless the state has it
        if (
            target.offline
            or target.query(
                "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? "
                "AND INDEX_NAME = ?",
                (t.name, name),
            ).rows
        ):
            target.ddl(f"DROP INDEX {q(name)} ON {q(t.name)}")
