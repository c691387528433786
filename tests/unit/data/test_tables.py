"""Tables are checked against their declarations within declared bounds: sizes are refused with
their file and line before anything runs, patterns run in linear time, the report is bounded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from regenpolicy.data import Column, Dataset, DataValidationError, Problem, Table, load_dataset, read_input
from regenpolicy.data.limits import MAX_CELL_CHARS, MAX_CELLS, MAX_FILE_BYTES, MAX_PROBLEMS, MAX_ROWS
from regenpolicy.data.metadata import compiled
from regenpolicy.data.tables import parse_table

TABLE = Table(name="t", file="t.csv", title="T", primary_key=("id",), columns=(
    Column(name="id", type="string", pattern="^[a-z0-9_]+$"),
    Column(name="n", type="integer", minimum=0),
    Column(name="note", type="text", required=False),
))


def parse(text: str, table: Table = TABLE) -> tuple[pd.DataFrame | None, list[Problem]]:
    return parse_table(table, text.encode("utf-8"), "data/t.csv")


def test_a_valid_table_is_typed_with_the_line_of_each_row() -> None:
    frame, problems = parse('id,n,note\na,1,"two\nlines"\nb,2,\n')
    assert problems == []
    assert isinstance(frame, pd.DataFrame) and frame["n"].dtype == "int64"
    assert frame[["id", "n", "_line"]].to_dict("records") == [{"id": "a", "n": 1, "_line": 2}, {"id": "b", "n": 2, "_line": 4}]
    assert frame["note"][0] == "two\nlines" and pd.isna(frame["note"][1])


@pytest.mark.parametrize("size", [MAX_CELL_CHARS + 1, 200_000, 1_000_000])
def test_a_huge_cell_is_refused_with_its_line(size: int) -> None:
    """Over the bound, and over the csv module's own field limit (a 1 MB cell): both with the line."""
    _, problems = parse(f"id,n,note\na,1,x\nb,2,{'y' * size}\nc,3,z\n")
    assert len(problems) == 1 and problems[0].line == 3, problems
    assert f"expected at most {MAX_CELL_CHARS:,}" in problems[0].message
    assert "field larger than field limit" not in problems[0].message


def test_more_rows_than_the_bound_are_refused_before_they_are_checked() -> None:
    frame, problems = parse("id,n,note\n" + "".join(f"r{i},x,\n" for i in range(MAX_ROWS + 10)))
    assert frame is None and len(problems) == 1
    assert problems[0].line == MAX_ROWS + 2 and f"at most {MAX_ROWS:,} data rows" in problems[0].message


def test_more_cells_than_the_bound_are_refused() -> None:
    width = MAX_CELLS // (MAX_ROWS // 2) + 1
    columns = tuple(Column(name=f"c{i}", type="integer") for i in range(width))
    wide = Table(name="w", file="w.csv", title="W", primary_key=("c0",), columns=columns)
    rows = "".join(",".join([str(r)] * width) + "\n" for r in range(MAX_ROWS // 2))
    frame, problems = parse(",".join(c.name for c in columns) + "\n" + rows, wide)
    assert frame is None and len(problems) == 1 and f"{MAX_CELLS:,} cells" in problems[0].message


def test_a_file_over_the_byte_bound_is_refused_unread(data_copy: Path) -> None:
    path = data_copy / "drug_loss.csv"
    with open(path, "ab") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    raw, problem = read_input(path, data_copy)
    assert raw is None and problem is not None
    assert str(problem) == (f"data/drug_loss.csv: is over {MAX_FILE_BYTES:,} bytes; expected a table of at most "
                            f"{MAX_FILE_BYTES:,} bytes")


def test_a_million_character_cell_in_a_shipped_table_names_its_line(data_copy: Path) -> None:
    path = data_copy / "drug_loss.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + "x" * 1_000_000
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_copy)
    assert [(p.file, p.line) for p in info.value.problems] == [("data/drug_loss.csv", 3)]


def test_the_report_lists_the_first_problems_and_counts_the_rest(data_copy: Path) -> None:
    bad_rows = 500
    path = data_copy / "fee_schedule.csv"
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    path.write_text("\n".join([header, first, *[first.replace("K", "Z", 1) + str(i) for i in range(bad_rows)]]) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_copy)
    error = info.value
    assert len(error.problems) == MAX_PROBLEMS and error.omitted >= bad_rows - MAX_PROBLEMS
    text = str(error)
    assert text.count("\n  - ") == MAX_PROBLEMS
    assert text.endswith(f"… and {error.omitted:,} more problem(s) not listed")
    assert text.startswith(f"{MAX_PROBLEMS + error.omitted:,} problem(s) in the input data:")


def test_patterns_are_run_by_re2_in_linear_time() -> None:
    """``^(a+)+$`` backtracks exponentially in Python's re (51 s for 30 characters); RE2 has no backtracking."""
    evil = compiled("^(a+)+$")
    assert type(evil).__module__.startswith("re2")
    column = Column(name="x", type="string", pattern="^(a+)+$")
    assert column.matches("a" * 30) and not column.matches("a" * 100_000 + "!")
    table = Table(name="e", file="e.csv", title="E", primary_key=("x",), columns=(column,))
    _, problems = parse("x\n" + "a" * 40 + "!\n", table)
    assert [(p.line, p.column) for p in problems] == [(2, "x")] and "does not match" in problems[0].message


def test_declared_patterns_keep_their_meaning_under_re2(shipped: Dataset) -> None:
    code = shipped.table("fee_schedule").column("code")
    assert code.matches("K921 2ロ") and code.matches("A104 注3イ(1)") and not code.matches("K921 2ロ<b>")
    assert not code.matches("K９２１")  # RE2's \d is ASCII: full-width digits are not a fee code


def test_a_control_character_and_a_bad_value_keep_their_messages() -> None:
    _, problems = parse("id,n,note\nA,-1,\x1b]0;x\x07\n")
    assert [str(p) for p in problems] == [
        "data/t.csv, line 2, column 'id': 'A' does not match the expected form ^[a-z0-9_]+$",
        "data/t.csv, line 2, column 'n': -1 is out of range; expected a non-negative integer",
        "data/t.csv, line 2, column 'note': '\\x1b]0;x\\x07' is not valid; expected text (the cell holds a control character)",
    ]


def test_a_table_parsed_again_is_remembered_but_each_caller_gets_its_own_frame() -> None:
    from regenpolicy.data import tables

    text = "id,n,note\na,1,x\n"
    first, _ = parse(text)
    entries = len(tables._PARSED)
    second, _ = parse(text)
    assert len(tables._PARSED) == entries  # the same bytes and declaration: no second parse
    assert first is not None and second is not None and first is not second
    first.loc[0, "n"] = 99  # one caller's change never reaches another
    assert parse(text)[0]["n"].tolist() == [1]
    assert parse("id,n,note\na,2,x\n")[0]["n"].tolist() == [2]  # other bytes: parsed afresh
    renamed = Table(name="t", file="t.csv", title="T", primary_key=("id",), columns=(
        Column(name="id", type="string"), Column(name="n", type="integer", maximum=0), Column(name="note", type="text")))
    assert parse(text, renamed)[1]  # another declaration: checked afresh (n above its maximum)
