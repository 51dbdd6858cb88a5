"""``typedorm schema``: the models' DDL for a dialect, their table specs as JSON, or their JSON Schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import ConfigurationError
from . import EXIT_OK
from .config import load_config, load_models

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "schema",
        parents=[common],
        help="print the models' DDL, table specs (JSON) or JSON Schema",
        description="Print CREATE TABLE statements for a dialect (default), the table specs typedorm keeps as "
        "JSON (the migrations' snapshot format), or the Pydantic JSON Schema of each model.",
    )
    p.add_argument(
        "-d",
        "--dialect",
        default=None,
        metavar="SCHEME",
        help="dialect for the DDL, by URL scheme (sqlite, postgresql, mysql, mariadb or a registered one; "
        "default: the --url's, else SQLite)",
    )
    p.add_argument(
        "-f",
        "--format",
        choices=("sql", "json", "jsonschema"),
        default="sql",
        help="sql (default), json (table specs) or jsonschema (validation schema of each model)",
    )
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..dialects import SQLiteDialect, get_dialect, registered_schemes
    from ..migrations.state import Schema

    config = load_config(args)
    models = load_models(config)
    schema = Schema.from_models(models)
    if args.format == "json":
        print(schema.to_json(), end="")
        return EXIT_OK
    if args.format == "jsonschema":
        out = {m.__name__: m.model_json_schema() for m in models}
        print(json.dumps(out, indent=2))
        return EXIT_OK
    name = args.dialect
    if name is None and config.url:
        from ..engine.url import URL

        name = URL.parse(config.url).dialect_scheme
    try:
        dialect = get_dialect(name) if name is not None else SQLiteDialect()
    except ValueError:
        raise ConfigurationError(
            f"unknown dialect {name!r} for --dialect; known: {', '.join(registered_schemes())}"
        ) from None
    print(f"-- typedorm schema for {dialect.name}")
    for t in schema.tables.values():
        for stmt in dialect.create_table_statements(t, if_not_exists=False):
            print(stmt + ";")
        print()
    return EXIT_OK
