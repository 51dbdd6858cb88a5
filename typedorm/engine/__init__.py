"""Connections, pooling, transactions and statement execution."""

from .core import QueryCounter
from .database import Database, Result, Transaction
from .url import URL, make_url

__all__ = ["URL", "Database", "QueryCounter", "Result", "Transaction", "make_url"]
