"""The readers' downloads, text alternatives, search words, citations and the print edition's links."""

from __future__ import annotations

import zipfile

import altair as alt
import pandas as pd
import pytest

from regenpolicy.builder import pdf, sphinx_ext
from regenpolicy.presentation import describe, downloads, draw, figures, labels
from tests.hostile import CORPUS


def test_reader_table_speaks_as_the_page_does():
    frame = pd.DataFrame({"year": [2020, 2021], "value_oku_yen": [30730000.000000004, 0.1 + 0.2],
                          "status": ["printed", "assumption"], "series_assumed": [True, False],
                          "therapy": ["once", "repeat"], "note": ["a", None]})
    names = {"year": "年", "value_oku_yen": "市場規模", "status": "値の種類", "series_assumed": "系列の割り当てを推定",
             "therapy": "治療", "note": "注"}  # as a figure's declaration names its columns
    table = downloads.reader_table(frame, {"value_oku_yen": "億円"}, {"therapy": {"once": "一度きりの治療"}}, names)
    assert list(table.columns) == ["年", "市場規模［億円］", "値の種類", "系列の割り当てを推定", "治療", "注"]
    assert table.iloc[0].tolist() == [2020, 30730000, "印字", "はい", "一度きりの治療", "a"]
    assert table.iloc[1].tolist() == [2021, 0.3, "仮定", "いいえ", "repeat", None]


def test_reader_csv_has_a_bom_and_no_formulas(tmp_path):
    table = pd.DataFrame({"注": CORPUS[:22], "値": [1.5] * 22})
    downloads.write_reader_csv(table, tmp_path / "x.csv")
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\n=HYPERLINK" not in text and "'=HYPERLINK" in text and ",1.5\r\n" in text


def test_xlsx_keeps_text_as_text_and_is_reproducible(tmp_path):
    from openpyxl import load_workbook

    table = pd.DataFrame({"注": ["=1+1", "+cmd|' /C calc'!A0", "@SUM(1)", "ok"], "値": [1, 2.5, None, 4]})
    downloads.write_xlsx(table, tmp_path / "a.xlsx", [("図表", "図 X テスト"), ("出所", "=evil()")])
    downloads.write_xlsx(table, tmp_path / "b.xlsx", [("図表", "図 X テスト"), ("出所", "=evil()")])
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    book = load_workbook(tmp_path / "a.xlsx")
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert book["データ"]["A2"].value == "=1+1" and book["説明"]["B2"].value == "=evil()"


def test_zip_is_reproducible(tmp_path):
    downloads.write_zip({"b.txt": b"2", "a.txt": b"1"}, tmp_path / "a.zip")
    downloads.write_zip({"a.txt": b"1", "b.txt": b"2"}, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert zipfile.ZipFile(tmp_path / "a.zip").namelist() == ["a.txt", "b.txt"]


def test_japanese_text_wraps_by_its_width():
    assert downloads.wrap("あ" * 60, 100) == ["あ" * 50, "あ" * 10]
    assert downloads.wrap("a" * 150, 100) == ["a" * 100, "a" * 50]


def test_the_text_alternative_says_what_the_chart_shows():
    data = pd.DataFrame({"year": [2020, 2020, 2025], "value": [1000, 800, 5000]})
    chart = alt.Chart(data).mark_bar().encode(x=alt.X("year:O", title="年"),
                                              y=alt.Y("sum(value):Q", title="市場規模（億円）"))
    text = describe.describe(chart.to_dict(), "図 Z9", "テスト")
    assert text.startswith("図 Z9は、年ごとの市場規模（億円）を示す棒グラフ。") and "1,800〜5,000" in text


def test_a_band_under_the_lines_does_not_hide_the_lines_numbers():
    # E1: an area between two cases (fields made by a pivot, no title), then the cases' lines
    data = pd.DataFrame({"fiscal_year": [2025, 2025, 2034, 2034], "case": ["低", "高", "低", "高"],
                         "budget": [10.72, 10.72, 11.58, 13.75]})
    band = alt.Chart(data).transform_pivot("case", value="budget", groupby=["fiscal_year"]).mark_area().encode(
        x=alt.X("fiscal_year:Q", title="年度"), y="低:Q", y2="高:Q")
    lines = alt.Chart(data).mark_line().encode(x=alt.X("fiscal_year:Q", title="年度"),
                                               y=alt.Y("budget:Q", title="薬剤費の枠（兆円）"), color="case:N")
    text = describe.describe((band + lines).to_dict(), "図 Z8", "テスト")
    assert text.startswith("図 Z8は、年度ごとの薬剤費の枠（兆円）を示す折れ線グラフ。") and "値は 10.7〜13.8。" in text


def test_a_published_figure_carries_its_panel_and_states_the_charts_unit(tmp_path):
    data = pd.DataFrame({"year": [2020, 2025], "amount": [12_340_000.0, 23_450_000.0], "status": ["printed", "derived"]})
    plot = data.assign(man=data["amount"] / 1e4)
    chart = alt.Chart(plot).mark_bar().encode(x="year:O", y=alt.Y("man:Q", title="金額（万円）"))
    sources = pd.DataFrame({"source_id": ["s1"], "publisher": ["<b>出版</b>"], "title": ["題"], "date": ["2024"]})
    fig = figures.publish(tmp_path, "Z9", chart, data, title="テスト <i>図</i>", sources=sources,
                          units={"amount": "円"}, unit="万円", labels={"year": "年", "amount": "金額", "status": "値の種類"})
    html = fig.html
    assert '<p class="regen-unit">単位：万円</p>' in html  # the chart's unit, not the CSV's
    assert '<h2 class="regen-fig-title">' in html and "&lt;i&gt;図&lt;/i&gt;" in html and "<i>" not in html
    assert 'href="z1_data_appendix.html#src-s1"' in html and "&lt;b&gt;出版&lt;/b&gt;" in html
    assert 'href="#fig-z9"' in html and 'data-spec="fig-z9-spec"' in html
    assert '<div class="regen-print" data-regen-print="Z9"></div>' in html  # the build draws it in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Z9.data.csv", "Z9.figure.json"]  # nothing drawn yet
    drawn = tmp_path / "drawn"
    draw.draw_all(tmp_path, drawn, tmp_path / "cache")
    for name in ("Z9.csv", "Z9.xlsx", "Z9.svg", "Z9.png"):
        assert (drawn / name).stat().st_size > 0, name
    header = (drawn / "Z9.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "年,金額［円］,値の種類"
    svg = (drawn / "Z9.svg").read_text(encoding="utf-8")
    assert "図 Z9" in svg and "出所：" in svg and "単位：万円" in svg


def test_numbered_page_tables_get_an_anchor_and_source_rows_their_own():
    frame = pd.DataFrame({"source_id": ["a b", "c"], "URL": ["https://x.jp/", "javascript:alert(1)"]})
    html = figures.table(frame, "表 X-2 出所一覧", links=["URL"], row_anchor=("source_id", "src-")).html
    assert 'id="tbl-x-2"' in html and '<tr id="src-a-b">' in html and '<tr id="src-c">' in html
    assert '<a class="regen-url" href="https://x.jp/"' in html and 'href="javascript' not in html


def test_a_column_without_a_japanese_name_stops_the_figure():
    """Every column a figure publishes is named as its declaration names it (notebooks/<name>.yml);
    a figure publishing an undeclared column fails its notebook."""
    names = {"points_status": "点数の値の種類", "value_oku_yen": "市場規模"}
    assert labels.column_label("points_status", None, names) == "点数の値の種類"
    assert labels.column_label("value_oku_yen", "億円", names) == "市場規模［億円］"
    assert labels.column_label("国") == "国"  # a table's own Japanese header
    with pytest.raises(ValueError, match="column 'points_sttus', which has no Japanese name"):
        labels.column_label("points_sttus", None, names)


def test_search_indexes_compounds_and_codes_as_typed():
    words = set(sphinx_ext.CompoundSplitter({}).split("費用対効果評価の活用。K921 2ロとキムリアの市場拡大再算定"))
    assert {"費用対効果", "費用対効果評価", "k921", "キムリア", "市場拡大再算定", "再算定", "算定"} <= words


def test_citations_escape_bibtex_and_name_the_edition():
    edition = {"id": "e1", "title": "白書 {x} 100%", "date": "2026-11-27", "author": "団体 & 会", "version": "0.2.0"}
    text, bib = sphinx_ext.citation(edition, "図 K1「題」", "https://example.org/e1/p.html#fig-k1")
    # as a journal prints it: no edition id, no generator version
    assert text == "団体 & 会（2026）『白書 {x} 100%』図 K1「題」、2026年11月27日発行。https://example.org/e1/p.html#fig-k1"
    assert "\\{x\\} 100\\%" in bib and "団体 \\& 会" in bib and bib.count("{") == bib.count("}")
    assert "institution = {団体 \\& 会}" in bib and "month = {11}" in bib and "0.2.0" not in bib and "e1 版" not in bib
    assert sphinx_ext.citation({**edition, "date": "2025"})[0] == "団体 & 会（2025）『白書 {x} 100%』。"
    assert sphinx_ext.citation({**edition, "date": "2023-07"})[0] == "団体 & 会（2023）『白書 {x} 100%』、2023年7月発行。"


@pytest.mark.parametrize("href, expected", [
    ("../notebooks/m1_market.html#fig-m1", "#fig-m1"),
    ("m1_market.html", "#page-notebooks-m1_market"),
    ("#id3", "#page-notebooks-k1_fee_gap--id3"),
    ("z1_data_appendix.html#src-firm2023", "#src-firm2023"),
    ("../_static/figures/M1.csv", "https://example.org/e/_static/figures/M1.csv"),
    ("https://www.mhlw.go.jp/", "https://www.mhlw.go.jp/"),
    ("javascript:alert(1)", None),
    ("file:///etc/passwd", None),
    ("../../../../etc/passwd", None),
])
def test_print_edition_links_stay_inside_the_document(href, expected):
    pages = {f: pdf.Entry(f, 2) for f in ("notebooks/m1_market", "notebooks/k1_fee_gap", "notebooks/z1_data_appendix")}
    assert pdf._page_link(href, "notebooks/k1_fee_gap", pages, "https://example.org/e/") == expected
    if expected and expected.startswith("https://example.org"):
        assert pdf._page_link(href, "notebooks/k1_fee_gap", pages, "") is None  # no site: no link


def test_print_edition_heading_levels_follow_the_book():
    article = '<h1>節<a class="headerlink" href="#x">#</a></h1><h2 class="regen-fig-title">図</h2><p id="x">t</p>'
    out = pdf._rewrite(article, pdf.Entry("notebooks/m1_market", 2), {"notebooks/m1_market": pdf.Entry("notebooks/m1_market", 2)}, "")
    assert out.startswith('<h3 class="regen-page-title">') and '<h4 class="regen-fig-title">' in out
    assert 'id="page-notebooks-m1_market--x"' in out and 'href="#page-notebooks-m1_market--x"' in out


def test_a_glued_number_is_named_by_its_first_sentence():
    from regenpolicy.builder.editions import glued_in_prose

    said = glued_in_prose("# t\n\n値は {glue:text}`a:,.0f` 万円。次は {glue:text}`b` 件、{glue:text}`a` 回。\n")
    assert said == {"a": ("値は〔 〕 万円", ",.0f"), "b": ("次は〔 〕 件", "")}


def test_the_print_head_keeps_styles_only_and_no_cache_busting_query():
    """Sphinx writes ``?v=…`` after a stylesheet on some builds and not on others; a print part must not
    be reprinted for that (the printer hashes the stylesheet files themselves)."""
    head = ('<meta charset="utf-8" /><link rel="stylesheet" type="text/css" href="_static/a.css?v=8cd3d715" />'
            '<link href="_static/b.css?digest=55c2" rel="stylesheet" /><link rel="preload" as="script" href="x.js" />'
            '<script src="_static/c.js?v=1"></script><link rel="icon" href="_static/favicon.svg"/>')
    assert pdf.print_head(head) == ('<meta charset="utf-8" /><link rel="stylesheet" type="text/css" '
                                    'href="_static/a.css" /><link href="_static/b.css" rel="stylesheet" />')
    assert pdf.print_head(head) == pdf.print_head(head.replace("?v=8cd3d715", ""))
