"""SQL text is assembled only in ``typedorm/sql/`` and ``typedorm/dialects/``: an AST scan of the other layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "typedorm"

#: words that make a string SQL text when it is pieced together
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|RETURNING|FROM|JOIN|VALUES|ORDER BY|GROUP BY|HAVING|LIMIT|OFFSET"
    r"|COPY|SET|DISTINCT|IN \(|EXISTS|COUNT\(|MAX\(|nextval)\b"
)
#: a separator that joins SQL conditions (``" AND ".join(...)``)
SQL_JOINERS = re.compile(r"\b(AND|OR)\b")
#: a plain literal that is a whole statement
SQL_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|COPY|WITH|BEGIN|COMMIT|ROLLBACK|SAVEPOINT)\b")

#: layers whose every SQL statement must come from a compiler (repository: literals too)
STRICT = ("repository",)
#: layers checked for SQL pieced together (literal statements such as a version query are allowed).
#: ``schema`` and ``migrations`` still hold per-backend DDL fragments that move into the dialect packages.
ASSEMBLY = ("engine",)
#: modules that hold SQL words in strings but write no SQL, and why
ALLOWED = {
    "engine/fk_errors.py": "regular expressions that parse the statement an error came from",
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _str_parts(node: ast.AST) -> list[str]:
    """The literal text of a string expression built with ``+``, ``%`` or an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _str_parts(node.left) + _str_parts(node.right)
    return []


def sql_assembly(source: str, *, literals: bool) -> list[tuple[int, str]]:
    """``(line, reason)`` for each place ``source`` pieces SQL text together (and, with ``literals``,
    writes a whole statement as a literal)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(_str_parts(node))
            if SQL_WORDS.search(text):
                found.append((node.lineno, f"f-string {text!r}"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            text = "".join(_str_parts(node))
            if SQL_WORDS.search(text):
                found.append((node.lineno, f"string {type(node.op).__name__} {text!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                if node.func.attr == "format" and SQL_WORDS.search(target.value):
                    found.append((node.lineno, f".format on {target.value!r}"))
                if node.func.attr == "join" and SQL_JOINERS.search(target.value) and target.value.strip():
                    found.append((node.lineno, f"{target.value!r}.join"))
        elif (
            literals
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
        ):
            if SQL_STATEMENT.search(node.value):
                found.append((node.lineno, f"SQL literal {node.value!r}"))
    return sorted(set(found))


def _modules(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize(
    ("layer", "literals"), [*((la, True) for la in STRICT), *((la, False) for la in ASSEMBLY)]
)
def test_no_sql_text_outside_sql_and_dialects(layer: str, literals: bool) -> None:
    bad = []
    for path in _modules(layer):
        if str(path.relative_to(ROOT)) in ALLOWED:
            continue
        for line, why in sql_assembly(path.read_text(encoding="utf-8"), literals=literals):
            bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {why}")
    assert not bad, "SQL built outside typedorm/sql and typedorm/dialects:\n" + "\n".join(bad)


def test_the_repository_of_before_the_change_is_caught() -> None:
    # The repository once appended RETURNING to compiled SQL and built keyed statements itself.
    old = (
        "row = await db._run(c.sql + mapper.returning_all, c.params, 1, spec)\n"
        'sql = f"SELECT {mapper.select_list} FROM {mapper.table_sql} WHERE {where}"\n'
        'where = " AND ".join(f"{t}.{q(c.name)} = {ph}" for c in cols)\n'
    )
    assert sorted({line for line, _ in sql_assembly(old, literals=True)}) == [2, 3]


@pytest.mark.parametrize(
    "source",
    [
        'sql = f"SELECT {cols} FROM {table}"',
        'sql = "DELETE FROM " + table',
        'sql = c.sql + " RETURNING " + cols',
        'sql = "UPDATE %s SET a = 1" % table',
        'sql = "SELECT * FROM {}".format(table)',
        'where = " AND ".join(parts)',
        'run("INSERT INTO t VALUES (1)")',
    ],
)
def test_the_scan_finds_each_kind_of_assembly(source: str) -> None:
    assert sql_assembly(source, literals=True), source


@pytest.mark.parametrize(
    "source",
    [
        'raise TypeError(f"update() takes a {name} instance, not {x!r}")',
        'msg = "the row was never inserted: " + name',
        'names = ", ".join(fields)',
        'def f():\n    """SELECT rows: docs may name SQL."""',
    ],
)
def test_the_scan_leaves_messages_alone(source: str) -> None:
    assert sql_assembly(source, literals=True) == [], source


def private_engine_access(source: str) -> list[tuple[int, str]]:
    """``(line, attribute)`` for each private attribute read off a database (``db._run``, ``self._db._atomic``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else ""
            )
            if name in ("db", "_db"):
                found.append((node.lineno, node.attr))
    return found


def test_the_repository_uses_only_the_engines_public_api() -> None:
    bad = [
        f"{path.relative_to(ROOT.parent)}:{line}: {attr}"
        for path in _modules("repository")
        for line, attr in private_engine_access(path.read_text(encoding="utf-8"))
    ]
    assert not bad, "private engine attributes used by the repository:\n" + "\n".join(bad)


def test_private_engine_access_is_found() -> None:
    src = "await self._db._run(sql, params, 1, spec)\nrows = db._stream(sql, [], 10)\nn = db.run(sql, [])\n"
    assert sorted(private_engine_access(src)) == [(1, "_run"), (2, "_stream")]
