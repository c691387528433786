"""The PDF: the built website's pages, joined in reading order under a cover, printed by Chromium.

The printer reads only the build's own files: every request the page makes (an image, a
stylesheet, a frame, a font) is allowed only when it is a ``file:`` URL inside the edition's
``html`` folder (or a ``data:`` URL); requests for any other file of the machine and for the
network are refused.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from regenpolicy.presentation import escape

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*?)</article>', re.S)
HEAD = re.compile(r"<head>(.*?)</head>", re.S)
PRINT_PAGE = "_print.html"


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


@dataclass
class Entry:
    """A page of the print edition: its file, its level (0 front, 1 chapter, 2 section) and title."""

    file: str
    level: int
    title: str = ""
    part: str = ""

    @property
    def slug(self) -> str:
        return "page-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.file)


def _entries(toc: dict[str, Any]) -> list[Entry]:
    entries = [Entry(toc["root"], 0)]
    for part in toc.get("parts", []):
        first = True
        for chapter in part.get("chapters", []):
            entries.append(Entry(chapter["file"], 1, part=part.get("caption", "") if first else ""))
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
    article = ID_ATTR.sub(lambda m: m.group(0) if GLOBAL_ID.match(m.group(1)) else f'id="{slug}--{m.group(1)}"',
                          article)

    def link(m: re.Match[str]) -> str:
        target = _page_link(html.unescape(m.group(1)), entry.file, pages, site_url)
        return f'href="{escape.text(target)}"' if target is not None else 'data-regen-unlinked=""'

    article = LINK.sub(link, article)
    article = article.replace('src="../', 'src="')
    shift = entry.level
    article = HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", article)
    first = f"<h{1 + shift}"
    return article.replace(first, f'{first} class="regen-page-title"', 1)


def _heading_text(article: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", article, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1)) if match else ""
    return html.unescape(text).replace("#", "").strip()


def _toc_line(href: str, text: str, key: str, numbers: dict[str, int]) -> str:
    page = numbers.get(key)
    return (f'<span class="regen-toc-line"><a href="{escape.text(href)}">{escape.text(text)}</a>'
            f'<span class="regen-toc-page">{page if page is not None else ""}</span></span>')


def _contents(entries: list[Entry], numbers: dict[str, int]) -> str:
    items, open_part, open_chapter = [], False, False
    for e in entries:
        if e.level == 0:
            items.append(f"<li>{_toc_line('#' + e.slug, e.title, e.slug, numbers)}</li>")
            continue
        if e.level == 1:
            if open_chapter:
                items.append("</ol></li>")
                open_chapter = False
            if e.part:
                if open_part:
                    items.append("</ol></li>")
                part_id = e.slug + "--part"
                items.append(f'<li class="regen-toc-part">{_toc_line("#" + part_id, e.part, part_id, numbers)}<ol>')
                open_part = True
            items.append(f"<li>{_toc_line('#' + e.slug, e.title, e.slug, numbers)}<ol>")
            open_chapter = True
        else:
            items.append(f"<li>{_toc_line('#' + e.slug, e.title, e.slug, numbers)}</li>")
    items += ["</ol></li>"] * (int(open_chapter) + int(open_part))
    return ('<nav class="regen-contents" aria-label="目次"><h1 id="regen-contents">目次</h1>'
            f'<ol>{"".join(items)}</ol></nav>')


def _figure_list(body: str, numbers: dict[str, int]) -> str:
    rows = []
    for anchor, kind, fig_id, title in FIG_ATTRS.findall(body):
        text = f"{html.unescape(kind)} {html.unescape(fig_id)}　{html.unescape(title)}"
        rows.append(f"<li>{_toc_line('#' + anchor, text, anchor, numbers)}</li>")
    if not rows:
        return ""
    return (f'<nav class="regen-figlist" aria-label="図表一覧"><h1 id="regen-figlist">図表一覧</h1>'
            f'<ol>{"".join(rows)}</ol></nav>')


def print_edition(html_dir: Path, toc_file: Path, edition: dict[str, Any], audience: str,
                  numbers: dict[str, int] | None = None) -> str:
    """One HTML page holding every page of the site in the order of the table of contents.

    The pages' articles are taken from the built website (so the PDF shows exactly what the site
    shows). Under a cover come a printed contents (目次) and list of figures and tables (図表一覧),
    both linked, with the page numbers of the previous printing (``numbers``: anchor → page). Each
    part starts a page with its title (h1); chapters are h2 and their sections h3, so that the PDF's
    bookmarks nest part → chapter → section. Links between pages become links inside the document;
    links to the site's files point to the published site (``site_url``) or are dropped.
    """
    numbers = numbers or {}
    entries = _entries(yaml.safe_load(toc_file.read_text(encoding="utf-8")))
    pages = {e.file: e for e in entries}
    first = (html_dir / f"{entries[0].file}.html").read_text(encoding="utf-8")
    head_match = HEAD.search(first)
    head = head_match.group(1).replace('"../', '"') if head_match else ""
    head = re.sub(r"<title>.*?</title>", f"<title>{escape.text(edition.get('title', ''))}</title>", head, flags=re.S)
    site_url = str(edition.get("site_url", ""))
    sections = []
    for entry in entries:
        page = (html_dir / f"{entry.file}.html").read_text(encoding="utf-8")
        match = ARTICLE.search(page)
        if match is None:
            raise PdfError(f"{entry.file}.html has no article to print")
        entry.title = _heading_text(match.group(1))
        article = _rewrite(match.group(1), entry, pages, site_url)
        kind = {0: "regen-front", 1: "regen-print-chapter", 2: "regen-print-section"}[entry.level]
        part = (f'<h1 class="regen-part-title" id="{entry.slug}--part">{escape.text(entry.part)}</h1>'
                if entry.part else "")
        sections.append(f'{part}<section class="{kind}" id="{entry.slug}">{article}</section>')
    body = "".join(sections)
    author = edition.get("author", "")
    cover = (f'<header class="regen-cover"><p class="regen-cover-title">{escape.text(edition.get("title", ""))}</p>'
             f"<p>{escape.text(edition.get('date', ''))}　{escape.text(audience)}</p>"
             + (f"<p>{escape.text(author)}</p>" if author else "")
             + f"<p>版：{escape.text(edition.get('id', ''))}・regenpolicy {escape.text(edition.get('version', ''))}</p>"
             + (f"<p>ウェブ版：{escape.link(site_url)}</p>" if site_url else "") + "</header>")
    front = cover + _contents(entries, numbers) + _figure_list(body, numbers)
    return (f'<!DOCTYPE html>\n<html lang="ja"><head>{head}</head>\n<body class="regen-print-edition">'
            f'<div class="bd-article">{front}{body}</div></body></html>\n')


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


def print_pdf(html_dir: Path, toc_file: Path, pdf_file: Path, *, edition: dict[str, Any],
              audience: str) -> tuple[list[str], int]:
    """Print the edition in ``html_dir`` to an A4 PDF in headless Chromium; return the refused
    requests and the number of pages.

    It is printed twice: the first printing gives the page of every heading, figure and table (from
    the PDF's links), which the contents and the list of figures then show. The PDF's document
    information (title, author, subject, language) is set afterwards.
    """
    from playwright.sync_api import Route, sync_playwright

    page_file = html_dir / PRINT_PAGE
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    title = str(edition.get("title", ""))
    footer = ('<div style="font-size:8px;width:100%;text-align:center;font-family:\'BIZ UDPGothic\'">'
              '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    header = ('<div style="font-size:7px;width:100%;text-align:right;margin-right:15mm;color:#555;'
              f"font-family:'BIZ UDPGothic'\">{escape.text(title)}</div>")
    refused: list[str] = []

    def route(r: Route) -> Any:
        if allowed_request(r.request.url, html_dir):
            return r.continue_()
        refused.append(r.request.url)
        return r.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                numbers: dict[str, int] = {}
                for _ in range(2):
                    page_file.write_text(print_edition(html_dir, toc_file, edition, audience, numbers),
                                         encoding="utf-8")
                    # Print needs no script: charts are inline SVG for print, so vega never has to run.
                    context = browser.new_context(java_script_enabled=False)
                    context.route("**/*", route)
                    page = context.new_page()
                    page.goto(page_file.as_uri(), wait_until="load")
                    page.evaluate("document.fonts.ready")
                    page.emulate_media(media="print")
                    page.pdf(path=str(pdf_file), format="A4", print_background=True, display_header_footer=True,
                             header_template=header, footer_template=footer, outline=True, tagged=True,
                             margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"})
                    context.close()
                    found = link_pages(pdf_file)
                    if not found or found == numbers:
                        break
                    numbers = found
            finally:
                browser.close()
    finally:
        page_file.unlink(missing_ok=True)
    return refused, set_info(pdf_file, edition)


def link_pages(pdf_file: Path) -> dict[str, int]:
    """Anchor → page number (1-based) of every internal link target in the PDF."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf_file))
    index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages, start=1)
             if page.indirect_reference is not None}
    out: dict[str, int] = {}
    for name, dest in reader.named_destinations.items():
        page_ref = dest.get("/Page") if hasattr(dest, "get") else None
        idnum = getattr(page_ref, "idnum", None)
        if idnum in index:
            out[str(name).lstrip("/")] = index[idnum]
    return out


def set_info(pdf_file: Path, edition: dict[str, Any]) -> int:
    """Title, author (the submitting organisation), subject, language and creator; return the page count."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    reader = PdfReader(str(pdf_file))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({
        "/Title": str(edition.get("title", "")), "/Author": str(edition.get("author", "")),
        "/Subject": str(edition.get("description", "")),
        "/Keywords": f"再生医療等製品, 価格制度, {edition.get('id', '')}, {edition.get('date', '')}",
        "/Creator": f"regenpolicy {edition.get('version', '')} (Chromium)",
    })
    writer._root_object[NameObject("/Lang")] = TextStringObject("ja")
    writer.page_mode = "/UseOutlines"
    tmp = pdf_file.with_suffix(".tmp")
    with tmp.open("wb") as f:
        writer.write(f)
    tmp.replace(pdf_file)
    return len(writer.pages)
