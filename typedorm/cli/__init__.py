"""The ``typedorm`` command: argument parsing, exit codes and error reporting; one module per verb.

Exit codes: 0 success; 1 the operation failed (a migration, a database error); 2 bad usage or
configuration; 3 ``--check`` found work to do (pending migrations, drift, model changes);
4 another process holds the migration lock.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..errors import ConfigurationError, DatabaseError, TypedORMError

__all__ = ["EXIT_BUSY", "EXIT_CHECK", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHECK = 3
EXIT_BUSY = 4


def common_options() -> argparse.ArgumentParser:
    """Options every verb takes, so they can follow the verb: ``typedorm migrate up --url ...``."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("configuration")
    g.add_argument("--url", help="database URL (default: $DATABASE_URL, then url in [tool.typedorm])")
    g.add_argument(
        "--config",
        metavar="PATH",
        help="pyproject.toml to read [tool.typedorm] from "
        "(default: the nearest one above the current directory)",
    )
    g.add_argument(
        "--models", metavar="MODULE", help="module with the table models (default: models in [tool.typedorm])"
    )
    g.add_argument(
        "--migrations",
        metavar="DIR",
        help="migrations directory (default: migrations in [tool.typedorm], else ./migrations)",
    )
    g.add_argument("-v", "--verbose", action="store_true", help="log every SQL statement to stderr")
    return p


def build_parser() -> argparse.ArgumentParser:
    from . import inspect as inspect_cmd
    from . import migrate as migrate_cmd
    from . import recover as recover_cmd
    from . import schema as schema_cmd
    from . import stubs as stubs_cmd

    parser = argparse.ArgumentParser(
        prog="typedorm",
        description="typedorm: migrations, reverse engineering and schema output for typedorm models.",
        epilog='Configuration: [tool.typedorm] in pyproject.toml (models = "app.models", migrations = '
        '"migrations"), DATABASE_URL, or the options above. Exit codes: 0 ok, 1 failed, 2 usage or '
        "configuration error, 3 --check found work, 4 migration lock busy.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"typedorm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    migrate_cmd.add_parser(sub, common)
    inspect_cmd.add_parser(sub, common)
    schema_cmd.add_parser(sub, common)
    stubs_cmd.add_parser(sub, common)
    recover_cmd.add_parser(sub, common)
    return parser


def _error(msg: str) -> None:
    print(f"typedorm: error: {msg}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``typedorm`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if getattr(args, "verbose", False):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        for name in ("typedorm.sql", "typedorm.migrations"):
            lg = logging.getLogger(name)
            lg.setLevel(logging.DEBUG)
            lg.addHandler(handler)
    run = getattr(args, "run", None)
    if run is None:
        # a command group without its verb: show what it offers
        helper = getattr(args, "help_parser", parser)
        helper.print_help(sys.stderr)
        return EXIT_USAGE
    from ..migrations.errors import AmbiguousRename, BranchError, LockTimeout, MigrationError

    try:
        code: int = run(args)
        return code
    except LockTimeout as e:
        _error(str(e))
        return EXIT_BUSY
    except (ConfigurationError, AmbiguousRename, BranchError) as e:
        _error(str(e))
        return EXIT_USAGE
    except (MigrationError, DatabaseError) as e:
        _error(str(e))
        return EXIT_ERROR
    except TypedORMError as e:
        _error(f"{type(e).__name__}: {e}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a driver's own error (e.g. the server refused the connection)
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc()
        _error(f"{type(e).__module__.split('.')[0]}.{type(e).__name__}: {e}".strip())
        return EXIT_ERROR
