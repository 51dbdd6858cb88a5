"""A migration round trip with the `typedorm` command, run from Python in a scratch directory."""

import contextlib
import io
import re
import shutil
import sys
import tempfile
from pathlib import Path

from typedorm.cli import main as typedorm

work = Path(tempfile.mkdtemp())
sys.path.insert(0, str(work))  # so that the command can import app_models

# --8<-- [start:setup]
(work / "pyproject.toml").write_text(
    '[tool.typedorm]\nmodels = "app_models"\nmigrations = "migrations"\nurl = "sqlite:///app.db"\n'
)
(work / "app_models.py").write_text(
    "from typedorm import AUTO, PK, Col, Model, column\n\n"
    "class User(Model, table='users'):\n"
    "    id: PK[int] = column(default=AUTO)\n"
    "    name: Col[str]\n"
)
# --8<-- [end:setup]


def stable(text: str) -> str:
    """The output with what changes from run to run (scratch path, timings, dates) masked."""
    text = text.replace(str(work), "~/project")
    text = re.sub(r"in \d+ ms", "in N ms", text)
    return re.sub(r"created \d{4}-\d\d-\d\d \d\d:\d\d UTC", "created YYYY-MM-DD HH:MM UTC", text)


def run(*args: str) -> None:
    """``typedorm ARGS...`` in the scratch directory; prints the exit code after the output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(work):
        code = typedorm([*args, "--config", str(work / "pyproject.toml")])
    print("$ typedorm", " ".join(args))
    print(stable(out.getvalue()), end="")
    print(f"(exit {code})")


# --8<-- [start:first]
run("migrate", "make", "-m", "create users", "--no-input")
run("migrate", "up")
run("migrate", "status")
# --8<-- [end:first]

# --8<-- [start:change]
(work / "app_models.py").write_text(
    "from typedorm import AUTO, PK, Col, Model, column\n\n"
    "class User(Model, table='users'):\n"
    "    id: PK[int] = column(default=AUTO)\n"
    "    full_name: Col[str]\n"
    "    age: Col[int] = column(default=0)\n"
)
sys.modules.pop("app_models", None)
run("migrate", "make", "-m", "rename and add age", "--rename", "users.name=full_name", "--no-input")
print(stable(next((work / "migrations").glob("0002*.py")).read_text()))
run("migrate", "up")
run("migrate", "make", "-m", "nothing", "--check")
# --8<-- [end:change]

shutil.rmtree(work)
