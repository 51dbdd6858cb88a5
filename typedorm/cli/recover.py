"""``typedorm recover URL [URL ...]``: finish two-phase transactions a crashed coordinator left prepared."""

from __future__ import annotations

import argparse
from typing import Any

from . import EXIT_OK
from .config import load_config, require_url

__all__ = ["add_parser"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "recover",
        parents=[common],
        help="finish two-phase transactions left prepared by a crashed coordinator",
        description="List the prepared two-phase transactions (two_phase()) on every database given, commit "
        "those whose decision the coordinator log records as commit, and roll back the others (presumed "
        "abort). Give every database the coordinators used; the log is on the first one unless --log says "
        "otherwise. Running it again does nothing more.",
    )
    p.add_argument(
        "databases", nargs="*", metavar="URL", help="database URLs (default: --url / DATABASE_URL)"
    )
    p.add_argument(
        "--log", metavar="URL", help="the database holding the coordinator log (default: the first URL)"
    )
    p.add_argument("--coordinator", metavar="ID", help="only the transactions of this coordinator id")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from ..engine.database import Database
    from ..engine.twophase import recover

    urls: list[str] = list(args.databases) or [require_url(load_config(args))]
    dbs = [Database(u) for u in urls]
    log = Database(args.log) if args.log else None
    try:
        report = recover(*dbs, log=log, coordinator=args.coordinator)
    finally:
        for db in dbs:
            db.close()
        if log is not None:
            log.close()
    for url, gid in report.committed:
        print(f"committed   {gid}  {url}")
    for url, gid in report.rolled_back:
        print(f"rolled back {gid}  {url}")
    for url, gid in report.skipped:
        print(f"skipped     {gid}  {url}")
    print(
        f"{len(report.committed)} committed, {len(report.rolled_back)} rolled back, {len(report.skipped)} skipped"
    )
    return EXIT_OK
