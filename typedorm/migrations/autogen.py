"""``make``: diff the models against the migration state and write the next migration file and snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diff import Ask, RenameMode, diff, invert_renames
from .ops import Operation, RenameColumn, RenameTable
from .scripts import Migrations
from .state import Schema
from .writer import next_revision, render_migration, write_migration, write_snapshot

__all__ = ["MadeMigration", "make_migration", "plan_migration"]


@dataclass
class MadeMigration:
    """What :func:`make_migration` produced (``path`` is None when nothing changed)."""

    revision: str | None
    path: Path | None
    upgrade: list[Operation]
    downgrade: list[Operation]
    source: str


def plan_migration(
    migrations: Migrations,
    models: Iterable[type[Any]],
    *,
    rename: Mapping[str, str] | None = None,
    renames: RenameMode = "error",
    ask: Ask | None = None,
) -> tuple[Schema, Schema, list[Operation], list[Operation], dict[str, str]]:
    """The state, the models' schema, and the upgrade and downgrade operations between them.

    Renames answered through ``ask`` are reused, reversed, for the downgrade.
    """
    old = migrations.head_state()
    new = Schema.from_models(models)
    answered: dict[str, str] = dict(rename or {})
    up = diff(old, new, rename=rename, renames=renames, ask=ask)
    for op in up:
        if isinstance(op, RenameTable):
            answered[op.old] = op.new
        elif isinstance(op, RenameColumn):
            answered[f"{op.table}.{op.old}"] = op.new
    down = diff(new, old, rename=invert_renames(answered), renames="none")
    return old, new, up, down, answered


def make_migration(
    directory: str | Path,
    models: Iterable[type[Any]],
    message: str,
    *,
    rename: Mapping[str, str] | None = None,
    renames: RenameMode = "error",
    ask: Ask | None = None,
    empty: bool = False,
    dry_run: bool = False,
) -> MadeMigration:
    """Write the next migration for ``models`` into ``directory`` (and update the snapshot).

    Example::

        made = make_migration("migrations", [User, Order], "add orders", rename={"users.name": "full_name"})
        made.path   # migrations/0002_add_orders.py, or None if the models did not change
    """
    d = Path(directory)
    migrations = Migrations.load(d)
    model_list = list(models)
    _old, new, up, down, _ = plan_migration(migrations, model_list, rename=rename, renames=renames, ask=ask)
    if empty:
        up, down = [], []
    elif not up:
        return MadeMigration(None, None, [], [], "")
    revision = next_revision(migrations.revisions, message)
    source = render_migration(revision, migrations.head, message, up, down)
    if dry_run:
        return MadeMigration(revision, None, up, down, source)
    path = write_migration(d, revision, source)
    if empty:
        # the schema did not move: keep the snapshot as the migrations leave it
        snap = migrations.head_state()
        write_snapshot(d, snap, revision)
    else:
        write_snapshot(d, new, revision)
    return MadeMigration(revision, path, up, down, source)
