"""regenpolicy.models.declaration: a figure's declaration is checked by its schema, and every problem
is reported at its file, line and column."""

from __future__ import annotations

import pytest

from regenpolicy.models.declaration import DeclarationError, read_declaration

GOOD = "parameters: market.M1Parameters\ntables: [sources]\n"


def declare(tmp_path, text: str | bytes, name: str = "x1_bad"):
    notebook = tmp_path / f"{name}.md"
    notebook.write_text("# x\n", encoding="utf-8")
    yml = tmp_path / f"{name}.yml"
    yml.write_bytes(text if isinstance(text, bytes) else text.encode())
    return read_declaration(notebook)


def test_a_good_declaration_reads(tmp_path):
    step = declare(tmp_path, GOOD + "figures:\n  M9:\n    columns:\n      year: {label: 年, unit: 年}\n")
    assert step.name == "x1_bad" and step.tables == ("sources",) and list(step.figures) == ["M9"]
    assert step.columns("M9")["year"].unit == "年" and step.parameters_class().__name__ == "M1Parameters"


@pytest.mark.parametrize("text, expected", [
    (GOOD + "figures:\n  k1: {}\n", "line 4, column 7: figures.k1: 'k1' does not match"),
    ("parameters: market.M1Parameters\ntables: []\n", "line 2, column 9: tables: "),
    ("parameters: market.Nope\ntables: [x]\n", "line 1, column 13: parameters: no 'market.Nope' in regenpolicy.models"),
    ("parameters: os.system\ntables: [x]\n", "parameters: no 'os.system' in regenpolicy.models"),
    ("parameters: market.cagr\ntables: [x]\n", "is not a Parameters class"),
    (GOOD + "settings: [nope]\n", "line 3, column 11: settings: unknown edition setting(s) nope"),
    (GOOD + "colour: red\n", "line 3, column 9: colour: unknown key"),
    (GOOD + "figures:\n  K9:\n    columns:\n      points: {label: 点数, decimals: '2'}\n", "line 6, column 37: figures.K9.columns.points.decimals: Input should be a valid integer"),
    (GOOD + "figures:\n  K9:\n    columns:\n      points: {unit: 点}\n", "figures.K9.columns.points.label: Field required"),
    (GOOD + "figures:\n  K9:\n    checks: [{printed: x, number: y, compare: above}]\n", "compare"),
    (GOOD + "glue: [[k1]]\n", "line 3, column 8: glue.0"),
    (GOOD + "model: os.system\n", "model: no 'os.system'"),
    ("parameters: [market.M1Parameters\n", "line 2, column 1: not valid YAML"),
    ("a: &x 1\nb: *x\n", "line 1, column 4: YAML anchors"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "line 1, column 1003: not valid YAML: exceeded maximum nesting depth"),
    ("parameters: 'market.M1Parameters'\ntables: [販売]\n".encode("shift_jis"), "line 2, column 10: not UTF-8"),
    ("- 1\n", "Input should be a valid dictionary"),
])
def test_bad_declarations_are_refused_at_their_line_and_column(tmp_path, text, expected):
    with pytest.raises(DeclarationError) as info:
        declare(tmp_path, text)
    assert "x1_bad.yml" in str(info.value) and expected in str(info.value), str(info.value)


def test_a_notebook_without_a_declaration_is_named(tmp_path):
    (tmp_path / "x2_none.md").write_text("# x\n", encoding="utf-8")
    with pytest.raises(DeclarationError, match=r"no declaration for notebooks/x2_none\.md"):
        read_declaration(tmp_path / "x2_none.md")


def test_a_declaration_error_lists_fifty_problems_and_counts_the_rest():
    from regenpolicy.data import Problem
    from regenpolicy.data.limits import MAX_PROBLEMS
    from regenpolicy.models.declaration import DeclarationError

    error = DeclarationError([Problem("notebooks/x.yml", f"problem {i}", i + 1, 1) for i in range(MAX_PROBLEMS + 3)])
    assert len(error.problems) == MAX_PROBLEMS and error.omitted == 3
    assert str(error).count("  - notebooks/x.yml") == MAX_PROBLEMS and str(error).endswith("… and 3 more problem(s) not listed")
    assert str(DeclarationError([Problem("notebooks/x.yml", "one")])) == "notebooks/x.yml: one"


def test_a_parameter_error_lists_fifty_problems_and_counts_the_rest():
    from regenpolicy.data.limits import MAX_PROBLEMS
    from regenpolicy.models.parameters import ParameterError, Problem

    error = ParameterError([Problem(("overrides", f"k{i}"), "no such parameter") for i in range(MAX_PROBLEMS + 2)])
    assert len(error.problems) == MAX_PROBLEMS and str(error).endswith("; … and 2 more")
