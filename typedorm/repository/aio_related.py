"""Writes through relationships: insert a row with its related rows, and add/remove/set many-to-many links.

``await users.insert(user, with_related=True)`` inserts, in one transaction, the unsaved to-one rows
``user`` points at (parents first, so their keys can be set), then ``user``, then the rows of
its to-many and one-to-one relations with their foreign keys set, then the link rows of its
many-to-many relations; recursively, one batched insert per relation and level. Relations
left ``NOT_LOADED`` are skipped. The stored row comes back with those relations set to the
stored related rows (keys filled in).

``await users.add_related(user, User.groups, g1, g2)``, ``remove_related(...)`` and
``set_related(user, User.groups, [g1])`` change link rows only (targets must be stored rows);
on a one-to-many, ``add_related(user, User.posts, p1, p2)`` sets each post's foreign key to ``user``;
``add`` skips links that exist, and extra link-model columns are passed as keywords
(``add_related(user, User.groups, g, role="admin")``). If the relation is loaded on ``user``,
its list is updated to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..engine.core import ResultMode
from ..schema.columns import AUTO
from ..schema.relations import NOT_LOADED, RelationSpec, relations_of
from ..sql.expr import ColumnExpr, Compare, InList, Predicate, Slot
from ..sql.stmt import Delete, Select
from .loading import _key_converter

if TYPE_CHECKING:
    from ..engine.aio import AsyncDatabase
    from .aio_repo import AsyncRepository

__all__ = ["add_links", "insert_related", "reject_related", "remove_links", "set_links"]

_ALL, _COUNT = ResultMode.ALL, ResultMode.COUNT


class _Graph:
    """State of one ``insert(..., with_related=True)``: repositories per model and rows in progress."""

    def __init__(self, repo: AsyncRepository[Any]) -> None:
        self.db: AsyncDatabase = repo.db
        self.repos: dict[type[Any], AsyncRepository[Any]] = {repo.model: repo}
        self.busy: set[int] = set()

    def repo(self, model: type[Any]) -> AsyncRepository[Any]:
        r = self.repos.get(model)
        if r is None:
            from .aio_repo import AsyncRepository

            r = AsyncRepository(model, self.db)
            self.repos[model] = r
        return r

    async def insert(self, model: type[Any], objs: list[Any]) -> list[Any]:
        """Insert ``objs`` (all of ``model``) and what they relate to; stored copies, in order."""
        if not objs:
            return []
        self.busy.update(id(o) for o in objs)
        rels = [
            (name, d.spec)
            for name, d in relations_of(model).items()
            if any(o.__dict__.get(name, NOT_LOADED) is not NOT_LOADED for o in objs)
        ]
        prepared = list(objs)
        # 1. parents first: their keys go into our foreign keys.
        for name, spec in rels:
            if spec.kind != "many_to_one":
                continue
            parents = {id(v): v for o in objs if (v := o.__dict__[name]) is not NOT_LOADED and v is not None}
            unsaved = [
                p
                for p in parents.values()
                if p.__dict__[spec.remote.field] is AUTO and id(p) not in self.busy
            ]
            stored = dict(zip([id(p) for p in unsaved], await self.insert(spec.target, unsaved), strict=True))
            for i, o in enumerate(objs):
                v = o.__dict__[name]
                if v is NOT_LOADED or (v is not None and id(v) in self.busy and id(v) not in stored):
                    continue  # not given, or the parent being inserted above us: it set our key
                parent = None if v is None else stored.get(id(v), v)
                key = None if parent is None else parent.__dict__[spec.remote.field]
                if key is AUTO:
                    raise ValueError(
                        f"{spec.label}: the related {spec.target.__name__} has no key yet (a cycle of unsaved rows)"
                    )
                prepared[i] = prepared[i].model_copy(update={spec.local.field: key, name: parent})
        # 2. the rows themselves (their relation values are written below, not by insert_many).
        names = {name: NOT_LOADED for name, _spec in rels}
        out = await self.repo(model).insert_many(
            [p.model_copy(update=names) for p in prepared] if names else prepared
        )
        for o, s in zip(prepared, out, strict=True):
            for name, _spec in rels:
                s.__dict__[name] = o.__dict__[name]
        # 3. children and links, one batch per relation.
        for name, spec in rels:
            if spec.kind in ("one_to_many", "one_to_one"):
                await self._children(name, spec, objs, out)
            elif spec.kind == "many_to_many":
                await self._links(name, spec, objs, out)
        return out

    async def _children(self, name: str, spec: RelationSpec, objs: list[Any], out: list[Any]) -> None:
        children: list[Any] = []
        owners: list[int] = []
        for i, (o, s) in enumerate(zip(objs, out, strict=True)):
            v = o.__dict__[name]
            if v is NOT_LOADED:
                continue
            items = v if spec.many else ([] if v is None else [v])
            key = s.__dict__[spec.local.field]
            for c in items:
                children.append(c.model_copy(update={spec.remote.field: key}))
                owners.append(i)
            s.__dict__[name] = [] if spec.many else None
        stored = await self.insert(spec.target, children)
        for i, c in zip(owners, stored, strict=True):
            if spec.many:
                out[i].__dict__[name].append(c)
            else:
                out[i].__dict__[name] = c

    async def _links(self, name: str, spec: RelationSpec, objs: list[Any], out: list[Any]) -> None:
        assert spec.link is not None and spec.link_local is not None and spec.link_remote is not None
        targets = {id(t): t for o in objs if (v := o.__dict__[name]) is not NOT_LOADED for t in v}
        unsaved = [
            t for t in targets.values() if t.__dict__[spec.remote.field] is AUTO and id(t) not in self.busy
        ]
        stored = dict(zip([id(t) for t in unsaved], await self.insert(spec.target, unsaved), strict=True))
        links: list[Any] = []
        for o, s in zip(objs, out, strict=True):
            v = o.__dict__[name]
            if v is NOT_LOADED:
                continue
            final = [stored.get(id(t), t) for t in v]
            s.__dict__[name] = final
            key = s.__dict__[spec.local.field]
            for t in final:
                links.append(_link_row(spec, key, _key(t, spec.remote.field, spec.label), {}))
        if links:
            await self.repo(spec.link).insert_many(links)


def reject_related(model: type[Any], objs: Sequence[Any], what: str) -> None:
    """A plain insert writes columns only: related rows set on ``objs`` would be dropped silently."""
    for name in relations_of(model):
        for o in objs:
            if o.__dict__.get(name, NOT_LOADED) is not NOT_LOADED:
                raise ValueError(
                    f"{model.__name__}.{name} holds related rows that {what}() does not write: use "
                    f"insert(obj, with_related=True) to insert them too, or leave {name} unset"
                )


async def insert_related(repo: AsyncRepository[Any], obj: Any) -> Any:
    """Insert ``obj`` with the related rows set on it, in one transaction (see the module docstring)."""
    async with repo.db.unit_of_work():
        return (await _Graph(repo).insert(repo.model, [obj]))[0]


# --- many-to-many links ---------------------------------------------------------------


def _m2m(spec: RelationSpec, what: str) -> RelationSpec:
    if spec.kind != "many_to_many":
        hint = (
            "add_related() sets the foreign key of a one-to-many; to detach or replace rows, "
            if spec.kind == "one_to_many"
            else ""
        )
        raise TypeError(
            f"{what}() changes many-to-many links; {spec.label} is {spec.kind.replace('_', '-')}: "
            f"{hint}set {spec.target.__name__}.{spec.remote.field} and update the row instead"
        )
    return spec


def _key(obj: Any, field: str, label: str) -> Any:
    v = obj.__dict__[field]
    if v is AUTO:
        raise ValueError(f"{label}: {type(obj).__name__} {obj!r} is not stored yet; insert it first")
    return v


def _link_row(spec: RelationSpec, owner_key: Any, target_key: Any, extra: dict[str, Any]) -> Any:
    assert spec.link is not None and spec.link_local is not None and spec.link_remote is not None
    from pydantic import ValidationError as PydanticValidationError

    from .mapping import wrap_validation_error

    data = {**extra, spec.link_local.field: owner_key, spec.link_remote.field: target_key}
    try:
        return spec.link.model_validate(data)
    except PydanticValidationError as e:
        raise wrap_validation_error(e, spec.link.__name__, f"a link row of {spec.label}") from None


def _target_keys(spec: RelationSpec, targets: Iterable[Any], what: str) -> list[Any]:
    keys: list[Any] = []
    for t in targets:
        if not isinstance(t, spec.target):
            raise TypeError(
                f"{what}() on {spec.label} takes {spec.target.__name__} instances, not {type(t).__name__}"
            )
        k = _key(t, spec.remote.field, spec.label)
        if k not in keys:
            keys.append(k)
    return keys


async def _existing(
    db: AsyncDatabase, spec: RelationSpec, owner_key: Any, keys: Sequence[Any] | None
) -> set[Any]:
    """Target keys already linked to ``owner_key`` (among ``keys``, or all of them)."""
    assert spec.link is not None and spec.link_local is not None and spec.link_remote is not None
    d = db.dialect
    local: ColumnExpr[Any, Any] = ColumnExpr(spec.link, spec.link_local)
    remote: ColumnExpr[Any, Any] = ColumnExpr(spec.link, spec.link_remote)
    local_bind = d.bind_processor(spec.link_local)
    remote_bind = d.bind_processor(spec.link_remote)
    ok = local_bind(owner_key) if local_bind is not None else owner_key
    head: Select[Any, Any] = Select(spec.link, (remote,), where=(Compare("=", local, Slot()),))
    convert = _key_converter(db.dialect, db.mappers, spec.link, spec.link_remote)
    out: set[Any] = set()
    if keys is None:
        rows = await db.run(d.compile_shape(head), [ok], _ALL, table=spec.link.__table__)
        return {convert(r[0]) for r in rows}
    chunk = max(1, int(d.max_params) - 1)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        sql = d.compile_shape(head.where(InList(remote, (Slot(),) * len(part), False)))
        params = [ok, *(remote_bind(k) if remote_bind is not None else k for k in part)]
        out.update(convert(r[0]) for r in await db.run(sql, params, _ALL, table=spec.link.__table__))
    return out


async def _delete(db: AsyncDatabase, spec: RelationSpec, owner_key: Any, keys: Sequence[Any]) -> int:
    assert spec.link is not None and spec.link_local is not None and spec.link_remote is not None
    d = db.dialect
    local: ColumnExpr[Any, Any] = ColumnExpr(spec.link, spec.link_local)
    remote: ColumnExpr[Any, Any] = ColumnExpr(spec.link, spec.link_remote)
    local_bind = d.bind_processor(spec.link_local)
    remote_bind = d.bind_processor(spec.link_remote)
    ok = local_bind(owner_key) if local_bind is not None else owner_key
    n = 0
    chunk = max(1, int(d.max_params) - 1)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        where: tuple[Predicate[Any], ...] = (
            Compare("=", local, Slot()),
            InList(remote, (Slot(),) * len(part), False),
        )
        sql = d.compile_shape(Delete(spec.link.__table__, where))
        params = [ok, *(remote_bind(k) if remote_bind is not None else k for k in part)]
        n += int(await db.run(sql, params, _COUNT, table=spec.link.__table__))
    return n


def _sync_loaded(
    obj: Any,
    spec: RelationSpec,
    add: Sequence[Any] = (),
    drop: set[Any] | None = None,
    replace: list[Any] | None = None,
) -> None:
    name = spec.name
    current = obj.__dict__.get(name, NOT_LOADED)
    if current is NOT_LOADED:
        return
    field = spec.remote.field
    if replace is not None:
        obj.__dict__[name] = list(replace)
        return
    items = [t for t in current if drop is None or t.__dict__[field] not in drop]
    have = {t.__dict__[field] for t in items}
    items += [t for t in add if t.__dict__[field] not in have]
    obj.__dict__[name] = items


async def add_links(
    repo: AsyncRepository[Any],
    obj: Any,
    spec: RelationSpec,
    targets: Sequence[Any],
    link_fields: dict[str, Any],
) -> int:
    """Link ``obj`` to ``targets`` (existing links are kept as they are); returns how many were added.

    One-to-many: each target's foreign key is set to ``obj``'s key (an ``UPDATE`` of the rows not
    pointing at ``obj`` yet); many-to-many: a link row per target not linked yet.
    """
    if spec.kind == "one_to_many":
        return await _adopt(repo, obj, spec, targets, link_fields)
    _m2m(spec, "add_related")
    assert spec.link is not None
    owner_key = _key(obj, spec.local.field, spec.label)
    keys = _target_keys(spec, targets, "add_related")
    if not keys:
        return 0
    db = repo.db
    from .aio_repo import AsyncRepository

    async with db.unit_of_work():
        have = await _existing(db, spec, owner_key, keys)
        new = [k for k in keys if k not in have]
        if new:
            await AsyncRepository(spec.link, db).insert_many(
                [_link_row(spec, owner_key, k, link_fields) for k in new]
            )
    _sync_loaded(obj, spec, add=list(targets))
    return len(new)


async def _adopt(
    repo: AsyncRepository[Any],
    obj: Any,
    spec: RelationSpec,
    targets: Sequence[Any],
    link_fields: dict[str, Any],
) -> int:
    """One-to-many ``add_related``: point the targets' foreign key at ``obj``; returns how many rows changed."""
    from .aio_repo import AsyncRepository

    if link_fields:
        raise TypeError(
            f"add_related() on {spec.label} (one-to-many) takes no link fields, got {', '.join(sorted(link_fields))}"
        )
    owner_key = _key(obj, spec.local.field, spec.label)
    pk_fields = [c.field for c in spec.target.__table__.pk_columns]
    items: list[Any] = []
    keys: list[tuple[Any, ...]] = []
    for t in targets:
        if not isinstance(t, spec.target):
            raise TypeError(
                f"add_related() on {spec.label} takes {spec.target.__name__} instances, not {type(t).__name__}"
            )
        k = tuple(_key(t, f, spec.label) for f in pk_fields)
        if k not in keys:
            keys.append(k)
            items.append(t)
    if not keys:
        return 0
    fk: ColumnExpr[Any, Any] = getattr(spec.target, spec.remote.field)
    pks: list[ColumnExpr[Any, Any]] = [getattr(spec.target, f) for f in pk_fields]
    # Rows already pointing at obj are left alone, so the count is of rows moved to obj.
    not_yet = (fk != owner_key) | fk.is_null()
    target_repo = AsyncRepository(spec.target, repo.db)
    n = 0
    chunk = max(1, (int(repo.db.dialect.max_params) - 2) // len(pks))
    async with repo.db.transaction():
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            where: Predicate[Any]
            if len(pks) == 1:
                where = pks[0].in_([k[0] for k in part])
            else:
                where = _all_of([c == v for c, v in zip(pks, part[0], strict=True)])
                for k in part[1:]:
                    where = where | _all_of([c == v for c, v in zip(pks, k, strict=True)])
            n += await target_repo.update(where & not_yet, fk.set(owner_key))
    for t in items:
        t.__dict__[spec.remote.field] = owner_key
    current = obj.__dict__.get(spec.name, NOT_LOADED)
    if current is not NOT_LOADED:
        have = {tuple(c.__dict__[f] for f in pk_fields) for c in current}
        obj.__dict__[spec.name] = [*current, *(t for t, k in zip(items, keys, strict=True) if k not in have)]
    return n


def _all_of(preds: list[Any]) -> Any:
    out = preds[0]
    for p in preds[1:]:
        out = out & p
    return out


async def remove_links(
    repo: AsyncRepository[Any], obj: Any, spec: RelationSpec, targets: Sequence[Any]
) -> int:
    """Unlink ``obj`` from ``targets``; returns how many links were deleted."""
    _m2m(spec, "remove_related")
    owner_key = _key(obj, spec.local.field, spec.label)
    keys = _target_keys(spec, targets, "remove_related")
    if not keys:
        return 0
    n = await _delete(repo.db, spec, owner_key, keys)
    _sync_loaded(obj, spec, drop=set(keys))
    return n


async def set_links(
    repo: AsyncRepository[Any],
    obj: Any,
    spec: RelationSpec,
    targets: Sequence[Any],
    link_fields: dict[str, Any],
) -> None:
    """Make ``targets`` exactly the rows linked to ``obj`` (links to keep are left untouched)."""
    _m2m(spec, "set_related")
    assert spec.link is not None
    owner_key = _key(obj, spec.local.field, spec.label)
    keys = _target_keys(spec, targets, "set_related")
    db = repo.db
    from .aio_repo import AsyncRepository

    async with db.unit_of_work():
        have = await _existing(db, spec, owner_key, None)
        drop = [k for k in have if k not in keys]
        new = [k for k in keys if k not in have]
        if drop:
            await _delete(db, spec, owner_key, drop)
        if new:
            await AsyncRepository(spec.link, db).insert_many(
                [_link_row(spec, owner_key, k, link_fields) for k in new]
            )
    _sync_loaded(obj, spec, replace=list(targets))
