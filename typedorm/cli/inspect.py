"""``typedorm inspect URL``: write typed model source for an existing database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import EXIT_OK
from .config import load_config, require_url

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="write typed models for an existing database",
        description="Introspect a database and print (or write) typedorm Model classes for its tables, with a "
        "relationship for each foreign key (many-to-many through link tables). Creating their tables on an "
        "empty database reproduces the schema.",
    )
    p.add_argument("database", nargs="?", metavar="URL", help="database URL (default: --url / DATABASE_URL)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the source to FILE instead of printing it")
    p.add_argument(
        "-t", "--table", action="append", default=None, metavar="NAME", help="only this table (repeatable)"
    )
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..engine.database import Database
    from ..migrations.codegen import generate_models
    from ..migrations.reflect import case_insensitive_columns, introspect, sqlite_text_types

    config = load_config(args)
    url = args.database or require_url(config)
    db = Database(url)
    try:
        schema = introspect(db)
        source = generate_models(
            schema,
            db.dialect.name,
            source=db.url.render(),
            tables=args.table,
            collations=case_insensitive_columns(db),
            text_types=sqlite_text_types(db, schema),
        )
    finally:
        db.close()
    if args.output:
        Path(args.output).write_text(source, encoding="utf-8")
        print(
            f"wrote {len(schema.tables) if args.table is None else len(args.table)} model(s) to {args.output}"
        )
    else:
        print(source, end="")
    return EXIT_OK
