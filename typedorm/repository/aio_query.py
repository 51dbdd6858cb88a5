"""``AsyncQuery[M]``: an immutable, typed query over one model, and ``Page[M]`` for pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ..engine.core import ResultMode
from ..errors import InvalidArgument, MultipleResultsFound, NotFound, UnknownField
from ..sql.expr import Assignment, Const, Expr, Ordering, Predicate
from ..sql.functions import avg as _avg
from ..sql.functions import count as _count
from ..sql.functions import max as _max
from ..sql.functions import min as _min
from ..sql.functions import sum as _sum
from ..sql.lookups import Q, resolve_lookups
from ..sql.stmt import CountRows, Select, _as_ordering
from ._aio_support import close_stream, iterate_all
from ._cache import CacheOptions, cache_options, reads_for
from .page import Page

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..schema.model import Model
    from ..sql.relations import LoadPath, Relation
    from .aio_repo import AsyncRepository
    from .lookup_types import AsyncExclude, AsyncFilterBy

__all__ = ["AsyncQuery", "Page"]

M = TypeVar("M", bound="Model")
T = TypeVar("T")
P = TypeVar("P", bound="BaseModel")
Num = TypeVar("Num", int, float, Decimal)
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


# Constant select lists: the compiler keeps the text of a select list per tuple.
_COUNT_ALL: tuple[Expr[Any, Any], ...] = (_count(),)
_ONE_COLUMN: tuple[Expr[Any, Any], ...] = (Const(1),)

_FLIPPED_NULLS: dict[str | None, Literal["first", "last"] | None] = {
    "first": "last",
    "last": "first",
    None: None,
}


def as_predicates(model: type[Any], items: Sequence[object]) -> tuple[Predicate[Any], ...]:
    out: list[Predicate[Any]] = []
    for p in items:
        if isinstance(p, Q):
            out.append(p.resolve(model))
        elif isinstance(p, Predicate):
            out.append(p)
        else:
            raise InvalidArgument(
                f"filter() takes predicates like {model.__name__}.age >= 18 or Q(...) objects, not {p!r}",
                argument="query",
            )
    return tuple(out)


class AsyncQuery(Generic[M]):
    """A query over a repository's model. Immutable: each method returns a new query.

    Example::

        await users.filter(User.age >= 18).order_by(User.age.desc(), "name").limit(10).all()
    """

    __slots__ = ("_cache", "_load", "_select", "repo")

    def __init__(
        self,
        repo: AsyncRepository[M],
        select: Select[M, Any] | None = None,
        load: tuple[LoadPath[Any], ...] = (),
        cache: CacheOptions | None = None,
    ) -> None:
        self.repo: AsyncRepository[M] = repo
        #: the statement this query runs: every column of the model; each method makes a new one
        self._select: Select[M, Any] = repo._mapper.select_all if select is None else select
        self._load = load
        #: (ttl, in_snapshot) when the results go through the database's query cache
        self._cache = cache

    @property
    def statement(self) -> Select[M, Any]:
        """The ``Select`` this query runs (every column of the model), for inspection or compiling."""
        return self._select

    def _with(self, select: Select[M, Any]) -> AsyncQuery[M]:
        return AsyncQuery(self.repo, select, self._load, self._cache)

    def cached(self, ttl: float | None = None, *, in_snapshot: bool = False) -> AsyncQuery[M]:
        """This query with its results served from the database's cache (``Database(cache=...)``)
        while no table it reads has changed: ``await users.filter(User.age >= 18).cached(ttl=30).all()``.

        ``ttl``: seconds an entry may live (the cache's ``default_ttl`` if None). Results keep their
        types and every call returns new instances. Relations named by :meth:`load` are cached with
        the rows. Inside a transaction, reads of tables it wrote, and every read in a repeatable
        read or serializable transaction, go to the database (``in_snapshot=True``: use the cache in
        those too, accepting results newer than the transaction's snapshot). :meth:`iterate` is
        never cached.
        """
        return AsyncQuery(self.repo, self._select, self._load, cache_options(ttl, in_snapshot))

    def _where(self, preds: tuple[Predicate[M], ...]) -> AsyncQuery[M]:
        # the predicates are checked already (as_predicates, resolve_lookups): no second pass
        return self._with(self._select._replace(where=self._select.where_ + preds))

    def _entity(self, **changes: Any) -> Select[M, Any]:
        # Model rows: grouping applies to rows() only, as aggregates need it.
        s = self._select
        if s.group_by_ or s.having_:
            changes.update(group_by=(), having=())
        return s._replace(**changes) if changes else s

    async def _fetch(self, stmt: object, mode: ResultMode) -> Any:
        c = self.repo._dialect.compile(stmt)
        if self._cache is None:
            return await self.repo._db.run(
                c.sql, c.params, mode, table=self.repo._spec, using=self.repo._using
            )
        return await self.repo._db.run_cached(
            c.sql,
            c.params,
            mode,
            reads=reads_for(c.sql, stmt),
            ttl=self._cache[0],
            in_snapshot=self._cache[1],
            table=self.repo._spec,
            using=self.repo._using,
        )

    async def _objects(self, stmt: object) -> list[M]:
        """The rows of ``stmt`` (a select of every column) as validated instances; through the
        cache, copies of the instances its entry validated once."""
        mapper = self.repo._mapper
        if self._cache is None:
            c = self.repo._dialect.compile(stmt)
            rows = await self.repo._db.run(
                c.sql, c.params, ResultMode.ALL, table=self.repo._spec, using=self.repo._using
            )
            return mapper.hydrate_all(rows)
        c = self.repo._dialect.compile(stmt)
        objs: list[M] = await self.repo._db.run_cached(
            c.sql,
            c.params,
            ResultMode.ALL,
            reads=reads_for(c.sql, stmt),
            ttl=self._cache[0],
            in_snapshot=self._cache[1],
            table=self.repo._spec,
            using=self.repo._using,
            objects=mapper,
        )
        return objs

    # --- building ----------------------------------------------------------------
    def filter(self, *preds: Predicate[M] | Q) -> AsyncQuery[M]:
        """Add conditions (ANDed): predicates like ``User.age >= 18`` or ``Q(...)`` objects."""
        return self._where(as_predicates(self.repo.model, preds))

    if TYPE_CHECKING:
        # Typed per model by the stubs `typedorm stubs` writes (see lookup_types).
        @property
        def filter_by(self) -> AsyncFilterBy[M]:
            """Django-style lookups: ``filter_by(age__gte=18, name__startswith="J")``."""
            ...

        @property
        def exclude(self) -> AsyncExclude[M]:
            """Rows NOT matching all the given conditions."""
            ...

    else:

        def filter_by(self, /, **lookups: Any) -> AsyncQuery[M]:
            """This query narrowed by Django-style lookups: ``q.filter_by(age__gte=18, name__startswith="J")``.

            Keys are checked against the model before any SQL (``UnknownField``,
            ``UnknownLookup``); values are validated by the column's type (``InvalidValue``).
            """
            return self._filter_by(lookups)

        def exclude(self, /, *preds: Predicate[M] | Q, **lookups: Any) -> AsyncQuery[M]:
            """This query without the rows matching all the given conditions: ``q.exclude(age__lt=18)``."""
            return self._exclude(preds, lookups)

    def _filter_by(self, lookups: dict[str, Any]) -> AsyncQuery[M]:
        return self._where(tuple(resolve_lookups(self.repo.model, lookups)))

    def _exclude(self, preds: Sequence[Predicate[M] | Q], lookups: dict[str, Any]) -> AsyncQuery[M]:
        parts = as_predicates(self.repo.model, preds) + tuple(resolve_lookups(self.repo.model, lookups))
        if not parts:
            return self
        combined = parts[0]
        for p in parts[1:]:
            combined = combined & p
        return self._where((~combined,))

    def order_by(self, *items: Ordering[M] | Expr[M, Any] | str) -> AsyncQuery[M]:
        """Order by columns, orderings (``User.age.desc()``) or field names (``"-age"``), checked;
        ``"author__name"`` orders by a column of a to-one relation (see ``ToOne.order``)."""
        out: list[Ordering[M]] = []
        for it in items:
            if isinstance(it, str):
                desc = it.startswith("-")
                name = it[1:] if desc else it
                try:
                    if "__" in name and name.partition("__")[0] not in self.repo._spec.by_field:
                        from ..sql.relations import relation_ordering

                        out.append(relation_ordering(self.repo.model, name, desc))
                        continue
                    col = self.repo._column(name)
                except UnknownField as e:
                    # name the key as given ("-", "--age"), not what is left after the sign
                    raise UnknownField(it, model=e.model, choices=e.choices) from None
                out.append(col.desc() if desc else col.asc())
            else:
                out.append(_as_ordering(it))
        return self._with(self._select._replace(order_by=self._select.order_by_ + tuple(out)))

    def limit(self, n: int | None) -> AsyncQuery[M]:
        """At most ``n`` rows: ``users.order_by(User.id).limit(10)``."""
        return self._with(self._select.limit(n))

    def offset(self, n: int | None) -> AsyncQuery[M]:
        """Skip ``n`` rows: ``users.order_by(User.id).offset(20).limit(10)``."""
        return self._with(self._select.offset(n))

    def distinct(self, flag: bool = True) -> AsyncQuery[M]:
        """Drop duplicate rows: ``users.query().distinct()``."""
        return self._with(self._select.distinct(flag))

    def group_by(self, *exprs: Expr[M, Any]) -> AsyncQuery[M]:
        """Group rows, for :meth:`rows` with aggregates: ``.group_by(User.age).rows(User.age, func.count())``."""
        return self._with(self._select.group_by(*exprs))

    def having(self, *preds: Predicate[M]) -> AsyncQuery[M]:
        """Filter groups: ``users.query().group_by(User.age).having(func.count() > 1)``."""
        return self._with(self._select.having(*as_predicates(self.repo.model, preds)))

    def load(
        self, path: Relation[M, Any] | LoadPath[M], /, *more: Relation[Any, Any] | LoadPath[Any]
    ) -> AsyncQuery[M]:
        """Load relationships with the rows: one batched ``IN`` query per relation, whatever the row count.

        ``users.filter(...).load(User.posts, Post.comments)``: a relation of another model goes
        below the last named relation leading to it; ``User.posts.then(Post.comments)`` nests
        explicitly (self-referential trees: ``Category.children.then(Category.children)``).
        Relations not named here raise NotLoaded when touched. Checked now, before any SQL.
        """
        from ..sql.relations import build_load_plan

        return AsyncQuery(
            self.repo, self._select, build_load_plan(self.repo.model, (path, *more), self._load), self._cache
        )

    async def _loaded(self, objs: list[M]) -> list[M]:
        if self._load and objs:
            from .loading import aload_paths

            cached = None if self._cache is None else (self._load, *self._cache)
            await aload_paths(self.repo._db, objs, self._load, cached=cached)
        return objs

    # --- fetching ----------------------------------------------------------------
    async def all(self) -> list[M]:
        """Every matching row, validated into model instances."""
        return await self._loaded(await self._objects(self._entity()))

    def __aiter__(self) -> AsyncIterator[M]:
        return iterate_all(self.all)

    def _pk_order(self, descending: bool) -> tuple[Ordering[M], ...]:
        return tuple(Ordering(self.repo._column(c.field), descending) for c in self.repo._mapper.pk_cols)

    async def first(self) -> M | None:
        """The first row in the query's order (primary-key order if none), or None."""
        order = self._select.order_by_ or self._pk_order(False)
        objs = await self._objects(self._entity(order_by=order, limit=1))
        return (await self._loaded(objs[:1]))[0] if objs else None

    async def last(self) -> M | None:
        """The last row in the query's order (primary-key order if none), or None."""
        order: tuple[Ordering[M], ...]
        if self._select.order_by_:
            order = tuple(
                Ordering(o.expr, not o.descending, _FLIPPED_NULLS[o.nulls]) for o in self._select.order_by_
            )
        else:
            order = self._pk_order(True)
        objs = await self._objects(self._entity(order_by=order, limit=1))
        return (await self._loaded(objs[:1]))[0] if objs else None

    async def _at_most_two(self) -> list[M]:
        limit = self._select.limit_
        return await self._loaded(
            await self._objects(self._entity(limit=2 if limit is None else min(limit, 2)))
        )

    async def one(self) -> M:
        """Exactly one row: raises NotFound for none and MultipleResultsFound for more."""
        found = await self._at_most_two()
        if not found:
            raise NotFound(f"no {self.repo.model.__name__} matches the query")
        if len(found) > 1:
            raise MultipleResultsFound(f"more than one {self.repo.model.__name__} matches the query")
        return found[0]

    async def one_or_none(self) -> M | None:
        """The single matching row or None; raises MultipleResultsFound for more than one."""
        found = await self._at_most_two()
        if len(found) > 1:
            raise MultipleResultsFound(f"more than one {self.repo.model.__name__} matches the query")
        return found[0] if found else None

    async def count(self) -> int:
        """How many rows match (respecting limit, offset and distinct)."""
        s = self._select
        stmt: object
        if s.limit_ is not None or s.offset_ or s.distinct_:
            stmt = CountRows(self._entity(order_by=()))
        else:
            stmt = self._entity(columns=_COUNT_ALL, order_by=())
        row = await self._fetch(stmt, ResultMode.ONE)
        return int(row[0])

    async def exists(self) -> bool:
        """Whether any row matches."""
        return (
            await self._fetch(self._entity(columns=_ONE_COLUMN, order_by=(), limit=1), ResultMode.ONE)
            is not None
        )

    async def iterate(self, batch_size: int = 1000) -> AsyncIterator[M]:
        """Stream matching rows with bounded memory, fetching ``batch_size`` rows at a time."""
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise InvalidArgument(
                f"batch_size must be a positive int, not {batch_size!r}", argument="batch_size"
            )
        c = self.repo._dialect.compile(self._entity())
        mapper = self.repo._mapper
        if self._load and self.repo._db.in_transaction():
            # A stream can hold the transaction's connection (MySQL's unbuffered cursor does) while
            # loading relations needs it: fetch the rows first, then load and yield batch by batch.
            rows = await self.repo._db.run(
                c.sql, c.params, ResultMode.ALL, table=self.repo._spec, using=self.repo._using
            )
            for start in range(0, len(rows), batch_size):
                for obj in await self._loaded(mapper.hydrate_all(rows[start : start + batch_size])):
                    yield obj
            return
        stream = self.repo._db.stream(
            c.sql, c.params, batch_size, table=self.repo._spec, using=self.repo._using
        )
        try:
            async for batch in stream:
                # relations are loaded per batch: one query per relation and batch
                for obj in await self._loaded(mapper.hydrate_all(batch)):
                    yield obj
        finally:
            # Closing this iterator early closes the stream now, returning its connection.
            await close_stream(stream)

    async def paginate(self, page: int, size: int) -> Page[M]:
        """Page ``page`` (1-based) of ``size`` rows, in the query's order (primary key if none)."""
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            raise InvalidArgument(f"page must be an int >= 1, not {page!r}", argument="page")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidArgument(f"size must be an int >= 1, not {size!r}", argument="size")
        total = await self._with(self._select.replace(limit=None, offset=None)).count()
        q = self._with(
            self._select.replace(
                order_by=self._select.order_by_ or self._pk_order(False), limit=size, offset=(page - 1) * size
            )
        )
        return Page(await q.all(), page, size, total)

    # --- projections ---------------------------------------------------------------
    async def values(self, *fields: str) -> list[dict[str, Any]]:
        """Rows as dicts of the named fields (all fields if none), each value validated."""
        names = fields or self.repo._mapper.fields
        cols = [self.repo._column(f) for f in names]
        rows = await self._fetch(self._entity(columns=tuple(cols)), ResultMode.ALL)
        conv = [self.repo._value_converter(c) for c in cols]
        out = []
        for r in rows:
            out.append({n: f(v) for n, f, v in zip(names, conv, r, strict=True)})
        return out

    async def values_list(self, *fields: str) -> list[tuple[Any, ...]]:
        """Rows as tuples of the named fields (checked against the model)."""
        names = fields or self.repo._mapper.fields
        return [tuple(d[n] for n in names) for d in await self.values(*names)]

    @overload
    async def rows(self, c1: Expr[M, T1], /) -> list[tuple[T1]]: ...
    @overload
    async def rows(self, c1: Expr[M, T1], c2: Expr[M, T2], /) -> list[tuple[T1, T2]]: ...
    @overload
    async def rows(self, c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], /) -> list[tuple[T1, T2, T3]]: ...
    @overload
    async def rows(
        self, c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], c4: Expr[M, T4], /
    ) -> list[tuple[T1, T2, T3, T4]]: ...
    @overload
    async def rows(
        self, c1: Expr[M, T1], c2: Expr[M, T2], c3: Expr[M, T3], c4: Expr[M, T4], c5: Expr[M, T5], /
    ) -> list[tuple[T1, T2, T3, T4, T5]]: ...
    @overload
    async def rows(
        self,
        c1: Expr[M, T1],
        c2: Expr[M, T2],
        c3: Expr[M, T3],
        c4: Expr[M, T4],
        c5: Expr[M, T5],
        c6: Expr[M, T6],
        /,
    ) -> list[tuple[T1, T2, T3, T4, T5, T6]]: ...
    @overload
    async def rows(
        self,
        c1: Expr[M, T1],
        c2: Expr[M, T2],
        c3: Expr[M, T3],
        c4: Expr[M, T4],
        c5: Expr[M, T5],
        c6: Expr[M, T6],
        c7: Expr[M, T7],
        /,
    ) -> list[tuple[T1, T2, T3, T4, T5, T6, T7]]: ...
    @overload
    async def rows(
        self,
        c1: Expr[M, T1],
        c2: Expr[M, T2],
        c3: Expr[M, T3],
        c4: Expr[M, T4],
        c5: Expr[M, T5],
        c6: Expr[M, T6],
        c7: Expr[M, T7],
        c8: Expr[M, T8],
        /,
    ) -> list[tuple[T1, T2, T3, T4, T5, T6, T7, T8]]: ...
    @overload
    async def rows(
        self,
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
    ) -> list[tuple[T1, T2, T3, T4, T5, T6, T7, T8, T9]]: ...
    @overload
    async def rows(
        self,
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
    ) -> list[tuple[T1, T2, T3, T4, T5, T6, T7, T8, T9, T10]]: ...
    # Eleven or more: this fallback must not also match fewer (see select()).
    @overload
    async def rows(
        self,
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
    ) -> list[tuple[Any, ...]]: ...
    async def rows(self, *exprs: Expr[Any, Any]) -> list[tuple[Any, ...]]:
        """Typed tuples of columns or aggregates: ``.group_by(User.age).rows(User.age, func.count())``."""
        if not exprs:
            raise InvalidArgument("rows() needs at least one column or expression", argument="query")
        return await self.repo._rows(self._select.replace(columns=tuple(exprs)), self._cache)

    async def into(self, target: type[P]) -> list[P]:
        """Rows validated into ``target``, selecting the model fields ``target`` declares."""
        fields = getattr(target, "model_fields", None)
        if fields is None:
            raise InvalidArgument(f"into() takes a Pydantic model class, not {target!r}", argument="query")
        names = list(fields)
        for n in names:
            if n not in self.repo._spec.by_field:
                raise UnknownField(n, model=self.repo.model.__name__, choices=self.repo._mapper.fields)
        validate = target.__pydantic_validator__.validate_python
        return [validate(d) for d in await self.values(*names)]

    # --- aggregates ----------------------------------------------------------------
    def _unordered(self) -> AsyncQuery[M]:
        return self._with(self._select.replace(order_by=(), limit=None, offset=None))

    async def _scalar(self, e: Expr[Any, Any]) -> Any:
        return (await self.rows(e))[0][0]

    async def sum(self, expr: Expr[M, Num] | Expr[M, Num | None]) -> Num | None:
        """``SUM`` over the matching rows (None when there are none)."""
        return await self._unordered()._scalar(_sum(expr))  # type: ignore[no-any-return]

    # The overloads overlap only for an ``Expr[M, None]``, which no column has.
    @overload
    async def avg(self, expr: Expr[M, Decimal] | Expr[M, Decimal | None]) -> Decimal | None: ...  # type: ignore[overload-overlap]
    @overload
    async def avg(
        self, expr: Expr[M, int] | Expr[M, float] | Expr[M, int | None] | Expr[M, float | None]
    ) -> float | None: ...
    async def avg(self, expr: Expr[M, Any]) -> Any:
        """``AVG`` over the matching rows (None when there are none)."""
        return await self._unordered()._scalar(_avg(expr))

    async def min(self, expr: Expr[M, T]) -> T | None:
        """The smallest value of ``col`` over the matching rows (None if none): ``users.query().min(User.age)``."""
        return await self._unordered()._scalar(_min(expr))  # type: ignore[no-any-return]

    async def max(self, expr: Expr[M, T]) -> T | None:
        """The largest value of ``col`` over the matching rows (None if none): ``users.query().max(User.age)``."""
        return await self._unordered()._scalar(_max(expr))  # type: ignore[no-any-return]

    # --- writes ---------------------------------------------------------------------
    def _check_unsliced(self, what: str) -> None:
        s = self._select
        if s.limit_ is not None or s.offset_ or s.group_by_:
            raise InvalidArgument(
                f"{what}() cannot be used on a query with limit/offset/group_by", argument="query"
            )

    async def update(self, *assignments: Assignment[M]) -> int:
        """``UPDATE`` every matching row; returns the number of rows changed. Hooks do not run."""
        self._check_unsliced("update")
        return await self.repo._update_where(self._select.where_, assignments)

    async def delete(self) -> int:
        """``DELETE`` every matching row; returns the number deleted. Hooks do not run."""
        self._check_unsliced("delete")
        return await self.repo._delete_where(self._select.where_)

    def __repr__(self) -> str:
        c = self.repo._dialect.compile(self._entity())
        return f"<AsyncQuery {c.sql!r} params={c.params!r}>"
