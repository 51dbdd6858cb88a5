"""Loading a migrations directory: one line of history from the first migration to the head, or a clear error."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import BranchError, MigrationError
from .ops import Op, Operation
from .state import Schema
from .writer import SNAPSHOT_FILE

__all__ = ["MigrationScript", "Migrations"]

logger: logging.Logger = logging.getLogger("typedorm.migrations")


@dataclass
class MigrationScript:
    """One migration file."""

    revision: str
    parent: str | None
    message: str
    path: Path
    upgrade: Callable[[Op], object] = field(repr=False)
    downgrade: Callable[[Op], object] = field(repr=False)

    def upgrade_ops(self) -> list[Operation]:
        op = Op()
        self.upgrade(op)
        return op.operations

    def downgrade_ops(self) -> list[Operation]:
        op = Op()
        self.downgrade(op)
        return op.operations


def _load_module(path: Path) -> ModuleType:
    name = f"_typedorm_migration_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"cannot load migration file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(name, None)
        raise MigrationError(f"migration file {path} failed to import: {type(e).__name__}: {e}") from e
    return module


class Migrations:
    """The migration files of a directory, in order from the first to the head.

    Example::

        ms = Migrations.load("migrations")
        ms.head, [m.revision for m in ms]

    Raises :class:`BranchError` when two files follow the same parent (or there are two
    first migrations), and :class:`MigrationError` for a file that names an unknown parent.
    """

    def __init__(self, directory: Path, scripts: list[MigrationScript]) -> None:
        self.directory = directory
        self.scripts = scripts
        self.by_revision: dict[str, MigrationScript] = {s.revision: s for s in scripts}

    @classmethod
    def load(cls, directory: str | Path) -> Migrations:
        d = Path(directory)
        if not d.exists():
            return cls(d, [])
        if not d.is_dir():
            raise MigrationError(f"{d} is not a directory")
        found: dict[str, MigrationScript] = {}
        for path in sorted(d.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _load_module(path)
            rev = getattr(module, "revision", None)
            if not isinstance(rev, str) or not rev:
                raise MigrationError(f'{path}: no `revision = "..."` string')
            parent = getattr(module, "parent", None)
            if parent is not None and not isinstance(parent, str):
                raise MigrationError(f"{path}: `parent` must be a revision string or None")
            up, down = getattr(module, "upgrade", None), getattr(module, "downgrade", None)
            if not callable(up) or not callable(down):
                raise MigrationError(f"{path}: needs both `def upgrade(op)` and `def downgrade(op)`")
            if rev in found:
                raise MigrationError(
                    f"revision {rev!r} is defined twice: {found[rev].path.name} and {path.name}"
                )
            found[rev] = MigrationScript(
                rev, parent, str(getattr(module, "message", "") or ""), path, up, down
            )
        return cls(d, _order(found))

    def __iter__(self) -> Iterator[MigrationScript]:
        return iter(self.scripts)

    def __len__(self) -> int:
        return len(self.scripts)

    @property
    def head(self) -> str | None:
        return self.scripts[-1].revision if self.scripts else None

    @property
    def revisions(self) -> list[str]:
        return [s.revision for s in self.scripts]

    def index(self, revision: str | None) -> int:
        """Position of ``revision`` in the history (-1 for None: before the first migration)."""
        if revision is None:
            return -1
        for i, s in enumerate(self.scripts):
            if s.revision == revision:
                return i
        raise MigrationError(f"unknown revision {revision!r}; known: {', '.join(self.revisions) or 'none'}")

    def resolve(self, target: str | None) -> str | None:
        """A revision from user input: a full id, a unique prefix (``0003``), ``head`` or ``base``."""
        if target is None or target in ("head", "latest"):
            return self.head
        if target in ("base", "zero", "none", "0"):
            return None
        if target in self.by_revision:
            return target
        matches = [r for r in self.revisions if r.startswith(target)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise MigrationError(f"revision {target!r} is ambiguous: {', '.join(matches)}")
        raise MigrationError(f"unknown revision {target!r}; known: {', '.join(self.revisions) or 'none'}")

    def state_at(self, revision: str | None) -> Schema:
        """The schema after applying migrations up to and including ``revision`` (replayed)."""
        schema = Schema()
        stop = self.index(revision)
        for s in self.scripts[: stop + 1]:
            for op in s.upgrade_ops():
                op.apply(schema)
        return schema

    def snapshot(self) -> tuple[Schema, str | None] | None:
        """The stored snapshot and the revision it was written for, if there is one."""
        path = self.directory / SNAPSHOT_FILE
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return Schema.from_dict(data), data.get("revision")

    def head_state(self) -> Schema:
        """The schema at the head: the replayed migrations, with the snapshot's column defaults.

        A snapshot that disagrees with the files (a migration edited by hand) is reported and
        the files win: they are what databases get.
        """
        replayed = self.state_at(self.head)
        snap = self.snapshot()
        if snap is not None:
            schema, rev = snap
            if rev != self.head or schema != replayed:
                logger.warning(
                    "%s is out of date with the migration files (snapshot at %s, head %s); using the files",
                    SNAPSHOT_FILE,
                    rev,
                    self.head,
                )
            replayed.defaults = dict(schema.defaults)
        return replayed


def _order(found: dict[str, MigrationScript]) -> list[MigrationScript]:
    if not found:
        return []
    roots = [s for s in found.values() if s.parent is None]
    children: dict[str, list[MigrationScript]] = {}
    for s in found.values():
        if s.parent is not None:
            if s.parent not in found:
                raise MigrationError(
                    f"{s.path.name}: parent {s.parent!r} is not a known revision; known: {', '.join(sorted(found))}"
                )
            children.setdefault(s.parent, []).append(s)
    if len(roots) != 1:
        if not roots:
            raise BranchError("no first migration (every file names a parent): the history has a cycle")
        raise BranchError(
            "more than one first migration (parent = None): "
            + ", ".join(sorted(r.path.name for r in roots))
            + "; set `parent` of all but one to the revision it follows"
        )
    for parent, kids in children.items():
        if len(kids) > 1:
            names = sorted(k.revision for k in kids)
            raise BranchError(
                f"the history has branched: {' and '.join(names)} both follow {parent}. Put them in one line: "
                f"set `parent = {names[0]!r}` in {names[1]} (and check that the two do not conflict), "
                "or delete one and run `typedorm migrate make` again"
            )
    out = [roots[0]]
    seen = {roots[0].revision}
    while True:
        kids = children.get(out[-1].revision, [])
        if not kids:
            break
        nxt = kids[0]
        if nxt.revision in seen:
            raise BranchError("the history has a cycle")
        seen.add(nxt.revision)
        out.append(nxt)
    if len(out) != len(found):
        lost = sorted(set(found) - seen)
        raise BranchError(f"migrations not reachable from the first one: {', '.join(lost)}")
    return out
