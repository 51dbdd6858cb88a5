"""Values in lookups and comparisons, checked against their column's type before any SQL is built.

A driver renders what it is given: MySQL's turns ``["alice"]`` into ``('alice')`` and
matches a row, PostgreSQL compares a text array, SQLite raises. So a value compared with
a column is validated first by a Pydantic adapter of the column's *storage* type (the
same lax coercion as the model: ``"12"`` is 12 for an ``int`` column), without the
field's constraints (``age < -1`` is a fine question for a column with ``ge=0``). A value
of the wrong shape raises :class:`~typedorm.errors.InvalidValue` naming the field, the
same on every backend. A JSON column's value is validated by the column's own type (a
``list[str]`` column compares with a list of strings); other custom column types take any
value their own bind processor accepts.
"""

from __future__ import annotations

import datetime as _dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from ..errors import InvalidValue

if TYPE_CHECKING:
    from ..schema.spec import ColumnSpec

__all__ = ["INT64_MAX", "INT64_MIN", "check_operand", "check_scalar", "int_out_of_range", "invalid_value"]

#: Every integer column is a signed 64-bit integer on every backend (SQLite INTEGER,
#: BIGINT elsewhere); a value outside this range cannot be sent, let alone stored.
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

_BASE_TYPES: Final[dict[str, Any]] = {
    "integer": int,
    "float": float,
    "boolean": bool,
    "string": str,
    "decimal": Decimal,
    "bytes": bytes,
    "datetime": _dt.datetime,
    "date": _dt.date,
    "time": _dt.time,
    "timedelta": _dt.timedelta,
    "uuid": uuid.UUID,
}

#: Values that are one SQL scalar whatever the column (for expressions without a column).
_SCALARS: Final = (str, int, float, Decimal, _dt.date, _dt.time, _dt.timedelta, uuid.UUID, enum.Enum)

# id(ColumnSpec) -> (spec, base type or None, adapter or None); specs live as long as their model.
_ADAPTERS: dict[int, tuple[ColumnSpec, Any, TypeAdapter[Any] | None]] = {}


def _adapter_of(spec: ColumnSpec) -> tuple[Any, TypeAdapter[Any] | None]:
    hit = _ADAPTERS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    base: Any = _BASE_TYPES.get(spec.type_name)
    if (
        spec.type_name == "enum"
        and isinstance(spec.python_type, type)
        and issubclass(spec.python_type, enum.Enum)
    ):
        base = spec.python_type
    adapter = TypeAdapter(base) if base is not None else None
    if spec.type_name == "json" and spec.python_type is not None:
        # Checked by the declared type, so the bind processor never serializes a value of
        # another shape (Pydantic would only warn and write whatever it was given).
        base = object
        adapter = TypeAdapter(spec.python_type)
    _ADAPTERS[id(spec)] = (spec, base, adapter)
    return base, adapter


def invalid_value(
    model: str | None, field: str, message: str, value: object, errors: list[dict[str, Any]] | None = None
) -> InvalidValue:
    """An :class:`InvalidValue` for ``field`` (of ``model``), with a Pydantic-style ``loc``."""
    errs = errors or [{"loc": (field,), "msg": message, "type": "value_error", "input": value}]
    where = f"{model}.{field}" if model else field
    return InvalidValue(f"{where}: {message}", errs, model=model)


def check_operand(model: str | None, spec: ColumnSpec, value: Any) -> Any:
    """``value`` validated for comparison with column ``spec`` (coerced like the model would).

    None passes through (``== None`` is ``IS NULL``; elsewhere it matches nothing, as before).
    """
    if value is None:
        return None
    base, adapter = _adapter_of(spec)
    if adapter is None:
        return value
    if type(value) is base:
        return value
    if base is not bytes and isinstance(value, (bytes, bytearray, memoryview)):
        # Pydantic's lax str/int/... accept bytes; a lookup must not (MySQL compares them as text).
        raise invalid_value(
            model, spec.field, f"expected a {base.__name__}, not {type(value).__name__} {value!r:.80}", value
        )
    try:
        return adapter.validate_python(value)
    except PydanticValidationError as e:
        errs = [{**err, "loc": (spec.field, *err.get("loc", ()))} for err in e.errors(include_url=False)]
        msg = "; ".join(str(err.get("msg")) for err in errs)
        raise invalid_value(
            model, spec.field, f"{msg} (got {type(value).__name__} {value!r:.80})", value, errs
        ) from None


def check_scalar(model: str | None, field: str, value: Any) -> Any:
    """``value`` if it is one SQL scalar (for an expression whose column type does not decide)."""
    if value is None or isinstance(value, _SCALARS):
        return value
    raise invalid_value(
        model, field, f"expected a single value, not {type(value).__name__} {value!r:.80}", value
    )


def int_out_of_range(spec: ColumnSpec | None, value: object) -> bool:
    """True when ``value`` is an int that no integer column can hold (outside signed 64 bits)."""
    return (
        spec is not None
        and spec.type_name == "integer"
        and type(value) is int
        and not (INT64_MIN <= value <= INT64_MAX)
    )
