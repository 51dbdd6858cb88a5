"""Renamed modules keep their old names as deprecated aliases: migrations.inspect -> codegen
(writes model source), migrations.introspect -> reflect (reads a live schema)."""

from __future__ import annotations

import importlib
import sys

import pytest

from typedorm.migrations import codegen, reflect


@pytest.mark.parametrize(("old", "new"), [("inspect", codegen), ("introspect", reflect)])
def test_old_module_name_warns_and_re_exports(old: str, new: object) -> None:
    name = f"typedorm.migrations.{old}"
    sys.modules.pop(name, None)
    with pytest.warns(DeprecationWarning, match=f"{name} is deprecated"):
        alias = importlib.import_module(name)
    assert alias.__all__ == new.__all__  # type: ignore[attr-defined]
    for attr in alias.__all__:
        assert getattr(alias, attr) is getattr(new, attr), attr
