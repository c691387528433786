"""A figure's drawn files, made once outside the kernels and kept by their content.

A notebook's kernel no longer draws: ``save_frame`` writes what a figure's files are drawn from,
``<ID>.figure.json`` — the readers' table (columns and cleaned values), what the 説明 sheet says,
the chart's Vega-Lite specification for print and the image download's specification. The build
draws from it, in its own process (vl-convert starts threads on its first call, about 0.65 s, so
drawing in each forked kernel paid that every time):

- ``draw``: ``<ID>.csv`` and ``<ID>.xlsx`` for readers and, for charts, ``<ID>.svg`` and
  ``<ID>.png`` (2×), kept under ``<cache>/drawn/<key>/`` where the key is the hash of the frame
  file and of the renderer (vl-convert, openpyxl and this code): an unchanged figure is never
  drawn again, whichever notebook run or edition asks;
- ``fill_print``: the chart as inline SVG for print, put into the executed notebook's page where
  the kernel left its place (``<div class="regen-print" data-regen-print="ID"></div>``), cached the
  same way.

The preview draws the downloads only when one is asked for (``draw_file``) or the PDF is printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple, cast

from regenpolicy.data.files import store_entry, write_whole
from regenpolicy.presentation import fonts
from regenpolicy.presentation.worker import LineWorker, leave, result_of, stop_all

FRAME_SUFFIX = ".figure.json"
DRAWN = (".csv", ".xlsx", ".svg", ".png")  # what ``draw`` makes (images only for charts)
PRINT_PLACE = re.compile(r'<div class="regen-print" data-regen-print="([A-Za-z0-9_-]+)"></div>')
_LOCK = threading.Lock()  # one drawing at a time in a process: vl-convert renders on one worker


def print_place(file_id: str) -> str:
    """Where the print SVG of a chart goes in its page (filled in by the build, ``fill_print``)."""
    return f'<div class="regen-print" data-regen-print="{file_id}"></div>'


def save_frame(out: Path, file_id: str, reader: Any, about: Sequence[tuple[str, str]], *,
               print_spec: Mapping[str, Any] | None = None, image_spec: Mapping[str, Any] | None = None) -> Path:
    """What a figure's downloads are drawn from (in the kernel: no drawing, no vl-convert, no openpyxl)."""
    frame = {
        "id": file_id,
        "columns": [str(c) for c in reader.columns],
        "rows": [list(r) for r in reader.itertuples(index=False, name=None)],
        "about": [list(pair) for pair in about],
        "print": print_spec,
        "image": image_spec,
    }
    if reader.attrs.get("decimals"):  # declared digits after the point, by header (CSV text, xlsx number formats)
        frame["decimals"] = dict(reader.attrs["decimals"])
    path = out / f"{file_id}{FRAME_SUFFIX}"
    path.write_text(json.dumps(frame, ensure_ascii=False, sort_keys=True, allow_nan=False), encoding="utf-8")
    return path


@cache
def renderer() -> str:
    """What the drawn files depend on besides the frame: the renderers' versions and this code."""
    here = Path(__file__).parent
    code = hashlib.sha256((here / "draw.py").read_bytes() + (here / "downloads.py").read_bytes()).hexdigest()[:16]
    return (f"vl-convert {version('vl-convert-python')} openpyxl {version('openpyxl')} pillow {version('pillow')} "
            f"code {code}")


def compact_png(data: bytes) -> bytes:
    """The same picture in fewer bytes, pixel for pixel (vl-convert writes fast, lightly compressed PNGs).

    A chart has few colours: with at most 256 (the usual case: flat fills, text in a few colours) the
    picture is written with a palette (its transparency in the palette), else as it was; both at zlib level 6
    (level 9 takes twice as long for 1% less). Same picture, same bytes; about a fifth of the size."""
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    out = io.BytesIO()
    colours = image.getcolors(256) if image.mode in ("RGBA", "RGB") else None
    if colours:
        pixels = np.ascontiguousarray(np.asarray(image))
        channels = pixels.shape[2]
        packed: Any
        if channels == 4:  # each pixel's bytes read as one big-endian number: (r << 24) | (g << 16) | (b << 8) | a
            packed = pixels.view(">u4")[:, :, 0].astype(np.uint32)
        else:
            packed = np.zeros(pixels.shape[:2], dtype=np.uint32)
            for c in range(channels):
                packed = (packed << 8) | pixels[:, :, c].astype(np.uint32)
        # the picture's colours (getcolors counted them), as numbers, sorted: the same picture gives the same palette
        palette = np.array(sorted(int.from_bytes(bytes(cast(tuple[int, ...], colour)), "big") for _, colour in colours),
                           dtype=np.uint32)
        indexed = Image.fromarray(palette_indices(packed, palette), mode="P")
        rgba = [[int(v >> (8 * (channels - 1 - c))) & 0xFF for c in range(channels)] for v in palette]
        indexed.putpalette([x for colour in rgba for x in colour[:3]], rawmode="RGB")
        if channels == 4:
            indexed.save(out, "PNG", compress_level=6, transparency=bytes(colour[3] for colour in rgba))
        else:
            indexed.save(out, "PNG", compress_level=6)
    else:
        image.save(out, "PNG", compress_level=6)
    packed_bytes = out.getvalue()
    return packed_bytes if len(packed_bytes) < len(data) else data


# Odd 32-bit multipliers for palette_indices' hash (Knuth's, then others): one of them nearly always sends a
# chart's colours to distinct slots.
HASH_MULTIPLIERS = (2654435761, 2246822519, 3266489917, 668265263, 374761393, 1664525 * 2 + 1)


def palette_indices(packed: Any, palette: Any) -> Any:
    """Each pixel's index (uint8) in ``palette`` (its at most 256 colours as sorted uint32, every pixel's
    colour among them): ``np.searchsorted``'s answer, found by a hash table of the palette's colours instead
    of a binary search of each pixel (a third of the time), with the search where no multiplier of the hash
    separates the colours."""
    import numpy as np

    bits = 16
    for multiplier in HASH_MULTIPLIERS:
        slots = (palette * np.uint32(multiplier)) >> np.uint32(32 - bits)  # (uint32: the product wraps)
        if len(np.unique(slots)) == len(palette):
            table = np.zeros(1 << bits, dtype=np.uint8)
            table[slots] = np.arange(len(palette), dtype=np.uint8)
            return table[(packed * np.uint32(multiplier)) >> np.uint32(32 - bits)]
    return np.searchsorted(palette, packed).astype(np.uint8)


def key(frame_bytes: bytes, what: str = "downloads") -> str:
    """The content key of what is drawn from a frame: frame (spec + data), renderer version, and which files."""
    return hashlib.sha256(f"{renderer()}\n{what}\n".encode() + frame_bytes).hexdigest()[:32]


def _expected(frame: Mapping[str, Any]) -> list[str]:
    return [f"{frame['id']}{s}" for s in DRAWN if frame.get("image") is not None or s in (".csv", ".xlsx")]


class Subset(NamedTuple):
    """A subset of the charts' font registered in this process's vl-convert (``use_subset``)."""

    family: str  # the charts' font, as their specifications name it
    alias: str  # the subset's own family name
    chars: frozenset[str]


_SUBSET: list[Subset] = []  # this process's, once registered
FONT_FAMILY = re.compile(r'font-family="([^"]*)"')
SVG_TEXT = re.compile(r">([^<]+)<")


def make_subset(family: str, text: str, cache_dir: Path) -> Path | None:
    """The folder of a subset of the ``family`` font files holding the characters of ``text`` and those Vega
    writes besides (``fonts.DRAWN_BESIDES``), made once into ``<cache>/fonts/``; None when no font file of
    that family is found."""
    files = fonts.font_files()
    index = cache_dir / "fonts" / f"families-{hashlib.sha256(json.dumps(files).encode()).hexdigest()[:32]}.json"
    if index.is_file():
        names: dict[str, list[str]] = json.loads(index.read_text(encoding="utf-8"))
    else:
        names = {path: sorted(fonts.families(path)) for path, _, _ in files}
        write_whole(index, lambda tmp: tmp.write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8"))
    ours = [f for f in files if family in names.get(f[0], ())]
    if not ours:
        return None
    chars = "".join(sorted(set(text) | fonts.DRAWN_BESIDES))
    key = fonts.subset_key(family, chars, ours)
    entry = cache_dir / "fonts" / key

    def fill(folder: Path) -> None:
        alias = fonts.alias_for(key)
        for i, (path, _, _) in enumerate(ours):
            (folder / f"{i}-{Path(path).name}").write_bytes(fonts.subset_font(path, chars, alias))
        (folder / "subset.json").write_text(json.dumps({"family": family, "alias": alias, "chars": chars},
                                                       ensure_ascii=False), encoding="utf-8")

    if not (entry / "done").exists():
        store_entry(entry, fill)
    return entry


def use_subset(folder: Path) -> None:
    """Draw this process's charts with the subset in ``folder`` (``make_subset``) where it holds their text."""
    import vl_convert as vlc

    about = json.loads((folder / "subset.json").read_text(encoding="utf-8"))
    with _LOCK:
        if _SUBSET:
            return
        vlc.register_font_directory(str(folder))
        _SUBSET.append(Subset(about["family"], about["alias"], frozenset(about["chars"])))


def _renamed(spec: Any, old: str, new: str) -> Any:
    """The specification with each font named ``old`` (``font``, ``labelFont``…) named ``new``."""
    if isinstance(spec, dict):
        return {k: new if (k == "font" or k.endswith("Font")) and v == old else _renamed(v, old, new)
                for k, v in spec.items()}
    if isinstance(spec, list):
        return [_renamed(v, old, new) for v in spec]
    return spec


def _families(svg: str, old: str, new: str) -> str:
    return FONT_FAMILY.sub(lambda m: f'font-family="{m.group(1).replace(old, new)}"', svg)


def _drawn_text(svg: str) -> set[str]:
    """The characters of an SVG's text (its elements' contents, entities read)."""
    import html

    return set(html.unescape("".join(SVG_TEXT.findall(svg))))


def to_svg(spec: Mapping[str, Any]) -> str:
    """vl-convert's SVG of a Vega-Lite specification: drawn with this process's subset of its font when that
    holds every character of the specification and of the text drawn, else with the full font. The same
    SVG either way (the subset's glyphs are the full font's)."""
    import vl_convert as vlc

    sub = _SUBSET[0] if _SUBSET else None
    text = json.dumps(spec, ensure_ascii=False)
    if sub is not None and set(text) <= sub.chars:
        svg = vlc.vegalite_to_svg(json.dumps(_renamed(spec, sub.family, sub.alias), ensure_ascii=False))
        if _drawn_text(svg) <= sub.chars:
            return _families(svg, sub.alias, sub.family)
    return vlc.vegalite_to_svg(text)


def to_png(svg: str) -> bytes:
    """The SVG rasterised at 2× (with this process's subset of its font where that holds its text)."""
    import vl_convert as vlc

    sub = _SUBSET[0] if _SUBSET else None
    if sub is not None and _drawn_text(svg) <= sub.chars:
        svg = _families(svg, sub.family, sub.alias)
    return compact_png(vlc.svg_to_png(svg, scale=2))


def _render(frame: Mapping[str, Any], folder: Path) -> None:
    import pandas as pd

    from regenpolicy.presentation import downloads

    file_id = frame["id"]
    table = pd.DataFrame(frame["rows"], columns=frame["columns"], dtype=object) if frame["rows"] else \
        pd.DataFrame({c: pd.Series([], dtype=object) for c in frame["columns"]})
    table.attrs["decimals"] = dict(frame.get("decimals") or {})
    downloads.write_reader_csv(table, folder / f"{file_id}.csv")
    downloads.write_xlsx(table, folder / f"{file_id}.xlsx", [(str(k), str(v)) for k, v in frame["about"]])
    if frame.get("image") is not None:
        svg = to_svg(frame["image"])
        (folder / f"{file_id}.svg").write_text(svg, encoding="utf-8")
        # rasterised from the SVG just drawn: the same bytes as vegalite_to_png, without drawing it twice
        (folder / f"{file_id}.png").write_bytes(to_png(svg))


def _entry(cache_dir: Path, frame_bytes: bytes, what: str) -> Path:
    k = key(frame_bytes, what)
    return cache_dir / "drawn" / k[:2] / k


def draw(frame_file: Path, dest: Path, cache_dir: Path) -> tuple[list[Path], bool]:
    """Draw the downloads of one figure into ``dest`` (from the cache when already drawn).

    Returns the files written and whether they had to be drawn (False: a cache hit)."""
    frame_bytes = frame_file.read_bytes()
    frame = json.loads(frame_bytes)
    entry = _entry(cache_dir, frame_bytes, "downloads")
    drawn = False
    if not (entry / "done").exists():
        with _LOCK:
            if not (entry / "done").exists():
                store_entry(entry, lambda folder: _render(frame, folder))
                drawn = True
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in _expected(frame):
        target = dest / name
        target.unlink(missing_ok=True)
        try:
            os.link(entry / name, target)  # same file system: no copy
        except OSError:
            shutil.copyfile(entry / name, target)
        written.append(target)
    return written, drawn


def draw_all(folder: Path, dest: Path, cache_dir: Path) -> tuple[int, int]:
    """Draw the downloads of every figure whose frame is in ``folder``; (figures, drawn afresh)."""
    frames = sorted(folder.glob(f"*{FRAME_SUFFIX}"))
    fresh = sum(draw(f, dest, cache_dir)[1] for f in frames)
    return len(frames), fresh


def drawn_from(name: str) -> str | None:
    """The figure id whose frame draws the download ``name`` (``K1.png`` → ``K1``), or None."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix}" not in DRAWN or not re.fullmatch(r"[A-Za-z0-9_-]+", stem):
        return None
    return stem


def draw_file(folder: Path, name: str, cache_dir: Path) -> bytes | None:
    """One download, drawn on demand from the frame beside it in ``folder`` (preview); None if none."""
    file_id = drawn_from(name)
    if file_id is None:
        return None
    frame_file = folder / f"{file_id}{FRAME_SUFFIX}"
    if not frame_file.is_file():
        return None
    scratch = cache_dir / "drawn" / "served"
    written, _ = draw(frame_file, scratch / file_id, cache_dir)
    for path in written:
        if path.name == name:
            return path.read_bytes()
    return None


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make an SVG's ids unique on a page that holds several charts."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


# The print edition's box for a chart (report.css: the A4 page's 178 mm by at most 200 mm, in CSS px)
# and the smallest text it may print: a chart wider or taller is scaled down to fit, its text with it.
PRINT_BOX = (178 / 25.4 * 96, 200 / 25.4 * 96)
PRINT_MIN_PT = 8.0
FONT_SIZE = re.compile(r'font-size(?:="|:\s*)([\d.]+)(?:px)?')
SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')
# the chart parts whose text Vega-Lite sizes by a default unless the spec says: every one is set
TEXT_CONFIG = {"axis": ("labelFontSize", "titleFontSize"), "legend": ("labelFontSize", "titleFontSize"),
               "header": ("labelFontSize", "titleFontSize"), "title": ("fontSize", "subtitleFontSize"),
               "text": ("fontSize",), "mark": ("fontSize",)}
DEFAULT_FONT_PX = 11.0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _at_least(spec: Any, px: float) -> Any:
    """The spec with every font size (``fontSize``, ``labelFontSize``…) at least ``px``; a text's
    width limit (``limit``, ``labelLimit``) grows with its font, so that no more of it is cut."""
    if isinstance(spec, list):
        return [_at_least(v, px) for v in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: _at_least(v, px) for k, v in spec.items()}
    for key, value in spec.items():
        if (key == "fontSize" or key.endswith("FontSize")) and _number(value) and value < px:
            out[key] = px
            limit = "limit" if key == "fontSize" else key.removesuffix("FontSize") + "Limit"
            if _number(spec.get(limit)) and spec[limit] > 0:
                out[limit] = round(float(spec[limit]) * px / float(value), 1)
    return out


def legible_print(spec: Mapping[str, Any], draw_svg: Callable[[dict[str, Any]], str], rounds: int = 8) -> str:
    """The chart drawn for print (``draw_svg``: spec → SVG) so that, scaled to the page's box, no text
    is below ``PRINT_MIN_PT``: when it would be (a wide chart, or a label set at 10 px), every font size
    below the size needed is raised to it and the chart drawn again (its layout follows its text)."""
    drawn: dict[str, Any] = dict(spec)
    config = dict(drawn.get("config") or {})
    for part, keys in TEXT_CONFIG.items():  # Vega's defaults (10 px axis labels…) made explicit
        config[part] = {**dict.fromkeys(keys, DEFAULT_FONT_PX), **dict(config.get(part) or {})}
    drawn["config"] = config
    svg = draw_svg(drawn)
    for _ in range(rounds):
        size = SVG_SIZE.search(svg)
        sizes = [float(x) for x in FONT_SIZE.findall(svg)]
        if size is None or not sizes:
            return svg
        scale = min(1.0, PRINT_BOX[0] / float(size.group(1)), PRINT_BOX[1] / float(size.group(2)))
        need = PRINT_MIN_PT / 0.75 / scale  # px before scaling
        if min(sizes) >= need - 0.01:
            return svg
        drawn = _at_least(drawn, round(need * 1.03 + 0.05, 1))  # a little more: its layout grows with it
        svg = draw_svg(drawn)
    return svg


def print_svg(frame_file: Path, cache_dir: Path) -> tuple[str, bool]:
    """The chart as the page prints it (inline SVG, ids prefixed by its anchor); (svg, drawn afresh)."""
    frame_bytes = frame_file.read_bytes()
    entry = _entry(cache_dir, frame_bytes, "print")
    drawn = False
    if not (entry / "done").exists():
        frame = json.loads(frame_bytes)

        def render(folder: Path) -> None:
            svg = legible_print(frame["print"], to_svg)
            (folder / "print.svg").write_text(_prefix_ids(svg, f"fig-{frame['id'].lower()}"), encoding="utf-8")

        with _LOCK:
            if not (entry / "done").exists():
                store_entry(entry, render)
                drawn = True
    return (entry / "print.svg").read_text(encoding="utf-8"), drawn


def print_png(frame_file: Path, cache_dir: Path) -> tuple[bytes, bool]:
    """The print SVG rasterised at 2× (the deck's fallback picture where SVG is not shown); (png, drawn afresh)."""
    svg, _ = print_svg(frame_file, cache_dir)
    entry = _entry(cache_dir, frame_file.read_bytes(), "print-png")
    drawn = False
    if not (entry / "done").exists():
        def render(folder: Path) -> None:
            (folder / "print.png").write_bytes(to_png(svg))

        with _LOCK:
            if not (entry / "done").exists():
                store_entry(entry, render)
                drawn = True
    return (entry / "print.png").read_bytes(), drawn


def fill_print(notebook: Path, frames: Path, cache_dir: Path, drawn_only: bool = False) -> tuple[bytes, int]:
    """The executed notebook with each chart's print SVG in its place; (bytes, charts drawn afresh).

    A place whose frame is missing is left empty (the page then prints without that chart), and so,
    with ``drawn_only`` (the preview's first pass), is one whose print SVG is not drawn yet."""
    raw = notebook.read_bytes()
    if b"data-regen-print" not in raw:
        return raw, 0
    nb = json.loads(raw)
    fresh = 0

    def fill(match: re.Match[str]) -> str:
        nonlocal fresh
        frame_file = frames / f"{match.group(1)}{FRAME_SUFFIX}"
        if not frame_file.is_file() or (drawn_only and not _hit(frame_file, cache_dir, "print")):
            return '<div class="regen-print"></div>'
        svg, drawn = print_svg(frame_file, cache_dir)
        fresh += drawn
        return f'<div class="regen-print">{svg}</div>'

    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = data.get("text/html")
            if shown is None:
                continue
            text = "".join(shown) if isinstance(shown, list) else shown
            if "data-regen-print" in text:
                data["text/html"] = PRINT_PLACE.sub(fill, text)
    return (json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"), fresh


def _hit(frame_file: Path, cache_dir: Path, what: str) -> bool:
    return (_entry(cache_dir, frame_file.read_bytes(), what) / "done").exists()


def _has_print(frame_file: Path) -> bool:
    return json.loads(frame_file.read_bytes()).get("print") is not None


def _warm() -> None:
    """A worker's first job: start vl-convert's threads before a figure waits on them."""
    import vl_convert as vlc

    vlc.vegalite_to_svg(json.dumps({"mark": "point", "data": {"values": [{}]}}))


def write_vega_bundle(path: Path) -> None:
    """The site's vega scripts (``figures.vega_bundle``) into ``path``, written whole by one rename. Bundling
    takes seconds of CPU and holds the GIL throughout: the build has a drawing worker make it while the
    notebooks run (``Drawer.vega_bundle``), not its own process after them."""
    from regenpolicy.presentation.figures import vega_bundle

    write_whole(path, lambda tmp: tmp.write_text(vega_bundle(), encoding="utf-8"))


JOBS: dict[str, Any] = {"warm": lambda: None, "print": lambda frame, cache_dir: print_svg(Path(frame), Path(cache_dir)),
                        "png": lambda frame, cache_dir: print_png(Path(frame), Path(cache_dir)),
                        "draw": lambda frame, dest, cache_dir: draw(Path(frame), Path(dest), Path(cache_dir)),
                        "bundle": lambda path: write_vega_bundle(Path(path)),
                        "subset": lambda family, text, cache_dir: str(make_subset(family, text, Path(cache_dir)) or ""),
                        "fonts": lambda folder: use_subset(Path(folder))}


class DrawError(Exception):
    """A figure could not be drawn; the message names its frame."""


class _Worker:
    """One drawing process (``python -m regenpolicy.presentation.draw``): a JSON request a line, a reply a line."""

    def __init__(self) -> None:
        self.worker = LineWorker("regenpolicy.presentation.draw")

    def call(self, job: str, args: Sequence[str]) -> str | None:
        """Do ``job``; its text result (the subset's folder), if any."""
        reply = self.worker.ask([job, *args])
        if reply is None:
            reply = {"error": "the drawing worker stopped"}
        if reply.get("error"):
            raise DrawError(f"drawing {' '.join(args[:1])} failed: {reply['error']}")
        return reply.get("result")


def _serve() -> None:
    """The worker's side: vl-convert warmed once, then figure after figure."""
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the build, which closes our stdin
    _warm()
    for line in sys.stdin:
        job, *args = json.loads(line)
        try:
            result = JOBS[job](*args)
            reply = {"result": result} if isinstance(result, str) else {}
        except Exception as exc:  # reported to the build, which names the figure
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)
    leave()


class Drawer:
    """Draws figures' files in worker processes while the notebooks still run.

    The workers are processes of their own (vl-convert's threads do not survive a ``fork``, so it
    cannot be warmed in a fork server), started on the first figure that is not in the cache; each
    draws figure after figure in its warm vl-convert. A figure already drawn is linked from the
    cache at once, in the caller's thread. The downloads are drawn after every other job asked for
    (the print SVGs, the vega scripts): a build's website needs those, not the downloads, which it
    publishes beside it (``wait(downloads=False)``).

    ``text`` gives every character the build's charts may hold (``Project.chart_text``): the first worker
    makes the subset of the charts' font that holds them (``make_subset``, kept in the cache), and every
    worker draws with it before its first figure (``use_subset``). Without ``text``, or where the subset
    cannot be made or registered, the workers draw with the full font: the same files, more slowly.
    """

    def __init__(self, cache_dir: Path, workers: int = 2, text: Callable[[], str] | None = None):
        import itertools
        import queue
        from concurrent.futures import Future

        self.cache_dir, self.workers, self.text = cache_dir, workers, text
        # (rank, order, job): the downloads after every other job (the website waits for the print SVGs only)
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._procs: list[_Worker] = []
        self._futures: list[tuple[str, Any]] = []  # (job, its future)
        self._lock = threading.Lock()
        self._subset: Future[str | None] | None = None
        self.count = self.fresh = 0
        self.finished = 0.0  # when the last job was done (time.monotonic)

    def _subset_folder(self, worker: _Worker) -> str | None:
        """The subset's folder: asked of the first worker, waited for by the others."""
        from concurrent.futures import Future

        with self._lock:
            mine = self._subset is None
            if mine:
                self._subset = Future()
            subset = cast("Future[str | None]", self._subset)
        if mine:
            folder = None
            try:
                if self.text is not None:
                    folder = worker.call("subset", [fonts.FONT, self.text(), str(self.cache_dir)]) or None
            except Exception:  # (no subset: the full font; a worker that stopped fails its first figure)
                folder = None
            finally:
                subset.set_result(folder)  # the other workers wait for it
        return subset.result()

    def serves(self, cache_dir: Path) -> bool:
        """Whether these workers can draw a build into ``cache_dir``: it is theirs, and it and their font subset
        are still there (``make clean`` deletes both; workers that draw with a font no longer there draw
        wrong)."""
        subset = self.subset()
        return self.cache_dir == cache_dir and cache_dir.is_dir() and (subset is None or subset.is_dir())

    def subset(self) -> Path | None:
        """The folder of the font subset the workers draw with, once made; None without one."""
        with self._lock:
            future = self._subset
        folder = future.result() if future is not None and future.done() else None
        return Path(folder) if folder else None

    def _run(self) -> None:
        worker = _Worker()
        with self._lock:
            self._procs.append(worker)
        folder = self._subset_folder(worker)
        if folder:
            with contextlib.suppress(Exception):  # not registered: this worker draws with the full font
                worker.call("fonts", [folder])
        while True:
            _, _, item = self._queue.get()
            if item is None:
                return
            job, args, future = item
            try:
                worker.call(job, args)
                self.finished = time.monotonic()
                future.set_result(None)
            except BaseException as exc:  # handed to whoever waits
                future.set_exception(exc)

    def _submit(self, job: str, *args: Path) -> None:
        from concurrent.futures import Future

        future: Future[None] = Future()
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.workers)]
                for thread in self._threads:
                    thread.start()
            self._futures.append((job, future))
        self._queue.put((int(job == "draw"), next(self._order), (job, [str(a) for a in args], future)))

    def warm(self) -> None:
        """Start the workers now (a preview session: its first edit should not wait for them)."""
        self._submit("warm")

    def vega_bundle(self, path: Path) -> None:
        """Make the site's vega scripts into ``path`` (``write_vega_bundle``) in a worker; ``wait`` waits for it too."""
        self._submit("bundle", path)

    def figure(self, frame_file: Path, dest: Path | None, png: bool = False) -> None:
        """Draw a figure's print SVG (and with ``png``, its PNG, the deck's) and, with ``dest``, its
        downloads into ``dest``."""
        with self._lock:
            self.count += 1
        if _has_print(frame_file):
            job, what = ("png", "print-png") if png else ("print", "print")  # (the PNG is drawn from the SVG)
            if not _hit(frame_file, self.cache_dir, what):
                self._submit(job, frame_file, self.cache_dir)
        if dest is None:
            return
        if _hit(frame_file, self.cache_dir, "downloads"):
            draw(frame_file, dest, self.cache_dir)
        else:
            with self._lock:
                self.fresh += 1
            self._submit("draw", frame_file, dest, self.cache_dir)

    def figures(self, folder: Path, dest: Path | None) -> None:
        """Draw the figures whose frames are in ``folder``."""
        for frame_file in sorted(folder.glob(f"*{FRAME_SUFFIX}")):
            self.figure(frame_file, dest)

    def wait(self, downloads: bool = True) -> tuple[int, int]:
        """Wait for everything submitted; (figures seen, figures whose downloads were drawn) since the last wait
        for the downloads. With ``downloads`` False, for everything but the downloads (drawn after the rest,
        while the website is built: it needs the print SVGs and the vega scripts, not the downloads)."""
        with self._lock:
            if downloads:
                futures, self._futures = [f for _, f in self._futures], []
                counts = (self.count, self.fresh)
                self.count = self.fresh = 0
            else:
                futures = [f for job, f in self._futures if job != "draw"]
                self._futures = [(job, f) for job, f in self._futures if job == "draw"]
                counts = (self.count, self.fresh)
        for future in futures:
            result_of(future)  # (in steps: Ctrl-C while the downloads are drawn stops the build at once)
        return counts

    def yield_cpu(self) -> None:
        """Lower the workers' scheduling priority (nice 10) for the rest of their life: a build's own workers,
        left with downloads to draw while Sphinx builds the website on the same cores (a priority cannot be
        raised again without privileges, so a session's workers, kept for its next builds, keep theirs)."""
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, proc.worker.process.pid, 10)

    def drop(self, timeout: float = 5.0) -> None:
        """Forget the jobs not yet begun and wait (at most ``timeout`` seconds) for those being drawn (Ctrl-C:
        the build stops, and removes the folder they draw into). Whoever waits for a dropped job's future
        gets CancelledError."""
        import queue
        from concurrent.futures import wait

        while True:
            try:
                rank, order, item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # (a worker's signal to stop: kept for it)
                self._queue.put((rank, order, item))
                break
            item[2].cancel()
        with self._lock:
            drawing = [f for _, f in self._futures if not f.done()]
        wait(drawing, timeout=timeout)

    def close(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put((2, next(self._order), None))  # after every job queued
        for thread in threads:
            thread.join()
        with self._lock:
            procs, self._procs = self._procs, []
        stop_all(proc.worker.process for proc in procs)  # all told at once: each then leaves at once


if __name__ == "__main__":
    _serve()
