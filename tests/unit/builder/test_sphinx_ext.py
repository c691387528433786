"""What the report's Sphinx extension writes on every page: meta tags, footer, citations, data in print."""

from __future__ import annotations

import re

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
            '<script src="../_static/doctools.js?v=2"></script>\n'
            '<script src="../_static/sphinx_highlight.js?v=6"></script>\n'
            '<script src="../_static/translations.js?v=7"></script>\n'
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
    # the Japanese of Sphinx's words is there before sphinx_highlight.js writes its link at once (deferred)
    scripts = re.findall(r'<script defer src="../_static/(\w+)\.js', page)
    assert scripts[:3] == ["doctools", "translations", "sphinx_highlight"], scripts
    assert '<script defer data-vega="../_static/vega-bundle.js?v=4" src="../_static/regen-charts.js?v=5">' in page
    assert '<svg class="svg-inline--fa theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="ライト"' in page
    assert "searchindex.js" in light_page(head, "search")  # the search page searches
    with pytest.raises(ValueError, match="fa-unknown"):
        light_page('<i class="fa-solid fa-unknown"></i>', "x")
    # a tag left out takes the white space before it along (up to the text or tag before), not after it
    thebe = '<link rel="stylesheet" type="text/css" href="_static/sphinx-thebe.css?v=1" />'
    assert light_page(f"<p>a</p>\n  \u3000{thebe}{thebe}\t{thebe} <b>", "x") == "<p>a</p> <b>"


# --- search ---------------------------------------------------------------------------------------------
def test_the_index_keeps_words_and_leaves_out_ticks_ids_addresses_and_tex():
    split = sphinx_ext.CompoundSplitter({"type": "regenpolicy.builder.sphinx_ext.CompoundSplitter"}).split
    words = split("K921 2ロ は 17,440点。出所 mhlw_fee_r4、https://www.mhlw.go.jp/stf/newpage_64496 と 0018,00020")
    assert "k921" in words and "点" in words
    assert not [w for w in words if "_" in w or "/" in w or (w[0].isdigit() and not any(c.isalpha() for c in w))]
    assert all(sphinx_ext.indexable(w) for w in ("k921", "car-t", "市場拡大再算定", "1点"))
    assert not any(sphinx_ext.indexable(w) for w in ("100,000", ",000,0001,700", "p_{\\text", ".jp/stf", "2024"))


def test_file_names_codes_and_compounds_are_words_of_the_index():
    split = sphinx_ext.CompoundSplitter({"type": ""}).split
    words = split("data/metadata.yaml の SHA-256 と CAR-T 療法、市場拡大再算定の費用対効果評価")
    assert {"metadata.yaml", "sha-256", "car-t", "市場拡大再算定", "再算定", "費用対効果", "費用対効果評価", "算定"} <= set(words)
    assert split("髄腔内投与") == ["髄", "腔内", "投与", "髄腔内", "髄腔内投与", "腔内投与"]  # (Janome: 髄腔内投, 与)
    # a run of ASCII letters or digits is one word however long (MeCab cuts it past 24 characters), as Janome read it
    assert split("x" * 1000) == ["x" * 1000] and "abcdefghijklmnopqrstuvwxyz" in split("abcdefghijklmnopqrstuvwxyz0123")
    era = split("令和8年度改定")  # an era newer than the dictionary, one word as a reader types it
    assert "令和" in era and "令和8年度改定" in era and not [w for w in era if w.startswith("和")]


def test_text_that_mecab_could_not_take_is_split_in_pieces_it_can(monkeypatch):
    """The text is data: MeCab (C) gets it without NUL or lone surrogates, in pieces cut at spaces; a text of
    200,000 characters without a space (which MeCab alone cannot parse) still gives its words. (Here five pieces
    worth and one letter: the same cuts, in a tenth of the time; that MeCab is never given more than a piece is
    ``pieces``, checked here too.)"""
    split = sphinx_ext.CompoundSplitter({"type": ""}).split
    assert split("市場\0拡大 K921\ud800再算定") == split("市場 拡大 K921?再算定")
    pieces = sphinx_ext.CompoundSplitter.pieces("あ " * 5000)
    assert all(len(p) <= sphinx_ext.CompoundSplitter.PIECE and p.endswith(" ") for p in pieces[:-1])
    assert "".join(pieces) == "あ " * 5000
    long = 5 * sphinx_ext.CompoundSplitter.PIECE + 1
    assert [len(p) for p in sphinx_ext.CompoundSplitter.pieces("x" * long)] == [sphinx_ext.CompoundSplitter.PIECE] * 5 + [1]
    words = split("市場" + "x" * long)
    assert words[0] == "市場" and sum(map(len, words)) >= long
    # a text seen before is looked up, not split again (Sphinx splits each text up to three times)
    monkeypatch.setattr(sphinx_ext.CompoundSplitter, "_split", lambda self, t: pytest.fail("split again"))
    assert split("市場 拡大 K921?再算定") == split("市場\0拡大 K921\ud800再算定")
    # what is remembered is bounded in characters too: past the bound it starts afresh
    monkeypatch.setattr(sphinx_ext.CompoundSplitter, "_split", lambda self, t: [t])
    monkeypatch.setattr(sphinx_ext.CompoundSplitter, "MEMO_CHARS", 100)
    monkeypatch.setattr(sphinx_ext.CompoundSplitter, "_memo", {})  # (this process's memo as it was, after)
    monkeypatch.setattr(sphinx_ext.CompoundSplitter, "_memo_chars", [0])
    split("x" * 60)
    split("y" * 60)
    assert list(sphinx_ext.CompoundSplitter._memo) == ["y" * 60] and sphinx_ext.CompoundSplitter._memo_chars == [120]


def test_a_figure_s_html_is_indexed_as_the_words_a_reader_sees():
    html = ('<figure><h2>図 K1 <span>支払</span></h2><div class="regen-print"><svg><text>0018</text><g><text>'
            '00020</text></g></svg><div><p>印刷用</p></div></div><table><tr><td>K921</td><td>100,000</td></tr></table>'
            '<div class="regen-panel"><a>CSV</a><div class="regen-cite"><pre>@techreport{regenpolicy-K1}</pre></div></div>'
            '<br><script>{"ticks": [1]}</script><p>本文&amp;注</p></figure>')
    assert sphinx_ext.VisibleText.of(html) == "図 K1 支払 K921 100,000 本文&注"


def test_a_page_is_weighted_by_where_a_word_stands_and_how_often():
    from docutils.core import publish_doctree

    tree = publish_doctree("K921 の頁\n=========\n\n見出し 費用\n-----------\n\n"
                           + "費用 は K921 です。" * 17 + "\n\n市場 です。\n")
    split = sphinx_ext.CompoundSplitter({"type": ""}).split
    w = sphinx_ext.term_weights(tree, "K921 の頁", split)
    assert w["k921"] > w["費用"] > sphinx_ext.PLAIN_MENTION  # in the title > in a heading; both often in the text
    assert "市場" not in w  # once, in the text only: the weight the search page assumes
    one = sphinx_ext.term_weights(publish_doctree("題\n==\n\nK921 です。\n"), "題", split)
    many = sphinx_ext.term_weights(publish_doctree("題\n==\n\n" + "K921 です。" * 17 + "\n"), "題", split)
    assert "k921" not in one and many["k921"] == 25


def test_a_page_without_charts_leaves_the_builders_own_list_of_scripts_as_it_was():
    # the page's context holds the builder's list itself; Sphinx restores it only before the next page, so
    # the preview's warm application began its next build without the charts' scripts: its pages lost them
    class App:
        class config:
            regen_edition = EDITION

    builders = ["documentation_options.js", "vega-bundle.js", "regen-charts.js", "regen-nav.js"]
    context: dict[str, object] = {"body": "<p>表だけ</p>", "metatags": "", "pathto": lambda p, n: p,
                                  "script_files": builders}
    sphinx_ext._page_context(App(), "notebooks/t4", "page.html", context, None)
    sphinx_ext._drop_thebe(App(), "notebooks/t4", "page.html", context, None)
    assert context["script_files"] == ["documentation_options.js", "regen-nav.js"]  # the page has no chart scripts
    assert builders == ["documentation_options.js", "vega-bundle.js", "regen-charts.js", "regen-nav.js"]


# --- the theme's check for empty partials -------------------------------------------------------------
def test_the_partials_that_never_render_empty_start_with_markup_of_their_own_in_the_installed_theme():
    """What lets the check skip them: each begins, past Jinja's statements and comments, with an element."""
    import re
    from importlib import resources

    components = resources.files("sphinx_book_theme").joinpath("theme/sphinx_book_theme/components")
    conf = resources.files("sphinx_book_theme").joinpath("theme/sphinx_book_theme/theme.conf").read_text(encoding="utf-8")
    for name in sphinx_ext.NEVER_EMPTY:
        assert name in conf  # a partial the theme puts on every page
        text = components.joinpath(name).read_text(encoding="utf-8")
        text = re.sub(r"\{%.*?%\}|\{#.*?#\}", "", text, flags=re.S).lstrip()
        assert re.match(r"<(nav|div)\b[^>]*>", text), (name, text[:80])


def test_pydata_renders_only_the_partials_that_may_be_empty_to_leave_out_the_empty_ones():
    from pydata_sphinx_theme import utils

    sphinx_ext._skip_never_empty()
    sphinx_ext._skip_never_empty()  # (once per process: a second Sphinx application wraps nothing again)
    check = utils._update_and_remove_templates
    assert getattr(check, "_regen_wrapped", False) and not getattr(check.__wrapped__, "_regen_wrapped", False)
    rendered: list[str] = []

    class App:
        class builder:
            class templates:
                @staticmethod
                def render(template: str, context: dict[str, object]) -> str:
                    rendered.append(template)
                    return "" if template == "icon-links.html" else "<p>x</p>"

    kept = check(App(), {}, "navbar-logo, icon-links, sbt-sidebar-nav.html", "sidebars",
                 templates_skip_empty_check=["sidebar-nav-bs.html"])
    assert kept == ["navbar-logo.html", "sbt-sidebar-nav.html"]  # the empty one left out, the never-empty one kept
    assert rendered == ["navbar-logo.html", "icon-links.html"]  # ... without rendering it
    check(App(), {}, ["article-header-buttons.html", "page-toc.html"], "theme_article_header_end")
    assert rendered[2:] == ["page-toc.html"]


def test_the_sphinx_process_imports_its_module_without_the_notebooks_machinery():
    """``python -m regenpolicy.builder.book worker`` imports book.py: the notebook runs' module and pandas
    with it (0.7 CPU-s in every Sphinx process) are only named in its type hints."""
    import subprocess
    import sys

    code = ("import sys, regenpolicy.builder.book; "
            "print(sorted(m for m in ('pandas', 'numpy', 'regenpolicy.builder.execute') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
