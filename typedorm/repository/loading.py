"""Explicit relationship loading: one batched ``IN (...)`` query per relation and level, never a hidden query.

``users.filter(...).load(User.posts, Post.comments).all()`` runs the users query, then one
query for the posts of all those users, then one for the comments of all those posts: three
queries for any number of users (an ``IN`` list longer than the dialect's parameter limit is
split into chunks of ``max_params`` keys).

To-one relations are loaded the same way, by a batched ``IN`` query on the related keys,
rather than by a JOIN in the main query: the main query keeps its exact ``LIMIT``/``OFFSET``/
``DISTINCT``/``count()`` semantics, each related row is fetched and validated once however many
rows point at it (instances are shared), self-referential relations (``Category.parent``) need
no table aliases, and nested paths below a to-one relation work like any other level. The price
is one more round trip per to-one relation, independent of the number of rows.

The loader is free of I/O: a generator yields each statement and receives its rows, so
``load_paths`` (sync) and ``aload_paths`` (async) share everything but the ``run`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from ..engine.core import ResultMode
from ..errors import MultipleResultsFound, NotFound
from ..schema.columns import AUTO
from ..sql.expr import ColumnExpr, Compare, InList, Ordering, Slot
from ..sql.stmt import Select
from ._cache import reads_for
from .mapping import Mapper, get_mapper

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..engine.aio import AsyncDatabase
    from ..engine.database import Database
    from ..schema.relations import RelationSpec
    from ..schema.spec import ColumnSpec, TableSpec
    from ..sql.relations import LoadPath

__all__ = ["aload_paths", "load_paths", "plan_loads"]

#: A statement the loader needs run: SQL text, parameters, and the table (for error names).
Step = tuple[str, list[Any], "TableSpec"]
Plan = Generator[Step, list[Any], None]
#: the query cache's arguments for every statement of a cached query's loads: the load paths (what
#: those statements read, at most), ttl and in_snapshot
CachedLoad = tuple[tuple["LoadPath[Any]", ...], float | None, bool]


def load_paths(
    db: Database, objs: Sequence[Any], paths: Sequence[LoadPath[Any]], *, cached: CachedLoad | None = None
) -> None:
    """Fill the relations named by ``paths`` (and the relations below them) on ``objs``, in place.

    ``cached``: (the tables the whole query reads, ttl, in_snapshot) to run each statement
    through the query cache."""
    plan = plan_loads(db.dialect, db.mappers, objs, paths)
    try:
        step = next(plan)
        while True:
            if cached is None:
                rows = db.run(step[0], step[1], ResultMode.ALL, table=step[2])
            else:
                rows = db.run_cached(
                    step[0],
                    step[1],
                    ResultMode.ALL,
                    reads=reads_for(step[0], cached[0]),
                    ttl=cached[1],
                    in_snapshot=cached[2],
                    table=step[2],
                )
            step = plan.send(rows)
    except StopIteration:
        pass


async def aload_paths(
    db: AsyncDatabase,
    objs: Sequence[Any],
    paths: Sequence[LoadPath[Any]],
    *,
    cached: CachedLoad | None = None,
) -> None:
    """:func:`load_paths` for an ``AsyncDatabase``: the same statements, awaited."""
    plan = plan_loads(db.dialect, db.mappers, objs, paths)
    try:
        step = next(plan)
        while True:
            if cached is None:
                rows = await db.run(step[0], step[1], ResultMode.ALL, table=step[2])
            else:
                rows = await db.run_cached(
                    step[0],
                    step[1],
                    ResultMode.ALL,
                    reads=reads_for(step[0], cached[0]),
                    ttl=cached[1],
                    in_snapshot=cached[2],
                    table=step[2],
                )
            step = plan.send(rows)
    except StopIteration:
        pass


def plan_loads(
    dialect: Dialect, mappers: dict[type[Any], Any], objs: Sequence[Any], paths: Sequence[LoadPath[Any]]
) -> Plan:
    """Yield each statement that loading ``paths`` onto ``objs`` needs and receive its rows."""
    if not objs:
        return
    for path in paths:
        loaded = yield from _load(dialect, mappers, path.relation.spec, objs)
        if path.children and loaded:
            yield from plan_loads(dialect, mappers, loaded, path.children)


def _unique(objs: Sequence[Any]) -> list[Any]:
    seen: set[int] = set()
    out: list[Any] = []
    for o in objs:
        if id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


def _load(
    dialect: Dialect, mappers: dict[type[Any], Any], spec: RelationSpec, objs: Sequence[Any]
) -> Generator[Step, list[Any], list[Any]]:
    """Load one relation onto ``objs``; returns the related rows loaded (each once)."""
    parents = _unique(objs)
    name = spec.name
    by_key: dict[Any, list[Any]] = {}
    for p in parents:
        if not isinstance(p, spec.owner):
            raise TypeError(f"cannot load {spec.label} onto a {type(p).__name__}")
        key = p.__dict__[spec.local.field]
        p.__dict__[name] = [] if spec.many else None
        if key is None or key is AUTO:
            continue
        by_key.setdefault(key, []).append(p)
    if not by_key:
        _check_missing(spec, parents)
        return []
    target = spec.target
    mapper = get_mapper(target, dialect, mappers)
    tspec = target.__table__
    key_col: ColumnSpec
    key_expr: ColumnExpr[Any, Any]
    base: Select[Any, Any]
    if spec.link is None:
        key_col = spec.remote
        key_expr = ColumnExpr(target, key_col)
        base = Select(target, mapper.column_exprs)
    else:
        assert spec.link_local is not None and spec.link_remote is not None
        key_col = spec.link_local
        key_expr = ColumnExpr(spec.link, key_col)
        base = Select(target, (*mapper.column_exprs, key_expr)).join(
            spec.link, Compare("=", ColumnExpr(spec.link, spec.link_remote), ColumnExpr(target, spec.remote))
        )
    base = base.order_by(
        *(Ordering(ColumnExpr(target, tspec.by_field[f]), desc) for f, desc in spec.order_by)
    )
    bind = dialect.bind_processor(key_col)
    keys = list(by_key)
    chunk = max(1, int(dialect.max_params))
    rows: list[Any] = []
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        params = [bind(k) if bind is not None else k for k in part]
        sql = _in_shape(dialect, mapper, spec, base, key_expr, len(part))
        rows.extend((yield (sql, params, tspec)))

    found: list[Any]
    pairs: list[tuple[Any, Any]]
    if spec.link is None:
        found = mapper.hydrate_all(rows)
        field = spec.remote.field
        pairs = [(t.__dict__[field], t) for t in found]
    else:
        convert = _key_converter(dialect, mappers, spec.link, key_col)
        n = len(mapper.columns)
        found = []
        by_pk: dict[tuple[Any, ...], Any] = {}
        pk_idx = mapper.pk_index
        pairs = []
        for r in rows:
            pk = tuple(r[i] for i in pk_idx)
            t = by_pk.get(pk)
            if t is None:
                t = mapper.hydrate(r[:n])
                by_pk[pk] = t
                found.append(t)
            pairs.append((convert(r[n]), t))

    if spec.many:
        for key, t in pairs:
            for p in by_key.get(key, ()):
                p.__dict__[name].append(t)
    else:
        assigned: set[int] = set()
        for key, t in pairs:
            for p in by_key.get(key, ()):
                if id(p) in assigned:
                    raise MultipleResultsFound(
                        f"{spec.label}: more than one {target.__name__} row has {spec.remote.field} = {key!r}; "
                        f"declare RelList[{target.__name__}] or make {target.__name__}.{spec.remote.field} unique"
                    )
                assigned.add(id(p))
                p.__dict__[name] = t
        _check_missing(spec, parents)
    return found


#: IN lists up to this long keep their compiled SQL (one entry per relation and length)
_CACHED_IN_LEN = 64


def _in_shape(
    dialect: Dialect,
    mapper: Mapper[Any],
    spec: RelationSpec,
    base: Select[Any, Any],
    key: ColumnExpr[Any, Any],
    n: int,
) -> str:
    """``base WHERE key IN (n placeholders)``: compiled once per relation and short length."""
    cache_key = (spec.owner, spec.name, n)
    sql: str | None = mapper.shapes.get(cache_key)
    if sql is None:
        sql = dialect.compile_shape(base.where(InList(key, (Slot(),) * n, False)))
        if n <= _CACHED_IN_LEN:
            mapper.shapes[cache_key] = sql
    return sql


def _check_missing(spec: RelationSpec, parents: Sequence[Any]) -> None:
    """A to-one declared without ``| None`` must find its row: its type promises one."""
    if spec.many or spec.nullable:
        return
    for p in parents:
        if p.__dict__[spec.name] is None:
            raise NotFound(
                f"{spec.label}: no {spec.target.__name__} row for {spec.owner.__name__} "
                f"{spec.local.field}={p.__dict__[spec.local.field]!r}; declare Rel[{spec.target.__name__} | None] "
                "if it may be missing"
            )


def _key_converter(
    dialect: Dialect, mappers: dict[type[Any], Any], model: type[Any], col: ColumnSpec
) -> Callable[[Any], Any]:
    """Driver value of a link column -> the Python value the owner's key holds."""
    ct = col.column_type
    proc = ct.result_processor(dialect) if ct is not None else None
    adapter = get_mapper(model, dialect, mappers).adapter(col.field)
    validate = adapter.validate_python

    def convert(v: Any) -> Any:
        if v is None:
            return None
        return validate(proc(v) if proc is not None else v)

    return convert
