"""Reverse engineering: typed ``Model`` source for an existing database (``typedorm inspect URL``).

The generated classes reproduce the introspected schema: creating their tables on an empty
database and introspecting it again gives the same tables, columns, keys, indexes and
checks (except that a SQLite ``VARCHAR(n)``, whose length the model validates, gets the
length CHECK typedorm gives such columns). Where no Python type maps to the column's exact
SQL type, the column names it with ``Column(sql_type={dialect: ...})``; checks that typedorm
derives from a column's type and constraints (enum members, lengths, bounds) become those
constraints again. Foreign keys also become relationships (``Rel``/``RelList``, many-to-many
through link tables), so the module reads like hand-written models.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..schema.columns import SQL
from ..schema.model import Model, _constraint_name
from ..schema.naming import RESERVED_COLUMN_NAMES
from ..schema.spec import CheckSpec, ColumnSpec, DefaultLiteral, ForeignKeySpec, TableSpec
from .ops import _lit
from .reflect import _introspector, canonical_type
from .state import Schema, col, dependency_order, derived_checks

__all__ = ["generate_models"]

_PY_TYPES = {
    "integer": "int",
    "string": "str",
    "boolean": "bool",
    "float": "float",
    "decimal": "decimal.Decimal",
    "bytes": "bytes",
    "datetime": "datetime.datetime",
    "naive_datetime": "NaiveDateTime",
    "date": "datetime.date",
    "time": "datetime.time",
    "timedelta": "datetime.timedelta",
    "uuid": "uuid.UUID",
    "json": "JsonModel[Any]",
}
_IMPORTS = {"decimal.": "import decimal", "datetime.": "import datetime", "uuid.": "import uuid"}
_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_INT = re.compile(r"(?<![\w.])(-?\d+)(?![\w.])")
_BOUND = re.compile(r"(>=|<=|>|<)\s*\(*\s*(-?\d+(?:\.\d+)?)")


def _pascal(name: str) -> str:
    parts = re.split(r"[^0-9a-zA-Z]+", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out or not out[0].isalpha():
        out = "T" + out
    return out


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    if not name or name[0].isdigit():
        name = "f_" + name
    if name.startswith("_"):
        name = "f" + name
    return name


def _usable(name: str, taken: set[str], reserved: frozenset[str] | set[str]) -> bool:
    # A field may not shadow a module-level name its class body's annotations use (a field
    # called "datetime" would hide the module from "datetime.date" for type checkers).
    return not (
        keyword.iskeyword(name)
        or hasattr(Model, name)
        or name.startswith("model_")
        or name in taken
        or name in reserved
    )


def _field_name(column: str, taken: set[str], reserved: frozenset[str] | set[str] = frozenset()) -> str:
    name = _identifier(column)
    while not _usable(name, taken, reserved):
        name += "_"
    return name


_KEY_SUFFIX = re.compile(r"^(.+?)(?:(?i:_(?:id|no|code|key|ref|fk))|(?<=[a-z])(?:Id|ID|No))$")


def _strip_id(column: str) -> str:
    """The name of a relation from its key column: ``author_id`` -> ``author``, ``invoice_no`` ->
    ``invoice``, ``ManagerID`` -> ``Manager``; else the column name itself."""
    m = _KEY_SUFFIX.match(column)
    return m.group(1) if m else column


@dataclass
class _Field:
    column: ColumnSpec
    name: str
    logical: str
    options: dict[str, Any] = field(default_factory=dict)
    enum_class: str | None = None
    enum_values: tuple[Any, ...] | None = None
    fk: ForeignKeySpec | None = None
    comments: list[str] = field(default_factory=list)
    keep_length: bool = False


@dataclass
class _Rel:
    """One generated relationship field."""

    name: str
    annotation: str
    args: str


def _enum_values(sql: str, kind: str) -> tuple[Any, ...] | None:
    if kind == "string":
        vals = [m.group(1).replace("''", "'") for m in _LITERAL.finditer(sql)]
        return tuple(dict.fromkeys(vals)) or None
    body = _LITERAL.sub("", sql)
    ints = [int(m.group(1)) for m in _INT.finditer(body)]
    return tuple(dict.fromkeys(ints)) or None


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


class _Generator:
    def __init__(
        self,
        schema: Schema,
        dialect: str,
        collations: Mapping[str, Mapping[str, str]] | None = None,
        text_types: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.schema = schema
        self.dialect = dialect
        self.collations: Mapping[str, Mapping[str, str]] = collations or {}
        self.text_types: Mapping[str, Mapping[str, str]] = text_types or {}
        self.class_of: dict[str, str] = {}
        self.fields_of: dict[str, dict[str, str]] = {}
        self.rels: dict[str, list[_Rel]] = {}
        self.used_names: set[str] = {
            "annotations",
            "NaiveDateTime",
            "Rel",
            "RelList",
            "relation",
            "Model",
            "Col",
            "Column",
            "ForeignKey",
            "PK",
            "AUTO",
            "Annotated",
            "Any",
            "column",
            "enum",
            "datetime",
            "decimal",
            "uuid",
        }
        self.enums: list[str] = []
        self.classes: list[str] = []
        self.needs: set[str] = set()

    def _unique_class(self, base: str) -> str:
        name = base
        i = 2
        while name in self.used_names:
            name = f"{base}{i}"
            i += 1
        self.used_names.add(name)
        return name

    # --- one column ---------------------------------------------------------------------------
    def _plan(self, t: TableSpec, c: ColumnSpec, fname: str, own_checks: dict[str, CheckSpec]) -> _Field:
        d = self.dialect
        intro = _introspector(d)
        actual = c.sql_types[d]
        logical = c.type_name
        f = _Field(c, fname, logical)
        held = self.text_types.get(t.name, {}).get(c.name)
        if held is not None and logical == "string":
            logical = f.logical = held
            f.comments.append(f"{actual}: every value is a {held} as typedorm stores one; read as such")
        elif held == "datetime" and logical == "naive_datetime":
            logical = f.logical = held
            f.comments.append(f"{actual}: every value has a UTC offset; read as aware datetimes")
        # The type's own arguments: VARCHAR(n), NUMERIC(p, s)
        m = re.match(r"^[a-z ]*(?:character varying|varchar)\((\d+)\)$", actual.lower())
        if logical == "string" and m:
            f.options["max_length"] = int(m.group(1))
            if not intro.enforces_lengths:
                # SQLite ignores the length (sqlite.org/datatype3.html): the model enforces it
                f.keep_length = True
                f.comments.append(
                    f"{actual}: SQLite does not enforce the length; the model validates it and "
                    "create_all adds a CHECK for it"
                )
        m = re.match(r"^(?:numeric|decimal)\((\d+),(\d+)\)$", actual.lower())
        if logical == "decimal" and m and not intro.plain_decimal(actual):
            f.options["max_digits"] = int(m.group(1))
            f.options["decimal_places"] = int(m.group(2))
        logical, notes = intro.model_hints(actual, logical)
        f.logical = logical
        f.comments.extend(notes)
        # Checks typedorm derives from the column itself are named ck_<table>_<column>_<suffix>
        prefix = f"ck_{t.name}_{c.name}_"
        for name, ck in own_checks.items():
            if not name.startswith(prefix):
                continue
            suffix = name[len(prefix) :]
            text = ck.sql
            if suffix in ("ge", "gt", "le", "lt") and logical in ("integer", "float", "decimal"):
                bm = _BOUND.search(text)
                if bm:
                    f.options[suffix] = _number(bm.group(2))
            elif re.fullmatch(r"t\d+", suffix):
                low = text.lower()
                if " in (" in low or "any (" in low or "any(" in low:
                    if logical == "boolean":
                        continue
                    values = _enum_values(text, logical)
                    if values and logical in ("string", "integer"):
                        f.enum_values = values
                elif "length(" in low:
                    bm = _BOUND.search(text)
                    if bm and bm.group(1) == "<=":
                        f.options["max_length"] = int(bm.group(2))
                    elif bm and bm.group(1) == ">=":
                        f.options["min_length"] = int(bm.group(2))
        return f

    def _candidate(self, t: TableSpec, f: _Field, pk: bool) -> ColumnSpec:
        logical = "enum" if f.enum_values is not None else f.logical
        allowed = (
            ("ge", "gt", "le", "lt")
            if f.enum_values is not None
            else ("max_length", "min_length", "ge", "gt", "le", "lt", "max_digits", "decimal_places")
        )
        opts = {k: v for k, v in f.options.items() if k in allowed}
        c = f.column
        return col(
            c.name,
            logical,
            nullable=c.nullable,
            primary_key=pk,
            autoincrement=c.autoincrement,
            server_default=SQL(c.server_default) if isinstance(c.server_default, str) else c.server_default,
            values=f.enum_values,
            unique=bool(f.options.get("unique")),
            index=bool(f.options.get("index")),
            **opts,
        )

    def _fit(self, t: TableSpec, f: _Field, pk: bool, checks: dict[str, CheckSpec]) -> set[str]:
        """Settle the column's options so its DDL matches; returns the checks it reproduces."""
        d = self.dialect
        for _attempt in range(3):
            cand = self._candidate(t, f, pk)
            derived = derived_checks(t, cand, d)
            if all(name in checks for name, _ in derived):
                break
            # a derived check the database does not have: fall back to the plain type
            if f.enum_values is not None:
                f.enum_values = None
            else:
                for k in ("max_length", "min_length", "ge", "gt", "le", "lt"):
                    if k in f.options and not (
                        k == "max_length" and (_introspector(d).enforces_lengths or f.keep_length)
                    ):
                        f.options.pop(k)
        else:  # pragma: no cover - two fallbacks always reach a plain type
            derived = []
        cand = self._candidate(t, f, pk)
        derived = derived_checks(t, cand, d)
        want = canonical_type(d, f.column.sql_types[d])
        if canonical_type(d, cand.sql_type(d)) != want:
            f.options["sql_type"] = {d: want}
        return {name for name, _ in derived}

    # --- one table ----------------------------------------------------------------------------
    def _column_fields(self, t: TableSpec) -> dict[str, str]:
        """``{column: field name}`` for the columns of ``t`` that become fields."""
        taken: set[str] = set()
        out: dict[str, str] = {}
        for c in t.columns:
            if c.name.lower() in RESERVED_COLUMN_NAMES:
                continue
            fname = _field_name(c.name, taken, self.used_names)
            taken.add(fname)
            out[c.name] = fname
        return out

    def table(self, t: TableSpec) -> None:
        head_comments: list[str] = []
        if not t.primary_key:
            self.classes.append(
                f"# Table {t.name} has no primary key; typedorm models need one, so it is left out."
            )
            return
        cls = self.class_of[t.name]
        fields: list[_Field] = []
        checks = {ck.name: ck for ck in t.checks}
        reproduced: set[str] = set()
        single_pk = len(t.primary_key) == 1
        names = self.fields_of[t.name]
        for c in t.columns:
            if c.name not in names:
                head_comments.append(f"column {c.name!r} has a name the databases reserve; it is left out")
                continue
            fname = names[c.name]
            f = self._plan(t, c, fname, checks)
            collation = self.collations.get(t.name, {}).get(c.name)
            if collation is not None and f.logical == "string":
                f.comments.append(
                    f"collation {collation}: compares case-insensitively here ('a' = 'A' in filters and "
                    "unique keys); tables typedorm creates compare case-sensitively"
                )
            if fname != c.name:
                f.options["name"] = c.name
            fields.append(f)
        by_col = {f.column.name: f for f in fields}
        field_of = {f.column.name: f.name for f in fields}

        # unique constraints and indexes: on the column when the name is typedorm's own
        uniques: list[tuple[str, ...]] = []
        indexes: list[tuple[str, ...]] = []
        for i in t.indexes:
            if any(cn not in by_col for cn in i.columns):
                head_comments.append(f"index {i.name} uses a column that is left out; not reproduced")
                continue
            auto = _constraint_name("uq" if i.unique else "ix", t.name, i.columns)
            if len(i.columns) == 1 and i.name == auto and not (i.columns[0] in t.primary_key and single_pk):
                f = by_col[i.columns[0]]
                key = "unique" if i.unique else "index"
                if key == "index" and f.options.get("unique"):
                    indexes.append(i.columns)
                elif key == "unique" and f.options.get("index"):
                    f.options.pop("index")
                    indexes.append(i.columns)
                    f.options["unique"] = True
                else:
                    f.options[key] = True
                continue
            if i.name != auto:
                head_comments.append(
                    f"{'unique constraint' if i.unique else 'index'} {i.name} is named {auto} here"
                )
            (uniques if i.unique else indexes).append(i.columns)

        for fk in t.foreign_keys:
            if len(fk.columns) != 1 or fk.columns[0] not in by_col:
                head_comments.append(
                    f"foreign key {fk.name} ({', '.join(fk.columns)}) -> {fk.ref_table} is not reproduced: "
                    "models declare single-column foreign keys"
                )
                continue
            by_col[fk.columns[0]].fk = fk

        for f in fields:
            pk = f.column.name in t.primary_key
            reproduced |= self._fit(t, f, pk, checks)
        explicit = [ck for ck in t.checks if ck.name not in reproduced]

        # --- source
        kw = [f"table={_lit(t.name)}"]
        if not single_pk:
            kw.append(f"primary_key={_tuple(field_of[c] for c in t.primary_key)}")
        if uniques:
            kw.append("unique=[" + ", ".join(_tuple(field_of[c] for c in u) for u in uniques) + "]")
        if indexes:
            kw.append("indexes=[" + ", ".join(_tuple(field_of[c] for c in ix) for ix in indexes) + "]")
        if explicit:
            kw.append("checks=[" + ", ".join(f"({_lit(ck.name)}, {_lit(ck.sql)})" for ck in explicit) + "]")
        lines: list[str] = []
        for note in head_comments:
            lines.append(f"# NOTE: {note}")
        header = f"class {cls}(Model, {', '.join(kw)}):"
        if len(header) > 110:
            lines.append(f"class {cls}(")
            lines.append("    Model,")
            lines += [f"    {k}," for k in kw]
            lines.append("):")
        else:
            lines.append(header)
        lines.append(f'    """Table {t.name}."""')
        lines.append("")
        for f in fields:
            lines += self._field_source(cls, t, f, single_pk)
        rels = self.rels.get(t.name, [])
        if rels:
            lines.append("")
        for r in rels:
            lines.append(f"    {r.name}: {r.annotation} = relation({r.args})")
        self.classes.append("\n".join(lines) + "\n")

    def _enum(self, cls: str, f: _Field) -> str:
        name = self._unique_class(cls + _pascal(f.column.name))
        values = f.enum_values or ()
        members: list[str] = []
        seen: set[str] = set()
        is_int = f.logical == "integer"
        for v in values:
            base = re.sub(r"\W", "_", str(v)).upper() if not is_int else f"V{str(v).replace('-', 'M')}"
            if not base or base[0].isdigit():
                base = "V_" + base
            while keyword.iskeyword(base) or base in seen or base.startswith("_"):
                base = base.lstrip("_") + "_" if base.startswith("_") else base + "_"
            seen.add(base)
            members.append(f"    {base} = {_lit(v)}")
        bases = "enum.IntEnum" if is_int else "enum.StrEnum"
        self.enums.append(f"class {name}({bases}):\n" + "\n".join(members) + "\n")
        self.needs.add("import enum")
        return name

    def _field_source(self, cls: str, t: TableSpec, f: _Field, single_pk: bool) -> list[str]:
        c = f.column
        if f.enum_values is not None:
            py = self._enum(cls, f)
        else:
            py = _PY_TYPES.get(f.logical, "str")
        for prefix, imp in _IMPORTS.items():
            if py.startswith(prefix):
                self.needs.add(imp)
        if "Any" in py:
            self.needs.add("from typing import Any")
        if "JsonModel" in py:
            self.needs.add("JsonModel")
        pk = c.name in t.primary_key
        ann_type = f"{py} | None" if c.nullable else py
        col_opts: list[str] = []
        if pk and single_pk:
            col_opts.append("primary_key=True")
        only_pk = col_opts == ["primary_key=True"]
        for k in (
            "name",
            "unique",
            "index",
            "max_length",
            "min_length",
            "ge",
            "gt",
            "le",
            "lt",
            "max_digits",
            "decimal_places",
            "server_default",
            "sql_type",
        ):
            v = f.options.get(k)
            if k == "server_default":
                v = c.server_default
                if isinstance(v, str):  # the database's own SQL text: raw SQL, not a value
                    col_opts.append(f"server_default=SQL({_lit(v)})")
                    continue
                if v is not None:
                    v = v.value
            if v is None or v is False:
                continue
            if isinstance(v, Decimal):
                v = float(v)
            if f.enum_values is not None and k in ("max_length", "min_length"):
                continue
            col_opts.append(f"{k}={_lit(v)}")
        meta: list[str] = []
        if col_opts and not (only_pk and f.fk is None and len(col_opts) == 1 and not f.options.get("name")):
            meta.append(f"Column({', '.join(col_opts)})")
        if f.fk is not None:
            fk = f.fk
            args = [_lit(f"{fk.ref_table}.{fk.ref_columns[0]}")]
            if fk.on_delete:
                args.append(f"on_delete={_lit(fk.on_delete)}")
            if fk.on_update:
                args.append(f"on_update={_lit(fk.on_update)}")
            if fk.name and fk.name != _constraint_name("fk", t.name, fk.columns):
                args.append(f"name={_lit(fk.name)}")
            meta.append(f"ForeignKey({', '.join(args)})")
        if meta:
            self.needs.add("Annotated")
            annotation = f"Annotated[Col[{ann_type}], {', '.join(meta)}]"
        elif pk and single_pk:
            annotation = f"PK[{ann_type}]"
        else:
            annotation = f"Col[{ann_type}]"
        default = ""
        sd = c.server_default
        literal = (
            (_lit(sd.value) if isinstance(sd, DefaultLiteral) else _python_default(f.logical, sd))
            if sd is not None and f.enum_values is None and not c.autoincrement
            else None
        )
        if literal is not None:
            # a constant DEFAULT is also the field's Python default: a new instance holds it
            default = f" = column(default={literal})"
        elif c.autoincrement or c.server_default is not None:
            default = " = column(default=AUTO)"
            self.needs.add("AUTO")
        elif c.nullable:
            default = " = column(default=None)"
        out = [f"    # {note}" for note in f.comments]
        line = f"    {f.name}: {annotation}{default}"
        out.append(line)
        return out

    # --- relationships ------------------------------------------------------------------------
    def _links(self, modeled: Sequence[TableSpec]) -> dict[str, tuple[ForeignKeySpec, ForeignKeySpec]]:
        """Link tables of many-to-many relations: two foreign keys that make up the key."""
        found: dict[str, tuple[ForeignKeySpec, ForeignKeySpec]] = {}
        for t in modeled:
            fks = [fk for fk in t.foreign_keys if self._related(t, fk)]
            if len(t.foreign_keys) != 2 or len(fks) != 2:
                continue
            cols = {fk.columns[0] for fk in fks}
            if len(cols) != 2:
                continue
            pk = set(t.primary_key)
            if pk == cols or (len(pk) == 1 and any(i.unique and set(i.columns) == cols for i in t.indexes)):
                found[t.name] = (fks[0], fks[1])
        # A link between link tables would need each class declared before the other.
        return {k: v for k, v in found.items() if not any(fk.ref_table in found for fk in v)}

    def _related(self, t: TableSpec, fk: ForeignKeySpec) -> bool:
        """Whether foreign key ``fk`` of ``t`` becomes a ForeignKey field both ends of which are models."""
        return (
            len(fk.columns) == 1
            and fk.columns[0] in self.fields_of.get(t.name, {})
            and fk.ref_table in self.class_of
        )

    def _unique_alone(self, t: TableSpec, column: str) -> bool:
        return t.primary_key == (column,) or any(i.unique and i.columns == (column,) for i in t.indexes)

    def _add_rel(self, table: str, candidates: Sequence[str], annotation: str, args: str) -> None:
        taken = set(self.fields_of[table].values()) | {r.name for r in self.rels.get(table, [])}
        name = next(
            (n for n in (_identifier(c) for c in candidates) if _usable(n, taken, self.used_names)),
            None,
        )
        if name is None:
            name = _field_name(candidates[0], taken, self.used_names)
        self.rels.setdefault(table, []).append(_Rel(name, annotation, args))

    def _plan_relations(self, modeled: Sequence[TableSpec], links: Mapping[str, Any]) -> None:
        by_name = {t.name: t for t in modeled}
        edges = [(t, fk) for t in modeled for fk in t.foreign_keys if self._related(t, fk)]
        # to-one sides first: they get the plain names (author_id -> author)
        for t, fk in edges:
            c = fk.columns[0]
            target = self.class_of[fk.ref_table]
            nullable = by_name[t.name].by_name[c].nullable
            fld = self.fields_of[t.name][c]
            self._add_rel(
                t.name,
                [_strip_id(c), f"{_strip_id(c)}_rel", f"{c}_rel"],
                f"Rel[{target} | None]" if nullable else f"Rel[{target}]",
                f"fk={_lit(fld)}",
            )
        for t, fk in edges:
            c = fk.columns[0]
            ref = fk.ref_table
            fld = self.fields_of[t.name][c]
            cls = self.class_of[t.name]
            several = sum(1 for t2, fk2 in edges if t2 is t and fk2.ref_table == ref) > 1
            via = f"{t.name}_by_{_strip_id(c)}"
            names = [via] if several or ref == t.name else [t.name, via]
            # A field of that name on the referenced model would read as its own foreign key.
            one = ref != t.name and self._unique_alone(t, c) and fld not in self.fields_of[ref].values()
            self._add_rel(ref, names, f"Rel[{cls} | None]" if one else f"RelList[{cls}]", f"fk={_lit(fld)}")
        for lname, (fa, fb) in links.items():
            link = self.class_of[lname]
            for mine, other in ((fa, fb), (fb, fa)):
                owner, target = mine.ref_table, other.ref_table
                fk_field = self.fields_of[lname][mine.columns[0]]
                target_fk = self.fields_of[lname][other.columns[0]]
                via = f"{_strip_id(other.columns[0])}_via_{lname}"
                names = [via] if owner == target else [target, via]
                self._add_rel(
                    owner,
                    names,
                    f"RelList[{self.class_of[target]}]",
                    f"through={link}, fk={_lit(fk_field)}, target_fk={_lit(target_fk)}",
                )

    def source(self, header: str) -> str:
        ordered = dependency_order(list(self.schema.tables.values()))
        modeled = [t for t in ordered if t.primary_key]
        for t in modeled:
            self.class_of[t.name] = self._unique_class(_pascal(t.name))
        for t in modeled:
            self.fields_of[t.name] = self._column_fields(t)
        links = self._links(modeled)
        self._plan_relations(modeled, links)
        # a link model is named by through= in the class bodies of both ends: it comes first
        ordered = [t for t in ordered if t.name in links] + [t for t in ordered if t.name not in links]
        for t in ordered:
            self.table(t)
        std = sorted(i for i in self.needs if i.startswith("import "))
        typing_names = ["Annotated"] if "Annotated" in self.needs else []
        if "from typing import Any" in self.needs:
            typing_names.append("Any")
        body = "\n\n".join(self.classes)
        names = ["Model"]
        if "AUTO" in self.needs:
            names.append("AUTO")
        if "Col[" in body:
            names.append("Col")
        if "column(" in body:
            names.append("column")
        if "Column(" in body:
            names.append("Column")
        if "ForeignKey(" in body:
            names.append("ForeignKey")
        if "PK[" in body:
            names.append("PK")
        if "SQL(" in body:
            names.append("SQL")
        if "NaiveDateTime" in body:
            names.append("NaiveDateTime")
        if "Rel[" in body:
            names.append("Rel")
        if "RelList[" in body:
            names.append("RelList")
        if "relation(" in body:
            names.append("relation")
        lines = [f'"""{header}"""', ""]
        if self.rels:
            # relationships name classes declared further down
            lines += ["from __future__ import annotations", ""]
        if std:
            lines += std
        if typing_names:
            lines.append(f"from typing import {', '.join(typing_names)}")
        if std or typing_names:
            lines.append("")
        lines.append(f"from typedorm import {', '.join(sorted(names, key=lambda n: (not n.isupper(), n)))}")
        if "JsonModel" in self.needs:
            lines.append("from typedorm.schema import JsonModel")
        parts = [p.rstrip("\n") for p in self.enums + self.classes]
        return "\n".join(lines) + "\n\n\n" + "\n\n\n".join(parts) + "\n"


_QUOTED = re.compile(r"^'((?:[^']|'')*)'(?:::[\w ]+)?$")
_NUMBER = re.compile(r"^\(?(-?\d+(?:\.\d+)?)\)?(?:::[\w ]+)?$")


def _python_default(logical: str, text: str | None) -> str | None:
    """Python source for a constant server default of a column (None for an expression)."""
    if text is None:
        return None
    t = text.strip()
    m = _QUOTED.match(t)
    value = m.group(1).replace("''", "'") if m else None
    n = _NUMBER.match(t)
    number = n.group(1) if n else value
    if logical == "string" and value is not None:
        return _lit(value)
    if number is None or not re.fullmatch(r"-?\d+(?:\.\d+)?", number):
        if logical == "boolean" and t.lower() in ("true", "false"):
            return "True" if t.lower() == "true" else "False"
        return None
    if logical == "integer" and "." not in number:
        return str(int(number))
    if logical == "float":
        return repr(float(number))
    if logical == "decimal":
        return f"decimal.Decimal({_lit(number)})"
    if logical == "boolean" and number in ("0", "1"):
        return "True" if number == "1" else "False"
    return None


def _tuple(items: Any) -> str:
    xs = [_lit(x) for x in items]
    return f"({', '.join(xs)},)" if len(xs) == 1 else f"({', '.join(xs)})"


def generate_models(
    schema: Schema,
    dialect: str,
    *,
    source: str = "the database",
    tables: Sequence[str] | None = None,
    collations: Mapping[str, Mapping[str, str]] | None = None,
    text_types: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Python source declaring one ``Model`` per table of an introspected ``schema``.

    Every single-column foreign key becomes a ``Rel`` on its table and a ``RelList`` (or, for
    a unique key, a ``Rel[... | None]``) on the table it references; a table made of two
    foreign keys (plus any other columns) becomes the ``through=`` model of a many-to-many
    on both ends. ``collations`` (from :func:`~typedorm.migrations.reflect.case_insensitive_columns`)
    puts a comment on each column that compares case-insensitively; ``text_types`` (from
    :func:`~typedorm.migrations.reflect.sqlite_text_types`) types SQLite TEXT columns by
    the values they hold.

    Example::

        print(generate_models(introspect(db), db.dialect.name, source=str(db.url)))
    """
    if tables is not None:
        missing = [t for t in tables if t not in schema.tables]
        if missing:
            from .errors import MigrationError

            raise MigrationError(f"no table named {', '.join(missing)} in {source}")
        schema = _subset(schema, tables)
    gen = _Generator(schema, dialect, collations, text_types)
    return gen.source(f"Models for the tables of {source}.")


def _subset(schema: Schema, tables: Sequence[str]) -> Schema:
    out = Schema()
    out.tables = {k: v for k, v in schema.tables.items() if k in tables}
    return out
