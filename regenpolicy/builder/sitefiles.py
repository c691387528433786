"""The published site's files: each once, what editions share in one place, compressed beside.

``make site`` puts every edition's website in ``<site>/<edition>/``. Before the site is published:

- what no reader loads is left out: the theme's source maps (``*.map``, and the comments that name
  them), Sphinx's translations of its own messages for every language (``_static/locales``: the
  pages are built with them, readers never load them) and fontawesome.js and its fonts (the pages
  draw their icons as inline SVG, ``sphinx_ext.light_page``; the few the theme's stylesheet draws as
  text, an admonition's ⚠ among them, come from a subset of the solid font inline in that stylesheet,
  ``cssprune``);
- a file of ``_static/`` that is byte for byte the same in several editions (the theme's scripts,
  the chart library, images) is published once, in ``<site>/_shared/<sha256>/<name>``
  (content-addressed: a changed file gets a new folder, so a cached old copy is never served for
  it), and every edition's pages link there: a figure's PNG, SVG and Excel file the same in two
  editions is published once. Left in each edition: its figures' CSV files (their addresses are
  printed in the PDF), stylesheets that load other files (fonts, images) by relative address, and
  any file whose name a script or stylesheet mentions (it may be loaded from there);
- the stylesheets keep only the rules the site's pages can use (``cssprune``: the theme's 400 KB
  stylesheet is what a phone waited for before it painted);
- a page's stylesheets, each of which blocked its first paint, are one file (``_static/styles/
  bundle-<sha>.css``: the same files in the same order, joined), so a phone makes one request for
  them instead of eleven;
- the site's root has a ``favicon.ico`` (browsers ask for it there whatever the page says), drawn from
  ``favicon.svg``;
- a page's print drawings and chart specifications carry only what is drawn and read
  (``pageslim``: Vega's accessibility attributes and empty paths of the hidden print SVG, data
  columns that nothing in the chart names);
- every file a browser loads to show a page (page, script, stylesheet, SVG, JSON) of 1 KB or more
  gets a gzip copy beside it (``name.gz``, made without a time stamp) and a Brotli copy (``name.br``,
  Google's ``brotli`` at quality 10: ``BROTLI_QUALITY``), each kept only when it saves at least a tenth: the same file
  gives the same bytes, for static hosts that serve precompressed files. Downloads (the figures'
  CSV files, ``objects.inv``) get none: a reader saves them, now and then, and a host that
  compresses compresses them anyway; their copies were a sixth of an edition's copies.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import os
import posixpath
import re
import shutil
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli

from regenpolicy.builder import cssprune, pageslim
from regenpolicy.data.files import store_entry

SHARED = "_shared"
UNREAD = ("_static/locales", "_static/scripts/fontawesome.js", "_static/scripts/fontawesome.js.LICENSE.txt")
# the icon fonts: the icons are inline SVG, their @font-face rules pruned, and the few the theme's stylesheet
# draws as text come from a subset inline in it (cssprune.icon_face, made from these files: left out after)
ICON_FONTS = "_static/vendor/fontawesome"
MAP_COMMENT = re.compile(rb"\n?/[/*][#@] sourceMappingURL=[^\n*]*(?:\*/)?")
SHAREABLE = {".js", ".css", ".png", ".svg", ".gif", ".jpg", ".woff", ".woff2", ".ttf", ".ico", ".xlsx"}
RELATIVE_URL = re.compile(rb"url\(\s*+(?!['\"]?(?:data:|https?:|#))|@import")  # (a quoted data: URL is not relative)
STATIC_REF = re.compile(r'((?:href|src|data-vega)=")((?:\.\./)*)(_static/[^"?#]+)([^"]*")')
COMPRESSED = {".html", ".js", ".css", ".svg", ".json", ".xml"}  # what a browser loads to show a page
MIN_COMPRESS = 1024
MIN_SAVING = 0.1  # a compressed copy is kept when it is at least this much smaller than its file


def _remove(path: Path) -> int:
    """Delete a file or a folder, if there is one; return the bytes removed."""
    if path.is_dir() and not path.is_symlink():
        removed = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path)
        return removed
    if path.is_file():
        removed = path.stat().st_size
        path.unlink()
        return removed
    return 0


def drop_unread(edition: Path) -> int:
    """Remove what no reader of the edition loads; return the bytes removed."""
    removed = sum(_remove(edition / name) for name in UNREAD)
    static = edition / "_static"
    for path in sorted(static.rglob("*.map")) if static.is_dir() else []:
        removed += path.stat().st_size
        path.unlink()
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        if path.suffix in (".js", ".css") and path.is_file():
            data = path.read_bytes()
            if b"sourceMappingURL" in data:
                path.write_bytes(MAP_COMMENT.sub(b"", data))
    return removed


def _named_in_code(static: Path) -> set[str]:
    """Names of files that a script or stylesheet of ``static`` mentions (it may load them itself): the
    name right after a quote, a slash or a parenthesis."""
    code = b"\n".join(p.read_bytes() for p in static.rglob("*") if p.suffix in (".js", ".css") and p.is_file())
    return {p.name for p in static.rglob("*") if p.is_file() and _mentioned(code, p.name.encode())}


def _mentioned(code: bytes, name: bytes) -> bool:
    r"""``re.search(rb"[\"'/(]" + re.escape(name), code)``, by the bytes' own search (the pattern, with no
    literal start, tried at every byte of megabytes of scripts, took a second an edition)."""
    at = code.find(name, 1)
    while at != -1:
        if code[at - 1] in b"\"'/(":
            return True
        at = code.find(name, at + 1)
    return False


def shareable(path: Path, named: set[str]) -> bool:
    if path.suffix not in SHAREABLE or path.name in named:
        return False
    return not (path.suffix == ".css" and RELATIVE_URL.search(path.read_bytes()))


def share(site: Path, editions: list[str]) -> int:
    """Publish once, in ``<site>/_shared/``, the ``_static`` files several editions have byte for byte,
    and point those editions' pages there; return the bytes saved."""
    where: dict[str, dict[str, Path]] = {}  # sha256 → {edition: file}
    for edition in editions:
        static = site / edition / "_static"
        if not static.is_dir():
            continue
        named = _named_in_code(static)
        for path in sorted(static.rglob("*")):
            if path.is_file() and shareable(path, named):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                where.setdefault(digest, {})[edition] = path
    moved: dict[str, dict[str, str]] = {e: {} for e in editions}  # edition → {"_static/…": shared path}
    saved = 0
    for digest, copies in sorted(where.items()):
        if len(copies) < 2:
            continue
        first = next(iter(copies.values()))
        target = site / SHARED / digest[:32] / first.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(first, target)
        for edition, path in copies.items():
            saved += path.stat().st_size
            moved[edition][path.relative_to(site / edition).as_posix()] = target.relative_to(site).as_posix()
            path.unlink()
        saved -= target.stat().st_size
    for edition, paths in moved.items():
        if paths:
            for page in (site / edition).rglob("*.html"):
                relink(page, paths)
    return saved


def relink(page: Path, paths: dict[str, str]) -> None:
    """A page's links to edition files that moved to the shared folder (``paths``: edition path →
    site path): up to the site's root, then there."""
    def moved(m: re.Match[str]) -> str:
        attr, up, path, rest = m.groups()
        return f"{attr}{up}../{paths[path]}{rest}" if path in paths else m.group(0)

    text = page.read_text(encoding="utf-8")
    new = STATIC_REF.sub(moved, text)
    if new != text:
        page.write_text(new, encoding="utf-8")


# Brotli's quality. 11, its best, took three times the CPU of 10 for files 1.6 % smaller: the cold site of six
# editions (267 files, 15.4 MB) compressed in 34.9 CPU-s at 11 and 11.8 at 10, to 2,611 and 2,653 KB. A page
# a phone opens grows by 44-129 bytes (0.5-1.6 %: the front page 9,343 → 9,387 bytes, K1's 14,863 → 14,992),
# the search index, loaded on a search, by 2.8 % (41,853 → 43,020 bytes). 9 would take 4.5 CPU-s for 8.8 %.
BROTLI_QUALITY = 10
# What the compressed copies depend on besides the file's bytes (``PackedStore``)
PACKERS = f"gzip 9 zlib {zlib.ZLIB_RUNTIME_VERSION}; brotli {BROTLI_QUALITY} {brotli.__version__}"


def _packed(data: bytes) -> dict[str, bytes]:
    """The file's copies worth keeping: ``.gz`` and ``.br``, each when it saves ``MIN_SAVING``."""
    copies = {".gz": gzip.compress(data, compresslevel=9, mtime=0), ".br": brotli.compress(data, quality=BROTLI_QUALITY)}
    return {suffix: packed for suffix, packed in copies.items() if len(packed) <= (1 - MIN_SAVING) * len(data)}


class PackedStore:
    """The compressed copies of files already compressed by an earlier site build, by the SHA-256 of the
    file's bytes and ``PACKERS``: a page, script or drawing no edit changed is not compressed again (Brotli
    takes about 2 CPU-s an edition). Each entry is a folder holding the copies worth keeping
    (none: the file does not shrink enough), stored whole as the drawings are (``files.store_entry``: read
    only once it has its ``done`` mark); ``prune`` forgets what no build used for a while."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[Path] = set()

    def packed(self, data: bytes) -> dict[str, bytes]:
        key = hashlib.sha256(PACKERS.encode() + b"\0" + data).hexdigest()
        entry = self.folder / key[:2] / key
        self.used.add(entry)
        if (entry / "done").exists():
            with contextlib.suppress(OSError):  # (pruned meanwhile by another build: made again below)
                copies = {f.suffix: f.read_bytes() for f in entry.iterdir() if f.suffix in (".gz", ".br")}
                os.utime(entry)
                return copies
        copies = _packed(data)

        def fill(folder: Path) -> None:
            for suffix, packed in copies.items():
                (folder / f"copy{suffix}").write_bytes(packed)

        with contextlib.suppress(OSError):  # not writable: the copies are made anyway, and not kept
            store_entry(entry, fill)
        return copies

    def prune(self, keep_seconds: float = 7 * 24 * 3600) -> None:
        """Forget the entries no build used for ``keep_seconds``."""
        from regenpolicy.builder.pdfjoin import prune_unused

        prune_unused(self.folder.glob("*/*"), self.used, keep_seconds)


def compress(site: Path, store: PackedStore | None = None) -> int:
    """A gzip and a Brotli copy beside every file a browser loads to show a page, of at least
    ``MIN_COMPRESS`` bytes (each when it saves ``MIN_SAVING`` of the file), from ``store`` where an earlier
    build compressed the same bytes; return the bytes written."""
    files = [path for path in sorted(site.rglob("*")) if path.is_file() and not path.is_symlink()
             and path.suffix in COMPRESSED and path.stat().st_size >= MIN_COMPRESS]

    def one(path: Path) -> int:
        data = path.read_bytes()
        copies = store.packed(data) if store is not None else _packed(data)
        for suffix, packed in copies.items():
            (path.parent / (path.name + suffix)).write_bytes(packed)
        return sum(len(packed) for packed in copies.values())

    # zlib and Brotli let go of the interpreter while they compress: a thread a core (Brotli is most of the
    # site's assembly)
    with ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="compress") as pool:
        return sum(pool.map(one, files))


STYLESHEET = re.compile(r'<link (?=[^>]*\brel="stylesheet")[^>]*?\bhref="([^"?#]+)[^"]*"[^>]*?/?>')


IMPORT = re.compile(rb"""@import\s+(?:url\(\s*)?(['"]?)([^'")\s;]+)\1\s*\)?\s*;""")
CSS_URL = re.compile(rb"""url\(\s*+(?!['"]?(?:data:|https?:|#|/))(['"]?)([^'")]+)\1\s*\)""")
INLINE_MAX = 4096  # an image a stylesheet loads, up to this size, goes into it as a data: URL
MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif", ".jpg": "image/jpeg"}


def _standalone_css(path: Path, static: Path, seen: frozenset[Path] = frozenset()) -> bytes | None:
    """A stylesheet of ``static`` that loads nothing by relative address: what it imports put in the
    place of its ``@import`` (as the browser reads it), the small images it loads as ``data:`` URLs;
    None when it loads anything else (a font, a large image) or something outside ``static``."""
    path = path.resolve()
    if path in seen or not path.is_file() or not path.is_relative_to(static.resolve()):
        return None
    data = path.read_bytes()
    failed = False

    def imported(m: re.Match[bytes]) -> bytes:
        nonlocal failed
        inner = _standalone_css(path.parent / m.group(2).decode(), static, seen | {path})
        failed = failed or inner is None
        return inner or b""

    def inline(m: re.Match[bytes]) -> bytes:
        nonlocal failed
        target = (path.parent / m.group(2).decode()).resolve()
        if (target.suffix not in MIME or not target.is_file() or target.stat().st_size > INLINE_MAX
                or not target.is_relative_to(static.resolve())):
            failed = True
            return m.group(0)
        return b'url("data:' + MIME[target.suffix].encode() + b";base64," + base64.b64encode(target.read_bytes()) + b'")'

    data = CSS_URL.sub(inline, IMPORT.sub(imported, data))
    return None if failed else data


def bundle_styles(edition: Path) -> int:
    """Each page's stylesheets joined into one file, in their order (``_standalone_css``: stylesheets
    of ``_static`` with what they import and the small images they load inside; without ``media``);
    return how many pages changed. A stylesheet no page or script names any more is removed."""
    static = edition / "_static"
    made: dict[tuple[str, ...], str] = {}  # the stylesheets (edition paths) → the bundle's edition path
    replaced: set[Path] = set()
    changed = 0
    for page in sorted(edition.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        head, sep, rest = text.partition("</head>")
        links = list(STYLESHEET.finditer(head))
        up = page.parent.relative_to(edition)
        paths = [(edition / up / m.group(1)).resolve() for m in links]
        if len(links) < 2 or any("media=" in m.group(0) for m in links):
            continue
        key = tuple(p.as_posix() for p in paths)
        if key not in made:
            parts = [_standalone_css(p, static) for p in paths]
            if any(part is None for part in parts):
                made[key] = ""
            else:
                data = b"\n".join(part or b"" for part in parts)
                name = f"_static/styles/bundle-{hashlib.sha256(data).hexdigest()[:16]}.css"
                (edition / name).parent.mkdir(parents=True, exist_ok=True)
                (edition / name).write_bytes(data)
                made[key] = name
        if not made[key]:
            continue
        href = posixpath.relpath(made[key], up.as_posix() or ".")
        pieces: list[str] = []
        pos = 0
        for i, m in enumerate(links):
            pieces.append(head[pos:m.start()])
            if i == 0:
                pieces.append(f'<link rel="stylesheet" href="{href}" />')
            pos = m.end()
        page.write_text("".join(pieces) + head[pos:] + sep + rest, encoding="utf-8")
        replaced.update(paths)
        changed += 1
    mentions = b"\n".join(p.read_bytes() for p in edition.rglob("*") if p.suffix in (".html", ".js") and p.is_file())
    for path in sorted(replaced):
        if path.name.encode() not in mentions:
            path.unlink()
    return changed


def favicon_ico(svg: bytes) -> bytes:
    """``favicon.ico`` (16, 32 and 48 px) drawn from the site's ``favicon.svg``, which is made of
    rectangles (``<rect>``: x, y, width, height, rx, fill); anything else in it is an error."""
    from PIL import Image, ImageDraw

    root = ET.fromstring(svg)
    box = [float(v) for v in root.attrib["viewBox"].split()]
    size, scale = 192, 192 / box[2]
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    for element in root:
        if element.tag.rsplit("}", 1)[-1] != "rect":
            raise ValueError(f"favicon.svg: only <rect> elements can be drawn as favicon.ico, not {element.tag}")
        a = element.attrib
        x, y = (float(a.get("x", 0)) - box[0]) * scale, (float(a.get("y", 0)) - box[1]) * scale
        w, h = float(a["width"]) * scale, float(a["height"]) * scale
        pen.rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=float(a.get("rx", 0)) * scale, fill=a.get("fill", "#000"))
    out = io.BytesIO()
    image.save(out, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


def root_favicon(site: Path, editions: list[str]) -> int:
    """``<site>/favicon.ico`` from the first edition's ``_static/favicon.svg``; its size (0 if none)."""
    svg = next((site / e / "_static" / "favicon.svg" for e in editions if (site / e / "_static" / "favicon.svg").is_file()), None)
    if svg is None:
        return 0
    ico = favicon_ico(svg.read_bytes())
    (site / "favicon.ico").write_bytes(ico)
    return len(ico)


def prepare(site: Path, editions: list[str], cache: Path | None = None) -> dict[str, int]:
    """Everything above, on an assembled site before it is published; the bytes each step changed. With
    ``cache``, the compressed copies of files an earlier build compressed come from ``<cache>/compressed``."""
    dropped = sum(drop_unread(site / e) for e in editions)
    pruned = cssprune.prune_site(site, editions)
    dropped += sum(_remove(site / e / ICON_FONTS) for e in editions)  # (read by prune_site)
    for edition in editions:
        bundle_styles(site / edition)
    root_favicon(site, editions)
    saved = share(site, editions)
    slimmed = sum(pageslim.slim_pages(site / e) for e in editions)
    store = PackedStore(cache / "compressed") if cache is not None else None
    compressed = compress(site, store)
    if store is not None:
        store.prune()
    return {"dropped": dropped, "pruned": pruned, "shared": saved, "slimmed": slimmed, "compressed": compressed}
