"""Row mapping, free of I/O: model instances to driver parameters and result rows back to validated models."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import SchemaValidator

from ..errors import UnknownField, ValidationError
from ..schema.columns import AUTO
from ..schema.model import CLEAN, mark_clean
from ..schema.relations import relations_of
from ..schema.textcheck import NO_NUL_PATTERN, NUL_MESSAGE, without_text_rules
from ..sql.expr import SLOT, Assignment, ColumnExpr, Compare, Predicate, Slot
from ..sql.functions import max as max_
from ..sql.stmt import Delete, Insert, Select, Update
from ..sql.values import INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from pydantic.plugin._schema_validator import PluggableSchemaValidator

    from ..dialects.base import Dialect
    from ..schema.model import Model
    from ..schema.spec import ColumnSpec, TableSpec

__all__ = [
    "Mapper",
    "Prototypes",
    "clone_all",
    "clone_one",
    "copy_with",
    "fill_in",
    "get_mapper",
    "row_validator",
    "wrap_validation_error",
]

M = TypeVar("M", bound="Model")

#: Column value types whose instances cannot change in place: an assignment is the only way a
#: field of one of these types changes. Any other type (lists, dicts, models, custom types)
#: can be mutated without ``__setattr__`` seeing it, so such columns are always written.
_IMMUTABLE_TYPES = (
    int,
    float,
    str,
    bytes,
    bool,
    Decimal,
    dt.date,
    dt.time,
    dt.timedelta,
    uuid.UUID,
    enum.Enum,
)
#: rows converted column-wise at a time by hydrate_all (small enough that the row dicts alive at
#: once trigger no extra gen-0 collections: 1,000 did, 256 does not)
_HYDRATE_CHUNK = 256
#: dirty-field plans kept per mapper (one per distinct set of assigned fields)
_MAX_DIRTY_PLANS = 256


def _immutable(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, _IMMUTABLE_TYPES)


def wrap_validation_error(e: PydanticValidationError, model: str, what: str = "") -> ValidationError:
    """Our ValidationError from Pydantic's, keeping each error's ``loc``."""
    errors = [_explain(err) for err in e.errors(include_url=False)]
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc or '(root)'}: {err.get('msg', '')}")
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    prefix = f"{what}: " if what else ""
    return ValidationError(f"{prefix}{model}: {'; '.join(parts)}{more}", errors, model=model)


def _explain(err: Any) -> Any:
    # The NUL rule is a pattern (it runs in Rust): say what it means instead of quoting it.
    if (
        err.get("type") == "string_pattern_mismatch"
        and (err.get("ctx") or {}).get("pattern") == NO_NUL_PATTERN
    ):
        return {**err, "msg": NUL_MESSAGE}
    return err


class Mapper(Generic[M]):
    """Everything a repository needs to move rows of one model on one dialect, computed once."""

    def __init__(self, model: type[M], dialect: Dialect) -> None:
        spec: TableSpec = model.__table__
        self.model: type[M] = model
        self.spec: TableSpec = spec
        self.dialect: Dialect = dialect
        self.columns: tuple[ColumnSpec, ...] = spec.columns
        self.fields: tuple[str, ...] = tuple(c.field for c in spec.columns)
        infos = model.model_fields
        self.keys: tuple[str, ...] = tuple(infos[c.field].alias or c.field for c in spec.columns)
        #: every column, in table order: the select list rows are hydrated from
        self.column_exprs: tuple[ColumnExpr[M, Any], ...] = tuple(ColumnExpr(model, c) for c in spec.columns)
        #: ``SELECT`` every column: where each query of the model starts (statements are immutable)
        self.select_all: Select[M, Any] = Select(model, self.column_exprs)
        self.validator: SchemaValidator | PluggableSchemaValidator = model.__pydantic_validator__
        #: validates a row read back: always lax, as a strict model's rows arrive in the driver's
        #: types (SQLite's 0/1 booleans, ISO text datetimes), not as a client's input
        self.validate_row: Callable[[Any], M] = row_validator(model)
        self.result_procs: list[tuple[str, Callable[[Any], Any]]] = []
        for c, key in zip(spec.columns, self.keys, strict=True):
            proc = c.column_type.result_processor(dialect) if c.column_type is not None else None
            if proc is not None:
                self.result_procs.append((key, proc))
        #: the same, by position in the select list
        self._result_idx_procs: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (self.keys.index(key), proc) for key, proc in self.result_procs
        )
        self.bind_procs: tuple[Callable[[Any], Any] | None, ...] = tuple(
            dialect.bind_processor(c) for c in spec.columns
        )
        self.pk_cols: tuple[ColumnSpec, ...] = spec.pk_columns
        self.pk_index: tuple[int, ...] = tuple(self.fields.index(c.field) for c in self.pk_cols)
        #: ``pk = ?`` per key column: the WHERE of every statement by primary key
        self.pk_slots: tuple[Predicate[M], ...] = tuple(
            Compare("=", ColumnExpr(model, c), Slot()) for c in self.pk_cols
        )
        self.pk_procs: tuple[Callable[[Any], Any] | None, ...] = tuple(
            dialect.bind_processor(c) for c in self.pk_cols
        )
        self._int_pk: tuple[int, ...] = tuple(
            i for i, c in enumerate(self.pk_cols) if c.type_name == "integer"
        )
        #: the type of a single key column bound as it is (a value of exactly that type is its own
        #: parameter, see pk_params), else None
        self._plain_pk: type[Any] | None = (
            self.pk_cols[0].python_type if len(self.pk_cols) == 1 and self.pk_procs[0] is None else None
        )
        self.auto_fields: tuple[str, ...] = tuple(c.field for c in spec.columns if c.auto)
        #: only the single autoincrement key is assigned by the database
        self.auto_is_pk_only: bool = (
            len(self.auto_fields) == 1
            and len(self.pk_cols) == 1
            and self.pk_cols[0].field == self.auto_fields[0]
        )
        # Statement shapes compiled once; each run passes the key values in placeholder order.
        self.get_sql: str = dialect.compile_shape(Select(model, self.column_exprs, where=self.pk_slots))
        self.delete_sql: str = dialect.compile_shape(Delete(spec, self.pk_slots))
        self._insert_sql: dict[tuple[int, ...], str] = {}
        self._all_idx: tuple[int, ...] = tuple(range(len(self.fields)))
        self._bind_pairs: list[tuple[str, Callable[[Any], Any] | None]] = list(
            zip(self.fields, self.bind_procs, strict=True)
        )
        self._row_plans: dict[
            tuple[int, ...], tuple[tuple[int, ...], list[tuple[str, Callable[[Any], Any] | None]]]
        ] = {}
        #: columns that may hold AUTO (left out of INSERT when they do)
        self._auto_idx: tuple[tuple[int, str], ...] = tuple(
            (i, c.field) for i, c in enumerate(spec.columns) if c.auto
        )
        self._update_plans: dict[tuple[str, ...] | None, tuple[tuple[tuple[int, str], ...], str]] = {}
        self._select_by: dict[tuple[str, ...], str] = {}
        self._max_pk_sql: str | None = None
        #: compiled SQL of statement shapes built elsewhere (relationship loading), by shape key
        self.shapes: dict[Any, str] = {}
        self._adapters: dict[str, TypeAdapter[Any]] = {}
        self._patch_adapter: TypeAdapter[dict[str, Any]] | None = None
        #: index of the column whose values a key generator assigns (None if there is none)
        self.identity_index: int | None = next(
            (i for i, c in enumerate(spec.columns) if c.autoincrement), None
        )
        #: the statement that moves that generator past explicitly written keys, where needed
        self.identity_sync: tuple[str, list[Any]] | None = (
            dialect.identity_sync_sql(spec.name, spec.columns[self.identity_index].name)
            if self.identity_index is not None
            else None
        )
        #: payload keys (aliases) of the database-assigned fields, read-only in JSON payloads
        self.auto_keys: dict[str, str] = {self.keys[i]: c.field for i, c in enumerate(spec.columns) if c.auto}
        self.auto_field_set: frozenset[str] = frozenset(self.auto_keys.values())
        self._pk_fields: frozenset[str] = frozenset(c.field for c in self.pk_cols)
        #: non-key columns of a type that can change in place: written by every update(obj)
        self.always_written: frozenset[str] = frozenset(
            c.field for c in spec.columns if not _immutable(c.python_type) and c.field not in self._pk_fields
        )
        self._dirty_plans: dict[frozenset[str], tuple[str, ...] | None] = {}
        #: whether cached results may be answered with copies of instances validated once
        self.clonable: bool = clonable(model)
        #: fields whose values can change in place: a copy of an instance deep-copies them (every
        #: field but the immutable-typed columns and the relations, which hold NOT_LOADED)
        self.deep_fields: tuple[str, ...] = tuple(
            f
            for f in model.model_fields
            if not (f in spec.by_field and _immutable(spec.by_field[f].python_type))
            and f not in relations_of(model)
        )
        #: the fields sets prototypes share (never handed out: each copy gets its own)
        self._fields_sets: dict[frozenset[str], set[str]] = {}
        #: new instances equal to prototypes (see :func:`clone_all`): what a cache hit returns
        self.clone: Callable[[Prototypes], list[M]] = clone_all
        #: the same, for a result of one row (a cached get): the new instance
        self.clone_one: Callable[[Prototypes], M] = clone_one

    def dirty_fields(self, assigned: frozenset[str]) -> tuple[str, ...] | None:
        """The columns ``update(obj)`` writes for an instance whose ``assigned`` fields changed
        since it matched its row: those, plus the mutable-typed columns, in table order.
        ``()``: nothing to write. None: every column (a key field was assigned, so the instance
        now names another row whose content is unknown)."""
        plan = self._dirty_plans.get(assigned, ())
        if plan == ():
            if assigned & self._pk_fields:
                plan = None
            else:
                want = assigned | self.always_written
                plan = tuple(f for f in self.fields if f in want)
            if len(self._dirty_plans) < _MAX_DIRTY_PLANS:
                self._dirty_plans[assigned] = plan
        return plan

    def writes_identity(self, idx: Sequence[int]) -> bool:
        """Whether an insert of the columns ``idx`` gives explicit keys the generator must skip."""
        return self.identity_sync is not None and self.identity_index in idx

    # --- rows -> models --------------------------------------------------------------
    def hydrate(self, row: Sequence[Any]) -> M:
        # Rows come from this mapper's own SELECT list, so keys and values always pair up.
        d = dict(zip(self.keys, row))  # noqa: B905
        for key, proc in self.result_procs:
            v = d[key]
            if v is not None:
                d[key] = proc(v)
        try:
            obj: M = self.validate_row(d)
        except PydanticValidationError as e:
            raise wrap_validation_error(
                e, self.model.__name__, f"a row of table {self.spec.name!r}"
            ) from None
        mark_clean(obj, CLEAN)
        return obj

    def hydrate_all(self, rows: Sequence[Sequence[Any]]) -> list[M]:
        """Every row validated into an instance, each marked as matching its row (dirty tracking)."""
        keys = self.keys
        validate = self.validate_row
        out: list[M]
        try:
            if not self.result_procs:
                # The common case: one comprehension, the row dicts built in C.
                out = [validate(dict(zip(keys, row))) for row in rows]  # noqa: B905
                deque(map(mark_clean, out, repeat(CLEAN)), maxlen=0)  # a loop in C
                return out
            # Column-wise, a chunk of rows at a time: the row dicts built in C, each converted
            # column in one comprehension and stored back by a C loop, then one comprehension of
            # validations. No temporary per row that the garbage collector tracks (row dicts
            # of plain values are untracked), so no extra gen-0 collections.
            procs = self._result_idx_procs
            setitem = dict.__setitem__
            out = []
            for start in range(0, len(rows), _HYDRATE_CHUNK):
                chunk = rows[start : start + _HYDRATE_CHUNK]
                dicts = [dict(zip(keys, row)) for row in chunk]  # noqa: B905
                for i, proc in procs:
                    converted = [None if v is None else proc(v) for v in map(itemgetter(i), chunk)]
                    deque(map(setitem, dicts, repeat(keys[i]), converted), maxlen=0)
                out += [validate(d) for d in dicts]
        except PydanticValidationError as e:
            raise wrap_validation_error(
                e, self.model.__name__, f"a row of table {self.spec.name!r}"
            ) from None
        deque(map(mark_clean, out, repeat(CLEAN)), maxlen=0)
        return out

    def hydrate_kept(self, rows: Sequence[Sequence[Any]]) -> tuple[list[M], Prototypes | None]:
        """``rows`` validated once: the instances for the caller, and prototypes copied from them
        for a cache entry to answer its hits with (None when this model's instances cannot be
        copied faithfully)."""
        objs = self.hydrate_all(rows)
        if not self.clonable:
            return objs, None
        if len(self._fields_sets) > 64:
            self._fields_sets = {}
        return objs, prototypes(objs, self.deep_fields, self._fields_sets, copy_values=True)

    def prototypes(self, rows: Sequence[Sequence[Any]]) -> Prototypes | None:
        """``rows`` validated once, for a cache entry to answer its hits with copies of (None
        when this model's instances cannot be copied faithfully: every hit validates again)."""
        if not self.clonable:
            return None
        if len(self._fields_sets) > 64:
            self._fields_sets = {}
        return prototypes(self.hydrate_all(rows), self.deep_fields, self._fields_sets)

    # --- models -> parameters --------------------------------------------------------
    def bind_value(self, index: int, value: Any) -> Any:
        if value is None:
            return None
        proc = self.bind_procs[index]
        if proc is None:
            return value
        try:
            return proc(value)
        except (ValueError, TypeError) as e:
            f = self.fields[index]
            raise ValidationError(
                f"{self.model.__name__}.{f}: {e}",
                [{"loc": (f,), "msg": str(e), "type": "value_error"}],
                model=self.model.__name__,
            ) from None

    def row_values(self, obj: M) -> tuple[tuple[int, ...], list[Any]]:
        """Indexes of the columns to insert (database-assigned ones left out) and their values."""
        d = obj.__dict__
        idx = self._all_idx
        pairs = self._bind_pairs
        if self._auto_idx:
            skipped = tuple(i for i, f in self._auto_idx if d[f] is AUTO)
            if skipped:
                plan = self._row_plans.get(skipped)
                if plan is None:
                    kept = tuple(i for i in self._all_idx if i not in skipped)
                    plan = self._row_plans[skipped] = (kept, [self._bind_pairs[i] for i in kept])
                idx, pairs = plan
        try:
            # one comprehension: most columns need no conversion (proc is None)
            vals = [v if (v := d[f]) is None or p is None else p(v) for f, p in pairs]
        except (ValueError, TypeError):
            self._raise_bind_error(obj, idx)
            raise
        return idx, vals

    def _raise_bind_error(self, obj: M, idx: tuple[int, ...]) -> None:
        d = obj.__dict__
        for i in idx:
            f, p = self._bind_pairs[i]
            v = d[f]
            if v is None or p is None:
                continue
            try:
                p(v)
            except (ValueError, TypeError) as e:
                raise ValidationError(
                    f"{self.model.__name__}.{f}: {e}",
                    [{"loc": (f,), "msg": str(e), "type": "value_error"}],
                    model=self.model.__name__,
                ) from None

    def insert_sql(self, idx: tuple[int, ...], nrows: int = 1, returning: tuple[ColumnSpec, ...] = ()) -> str:
        """``INSERT`` of the columns ``idx``, ``nrows`` rows of placeholders, optionally ``RETURNING``.

        Cached per shape; ``returning`` is the key column alone or every column, so its length
        tells the two apart (with one column they are the same statement).
        """
        key = (*idx, -nrows, len(returning))
        sql = self._insert_sql.get(key)
        if sql is None:
            row = [SLOT] * len(idx)  # Insert rows hold driver-ready values: the slot marker itself
            stmt = Insert(
                self.spec,
                tuple(self.columns[i] for i in idx),
                [row] * nrows if idx else (),
                returning=returning,
            )
            sql = self._insert_sql[key] = self.dialect.compile_shape(stmt)
        return sql

    def update_plan(self, fields: Sequence[str] | None) -> tuple[tuple[tuple[int, str], ...], str]:
        """``UPDATE ... SET`` of ``fields`` (every non-key column if None) ``WHERE`` primary key:
        the (index, field) pairs whose values go first, then the key values. ``""`` if nothing to set."""
        key = tuple(fields) if fields is not None else None
        plan = self._update_plans.get(key)
        if plan is None:
            pk_fields = {c.field for c in self.pk_cols}
            names = [f for f in (fields or self.fields) if f not in pk_fields]
            sql = ""
            if names:
                sets = tuple(Assignment(ColumnExpr(self.model, self.spec.by_field[f]), Slot()) for f in names)
                sql = self.dialect.compile_shape(Update(self.spec, sets, self.pk_slots))
            plan = (tuple((self.fields.index(f), f) for f in names), sql)
            self._update_plans[key] = plan
        return plan

    def max_pk_sql(self) -> str:
        """``SELECT MAX(key) FROM table`` of the single-column primary key."""
        if self._max_pk_sql is None:
            top = max_(ColumnExpr(self.model, self.pk_cols[0]))
            self._max_pk_sql = self.dialect.compile_shape(Select(self.model, (top,)))
        return self._max_pk_sql

    def select_by_sql(self, names: tuple[str, ...]) -> str:
        """``SELECT`` every column ``WHERE`` the columns ``names`` (SQL names) equal the values given."""
        sql = self._select_by.get(names)
        if sql is None:
            where: tuple[Predicate[M], ...] = tuple(
                Compare("=", ColumnExpr(self.model, self.spec.by_name[n]), Slot()) for n in names
            )
            sql = self._select_by[names] = self.dialect.compile_shape(
                Select(self.model, self.column_exprs, where=where)
            )
        return sql

    def pk_values(self, obj: M) -> list[Any]:
        d = obj.__dict__
        out = []
        for c, proc in zip(self.pk_cols, self.pk_procs, strict=True):
            v = d[c.field]
            if v is AUTO:
                raise ValueError(f"{self.model.__name__}.{c.field} is not set: the row was never inserted")
            out.append(proc(v) if proc is not None and v is not None else v)
        return out

    def pk_params(self, pk: Any) -> list[Any]:
        """Parameters for a primary key given by the caller (a value, or a tuple for composite keys)."""
        if type(pk) is self._plain_pk:  # the common case (an int key): nothing to validate or convert
            return [pk]
        n = len(self.pk_cols)
        if n == 1:
            vals = [pk]
        else:
            if not isinstance(pk, (tuple, list)) or len(pk) != n:
                names = ", ".join(c.field for c in self.pk_cols)
                raise TypeError(f"{self.model.__name__} has a composite key: pass a tuple ({names})")
            vals = list(pk)
        out = []
        for c, proc, v in zip(self.pk_cols, self.pk_procs, vals, strict=True):
            if type(v) is not c.python_type:  # the common case (an int key) needs no validator
                v = self.validate_field(c.field, v)
            out.append(proc(v) if proc is not None and v is not None else v)
        return out

    def pk_unmatchable(self, params: list[Any]) -> bool:
        """True when a key value is an int no integer column holds: no row can have it.

        ``get(2**63)`` then returns None without a query, the same on every backend (SQLite's
        driver cannot even send it).
        """
        for i in self._int_pk:
            v = params[i]
            if type(v) is int and not (INT64_MIN <= v <= INT64_MAX):
                return True
        return False

    # --- per-field validation (partial updates, lookups by key) ------------------------
    def adapter(self, field: str) -> TypeAdapter[Any]:
        a = self._adapters.get(field)
        if a is None:
            if field not in self.spec.by_field:
                raise UnknownField(field, model=self.model.__name__, choices=self.fields)
            info = self.model.model_fields[field]
            tp: Any = info.annotation
            if info.metadata:
                tp = Annotated[(tp, *info.metadata)]
            a = TypeAdapter(tp)
            self._adapters[field] = a
        return a

    def patch_adapter(self) -> TypeAdapter[dict[str, Any]]:
        """Validates a partial payload (any subset of the columns, by alias) as the model would.

        JSON text goes through Pydantic's JSON mode (the model's config, ``strict`` included),
        so a patch accepts exactly what ``insert_json`` accepts, field by field.
        """
        a = self._patch_adapter
        if a is None:
            from typing_extensions import TypedDict

            make_typeddict: Any = TypedDict  # built from the model's fields at run time
            items: dict[str, Any] = {}
            for f, key in zip(self.fields, self.keys, strict=True):
                info = self.model.model_fields[f]
                tp: Any = info.annotation
                if info.metadata:
                    tp = Annotated[(tp, *info.metadata)]
                items[key] = tp
            td: Any = make_typeddict(f"{self.model.__name__}Patch", items, total=False)
            config = dict(self.model.model_config)
            for k in ("validate_assignment", "title", "json_schema_extra", "frozen", "from_attributes"):
                config.pop(k, None)
            config["extra"] = "forbid"
            td.__pydantic_config__ = config
            a = TypeAdapter(td)
            self._patch_adapter = a
        return a

    def validate_field(self, field: str, value: Any) -> Any:
        try:
            return self.adapter(field).validate_python(value)
        except PydanticValidationError as e:
            errs = [{**err, "loc": (field, *err.get("loc", ()))} for err in e.errors(include_url=False)]
            msg = "; ".join(str(err.get("msg")) for err in errs)
            raise ValidationError(
                f"{self.model.__name__}.{field}: {msg}", errs, model=self.model.__name__
            ) from None


_ROW_VALIDATORS: weakref.WeakKeyDictionary[type[Any], tuple[Any, Callable[[Any], Any]]] = (
    weakref.WeakKeyDictionary()
)


def row_validator(model: type[M]) -> Callable[[Any], M]:
    """``model``'s Python validator for rows read from the database: lax, without the text rules.

    See :func:`typedorm.schema.textcheck.without_text_rules`; built once per model schema.
    """
    schema = model.__pydantic_core_schema__
    cached = _ROW_VALIDATORS.get(model)
    if cached is not None and cached[0] is schema:
        return cached[1]
    validate: Callable[[Any], M]
    try:
        # pydantic-core reuses a finished model's own validator for a schema naming that model
        # (pydantic-core's "prebuilt" validators): build ours while the class reads unfinished.
        complete = model.__dict__.get("__pydantic_complete__")
        type.__setattr__(model, "__pydantic_complete__", False)
        try:
            validate = SchemaValidator(without_text_rules(schema)).validate_python
        finally:
            type.__setattr__(model, "__pydantic_complete__", complete)
    except Exception:  # a schema shape this cannot rebuild: the model's own validator, laxly
        validate = functools.partial(model.__pydantic_validator__.validate_python, strict=False)
    _ROW_VALIDATORS[model] = (schema, validate)
    return validate


# Pydantic's slot setters, called directly: copies of validated instances without validating
_new = object.__new__
_set_dict: Callable[[Any, dict[str, Any]], None] = BaseModel.__dict__["__dict__"].__set__
_set_fields_set: Callable[[Any, set[str]], None] = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra: Callable[[Any, Any], None] = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private: Callable[[Any, Any], None] = BaseModel.__dict__["__pydantic_private__"].__set__
_dict_copy = dict.copy


def copy_with(obj: M, updates: dict[str, Any] | None = None) -> M:
    """A shallow copy of a validated instance with some fields replaced by database values.

    Like ``model_copy(update=...)`` (no re-validation: the values come from the database
    or from the already-validated instance) at a fraction of its cost on hot paths.
    """
    new = _new(type(obj))
    d = obj.__dict__.copy()
    fields_set = obj.__pydantic_fields_set__
    if updates:
        d.update(updates)
        fields_set = fields_set | updates.keys()
    else:
        fields_set = set(fields_set)
    _set_dict(new, d)
    _set_fields_set(new, fields_set)
    _set_extra(new, None)
    private = obj.__pydantic_private__
    _set_private(new, None if private is None else dict(private))
    return new


#: What a cached result keeps to answer its next hits with (see :func:`clone_all`): the model, the
#: ``__dict__`` of each instance validated from its rows (the instances themselves are dropped: a
#: dict of plain values is not tracked by the garbage collector, an instance is), each one's
#: fields set (equal ones shared) and the fields whose values can change in place.
Prototypes = tuple[type[Any], list[dict[str, Any]], list[set[str]], tuple[str, ...]]


def clonable(model: type[Any]) -> bool:
    """Whether a copy of ``model``'s instances that copies ``__dict__`` and the fields set is what
    validating the row again would give: no private attributes, no ``model_post_init``, no extra
    fields (each of which validation would build anew)."""
    return (
        not getattr(model, "__private_attributes__", None)
        and getattr(model, "__pydantic_post_init__", None) is None
        and model.model_config.get("extra") != "allow"
    )


def _shared_sets(objs: list[Any], shared: dict[frozenset[str], set[str]], copy_sets: bool) -> list[set[str]]:
    """The fields sets of ``objs`` (instances of one model) for prototypes: equal ones one set,
    kept in ``shared`` (``copy_sets``: copies, when the instances are handed out)."""
    sets = [o.__pydantic_fields_set__ for o in objs]
    n_fields = len(type(objs[0]).model_fields)
    if set(map(len, sets)) == {n_fields}:  # every field set (a subset of the fields): all equal
        key = frozenset(sets[0])
        one = shared.get(key)
        if one is None:
            one = shared[key] = set(key) if copy_sets else sets[0]
        return [one] * len(sets)
    if copy_sets:
        return [shared.setdefault(frozenset(fs), set(fs)) for fs in sets]
    return [shared.setdefault(frozenset(fs), fs) for fs in sets]


def prototypes(
    objs: list[Any],
    deep: tuple[str, ...],
    fields_sets: dict[frozenset[str], set[str]] | None = None,
    copy_values: bool = False,
) -> Prototypes:
    """``objs`` (validated instances of one clonable model) as what :func:`clone_all` copies: with
    ``deep``, the fields whose values can change in place (lists, dicts, models...), which each
    copy gets deep copies of. Equal fields sets are shared between prototypes (through
    ``fields_sets``; each copy gets its own). ``copy_values``: the instances are handed out (to the
    caller of the read that filled a cache entry), so the prototypes keep copies of their values
    and fields sets, sharing nothing with them; else nobody else holds them."""
    if not objs:
        return (object, [], [], deep)
    sets = _shared_sets(objs, {} if fields_sets is None else fields_sets, copy_values)
    values = [o.__dict__ for o in objs]
    if copy_values:
        values = [_copied(d, deep) for d in values] if deep else list(map(_dict_copy, values))
    return (type(objs[0]), values, sets, deep)


def _copied(d: dict[str, Any], deep: tuple[str, ...]) -> dict[str, Any]:
    """A copy of an instance's values sharing nothing a caller can change: ``deep``, the fields
    whose values can change in place, deep-copied."""
    d = d.copy()
    for k in deep:
        v = d[k]
        if v is not None:
            d[k] = copy.deepcopy(v)
    return d


def _clone(cls: type[Any], d: dict[str, Any], fields_set: set[str], deep: tuple[str, ...]) -> Any:
    new = _new(cls)
    _set_dict(new, _copied(d, deep) if deep else d.copy())
    _set_fields_set(new, set(fields_set))
    _set_extra(new, None)
    _set_private(new, None)
    mark_clean(new, CLEAN)
    return new


def clone_one(protos: Prototypes) -> Any:
    """:func:`clone_all` of the prototypes of one row: the new instance."""
    cls, dicts, sets, deep = protos
    return _clone(cls, dicts[0], sets[0], deep)


def clone_all(protos: Prototypes) -> list[Any]:
    """New instances equal to the prototypes, sharing nothing a caller can change: ``__dict__`` and
    the fields set copied (values that can change in place deep-copied), marked as matching their
    rows (dirty tracking). What validating the same rows again would give, without validating:
    the prototypes were validated from those rows, and are never handed out themselves."""
    cls, dicts, sets, deep = protos
    n = len(dicts)
    if n == 1:
        return [_clone(cls, dicts[0], sets[0], deep)]
    if n < 8 or deep:
        return [_clone(cls, d, fs, deep) for d, fs in zip(dicts, sets, strict=True)]
    # Many rows: each step one C loop over all of them (no Python call per instance).
    out = list(map(_new, repeat(cls, n)))
    deque(map(_set_dict, out, map(_dict_copy, dicts)), maxlen=0)
    deque(map(_set_fields_set, out, map(set, sets)), maxlen=0)
    deque(map(_set_extra, out, repeat(None, n)), maxlen=0)
    deque(map(_set_private, out, repeat(None, n)), maxlen=0)
    deque(map(mark_clean, out, repeat(CLEAN, n)), maxlen=0)
    return out


def fill_in(obj: M, updates: dict[str, Any] | None = None) -> M:
    """``obj`` itself with some fields set to database values: for instances typedorm built and
    nobody else holds (rows validated from JSON), where :func:`copy_with` would copy for nothing."""
    if updates:
        obj.__dict__.update(updates)
        obj.__pydantic_fields_set__.update(updates)
    return obj


def get_mapper(model: type[M], dialect: Dialect, cache: dict[type[Any], Any]) -> Mapper[M]:
    """The mapper of ``model`` for ``dialect``, from ``cache`` (one per Database)."""
    m: Mapper[M] | None = cache.get(model)
    if m is None:
        m = Mapper(model, dialect)
        cache[model] = m
    return m
