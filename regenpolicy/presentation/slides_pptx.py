"""The deck as a PowerPoint file an analyst can edit (python-pptx).

Every text is a real text box in BIZ UDPGothic (declared for Latin and East Asian text), placed
where the slide model (``regenpolicy.presentation.deck``) puts it; a chart that maps onto
PowerPoint's (bars, stacked bars, lines, scatter) is a native chart whose data is embedded (an
Excel workbook inside the file), any other chart is the figure's drawn SVG with its PNG as the
fallback PowerPoint shows where SVG is not supported; a table is a PowerPoint table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_CONNECTOR
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.oxml.ns import qn
from pptx.util import Inches, Length, Pt

from regenpolicy.data.files import write_whole
from regenpolicy.presentation.deck import CELL_PAD, Box, Chart, Slide, Table, Text
from regenpolicy.presentation.downloads import stable_zip
from regenpolicy.presentation.fonts import FONT

KINDS = {"column": XL_CHART_TYPE.COLUMN_CLUSTERED, "column_stacked": XL_CHART_TYPE.COLUMN_STACKED,
         "bar": XL_CHART_TYPE.BAR_CLUSTERED, "bar_stacked": XL_CHART_TYPE.BAR_STACKED,
         "line": XL_CHART_TYPE.LINE_MARKERS, "scatter": XL_CHART_TYPE.XY_SCATTER}
PALETTE = ["1F5F8B", "3B8FC4", "7FB8DE", "E07B39", "C9A27E", "A5A5A5", "D9D9D9", "4D7C3A"]
RULED = ("figure", "table", "agenda", "proposals", "appendix")
SVG_EXT = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"
INK = RGBColor(0x22, 0x22, 0x22)
ACCENT = RGBColor(0x1F, 0x5F, 0x8B)


NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CORE_MAX = 255  # characters of a document property (title, author) the format allows


def _xml(text: str) -> str:
    """Text as the file can hold it: a character XML cannot carry shown as U+FFFD (the data layer refuses them first)."""
    return NOT_XML.sub("\ufffd", text)


def _font(run_font: object, size: float, bold: bool = False, color: RGBColor = INK) -> None:
    font = run_font
    font.name = FONT  # type: ignore[attr-defined]
    font.size = Pt(size)  # type: ignore[attr-defined]
    font.bold = bold  # type: ignore[attr-defined]
    font.color.rgb = color  # type: ignore[attr-defined]
    rpr = font._rPr  # type: ignore[attr-defined]  # the East Asian typeface, which python-pptx does not set
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = etree.SubElement(rpr, qn(tag))
        el.set("typeface", FONT)


def _box(b: Box) -> tuple[Length, Length, Length, Length]:
    return Inches(b.x), Inches(b.y), Inches(b.w), Inches(b.h)


def _text(slide: object, t: Text) -> None:
    shape = slide.shapes.add_textbox(*_box(t.box))  # type: ignore[attr-defined]
    shape.name = t.role
    frame = shape.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    frame.vertical_anchor = MSO_ANCHOR.TOP if t.role not in ("title",) else MSO_ANCHOR.MIDDLE
    for i, line in enumerate(t.text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}[t.align]
        run = para.add_run()
        run.text = _xml(line)
        _font(run.font, t.size, t.bold, ACCENT if t.role in ("headline", "title") else INK)
        if t.role == "link":
            run.hyperlink.address = _xml(t.text)


def _chart(slide: object, chart: Chart, box: Box) -> None:
    if chart.kind == "scatter":
        xy = XyChartData()
        for (name, ys), xs in zip(chart.series, chart.xs, strict=True):
            s = xy.add_series(_xml(name))
            for x, y in zip(xs, ys, strict=True):
                s.add_data_point(x, y)
        data: CategoryChartData | XyChartData = xy
    else:
        cat = CategoryChartData(number_format=chart.number_format)
        cat.categories = [_xml(c) for c in chart.categories]
        for name, values in chart.series:
            cat.add_series(_xml(name), values)
        data = cat
    graphic = slide.shapes.add_chart(KINDS[chart.kind], *_box(box), data)  # type: ignore[attr-defined]
    graphic.name = "chart"
    c = graphic.chart
    c.font.name = FONT
    c.font.size = Pt(11)
    c.has_legend = len(chart.series) > 1
    if c.has_legend:
        c.legend.position = XL_LEGEND_POSITION.BOTTOM
        c.legend.include_in_layout = False
    if chart.kind in ("column_stacked", "bar_stacked"):
        c.plots[0].gap_width = 60
        c.plots[0].overlap = 100
    for i, series in enumerate(c.plots[0].series):
        fill = series.format.fill if chart.kind != "line" else None
        color = RGBColor.from_string(chart.colors[i] if chart.colors else PALETTE[i % len(PALETTE)])
        if fill is not None and chart.kind != "scatter":
            fill.solid()
            fill.fore_color.rgb = color
        else:
            series.format.line.color.rgb = color
    for axis, title in ((c.category_axis, chart.x_title),
                        (c.value_axis, chart.y_title)):
        if title:
            axis.has_title = True
            axis.axis_title.text_frame.text = _xml(title)
            _font(axis.axis_title.text_frame.paragraphs[0].runs[0].font, 11)
    c.value_axis.has_major_gridlines = True
    c.value_axis.tick_labels.number_format = chart.number_format
    c.value_axis.tick_labels.number_format_is_linked = False


def _picture(slide: object, svg: bytes, png: bytes, box: Box, px: tuple[int, int]) -> None:
    """The drawn chart: PNG shown where SVG is not supported, the SVG (svgBlip) where it is."""
    w, h = px
    scale = min(box.w / w, box.h / h)
    width, height = w * scale, h * scale
    left, top = box.x + (box.w - width) / 2, box.y + (box.h - height) / 2
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top), Inches(width), Inches(height))  # type: ignore[attr-defined]
    pic.name = "picture"
    part = slide.part  # type: ignore[attr-defined]
    package = part.package
    uri = package.next_partname("/ppt/media/image%d.svg")
    svg_part = Part(PackURI(str(uri)), "image/svg+xml", package, svg)
    rid = part.relate_to(svg_part, RT.IMAGE)
    blip = pic._element.find(".//" + qn("a:blip"))
    ext_list = etree.SubElement(blip, qn("a:extLst"))
    ext = etree.SubElement(ext_list, qn("a:ext"), uri=SVG_EXT)
    svg_blip = etree.SubElement(ext, f"{{{SVG_NS}}}svgBlip", nsmap={"asvg": SVG_NS})
    svg_blip.set(qn("r:embed"), rid)


def _table(slide: object, table: Table, box: Box) -> None:
    rows, cols = len(table.rows) + 1, len(table.columns)
    shape = slide.shapes.add_table(rows, cols, *_box(Box(box.x, box.y, box.w, min(box.h, 0.3 * rows))))  # type: ignore[attr-defined]
    shape.name = "table"
    grid = shape.table
    for c, share in enumerate(table.widths):
        grid.columns[c].width = Inches(box.w * share)
    for r, row in enumerate([table.columns, *table.rows]):
        for c, value in enumerate(row):
            cell = grid.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(CELL_PAD / 2)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            frame = cell.text_frame
            frame.word_wrap = True
            for i, line in enumerate(str(value).split("\n")):
                para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                run = para.add_run()
                run.text = _xml(line)
                _font(run.font, table.size, bold=r == 0, color=RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else INK)


def write(slides: Sequence[Slide], size: tuple[float, float], out: Path, title: str, author: str,
          picture: Callable[[str], tuple[bytes, bytes, tuple[int, int]]]) -> None:
    """Write the deck to ``out``; ``picture(figure id)`` gives a chart's (SVG, PNG, PNG pixel size)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(size[0]), Inches(size[1])
    prs.core_properties.title = _xml(title)[:CORE_MAX]  # the slides show it whole
    prs.core_properties.author = _xml(author)[:CORE_MAX]
    blank = prs.slide_layouts[6]
    for s in slides:
        slide = prs.slides.add_slide(blank)
        # which declared slide this is (a long table continues on several): "<index> <kind> <figure>"
        slide._element.cSld.set("name", f"{s.declared} {s.kind} {s.figure}".strip())
        if s.kind in RULED:  # the line under the headline, as the PDF draws it
            line = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Inches(0.5), Inches(1.5),
                                              Inches(size[0] - 0.5), Inches(1.5))
            line.name = "rule"
            line.line.color.rgb = ACCENT
            line.line.width = Pt(1.5)
        for t in s.texts:
            _text(slide, t)
        if s.chart is not None and s.body is not None:
            _chart(slide, s.chart, s.body)
        elif s.picture and s.body is not None:
            svg, png, px = picture(s.picture)
            _picture(slide, svg, png, s.body, px)
        if s.table is not None and s.body is not None:
            _table(slide, s.table, s.body)
        if s.title:
            slide.notes_slide.notes_text_frame.text = _xml(f"{s.number}. {s.title}" + (f"\n{s.notes}" if s.notes else ""))
    # same inputs, same bytes: no clock in the file (python-pptx stamps the save time in the core
    # properties and in every zip entry; the native charts' workbooks carry theirs)
    buffer = io.BytesIO()
    prs.save(buffer)
    write_whole(out, lambda tmp: tmp.write_bytes(stable_zip(buffer.getvalue())))
