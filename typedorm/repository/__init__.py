"""Repositories: validated model instances to rows and back, typed queries, hooks; sync and asyncio."""

from .aio_query import AsyncQuery
from .aio_repo import AsyncRepository
from .hooks import add_hook, hook
from .page import Page
from .query import Query
from .repo import Repository

__all__ = ["AsyncQuery", "AsyncRepository", "Page", "Query", "Repository", "add_hook", "hook"]
