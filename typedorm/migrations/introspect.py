"""Deprecated alias of :mod:`typedorm.migrations.reflect`, which reads a live schema; import
from there. This module goes away in a future release."""

import warnings

from .reflect import (
    INTERNAL_TABLES,
    Executor,
    canonical_type,
    case_insensitive_columns,
    guess_logical,
    introspect,
    parse_sqlite_create_table,
    sqlite_text_types,
)

__all__ = [
    "INTERNAL_TABLES",
    "Executor",
    "canonical_type",
    "case_insensitive_columns",
    "guess_logical",
    "introspect",
    "sqlite_text_types",
    "parse_sqlite_create_table",
]

warnings.warn(
    "typedorm.migrations.introspect is deprecated: import from typedorm.migrations.reflect",
    DeprecationWarning,
    stacklevel=2,
)
