"""Django-style lookups (``age__gte=18``) and ``Q`` objects, checked against the model before any SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Literal

from ..errors import InvalidArgument, InvalidValue, UnknownField, UnknownLookup
from ..schema.relations import relations_of
from .closed import CONNECTORS, check_flag, check_keyword
from .expr import BoolOp, ColumnExpr, Not, Predicate

__all__ = ["LOOKUPS", "Q", "lookup_predicate", "resolve_lookups"]


def _range(c: ColumnExpr[Any, Any], v: Any) -> Predicate[Any]:
    # a mapping or set has no (low, high) order: refuse it like a single value
    if isinstance(v, (str, bytes, bytearray, Mapping, AbstractSet)) or not isinstance(v, Iterable):
        raise TypeError(f"range lookup on {c.field!r} takes a (low, high) pair, not {v!r}")
    pair = tuple(v)
    if len(pair) != 2:
        raise TypeError(f"range lookup on {c.field!r} takes a (low, high) pair, not {v!r}")
    return c.between(pair[0], pair[1])


def _isnull(c: ColumnExpr[Any, Any], v: Any) -> Predicate[Any]:
    if not isinstance(v, bool):
        raise TypeError(f"isnull lookup on {c.field!r} takes True or False, not {v!r}")
    return c.is_null() if v else c.is_not_null()


def _in(c: ColumnExpr[Any, Any], v: Any) -> Predicate[Any]:
    from .stmt import Select

    if isinstance(v, Select):
        return c.in_(v)
    if isinstance(v, (str, bytes, bytearray, Mapping)) or not isinstance(v, Iterable):
        raise TypeError(f"in lookup on {c.field!r} takes a list of values, not {v!r}")
    return c.in_(v)


def _iexact(c: ColumnExpr[Any, Any], v: Any) -> Predicate[Any]:
    if v is None:
        return c.is_null()
    return c.iexact(v)


LOOKUPS: Mapping[str, Callable[[ColumnExpr[Any, Any], Any], Predicate[Any]]] = {
    "exact": lambda c, v: c == v,
    "iexact": _iexact,
    "ne": lambda c, v: c != v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "in": _in,
    "contains": lambda c, v: c.contains(v),
    "icontains": lambda c, v: c.icontains(v),
    "startswith": lambda c, v: c.startswith(v),
    "istartswith": lambda c, v: c.istartswith(v),
    "endswith": lambda c, v: c.endswith(v),
    "iendswith": lambda c, v: c.iendswith(v),
    "isnull": _isnull,
    "range": _range,
}


def _column(model: type[Any], field: str, key: str) -> ColumnExpr[Any, Any]:
    spec = model.__table__
    if not isinstance(field, str) or field not in spec.by_field:
        # Name the whole key when the field part is empty ("__class__", "__x", "").
        raise UnknownField(field or key, model=model.__name__, choices=spec.field_names)
    expr: ColumnExpr[Any, Any] = getattr(model, field)
    return expr


def _keyed(e: UnknownField | UnknownLookup, key: str) -> UnknownField | UnknownLookup:
    """``e`` naming the whole key as the caller gave it."""
    if e.key == key:
        return e
    out: UnknownField | UnknownLookup
    if isinstance(e, UnknownLookup):
        out = UnknownLookup(e.lookup, key=key, choices=e.choices)
    else:
        out = UnknownField(e.field, model=e.model, choices=e.choices, key=key)
    for note in getattr(e, "__notes__", ()):
        out.add_note(note)
    return out


#: Most ``__``-separated parts a key may have: deep enough for any real relation path,
#: and a bound on the recursion a hostile key could otherwise drive.
MAX_KEY_PARTS = 32


def check_key_depth(model: type[Any], key: object) -> None:
    """Refuse a key with more than :data:`MAX_KEY_PARTS` parts (UnknownField naming it)."""
    if isinstance(key, str) and key.count("__") >= MAX_KEY_PARTS:
        err = UnknownField(key, model=model.__name__, choices=model.__table__.field_names)
        err.add_note(f"a lookup or ordering key has at most {MAX_KEY_PARTS} parts separated by '__'")
        raise err


def lookup_predicate(model: type[Any], key: str, value: Any) -> Predicate[Any]:
    """One ``field__lookup=value`` pair as a predicate on ``model``."""
    check_key_depth(model, key)
    try:
        return _lookup_predicate(model, key, value)
    except (UnknownField, UnknownLookup) as e:
        raise _keyed(e, key) from None


def _lookup_predicate(model: type[Any], key: str, value: Any) -> Predicate[Any]:
    if not isinstance(key, str):
        raise UnknownField(repr(key), model=model.__name__, choices=model.__table__.field_names)
    field, sep, lookup = key.partition("__")
    if not sep:
        lookup = "exact"
    if field not in model.__table__.by_field and field in relations_of(model):
        from .relations import relation_lookup

        return relation_lookup(model, key, value)
    col = _column(model, field, key)
    if lookup not in LOOKUPS:
        if "__" in lookup or lookup in model.__table__.by_field:
            raise UnknownField(key, model=model.__name__, choices=model.__table__.field_names)
        raise UnknownLookup(lookup, key=key, choices=tuple(LOOKUPS))
    try:
        return LOOKUPS[lookup](col, value)
    except TypeError as e:
        # a value of the wrong shape (InvalidValue, or a TypeError from a lookup's own check)
        errs = (
            e.errors()
            if isinstance(e, InvalidValue)
            else [{"loc": (field,), "msg": str(e), "type": "value_error", "input": value}]
        )
        raise InvalidValue(f"{key}: {e}", errs, model=model.__name__) from None


def resolve_lookups(model: type[Any], lookups: Mapping[str, Any]) -> list[Predicate[Any]]:
    """All ``filter_by(**lookups)`` pairs as predicates (validated first, all of them).

    Keys through one relation (``posts__title=..., posts__views__gt=...``) form one
    predicate: they must hold for the same related row.
    """
    rels = relations_of(model)
    if not rels:
        return [lookup_predicate(model, k, v) for k, v in lookups.items()]
    for k in lookups:
        check_key_depth(model, k)
    from .relations import relation_lookups

    by_field = model.__table__.by_field
    through: list[tuple[str, Any]] = []
    plain: list[Predicate[Any]] = []
    for k, v in lookups.items():
        name = k.partition("__")[0] if isinstance(k, str) else None
        if name in rels and name not in by_field:
            through.append((k, v))
        else:
            plain.append(lookup_predicate(model, k, v))
    try:
        return plain + relation_lookups(model, through)
    except (UnknownField, UnknownLookup) as e:
        # name the key that failed, as given (the keys of one relation are resolved together)
        for k, v in through:
            try:
                relation_lookups(model, [(k, v)])
            except (UnknownField, UnknownLookup):
                raise _keyed(e, k) from None
        raise


class Q:
    """A combinable group of lookups: ``Q(age__gte=18) | Q(name="x")``, ``~Q(active=True)``.

    Every keyword is a lookup and nothing else (``Q(**user_input)`` cannot set anything
    but lookups); the connector and negation come only from ``&``, ``|`` and ``~``.
    Resolved against the repository's model when the query runs; unknown fields
    raise :class:`~typedorm.errors.UnknownField` then, before any SQL is built.
    """

    __slots__ = ("children", "connector", "negated")

    children: tuple[Q | Predicate[Any] | tuple[str, Any], ...]
    connector: Literal["AND", "OR"]
    negated: bool

    def __init__(self, /, *children: Q | Predicate[Any], **lookups: Any) -> None:
        for child in children:
            if not isinstance(child, (Q, Predicate)):
                raise InvalidArgument(
                    f"Q() takes Q objects, predicates and field__lookup=value keywords, not {child!r}",
                    argument="Q",
                )
        self.children = (*children, *sorted(lookups.items()))
        self.connector = "AND"
        self.negated = False

    @classmethod
    def _node(
        cls, connector: Literal["AND", "OR"], children: tuple[Q | Predicate[Any], ...], negated: bool
    ) -> Q:
        """A combination built by ``&``, ``|`` and ``~`` (never from keywords)."""
        for child in children:
            if not isinstance(child, (Q, Predicate)):
                raise InvalidArgument(
                    f"Q can be combined with Q objects and predicates, not {child!r}", argument="Q"
                )
        q = cls.__new__(cls)
        q.children = children
        q.connector = check_keyword(connector, CONNECTORS, "connector")  # type: ignore[assignment]
        q.negated = check_flag(negated, "negated")
        return q

    def __and__(self, other: Q | Predicate[Any]) -> Q:
        return Q._node("AND", (self, other), False)

    def __or__(self, other: Q | Predicate[Any]) -> Q:
        return Q._node("OR", (self, other), False)

    def __invert__(self) -> Q:
        return Q._node("AND", (self,), True)

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(repr(c) for c in self.children)
        return f"{'NOT ' if self.negated else ''}Q({inner})"

    def resolve(self, model: type[Any]) -> Predicate[Any]:
        """This group's lookups as a predicate over ``model`` (fields and lookups checked): ``Q(age__gte=18).resolve(User)``."""
        parts: list[Predicate[Any]] = []
        for child in self.children:
            if isinstance(child, Q):
                parts.append(child.resolve(model))
            elif isinstance(child, Predicate):
                parts.append(child)
            else:
                parts.append(lookup_predicate(model, child[0], child[1]))
        if not parts:
            from .expr import Compare, Const

            pred: Predicate[Any] = Compare("=", Const(1), Const(1))
        elif len(parts) == 1:
            pred = parts[0]
        else:
            pred = BoolOp(self.connector, tuple(parts))
        return Not(pred) if self.negated else pred
