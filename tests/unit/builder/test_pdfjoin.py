"""Joining the parts printed one by one: links between parts, page stamps, and no import of pdf.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Pdf

from regenpolicy.builder import pdfjoin

PREFIX = "https://regen-print.invalid/#"


def part(path: Path, *, links: list[str] = (), dests: list[str] = (), pages: int = 1) -> Path:
    """A printed part as Chromium writes one: pages, link annotations to addresses, named destinations."""
    pdf = Pdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    annots = [pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 10, 10]),
                                           A=Dictionary(S=Name.URI, URI=pikepdf.String(uri)))) for uri in links]
    if annots:
        pdf.pages[0].obj.Annots = Array(annots)
    if dests:
        pdf.Root.Dests = Dictionary({"/" + d: Array([pdf.pages[0].obj, Name.XYZ, 0, 200, 0]) for d in dests})
    pdf.save(path)
    return path


def test_links_between_parts_point_to_the_other_parts_pages(tmp_path):
    a = part(tmp_path / "a.pdf", links=[PREFIX + "fig-k1", PREFIX + "nowhere", "https://www.mhlw.go.jp/"])
    b = part(tmp_path / "b.pdf", dests=["fig-k1"], pages=2)
    out = tmp_path / "joined.pdf"
    assert pdfjoin.join([a, b], out, overlay=None, info={"/Title": "白書"}, link_prefix=PREFIX) == 3
    with pikepdf.open(out) as pdf:
        to_k1, nowhere, web = pdf.pages[0].obj.Annots
        assert to_k1.Dest == Name("/fig-k1") and "/A" not in to_k1
        assert pdf.Root.Dests["/fig-k1"][0].objgen == pdf.pages[1].obj.objgen  # b's first page, now the second
        assert list(nowhere.Rect) == [0, 0, 0, 0] and "/A" not in nowhere  # inert, not a broken address
        assert str(web.A.URI) == "https://www.mhlw.go.jp/"
        assert str(pdf.docinfo.Title) == "白書" and str(pdf.Root.Lang) == "ja"
    assert pdfjoin.layout(out) == (3, {"fig-k1": 1})


def test_the_page_stamp_must_have_one_page_for_each_page(tmp_path):
    a = part(tmp_path / "a.pdf", pages=2)
    stamp = part(tmp_path / "stamp.pdf", pages=1)
    with pytest.raises(ValueError, match="overlay has 1 pages for 2"):
        pdfjoin.join([a], tmp_path / "x.pdf", overlay=stamp, info={}, link_prefix=PREFIX)
    stamp = part(tmp_path / "stamp.pdf", pages=2)
    pdfjoin.join([a], tmp_path / "x.pdf", overlay=stamp, info={}, link_prefix=PREFIX)
    with pikepdf.open(tmp_path / "x.pdf") as pdf:
        assert all(pdfjoin.STAMP in page.obj.Resources.XObject for page in pdf.pages)


def test_the_cover_carries_no_running_header_and_no_page_number(tmp_path):
    a = part(tmp_path / "a.pdf", pages=3)
    stamp = part(tmp_path / "stamp.pdf", pages=3)
    pdfjoin.join([a], tmp_path / "x.pdf", overlay=stamp, info={}, link_prefix=PREFIX, bare=1)
    with pikepdf.open(tmp_path / "x.pdf") as pdf:
        stamped = [pdfjoin.STAMP in page.obj.get("/Resources", {}).get("/XObject", {}) for page in pdf.pages]
        assert stamped == [False, True, True]


def test_joining_is_reproducible(tmp_path):
    parts = [part(tmp_path / "a.pdf", links=[PREFIX + "x"]), part(tmp_path / "b.pdf", dests=["x"])]
    pdfjoin.join(parts, tmp_path / "1.pdf", overlay=None, info={}, link_prefix=PREFIX)
    pdfjoin.join(parts, tmp_path / "2.pdf", overlay=None, info={}, link_prefix=PREFIX)
    assert (tmp_path / "1.pdf").read_bytes() == (tmp_path / "2.pdf").read_bytes()


def test_pdfjoin_does_not_import_the_print_edition():
    """pdf.py prints and calls the join; the join knows nothing of pdf.py (no import cycle)."""
    tree = ast.parse(Path(pdfjoin.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("regenpolicy")}


def test_every_link_says_where_it_goes(tmp_path):
    a = part(tmp_path / "a.pdf", links=[PREFIX + "fig-k1", "https://www.mhlw.go.jp/"])
    b = part(tmp_path / "b.pdf", dests=["fig-k1"], pages=2)
    out = tmp_path / "joined.pdf"
    pdfjoin.join([a, b], out, overlay=None, info={}, link_prefix=PREFIX, labels={"fig-k1": "図 K1　診療報酬"})
    with pikepdf.open(out) as pdf:
        to_k1, web = pdf.pages[0].obj.Annots
        assert str(to_k1.Contents) == "文書内：図 K1　診療報酬、2ページ"
        assert str(web.Contents) == "ウェブ：https://www.mhlw.go.jp/"


def tagged(path: Path, kids: list[str]) -> Path:
    """A part with a tag structure: a Document holding a Table whose kids have the given types."""
    pdf = Pdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    table = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Table))
    table.K = Array([pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + k), P=table)) for k in kids])
    doc = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array([table])))
    pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=doc, ParentTreeNextKey=0))
    pdf.save(path)
    return path


def test_undefined_types_are_mapped_and_a_tables_heading_becomes_its_caption(tmp_path):
    out = tmp_path / "joined.pdf"
    pdfjoin.join([tagged(tmp_path / "a.pdf", ["H4", "TR", "Strong"])], out, overlay=None,
                 info={"/Title": "白書 <&>"}, link_prefix=PREFIX)
    with pikepdf.open(out) as pdf:
        root = pdf.Root.StructTreeRoot
        assert dict(root.RoleMap) == {"/Strong": Name.Span}
        (table,) = root.K.K
        assert [str(k.S) for k in table.K] == ["/Caption", "/TR"]
        caption = table.K[0]
        assert [str(k.S) for k in caption.K] == ["/H4", "/Strong"] and caption.K[0].P.objgen == caption.objgen
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "白書 <&>" and meta["pdfuaid:part"] == "1"
        assert "ja" in str(meta["dc:language"])
    with pytest.raises(ValueError, match="no mapping for: Bogus"):
        pdfjoin.join([tagged(tmp_path / "b.pdf", ["Bogus"])], out, overlay=None, info={}, link_prefix=PREFIX)


def header_table(path: Path, first: int) -> Path:
    """A part whose table cell names its header cell by id, as Chromium tags one: the ids count on from
    ``first``, where the renderer's counter happened to be (another build of the same page: another number)."""
    pdf = Pdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    th_id, td_id = (pikepdf.String(f"node{first + i:08d}") for i in (0, 1))
    row = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TR))
    th = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TH, P=row, ID=th_id,
                                      A=Dictionary(O=Name.Table, Scope=Name.Column)))
    td = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.TD, P=row, ID=td_id,
                                      A=Array([Dictionary(O=Name.Table, Headers=Array([th_id])), 0])))
    row.K = Array([th, td])
    table = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Table, K=Array([row])))
    row.P = table
    doc = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array([table])))
    ids = pdf.make_indirect(Dictionary(Names=Array([th_id, th, td_id, td])))
    pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=doc, IDTree=ids,
                                                           ParentTreeNextKey=0))
    pdf.save(path)
    return path


def test_element_ids_are_the_same_in_every_build_and_table_cells_still_name_their_headers(tmp_path):
    def joined(name: str, firsts: tuple[int, int]) -> Path:
        parts = [header_table(tmp_path / f"{name}{i}.pdf", first) for i, first in enumerate(firsts)]
        pdfjoin.join(parts, tmp_path / f"{name}.pdf", overlay=None, info={}, link_prefix=PREFIX)
        return tmp_path / f"{name}.pdf"

    one, other = joined("one", (105, 107)), joined("other", (153, 55))  # the same pages, other counters
    assert one.read_bytes() == other.read_bytes()
    with pikepdf.open(one) as pdf:
        root = pdf.Root.StructTreeRoot
        names = [str(n) for n in root.IDTree.Names[::2]]
        assert names == sorted(names) and len(set(names)) == 4  # both parts' ids, unique, as a name tree sorts them
        for table in root.K.K:
            (th, td), = (row.K for row in table.K)
            assert str(td.A[0].Headers[0]) == str(th.ID) in names  # the cell's header is found by its id
