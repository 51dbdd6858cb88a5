"""Closed sets of the SQL words typedorm writes into statement text, checked where nodes are built and compiled.

Values always travel as bound parameters and identifiers come from model metadata,
validated and quoted. Everything else that ends up in SQL text is listed here (the
audit), with where it is checked; each has a test in ``tests/unit/test_sql_closed_sets.py``:

=========================  ==================================  ===============================
SQL text                   closed set / rule                   checked in
=========================  ==================================  ===============================
AND / OR (BoolOp, Q)       :data:`CONNECTORS`                  BoolOp(), Q combinators, compiler
NOT (Not, ~Q)              fixed word, flag only               -
= <> < <= > >= (Compare)   :data:`COMPARE_OPS`                 Compare(), compiler
+ - * / % (BinaryOp)       :data:`ARITH_OPS`                   BinaryOp(), compiler
function names (func.*)    :data:`FUNCTIONS`                   FuncCall(), compiler
DISTINCT in a function     bool                                FuncCall(), compiler
ASC / DESC                 bool ``descending``                 Ordering(), compiler
NULLS FIRST / LAST         :data:`NULLS`                       Ordering(), compiler
LIKE ... ESCAPE 'c'        :data:`LIKE_ESCAPES`                Like(), compiler
contains/startswith/...    :data:`TEXT_MATCH_KINDS`            TextMatch(), compiler
IS [NOT] NULL, [NOT] IN    flags only                          -
integer literals (Const)   int or None                         Const(), compiler
LIMIT / OFFSET             int >= 0 (and not bool)             Select/Query.limit/offset, compiler
AS label                   identifier, quoted                  Label(), compiler
ON DELETE / ON UPDATE      :data:`FK_ACTIONS`                  ForeignKey(), compiler, migrations
isolation levels           :data:`ISOLATION_LEVELS`            Dialect.begin_sql
SQLite BEGIN mode          :data:`SQLITE_MODES`                SQLiteDialect.begin_sql
savepoint names            identifier, quoted                  Dialect.savepoint_sql/release/rollback_to
CAST type (SQLite rebuild) affinity from a fixed set           dialects.sqlite.migrate.affinity
=========================  ==================================  ===============================

Not present in the query API, so nothing to check: JOIN kinds, set operations (UNION,
...), row-lock clauses (FOR UPDATE/SHARE, NOWAIT, SKIP LOCKED), COLLATE, casts.
Declared SQL, written by the model or migration author in code and never taken from
input, is trusted as such: ``Column(server_default=..., check=..., sql_type=...)``,
``op.execute(...)``, ``op.alter_column(using=...)`` and ``RawSQL`` fragments built by
typedorm itself.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, TypeVar

from ..errors import InvalidArgument

__all__ = [
    "ARITH_OPS",
    "COMPARE_OPS",
    "CONNECTORS",
    "FK_ACTIONS",
    "FUNCTIONS",
    "ISOLATION_LEVELS",
    "LIKE_ESCAPES",
    "NULLS",
    "SQLITE_MODES",
    "TEXT_MATCH_KINDS",
    "check_count",
    "check_flag",
    "check_keyword",
]

T = TypeVar("T")

CONNECTORS: Final = frozenset({"AND", "OR"})
COMPARE_OPS: Final = frozenset({"=", "<>", "<", "<=", ">", ">="})
ARITH_OPS: Final = frozenset({"+", "-", "*", "/", "%"})
FUNCTIONS: Final = frozenset({"count", "sum", "avg", "min", "max", "coalesce", "lower", "upper", "length"})
NULLS: Final = frozenset({"first", "last"})
#: ASCII punctuation written into an SQL string literal the same on every backend; the
#: single quote is doubled and the backslash is spelled per dialect (MySQL doubles it).
LIKE_ESCAPES: Final = frozenset("\\!#$&*+/=@^|~'")
TEXT_MATCH_KINDS: Final = frozenset({"contains", "startswith", "endswith", "exact"})
FK_ACTIONS: Final = frozenset({"cascade", "set null", "set default", "restrict", "no action"})
ISOLATION_LEVELS: Final = ("read uncommitted", "read committed", "repeatable read", "serializable")
SQLITE_MODES: Final = frozenset({"immediate", "deferred", "exclusive"})


def check_keyword(value: object, allowed: Collection[str], what: str) -> str:
    """``value`` if it is one of ``allowed`` (exact, case-sensitive), else :class:`InvalidArgument`."""
    if isinstance(value, str) and type(value) is str and value in allowed:
        return value
    choices = ", ".join(repr(a) for a in sorted(allowed))
    raise InvalidArgument(f"{what} must be one of {choices}, not {value!r}", argument=what)


def check_flag(value: object, what: str) -> bool:
    """``value`` if it is a bool, else :class:`InvalidArgument` (flags choose between fixed words)."""
    if value is True or value is False:
        return value
    raise InvalidArgument(f"{what} must be True or False, not {value!r}", argument=what)


def check_count(value: object, what: str) -> int:
    """``value`` if it is an int >= 0 (not a bool), else :class:`InvalidArgument` naming ``what``."""
    if isinstance(value, int) and not isinstance(value, bool):
        # the base int's own value: a subclass cannot change how it is written or compared
        n = int.__index__(value)
        if int.__ge__(n, 0):
            return n
    raise InvalidArgument(f"{what} must be a non-negative int, not {value!r}", argument=what)
