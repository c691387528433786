"""The registry of the report's steps: every notebook's declaration, and every figure id once.

Each notebook in ``_toc.yml`` has its declaration beside it (``notebooks/<name>.yml``, read by
``regenpolicy.models.declaration``): the tables it reads, the settings and parameters it uses, the
figures it publishes with their columns and checks, the glue keys of its prose. A notebook
without a declaration, a figure id declared by two notebooks, or a declared table that does not
exist stops the build before anything runs (exit 2), naming the file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from regenpolicy.builder.project import Project
from regenpolicy.data import ALL_TABLES, Problem
from regenpolicy.models.declaration import Declaration, DeclarationError, declaration_path, read_declaration

Step = Declaration  # a notebook as the build sees it: its declaration
StepError = DeclarationError


@dataclass(frozen=True)
class Registry:
    steps: dict[str, Declaration]  # notebook name → declaration, in reading order

    @property
    def figures(self) -> dict[str, str]:
        """Figure or table id → the notebook that publishes it."""
        return {fig: step.name for step in self.steps.values() for fig in step.figures}

    def check_tables(self, tables: Iterable[str]) -> None:
        known = set(tables)
        problems = []
        for step in self.steps.values():
            unknown = [t for t in step.tables if t != ALL_TABLES and t not in known]
            if unknown:
                problems.append(Problem(str(declaration_path(step.path)),
                                        f"tables: unknown table(s) {', '.join(unknown)} (tables in "
                                        f"data/metadata.yaml: {', '.join(sorted(known))})"))
        if problems:
            raise DeclarationError(problems)


def load_registry(project: Project) -> Registry:
    steps: dict[str, Declaration] = {}
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for name in project.toc_notebooks():
        path = project.notebooks_dir / f"{name}.md"
        if not path.is_file():
            problems.append(Problem("_toc.yml", f"lists notebooks/{name}, but {path} does not exist"))
            continue
        try:
            step = read_declaration(path)
        except DeclarationError as exc:
            problems += exc.problems
            continue
        for fig in step.figures:
            if fig in owner:
                problems.append(Problem(str(declaration_path(path)),
                                        f"figures: figure id {fig} is also declared by notebooks/{owner[fig]}.yml"))
            owner[fig] = name
        steps[name] = step
    if problems:
        raise DeclarationError(problems)
    return Registry(steps)
