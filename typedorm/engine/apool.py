"""The former home of the asyncio pools (now ``aio_pool``), kept so existing imports work."""

from .aio_pool import AsyncQueuePool, AsyncStaticPool, create_async_pool, uncancellable

__all__ = ["AsyncQueuePool", "AsyncStaticPool", "create_async_pool", "uncancellable"]
