"""Migrations: schema snapshot -> diff -> operations -> migration files -> runner; introspection and inspect.

Migration files import what they need from here::

    from typedorm.migrations import Op, check, col, fk, index

    def upgrade(op: Op) -> None:
        op.add_column("users", col("age", "integer"), backfill=0)

    def downgrade(op: Op) -> None:
        op.drop_column("users", "age")
"""

from ..schema.columns import SQL
from .autogen import MadeMigration, make_migration, plan_migration
from .backup import BackupInfo, restore_backup
from .codegen import generate_models
from .diff import compare_live, diff
from .errors import (
    AmbiguousRename,
    BranchError,
    LockTimeout,
    MigrationError,
    MigrationFailed,
    UnsupportedChange,
)
from .ops import MigrationContext, Op, Operation
from .reflect import canonical_type, introspect
from .runner import AppliedMigration, Runner, Status
from .scripts import Migrations, MigrationScript
from .state import Schema, check, col, fk, index

__all__ = [
    # writing migrations
    "Op",
    "Operation",
    "MigrationContext",
    "check",
    "col",
    "SQL",
    "fk",
    "index",
    # state and diff
    "Schema",
    "compare_live",
    "diff",
    "introspect",
    "generate_models",
    "canonical_type",
    "make_migration",
    "plan_migration",
    "MadeMigration",
    # files and running
    "Migrations",
    "MigrationScript",
    "Runner",
    "Status",
    "AppliedMigration",
    "BackupInfo",
    "restore_backup",
    # errors
    "AmbiguousRename",
    "BranchError",
    "LockTimeout",
    "MigrationError",
    "MigrationFailed",
    "UnsupportedChange",
]
