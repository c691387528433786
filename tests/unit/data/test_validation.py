"""Bad input is stopped before anything runs, with the file, line, column and what was expected."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from regenpolicy.data import DataValidationError, is_calendar_date, is_web_url, load_dataset
from tests.conftest import edit, problems_for


def set_cell(path: Path, row_key: str, column: str, value: str) -> None:
    """Set one cell (the row whose first field is ``row_key``), quoting as CSV needs."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    col = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == row_key:
            row[col] = value
            break
    else:
        raise AssertionError(f"no row {row_key} in {path.name}")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_a_header_only_table_is_refused_naming_the_file(data_copy):
    path = data_copy / "survival_outcomes.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert ("data/survival_outcomes.csv, line 1: the table has 0 data row(s); expected at least 1"
            in problems_for(data_copy))


def test_a_table_must_have_a_row_for_every_value_the_figures_look_up(data_copy):
    path = data_copy / "health_budget_inputs.csv"
    path.write_text("\n".join(x for x in path.read_text(encoding="utf-8").splitlines()
                              if not x.startswith("medical_benefit_projection")) + "\n", encoding="utf-8")
    assert ("data/health_budget_inputs.csv, column 'key': no row for medical_benefit_projection; expected a row for "
            "each of: medical_benefit, medical_benefit_projection, national_medical_expenditure") in problems_for(data_copy)


@pytest.mark.parametrize("value, ok", [("2023-02-28", True), ("2024-02-29", True), ("2023-02-30", False),
                                       ("2023-13", False), ("2023", True), ("2023-00-10", False), ("23-01-01", False)])
def test_dates_must_exist_on_the_calendar(value, ok):
    assert is_calendar_date(value) is ok


def test_an_impossible_date_in_a_table(data_copy):
    edit(data_copy / "approved_products.csv", "2023-03-17", "2023-02-30")
    message = problems_for(data_copy)
    assert "column 'approval_date': '2023-02-30' is not valid; expected a date (YYYY, YYYY-MM or YYYY-MM-DD" in message


def test_a_folder_in_place_of_a_table(data_copy):
    path = data_copy / "drug_loss.csv"
    path.unlink()
    path.mkdir()
    assert "data/drug_loss.csv: is a folder; expected a CSV file" in problems_for(data_copy)


def test_a_symbolic_link_is_refused_so_no_file_of_the_machine_can_be_read(data_copy, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text((data_copy / "drug_loss.csv").read_text(encoding="utf-8"), encoding="utf-8")
    (data_copy / "drug_loss.csv").unlink()
    (data_copy / "drug_loss.csv").symlink_to(outside)
    message = problems_for(data_copy)
    assert "data/metadata.yaml, line " in message
    assert "table 'drug_loss': file 'drug_loss.csv' leads outside data/ through the symbolic link drug_loss.csv" in message


@pytest.mark.parametrize("file", ["../../../etc/passwd.csv", "/etc/hosts.csv", "sub\\..\\x.csv", "fees.txt"])
def test_metadata_cannot_point_outside_the_data_folder(data_copy, file):
    edit(data_copy / "metadata.yaml", "    file: drug_loss.csv", f"    file: '{file}'")
    assert "must be a relative path to a .csv file inside data/" in problems_for(data_copy)


def test_a_line_break_in_a_one_line_column_is_refused(data_copy):
    set_cell(data_copy / "fee_schedule.csv", "K921 2ロ", "item_ja", "造血幹細胞採取\n\n:::{include} /etc/passwd")
    message = problems_for(data_copy)
    assert "fee_schedule.csv, line 2, column 'item_ja'" in message
    assert "a line break in a one-line text column; declare the column as type text" in message


def test_control_characters_are_refused(data_copy):
    set_cell(data_copy / "fee_schedule.csv", "K921 2ロ", "note", "abc\x1b[31m")
    assert "column 'note'" in problems_for(data_copy) and "control character" in problems_for(data_copy)


def test_line_numbers_count_quoted_line_breaks(data_copy):
    set_cell(data_copy / "fee_schedule.csv", "K921 2ロ", "note", "two\nlines")
    edit(data_copy / "fee_schedule.csv", ",19410,", ",x,")
    assert "fee_schedule.csv, line 9, column 'points': 'x' is not valid" in problems_for(data_copy)


@pytest.mark.parametrize("url, ok", [("https://www.mhlw.go.jp/a?b=1", True), ("http://x.jp", True),
                                     ("javascript:alert(1)", False), ("file:///etc/passwd", False),
                                     ("data:text/html,<b>x</b>", False), ("https://a b", False), ("//host/x", False),
                                     ("https://x.jp/\n<script>", False)])
def test_only_web_addresses_are_addresses(url, ok):
    assert is_web_url(url) is ok


def test_a_source_url_that_is_not_http_is_refused(data_copy):
    set_cell(data_copy / "sources.csv", "firm2023", "url", "javascript:alert(document.cookie)")
    assert ("data/sources.csv, line 2, column 'url': 'javascript:alert(document.cookie)' is not valid; "
            "expected a web address (an address starting with http:// or https://)") in problems_for(data_copy)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "0x10", "1_000"])
def test_numbers_must_be_finite_decimals(data_copy, value):
    edit(data_copy / "care_pathway_steps.csv", ",0,0.07,", f",0,{value},")
    assert "column 'occurrence_rate'" in problems_for(data_copy)


def test_an_id_used_as_a_key_cannot_hold_markup(data_copy):
    set_cell(data_copy / "sources.csv", "firm2023", "source_id", "<b>x</b>")
    assert "column 'source_id': '<b>x</b>' does not match the expected form" in problems_for(data_copy)


def test_metadata_syntax_error_is_located(data_copy):
    edit(data_copy / "metadata.yaml", "    title: 出所一覧", "    title: [出所一覧")
    message = problems_for(data_copy)
    assert "data/metadata.yaml, line" in message and "column" in message and "not valid YAML" in message


def test_all_problems_of_all_tables_in_one_run(data_copy):
    edit(data_copy / "approved_products.csv", "2023-03-17", "2023-02-30")
    edit(data_copy / "fee_schedule.csv", ",19410,", ",x,")
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_copy)
    files = {p.file for p in info.value.problems}
    assert files == {"data/approved_products.csv", "data/fee_schedule.csv"}


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "\t=HYPERLINK(\"http://evil.example\",\"x\")", " =1+1", "|cmd",
                                   "＝HYPERLINK(\"x\")", "\u200b=1+1", "\ufeff@SUM(1)", "\u3000+cmd", "-1+1"])
def test_text_that_a_spreadsheet_would_run_is_refused_with_its_place(data_copy, value):
    set_cell(data_copy / "sources.csv", "firm2023", "note", value)
    message = problems_for(data_copy)
    assert "data/sources.csv, line 2, column 'note':" in message
    assert "begins like a spreadsheet formula" in message


def test_every_formula_starter_after_every_invisible_prefix_is_refused_in_a_text_column():
    from regenpolicy.data import Column, Table
    from regenpolicy.data.tables import CONTROL, parse_table
    from tests.hostile import FORMULA_BODIES, FORMULA_STARTERS, INVISIBLE_PREFIXES

    table = Table(name="t", file="t.csv", title="t", description="", primary_key=("id",),
                  columns=(Column(name="id", type="integer"), Column(name="note", type="text")))
    cells = [p + s + b for p in INVISIBLE_PREFIXES for s in FORMULA_STARTERS for b in FORMULA_BODIES]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["id", "note"], *([i, c] for i, c in enumerate(cells))])
    raw = buf.getvalue().encode("utf-8")
    _, problems = parse_table(table, raw, "data/t.csv")
    flagged = {p.line for p in problems}
    lines = [2 + sum(c.count("\n") for c in cells[:i]) for i in range(len(cells))]
    assert [c for c, line in zip(cells, lines, strict=True) if line not in flagged] == []
    formula = {p.line for p in problems if "begins like a spreadsheet formula" in p.message}
    plain = [line for c, line in zip(cells, lines, strict=True) if not CONTROL.search(c.strip())]
    assert len(plain) > 2000 and set(plain) <= formula  # the rest hold a control character, refused as such


def test_plain_numbers_and_a_lone_dash_in_a_text_column_are_data(data_copy):
    set_cell(data_copy / "sources.csv", "firm2023", "note", "-5")
    set_cell(data_copy / "sources.csv", "adl_db", "note", "－")
    load_dataset(data_copy)


@pytest.mark.parametrize("url", ["https://example.com/\u202egnp.exe", "http://www.mhlw.go.jp@127.0.0.1:9/x",
                                 "https://a:b@example.com/", "https://exa\u200bmple.com/"])
def test_a_misleading_address_in_a_url_column_is_refused(data_copy, url):
    set_cell(data_copy / "sources.csv", "firm2023", "url", url)
    assert "data/sources.csv, line 2, column 'url':" in problems_for(data_copy)
