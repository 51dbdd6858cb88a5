"""Relationship declarations (``Rel[T]``, ``RelList[T]``, ``relation()``) and their resolution from foreign keys.

A relationship is not a column: it has no place in the table, in ``model_dump()`` or in an
``INSERT``. It holds related rows only when a query asked for them; touching it otherwise
raises :class:`~typedorm.errors.NotLoaded` (no query ever runs behind the caller's back).

Declaring::

    class User(Model, table="users"):
        id: PK[int] = column(default=AUTO)
        name: Col[str]
        posts: RelList[Post] = relation(order_by="id")             # one-to-many (Post.author_id)
        profile: Rel[Profile | None] = relation()                    # one-to-one (Profile.user_id)
        groups: RelList[Group] = relation(through=Membership)        # many-to-many, explicit link model
        tags: RelList[Tag] = relation(through="user_tags")           # many-to-many, automatic link table

    class Post(Model, table="posts"):
        id: PK[int] = column(default=AUTO)
        author_id: Annotated[Col[int], ForeignKey(User.id, on_delete="cascade")]
        author: Rel[User] = relation()                               # many-to-one (author_id)

    class Category(Model, table="categories"):                      # self-referential tree
        id: PK[int] = column(default=AUTO)
        parent_id: Annotated[Col[int | None], ForeignKey("categories.id", on_delete="cascade")] = column(default=None)
        parent: Rel[Category | None] = relation()
        children: RelList[Category] = relation(order_by="name")

Typing: on an instance ``post.author`` is ``User`` and ``user.posts`` is ``list[Post]``; on the
class ``Post.author`` is ``ToOne[Post, User]`` and ``User.posts`` is ``ToMany[User, Post]``
(see :mod:`typedorm.sql.relations`), used in ``load(...)``, ``has(...)`` and ``any(...)``.
``relation()`` is an ordinary default value (not a registered field specifier: checkers treat a
specifier's field as optional only when ``default=`` is written out), so ``User(name="Ann")``
type-checks without relationship values, and ``User(name="Ann", posts=[...])`` is accepted too.

How the keys are found, lazily on first use (targets may be declared later in the module):

- ``Rel[B]`` on ``A``: a foreign key of ``A`` to ``B``'s table (many-to-one); else a foreign key
  of ``B`` to ``A``'s table (one-to-one, the row of ``B`` that points at this ``A``).
- ``RelList[B]`` on ``A``: a foreign key of ``B`` to ``A``'s table (one-to-many); with
  ``through=``, the link model's foreign keys to ``A`` and to ``B`` (many-to-many).
- ``fk="field"`` picks the foreign-key field when there are several (on ``A`` for a
  many-to-one, on ``B`` otherwise, on the link model for a many-to-many, where ``target_fk``
  names the link's field pointing at ``B``). A field named by ``fk`` needs no ``ForeignKey``
  constraint: it is then matched with the other model's primary key.
- ``through="table"`` creates a link model with a composite primary key and two foreign keys
  ``ON DELETE CASCADE``; both sides naming the same table share it. ``Database.create_all``
  creates it with its models; ``link_models(...)`` lists them. ``through=LinkModel`` or
  ``through="LinkModel"`` (its class name, or its table name) uses an explicit link model, which by
  name may be declared after the models that name it (looked up on first use). A string that names
  no model and is not lower case is an error (it reads as a class name, not a table name).

Using them (the whole API; details in the modules named):

- Loading (:mod:`typedorm.repository.loading`): ``users.filter(...).load(User.posts,
  Post.comments).all()``, ``users.load(...)``, ``load(User.posts.then(Post.comments))`` to nest
  explicitly, ``users.load_related(rows_or_row, User.posts)``; one batched ``IN`` query per
  relation and level. ``is_loaded(obj, "posts")`` tells without raising.
- Filtering (:mod:`typedorm.sql.relations`): ``Post.author.has(User.name == "Ann")``,
  ``User.posts.any(Post.title.contains("x"))``, ``User.posts.none()``, and lookups
  ``filter_by(author__name="Ann")``, ``filter_by(author=ann)``, ``filter_by(posts__isnull=True)``.
- Writing (:mod:`typedorm.repository.related`): ``users.insert(user, with_related=True)``;
  ``users.add_related(user, User.groups, g, role="admin")``, ``remove_related``, ``set_related``.
  Deletes cascade in the database, as each ``ForeignKey(on_delete=...)`` declares.
"""

from __future__ import annotations

import builtins
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, cast, get_args, get_origin, overload

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import CoreSchema, core_schema

from ..errors import ModelDefinitionError, NotLoaded
from .columns import _building

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

    from ..sql.relations import ToMany, ToOne
    from .model import Model
    from .spec import ColumnSpec, ForeignKeySpec

__all__ = [
    "NOT_LOADED",
    "Rel",
    "RelList",
    "RelationInfo",
    "RelationKind",
    "RelationSpec",
    "is_loaded",
    "link_models",
    "relation",
    "relation_spec",
    "relations_of",
]

T = TypeVar("T")
M = TypeVar("M")
R = TypeVar("R")

RelationKind = Literal["many_to_one", "one_to_one", "one_to_many", "many_to_many"]


class _NotLoaded:
    """The type of :data:`NOT_LOADED`."""

    _instance: _NotLoaded | None = None

    def __new__(cls) -> _NotLoaded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LOADED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_LOADED"

    def __copy__(self) -> _NotLoaded:
        return self

    def __deepcopy__(self, memo: object) -> _NotLoaded:
        return self


NOT_LOADED: Final = _NotLoaded()
"""What an instance holds for a relationship no query loaded (the field's default).

Example: ``post.__dict__["author"] is NOT_LOADED``; test it with ``is_loaded(post, "author")``.
"""


@dataclass(eq=False)
class RelationInfo:
    """What ``relation()`` declared; completed with the field's name and annotation by the metaclass."""

    fk: str | None = None
    target_fk: str | None = None
    through: Any = None
    order_by: tuple[str, ...] = ()
    name: str = ""
    many: bool = False
    annotation: Any = None
    module: str = ""
    namespace: Mapping[str, Any] | None = field(default=None, repr=False)
    owner: type[Any] | None = field(default=None, repr=False)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self._validate)

    def _validate(self, value: Any) -> Any:
        # Values given to the constructor or assigned: instances (or dicts) of the target.
        if value is NOT_LOADED:
            return value
        owner = self.owner
        if owner is None:
            return value
        target, nullable = _target_of(owner, self)
        if self.many:
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                raise ValueError(f"expected a list of {target.__name__}, not {type(value).__name__}")
            items = cast("Sequence[Any]", value)
            return [_as_target(target, v) for v in items]
        if value is None:
            if not nullable:
                raise ValueError(
                    f"None is not allowed: declare Rel[{target.__name__} | None] for an optional relation"
                )
            return None
        return _as_target(target, value)


def _as_target(target: type[Any], value: Any) -> Any:
    if isinstance(value, target):
        return value
    if isinstance(value, Mapping):
        return target.model_validate(value)
    raise ValueError(f"expected a {target.__name__}, not {type(value).__name__}")


def relation(
    *,
    fk: str | None = None,
    through: type[Model] | str | None = None,
    target_fk: str | None = None,
    order_by: str | Sequence[str] = (),
) -> Any:
    """Declare a relationship field: ``posts: RelList[Post] = relation(order_by="-id")``.

    ``fk`` names the foreign-key field when more than one could apply; ``through`` is the
    link model (or, as a string, the table of an automatic link model) of a many-to-many;
    ``target_fk`` names the link's field pointing at the target; ``order_by`` lists target
    field names (``"-name"`` descending) that order a loaded list (default: primary key).
    """
    if isinstance(order_by, str):
        order_by = (order_by,)
    info = RelationInfo(fk=fk, target_fk=target_fk, through=through, order_by=tuple(order_by))
    fi: Any = Field(default=NOT_LOADED, exclude=True, repr=False)
    fi.metadata.append(info)
    fi.metadata.append(_SKIP_JSON_SCHEMA)
    return fi


#: Build ``User.posts``'s class-level object (``ToOne``/``ToMany``, keyed by "is to-many").
#: ``typedorm.sql.relations`` registers them on import, so this lower layer never imports it.
_EXPR_FACTORIES: dict[bool, Callable[[Any], Any]] = {}


def register_relation_factories(to_one: Callable[[Any], Any], to_many: Callable[[Any], Any]) -> None:
    _EXPR_FACTORIES[False] = to_one
    _EXPR_FACTORIES[True] = to_many


# Not a field of the JSON schema: relationships are not part of a row's payload.
_skip: Any = SkipJsonSchema
_SKIP_JSON_SCHEMA: Any = _skip()


class _RelationDescriptor:
    """Runtime part shared by ``Rel`` and ``RelList``: reads the loaded value or raises NotLoaded."""

    __slots__ = ("_expr", "_spec", "info", "name", "owner")

    name: str
    owner: type[Any]
    info: RelationInfo

    def __init__(self, name: str, owner: type[Any], info: RelationInfo) -> None:
        self.name = name
        self.owner = owner
        self.info = info
        self._spec: RelationSpec | None = None
        self._expr: Any = None

    @property
    def spec(self) -> RelationSpec:
        spec = self._spec
        if spec is None:
            spec = _resolve(self.owner, self.name, self.info)
            self._spec = spec
        return spec

    def _class_get(self, owner: type[Any] | None) -> Any:
        if _building.get() and (owner is None or "__table__" not in vars(owner)):
            raise AttributeError(self.name)
        expr = self._expr
        if expr is None:
            factory = _EXPR_FACTORIES.get(self.info.many)
            if factory is None:
                raise RuntimeError("typedorm.sql.relations is not imported; import typedorm first")
            expr = factory(self)
            self._expr = expr
        return expr

    def _instance_get(self, instance: object) -> Any:
        try:
            value = instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if value is NOT_LOADED:
            cls = type(instance).__name__
            raise NotLoaded(
                f"{cls}.{self.name} was not loaded: ask for it in the query, e.g. "
                f"repo.filter(...).load({cls}.{self.name}).all(), or fill in fetched rows with "
                f"repo.load_related(rows, {cls}.{self.name}); typedorm never loads a relation implicitly"
            )
        return value

    def __set__(self, instance: object, value: Any) -> None:
        # Reached only through object.__setattr__: BaseModel.__setattr__ validates and writes __dict__.
        instance.__dict__[self.name] = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.owner.__name__}.{self.name})"


class Rel(_RelationDescriptor, Generic[T]):
    """The annotation of a to-one relationship: ``author: Rel[User] = relation()``.

    ``Rel[User | None]`` when the related row may be missing. On an instance it is the
    related model (or None); on the class, ``Post.author`` is ``ToOne[Post, User]``.
    """

    __slots__ = ()

    @overload
    def __get__(self: Rel[R | None], instance: None, owner: type[M]) -> ToOne[M, R]: ...
    @overload
    def __get__(self: Rel[R], instance: None, owner: type[M]) -> ToOne[M, R]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self._class_get(owner)
        return self._instance_get(instance)

    def __set__(self, instance: object, value: T) -> None:
        instance.__dict__[self.name] = value


class RelList(_RelationDescriptor, Generic[T]):
    """The annotation of a to-many relationship: ``posts: RelList[Post] = relation()``.

    On an instance it is ``list[Post]``; on the class, ``User.posts`` is ``ToMany[User, Post]``.
    """

    __slots__ = ()

    @overload
    def __get__(self, instance: None, owner: type[M]) -> ToMany[M, T]: ...
    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> list[T]: ...
    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> Any:
        if instance is None:
            return self._class_get(owner)
        return self._instance_get(instance)

    def __set__(self, instance: object, value: list[T]) -> None:
        instance.__dict__[self.name] = value


def is_loaded(obj: object, name: str) -> bool:
    """Whether relationship ``name`` of ``obj`` holds loaded rows (never raises NotLoaded).

    Example: ``is_loaded(post, "author")``
    """
    return obj.__dict__.get(name, NOT_LOADED) is not NOT_LOADED


# --- declaration: called by ModelMeta around Pydantic's class construction ----------------

_ANNOTATION_RE = re.compile(r"^\s*(?:[A-Za-z_][\w]*\.)*(Rel|RelList)\s*\[(.*)\]\s*$", re.S)


def _annotation_kind(ann: Any) -> tuple[str, Any] | None:
    """``("Rel" | "RelList", inner)`` for a relationship annotation, else None."""
    if isinstance(ann, str):
        m = _ANNOTATION_RE.match(ann)
        return (m.group(1), m.group(2)) if m else None
    origin = get_origin(ann)
    if origin is Rel or origin is RelList:
        args = get_args(ann)
        return ("Rel" if origin is Rel else "RelList", args[0] if args else Any)
    return None


def is_relation_field(info: Any) -> bool:
    """Whether a Pydantic FieldInfo is a relationship (not a column)."""
    return any(isinstance(m, RelationInfo) for m in getattr(info, "metadata", ()))


def prepare_namespace(name: str, namespace: dict[str, Any]) -> None:
    """Before Pydantic builds class ``name``: record each relationship's annotation and give
    Pydantic a plain one, so a target declared later in the module never blocks the build."""
    anns: dict[str, Any] = namespace.get("__annotations__", {})
    for fname, ann in list(anns.items()):
        value = namespace.get(fname)
        info = next((m for m in getattr(value, "metadata", ()) if isinstance(m, RelationInfo)), None)
        kind = _annotation_kind(ann)
        if info is None:
            if kind is not None:
                raise ModelDefinitionError(
                    f"{name}.{fname}: a relationship needs relation() as its default: "
                    f"{fname}: {kind[0]}[...] = relation()"
                )
            continue
        if kind is None:
            raise ModelDefinitionError(
                f"{name}.{fname}: relation() needs a Rel[Model] or RelList[Model] annotation, not {ann!r}"
            )
        info.name = fname
        info.many = kind[0] == "RelList"
        info.annotation = kind[1]
        info.module = namespace.get("__module__", "")
        info.namespace = namespace.get("__pydantic_parent_namespace__")
        anns[fname] = Any


def install_relations(cls: type[Any]) -> None:
    """After the class is built: a ``Rel``/``RelList`` descriptor per relationship field."""
    rels: dict[str, _RelationDescriptor] = {}
    for fname, finfo in cls.model_fields.items():
        info = next((m for m in finfo.metadata if isinstance(m, RelationInfo)), None)
        if info is None:
            continue
        if info.owner is None:
            info.owner = cls
        desc: _RelationDescriptor = (
            RelList[Any](fname, cls, info) if info.many else Rel[Any](fname, cls, info)
        )
        type.__setattr__(cls, fname, desc)
        rels[fname] = desc
    cls.__typedorm_relations__ = rels


def relations_of(model: type[Any]) -> Mapping[str, _RelationDescriptor]:
    """The relationship descriptors of a table model, by field name."""
    rels: Mapping[str, _RelationDescriptor] = vars(model).get("__typedorm_relations__", {})
    return rels


def relation_spec(model: type[Any], name: str) -> RelationSpec:
    """The resolved relationship ``name`` of ``model``; raises UnknownField for another name."""
    desc = relations_of(model).get(name)
    if desc is None:
        from ..errors import UnknownField

        raise UnknownField(name, model=model.__name__, choices=tuple(relations_of(model)))
    return desc.spec


# --- resolution -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RelationSpec:
    """A resolved relationship: which columns join ``owner`` to ``target``.

    ``local`` is the owner's column holding the key and ``remote`` the target's column it
    matches; a many-to-many matches them through ``link`` (``link_local`` = ``local``,
    ``link_remote`` = ``remote``). ``order_by`` holds ``(target field, descending)`` pairs.
    """

    owner: type[Any]
    name: str
    target: type[Any]
    kind: RelationKind
    nullable: bool
    local: ColumnSpec
    remote: ColumnSpec
    link: type[Any] | None = None
    link_local: ColumnSpec | None = None
    link_remote: ColumnSpec | None = None
    order_by: tuple[tuple[str, bool], ...] = ()

    @property
    def many(self) -> bool:
        return self.kind in ("one_to_many", "many_to_many")

    @property
    def label(self) -> str:
        return f"{self.owner.__name__}.{self.name}"

    def __repr__(self) -> str:
        return f"<RelationSpec {self.label} {self.kind} -> {self.target.__name__}>"


class _LazyNamespace(Mapping[str, Any]):
    """Names for evaluating a relationship's annotation when it is first used."""

    def __init__(self, owner: type[Any], info: RelationInfo) -> None:
        self.owner = owner
        self.info = info

    def __getitem__(self, key: str) -> Any:
        if key == self.owner.__name__:
            return self.owner
        ns = self.info.namespace
        if ns is not None:
            try:
                return ns[key]
            except KeyError:
                pass
        module = sys.modules.get(self.info.module)
        if module is not None and key in vars(module):
            return vars(module)[key]
        if hasattr(builtins, key):
            return getattr(builtins, key)
        found = _model_named(key, self.owner)
        if found is not None:
            return found
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _model_named(name: str, owner: type[Any]) -> type[Any] | None:
    """A table model called ``name`` declared in the same scope as ``owner`` (a class defined
    later in the same function cannot be found through the captured namespace)."""
    from .model import Model

    scope = owner.__qualname__.rpartition(".")[0]
    found: type[Any] | None = None
    stack = list(Model.__subclasses__())
    while stack:
        c = stack.pop(0)
        stack.extend(c.__subclasses__())
        if (
            c.__name__ == name
            and c.__module__ == owner.__module__
            and c.__qualname__.rpartition(".")[0] == scope
        ):
            found = c  # the newest wins
    return found


def _target_of(owner: type[Any], info: RelationInfo) -> tuple[type[Any], bool]:
    """``(target model, nullable)`` from the relationship's annotation."""
    from .model import Model

    ann = info.annotation
    ns = _LazyNamespace(owner, info)
    try:
        for _ in range(3):
            if isinstance(ann, str):
                ann = eval(ann, {"__builtins__": builtins}, ns)  # annotation text from the class body
            elif hasattr(ann, "__forward_arg__"):
                ann = ann.__forward_arg__
            else:
                break
    except Exception as e:
        raise ModelDefinitionError(
            f"{owner.__name__}.{info.name}: cannot resolve the relationship's target {info.annotation!r} ({e})"
        ) from None
    nullable = False
    args = get_args(ann)
    if args and type(None) in args:
        nullable = True
        rest = [a for a in args if a is not type(None)]
        ann = rest[0] if len(rest) == 1 else ann
        if hasattr(ann, "__forward_arg__"):
            ann = ann.__forward_arg__
        if isinstance(ann, str):
            try:
                ann = eval(ann, {"__builtins__": builtins}, ns)
            except Exception as e:
                raise ModelDefinitionError(
                    f"{owner.__name__}.{info.name}: cannot resolve the relationship's target {ann!r} ({e})"
                ) from None
    if not (isinstance(ann, type) and issubclass(ann, Model)) or getattr(ann, "__typedorm_abstract__", True):
        raise ModelDefinitionError(
            f"{owner.__name__}.{info.name}: the target of a relationship must be a table model, not {ann!r}"
        )
    return ann, nullable


def _fks_to(spec_from: Any, table: str) -> list[ForeignKeySpec]:
    return [fk for fk in spec_from.foreign_keys if fk.ref_table == table and len(fk.columns) == 1]


def _fk_of_field(
    model: type[Any], fname: str, ref_model: type[Any], label: str
) -> tuple[ColumnSpec, ColumnSpec]:
    """``(column on model, referenced column on ref_model)`` for foreign-key field ``fname``."""
    spec = model.__table__
    col = spec.by_field.get(fname)
    if col is None:
        raise ModelDefinitionError(
            f"{label}: fk={fname!r} is not a field of {model.__name__}; fields: {', '.join(spec.field_names)}"
        )
    ref_spec = ref_model.__table__
    for fk in spec.foreign_keys:
        if fk.columns == (col.name,):
            if fk.ref_table != ref_spec.name:
                raise ModelDefinitionError(
                    f"{label}: {model.__name__}.{fname} references table {fk.ref_table!r}, not {ref_spec.name!r}"
                )
            return col, ref_spec.by_name[fk.ref_columns[0]]
    # A key without a declared constraint: it matches the other side's primary key.
    if len(ref_spec.primary_key) != 1:
        raise ModelDefinitionError(
            f"{label}: {ref_model.__name__} has a composite primary key; relations need one column"
        )
    return col, ref_spec.by_name[ref_spec.primary_key[0]]


def _single_fk(
    model: type[Any], ref_model: type[Any], label: str, exclude: str | None = None
) -> tuple[ColumnSpec, ColumnSpec] | None:
    """The one foreign key of ``model`` to ``ref_model``'s table; None if none; error if several."""
    spec = model.__table__
    ref_spec = ref_model.__table__
    fks = [
        fk
        for fk in _fks_to(spec, ref_spec.name)
        if exclude is None or spec.by_name[fk.columns[0]].field != exclude
    ]
    if not fks:
        return None
    if len(fks) > 1:
        names = ", ".join(spec.by_name[fk.columns[0]].field for fk in fks)
        raise ModelDefinitionError(
            f"{label}: {model.__name__} has several foreign keys to {ref_model.__name__} ({names}); "
            "pick one with relation(fk=...)"
        )
    fk = fks[0]
    return spec.by_name[fk.columns[0]], ref_spec.by_name[fk.ref_columns[0]]


def _order_by(target: type[Any], names: Sequence[str], label: str) -> tuple[tuple[str, bool], ...]:
    spec = target.__table__
    out: list[tuple[str, bool]] = []
    for n in names:
        desc = n.startswith("-")
        f = n[1:] if desc else n
        if f not in spec.by_field:
            raise ModelDefinitionError(
                f"{label}: order_by names unknown field {f!r} of {target.__name__}; fields: {', '.join(spec.field_names)}"
            )
        out.append((f, desc))
    if not out:
        out = [(spec.by_name[c].field, False) for c in spec.primary_key]
    return tuple(out)


def _resolve(owner: type[Any], name: str, info: RelationInfo) -> RelationSpec:
    if not hasattr(owner, "__table__") or getattr(owner, "__typedorm_abstract__", True):
        raise ModelDefinitionError(f"{owner.__name__}.{name}: relationships need a table model")
    target, nullable = _target_of(owner, info)
    label = f"{owner.__name__}.{name}"
    order = _order_by(target, info.order_by, label)
    if info.through is not None:
        if not info.many:
            raise ModelDefinitionError(
                f"{label}: through= is for many-to-many relations: declare RelList[...]"
            )
        return _resolve_many_to_many(owner, name, info, target, label, order)
    if not info.many:
        pair: tuple[ColumnSpec, ColumnSpec] | None
        if info.fk is not None:
            if info.fk in owner.__table__.by_field:
                pair = _fk_of_field(owner, info.fk, target, label)
                return _many_to_one(owner, name, target, nullable, pair, label, order)
            remote, local = _fk_of_field(target, info.fk, owner, label)
            return RelationSpec(owner, name, target, "one_to_one", nullable, local, remote, order_by=order)
        pair = _single_fk(owner, target, label)
        if pair is not None:
            return _many_to_one(owner, name, target, nullable, pair, label, order)
        back = _single_fk(target, owner, label)
        if back is None:
            raise ModelDefinitionError(
                f"{label}: no foreign key between {owner.__name__} and {target.__name__}; declare one with "
                f"ForeignKey(...) or name the key with relation(fk=...)"
            )
        remote, local = back
        return RelationSpec(owner, name, target, "one_to_one", nullable, local, remote, order_by=order)
    if nullable:
        raise ModelDefinitionError(f"{label}: a RelList is never None; declare RelList[{target.__name__}]")
    if info.fk is not None:
        remote, local = _fk_of_field(target, info.fk, owner, label)
    else:
        back = _single_fk(target, owner, label)
        if back is None:
            raise ModelDefinitionError(
                f"{label}: {target.__name__} has no foreign key to {owner.__name__}; declare one with "
                "ForeignKey(...), or use relation(through=...) for a many-to-many"
            )
        remote, local = back
    return RelationSpec(owner, name, target, "one_to_many", False, local, remote, order_by=order)


def _many_to_one(
    owner: type[Any],
    name: str,
    target: type[Any],
    nullable: bool,
    pair: tuple[ColumnSpec, ColumnSpec],
    label: str,
    order: tuple[tuple[str, bool], ...],
) -> RelationSpec:
    local, remote = pair
    if local.nullable and not nullable:
        raise ModelDefinitionError(
            f"{label}: {owner.__name__}.{local.field} may be NULL, so the relation may be missing: "
            f"declare Rel[{target.__name__} | None]"
        )
    return RelationSpec(owner, name, target, "many_to_one", nullable, local, remote, order_by=order)


def _resolve_many_to_many(
    owner: type[Any],
    name: str,
    info: RelationInfo,
    target: type[Any],
    label: str,
    order: tuple[tuple[str, bool], ...],
) -> RelationSpec:
    through = info.through
    fk, target_fk = info.fk, info.target_fk
    named = _link_model_named(owner, info, through, label) if isinstance(through, str) else None
    if named is not None:
        through = named
    if isinstance(through, str):
        link = _auto_link(owner, name, info, target, through)
        if owner is target and fk is None and target_fk is None:
            # A self-referential automatic link: from_<key> is this side, to_<key> the target;
            # the inverse relation names fk="to_..." (followers of following).
            fk, target_fk = (c.field for c in link.__table__.pk_columns)
    else:
        link = through
        from .model import Model

        if not (isinstance(link, type) and issubclass(link, Model)) or getattr(
            link, "__typedorm_abstract__", True
        ):
            raise ModelDefinitionError(f"{label}: through= takes a table model or a table name, not {link!r}")
    if fk is not None:
        link_local, local = _fk_of_field(link, fk, owner, label)
    else:
        pair = _single_fk(link, owner, label, exclude=target_fk)
        if pair is None:
            raise ModelDefinitionError(
                f"{label}: link model {link.__name__} has no foreign key to {owner.__name__}"
            )
        link_local, local = pair
    if target_fk is not None:
        link_remote, remote = _fk_of_field(link, target_fk, target, label)
    else:
        pair = _single_fk(link, target, label, exclude=link_local.field)
        if pair is None:
            raise ModelDefinitionError(
                f"{label}: link model {link.__name__} has no foreign key to {target.__name__}"
            )
        link_remote, remote = pair
    return RelationSpec(
        owner, name, target, "many_to_many", False, local, remote, link, link_local, link_remote, order
    )


def _link_model_named(owner: type[Any], info: RelationInfo, through: str, label: str) -> type[Any] | None:
    """The explicit link model that ``through="..."`` names, by class name or table name, or None
    for an automatic link table. Looked up when the relation is first used, so the link model may
    be declared after the models that name it."""
    from .model import Model
    from .naming import snake_case

    def is_model(c: Any) -> bool:
        return isinstance(c, type) and issubclass(c, Model) and not getattr(c, "__typedorm_abstract__", True)

    try:
        found = _LazyNamespace(owner, info)[through]
    except KeyError:
        found = None
    if is_model(found):
        return found  # type: ignore[no-any-return]
    # A table name that a declared (not automatic) model of the same module already has.
    stack = list(Model.__subclasses__())
    by_table: type[Any] | None = None
    while stack:
        c = stack.pop(0)
        stack.extend(c.__subclasses__())
        if (
            is_model(c)
            and c.__module__ == owner.__module__
            and "__typedorm_link_ends__" not in vars(c)
            and c.__table__.name == through
        ):
            by_table = c  # the newest wins
    if by_table is not None:
        return by_table
    if through.isidentifier() and through != through.lower():
        # "HeroTeamLink" reads as a class name; as a table name it would be a second table
        # differing from hero_team_link only in case.
        raise ModelDefinitionError(
            f"{label}: through={through!r} names no table model of {owner.__module__} (a link model named "
            f"there may be declared later, but must exist before the first query or create_all); pass the "
            f"model class, or a lower-case table name such as {snake_case(through)!r} for an automatic link table"
        )
    return None


# --- automatic link models ------------------------------------------------------------

_link_lock = threading.Lock()


def _auto_link(owner: type[Any], name: str, info: RelationInfo, target: type[Any], table: str) -> type[Any]:
    with _link_lock:
        # Both sides naming the same table share one link model, kept on the two models.
        for side in (owner, target):
            link: type[Any] | None = vars(side).get("__typedorm_links__", {}).get(table)
            if link is not None and set(link.__typedorm_link_ends__) == {owner, target}:
                return link
        link = _make_link_model(owner, target, table)
        for side in {owner, target}:
            type.__setattr__(
                side, "__typedorm_links__", {**vars(side).get("__typedorm_links__", {}), table: link}
            )
        return link


def _make_link_model(owner: type[Any], target: type[Any], table: str) -> type[Any]:
    from typing import Annotated

    from .columns import Col, Column, ForeignKey
    from .model import Model, ModelMeta
    from .naming import snake_case

    def key_of(model: type[Any]) -> ColumnSpec:
        spec = model.__table__
        if len(spec.primary_key) != 1:
            raise ModelDefinitionError(
                f"{model.__name__} has a composite primary key: declare an explicit link model"
            )
        col: ColumnSpec = spec.by_name[spec.primary_key[0]]
        return col

    a, b = key_of(owner), key_of(target)
    a_name = f"{snake_case(owner.__name__)}_{a.name}"
    b_name = f"{snake_case(target.__name__)}_{b.name}"
    if a_name == b_name:
        a_name, b_name = f"from_{a_name}", f"to_{b_name}"

    def ann(model: type[Any], col: ColumnSpec) -> Any:
        meta = Column(type=col.column_type, max_length=col.max_length)
        col_of: Any = Col
        return Annotated[
            col_of[col.python_type],
            meta,
            ForeignKey(f"{model.__table__.name}.{col.name}", on_delete="cascade"),
        ]

    cls_name = "".join(p.capitalize() for p in table.split("_")) or "Link"
    ns: dict[str, Any] = {
        "__module__": owner.__module__,
        "__qualname__": cls_name,
        "__annotations__": {a_name: ann(owner, a), b_name: ann(target, b)},
        "__doc__": f"Automatic link table between {owner.__name__} and {target.__name__}.",
    }
    make: Any = ModelMeta  # called as the metaclass it is, not as a dataclass-like constructor
    link: type[Any] = make(
        cls_name,
        (Model,),
        ns,
        table=table,
        primary_key=(a_name, b_name),
        indexes=[(b_name,)],
        __pydantic_reset_parent_namespace__=False,
    )
    link.__typedorm_link_ends__ = (owner, target)
    return link


def link_models(*models: type[Any]) -> list[type[Any]]:
    """The automatic link models (``relation(through="table")``) of ``models``, each once."""
    out: list[type[Any]] = []
    for m in models:
        for desc in relations_of(m).values():
            if isinstance(desc.info.through, str):
                link = desc.spec.link
                # through="Name" may name a declared link model: the caller creates that one
                if link is None or "__typedorm_link_ends__" not in vars(link):
                    continue
                if link not in out and link not in models:
                    out.append(link)
    return out
