"""What the repository passes to the query cache: checked options and the tables a query reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..cache.base import MISS
from ..cache.hook import Reads, key_reads, reads_of
from ..errors import InvalidArgument
from ..sql.expr import BoolOp, ColumnExpr, Compare, InList, Param

__all__ = [
    "MISS",
    "CacheOptions",
    "Reads",
    "cache_options",
    "get_options",
    "key_reads",
    "reads_for",
    "reads_of",
    "where_keys",
]

#: (ttl, in_snapshot) of a cached query
CacheOptions = tuple[float | None, bool]


def cache_options(ttl: object, in_snapshot: object) -> CacheOptions:
    """``.cached(ttl, in_snapshot=...)``'s arguments, checked."""
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0):
        raise InvalidArgument(
            f"ttl must be a positive number of seconds or None, not {ttl!r}", argument="ttl"
        )
    if not isinstance(in_snapshot, bool):
        raise InvalidArgument(
            f"in_snapshot must be True or False, not {in_snapshot!r}", argument="in_snapshot"
        )
    return (None if ttl is None else float(ttl), in_snapshot)


def get_options(cached: object) -> CacheOptions | None:
    """``get(pk, cached=...)``: False (not cached), True (the cache's default TTL) or a TTL in seconds."""
    if cached is False:
        return None
    if cached is True:
        return (None, False)
    if isinstance(cached, (int, float)) and not isinstance(cached, bool) and cached > 0:
        return (float(cached), False)
    raise InvalidArgument(
        f"cached must be True, False or a positive TTL in seconds, not {cached!r}", argument="cached"
    )


# SQL text -> the tables it reads. The text names every table a statement reads, so statements with
# the same text read the same tables: the walk over the statement object runs once per text.
_READS: dict[str, Reads] = {}


def reads_for(sql: str, *objs: object) -> Reads:
    """The tables statement ``sql`` reads, found in ``objs`` (the statement, or for the queries
    ``load()`` runs, the load paths: a superset of what that statement reads) on first sight."""
    found = _READS.get(sql)
    if found is None:
        found = reads_of(*objs)
        if len(_READS) >= 4096:
            _READS.clear()
        _READS[sql] = found
    return found


def where_keys(mapper: Any, where: Sequence[object]) -> list[list[Any]] | None:
    """The primary keys (bound parameters) of the only rows a write filtered by ``where`` (ANDed
    predicates) can change, when one of them names the key: ``User.id == 5``,
    ``User.id.in_([...])``, for a composite key every key column ``==`` a value; else None. Lets
    the query cache keep the cached gets of every other row."""
    conjuncts: list[object] = []
    for p in where:
        if type(p) is BoolOp and p.op == "AND":
            conjuncts.extend(p.parts)
        else:
            conjuncts.append(p)
    model = mapper.model
    fields = [c.field for c in mapper.pk_cols]
    equal: dict[str, Any] = {}
    for p in conjuncts:
        if type(p) is Compare:
            col, right = p.left, p.right
            if p.op != "=" or type(right) is not Param:
                continue
            values = [right.value]
        elif type(p) is InList:
            col = p.expr
            if p.negate or any(type(v) is not Param for v in p.values):
                continue
            values = [v.value for v in p.values]  # type: ignore[attr-defined]
        else:
            continue
        if type(col) is not ColumnExpr or col.model is not model or col.spec.field not in fields:
            continue
        if len(fields) == 1:
            return _keys(mapper, values)
        if len(values) == 1:
            equal.setdefault(col.spec.field, values[0])
    if len(fields) > 1 and len(equal) == len(fields):
        return _keys(mapper, [tuple(equal[f] for f in fields)])
    return None


def _keys(mapper: Any, values: list[Any]) -> list[list[Any]] | None:
    try:
        return [mapper.pk_params(v) for v in values]
    except Exception:  # a value the key cannot hold: no row has it; be safe, invalidate widely
        return None
