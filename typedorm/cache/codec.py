"""Cached rows as data: a tagged JSON encoding of driver values, and copies that keep the cache untouched.

A shared cache (Redis) is network input, so entries are plain JSON, never pickles: a value is a
JSON scalar, or a one-key object whose tag names one of a closed set of types (``Decimal``,
``datetime``, ``bytes``, ...). A value of any other type is not encodable, and its result is
simply not stored.
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import json
import math
import sys
import uuid
from decimal import Decimal
from itertools import chain
from typing import Any

__all__ = [
    "Unencodable",
    "decode_payload",
    "encode_payload",
    "fresh_rows",
    "has_mutable",
    "params_key",
    "size_of",
]


class Unencodable(Exception):
    """A value the cache cannot store as data (the result is served, not stored)."""


_PLAIN = (str, int, bool, type(None))


def _enc(v: Any) -> Any:
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        return v if math.isfinite(v) else {"F": repr(v)}
    if t is Decimal:
        return {"D": str(v)}
    if t is _dt.datetime:
        return {"T": v.isoformat()}
    if t is _dt.date:
        return {"d": v.isoformat()}
    if t is _dt.time:
        return {"t": v.isoformat()}
    if t is _dt.timedelta:
        return {"S": [v.days, v.seconds, v.microseconds]}
    if t is bytes or t is bytearray or t is memoryview:
        return {"B": base64.b64encode(bytes(v)).decode("ascii")}
    if t is uuid.UUID:
        return {"U": str(v)}
    if t is list or t is tuple:
        return {"L" if t is list else "P": [_enc(x) for x in v]}
    if t is dict:
        items = []
        for k, x in v.items():
            if type(k) is not str:
                raise Unencodable(f"a dict key of type {type(k).__name__}")
            items.append([k, _enc(x)])
        return {"M": items}
    raise Unencodable(f"a value of type {t.__module__}.{t.__qualname__}")


_DECODERS: dict[str, Any] = {
    "F": float,
    "D": Decimal,
    "T": _dt.datetime.fromisoformat,
    "d": _dt.date.fromisoformat,
    "t": _dt.time.fromisoformat,
    "S": lambda a: _dt.timedelta(days=a[0], seconds=a[1], microseconds=a[2]),
    "B": lambda s: base64.b64decode(s.encode("ascii"), validate=True),
    "U": uuid.UUID,
    "L": lambda a: [_dec(x) for x in a],
    "P": lambda a: tuple(_dec(x) for x in a),
    "M": lambda a: {str(k): _dec(x) for k, x in a},
}


def _dec(v: Any) -> Any:
    if type(v) is dict:
        if len(v) != 1:
            raise ValueError("a cached value object has exactly one tag")
        ((tag, body),) = v.items()
        fn = _DECODERS.get(tag)
        if fn is None:
            raise ValueError(f"unknown cached value tag {tag!r}")
        return fn(body)
    if type(v) is list:
        raise ValueError("a bare list in a cached row")
    return v


def encode_payload(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as JSON-ready lists (raises :class:`Unencodable`)."""
    return [[_enc(v) for v in r] for r in rows]


def decode_payload(data: Any) -> list[tuple[Any, ...]]:
    """Rows back from :func:`encode_payload`'s output (raises ValueError on anything malformed)."""
    if type(data) is not list:
        raise ValueError("cached rows are a list")
    out = []
    for r in data:
        if type(r) is not list:
            raise ValueError("a cached row is a list")
        out.append(tuple(_dec(v) for v in r))
    return out


def params_key(params: Any) -> str:
    """Statement parameters as a canonical string (types included: 1, 1.0 and True differ)."""
    try:
        return json.dumps(
            [_enc(p) if type(p) is not float else {"f": repr(p)} for p in params],
            separators=(",", ":"),
            ensure_ascii=False,
        )
    except Unencodable:
        # A parameter the codec does not know (a custom type's adapted value): its repr, with its type.
        return repr([(type(p).__qualname__, p) for p in params])


_IMMUTABLE = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        bytes,
        Decimal,
        _dt.datetime,
        _dt.date,
        _dt.time,
        _dt.timedelta,
        uuid.UUID,
    }
)


def has_mutable(rows: list[tuple[Any, ...]]) -> bool:
    """Whether any value in ``rows`` could be changed in place by a caller (a JSON column's dict...)."""
    return not _IMMUTABLE.issuperset(map(type, chain.from_iterable(rows)))


def fresh_rows(rows: list[tuple[Any, ...]], mutable: bool) -> list[tuple[Any, ...]]:
    """Rows a caller may keep: mutable values are deep-copied, so the cache never changes."""
    return copy.deepcopy(rows) if mutable else list(rows)


def size_of(rows: list[tuple[Any, ...]]) -> int:
    """An estimate of the memory ``rows`` hold, in bytes (the object sizes, without sharing): over
    two rows, from the first and the middle one."""
    n = len(rows)
    if n > 2:
        return sys.getsizeof(rows) + int(size_of([rows[0], rows[n // 2]]) * n / 2)
    total = sys.getsizeof(rows)
    for r in rows:
        total += sys.getsizeof(r)
        for v in r:
            total += _deep_size(v) if isinstance(v, (list, dict, tuple)) else sys.getsizeof(v)
    return total


def _deep_size(v: Any) -> int:
    n = sys.getsizeof(v)
    if isinstance(v, dict):
        for k, x in v.items():
            n += sys.getsizeof(k) + _deep_size(x)
    elif isinstance(v, (list, tuple)):
        for x in v:
            n += _deep_size(x)
    return n
