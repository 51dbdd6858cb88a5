"""Typed, immutable SQL expression nodes: columns, parameters, predicates, functions, orderings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, NoReturn, TypeVar

from ..errors import InvalidArgument
from .closed import (
    ARITH_OPS,
    COMPARE_OPS,
    CONNECTORS,
    FUNCTIONS,
    LIKE_ESCAPES,
    NULLS,
    TEXT_MATCH_KINDS,
    check_flag,
    check_keyword,
)
from .values import INT64_MAX, INT64_MIN, check_operand, check_scalar, int_out_of_range, invalid_value

if TYPE_CHECKING:
    from ..schema.spec import ColumnSpec
    from .stmt import Select

__all__ = [
    "Assignment",
    "Between",
    "BinaryOp",
    "BoolOp",
    "ColumnExpr",
    "Compare",
    "Const",
    "Exists",
    "Expr",
    "FuncCall",
    "InList",
    "InSelect",
    "IsNull",
    "Label",
    "Like",
    "Not",
    "Ordering",
    "Param",
    "Predicate",
    "RawSQL",
    "SLOT",
    "ScalarSelect",
    "Slot",
    "TextMatch",
    "escape_like",
]

M = TypeVar("M")
T = TypeVar("T")
N = TypeVar("N")

LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """Escape LIKE wildcards (``%``, ``_``) and the escape character itself."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def _column_of(expr: object) -> ColumnSpec | None:
    """The column whose type governs how a value compared with ``expr`` is bound."""
    while True:
        if isinstance(expr, ColumnExpr):
            return expr.spec
        if isinstance(expr, (BinaryOp, Label)):
            expr = expr.left if isinstance(expr, BinaryOp) else expr.expr
            continue
        if isinstance(expr, FuncCall) and expr.name in ("coalesce", "min", "max") and expr.args:
            expr = expr.args[0]
            continue
        return None


def _where(like: object) -> tuple[str | None, str]:
    """(model name, field) to name in an error about a value compared with ``like``."""
    if isinstance(like, ColumnExpr):
        return getattr(like.model, "__name__", None), like.spec.field
    spec = _column_of(like)
    return None, spec.field if spec is not None else "value"


def _checked(value: object, like: object, loose: bool) -> object:
    """``value`` checked against the column ``like`` is compared with (see :mod:`.values`).

    ``loose`` (arithmetic: ``User.age * 1.5``) and expressions over a column only require
    one SQL scalar; a comparison with the column itself validates by the column's type.
    """
    if isinstance(like, ColumnExpr) and not loose:
        return check_operand(getattr(like.model, "__name__", None), like.spec, value)
    spec = _column_of(like)
    if spec is None:
        return check_scalar(None, "value", value)
    if spec.type_name not in _SCALAR_TYPE_NAMES:
        return value  # JSON and custom types bind what their own processor accepts
    model, field = _where(like)
    if int_out_of_range(spec, value):
        raise invalid_value(
            model,
            field,
            f"{value} is outside the range of an integer column ({INT64_MIN}..{INT64_MAX})",
            value,
        )
    if spec.type_name == "bytes" and isinstance(value, (bytes, bytearray)):
        return value
    return check_scalar(model, field, value)


_SCALAR_TYPE_NAMES = frozenset(
    {
        "integer",
        "float",
        "boolean",
        "string",
        "decimal",
        "bytes",
        "datetime",
        "date",
        "time",
        "timedelta",
        "uuid",
        "enum",
    }
)


def as_expr(value: object, like: object = None, *, loose: bool = False) -> Expr[Any, Any]:
    """``value`` as an expression: expressions pass through, anything else becomes a bound Param,
    checked against the column of ``like`` first (raises InvalidValue naming the field)."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, _select_type()):
        return ScalarSelect(value)  # type: ignore[arg-type]
    return Param(_checked(value, like, loose), _column_of(like))


_SELECT: list[type] = []


def _select_type() -> type:
    """``stmt.Select`` (imported once on first use: stmt imports this module)."""
    if not _SELECT:
        from .stmt import Select

        _SELECT.append(Select)
    return _SELECT[0]


def _false() -> Predicate[Any]:
    return Compare("=", Const(1), Const(0))


def _compare(op: str, left: Expr[Any, Any], other: object) -> Predicate[Any]:
    right = as_expr(other, left)
    if isinstance(right, Param) and int_out_of_range(right.column, right.value):
        # No integer column holds it, and drivers cannot even send it: decide here, the same
        # on every backend (matches nothing, or every non-NULL row for <> and the far side).
        v: int = right.value  # type: ignore[assignment]
        always_below = v > INT64_MAX  # every stored value is below v
        if op == "=" or (op in (">", ">=") and always_below) or (op in ("<", "<=") and not always_below):
            return _false()
        return IsNull(left, True)
    return Compare(op, left, right)


def _in_range(p: Expr[Any, Any]) -> bool:
    return not (isinstance(p, Param) and int_out_of_range(p.column, p.value))


def _in_values(expr: Expr[Any, Any], values: object, what: str) -> tuple[Expr[Any, Any], ...]:
    model, field = _where(expr)
    if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(values, Iterable):
        raise invalid_value(
            model,
            field,
            f"{what} takes an iterable of values, not a single "
            f"{'string' if isinstance(values, (str, bytes, bytearray)) else type(values).__name__}"
            f" {values!r:.80}",
            values,
        )
    # An int no column can hold matches nothing: leave it out rather than send it.
    return tuple(p for p in (as_expr(v, expr) for v in values) if _in_range(p))


class Expr(Generic[M, T]):
    """An SQL expression over rows of model ``M`` producing a ``T``.

    Comparison operators build :class:`Predicate` objects (never ``bool``), so
    ``User.age >= 18`` is a ``Predicate[User]``.
    """

    __slots__ = ()

    # --- comparisons -------------------------------------------------------------
    # Narrowing the operand of __eq__/__ne__ violates object's signature: intended.
    def __eq__(self, other: T | Expr[Any, T]) -> Predicate[M]:  # type: ignore[override]
        if other is None:
            return IsNull(self, False)
        return _compare("=", self, other)

    def __ne__(self, other: T | Expr[Any, T]) -> Predicate[M]:  # type: ignore[override]
        if other is None:
            return IsNull(self, True)
        return _compare("<>", self, other)

    def __lt__(self, other: T | Expr[Any, T]) -> Predicate[M]:
        return _compare("<", self, other)

    def __le__(self, other: T | Expr[Any, T]) -> Predicate[M]:
        return _compare("<=", self, other)

    def __gt__(self, other: T | Expr[Any, T]) -> Predicate[M]:
        return _compare(">", self, other)

    def __ge__(self, other: T | Expr[Any, T]) -> Predicate[M]:
        return _compare(">=", self, other)

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> NoReturn:
        raise InvalidArgument(
            "an SQL expression has no truth value: use & | ~ instead of and/or/not, "
            "and pass predicates to filter() instead of testing them with if",
            argument="expression",
        )

    # --- arithmetic ----------------------------------------------------------------
    def __add__(self, other: T | Expr[Any, T]) -> Expr[M, T]:
        return BinaryOp("+", self, as_expr(other, self, loose=True))

    def __radd__(self, other: T) -> Expr[M, T]:
        return BinaryOp("+", as_expr(other, self, loose=True), self)

    def __sub__(self, other: T | Expr[Any, T]) -> Expr[M, T]:
        return BinaryOp("-", self, as_expr(other, self, loose=True))

    def __rsub__(self, other: T) -> Expr[M, T]:
        return BinaryOp("-", as_expr(other, self, loose=True), self)

    def __mul__(self, other: T | Expr[Any, T]) -> Expr[M, T]:
        return BinaryOp("*", self, as_expr(other, self, loose=True))

    def __rmul__(self, other: T) -> Expr[M, T]:
        return BinaryOp("*", as_expr(other, self, loose=True), self)

    def __truediv__(self, other: T | Expr[Any, T]) -> Expr[M, T]:
        return BinaryOp("/", self, as_expr(other, self, loose=True))

    def __mod__(self, other: T | Expr[Any, T]) -> Expr[M, T]:
        return BinaryOp("%", self, as_expr(other, self, loose=True))

    def __neg__(self) -> Expr[M, T]:
        return BinaryOp("-", Const(0), self)

    # --- predicates ----------------------------------------------------------------
    def in_(self, values: Iterable[T] | Select[Any, Any]) -> Predicate[M]:
        """``col IN (...)``; an empty list matches nothing. Also takes a ``select()`` subquery."""
        from .stmt import Select

        if isinstance(values, Select):
            return InSelect(self, values, False)
        return InList(self, _in_values(self, values, "in_()"), False)

    def not_in(self, values: Iterable[T] | Select[Any, Any]) -> Predicate[M]:
        """``col NOT IN (...)``; an empty list matches everything."""
        from .stmt import Select

        if isinstance(values, Select):
            return InSelect(self, values, True)
        return InList(self, _in_values(self, values, "not_in()"), True)

    def is_null(self) -> Predicate[M]:
        """``IS NULL``: ``users.filter(User.age.is_null())``."""
        return IsNull(self, False)

    def is_not_null(self) -> Predicate[M]:
        """``IS NOT NULL``: ``users.filter(User.age.is_not_null())``."""
        return IsNull(self, True)

    def between(self, low: T | Expr[Any, T], high: T | Expr[Any, T]) -> Predicate[M]:
        """Inclusive range: ``users.filter(User.age.between(18, 65))``."""
        lo, hi = as_expr(low, self), as_expr(high, self)
        if _in_range(lo) and _in_range(hi):
            return Between(self, lo, hi)
        # A bound no integer column can hold: decide it here (see _compare).
        parts: list[Predicate[M]] = []
        for bound, op in ((lo, ">="), (hi, "<=")):
            if _in_range(bound):
                parts.append(Compare(op, self, bound))
            elif (bound.value > INT64_MAX) == (op == ">="):  # type: ignore[attr-defined]
                return _false()
        if not parts:
            return IsNull(self, True)
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def like(self, pattern: str, *, escape: str | None = None) -> Predicate[M]:
        """``col LIKE pattern``: the pattern is used as given (``%`` and ``_`` are wildcards)."""
        return Like(self, Param(_pattern(self, pattern), None), False, escape)

    def ilike(self, pattern: str, *, escape: str | None = None) -> Predicate[M]:
        """Case-insensitive LIKE (``ILIKE`` on PostgreSQL, ``LOWER() LIKE LOWER()`` elsewhere)."""
        return Like(self, Param(_pattern(self, pattern), None), True, escape)

    def contains(self, text: str) -> Predicate[M]:
        """Case-sensitive substring match; ``%``, ``_`` and ``\\`` in ``text`` match literally."""
        return TextMatch(self, text, "contains", False)

    def icontains(self, text: str) -> Predicate[M]:
        """Case-insensitive substring match (ASCII case folding on SQLite)."""
        return TextMatch(self, text, "contains", True)

    def startswith(self, text: str) -> Predicate[M]:
        """Case-sensitive prefix, wildcards in ``text`` escaped: ``User.name.startswith("J")``."""
        return TextMatch(self, text, "startswith", False)

    def istartswith(self, text: str) -> Predicate[M]:
        """Case-insensitive (ASCII) prefix: ``User.name.istartswith("j")``."""
        return TextMatch(self, text, "startswith", True)

    def endswith(self, text: str) -> Predicate[M]:
        """Case-sensitive suffix, wildcards in ``text`` escaped: ``User.email.endswith(".org")``."""
        return TextMatch(self, text, "endswith", False)

    def iendswith(self, text: str) -> Predicate[M]:
        """Case-insensitive (ASCII) suffix: ``User.email.iendswith(".ORG")``."""
        return TextMatch(self, text, "endswith", True)

    def iexact(self, text: str) -> Predicate[M]:
        """Case-insensitive equality."""
        return TextMatch(self, text, "exact", True)

    # --- ordering ------------------------------------------------------------------
    def asc(self, *, nulls: Literal["first", "last"] | None = None) -> Ordering[M]:
        """Ascending order, NULLs first or last if given: ``User.age.asc(nulls="last")``."""
        return Ordering(self, False, nulls)

    def desc(self, *, nulls: Literal["first", "last"] | None = None) -> Ordering[M]:
        """Descending order, NULLs first or last if given: ``User.age.desc(nulls="last")``."""
        return Ordering(self, True, nulls)

    def label(self, name: str) -> Label[M, T]:
        """Name the expression in a select list (``AS name``); the name must be an identifier."""
        return Label(self, name)


def _pattern(expr: Expr[Any, Any], pattern: object) -> str:
    if not isinstance(pattern, str):
        model, field = _where(expr)
        raise invalid_value(
            model, field, f"expected a str pattern, got {type(pattern).__name__}: {pattern!r:.80}", pattern
        )
    return pattern


class ColumnExpr(Expr[M, T]):
    """A model's column at class level: ``User.age`` is ``ColumnExpr[User, int]``."""

    __slots__ = ("model", "spec")

    def __init__(self, model: type[M], spec: ColumnSpec) -> None:
        self.model: type[M] = model
        self.spec: ColumnSpec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def field(self) -> str:
        return self.spec.field

    def __repr__(self) -> str:
        return f"{getattr(self.model, '__name__', self.model)}.{self.spec.field}"

    def __hash__(self) -> int:
        return hash((self.model, self.spec.field))

    def set(self, value: T | Expr[Any, T]) -> Assignment[M]:
        """An assignment for ``update()``: ``User.age.set(31)`` or ``User.n.set(User.n + 1)``."""
        return Assignment(self, value)


from ..schema.columns import register_expression_factory  # noqa: E402

register_expression_factory(ColumnExpr)


class Param(Expr[Any, Any]):
    """A bound parameter; ``column`` (if known) decides how the value is converted for the driver."""

    __slots__ = ("column", "value")

    def __init__(self, value: object, column: ColumnSpec | None) -> None:
        self.value: object = value
        self.column: ColumnSpec | None = column

    def __repr__(self) -> str:
        return f"Param({self.value!r})"


class Const(Expr[Any, Any]):
    """A literal written into SQL text: only ints and ``NULL``, never user data."""

    __slots__ = ("value",)

    def __init__(self, value: int | None) -> None:
        if value is not None and type(value) is not int:
            raise InvalidArgument(f"Const holds only int literals, not {value!r}", argument="Const")
        self.value: int | None = value


class _SlotValue:
    """The value a compiled :class:`Slot` leaves in ``params``: filled in per call, never sent."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SLOT"


#: stands in ``Compiled.params`` for each :class:`Slot`
SLOT: Any = _SlotValue()


class Slot(Expr[Any, Any]):
    """A placeholder without a value: where a statement *shape* takes a parameter.

    A shape (``select ... where id = Slot()``) is compiled once and its SQL text cached; each
    call then supplies the values in placeholder order. The cache key is the shape, never values.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "Slot()"


class RawSQL(Expr[Any, Any]):
    """A trusted SQL fragment from code (never from user input), with its own parameters."""

    __slots__ = ("params", "sql")

    def __init__(self, sql: str, params: tuple[object, ...] = ()) -> None:
        self.sql: str = sql
        self.params: tuple[object, ...] = params


class BinaryOp(Expr[M, T]):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Expr[Any, Any], right: Expr[Any, Any]) -> None:
        self.op: str = check_keyword(op, ARITH_OPS, "arithmetic operator")
        self.left: Expr[Any, Any] = left
        self.right: Expr[Any, Any] = right


class FuncCall(Expr[M, T]):
    """An SQL function call; ``name`` comes from typedorm's fixed list, never from input."""

    __slots__ = ("args", "distinct", "name", "result_type")

    def __init__(
        self, name: str, args: tuple[Expr[Any, Any], ...], result_type: Any = None, distinct: bool = False
    ) -> None:
        self.name: str = check_keyword(name, FUNCTIONS, "function")
        self.args: tuple[Expr[Any, Any], ...] = args
        self.result_type: Any = result_type
        self.distinct: bool = check_flag(distinct, "distinct")


class Label(Expr[M, T]):
    __slots__ = ("expr", "name")

    def __init__(self, expr: Expr[M, T], name: str) -> None:
        from ..schema.naming import check_identifier

        self.expr: Expr[M, T] = expr
        try:
            self.name: str = check_identifier(name, "label")
        except ValueError as e:
            raise InvalidArgument(str(e), argument="label") from None


class ScalarSelect(Expr[Any, Any]):
    __slots__ = ("select",)

    def __init__(self, select: Select[Any, Any]) -> None:
        self.select: Select[Any, Any] = select


class Predicate(Expr[M, bool]):
    """A boolean SQL condition over rows of ``M``; combine with ``&``, ``|`` and ``~``.

    Example: ``users.filter((User.age >= 18) & ~User.name.startswith("x"))``
    """

    __slots__ = ()

    def __and__(self, other: Predicate[M]) -> Predicate[M]:
        return BoolOp("AND", (self, _as_predicate(other)))

    def __or__(self, other: Predicate[M]) -> Predicate[M]:
        return BoolOp("OR", (self, _as_predicate(other)))

    def __invert__(self) -> Predicate[M]:
        return Not(self)


def _as_predicate(p: object) -> Predicate[Any]:
    if isinstance(p, Predicate):
        return p
    raise InvalidArgument(
        f"expected a predicate (like User.age >= 18), got {type(p).__name__}: {p!r}", argument="expression"
    )


class Compare(Predicate[M]):
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Expr[Any, Any], right: Expr[Any, Any]) -> None:
        self.op: str = check_keyword(op, COMPARE_OPS, "comparison operator")
        self.left: Expr[Any, Any] = left
        self.right: Expr[Any, Any] = right


class BoolOp(Predicate[M]):
    __slots__ = ("op", "parts")
    op: Literal["AND", "OR"]
    parts: tuple[Predicate[Any], ...]

    def __init__(self, op: Literal["AND", "OR"], parts: tuple[Predicate[Any], ...]) -> None:
        check_keyword(op, CONNECTORS, "connector")
        flat: list[Predicate[Any]] = []
        for p in parts:
            if isinstance(p, BoolOp) and p.op == op:
                flat.extend(p.parts)
            else:
                flat.append(p)
        self.op = op
        self.parts = tuple(flat)


class Not(Predicate[M]):
    __slots__ = ("inner",)

    def __init__(self, inner: Predicate[Any]) -> None:
        self.inner: Predicate[Any] = inner


class InList(Predicate[M]):
    __slots__ = ("expr", "negate", "values")

    def __init__(self, expr: Expr[Any, Any], values: tuple[Expr[Any, Any], ...], negate: bool) -> None:
        self.expr: Expr[Any, Any] = expr
        self.values: tuple[Expr[Any, Any], ...] = values
        self.negate: bool = negate


class InSelect(Predicate[M]):
    __slots__ = ("expr", "negate", "select")

    def __init__(self, expr: Expr[Any, Any], select: Select[Any, Any], negate: bool) -> None:
        self.expr: Expr[Any, Any] = expr
        self.select: Select[Any, Any] = select
        self.negate: bool = negate


class Exists(Predicate[M]):
    __slots__ = ("negate", "select")

    def __init__(self, select: Select[Any, Any], negate: bool = False) -> None:
        self.select: Select[Any, Any] = select
        self.negate: bool = negate

    def __invert__(self) -> Predicate[M]:
        return Exists(self.select, not self.negate)


class IsNull(Predicate[M]):
    __slots__ = ("expr", "negate")

    def __init__(self, expr: Expr[Any, Any], negate: bool) -> None:
        self.expr: Expr[Any, Any] = expr
        self.negate: bool = negate


class Between(Predicate[M]):
    __slots__ = ("expr", "high", "low")

    def __init__(self, expr: Expr[Any, Any], low: Expr[Any, Any], high: Expr[Any, Any]) -> None:
        self.expr: Expr[Any, Any] = expr
        self.low: Expr[Any, Any] = low
        self.high: Expr[Any, Any] = high


class Like(Predicate[M]):
    __slots__ = ("ci", "escape", "expr", "pattern")

    def __init__(self, expr: Expr[Any, Any], pattern: Param, ci: bool, escape: str | None) -> None:
        if escape is not None:
            if not isinstance(escape, str) or len(escape) != 1:
                raise InvalidArgument(
                    f"LIKE escape must be a single character, not {escape!r}", argument="escape"
                )
            check_keyword(escape, LIKE_ESCAPES, "LIKE escape")
        self.expr: Expr[Any, Any] = expr
        self.pattern: Param = pattern
        self.ci: bool = ci
        self.escape: str | None = escape


class TextMatch(Predicate[M]):
    """contains / startswith / endswith / iexact: each dialect builds a pattern with the text escaped."""

    __slots__ = ("ci", "expr", "kind", "text")

    def __init__(
        self,
        expr: Expr[Any, Any],
        text: str,
        kind: Literal["contains", "startswith", "endswith", "exact"],
        ci: bool,
    ) -> None:
        if not isinstance(text, str):
            model, field = _where(expr)
            raise invalid_value(
                model, field, f"expected a str to match, got {type(text).__name__}: {text!r:.80}", text
            )
        check_keyword(kind, TEXT_MATCH_KINDS, "text match")
        self.ci: bool = check_flag(ci, "ci")
        self.expr: Expr[Any, Any] = expr
        self.text: str = text
        self.kind: Literal["contains", "startswith", "endswith", "exact"] = kind


class Ordering(Generic[M]):
    """``ORDER BY`` item: ``User.age.desc()``; ``nulls`` is ``"first"``, ``"last"`` or None."""

    __slots__ = ("descending", "expr", "nulls")

    def __init__(
        self, expr: Expr[Any, Any], descending: bool, nulls: Literal["first", "last"] | None = None
    ) -> None:
        if nulls is not None:
            check_keyword(nulls, NULLS, "nulls")
        self.expr: Expr[Any, Any] = expr
        self.descending: bool = check_flag(descending, "descending")
        self.nulls: Literal["first", "last"] | None = nulls


class Assignment(Generic[M]):
    """``SET column = value`` for update statements."""

    __slots__ = ("column", "value")

    def __init__(self, column: ColumnExpr[M, Any], value: object) -> None:
        self.column: ColumnExpr[M, Any] = column
        self.value: Expr[Any, Any] = as_expr(value, column)
