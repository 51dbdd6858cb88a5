"""Portable placeholders for raw SQL: ``?`` and ``:name`` translated to each driver's style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["translate_placeholders"]


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    """Index just past the literal/identifier opened at ``i`` (doubled quotes escape)."""
    n = len(sql)
    j = i + 1
    while j < n:
        if sql[j] == quote:
            if j + 1 < n and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        if sql[j] == "\\" and quote in "'`" and j + 1 < n:
            # MySQL-style backslash escapes; harmless elsewhere because we only skip
            j += 2
            continue
        j += 1
    raise ValueError("unterminated quoted string in SQL")


def _double_percent(text: str) -> str:
    return text.replace("%", "%%")


def _same(text: str) -> str:
    return text


def translate_placeholders(
    sql: str, params: Sequence[Any] | Mapping[str, Any], paramstyle: str
) -> tuple[str, list[Any]]:
    """Rewrite ``?`` (with a sequence) or ``:name`` (with a mapping) into the driver's placeholders.

    Quoted strings, quoted identifiers, comments and PostgreSQL ``::`` casts are left
    alone, except that with ``%s``-style drivers every ``%`` is doubled, in quotes too.
    Raises ValueError for a missing named parameter or a count mismatch.
    """
    mapping: Mapping[str, Any] | None = params if isinstance(params, Mapping) else None
    seq: Sequence[Any] = () if isinstance(params, Mapping) else params
    target = "?" if paramstyle == "qmark" else "%s"
    # %s-style drivers read every % in the text, inside string literals and comments too
    esc = _double_percent if target == "%s" else _same
    out: list[str] = []
    values: list[Any] = []
    n = len(sql)
    i = 0
    count = 0
    start = 0
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            i = _skip_quoted(sql, i, ch)
            continue
        if ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated /* comment in SQL")
            i = j + 2
            continue
        if ch == "$":
            # PostgreSQL dollar quoting: $tag$ ... $tag$
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            if j < n and sql[j] == "$" and not sql[i + 1 : j].isdigit():
                tag = sql[i : j + 1]
                end = sql.find(tag, j + 1)
                if end < 0:
                    raise ValueError("unterminated dollar-quoted string in SQL")
                i = end + len(tag)
                continue
            i += 1
            continue
        if ch == "?" and mapping is None:
            out.append(esc(sql[start:i]) + target)
            if count >= len(seq):
                raise ValueError(f"the SQL has more ? placeholders than the {len(seq)} parameters given")
            values.append(seq[count])
            count += 1
            i += 1
            start = i
            continue
        if ch == ":" and mapping is not None:
            if i + 1 < n and sql[i + 1] == ":":
                i += 2
                continue
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            name = sql[i + 1 : j]
            if name and not name[0].isdigit() and (i == 0 or sql[i - 1] != ":"):
                if name not in mapping:
                    raise ValueError(
                        f"no value for parameter :{name} (given: {', '.join(map(str, mapping)) or 'none'})"
                    )
                out.append(esc(sql[start:i]) + target)
                values.append(mapping[name])
                i = j
                start = i
                continue
            i = j if j > i + 1 else i + 1
            continue
        i += 1
    out.append(esc(sql[start:]))
    if mapping is None and count != len(seq):
        raise ValueError(f"the SQL has {count} ? placeholders but {len(seq)} parameters were given")
    return "".join(out), values
