"""`typedorm stubs` in a scratch project: write the stubs, check them, see them go stale."""

import contextlib
import importlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

from typedorm.cli import main as typedorm

work = Path(tempfile.mkdtemp())
sys.path.insert(0, str(work))  # so that the command can import app.models

# --8<-- [start:setup]
(work / "pyproject.toml").write_text(
    "[tool.typedorm]\n"
    'models = ["app.models"]  # one module or a list\n'
    "\n"
    "[tool.mypy]\n"
    'mypy_path = "stubs"\n'
    "\n"
    "[tool.pyright]\n"
    'stubPath = "stubs"\n'
)
(work / "app").mkdir()
(work / "app" / "__init__.py").write_text("")
(work / "app" / "models.py").write_text(
    "from typedorm import AUTO, PK, Col, Model, column\n\n"
    "class User(Model, table='users'):\n"
    "    id: PK[int] = column(default=AUTO)\n"
    "    name: Col[str]\n"
    "    age: Col[int | None] = column(default=None)\n"
)
# --8<-- [end:setup]


def run(*args: str) -> None:
    """``typedorm ARGS...`` in the scratch project; prints its output and exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(work):
        code = typedorm([*args, "--config", str(work / "pyproject.toml")])
    print("$ typedorm", " ".join(args))
    print((out.getvalue() + err.getvalue()).replace(str(work), "~/project"), end="")
    print(f"(exit {code})")


# --8<-- [start:run]
run("stubs")
stub = (work / "stubs" / "app" / "models.pyi").read_text()
lookups = stub[stub.index("class _UserLookups") :].splitlines()  # the TypedDict of User's lookups
print("\n".join(line for line in lookups if line.startswith(("class", "    age"))))
run("stubs", "--check")
# --8<-- [end:run]

# --8<-- [start:stale]
models = work / "app" / "models.py"
models.write_text(models.read_text() + "    email: Col[str | None] = column(default=None)\n")
sys.modules.pop("app.models", None)
importlib.invalidate_caches()
run("stubs", "--check")
# --8<-- [end:stale]

shutil.rmtree(work)
