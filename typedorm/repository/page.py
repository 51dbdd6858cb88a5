"""``Page[M]``: one page of query results, the same class for ``Query`` and ``AsyncQuery``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ..schema.model import Model

__all__ = ["Page"]

M = TypeVar("M", bound="Model")


@dataclass(frozen=True)
class Page(Generic[M]):
    """One page of results: ``items`` plus the numbers a paginator needs (``page`` is 1-based)."""

    items: list[M]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1
