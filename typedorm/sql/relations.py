"""Relationships at class level (``ToOne``, ``ToMany``): cross-relation predicates, lookups and load paths.

``Post.author`` is a ``ToOne[Post, User]`` and ``User.posts`` a ``ToMany[User, Post]``:

- ``Post.author.has(User.name == "Ann")`` is a ``Predicate[Post]``; ``User.posts.any(
  Post.title.contains("x"))`` a ``Predicate[User]``; both combine with ``&``, ``|`` and ``~``.
- ``filter_by(author__name="Ann")`` builds the same predicate from the model's metadata (an
  unknown relation or field raises :class:`~typedorm.errors.UnknownField` before any SQL);
  lookups on one to-many relation in one ``filter_by`` call must hold for the *same* related
  row, as in Django: ``filter_by(posts__title="x", posts__views__gt=5)``.
- ``User.posts.then(Post.comments)`` is a load path for ``Query.load(...)``.

SQL shape: a relation predicate is an *uncorrelated* ``IN (SELECT ...)`` subquery, e.g.
``"posts"."author_id" IN (SELECT "users"."id" FROM "users" WHERE "users"."name" = ?)``. A
correlated ``EXISTS`` would need the inner table aliased (columns compile as ``"table"."col"``),
and a self-referential relation (``Category.parent``) would otherwise compare the inner table
with itself; ``IN`` needs no alias, and every backend plans it as a semi-join. Subqueries skip
NULL keys, so ``~User.posts.any(...)`` (``NOT IN``) is exact, and ``~Post.editor.has(...)``
keeps rows whose key is NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import InvalidArgument, UnknownField
from ..schema.relations import register_relation_factories
from .expr import (
    BoolOp,
    ColumnExpr,
    Compare,
    Expr,
    InSelect,
    IsNull,
    Not,
    Ordering,
    Predicate,
    ScalarSelect,
    _as_predicate,
)
from .stmt import Select
from .values import invalid_value

if TYPE_CHECKING:
    from ..schema.relations import RelationSpec, _RelationDescriptor

__all__ = [
    "LoadPath",
    "Relation",
    "ToMany",
    "ToOne",
    "build_load_plan",
    "relation_lookup",
    "relation_lookups",
]

M = TypeVar("M")
R = TypeVar("R")


def _col(model: type[Any], field: str) -> ColumnExpr[Any, Any]:
    expr: ColumnExpr[Any, Any] = getattr(model, field)
    return expr


class Relation(Generic[M, R]):
    """A relationship of model ``M`` to model ``R``, at class level (``User.posts``)."""

    __slots__ = ("_desc",)

    def __init__(self, desc: _RelationDescriptor) -> None:
        self._desc = desc

    @property
    def model(self) -> type[M]:
        """The model that declares the relation."""
        owner: type[M] = self._desc.owner
        return owner

    @property
    def name(self) -> str:
        return self._desc.name

    @property
    def spec(self) -> RelationSpec:
        """The resolved keys (raises ModelDefinitionError if they cannot be found)."""
        return self._desc.spec

    @property
    def target(self) -> type[R]:
        target: type[R] = self.spec.target
        return target

    @property
    def through(self) -> type[Any] | None:
        """The link model of a many-to-many (generated for ``through="table"``), else None."""
        return self.spec.link

    def then(self, *more: Relation[R, Any] | LoadPath[R]) -> LoadPath[M]:
        """A nested load path: ``User.posts.then(Post.comments, Post.author)``."""
        children = tuple(_as_path(m) for m in more)
        for c in children:
            if c.relation.model is not self.spec.target:
                raise InvalidArgument(
                    f"{c.relation!r} cannot follow {self!r}: it is a relation of {c.relation.model.__name__}, "
                    f"not of {self.spec.target.__name__}",
                    argument="relation",
                )
        return LoadPath(self, children)

    def _key_subquery(self, preds: Sequence[Predicate[Any]]) -> tuple[ColumnExpr[Any, Any], Select[Any, Any]]:
        """The owner's key column and a subquery of the key values of related rows matching ``preds``."""
        s = self.spec
        where = tuple(_as_predicate(p) for p in preds)
        target_key = _col(s.target, s.remote.field)
        if s.link is not None:
            assert s.link_local is not None and s.link_remote is not None
            link_where: tuple[Predicate[Any], ...] = ()
            if where:
                link_where = (
                    _col(s.link, s.link_remote.field).in_(Select(s.target, (target_key,), where=where)),
                )
            sub: Select[Any, Any] = Select(s.link, (_col(s.link, s.link_local.field),), where=link_where)
        else:
            if s.remote.nullable:
                where = (IsNull[Any](target_key, True), *where)
            sub = Select(s.target, (target_key,), where=where)
        return _col(s.owner, s.local.field), sub

    def _predicate(self, preds: Sequence[Predicate[Any]]) -> Predicate[M]:
        key, sub = self._key_subquery(preds)
        pred: Predicate[M] = InSelect(key, sub, False)
        if self.spec.local.nullable:
            # NULL IN (...) is NULL, and NOT NULL is NULL: make a missing key plainly false.
            pred = BoolOp("AND", (IsNull(key, True), pred))
        return pred

    def __repr__(self) -> str:
        return f"{self._desc.owner.__name__}.{self._desc.name}"


class ToOne(Relation[M, R]):
    """A to-one relationship at class level: ``Post.author`` is ``ToOne[Post, User]``."""

    __slots__ = ()

    def has(self, *preds: Predicate[R]) -> Predicate[M]:
        """Rows whose related row exists and matches all ``preds``: ``Post.author.has(User.name == "Ann")``."""
        return self._predicate(preds)

    def order(self, item: Ordering[R] | Expr[R, Any]) -> Ordering[M]:
        """Order the owner's rows by a value of the related row:
        ``posts.order_by(Post.author.order(User.name.desc()))`` (or ``order_by("-author__name")``).

        Compiled as a correlated scalar subquery, so the main query keeps one row per owner
        (limit, offset and count stay exact); rows without a related row sort as NULL.
        """
        s = self.spec
        if s.target is s.owner:
            raise InvalidArgument(
                f"{self!r}: ordering by a column of the same table through a self-referential "
                "relation is not supported (it needs table aliases)",
                argument="relation",
            )
        o = item if isinstance(item, Ordering) else Ordering(item, False)
        if not isinstance(o.expr, Expr):
            raise InvalidArgument(
                f"order() takes a column of {s.target.__name__} or its ordering, not {item!r}",
                argument="relation",
            )
        target_key = _col(s.target, s.remote.field)
        owner_key = _col(s.owner, s.local.field)
        sub: Select[Any, Any] = Select(
            s.target, (o.expr,), where=(Compare("=", target_key, owner_key),), limit=1
        )
        return Ordering(ScalarSelect(sub), o.descending, o.nulls)


class ToMany(Relation[M, R]):
    """A to-many relationship at class level: ``User.posts`` is ``ToMany[User, Post]``."""

    __slots__ = ()

    def any(self, *preds: Predicate[R]) -> Predicate[M]:
        """Rows with at least one related row matching all ``preds``: ``User.posts.any(Post.title.contains("x"))``."""
        return self._predicate(preds)

    def none(self, *preds: Predicate[R]) -> Predicate[M]:
        """Rows with no related row matching all ``preds`` (``~any(...)``)."""
        return Not(self._predicate(preds))


class LoadPath(Generic[M]):
    """A relation to load and the relations to load below it (``User.posts.then(Post.comments)``)."""

    __slots__ = ("children", "relation")

    relation: Relation[M, Any]
    children: tuple[LoadPath[Any], ...]

    def __init__(self, relation: Relation[M, Any], children: tuple[LoadPath[Any], ...] = ()) -> None:
        self.relation = relation
        self.children = children

    def __repr__(self) -> str:
        if not self.children:
            return repr(self.relation)
        return f"{self.relation!r}.then({', '.join(repr(c) for c in self.children)})"


def _as_path(item: LoadPath[Any] | Relation[Any, Any]) -> LoadPath[Any]:
    if isinstance(item, LoadPath):
        return item
    if not isinstance(item, Relation):  # pyright: ignore[reportUnnecessaryIsInstance] - checked for untyped callers
        raise InvalidArgument(
            f"load() takes relations like User.posts or paths like User.posts.then(Post.comments), not {item!r}",
            argument="relation",
        )
    return LoadPath(item)


def _merge(paths: Iterable[LoadPath[Any]]) -> tuple[LoadPath[Any], ...]:
    """Paths with the same relation at the same level combined into one (one query per relation)."""
    out: dict[tuple[type[Any], str], LoadPath[Any]] = {}
    for p in paths:
        key = (p.relation.model, p.relation.name)
        prev = out.get(key)
        out[key] = LoadPath(p.relation, _merge((*prev.children, *p.children)) if prev else _merge(p.children))
    return tuple(out.values())


def build_load_plan(
    root: type[Any],
    items: Sequence[LoadPath[Any] | Relation[Any, Any]],
    existing: tuple[LoadPath[Any], ...] = (),
) -> tuple[LoadPath[Any], ...]:
    """Turn ``load(...)`` arguments into a tree of load paths from ``root``, checked before any SQL.

    A relation of ``root`` starts at the root; a relation of another model goes below the most
    recently named relation whose target is that model: ``load(User.posts, Post.comments)``
    loads the comments of the loaded posts. ``.then(...)`` nests explicitly (needed for
    self-referential relations: ``Category.children.then(Category.children)``).
    """
    roots: list[LoadPath[Any]] = list(existing)
    # (target model, path of relations from the root) of every relation named so far, in order
    seen: list[tuple[type[Any], tuple[tuple[type[Any], str], ...]]] = []

    def record(p: LoadPath[Any], prefix: tuple[tuple[type[Any], str], ...]) -> None:
        here = (*prefix, (p.relation.model, p.relation.name))
        seen.append((p.relation.spec.target, here))
        for c in p.children:
            record(c, here)

    for p in roots:
        record(p, ())
    for item in items:
        path = _as_path(item)
        rel = path.relation
        rel.spec  # resolve now: a relation whose keys cannot be found fails here, not mid-query  # noqa: B018
        if rel.model is root:
            roots.append(path)
            record(path, ())
            continue
        for target, where in reversed(seen):
            if target is rel.model:
                roots.append(_nest(where, path))
                record(path, where)
                break
        else:
            raise InvalidArgument(
                f"{rel!r} cannot be loaded from {root.__name__}: start with a relation of {root.__name__} "
                f"that leads to {rel.model.__name__}, e.g. load({root.__name__}.<relation>, {rel!r})",
                argument="relation",
            )
    return _merge(roots)


def _nest(where: tuple[tuple[type[Any], str], ...], leaf: LoadPath[Any]) -> LoadPath[Any]:
    node = leaf
    for model, name in reversed(where):
        rel: Relation[Any, Any] = getattr(model, name)
        node = LoadPath(rel, (node,))
    return node


# --- lookups --------------------------------------------------------------------------


def _field_choices(model: type[Any]) -> tuple[str, ...]:
    from ..schema.relations import relations_of

    return (*model.__table__.field_names, *relations_of(model))


def relation_lookups(model: type[Any], items: Sequence[tuple[str, Any]]) -> list[Predicate[Any]]:
    """``filter_by`` keys that start with a relation name of ``model``, as predicates.

    Keys on the same relation are combined into one ``has``/``any``, so they hold for one
    related row together.
    """
    from ..schema.relations import relations_of

    rels = relations_of(model)
    groups: dict[str, list[tuple[str, Any]]] = {}
    for key, value in items:
        name, sep, rest = key.partition("__")
        if name not in rels:
            raise UnknownField(name or key, model=model.__name__, choices=_field_choices(model))
        if sep and not rest:
            # "author__" is not "author": an empty lookup is refused, as for a plain field
            from ..errors import UnknownLookup
            from .lookups import LOOKUPS

            raise UnknownLookup("", key=key, choices=tuple(LOOKUPS))
        groups.setdefault(name, []).append((rest, value))
    out: list[Predicate[Any]] = []
    for name, parts in groups.items():
        out.append(_group_predicate(model, name, parts))
    return out


def relation_ordering(model: type[Any], path: str, descending: bool) -> Ordering[Any]:
    """``"author__name"`` (to-one relations, then a field) as an ordering of ``model``, checked."""
    from ..errors import InvalidArgument
    from ..schema.relations import relations_of
    from .lookups import check_key_depth

    check_key_depth(model, path)
    # Check every name on the path first, so an unknown one is reported as such.
    *hops, last = path.split("__")
    here = model
    for hop in hops:
        if hop not in relations_of(here):
            raise UnknownField(path, model=model.__name__, choices=_field_choices(here))
        here = getattr(here, hop).target
    if not hops or last not in here.__table__.by_field:
        raise UnknownField(path, model=model.__name__, choices=_field_choices(here))
    name, _, rest = path.partition("__")
    rel = getattr(model, name)
    if not isinstance(rel, ToOne):
        raise InvalidArgument(
            f"cannot order {model.__name__} by {path!r}: {name!r} is a to-many relation", argument="order_by"
        )
    target = rel.target
    head, _, more = rest.partition("__")
    if more:
        inner = relation_ordering(target, rest, descending)
        return rel.order(inner)
    if head not in target.__table__.by_field:
        raise UnknownField(path, model=model.__name__, choices=_field_choices(target))
    col: ColumnExpr[Any, Any] = getattr(target, head)
    return rel.order(col.desc() if descending else col.asc())


def relation_lookup(model: type[Any], key: str, value: Any) -> Predicate[Any]:
    """One ``relation__field__lookup=value`` pair as a predicate on ``model``."""
    return relation_lookups(model, [(key, value)])[0]


def _group_predicate(model: type[Any], name: str, parts: list[tuple[str, Any]]) -> Predicate[Any]:
    from ..schema.relations import relations_of
    from .lookups import LOOKUPS, lookup_predicate

    rel: Relation[Any, Any] = getattr(model, name)
    spec = rel.spec
    target = spec.target
    inner: list[Predicate[Any]] = []
    nested: list[tuple[str, Any]] = []
    for rest, value in parts:
        if rest in ("", "exact") or rest == "isnull":
            # author=<User> / author=None / author__isnull=True: compare keys, no subquery.
            return_pred = _instance_predicate(rel, rest, value)
            if len(parts) > 1:
                raise InvalidArgument(
                    f"{name}={value!r} cannot be combined with other {name}__... lookups in one call",
                    argument="relation",
                )
            return return_pred
        first = rest.partition("__")[0]
        if first in relations_of(target) and first not in target.__table__.by_field:
            nested.append((rest, value))
            continue
        if first not in target.__table__.by_field and first not in LOOKUPS:
            err = UnknownField(first, model=target.__name__, choices=_field_choices(target))
            err.add_note(f"in lookup {name}__{rest!r} on {model.__name__}")
            raise err
        inner.append(lookup_predicate(target, rest, value))
    if nested:
        inner.extend(relation_lookups(target, nested))
    if isinstance(rel, ToMany):
        return rel.any(*inner)
    assert isinstance(rel, ToOne)
    return rel.has(*inner)


def _instance_predicate(rel: Relation[Any, Any], lookup: str, value: Any) -> Predicate[Any]:
    spec = rel.spec
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise invalid_value(
                spec.owner.__name__,
                spec.name,
                f"{spec.name}__isnull takes True or False, not {value!r}",
                value,
            )
        present = rel._predicate(())
        if spec.kind == "many_to_one":
            key = _col(spec.owner, spec.local.field)
            return IsNull(key, not value)
        return Not(present) if value else present
    if value is None:
        if spec.kind == "many_to_one":
            return IsNull(_col(spec.owner, spec.local.field), False)
        return Not(rel._predicate(()))
    if not isinstance(value, spec.target):
        raise invalid_value(
            spec.owner.__name__,
            spec.name,
            f"{spec.name}= takes a {spec.target.__name__} instance or None, not {value!r}",
            value,
        )
    if spec.kind == "many_to_one":
        same: Predicate[Any] = _col(spec.owner, spec.local.field) == value.__dict__[spec.remote.field]
        return same
    pk = spec.target.__table__.pk_columns
    if len(pk) != 1:
        raise InvalidArgument(
            f"{spec.name}=<instance> needs {spec.target.__name__} to have a single-column primary key",
            argument="relation",
        )
    return rel._predicate((_col(spec.target, pk[0].field) == value.__dict__[pk[0].field],))


register_relation_factories(ToOne, ToMany)
