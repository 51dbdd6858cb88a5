"""``Model``: Pydantic v2 models whose fields are table columns, introspected into a ``TableSpec``."""

from __future__ import annotations

import enum
import hashlib
import math
import types
import typing
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic._internal._model_construction import ModelMetaclass, build_lenient_weakvaluedict
from pydantic._internal._typing_extra import parent_frame_namespace
from pydantic.errors import PydanticSchemaGenerationError
from pydantic_core import PydanticUndefined
from typing_extensions import Unpack, dataclass_transform

from ..errors import ModelDefinitionError
from .columns import AUTO, SQL, Col, Column, ForeignKey, _building, column
from .fields import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    FloatField,
    IntegerField,
    JSONField,
    TextField,
    UUIDField,
)
from .naming import RESERVED_COLUMN_NAMES, check_identifier, snake_case
from .relations import install_relations, is_relation_field, prepare_namespace
from .spec import CheckSpec, ColumnSpec, DefaultLiteral, ForeignKeySpec, IndexSpec, TableSpec, frozen_types
from .textcheck import install_text_rules
from .types import ColumnType, EnumType, resolve_type

if TYPE_CHECKING:
    from ..sql.expr import Predicate
    from ..sql.lookups import Q

__all__ = [
    "CLEAN",
    "Model",
    "ModelMeta",
    "assigned_fields",
    "build_table_spec",
    "mark_clean",
    "server_default_spec",
]


def server_default_spec(value: object, label: str) -> str | DefaultLiteral | None:
    """``server_default=`` as the spec keeps it: ``SQL("now()")`` -> raw text, a value -> a literal."""
    if value is None or isinstance(value, DefaultLiteral):
        return value
    if isinstance(value, SQL):
        return value.text
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        if "\x00" in value:
            raise ModelDefinitionError(f"{label}: server_default cannot hold a NUL character")
        return DefaultLiteral(value)
    if isinstance(value, (bool, int)):
        return DefaultLiteral(value)
    if isinstance(value, (float, Decimal)):
        if not (math.isfinite(value) if isinstance(value, float) else value.is_finite()):
            raise ModelDefinitionError(f"{label}: server_default must be a finite number, not {value!r}")
        return DefaultLiteral(value)
    raise ModelDefinitionError(
        f'{label}: server_default takes a str, int, float, Decimal or bool literal, or SQL("...") for raw '
        f"SQL, not {value!r}"
    )


_NONE_TYPES = (type(None),)


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in get_args(tp) if a not in _NONE_TYPES]
        nullable = len(args) != len(get_args(tp))
        if len(args) == 1:
            return args[0], nullable
        return typing.Union[tuple(args)], nullable  # noqa: UP007
    return tp, False


def _unwrap_col(tp: Any, *, keep_typed: bool = True) -> Any:
    """``Col[T]`` -> ``T`` without Annotated layers, except (if ``keep_typed``) one naming a ColumnType."""
    while True:
        origin = get_origin(tp)
        if origin is Col:
            args = get_args(tp)
            tp = args[0] if args else Any
        elif origin is Annotated and not (
            keep_typed and any(isinstance(m, ColumnType) for m in tp.__metadata__)
        ):
            tp = get_args(tp)[0]
        else:
            return tp


def _constraint_name(prefix: str, table: str, cols: Sequence[str]) -> str:
    name = f"{prefix}_{table}_{'_'.join(cols)}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"


def _num(v: Any) -> Any:
    from decimal import Decimal

    if isinstance(v, Decimal):
        return str(v)
    return v


def build_table_spec(
    cls: type[BaseModel],
    *,
    table: str | None,
    primary_key: Sequence[str] | str | None,
    unique: Sequence[Sequence[str] | str],
    indexes: Sequence[Sequence[str] | str],
    checks: Sequence[str | tuple[str, str]],
    comment: str | None = None,
) -> TableSpec:
    """Introspect a model class into its :class:`TableSpec`; raises ModelDefinitionError."""
    model_name = cls.__name__
    table_name = table if table is not None else snake_case(model_name)
    try:
        check_identifier(table_name, f"{model_name}: table name")
    except ValueError as e:
        raise ModelDefinitionError(str(e)) from None

    columns: list[ColumnSpec] = []
    field_pks: list[str] = []
    fks: list[ForeignKeySpec] = []
    idx: list[IndexSpec] = []
    cks: list[CheckSpec] = []
    seen_names: dict[str, str] = {}

    for fname, info in cls.model_fields.items():
        if getattr(info, "exclude", False) is True and fname.startswith("_"):
            continue
        if is_relation_field(info):  # a relationship is not a column
            continue
        metas = [m for m in info.metadata if isinstance(m, Column)]
        meta = Column()
        for m in metas:
            meta = meta.merged(m)
        fk_meta = meta.foreign_key or next((m for m in info.metadata if isinstance(m, ForeignKey)), None)
        py, nullable = _strip_optional(_unwrap_col(info.annotation))
        inner, inner_nullable = _strip_optional(py)
        nullable = nullable or inner_nullable
        if meta.nullable is not None:
            nullable = meta.nullable

        try:
            col_type: ColumnType | None = meta.type or resolve_type(inner)
        except TypeError as e:  # a type the map knows but cannot store (e.g. an enum of floats)
            raise ModelDefinitionError(f"{model_name}.{fname}: {e}") from None
        if col_type is None:
            raise ModelDefinitionError(
                f"{model_name}.{fname}: no column type for {inner!r}; use a supported type, "
                "register one with typedorm.register_type(), or pass Column(type=...)"
            )
        # An explicit name is checked as given: Column(name="") is an error, not a fallback.
        colname = meta.name if meta.name is not None else (info.alias or fname)
        try:
            check_identifier(colname, f"{model_name}.{fname}: column name")
        except ValueError as e:
            raise ModelDefinitionError(str(e)) from None
        if colname.lower() in RESERVED_COLUMN_NAMES:
            raise ModelDefinitionError(
                f"{model_name}.{fname}: column name {colname!r} is reserved by the database "
                f"(reserved: {', '.join(sorted(RESERVED_COLUMN_NAMES))}); pass Column(name=...) to rename it"
            )
        if colname.lower() in seen_names:
            raise ModelDefinitionError(
                f"{model_name}.{fname}: column name {colname!r} clashes with field {seen_names[colname.lower()]!r}"
            )
        seen_names[colname.lower()] = fname

        # Constraints: from Column(...) and from Pydantic's own Field(...) metadata.
        cons: dict[str, Any] = {
            k: getattr(meta, k)
            for k in (
                "max_length",
                "min_length",
                "ge",
                "gt",
                "le",
                "lt",
                "pattern",
                "max_digits",
                "decimal_places",
            )
        }
        for m in info.metadata:
            for k, attr_cls in (
                ("max_length", at.MaxLen),
                ("min_length", at.MinLen),
                ("ge", at.Ge),
                ("gt", at.Gt),
                ("le", at.Le),
                ("lt", at.Lt),
            ):
                if isinstance(m, attr_cls) and cons[k] is None:
                    cons[k] = getattr(m, k)
            for k in ("pattern", "max_digits", "decimal_places"):
                v = getattr(m, k, None)
                if v is not None and cons[k] is None and not isinstance(m, Column):
                    cons[k] = v

        default = info.default
        auto = default is AUTO
        has_default = auto or default is not PydanticUndefined or info.default_factory is not None
        if default is not PydanticUndefined and not auto and default is not None:
            _check_default(cls, fname, info, default)
        elif default is None and not nullable:
            raise ModelDefinitionError(f"{model_name}.{fname}: default None on a column that is not Optional")

        if meta.primary_key:
            field_pks.append(fname)
        spec = ColumnSpec(
            field=fname,
            name=colname,
            type_name=col_type.logical,
            sql_types=frozen_types({}),
            nullable=nullable,
            primary_key=False,
            unique=meta.unique,
            index=meta.index,
            has_default=has_default,
            auto=auto,
            server_default=server_default_spec(meta.server_default, f"{model_name}.{fname}"),
            check=meta.check,
            comment=meta.comment or info.description,
            max_length=cons["max_length"],
            min_length=cons["min_length"],
            ge=_num(cons["ge"]),
            gt=_num(cons["gt"]),
            le=_num(cons["le"]),
            lt=_num(cons["lt"]),
            pattern=cons["pattern"],
            max_digits=cons["max_digits"],
            decimal_places=cons["decimal_places"],
            enum_values=col_type.values if isinstance(col_type, EnumType) else None,
            python_type=_unwrap_col(inner, keep_typed=False),
            column_type=col_type,
        )
        columns.append(spec)
        if fk_meta is not None:
            ref_table, ref_col = fk_meta.resolve()
            fks.append(
                ForeignKeySpec(
                    (colname,),
                    ref_table,
                    (ref_col,),
                    fk_meta.on_delete,
                    fk_meta.on_update,
                    fk_meta.name or _constraint_name("fk", table_name, (colname,)),
                )
            )

    by_field = {c.field: c for c in columns}

    def to_cols(names: Sequence[str] | str, what: str) -> tuple[str, ...]:
        if isinstance(names, str):
            names = (names,)
        out = []
        for n in names:
            if n not in by_field:
                raise ModelDefinitionError(
                    f"{model_name}: {what} names unknown field {n!r}; fields: {', '.join(by_field)}"
                )
            out.append(by_field[n].name)
        return tuple(out)

    # Primary key: declared once, on a field or (composite) on the class.
    if len(field_pks) > 1:
        raise ModelDefinitionError(
            f"{model_name}: primary_key is set on several fields ({', '.join(field_pks)}); declare a composite key "
            f"once on the class instead: class {model_name}(Model, primary_key=({', '.join(repr(f) for f in field_pks)}))"
        )
    if primary_key is not None and field_pks:
        raise ModelDefinitionError(
            f"{model_name}: primary key declared both on field {field_pks[0]!r} and on the class; keep one"
        )
    if primary_key is not None:
        pk_cols = to_cols(primary_key, "primary_key")
    elif field_pks:
        pk_cols = (by_field[field_pks[0]].name,)
    elif "id" in by_field:
        pk_cols = (by_field["id"].name,)
    else:
        raise ModelDefinitionError(
            f"{model_name}: no primary key; mark a field `PK[...]` / Column(primary_key=True), name one `id`, "
            "or declare primary_key=(...) on the class"
        )

    # Columns in a composite unique constraint or index need an indexable type (MySQL
    # cannot key a TEXT column without a prefix length), like field-level keyed columns.
    in_key = {f for group in (*unique, *indexes) for f in ((group,) if isinstance(group, str) else group)}

    final: list[ColumnSpec] = []
    for c in columns:
        is_pk = c.name in pk_cols
        auto_inc = bool(is_pk and len(pk_cols) == 1 and c.type_name == "integer" and c.auto)
        explicit = next(
            (
                m.autoincrement
                for m in cls.model_fields[c.field].metadata
                if isinstance(m, Column) and m.autoincrement is not None
            ),
            None,
        )
        if explicit is not None:
            auto_inc = explicit and is_pk
        if is_pk and c.nullable:
            raise ModelDefinitionError(f"{model_name}.{c.field}: a primary-key column cannot be Optional")
        c2 = _replace(c, primary_key=is_pk, autoincrement=auto_inc)
        assert c.column_type is not None
        overrides = next(
            (
                m.sql_type
                for m in cls.model_fields[c.field].metadata
                if isinstance(m, Column) and m.sql_type is not None
            ),
            None,
        )
        # SQL types are computed by the dialect in use; only declared ones are kept ("*": every dialect)
        declared = {"*": overrides} if isinstance(overrides, str) else dict(overrides or {})
        keyed = c.field in in_key and not (c2.index or c2.unique or c2.primary_key)
        final.append(_replace(c2, sql_types=frozen_types(declared), keyed=keyed))

    for c in final:
        if c.unique and not c.primary_key:
            idx.append(IndexSpec(_constraint_name("uq", table_name, (c.name,)), (c.name,), unique=True))
        elif c.index and not c.primary_key:
            idx.append(IndexSpec(_constraint_name("ix", table_name, (c.name,)), (c.name,)))
        if c.check:
            cks.append(CheckSpec(_constraint_name("ck", table_name, (c.name,)), c.check))
    for group in unique:
        cols = to_cols(group, "unique")
        idx.append(IndexSpec(_constraint_name("uq", table_name, cols), cols, unique=True))
    for group in indexes:
        cols = to_cols(group, "indexes")
        idx.append(IndexSpec(_constraint_name("ix", table_name, cols), cols))
    for i, chk in enumerate(checks):
        if isinstance(chk, tuple):
            cks.append(CheckSpec(chk[0], chk[1]))
        else:
            cks.append(CheckSpec(_constraint_name("ck", table_name, (str(i),)), chk))
    names = [i.name for i in idx]
    if len(set(names)) != len(names):
        raise ModelDefinitionError(f"{model_name}: duplicate index or unique constraint")

    return TableSpec(
        name=table_name,
        model_name=model_name,
        columns=tuple(final),
        primary_key=pk_cols,
        indexes=tuple(idx),
        foreign_keys=tuple(fks),
        checks=tuple(cks),
        comment=comment,
    )


def _replace(c: ColumnSpec, **kw: Any) -> ColumnSpec:
    import dataclasses

    return dataclasses.replace(c, **kw)


def _check_default(cls: type[BaseModel], fname: str, info: Any, default: Any) -> None:
    tp: Any = info.annotation
    if info.metadata:
        tp = Annotated[(tp, *info.metadata)]
    try:
        TypeAdapter(tp).validate_python(default)
    except PydanticValidationError as e:
        msg = e.errors()[0].get("msg", str(e)) if e.errors() else str(e)
        raise ModelDefinitionError(
            f"{cls.__name__}.{fname}: default {default!r} is not a valid value for the field ({msg})"
        ) from None


#: how many table models have been defined so far (what caches derived from every model's spec,
#: such as the foreign-key cascade graph, compare to know they are current)
TABLE_MODELS_DEFINED: list[int] = [0]


@dataclass_transform(
    kw_only_default=True,
    field_specifiers=(
        Field,
        PrivateAttr,
        column,
        CharField,
        TextField,
        IntegerField,
        FloatField,
        BooleanField,
        DateTimeField,
        DateField,
        EmailField,
        BlobField,
        DecimalField,
        UUIDField,
        JSONField,
    ),
)
class ModelMeta(ModelMetaclass):
    """Pydantic's model metaclass plus table introspection and column descriptors."""

    def __new__(
        mcs,
        name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        *,
        table: str | None = None,
        abstract: bool = False,
        primary_key: Sequence[str] | str | None = None,
        unique: Sequence[Sequence[str] | str] = (),
        indexes: Sequence[Sequence[str] | str] = (),
        checks: Sequence[str | tuple[str, str]] = (),
        comment: str | None = None,
        **kwargs: Any,
    ) -> type:
        if kwargs.pop("__pydantic_reset_parent_namespace__", True):
            # Pydantic reads the namespace of its caller's caller to resolve string annotations;
            # from here that would be this frame, not the class statement's: capture it for it.
            namespace["__pydantic_parent_namespace__"] = build_lenient_weakvaluedict(parent_frame_namespace())
        prepare_namespace(name, namespace)
        token = _building.set(True)
        try:
            cls = super().__new__(
                mcs, name, bases, namespace, __pydantic_reset_parent_namespace__=False, **kwargs
            )
        except PydanticSchemaGenerationError as e:
            # An annotation Pydantic cannot validate has no column type either: say so in our terms.
            raise ModelDefinitionError(
                f"{name}: unsupported field type ({e.message.splitlines()[0]}); use a supported type, "
                "register one with typedorm.register_type(), or give the type __get_pydantic_core_schema__ "
                "and __typedorm_column_type__"
            ) from e
        finally:
            _building.reset(token)
        if namespace.get("__module__") == __name__ and name == "Model":
            return cls
        if abstract:
            cls.__typedorm_abstract__ = True  # type: ignore[attr-defined]
            return cls
        cls.__typedorm_abstract__ = False  # type: ignore[attr-defined]
        spec = build_table_spec(
            cls,
            table=table,
            primary_key=primary_key,
            unique=unique,
            indexes=indexes,
            checks=checks,
            comment=comment,
        )
        cls.__table__ = spec  # type: ignore[attr-defined]
        TABLE_MODELS_DEFINED[0] += 1
        install_text_rules(cls, spec)
        for c in spec.columns:
            type.__setattr__(cls, c.field, Col[Any](c.field))
        install_relations(cls)
        return cls


class Model(BaseModel, metaclass=ModelMeta):
    """Base class of table models: a Pydantic model whose fields are columns.

    Example::

        class User(Model, table="users"):
            id: PK[int] = column(default=AUTO)
            name: Annotated[Col[str], Column(max_length=100)]
            age: Col[int] = column(default=0, ge=0)

    Class keywords: ``table`` (default: snake_case of the class name), ``primary_key``
    (a composite key as a tuple of field names), ``unique`` and ``indexes`` (lists of
    field-name tuples), ``checks`` (SQL CHECK expressions), ``abstract`` (no table).
    Validation is always on, on construction and on assignment; unknown fields are
    rejected.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(validate_assignment=True, extra="forbid")
    __table__: ClassVar[TableSpec]
    # Dirty tracking (see :func:`assigned_fields`): the fields assigned since the instance last
    # matched its row. A slot, so it is outside ``__dict__``: not a field, not compared by ``==``,
    # not dumped, and not carried by ``model_copy``/``copy``/pickling (a copy is untracked).
    __slots__ = ("__typedorm_dirty__",)

    if not TYPE_CHECKING:
        # Hidden from type checkers (as Pydantic hides its own): a declared __setattr__ would let
        # them accept assignments to attributes the model does not have.
        def __setattr__(self, name: str, value: Any) -> None:
            dirty = getattr(self, "__typedorm_dirty__", None)
            if dirty is None:  # untracked: nothing to record
                BaseModel.__setattr__(self, name, value)
                return
            before = self.__dict__
            BaseModel.__setattr__(self, name, value)  # validates (validate_assignment) and stores
            after = self.__dict__
            if after is before:
                # Stored in place (assignment validation turned off): what else changed cannot be
                # seen, so the row is treated as unknown and update(obj) writes every column.
                _set_dirty(self, None)
                return
            # Validation builds a new __dict__; a model validator may have changed other fields too.
            changed = [k for k, v in after.items() if before.get(k, _MISSING) is not v]
            if name not in dirty or not dirty.issuperset(changed):
                _set_dirty(self, dirty.union(changed, (name,)))

    if TYPE_CHECKING:

        def __init_subclass__(
            cls,
            *,
            table: str | None = None,
            abstract: bool = False,
            primary_key: Sequence[str] | str | None = None,
            unique: Sequence[Sequence[str] | str] = (),
            indexes: Sequence[Sequence[str] | str] = (),
            checks: Sequence[str | tuple[str, str]] = (),
            comment: str | None = None,
            **kwargs: Unpack[ConfigDict],
        ) -> None: ...

        # Typed Django-style lookups (typedorm.repository.lookup_types): ``typedorm stubs`` writes a
        # stub per models module that overrides these two per model with its own keywords. The
        # gradual signature here is what a model without a stub keeps: any keyword.
        def __typedorm_filter_by__(self, *args: Any, **lookups: Any) -> Self: ...

        def __typedorm_exclude__(self, *preds: Predicate[Self] | Q, **lookups: Any) -> Self: ...


_MISSING: Any = object()
_DIRTY_SLOT: Any = Model.__dict__["__typedorm_dirty__"]
_set_dirty: Any = _DIRTY_SLOT.__set__
#: An instance that matches its row and has had nothing assigned since.
CLEAN: frozenset[str] = frozenset()


def assigned_fields(obj: Model) -> frozenset[str] | None:
    """The fields assigned on ``obj`` since it was read from (or written to) its row, or None
    when typedorm does not know what the row holds (an instance built by the caller, a copy):
    then every column must be written."""
    dirty: frozenset[str] | None = getattr(obj, "__typedorm_dirty__", None)
    return dirty


#: ``mark_clean(obj, CLEAN)`` records that ``obj`` matches its row; ``mark_clean(obj, fields)``
#: which fields differ from it; ``mark_clean(obj, None)`` that its row is unknown (every column
#: differs). The slot's own setter: a C call, cheap enough to run on every hydrated row.
mark_clean: Callable[[Model, frozenset[str] | None], None] = _set_dirty
