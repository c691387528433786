"""The PDF: the built website's pages, joined in reading order under a cover, printed by Chromium.

The printer reads only the build's own files: every request the page makes (an image, a
stylesheet, a frame, a font) is allowed only when it is a ``file:`` URL inside the edition's
``html`` folder (or a ``data:`` URL); requests for any other file of the machine and for the
network are refused.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from markupsafe import Markup

from regenpolicy.presentation import escape
from regenpolicy.presentation.templating import macros

PRINT = macros("_print.html.j2", "regenpolicy.builder")  # templates/_print.html.j2: the print edition's markup

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*?)</article>', re.S)
HEAD = re.compile(r"<head>(.*?)</head>", re.S)
LINK_PREFIX = "https://regen-print.invalid/#"  # a link to another printed document, until the join resolves it
INTERNAL_LINK = re.compile(r'href="#([^"]*)"')
ASSET = re.compile(r'(?:href|src)="(?![a-z][a-z0-9+.-]*:|#|//)([^"]+)"')


class PdfError(Exception):
    """The PDF could not be printed; the message says why."""


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise PdfError("Debian's chromium is needed to print the PDF; install it with "
                       "'sudo apt-get install chromium' (make report does this when it can)")
    return path


GLOBAL_ID = re.compile(r"(?:fig|tbl|src)-")  # anchors unique in the whole edition (figures, tables, sources)
HEADING = re.compile(r"<(/?)h([1-6])\b")
LINK = re.compile(r'href="([^"]*)"')
ID_ATTR = re.compile(r'(?<![\w-])id="([^"]+)"')
FIG_ATTRS = re.compile(r'id="((?:fig|tbl)-[^"]+)" data-regen-kind="([^"]*)" data-regen-id="([^"]*)" '
                       r'data-regen-title="([^"]*)"')


CHART = re.compile(r'<figure class="regen-figure"(?P<attrs>[^>]*)>(?P<body>.*?)</figure>', re.S)
PRINT_SVG = re.compile(r'<div class="regen-print">\s*(<svg\b.*?</svg>)\s*</div>', re.S)
ALT_TEXT = re.compile(r'<p class="regen-alt"[^>]*>(.*?)</p>', re.S)
ATTR = re.compile(r'data-regen-(kind|id|title)="([^"]*)"')
TAGS = re.compile(r"<[^>]+>")
ON_SITE_ONLY = re.compile(r"[^。]*下の「データ（表）」[^。]*。")  # the site's pointer to its data table
DATA_TABLE = re.compile(r'<details class="regen-data"><summary>.*?</summary>(.*?)</details>', re.S)
PRINT_TABLE_ROWS = 40  # a chart's data table of more rows is not printed (pages of numbers): its file is named under it


def chart_alt(kind: str, fig_id: str, title: str, description: str) -> str:
    """A chart's alternative text in the PDF: its number and title, then the site's description of
    it (what it shows and the range of its values), without the site's pointer to the data table
    below the chart (the PDF gives the data's file under the chart instead)."""
    text = ON_SITE_ONLY.sub("", description).strip()
    lead = f"{kind} {fig_id}は、"
    text = text[len(lead):] if text.startswith(lead) else text
    return f"{kind} {fig_id}「{title}」。{text}".strip()


def _print_chart(m: re.Match[str]) -> str:
    """A chart for the printer, so that a screen reader gets one Figure with alternative text: its
    drawing becomes an image (``<img>`` of the print SVG, whose alt is the chart's description), its
    data table is printed after it (a Table; up to ``PRINT_TABLE_ROWS`` rows), and the ``<figure>`` around them a group (its title
    stays a heading, its sources a paragraph with links), not a second Figure without alternative text."""
    attrs, body = m.group("attrs"), m.group("body")
    found = dict(ATTR.findall(attrs))
    alt = ALT_TEXT.search(body)
    description = html.unescape(TAGS.sub("", alt.group(1))) if alt else ""
    text = chart_alt(html.unescape(found.get("kind", "図")), html.unescape(found.get("id", "")),
                     html.unescape(found.get("title", "")), description)

    def image(svg: re.Match[str]) -> str:
        data = base64.b64encode(svg.group(1).encode("utf-8")).decode("ascii")
        return (f'<div class="regen-print"><img class="regen-print-chart" alt="{escape.attribute(text)}" '
                f'src="data:image/svg+xml;base64,{data}"></div>')

    body = PRINT_SVG.sub(image, body, count=1)
    # the data table (on the site behind 「データ（表）」, a closed <details>) printed after the chart: a
    # screen reader of the PDF reads it as a Table with its header cells; a long one (Q1: 314 rows) is
    # left to its data file, which the PDF names under the chart
    body = DATA_TABLE.sub(lambda t: f'<div class="regen-print-table">{t.group(1)}</div>'
                          if t.group(1).count("<tr") - 1 <= PRINT_TABLE_ROWS else t.group(0), body, count=1)
    body = body.replace("<figcaption>", '<div class="regen-figcaption">', 1).replace("</figcaption>", "</div>", 1)
    return f'<div role="group" class="regen-figure"{attrs}>{body}</div>'


def print_charts(article: str) -> str:
    """Every chart of a built page as the printer gets it (:func:`_print_chart`)."""
    return CHART.sub(_print_chart, article)


@dataclass
class Entry:
    """A page of the print edition: its file, its level (0 front, 1 chapter, 2 section) and title;
    a part's first chapter carries the part's caption (``part``), and ``alone`` when it is the part's
    only chapter. A part whose only chapter has the part's title is that chapter (:attr:`is_part`)."""

    file: str
    level: int
    title: str = ""
    part: str = ""
    alone: bool = False
    in_part: bool = False  # its chapter is its part (is_part): its headings are one level higher

    @property
    def is_part(self) -> bool:
        """The chapter is its part: the part's only chapter, of the same title (one heading, one bookmark)."""
        return self.level == 1 and self.alone and self.part != "" and self.part == self.title

    @property
    def shift(self) -> int:
        """How many levels its headings move down in the book: front h1, chapter h2, section h3,
        one fewer inside a part that is its chapter."""
        return self.level - 1 if self.in_part else self.level

    @property
    def slug(self) -> str:
        return "page-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.file)


def _entries(toc: dict[str, Any]) -> list[Entry]:
    entries = [Entry(toc["root"], 0)]
    for part in toc.get("parts", []):
        first = True
        chapters = part.get("chapters", [])
        for chapter in chapters:
            entries.append(Entry(chapter["file"], 1, part=part.get("caption", "") if first else "",
                                 alone=len(chapters) == 1))
            first = False
            entries += [Entry(s["file"], 2) for s in chapter.get("sections", [])]
    return entries


def _page_link(href: str, page: str, pages: dict[str, Entry], site_url: str) -> str | None:
    """Where a link of a built page points in the print edition: an anchor of the same document, an
    address on the published site, or nothing (None: the link is dropped, its text kept)."""
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        return href
    if parts.scheme or parts.netloc:
        return None  # mailto:, javascript:, file:… never reach the PDF
    if not parts.path:
        frag = parts.fragment
        return f"#{frag}" if not frag or GLOBAL_ID.match(frag) else f"#{pages[page].slug}--{frag}"
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    stem = target[:-5] if target.endswith(".html") else None
    if stem in pages:
        frag = parts.fragment
        if not frag:
            return f"#{pages[stem].slug}"
        return f"#{frag}" if GLOBAL_ID.match(frag) else f"#{pages[stem].slug}--{frag}"
    if site_url and not target.startswith(".."):
        return site_url + target + (f"#{parts.fragment}" if parts.fragment else "")
    return None


def _rewrite(article: str, entry: Entry, pages: dict[str, Entry], site_url: str) -> str:
    """A built page's article as part of the print edition: unique ids, same-document links, heading
    levels by its place in the book (front h1, chapter h2, section h3), images from the site's root."""
    slug = entry.slug
    article = print_charts(article)
    article = ID_ATTR.sub(lambda m: m.group(0) if GLOBAL_ID.match(m.group(1)) else f'id="{slug}--{m.group(1)}"',
                          article)

    def link(m: re.Match[str]) -> str:
        target = _page_link(html.unescape(m.group(1)), entry.file, pages, site_url)
        return f'href="{escape.attribute(target)}"' if target is not None else 'data-regen-unlinked=""'

    article = LINK.sub(link, article)
    article = article.replace('src="../', 'src="')
    shift = entry.shift
    article = HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", article)
    first = f"<h{1 + shift}"
    return article.replace(first, f'{first} class="regen-page-title"', 1)


def _heading_text(article: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", article, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
    return html.unescape(text).replace("#", "").strip()


def contents(entries: list[Entry]) -> list[dict[str, Any]]:
    """The printed contents (目次) as a tree: the opening page, then parts → chapters → sections (a
    chapter before any part stands alone). Each item: its anchor (id), title, whether it is a part,
    and its items (None for a section)."""
    top: list[dict[str, Any]] = []
    part: dict[str, Any] | None = None
    chapter: dict[str, Any] | None = None
    for e in entries:
        item = {"id": e.slug, "title": e.title, "part": e.is_part, "kids": [] if e.level == 1 else None}
        if e.level == 1:
            chapter = None
            if e.is_part:  # the part is this chapter: one line
                part = None
            elif e.part:
                part = {"id": e.slug + "--part", "title": e.part, "part": True, "kids": []}
                top.append(part)
        where = chapter if chapter is not None else part
        (where["kids"] if where is not None else top).append(item)
        if e.level == 1:
            chapter = item
    return top


def _figure_list(body: str) -> list[tuple[str, str]]:
    """The list of figures and tables (図表一覧): each one's anchor and 「図 M1　title」."""
    return [(anchor, f"{html.unescape(kind)} {html.unescape(fig_id)}　{html.unescape(title)}")
            for anchor, kind, fig_id, title in FIG_ATTRS.findall(body)]


@dataclass
class PrintDocument:
    """One document Chromium prints: the front matter, the opening page, or one part of the book."""

    name: str
    body: str
    ids: set[str]


def _front(entries: list[Entry], edition: dict[str, Any], audience: str, body: str, numbers: dict[str, int]) -> str:
    """The cover, the contents and the list of figures and tables (templates/_print.html.j2)."""
    shown = {key: edition.get(key, "") for key in ("title", "date", "author", "id", "version", "site_url")}
    return str(PRINT.front(shown, audience, contents(entries), _figure_list(body), numbers))


def print_documents(html_dir: Path, toc_file: Path, edition: dict[str, Any], audience: str,
                    numbers: dict[str, int] | None = None) -> tuple[str, list[PrintDocument]]:
    """The print edition as the documents Chromium prints, each starting a printed page: the front
    matter (a cover, a printed contents 目次 and a list of figures and tables 図表一覧, linked, with
    the page numbers ``numbers`` gives: anchor → page), the opening page, then each part of the book.
    Returns the shared ``<head>`` and the documents.

    The pages' articles are taken from the built website (so the PDF shows exactly what the site
    shows). Each part starts with its title (h1); chapters are h2 and their sections h3, so that the
    PDF's bookmarks nest part → chapter → section. Links between pages become links inside the
    PDF (between documents, written as ``LINK_PREFIX`` + anchor for the join to resolve);
    links to the site's files point to the published site (``site_url``) or are dropped.
    """
    entries = _entries(yaml.load(toc_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    pages = {e.file: e for e in entries}
    first = (html_dir / f"{entries[0].file}.html").read_text(encoding="utf-8")
    head_match = HEAD.search(first)
    head = head_match.group(1).replace('"../', '"') if head_match else ""
    title = str(PRINT.title(edition.get("title", "")))
    head = re.sub(r"<title>.*?</title>", lambda _: title, head, flags=re.S)
    head = print_head(head)
    site_url = str(edition.get("site_url", ""))
    groups: list[list[str]] = []
    merged = False  # the current part is its one chapter
    for entry in entries:
        page = (html_dir / f"{entry.file}.html").read_text(encoding="utf-8")
        match = ARTICLE.search(page)
        if match is None:
            raise PdfError(f"{entry.file}.html has no article to print")
        entry.title = _heading_text(match.group(1))
        if entry.level == 1:
            merged = entry.is_part
        entry.in_part = entry.level > 0 and merged
        article = _rewrite(match.group(1), entry, pages, site_url)
        kind = {0: "regen-front", 1: "regen-print-chapter", 2: "regen-print-section"}[entry.level]
        if entry.is_part:
            kind += " regen-print-part"
        # the article is the built site's own page, rewritten by _rewrite
        section = str(PRINT.section(kind, entry.slug, "" if entry.is_part else entry.part, Markup(article)))
        if entry.level == 0 or entry.part or not groups:
            groups.append([])  # a part title (and the opening page) starts a printed page
        groups[-1].append(section)
    bodies = ["".join(g) for g in groups]
    front = _front(entries, edition, audience, "".join(bodies), numbers or {})
    named = [("front", front)] + [(f"part-{n}", b) for n, b in enumerate(bodies, start=1)]
    docs = [PrintDocument(name, body, set(ID_ATTR.findall(body))) for name, body in named]
    everywhere = set().union(*(d.ids for d in docs))
    wanted: dict[str, set[str]] = {d.name: set() for d in docs}
    owner = {i: d.name for d in docs for i in d.ids}

    for doc in docs:
        def link(m: re.Match[str], doc: PrintDocument = doc) -> str:
            anchor = html.unescape(m.group(1))
            if anchor in doc.ids:
                return m.group(0)
            if anchor in everywhere:
                wanted[owner[anchor]].add(anchor)
                return f'href="{escape.attribute(LINK_PREFIX + anchor)}"'
            return 'data-regen-unlinked=""'
        doc.body = INTERNAL_LINK.sub(link, doc.body)
    for doc in docs:
        # Chromium names a destination only when a link of the same document points to it: the
        # targets of other documents' links get one, in a list that is not displayed.
        if wanted[doc.name]:
            doc.body = str(PRINT.targets(sorted(wanted[doc.name]))) + doc.body
    return head, docs


LABELLED = re.compile(r'<(h[1-6]|section|tr|li|p|div|span|dt|nav)\b[^>]*?(?<![\w-])id="([^"]+)"[^>]*>', re.S)


def destination_labels(docs: list[PrintDocument]) -> dict[str, str]:
    """What a link to each anchor of the print edition goes to, for the links' descriptions: a
    figure's or table's number and title, a page's or section's heading, or the start of the text
    of the element the anchor names (a row of the sources table)."""
    labels: dict[str, str] = {}
    for doc in docs:
        body = doc.body
        for anchor, kind, fig_id, title in FIG_ATTRS.findall(body):
            labels[html.unescape(anchor)] = f"{html.unescape(kind)} {html.unescape(fig_id)}　{html.unescape(title)}"
        for m in LABELLED.finditer(body):
            anchor = html.unescape(m.group(2))
            if anchor in labels:
                continue
            tag = m.group(1)
            rest = body[m.end():m.end() + 4000]
            if tag in ("section", "nav", "div"):
                heading = re.search(r"<h[1-6][^>]*>(.*?)</h[1-6]>", rest, re.S)
                text = heading.group(1) if heading else ""
            else:
                end = rest.find(f"</{tag}>")
                text = rest[:end if end >= 0 else 400]
            text = re.sub(r"\s+", " ", html.unescape(TAGS.sub("", text)).replace("#", "")).strip()
            if text:
                labels[anchor] = text if len(text) <= 80 else text[:79] + "…"
    return labels


def print_head(head: str) -> str:
    """The site's ``<head>`` as the printer needs it: its styles only (no scripts, which do not run,
    preloads or icons to fetch), and without the stylesheets' cache-busting queries (``?v=…``), which
    Sphinx writes on some builds and not on others; the printer hashes the files themselves."""
    head = re.sub(r"<script\b.*?</script>\s*|<link (?![^>]*rel=\"stylesheet\")[^>]*>\s*", "", head, flags=re.S)
    return re.sub(r'(<link [^>]*href="[^"?#]+)\?[^"]*"', r'\1"', head)


def _html_document(head: str, body: str) -> str:
    """A document for the printer: the site's head (print_head) and a body of the built pages."""
    return str(PRINT.document(Markup(head), Markup(body)))


def allowed_request(url: str, root: Path) -> bool:
    """A request the printer may make: a file inside ``root``, or inline data."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path))
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


PAGE = {"format": "A4", "margin": {"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"}}
COVER_PAGES = 1  # the cover: no running header, no page number (it is still page 1)
FOOTER = ('<div style="font-size:10px;width:100%;text-align:center;font-family:\'BIZ UDPGothic\'">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
BLANK_PAGES = ('<!DOCTYPE html><html lang="ja"><head><style>html,body{{margin:0;background:transparent}}'
               'div{{break-after:page;height:1px}}</style></head><body>{pages}</body></html>')


class Chromium:
    """One Chromium for a build's printers (the report's PDF and the deck's, printed at the same time) and,
    in a session (``make site``, the build server), for every build's, run by an event loop in
    a thread of its own: each printer runs its coroutine here (``run``, from any thread). The browser is
    started when the first printer asks for it (``browser``), and once; ``close`` stops it. One start of
    Chromium and its driver less a build that prints both (five starts, each printing a page, took 6.5 CPU-s).

    Every printer prints in one context of the browser, on pages (tabs) kept from one document to the
    next, whoever's it was (``page``, ``release``): a document printed on a new context took 1.4 CPU-s more
    than on a page that had printed one, and on a new page of the context 0.3 CPU-s more (a renderer's
    start, a first load of the fonts and stylesheets), and each edition's two printers made a context each.
    What a page may read is decided by the printer whose document it holds: the context's one route
    (``_route``) allows a request only inside that printer's folder, and tells it what it refused. A page
    reads a file changed under the same address afresh for its next document (a build server prints
    every build in the same folder): file addresses are not served from the browser's cache."""

    def __init__(self) -> None:
        import asyncio
        import threading

        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._unretrieved)
        self._thread = threading.Thread(target=self._loop.run_forever, name="chromium", daemon=True)
        self._thread.start()
        self._started: Any = None  # the task starting the browser: (playwright, browser)
        self._context: Any = None  # the task making the printers' context (on the loop)
        self._idle: list[Any] = []  # pages that printed a document and wait for the next
        self._owners: dict[Any, Printer] = {}  # a page printing → the printer whose document it holds
        self.interrupted = False  # Ctrl-C stopped a printer: what fails after it is the stop, not news

    def run(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the browser's loop; wait for its result (or its exception) here. Interrupted
        here (Ctrl-C), the coroutine is cancelled there."""
        import asyncio

        from regenpolicy.presentation.worker import result_of

        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return result_of(future)
        except BaseException as exc:
            self.interrupted = self.interrupted or isinstance(exc, KeyboardInterrupt)
            future.cancel()
            raise

    def _unretrieved(self, loop: Any, context: dict[str, Any]) -> None:
        """The loop's report of an error no one awaited (a printer's page failing after Ctrl-C closed the
        browser, say): left out once a printer was interrupted (the Ctrl-C message says what happened)."""
        if not self.interrupted:
            loop.default_exception_handler(context)

    async def browser(self) -> Any:
        """The browser, started by the first printer that asks (on this loop)."""
        if self._started is None:
            self._started = self._loop.create_task(self._start())
        return (await self._started)[1]

    def warm(self, pages: int) -> None:
        """Start the browser and make the printers' context with ``pages`` pages now (a build server's first
        build prints on them)."""
        async def make() -> None:
            while len(self._idle) < pages:
                self._idle.append(await self._new_page())

        self.run(make())

    async def page(self, printer: Printer) -> Any:
        """A page of the printers' context for one of ``printer``'s documents: one that printed before, else a
        new one; ``release`` it when printed (on this loop)."""
        page = self._idle.pop() if self._idle else await self._new_page()
        self._owners[page] = printer
        return page

    async def _new_page(self) -> Any:
        if self._context is None:
            self._context = self._loop.create_task(self._new_context())
        page = await (await self._context).new_page()
        await page.emulate_media(media="print")
        return page

    def release(self, page: Any, reuse: bool) -> None:
        """The printer is done with ``page``: kept for the next document (``reuse``: it printed), else closed."""
        self._owners.pop(page, None)
        if reuse:
            self._idle.append(page)
            return
        closing = self._loop.create_task(page.close())  # (a page that failed: not awaited, nor reported)
        closing.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def _new_context(self) -> Any:
        # Print needs no script: charts are inline SVG for print, so vega never has to run
        context = await (await self.browser()).new_context(java_script_enabled=False)
        await context.route("**/*", self._route)
        return context

    async def _route(self, route: Any) -> None:
        """Let a page read only inside the folder of the printer whose document it holds (``allowed_request``)."""
        url = route.request.url
        try:
            owner = self._owners.get(route.request.frame.page)
        except Exception:  # (a request of no frame: a worker's; scripts do not run)
            owner = None
        if owner is not None and allowed_request(url, owner.html_dir):
            await route.continue_()
            return
        if owner is not None:
            owner.refused.append(url)
        await route.abort()

    @staticmethod
    async def _start() -> tuple[Any, Any]:
        from playwright.async_api import async_playwright

        pw = await async_playwright().start()
        try:
            return pw, await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        except BaseException:
            await pw.stop()
            raise

    def close(self) -> None:
        """Stop the browser (if it was started) and the loop's thread."""
        async def stop() -> None:
            if self._started is None:
                return
            try:
                pw, browser = await self._started
            except BaseException:  # (it did not start: its printer reported why)
                return
            await browser.close()
            await pw.stop()

        try:
            self.run(stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


class Printer:
    """Chromium printing the documents of one edition, several at a time, each PDF kept in ``cache``
    under the hash of what it was printed from, so that an unchanged part is never printed again.
    It prints in ``chromium`` (the build's browser, shared with its other printer and, in a session, with
    every build's) or, without one, in a browser of its own for each ``run``; the browser is started only
    when something has to be printed. It prints on the browser's pages (``Chromium.page``), as many at a
    time as it has slots; a page reads only inside the printer's folder (``html_dir``), and what it was
    refused is in ``refused``."""

    def __init__(self, html_dir: Path, cache: Path, page: dict[str, Any] | None = None,
                 chromium: Chromium | None = None) -> None:
        self.html_dir = html_dir
        self.page = page or PAGE  # Chromium's page options (the deck's: its slide size, no margin)
        self.chromium = chromium
        self.cache = cache
        self.refused: list[str] = []
        self.printed = 0
        self.used: set[Path] = set()
        self._digests: dict[str, str] = {}
        self._slots: Any = None
        binary = Path(chromium_path()).resolve()
        self.identity = f"{binary} {binary.stat().st_mtime_ns} {self.page} {CHROMIUM_ARGS}"

    def _asset_digest(self, document: str) -> str:
        """The files a document loads (stylesheets, images), so that editing one reprints it."""
        out = hashlib.sha256()
        for ref in sorted(set(ASSET.findall(document))):
            if ref not in self._digests:
                file = self.html_dir / unquote(urlsplit(html.unescape(ref)).path)
                self._digests[ref] = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "-"
            out.update(f"{ref} {self._digests[ref]}\n".encode())
        return out.hexdigest()

    def run(self, coroutine: Any) -> Any:
        """Run ``coroutine`` (one using this printer) to its end, in the printer's browser."""
        if self.chromium is not None:
            return self.chromium.run(coroutine)
        self.chromium = Chromium()
        try:
            return self.chromium.run(coroutine)
        finally:
            self.chromium.close()
            self.chromium = None

    def path(self, document: str, header: str | None) -> Path:
        key = hashlib.sha256(f"{self.identity}\n{header}\n{self._asset_digest(document)}\n{document}".encode())
        return self.cache / f"{key.hexdigest()[:32]}.pdf"

    async def print_all(self, jobs: list[tuple[str, str, str | None]]) -> list[Path]:
        """Print the (name, document, header) jobs not already printed; their PDFs in order. A job with a
        header is the page stamp: the document's pages are printed empty under the header and page numbers."""
        import asyncio

        paths = [self.path(doc, header) for _, doc, header in jobs]
        self.used.update(paths)
        todo = []
        for (name, doc, header), path in zip(jobs, paths, strict=True):
            try:
                os.utime(path)  # reused now: a build sharing the cache does not prune it
            except OSError:
                todo.append((name, doc, header, path))
        if todo:
            await self._start()
            tasks = [asyncio.ensure_future(self._one(*job)) for job in todo]
            try:
                await asyncio.gather(*tasks)
            except BaseException:  # one failed: the others stop too (the pages they hold are closed)
                for task in tasks:
                    task.cancel()
                raise
        return paths

    async def _start(self) -> None:
        if self._slots is not None:
            return
        import asyncio

        self.cache.mkdir(parents=True, exist_ok=True)
        self._slots = asyncio.Semaphore(max(1, min(4, os.cpu_count() or 1)))

    async def _one(self, name: str, document: str, header: str | None, path: Path) -> None:
        assert self.chromium is not None  # (set by ``run``)
        async with self._slots:
            page_file = self.html_dir / f"_print-{name}.html"
            page_file.write_text(document, encoding="utf-8")
            page, printed = None, False
            try:
                page = await self.chromium.page(self)
                await page.goto(page_file.as_uri(), wait_until="load")
                await page.evaluate("document.fonts.ready")
                tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
                options: dict[str, Any] = dict(self.page)
                if header is not None:  # the running header and the page numbers, on empty pages
                    options.update(display_header_footer=True, header_template=header, footer_template=FOOTER,
                                   print_background=False)
                else:
                    options.update(print_background=True, outline=True, tagged=True)
                await page.pdf(path=str(tmp), **options)
                tmp.replace(path)
                self.printed += 1
                printed = True
            finally:
                if page is not None:  # (a page that failed is closed, not reused)
                    self.chromium.release(page, reuse=printed)
                page_file.unlink(missing_ok=True)

    def prune(self, keep_seconds: float = 3600) -> None:
        """Forget the PDFs of documents this edition no longer has, once no build has used them for
        ``keep_seconds``: another build sharing the cache (``--cache-dir``) may be about to join them."""
        from regenpolicy.builder.pdfjoin import prune_unused

        prune_unused(self.cache.glob("*.pdf"), self.used, keep_seconds)


def print_pdf(html_dir: Path, toc_file: Path, pdf_file: Path, *, edition: dict[str, Any], audience: str,
              cache: Path, chromium: Chromium | None = None) -> tuple[list[str], int, int]:
    """Print the edition in ``html_dir`` to an A4 PDF in headless Chromium; return the refused
    requests, the number of pages and the number of documents Chromium printed (the rest were
    unchanged since an earlier build and come from ``cache``).

    Each part of the book is printed alone, several at a time, and the parts joined (``pdfjoin``):
    an edit reprints only the parts whose pages it changed. The front matter is printed once the
    parts' page counts are known, so that its contents and list of figures give the right page
    numbers, together with the running header and page numbers, printed on as many empty pages as
    the joined document has (the front matter's length is taken from the last printing and both
    are printed again in the rare case it changed).
    """
    from regenpolicy.builder import pdfjoin  # qpdf only when printing

    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    header = str(PRINT.header(str(edition.get("title", ""))))
    printer = Printer(html_dir, cache, chromium=chromium)
    head, docs = print_documents(html_dir, toc_file, edition, audience)
    cache.mkdir(parents=True, exist_ok=True)
    memo = cache / "front-pages.json"
    try:
        guess = int(json.loads(memo.read_text(encoding="utf-8"))["pages"])
    except (OSError, ValueError, KeyError, TypeError):
        guess = 3

    async def run() -> tuple[list[Path], int]:
        parts = await printer.print_all([(d.name, _html_document(head, d.body), None) for d in docs[1:]])
        layout = [pdfjoin.layout(p) for p in parts]  # (pages, anchor → page index) of each part
        front_pages = guess
        for _ in range(4):
            numbers: dict[str, int] = {}
            start = front_pages
            for count, anchors in layout:
                numbers.update({a: start + p + 1 for a, p in anchors.items()})
                start += count
            _, (front, *_) = print_documents(html_dir, toc_file, edition, audience, numbers)
            front_pdf, stamp = await printer.print_all([
                (front.name, _html_document(head, front.body), None),
                ("stamp", BLANK_PAGES.format(pages="<div></div>" * start), header)])
            printed_front = pdfjoin.layout(front_pdf)[0]
            if printed_front == front_pages:
                return [front_pdf, *parts, stamp], front_pages
            front_pages = printed_front
        raise PdfError(f"the contents do not settle on a page count ({front_pages} pages)")

    printed, front_pages = printer.run(run())
    *files, stamp = printed
    fonts = pdfjoin.FontStore(cache / "fonts")
    memo.write_text(json.dumps({"pages": front_pages}), encoding="utf-8")
    try:
        pages = pdfjoin.join(files, pdf_file, overlay=stamp, info=document_info(edition), link_prefix=LINK_PREFIX,
                             labels=destination_labels(docs), bare=COVER_PAGES, fonts=fonts)
    except (ValueError, OSError) as exc:
        raise PdfError(f"joining the printed parts into {pdf_file} failed: {exc}") from None
    printer.prune()
    fonts.prune()
    return printer.refused, pages, printer.printed


def document_info(edition: dict[str, Any]) -> dict[str, str]:
    """Title, author (the submitting organisation), subject, keywords and creator of the PDF."""
    return {
        "/Title": str(edition.get("title", "")), "/Author": str(edition.get("author", "")),
        "/Subject": str(edition.get("description", "")),
        "/Keywords": f"再生医療等製品, 価格制度, {edition.get('id', '')}, {edition.get('date', '')}",
        "/Creator": f"regenpolicy {edition.get('version', '')} (Chromium)",
    }
