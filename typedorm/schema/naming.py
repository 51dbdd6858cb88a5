"""Identifier rules: snake_case table names and validation of SQL identifiers."""

from __future__ import annotations

import re

__all__ = ["RESERVED_COLUMN_NAMES", "check_identifier", "is_identifier", "snake_case"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CAMEL1 = re.compile(r"(.)([A-Z][a-z]+)")
_CAMEL2 = re.compile(r"([a-z0-9])([A-Z])")

#: Longest identifier accepted: PostgreSQL truncates names past 63 bytes and MySQL
#: rejects names past 64, so typedorm refuses anything longer than the smallest limit.
MAX_IDENTIFIER_LENGTH = 63

#: Column names a backend keeps for itself: SQLite's rowid aliases (a column of that
#: name hides the real rowid) and PostgreSQL's system columns (CREATE TABLE fails).
RESERVED_COLUMN_NAMES = frozenset(
    {"rowid", "oid", "_rowid_", "ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"}
)


def snake_case(name: str) -> str:
    """``UserAccount`` -> ``user_account``; ``HTTPLog`` -> ``http_log``."""
    return _CAMEL2.sub(r"\1_\2", _CAMEL1.sub(r"\1_\2", name)).lower()


def is_identifier(name: object) -> bool:
    """True for a plain ASCII identifier short enough for every backend."""
    return isinstance(name, str) and len(name) <= MAX_IDENTIFIER_LENGTH and _IDENT.match(name) is not None


def check_identifier(name: object, what: str) -> str:
    """Return ``name`` if it is a valid identifier, else raise ``ValueError`` naming ``what``."""
    if not isinstance(name, str) or _IDENT.match(name) is None:
        raise ValueError(
            f"{what} {name!r} is not a valid identifier (letters, digits and _; not starting with a digit)"
        )
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise ValueError(
            f"{what} {name!r} is {len(name)} characters long; the limit is {MAX_IDENTIFIER_LENGTH} "
            "(PostgreSQL would silently truncate it)"
        )
    return name
