"""SQL functions with typed results: count, sum, avg, min, max, coalesce, lower, upper, length."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar, overload

from .expr import Expr, FuncCall, as_expr

__all__ = ["avg", "coalesce", "count", "func", "length", "lower", "max", "min", "sum", "upper"]

M = TypeVar("M")
T = TypeVar("T")
Num = TypeVar("Num", int, float, Decimal)


@overload
def count() -> Expr[Any, int]: ...
@overload
def count(expr: Expr[M, Any], *, distinct: bool = ...) -> Expr[M, int]: ...
def count(expr: Expr[Any, Any] | None = None, *, distinct: bool = False) -> Expr[Any, int]:
    """``COUNT(*)`` or ``COUNT(expr)`` (``distinct=True`` for ``COUNT(DISTINCT expr)``)."""
    return FuncCall("count", () if expr is None else (expr,), int, distinct)


# Two overloads, not one union parameter: mypy cannot solve both M and the
# constrained Num from a union of generics.
@overload
def sum(expr: Expr[M, Num]) -> Expr[M, Num | None]: ...
@overload
def sum(expr: Expr[M, Num | None]) -> Expr[M, Num | None]: ...
def sum(expr: Expr[Any, Any]) -> Expr[Any, Any]:
    """``SUM(expr)``; None over no rows."""
    return FuncCall("sum", (expr,), _num_type(expr))


# The overloads overlap only for an ``Expr[M, None]``, which no column has.
@overload
def avg(expr: Expr[M, Decimal] | Expr[M, Decimal | None]) -> Expr[M, Decimal | None]: ...  # type: ignore[overload-overlap]
@overload
def avg(
    expr: Expr[M, int] | Expr[M, float] | Expr[M, int | None] | Expr[M, float | None],
) -> Expr[M, float | None]: ...
def avg(expr: Expr[Any, Any]) -> Expr[Any, Any]:
    """``AVG(expr)``; None over no rows."""
    t = _num_type(expr)
    return FuncCall("avg", (expr,), Decimal if t is Decimal else float)


def min(expr: Expr[M, T]) -> Expr[M, T | None]:
    return FuncCall("min", (expr,), _py_type(expr))


def max(expr: Expr[M, T]) -> Expr[M, T | None]:
    return FuncCall("max", (expr,), _py_type(expr))


def coalesce(expr: Expr[M, T | None], default: T | Expr[Any, T]) -> Expr[M, T]:
    return FuncCall("coalesce", (expr, as_expr(default, expr)), _py_type(expr))


def lower(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, str]:
    return FuncCall("lower", (expr,), str)


def upper(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, str]:
    return FuncCall("upper", (expr,), str)


def length(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, int]:
    return FuncCall("length", (expr,), int)


def _py_type(expr: Expr[Any, Any]) -> Any:
    from .expr import ColumnExpr

    if isinstance(expr, ColumnExpr):
        return expr.spec.python_type
    if isinstance(expr, FuncCall):
        return expr.result_type
    return None


def _num_type(expr: Expr[Any, Any]) -> Any:
    t = _py_type(expr)
    return t if t in (int, float, Decimal) else None


class _Func:
    """Namespace for the SQL functions: ``func.count()``, ``func.avg(User.score)``."""

    # Spelled out rather than ``count = staticmethod(count)``: type checkers keep only the
    # first signature of an overloaded function wrapped that way, and the public API
    # should declare each type.
    @staticmethod
    @overload
    def count() -> Expr[Any, int]: ...
    @staticmethod
    @overload
    def count(expr: Expr[M, Any], *, distinct: bool = ...) -> Expr[M, int]: ...
    @staticmethod
    def count(expr: Expr[Any, Any] | None = None, *, distinct: bool = False) -> Expr[Any, int]:
        return count() if expr is None else count(expr, distinct=distinct)

    @staticmethod
    @overload
    def avg(expr: Expr[M, Decimal] | Expr[M, Decimal | None]) -> Expr[M, Decimal | None]: ...  # type: ignore[overload-overlap]  # as avg()
    @staticmethod
    @overload
    def avg(
        expr: Expr[M, int] | Expr[M, float] | Expr[M, int | None] | Expr[M, float | None],
    ) -> Expr[M, float | None]: ...
    @staticmethod
    def avg(expr: Expr[Any, Any]) -> Expr[Any, Any]:
        return avg(expr)

    @staticmethod
    @overload
    def sum(expr: Expr[M, Num]) -> Expr[M, Num | None]: ...
    @staticmethod
    @overload
    def sum(expr: Expr[M, Num | None]) -> Expr[M, Num | None]: ...
    @staticmethod
    def sum(expr: Expr[Any, Any]) -> Expr[Any, Any]:
        return sum(expr)

    @staticmethod
    def min(expr: Expr[M, T]) -> Expr[M, T | None]:
        return min(expr)

    @staticmethod
    def max(expr: Expr[M, T]) -> Expr[M, T | None]:
        return max(expr)

    @staticmethod
    def coalesce(expr: Expr[M, T | None], default: T | Expr[Any, T]) -> Expr[M, T]:
        return coalesce(expr, default)

    @staticmethod
    def lower(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, str]:
        return lower(expr)

    @staticmethod
    def upper(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, str]:
        return upper(expr)

    @staticmethod
    def length(expr: Expr[M, str] | Expr[M, str | None]) -> Expr[M, int]:
        return length(expr)


func: _Func = _Func()
"""The SQL functions: ``select(User.age, func.count(), func.avg(User.score)).group_by(User.age)``."""
