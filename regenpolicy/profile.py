"""Submission profiles: one edition of the report per policy submission.

A profile (``submissions/<id>.yaml``) names the edition (id, title, date, audience, language),
which figures it includes (and so which notebooks run), the data vintage (which version of each
table), and the parameters of every notebook. Every key is checked before anything runs.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import yaml

from regenpolicy import NOTEBOOK_DIR, SUBMISSION_DIR


class ProfileError(Exception):
    """A submission profile that cannot be used, with the file and key named."""


LANGUAGES = ("ja",)
KEYS = ("id", "title", "date", "audience", "language", "figures", "data_vintage", "parameters", "description")
FIGURE_CALL = re.compile(r'(?:publish|publish_table|tornado_chart)\(\s*"([A-Za-z0-9-]+)"')


@dataclass
class Profile:
    id: str
    title: str
    path: Path
    date: str = ""
    audience: str = ""
    language: str = "ja"
    description: str = ""
    figures: list[str] | None = None  # None: every figure
    data_vintage: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)

    def notebooks(self, available: list[str], registry: dict[str, str]) -> list[str]:
        """The notebooks of ``available`` (in order) that this edition runs.

        Notebooks that publish no figure (the data appendix) are in every edition.
        """
        if self.figures is None:
            return list(available)
        wanted = {registry[f] for f in self.figures}
        publishing = set(registry.values())
        return [n for n in available if n in wanted or n not in publishing]


def figure_registry(notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, str]:
    """Figure or table id → the notebook that publishes it (read from the notebooks' code)."""
    registry: dict[str, str] = {}
    for path in sorted(notebook_dir.glob("*.md")):
        for fig_id in FIGURE_CALL.findall(path.read_text(encoding="utf-8")):
            registry.setdefault(fig_id, path.stem)
    return registry


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


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False


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
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: expected a mapping of keys ({', '.join(KEYS)})")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise ProfileError(f"{path}: unknown key(s) {', '.join(map(str, unknown))}; expected: {', '.join(KEYS)}")
    for key in ("id", "title"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ProfileError(f"{path}: '{key}' must be a non-empty string")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", raw["id"]):
        raise ProfileError(f"{path}: id '{raw['id']}' must be lowercase letters, digits and '-' (it names a folder)")
    date = raw.get("date")
    if date is None:
        raise ProfileError(f"{path}: 'date' is required (the submission's date orders the editions)")
    if isinstance(date, dt.date):
        date = date.isoformat()
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?", str(date)) or (
            len(str(date)) == 10 and not _is_date(str(date))):
        raise ProfileError(f"{path}: date '{date}' must be a date: 2025-07-31, 2025-07 or 2025")
    language = raw.get("language", "ja")
    if language not in LANGUAGES:
        raise ProfileError(f"{path}: language '{language}' is not available; expected one of {', '.join(LANGUAGES)}")
    figures = raw.get("figures")
    if figures is not None:
        registry = figure_registry(notebook_dir)
        if not isinstance(figures, list) or not figures:
            raise ProfileError(f"{path}: 'figures' must be a list of figure ids (or be left out for all)")
        bad = [f for f in figures if f not in registry]
        if bad:
            raise ProfileError(f"{path}: figures: unknown figure id(s) {', '.join(map(str, bad))}; "
                               f"known: {', '.join(sorted(registry))}")
    vintage = raw.get("data_vintage") or {}
    if not isinstance(vintage, dict):
        raise ProfileError(f"{path}: 'data_vintage' must map table names to versions")
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
    return Profile(id=raw["id"], title=raw["title"], path=path, date=str(date), audience=str(raw.get("audience", "")),
                   language=language, description=str(raw.get("description", "")),
                   figures=[str(f) for f in figures] if figures is not None else None,
                   data_vintage={str(k): str(v) for k, v in vintage.items()},
                   parameters={k: dict(v or {}) for k, v in parameters.items()})


def all_profiles(submission_dir: Path = SUBMISSION_DIR) -> list[Profile]:
    """Every profile in ``submissions/``, oldest edition first."""
    profiles = [load_profile(p) for p in sorted(submission_dir.glob("*.yaml"))]
    ids = [p.id for p in profiles]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ProfileError(f"{submission_dir}: several profiles use the id(s) {', '.join(sorted(dupes))}")
    return sorted(profiles, key=lambda p: (p.date, p.id))
