"""The libraries compared, in report order, and how each is loaded (a failed import is reported, never dropped)."""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from typing import Any

from .common import Adapter


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    module: str
    cls: str
    #: What to pip install when the import fails.
    install: str


LIBRARIES = (
    Entry(
        "raw",
        "raw driver (tuples)",
        "raw",
        "Raw",
        "(standard library sqlite3; psycopg[binary] for PostgreSQL)",
    ),
    Entry("raw_pydantic", "raw driver + Pydantic", "raw_pydantic", "RawPydantic", "pydantic"),
    Entry("typedorm", "typedorm", "typedorm_lib", "TypedORM", "-e ."),
    Entry("sqlalchemy_core", "SQLAlchemy 2 Core", "sa_core", "SACore", "sqlalchemy>=2"),
    Entry("sqlalchemy_orm", "SQLAlchemy 2 ORM", "sa_orm", "SAORM", "sqlalchemy>=2"),
    Entry("sqlmodel", "SQLModel", "sqlmodel_lib", "SQLModelAdapter", "sqlmodel"),
    Entry("peewee", "peewee", "peewee_lib", "Peewee", "peewee"),
    Entry("django", "Django ORM", "django_lib", "DjangoORM", "django"),
    Entry("pony", "Pony ORM", "pony_lib", "PonyORM", "pony"),
    Entry("tortoise", "Tortoise ORM", "tortoise_lib", "TortoiseORM", "tortoise-orm"),
)
KEYS = tuple(e.key for e in LIBRARIES)


def load(entry: Entry) -> tuple[Adapter | None, dict[str, Any]]:
    """The adapter, or None and why: ``{"status": "not installed" | "import failed", "error": ...}``."""
    try:
        mod = importlib.import_module(f"{__package__}.{entry.module}")
        adapter: Adapter = getattr(mod, entry.cls)()
    except ModuleNotFoundError as e:
        return None, {
            "status": "not installed",
            "error": f"{type(e).__name__}: {e} (pip install {entry.install})",
        }
    except Exception as e:  # a broken install or an incompatible version
        return None, {
            "status": "import failed",
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc(limit=-4),
        }
    return adapter, {"status": "ok"}
