"""Submission profiles: one edition of the report per policy submission.

A profile (``submissions/<id>.yaml``) names the edition (id, title, date, audience, language; the
submitting organisation as ``author``; ``site_url``, where the edition is published, if it is),
which figures it includes (and so which notebooks run), the data vintage (which version of each
table), the edition's settings (fee-schedule revision, yen per point: set once, used by every
figure) and per-notebook overrides of parameters whose defaults live in the parameter classes.
Every key is checked before anything runs; a problem names the file, line and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import Registry
from regenpolicy.data import Dataset, Problem, is_web_url, yaml_problem
from regenpolicy.models.params import ParameterError, Parameters, resolve
from regenpolicy.models.settings import EditionSettings

LANGUAGES = ("ja",)
KEYS = ("id", "title", "date", "audience", "language", "description", "author", "site_url", "figures",
        "data_vintage", "settings", "parameters")
Position = tuple[int, int]


class ProfileError(Exception):
    """A submission profile that cannot be used; every problem names the file and, when known, line and column."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(f"  - {p}" for p in problems) if len(problems) > 1 else str(problems[0]))


@dataclass
class Profile:
    id: str
    title: str
    path: Path
    date: str = ""
    audience: str = ""
    language: str = "ja"
    description: str = ""
    author: str = ""
    site_url: str = ""  # where the edition is published (https://…/): links in the PDF and citations
    figures: list[str] | None = None  # None: every figure
    data_vintage: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    positions: dict[tuple[str, ...], Position] = field(default_factory=dict, repr=False)

    def problem(self, path: tuple[str, ...], message: str) -> Problem:
        """A problem located at the deepest key of ``path`` that the file spells out."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.positions:
                line, column = self.positions[path[:n]]
                return Problem(str(self.path), f"{'.'.join(path)}: {message}", line, column)
        return Problem(str(self.path), f"{'.'.join(path)}: {message}" if path else message)

    def notebooks(self, registry: Registry) -> list[str]:
        """The notebooks this edition runs, in reading order; notebooks publishing no figure always run."""
        if self.figures is None:
            return list(registry.steps)
        wanted = {registry.figures[f] for f in self.figures}
        return [n for n, s in registry.steps.items() if n in wanted or not s.figures]


def _positions(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], Position]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            out[sub] = (key.start_mark.line + 1, key.start_mark.column + 1)
            _positions(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, str(i))
            out[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _positions(item, sub, out)


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?", text):
        return False
    try:
        if len(text) == 10:
            dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False


def load_profile(name_or_path: str | Path, project: Project, registry: Registry) -> Profile:
    """Read ``submissions/<id>.yaml`` (or a path) and check its form against the registry."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = project.submissions_dir / f"{name_or_path}.yaml"
    origin = str(path)
    if not path.is_file() or path.is_symlink():
        known = ", ".join(sorted(p.stem for p in project.submissions_dir.glob("*.yaml")))
        what = "is not a regular file" if path.exists() else "no such submission profile"
        raise ProfileError([Problem(origin, f"{what} (known: {known})")])
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ProfileError([yaml_problem(origin, exc)]) from None
    positions: dict[tuple[str, ...], Position] = {}
    if node is not None:
        _positions(node, (), positions)
    profile = Profile(id="", title="", path=path, positions=positions)
    if not isinstance(raw, dict):
        raise ProfileError([profile.problem((), f"expected a mapping of keys ({', '.join(KEYS)})")])
    problems: list[Problem] = []

    def bad(key: tuple[str, ...], message: str) -> None:
        problems.append(profile.problem(key, message))

    for key in raw:
        if key not in KEYS:
            bad((str(key),), f"unknown key; expected one of: {', '.join(KEYS)}")
    for key in ("id", "title"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            bad((key,), "must be a non-empty string")
    for key in ("audience", "description", "author"):
        if key in raw and not isinstance(raw[key], str):
            bad((key,), "must be a string")
    site_url = raw.get("site_url", "")
    if site_url and (not isinstance(site_url, str) or not is_web_url(site_url)):
        bad(("site_url",), "must be the edition's published address, an absolute http(s) URL (https://…/)")
    if isinstance(raw.get("id"), str) and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", raw["id"]):
        bad(("id",), f"'{raw['id']}' must be lowercase letters, digits and '-' (it names a folder)")
    date = raw.get("date")
    if isinstance(date, dt.date):
        date = date.isoformat()
    if date is None:
        bad(("date",), "is required (the submission's date orders the editions)")
    elif not _is_date(str(date)):
        bad(("date",), f"'{date}' must be a date: 2025-07-31, 2025-07 or 2025")
    language = raw.get("language", "ja")
    if language not in LANGUAGES:
        bad(("language",), f"'{language}' is not available; expected one of {', '.join(LANGUAGES)}")
    figures = raw.get("figures")
    if figures is not None:
        if not isinstance(figures, list) or not figures:
            bad(("figures",), "must be a list of figure ids (or be left out for all)")
        else:
            for i, f in enumerate(figures):
                if f not in registry.figures:
                    bad(("figures", str(i)), f"unknown figure id {f!r}; known: {', '.join(sorted(registry.figures))}")
    vintage = raw.get("data_vintage") or {}
    if not isinstance(vintage, dict) or not all(isinstance(v, (str, int)) for v in vintage.values()):
        bad(("data_vintage",), "must map table names to versions")
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        bad(("settings",), f"must map settings to values ({', '.join(EditionSettings.specs())})")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        bad(("parameters",), "must map notebook names to parameters")
    else:
        for nb, values in parameters.items():
            if nb not in registry.steps:
                bad(("parameters", str(nb)), f"no notebook notebooks/{nb}.md in _toc.yml "
                                              f"(notebooks: {', '.join(registry.steps)})")
            elif values is not None and not isinstance(values, dict):
                bad(("parameters", str(nb)), "must map parameter names to values")
            else:
                for key in values or {}:
                    if key in EditionSettings.specs():
                        bad(("parameters", str(nb), str(key)), "is an edition setting: set it once, under 'settings:'")
    if problems:
        raise ProfileError(problems)
    profile.id, profile.title = raw["id"], raw["title"]
    profile.date, profile.audience = str(date), str(raw.get("audience", ""))
    profile.language, profile.description = language, str(raw.get("description", ""))
    profile.author = str(raw.get("author", ""))
    profile.site_url = str(site_url).rstrip("/") + "/" if site_url else ""
    profile.figures = [str(f) for f in figures] if figures is not None else None
    profile.data_vintage = {str(k): str(v) for k, v in vintage.items()}
    profile.settings = dict(settings)
    profile.parameters = {str(k): dict(v or {}) for k, v in parameters.items()}
    return profile


@dataclass(frozen=True)
class Resolved:
    """An edition's checked settings and every notebook's checked parameters."""

    settings: EditionSettings
    parameters: dict[str, Parameters]


def resolve_parameters(profile: Profile, registry: Registry, ds: Dataset) -> Resolved:
    """Apply the profile's overrides to the declared defaults and check them, before anything runs."""
    problems: list[Problem] = []
    settings = EditionSettings()
    try:
        settings = resolve(EditionSettings, profile.settings, ds)
    except ParameterError as exc:
        problems += [profile.problem(("settings", *p.path), p.message) for p in exc.problems]
    parameters: dict[str, Parameters] = {}
    included = profile.notebooks(registry)
    for name in included:
        cls = registry.steps[name].parameters_class()
        try:
            parameters[name] = resolve(cls, profile.parameters.get(name, {}), ds)
        except ParameterError as exc:
            problems += [profile.problem(("parameters", name, *p.path), p.message) for p in exc.problems]
    for name in profile.parameters:
        if name not in included:
            problems.append(profile.problem(("parameters", name), "this edition does not include the notebook "
                                                                 "(its figures are not in 'figures:')"))
    if problems:
        raise ProfileError(problems)
    return Resolved(settings, parameters)


def all_profiles(project: Project, registry: Registry) -> list[Profile]:
    """Every profile in ``submissions/``, oldest edition first."""
    profiles = [load_profile(p, project, registry) for p in sorted(project.submissions_dir.glob("*.yaml"))]
    ids = [p.id for p in profiles]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ProfileError([Problem(str(project.submissions_dir), f"several profiles use the id(s) {', '.join(dupes)}")])
    return sorted(profiles, key=lambda p: (p.date, p.id))


def used_settings(resolved: Resolved, names: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """The settings values that the given notebooks declare (name → settings they use)."""
    wanted = {s for used in names.values() for s in used}
    return {k: v for k, v in resolved.settings.values().items() if k in wanted}
