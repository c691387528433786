"""The PDF: the built website's pages, joined in reading order under a cover, printed by Chromium.

The printer reads only the build's own files: every request the page makes (an image, a
stylesheet, a frame, a font) is allowed only when it is a ``file:`` URL inside the edition's
``html`` folder (or a ``data:`` URL); requests for any other file of the machine and for the
network are refused.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from regenpolicy.build.project import toc_files
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


def print_edition(html: Path, toc_file: Path, title: str, date: str, audience: str) -> str:
    """One HTML page holding every page of the site in the order of the table of contents.

    The pages' articles are taken from the built website (so the PDF shows exactly what the site
    shows) and their relative links made relative to the site's root, where the page is written.
    Chapter pages start a new printed page.
    """
    files = toc_files(yaml.safe_load(toc_file.read_text(encoding="utf-8")))
    first = (html / f"{files[0]}.html").read_text(encoding="utf-8")
    head_match = HEAD.search(first)
    head = head_match.group(1).replace('"../', '"') if head_match else ""
    sections = []
    for file in files:
        page = (html / f"{file}.html").read_text(encoding="utf-8")
        match = ARTICLE.search(page)
        if match is None:
            raise PdfError(f"{file}.html has no article to print")
        article = match.group(1).replace('href="../', 'href="').replace('src="../', 'src="')
        kind = "regen-print-chapter" if file.startswith("book/") else "regen-print-section"
        sections.append(f'<section class="{kind}">{article}</section>')
    cover = (f'<header class="regen-cover"><p class="regen-cover-title">{escape.text(title)}</p>'
             f"<p>{escape.text(date)}　{escape.text(audience)}</p></header>")
    return (f'<!DOCTYPE html>\n<html lang="ja"><head>{head}</head>\n<body class="regen-print-edition">'
            f'<div class="bd-article">{cover}{"".join(sections)}</div></body></html>\n')


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


def print_pdf(html: Path, toc_file: Path, pdf_file: Path, *, title: str, date: str, audience: str) -> list[str]:
    """Print the edition in ``html`` to an A4 PDF in headless Chromium; return the refused requests."""
    from playwright.sync_api import Route, sync_playwright

    page_file = html / PRINT_PAGE
    page_file.write_text(print_edition(html, toc_file, title, date, audience), encoding="utf-8")
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    footer = ('<div style="font-size:8px;width:100%;text-align:center;font-family:\'BIZ UDPGothic\'">'
              '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    header = ('<div style="font-size:7px;width:100%;text-align:right;margin-right:15mm;color:#777;'
              f"font-family:'BIZ UDPGothic'\">{escape.text(title)}</div>")
    refused: list[str] = []

    def route(r: Route) -> Any:
        if allowed_request(r.request.url, html):
            return r.continue_()
        refused.append(r.request.url)
        return r.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
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
            finally:
                browser.close()
    finally:
        page_file.unlink(missing_ok=True)
    return refused
