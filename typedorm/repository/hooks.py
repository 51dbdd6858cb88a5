"""Write hooks (before/after insert, update, delete), per repository or per model.

A hook is a plain function, or under an ``AsyncRepository`` also an ``async def`` one (awaited);
a sync ``Repository`` refuses a hook that returns an awaitable with a TypeError.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

__all__ = ["EVENTS", "HookEvent", "Hooks", "add_hook", "hook", "hooks_version", "model_hooks"]

HookEvent = Literal[
    "before_insert", "after_insert", "before_update", "after_update", "before_delete", "after_delete"
]
EVENTS: tuple[HookEvent, ...] = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
)

M = TypeVar("M")
F = TypeVar("F", bound=Callable[..., Any])


class Hooks:
    """Hook functions by event. A ``before_*`` hook may return a replacement instance."""

    __slots__ = ("_by_event",)

    def __init__(self) -> None:
        self._by_event: dict[str, list[Callable[[Any], Any]]] = {}

    def add(self, event: str, fn: Callable[[Any], Any]) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown hook event {event!r}; events: {', '.join(EVENTS)}")
        if not callable(fn):
            raise TypeError(f"a hook must be callable, not {fn!r}")
        self._by_event.setdefault(event, []).append(fn)
        global _version
        _version += 1

    def get(self, event: str) -> list[Callable[[Any], Any]]:
        return self._by_event.get(event, [])

    def __bool__(self) -> bool:
        return any(self._by_event.values())


_MODEL_HOOKS: dict[type[Any], Hooks] = {}

#: Bumped whenever any hook is registered, so repositories can cache their hook lists.
_version = 0


def hooks_version() -> int:
    return _version


def model_hooks(model: type[Any]) -> list[Hooks]:
    """The model-level hooks of ``model`` and of its base classes, base first."""
    return [_MODEL_HOOKS[c] for c in reversed(model.__mro__) if c in _MODEL_HOOKS]


def add_hook(model: type[M], event: HookEvent, fn: Callable[[M], M | Awaitable[M | None] | None]) -> None:
    """Register ``fn`` for ``event`` on every repository of ``model`` (and its subclasses); an ``async def``
    hook runs only in an ``AsyncRepository``."""
    _MODEL_HOOKS.setdefault(model, Hooks()).add(event, fn)


def hook(model: type[M], event: HookEvent) -> Callable[[F], F]:
    """Decorator form of :func:`add_hook`::

    @hook(User, "before_insert")
    def normalise(user: User) -> User:
        return user.model_copy(update={"email": user.email.lower()})
    """

    def deco(fn: F) -> F:
        add_hook(model, event, fn)
        return fn

    return deco
