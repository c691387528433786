"""Sphinx extension for the report's site.

- Equations are rendered to MathML at build time (latex2mathml), which browsers draw natively:
  no MathJax, so nothing is fetched from a CDN, and the printed PDF keeps them as text.
- Jupyter Book 1 always loads sphinx-thebe, which injects a script naming a CDN (unpkg) and,
  on notebook pages, declares its globals twice (a console error). The report runs no live
  code, so its scripts are dropped from every page.
- The edition's title (from a profile) is escaped in every page's context: the theme prints it
  into the navbar without escaping.
- The generated pages (what changed since the previous edition, the reproducibility stamp) are
  written by the build as JSON and turned into docutils nodes here (``regen-changes``,
  ``regen-stamp``): every value is text to docutils, escaped by its HTML writer, so no value from
  data or a profile can form markup, a role, a directive or a substitution.
- Prose references to figures and tables (「図 K1」「表 T2」, as written) become links to the figure's
  anchor on its page (``fig-<id>``, ``tbl-<id>``), found in the built pages themselves.
- Every page gets the edition's description and Open Graph tags, a footer with the edition, its
  date, the version, links to the PDF and the data, and a citation; each figure's citation (text and
  BibTeX) and the address of its data in print are filled in from the edition (``regen_edition``).
- The chart scripts (vega, ~900 KB) load only on pages that have a chart.
- The theme's English controls are shown in Japanese.
- Search splits Japanese with MeCab and also indexes compound words (市場拡大再算定, 費用対効果)
  and codes (K921), as readers type them.
"""

from __future__ import annotations

import functools
import json
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from markupsafe import Markup
from sphinx.search.ja import BaseSplitter
from sphinx.util.docutils import SphinxDirective

from regenpolicy.presentation.escape import bibtex
from regenpolicy.presentation.templating import macros

SITE = macros("_site.html.j2", "regenpolicy.builder")  # templates/_site.html.j2: what every page gets


# --- search --------------------------------------------------------------------------------------
MECAB_UNKNOWN, MECAB_BOS, MECAB_EOS = 1, 2, 3  # a node's ``stat`` (mecab.h: MECAB_UNK_NODE, MECAB_BOS_NODE…)


class CompoundSplitter(BaseSplitter):
    """MeCab's words (with IPADIC, the dictionary Sphinx's Japanese splitters and Janome use), plus every run
    of consecutive nouns joined (市場拡大再算定, 費用対効果, K921, キムリア), lower-cased as the search box
    lower-cases what a reader types.

    The search box does not split a query, and it tries partial matches only for a query that is not
    itself a word of the index: so a compound must be a word of the index, and so must every shorter
    run inside it (費用対効果 inside 費用対効果評価). The single words stay too (算定 finds 再算定).

    MeCab is C: it splits the ~1,200 texts of every edition's pages in 0.3 CPU-s, where Janome (pure
    Python, which this replaced) took 3.4 s, in a forked helper whose end Sphinx's last step waited for.
    The text is data, so MeCab is given it in pieces of at most ``PIECE`` characters, cut where a space is
    (MeCab's own word boundary), without NUL (which would end its C string) or lone surrogates: given whole,
    200,000 letters without a space took MeCab 18 s to give up on (fugashi, another binding of it, crashed);
    in pieces, 1 s. A piece of any one character repeated takes it at most ~70 ms."""

    MAX_RUN = 8
    PIECE = 4096
    MEMO = 1 << 16  # texts remembered in this process: Sphinx splits each text up to three times
    MEMO_CHARS = 1 << 24  # ... and their characters (a warm Sphinx keeps them from one build to the next)
    _memo: ClassVar[dict[str, tuple[str, ...]]] = {}
    _memo_chars: ClassVar[list[int]] = [0]

    def __init__(self, options: dict[str, str]) -> None:
        import ipadic
        import MeCab

        super().__init__(options)
        self.tagger = MeCab.Tagger(ipadic.MECAB_ARGS)

    def split(self, input: str) -> list[str]:
        """The words of ``input``; a text split before in this process is looked up, not split again."""
        words = self._memo.get(input)
        if words is None:
            if len(self._memo) >= self.MEMO or self._memo_chars[0] + len(input) > self.MEMO_CHARS:
                self._memo.clear()
                self._memo_chars[0] = 0
            words = self._memo[input] = tuple(self._split(input))
            self._memo_chars[0] += len(input) + sum(map(len, words))
        return list(words)

    @classmethod
    def pieces(cls, text: str) -> list[str]:
        """``text`` as MeCab is given it: valid UTF-8 without NUL, in pieces of at most ``PIECE`` characters
        cut after a space where there is one."""
        text = text.replace("\0", " ").encode("utf-8", "replace").decode("utf-8")
        out = []
        while len(text) > cls.PIECE:
            cut = text.rfind(" ", 0, cls.PIECE) + 1 or cls.PIECE
            out.append(text[:cut])
            text = text[cut:]
        return [*out, text]

    def tokens(self, input: str) -> list[tuple[str, bool, bool]]:
        """MeCab's words of ``input`` as (surface, a noun that joins a run, a space or a new piece before it)."""
        out: list[tuple[list[str], bool, bool, str]] = []  # (its parts, noun, spaced, "a"/"d": ASCII letters/digits)
        for piece in self.pieces(input):
            node = self.tagger.parseToNode(piece)
            apart = True
            while node is not None:
                surface = node.surface.strip()
                if node.stat in (MECAB_BOS, MECAB_EOS) or not surface:
                    node = node.next
                    continue
                pos = node.feature.split(",")
                # a sign MeCab does not know (/ . - ＃): a noun, as Janome read it, so that file names and
                # codes stay one word too (metadata.yaml, CAR-T, SHA-256)
                if node.stat == MECAB_UNKNOWN and pos[:2] == ["記号", "一般"]:
                    pos = ["名詞", "サ変接続"]
                kind = "a" if surface.isascii() and surface.isalpha() else "d" if surface.isascii() and surface.isdigit() else ""
                noun = (pos[0] in ("名詞", "接頭詞") and pos[1] not in ("非自立", "代名詞")) or bool(
                    re.fullmatch(r"[A-Za-z0-9]+", surface))
                spaced = apart or node.rlength > node.length  # (MeCab drops the spaces between words)
                last = out[-1] if out and not spaced else None
                # one word as Janome read it: a run of ASCII letters or of digits, which MeCab cuts in pieces
                # past 24 characters (a hash, xxxx…), and a word newer than the dictionary (令和)
                if last is not None and ((kind and kind == last[3])
                                         or (len(last[0]) == 1 and last[0][0] + surface in NEWER_WORDS)):
                    last[0].append(surface)
                    out[-1] = (last[0], True, last[2], kind)
                else:
                    out.append(([surface], noun, spaced, kind))
                apart = False
                node = node.next
        return [("".join(parts), noun, spaced) for parts, noun, spaced, _ in out]

    def _split(self, input: str) -> list[str]:
        words: list[str] = []
        run: list[str] = []

        def flush() -> None:
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + self.MAX_RUN) + 1):
                    words.append("".join(run[i:j]))
            run.clear()

        for surface, noun, spaced in self.tokens(input):
            if spaced:
                flush()
            words.append(surface)
            if noun:
                run.append(surface)
            else:
                flush()
        flush()
        return [w.lower() for w in words if indexable(w)]


# Words newer than IPADIC (2007), which MeCab splits in two: kept one word, a noun (令和8年度, not 和8年度).
NEWER_WORDS = frozenset({"令和"})


# Not a word a reader types: digits and signs only (ticks and table cells, 100,000; the search box ignores a
# number anyway), or with the marks of an id, an address or TeX (mhlw_fee_r4, .jp/stf, p_{\text).
NOT_A_WORD = re.compile(r"^[\d\W]+$|^[^\w（「『]|[_/\\{}=&?@;<>|^$%#~]")


def indexable(word: str) -> bool:
    return bool(word) and not NOT_A_WORD.search(word)


class VisibleText(HTMLParser):
    """The words of raw HTML (a figure's output) as the index should see them: each element's text apart
    (Sphinx strips the tags and runs the cells of a table together: 「0018,00020,00022」), without what is
    not read as text on the page: drawings (the print SVG's ticks), scripts, the download panel and the
    citation (BibTeX keys), the address of the data in print."""

    SKIP_TAGS = frozenset({"script", "style", "svg", "template"})
    SKIP_CLASSES = frozenset({"regen-print", "regen-panel", "regen-cite", "regen-print-data", "regen-noindex"})
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: str | None = None  # the tag that started the skipped element
        self.depth = 0  # elements of that tag open inside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.skipping is not None:
            self.depth += tag == self.skipping
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in self.SKIP_TAGS or classes & self.SKIP_CLASSES:
            self.skipping, self.depth = tag, 1
        self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping is not None and tag == self.skipping:
            self.depth -= 1
            if self.depth == 0:
                self.skipping = None
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skipping is None:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        return " ".join("".join(parser.parts).split())


TEX_TEXT = re.compile(r"\\(?:text|mathrm|textrm)\{([^{}]*)\}")


def searchable(doctree: nodes.document) -> nodes.document:
    """A copy of a page's doctree as the search index should read it: raw HTML as its visible words
    (``VisibleText``), equations as their words (not their TeX source)."""
    copy = doctree.deepcopy()
    for node in list(copy.findall(nodes.math)) + list(copy.findall(nodes.math_block)):
        words = " ".join(TEX_TEXT.findall(node.astext()))  # the words of an equation (\text{費用対効果})
        node.replace_self(nodes.inline(words, words))
    for raw in list(copy.findall(nodes.raw)):
        if "html" in raw.get("format", "").split():
            text = VisibleText.of(raw.astext())
            raw.replace_self(nodes.inline(text, text))
    return copy


def term_weights(doctree: nodes.document, title: str, split: Any) -> dict[str, int]:
    """How strongly a page is about each of its words: in its title, in a heading, and how often in its text
    (one mention 6, then by the logarithm of the count: 17 mentions 25). Only the weights that differ from one
    plain mention are kept (the others the search page assumes)."""
    import math
    from collections import Counter

    headings: set[str] = set()
    for node in doctree.findall(nodes.title):
        headings.update(split(node.astext()))
    counts: Counter[str] = Counter()
    for text in doctree.findall(nodes.Text):
        if not any(isinstance(a, nodes.title) for a in _ancestors(text.parent)):
            counts.update(split(str(text)))
    in_title = set(split(title))
    out = {}
    for word in set(counts) | headings:
        weight = 12 * (word in in_title) + 6 * (word in headings) + round(6 * math.log2(1 + counts[word]))
        if weight != PLAIN_MENTION:
            out[word] = weight
    return out


PLAIN_MENTION = 6  # the weight of a word said once in a page's text (regen-search.js assumes it)
WEIGHTS_FILE = "regen-search-weights.json"  # in Sphinx's doctree folder: every page's weights, between builds


def _wrap_index_page(app: Any) -> None:
    """The HTML builder's indexing of a page: the searchable copy goes to Sphinx's index, the page's weights
    to ``regen_search_weights`` (written beside the search scripts when the build finishes)."""
    builder = app.builder
    if getattr(builder, "_regen_indexing", False) or not hasattr(builder, "index_page"):
        return
    path = Path(app.doctreedir) / WEIGHTS_FILE
    try:
        weights = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        weights = {}
    app.env.__dict__["regen_search_weights"] = weights
    index_page = builder.index_page

    def index(pagename: str, doctree: nodes.document, title: str) -> None:
        copy = searchable(doctree)
        index_page(pagename, copy, title)
        if getattr(builder, "indexer", None) is not None:
            weights[pagename] = term_weights(copy, title, builder.indexer.lang.split)

    def dump() -> None:
        # The words of pages since changed or removed stay in Sphinx's index (pruning empties their lists but
        # keeps the words), so an index updated by a later build differed from one built afresh: dropped.
        indexer = getattr(builder, "indexer", None)
        if indexer is not None:
            for mapping in (indexer._mapping, indexer._title_mapping):
                for word in [w for w, docs in mapping.items() if not docs]:
                    del mapping[word]
        type(builder).dump_search_index(builder)  # (the class's: the preview's replaces it to dump nothing)

    builder.index_page = index
    builder.dump_search_index = dump
    builder._regen_indexing = True


def _write_search_weights(app: Any, exception: Exception | None) -> None:
    """Every page's weights, for the search page (appended to ``language_data.js``, which only it loads):
    ``{"docs": [docname…], "w": {word: [doc, weight, doc, weight…]}}``."""
    weights = app.env.__dict__.get("regen_search_weights")
    if exception is not None or app.builder.name != "html" or weights is None:
        return
    for gone in [d for d in weights if d not in app.env.all_docs]:
        del weights[gone]
    (Path(app.doctreedir) / WEIGHTS_FILE).write_text(json.dumps(weights, ensure_ascii=False, sort_keys=True),
                                                      encoding="utf-8")
    docs = sorted(weights)
    table: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        for word, weight in sorted(weights[doc].items()):
            table.setdefault(word, []).extend((i, weight))
    data = json.dumps({"docs": docs, "w": table}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path = Path(app.outdir) / "_static" / "language_data.js"
    if path.is_file():
        text = path.read_text(encoding="utf-8").split(WEIGHTS_MARK, 1)[0]
        path.write_text(f"{text}{WEIGHTS_MARK}\nvar regenSearchWeights = {data};\n", encoding="utf-8")


WEIGHTS_MARK = "/* regen-search weights (sphinx_ext._write_search_weights) */"


# --- references to figures and tables -----------------------------------------------------------------
ANCHOR = re.compile(r'id="((?:fig|tbl)-[a-z0-9][a-z0-9-]*)"')
REFERENCE = re.compile(r"(図|表)\s?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)(?![A-Za-z0-9])")


def _collect_anchors(app: Any, doctree: nodes.document) -> None:
    anchors = app.env.__dict__.setdefault("regen_anchors", {})
    for raw in doctree.findall(nodes.raw):
        for anchor in ANCHOR.findall(raw.astext()):
            anchors.setdefault(anchor, app.env.docname)


def _purge_anchors(app: Any, env: Any, docname: str) -> None:
    anchors = env.__dict__.setdefault("regen_anchors", {})
    for key in [k for k, v in anchors.items() if v == docname]:
        del anchors[key]


def _merge_anchors(app: Any, env: Any, docnames: Any, other: Any) -> None:
    env.__dict__.setdefault("regen_anchors", {}).update(getattr(other, "regen_anchors", {}))


ABSENT = "（この版には収録していない）"
SKIP = (nodes.reference, nodes.literal, nodes.literal_block, nodes.raw, nodes.title, nodes.FixedTextElement)


def _link_references(app: Any, doctree: nodes.document, docname: str) -> None:
    """「図 K1」 in the prose → a link to the figure, wherever it is."""
    anchors = getattr(app.env, "regen_anchors", {})
    report_figures = set(_edition(app).get("figure_ids", ()))
    for ref in list(doctree.findall(nodes.reference)):
        figure = ref.get("regen_figure")
        if figure is None:
            continue
        anchor = next((a for a in (f"fig-{figure.lower()}", f"tbl-{figure.lower()}") if a in anchors), None)
        if anchor is None:  # not in this edition's pages: the words stay, unlinked
            ref.replace_self(nodes.Text(ref.astext()))
            continue
        target = "" if anchors[anchor] == docname else app.builder.get_relative_uri(docname, anchors[anchor])
        ref["refuri"] = f"{target}#{anchor}"
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or any(isinstance(a, SKIP) or "regen-nolink" in a.get("classes", ())
                                 for a in _ancestors(parent)):
            continue
        value = str(text)
        if not REFERENCE.search(value):
            continue
        pieces: list[nodes.Node] = []
        last = 0
        for match in REFERENCE.finditer(value):
            anchor = ("fig-" if match.group(1) == "図" else "tbl-") + match.group(2).lower()
            if anchor not in anchors:
                ranged = value[match.end():match.end() + 1] == "〜"  # 「図 M1〜T5」 names a range, not a figure
                if match.group(2) in report_figures and not ranged:  # a figure this edition leaves out
                    pieces += [nodes.Text(value[last:match.end()]),
                               nodes.inline("", ABSENT, classes=["regen-xref-absent"])]
                    last = match.end()
                continue
            target = app.builder.get_relative_uri(docname, anchors[anchor])
            target = "" if anchors[anchor] == docname else target
            pieces.append(nodes.Text(value[last:match.start()]))
            ref = nodes.reference("", "", internal=True, refuri=f"{target}#{anchor}", classes=["regen-xref"])
            ref += nodes.Text(match.group(0))
            pieces.append(ref)
            last = match.end()
        if not pieces:
            continue
        pieces.append(nodes.Text(value[last:]))
        parent.replace(text, pieces)


def _ancestors(node: Any) -> Any:
    while node is not None:
        yield node
        node = node.parent


def _drop_thebe(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    kept = []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body", "") if hasattr(js, "attributes") else ""
        if "thebe" in str(js).lower() or "THEBE_JS_URL" in body:
            continue
        kept.append(js)
    context["script_files"] = kept  # a new list: the page's context shares the builder's own (see _page_context)


# Values of the page context that come from the profile (the edition's title) or the
# configuration, and that the theme's templates print without escaping ({{ docstitle }} in the
# navbar). As Markup, the templates that do escape them (|e) leave them as they are.
UNESCAPED_BY_THEME = ("docstitle", "project", "author", "copyright", "shorttitle")


def _escape_context(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    from markupsafe import Markup, escape

    for key in UNESCAPED_BY_THEME:
        value = context.get(key)
        if isinstance(value, str) and not isinstance(value, Markup):
            context[key] = escape(value)


# --- the edition on every page: description, Open Graph, footer, citations ---------------------------
# regen_edition (set by the build for each edition): id, title, date, author, description, version,
# site_url ("" or the edition's published address ending in /), data_zip (file name).
CHART_SCRIPTS = ("vega-bundle.js", "regen-charts.js")
UI_JA = {  # the themes' English controls
    'title="Toggle primary sidebar"': 'title="目次の表示を切り替え"',
    'title="Toggle secondary sidebar"': 'title="このページの目次の表示を切り替え"',
    'aria-label="Main"': 'aria-label="目次"',
    'aria-label="Page"': 'aria-label="このページの操作"',
    '"Color mode"': '"表示モード（ライト・ダーク）"',
    'title="System Settings"': 'title="システムの設定に従う"',
    'title="Link to this heading"': 'title="この見出しへのリンク"',
    '"Search..."': '"検索…"',
    'aria-label="Search..."': 'aria-label="検索"',
    '<summary><span class="toctree-toggle" role="presentation">':
        '<summary aria-label="節の一覧を開閉"><span class="toctree-toggle" role="presentation">',
}


def _edition(app: Any) -> dict[str, Any]:
    return dict(app.config.regen_edition or {})


def _year(date: str) -> str:
    return date[:4] if date else ""


def _japanese_date(date: str) -> str:
    """``2026-11-27`` → 2026年11月27日, ``2026-11`` → 2026年11月, ``2026`` → 2026年 (as given otherwise)."""
    parts = date.split("-")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        return date
    return "".join(f"{int(p) if i else p}{unit}" for i, (p, unit) in enumerate(zip(parts, "年月日"[:len(parts)], strict=True)))


def citation(edition: dict[str, Any], what: str = "", url: str = "") -> tuple[str, str]:
    """A reference to the report (or one of its figures) as a journal prints one — author (the
    submitting organisation), year, title, the part cited, the date of issue and the address when
    the edition is published — as text and as BibTeX (plain strings). The edition's id and the
    generator's version are the stamp's business, not the reader's."""
    author = edition.get("author") or "—"
    date, year, title = edition.get("date", ""), _year(edition.get("date", "")), edition.get("title", "")
    issued = _japanese_date(date) if date and date != year else ""
    text = (f"{author}（{year}）『{title}』" + (what or "") + (f"、{issued}発行" if issued else "") + "。"
            + (f"{url}" if url else ""))
    key = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9-]", "-", f"regenpolicy-{edition.get('id', '')}-{what.split('「')[0]}"))
    fields = [("author", "{" + bibtex(author) + "}"), ("title", bibtex(title + (f"：{what}" if what else ""))),
              ("institution", bibtex(author)), ("year", bibtex(year))]
    if len(date) >= 7 and date[5:7].isdigit():
        fields.append(("month", date[5:7].lstrip("0")))
    if url:
        fields.append(("url", bibtex(url)))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return text, f"@techreport{{{key.strip('-')},\n{body},\n  language = {{japanese}}\n}}"


def _cite_block(edition: dict[str, Any], what: str, url: str, summary: str) -> Markup:
    """``<div class="regen-cite">``: the citation as text and as BibTeX, under ``summary``."""
    return Markup(SITE.cite(summary, *citation(edition, what, url)))


CITE = re.compile(r'<div class="regen-cite" data-kind="([^"]*)" data-id="([^"]*)" data-anchor="([^"]*)" '
                  r'data-title="([^"]*)"></div>')
PRINT_DATA = re.compile(r'<p class="regen-print-data" data-file="([^"]*)"></p>')


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def _fill_body(edition: dict[str, Any], pagename: str, body: str) -> str:
    """Each figure's citation and the address of its data in print, from the edition."""
    site = edition.get("site_url", "")

    def cite(m: re.Match[str]) -> str:
        kind, fig, anchor, title = (_unescape(g) for g in m.groups())
        url = f"{site}{pagename}.html#{anchor}" if site else ""
        return str(_cite_block(edition, f"{kind} {fig}「{title}」", url, f"この{kind}を引用"))

    def data(m: re.Match[str]) -> str:
        fig = _unescape(m.group(1))
        url = f"{site}_static/figures/{fig}.csv" if site else ""
        return str(SITE.print_data(fig, url, edition.get("data_zip", "")))

    return PRINT_DATA.sub(data, CITE.sub(cite, body))


def _page_context(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    edition = _edition(app)
    body = context.get("body", "")
    if isinstance(body, str) and edition:
        context["body"] = _fill_body(edition, pagename, body)
    if "regen-chart" not in str(body):
        # a new list, never the one in the context changed in place: it is the builder's own list of
        # scripts, which Sphinx restores only before the next page; the preview's warm application
        # (book.WarmSphinx) starts its next build from it, and every page it rewrote lost its charts
        scripts = context.get("script_files") or []
        context["script_files"] = [js for js in scripts if str(getattr(js, "filename", js) or "").split("?")[0]
                                   .rsplit("/", 1)[-1] not in CHART_SCRIPTS]
    if edition:
        context["metatags"] = str(context.get("metatags", "")) + "\n" + str(_meta(edition, pagename, context))
        context["theme_extra_footer"] = _footer(edition, context.get("pathto"))


def _meta(edition: dict[str, Any], pagename: str, context: dict[str, Any]) -> Markup:
    """The page's description and Open Graph tags."""
    title = context.get("title") or edition.get("title", "")
    site = edition.get("site_url", "")
    return Markup(SITE.meta(edition.get("description") or edition.get("title", ""), _plain(title),
                            edition.get("title", ""), edition.get("author", ""),
                            site + pagename + ".html" if site else ""))


def _footer(edition: dict[str, Any], pathto: Any) -> Markup:
    """The edition, its date and version, links to its PDF and data (when the page can link), a citation."""
    pdf = pathto("report.pdf", 1) if pathto is not None and edition.get("id") else None
    data_zip = pathto(edition["data_zip"], 1) if pathto is not None and edition.get("data_zip") else None
    deck = (pathto(f"{edition['id']}-deck.pptx", 1), pathto(f"{edition['id']}-deck.pdf", 1)) \
        if pathto is not None and edition.get("id") else None
    shown = {key: edition.get(key, "") for key in ("title", "date", "id", "version")}
    cite = _cite_block(edition, "", edition.get("site_url", ""), "この報告書を引用")
    return Markup(SITE.footer(shown, pdf, data_zip, cite, deck))


def _plain(value: Any) -> str:
    return re.sub(r"<[^>]+>", "", str(value))


def _translate_ui(app: Any) -> None:
    """Wrap the HTML builder's template rendering: the themes' English controls in Japanese."""
    templates = getattr(app.builder, "templates", None)
    if templates is None or getattr(templates, "_regen_wrapped", False):
        return
    render = templates.render

    def render_ja(template: str, context: dict[str, Any]) -> str:
        out = str(render(template, context))
        for english, japanese in UI_JA.items():
            out = out.replace(english, japanese)
        return light_page(out, str(context.get("pagename", "")))

    templates.render = render_ja
    templates._regen_wrapped = True


# --- what a page loads before it paints ----------------------------------------------------------------
SEARCH_SCRIPTS = re.compile(r'<script src="[^"]*_static/searchtools\.js[^"]*"></script>\s*'
                            r'<script src="[^"]*_static/language_data\.js[^"]*"></script>\s*'
                            r'<script src="[^"]*searchindex\.js[^"]*"></script>')
FONTAWESOME = re.compile(r'<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
# an icon the theme writes as an empty <i> or <span> with Font Awesome's classes (the menu buttons' ☰ is a
# <span class="fa-solid fa-bars">: drawn by the icon font until that was left out)
ICON = re.compile(r'<(i|span) class="([^"]*\bfa-solid\b[^"]*)"([^>]*)></\1>')
HEAD_SCRIPT = re.compile(r'<script src="([^"]*/(?:doctools|sphinx_highlight|clipboard\.min|copybutton|sphinx-book-theme|'
                         r'togglebutton|translations|design-tabs|regen-nav)\.js[^"]*)"></script>')
# Sphinx's scripts run their start-up at once when the page is no longer loading, as a deferred script
# finds it: sphinx_highlight.js writes its link "Hide Search Matches" (a search result's page) before
# translations.js, after it in the head, has given it the Japanese; so that one runs right after doctools.js
DOCTOOLS = re.compile(r'<script defer src="[^"]*_static/doctools\.js[^"]*"></script>')
TRANSLATIONS = re.compile(r'<script defer src="[^"]*_static/translations\.js[^"]*"></script>')
# the theme's head asks for its two deferred scripts early (preload); they run after the page is parsed
# anyway, and fetched early they share the phone's bandwidth with the stylesheet the first paint waits for
PRELOAD_SCRIPT = re.compile(r'<link rel="preload" as="script" href="[^"]*_static/scripts/(?:bootstrap|pydata-sphinx-theme)\.js[^"]*" />')
UNUSED_CSS = re.compile(r'<link rel="stylesheet" type="text/css" href="[^"]*_static/sphinx-thebe\.css[^"]*" />')
CHART_TAGS = re.compile(r'<script src="([^"]*vega-bundle\.js[^"]*)"></script>(\s*)<script src="([^"]*regen-charts\.js[^"]*)">')


@functools.cache
def _icons() -> dict[str, Any]:
    text = resources.files("regenpolicy.builder").joinpath("templates/fa-icons.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["icons"])


def _icon(m: re.Match[str]) -> str:
    """A Font Awesome ``<i>`` as the inline SVG its script would have made of it (same classes and attributes)."""
    classes, attrs = m.group(2), m.group(3)
    names = [c[3:] for c in classes.split() if c.startswith("fa-") and c[3:] in _icons()]
    if not names:
        raise ValueError(f"no icon for <i class=\"{classes}\">: add it to templates/fa-icons.json")
    icon = _icons()[names[0]]
    paths = "".join(f'<path fill="currentColor" d="{d}"></path>' for d in icon["paths"])
    return (f'<svg class="svg-inline--fa {" ".join(classes.split())}"{attrs} aria-hidden="true" focusable="false" '
            f'role="img" xmlns="http://www.w3.org/2000/svg" viewBox="{icon["viewBox"]}">{paths}</svg>')


def _dropped(tag: re.Pattern[str], page: str) -> str:
    """``page`` without the matches of ``tag`` and the white space before each: what ``\\s*`` before the
    pattern would remove, found from the tag's first letter (a pattern that starts with ``\\s*`` is tried
    at every character of the page: 40 ms a pattern for an edition's pages, against 2 ms)."""
    out: list[str] = []
    last = 0
    for match in tag.finditer(page):
        start = match.start()
        while start > last and page[start - 1].isspace():
            start -= 1
        out.append(page[last:start])
        last = match.end()
    out.append(page[last:])
    return "".join(out)


def _translations_first(head: str) -> str:
    """``head`` with translations.js right after doctools.js (which it needs), before the scripts whose
    start-up writes words (``TRANSLATIONS``)."""
    doctools, translations = DOCTOOLS.search(head), TRANSLATIONS.search(head)
    if doctools is None or translations is None or translations.start() < doctools.end():
        return head
    head = _dropped(TRANSLATIONS, head)
    return head[:doctools.end()] + translations.group(0) + head[doctools.end():]


def light_page(page: str, pagename: str) -> str:
    """A page that paints before its scripts have loaded:
    - the search index (1.5 MB) and Sphinx's search scripts only on the search page, which searches
      (the search box of every other page sends the words to it);
    - the theme's icons drawn as inline SVG (of the few used, ``templates/fa-icons.json``) instead of by
      fontawesome.js (1.5 MB, every icon there is);
    - the chart script deferred, and the chart library (vega-bundle.js) loaded by it when the first chart
      nears the screen (``data-vega``);
    - the themes' and extensions' scripts deferred (they run in the same order, before the page's
      DOMContentLoaded, except translations.js, moved to run right after doctools.js: ``TRANSLATIONS``;
      documentation_options.js, which the page's inline scripts use, stays);
    - no stylesheet of the notebook runner (thebe), which the report never starts;
    - no early fetch (preload) of the theme's deferred scripts before the stylesheet."""
    if pagename != "search":
        page = _dropped(SEARCH_SCRIPTS, page)
        head, sep, rest = page.partition("</head>")
        page = _translations_first(HEAD_SCRIPT.sub(r'<script defer src="\1"></script>', head)) + sep + rest
    page = _dropped(PRELOAD_SCRIPT, _dropped(UNUSED_CSS, page))
    page = ICON.sub(_icon, _dropped(FONTAWESOME, page))
    return CHART_TAGS.sub(lambda m: f'<script defer data-vega="{m.group(1)}" src="{m.group(3)}">', page)


ROOT_PAGE = ('<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8">'
             '<meta name="viewport" content="width=device-width, initial-scale=1">'
             '<title>{title}</title><link rel="icon" href="_static/favicon.svg">'
             '<meta http-equiv="Refresh" content="0; url={url}"><link rel="canonical" href="{url}"></head>'
             '<body><p><a href="{url}">{title}</a></p></body></html>\n')


def _root_page(app: Any, exception: Exception | None) -> None:
    """The edition's root ``index.html``: a page (doctype, language, title, icon) that forwards to the
    front page, in place of the one-line redirect the table of contents' extension writes when none
    is there (it runs after this)."""
    if exception is not None or app.builder.name != "html":
        return
    import html

    out = Path(app.outdir) / "index.html"
    if app.config.master_doc == "index" or (out.exists() and "<!DOCTYPE" in out.read_text(encoding="utf-8")[:100]):
        return
    url = html.escape(app.config.master_doc + ".html")
    title = html.escape(str(_edition(app).get("title") or app.config.project))
    out.write_text(ROOT_PAGE.format(title=title, url=url), encoding="utf-8")


JS_MESSAGES_JA = {  # messages of Sphinx's search page that its Japanese catalogue leaves empty
    "Search finished, found ${resultCount} page(s) matching the search query.":
        "検索が完了しました。${resultCount} ページが見つかりました。",
}


def _fill_js_messages(app: Any, exception: Exception | None) -> None:
    path = Path(app.outdir) / "_static" / "translations.js"
    if exception is not None or not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    for english, japanese in JS_MESSAGES_JA.items():
        text = text.replace(json.dumps(english) + ': ""', json.dumps(english) + ": " + json.dumps(japanese, ensure_ascii=False))
    path.write_text(text, encoding="utf-8")


def _mathml(latex: str, display: str) -> Markup:
    """MathML as latex2mathml writes it (its text escaped by its XML writer)."""
    from latex2mathml.converter import convert

    return Markup(convert(latex, display=display))


def _visit_inline(self: Any, node: Any) -> None:
    self.body.append(str(SITE.math_inline(_mathml(node.astext(), "inline"))))
    raise nodes.SkipNode


def _visit_block(self: Any, node: Any) -> None:
    equations = [part for part in node.astext().split("\n\n") if part.strip()]
    mathml = Markup("".join(_mathml(eq, "block") for eq in equations))
    self.body.append(str(SITE.math_block(mathml, node.get("number"), node["ids"][0] if node.get("ids") else None)))
    raise nodes.SkipNode


# --- generated pages as nodes ----------------------------------------------------------------------
def para(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text)


def table(header: list[str], rows: list[list[str]], classes: tuple[str, ...] = ()) -> nodes.table:
    """A docutils table of plain text cells."""
    tbl = nodes.table(classes=["regen-table", "regen-generated", *classes])
    group = nodes.tgroup(cols=len(header))
    tbl += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for cell in header:
        row += nodes.entry("", para(cell))
    head += row
    body = nodes.tbody()
    group += body
    for values in rows:
        row = nodes.row()
        for cell in values:
            row += nodes.entry("", para(str(cell)))
        body += row
    return tbl


def section(directive: SphinxDirective, title: str, *children: nodes.Node) -> nodes.section:
    """A subsection (h2 under the page's title) holding ``children``."""
    node = nodes.section(ids=[f"regen-section-{directive.env.new_serialno('regen-section')}"])
    node += nodes.title(title, title)
    for child in children:
        node += child
    return node


class _JsonDirective(SphinxDirective):
    required_arguments = 1

    def data(self) -> Any:
        path = Path(self.env.doc2path(self.env.docname)).parent / self.arguments[0]
        self.env.note_dependency(str(path))
        return json.loads(path.read_text(encoding="utf-8"))


def figure_list(figures: list[dict[str, str]], *, linked: bool) -> nodes.bullet_list:
    """Figures by their headings (「図 K1 …」); ``linked``: each a link to the figure in this edition
    (``regen_figure``: its address is filled in once every page's anchors are known, ``_link_references``)."""
    items = nodes.bullet_list(classes=["regen-figure-list"])
    for f in figures:
        p = nodes.paragraph()
        if linked:
            ref = nodes.reference("", "", internal=True, refuri="#", classes=["regen-xref"], regen_figure=f["id"])
            ref += nodes.Text(f["heading"])
            p += ref
        else:  # a figure this edition leaves out: named, not linked, not marked absent again
            p += nodes.inline(f["heading"], f["heading"], classes=["regen-nolink"])
        items += nodes.list_item("", p)
    return items


class ChangesDirective(_JsonDirective):
    """「前の版からの変更点」 from the JSON the build wrote (``regenpolicy.builder.editions.changes``)."""

    def run(self) -> list[nodes.Node]:
        c = self.data()
        prev = c["previous"]
        out: list[nodes.Node] = [para(
            f"前の版「{prev['title']}」（{prev['date']}、{prev['id']}）と比べて、この版で変わった設定、パラメータ、"
            "収録図、データ、見出しの数値を示す。このページはビルドが生成する。")]
        rows = c["settings"] + c["parameters"]
        out.append(section(self, "設定とパラメータ",
                           table(["図・範囲", "項目", "前の版", "この版"], rows) if rows else para("変更なし。")))
        figures: list[nodes.Node] = []
        for key, words, linked in (("figures_added", "この版で加わった図表", True),
                                   ("figures_removed", "この版で除いた図表", False)):
            if c[key]:
                figures += [para(f"{words}（{len(c[key])}）："), figure_list(c[key], linked=linked)]
        if c["vintage"]:
            figures.append(table(["表", "前の版のデータ", "この版のデータ"], c["vintage"]))
        out.append(section(self, "収録図とデータの版", *(figures or [para("変更なし。")])))
        data: list[nodes.Node] = []
        for t in c["data"]:
            items = nodes.bullet_list()
            if t["table"] == "added":
                items += nodes.list_item("", para("この版で加わった表"))
            if t["table"] == "removed":
                items += nodes.list_item("", para("この版でなくなった表"))
            for text in t["items"]:
                items += nodes.list_item("", para(text))
            data.append(section(self, t["title"], para(f"変更 {len(t['items'])} 件（data/{t['file']}）"), items))
        out.append(section(self, "データ", *(data or [para("変更なし。")])))
        moved = c["headlines"]
        out.append(section(self, "見出しの数値",
                           table(["図", "本文の箇所（〔 〕が数値）", "前の版", "この版"], moved) if moved
                           else para("両方の版にある図で、動いた数値はない。")))
        return out


class ContentsDirective(_JsonDirective):
    """The figures and tables this edition contains (``regenpolicy.builder.book.edition_contents``): with
    ``:chapter:``, that chapter's as one line; without, one item per part (「市場と産業：図 M1、図 M2」).
    Built from the edition's own figures, so an introduction never names a figure the edition leaves out."""

    option_spec: ClassVar[dict[str, Any]] = {"chapter": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        parts = self.data()["parts"]
        chapter = self.options.get("chapter")

        def names(part: dict[str, Any]) -> str:
            return "、".join(f"{f['kind']} {f['id']}" for f in part["figures"])

        if chapter is not None:
            mine = [p for p in parts if p["chapter"] == chapter]
            return [para("この版のこの章の図表：" + "、".join(names(p) for p in mine))] if mine else []
        items = nodes.bullet_list()
        for p in parts:
            items += nodes.list_item("", para(f"{p['caption']}：{names(p)}"))
        return [items]


class FindingsDirective(_JsonDirective):
    """The edition's headline numbers (``regenpolicy.builder.editions.key_findings``): one item per figure, its
    name linked to the figure, its sentence with the glued numbers in bold; every part is text to docutils."""

    def run(self) -> list[nodes.Node]:
        findings = self.data()["findings"]
        if not findings:
            return []
        items = nodes.bullet_list(classes=["regen-findings"])
        for f in findings:
            p = nodes.paragraph()
            ref = nodes.reference("", "", internal=True, refuri="#", classes=["regen-xref"], regen_figure=f["id"])
            ref += nodes.Text(f["name"])
            p += [ref, nodes.Text("　")]
            for part in f["parts"]:
                p += nodes.strong(part["text"], part["text"], classes=["regen-number"]) if "glue" in part \
                    else nodes.Text(part["text"])
            items += nodes.list_item("", p)
        return [items]


class StampDirective(_JsonDirective):
    """「再現性スタンプ」 from the edition's stamp."""

    def run(self) -> list[nodes.Node]:
        s = self.data()
        packages = "、".join(f"{k} {v}" for k, v in s["packages"].items())
        items = nodes.bullet_list()
        for text in (f"版：{s['edition']}", f"コミット：{s['commit']}",
                     f"プロファイル：{s['profile']['file']}（SHA-256 {s['profile']['sha256'][:16]}）",
                     f"Python {s['python']}、{packages}"):
            items += nodes.list_item("", para(text))
        rows = [[f, h[:16]] for f, h in s["data"].items()]
        return [para("この版は次の入力から作られた。同じスタンプ（コミット、プロファイル、データのハッシュ、パッケージ）から"
                     "作り直すと、図のデータ（CSV）はバイト単位で同じになる。"), items,
                para("ハッシュは各ファイルの sha256sum と同じ値（全桁は edition.json と、データ一式の zip の stamp.json・"
                     "SHA256SUMS にある。zip は python -m regenpolicy verify で確かめられる）。"),
                table(["データファイル", "SHA-256（先頭16桁）"], rows)]


def _mystnb_css_first(app: Any) -> None:
    """myst-nb copies its stylesheet into the output when the build has finished, after the pages link it,
    and Sphinx adds a file's checksum to a page's link (``?v=…``) only when the file is already there: the
    first build into a new folder linked it without, later builds with, and a page not written again kept
    its first link, so the same inputs published different pages. Copied before any page is written, every
    build links it alike."""
    if app.builder.format == "html":
        from myst_nb.sphinx_ext import add_global_html_resources

        (Path(app.builder.outdir) / "_static").mkdir(parents=True, exist_ok=True)
        add_global_html_resources(app, None)


# The book theme's partials that start with markup of their own, so never render empty (read from
# sphinx-book-theme 1.3.0's components/: a <nav> and a <div>). pydata-sphinx-theme renders every partial of a
# page's sidebars and headers once more, to leave out those that render empty; for these two, the sidebar's
# navigation and the header's buttons, that second rendering took 1.24 of the check's 1.32 CPU-s in a build of
# the 37 pages (timed around the check). pydata skips its own two such partials (its
# ``templates_skip_empty_check``); these are skipped with them.
NEVER_EMPTY = ("sbt-sidebar-nav.html", "article-header-buttons.html")


def _skip_never_empty() -> None:
    """pydata-sphinx-theme's check for empty partials told that ``NEVER_EMPTY`` are not (its function is
    wrapped once per process; a theme without it is left as it is: the check runs, the pages are the same)."""
    from pydata_sphinx_theme import utils

    check = getattr(utils, "_update_and_remove_templates", None)
    if check is None or getattr(check, "_regen_wrapped", False):
        return

    @functools.wraps(check)
    def skipping(app: Any, context: dict[str, Any], templates: Any, section: str,
                 templates_skip_empty_check: list[str] | None = None) -> list[str]:
        return list(check(app, context, templates, section, [*(templates_skip_empty_check or ()), *NEVER_EMPTY]))

    skipping._regen_wrapped = True  # type: ignore[attr-defined]
    utils._update_and_remove_templates = skipping


def setup(app: Any) -> dict[str, Any]:
    _skip_never_empty()
    app.add_html_math_renderer("mathml", inline_renderers=(_visit_inline, None),
                               block_renderers=(_visit_block, None))
    app.config.html_math_renderer = "mathml"
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("html-page-context", _escape_context, priority=100)
    app.connect("html-page-context", _page_context, priority=800)
    app.connect("builder-inited", _translate_ui)
    app.connect("builder-inited", _mystnb_css_first)
    app.connect("builder-inited", _wrap_index_page)
    app.connect("build-finished", _write_search_weights)
    # the search page's scorer (Sphinx puts it in language_data.js, which only the search page loads)
    app.config.html_search_scorer = str(Path(__file__).with_name("templates") / "regen-search.js")
    app.connect("build-finished", _fill_js_messages)
    app.connect("build-finished", _root_page, priority=400)
    app.connect("doctree-read", _collect_anchors)
    app.connect("env-purge-doc", _purge_anchors)
    app.connect("env-merge-info", _merge_anchors)
    app.connect("doctree-resolved", _link_references)
    app.add_config_value("regen_edition", {}, "html")
    # the build's code: a new version re-reads every page (a directive's output is made when a page is read)
    app.add_config_value("regen_code", "", "env")
    app.add_directive("regen-changes", ChangesDirective)
    app.add_directive("regen-stamp", StampDirective)
    app.add_directive("regen-contents", ContentsDirective)
    app.add_directive("regen-findings", FindingsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
