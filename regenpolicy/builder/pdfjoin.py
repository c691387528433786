"""Join PDFs printed part by part into one tagged PDF, as if Chromium had printed it in one go.

Chromium prints each part of the edition (the front matter, the opening page, each part of the
book) to a PDF of its own, so that an edit reprints only the parts it changed and the parts print
in parallel. A part's links to another part cannot be resolved when it is printed alone (Chromium
drops a link whose target is not in the document), so the print page writes them as a web address
starting with a placeholder prefix (``pdf.LINK_PREFIX`` + anchor, handed to :func:`join` as
``link_prefix``) and :func:`join` turns them back into links inside the joined document.

Everything a reader or a screen reader relies on is carried over: the pages, the links (named
destinations), the bookmarks (nested as each part's), the tag structure (one Document element
holding every part's, with the parent tree, the ids and the page and annotation keys renumbered),
the language and the document information. The running header and page numbers are laid over
the pages last, from one printing of as many empty pages, since only the joined document knows
the page count. The joining is done by qpdf (pikepdf), which copies each page once and keeps the
references between the copied objects.

What Chromium's tagging leaves out for PDF/UA-1 is added here: every link annotation says where it
goes (``/Contents``: the target's title and page, or the web address), the structure types PDF 1.x
does not define (Chromium's ``Strong``, ``Em``) are mapped to standard ones (``/RoleMap``), and
the XMP metadata carries the title, the language and the PDF/UA identifier.
"""

from __future__ import annotations

import io
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

STAMP = "/RegenPageStamp"
# The structure types of PDF 1.7 (ISO 32000-1, 14.8.4); any other type a printer writes is mapped.
STANDARD_TYPES = frozenset([
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index", "NonStruct",
    "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH",
    "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot",
    "Ruby", "RB", "RT", "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"])
ROLE_MAP = {"Strong": "Span", "Em": "Span", "Sub": "Span", "Title": "H1", "FENote": "Note",
            "Aside": "Div", "Artifact": "NonStruct"}  # PDF 2.0's types, as PDF 1.7 reads them
Outline = list[tuple[str, Any, list[Any]]]


def _tree(node: Any, key: str) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a PDF number tree (``key="/Nums"``) or name tree (``"/Names"``)."""
    out: list[tuple[Any, Any]] = []
    if key in node:
        pairs = node[key]
        out += [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    for kid in node.get("/Kids", []):
        out += _tree(kid, key)
    return out


def _dests(pdf: Pdf) -> dict[str, Any]:
    """Name → destination array of every named destination (Chromium writes the catalog's /Dests)."""
    out: dict[str, Any] = {}
    if "/Dests" in pdf.Root:
        out.update({str(k).lstrip("/"): v for k, v in pdf.Root.Dests.items()})
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        for name, value in _tree(pdf.Root.Names.Dests, "/Names"):
            out[str(name)] = value.D if isinstance(value, Dictionary) else value
    return out


def layout(path: Path) -> tuple[int, dict[str, int]]:
    """A printed document's page count and the page (0-based) of each of its named destinations."""
    with pikepdf.open(path) as pdf:
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        return len(pdf.pages), {name: index[dest[0].objgen] for name, dest in _dests(pdf).items()
                                if dest[0].objgen in index}


def _outline(items: Any) -> Outline:
    return [(str(item.title), item.destination, _outline(item.children)) for item in items]


def _set_parents(element: Any) -> None:
    """Point every structure element below ``element`` to its parent."""
    kids = element.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, Array) else [kids]:
        if isinstance(kid, Dictionary) and "/S" in kid:
            kid.P = element
            _set_parents(kid)


def _reparent(value: Any, olds: set[Any], document: Any) -> Any:
    """A parent tree value (an element, or an array of them) with the parts' Document elements replaced."""
    if isinstance(value, Array):
        return Array([document if getattr(v, "objgen", None) in olds else v for v in value])
    return document if getattr(value, "objgen", None) in olds else value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Array) else [value]


@dataclass
class _Joined:
    """What the parts bring to the joined document, collected part by part."""

    pdf: Pdf
    dests: dict[str, Any] = field(default_factory=dict)
    outline: Outline = field(default_factory=list)
    structure: list[Any] = field(default_factory=list)  # each part's Document element, as copied
    parent_tree: list[tuple[int, Any]] = field(default_factory=list)
    ids: list[tuple[str, Any]] = field(default_factory=list)
    next_key: int = 0
    lang: str = "ja"

    def add(self, n: int, src: Pdf) -> None:
        """Part ``n``: its pages (with their structure keys moved past the earlier parts'), its named
        destinations and bookmarks (pointing to the copied pages) and its tag structure."""
        pdf, offset, start = self.pdf, self.next_key, len(self.pdf.pages)
        self.lang = str(src.Root.get("/Lang", self.lang))
        with warnings.catch_warnings():  # the named destinations are carried over below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            pdf.pages.extend(src.pages)
        for page in pdf.pages[start:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        index = {page.obj.objgen: pdf.pages[start + i].obj for i, page in enumerate(src.pages)}

        def moved(dest: Any) -> Any:
            """A destination [page, /XYZ, left, top, zoom] pointing to the copied page."""
            if not isinstance(dest, Array) or len(dest) == 0 or dest[0].objgen not in index:
                return None
            return Array([index[dest[0].objgen], *list(dest)[1:]])

        def moved_outline(items: Outline) -> Outline:
            return [(t, moved(d), moved_outline(kids)) for t, d, kids in items]

        self.dests.update({k: d for k, d in ((k, moved(v)) for k, v in _dests(src).items()) if d is not None})
        with src.open_outline() as o:
            self.outline += moved_outline(_outline(o.root))
        if "/StructTreeRoot" in src.Root:
            self._add_structure(n, pdf.copy_foreign(src.Root.StructTreeRoot), offset)

    def _add_structure(self, n: int, tree: Any, offset: int) -> None:
        self.next_key = offset + int(tree.get("/ParentTreeNextKey", 0))
        if tree.get("/K") is not None:
            self.structure += _as_list(tree.K)
        if "/ParentTree" in tree:
            self.parent_tree += [(int(key) + offset, value) for key, value in _tree(tree.ParentTree, "/Nums")]
        # Chromium names each element by a counter of its renderer ("node00000105"), which starts
        # wherever the documents printed before left it: the same part gets other names in another
        # build, and the joined file other bytes. Renamed here by their order in the part (the order
        # of those counters), prefixed with the part's number: unique, and the same in every build.
        # A table cell names its header cells by these ids (/Headers): renamed alike.
        pairs = _tree(tree.IDTree, "/Names") if "/IDTree" in tree else []
        names = {str(old): f"p{n}-e{i:06d}"
                 for i, (old, _) in enumerate(sorted(pairs, key=lambda pair: (len(str(pair[0])), str(pair[0]))))}
        for old, element in pairs:
            if "/ID" in element:
                element.ID = pikepdf.String(names[str(old)])
            self.ids.append((names[str(old)], element))
        for element in _elements(tree.get("/K")):
            attributes = element.get("/A")
            for owner in attributes if isinstance(attributes, Array) else [attributes]:
                if isinstance(owner, Dictionary) and isinstance(owner.get("/Headers"), Array):
                    owner.Headers = Array([pikepdf.String(names.get(str(h), str(h))) for h in owner.Headers])

    def resolve_links(self, link_prefix: str) -> None:
        """Links between parts: the address placeholders become links to the named destinations."""
        for page in self.pdf.pages:
            for annot in page.obj.get("/Annots", []):
                uri = str(annot.A.get("/URI", "")) if "/A" in annot else ""
                if uri.startswith(link_prefix):
                    name = unquote(uri[len(link_prefix):])
                    del annot.A
                    if name in self.dests:
                        annot.Dest = Name("/" + name)
                    else:
                        annot.Rect = Array([0, 0, 0, 0])  # nowhere to go: inert
        self.pdf.Root.Dests = self.pdf.make_indirect(Dictionary({"/" + k: v for k, v in sorted(self.dests.items())}))

    def describe_links(self, labels: dict[str, str]) -> None:
        """Every link annotation's ``/Contents``: where it goes (PDF/UA-1 7.18.5), as a screen reader
        announces it: the target's title (``labels``: destination name → title) and page, or the address."""
        pages = {page.obj.objgen: n for n, page in enumerate(self.pdf.pages, start=1)}
        for page in self.pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != Name.Link:
                    continue
                action = annot.get("/A")
                dest = annot.get("/Dest")
                if isinstance(action, Dictionary) and action.get("/S") == Name.GoTo:
                    dest = action.get("/D")
                if isinstance(action, Dictionary) and "/URI" in action:
                    text = f"ウェブ：{action.URI}"
                elif dest is not None:
                    name = str(dest).lstrip("/") if not isinstance(dest, Array) else ""
                    target = self.dests.get(name) if name else dest
                    where = pages.get(target[0].objgen) if isinstance(target, Array) and len(target) else None
                    title = labels.get(name, "")
                    text = "、".join(x for x in (title, f"{where}ページ" if where else "") if x) or "文書内"
                    text = f"文書内：{text}"
                else:
                    text = "リンク先なし"
                annot.Contents = pikepdf.String(text)

    def merge_structure(self) -> None:
        """One Document element holding every part's structure, with one parent tree and id tree."""
        pdf = self.pdf
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document,
                                                Lang=pikepdf.String(self.lang), P=root))
        olds = {d.objgen for d in self.structure if d.get("/S") == Name.Document}
        kids = Array()
        for element in self.structure:
            inner = element.get("/K") if element.get("/S") == Name.Document else None
            kids.extend([element] if inner is None else _as_list(inner))
        document.K = kids
        _caption_tables(pdf, document)
        _set_parents(document)

        root.K = document
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(
            [x for key, value in sorted(self.parent_tree, key=lambda kv: kv[0])
             for x in (key, _reparent(value, olds, document))])))
        root.ParentTreeNextKey = self.next_key
        if self.ids:
            root.IDTree = pdf.make_indirect(Dictionary(Names=Array(
                [x for name, element in sorted(self.ids, key=lambda kv: kv[0]) for x in (pikepdf.String(name), element)])))
        used = _types(document)
        unknown = sorted(t for t in used if t not in STANDARD_TYPES and t not in ROLE_MAP)
        if unknown:
            raise ValueError(f"structure types PDF 1.7 does not define and no mapping for: {', '.join(unknown)}")
        mapped = {k: v for k, v in ROLE_MAP.items() if k in used}
        if mapped:
            root.RoleMap = Dictionary({"/" + k: Name("/" + v) for k, v in sorted(mapped.items())})
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = Dictionary(Marked=True)


def _kids(node: Any) -> list[Any]:
    """A structure element's kids (/K: one kid or an array of them)."""
    kids = node.get("/K")
    return list(kids) if isinstance(kids, Array) else [] if kids is None else [kids]


ROWS = {"/TR", "/THead", "/TBody", "/TFoot", "/Caption"}


def _caption_tables(pdf: Pdf, element: Any) -> None:
    """A table's title as its Caption: Chromium tags a ``<caption>`` holding a heading as the bare
    heading inside the Table, where only rows (and a caption) belong; those elements are wrapped in
    one Caption element, in the place of the first."""
    stack = [element]
    while stack:
        node = stack.pop()
        if not (isinstance(node, Dictionary) and "/S" in node):
            continue
        kids = _kids(node)
        stack.extend(kids)
        if Name.Table != node.S:
            continue
        loose = [i for i, k in enumerate(kids) if isinstance(k, Dictionary) and "/S" in k and str(k.S) not in ROWS]
        if not loose:
            continue
        caption = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Caption, P=node,
                                               K=Array([kids[i] for i in loose])))
        rest = [k for i, k in enumerate(kids) if i not in loose]
        node.K = Array([*rest[:loose[0]], caption, *rest[loose[0]:]])


def _elements(element: Any) -> list[Any]:
    """The structure elements at and below ``element`` (one, or an array of them)."""
    out: list[Any] = []
    stack = list(element) if isinstance(element, Array) else [element]
    while stack:
        node = stack.pop()
        if isinstance(node, Dictionary) and "/S" in node:
            out.append(node)
            stack.extend(_kids(node))
    return out


def _types(element: Any) -> set[str]:
    """The structure types used at and below ``element``."""
    return {str(node.S).lstrip("/") for node in _elements(element)}


XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>
<dc:format>application/pdf</dc:format>
<pdf:Keywords>{keywords}</pdf:Keywords>
<xmp:CreatorTool>{creator}</xmp:CreatorTool>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def xmp(info: dict[str, str], lang: str) -> bytes:
    """The XMP metadata packet: the document information as Dublin Core, the language and the
    PDF/UA-1 identifier (written by hand, so the same inputs give the same bytes: no dates)."""
    def field(key: str) -> str:
        return escape(info.get(key, ""))
    return XMP.format(title=field("/Title"), author=field("/Author"), subject=field("/Subject"),
                      keywords=field("/Keywords"), creator=field("/Creator"), lang=escape(lang)).encode("utf-8")


def _stamp(pdf: Pdf, stamps: Pdf, bare: int = 0) -> None:
    """The running header and page numbers over every page but the first ``bare`` (the cover): each
    stamp page as a form drawn over the page, marked as pagination (not content) for assistive
    technology; a fixed resource name keeps the output byte for byte the same. A page keeps its
    number when an earlier one is bare (the cover is page 1, as the contents count it)."""
    if len(stamps.pages) != len(pdf.pages):
        raise ValueError(f"overlay has {len(stamps.pages)} pages for {len(pdf.pages)}")
    for page, stamp in list(zip(pdf.pages, stamps.pages, strict=True))[bare:]:
        form = pdf.copy_foreign(stamp.as_form_xobject())
        if "/Resources" not in page.obj:
            page.obj.Resources = Dictionary()
        if "/XObject" not in page.obj.Resources:
            page.obj.Resources.XObject = Dictionary()
        page.obj.Resources.XObject[STAMP] = form
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(f"Q\n/Artifact BMC q {STAMP} Do Q EMC\n".encode()))


def _items(items: Outline) -> list[pikepdf.OutlineItem]:
    out = []
    for title, dest, kids in items:
        item = pikepdf.OutlineItem(title, dest)
        item.children.extend(_items(kids))
        out.append(item)
    return out


def join(parts: list[Path], out: Path, *, overlay: Path | None, info: dict[str, str], link_prefix: str,
         labels: dict[str, str] | None = None, bare: int = 0, fonts: FontStore | None = None) -> int:
    """Join the printed ``parts`` into ``out`` (written atomically); return its page count. Links to
    ``link_prefix`` + name become links to the named destination ``name`` of any part; ``labels``
    (destination name → title) are what the links' descriptions call their targets; the first
    ``bare`` pages (the cover) get no running header or page number from ``overlay``; ``fonts``
    keeps the merged font files of earlier joins (``FontStore``)."""
    sources: list[Pdf] = []  # qpdf copies stream data when saving: the sources stay open till then
    pdf = Pdf.new()
    try:
        joined = _Joined(pdf)
        for n, path in enumerate(parts):
            sources.append(Pdf.open(path))
            joined.add(n, sources[-1])
        joined.resolve_links(link_prefix)
        joined.describe_links(labels or {})
        if joined.structure:
            joined.merge_structure()
        pdf.Root.Lang = pikepdf.String(joined.lang)
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        pdf.Root.PageMode = Name.UseOutlines
        with pdf.open_outline() as o:  # bookmarks, nested as each part printed them
            o.root.extend(_items(joined.outline))
        if overlay is not None:
            sources.append(Pdf.open(overlay))
            _stamp(pdf, sources[-1], bare)
        pdf.docinfo = pdf.make_indirect(Dictionary({k: pikepdf.String(v) for k, v in info.items()}))
        pdf.Root.Metadata = pdf.make_stream(xmp(info, joined.lang), Type=Name.Metadata, Subtype=Name.XML)
        share_fonts(pdf, fonts)  # one font file per typeface, not one per printed part
        tmp = out.with_name(out.name + ".tmp")
        pdf.save(tmp, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        tmp.replace(out)
        return len(pdf.pages)
    finally:
        pdf.close()
        for src in sources:
            src.close()


# One embedded font file per typeface (``share_fonts``, called by ``join``).
#
# Chromium embeds, in each PDF it prints, a subset of every font it used. The report is printed in
# parts and the deck slide by slide, so the joined PDF carried one subset per part and typeface: the
# deck 88 copies of BIZ UDPGothic (2.9 MB of its 3.1 MB). Chromium's subsetter keeps the glyph ids
# (HarfBuzz's "retain glyph ids": a subset is the whole font's glyph table with only the glyphs used
# filled in), so the subsets of one typeface fit together: their glyphs are put into one font file
# (fontTools) that every part's font then embeds. Nothing else of the fonts changes — their names,
# widths (``/W``), ``/ToUnicode`` maps and the text's glyph ids stay as Chromium wrote them.
#
# A typeface's subsets are merged only when they agree: the same units per em, and every glyph id
# that two of them fill holds the same outline in both; otherwise they are left as they were.
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def _family(descriptor: Any) -> str:
    return SUBSET_TAG.sub("", str(descriptor.FontName).lstrip("/"))


def _glyph_data(font: Any) -> list[bytes]:
    """Each glyph's outline as stored in a TrueType font (by glyph id; empty for a glyph the subset left
    out), read from its ``loca`` and ``glyf`` tables without making a glyph object of each."""
    import array

    loca = array.array("H" if font["head"].indexToLocFormat == 0 else "I", font.reader["loca"])
    if sys.byteorder == "little":
        loca.byteswap()
    scale = 2 if font["head"].indexToLocFormat == 0 else 1
    glyf = font.reader["glyf"]
    count = font["maxp"].numGlyphs
    return [glyf[loca[i] * scale:loca[i + 1] * scale] for i in range(min(count, len(loca) - 1))]


def _metrics(font: Any, tag: str) -> list[tuple[int, int]]:
    """(advance, side bearing) of each glyph id, read from a font's raw ``hmtx`` or ``vmtx`` (without
    decompiling the table, which makes a dictionary entry of each of the font's ~20,000 glyph ids)."""
    import array

    count = getattr(font["hhea" if tag == "hmtx" else "vhea"], "numberOfHMetrics" if tag == "hmtx" else "numberOfVMetrics")
    glyphs = font["maxp"].numGlyphs
    raw = font.reader[tag]
    pairs, bearings = array.array("h", raw[:4 * count]), array.array("h", raw[4 * count:4 * count + 2 * (glyphs - count)])
    if sys.byteorder == "little":
        pairs.byteswap()
        bearings.byteswap()
    advances = [a & 0xFFFF for a in pairs[0::2]]
    return list(zip(advances, pairs[1::2], strict=True)) + [(advances[-1], b) for b in bearings]


def _recalc(font: Any, filled: dict[int, bytes], order: list[str]) -> None:
    """What fontTools recalculates from every glyph when it writes a font (``recalcBBoxes``: the font's
    bounds and flag bit 1 in ``head``, the point and contour maxima in ``maxp``, the side bearing and
    extent extremes in ``hhea`` and ``vhea``), computed as it does, from the headers of the glyphs as
    stored rather than by decompiling each glyph's outline: only a composite glyph is decompiled."""
    import struct

    head, maxp, glyf = font["head"], font["maxp"], font["glyf"]
    hmtx = font["hmtx"]
    vmtx = font["vmtx"] if "vmtx" in font and "vhea" in font else None
    big = 100000
    x0 = y0 = big
    x1 = y1 = -big
    points = contours = c_points = c_contours = elements = depth = 0
    lsb_is_xmin = True
    widths: dict[str, int] = {}
    heights: dict[str, int] = {}
    cache: dict[str, Any] = {}
    for gid, data in filled.items():
        if len(data) < 10:
            continue
        name = order[gid]
        n, gx0, gy0, gx1, gy1 = struct.unpack(">hhhhh", data[:10])
        if n == 0:
            continue
        if hmtx[name][1] != gx0:
            lsb_is_xmin = False
        x0, y0, x1, y1 = min(x0, gx0), min(y0, gy0), max(x1, gx1), max(y1, gy1)
        widths[name], heights[name] = gx1 - gx0, gy1 - gy0
        if n > 0:
            points = max(points, struct.unpack(">H", data[10 + 2 * (n - 1):12 + 2 * (n - 1)])[0] + 1)
            contours = max(contours, n)
        else:
            glyph = glyf[name]
            p, c, d = glyph.getCompositeMaxpValues(glyf, maxpValuesCache=cache)
            c_points, c_contours = max(c_points, p), max(c_contours, c)
            elements, depth = max(elements, len(glyph.components)), max(depth, d)
    head.xMin, head.yMin, head.xMax, head.yMax = (x0, y0, x1, y1) if x0 != big else (0, 0, 0, 0)
    head.flags = head.flags | 0x2 if lsb_is_xmin else head.flags & ~0x2
    if maxp.tableVersion != 0x00005000:
        maxp.maxPoints, maxp.maxContours = points, contours
        maxp.maxCompositePoints, maxp.maxCompositeContours = c_points, c_contours
        maxp.maxComponentElements, maxp.maxComponentDepth = elements, depth
    _extremes(font["hhea"], hmtx, widths, ("advanceWidthMax", "minLeftSideBearing", "minRightSideBearing", "xMaxExtent"))
    if vmtx is not None:
        _extremes(font["vhea"], vmtx, heights, ("advanceHeightMax", "minTopSideBearing", "minBottomSideBearing", "yMaxExtent"))


def _extremes(table: Any, metrics: Any, sizes: dict[str, int], names: tuple[str, str, str, str]) -> None:
    """``hhea``'s (or ``vhea``'s) largest advance, smallest side bearings and largest extent, as
    fontTools' ``recalc`` computes them from the metrics and each outlined glyph's width (height)."""
    most, first, last, extent = names
    setattr(table, most, max(advance for advance, _ in metrics.metrics.values()))
    sides = [(metrics[name][1], metrics[name][0] - metrics[name][1] - size, metrics[name][1] + size)
             for name, size in sizes.items()]
    setattr(table, first, min((s[0] for s in sides), default=0))
    setattr(table, last, min((s[1] for s in sides), default=0))
    setattr(table, extent, max((s[2] for s in sides), default=0))


def merged_font(fonts: list[bytes]) -> bytes | None:
    """The subsets of one TrueType font (glyph ids kept) as one font file; None if they do not fit.

    Glyphs are compared by the bytes they are stored as and, only when those differ (a subset may pad
    a glyph), by their outlines as fontTools writes them, each distinct glyph decompiled once. The merged
    font keeps each glyph's bytes as its subset stored them; the values fontTools would recompute from
    every decompiled glyph on writing (bounds, maxima) are computed from the glyphs' headers (``_recalc``),
    and the other subsets' metrics read from their raw tables: decompiling every glyph took most of the
    time the joined PDFs took, and writing the merged font by fontTools' own recalculation still took
    most of the rest (the report's fonts: 1.3 s with it, 0.6 s now; the same glyphs, metrics and values)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    opened = [TTFont(io.BytesIO(data), recalcBBoxes=False) for data in fonts]
    base = max(opened, key=lambda f: (f["maxp"].numGlyphs, -opened.index(f)))
    base.recalcTimestamp = False  # the same parts give the same bytes
    if len({f["head"].unitsPerEm for f in opened}) != 1:
        return None
    order = base.getGlyphOrder()
    glyf = base["glyf"]
    normal: dict[bytes, bytes] = {}

    def outline(data: bytes) -> bytes:
        """The glyph decompiled and compiled again, bounds as stored (empty: no contours)."""
        if data not in normal:
            glyph = Glyph(data)
            glyph.expand(glyf)
            normal[data] = bytes(glyph.compile(glyf, recalcBBoxes=False) or b"")
        return normal[data]

    def stored(font: Any) -> list[bytes]:
        # a glyph of a header only (10 bytes) and no contours is empty, as fontTools writes it
        return [d if len(d) > 10 or not d else outline(d) for d in _glyph_data(font)]

    filled = dict(enumerate(stored(base)))
    filled.update(dict.fromkeys(range(len(filled), len(order)), b""))
    tables = [t for t in ("hmtx", "vmtx") if t in base]
    for font in opened:
        if font is base:
            continue
        metrics = {t: _metrics(font, t) for t in tables if t in font and ("hhea" if t == "hmtx" else "vhea") in font}
        for gid, data in enumerate(stored(font)):
            if not data:
                continue
            if gid >= len(order):
                return None
            if filled[gid]:
                if filled[gid] != data and outline(filled[gid]) != outline(data):
                    return None  # the same id holds another glyph: not the same font's ids
                continue
            filled[gid] = data
            glyf.glyphs[order[gid]] = Glyph(data)
            for table, values in metrics.items():
                base[table][order[gid]] = values[gid]
    for gid, data in filled.items():  # a glyph of a header only written empty, as fontTools writes it
        if not data and getattr(glyf.glyphs[order[gid]], "data", None):
            glyf.glyphs[order[gid]] = Glyph(b"")
    _recalc(base, filled, order)
    out = io.BytesIO()
    base.save(out, reorderTables=False)
    return out.getvalue()


class FontStore:
    """The merged font files of earlier joins, by what they were merged from (``merged_font`` is a
    function of its subsets' bytes alone): an edit reprints a part or two whose subsets are, as a rule,
    byte for byte the ones of the last build, and merging them again took most of the joining time
    (4 of ~6 CPU-s in the report's join). Each file is named by the SHA-256 of the subsets' SHA-256s
    in order, together with fontTools' version and ``VERSION``, and written whole (renamed into place),
    so that a build reading at the same time finds it complete or not at all; a merge that did not fit
    (None) is remembered as an empty file. ``prune`` forgets the files no join has used for a while."""

    VERSION = "2"  # raise when merged_font's output changes for the same input

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[Path] = set()

    def merged(self, fonts: list[bytes]) -> bytes | None:
        import hashlib
        import os

        from fontTools import version as fonttools

        digest = hashlib.sha256(f"{self.VERSION} {fonttools} {len(fonts)}".encode())
        for data in fonts:
            digest.update(hashlib.sha256(data).digest())
        file = self.folder / f"{digest.hexdigest()}.ttf"
        self.used.add(file)
        try:
            stored = file.read_bytes()
            os.utime(file)
            return stored or None
        except OSError:
            pass
        merged = merged_font(fonts)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_bytes(merged or b"")
        tmp.replace(file)
        return merged

    def prune(self, keep_seconds: float = 3600) -> None:
        """Forget the files no join of this store used, once none has for ``keep_seconds`` (another
        build sharing the cache may be about to use them)."""
        prune_unused(self.folder.glob("*.ttf"), self.used, keep_seconds)


def prune_unused(files: Iterable[Path], used: set[Path], keep_seconds: float) -> None:
    """Delete each of ``files`` (a file, or a cache entry's folder) not in ``used`` that was last written
    (or read back, which touches it) more than ``keep_seconds`` ago: a cache shared by builds
    (``--cache-dir``) keeps what another build may be about to use."""
    import shutil
    import time

    for file in files:
        try:
            old = file not in used and time.time() - file.stat().st_mtime > keep_seconds
        except OSError:
            continue
        if not old:
            continue
        if file.is_dir() and not file.is_symlink():
            shutil.rmtree(file, ignore_errors=True)
        else:
            file.unlink(missing_ok=True)


def share_fonts(pdf: Pdf, store: FontStore | None = None) -> int:
    """Every typeface's embedded subsets (``/FontFile2``) replaced by one merged font file (from
    ``store`` when an earlier join merged the same subsets); return the number of font files the PDF
    no longer carries."""
    groups: dict[str, list[Any]] = {}
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == Name.FontDescriptor and "/FontFile2" in obj:
            groups.setdefault(_family(obj), []).append(obj)
    removed = 0
    for _, descriptors in sorted(groups.items()):
        streams: dict[tuple[int, int], Any] = {}
        for d in descriptors:
            streams.setdefault(d.FontFile2.objgen, d.FontFile2)
        if len(streams) < 2:
            continue
        subsets = [s.read_bytes() for s in streams.values()]
        data = store.merged(subsets) if store is not None else merged_font(subsets)
        if data is None:
            continue
        stream = pdf.make_stream(data)
        stream.Length1 = len(data)
        for d in descriptors:
            d.FontFile2 = stream
            if "/CIDSet" in d:  # which glyphs the file has: no longer only this part's
                del d["/CIDSet"]
        removed += len(streams) - 1
    return removed
