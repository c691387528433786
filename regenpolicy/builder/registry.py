"""The registry of the report's steps: every notebook's declaration, and every figure id once.

Built from the notebooks' front matter (``regenpolicy.presentation.steps``): figure id → notebook,
notebook → tables, parameters and settings. A figure id declared by two notebooks, a notebook in
``_toc.yml`` without a declaration, or a declared table that does not exist stops the build.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from regenpolicy.builder.project import Project
from regenpolicy.data import ALL_TABLES
from regenpolicy.presentation.steps import Step, StepError, read_step


@dataclass(frozen=True)
class Registry:
    steps: dict[str, Step]  # notebook name → declaration, in reading order

    @property
    def figures(self) -> dict[str, str]:
        """Figure or table id → the notebook that publishes it."""
        return {fig: step.name for step in self.steps.values() for fig in step.figures}

    def check_tables(self, tables: Iterable[str]) -> None:
        known = set(tables)
        for step in self.steps.values():
            unknown = [t for t in step.tables if t != ALL_TABLES and t not in known]
            if unknown:
                raise StepError(f"{step.path}: regenpolicy.tables names unknown table(s) {', '.join(unknown)} "
                                f"(tables in data/metadata.yaml: {', '.join(sorted(known))})")


def load_registry(project: Project) -> Registry:
    steps: dict[str, Step] = {}
    owner: dict[str, str] = {}
    for name in project.toc_notebooks():
        path = project.notebooks_dir / f"{name}.md"
        if not path.is_file():
            raise StepError(f"_toc.yml lists notebooks/{name}, but {path} does not exist")
        step = read_step(path)
        step.parameters_class()  # the named class must exist
        for fig in step.figures:
            if fig in owner:
                raise StepError(f"{path}: figure id {fig} is also declared by notebooks/{owner[fig]}.md")
            owner[fig] = name
        steps[name] = step
    return Registry(steps)
