"""The data layer's package: its names, imported when first used."""

from __future__ import annotations


def test_the_data_layers_names_are_each_declared_once_in_each_list_and_resolve():
    """``regenpolicy.data`` imports its names when first used: its ``__all__``, the table of their modules
    (``_HOME``) and the imports the type checker reads must name the same things, each from its module."""
    import ast
    import importlib
    from pathlib import Path

    import regenpolicy.data as data

    assert sorted(data.__all__) == sorted(data._HOME)
    tree = ast.parse(Path(data.__file__).read_text(encoding="utf-8"))
    checked = {alias.name: node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module and node.module.startswith("regenpolicy.data.") for alias in node.names}
    assert checked == {name: f"regenpolicy.data.{home}" for name, home in data._HOME.items()}
    for name, home in data._HOME.items():
        assert getattr(data, name) is getattr(importlib.import_module(f"regenpolicy.data.{home}"), name)
