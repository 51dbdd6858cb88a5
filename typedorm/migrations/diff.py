"""Autogenerate: the operations that turn one schema into another, and drift between a state and a live database.

Renames are never guessed: a table or column that disappears while another appears is a
rename only when a hint says so (``rename={"users.name": "full_name"}``, ``{"old": "new"}``
for tables) or ``ask`` answers yes; otherwise :class:`AmbiguousRename` is raised unless
``renames="none"`` declares every such change a drop plus an add.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from ..dialects.base import Dialect
from ..schema.spec import ColumnSpec, TableSpec
from ..schema.types import as_dialect
from .errors import AmbiguousRename, UnsupportedChange
from .ops import (
    MISSING,
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTableOp,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndexOp,
    DropTableOp,
    Operation,
    RenameColumn,
    RenameTable,
)
from .state import Schema, columns_differ, dependency_order, derived_checks

__all__ = ["compare_live", "diff", "invert_renames"]

RenameMode = Literal["error", "none"]
Ask = Callable[[str], bool]


def invert_renames(rename: Mapping[str, str]) -> dict[str, str]:
    """The hints for the way back: ``{"users.name": "full_name"}`` -> ``{"users.full_name": "name"}``.

    Column hints name the table as it is *after* any table rename of the same migration.
    """
    out: dict[str, str] = {}
    tables = {k: v for k, v in rename.items() if "." not in k}
    back_tables = {v: k for k, v in tables.items()}
    out.update(back_tables)
    for k, v in rename.items():
        if "." in k:
            table, _, old = k.partition(".")
            out[f"{table}.{v}"] = old
    return out


def _needs_value(c: ColumnSpec) -> bool:
    return not c.nullable and c.server_default is None and not c.autoincrement


def diff(
    old: Schema,
    new: Schema,
    *,
    rename: Mapping[str, str] | None = None,
    renames: RenameMode = "error",
    ask: Ask | None = None,
) -> list[Operation]:
    """Operations that migrate a database from ``old`` to ``new``, in a safe order.

    Example::

        ops = diff(Schema.from_json(snapshot), Schema.from_models(models), rename={"users.name": "full_name"})
    """
    hints = dict(rename or {})
    cur = old.copy()
    ops: list[Operation] = []

    def emit(op: Operation) -> None:
        ops.append(op)
        op.apply(cur)

    # 1. Table renames: hints, then questions, else an error when tables both vanish and appear.
    table_hints = {k: v for k, v in hints.items() if "." not in k}
    for src, dst in table_hints.items():
        if src not in cur.tables:
            raise AmbiguousRename(f"rename hint {src!r} -> {dst!r}: there is no table {src!r}", [])
        if dst not in new.tables:
            raise AmbiguousRename(f"rename hint {src!r} -> {dst!r}: the models have no table {dst!r}", [])
        emit(RenameTable(src, dst))
    gone = [t for t in cur.tables if t not in new.tables]
    added = [t for t in new.tables if t not in cur.tables]
    if gone and added:
        pairs: list[tuple[str | None, str, str]] = [(None, g, a) for g in gone for a in added]
        if ask is not None:
            for g in gone:
                for a in [x for x in added if x not in cur.tables]:
                    if ask(f"Was table {g!r} renamed to {a!r}?"):
                        emit(RenameTable(g, a))
                        break
        elif renames != "none":
            raise AmbiguousRename(
                "tables "
                + ", ".join(repr(g) for g in gone)
                + " disappeared and "
                + ", ".join(repr(a) for a in added)
                + " appeared: if one was renamed, pass --rename OLD=NEW (rename={'old': 'new'}); if not, pass "
                "--no-renames (renames='none') to drop and create them",
                pairs,
            )

    # 2. Column renames, table by table.
    for key, dst in hints.items():
        if "." not in key:
            continue
        table, _, src = key.partition(".")
        t = cur.tables.get(table)
        if t is None or src not in t.by_name:
            raise AmbiguousRename(f"rename hint {key!r} -> {dst!r}: there is no column {key!r}", [])
        nt = new.tables.get(table)
        if nt is None or dst not in nt.by_name:
            raise AmbiguousRename(
                f"rename hint {key!r} -> {dst!r}: the models have no column {table}.{dst}", []
            )
        emit(RenameColumn(table, src, dst))
    ambiguous: list[tuple[str | None, str, str]] = []
    for name, nt in new.tables.items():
        t = cur.tables.get(name)
        if t is None:
            continue
        gone_c = [c.name for c in t.columns if c.name not in nt.by_name]
        added_c = [c.name for c in nt.columns if c.name not in t.by_name]
        if not (gone_c and added_c):
            continue
        if ask is not None:
            taken: set[str] = set()
            for g in gone_c:
                same_type = [a for a in added_c if nt.by_name[a].type_name == t.by_name[g].type_name]
                others = [a for a in added_c if a not in same_type]
                for a in same_type + others:
                    if a in taken:
                        continue
                    if ask(f"Was column {name}.{g} renamed to {name}.{a}?"):
                        emit(RenameColumn(name, g, a))
                        taken.add(a)
                        break
        elif renames != "none":
            ambiguous += [(name, g, a) for g in gone_c for a in added_c]
    if ambiguous:
        lines = "; ".join(f"{t}.{g} -> {a}?" for t, g, a in ambiguous)
        first = ambiguous[0]
        raise AmbiguousRename(
            f"columns disappeared while others appeared ({lines}). If a column was renamed, say so with "
            f"--rename {first[0]}.{first[1]}={first[2]} (rename={{'{first[0]}.{first[1]}': '{first[2]}'}}); "
            "if not, pass --no-renames (renames='none') to drop the old column and add the new one",
            ambiguous,
        )

    ops += _structural(cur, new)
    return ops


def _structural(cur: Schema, new: Schema) -> list[Operation]:
    drop_fks: list[Operation] = []
    drop_idx: list[Operation] = []
    create: list[Operation] = []
    add_cols: list[Operation] = []
    alter: list[Operation] = []
    drop_cols: list[Operation] = []
    drop_tables: list[Operation] = []
    add_checks: list[Operation] = []
    add_idx: list[Operation] = []
    add_fks: list[Operation] = []

    for spec in dependency_order(list(new.tables.values())):
        if spec.name not in cur.tables:
            create.append(CreateTableOp(spec))
    dropped = [spec for spec in cur.tables.values() if spec.name not in new.tables]
    for spec in reversed(dependency_order(dropped)):
        drop_tables.append(DropTableOp(spec.name))

    for name, nt in new.tables.items():
        t = cur.tables.get(name)
        if t is None:
            continue
        if t.primary_key != nt.primary_key:
            raise UnsupportedChange(
                f"table {name}: the primary key changes from ({', '.join(t.primary_key)}) to "
                f"({', '.join(nt.primary_key)}); typedorm does not migrate primary keys automatically. Write this "
                "migration by hand (create a new table, copy the rows with op.execute, drop, rename)"
            )
        old_fks = {f.name: f for f in t.foreign_keys}
        new_fks = {f.name: f for f in nt.foreign_keys}
        for fname, f in old_fks.items():
            if new_fks.get(fname) != f:
                drop_fks.append(DropForeignKey(name, fname or ""))
        for fname, f in new_fks.items():
            if old_fks.get(fname) != f:
                add_fks.append(AddForeignKey(name, f))
        old_idx = {i.name: i for i in t.indexes}
        new_idx = {i.name: i for i in nt.indexes}
        for iname, i in old_idx.items():
            if new_idx.get(iname) != i:
                drop_idx.append(DropIndexOp(name, iname))
        for iname, i in new_idx.items():
            if old_idx.get(iname) != i:
                add_idx.append(AddIndex(name, i))
        old_ck = {c.name: c for c in t.checks}
        new_ck = {c.name: c for c in nt.checks}
        for cname, ck in old_ck.items():
            if new_ck.get(cname) != ck:
                drop_idx.append(DropCheck(name, cname))
        for cname, ck in new_ck.items():
            if old_ck.get(cname) != ck:
                add_checks.append(AddCheck(name, ck))
        for c in nt.columns:
            oc = t.by_name.get(c.name)
            backfill: Any = MISSING
            if oc is None:
                backfill = new.defaults.get(f"{name}.{c.name}", MISSING) if _needs_value(c) else MISSING
                add_cols.append(AddColumn(name, c, backfill))
                continue
            if oc.autoincrement != c.autoincrement:
                raise UnsupportedChange(
                    f"{name}.{c.name}: autoincrement changes; typedorm does not migrate that automatically"
                )
            if columns_differ(t, oc, nt, c):
                if oc.nullable and not c.nullable:
                    backfill = new.defaults.get(f"{name}.{c.name}", MISSING)
                alter.append(AlterColumn(name, c.name, c, None, backfill))
        for oc in t.columns:
            if oc.name not in nt.by_name:
                drop_cols.append(DropColumn(name, oc.name))
    return [
        *drop_fks,
        *drop_idx,
        *create,
        *add_cols,
        *alter,
        *drop_cols,
        *drop_tables,
        *add_checks,
        *add_idx,
        *add_fks,
    ]


# --- drift -------------------------------------------------------------------------------------


def _norm_action(dialect: Dialect, action: str | None) -> str | None:
    a = (action or "").lower() or None
    if a == "no action" or (a == "restrict" and dialect.introspector().restrict_is_no_action):
        return None
    return a


def _expected_checks(t: TableSpec, dialect: Dialect) -> set[str]:
    names = {c.name for c in t.checks}
    for c in t.columns:
        names |= {n for n, _ in derived_checks(t, c, dialect)}
    return names


def compare_live(expected: Schema, live: Schema, dialect: Dialect | str) -> list[str]:
    """Differences between the schema a database should have and the one it has, readably.

    Compares tables, columns (type, nullability, primary key, autoincrement, whether a default
    exists), indexes, unique constraints, foreign keys and check constraint names; the order
    of columns and the spelling of expressions are not compared. ``dialect`` is the live
    database's (or a registered URL scheme).
    """
    dialect = as_dialect(dialect)
    canonical = dialect.introspector().canonical_type
    out: list[str] = []
    for name in sorted(set(expected.tables) - set(live.tables)):
        out.append(f"table {name} is missing from the database")
    for name in sorted(set(live.tables) - set(expected.tables)):
        out.append(f"table {name} exists in the database but not in the migrations")
    for name in sorted(set(expected.tables) & set(live.tables)):
        e, lv = expected.tables[name], live.tables[name]
        for c in e.columns:
            lc = lv.by_name.get(c.name)
            if lc is None:
                out.append(f"column {name}.{c.name} is missing")
                continue
            et = canonical(dialect.column_sql_type(c))
            lt = canonical(dialect.column_sql_type(lc))
            if et != lt:
                out.append(f"column {name}.{c.name} has type {lt}, expected {et}")
            if c.nullable != lc.nullable:
                out.append(
                    f"column {name}.{c.name} is {'' if lc.nullable else 'NOT '}NULL, expected "
                    f"{'' if c.nullable else 'NOT '}NULL"
                )
            if c.autoincrement != lc.autoincrement and dialect.introspector().reads_autoincrement:
                out.append(
                    f"column {name}.{c.name}: autoincrement is {lc.autoincrement}, expected {c.autoincrement}"
                )
            if (c.server_default is None) != (lc.server_default is None):
                out.append(
                    f"column {name}.{c.name}: default is {lc.server_default!r}, expected {c.server_default!r}"
                )
        for lc in lv.columns:
            if lc.name not in e.by_name:
                out.append(f"column {name}.{lc.name} exists in the database but not in the migrations")
        if tuple(e.primary_key) != tuple(lv.primary_key):
            out.append(
                f"table {name}: primary key is ({', '.join(lv.primary_key)}), expected "
                f"({', '.join(e.primary_key)})"
            )
        ei = {(i.name, i.columns, i.unique) for i in e.indexes}
        li = {(i.name, i.columns, i.unique) for i in lv.indexes}
        for i in sorted(ei - li):
            out.append(
                f"{'unique constraint' if i[2] else 'index'} {i[0]} on {name}({', '.join(i[1])}) is missing"
            )
        for i in sorted(li - ei):
            out.append(
                f"{'unique constraint' if i[2] else 'index'} {i[0]} on {name}({', '.join(i[1])}) is not in "
                "the migrations"
            )

        def fkey(f: Any) -> tuple[Any, ...]:
            return (
                f.name,
                f.columns,
                f.ref_table,
                f.ref_columns,
                _norm_action(dialect, f.on_delete),
                _norm_action(dialect, f.on_update),
            )

        ef = {fkey(f) for f in e.foreign_keys}
        lf = {fkey(f) for f in lv.foreign_keys}
        for f in sorted(ef - lf, key=str):
            out.append(f"foreign key {f[0]} on {name} is missing or different")
        for f in sorted(lf - ef, key=str):
            out.append(f"foreign key {f[0]} on {name} is not in the migrations")
        ec = _expected_checks(e, dialect)
        lcks = {c.name for c in lv.checks}
        for n in sorted(ec - lcks):
            out.append(f"check {n} on {name} is missing")
        for n in sorted(lcks - ec):
            out.append(f"check {n} on {name} is not in the migrations")
    return out
