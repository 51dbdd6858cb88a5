"""The errors of the migration layer: each says what went wrong and what to do next."""

from __future__ import annotations

from ..errors import TypedORMError

__all__ = [
    "AmbiguousRename",
    "BranchError",
    "LockTimeout",
    "MigrationError",
    "MigrationFailed",
    "UnsupportedChange",
]


class MigrationError(TypedORMError):
    """A migration cannot be made, loaded or applied; the message says why and what to do."""


class BranchError(MigrationError):
    """The migration files do not form a single line of history (two files share a parent)."""


class UnsupportedChange(MigrationError):
    """The model change has no automatic migration (e.g. a new primary key); write it by hand."""


class LockTimeout(MigrationError):
    """Another process holds the migration lock and did not release it in time."""


class AmbiguousRename(MigrationError):
    """Columns or tables disappeared while others appeared: a rename or a drop plus an add?

    ``candidates`` lists ``(table, removed, added)`` triples (``table`` is None for tables).
    Resolve with a hint (``rename={"users.name": "full_name"}``) or ``renames="none"``.
    """

    def __init__(self, message: str, candidates: list[tuple[str | None, str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates


class MigrationFailed(MigrationError):
    """Applying (or reverting) a migration failed; says which operation and what was kept.

    ``applied_ops`` counts the operations that took effect and stay in effect (always 0 on
    backends with transactional DDL, where the whole migration was rolled back).
    """

    def __init__(self, message: str, *, revision: str, op_index: int, applied_ops: int) -> None:
        super().__init__(message)
        self.revision = revision
        self.op_index = op_index
        self.applied_ops = applied_ops
