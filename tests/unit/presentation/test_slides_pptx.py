"""regenpolicy.presentation.slides_pptx: the slide model written as PowerPoint and read back — real
text in BIZ UDPGothic, a native chart holding the series, the drawn SVG with its PNG fallback, a
PowerPoint table; A4 landscape when the profile asks for it."""

from __future__ import annotations

import io

from regenpolicy.presentation import deck as d
from tests.unit.presentation.test_deck import DATA, EDITION, NUMBERS, SPEC, info


def picture(fig: str) -> tuple[bytes, bytes, tuple[int, int]]:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(png, format="PNG")
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>', png.getvalue(), (40, 20)


def test_written_and_read_back(tmp_path):
    from pptx import Presentation

    from regenpolicy.presentation import slides_pptx  # (python-pptx: imported by the tests that write a deck)

    form = d.DeckFile.model_validate({"meeting": "中医協", "size": "a4", "slides": [
        {"slide": "title"}, {"slide": "figure", "figure": "M1"}, {"slide": "figure", "figure": "M9", "chart": "picture"},
        {"slide": "figure", "figure": "A2"}]})
    figures = {"M1": info(), "M9": info("M9"), "A2": info("A2", table=True)}
    slides = d.slides(form, EDITION, figures, NUMBERS)
    out = tmp_path / "deck.pptx"
    slides_pptx.write(slides, d.SIZES["a4"], out, EDITION.title, EDITION.author, picture)
    prs = Presentation(str(out))
    assert round(prs.slide_width / 914400, 2) == 11.69 and round(prs.slide_height / 914400, 2) == 8.27
    assert len(prs.slides) == len(slides)
    chart = next(s for s in prs.slides[1].shapes if s.has_chart).chart
    assert [(s.name, list(s.values)) for s in chart.plots[0].series] == [("細胞", [10.0, 20.0]), ("遺伝子", [5.0, 7.5])]
    assert chart.part.chart_workbook.xlsx_part is not None  # the data is embedded: editable in PowerPoint
    pic = next(s for s in prs.slides[2].shapes if s.name == "picture")
    assert "svgBlip" in pic._element.xml and pic.image.content_type == "image/png"
    table = next(s for s in prs.slides[3].shapes if s.has_table).table
    assert [c.text for c in table.rows[0].cells] == ["製品", "モダリティ"]
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= prs.slide_width and shape.top + shape.height <= prs.slide_height
            if shape.has_text_frame:
                for run in (r for p in shape.text_frame.paragraphs for r in p.runs):
                    assert run.font.name == "BIZ UDPGothic" and run._r.find(".//{*}ea").get("typeface") == "BIZ UDPGothic"
    assert DATA and SPEC


def test_hostile_strings_are_written_as_text(tmp_path):
    from pptx import Presentation

    from regenpolicy.presentation import slides_pptx
    from tests.hostile import payload

    s = payload(False)
    form = d.DeckFile.model_validate({"meeting": s[:60], "slides": [
        {"slide": "title"}, {"slide": "section", "title": s[:60]}, {"slide": "figure", "figure": "A2"},
        {"slide": "closing", "text": s[:100]}]})
    edition = d.Edition("e1", s[:500], "2026", s[:60], "javascript:alert(1)")
    table = d.FigureInfo(**{**info("A2", table=True).__dict__, "rows": [[s[:400], "x\x0by"]], "source": s})
    slides = d.slides(form, edition, {"A2": table}, NUMBERS)
    out = tmp_path / "deck.pptx"
    slides_pptx.write(slides, d.SIZES["16:9"], out, edition.title, edition.author, picture)
    prs = Presentation(str(out))
    assert prs.core_properties.title == s[:255]  # the format's limit; the title slide shows it whole
    shown = "\n".join(sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame)
    assert s[:500] in shown.replace("\n", "") or s[:500].replace("\n", "") in shown.replace("\n", "")
    cells = [c.text for sl in prs.slides for sh in sl.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    assert s[:400] in "".join(cells) and "x\ufffdy" in cells


def test_the_same_deck_is_the_same_bytes(tmp_path):
    import io
    import re
    import zipfile

    from regenpolicy.presentation import deck as d
    from regenpolicy.presentation import slides_pptx
    from regenpolicy.presentation.downloads import FIXED_DATE, FIXED_ISO

    chart = d.Chart("column_stacked", ["2020", "2025"], [("細胞", [10.0, 20.0]), ("遺伝子", [5.0, 7.5])])
    slide = d.Slide(number=1, declared=0, kind="figure", figure="M1", title="市場", texts=[],
                    body=d.Box(0.5, 1.6, 12.3, 4.5), chart=chart)
    first, second = tmp_path / "a.pptx", tmp_path / "b.pptx"
    slides_pptx.write([slide], (13.333, 7.5), first, "白書", "団体", lambda fig: (b"", b"", (1, 1)))
    slides_pptx.write([slide], (13.333, 7.5), second, "白書", "団体", lambda fig: (b"", b"", (1, 1)))
    assert first.read_bytes() == second.read_bytes()

    def undated(data: bytes) -> int:  # no clock anywhere: entry dates and document times fixed, inner workbooks too
        books = 0
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                assert info.date_time == FIXED_DATE, info.filename
                content = z.read(info.filename)
                if info.filename == "docProps/core.xml":
                    assert set(re.findall(rb"<dcterms:(?:created|modified)[^>]*>([^<]*)<", content)) == {FIXED_ISO.encode()}
                if info.filename.endswith(".xlsx"):
                    books += 1 + undated(content)
        return books

    assert undated(first.read_bytes()) == 1  # the native chart's workbook
