"""The statement compiler: walks a statement tree into ``(sql text, params)``; dialects subclass it."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ..errors import InvalidArgument
from ..schema.naming import is_identifier
from .closed import (
    ARITH_OPS,
    COMPARE_OPS,
    CONNECTORS,
    FK_ACTIONS,
    FUNCTIONS,
    LIKE_ESCAPES,
    NULLS,
    TEXT_MATCH_KINDS,
    check_count,
    check_flag,
    check_keyword,
)
from .expr import (
    LIKE_ESCAPE,
    SLOT,
    Between,
    BinaryOp,
    BoolOp,
    ColumnExpr,
    Compare,
    Const,
    Exists,
    Expr,
    FuncCall,
    InList,
    InSelect,
    IsNull,
    Label,
    Like,
    Not,
    Ordering,
    Param,
    Predicate,
    RawSQL,
    ScalarSelect,
    Slot,
    TextMatch,
    escape_like,
)
from .stmt import (
    CopyFrom,
    CountRows,
    CreateIndex,
    CreateTable,
    Delete,
    DropIndex,
    DropTable,
    Insert,
    ReserveKeys,
    Select,
    Update,
)

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..schema.spec import ColumnSpec, DefaultLiteral, IndexSpec, TableSpec

__all__ = ["Compiled", "Compiler"]


class Compiled(NamedTuple):
    """Compiled SQL text and its parameters, in placeholder order."""

    sql: str
    params: list[Any]


class Compiler:
    """Dialect-neutral compiler. Subclasses set the class attributes and override hooks.

    Values never enter the SQL text: every one becomes a placeholder with its value in
    ``params``. Identifiers come only from model metadata and are quoted. Every other word
    written into the text is checked again here against its closed set (see
    :mod:`typedorm.sql.closed`), so a node built around its constructor cannot inject.
    """

    name: ClassVar[str] = "generic"
    #: the built-in backend whose column types and rules this compiler follows (a dialect
    #: variant inherits its parent's); column types are asked with this key
    family: ClassVar[str] = "generic"
    #: range checks (ge/le/...) on a DECIMAL column are enforced in DDL; SQLite stores
    #: decimals as text, where a numeric CHECK would compare wrongly
    decimal_range_checks: ClassVar[bool] = True
    paramstyle: ClassVar[str] = "qmark"
    quote_char: ClassVar[str] = '"'
    supports_returning: ClassVar[bool] = True
    supports_update_returning: ClassVar[bool] = True
    supports_delete_returning: ClassVar[bool] = True
    #: INSERT ... ON CONFLICT / ON DUPLICATE KEY UPDATE
    supports_upsert: ClassVar[bool] = True
    #: INSERT ... VALUES (...), (...)
    supports_multirow_insert: ClassVar[bool] = True
    supports_ilike: ClassVar[bool] = False
    supports_nulls_order: ClassVar[bool] = True
    #: the LIMIT that means "no limit" before an OFFSET (None: OFFSET stands alone)
    unlimited: ClassVar[str | None] = "-1"
    like_escape_literal: ClassVar[str] = "'\\'"

    def __init__(self) -> None:
        self._bind_cache: dict[int, tuple[ColumnSpec, Callable[[Any], Any] | None]] = {}
        self._placeholder = "?" if self.paramstyle == "qmark" else "%s"
        self._list_cache: dict[int, tuple[tuple[Expr[Any, Any], ...], str]] = {}
        self._ref_cache: dict[int, tuple[type[Any], ColumnSpec, str]] = {}

    # --- helpers ---------------------------------------------------------------------
    def quote(self, ident: str) -> str:
        q = self.quote_char
        return q + ident.replace(q, q + q) + q

    def bind_processor(self, column: ColumnSpec | None) -> Callable[[Any], Any] | None:
        if column is None:
            return None
        hit = self._bind_cache.get(id(column))
        if hit is not None and hit[0] is column:
            return hit[1]
        ct = column.column_type
        proc = ct.bind_processor(self._dialect()) if ct is not None else None
        self._bind_cache[id(column)] = (column, proc)
        return proc

    def _dialect(self) -> Dialect:
        # column types are asked with the Dialect (every compiler in use is one)
        return self  # type: ignore[return-value]

    def bind(self, value: Any, column: ColumnSpec | None) -> Any:
        if value is None:
            return None
        proc = self.bind_processor(column)
        return proc(value) if proc is not None else value

    def compile(self, stmt: object) -> Compiled:
        params: list[Any] = []
        if isinstance(stmt, Select):
            sql = self.visit_select(stmt, params)
        elif isinstance(stmt, Insert):
            sql = self.visit_insert(stmt, params)
        elif isinstance(stmt, Update):
            sql = self.visit_update(stmt, params)
        elif isinstance(stmt, Delete):
            sql = self.visit_delete(stmt, params)
        elif isinstance(stmt, CountRows):
            sql = self.visit_count_rows(stmt, params)
        elif isinstance(stmt, CopyFrom):
            sql = self.visit_copy_from(stmt)
        elif isinstance(stmt, ReserveKeys):
            sql = self.visit_reserve_keys(stmt, params)
        elif isinstance(stmt, CreateTable):
            sql = self.visit_create_table(stmt)
        elif isinstance(stmt, DropTable):
            sql = self.visit_drop_table(stmt)
        elif isinstance(stmt, CreateIndex):
            sql = self.visit_create_index(stmt)
        elif isinstance(stmt, DropIndex):
            sql = self.visit_drop_index(stmt)
        elif isinstance(stmt, Expr):
            sql = self.expr(stmt, params)
        else:
            raise InvalidArgument(f"cannot compile {type(stmt).__name__}", argument="statement")
        return Compiled(sql, params)

    def compile_shape(self, stmt: object) -> str:
        """The SQL text of a statement shape: every value in it a :class:`~typedorm.sql.expr.Slot`.

        Callers cache the text per shape and pass the values in placeholder order on each run;
        a real value inside a shape would be silently reused for every call, so it is refused.
        """
        compiled = self.compile(stmt)
        for p in compiled.params:
            if p is not SLOT:
                raise InvalidArgument(
                    f"a statement shape holds a value ({p!r}); use Slot()", argument="statement"
                )
        return compiled.sql

    # --- expressions -----------------------------------------------------------------
    def column_ref(self, c: ColumnExpr[Any, Any]) -> str:
        # Quoted once per (model, column): the same few columns are compiled over and over.
        hit = self._ref_cache.get(id(c.spec))
        if hit is not None and hit[0] is c.model and hit[1] is c.spec:
            return hit[2]
        ref = f"{self.quote(c.model.__table__.name)}.{self.quote(c.spec.name)}"
        self._ref_cache[id(c.spec)] = (c.model, c.spec, ref)
        return ref

    def param(self, value: Any, column: ColumnSpec | None, params: list[Any]) -> str:
        try:
            params.append(self.bind(value, column))
        except (ValueError, TypeError) as e:
            if column is None:
                raise
            from .values import invalid_value

            # the column cannot hold this value on this backend (NUL in PostgreSQL text, ...)
            raise invalid_value(None, column.field, str(e), value) from None
        return self._placeholder

    def expr(self, e: object, params: list[Any]) -> str:
        if isinstance(e, ColumnExpr):
            return self.column_ref(e)
        if isinstance(e, Param):
            return self.param(e.value, e.column, params)
        if isinstance(e, Slot):
            params.append(SLOT)
            return self._placeholder
        if isinstance(e, Predicate):
            return self.predicate(e, params)
        if isinstance(e, BinaryOp):
            check_keyword(e.op, ARITH_OPS, "arithmetic operator")
            op = "%%" if e.op == "%" and self.paramstyle != "qmark" else e.op
            return f"({self.expr(e.left, params)} {op} {self.expr(e.right, params)})"
        if isinstance(e, FuncCall):
            return self.func(e, params)
        if isinstance(e, Label):
            if not is_identifier(e.name):
                raise InvalidArgument(f"label {e.name!r} is not a valid identifier", argument="label")
            return f"{self.expr(e.expr, params)} AS {self.quote(e.name)}"
        if isinstance(e, Const):
            if e.value is not None and type(e.value) is not int:
                raise InvalidArgument(f"Const holds only int literals, not {e.value!r}", argument="Const")
            return "NULL" if e.value is None else str(e.value)
        if isinstance(e, ScalarSelect):
            return f"({self.visit_select(e.select, params)})"
        if isinstance(e, RawSQL):
            params.extend(e.params)
            return e.sql
        raise InvalidArgument(f"cannot compile expression {e!r}", argument="statement")

    def func(self, f: FuncCall[Any, Any], params: list[Any]) -> str:
        check_keyword(f.name, FUNCTIONS, "function")
        check_flag(f.distinct, "distinct")
        name = self.func_name(f.name)
        if f.name == "count" and not f.args:
            return "COUNT(*)"
        args = ", ".join(self.expr(a, params) for a in f.args)
        return f"{name}({'DISTINCT ' if f.distinct else ''}{args})"

    def func_name(self, name: str) -> str:
        if name == "length":
            return "LENGTH"
        return name.upper()

    def predicate(self, p: Predicate[Any], params: list[Any]) -> str:
        if isinstance(p, Compare):
            check_keyword(p.op, COMPARE_OPS, "comparison operator")
            return f"{self.expr(p.left, params)} {p.op} {self.expr(p.right, params)}"
        if isinstance(p, BoolOp):
            joiner = f" {check_keyword(p.op, CONNECTORS, 'connector')} "
            return "(" + joiner.join(self.predicate_term(x, params) for x in p.parts) + ")"
        if isinstance(p, Not):
            return f"NOT ({self.predicate(p.inner, params)})"
        if isinstance(p, IsNull):
            return f"{self.expr(p.expr, params)} IS {'NOT ' if p.negate else ''}NULL"
        if isinstance(p, InList):
            if not p.values:
                return "1 = 1" if p.negate else "1 = 0"
            items = ", ".join(self.expr(v, params) for v in p.values)
            return f"{self.expr(p.expr, params)} {'NOT ' if p.negate else ''}IN ({items})"
        if isinstance(p, InSelect):
            return f"{self.expr(p.expr, params)} {'NOT ' if p.negate else ''}IN ({self.visit_select(p.select, params)})"
        if isinstance(p, Exists):
            return f"{'NOT ' if p.negate else ''}EXISTS ({self.visit_select(p.select, params)})"
        if isinstance(p, Between):
            return f"{self.expr(p.expr, params)} BETWEEN {self.expr(p.low, params)} AND {self.expr(p.high, params)}"
        if isinstance(p, Like):
            return self.like(p, params)
        if isinstance(p, TextMatch):
            # checked here, before any dialect's text_match override builds its pattern
            check_keyword(p.kind, TEXT_MATCH_KINDS, "text match")
            check_flag(p.ci, "ci")
            return self.text_match(p, params)
        raise InvalidArgument(f"cannot compile predicate {p!r}", argument="statement")

    def predicate_term(self, p: Predicate[Any], params: list[Any]) -> str:
        return self.predicate(p, params)

    def like(self, p: Like[Any], params: list[Any]) -> str:
        left = self.expr(p.expr, params)
        pat = self.param(p.pattern.value, None, params)
        esc = ""
        if p.escape is not None:
            check_keyword(p.escape, LIKE_ESCAPES, "LIKE escape")
            # the one quote character in LIKE_ESCAPES is doubled; the backslash is spelled per dialect
            esc = " ESCAPE " + (
                "'" + p.escape.replace("'", "''") + "'" if p.escape != "\\" else self.like_escape_literal
            )
        if p.ci:
            if self.supports_ilike:
                return f"{left} ILIKE {pat}{esc}"
            return f"LOWER({left}) LIKE LOWER({pat}){esc}"
        return f"{left} LIKE {pat}{esc}"

    @staticmethod
    def like_pattern(kind: str, text: str) -> str:
        t = escape_like(text)
        return {"contains": f"%{t}%", "startswith": f"{t}%", "endswith": f"%{t}", "exact": t}[kind]

    def text_match(self, p: TextMatch[Any], params: list[Any]) -> str:
        pattern = self.like_pattern(p.kind, p.text)
        return self.like(Like(p.expr, Param(pattern, None), p.ci, LIKE_ESCAPE), params)

    # --- SELECT ----------------------------------------------------------------------
    def visit_select(self, s: Select[Any, Any], params: list[Any]) -> str:
        if s.model is None:
            raise InvalidArgument("select() has no column of a model to select FROM", argument="statement")
        cols = self.select_list(s.columns, params)
        sql = f"SELECT {'DISTINCT ' if s.distinct_ else ''}{cols} FROM {self.quote(s.model.__table__.name)}"
        for j in s.joins_:
            sql += f" JOIN {self.quote(j.model.__table__.name)} ON {self.predicate(j.on, params)}"
        return sql + self.select_tail(
            s.where_, s.group_by_, s.having_, s.order_by_, s.limit_, s.offset_, params
        )

    def select_list(self, columns: tuple[Expr[Any, Any], ...], params: list[Any]) -> str:
        """The comma-separated select list; the text of a list without values is kept per tuple,
        as a repository's queries all select the same (often wide) tuple of its columns."""
        hit = self._list_cache.get(id(columns))
        if hit is not None and hit[0] is columns:
            return hit[1]
        n = len(params)
        text = ", ".join(self.expr(c, params) for c in columns)
        if len(params) == n:
            if len(self._list_cache) >= 256:  # bounded: ad-hoc select() tuples come and go
                self._list_cache.clear()
            self._list_cache[id(columns)] = (columns, text)
        return text

    def visit_count_rows(self, s: CountRows, params: list[Any]) -> str:
        return f"SELECT COUNT(*) FROM ({self.visit_select(s.select, params)}) AS typedorm_sub"

    def visit_copy_from(self, s: CopyFrom) -> str:
        cols = ", ".join(self.quote(c.name) for c in s.columns)
        if s.binary is not None:
            if len(s.binary) != len(s.columns):
                raise InvalidArgument("COPY in binary needs one type per column", argument="binary")
            return f"COPY {self.quote(s.table.name)} ({cols}) FROM STDIN (FORMAT BINARY)"
        return f"COPY {self.quote(s.table.name)} ({cols}) FROM STDIN"

    def visit_reserve_keys(self, s: ReserveKeys, params: list[Any]) -> str:
        raise InvalidArgument(
            f"the {self.name} dialect has no key sequence to reserve keys from", argument="statement"
        )

    def where_clause(self, preds: tuple[Predicate[Any], ...], params: list[Any]) -> str:
        if not preds:
            return ""
        if len(preds) == 1:
            return " WHERE " + self.predicate(preds[0], params)
        return " WHERE " + " AND ".join(self.predicate_term(p, params) for p in preds)

    def select_tail(
        self,
        where: tuple[Predicate[Any], ...],
        group_by: tuple[Expr[Any, Any], ...],
        having: tuple[Predicate[Any], ...],
        order_by: tuple[Ordering[Any], ...],
        limit: int | None,
        offset: int | None,
        params: list[Any],
    ) -> str:
        sql = self.where_clause(where, params)
        if group_by:
            sql += " GROUP BY " + ", ".join(self.expr(g, params) for g in group_by)
        if having:
            sql += " HAVING " + " AND ".join(self.predicate_term(h, params) for h in having)
        if order_by:
            sql += " ORDER BY " + ", ".join(self.ordering(o, params) for o in order_by)
        sql += self.limit_offset(limit, offset, params)
        return sql

    def ordering(self, o: Ordering[Any], params: list[Any]) -> str:
        base = self.expr(o.expr.expr if isinstance(o.expr, Label) else o.expr, params)
        direction = " DESC" if check_flag(o.descending, "descending") else ""
        if o.nulls is None:
            return base + direction
        nulls = check_keyword(o.nulls, NULLS, "nulls")
        if self.supports_nulls_order:
            return f"{base}{direction} NULLS {nulls.upper()}"
        # No NULLS FIRST/LAST (MySQL): sort on "is null" first.
        flag = f"{base} IS NULL"
        return f"{flag}{' DESC' if o.nulls == 'first' else ''}, {base}{direction}"

    def limit_offset(self, limit: int | None, offset: int | None, params: list[Any]) -> str:
        sql = ""
        if limit is not None:
            sql += f" LIMIT {check_count(limit, 'limit')}"
        off = 0 if offset is None else check_count(offset, "offset")
        if off:
            if limit is None and self.unlimited is not None:
                sql += f" LIMIT {self.unlimited}"
            sql += f" OFFSET {off}"
        return sql

    # --- DML -------------------------------------------------------------------------
    def visit_insert(self, s: Insert, params: list[Any]) -> str:
        table = self.quote(s.table.name)
        if not s.columns:
            sql = f"INSERT INTO {table} {self.default_values()}"
        else:
            cols = ", ".join(self.quote(c.name) for c in s.columns)
            one = "(" + ", ".join([self._placeholder] * len(s.columns)) + ")"
            rows = s.rows or [()]
            for row in s.rows:
                params.extend(row)
            sql = f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([one] * len(rows))
        if len(s.rows or ()) > 1 and not self.supports_multirow_insert:
            raise InvalidArgument(
                f"{self.name} has no multi-row INSERT: insert the rows one by one", argument="statement"
            )
        if s.on_conflict is not None:
            if not self.supports_upsert:
                raise InvalidArgument(
                    f"{self.name} has no INSERT ... ON CONFLICT (upsert)", argument="statement"
                )
            sql += self.on_conflict(s)
        if s.returning:
            self._check_returning(self.supports_returning, "INSERT")
            sql += self.returning(s.returning)
        return sql

    def _check_returning(self, supported: bool, verb: str) -> None:
        if not supported:
            raise InvalidArgument(f"{self.name} has no {verb} ... RETURNING", argument="statement")

    def default_values(self) -> str:
        return "DEFAULT VALUES"

    def on_conflict(self, s: Insert) -> str:
        oc = s.on_conflict
        assert oc is not None
        target = f" ({', '.join(self.quote(c) for c in oc.target)})" if oc.target else ""
        if oc.update is None or not oc.update:
            return f" ON CONFLICT{target} DO NOTHING"
        sets = ", ".join(f"{self.quote(c)} = excluded.{self.quote(c)}" for c in oc.update)
        return f" ON CONFLICT{target} DO UPDATE SET {sets}"

    def returning(self, cols: tuple[ColumnSpec, ...]) -> str:
        return " RETURNING " + ", ".join(self.quote(c.name) for c in cols)

    def visit_update(self, s: Update[Any], params: list[Any]) -> str:
        sets = []
        for a in s.assignments:
            if a.column.model.__table__.name != s.table.name:
                raise InvalidArgument(
                    f"cannot assign {a.column!r} in an update of {s.table.name!r}", argument="statement"
                )
            sets.append(f"{self.quote(a.column.spec.name)} = {self.expr(a.value, params)}")
        sql = f"UPDATE {self.quote(s.table.name)} SET {', '.join(sets)}" + self.where_clause(s.where_, params)
        if s.returning:
            # MariaDB returns rows from INSERT and DELETE but not from UPDATE
            self._check_returning(self.supports_returning and self.supports_update_returning, "UPDATE")
            sql += self.returning(s.returning)
        return sql

    def visit_delete(self, s: Delete[Any], params: list[Any]) -> str:
        sql = f"DELETE FROM {self.quote(s.table.name)}" + self.where_clause(s.where_, params)
        if s.returning:
            self._check_returning(self.supports_returning and self.supports_delete_returning, "DELETE")
            sql += self.returning(s.returning)
        return sql

    # --- DDL -------------------------------------------------------------------------
    def column_ddl(self, t: TableSpec, c: ColumnSpec, inline_pk: bool) -> str:
        parts = [self.quote(c.name), self.column_sql_type(c)]
        if not c.nullable:
            parts.append("NOT NULL")
        if c.server_default is not None:
            parts.append(f"DEFAULT {self.default_sql(c.server_default)}")
        if inline_pk:
            parts.append("PRIMARY KEY")
        return " ".join(parts)

    def column_sql_type(self, column: ColumnSpec) -> str:
        """``column``'s SQL type on this dialect: the one declared for it (``Column(sql_type=...)``,
        by this dialect's name, else its family, else ``"*"``), else its column type's."""
        declared = column.declared_sql_type(self.name, self.family)
        if declared is not None:
            return declared
        ct = column.column_type
        if ct is None:
            raise InvalidArgument(
                f"column {column.name!r} has neither a column type nor a declared SQL type", argument="column"
            )
        return ct.sql_type(self._dialect(), column)

    def default_sql(self, default: str | DefaultLiteral) -> str:
        """A server default as DDL text: raw SQL as it is, a literal value quoted and escaped."""
        if isinstance(default, str):
            return default
        v = default.value
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return self.literal_string(v)
        return self.literal_number(v, "server_default")

    def literal_string(self, v: str) -> str:
        """``v`` as a SQL string literal: quotes doubled (standard SQL; MySQL also escapes backslashes)."""
        if "\x00" in v:
            raise ValueError("a SQL string literal cannot hold a NUL character")
        return "'" + v.replace("'", "''") + "'"

    def literal_number(self, v: object, what: str) -> str:
        if isinstance(v, bool) or not isinstance(v, (int, float, Decimal, str)):
            raise InvalidArgument(f"{what}: {v!r} is not a number", argument="statement")
        d = Decimal(str(v))
        if not d.is_finite() or (isinstance(v, float) and not math.isfinite(v)):
            raise InvalidArgument(f"{what}: {v!r} is not finite", argument="statement")
        return str(d)

    def column_checks(self, t: TableSpec, c: ColumnSpec) -> list[tuple[str, str]]:
        q = self.quote(c.name)
        out: list[tuple[str, str]] = []
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            v = getattr(c, attr)
            if (
                v is not None
                and c.type_name in ("integer", "float", "decimal")
                and not (c.type_name == "decimal" and not self.decimal_range_checks)
            ):
                out.append(
                    (
                        f"{c.name}_{attr}",
                        f"{q} {op} {self.literal_number(v, f'{t.model_name}.{c.field} {attr}')}",
                    )
                )
        if c.column_type is not None:
            for i, chk in enumerate(c.column_type.ddl_checks(self._dialect(), c, q)):
                out.append((f"{c.name}_t{i}", chk))
        return out

    def constraint_name(self, t: TableSpec, suffix: str) -> str:
        from ..schema.model import _constraint_name

        return _constraint_name("ck", t.name, (suffix,))

    def table_body(self, t: TableSpec) -> list[str]:
        single_pk = len(t.primary_key) == 1
        lines = [self.column_ddl(t, c, single_pk and c.primary_key) for c in t.columns]
        if not single_pk:
            lines.append(f"PRIMARY KEY ({', '.join(self.quote(n) for n in t.primary_key)})")
        for idx in t.indexes:
            if idx.unique:
                lines.append(
                    f"CONSTRAINT {self.quote(idx.name)} UNIQUE ({', '.join(self.quote(n) for n in idx.columns)})"
                )
        for c in t.columns:
            for suffix, chk in self.column_checks(t, c):
                lines.append(f"CONSTRAINT {self.quote(self.constraint_name(t, suffix))} CHECK ({chk})")
        for ck in t.checks:
            lines.append(f"CONSTRAINT {self.quote(ck.name)} CHECK ({ck.sql})")
        for fk in t.foreign_keys:
            ref = f"{self.quote(fk.ref_table)} ({', '.join(self.quote(n) for n in fk.ref_columns)})"
            line = (
                f"CONSTRAINT {self.quote(fk.name or 'fk')} FOREIGN KEY "
                f"({', '.join(self.quote(n) for n in fk.columns)}) REFERENCES {ref}"
            )
            if fk.on_delete:
                line += f" ON DELETE {check_keyword(fk.on_delete, FK_ACTIONS, 'on_delete').upper()}"
            if fk.on_update:
                line += f" ON UPDATE {check_keyword(fk.on_update, FK_ACTIONS, 'on_update').upper()}"
            lines.append(line)
        return lines

    def visit_create_table(self, s: CreateTable) -> str:
        body = ",\n    ".join(self.table_body(s.table))
        ine = "IF NOT EXISTS " if s.if_not_exists else ""
        return f"CREATE TABLE {ine}{self.quote(s.table.name)} (\n    {body}\n){self.table_options()}"

    def table_options(self) -> str:
        return ""

    def visit_drop_table(self, s: DropTable) -> str:
        return f"DROP TABLE {'IF EXISTS ' if s.if_exists else ''}{self.quote(s.table.name)}"

    def visit_create_index(self, s: CreateIndex) -> str:
        idx: IndexSpec = s.index
        cols = ", ".join(self.quote(n) for n in idx.columns)
        ine = "IF NOT EXISTS " if s.if_not_exists else ""
        return f"CREATE {'UNIQUE ' if idx.unique else ''}INDEX {ine}{self.quote(idx.name)} ON {self.quote(s.table.name)} ({cols})"

    def visit_drop_index(self, s: DropIndex) -> str:
        return f"DROP INDEX {'IF EXISTS ' if s.if_exists else ''}{self.quote(s.index.name)}"

    def create_table_statements(self, t: TableSpec, *, if_not_exists: bool = True) -> list[str]:
        """CREATE TABLE plus its non-unique indexes, in order."""
        out = [self.visit_create_table(CreateTable(t, if_not_exists=if_not_exists))]
        out += [
            self.visit_create_index(CreateIndex(t, i, if_not_exists=if_not_exists))
            for i in t.indexes
            if not i.unique
        ]
        return out
