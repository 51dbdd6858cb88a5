"""Repositories: validated model instances to rows and back, typed queries, hooks."""

from .hooks import add_hook, hook
from .query import Page, Query
from .repo import Repository

__all__ = ["Page", "Query", "Repository", "add_hook", "hook"]
