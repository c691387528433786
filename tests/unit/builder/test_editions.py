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


def test_the_figures_index_links_every_file():
    class Profile:
        title, date = "白書", "2026-01-01"

    tree = lxml.html.document_fromstring(editions.figures_index(Profile(), ["K1.csv", "K1.xlsx"]))
    # the files the edition's pages link to (each file is published once)
    assert [a.get("href") for a in tree.iterfind(".//ul/li/a")] == ["../_static/figures/K1.csv",
                                                                    "../_static/figures/K1.xlsx"]
    assert tree.findtext(".//title") == "図のデータ — 白書"


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
