"""``typedorm migrate make|up|down|status|history|restore``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import EXIT_CHECK, EXIT_ERROR, EXIT_OK, EXIT_USAGE
from .config import Config, load_config, load_models, require_url

__all__ = ["add_parser"]


def _out(msg: str) -> None:
    print(msg, flush=True)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "migrate",
        help="make, apply and revert migrations",
        description="Make migration files from model changes, apply and revert them, show where a database stands.",
    )
    p.set_defaults(help_parser=p)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")

    make = verbs.add_parser(
        "make",
        parents=[common],
        help="write the next migration from the models' changes",
        description="Diff the models against the migrations' snapshot and write the next migration file. "
        "A column that disappears while another appears is never silently dropped: it is a rename "
        "when --rename says so (or you answer yes when asked), else a drop plus an add with "
        "--no-renames.",
    )
    make.add_argument("-m", "--message", required=True, help="what the migration does (also names the file)")
    make.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="a rename: TABLE.OLD_COLUMN=NEW_COLUMN, or OLD_TABLE=NEW_TABLE (repeatable)",
    )
    make.add_argument(
        "--no-renames",
        action="store_true",
        help="treat disappearing and appearing columns/tables as drops and adds",
    )
    make.add_argument("--empty", action="store_true", help="write an empty migration for a data migration")
    make.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 3 if the models have changes no migration covers",
    )
    make.add_argument("--dry-run", action="store_true", help="print the migration instead of writing it")
    make.add_argument(
        "--no-input", action="store_true", help="never ask questions (also when not on a terminal)"
    )
    make.set_defaults(run=_make)

    up = verbs.add_parser(
        "up",
        parents=[common],
        help="apply migrations up to a target (default: the latest)",
        description="Apply pending migrations, each in its own transaction where the database "
        "has transactional DDL; SQLite files are backed up first.",
    )
    up.add_argument(
        "target", nargs="?", default=None, help="revision (or unique prefix) to stop at; default: head"
    )
    _run_options(up)
    up.set_defaults(run=_up)

    down = verbs.add_parser(
        "down",
        parents=[common],
        help="revert migrations back to a target (default: one)",
        description="Revert applied migrations, newest first.",
    )
    down.add_argument(
        "target",
        nargs="?",
        default="-1",
        help="revision to go back to (it stays applied), 'base' to revert all; default: one step",
    )
    _run_options(down)
    down.set_defaults(run=_down)

    status = verbs.add_parser(
        "status",
        parents=[common],
        help="show the current revision, pending migrations and drift",
        description="Where the database stands: current revision, pending "
        "migrations, and differences between its schema and the migrations'.",
    )
    status.add_argument(
        "--check",
        action="store_true",
        help="exit 3 when migrations are pending, one is half-applied, or the schema drifted",
    )
    status.set_defaults(run=_status)

    hist = verbs.add_parser(
        "history",
        parents=[common],
        help="list the migrations in order, with when each was applied",
        description="Every migration file from the first to the head.",
    )
    hist.set_defaults(run=_history)

    restore = verbs.add_parser(
        "restore",
        parents=[common],
        help="put back the SQLite backup taken by `migrate up`",
        description="Restore the SQLite database file from the backup the last "
        "`migrate up` or `migrate down` took before changing it.",
    )
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(run=_restore)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    p.add_argument("--no-backup", action="store_true", help="SQLite: skip the backup taken before migrating")
    p.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for another migration holding the lock (default 60; 0: refuse at once)",
    )


def _database(config: Config) -> Any:
    from ..engine.database import Database

    return Database(require_url(config))


def _migrations(config: Config) -> Any:
    from ..migrations.scripts import Migrations

    return Migrations.load(config.migrations)


def _parse_renames(items: list[str]) -> dict[str, str]:
    from ..errors import ConfigurationError

    out: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old or not new or "." in new:
            raise ConfigurationError(
                f"--rename {item!r}: expected TABLE.OLD=NEW for a column or OLD=NEW for a table"
            )
        out[old.strip()] = new.strip()
    return out


def _make(args: argparse.Namespace) -> int:
    from ..migrations.autogen import make_migration, plan_migration
    from ..migrations.ops import MISSING, AddColumn

    config = load_config(args)
    models = load_models(config)
    renames = _parse_renames(args.rename)
    interactive = not args.no_input and not args.no_renames and sys.stdin.isatty()

    def ask(question: str) -> bool:
        answer = input(f"{question} [y/N] ").strip().lower()
        return answer in ("y", "yes")

    mode: Any = "none" if args.no_renames else "error"
    if args.check:
        _, _, ops, _, _ = plan_migration(
            _migrations(config), models, rename=renames, renames=mode, ask=ask if interactive else None
        )
        if ops:
            _out(f"the models have {len(ops)} change(s) no migration covers:")
            for op in ops:
                _out(f"  - {op.describe()}")
            return EXIT_CHECK
        _out("the migrations cover the models")
        return EXIT_OK
    made = make_migration(
        config.migrations,
        models,
        args.message,
        rename=renames,
        renames=mode,
        ask=ask if interactive else None,
        empty=args.empty,
        dry_run=args.dry_run,
    )
    if made.revision is None:
        _out("no changes: the migrations already match the models")
        return EXIT_OK
    if args.dry_run:
        _out(made.source)
        return EXIT_OK
    _out(f"wrote {made.path}")
    for op in made.upgrade:
        _out(f"  - {op.describe()}")
    for op in made.upgrade:
        c = getattr(op, "column", None)
        if (
            isinstance(op, AddColumn)
            and op.backfill is MISSING
            and c is not None
            and not c.nullable
            and c.server_default is None
            and not c.autoincrement
        ):
            print(
                f"typedorm: warning: {op.table}.{c.name} is NOT NULL without a default: the migration fails on "
                "a table with rows unless you give it backfill=... (see the NOTE in the file)",
                file=sys.stderr,
            )
    if args.empty:
        _out("  (empty: add data migration steps to upgrade() and downgrade())")
    return EXIT_OK


def _runner(args: argparse.Namespace, config: Config) -> Any:
    from ..migrations.runner import Runner

    return Runner(
        _database(config),
        _migrations(config),
        backup=not args.no_backup,
        lock_timeout=args.wait,
        progress=_out,
    )


def _print_sql(plan: list[tuple[str, list[str]]]) -> None:
    if not plan:
        _out("-- nothing to do")
    for rev, statements in plan:
        _out(f"-- {rev}")
        for s in statements:
            _out(s if s.startswith("--") else s + ";")


def _up(args: argparse.Namespace) -> int:
    from ..migrations.errors import MigrationFailed

    config = load_config(args)
    runner = _runner(args, config)
    if args.sql:
        _print_sql(runner.sql(args.target, up=True))
        return EXIT_OK
    try:
        done = runner.upgrade(args.target)
    except MigrationFailed as e:
        print(f"typedorm: error: {e}", file=sys.stderr)
        if runner.last_backup is not None and runner.db.dialect.file_backups:
            print(
                f"typedorm: a backup taken before this run is at {runner.last_backup.path} "
                "(`typedorm migrate restore` puts it back)",
                file=sys.stderr,
            )
        return EXIT_ERROR
    if done:
        _out(f"done: {len(done)} migration(s) applied; now at {done[-1]}")
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    config = load_config(args)
    runner = _runner(args, config)
    if args.sql:
        _print_sql(runner.sql(args.target, up=False))
        return EXIT_OK
    done = runner.downgrade(args.target)
    if done:
        st = runner.status(drift=False)
        _out(f"done: {len(done)} migration(s) reverted; now at {st.current or 'the empty schema (base)'}")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from ..migrations.runner import Runner

    config = load_config(args)
    runner = Runner(_database(config), _migrations(config))
    st = runner.status()
    _out(f"database:   {runner.db.url.render()}")
    _out(f"migrations: {config.migrations} ({len(runner.migrations)} files, head {st.head or '-'})")
    if st.unknown:
        _out(f"the database has migrations not in this directory: {', '.join(st.unknown)}")
        return EXIT_ERROR
    _out(f"current:    {st.current or 'none (empty schema)'}")
    if st.incomplete is not None:
        a = st.incomplete
        verb = "applying" if a.state == "partial" else "reverting"
        _out(
            f"INCOMPLETE: {a.revision} stopped while {verb} after {a.ops_done} of {a.ops_total} operations; "
            f"run `typedorm migrate {'up' if a.state == 'partial' else 'down'}` to finish"
        )
    if st.pending:
        _out(f"pending:    {len(st.pending)}")
        for rev in st.pending:
            _out(f"  - {rev}")
    else:
        _out("pending:    none")
    if st.drift:
        _out("drift (the database differs from the migrations at its revision):")
        for line in st.drift:
            _out(f"  - {line}")
    else:
        _out("drift:      none")
    if args.check and (st.pending or st.incomplete is not None or st.drift):
        return EXIT_CHECK
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    from ..migrations.runner import Runner

    config = load_config(args)
    runner = Runner(_database(config), _migrations(config))
    rows = runner.history()
    if not rows:
        _out(f"no migrations in {config.migrations}")
        return EXIT_OK
    for script, applied in rows:
        if applied is None:
            mark = "pending"
        elif applied.state == "applied":
            mark = f"applied {applied.applied_at}"
        else:
            mark = f"{applied.state} ({applied.ops_done}/{applied.ops_total}) {applied.applied_at}"
        _out(f"{script.revision:<40} {mark:<32} {script.message}")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    from ..migrations.backup import read_backup, restore_backup

    config = load_config(args)
    db = _database(config)
    if not db.dialect.file_backups:
        print(
            "typedorm: error: restore works on SQLite files; on PostgreSQL and MySQL use the server's backups "
            "(a failed migration there is rolled back or recorded step by step)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    info = read_backup(db)
    _out(f"backup {info.path}, taken {info.taken_at}, at revision {info.revision or 'none (empty schema)'}")
    if not args.yes:
        if not sys.stdin.isatty():
            print("typedorm: error: restoring replaces the database; pass --yes to confirm", file=sys.stderr)
            return EXIT_USAGE
        if input(f"replace {db.url.database} with it? [y/N] ").strip().lower() not in ("y", "yes"):
            _out("not restored")
            return EXIT_ERROR
    restore_backup(db)
    _out(f"restored {db.url.database} to revision {info.revision or 'none (empty schema)'}")
    return EXIT_OK
