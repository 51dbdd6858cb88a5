"""PostgreSQL's migrator: standard ALTER TABLE, ``::`` casts, and the catalog telling a UNIQUE
constraint from a unique index made by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..migrate import MigrationTarget, Migrator

if TYPE_CHECKING:
    from ...schema.spec import IndexSpec, TableSpec

__all__ = ["PostgreSQLMigrator"]


class PostgreSQLMigrator(Migrator):
    def cast_sql(self, expr: str, sql_type: str) -> str:
        return f"{expr}::{sql_type}"

    def is_unique_constraint(self, target: MigrationTarget, t: TableSpec, i: IndexSpec) -> bool:
        return target.offline or bool(
            target.query(
                "SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = current_schema() AND t.relname = ? AND c.conname = ?",
                (t.name, i.name),
            ).rows
        )
