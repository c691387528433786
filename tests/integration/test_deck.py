"""The submission deck of the FIRM 2023-07 edition, built for real with the edition and read back:
the PowerPoint file with python-pptx (slides in the declared order, headlines whose numbers are the
site's glue values, native charts whose series are the figure's published data, every text box on
its slide, BIZ UDPGothic declared) and the deck's PDF (one page and one bookmark per slide, fonts
embedded, every word on its page)."""

from __future__ import annotations

import json
import re
import string
import subprocess
from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Emu

from regenpolicy.builder.profile import load_profile
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.presentation import deck as model
from tests.conftest import ROOT

EDITION = "firm-2023-07"
NATIVE = {"M1": ("year", "modality", "value_oku_yen"), "A1": ("year", "modality", "cumulative")}


@pytest.fixture(scope="module")
def edition(editions_site: Path) -> Path:
    """The edition's own build, made (with its PDF and deck) by the session's build of every edition
    (``editions_site``, tests/integration/conftest.py): the same command as ``make report
    SUBMISSION=firm-2023-07``, whose output folder it is."""
    root = editions_site.parent
    log = (root.parent / "site.log").read_text(encoding="utf-8")
    (own,) = [part for part in log.split("[build] submission '")[1:] if part.startswith(f"{EDITION}'")]
    assert "\n[build] deck: " in own, own[-3000:]
    out = root / "editions" / EDITION
    # the oldest edition: built with no edition before it, as ``make report`` builds it alone
    assert not (out / "html" / "book" / "_generated" / "changes.html").exists()
    return out


@pytest.fixture(scope="module")
def profile():
    project = Project(ROOT)
    return load_profile(EDITION, project, load_registry(project))


@pytest.fixture(scope="module")
def prs(edition):
    return Presentation(str(edition / "html" / f"{EDITION}-deck.pptx"))


def texts(slide, role: str) -> list[str]:
    return [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.name == role]


def test_slides_in_the_declared_order(prs, profile, edition):
    def kind(fig: str) -> str:  # a table is published without a drawing
        return "figure" if (edition / "figures" / f"{fig}.svg").exists() else "table"

    declared = [f"{i} {kind(s.figure)} {s.figure}"
                if isinstance(s, model.FigureSlide) else f"{i} {s.slide}" for i, s in enumerate(profile.deck.slides)]
    names = [slide.name for slide in prs.slides]
    assert list(dict.fromkeys(names)) == declared  # a long table continues on the next slides
    assert names[0] == "0 title" and names[-1].endswith("appendix")
    footers = [texts(s, "footer") for s in prs.slides]
    assert [f[2] for f in footers] == [f"{n} / {len(prs.slides)}" for n in range(1, len(prs.slides) + 1)]
    assert all(f[1] == f"{EDITION}（2023-07）" for f in footers)
    for name, footer in zip(names, footers, strict=True):
        fig = name.split(" ")[2] if name.count(" ") == 2 else ""
        assert footer[0] == (f"{'表' if ' table ' in name else '図'} {fig}" if fig else "")


def test_every_number_in_a_headline_is_the_sites(prs, profile, edition):
    registry = load_registry(Project(ROOT))
    numbers = json.loads((edition / "meta" / "edition.json").read_text(encoding="utf-8"))["headlines"]
    figure_slides = [s for s in prs.slides if texts(s, "caption")]
    checked = 0
    for slide in figure_slides:
        fig = texts(slide, "footer")[0].split(" ")[-1]
        notebook = registry.figures[fig]
        template = registry.steps[notebook].figures[fig].headline
        headline = texts(slide, "headline")[0]
        expected = "".join(text + (format(numbers[notebook][name], spec) if name is not None else "")
                           for text, name, spec, _ in string.Formatter().parse(template))
        assert headline == expected
        # every number the reader sees in the headline is one of the glued values, none typed
        glued = [format(numbers[notebook][name], spec) for _, name, spec, _ in string.Formatter().parse(template)
                 if name is not None]
        rest = headline
        for value in glued:
            rest = rest.replace(value, "", 1)
        assert not re.search(r"\d", rest), (fig, rest)
        # and the site's page of the figure prints each glued value
        page = lxml.html.parse(str(edition / "html" / "notebooks" / f"{notebook}.html")).getroot().text_content()
        for _, name, spec, _ in string.Formatter().parse(template):
            if name is not None and f"`{name}:{spec}`" in (ROOT / "notebooks" / f"{notebook}.md").read_text(encoding="utf-8"):
                assert format(numbers[notebook][name], spec) in page, (fig, name)
        checked += 1
    assert checked >= 14


def test_native_charts_hold_the_figures_published_data(prs, edition):
    found = set()
    for slide in prs.slides:
        fig = (texts(slide, "footer") or [""])[0].split(" ")[-1]
        charts = [s for s in slide.shapes if s.has_chart]
        if fig not in NATIVE:
            continue
        assert charts, f"{fig} should be a native chart"
        x, series, value = NATIVE[fig]
        data = pd.read_csv(edition / "figures" / f"{fig}.data.csv")
        data.columns = [re.sub(r" \[.*\]$", "", c) for c in data.columns]
        expected = data.groupby([series, x], sort=False)[value].sum()
        chart = charts[0].chart
        categories = [str(c) for c in chart.plots[0].categories]
        assert categories == [str(c) for c in dict.fromkeys(data[x])]
        for s in chart.plots[0].series:
            got = dict(zip(categories, s.values, strict=True))
            want = {str(k): v for k, v in expected[s.name].items()}
            assert {k: v for k, v in got.items() if v is not None} == pytest.approx(want)
        found.add(fig)
    assert found == set(NATIVE)
    pictures = [s for slide in prs.slides for s in slide.shapes if s.name == "picture"]
    assert pictures and all(b"svgBlip" in p._element.xml.encode() for p in pictures)  # SVG with a PNG fallback


def test_text_is_real_text_in_biz_udpgothic_within_the_slide(prs):
    width, height = prs.slide_width, prs.slide_height
    assert abs(width / height - 16 / 9) < 0.01
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, shape.name
            if shape.has_text_frame:
                for p in shape.text_frame.paragraphs:
                    for r in p.runs:
                        assert r.font.name == "BIZ UDPGothic"
                        assert r._r.find(".//{*}ea").get("typeface") == "BIZ UDPGothic"
    tables = [s for slide in prs.slides for s in slide.shapes if s.has_table]
    assert tables and all(Emu(t.width) <= width for t in tables)


def test_the_pdf_has_one_page_and_bookmark_per_slide_and_no_text_off_its_page(prs, edition):
    import pikepdf

    pdf = edition / "html" / f"{EDITION}-deck.pdf"
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == len(prs.slides)
        with doc.open_outline() as outline:
            assert len(outline.root) == len(prs.slides)
        box = [float(v) for v in doc.pages[0].MediaBox]
    assert abs(box[2] / 72 - 13.333) < 0.01 and abs(box[3] / 72 - 7.5) < 0.01
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "BIZUDPGothic" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    words = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    tree = lxml.html.fromstring(words.encode())
    pages = tree.findall(".//page")
    assert len(pages) == len(prs.slides)
    for n, page in enumerate(pages, 1):
        w, h = float(page.get("width")), float(page.get("height"))
        page_words = page.findall("word")
        assert page_words, n
        for word in page_words:
            x0, y0, x1, y1 = (float(word.get(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            assert x0 >= 0 and x1 <= w and y0 >= 0 and y1 <= h, (n, word.text)
        # the footer's slide number is the last line of the page, inside it
        assert any(word.text == f"{n}" for word in page_words)


def test_the_pages_link_the_deck_beside_the_pdf(edition):
    page = lxml.html.parse(str(edition / "html" / "notebooks" / "m1_market.html")).getroot()
    links = [a.get("href") for a in page.iterfind(".//ul[@class='regen-site-links']/li/a")]
    assert links[:3] == ["../report.pdf", f"../{EDITION}-deck.pptx", f"../{EDITION}-deck.pdf"]
    assert all((edition / "html" / link.removeprefix("../")).is_file() for link in links[:3])
