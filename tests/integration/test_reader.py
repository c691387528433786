"""What readers get from the built report: phones, search, accessibility, each figure's panel,
links that work on the web and in the PDF, the PDF as a publication and the site's details."""

from __future__ import annotations

import csv
import functools
import html as htmllib
import io
import json
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from tests.conftest import EVERY_CHART_DRAWN, ROOT
from tests.integration.pages import phone_round, serious, shared, theme_round

FIG_BLOCK = re.compile(r'id="((?:fig|tbl)-[^"]+)" data-regen-kind="([^"]*)" data-regen-id="([^"]*)"')


def site_pages(built: Path) -> list[str]:
    html = built / "html"
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if "_static" not in p.parts and not p.name.startswith("_print"))


def read(built: Path, page: str) -> str:
    return (built / "html" / page).read_text(encoding="utf-8")


def figure_blocks(built: Path) -> dict[str, tuple[str, str]]:
    """Figure or table id → (its page, 図 or 表), from the built pages."""
    found = {}
    for page in site_pages(built):
        for _, kind, fig_id in FIG_BLOCK.findall(read(built, page)):
            found[htmllib.unescape(fig_id)] = (page, htmllib.unescape(kind))
    return found


def wait_for_charts(page) -> None:
    page.wait_for_function(EVERY_CHART_DRAWN, arg=None, timeout=30000)


def open_page(page, url: str) -> None:
    """Load a page and wait for what the tests read: every chart drawn and the fonts in (conditions on the
    page, not the network falling quiet)."""
    page.goto(url, wait_until="load")
    wait_for_charts(page)
    page.evaluate("document.fonts.ready.then(() => true)")


# --- phones ----------------------------------------------------------------------------------------
def phone(built: Path, served: str, browser, tmp_path_factory, width: int) -> dict:
    """The phone round at ``width`` (pages.phone_round) of every page with a chart, a table or an equation,
    made once in the session (test_charts_reader.py reads the same round)."""
    paths = [p for p in site_pages(built) if re.search(r"regen-chart|regen-table-scroll|class=\"math", read(built, p))]
    return shared(tmp_path_factory, f"phone-{width}", lambda: phone_round(browser, served, paths, width))


@pytest.mark.parametrize("width", [360, 390])
def test_every_chart_table_and_equation_fits_a_phone(built, served, browser, tmp_path_factory, width):
    pages = phone(built, served, browser, tmp_path_factory, width)["pages"]
    assert len(pages) >= 20
    charts = tables = 0
    for path, seen in pages.items():
        assert seen["width"] <= width, f"{path} scrolls sideways"
        for box in seen["charts"]:
            charts += 1
            assert box["left"] >= -1 and box["right"] <= width + 1, (path, width, box["id"], box["left"], box["right"])
            assert box["smallest"] >= 9, (path, box["id"], box["smallest"])  # fitted by layout, never scaled into unreadable text
        for box in seen["tables"]:
            tables += 1
            assert box["right"] <= width + 1, (path, box)  # the table scrolls inside its own box
            assert not box["scrolls"] or box["overflow"] in ("auto", "scroll"), (path, box)  # (not spills out of it, cut)
            if box["scrolls"] and "regen-table" in read(built, path):
                assert box["sticky"] == "sticky", (path, box)  # its first column stays in view
        for eq in seen["equations"]:
            assert eq["right"] <= width + 1 and eq["align"] == "center" and eq["display"] == "block", (path, eq)
    assert charts >= 22 and tables >= 20, (charts, tables)


def test_a_chart_can_be_read_from_the_keyboard(served, browser):
    page = browser.new_page()
    open_page(page, f"{served}/notebooks/m1_market.html")
    svg = page.locator("#fig-m1-chart svg.marks")
    assert svg.get_attribute("tabindex") == "0" and "市場規模" in svg.get_attribute("aria-label")
    svg.focus()
    page.keyboard.press("ArrowRight")
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5000)
    assert "2020" in tooltip.inner_text() and "億円" in tooltip.inner_text()
    assert "2020" in page.locator("#fig-m1 .regen-live").inner_text()  # a screen reader hears it too
    page.keyboard.press("ArrowRight")
    assert "2020" in page.locator("#fig-m1 .regen-live").inner_text() or "2025" in tooltip.inner_text()
    summary = page.locator("#fig-m1-chart details summary")
    assert summary.get_attribute("aria-label") == "図の書き出しメニュー"  # the chart menu, in Japanese
    page.close()


# --- search ----------------------------------------------------------------------------------------
@functools.cache  # (the session's build does not change: each page is parsed once for the four terms)
def article_text(built: Path, page: str) -> str:
    soup = BeautifulSoup(read(built, page), "html.parser")
    article = soup.find("article") or soup
    for hidden in article.select("script, style, .regen-print"):
        hidden.decompose()
    return article.get_text(" ")


@pytest.mark.parametrize("term", ["K921", "市場拡大再算定", "費用対効果", "キムリア"])
def test_search_finds_every_page_that_contains_the_term(built, served, browser, term):
    pages = [p for p in site_pages(built) if p not in ("search.html", "genindex.html")]
    expected = {p for p in pages if term in article_text(built, p)}
    assert expected, term
    page = browser.new_page()
    page.goto(f"{served}/search.html?q={quote(term)}", wait_until="load")
    page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                           " return s && /[0-9]/.test(s.textContent); }", timeout=30000)
    count = int(re.search(r"\d+", page.locator("#search-results .search-summary").inner_text()).group(0))
    page.wait_for_function(f"() => document.querySelectorAll('#search-results ul.search li').length >= {count}")
    hrefs = page.eval_on_selector_all("#search-results ul.search li > a", "els => els.map(e => e.href)")
    found = {unquote(h.split(served + "/", 1)[1].split("?")[0].split("#")[0]) for h in hrefs}
    page.close()
    assert expected <= found, (term, sorted(expected - found))


def test_a_search_result_opens_with_the_term_marked_and_a_japanese_link_to_unmark_it(served, browser):
    """A search result's link carries ``?highlight=``: the page marks the term and offers a link to take
    the marks off, in Japanese (Sphinx's translation of "Hide Search Matches")."""
    page = browser.new_page()
    page.goto(f"{served}/notebooks/k1_fee_gap.html?highlight={quote('キムリア')}", wait_until="load")
    page.wait_for_selector("#searchbox .highlight-link a")
    assert page.locator("#searchbox .highlight-link a").inner_text() == "検索結果を隠す"
    assert page.locator("span.highlighted").count() >= 1
    page.close()


# --- accessibility -----------------------------------------------------------------------------------
def themes(built: Path, served: str, browser, tmp_path_factory) -> dict:
    """The light-and-dark round (pages.theme_round) of every page, made once in the session (the two
    modes' tests and test_charts_reader.py's dark-mode test read the same round)."""
    paths = site_pages(built)
    return shared(tmp_path_factory, "themes", lambda: theme_round(browser, served, paths))


@pytest.mark.parametrize("mode", ["light", "dark"])  # (two tests: the two processes of make test can share them)
def test_no_serious_accessibility_violations_on_any_page(built, served, browser, tmp_path_factory, mode):
    """axe-core (WCAG 2.2 AA rules) on every page of the site, in light and in dark mode: each page is
    opened in dark mode, checked, switched to light as a reader switches it, and checked again."""
    found = themes(built, served, browser, tmp_path_factory)
    assert sorted(found) == site_pages(built)
    for path, seen in found.items():
        assert seen["dark"]["theme"] == "dark" and seen["light"] == "light", path
    problems = serious(found, mode)
    assert not problems, json.dumps({f"{mode} {rule}": pages for rule, pages in problems.items()}, ensure_ascii=False, indent=1)


# --- the figure panel -----------------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_every_figure_and_table_has_its_download_panel(built):
    from openpyxl import load_workbook

    blocks = figure_blocks(built)
    assert len(blocks) >= 28
    figures = built / "figures"
    for fig_id, (page, kind) in blocks.items():
        raw = (figures / f"{fig_id}.csv").read_bytes()
        assert raw.startswith("\ufeff".encode()), fig_id  # UTF-8 with BOM: Excel on Japanese Windows
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header = rows[0]
        assert not [h for h in header if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+( \[.*\])?", h)], (fig_id, header)
        cells = [c for row in rows[1:] for c in row]
        assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d{7,}|-?\d+\.0+", c)], fig_id  # no raw floats
        assert not {"printed", "derived", "assumption", "True", "False"} & set(cells), fig_id  # words as on the page
        book = load_workbook(figures / f"{fig_id}.xlsx")
        data = book["データ"]
        assert [c.value for c in data[1]] == header, fig_id
        assert all(c.data_type != "f" for row in data.iter_rows() for c in row)
        about = {r[0].value: r[1].value for r in book["説明"].iter_rows()}
        assert about["図表"].startswith(f"{kind} {fig_id}") and about["出所"], fig_id
        assert (figures / f"{fig_id}.data.csv").stat().st_size > 0
        block = read(built, page).split(f'data-regen-id="{fig_id}"', 1)[1].split('<div class="regen-cite">', 2)[1]
        assert "@techreport{" in block and "『再生医療等製品の価格制度に関する白書』" in block, fig_id  # ready citation
        anchor = ("fig-" if kind == "図" else "tbl-") + fig_id.lower()
        assert f'href="#{anchor}"' in read(built, page), fig_id  # permalink
        if kind == "図":
            svg = (figures / f"{fig_id}.svg").read_text(encoding="utf-8")
            assert f"図 {fig_id}" in svg and "出所：" in svg and "単位：" in svg, fig_id
            width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg).group(1))
            assert png_size(figures / f"{fig_id}.png")[0] == pytest.approx(2 * width, abs=2), fig_id  # 2×
    m1 = (figures / "M1.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "市場規模［億円］" in m1 and "値の種類" in m1
    c2rp = (figures / "C2-RP-1.csv").read_text(encoding="utf-8-sig")
    assert "100.000000" not in c2rp


def test_the_caption_states_the_unit_the_chart_is_drawn_in(built):
    for fig_id, (page, kind) in figure_blocks(built).items():
        if kind != "図":
            continue
        block = read(built, page).split(f'data-regen-id="{fig_id}"', 1)[1].split("</figure>", 1)[0]
        unit = htmllib.unescape(re.search(r'<p class="regen-unit">単位：([^<]*)</p>', block).group(1))
        spec = htmllib.unescape(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', block, re.S).group(1))
        drawn = json.dumps(json.loads(spec), ensure_ascii=False)
        for part in unit.split("、"):
            measure = re.sub(r"（.*?）|/.*", "", part).strip()
            assert measure and measure in drawn, (fig_id, unit, measure)
    p1 = read(built, "notebooks/p1_value_price.html")
    assert '<p class="regen-unit">単位：万円/患者</p>' in p1  # the chart is in 万円, its CSV in 円


def test_the_site_links_its_pdf_and_the_editions_data(built):
    assert (built / "html" / "report.pdf").read_bytes() == (built / "pdf" / "report.pdf").read_bytes()
    index = read(built, "book/index.html")
    assert 'href="../report.pdf"' in index and 'href="../default-data.zip"' in index
    with zipfile.ZipFile(built / "html" / "default-data.zip") as z:
        names = set(z.namelist())
        meta = z.read("data/metadata.yaml")
    assert meta == (ROOT / "data" / "metadata.yaml").read_bytes()
    shipped = {f"data/{p.name}" for p in (ROOT / "data").glob("*.csv")}
    assert shipped <= names and "figures/M1.csv" in names and "figures/M1.xlsx" in names and "stamp.json" in names


# --- links ---------------------------------------------------------------------------------------------
PLAIN_MENTION = re.compile(r"(図|表)\s?([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)(?![A-Za-z0-9])")


def test_every_reference_to_a_figure_or_table_is_a_link(built):
    anchors = {f"{'fig' if k == '図' else 'tbl'}-{i.lower()}" for i, (_, k) in figure_blocks(built).items()}
    for page in site_pages(built):
        anchors |= set(re.findall(r'id="(tbl-[a-z0-9-]+)"', read(built, page)))
    linked, unlinked = 0, []
    for page in site_pages(built):
        soup = BeautifulSoup(read(built, page), "html.parser")
        article = soup.find("article")
        if article is None:
            continue
        for hidden in article.select("script, style, .regen-print, figure, .regen-table-block, .regen-data, table"):
            hidden.decompose()
        for link in article.find_all("a", class_="regen-xref"):
            linked += 1
            assert link["href"].split("#", 1)[1] in anchors, (page, link)
        for text in article.find_all(string=PLAIN_MENTION):
            if text.find_parent("a") is None:
                for m in PLAIN_MENTION.finditer(text):
                    anchor = f"{'fig' if m.group(1) == '図' else 'tbl'}-{m.group(2).lower()}"
                    if anchor in anchors:
                        unlinked.append((page, m.group(0)))
    assert not unlinked, unlinked
    assert linked >= 60


def test_sources_are_links_to_their_row_and_to_the_web(built):
    appendix = read(built, "notebooks/z1_data_appendix.html")
    rows = set(re.findall(r'<tr id="(src-[^"]+)"', appendix))
    assert len(rows) >= 30
    targets = set()
    for page in site_pages(built):
        targets |= set(re.findall(r'class="regen-source-link" href="z1_data_appendix\.html#(src-[^"]+)"', read(built, page)))
    assert targets and targets <= rows
    urls = re.findall(r'<a class="regen-url" href="(https?://[^"]+)"', appendix)
    assert len(urls) >= 25


# --- site details ----------------------------------------------------------------------------------------
def test_site_details(built):
    pages = site_pages(built)
    for path in pages:
        text = read(built, path)
        if 'http-equiv="Refresh"' in text:
            continue  # the site's root only forwards to the front page
        assert "（既定版）" not in text, path
        for english in ("Toggle primary sidebar", "Color mode", "Search...", "Link to this heading", "System Settings"):
            assert english not in text, (path, english)
        assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', text), path
        assert '<meta name="description" content="' in text and '<meta property="og:title"' in text, path
        assert "2026-11-27 版" in text and "regenpolicy 0.2.0" in text, path  # the footer stamp
        assert ("vega-bundle.js" in text) == ('class="regen-chart"' in text), path  # 900 KB only where needed
    assert (built / "html" / "_static" / "favicon.svg").is_file()
    assert sum('class="regen-chart"' in read(built, p) for p in pages) >= 15


# --- the PDF as a publication -----------------------------------------------------------------------------
def outline_titles(items, depth=0):
    for item in items:
        if isinstance(item, list):
            yield from outline_titles(item, depth + 1)
        else:
            yield depth, item.title


def assert_tagged(reader):
    """The PDF printed part by part and joined is one tagged document: a single Document element whose
    elements all point to their parent and to pages of this PDF, and a parent tree with exactly the
    keys the pages and links use."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    pages = {page.indirect_reference.idnum for page in reader.pages}
    keys = set()
    for page in reader.pages:
        keys.add(int(page["/StructParents"]))
        keys |= {int(a.get_object()["/StructParent"]) for a in page.get("/Annots") or []}
    nums = root["/ParentTree"].get_object()["/Nums"]
    assert {int(nums[i]) for i in range(0, len(nums), 2)} == keys
    document = root["/K"]
    assert document["/S"] == "/Document"
    kinds, todo = set(), [(document, root.raw_get("/K").idnum)]
    while todo:
        element, ref = todo.pop()
        kids = element.raw_get("/K") if "/K" in element else None
        kids = kids.get_object() if hasattr(kids, "idnum") and isinstance(kids.get_object(), list) else kids
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "idnum") and "/S" in kid.get_object():
                child = kid.get_object()
                assert child.raw_get("/P").idnum == ref
                if "/Pg" in child:
                    assert child.raw_get("/Pg").idnum in pages
                kinds.add(child["/S"])
                todo.append((child, kid.idnum))
    assert {"/H2", "/H3", "/Table", "/Figure", "/Link", "/P"} <= kinds


def test_pdf_is_a_publication(built):
    pdf = built / "pdf" / "report.pdf"
    reader = PdfReader(str(pdf))
    print(f"\nPDF: {len(reader.pages)} pages")
    info = reader.metadata
    assert info.title == "再生医療等製品の価格制度に関する白書"
    assert info.author and info.subject and "Mozilla" not in (info.creator or "")
    assert reader.trailer["/Root"]["/Lang"] == "ja"
    outline = list(outline_titles(reader.outline))
    top = [t for d, t in outline if d == 0]
    assert {"目次", "図表一覧", "市場と産業", "診療報酬と薬剤費", "付録"} <= set(top)
    assert max(d for d, _ in outline) >= 2  # part (with its one chapter of the same title) → section → figure
    assert any(d == 1 and t.startswith("診療報酬：") for d, t in outline)  # the section, under its part
    assert any(d == 2 and t.startswith("図 K1 ") for d, t in outline)  # its figure, under the section
    uris, internal = [], 0
    dests = {str(name).lstrip("/") for name in reader.named_destinations}
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
            else:
                assert str(annot["/Dest"]).lstrip("/") in dests, annot  # links between printed parts resolve
                internal += 1
    assert uris and all(u.startswith(("http://", "https://")) for u in uris), [u for u in uris if "http" not in u[:5]]
    assert internal >= 150  # contents, list of figures, every 図/表 reference, every source
    assert_tagged(reader)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    compact = re.sub(r"\s+", "", text)
    assert "目次" in compact and "図表一覧" in compact and "図K1" in compact
    assert "file:" not in compact and "_build" not in compact and ".cache" not in compact
    assert "データ：figures/" not in compact and "default-data.zip" in compact
    contents = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-f", "2", "-l", "4", "-layout", str(pdf), "-"],
                                                 capture_output=True, text=True, check=True).stdout)
    assert re.search(r"診療報酬：CAR-T細胞療法と自家末梢血幹細胞移植の比較\d+", contents)  # with its page number
