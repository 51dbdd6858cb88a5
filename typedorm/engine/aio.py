"""The former home of ``AsyncDatabase`` (now ``aio_database``), kept so existing imports work."""

from .aio_database import AsyncDatabase, AsyncTransaction

__all__ = ["AsyncDatabase", "AsyncTransaction"]
