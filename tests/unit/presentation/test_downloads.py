"""regenpolicy.presentation.downloads: a figure's numbers as readers reuse them — the digits after the
point each column declares (``decimals`` in notebooks/<name>.yml) in the CSV text, the xlsx number
formats and the page's data table; never a raw float such as 0.30000000000000004."""

from __future__ import annotations

import pandas as pd

from regenpolicy.presentation import downloads, figures
from regenpolicy.presentation.templating import render
from tests.conftest import ROOT


def _reader() -> pd.DataFrame:
    data = pd.DataFrame({"share": [0.1 + 0.2, 1 / 3], "cost": [30012.345678, 5.25], "n": [1, 2]})
    return downloads.reader_table(data, {"share": "割合", "cost": "万円"}, names={"share": "割合", "cost": "費用", "n": "件数"},
                                  decimals={"share": 1, "cost": 0})


def test_declared_decimals_round_the_reader_table_and_travel_with_it():
    reader = _reader()
    assert list(reader.columns) == ["割合［割合］", "費用［万円］", "件数"]
    assert reader["割合［割合］"].tolist() == [0.3, 0.3] and reader["費用［万円］"].tolist() == [30012.0, 5.0]
    assert downloads.decimals_of(reader) == {"割合［割合］": 1, "費用［万円］": 0}


def test_the_csv_text_holds_the_numbers_rounded_to_the_declared_digits(tmp_path):
    downloads.write_reader_csv(_reader(), tmp_path / "x.csv")
    lines = (tmp_path / "x.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1:3] == ["0.3,30012,1", "0.3,5,2"]
    assert "0.30000000000000004" not in (tmp_path / "x.csv").read_text(encoding="utf-8-sig")


def test_the_xlsx_cells_carry_the_declared_number_format(tmp_path):
    from openpyxl import load_workbook

    downloads.write_xlsx(_reader(), tmp_path / "x.xlsx", [("図表", "x")])  # Excel shows 0.3 as 0.3, 5 as 5
    sheet = load_workbook(tmp_path / "x.xlsx")["データ"]
    assert sheet["A2"].number_format == "#,##0.0" and sheet["B2"].number_format == "#,##0"
    assert sheet["C2"].number_format == "General"  # undeclared: as cleaned


def test_the_page_data_table_uses_the_declared_digits_and_never_an_exponent():
    table = figures.data_table(_reader(), "図 X のデータ")
    assert [c[1] for c in table["rows"][0]["cells"]] == ["0.3", "30,012", "1"]
    undeclared = downloads.reader_table(pd.DataFrame({"v": [30012.3, 0.1 + 0.2, 2539090.909090909]}), {}, names={"v": "値"})
    assert [r["cells"][0][1] for r in figures.data_table(undeclared, "t")["rows"]] == ["30,012.3", "0.3", "2,539,090.909"]


def test_the_machine_csv_holds_clean_numbers(tmp_path):
    frame = pd.DataFrame({"a": [0.1 + 0.2, 57558144.0, None, 0.02110951616988943], "b": ["=1", "x", "y", "z"]})
    figures.write_csv(frame, tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text(encoding="utf-8").splitlines() == [
        "a,b", "0.3,'=1", "57558144,x", ",y", "0.02110951617,z"]  # 10 significant digits: a small share keeps its own


def test_years_in_a_data_table_have_no_thousands_separator():
    frame = pd.DataFrame({"年": [2020, 2025], "承認年": [2019, 2020], "市場規模［億円］": [6812, 117018]})
    rows = [[value for _, value in r["cells"]] for r in figures.data_table(frame, "図 M1 のデータ")["rows"]]
    assert rows == [["2020", "2019", "6,812"], ["2025", "2020", "117,018"]]


def test_a_number_in_a_data_table_is_a_cell_that_never_breaks():
    """P1-TOR's last column (振れ幅) is a number: it printed as '1,767.0' / '04811' in the PDF when the last
    column was let wrap as if it were a note."""
    frame = pd.DataFrame({"パラメータ": ["年齢"], "振れ幅": [1767.004811], "注": ["長い注記はここで改行してよい"],
                          "有無": [True]})
    table = figures.data_table(frame, "図 X のデータ")
    assert [kind for kind, _ in table["rows"][0]["cells"]] == ["word", "number", "text", "word"]
    html = render("data_table.html.j2", table=table)
    assert '<td class="regen-num">1,767.004811</td>' in html and "<td>長い注記はここで改行してよい</td>" in html
    css = (ROOT / "book/_static/report.css").read_text(encoding="utf-8")
    assert "td.regen-num, th.regen-num { white-space: nowrap !important; }" in css


def test_a_short_word_in_a_table_never_breaks_but_a_sentence_does():
    """C2-RP-1's 区分 (市場拡大再算定) and 式の種類 (仮定) printed one character per line in the PDF beside a long
    内容 column: a cell of up to eight characters with no space is one word (td.regen-word, nowrap)."""
    frame = pd.DataFrame({"区分": ["市場拡大再算定"], "種類": ["仮定"], "下限": ["75/100"],
                          "内容": ["年間販売額100億円超かつ予想の10倍以上"], "英": ["two words"]})
    table = figures.data_table(frame, "表 X")
    assert [kind for kind, _ in table["rows"][0]["cells"]] == ["word", "word", "word", "text", "text"]
    html = render("data_table.html.j2", table=table)
    assert '<td class="regen-word">仮定</td>' in html and '<th scope="row" class="regen-word">市場拡大再算定</th>' in html
    css = (ROOT / "book/_static/report.css").read_text(encoding="utf-8")
    assert "td.regen-word, th.regen-word { white-space: nowrap !important; }" in css


def test_a_cell_with_a_long_unbroken_run_of_latin_may_break_anywhere():
    """A pasted address or a string of one letter has nowhere to break: in print its column was wider than the
    page and the page's edge cut it (hostile22 saw T4's and T5's cells cut). Such a cell may break anywhere
    (td.regen-long); Japanese text, sentences with spaces and 29 letters in a row keep the usual rules."""
    long = "https://example.org/" + "a" * 40
    frame = pd.DataFrame({"名": ["x"], "出所": [f"資料 {long} を参照"], "注": ["長い日本語の注記" * 10],
                          "英": ["b" * 29 + " word"]})
    table = figures.table_context(frame, "表 X", multiline=["出所"])
    assert [kind for kind, _ in table["rows"][0]["cells"]] == ["word", "long-lines", "text", "text"]
    assert [kind for kind, _ in figures.data_table(frame, "表 X")["rows"][0]["cells"]] == ["word", "long", "text", "text"]
    html = render("data_table.html.j2", table=table)
    assert f'<td class="regen-long">資料 {long} を参照</td>' in html
    css = (ROOT / "book/_static/report.css").read_text(encoding="utf-8")
    assert "table.regen-table :is(td, th).regen-long { overflow-wrap: anywhere !important; }" in css
