"""A figure's declaration: one YAML file beside its notebook, the one home of the figure's contract.

``notebooks/k1_fee_gap.md`` is the notebook (parameters cell, one call into the models, the chart,
the words); ``notebooks/k1_fee_gap.yml`` declares, once::

    model: reimbursement.fee_gap              # the call that computes the figure's numbers
    parameters: reimbursement.FeeGapParameters   # its parameter class (type, default, label, unit, range)
    settings: [fee_revision, yen_per_point]   # the edition settings it uses (regenpolicy.models.parameters)
    tables: [fee_schedule, sources]           # the tables it reads ("*": the whole catalogue)
    glue: [k1_revision, k1_gap_car_t]         # the numbers and words its prose shows
    figures:
      K1:
        columns:                              # its published data: Japanese label, unit, decimals
          points: {label: 点数, unit: 点, decimals: 0}
        checks:                               # printed numbers the model's own numbers must reproduce
          - {printed: approvals_total, number: a1_total}
        headline: "…{k1_gap_car_t:,.0f}点…"     # its finding, as the deck's slide says it (numbers glued)

The registry of figure ids, the download headers (labels and units), the printed-value checks and
the notebook's cache key read it; nothing else restates it. A declaration that cannot be used is
reported at its file, line and column before anything runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
    ValidationError,
    field_validator,
)

from regenpolicy.data import ALL_TABLES, Problem
from regenpolicy.data.limits import DECLARATION_MAX_BYTES
from regenpolicy.data.problems import ProblemsError
from regenpolicy.data.yamlfile import YamlDocument, YamlError, load_yaml
from regenpolicy.models.parameters import EditionSettings, Parameters

FIGURE_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
NAME = r"^[a-z][a-z0-9_]*$"
DOTTED = r"^[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"

FigureId = Annotated[str, StringConstraints(pattern=FIGURE_ID, max_length=32)]
Name = Annotated[str, StringConstraints(pattern=NAME, max_length=64)]
Dotted = Annotated[str, StringConstraints(pattern=DOTTED, max_length=100)]


class DeclarationError(ProblemsError):
    """A figure's declaration that cannot be used; every problem names the file, line and column."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    """One column of a figure's published data."""

    label: str = Field(min_length=1, max_length=80)  # its Japanese name in the downloads and tables
    unit: str = Field("", max_length=40)  # in the header: 市場規模［億円］, and in <ID>.data.csv: value [億円]
    decimals: Annotated[int, Strict()] | None = Field(None, ge=0, le=6)  # digits shown after the point (None: as computed)


class Check(_Strict):
    """A printed number (``data/printed_headlines.csv``: this figure, ``printed``) that the model's
    own number ``number`` must reproduce: ``round(number × scale, round)`` equal to it, or below it."""

    printed: Name
    number: Name
    scale: Annotated[float, Strict()] = Field(1.0, gt=0)
    round: Annotated[int, Strict()] | None = Field(None, ge=-6, le=6)
    compare: Literal["equal", "below"] = "equal"
    how: str = Field("", max_length=200)  # what the number is, for the message


class Figure(_Strict):
    columns: dict[Name, Column] = Field(default_factory=dict, max_length=60)
    checks: list[Check] = Field(default_factory=list, max_length=40)
    # the figure's finding as one sentence, its numbers as glue keys of this notebook
    # ({m1_total_last:,.0f}, formatted as the site formats them): the deck's headline (presentation.deck)
    headline: str | None = Field(None, min_length=1, max_length=200)


class Declaration(_Strict):
    """What one notebook reads, uses, computes, publishes and says."""

    model: Dotted | None = None
    parameters: Dotted
    settings: tuple[Name, ...] = Field((), max_length=20)
    tables: tuple[str, ...] = Field(min_length=1, max_length=200)
    glue: tuple[Name, ...] = Field((), max_length=200)
    figures: dict[FigureId, Figure] = Field(default_factory=dict, max_length=20)

    _name: str = PrivateAttr("")
    _path: Path = PrivateAttr(Path())

    @field_validator("tables", mode="before")
    @classmethod
    def _every_table(cls, value: Any) -> Any:
        return [ALL_TABLES] if value == ALL_TABLES else value

    @field_validator("tables")
    @classmethod
    def _table_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in value if t != ALL_TABLES and not re.fullmatch(NAME[1:-1], t)]
        if bad:
            raise ValueError(f"table names are lowercase letters, digits and '_' (or \"*\" for all); got {bad}")
        return tuple(sorted(value))

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in EditionSettings.model_fields]
        if unknown:
            raise ValueError(f"unknown edition setting(s) {', '.join(unknown)}; settings: "
                             f"{', '.join(EditionSettings.model_fields)}")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameter_class(cls, value: str) -> str:
        parameters_class(value)
        return value

    @field_validator("model")
    @classmethod
    def _model_function(cls, value: str | None) -> str | None:
        if value is not None:
            model_function(value)
        return value

    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> Path:
        """The notebook's path (the declaration is the same path with ``.yml``)."""
        return self._path

    @property
    def reads_everything(self) -> bool:
        return self.tables == (ALL_TABLES,)

    def parameters_class(self) -> type[Parameters]:
        return parameters_class(self.parameters)

    def compute(self, ds: Any) -> Any:
        """The declared model called on ``ds`` with the default parameters (what the printed checks run)."""
        if self.model is None:
            raise ValueError(f"{declaration_path(self.path)}: declares no model")
        return model_function(self.model)(ds, EditionSettings() if self.settings else self.parameters_class()())

    def columns(self, figure_id: str) -> dict[str, Column]:
        return dict(self.figures[figure_id].columns) if figure_id in self.figures else {}


def _member(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(f"regenpolicy.models.{module}"), name)
    except (ImportError, AttributeError, ValueError):
        raise ValueError(f"no {dotted!r} in regenpolicy.models") from None


def parameters_class(dotted: str) -> type[Parameters]:
    """``module.Class`` inside ``regenpolicy.models``, a Parameters class."""
    cls = _member(dotted)
    if not (isinstance(cls, type) and issubclass(cls, Parameters)):
        raise ValueError(f"{dotted!r} is not a Parameters class")
    return cls


def model_function(dotted: str) -> Callable[..., Any]:
    fn = _member(dotted)
    if isinstance(fn, type) or not callable(fn):
        raise ValueError(f"{dotted!r} is not a function")
    return fn  # type: ignore[no-any-return]


def declaration_path(notebook: Path) -> Path:
    return notebook.with_suffix(".yml")


def _problems(origin: str, doc: YamlDocument, exc: ValidationError) -> list[Problem]:
    out = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if part != "[key]")
        where = ".".join(map(str, loc))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "string_pattern_mismatch":
            message = f"{error.get('input')!r} does not match {error['ctx']['pattern']}"
        line, column = doc.position(loc) or (None, None)
        out.append(Problem(origin, f"{where}: {message}" if where else message, line, column))
    return out


def read_declaration(notebook: Path) -> Declaration:
    """The declaration beside ``notebook`` (``<name>.yml``), checked; DeclarationError names file, line, column."""
    path = declaration_path(notebook)
    origin = str(path)
    if not re.fullmatch(NAME[1:-1], notebook.stem):
        raise DeclarationError([Problem(str(notebook), "notebook names are lowercase letters, digits and '_'")])
    if not path.is_file() or path.is_symlink():
        raise DeclarationError([Problem(origin, f"no declaration for notebooks/{notebook.name} (a regular file "
                                                f"{path.name} beside it: figures, tables, parameters, glue)")])
    try:
        doc = load_yaml(path.read_bytes(), max_bytes=DECLARATION_MAX_BYTES)
    except YamlError as exc:
        raise DeclarationError([Problem(origin, exc.problem.message, exc.problem.line, exc.problem.column)]) from None
    try:
        declaration = Declaration.model_validate(doc.value)
    except ValidationError as exc:
        raise DeclarationError(_problems(origin, doc, exc)) from None
    declaration._name, declaration._path = notebook.stem, notebook
    return declaration
