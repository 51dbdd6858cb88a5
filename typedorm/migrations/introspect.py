"""Deprecated alias of :mod:`typedorm.migrations.reflect`, which reads a live schema; import from there.
This module goes away in a future release."""

import warnings
from typing import Any

from . import reflect as _target

__all__ = _target.__all__

warnings.warn(
    "typedorm.migrations.introspect is deprecated: import from typedorm.migrations.reflect",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    return getattr(_target, name)
