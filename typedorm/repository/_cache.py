"""What the repository passes to the query cache: checked options and the tables a query reads."""

from __future__ import annotations

from ..cache.hook import Reads, reads_of
from ..errors import InvalidArgument

__all__ = ["CacheOptions", "Reads", "cache_options", "get_options", "reads_for", "reads_of"]

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
