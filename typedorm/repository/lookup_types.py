"""Types that carry a model's Django-style lookup keywords from ``typedorm stubs`` into ``filter_by``.

``Model`` declares ``__typedorm_filter_by__`` / ``__typedorm_exclude__`` for type checkers only,
taking any keyword. The stub that ``typedorm stubs`` writes for a models module overrides both per
model with that model's own keywords (``age__gte: int``, ``author__name: str``, ...). For type
checkers, ``Repository[M].filter_by`` is a :class:`FilterBy` of ``M``, whose ``__call__`` takes the
parameters of ``M.__typedorm_filter_by__`` (a ParamSpec solved through a protocol), so both mypy and
pyright check the keywords without a plugin; a model without a stub keeps taking any keyword. At
run time these classes are never instantiated: ``filter_by`` is an ordinary method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, ParamSpec, Protocol, TypeVar

if TYPE_CHECKING:
    from ..schema.model import Model
    from .aio_query import AsyncQuery
    from .query import Query

__all__ = ["AsyncExclude", "AsyncFilterBy", "Exclude", "FilterBy", "HasExclude", "HasFilterBy"]

P = ParamSpec("P")
M = TypeVar("M", bound="Model")
T_co = TypeVar("T_co", covariant=True)
# Covariant, so that ``FilterBy[User]`` matches the ``self`` type ``FilterBy[HasFilterBy[P, M]]``.
O_co = TypeVar("O_co", covariant=True)

_RUNTIME = "typed lookups exist for type checkers only"


class HasFilterBy(Protocol[P, T_co]):
    """A model whose ``filter_by`` keywords are the parameters ``P``."""

    def __typedorm_filter_by__(self, *args: P.args, **kwargs: P.kwargs) -> T_co: ...


class HasExclude(Protocol[P, T_co]):
    """A model whose ``exclude`` arguments are the parameters ``P``."""

    def __typedorm_exclude__(self, *args: P.args, **kwargs: P.kwargs) -> T_co: ...


class FilterBy(Generic[O_co]):
    """``Repository[M].filter_by`` / ``Query[M].filter_by`` as type checkers see them."""

    def __call__(self: FilterBy[HasFilterBy[P, M]], *args: P.args, **kwargs: P.kwargs) -> Query[M]:
        """Django-style lookups: ``filter_by(age__gte=18, name__startswith="J")``."""
        raise NotImplementedError(_RUNTIME)


class Exclude(Generic[O_co]):
    """``Repository[M].exclude`` / ``Query[M].exclude`` as type checkers see them."""

    def __call__(self: Exclude[HasExclude[P, M]], *args: P.args, **kwargs: P.kwargs) -> Query[M]:
        """Rows NOT matching all the given predicates, ``Q`` objects and lookups."""
        raise NotImplementedError(_RUNTIME)


class AsyncFilterBy(Generic[O_co]):
    """``AsyncRepository[M].filter_by`` / ``AsyncQuery[M].filter_by`` as type checkers see them."""

    def __call__(self: AsyncFilterBy[HasFilterBy[P, M]], *args: P.args, **kwargs: P.kwargs) -> AsyncQuery[M]:
        """Django-style lookups: ``filter_by(age__gte=18, name__startswith="J")``."""
        raise NotImplementedError(_RUNTIME)


class AsyncExclude(Generic[O_co]):
    """``AsyncRepository[M].exclude`` / ``AsyncQuery[M].exclude`` as type checkers see them."""

    def __call__(self: AsyncExclude[HasExclude[P, M]], *args: P.args, **kwargs: P.kwargs) -> AsyncQuery[M]:
        """Rows NOT matching all the given predicates, ``Q`` objects and lookups."""
        raise NotImplementedError(_RUNTIME)
