"""Issue 19, nothing lost on any surface: the PDF's cover, its bookmarks and page numbers, no text
below the print floor (chart text included), ids whose underscores show at 1×, and the caption
lines drawn into the chart downloads (Japanese line breaking)."""

from __future__ import annotations

import base64
import json
import subprocess
from collections import Counter
from pathlib import Path

import pikepdf
import pytest

from regenpolicy.builder import pdfjoin
from regenpolicy.presentation import downloads
from tests.conftest import SESSION_CACHE
from tests.hostile import CORPUS
from tests.unit.presentation.test_wrap import broken_rules

pytestmark = pytest.mark.build

BODY_FLOOR_PT = 8.0  # body, tables, chart labels
STAMP_FLOOR_PT = 7.0  # the running header and the page numbers
ROUNDING = 0.05  # Chromium writes 8 pt as 7.99


def _mul(a: list[float], b: list[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def text_sizes(owner, ctm=(1, 0, 0, 1, 0, 0), stamp=False, depth=0):
    """(size in pt, drawn by the page stamp) of every text-showing operator of a page or form,
    following the graphics state (cm, q/Q), the text matrix and the forms it draws (charts, the stamp)."""
    out = []
    ctm, stack, size, tm = list(ctm), [], 0.0, [1.0, 0, 0, 1, 0, 0]
    resources = owner.get("/Resources") or {}
    for operands, op in pikepdf.parse_content_stream(owner):
        op = str(op)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = _mul([float(x) for x in operands], ctm)
        elif op == "BT":
            tm = [1.0, 0, 0, 1, 0, 0]
        elif op == "Tf":
            size = float(operands[1])
        elif op == "Tm":
            tm = [float(x) for x in operands]
        elif op in ("Td", "TD"):
            tm = _mul([1, 0, 0, 1, float(operands[0]), float(operands[1])], tm)
        elif op in ("Tj", "TJ", "'", '"'):
            m = _mul(tm, ctm)
            out.append((size * (m[2] ** 2 + m[3] ** 2) ** 0.5, stamp))
        elif op == "Do" and depth < 8:
            name = str(operands[0])
            xobject = (resources.get("/XObject") or {}).get(name)
            if xobject is not None and xobject.get("/Subtype") == pikepdf.Name.Form:
                matrix = [float(x) for x in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                out += text_sizes(xobject, _mul(matrix, ctm), stamp or name == pdfjoin.STAMP, depth + 1)
    return out


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def report(built) -> Path:
    return built / "pdf" / "report.pdf"


@pytest.fixture(scope="module")
def sizes(report) -> list[list[tuple[float, bool]]]:
    with pikepdf.open(report) as pdf:
        return [text_sizes(page.obj) for page in pdf.pages]


def test_the_cover_has_no_running_header_or_page_number_and_its_title_is_the_largest_text(report, sizes):
    with pikepdf.open(report) as pdf:
        pages = len(pdf.pages)
        assert pdfjoin.STAMP not in pdf.pages[0].obj.Resources.get("/XObject", {})
        assert all(pdfjoin.STAMP in page.obj.Resources.XObject for page in pdf.pages[1:])
    cover = page_text(report, 1)
    assert f"/ {pages}" not in cover and "再生医療等製品の価格制度に関する白書" in cover
    assert f"2 / {pages}" in page_text(report, 2)  # the cover is still page 1
    body = Counter(round(s, 1) for page in sizes for s, stamp in page if not stamp).most_common(1)[0][0]
    title = max(s for s, _ in sizes[0])
    assert title >= 2 * body, (title, body)
    assert all(s <= title for page in sizes for s, _ in page if s > body)  # no heading outdoes the cover's title


def test_no_text_in_the_pdf_is_below_the_floor_charts_included(sizes):
    small = [(n, round(s, 2)) for n, page in enumerate(sizes, start=1) for s, stamp in page
             if s < (STAMP_FLOOR_PT if stamp else BODY_FLOOR_PT) - ROUNDING]
    assert small == [], sorted(Counter(small).items())[:20]
    assert any(stamp for page in sizes for _, stamp in page)  # the stamp's text was measured


def test_no_bookmark_repeats_its_parent_and_each_leads_to_its_numbered_page(report):
    with pikepdf.open(report) as pdf:
        index = {page.obj.objgen: n for n, page in enumerate(pdf.pages, start=1)}
        pages = len(pdf.pages)
        found = []

        def walk(items, parent):
            for item in items:
                assert item.title != parent, f"bookmark {item.title!r} repeats its parent"
                dest = item.destination
                if isinstance(dest, pikepdf.Name | str):
                    dest = pdf.Root.Dests[str(dest) if str(dest).startswith("/") else "/" + str(dest)]
                found.append((item.title, index[dest[0].objgen]))
                walk(item.children, item.title)

        with pdf.open_outline() as outline:
            walk(outline.root, None)
    assert len(found) > 30
    contents = (page_text(report, 2) + page_text(report, 3)).splitlines()
    listed = 0
    for title, page in found:
        assert f"{page} / {pages}" in page_text(report, page), title
        lines = [line for line in contents if line.strip().startswith(title) and line.rstrip()[-1].isdigit()]
        if lines:  # a page of the contents (目次): its printed number is the bookmark's page
            listed += 1
            assert lines[0].rstrip().endswith(f" {page}"), (title, lines[0])
    assert listed >= 30


def _ink(page, png: bytes) -> float:
    """How much darker than white a screenshot is (sum over pixels of 255 − grey), read by the browser."""
    return page.evaluate("""async (url) => { const img = new Image(); img.src = url; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
        let ink = 0; for (let i = 0; i < d.length; i += 4) ink += 255 - (d[i] + d[i + 1] + d[i + 2]) / 3; return ink; }""",
                         "data:image/png;base64," + base64.b64encode(png).decode())


def test_the_appendix_ids_show_their_underscores_at_1x(served, browser):
    """mhlw_fee_r4 read as "mhlw fee r4": BIZ UDPGothic's underscore is a short stroke on the
    baseline. Each underscore must add the ink of at least an eighth of an em of full black, compared
    with the same cell with no-break spaces for its underscores (BIZ UDPGothic's stroke gave 0.09 em,
    BIZ UDGothic's gives 0.15)."""
    page = browser.new_page(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    page.goto(f"{served}/notebooks/z1_data_appendix.html")
    page.evaluate("document.fonts.ready")
    for anchor in ("src-mhlw_fee_r4", "src-kenporen_2020_zolgensma"):
        cell = page.locator(f"#{anchor} th")
        cell.scroll_into_view_if_needed()
        text = cell.inner_text()
        assert "_" in text
        shown = _ink(page, cell.screenshot())
        cell.evaluate("(th) => { th.textContent = th.textContent.replaceAll('_', '\\u00a0'); }")
        spaced = _ink(page, cell.screenshot())
        cell.evaluate("(th, text) => { th.textContent = text; }", text)
        em = float(cell.evaluate("(th) => parseFloat(getComputedStyle(th).fontSize)"))
        per_underscore = (shown - spaced) / text.count("_")
        assert per_underscore >= em / 8 * 255, (anchor, per_underscore, em)
    page.close()


def test_the_pdfs_appendix_sets_the_ids_in_the_font_whose_underscore_shows(report):
    with pikepdf.open(report) as pdf:
        pages = len(pdf.pages)
    page = next(n for n in range(pages, 0, -1) if "mhlw_fee_r4" in page_text(report, n))
    fonts = subprocess.run(["pdffonts", "-f", str(page), "-l", str(page), str(report)], capture_output=True,
                           text=True, check=True).stdout
    assert "BIZUDGothic" in fonts, fonts


def _frames() -> list[dict]:
    """The drawn figures of the shipped data. The session's notebook cache is shared with the hostile
    build (test_security), whose captions are the attack corpus, not text a reader's caption rules apply to."""
    frames = {}
    for path in sorted(SESSION_CACHE[0].rglob("*.figure.json")):
        frame = json.loads(path.read_text(encoding="utf-8"))
        about = " ".join(str(v) for _, v in frame.get("about", []))
        if frame.get("image") and not any(line.strip() and line.strip() in about
                                           for s in CORPUS for line in s.splitlines()):
            frames[frame["id"]] = frame
    return list(frames.values())


def test_every_chart_downloads_caption_breaks_between_tokens_and_follows_kinsoku(built):
    frames = _frames()
    assert len(frames) >= 15
    for frame in frames:
        about = dict(frame["about"])
        title = frame["image"]["title"]["text"]
        assert title == downloads.wrap(about["図表"], 90) and broken_rules(title, about["図表"], 90) == [], title
        notes = [value["t"] for value in frame["image"]["vconcat"][1]["data"]["values"]]
        cited = f"出所：{about['出所']}"
        lines = downloads.wrap(cited)
        assert " ".join(lines) in " ".join(notes), frame["id"]
        assert broken_rules(lines, cited, 100) == [], (frame["id"], lines)
