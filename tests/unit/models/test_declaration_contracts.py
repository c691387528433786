"""Tests generated from each figure's declaration (notebooks/<name>.yml): a broken contract fails here,
in seconds, not after a build."""

from __future__ import annotations

import re
import sys

import pytest

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import ALL_TABLES
from regenpolicy.models import parameters
from regenpolicy.models.parameters import DataParameters, resolve
from tests.conftest import ROOT

PROJECT = Project(ROOT)
REGISTRY = load_registry(PROJECT)
NOTEBOOKS = list(REGISTRY.steps)
GLUE = re.compile(r"\{glue(?::text)?\}`([A-Za-z0-9_]+)")


def prose(name: str) -> str:
    import jupytext

    nb = jupytext.read(ROOT / "notebooks" / f"{name}.md")
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_its_parameters_and_settings_validate(name):
    step = REGISTRY.steps[name]
    cls = step.parameters_class()
    for field, (spec, default) in cls.specs().items():
        assert spec.label, f"{name}: parameter {field} has no Japanese label"
        resolve(cls, {field: default})  # every default passes its own checks
    assert set(step.settings) <= set(REGISTRY.steps[name].settings)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_its_glue_keys_and_its_prose_agree(name):
    used = GLUE.findall(prose(name))
    declared = REGISTRY.steps[name].glue
    assert sorted(set(used) - set(declared)) == [], f"{name}.md uses glue keys its declaration does not list"
    assert sorted(set(declared) - set(used)) == [], f"{name}.yml declares glue keys its prose does not use"
    assert len(declared) == len(set(declared))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_its_columns_have_labels_and_units_where_numbers(name):
    step = REGISTRY.steps[name]
    for figure, spec in step.figures.items():
        for column, declared in spec.columns.items():
            assert declared.label and not declared.label.isascii(), f"{figure}.{column}: a Japanese label"
            if column.endswith(("_yen", "_oku_yen", "_pct")):
                assert declared.unit, f"{figure}.{column}: a column of money or percent needs its unit"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_its_tables_and_checks_refer_to_what_exists(name, shipped):
    step = REGISTRY.steps[name]
    assert step.reads_everything or set(step.tables) <= set(shipped.tables)
    assert step.tables == (ALL_TABLES,) or "sources" in step.tables
    printed = set(zip(shipped["printed_headlines"]["figure_id"], shipped["printed_headlines"]["key"], strict=True))
    checks = [(f, c) for f, spec in step.figures.items() for c in spec.checks]
    if checks:
        numbers = step.compute(shipped).numbers
        for figure, check in checks:
            assert (figure, check.printed) in printed, (figure, check.printed)
            assert check.number in numbers, f"{figure}: the model computes no number {check.number}"


def test_the_printed_values_checked_before_a_build():
    checked = {(f, c.printed) for s in REGISTRY.steps.values() for f, spec in s.figures.items() for c in spec.checks}
    assert {f for f, _ in checked} == {"M1", "M2", "D1", "D2", "A1", "E1"} and len(checked) == 17


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if "model_parameters" in REGISTRY.steps[n].tables])
def test_its_data_parameters_are_declared_beside_its_model_and_fit_their_rows(name, shipped):
    module = sys.modules[REGISTRY.steps[name].parameters_class().__module__]
    classes = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, DataParameters) and c.MODEL]
    assert classes, f"{name} reads model_parameters but {module.__name__} declares no DataParameters"
    frame = shipped.frames["model_parameters"]
    for cls in classes:
        assert list(frame[frame["model"] == cls.MODEL]["parameter"]) == list(cls.model_fields), cls.MODEL
        assert [p for p in parameters.data_problems(frame) if p.message.startswith(f"{cls.MODEL} ")] == []
        assert all(s.label and s.unit for s in cls.specs().values()), cls.MODEL


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_its_declared_decimals_are_on_number_columns(name):
    for figure, spec in REGISTRY.steps[name].figures.items():
        for column, declared in spec.columns.items():
            if declared.decimals is not None:
                assert declared.unit or figure.endswith("-TOR"), f"{figure}.{column}: decimals on a column without a unit"
