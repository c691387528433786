"""What the report's Sphinx extension writes on every page: meta tags, footer, citations, data in print."""

from __future__ import annotations

import lxml.html
import pytest

from regenpolicy.builder import sphinx_ext

EDITION = {"id": "e1", "title": "白書", "date": "2026-01-01", "author": "団体", "description": "説明",
           "version": "0.2.0", "site_url": "", "data_zip": "e1-data.zip"}


def page(edition: dict[str, str], body: str = "") -> dict[str, object]:
    class App:
        class config:  # Sphinx's app.config
            regen_edition = edition

    context: dict[str, object] = {"body": body, "title": "市場", "metatags": '<meta charset="utf-8">',
                                  "pathto": lambda p, n: "../" + p, "script_files": []}
    sphinx_ext._page_context(App(), "notebooks/m1", "page.html", context, None)
    return context


def test_every_page_says_which_edition_it_is_and_links_its_pdf_and_data():
    context = page(EDITION)
    assert str(context["metatags"]).startswith('<meta charset="utf-8">\n<meta name="description" content="説明">\n')
    assert 'og:url' not in str(context["metatags"])  # no published address: no og:url
    footer = lxml.html.fragment_fromstring(str(context["theme_extra_footer"]), create_parent="div")
    assert footer.findtext(".//p[@class='regen-stamp']") == "白書　2026-01-01 版（e1）・ regenpolicy 0.2.0"
    assert [a.get("href") for a in footer.iterfind(".//ul/li/a")] == [
        "../report.pdf", "../e1-deck.pptx", "../e1-deck.pdf", "../e1-data.zip"]
    assert "@techreport{regenpolicy-e1" in footer.findtext(".//pre")


def test_a_figure_gets_its_citation_and_the_address_of_its_data():
    body = ('<div class="regen-cite" data-kind="図" data-id="M1" data-anchor="fig-m1" data-title="市場"></div>'
            '<p class="regen-print-data" data-file="M1"></p>')
    offline = lxml.html.fragment_fromstring(sphinx_ext._fill_body(EDITION, "notebooks/m1", body), create_parent="div")
    assert offline.findtext(".//p[@class='regen-print-data']") == "データ：この版のデータ一式 e1-data.zip の figures/M1.csv（Excel は M1.xlsx）"
    published = dict(EDITION, site_url="https://example.org/e1/")
    online = lxml.html.fragment_fromstring(sphinx_ext._fill_body(published, "notebooks/m1", body), create_parent="div")
    assert online.find(".//p/a").get("href") == "https://example.org/e1/_static/figures/M1.csv"
    assert "https://example.org/e1/notebooks/m1.html#fig-m1" in online.findtext(".//div/details/p")
    assert 'og:url" content="https://example.org/e1/notebooks/m1.html"' in str(page(published)["metatags"])


def test_prose_naming_a_figure_links_it_or_says_this_edition_leaves_it_out():
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    doc = new_document("m1", get_default_settings(Parser))
    doc += nodes.paragraph("", "図 M1 と図 S1 と表 X-3 を見よ。図 S1〜M1 は範囲。")

    from types import SimpleNamespace

    app = SimpleNamespace(config=SimpleNamespace(regen_edition=dict(EDITION, figure_ids=["M1", "S1"])),
                          env=SimpleNamespace(regen_anchors={"fig-m1": "notebooks/m1"}),
                          builder=SimpleNamespace(get_relative_uri=lambda source, target: target + ".html"))
    sphinx_ext._link_references(app, doc, "notebooks/c1")
    para = doc.children[0]
    assert para.astext() == "図 M1 と図 S1（この版には収録していない） と表 X-3 を見よ。図 S1〜M1 は範囲。"
    ref = next(para.findall(nodes.reference))
    assert ref["refuri"] == "notebooks/m1.html#fig-m1" and ref.astext() == "図 M1"
    assert [n.astext() for n in para.findall(nodes.inline)] == ["（この版には収録していない）"]


def test_a_page_paints_before_its_scripts_load():
    from regenpolicy.builder.sphinx_ext import light_page

    head = ('<head><script src="../_static/documentation_options.js?v=1"></script>'
            '<script src="../_static/doctools.js?v=2"></script>'
            '<link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=3" />\n'
            '<script defer src="../_static/scripts/fontawesome.js?digest=3"></script>'
            '<script src="../_static/vega-bundle.js?v=4"></script>\n<script src="../_static/regen-charts.js?v=5"></script>'
            '<script src="../_static/searchtools.js"></script>\n<script src="../_static/language_data.js"></script>\n'
            '<script src="../searchindex.js"></script></head>')
    body = ('<body><i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="ライト"></i>'
            '<label class="sidebar-toggle primary-toggle"><span class="fa-solid fa-bars"></span></label></body>')
    page = light_page(head + body, "notebooks/k1")
    assert "searchindex" not in page and "fontawesome" not in page and "<i " not in page and "<span" not in page
    assert '<svg class="svg-inline--fa fa-solid fa-bars" aria-hidden="true"' in page  # the menu button's ☰
    assert "preload" not in page  # the deferred theme scripts are not fetched before the stylesheet
    assert '<script src="../_static/documentation_options.js?v=1">' in page  # the inline scripts use it
    assert '<script defer src="../_static/doctools.js?v=2">' in page
    assert '<script defer data-vega="../_static/vega-bundle.js?v=4" src="../_static/regen-charts.js?v=5">' in page
    assert '<svg class="svg-inline--fa theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="ライト"' in page
    assert "searchindex.js" in light_page(head, "search")  # the search page searches
    with pytest.raises(ValueError, match="fa-unknown"):
        light_page('<i class="fa-solid fa-unknown"></i>', "x")
