"""Submission profiles: one edition of the report per policy submission.

A profile (``submissions/<id>.yaml``) names the edition (id, title, date, audience, language; the
submitting organisation as ``author``; ``site_url``, where the edition is published, if it is),
which figures it includes (and so which notebooks run), the data vintage (which version of each
table), the edition's settings (``EditionSettings``: set once, used by every figure that declares
them) and per-notebook overrides of the parameters whose defaults live in the parameter classes.

The form is a pydantic model (``ProfileFile``, unknown keys refused), read through the bounded,
alias-free YAML reader; its limits (``regenpolicy.data.limits.PROFILE``) are declared once and checked before anything
runs. Every problem names the file, line and column; none is a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import Registry
from regenpolicy.data import Dataset, OutsideError, Problem, inside, is_web_url
from regenpolicy.data.limits import PROFILE
from regenpolicy.data.problems import ProblemsError
from regenpolicy.data.yamlfile import YamlDocument, YamlError, load_yaml
from regenpolicy.models.declaration import FIGURE_ID
from regenpolicy.models.parameters import EditionSettings, ParameterError, Parameters, resolve
from regenpolicy.presentation import deck as slides

LANGUAGES = ("ja",)
Position = tuple[int, int]


LIMITS = PROFILE  # regenpolicy.data.limits: every input's bounds in one place


class ProfileError(ProblemsError):
    """A submission profile that cannot be used; every problem names the file and, when known, line and
    column (the first MAX_PROBLEMS listed, the rest counted)."""


def _printable(value: str) -> str:
    bad = next((c for c in value if (ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) < 0xA0), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; write plain text")
    return value


def _date(value: Any) -> str:
    if isinstance(value, dt.date):
        value = value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} must be a date: 2025-07-31, 2025-07 or 2025")
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?", value):
        raise ValueError(f"'{value}' must be a date: 2025-07-31, 2025-07 or 2025")
    try:
        if len(value) == 10:
            dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' must be a date: 2025-07-31, 2025-07 or 2025") from None
    return value


def _web(value: str) -> str:
    if value and not is_web_url(value):
        raise ValueError("must be the edition's published address, an absolute http(s) URL (https://…/)")
    return value.rstrip("/") + "/" if value else ""


Text = Annotated[str, StringConstraints(strict=True, max_length=LIMITS.text), AfterValidator(_printable)]
Name = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class ProfileFile(BaseModel):
    """The form of ``submissions/<id>.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(strict=True, max_length=64), AfterValidator(_printable)]
    title: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=LIMITS.text),
                     AfterValidator(_printable)]
    date: Annotated[Any, AfterValidator(_date)]
    audience: Text = ""
    language: str = "ja"
    description: Text = ""
    author: Text = ""
    site_url: Annotated[str, StringConstraints(strict=True, max_length=LIMITS.text), AfterValidator(_web)] = ""
    figures: Annotated[list[Annotated[str, StringConstraints(strict=True, pattern=FIGURE_ID)]],
                       Field(min_length=1, max_length=LIMITS.figures)] | None = None
    data_vintage: dict[Name, Annotated[str, StringConstraints(strict=True, max_length=64)] | int] = {}
    settings: EditionSettings = EditionSettings()
    parameters: Annotated[dict[Name, dict[str, Any] | None], Field(max_length=LIMITS.notebooks)] = {}
    deck: slides.DeckFile | None = None  # the submission deck (default: slides.default_deck)

    @field_validator("id")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", value):
            raise ValueError(f"{value!r} must be lowercase letters, digits and '-' (it names a folder)")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"'{value}' is not available; expected one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty string")
        return value


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
    settings: dict[str, Any] = field(default_factory=dict)  # as written (overrides only)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    deck: slides.DeckFile | None = None  # as declared, or the default deck of the edition's figures
    document: YamlDocument = field(default_factory=lambda: YamlDocument(None), repr=False)
    source: bytes | None = field(default=None, repr=False)  # the file's bytes as read and checked

    def shipped(self) -> bytes:
        """The profile as this build read it (not as it may have been saved since)."""
        return self.source if self.source is not None else self.path.read_bytes()

    def problem(self, path: tuple[str | int, ...], message: str) -> Problem:
        """A problem located at the deepest key of ``path`` that the file spells out."""
        where = ".".join(map(str, path))
        line, column = self.document.position(path) or (None, None)
        return Problem(str(self.path), f"{where}: {message}" if where else message, line, column)

    def notebooks(self, registry: Registry) -> list[str]:
        """The notebooks this edition runs, in reading order; notebooks publishing no figure always run."""
        if self.figures is None:
            return list(registry.steps)
        wanted = {registry.figures[f] for f in self.figures}
        return [n for n, s in registry.steps.items() if n in wanted or not s.figures]


_KINDS = {"string_type": "a string", "dict_type": "a mapping", "list_type": "a list", "int_type": "an integer",
          "bool_type": "true or false", "float_type": "a number"}


def _message(error: Any) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key; expected one of: {', '.join(ProfileFile.model_fields)}"
    if kind == "missing":
        return "is required" + (" (the submission's date orders the editions)" if error["loc"] == ("date",) else "")
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid name or id (expected {ctx.get('pattern')})"
    if kind in ("too_long", "string_too_long"):
        return f"longer than the {ctx.get('max_length')} items or characters allowed"
    if kind == "too_short" or kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in _KINDS:
        return f"expected {_KINDS[kind]}, got {_short(value)}"
    return f"{error['msg']}, got {_short(value)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _settings_problems(origin: Path, doc: YamlDocument, raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    """The settings as written, checked against EditionSettings with the parameter system's words."""
    settings = raw.get("settings") if isinstance(raw, dict) else None
    if settings is None:
        return {}, []
    if not isinstance(settings, dict):
        line, column = doc.position(("settings",)) or (None, None)
        return {}, [Problem(str(origin), f"settings: must map settings to values ({', '.join(EditionSettings.model_fields)})",
                            line, column)]
    try:
        resolve(EditionSettings, settings)
    except ParameterError as exc:
        out = []
        for p in exc.problems:
            line, column = doc.position(("settings", *p.path)) or (None, None)
            out.append(Problem(str(origin), f"settings.{p}", line, column))
        return {}, out
    return dict(settings), []


def load_profile(name_or_path: str | Path, project: Project, registry: Registry) -> Profile:
    """Read ``submissions/<id>.yaml`` (or a path) and check its form against the registry."""
    path = Path(name_or_path)
    named = path.suffix not in (".yaml", ".yml")  # an id names a profile of submissions/
    if named:
        path = project.submissions_dir / f"{name_or_path}.yaml"
    origin = str(path)
    rel = os.path.relpath(path, project.submissions_dir)
    try:  # a profile of submissions/ stays inside it, whatever link is on the way
        if named or not rel.startswith(".."):
            inside(project.submissions_dir, rel)
    except OutsideError as exc:
        raise ProfileError([Problem(origin, f"{exc.why}; expected a profile inside submissions/")]) from None
    if not path.is_file() or path.is_symlink():
        known = ", ".join(sorted(p.stem for p in project.submissions_dir.glob("*.yaml")))
        what = "is not a regular file" if path.exists() else "no such submission profile"
        raise ProfileError([Problem(origin, f"{what} (known: {known})")])
    source = path.read_bytes()  # read once: the bytes checked are the bytes the stamp hashes and the zip ships
    try:
        doc = load_yaml(source, max_bytes=LIMITS.bytes, max_depth=LIMITS.depth, max_nodes=LIMITS.values)
    except YamlError as exc:
        raise ProfileError([Problem(origin, exc.problem.message, exc.problem.line, exc.problem.column)]) from None
    profile = Profile(id="", title="", path=path, document=doc, source=source)
    raw = doc.value
    if not isinstance(raw, dict):
        raise ProfileError([profile.problem((), f"expected a mapping of keys ({', '.join(ProfileFile.model_fields)})")])
    settings, problems = _settings_problems(path, doc, raw)
    try:
        form = ProfileFile.model_validate({k: v for k, v in raw.items() if k != "settings"})
    except ValidationError as exc:
        errors = exc.errors()
        # a list whose items failed is also reported as too short (counted after validation): say the items only
        errors = [e for e in errors if not (e["type"] == "too_short" and any(
            len(o["loc"]) > len(e["loc"]) and o["loc"][:len(e["loc"])] == e["loc"] for o in errors))]
        problems += [profile.problem(_loc(e["loc"]), _message(e)) for e in errors]
        raise ProfileError(problems) from None
    problems += _registry_problems(form, profile, registry)
    if problems:
        raise ProfileError(problems)
    profile.id, profile.title, profile.date = form.id, form.title, str(form.date)
    profile.audience, profile.language, profile.description = form.audience, form.language, form.description
    profile.author, profile.site_url = form.author, form.site_url
    profile.figures = list(form.figures) if form.figures is not None else None
    profile.data_vintage = {k: str(v) for k, v in form.data_vintage.items()}
    profile.settings = settings
    profile.parameters = {k: dict(v or {}) for k, v in form.parameters.items()}
    profile.deck = form.deck or _default_deck(form, registry)
    return profile


def _loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic location in the file's terms: a deck slide's kind (the union's tag) is no key of the file."""
    if len(loc) > 3 and loc[:2] == ("deck", "slides") and isinstance(loc[2], int):
        return loc[:3] + loc[4:]
    return loc


def _default_deck(form: ProfileFile, registry: Registry) -> slides.DeckFile:
    """The deck of a profile that declares none: title, each figure with a declared headline, closing, appendix."""
    steps = {f: registry.steps[n] for f, n in registry.figures.items()}
    figures = [f for f in (form.figures or list(steps)) if steps[f].figures[f].headline]
    return slides.DeckFile.model_validate(slides.default_deck(figures, form.author, form.audience))


def _registry_problems(form: ProfileFile, profile: Profile, registry: Registry) -> list[Problem]:
    """Figures and notebooks the report does not have; edition settings set per notebook."""
    problems = []
    for i, f in enumerate(form.figures or []):
        if f not in registry.figures:
            problems.append(profile.problem(("figures", i), f"unknown figure id {f!r}; known: "
                                                            f"{', '.join(sorted(registry.figures))}"))
    if form.deck is not None:
        steps = {f: registry.steps[n] for f, n in registry.figures.items()}
        known = {f: (s.figures[f].headline, s.glue) for f, s in steps.items()}
        for p in slides.declaration_problems(form.deck, known, form.figures or list(steps), form.title):
            problems.append(profile.problem(p.path, p.message))
    for nb, values in form.parameters.items():
        if nb not in registry.steps:
            problems.append(profile.problem(("parameters", nb), f"no notebook notebooks/{nb}.md in _toc.yml "
                                                                f"(notebooks: {', '.join(registry.steps)})"))
            continue
        for key in values or {}:
            if key in EditionSettings.model_fields:
                problems.append(profile.problem(("parameters", nb, key),
                                                "is an edition setting: set it once, under 'settings:'"))
    return problems


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
