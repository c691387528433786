"""Each notebook is a declared step: what it reads, what it publishes, which parameters it takes.

The declaration is the notebook's own front matter, beside its code::

    regenpolicy:
      figures: [K1]                         # ids of the figures and tables it publishes
      tables: [care_pathway_steps, fee_schedule, sources]   # or "*": the whole catalogue
      parameters: reimbursement.FeeGapParameters             # a class in regenpolicy.models
      settings: [fee_revision, yen_per_point]                # edition-wide settings it uses

The build checks the declaration against what the notebook really read and published, keys the
notebook's cache on it, and builds the one registry of figure ids from all of them.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from regenpolicy.data import ALL_TABLES
from regenpolicy.models.params import Parameters
from regenpolicy.models.settings import EditionSettings

FIGURE_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")
NOTEBOOK_NAME = re.compile(r"[a-z][a-z0-9_]*")


class StepError(Exception):
    """A notebook whose declaration cannot be used; the message names the file."""


@dataclass(frozen=True)
class Step:
    name: str
    path: Path
    figures: tuple[str, ...]
    tables: tuple[str, ...]  # (ALL_TABLES,) for a notebook that reads the whole catalogue
    parameters: str
    settings: tuple[str, ...]

    @property
    def reads_everything(self) -> bool:
        return self.tables == (ALL_TABLES,)

    def parameters_class(self) -> type[Parameters]:
        return parameters_class(self.parameters, self.path)


def parameters_class(dotted: str, origin: Path | str = "") -> type[Parameters]:
    """``module.Class`` inside ``regenpolicy.models``."""
    module, _, name = dotted.rpartition(".")
    try:
        cls = getattr(importlib.import_module(f"regenpolicy.models.{module}"), name)
    except (ImportError, AttributeError, ValueError):
        raise StepError(f"{origin}: regenpolicy.parameters: no class {dotted!r} in regenpolicy.models") from None
    if not (isinstance(cls, type) and issubclass(cls, Parameters)):
        raise StepError(f"{origin}: regenpolicy.parameters: {dotted!r} is not a Parameters class")
    return cls


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not match:
        raise StepError(f"{path}: no front matter (a notebook starts with '---' YAML '---')")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise StepError(f"{path}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise StepError(f"{path}: front matter must be a mapping")
    return meta


def read_step(path: Path) -> Step:
    """The declaration in a notebook's front matter, checked for form."""
    if not NOTEBOOK_NAME.fullmatch(path.stem):
        raise StepError(f"{path}: notebook names are lowercase letters, digits and '_'")
    spec = front_matter(path).get("regenpolicy")
    if not isinstance(spec, dict):
        raise StepError(f"{path}: front matter has no 'regenpolicy:' declaration (figures, tables, parameters)")
    unknown = set(spec) - {"figures", "tables", "parameters", "settings"}
    if unknown:
        raise StepError(f"{path}: regenpolicy: unknown key(s) {', '.join(sorted(unknown))}")
    figures = spec.get("figures") or []
    bad = [f for f in figures if not isinstance(f, str) or not FIGURE_ID.fullmatch(f)]
    if not isinstance(figures, list) or bad:
        raise StepError(f"{path}: regenpolicy.figures must list figure ids such as K1 or C2-RP; got {bad or figures}")
    tables = spec.get("tables")
    if tables == ALL_TABLES:
        tables = [ALL_TABLES]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, str) for t in tables):
        raise StepError(f"{path}: regenpolicy.tables must list the tables the notebook reads (or be \"*\")")
    settings = spec.get("settings") or []
    known = EditionSettings.specs()
    if not isinstance(settings, list) or any(s not in known for s in settings):
        raise StepError(f"{path}: regenpolicy.settings must list edition settings among: {', '.join(known)}")
    if not isinstance(spec.get("parameters"), str):
        raise StepError(f"{path}: regenpolicy.parameters must name a Parameters class, e.g. market.M1Parameters")
    return Step(name=path.stem, path=path, figures=tuple(figures), tables=tuple(sorted(tables)),
                parameters=spec["parameters"], settings=tuple(settings))
