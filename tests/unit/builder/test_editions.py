"""The site's index of editions and each edition's index of figure files."""

from __future__ import annotations

import lxml.html

from regenpolicy.builder import editions


def test_the_site_index_lists_editions_newest_first():
    out = editions.site_index([{"id": "e1", "title": "第1版", "date": "2025-01-01", "audience": "委員会"},
                               {"id": "e2", "title": "第2版 <新>", "date": "2026-01-01", "audience": "一般"}])
    rows = lxml.html.document_fromstring(out).findall(".//tbody/tr")
    assert [r.findtext("td[3]/a") for r in rows] == ["第2版 <新>", "第1版"]
    assert [a.get("href") for a in rows[0].iterfind(".//a")] == [
        "e2/index.html", "e2/report.pdf", "e2/e2-deck.pptx", "e2/e2-deck.pdf", "e2/figures/index.html", "e2/e2-data.zip"]


def test_the_figures_index_groups_files_by_figure_with_titles_and_sizes():
    class Profile:
        title, date = "白書 <版>", "2026-01-01"

    figures = [{"id": "K1", "heading": "図 K1 支払われない費用 <b>", "page": "notebooks/k1_fee_gap.html#fig-k1"},
               {"id": "F1", "heading": "表 F1 特長・特徴", "page": "notebooks/f1_firm_case.html#tbl-f1"}]
    files = {"K1.xlsx": 20_480, "K1.csv": 3_672, "K1.data.csv": 3_577, "K1.png": 1_234_567, "F1.csv": 800,
             "K1-MC.csv": 100}
    page = editions.figures_index(Profile(), files, figures, ['<link rel="stylesheet" href="../_static/report.css" />'])
    tree = lxml.html.document_fromstring(page)
    assert tree.findtext(".//title") == "図のデータ — 白書 <版>"  # escaped in the source, read back as text
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert [link.get("href") for link in tree.iterfind(".//head/link")] == ["../_static/report.css"]
    sections = tree.findall(".//section")
    # each figure by its heading linked to its place, in reading order; then the files of no listed figure
    assert [(s.find("h2/a").text_content(), s.find("h2/a").get("href")) for s in sections[:2]] == [
        ("図 K1 支払われない費用 <b>", "../notebooks/k1_fee_gap.html#fig-k1"),
        ("表 F1 特長・特徴", "../notebooks/f1_firm_case.html#tbl-f1")]
    k1 = [(li.find("a").text, li.find("a").get("href"), li.findtext("span")) for li in sections[0].iterfind(".//li")]
    assert k1 == [("CSV・計算したままの値（プログラム向け）", "../_static/figures/K1.data.csv", "K1.data.csv・4 KB"),
                  ("CSV・日本語の列名と単位（Excel 向け）", "../_static/figures/K1.csv", "K1.csv・4 KB"),
                  ("Excel ブック", "../_static/figures/K1.xlsx", "K1.xlsx・20 KB"),
                  ("図（PNG、2倍の解像度）", "../_static/figures/K1.png", "K1.png・1.2 MB")]
    assert sections[2].findtext("h2") == "そのほかのファイル"
    assert [li.findtext("span") for li in sections[2].iterfind(".//li")] == ["K1-MC.csv・100 バイト"]


def test_each_edition_is_cited_at_its_address_under_the_projects_site_url(tmp_path):
    import pytest

    from regenpolicy.builder.profile import ProfileError
    from regenpolicy.builder.project import Project

    assert editions.edition_url("https://example.org/report/", "2026-11") == "https://example.org/report/2026-11/"
    assert editions.edition_url("", "2026-11") == ""  # unpublished: no address is claimed
    (tmp_path / "_config.yml").write_text("title: t\nsite_url: https://example.org/r\n", encoding="utf-8")
    assert Project(tmp_path).site_url() == "https://example.org/r/"
    (tmp_path / "_config.yml").write_text("title: t\n\nsite_url: javascript:alert(1)\n", encoding="utf-8")
    with pytest.raises(ProfileError) as refused:
        Project(tmp_path).site_url()
    assert "_config.yml, line 3" in str(refused.value) and "https://" in str(refused.value)
