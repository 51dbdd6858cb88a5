"""Migration files: readable Python modules with ``upgrade(op)`` / ``downgrade(op)``, and the snapshot beside them."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from pathlib import Path

from .ops import MISSING, AddColumn, Operation, _lit
from .state import Schema

__all__ = [
    "SNAPSHOT_FILE",
    "next_revision",
    "render_migration",
    "slugify",
    "write_migration",
    "write_snapshot",
]

#: The schema the migrations lead to, kept beside them for review and for the next diff.
SNAPSHOT_FILE = "snapshot.json"

_REV = re.compile(r"^(\d{4,})_")


def slugify(message: str) -> str:
    """``"Add users' e-mail"`` -> ``"add_users_e_mail"`` (at most 40 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    return (slug[:40].rstrip("_")) or "migration"


def next_revision(existing: Sequence[str], message: str) -> str:
    """The id of the next migration: a sequence number and a slug, ``0003_add_email``."""
    n = 0
    for rev in existing:
        m = _REV.match(rev)
        if m:
            n = max(n, int(m.group(1)))
    return f"{n + 1:04d}_{slugify(message)}"


def _notes(op: Operation) -> list[str]:
    if isinstance(op, AddColumn) and op.backfill is MISSING:
        c = op.column
        if not c.nullable and c.server_default is None and not c.autoincrement:
            return [
                f"{op.table}.{c.name} is NOT NULL without a default: on a table with rows this fails",
                "unless you pass backfill=<value> (or fill it with a data migration first).",
            ]
    return []


def _body(ops: Sequence[Operation], empty_hint: bool) -> list[str]:
    if not ops:
        if empty_hint:
            return [
                "    # Data migrations run inside the migration's transaction, for example:",
                '    #   op.execute("UPDATE users SET name = ? WHERE name IS NULL", [""])',
                "    #   op.run_python(fill_names)   # def fill_names(ctx): ctx.execute(...)",
                "    pass",
            ]
        return ["    pass"]
    lines: list[str] = []
    for op in ops:
        for note in _notes(op):
            lines.append(f"    # NOTE: {note}")
        for line in op.render().splitlines():
            lines.append(f"    {line}")
    return lines


def render_migration(
    revision: str,
    parent: str | None,
    message: str,
    upgrade: Sequence[Operation],
    downgrade: Sequence[Operation],
    *,
    created: _dt.datetime | None = None,
) -> str:
    """The source of a migration file."""
    when = (created or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    title = message.strip().splitlines()[0] if message.strip() else revision
    doc = title.replace('"""', "'''").replace("\\", "\\\\")
    lines = [
        f'"""{doc}',
        "",
        f"Revision {revision}, following {parent or 'nothing (the first migration)'}; created {when}.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from decimal import Decimal  # noqa: F401",
        "",
        "from typedorm.migrations import SQL, Op, check, col, fk, index  # noqa: F401",
        "",
        f"revision = {_lit(revision)}",
        f"parent = {_lit(parent)}",
        f"message = {_lit(message.strip())}",
        "",
        "",
        "def upgrade(op: Op) -> None:",
        *_body(upgrade, empty_hint=True),
        "",
        "",
        "def downgrade(op: Op) -> None:",
        *_body(downgrade, empty_hint=False),
        "",
    ]
    return "\n".join(lines)


def write_migration(directory: Path, revision: str, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{revision}.py"
    if path.exists():
        from .errors import MigrationError

        raise MigrationError(f"{path} already exists")
    path.write_text(source, encoding="utf-8")
    return path


def write_snapshot(directory: Path, schema: Schema, revision: str | None) -> Path:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    data = schema.to_dict()
    data["revision"] = revision
    path = directory / SNAPSHOT_FILE
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
