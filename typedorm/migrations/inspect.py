"""Deprecated alias of :mod:`typedorm.migrations.codegen`, which writes model source from a live schema; import from there.
This module goes away in a future release."""

import warnings
from typing import Any

from . import codegen as _target

__all__ = _target.__all__

warnings.warn(
    "typedorm.migrations.inspect is deprecated: import from typedorm.migrations.codegen",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    return getattr(_target, name)
