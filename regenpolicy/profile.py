"""Submission profiles: which parameters each notebook runs with."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import yaml

from regenpolicy import NOTEBOOK_DIR, SUBMISSION_DIR


class ProfileError(Exception):
    """A submission profile that cannot be used, with the file and key named."""


@dataclass
class Profile:
    id: str
    title: str
    path: Path
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)


def notebook_defaults(notebook: Path) -> dict[str, Any]:
    """The names and default values of a notebook's ``parameters`` cell."""
    nb = jupytext.read(notebook)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            defaults: dict[str, Any] = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    defaults[node.targets[0].id] = ast.literal_eval(node.value)
            return defaults
    return {}


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(default, float) or isinstance(value, int))
    return isinstance(value, type(default))


def load_profile(name_or_path: str | Path, notebook_dir: Path = NOTEBOOK_DIR) -> Profile:
    """Read ``submissions/<id>.yaml`` (or a path) and check it against the notebooks."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = SUBMISSION_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SUBMISSION_DIR.glob("*.yaml")))
        raise ProfileError(f"{path}: no such submission profile (known: {known})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    for key in ("id", "title"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ProfileError(f"{path}: '{key}' must be a non-empty string")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ProfileError(f"{path}: 'parameters' must map notebook names to parameters")
    notebooks = {p.stem: p for p in notebook_dir.glob("*.md")}
    for nb_name, values in parameters.items():
        if nb_name not in notebooks:
            raise ProfileError(f"{path}: parameters.{nb_name}: no notebook notebooks/{nb_name}.md "
                               f"(notebooks: {', '.join(sorted(notebooks))})")
        defaults = notebook_defaults(notebooks[nb_name])
        for key, value in (values or {}).items():
            if key not in defaults:
                raise ProfileError(f"{path}: parameters.{nb_name}.{key}: the notebook has no such parameter "
                                   f"(parameters: {', '.join(defaults)})")
            if not _same_kind(value, defaults[key]):
                raise ProfileError(f"{path}: parameters.{nb_name}.{key}: expected a value like "
                                   f"{defaults[key]!r} ({type(defaults[key]).__name__}), got {value!r}")
    return Profile(id=raw["id"], title=raw["title"], path=path,
                   parameters={k: dict(v or {}) for k, v in parameters.items()})
