"""The PDF as a screen reader receives it: an independent PDF/UA-1 checker (``pdfua``) finds nothing,
each chart is one Figure whose alternative text is its title and description, and each printed table
is a tagged Table of rows of header and data cells."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pikepdf
from bs4 import BeautifulSoup
from pdfua import validate

from regenpolicy.builder import pdfjoin
from regenpolicy.builder.pdf import FIG_ATTRS, print_documents
from tests.conftest import ROOT


def elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element, in reading order."""
    return _walk(pdf.Root.StructTreeRoot.K)


def _walk(top: object) -> list[pikepdf.Dictionary]:
    out, stack = [], [top]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            out.append(node)
            kids = node.get("/K")
            if kids is not None:
                stack.extend(reversed(list(kids)) if isinstance(kids, pikepdf.Array) else [kids])
    return out


def kinds(element: pikepdf.Dictionary) -> list[str]:
    kids = element.get("/K")
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [str(k.S) for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def attributes(element: pikepdf.Dictionary) -> set[str]:
    """The names of an element's attributes (/A: one attribute dictionary or an array of them)."""
    a = element.get("/A")
    dicts = [x for x in a if isinstance(x, pikepdf.Dictionary)] if isinstance(a, pikepdf.Array) else [a] if a else []
    return {str(k) for d in dicts for k in d.keys()}  # noqa: SIM118 (a pikepdf Dictionary's keys)


def pdf_file(built: Path) -> Path:
    return built / "pdf" / "report.pdf"


def test_the_pdfua_checker_finds_no_error_and_no_warning(built):
    report = validate(str(pdf_file(built)))
    assert [(f.rule_id, f.severity.name, f.message) for f in report.findings][:10] == []
    assert report.exit_code == 0


def test_each_chart_is_one_figure_whose_alternative_text_is_its_title_and_description(built):
    _, documents = print_documents(built / "html", ROOT / "_toc.yml", {"title": ""}, "")
    body = "".join(d.body for d in documents[1:])
    charts = {html.unescape(i): html.unescape(t) for _, kind, i, t in FIG_ATTRS.findall(body) if kind == "図"}
    soup = BeautifulSoup(body, "html.parser")
    ranges = {}
    for box in soup.select(".regen-figure[data-regen-kind='図']"):
        alt = box.select_one(".regen-alt")
        found = re.search(r"値は ([^。]+)。", alt.get_text() if alt else "")
        ranges[box["data-regen-id"]] = found.group(1) if found else None
    assert len(charts) >= 15
    with pikepdf.open(pdf_file(built)) as pdf:
        figures = [e for e in elements(pdf) if pikepdf.Name.Figure == e.S]
        alts = [str(e.get("/Alt", "")) for e in figures]
    assert all(alts), "a Figure without alternative text"
    for fig_id, title in charts.items():
        mine = [a for a in alts if a.startswith(f"図 {fig_id}「{title}」。")]
        assert len(mine) == 1, f"図 {fig_id}: {len(mine)} Figures carry its alternative text"
        assert "下の「データ（表）」" not in mine[0]  # the site's pointer to a table print hides
        if ranges[fig_id]:
            assert f"値は {ranges[fig_id]}。" in mine[0]
    assert len(figures) == len(charts)  # no Figure besides the charts' (no empty or automatic ones)


def test_each_printed_table_is_a_tagged_table_of_header_and_data_cells(built):
    with pikepdf.open(pdf_file(built)) as pdf:
        everything = elements(pdf)
        tables = [e for e in everything if pikepdf.Name.Table == e.S]
        assert len(tables) >= 10
        for table in tables:
            rows = [k for k in kinds(table) if k != "/Caption"]
            groups = {"/THead", "/TBody", "/TFoot"}
            assert set(rows) <= {"/TR"} | groups, rows
        rows = [e for e in everything if e.S == pikepdf.Name.TR]
        assert all(kinds(r) and set(kinds(r)) <= {"/TH", "/TD"} for r in rows)
        headers = [e for e in everything if e.S == pikepdf.Name.TH]
        assert headers and all("/Scope" in attributes(h) for h in headers)
        cells = [e for e in everything if e.S == pikepdf.Name.TD]
        assert cells and sum("/Headers" in attributes(c) for c in cells) > len(cells) * 0.9
        # each id a cell names is a header cell's, found by the id tree (the joined parts' ids were renamed)
        ids = dict(pdfjoin._tree(pdf.Root.StructTreeRoot.IDTree, "/Names"))
        ids = {str(name): element for name, element in ids.items()}
        named = [str(h) for c in cells for a in ([c.A] if isinstance(c.get("/A"), pikepdf.Dictionary) else c.get("/A", []))
                 if isinstance(a, pikepdf.Dictionary) for h in a.get("/Headers", [])]
        assert len(named) > len(cells) * 0.9
        assert all(h in ids and ids[h].S == pikepdf.Name.TH for h in named), [h for h in named if h not in ids][:5]


def test_every_structure_type_is_defined_every_link_says_where_it_goes_and_the_xmp_names_pdfua(built):
    with pikepdf.open(pdf_file(built)) as pdf:
        mapped = {str(k).lstrip("/") for k in pdf.Root.StructTreeRoot.get("/RoleMap", {})}
        used = {str(e.S).lstrip("/") for e in elements(pdf)}
        assert used - pdfjoin.STANDARD_TYPES <= mapped
        links = [a for page in pdf.pages for a in page.obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]
        assert len(links) > 100 and all(str(a.get("/Contents", "")).strip() for a in links)
        inside = [str(a.Contents) for a in links if "/Dest" in a]
        assert inside and all(re.search(r"\d+ページ", c) for c in inside)
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1" and meta["dc:title"] and "ja" in str(meta["dc:language"])


def test_each_charts_data_table_is_a_tagged_table_after_its_figure(built):
    """A chart's Figure is followed by its data table (up to ``PRINT_TABLE_ROWS`` rows; a longer one is
    left to the data file the PDF names): a Table with a Caption and rows of header (TH) and data (TD)
    cells; every chart's Figure names numbers when its site description does (E1's band under its
    lines once hid them)."""
    _, documents = print_documents(built / "html", ROOT / "_toc.yml", {"title": ""}, "")
    printed = "".join(d.body for d in documents[1:]).count('<div class="regen-print-table">')
    assert printed >= 12
    with pikepdf.open(pdf_file(built)) as pdf:
        figures = [e for e in elements(pdf) if pikepdf.Name.Figure == e.S]
        alts = [str(e.get("/Alt", "")) for e in figures]
        followed = 0
        for figure in figures:
            # the chart's group (its title, the Figure, sources, notes, the data table) holds the Table
            siblings = kids(figure.P)
            after = [e for k in siblings[siblings.index(figure) + 1:] for e in elements_below(k)]
            tables = [e for e in after if pikepdf.Name.Table == e.S]
            if not tables:
                continue
            followed += 1
            assert "/Caption" in kinds(tables[0])
            rows = [e for e in elements_below(tables[0]) if pikepdf.Name.TR == e.S]
            assert rows and any("/TH" in kinds(r) for r in rows) and any("/TD" in kinds(r) for r in rows)
    assert followed == printed
    (e1,) = [a for a in alts if a.startswith("図 E1「")]
    assert re.search(r"値は [\d.,]+〜[\d.,]+。", e1), e1
    assert all(re.search(r"\d", a.split("」。", 1)[1]) for a in alts if "値は" in a)


def kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found = element.get("/K")
    found = list(found) if isinstance(found, pikepdf.Array) else [found] if found is not None else []
    return [k for k in found if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def elements_below(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """``element`` and every structure element below it, in reading order."""
    return _walk(element)
