"""Escaping by construction: every hostile string lands as text, wherever it lands."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from regenpolicy.presentation import escape
from regenpolicy.presentation.figures import html_table
from regenpolicy.presentation.templating import macros
from tests.hostile import CORPUS, FORMULA_BODIES, FORMULA_STARTERS, INVISIBLE_PREFIXES

MACROS = macros("_macros.html.j2")


@pytest.mark.parametrize("s", CORPUS)
def test_attributes_cannot_open_an_element_or_attribute(s):
    out = escape.attribute(s)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert html.unescape(out) == s  # and the reader sees it literally


@pytest.mark.parametrize("s", CORPUS)
def test_templates_escape_every_value_as_text_and_attribute(s):
    out = str(macros("_macros.html.j2").link("https://x.jp/", s, classes=s))
    inner = out.split(">", 1)[1].rsplit("<", 1)[0]
    assert "<" not in inner and ">" not in inner and html.unescape(inner) == s
    assert out.count('"') == 6  # class, href and rel: nothing of s closes an attribute


@pytest.mark.parametrize("s", CORPUS)
def test_lines_keep_only_line_breaks(s):
    out = str(MACROS.lines(s))
    assert re.sub(r"<br>", "", out).count("<") == 0
    assert html.unescape(out.replace("<br>", "\n")) == "\n".join(s.splitlines())


@pytest.mark.parametrize("s", CORPUS)
def test_script_json_cannot_close_the_script(s):
    out = escape.script_json({"label": s})
    assert "</" not in out and "<!--" not in out and "<" not in out
    assert json.loads(out) == {"label": s}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "vbscript:x",
                                 " https://x.jp", "//evil.example/x"])
def test_links_are_made_only_for_web_addresses(url):
    assert "<a" not in str(MACROS.link(url)) and not escape.web_url(url)


def test_a_web_address_becomes_a_link_with_its_text_escaped():
    assert str(MACROS.link('https://x.jp/a?b=1&c="2"')) == (
        '<a href="https://x.jp/a?b=1&amp;c=&quot;2&quot;" rel="noopener noreferrer">'
        "https://x.jp/a?b=1&amp;c=&quot;2&quot;</a>")


@pytest.mark.parametrize("cell, shown", [("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("@SUM(1)", "'@SUM(1)"),
                                         ("-5", "-5"), ("-", "-"), ("abc", "abc"), (3, 3), (" =1+1", "' =1+1"),
                                         ("|cmd", "'|cmd"), ("＝HYPERLINK(\"x\")", "'＝HYPERLINK(\"x\")"),
                                         ("\u0085=1", "'\u0085=1"), ("\u202e=1", "'\u202e=1"),
                                         ("\ufeff=1", "'\ufeff=1"), ("\u200b=1", "'\u200b=1"),
                                         ("\t=HYPERLINK(1)", "'\t=HYPERLINK(1)"), ("\r\n=1", "'\r\n=1")])
def test_csv_cells_cannot_become_formulas(cell, shown):
    assert escape.csv_cell(cell) == shown


def test_every_formula_starter_after_every_invisible_prefix_is_neutralised_in_a_download():
    for cell in (p + s + b for p in INVISIBLE_PREFIXES for s in FORMULA_STARTERS for b in FORMULA_BODIES):
        assert escape.csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("url", ["https://example.com/\u202egnp.exe", "http://www.mhlw.go.jp@127.0.0.1:9/x",
                                 "https://a:b@example.com/", "https://exa\u200bmple.com/"])
def test_misleading_addresses_stay_text(url):
    assert "<a" not in str(MACROS.link(url)) and not escape.web_url(url)
    assert "<a" not in str(MACROS.link(url, "出所"))


def test_tables_escape_every_header_and_cell():
    frame = pd.DataFrame({"<b>h</b>": CORPUS[:5], "note": CORPUS[5:10], "url": CORPUS[10:15]})
    out = html_table(frame, "<caption>", multiline=["note"], links=["url"])
    body = re.sub(r"</?(div|table|caption|thead|tbody|tr|th|td)( [^>]*)?>|<br>", "", out)
    assert "<" not in body


@pytest.mark.parametrize("s", CORPUS)
def test_bibtex_fields_keep_their_braces_balanced(s):
    out = escape.bibtex(s)
    assert "\n" not in out
    assert out.replace("\\{", "").count("{") == out.replace("\\}", "").count("}")


def test_bibtex_escapes_each_special_character_once():
    assert escape.bibtex("a\\b {c} 100% ~^\nd") == "a\\textbackslash{}b \\{c\\} 100\\% \\textasciitilde{}\\textasciicircum{} d"
