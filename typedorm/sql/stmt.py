"""Immutable statement trees: Select (with a typed overload ladder), Insert, Update, Delete and DDL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ..errors import InvalidArgument
from .closed import check_count
from .expr import Assignment, ColumnExpr, Exists, Expr, Ordering, Predicate, _as_predicate

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..schema.spec import ColumnSpec, IndexSpec, TableSpec

__all__ = [
    "CopyFrom",
    "CountRows",
    "CreateIndex",
    "CreateTable",
    "Delete",
    "DropIndex",
    "DropTable",
    "Insert",
    "Join",
    "OnConflict",
    "ReserveKeys",
    "Select",
    "Update",
    "select",
]

M = TypeVar("M")
R = TypeVar("R")
P = TypeVar("P", bound="BaseModel")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")
T6 = TypeVar("T6")
T7 = TypeVar("T7")
T8 = TypeVar("T8")
T9 = TypeVar("T9")
T10 = TypeVar("T10")


def _model_of(exprs: Sequence[Expr[Any, Any]]) -> type[Any] | None:
    from .expr import BinaryOp, FuncCall, Label

    def find(e: object) -> type[Any] | None:
        if isinstance(e, ColumnExpr):
            return e.model
        if isinstance(e, Label):
            return find(e.expr)
        if isinstance(e, BinaryOp):
            return find(e.left) or find(e.right)
        if isinstance(e, FuncCall):
            for a in e.args:
                m = find(a)
                if m is not None:
                    return m
        return None

    for e in exprs:
        m = find(e)
        if m is not None:
            return m
    return None


class Select(Generic[M, R]):
    """A SELECT over model ``M`` whose rows are typed ``R`` (a tuple, or a model for ``into()``).

    Immutable: every method returns a new statement.

    Example::

        stmt = select(User.id, User.name).where(User.age >= 18).order_by(User.name)
        users.rows(stmt)  # list[tuple[int, str]]
    """

    __slots__ = (
        "_cache",
        "columns",
        "distinct_",
        "group_by_",
        "having_",
        "into_",
        "joins_",
        "limit_",
        "model",
        "offset_",
        "order_by_",
        "where_",
    )

    def __init__(
        self,
        model: type[M] | None,
        columns: tuple[Expr[Any, Any], ...],
        *,
        where: tuple[Predicate[Any], ...] = (),
        order_by: tuple[Ordering[Any], ...] = (),
        limit: int | None = None,
        offset: int | None = None,
        distinct: bool = False,
        group_by: tuple[Expr[Any, Any], ...] = (),
        having: tuple[Predicate[Any], ...] = (),
        into: type[Any] | None = None,
        joins: tuple[Join, ...] = (),
    ) -> None:
        self.model: type[M] | None = model
        self.columns: tuple[Expr[Any, Any], ...] = columns
        self.where_: tuple[Predicate[Any], ...] = where
        self.order_by_: tuple[Ordering[Any], ...] = order_by
        self.limit_: int | None = limit
        self.offset_: int | None = offset
        self.distinct_: bool = distinct
        self.group_by_: tuple[Expr[Any, Any], ...] = group_by
        self.having_: tuple[Predicate[Any], ...] = having
        self.into_: type[Any] | None = into
        self.joins_: tuple[Join, ...] = joins
        self._cache: dict[Any, Any] = {}

    def _replace(self, **kw: Any) -> Select[Any, Any]:
        # A slot-by-slot copy: queries build several statements per call, so this stays cheap.
        new: Select[Any, Any] = object.__new__(Select)
        new.model = self.model
        new.columns = self.columns
        new.where_ = self.where_
        new.order_by_ = self.order_by_
        new.limit_ = self.limit_
        new.offset_ = self.offset_
        new.distinct_ = self.distinct_
        new.group_by_ = self.group_by_
        new.having_ = self.having_
        new.into_ = self.into_
        new.joins_ = self.joins_
        new._cache = {}
        for k, v in kw.items():
            attr = _SELECT_PARTS.get(k)
            if attr is None:
                raise InvalidArgument(f"Select has no part {k!r}", argument="statement")
            setattr(new, attr, v)
        return new

    def replace(self, **changes: Any) -> Select[Any, Any]:
        """A copy with some parts replaced, by constructor name: ``stmt.replace(order_by=(), limit=None)``.

        ``model`` and ``columns`` may be replaced too; the statement itself is unchanged.
        """
        return self._replace(**changes)

    def join(self, model: type[Any], on: Predicate[Any]) -> Select[M, R]:
        """Inner-join ``model``'s table on ``on``: ``select(Post.id).join(Link, Link.post_id == Post.id)``."""
        if not hasattr(model, "__table__"):
            raise InvalidArgument(f"join() takes a table model, not {model!r}", argument="statement")
        return self._replace(joins=(*self.joins_, Join(model, _as_predicate(on))))

    def where(self, *preds: Predicate[M]) -> Select[M, R]:
        """Add conditions (ANDed): ``select(User.id).where(User.age >= 18)``."""
        return self._replace(where=self.where_ + tuple(_as_predicate(p) for p in preds))

    def order_by(self, *items: Ordering[M] | Expr[M, Any]) -> Select[M, R]:
        """Order the rows: ``select(User.id).order_by(User.name.desc())``."""
        return self._replace(order_by=self.order_by_ + tuple(_as_ordering(i) for i in items))

    def limit(self, n: int | None) -> Select[M, R]:
        """At most ``n`` rows: ``select(User.id).limit(10)``."""
        return self._replace(limit=_check_count(n, "limit"))

    def offset(self, n: int | None) -> Select[M, R]:
        """Skip ``n`` rows: ``select(User.id).offset(20)``."""
        return self._replace(offset=_check_count(n, "offset"))

    def distinct(self, flag: bool = True) -> Select[M, R]:
        """Drop duplicate rows: ``select(User.age).distinct()``."""
        return self._replace(distinct=flag)

    def group_by(self, *exprs: Expr[M, Any]) -> Select[M, R]:
        """Group the rows: ``select(User.age, func.count()).group_by(User.age)``."""
        return self._replace(group_by=self.group_by_ + exprs)

    def having(self, *preds: Predicate[M]) -> Select[M, R]:
        """Filter the groups: ``.group_by(User.age).having(func.count() > 1)``."""
        return self._replace(having=self.having_ + tuple(_as_predicate(p) for p in preds))

    def into(self, target: type[P]) -> Select[M, P]:
        """Rows validated into ``target`` (any Pydantic model) instead of tuples."""
        return self._replace(into=target)

    def exists(self) -> Predicate[Any]:
        """``EXISTS (this select)``, for use in another query's ``where``."""
        return Exists(self)


#: ``Select.replace`` keyword -> attribute
_SELECT_PARTS: dict[str, str] = {
    "model": "model",
    "columns": "columns",
    "where": "where_",
    "order_by": "order_by_",
    "limit": "limit_",
    "offset": "offset_",
    "distinct": "distinct_",
    "group_by": "group_by_",
    "having": "having_",
    "into": "into_",
    "joins": "joins_",
}


def _check_count(n: int | None, what: str) -> int | None:
    """``n`` (an int >= 0) or None; anything else raises InvalidArgument naming ``what``."""
    if n is None:
        return None
    return check_count(n, what)


def _as_ordering(item: object) -> Ordering[Any]:
    if isinstance(item, Ordering):
        return item
    if isinstance(item, Expr):
        return Ordering(item, False)
    raise InvalidArgument(
        f"order_by() takes columns or orderings like User.age.desc(), not {item!r}", argument="statement"
    )


@overload
def select(c1: Expr[M, T1], /) -> Select[M, tuple[T1]]: ...
@overload
def select(c1: Expr[M, T1], c2: Expr[M, T2], /) -> Select[M, tuple[T1, T2]]: ...
@overload
def select(c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], /) -> Select[M, tuple[T1, T2, T3]]: ...
@overload
def select(
    c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], c4: Expr[M, T4], /
) -> Select[M, tuple[T1, T2, T3, T4]]: ...
@overload
def select(
    c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], c4: Expr[M, T4], c5: Expr[M, T5], /
) -> Select[M, tuple[T1, T2, T3, T4, T5]]: ...
@overload
def select(
    c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], c4: Expr[M, T4], c5: Expr[M, T5], c6: Expr[M, T6], /
) -> Select[M, tuple[T1, T2, T3, T4, T5, T6]]: ...
@overload
def select(
    c1: Expr[M, T1],
    c2: Expr[M, T2],
    c3: Expr[M, T3],
    c4: Expr[M, T4],
    c5: Expr[M, T5],
    c6: Expr[M, T6],
    c7: Expr[M, T7],
    /,
) -> Select[M, tuple[T1, T2, T3, T4, T5, T6, T7]]: ...
@overload
def select(
    c1: Expr[M, T1],
    c2: Expr[M, T2],
    c3: Expr[M, T3],
    c4: Expr[M, T4],
    c5: Expr[M, T5],
    c6: Expr[M, T6],
    c7: Expr[M, T7],
    c8: Expr[M, T8],
    /,
) -> Select[M, tuple[T1, T2, T3, T4, T5, T6, T7, T8]]: ...
@overload
def select(
    c1: Expr[M, T1],
    c2: Expr[M, T2],
    c3: Expr[M, T3],
    c4: Expr[M, T4],
    c5: Expr[M, T5],
    c6: Expr[M, T6],
    c7: Expr[M, T7],
    c8: Expr[M, T8],
    c9: Expr[M, T9],
    /,
) -> Select[M, tuple[T1, T2, T3, T4, T5, T6, T7, T8, T9]]: ...
@overload
def select(
    c1: Expr[M, T1],
    c2: Expr[M, T2],
    c3: Expr[M, T3],
    c4: Expr[M, T4],
    c5: Expr[M, T5],
    c6: Expr[M, T6],
    c7: Expr[M, T7],
    c8: Expr[M, T8],
    c9: Expr[M, T9],
    c10: Expr[M, T10],
    /,
) -> Select[M, tuple[T1, T2, T3, T4, T5, T6, T7, T8, T9, T10]]: ...
# Eleven or more columns: the fallback must not also match 1 to 10 columns, or a
# ``func.count()`` (an ``Expr[Any, int]``) would make the call ambiguous and ``Any``.
@overload
def select(
    c1: Expr[M, Any],
    c2: Expr[M, Any],
    c3: Expr[M, Any],
    c4: Expr[M, Any],
    c5: Expr[M, Any],
    c6: Expr[M, Any],
    c7: Expr[M, Any],
    c8: Expr[M, Any],
    c9: Expr[M, Any],
    c10: Expr[M, Any],
    c11: Expr[M, Any],
    /,
    *more: Expr[M, Any],
) -> Select[M, tuple[Any, ...]]: ...
def select(*cols: Expr[Any, Any]) -> Select[Any, Any]:
    """A typed SELECT of columns or expressions: ``select(User.id, User.name)`` -> rows ``tuple[int, str]``.

    Up to ten columns are typed one by one; wider selects are ``tuple[Any, ...]``
    (or use ``.into(Model)`` to validate rows into a model of any width).
    """
    if not cols:
        raise InvalidArgument("select() needs at least one column", argument="statement")
    for c in cols:
        if not isinstance(c, Expr):
            raise InvalidArgument(
                f"select() takes columns or expressions like User.name, not {c!r}", argument="statement"
            )
    return Select(_model_of(cols), tuple(cols))


class Join:
    """``JOIN table ON predicate`` (an inner join) in a :class:`Select`."""

    __slots__ = ("model", "on")

    def __init__(self, model: type[Any], on: Predicate[Any]) -> None:
        self.model: type[Any] = model
        self.on: Predicate[Any] = on


class CountRows:
    """``SELECT COUNT(*) FROM (select) AS typedorm_sub``: the rows a select with limit/offset/distinct yields."""

    __slots__ = ("select",)

    def __init__(self, select: Select[Any, Any]) -> None:
        self.select: Select[Any, Any] = select


class CopyFrom:
    """``COPY table (columns) FROM STDIN``: rows streamed by the driver (dialects with ``supports_copy``).

    ``binary``: the server type of each column, for the binary format (from the dialect's
    :meth:`~typedorm.dialects.base.Dialect.copy_binary_types`); None for the text format.
    """

    __slots__ = ("binary", "columns", "table")

    def __init__(
        self, table: TableSpec, columns: tuple[ColumnSpec, ...], binary: tuple[str, ...] | None = None
    ) -> None:
        self.table: TableSpec = table
        self.columns: tuple[ColumnSpec, ...] = columns
        self.binary: tuple[str, ...] | None = binary


class ReserveKeys:
    """Take ``count`` new keys from the generator of ``table``'s autoincrement ``column`` in one query.

    Only dialects whose key generator is a sequence compile it (PostgreSQL's ``nextval``).
    """

    __slots__ = ("column", "count", "table")

    def __init__(self, table: TableSpec, column: ColumnSpec, count: int) -> None:
        self.table: TableSpec = table
        self.column: ColumnSpec = column
        self.count: int = count


class OnConflict:
    """``ON CONFLICT (target) DO UPDATE SET ...`` / ``DO NOTHING`` (``ON DUPLICATE KEY`` on MySQL)."""

    __slots__ = ("target", "update")

    def __init__(self, target: tuple[str, ...], update: tuple[str, ...] | None) -> None:
        self.target: tuple[str, ...] = target  # SQL column names of the conflicting unique key
        self.update: tuple[str, ...] | None = update  # SQL column names to overwrite; None = DO NOTHING


class Insert:
    """``INSERT INTO table (columns) VALUES (...), (...)``; rows hold driver-ready values."""

    __slots__ = ("columns", "on_conflict", "returning", "rows", "table")

    def __init__(
        self,
        table: TableSpec,
        columns: tuple[ColumnSpec, ...],
        rows: Sequence[Sequence[object]] = (),
        *,
        returning: tuple[ColumnSpec, ...] = (),
        on_conflict: OnConflict | None = None,
    ) -> None:
        self.table: TableSpec = table
        self.columns: tuple[ColumnSpec, ...] = columns
        self.rows: Sequence[Sequence[object]] = rows
        self.returning: tuple[ColumnSpec, ...] = returning
        self.on_conflict: OnConflict | None = on_conflict

    def values(self, *rows: Sequence[object]) -> Insert:
        return Insert(
            self.table,
            self.columns,
            tuple(self.rows) + rows,
            returning=self.returning,
            on_conflict=self.on_conflict,
        )

    def returning_(self, *cols: ColumnSpec) -> Insert:
        return Insert(self.table, self.columns, self.rows, returning=cols, on_conflict=self.on_conflict)

    def on_conflict_do_update(self, target: Sequence[str], update: Sequence[str]) -> Insert:
        return Insert(
            self.table,
            self.columns,
            self.rows,
            returning=self.returning,
            on_conflict=OnConflict(tuple(target), tuple(update)),
        )

    def on_conflict_do_nothing(self, target: Sequence[str] = ()) -> Insert:
        return Insert(
            self.table,
            self.columns,
            self.rows,
            returning=self.returning,
            on_conflict=OnConflict(tuple(target), None),
        )


class Update(Generic[M]):
    """``UPDATE table SET ... WHERE ...``."""

    __slots__ = ("assignments", "returning", "table", "where_")

    def __init__(
        self,
        table: TableSpec,
        assignments: tuple[Assignment[M], ...],
        where: tuple[Predicate[M], ...] = (),
        returning: tuple[ColumnSpec, ...] = (),
    ) -> None:
        if not assignments:
            raise InvalidArgument(
                "update needs at least one assignment, like User.age.set(31)", argument="statement"
            )
        self.table: TableSpec = table
        self.assignments: tuple[Assignment[M], ...] = assignments
        self.where_: tuple[Predicate[M], ...] = where
        self.returning: tuple[ColumnSpec, ...] = returning

    def where(self, *preds: Predicate[M]) -> Update[M]:
        return Update(
            self.table, self.assignments, self.where_ + tuple(_as_predicate(p) for p in preds), self.returning
        )


class Delete(Generic[M]):
    """``DELETE FROM table WHERE ...``."""

    __slots__ = ("returning", "table", "where_")

    def __init__(
        self, table: TableSpec, where: tuple[Predicate[M], ...] = (), returning: tuple[ColumnSpec, ...] = ()
    ) -> None:
        self.table: TableSpec = table
        self.where_: tuple[Predicate[M], ...] = where
        self.returning: tuple[ColumnSpec, ...] = returning

    def where(self, *preds: Predicate[M]) -> Delete[M]:
        return Delete(self.table, self.where_ + tuple(_as_predicate(p) for p in preds), self.returning)


class CreateTable:
    __slots__ = ("if_not_exists", "table")

    def __init__(self, table: TableSpec, *, if_not_exists: bool = True) -> None:
        self.table: TableSpec = table
        self.if_not_exists: bool = if_not_exists


class DropTable:
    __slots__ = ("if_exists", "table")

    def __init__(self, table: TableSpec, *, if_exists: bool = True) -> None:
        self.table: TableSpec = table
        self.if_exists: bool = if_exists


class CreateIndex:
    __slots__ = ("if_not_exists", "index", "table")

    def __init__(self, table: TableSpec, index: IndexSpec, *, if_not_exists: bool = True) -> None:
        self.table: TableSpec = table
        self.index: IndexSpec = index
        self.if_not_exists: bool = if_not_exists


class DropIndex:
    __slots__ = ("if_exists", "index", "table")

    def __init__(self, table: TableSpec, index: IndexSpec, *, if_exists: bool = True) -> None:
        self.table: TableSpec = table
        self.index: IndexSpec = index
        self.if_exists: bool = if_exists
