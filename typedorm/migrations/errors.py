"""The errors of the migration layer (defined with the others in ``typedorm.errors``)."""

from __future__ import annotations

from ..errors import (
    AmbiguousRename,
    BranchError,
    LockTimeout,
    MigrationError,
    MigrationFailed,
    UnsupportedChange,
)

__all__ = [
    "AmbiguousRename",
    "BranchError",
    "LockTimeout",
    "MigrationError",
    "MigrationFailed",
    "UnsupportedChange",
]
