"""Every template, rendered with the hostile corpus in every string it prints, stays the markup it was
written as: parsed (lxml), it has no script but the chart's JSON, no event handler, no attribute or
element a template does not write, no link to anything but the web, the site and its anchors, and the
reader sees each hostile string as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import altair as alt
import lxml.html
import pandas as pd
import pytest
from markupsafe import Markup

import regenpolicy
from regenpolicy.builder import editions, pdf, sphinx_ext
from regenpolicy.presentation import figures, templating
from tests.hostile import CORPUS, payload

PACKAGE = Path(regenpolicy.__file__).parent
TEMPLATES = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.glob("*/templates/*.html.j2"))
# every attribute and element a template writes (an injected one would be a new name)
SOURCES = "".join((PACKAGE / t).read_text(encoding="utf-8") for t in TEMPLATES)
ATTRIBUTES = set(re.findall(r"\s([a-z][a-z-]*)=\"", SOURCES)) | {"download", "hidden", "data-regen-unlinked",
                                                                    "data-regen-print"}  # draw.print_place
ELEMENTS = set(re.findall(r"<([a-z][a-z0-9]*)", SOURCES)) | {"html", "head", "body"}
HOSTILE = [payload(False), payload(True), *CORPUS[:8]]
BAD_ELEMENTS = {"img", "iframe", "object", "embed", "link", "frame"}

rendered: dict[str, int] = {}  # template → how many hostile renderings this module made
# (the last test reads what the others rendered: make test runs a module's tests in one process, in order)


def parse(out: str, *, document: bool = False) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(out) if document else lxml.html.fragment_fromstring(out, create_parent="div")


def check(tree: lxml.html.HtmlElement, shown: list[str] = ()) -> None:
    """No script but JSON data, no handler, only the templates' own elements and attributes, web links only."""
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue  # comments
        tag = el.tag.split("}")[-1]
        in_chart = any(a.tag == "svg" for a in el.iterancestors()) or tag == "svg"  # vl-convert's drawing
        assert tag not in BAD_ELEMENTS, lxml.html.tostring(el)[:200]
        if tag == "script":
            assert el.get("type") == "application/json"
            json.loads(el.text)
        assert in_chart or tag in ELEMENTS, tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (tag, name)
            assert in_chart or name in ATTRIBUTES, (tag, name)
            if name in ("href", "src", "data", "action", "formaction", "xlink:href"):
                assert urlsplit(value.strip()).scheme in ("", "http", "https"), value
    text = tree.text_content()
    for s in shown:  # the reader sees the string itself (its lines; a table cell shows them as lines)
        for line in s.splitlines():
            assert line.strip() in text, line


def seen(*names: str) -> None:
    for name in names:
        rendered[name] = rendered.get(name, 0) + 1


def sources_of(s: str) -> pd.DataFrame:
    return pd.DataFrame({"source_id": ["s1", s], "publisher": [s, "p"], "title": ["t", s], "date": [s, None]})


@pytest.mark.parametrize("s", HOSTILE)
def test_tables_and_table_blocks(s):
    frame = pd.DataFrame({"項目": [s, "x"], "説明": [s, None], "URL": [s, "javascript:alert(1)"]})
    for caption in (s, f"表 X-1 {s}"):
        out = figures.table(frame, caption, multiline=["説明"], links=["URL"], row_anchor=("項目", "src-")).html
        check(parse(out), [s])
        assert parse(out).find(".//div[@role='region']").get("aria-label") == caption  # quotes stay inside
    seen("presentation/templates/table_block.html.j2", "presentation/templates/data_table.html.j2")


def test_a_published_figure(tmp_path):
    """Through figures.publish (which also draws the downloads: one short hostile string, for time)."""
    s = CORPUS[2]
    data = pd.DataFrame({"year": [2020, 2025], "amount": [1.0, 2.0], "status": ["printed", "derived"]})
    chart = alt.Chart(data).mark_bar().encode(x=alt.X("year:O", title=s), y=alt.Y("amount:Q", title=s))
    fig = figures.publish(tmp_path, "Z9", chart, data, title=s, sources=sources_of(s), units={"amount": s},
                          unit=s, notes=[s], labels={"year": s, "amount": s, "status": s})
    tree = parse(fig.html)
    check(tree, [s])
    assert tree.find(".//figure").get("data-regen-title") == s
    # the chart menu saves the chart alone under its own name, never over the captioned Z9.svg/Z9.png
    assert tree.find(".//div[@class='regen-chart']").get("data-name") == "Z9-chart-only"
    seen("presentation/templates/figure.html.j2")


@pytest.mark.parametrize("s", HOSTILE)
def test_figure_and_table_templates(s, tmp_path):
    """figure.html.j2 with what publish passes it, every string hostile (and the chart's spec holding it)."""
    frame = pd.DataFrame({"項目": [s], "説明": [s]})
    out = templating.render(
        "figure.html.j2", anchor="fig-z9", fig_id=s, fig_no=s, title=s, unit=s, print_place=Markup('<div class="regen-print" data-regen-print="Z9"></div>'),
        description=s, sources=figures.source_links(sources_of(s)), note=s, spec={"title": s, "description": s},
        table=figures.table_context(frame, s, multiline=["説明"]))
    tree = parse(out)
    check(tree, [s])
    assert tree.find(".//figure").get("data-regen-title") == s
    assert json.loads(tree.find(".//script").text) == {"title": s, "description": s}
    table = figures.publish_table(tmp_path, "T9", frame, title=s, sources=sources_of(s), notes=[s], multiline=["説明"])
    tree = parse(table.html)
    check(tree, [s])
    assert tree.find(".//div[@class='regen-cite']").get("data-title") == s
    seen("presentation/templates/figure.html.j2", "presentation/templates/table_figure.html.j2",
         "presentation/templates/_figure.html.j2")


@pytest.mark.parametrize("s", HOSTILE)
def test_shared_macros(s):
    m = templating.macros("_macros.html.j2")
    for url in (s, "javascript:alert(1)", "https://x.jp/?a=" + s):
        check(parse(m.link(url, s, classes=s)), [s.splitlines()[0]] if s.strip() else [])
    check(parse(m.lines(s)), [s])
    seen("presentation/templates/_macros.html.j2")


@pytest.mark.parametrize("s", HOSTILE)
def test_site_and_figure_indexes(s):
    records = [{"id": s, "title": s, "date": s, "audience": s}, {"id": "e2", "title": "t", "date": "2", "audience": s}]
    check(parse(editions.site_index(records), document=True), [s])

    class Profile:
        title = s
        date = s

    figures = [{"id": "M1", "heading": s, "page": "notebooks/m1_market.html#fig-m1"}]
    check(parse(editions.figures_index(Profile(), {s: 10, "M1.csv": 2000}, figures), document=True), [s])
    seen("builder/templates/site_index.html.j2", "builder/templates/figures_index.html.j2")


def edition_of(s: str, site: str) -> dict[str, str]:
    return {"id": s, "title": s, "date": s, "author": s, "description": s, "version": s, "site_url": site, "data_zip": s}


@pytest.mark.parametrize("site", ["", "https://example.org/e/", "javascript:alert(1)//"])
@pytest.mark.parametrize("s", HOSTILE)
def test_what_every_page_gets(s, site):
    edition = edition_of(s, site)
    body = str(figures.table(pd.DataFrame({"a": [1]}), "t").html)
    body += f'<div class="regen-cite" data-kind="図" data-id="K1" data-anchor="fig-k1" data-title="{Markup.escape(s)}"></div>'
    body += '<p class="regen-print-data" data-file="K1"></p>'
    filled = sphinx_ext._fill_body(edition, "notebooks/k1", body)
    check(parse(filled), [s.splitlines()[0]])
    context = {"body": body, "title": s, "metatags": "", "pathto": lambda p, n: "../" + p, "script_files": []}

    class App:
        class config:  # Sphinx's app.config
            regen_edition = edition

    sphinx_ext._page_context(App(), "notebooks/k1", "page.html", context, None)
    check(parse(context["metatags"], document=True))
    check(parse(str(context["theme_extra_footer"])), [s.splitlines()[0]])
    seen("builder/templates/_site.html.j2")


@pytest.mark.parametrize("s", HOSTILE)
def test_the_print_edition(s, tmp_path):
    (tmp_path / "html").mkdir()
    for name, title in (("index", "表紙"), ("a", s)):
        (tmp_path / "html" / f"{name}.html").write_text(
            f"<html><head><title>x</title></head><body><article class=\"bd-article\"><h1>{Markup.escape(title)}</h1>"
            f'<div id="fig-z1" data-regen-kind="図" data-regen-id="Z1" data-regen-title="{Markup.escape(s)}"></div>'
            f'<a href="index.html#x">i</a></article></body></html>', encoding="utf-8")
    toc = tmp_path / "_toc.yml"
    toc.write_text(json.dumps({"root": "index", "parts": [{"caption": s, "chapters": [{"file": "a"}]}]}), encoding="utf-8")
    for site in ("", "https://example.org/e/", "javascript:alert(1)"):
        head, docs = pdf.print_documents(tmp_path / "html", toc, edition_of(s, site), s, {"fig-z1": 3})
        for doc in docs:
            check(parse(pdf._html_document(head, doc.body), document=True))
        check(parse(docs[0].body), [s.splitlines()[0]])
        assert parse(f"<html><head>{head}</head></html>", document=True).findtext(".//title") == s
    check(parse(str(pdf.PRINT.header(s))), [s.splitlines()[0]])
    seen("builder/templates/_print.html.j2")


@pytest.mark.parametrize("s", HOSTILE)
def test_a_deck_slide(s):
    from regenpolicy.builder.deck import slide_html
    from regenpolicy.presentation import deck

    form = deck.DeckFile.model_validate({"meeting": "m", "slides": [
        {"slide": "title"}, {"slide": "agenda"}, {"slide": "section", "title": s[:50]},
        {"slide": "figure", "figure": "T1"}, {"slide": "proposals", "items": [s[:150]]},
        {"slide": "closing", "text": s[:100]}]})
    table = deck.FigureInfo("T1", "t1", "見出し", True, s[:100], s[:200], columns=[s[:40], "b"], rows=[[s[:300], 1.5]])
    for site in ("", "https://example.org/e/", "javascript:alert(1)"):
        edition = deck.Edition("e1", s[:80], "2026", s[:60], site)
        for slide in deck.slides(form, edition, {"T1": table}, {}):
            check(parse(slide_html(slide, (13.333, 7.5), ""), document=True), [t.text for t in slide.texts])
    seen("presentation/templates/deck_slide.html.j2")


def test_every_template_was_rendered_with_the_hostile_corpus():
    """A template without a hostile rendering above fails here (runs last in this module)."""
    assert sorted(rendered) == TEMPLATES
