"""Query-result caching that is never stale after a commit: ``MemoryCache`` (this process) and
``RedisCache`` (shared by every process), passed to ``Database(..., cache=...)``.

Nothing is cached unless asked (``query.cached(ttl=30)``, ``repo.get(pk, cached=True)``). Each
entry is checked against the generations of every table its query reads; every write typedorm
runs advances the generations of the tables it changes once its transaction commits.
"""

from __future__ import annotations

from .base import Cache, CacheStats, NoCache
from .memory import MemoryCache
from .redis_cache import RedisCache

__all__ = ["Cache", "CacheStats", "MemoryCache", "NoCache", "RedisCache"]
