"""Generate every sync module that mirrors an async one: ``aio_X.py`` is the one source of ``X.py``.

The twins (``FILES``): the repository's ``aio_repo.py``, ``aio_query.py`` and ``aio_related.py``,
and the engine's ``aio_database.py`` and ``aio_pool.py``, are written by hand; ``repo.py``,
``query.py``, ``related.py``, ``database.py`` and ``pool.py`` are made from them by this script,
token by token (Python's ``tokenize``, not text patterns), and are never edited by hand:

- the escape hatch for what really differs: an ``if True:  # ASYNC`` block is left out, and the
  ``else:  # SYNC`` block after it (if any) is kept, one level less indented. The async source
  runs the ``if`` branch as written; the sync module has only the ``else`` branch;

- ``async`` before ``def``/``with``/``for`` is dropped, and so is every ``await``;
- the names in ``RENAMES`` are replaced (``AsyncRepository`` -> ``Repository``, ``aload_paths`` ->
  ``load_paths``, ``aio_repo`` -> ``repo``, ``engine.aio`` -> ``engine.database``, ...), as whole
  identifiers or dotted names; inside strings and comments (docstrings, error messages) the same
  names are replaced as whole words, and ``await `` / ``async `` before ``def``/``with``/``for`` dropped;
- a header line naming the source goes on top, and the result is passed through ``ruff format``
  (the project's formatter, configured in pyproject.toml), so a generated module is formatted
  like every other one: dropping ``await`` can make a wrapped call fit on one line again.

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
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT

#: source (async) -> generated (sync), relative to ``PACKAGE``
FILES: dict[str, str] = {
    "typedorm/repository/aio_repo.py": "typedorm/repository/repo.py",
    "typedorm/repository/aio_query.py": "typedorm/repository/query.py",
    "typedorm/repository/aio_related.py": "typedorm/repository/related.py",
    "typedorm/engine/aio_database.py": "typedorm/engine/database.py",
    "typedorm/engine/aio_pool.py": "typedorm/engine/pool.py",
    "typedorm/engine/aio_twophase.py": "typedorm/engine/twophase.py",
    "typedorm/engine/aio_routing.py": "typedorm/engine/routing.py",
}

#: async name -> sync name. A dotted key matches that sequence of names joined by dots.
RENAMES: dict[str, str] = {
    "AsyncRepository": "Repository",
    "AsyncQuery": "Query",
    "AsyncFilterBy": "FilterBy",
    "AsyncExclude": "Exclude",
    "AsyncDatabase": "Database",
    "AsyncCacheHook": "CacheHook",
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
    "aio_database": "database",
    "aio_pool": "pool",
    "AsyncDriver": "Driver",
    "get_async_driver": "get_driver",
    "drivers.aio": "drivers",
    "create_async_pool": "create_pool",
    "AsyncQueuePool": "QueuePool",
    "AsyncStaticPool": "StaticPool",
    "AsyncPool": "Pool",
    "_AsyncCheckout": "_Checkout",
    "_AsyncCreator": "_Creator",
    "_AsyncCloser": "_Closer",
    "_AsyncPinger": "_Pinger",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "asyncio.sleep": "time.sleep",
    "_AsyncThunk": "_Thunk",
    "AsyncTwoPhase": "TwoPhase",
    "aio_twophase": "twophase",
    "arecover": "recover",
    "AsyncRouter": "Router",
    "AsyncReplica": "Replica",
    "aio_routing": "routing",
}

HEADER = "# Generated from {source} by tools/unasync.py: do not edit.\n"

_ASYNC_BLOCKS = ("def", "with", "for")
# Token types whose text is prose or data: renamed as whole words (3.12+ splits f-strings up).
_TEXT_TYPES = {tokenize.STRING, tokenize.COMMENT} | {
    t for t in (getattr(tokenize, "FSTRING_MIDDLE", None),) if t is not None
}


class UnasyncError(Exception):
    """The source uses ``async`` in a way that has no plain sync equivalent here."""


_IF_ASYNC = re.compile(r"^(?P<indent>[ \t]*)if True:[ \t]*# ASYNC[ \t]*$")
_ELSE_SYNC = re.compile(r"^(?P<indent>[ \t]*)else:[ \t]*# SYNC[ \t]*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block(lines: list[str], start: int, indent: int) -> int:
    """The end of the suite that starts at ``start``: lines blank or indented deeper than ``indent``."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > start and not lines[end - 1].strip():  # trailing blank lines are not the suite's
        end -= 1
    return end


def select_sync_branches(source: str) -> str:
    """``source`` with each ``if True:  # ASYNC`` block replaced by its ``else:  # SYNC`` suite."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        m = _IF_ASYNC.match(line)
        if m is None:
            if _ELSE_SYNC.match(line):
                raise UnasyncError(f"line {i + 1}: 'else:  # SYNC' without 'if True:  # ASYNC' before it")
            out.append(lines[i])
            i += 1
            continue
        indent = len(m.group("indent"))
        end = _block(lines, i + 1, indent)
        if end == i + 1:
            raise UnasyncError(f"line {i + 1}: empty 'if True:  # ASYNC' block")
        nxt = end
        while nxt < len(lines) and not lines[nxt].strip():
            nxt += 1
        e = _ELSE_SYNC.match(lines[nxt].rstrip("\r\n")) if nxt < len(lines) else None
        if e is not None and len(e.group("indent")) == indent:
            body_end = _block(lines, nxt + 1, indent)
            body = lines[nxt + 1 : body_end]
            while body and not body[0].strip():
                body.pop(0)
            if not body:
                raise UnasyncError(f"line {nxt + 1}: empty 'else:  # SYNC' block")
            shift = _indent(body[0]) - indent
            dedented = [b[shift:] if b.strip() else b for b in body]
            out.extend(select_sync_branches("".join(dedented)).splitlines(keepends=True))
            i = body_end
        else:
            # no sync branch: drop the block and the blank lines that separated it from the next line
            i = end
            if out and not out[-1].strip():
                while i < len(lines) and not lines[i].strip():
                    i += 1
    return "".join(out)


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
    source = select_sync_branches(source)
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
    try:
        compile(out, "<generated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise UnasyncError(f"the generated module does not compile: {exc}") from exc
    return out


def _ruff() -> str:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        raise UnasyncError("ruff is not installed (it is in the dev extra): pip install -e '.[dev]'")
    return exe


def formatted(text: str, filename: str) -> str:
    """``text`` as ``ruff format`` writes it, with the project's settings (``filename`` picks them)."""
    proc = subprocess.run(
        [_ruff(), "format", "--stdin-filename", filename, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    if proc.returncode != 0:
        raise UnasyncError(
            f"ruff format failed on the module generated for {filename}: {proc.stderr.strip()}"
        )
    return proc.stdout


def generate(source_path: Path, name: str | None = None, target: str | None = None) -> str:
    """The full text of the sync module made from ``source_path`` (``name``: how the header names it;
    ``target``: the generated file's path, which picks the formatter's settings)."""
    text = HEADER.format(source=name or source_path.name) + transform(source_path.read_text(encoding="utf-8"))
    return formatted(text, target or str(source_path.with_name(source_path.name.removeprefix("aio_"))))


def run(check: bool, package: Path = PACKAGE, files: dict[str, str] | None = None) -> int:
    """Regenerate (or with ``check``, compare) every module in ``files``; the exit status."""
    stale = 0
    for src_name, dst_name in (FILES if files is None else files).items():
        src, dst = package / src_name, package / dst_name
        expected = generate(src, src_name, dst_name)
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
