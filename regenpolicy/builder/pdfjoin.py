"""Join PDFs printed part by part into one tagged PDF, as if Chromium had printed it in one go.

Chromium prints each part of the edition (the front matter, the opening page, each part of the
book) to a PDF of its own, so that an edit reprints only the parts it changed and the parts print
in parallel. A part's links to another part cannot be resolved when it is printed alone (Chromium
drops a link whose target is not in the document), so the print page writes them as
``LINK_PREFIX + anchor`` and :func:`join` turns them back into links inside the joined document.

Everything a reader or a screen reader relies on is carried over: the pages, the links (named
destinations), the bookmarks (nested as each part's), the tag structure (one Document element
holding every part's, with the parent tree, the ids and the page and annotation keys renumbered),
the language and the document information. The running header and page numbers are laid over
the pages last, from one printing of as many empty pages, since only the joined document knows
the page count. The joining is done by qpdf (pikepdf), which copies each page once and keeps the
references between the copied objects.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

from regenpolicy.builder.pdf import LINK_PREFIX

STAMP = "/RegenPageStamp"


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


def _outline(items: Any) -> list[tuple[str, Any, list[Any]]]:
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


def join(parts: list[Path], out: Path, *, overlay: Path | None, info: dict[str, str]) -> int:
    """Join the printed ``parts`` into ``out`` (written atomically); return its page count."""
    sources: list[Pdf] = []
    pdf = Pdf.new()
    try:
        dests: dict[str, Any] = {}
        outline: list[tuple[str, Any, list[Any]]] = []
        structure: list[Any] = []  # each part's Document element, as copied
        parent_tree: list[tuple[int, Any]] = []
        ids: list[tuple[str, Any]] = []
        next_key = 0
        lang = "ja"
        for n, path in enumerate(parts):
            src = Pdf.open(path)
            sources.append(src)  # qpdf copies stream data when saving: the source stays open till then
            lang = str(src.Root.get("/Lang", lang))
            offset = next_key
            start = len(pdf.pages)
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

            def moved(dest: Any, index: dict[Any, Any] = index) -> Any:
                """A destination [page, /XYZ, left, top, zoom] pointing to the copied page."""
                if not isinstance(dest, Array) or len(dest) == 0 or dest[0].objgen not in index:
                    return None
                return Array([index[dest[0].objgen], *list(dest)[1:]])

            dests.update({name: d for name, d in ((k, moved(v)) for k, v in _dests(src).items()) if d is not None})
            with src.open_outline() as o:
                outline += _moved_outline(_outline(o.root), moved)
            if "/StructTreeRoot" not in src.Root:
                continue
            tree = pdf.copy_foreign(src.Root.StructTreeRoot)
            next_key = offset + int(tree.get("/ParentTreeNextKey", 0))
            top = tree.get("/K")
            if top is not None:
                structure += list(top) if isinstance(top, Array) else [top]
            if "/ParentTree" in tree:
                parent_tree += [(int(key) + offset, value) for key, value in _tree(tree.ParentTree, "/Nums")]
            if "/IDTree" in tree:
                for name, element in _tree(tree.IDTree, "/Names"):
                    if "/ID" in element:
                        element.ID = pikepdf.String(f"p{n}-{element.ID}")
                    ids.append((f"p{n}-{name!s}", element))

        # Links between parts: the URI placeholders become links to the named destinations.
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                uri = str(annot.A.get("/URI", "")) if "/A" in annot else ""
                if uri.startswith(LINK_PREFIX):
                    name = unquote(uri[len(LINK_PREFIX):])
                    del annot.A
                    if name in dests:
                        annot.Dest = Name("/" + name)
                    else:
                        annot.Rect = Array([0, 0, 0, 0])  # nowhere to go: inert
        pdf.Root.Dests = pdf.make_indirect(Dictionary({"/" + k: v for k, v in sorted(dests.items())}))

        # One Document element holding every part's structure.
        if structure:
            root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
            document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, Lang=pikepdf.String(lang),
                                                    P=root))
            olds = {d.objgen for d in structure if d.get("/S") == Name.Document}
            kids = Array()
            for element in structure:
                inner = element.get("/K") if element.get("/S") == Name.Document else None
                if inner is None:
                    kids.append(element)
                else:
                    kids.extend(list(inner) if isinstance(inner, Array) else [inner])
            document.K = kids
            _set_parents(document)

            def parent(value: Any) -> Any:
                if isinstance(value, Array):
                    return Array([document if getattr(v, "objgen", None) in olds else v for v in value])
                return document if getattr(value, "objgen", None) in olds else value

            flat: list[Any] = []
            for key, value in sorted(parent_tree, key=lambda kv: kv[0]):
                flat += [key, parent(value)]
            nums = Array(flat)
            root.K = document
            root.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
            root.ParentTreeNextKey = next_key
            if ids:
                names = Array()
                for name, element in sorted(ids, key=lambda kv: kv[0]):
                    names.extend([pikepdf.String(name), element])
                root.IDTree = pdf.make_indirect(Dictionary(Names=names))
            pdf.Root.StructTreeRoot = root
            pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.Lang = pikepdf.String(lang)
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        pdf.Root.PageMode = Name.UseOutlines

        # Bookmarks, nested as each part printed them.
        with pdf.open_outline() as o:
            o.root.extend(_items(outline))

        # Running header and page numbers over every page.
        if overlay is not None:
            stamps = Pdf.open(overlay)
            sources.append(stamps)
            if len(stamps.pages) != len(pdf.pages):
                raise ValueError(f"overlay has {len(stamps.pages)} pages for {len(pdf.pages)}")
            for page, stamp in zip(pdf.pages, stamps.pages, strict=True):
                # the stamp as a form drawn over the page, marked as pagination (not content) for
                # assistive technology; a fixed resource name keeps the output byte for byte the same
                form = pdf.copy_foreign(stamp.as_form_xobject())
                if "/Resources" not in page.obj:
                    page.obj.Resources = Dictionary()
                if "/XObject" not in page.obj.Resources:
                    page.obj.Resources.XObject = Dictionary()
                page.obj.Resources.XObject[STAMP] = form
                page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
                page.contents_add(pdf.make_stream(f"Q\n/Artifact BMC q {STAMP} Do Q EMC\n".encode()))
        pdf.docinfo = pdf.make_indirect(Dictionary({k: pikepdf.String(v) for k, v in info.items()}))
        tmp = out.with_name(out.name + ".tmp")
        pdf.save(tmp, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        tmp.replace(out)
        return len(pdf.pages)
    finally:
        pdf.close()
        for src in sources:
            src.close()


def _moved_outline(items: list[tuple[str, Any, list[Any]]], moved: Any) -> list[tuple[str, Any, list[Any]]]:
    return [(t, moved(d), _moved_outline(kids, moved)) for t, d, kids in items]


def _items(items: list[tuple[str, Any, list[Any]]]) -> list[pikepdf.OutlineItem]:
    out = []
    for title, dest, kids in items:
        item = pikepdf.OutlineItem(title, dest)
        item.children.extend(_items(kids))
        out.append(item)
    return out
