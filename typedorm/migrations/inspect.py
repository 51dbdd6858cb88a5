"""Deprecated alias of :mod:`typedorm.migrations.codegen`, which writes model source from a live
schema; import from there. This module goes away in a future release."""

import warnings

from .codegen import generate_models

__all__ = ["generate_models"]

warnings.warn(
    "typedorm.migrations.inspect is deprecated: import from typedorm.migrations.codegen",
    DeprecationWarning,
    stacklevel=2,
)
