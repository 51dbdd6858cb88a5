"""Text-column validation every backend can honour: no NUL, no lone surrogates, keyed lengths that fit an index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from .columns import _building
from .types import StrType

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .spec import TableSpec

__all__ = [
    "KEYED_TEXT_MAX_LENGTH",
    "NO_NUL_PATTERN",
    "NUL_MESSAGE",
    "TextRules",
    "install_text_rules",
    "without_text_rules",
]

#: The length a text column in a primary key, unique constraint or index holds when it
#: declares no ``max_length``. MySQL/MariaDB cannot index TEXT, so such a column is
#: ``VARCHAR(255)`` there; enforcing the same limit in validation makes a value that one
#: backend accepts acceptable to all (and keeps keys far below PostgreSQL's btree limit of
#: 2,704 bytes per entry and InnoDB's 3,072 bytes per index).
KEYED_TEXT_MAX_LENGTH = 255

# Any constraint makes pydantic-core read the string as UTF-8, which rejects lone
# surrogates (error type ``string_unicode``); the pattern itself rejects NUL, which
# PostgreSQL text cannot hold. Both run in Rust: a Python validator per value costs several
# times as much (measured: +45% on validating a model with three text fields).
NO_NUL_PATTERN = r"^[^\x00]*$"
NUL_MESSAGE = (
    "text cannot contain NUL (\\x00) characters (PostgreSQL cannot store them); store such data as bytes"
)


def _rule(fn: Any) -> Any:
    fn.__typedorm_text_rule__ = True
    return fn


@_rule
def _check_text(v: Any) -> Any:
    """The same rules in Python, for a text schema that already carries a pattern of its own."""
    if isinstance(v, str):
        if "\x00" in v:
            raise ValueError(NUL_MESSAGE)
        if not v.isascii():
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(
                    "text cannot contain lone surrogates (it would not encode as UTF-8)"
                ) from None
    return v


def _constrain(schema: CoreSchema, max_length: int | None) -> CoreSchema:
    """``schema`` with the text rules applied to the ``str`` schema inside it (copies, never mutates)."""
    kind = schema.get("type")
    if kind == "str":
        out: dict[str, Any] = dict(schema)
        if max_length is not None and out.get("max_length") is None:
            out["max_length"] = max_length
        if out.get("pattern") is None:
            out["pattern"] = NO_NUL_PATTERN
            return out
        return core_schema.no_info_after_validator_function(_check_text, out)
    if kind in ("nullable", "default", "function-after", "function-before", "function-wrap"):
        out = dict(schema)
        out["schema"] = _constrain(schema["schema"], max_length)
        return out
    if kind == "literal":  # a closed set of values declared in the model
        return schema
    wrapped = schema
    if max_length is not None:
        n = max_length

        @_rule
        def _max(v: Any) -> Any:
            if isinstance(v, str) and len(v) > n:
                raise ValueError(f"String should have at most {n} characters")
            return v

        wrapped = core_schema.no_info_after_validator_function(_max, wrapped)
    return core_schema.no_info_after_validator_function(_check_text, wrapped)


def without_text_rules(schema: Any) -> Any:
    """A copy of a core schema with the text rules taken out, and lax (``strict`` off).

    Rows read back need neither: the database cannot hand back a lone surrogate, a NUL a
    backend stored before these rules existed should still load, and the driver's types
    (SQLite's 0/1 booleans, ISO text) are not a client's input. Reading every text value as
    UTF-8 against a pattern would cost reads far more than it buys.
    """
    if isinstance(schema, list):
        return [without_text_rules(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind == "function-after" and getattr(
        schema["function"].get("function"), "__typedorm_text_rule__", False
    ):
        return without_text_rules(schema["schema"])
    out = {k: without_text_rules(v) for k, v in schema.items()}
    if kind == "str" and out.get("pattern") == NO_NUL_PATTERN:
        del out["pattern"]
    if kind == "model" and isinstance(out.get("config"), dict):
        out["config"] = {**out["config"], "strict": False}
    if kind in (
        "int",
        "float",
        "bool",
        "str",
        "decimal",
        "datetime",
        "date",
        "time",
        "timedelta",
        "uuid",
        "bytes",
        "list",
        "dict",
        "model-fields",
        "model",
    ) and out.get("strict"):
        out["strict"] = False
    return out


class TextRules:
    """Field metadata typedorm adds to every text column (see :func:`install_text_rules`)."""

    __slots__ = ("max_length",)

    def __init__(self, max_length: int | None = None) -> None:
        self.max_length: int | None = max_length

    def __repr__(self) -> str:
        return f"TextRules(max_length={self.max_length!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _constrain(handler(source), self.max_length)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The NUL rule is an implementation detail of storage, not part of the documented shape.
        out = handler(schema)
        _drop_pattern(out)
        return out


def _drop_pattern(js: Any) -> None:
    if isinstance(js, dict):
        if js.get("pattern") == NO_NUL_PATTERN:
            del js["pattern"]
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in js.get(key, ()):
                _drop_pattern(sub)


def install_text_rules(cls: type[BaseModel], spec: TableSpec) -> None:
    """Add :class:`TextRules` to each text field of ``cls`` and rebuild its validator.

    Every text column refuses NUL and lone surrogates; one in a key (primary key,
    unique, index, or a composite of those) without ``max_length`` holds at most
    :data:`KEYED_TEXT_MAX_LENGTH` characters.
    """
    keyed = {n for i in spec.indexes for n in i.columns} | set(spec.primary_key)
    fields = cls.__pydantic_fields__
    changed = False
    for c in spec.columns:
        if not isinstance(c.column_type, StrType):
            continue
        info = fields[c.field]
        implied = KEYED_TEXT_MAX_LENGTH if c.name in keyed and c.max_length is None else None
        old = [m for m in info.metadata if isinstance(m, TextRules)]
        if len(old) == 1 and old[0].max_length == implied:
            continue
        # A new list: an inherited FieldInfo may share its list with the parent class.
        info.metadata = [*(m for m in info.metadata if not isinstance(m, TextRules)), TextRules(implied)]
        changed = True
    if changed and cls.__pydantic_complete__:
        token = _building.set(True)
        try:
            cls.model_rebuild(force=True, _types_namespace={})
        finally:
            _building.reset(token)
