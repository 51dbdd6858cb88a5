"""Generate the sync repository modules from their asyncio sources: ``aio_*.py`` is the one source.

``typedorm/repository/aio_repo.py``, ``aio_query.py`` and ``aio_related.py`` are written by hand;
``repo.py``, ``query.py`` and ``related.py`` are made from them by this script, token by token
(Python's ``tokenize``, not text patterns), and are never edited by hand:

- ``async`` before ``def``/``with``/``for`` is dropped, and so is every ``await``;
- the names in ``RENAMES`` are replaced (``AsyncRepository`` -> ``Repository``, ``aload_paths`` ->
  ``load_paths``, ``aio_repo`` -> ``repo``, ``engine.aio`` -> ``engine.database``, ...), as whole
  identifiers or dotted names; inside strings and comments (docstrings, error messages) the same
  names are replaced as whole words, and ``await `` / ``async `` before ``def``/``with``/``for`` dropped;
- a header line naming the source goes on top. Nothing else changes: no reformatting, so a
  generated line is its source line minus those tokens.

What differs between the flavours beyond that lives in two small hand-written modules with the same
names: ``_aio_support.py`` (hooks may be awaited) and ``_sync_support.py`` (an awaitable hook result
is a TypeError); the rename ``_aio_support`` -> ``_sync_support`` picks the sync one.

Usage::

    python tools/unasync.py           # regenerate the sync modules
    python tools/unasync.py --check   # exit 1 and print a diff if a generated module is stale
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "typedorm" / "repository"

#: source (async) -> generated (sync), in ``PACKAGE``
FILES: dict[str, str] = {
    "aio_repo.py": "repo.py",
    "aio_query.py": "query.py",
    "aio_related.py": "related.py",
}

#: async name -> sync name. A dotted key matches that sequence of names joined by dots.
RENAMES: dict[str, str] = {
    "AsyncRepository": "Repository",
    "AsyncQuery": "Query",
    "AsyncFilterBy": "FilterBy",
    "AsyncExclude": "Exclude",
    "AsyncDatabase": "Database",
    "AsyncTransaction": "Transaction",
    "AsyncIterator": "Iterator",
    "AsyncGenerator": "Generator",
    "StopAsyncIteration": "StopIteration",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aload_paths": "load_paths",
    "aio_repo": "repo",
    "aio_query": "query",
    "aio_related": "related",
    "_aio_support": "_sync_support",
    "engine.aio": "engine.database",
}

HEADER = "# Generated from {source} by tools/unasync.py: do not edit.\n"

_ASYNC_BLOCKS = ("def", "with", "for")
# Token types whose text is prose or data: renamed as whole words (3.12+ splits f-strings up).
_TEXT_TYPES = {tokenize.STRING, tokenize.COMMENT} | {
    t for t in (getattr(tokenize, "FSTRING_MIDDLE", None),) if t is not None
}


class UnasyncError(Exception):
    """The source uses ``async`` in a way that has no plain sync equivalent here."""


def _text_pattern(renames: dict[str, str]) -> re.Pattern[str]:
    names = sorted(renames, key=len, reverse=True)
    words = "|".join(re.escape(n) for n in names)
    keywords = "|".join(_ASYNC_BLOCKS)
    return re.compile(
        rf"(?<!\w)(?P<name>{words})(?!\w)"
        rf"|(?<![\w.])(?P<await>await\s+)(?=[\w(\[{{])"
        rf"|(?<![\w.])(?P<async>async\s+)(?=(?:{keywords})\b)"
    )


def _rename_text(text: str, renames: dict[str, str], pattern: re.Pattern[str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        return renames[name] if name is not None else ""

    return pattern.sub(sub, text)


def transform(source: str, renames: dict[str, str] | None = None) -> str:
    """The sync version of ``source`` (an async module's text), without the header."""
    table = RENAMES if renames is None else renames
    # each key as the token strings it spans ("engine.aio" -> ["engine", ".", "aio"]), longest first
    dotted = sorted(
        ((" . ".join(k.split(".")).split(), v) for k, v in table.items()),
        key=lambda kv: len(kv[0]),
        reverse=True,
    )
    pattern = _text_pattern(table)

    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), non-overlapping
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == tokenize.NAME and tok.string in ("async", "await"):
            nxt = tokens[i + 1]
            if tok.string == "async" and not (nxt.type == tokenize.NAME and nxt.string in _ASYNC_BLOCKS):
                raise UnasyncError(f"line {tok.start[0]}: 'async' before {nxt.string!r}")
            # drop the keyword and the blanks after it (up to the next token on the same line)
            end = offset(nxt.start) if nxt.start[0] == tok.end[0] else offset(tok.end)
            edits.append((offset(tok.start), end, ""))
            i += 1
            continue
        if tok.type == tokenize.NAME:
            for spelled, new in dotted:
                n = len(spelled)
                window = tokens[i : i + n]
                if [t.string for t in window] == spelled and all(
                    window[k].end == window[k + 1].start for k in range(n - 1)
                ):
                    edits.append((offset(window[0].start), offset(window[-1].end), new))
                    i += n
                    break
            else:
                i += 1
            continue
        if tok.type in _TEXT_TYPES:
            a, b = offset(tok.start), offset(tok.end)
            text = source[a:b]
            new_text = _rename_text(text, table, pattern)
            if new_text != text:
                edits.append((a, b, new_text))
        i += 1

    out = source
    for a, b, new in sorted(edits, reverse=True):
        out = out[:a] + new + out[b:]
    return out


def generate(source_path: Path) -> str:
    """The full text of the sync module made from ``source_path``."""
    return HEADER.format(source=source_path.name) + transform(source_path.read_text(encoding="utf-8"))


def run(check: bool, package: Path = PACKAGE, files: dict[str, str] | None = None) -> int:
    """Regenerate (or with ``check``, compare) every module in ``files``; the exit status."""
    stale = 0
    for src_name, dst_name in (FILES if files is None else files).items():
        src, dst = package / src_name, package / dst_name
        expected = generate(src)
        current = dst.read_text(encoding="utf-8") if dst.exists() else ""
        if current == expected:
            continue
        if check:
            stale += 1
            rel = dst.relative_to(ROOT) if dst.is_relative_to(ROOT) else dst
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    fromfile=f"{rel} (on disk)",
                    tofile=f"{rel} (generated from {src_name})",
                )
            )
        else:
            dst.write_text(expected, encoding="utf-8")
            print(f"wrote {dst.relative_to(ROOT) if dst.is_relative_to(ROOT) else dst}")
    if stale:
        print(f"\n{stale} generated module(s) out of date: run python tools/unasync.py", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 with a diff if stale")
    args = parser.parse_args(argv)
    return run(args.check)


if __name__ == "__main__":
    sys.exit(main())
