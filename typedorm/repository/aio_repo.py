"""``AsyncRepository[M]``: validated model instances in and out of one table."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from ..engine.aio_routing import Using, check_using
from ..engine.core import ResultMode
from ..errors import NotFound, UniqueViolation, UnknownField, ValidationError
from ..schema.columns import AUTO
from ..schema.model import CLEAN, assigned_fields, mark_clean
from ..sql.expr import Assignment, ColumnExpr, Expr, FuncCall, Label, Ordering, Param, Predicate
from ..sql.lookups import Q
from ..sql.stmt import CopyFrom, ReserveKeys, Select
from ._aio_support import AfterHook, BeforeHook, call_hook, check_database, supports_returning
from ._cache import MISS, CacheOptions, get_options, key_reads, reads_for, where_keys
from .aio_query import AsyncQuery, as_predicates
from .hooks import HookEvent, Hooks, hooks_version, model_hooks
from .mapping import Mapper, copy_with, fill_in, get_mapper, row_validator, wrap_validation_error
from .page import Page

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..engine.aio import AsyncDatabase
    from ..schema.model import Model
    from ..schema.relations import RelationSpec
    from ..schema.spec import ColumnSpec
    from ..sql.relations import LoadPath, Relation, ToMany
    from .lookup_types import AsyncExclude, AsyncFilterBy

__all__ = ["AsyncRepository"]

M = TypeVar("M", bound="Model")
T = TypeVar("T")
R = TypeVar("R")
Num = TypeVar("Num", int, float, Decimal)
H = TypeVar("H", bound=Callable[..., Any])

_ALL, _ONE, _COUNT, _LASTID = ResultMode.ALL, ResultMode.ONE, ResultMode.COUNT, ResultMode.LASTID
#: below this many rows, one multi-row INSERT ... RETURNING beats two round trips
_COPY_MIN_ROWS = 64


class AsyncRepository(Generic[M]):
    """Maps validated ``M`` instances to rows of ``M``'s table and back.

    Example::

        users = AsyncRepository(User, db)
        john = await users.insert(User(name="John", email="john@example.com", age=30))
        await users.filter(User.age >= 18).order_by(User.age.desc()).all()   # list[User]
        await users.get(john.id)                                              # User | None
    """

    def __init__(self, model: type[M], db: AsyncDatabase, *, using: Using | None = None) -> None:
        from ..schema.model import Model

        if not (isinstance(model, type) and issubclass(model, Model)) or getattr(
            model, "__typedorm_abstract__", True
        ):
            raise TypeError(f"AsyncRepository needs a table model class, not {model!r}")
        check_database(db)
        self.model = model
        self.db = db
        self._db = db
        self._dialect = db.dialect
        self._spec = model.__table__
        self._mapper: Mapper[M] = get_mapper(model, db.dialect, db.mappers)
        self._hooks = Hooks()
        self._hook_cache: dict[str, list[Callable[[Any], Any]]] = {}
        self._hook_cache_version = -1
        self._rows_cache: dict[int, tuple[Select[Any, Any], str, list[Any], Any]] = {}
        self._returning = supports_returning(db)
        self._tuple_adapters: dict[tuple[Any, ...], TypeAdapter[Any]] = {}
        #: where this repository's reads run with replicas (None: the database decides)
        self._using: Using | None = check_using(using)

    def using(self, where: Using | None) -> Self:
        """This repository with its reads sent to ``where`` (``"primary"`` or ``"replica"``; None:
        as the database routes them): ``users.using("primary").get(1)``. Writes always run on
        the primary, and everything inside a transaction on the transaction's connection."""
        clone = copy.copy(self)
        clone._using = check_using(where)
        return clone

    def __repr__(self) -> str:
        return f"AsyncRepository({self.model.__name__}, {self.db!r})"

    # --- helpers ---------------------------------------------------------------------
    def _column(self, field: str) -> ColumnExpr[M, Any]:
        if not isinstance(field, str) or field not in self._spec.by_field:
            raise UnknownField(str(field), model=self.model.__name__, choices=self._mapper.fields)
        col: ColumnExpr[M, Any] = getattr(self.model, field)
        return col

    def _check_instance(self, obj: object, what: str) -> None:
        if not isinstance(obj, self.model):
            raise TypeError(f"{what}() takes a {self.model.__name__} instance, not {type(obj).__name__}")

    def _value_converter(self, col: ColumnExpr[Any, Any]) -> Callable[[Any], Any]:
        mapper = self._mapper
        ct = col.spec.column_type
        proc = ct.result_processor(self._dialect) if ct is not None else None
        adapter = mapper.adapter(col.spec.field)

        def conv(v: Any) -> Any:
            if v is None:
                return None
            if proc is not None:
                v = proc(v)
            return adapter.validate_python(v)

        return conv

    # --- hooks -----------------------------------------------------------------------
    def _hook_fns(self, event: str) -> list[Callable[[Any], Any]]:
        version = hooks_version()
        if self._hook_cache_version != version:
            self._hook_cache = {}
            self._hook_cache_version = version
        fns = self._hook_cache.get(event)
        if fns is None:
            fns = []
            for h in model_hooks(self.model):
                fns += h.get(event)
            fns += self._hooks.get(event)
            self._hook_cache[event] = fns
        return fns

    def _has_hooks(self, *events: str) -> bool:
        for e in events:
            if self._hook_fns(e):
                return True
        return False

    async def _run_before(self, event: str, obj: M) -> M:
        for fn in self._hook_fns(event):
            out = await call_hook(fn, obj)
            if out is not None:
                if not isinstance(out, self.model):
                    raise TypeError(
                        f"{event} hook {fn!r} returned {type(out).__name__}, not {self.model.__name__}"
                    )
                obj = out
        return obj

    async def _run_after(self, event: str, obj: M) -> None:
        for fn in self._hook_fns(event):
            await call_hook(fn, obj)

    def add_hook(self, event: HookEvent, fn: BeforeHook[M]) -> None:
        """Register ``fn`` for ``event`` on this repository: ``users.add_hook("before_insert", normalise)``."""
        self._hooks.add(event, fn)

    def _decorator(self, event: HookEvent, fn: H) -> H:
        self._hooks.add(event, fn)
        return fn

    def before_insert(self, fn: BeforeHook[M]) -> BeforeHook[M]:
        """Register a hook run before each insert; it may return a replacement instance."""
        return self._decorator("before_insert", fn)

    def after_insert(self, fn: AfterHook[M]) -> AfterHook[M]:
        """Decorator: run ``fn(row)`` after each insert (``@users.after_insert``)."""
        return self._decorator("after_insert", fn)

    def before_update(self, fn: BeforeHook[M]) -> BeforeHook[M]:
        """Decorator: run ``fn(row)`` before each update; it may return a replacement row (``@users.before_update``)."""
        return self._decorator("before_update", fn)

    def after_update(self, fn: AfterHook[M]) -> AfterHook[M]:
        """Decorator: run ``fn(row)`` after each update (``@users.after_update``)."""
        return self._decorator("after_update", fn)

    def before_delete(self, fn: AfterHook[M]) -> AfterHook[M]:
        """Decorator: run ``fn(row)`` before each delete of an instance (``@users.before_delete``)."""
        return self._decorator("before_delete", fn)

    def after_delete(self, fn: AfterHook[M]) -> AfterHook[M]:
        """Decorator: run ``fn(row)`` after each delete of an instance (``@users.after_delete``)."""
        return self._decorator("after_delete", fn)

    # --- inserts ---------------------------------------------------------------------
    async def insert(self, obj: M, *, with_related: bool = False) -> M:
        """Insert one row; returns the stored row with database-assigned values filled in.

        ``with_related=True`` also inserts the related rows set on ``obj`` (unsaved parents
        first, then children and many-to-many links), all in one transaction; the stored row
        comes back with those relations holding the stored related rows.
        """
        self._check_instance(obj, "insert")
        if with_related or vars(self.model).get("__typedorm_relations__"):
            from .aio_related import insert_related, reject_related

            if with_related:
                stored: M = await insert_related(self, obj)
                return stored
            reject_related(self.model, (obj,), "insert")
        if self._has_hooks("before_insert", "after_insert"):
            async with self._db.unit_of_work():
                obj = await self._run_before("before_insert", obj)
                stored = await self._insert_one(obj)
                await self._run_after("after_insert", stored)
                return stored
        return await self._insert_one(obj)

    async def _insert_one(self, obj: M) -> M:
        idx, vals = self._mapper.row_values(obj)
        if self._mapper.writes_identity(idx):
            # An explicit key: move the key generator past it in the same transaction.
            async with self._db.unit_of_work():
                stored = await self._insert_values(obj, idx, vals)
                await self._sync_identity()
                return stored
        return await self._insert_values(obj, idx, vals)

    async def _insert_values(self, obj: M, idx: tuple[int, ...], vals: list[Any]) -> M:
        mapper = self._mapper
        auto = [f for f in mapper.auto_fields if obj.__dict__[f] is AUTO]
        db = self._db
        spec = self._spec
        if (
            db.max_statement_bytes is not None
        ):  # MySQL: a row over max_allowed_packet is refused before sending
            db.split_rows([vals], 1, [mapper.columns[i].field for i in idx], self.model.__name__)
        if not auto:
            await db.run(mapper.insert_sql(idx), vals, _COUNT, table=spec)
            return copy_with(obj)
        if mapper.auto_is_pk_only and self._dialect.supports_lastrowid:
            # One statement, and the key from cursor.lastrowid: cheaper than RETURNING.
            new_id = await db.run(mapper.insert_sql(idx), vals, _LASTID, table=spec)
            return copy_with(obj, {mapper.pk_cols[0].field: new_id})
        if self._returning:
            if mapper.auto_is_pk_only:
                pk = mapper.pk_cols[0]
                sql = mapper.insert_sql(idx, 1, (pk,))
                row = await db.run(sql, vals, _ONE, table=spec)
                return copy_with(obj, {pk.field: row[0]})
            row = await db.run(mapper.insert_sql(idx, 1, mapper.columns), vals, _ONE, table=spec)
            return mapper.hydrate(row)
        # No RETURNING (MySQL): the new key comes from lastrowid.
        async with db.unit_of_work():
            new_id = await db.run(mapper.insert_sql(idx), vals, _LASTID, table=spec)
            if mapper.auto_is_pk_only:
                return copy_with(obj, {mapper.pk_cols[0].field: new_id})
            row = await db.run(mapper.get_sql, [new_id], _ONE, table=spec)
            return mapper.hydrate(row)

    async def insert_many(self, objs: Iterable[M]) -> list[M]:
        """Insert many rows in one transaction; returns them stored, keys filled, in input order.

        The instances given are not changed: the stored rows returned are copies with the keys
        filled in (an instance given again after a rolled-back transaction must not carry a key
        the database never kept)."""
        items = list(objs)
        for o in items:
            self._check_instance(o, "insert_many")
        return await self._insert_many(items, own=False)

    async def _insert_many(self, items: list[M], *, own: bool) -> list[M]:
        """``own``: typedorm built ``items`` (from JSON) and nobody else holds them, so the keys
        are filled into them instead of into copies (unless a before_insert hook saw them)."""
        if not items:
            return []
        if vars(self.model).get("__typedorm_relations__"):
            from .aio_related import reject_related

            reject_related(self.model, items, "insert_many")
        async with self._db.unit_of_work():
            if self._has_hooks("before_insert"):
                items = [await self._run_before("before_insert", o) for o in items]
                own = False
            out = await self._insert_rows(items, own)
            if self._has_hooks("after_insert"):
                for o in out:
                    await self._run_after("after_insert", o)
        return out

    async def _insert_rows(self, items: list[M], own: bool = False) -> list[M]:
        mapper = self._mapper
        keyed = fill_in if own else copy_with
        db = self._db
        spec = self._spec
        prepared = [mapper.row_values(o) for o in items]
        out: list[M | None] = [None] * len(items)
        # group rows by the set of columns they insert (rows giving explicit keys differ)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, (idx, _) in enumerate(prepared):
            groups.setdefault(idx, []).append(i)
        # Rows with explicit keys go first: the generator is moved past them before any
        # row takes a key from it (COPY below reserves its keys from the sequence).
        ordered = [g for g in groups.items() if mapper.writes_identity(g[0])]
        n_explicit = len(ordered)
        ordered += [g for g in groups.items() if not mapper.writes_identity(g[0])]
        for n, (idx, members) in enumerate(ordered):
            if n_explicit and n == n_explicit:
                await self._sync_identity()
            auto = [f for f in mapper.auto_fields if mapper.fields.index(f) not in idx]
            # Multi-row statements stay under the parameter limit and, on MySQL, under the
            # server's max_allowed_packet (a larger one is refused and its connection closed).
            per_row = max(1, len(idx))
            chunk = max(1, min(1000, self._dialect.max_params // per_row))
            spans = db.split_rows(
                [prepared[i][1] for i in members],
                chunk,
                [mapper.columns[i].field for i in idx],
                self.model.__name__,
            )
            if not auto:
                sql = mapper.insert_sql(idx)
                for start, stop in spans if db.max_statement_bytes is not None else [(0, len(members))]:
                    await db.run_many(sql, [prepared[i][1] for i in members[start:stop]], table=spec)
                for i in members:
                    out[i] = keyed(items[i])
                continue
            pk = mapper.pk_cols[0]
            if mapper.auto_is_pk_only and self._dialect.consecutive_rowids:
                # Multi-row VALUES without RETURNING: the keys are consecutive and end at
                # lastrowid, unless the table's largest key leaves no room (then SQLite picks
                # keys at random, and RETURNING below is used instead).
                top = await db.run(mapper.max_pk_sql(), (), _ONE, table=spec)
                if (top[0] or 0) + len(members) < 2**63 - 1:
                    for start, stop in spans:
                        part = members[start:stop]
                        params = [v for i in part for v in prepared[i][1]]
                        last = await db.run(mapper.insert_sql(idx, len(part)), params, _LASTID, table=spec)
                        first = last - len(part) + 1
                        for n, i in enumerate(part):
                            out[i] = keyed(items[i], {pk.field: first + n})
                    continue
            if (
                self._dialect.reserves_keys
                and mapper.auto_is_pk_only
                and db.supports_copy
                and len(members) >= _COPY_MIN_ROWS
            ):
                # Reserve the keys from the key generator in one query (the dialect knows how), then
                # COPY the rows with them: exact keys in input order, and the fastest path
                # measured (10,000 rows: nextval+COPY 75 ms, executemany 86 ms, multi-row
                # VALUES ... RETURNING 165 ms).
                reserve = self._dialect.compile(ReserveKeys(spec, pk, len(members)))
                key_rows = await db.run(reserve.sql, reserve.params, _ALL, table=spec)
                copy_cols = (pk, *(mapper.columns[i] for i in idx))
                binary = self._dialect.copy_binary_types(copy_cols)
                copy = self._dialect.compile(CopyFrom(spec, copy_cols, binary))
                copy_rows = [
                    [key_row[0], *prepared[i][1]] for key_row, i in zip(key_rows, members, strict=True)
                ]
                await db.copy_rows(copy.sql, copy_rows, table=spec, types=binary)
                for key_row, i in zip(key_rows, members, strict=True):
                    out[i] = keyed(items[i], {pk.field: key_row[0]})
                continue
            if not (self._returning and mapper.auto_is_pk_only):
                for i in members:
                    out[i] = await self._insert_one(items[i])
                continue
            # Multi-row VALUES ... RETURNING key, chunked under the parameter limit. Keys are
            # allocated in row order, so sorting the returned keys restores the input order.
            returning = (pk,)
            for start, stop in spans:
                part = members[start:stop]
                sql = mapper.insert_sql(idx, len(part), returning)
                params = [v for i in part for v in prepared[i][1]]
                rows = await db.run(sql, params, _ALL, table=spec)
                keys = sorted(r[0] for r in rows)
                if len(keys) != len(part):
                    raise RuntimeError("insert returned a different number of keys than rows sent")
                for i, key in zip(part, keys, strict=True):
                    out[i] = keyed(items[i], {pk.field: key})
        if n_explicit and n_explicit == len(ordered):
            await self._sync_identity()
        return [o for o in out if o is not None]

    async def _sync_identity(self) -> None:
        """After explicit keys: move the key generator past them (PostgreSQL's identity sequence)."""
        sync = self._mapper.identity_sync
        if sync is not None:
            await self._db.run(sync[0], sync[1], _ALL, table=self._spec)

    # --- JSON payloads ---------------------------------------------------------------
    def validate_json(self, data: str | bytes | bytearray) -> M:
        """Validate one JSON document into an ``M`` (raises ValidationError naming the fields)."""
        if not isinstance(data, (str, bytes, bytearray)):
            raise TypeError(f"expected JSON text (str or bytes), not {type(data).__name__}")
        try:
            return self.model.model_validate_json(data)
        except PydanticValidationError as e:
            raise wrap_validation_error(e, self.model.__name__) from None

    async def insert_json(self, data: str | bytes | bytearray, *, allow_auto: bool = False) -> M:
        """Validate a JSON object straight into a row: ``await users.insert_json(b'{"name": "Ann", ...}')``.

        Database-assigned (``AUTO``) fields are read-only in payloads: a document that sets
        one is refused with a ValidationError naming it. ``allow_auto=True`` (for imports
        of trusted data) lets the document choose them.
        """
        obj = self.validate_json(data)
        if not allow_auto:
            self._reject_auto(obj.__pydantic_fields_set__, ())
        return await self.insert(obj)

    async def insert_many_json(
        self, data: str | bytes | bytearray | Iterable[str | bytes | bytearray], *, allow_auto: bool = False
    ) -> list[M]:
        """A JSON array document, or an iterable of JSON documents: all validated first, then
        inserted in one transaction (all or nothing). ``allow_auto`` as for :meth:`insert_json`."""
        if isinstance(data, (str, bytes, bytearray)):
            adapter = self._list_adapter()
            try:
                items: list[M] = adapter.validate_json(data)
            except PydanticValidationError as e:
                raise wrap_validation_error(e, self.model.__name__) from None
        else:
            items = []
            for n, doc in enumerate(data):
                try:
                    items.append(self.validate_json(doc))
                except ValidationError as e:
                    errs = [{**err, "loc": (n, *err.get("loc", ()))} for err in e.errors()]
                    raise ValidationError(f"document {n}: {e}", errs, model=self.model.__name__) from None
        if not allow_auto:
            for n, o in enumerate(items):
                self._reject_auto(o.__pydantic_fields_set__, (n,))
        return await self._insert_many(items, own=True)

    def _reject_auto(self, given: Iterable[str], loc: tuple[int, ...]) -> None:
        """Refuse a payload that sets database-assigned fields: a client must not choose keys."""
        auto = self._mapper.auto_keys
        fields = self._mapper.auto_field_set
        if not auto or fields.isdisjoint(given):
            return
        bad = [f for f in given if f in fields]
        if bad:
            errs = [
                {
                    "loc": (*loc, f),
                    "msg": "is assigned by the database and cannot be set in a payload",
                    "type": "frozen_field",
                    "input": None,
                }
                for f in bad
            ]
            where = f"document {loc[0]}: " if loc else ""
            raise ValidationError(
                f"{where}{self.model.__name__}: {', '.join(bad)} is assigned by the database and cannot be set "
                "in a payload (pass allow_auto=True to import trusted values)",
                errs,
                model=self.model.__name__,
            )

    def _list_adapter(self) -> TypeAdapter[list[M]]:
        a: TypeAdapter[list[M]] | None = getattr(self, "_list_adapter_", None)
        if a is None:
            a = TypeAdapter(list[self.model])  # type: ignore[name-defined]
            self._list_adapter_ = a
        return a

    # --- reads -----------------------------------------------------------------------
    async def get(self, pk: Any, *, cached: bool | float = False) -> M | None:
        """The row with primary key ``pk`` (a tuple for composite keys), or None.

        ``cached=True`` serves it from the database's query cache while the table is unchanged
        (``cached=30``: and for at most 30 seconds); a new instance every call.
        """
        mapper = self._mapper
        params = mapper.pk_params(pk)
        if cached is False:
            if mapper._int_pk and mapper.pk_unmatchable(params):
                return None
            row = await self._db.run(mapper.get_sql, params, _ONE, table=self._spec, using=self._using)
        else:
            opts = get_options(cached)
            assert opts is not None
            if mapper._int_pk and mapper.pk_unmatchable(params):
                return None
            db = self._db
            hit = db.cached_get_hit(mapper.get_sql, params, self._spec, mapper)  # no I/O, no await
            if hit is not MISS:
                return hit  # type: ignore[no-any-return]
            found: M | None = await db.run_cached(
                mapper.get_sql,
                params,
                _ONE,
                reads=key_reads(self._spec, params),
                ttl=opts[0],
                table=self._spec,
                using=self._using,
                objects=mapper,
            )
            return found
        return mapper.hydrate(row) if row is not None else None

    async def get_or_raise(self, pk: Any, *, cached: bool | float = False) -> M:
        """The row with primary key ``pk``; raises NotFound if there is none (``cached`` as in :meth:`get`)."""
        found = await self.get(pk, cached=cached)
        if found is None:
            raise NotFound(f"no {self.model.__name__} with primary key {pk!r}")
        return found

    async def refresh(self, obj: M) -> M:
        """The current stored version of ``obj`` (raises NotFound if it was deleted)."""
        self._check_instance(obj, "refresh")
        mapper = self._mapper
        row = await self._db.run(
            mapper.get_sql, mapper.pk_values(obj), _ONE, table=self._spec, using=self._using
        )
        if row is None:
            raise NotFound(f"{self.model.__name__} {mapper.pk_values(obj)!r} no longer exists")
        return mapper.hydrate(row)

    def query(self) -> AsyncQuery[M]:
        """A query over every row."""
        return AsyncQuery(self)

    def cached(self, ttl: float | None = None, *, in_snapshot: bool = False) -> AsyncQuery[M]:
        """A query over every row, through the query cache: ``users.cached(ttl=30).filter(...).all()``
        (see :meth:`AsyncQuery.cached`)."""
        return AsyncQuery(self).cached(ttl, in_snapshot=in_snapshot)

    def filter(self, *preds: Predicate[M] | Q) -> AsyncQuery[M]:
        """A query of rows matching all ``preds``: ``users.filter(User.age >= 18)``."""
        return AsyncQuery(self).filter(*preds)

    if TYPE_CHECKING:
        # Typed per model by the stubs `typedorm stubs` writes (see lookup_types).
        @property
        def filter_by(self) -> AsyncFilterBy[M]:
            """Django-style lookups, checked against the model: ``filter_by(age__gte=18)``."""
            ...

        @property
        def exclude(self) -> AsyncExclude[M]:
            """Rows NOT matching all the given predicates, ``Q`` objects and lookups."""
            ...

    else:

        def filter_by(self, /, **lookups: Any) -> AsyncQuery[M]:
            """A query of rows matching every Django-style lookup: ``users.filter_by(age__gte=18)``.

            Keys are ``field``, ``field__lookup`` or ``relation__field__lookup``, checked against
            the model before any SQL (``UnknownField``, ``UnknownLookup``); values are validated by
            the column's type (``InvalidValue``). The stubs ``typedorm stubs`` writes type the
            keywords per model for mypy and pyright.
            """
            return AsyncQuery(self)._filter_by(lookups)

        def exclude(self, /, *preds: Predicate[M] | Q, **lookups: Any) -> AsyncQuery[M]:
            """A query of rows NOT matching all the given predicates, ``Q`` objects and lookups.

            ``users.exclude(User.age < 18)`` or ``users.exclude(name__startswith="J")``; lookups
            are checked as in ``filter_by``.
            """
            return AsyncQuery(self)._exclude(preds, lookups)

    def order_by(self, *items: Ordering[M] | Expr[M, Any] | str) -> AsyncQuery[M]:
        """All rows in this order: ``users.order_by(User.age.desc(), "name")``."""
        return AsyncQuery(self).order_by(*items)

    def limit(self, n: int | None) -> AsyncQuery[M]:
        """A query over at most ``n`` rows: ``users.order_by("id").limit(10).all()``."""
        return AsyncQuery(self).limit(n)

    def offset(self, n: int | None) -> AsyncQuery[M]:
        """A query that skips the first ``n`` rows (combine with ``order_by`` for a stable result)."""
        return AsyncQuery(self).offset(n)

    async def all(self) -> list[M]:
        """Every row of the table, validated: ``users.all()``."""
        return await AsyncQuery(self).all()

    async def first(self) -> M | None:
        """The first row by primary key, or None: ``users.first()``."""
        return await AsyncQuery(self).first()

    async def last(self) -> M | None:
        """The last row by primary key, or None: ``users.last()``."""
        return await AsyncQuery(self).last()

    async def count(self) -> int:
        """The number of rows in the table: ``users.count()``."""
        return await AsyncQuery(self).count()

    async def exists(self) -> bool:
        """Whether the table has any row: ``users.exists()``."""
        return await AsyncQuery(self).exists()

    def iterate(self, batch_size: int = 1000) -> AsyncIterator[M]:
        """Stream every row, ``batch_size`` at a time: ``for u in users.iterate(batch_size=500): ...``."""
        return AsyncQuery(self).iterate(batch_size)

    async def paginate(self, page: int, size: int) -> Page[M]:
        """Page ``page`` (1-based) of ``size`` rows by primary key: ``users.paginate(1, 20).items``."""
        return await AsyncQuery(self).paginate(page, size)

    async def values(self, *fields: str) -> list[dict[str, Any]]:
        """Every row as a dict of the named fields (all if none): ``users.values("id", "name")``."""
        return await AsyncQuery(self).values(*fields)

    async def rows(self, stmt: Select[M, R]) -> list[R]:
        """Run a typed ``select()``: rows are tuples validated to the column types (or
        instances of the model given to ``.into()``)."""
        if not isinstance(stmt, Select):
            raise TypeError(f"rows() takes a select(...) statement, not {stmt!r}")
        if stmt.model is not None and stmt.model is not self.model:
            raise TypeError(
                f"select over {stmt.model.__name__} given to AsyncRepository[{self.model.__name__}]"
            )
        return await self._rows(stmt, None)

    async def _rows(self, stmt: Select[M, R], cache: CacheOptions | None) -> list[R]:
        shape = stmt._cache.get(id(self._dialect))
        if shape is None:
            c = self._dialect.compile(stmt if stmt.model is not None else _with_model(stmt, self.model))
            shape = (c.sql, c.params, self._row_adapter(stmt))
            stmt._cache[id(self._dialect)] = shape
        sql, params, conv = shape
        if cache is None:
            rows = await self._db.run(sql, params, _ALL, table=self._spec, using=self._using)
        else:
            rows = await self._db.run_cached(
                sql,
                params,
                _ALL,
                reads=reads_for(sql, stmt),
                ttl=cache[0],
                in_snapshot=cache[1],
                table=self._spec,
                using=self._using,
            )
        return conv(rows)

    def _row_adapter(self, stmt: Select[Any, Any]) -> Callable[[list[Any]], list[Any]]:
        procs: list[Callable[[Any], Any] | None] = []
        types: list[Any] = []
        names: list[str] = []
        for e in stmt.columns:
            inner = e.expr if isinstance(e, Label) else e
            names.append(
                e.name
                if isinstance(e, Label)
                else (inner.spec.field if isinstance(inner, ColumnExpr) else "")
            )
            if isinstance(inner, ColumnExpr):
                ct = inner.spec.column_type
                procs.append(ct.result_processor(self._dialect) if ct is not None else None)
                info = inner.model.model_fields[inner.spec.field]
                types.append(info.annotation)
            elif isinstance(inner, FuncCall):
                procs.append(_func_proc(inner, self._dialect))
                rt = inner.result_type
                if inner.name == "count":
                    types.append(int)
                else:
                    types.append(Any if rt is None else rt | None)
            else:
                procs.append(None)
                types.append(Any)
        if stmt.into_ is not None:
            target = stmt.into_
            validate = row_validator(target)

            def to_models(rows: list[Any]) -> list[Any]:
                out = []
                for r in rows:
                    d = {}
                    for n, p, v in zip(names, procs, r, strict=True):
                        d[n] = p(v) if p is not None and v is not None else v
                    try:
                        out.append(validate(d))
                    except PydanticValidationError as e:
                        raise wrap_validation_error(e, target.__name__) from None
                return out

            return to_models
        key = tuple(types)
        adapter = self._tuple_adapters.get(key)
        if adapter is None:
            adapter = TypeAdapter(tuple[key])  # type: ignore[valid-type]
            self._tuple_adapters[key] = adapter
        validate_t = adapter.validate_python

        def to_tuples(rows: list[Any]) -> list[Any]:
            out = []
            try:
                for r in rows:
                    vals = [
                        p(v) if p is not None and v is not None else v for p, v in zip(procs, r, strict=True)
                    ]
                    out.append(validate_t(vals))
            except PydanticValidationError as e:
                raise wrap_validation_error(e, self.model.__name__, "a selected row") from None
            return out

        return to_tuples

    async def raw(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[M]:
        """Run raw SQL (bound parameters only) and validate each row into ``M`` by column name."""
        result = await self._db.execute(sql, params)
        by_name = self._spec.by_name
        keys: list[str | None] = []
        procs: list[Callable[[Any], Any] | None] = []
        infos = self.model.model_fields
        for name in result.columns:
            c = by_name.get(name)
            if c is None:
                keys.append(None)
                procs.append(None)
                continue
            keys.append(infos[c.field].alias or c.field)
            procs.append(c.column_type.result_processor(self._dialect) if c.column_type is not None else None)
        validate = self._mapper.validate_row
        out = []
        for r in result.rows:
            d = {}
            for k, p, v in zip(keys, procs, r, strict=True):
                if k is not None:
                    d[k] = p(v) if p is not None and v is not None else v
            try:
                out.append(validate(d))
            except PydanticValidationError as e:
                raise wrap_validation_error(e, self.model.__name__, "a raw row") from None
        return out

    # --- relationships ---------------------------------------------------------------
    def load(
        self, path: Relation[M, Any] | LoadPath[M], /, *more: Relation[Any, Any] | LoadPath[Any]
    ) -> AsyncQuery[M]:
        """A query over every row that loads relations: ``await users.load(User.posts, Post.comments).all()``."""
        return AsyncQuery(self).load(path, *more)

    @overload
    async def load_related(
        self, objs: M, path: Relation[M, Any] | LoadPath[M], /, *more: Relation[Any, Any] | LoadPath[Any]
    ) -> M: ...
    @overload
    async def load_related(
        self,
        objs: Iterable[M],
        path: Relation[M, Any] | LoadPath[M],
        /,
        *more: Relation[Any, Any] | LoadPath[Any],
    ) -> list[M]: ...
    async def load_related(self, objs: Any, path: Any, /, *more: Any) -> Any:
        """Load relations onto rows already fetched (in place; one query per relation), and return them."""
        from ..sql.relations import build_load_plan
        from .loading import aload_paths

        plan = build_load_plan(self.model, (path, *more))
        single = isinstance(objs, self.model)
        items: list[M] = [objs] if single else list(objs)
        for o in items:
            self._check_instance(o, "load_related")
        await aload_paths(self._db, items, plan)
        return objs if single else items

    async def add_related(self, obj: M, rel: ToMany[M, R], /, *targets: R, **link_fields: Any) -> int:
        """Link ``obj`` to stored ``targets``; existing links are kept. Returns how many links were added.

        Many-to-many: a link row per target (extra columns of an explicit link model are given as
        keywords). One-to-many: each target's foreign key is set to ``obj`` (``users.add_related(ann,
        User.posts, post)`` moves ``post`` to ``ann``; ``post.author_id`` is updated in place too).
        """
        from .aio_related import add_links

        self._check_instance(obj, "add_related")
        return await add_links(self, obj, self._relation(rel), targets, link_fields)

    async def remove_related(self, obj: M, rel: ToMany[M, R], /, *targets: R) -> int:
        """Delete the links between ``obj`` and ``targets``; returns how many were deleted."""
        from .aio_related import remove_links

        self._check_instance(obj, "remove_related")
        return await remove_links(self, obj, self._relation(rel), targets)

    async def set_related(
        self, obj: M, rel: ToMany[M, R], targets: Iterable[R], /, **link_fields: Any
    ) -> None:
        """Make ``targets`` exactly the rows linked to ``obj`` (one transaction; kept links are untouched)."""
        from .aio_related import set_links

        self._check_instance(obj, "set_related")
        await set_links(self, obj, self._relation(rel), list(targets), link_fields)

    def _relation(self, rel: object) -> RelationSpec:
        from ..sql.relations import Relation

        if not isinstance(rel, Relation) or rel.model is not self.model:
            raise TypeError(
                f"expected a relation of {self.model.__name__} like {self.model.__name__}.<relation>, not {rel!r}"
            )
        return rel.spec

    # --- updates ---------------------------------------------------------------------
    @overload
    async def update(self, obj: M, /) -> M: ...
    @overload
    async def update(self, where: Predicate[M] | Q, /, *assignments: Assignment[M]) -> int: ...
    async def update(self, target: Any, /, *assignments: Assignment[M]) -> Any:
        """``update(obj)`` writes every column of ``obj`` by primary key and returns the stored row;
        ``update(where, User.age.set(31), ...)`` updates matching rows and returns how many."""
        if isinstance(target, self.model):
            if assignments:
                raise TypeError("update(obj) takes no assignments; use update(where, *assignments)")
            if self._has_hooks("before_update", "after_update"):
                async with self._db.unit_of_work():
                    obj = await self._run_before("before_update", target)
                    stored = await self._update_obj(obj)
                    await self._run_after("after_update", stored)
                    return stored
            return await self._update_obj(target)
        if isinstance(target, (Predicate, Q)):
            return await self._update_where(as_predicates(self.model, (target,)), assignments)
        raise TypeError(f"update() takes a {self.model.__name__} or a predicate, not {type(target).__name__}")

    async def _update_obj(self, obj: M, fields: Sequence[str] | None = None) -> M:
        """UPDATE one row by primary key from a validated instance; returns the stored row.

        Without ``fields``, dirty tracking picks the columns: an instance read from the
        database (or returned by an autocommitted write) writes only the fields assigned since,
        plus the mutable-typed columns (a list or dict can change in place, unseen); nothing
        to write sends no statement. Any other instance (built by the caller, a copy) writes
        every column. Every written value comes from ``obj``, so the stored row is ``obj``
        itself: no RETURNING and no re-validation are needed (a database trigger that rewrites
        the row is the one thing this does not see; call refresh() after such writes).
        """
        mapper = self._mapper
        tracked = fields is None
        assigned = assigned_fields(obj)
        if tracked and assigned is not None:
            fields = mapper.dirty_fields(assigned)
            if fields == ():
                # Nothing assigned since the row was read or written: no statement.
                stored = copy_with(obj)
                mark_clean(stored, CLEAN)
                return stored
        cols, sql = mapper.update_plan(fields)
        d = obj.__dict__
        if not sql or any(d[f] is AUTO for _, f in cols):
            return await self.refresh(obj)
        bind = mapper.bind_value
        params = [bind(i, d[f]) for i, f in cols]
        key = mapper.pk_values(obj)
        params += key
        db = self._db
        n = await db.run(sql, params, _COUNT, table=self._spec, keys=(key,))
        if n == 0:
            raise NotFound(f"{self.model.__name__} {mapper.pk_values(obj)!r} does not exist")
        stored = copy_with(obj)
        if not tracked:
            pass  # some columns only (patch): the copy stays untracked
        elif db.in_transaction():
            # The transaction may still roll back: both keep what they had to write, so
            # writing either again (a retry) sends the same columns again.
            mark_clean(stored, assigned)
        else:
            # Autocommitted: the row now holds every value of obj.
            mark_clean(obj, CLEAN)
            mark_clean(stored, CLEAN)
        return stored

    def _validated_assignments(self, assignments: Sequence[Assignment[M]]) -> list[Assignment[M]]:
        out = []
        for a in assignments:
            if not isinstance(a, Assignment):
                raise TypeError(f"expected assignments like {self.model.__name__}.age.set(31), not {a!r}")
            if a.column.model is not self.model and a.column.spec.field not in self._spec.by_field:
                raise TypeError(f"cannot assign {a.column!r} in AsyncRepository[{self.model.__name__}]")
            if isinstance(a.value, Param):
                v = self._mapper.validate_field(a.column.spec.field, a.value.value)
                # refuse what the column cannot store (NaN on SQLite, ...) naming the field
                self._mapper.bind_value(self._mapper.fields.index(a.column.spec.field), v)
                a = Assignment(a.column, Param(v, a.column.spec))
            out.append(a)
        return out

    async def _update_where(
        self, where: tuple[Predicate[M], ...], assignments: Sequence[Assignment[M]]
    ) -> int:
        from ..sql.stmt import Update

        values = tuple(self._validated_assignments(assignments))
        stmt = Update(self._spec, values, where)
        c = self._dialect.compile(stmt)
        # Assigning the key moves the row to another key: no longer the key's row alone.
        keys = None if any(a.column.spec.primary_key for a in values) else where_keys(self._mapper, where)
        n: int = await self._db.run(c.sql, c.params, _COUNT, table=self._spec, keys=keys)
        return n

    async def patch(
        self, pk: Any, data: str | bytes | bytearray | Mapping[str, Any], *, allow_auto: bool = False
    ) -> M:
        """Update only the fields present in ``data`` (JSON text or a mapping) of row ``pk``.

        JSON text is validated by Pydantic's JSON mode, exactly as :meth:`insert_json` does;
        the merged row is then validated as a whole before anything is written. Unknown
        fields raise UnknownField; the primary key and database-assigned (``AUTO``) fields
        are read-only (``allow_auto=True`` makes the latter writable). Returns the stored row.
        """
        mapper = self._mapper
        name = self.model.__name__
        adapter = mapper.patch_adapter()
        by_key = {k: f for f, k in zip(mapper.fields, mapper.keys, strict=True)}
        if isinstance(data, (str, bytes, bytearray)):
            try:
                values = adapter.validate_json(data)
            except PydanticValidationError as e:
                self._unknown_keys(e)
                raise wrap_validation_error(e, name) from None
        elif isinstance(data, Mapping):
            for k in data:
                if not isinstance(k, str) or k not in by_key:
                    raise UnknownField(str(k), model=name, choices=mapper.fields)
            try:
                values = adapter.validate_python(dict(data))
            except PydanticValidationError as e:
                raise wrap_validation_error(e, name) from None
        else:
            raise ValidationError(
                "patch data must be a JSON object",
                [{"loc": (), "msg": "not an object", "type": "dict_type"}],
                model=name,
            )
        fields = [by_key[k] for k in values]
        pk_fields = {c.field for c in mapper.pk_cols}
        for f in fields:
            if f in pk_fields:
                raise ValidationError(
                    f"{name}.{f}: the primary key cannot be patched",
                    [{"loc": (f,), "msg": "primary key is read-only", "type": "frozen_field"}],
                    model=name,
                )
        if not allow_auto:
            self._reject_auto(fields, ())
        async with self._db.unit_of_work():
            current = await self.get_or_raise(pk)
            merged = current.model_dump(by_alias=True)
            merged.update(values)
            try:
                # The patched values are validated already (strictly, for a strict model); the
                # rest come from the stored row: validate the whole for model-level rules.
                updated = self.model.model_validate(merged, strict=False)
            except PydanticValidationError as e:
                raise wrap_validation_error(e, name) from None
            if self._has_hooks("before_update"):
                updated = await self._run_before("before_update", updated)
            stored = await self._update_obj(updated, fields)
            await self._run_after("after_update", stored)
            return stored

    def _unknown_keys(self, e: PydanticValidationError) -> None:
        for err in e.errors(include_url=False):
            loc = err.get("loc", ())
            if err.get("type") == "extra_forbidden" and len(loc) == 1:
                raise UnknownField(
                    str(loc[0]), model=self.model.__name__, choices=self._mapper.fields
                ) from None

    async def save(self, obj: M) -> M:
        """Insert ``obj`` if its key is unset (AUTO), else insert-or-update by primary key."""
        self._check_instance(obj, "save")
        if any(obj.__dict__[c.field] is AUTO for c in self._mapper.pk_cols):
            return await self.insert(obj)
        return await self.upsert(obj)

    async def upsert(
        self,
        obj: M,
        *,
        conflict: ColumnExpr[M, Any] | Sequence[ColumnExpr[M, Any]] | None = None,
        update: Sequence[ColumnExpr[M, Any]] | None = None,
    ) -> M:
        """Insert, or update the row that conflicts on ``conflict`` (a unique column or the
        primary key, the default). ``update`` limits which columns are overwritten."""
        self._check_instance(obj, "upsert")
        mapper = self._mapper
        spec = self._spec
        if conflict is None:
            target = tuple(c.name for c in mapper.pk_cols)
        else:
            cols = (conflict,) if isinstance(conflict, ColumnExpr) else tuple(conflict)
            target = tuple(self._own(c, "conflict").name for c in cols)
        keys = {spec.primary_key} | {i.columns for i in spec.indexes if i.unique}
        if tuple(target) not in keys and set(target) not in [set(k) for k in keys]:
            raise ValueError(
                f"upsert conflict target {target} of {self.model.__name__} is not its primary key or a unique constraint"
            )
        idx, vals = mapper.row_values(obj)
        inserted = [mapper.columns[i] for i in idx]
        if update is None:
            upd = [c.name for c in inserted if c.name not in target and not c.primary_key]
        else:
            upd = [self._own(c, "update").name for c in update]
        from ..sql.stmt import Insert

        stmt = (
            Insert(spec, tuple(inserted), [vals]).on_conflict_do_update(target, upd)
            if upd
            else Insert(spec, tuple(inserted), [vals]).on_conflict_do_nothing(target)
        )
        explicit_key = mapper.writes_identity(idx)
        changes = self._upsert_keys(obj, target)
        if self._returning and self._dialect.supports_upsert_returning:
            async with self._db.unit_of_work():
                c = self._dialect.compile(stmt.returning_(*mapper.columns))
                row = await self._db.run(c.sql, c.params, _ONE, table=spec, keys=changes)
                if explicit_key:
                    await self._sync_identity()
                if row is None:  # DO NOTHING and the row existed
                    return await self._fetch_by(target, obj)
                return mapper.hydrate(row)
        c = self._dialect.compile(stmt)
        async with self._db.unit_of_work():
            await self._db.run(c.sql, c.params, _COUNT, table=spec, keys=changes)
            if explicit_key:
                await self._sync_identity()
            return await self._fetch_by(target, obj)

    def _upsert_keys(self, obj: M, target: tuple[str, ...]) -> list[list[Any]] | None:
        """The key of the only row an upsert of ``obj`` on ``target`` can change (its own: the
        conflict target is the primary key and no other unique key can take over), for the query
        cache to keep the cached gets of every other row; else None."""
        if set(target) != set(self._spec.primary_key):
            return None
        if self._dialect.upsert_any_unique and self._unique_fields_besides(target):
            return None
        d = obj.__dict__
        if any(d[c.field] is AUTO for c in self._mapper.pk_cols):
            return None
        return [self._mapper.pk_values(obj)]

    def _unique_fields_besides(self, target: tuple[str, ...]) -> tuple[str, ...]:
        """The fields of the unique keys (columns and indexes) outside the columns ``target``."""
        spec = self._spec
        names = [c.name for c in spec.columns if c.unique and not c.primary_key]
        names += [n for i in spec.indexes if i.unique for n in i.columns]
        return tuple(dict.fromkeys(spec.by_name[n].field for n in names if n not in target))

    def _own(self, c: object, what: str) -> ColumnSpec:
        if (
            not isinstance(c, ColumnExpr)
            or c.spec.field not in self._spec.by_field
            or self._spec.by_field[c.spec.field] is not c.spec
        ):
            raise TypeError(f"{what}= takes columns of {self.model.__name__}, not {c!r}")
        return c.spec

    async def _fetch_by(self, target: tuple[str, ...], obj: M) -> M:
        mapper = self._mapper
        cols = [self._spec.by_name[n] for n in target]
        params = [mapper.bind_value(mapper.fields.index(c.field), obj.__dict__[c.field]) for c in cols]
        row = await self._db.run(mapper.select_by_sql(target), params, _ONE, table=self._spec)
        if row is None:
            if self._dialect.upsert_any_unique:
                # It updated the row of a conflict on another unique key (the dialect's upsert
                # takes any): refused as other backends refuse it, and rolled back with the unit.
                fields = self._unique_fields_besides(target)
                raise UniqueViolation(
                    f"upsert of {self.model.__name__} on {', '.join(target)} conflicts with another "
                    f"row on a unique key ({', '.join(fields)})",
                    model=self.model.__name__,
                    fields=fields,
                )
            raise NotFound(f"{self.model.__name__} row vanished during upsert")
        return mapper.hydrate(row)

    # --- deletes ---------------------------------------------------------------------
    @overload
    async def delete(self, obj: M, /) -> None: ...
    @overload
    async def delete(self, where: Predicate[M] | Q, /) -> int: ...
    async def delete(self, target: Any, /) -> Any:
        """``delete(obj)`` deletes that row (NotFound if it is gone); ``delete(where)`` deletes
        the matching rows and returns how many."""
        if isinstance(target, self.model):
            if self._has_hooks("before_delete", "after_delete"):
                async with self._db.unit_of_work():
                    await self._run_before("before_delete", target)
                    await self._delete_obj(target)
                    await self._run_after("after_delete", target)
                    return None
            await self._delete_obj(target)
            return None
        if isinstance(target, (Predicate, Q)):
            return await self._delete_where(as_predicates(self.model, (target,)))
        raise TypeError(f"delete() takes a {self.model.__name__} or a predicate, not {type(target).__name__}")

    async def _delete_obj(self, obj: M) -> None:
        mapper = self._mapper
        key = mapper.pk_values(obj)
        n = await self._db.run(mapper.delete_sql, key, _COUNT, table=self._spec, keys=(key,))
        if n == 0:
            raise NotFound(f"{self.model.__name__} {mapper.pk_values(obj)!r} does not exist")

    async def _delete_where(self, where: tuple[Predicate[M], ...]) -> int:
        from ..sql.stmt import Delete

        c = self._dialect.compile(Delete(self._spec, where))
        n: int = await self._db.run(
            c.sql, c.params, _COUNT, table=self._spec, keys=where_keys(self._mapper, where)
        )
        return n


def _with_model(stmt: Select[Any, Any], model: type[Any]) -> Select[Any, Any]:
    return stmt.replace(model=model)


def _func_proc(f: FuncCall[Any, Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if f.name in ("min", "max", "coalesce") and f.args and isinstance(f.args[0], ColumnExpr):
        ct = f.args[0].spec.column_type
        return ct.result_processor(dialect) if ct is not None else None
    return None
