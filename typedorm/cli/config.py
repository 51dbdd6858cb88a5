"""CLI configuration: ``[tool.typedorm]`` in pyproject.toml, ``DATABASE_URL`` and command-line options."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError

__all__ = ["Config", "load_config", "load_models"]


@dataclass
class Config:
    """Where things are: the project root, the models module, the migrations directory, the URL."""

    root: Path
    pyproject: Path | None
    models: str | list[str] | None
    migrations: Path
    url: str | None
    url_source: str


def _find_pyproject(start: Path) -> Path | None:
    for d in (start, *start.parents):
        p = d / "pyproject.toml"
        if p.is_file():
            return p
    return None


def load_config(args: argparse.Namespace) -> Config:
    """Settings from (highest first) the options, ``DATABASE_URL``, then ``[tool.typedorm]``."""
    explicit = getattr(args, "config", None)
    pyproject = Path(explicit) if explicit else _find_pyproject(Path.cwd())
    table: dict[str, Any] = {}
    if pyproject is not None:
        if not pyproject.is_file():
            raise ConfigurationError(f"config file {pyproject} does not exist")
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigurationError(f"{pyproject} is not valid TOML: {e}") from None
        table = data.get("tool", {}).get("typedorm", {})
        if not isinstance(table, dict):
            raise ConfigurationError(f"{pyproject}: [tool.typedorm] must be a table")
        unknown = sorted(set(table) - {"models", "migrations", "url"})
        if unknown:
            raise ConfigurationError(
                f"{pyproject}: unknown key(s) in [tool.typedorm]: {', '.join(unknown)} (known: models, migrations, url)"
            )
    root = pyproject.parent if pyproject is not None else Path.cwd()
    models = getattr(args, "models", None) or table.get("models")
    if models is not None and not (
        isinstance(models, str)
        or (isinstance(models, list) and models and all(isinstance(m, str) and m for m in models))
    ):
        raise ConfigurationError(
            '[tool.typedorm] models must be a module path string, like "app.models", or a list of them'
        )
    mig = getattr(args, "migrations", None) or table.get("migrations", "migrations")
    if not isinstance(mig, str):
        raise ConfigurationError("[tool.typedorm] migrations must be a directory path string")
    migrations = (
        Path(mig)
        if Path(mig).is_absolute()
        else (root / mig if not getattr(args, "migrations", None) else Path.cwd() / mig)
    )
    url: str | None
    if getattr(args, "url", None):
        url, source = args.url, "--url"
    elif os.environ.get("DATABASE_URL"):
        url, source = os.environ["DATABASE_URL"], "DATABASE_URL"
    elif table.get("url"):
        url, source = str(table["url"]), f"{pyproject}"
    else:
        url, source = None, ""
    return Config(root, pyproject, models, migrations, url, source)


def require_url(config: Config) -> str:
    if not config.url:
        raise ConfigurationError(
            'no database URL: pass --url URL, set DATABASE_URL, or add url = "..." to [tool.typedorm] in '
            "pyproject.toml"
        )
    return config.url


def load_models(config: Config) -> list[type[Any]]:
    """The table models of the configured module (imported from the project root)."""
    if not config.models:
        raise ConfigurationError(
            'no models module: pass --models pkg.module or add models = "pkg.module" to [tool.typedorm] in '
            "pyproject.toml"
        )
    from ..schema.model import Model

    root = str(config.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    names = [config.models] if isinstance(config.models, str) else config.models
    values: list[Any] = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            raise ConfigurationError(f"cannot import models module {name!r} (from {root}): {e}") from None
        values.extend(vars(module).values())
    found: list[type[Any]] = []
    seen: set[str] = set()
    for value in values:
        if (
            isinstance(value, type)
            and issubclass(value, Model)
            and value is not Model
            and not getattr(value, "__typedorm_abstract__", True)
        ):
            name = value.__table__.name
            if name in seen:
                continue
            seen.add(name)
            found.append(value)
    if not found:
        raise ConfigurationError(f"models module(s) {', '.join(names)} define no table models")
    return found
