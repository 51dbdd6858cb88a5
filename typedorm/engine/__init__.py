"""Connections, pooling, transactions and statement execution."""

from .aio_database import AsyncDatabase, AsyncTransaction
from .core import QueryCounter
from .database import Database, Result, Transaction
from .url import URL, make_url

__all__ = [
    "URL",
    "AsyncDatabase",
    "AsyncTransaction",
    "Database",
    "QueryCounter",
    "Result",
    "Transaction",
    "make_url",
]
