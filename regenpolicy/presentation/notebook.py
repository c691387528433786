"""What a notebook works with: its context.

The build hands each notebook one papermill parameter, ``context``: the path of a JSON file that
names the validated data snapshot, this notebook's checked parameters, the edition's settings and
the folder its figures go to. Nothing is read from the environment and nothing at import time::

    ctx = notebook.open(context, "k1_fee_gap")
    k1 = reimbursement.fee_gap(ctx.data, ctx.settings)
    ctx.glue(k1.numbers)

What the notebook may read and publish, and the labels and units of its figures' columns, come
from its declaration (``notebooks/<name>.yml``, ``regenpolicy.models.declaration``).

Opened without a context (an author running the notebook in Jupyter), it validates the project's
``data/`` folder, uses the parameters' defaults and writes figures to a temporary folder.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from regenpolicy.data import ALL_TABLES, Dataset, load_dataset, open_snapshot
from regenpolicy.models.declaration import Declaration, read_declaration
from regenpolicy.models.parameters import EditionSettings, Parameters, from_values
from regenpolicy.presentation import figures


class Settings:
    """The edition's settings, limited to those the notebook declares (so its cache key is complete)."""

    def __init__(self, settings: EditionSettings, declared: Sequence[str]):
        self._settings, self._declared = settings, tuple(declared)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._declared:
            raise AttributeError(f"setting '{name}' is not declared in this notebook's declaration "
                                 f"(settings: {', '.join(self._declared) or 'none'})")
        return getattr(self._settings, name)


@dataclass
class Context:
    step: Declaration
    data: Dataset
    parameters: Any  # the notebook's Parameters subclass
    settings: Settings
    out: Path  # the run folder: figures/, numbers.json, reads.txt
    numbers: dict[str, float | int] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures"

    # --- the words -----------------------------------------------------------------------------
    def glue(self, values: Mapping[str, Any]) -> None:
        """Glue computed numbers into the prose: ``{glue:text}`name:,.1f```."""
        from myst_nb import glue

        for name, value in values.items():
            number = figures.as_number(value)
            glue(name, number, display=False)
            self.numbers[name] = number
        (self.out / "numbers.json").write_text(json.dumps(self.numbers, ensure_ascii=False, sort_keys=True),
                                               encoding="utf-8")

    def glue_text(self, values: Mapping[str, str]) -> None:
        """Glue words computed from the data: ``{glue:text}`name```, shown as text, never as markup."""
        from myst_nb import glue

        for name, text in values.items():
            glue(name, str(text), display=False)

    # --- the figures --------------------------------------------------------------------------
    def _declare(self, fig_id: str) -> None:
        if fig_id not in self.step.figures:
            raise KeyError(f"figure {fig_id} is not declared in {self.step.path.with_suffix('.yml').name} "
                           f"(figures: {', '.join(self.step.figures)})")
        self.published.append(fig_id)
        (self.out / "published.json").write_text(json.dumps(self.published), encoding="utf-8")

    def publish(self, fig_id: str, chart: alt.TopLevelMixin, data: pd.DataFrame, **kwargs: Any) -> figures.Figure:
        """Publish a figure; its columns' labels and units are the ones its declaration gives
        (``units=`` only for a declared column whose unit depends on a parameter: 2025年度=100)."""
        self._declare(fig_id)
        columns = self.step.columns(fig_id)
        computed = kwargs.pop("units", {})
        undeclared = sorted(set(computed) - set(columns))
        if undeclared:
            raise KeyError(f"units for undeclared column(s) {', '.join(undeclared)} of {fig_id}")
        units = {name: c.unit for name, c in columns.items() if c.unit} | computed
        labels = {name: c.label for name, c in columns.items()}
        decimals = {name: c.decimals for name, c in columns.items() if c.decimals is not None}
        return figures.publish(self.figures_dir, fig_id, chart, data, units=units, labels=labels, decimals=decimals,
                               **kwargs)

    def publish_table(self, table_id: str, frame: pd.DataFrame, **kwargs: Any) -> figures.Figure:
        self._declare(table_id)
        return figures.publish_table(self.figures_dir, table_id, frame, **kwargs)

    def shown(self, fig_id: str, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        """The columns of ``frame`` a page shows, headed by the labels the figure's declaration gives."""
        declared = self.step.columns(fig_id)
        missing = [c for c in columns if c not in declared]
        if missing:
            raise KeyError(f"column(s) {', '.join(missing)} of {fig_id} have no label in the declaration")
        return frame[list(columns)].rename(columns={c: declared[c].label for c in columns})

    def tornado_chart(self, fig_id: str, frame: pd.DataFrame, **kwargs: Any) -> figures.Figure:
        self._declare(fig_id)
        columns = self.step.columns(fig_id)
        labels = {name: c.label for name, c in columns.items()}
        decimals = {name: c.decimals for name, c in columns.items() if c.decimals is not None}
        return figures.tornado_chart(self.figures_dir, fig_id, frame, labels=labels, decimals=decimals, **kwargs)


def _recorder(path: Path) -> Any:
    seen: set[str] = set()

    def record(name: str) -> None:
        if name not in seen:
            seen.add(name)
            with path.open("a", encoding="utf-8") as f:
                f.write(name + "\n")

    return record


def open(context: str | None, name: str) -> Context:
    """The notebook's context: from the build's context file, or the project's defaults."""
    if context is None:
        return _interactive(name)
    spec = json.loads(Path(context).read_text(encoding="utf-8"))
    step = read_declaration(Path(spec["notebook"]))
    if step.name != name:
        raise ValueError(f"the context is for notebook {step.name}, not {name}")
    out = Path(spec["out"])
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "started").touch()  # the kernel is up: from here on a failure is the notebook's, not a start-up's
    allowed = None if step.reads_everything else frozenset(step.tables)
    data = open_snapshot(Path(spec["snapshot"]), allowed=allowed, on_read=_recorder(out / "reads.txt"))
    if step.reads_everything:
        data.allowed = frozenset([*data.tables, ALL_TABLES])
    parameters: Parameters = from_values(step.parameters_class(), spec["parameters"])
    settings = from_values(EditionSettings, spec["settings"])
    return Context(step, data, parameters, Settings(settings, step.settings), out)


def _interactive(name: str) -> Context:
    """Run by hand from ``notebooks/``: the live data (validated), default parameters, a scratch folder."""
    cwd = Path.cwd()
    root = cwd if (cwd / "notebooks").is_dir() else cwd.parent
    step = read_declaration(root / "notebooks" / f"{name}.md")
    data = load_dataset(root / "data")
    if not step.reads_everything:
        data.allowed = frozenset(step.tables)
    out = Path(tempfile.mkdtemp(prefix=f"regenpolicy-{name}-"))
    (out / "figures").mkdir()
    return Context(step, data, step.parameters_class()(), Settings(EditionSettings(), step.settings), out)
