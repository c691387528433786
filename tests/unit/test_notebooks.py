"""Every notebook is a declared step: thin (parameters, one call, the chart, the words), with its
declaration beside it (notebooks/<name>.yml), and one registry of figure ids."""

from __future__ import annotations

import ast

import pytest

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from tests.conftest import ROOT

PROJECT = Project(ROOT)
NOTEBOOKS = PROJECT.toc_notebooks()


def code_cells(name: str) -> list[str]:
    import jupytext

    nb = jupytext.read(ROOT / "notebooks" / f"{name}.md")
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_every_figure_id_is_declared_once():
    registry = load_registry(PROJECT)
    assert set(registry.steps) == set(NOTEBOOKS) == {p.stem for p in (ROOT / "notebooks").glob("*.md")}
    ids = registry.figures
    assert {"M1", "M2", "M3", "O1", "D1", "D2", "A1", "A2", "A3", "S1", "C1", "C1-TOR", "T1", "C2", "Q1", "C2-RP",
            "C2-RP-1", "C2-TOR", "K1", "K1-MC", "K1-TOR", "E1", "T4", "T5", "F1", "F2", "F3", "F4", "F5", "P1", "P1-TOR", "P2", "T2", "T3"} == set(ids)


def test_declared_tables_exist(shipped):
    load_registry(PROJECT).check_tables(shipped.tables)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_thin(name):
    cells = code_cells(name)
    assert cells[0].strip().splitlines()[-1].startswith("context = None"), "the parameters cell holds only the context"
    assert len(cells[0].strip().splitlines()) == 1
    for source in cells:
        tree = ast.parse(source)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert not defs, f"{name}: define functions in regenpolicy.models, not in the notebook"
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.startswith(("regenpolicy.data", "regenpolicy.builder"))}, name
        assert "ctx.data[" not in source or "sources" in source or "care_pathway_steps" in source, name
    setup = cells[1]
    assert f'notebook.open(context, "{name}")' in setup
    assert "glue:md" not in (ROOT / "notebooks" / f"{name}.md").read_text(encoding="utf-8")


def code_lines(name: str) -> int:
    """Code lines inside code cells (neither blank nor comments)."""
    return sum(1 for source in code_cells(name) for line in source.splitlines()
               if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_notebook_holds_more_than_sixty_lines_of_code(name):
    assert code_lines(name) <= 60, f"{name}: move the logic into regenpolicy.models"


def test_no_notebook_front_matter_restates_its_declaration():
    for name in NOTEBOOKS:
        assert "\nregenpolicy:" not in (ROOT / "notebooks" / f"{name}.md").read_text(encoding="utf-8"), name
