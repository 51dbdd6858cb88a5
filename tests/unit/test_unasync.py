"""The sync repository modules are exactly what tools/unasync.py makes of their async sources."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "unasync.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


unasync = _tool()


def test_generated_modules_are_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (
        "a generated sync module differs from its aio_ source (edit aio_*.py, then run "
        f"python tools/unasync.py):\n{proc.stdout}{proc.stderr}"
    )


def test_every_generated_module_names_its_source() -> None:
    for src, dst in unasync.FILES.items():
        text = (unasync.PACKAGE / dst).read_text(encoding="utf-8")
        assert text.splitlines()[0] == f"# Generated from {src} by tools/unasync.py: do not edit."
        assert "async " not in text and "await " not in text and "Async" not in text


SNIPPET = '''\
"""``AsyncRepository[M]``: ``await users.get(1)``; see typedorm.engine.aio."""
from collections.abc import AsyncIterator
from ..engine.aio import AsyncDatabase
from .aio_query import AsyncQuery


class AsyncRepository:
    def __aiter__(self) -> AsyncIterator[int]:
        return self.iterate()

    async def get(self, db: AsyncDatabase) -> int:
        # AsyncQuery runs it: await query.all()
        async with db.transaction():
            row = await db._run("SELECT 1", [], 1)
        rows = [r async for r in db._stream("SELECT 1", [], 10)]
        async for batch in db._stream("x", [], 1):
            pass
        await  aload_paths(db, rows, ())
        total = (await self.count())[0]
        raise StopAsyncIteration(f"AsyncRepository[{row!r}] awaits nothing")

    async def __anext__(self) -> int:
        return await self.get(None)  # type: ignore
'''

EXPECTED = '''\
"""``Repository[M]``: ``users.get(1)``; see typedorm.engine.database."""
from collections.abc import Iterator
from ..engine.database import Database
from .query import Query


class Repository:
    def __iter__(self) -> Iterator[int]:
        return self.iterate()

    def get(self, db: Database) -> int:
        # Query runs it: query.all()
        with db.transaction():
            row = db._run("SELECT 1", [], 1)
        rows = [r for r in db._stream("SELECT 1", [], 10)]
        for batch in db._stream("x", [], 1):
            pass
        load_paths(db, rows, ())
        total = (self.count())[0]
        raise StopIteration(f"Repository[{row!r}] awaits nothing")

    def __next__(self) -> int:
        return self.get(None)  # type: ignore
'''


def test_transform_snippet() -> None:
    assert unasync.transform(SNIPPET) == EXPECTED


def test_transform_leaves_other_names_and_layout_alone() -> None:
    src = "x = asyncio_thing + my_AsyncQuery + AsyncQueryX  # awaited, asynchronous\nawaiting = 1\n"
    assert unasync.transform(src) == src


def test_transform_takes_an_explicit_table() -> None:
    src = "async def f() -> Foo:\n    return await Foo.bar()  # Foo\n"
    assert unasync.transform(src, {"Foo": "Baz"}) == "def f() -> Baz:\n    return Baz.bar()  # Baz\n"


def test_async_without_a_sync_form_is_refused() -> None:
    with pytest.raises(unasync.UnasyncError):
        unasync.transform("f = async_lambda\nasync = 1\n")


def test_check_reports_a_stale_module_with_a_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "aio_x.py").write_text("async def f() -> None:\n    await g()\n", encoding="utf-8")
    files = {"aio_x.py": "x.py"}
    assert unasync.run(check=True, package=tmp_path, files=files) == 1  # missing
    assert unasync.run(check=False, package=tmp_path, files=files) == 0
    assert (tmp_path / "x.py").read_text(encoding="utf-8") == (
        "# Generated from aio_x.py by tools/unasync.py: do not edit.\ndef f() -> None:\n    g()\n"
    )
    assert unasync.run(check=True, package=tmp_path, files=files) == 0
    (tmp_path / "x.py").write_text("# hand edit\n", encoding="utf-8")
    capsys.readouterr()
    assert unasync.run(check=True, package=tmp_path, files=files) == 1
    out = capsys.readouterr().out
    assert "-# hand edit" in out and "+def f() -> None:" in out


# --- the escape hatch: if True:  # ASYNC / else:  # SYNC ---------------------------------------------

HATCH = """\
import os

if True:  # ASYNC
    import asyncio
else:  # SYNC
    import time


class C:
    async def run(self) -> None:
        if True:  # ASYNC
            await asyncio.sleep(0)
            if True:  # ASYNC
                pass
        else:  # SYNC

            time.sleep(0)
            if True:  # ASYNC
                x = 1
            else:  # SYNC
                x = 2
        if True:  # ASYNC
            print("async only")

        return None
"""

HATCH_SYNC = """\
import os

import time


class C:
    def run(self) -> None:
        time.sleep(0)
        x = 2

        return None
"""


def test_escape_hatch_keeps_the_sync_branch_only() -> None:
    assert unasync.transform(HATCH) == HATCH_SYNC
    compile(HATCH, "<async>", "exec")  # the source itself is valid Python that runs the async branch


def test_escape_hatch_errors() -> None:
    with pytest.raises(unasync.UnasyncError, match="without 'if True"):
        unasync.transform("x = 1\nelse:  # SYNC\n    y = 2\n")
    with pytest.raises(unasync.UnasyncError, match="does not compile"):
        unasync.transform("def f() -> None:\n    if True:  # ASYNC\n        pass\n")


def test_every_twin_pair_is_generated() -> None:
    """Each ``aio_X.py`` of the engine and the repository has its ``X.py`` made by the tool."""
    sources = {
        str(path.relative_to(unasync.PACKAGE))
        for package in ("typedorm/engine", "typedorm/repository")
        for path in (unasync.PACKAGE / package).glob("aio_*.py")
        if (path.parent / path.name.removeprefix("aio_")).exists()
    }
    assert sources <= set(unasync.FILES)
    assert "typedorm/engine/aio_database.py" in unasync.FILES
    assert "typedorm/engine/aio_pool.py" in unasync.FILES
    for src, dst in unasync.FILES.items():
        assert Path(dst).name == Path(src).name.removeprefix("aio_")
