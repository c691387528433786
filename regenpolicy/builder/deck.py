"""The submission deck of an edition: ``<edition>-deck.pptx`` and ``<edition>-deck.pdf``.

Built from what the edition's build already has: the profile's deck (``Profile.deck``), the executed
notebooks' glue store (their ``numbers``), each figure's published data (``<ID>.data.csv``) and
frame (``<ID>.figure.json``: the readers' table, its 出所, the print specification). The slide model
(``regenpolicy.presentation.deck``) is written twice: as PowerPoint (``slides_pptx``) and as HTML, a
page per slide (``deck_slide.html.j2``), that Chromium prints the way it prints the report
(``pdf.Printer``: fonts embedded, one bookmark per slide) and that ``pdfjoin`` joins. The slides are
printed in runs of ``SLIDES_PER_DOCUMENT`` a document, the documents at the same time: a browser
page costs more than the slides on it, so printing each slide alone took four times as long; each
document is kept in the cache under the hash of what it was printed from, so an edit reprints only
the runs whose slides changed. The charts' pictures are the print SVGs the pages already drew
(``draw``, the build's cache), rasterised once per figure content for the PowerPoint file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regenpolicy.builder.execute import Result
from regenpolicy.builder.pdf import LINK_PREFIX, Chromium, PdfError, Printer, document_info
from regenpolicy.builder.profile import Profile, ProfileError
from regenpolicy.builder.registry import Registry
from regenpolicy.data import Dataset, Problem
from regenpolicy.presentation import deck as model
from regenpolicy.presentation import draw
from regenpolicy.presentation.fonts import FONT
from regenpolicy.presentation.templating import render

UNIT = re.compile(r"^(.*) \[[^\]]*\]$")
SLIDES_PER_DOCUMENT = 12  # slides printed in one browser page (44 slides: 4 documents, printed at once)


class DeckBuildError(Exception):
    """The deck could not be made; the message says which slide and why."""


@dataclass(frozen=True)
class Built:
    pptx: Path
    pdf: Path | None
    slides: int
    printed: int  # documents (runs of slides) Chromium printed afresh (the rest came from the cache)
    documents: int  # documents the deck's PDF was joined from
    seconds: float


def _published(path: Path) -> list[dict[str, Any]]:
    """The figure's published data (``<ID>.data.csv``), headers without their ``[unit]``."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return [{(UNIT.match(k).group(1) if UNIT.match(k) else k): v for k, v in r.items()} for r in rows]  # type: ignore[union-attr]


def figure_info(fig: str, notebook: str, headline: str | None, frames: Path) -> model.FigureInfo:
    frame = json.loads((frames / f"{fig}{draw.FRAME_SUFFIX}").read_text(encoding="utf-8"))
    about = dict(frame["about"])
    data = frames / f"{fig}.data.csv"
    unit = about.get("単位", "")
    return model.FigureInfo(
        id=fig, notebook=notebook, headline=headline, is_table=frame.get("print") is None,
        heading=about.get("図表", fig), source=about.get("出所", ""), unit="" if unit == "—" else unit,
        columns=frame["columns"], rows=frame["rows"], spec=frame.get("print"),
        data=_published(data) if data.is_file() else None)


def assumptions(dataset: Dataset, figures: list[str]) -> list[list[str]]:
    """The appendix: every model parameter with status ``assumption`` of the deck's figures."""
    frame = dataset.frames.get("model_parameters")
    if frame is None:
        return []
    from regenpolicy.models.parameters import declared

    classes = declared()
    rows = frame[(frame["status"] == "assumption") & frame["model"].isin(figures)]
    out = []
    for r in rows.itertuples():
        spec = classes[str(r.model)].specs()[str(r.parameter)]  # label and unit: the model's class
        out.append([str(r.model), spec.label, model._shown(r.value), spec.unit, str(r.basis)])
    return out


def slide_figures(profile: Profile) -> list[str]:
    """The figures the edition's deck shows, in its order (none without a deck)."""
    return [s.figure for s in profile.deck.slides if isinstance(s, model.FigureSlide)] if profile.deck else []


def slide_list(profile: Profile, registry: Registry, dataset: Dataset, results: Mapping[str, Result]) -> list[model.Slide]:
    """The deck's slides from the executed notebooks; a slide that cannot be made names its place in the profile."""
    assert profile.deck is not None
    owners = registry.figures
    wanted = slide_figures(profile)
    infos = {f: figure_info(f, owners[f], registry.steps[owners[f]].figures[f].headline, results[owners[f]].figures)
             for f in wanted}
    numbers = {name: r.numbers for name, r in results.items()}
    edition = model.Edition(profile.id, profile.title, profile.date, profile.author, profile.site_url)
    try:
        return model.slides(profile.deck, edition, infos, numbers, assumptions(dataset, wanted))
    except model.DeckError as exc:
        raise ProfileError([profile.problem(tuple(str(p.path[0]).split(".")) + tuple(p.path[1:]), p.message)
                            for p in exc.problems]) from None
    except KeyError as exc:
        raise DeckBuildError(f"{profile.path}: deck: {exc.args[0]}") from None


def build_deck(profile: Profile, registry: Registry, dataset: Dataset, results: Mapping[str, Result], out: Path,
               cache: Path, *, pdf: bool = True, chromium: Chromium | None = None) -> Built:
    """Write ``<out>/<id>-deck.pptx`` (and ``-deck.pdf``, printed in ``chromium`` where the build shares one)."""
    started = time.monotonic()
    assert profile.deck is not None
    slides = slide_list(profile, registry, dataset, results)
    size = model.SIZES[profile.deck.size]
    owners = registry.figures
    out.mkdir(parents=True, exist_ok=True)
    drawn = cache  # the print SVGs the pages drew (draw.print_svg), not drawn again

    def frame_file(fig: str) -> Path:
        return results[owners[fig]].figures / f"{fig}{draw.FRAME_SUFFIX}"

    def picture(fig: str) -> tuple[bytes, bytes, tuple[int, int]]:
        from PIL import Image

        svg, _ = draw.print_svg(frame_file(fig), drawn)
        png, _ = draw.print_png(frame_file(fig), drawn)
        with Image.open(io.BytesIO(png)) as im:
            return svg.encode("utf-8"), png, im.size

    from regenpolicy.presentation import slides_pptx  # (python-pptx: imported when a deck is written)

    pptx = out / f"{profile.id}-deck.pptx"
    slides_pptx.write(slides, size, pptx, profile.title, profile.author, picture)
    printed = documents = 0
    pdf_file: Path | None = None
    if pdf:
        pdf_file = out / f"{profile.id}-deck.pdf"
        printed, documents = _print(slides, size, pdf_file, profile, cache / "deck-pdf" / profile.id, frame_file, drawn,
                                    chromium)
    return Built(pptx, pdf_file, len(slides), printed, documents, time.monotonic() - started)


def slide_html(slide: model.Slide, size: tuple[float, float], svg: str) -> str:
    """One slide as a page for the printer."""
    return slides_html([(slide, svg)], size, slide.title)


def slides_html(pages: list[tuple[model.Slide, str]], size: tuple[float, float], title: str) -> str:
    """Slides (each with its chart's print SVG, or "") as one document for the printer, a page a slide."""
    from markupsafe import Markup

    return str(render("deck_slide.html.j2", pages=[(s, Markup(svg) if svg else "") for s, svg in pages],
                      title=title, width=size[0], height=size[1], font=FONT))


def _print(slides: list[model.Slide], size: tuple[float, float], pdf_file: Path, profile: Profile, cache: Path,
           frame_file: Any, drawn: Path, chromium: Chromium | None = None) -> tuple[int, int]:
    """Print the deck's PDF; (documents printed afresh, documents joined)."""
    from regenpolicy.builder import pdfjoin

    work = pdf_file.parent / f".deck-print-{profile.id}"
    work.mkdir(exist_ok=True)  # (in the deck's folder: gone, with the build's, after Ctrl-C, it is not made again)
    page = {"width": f"{size[0]}in", "height": f"{size[1]}in", "margin": {"top": "0", "bottom": "0", "left": "0", "right": "0"},
            "prefer_css_page_size": True}
    printer = Printer(work, cache, page=page, chromium=chromium)
    shown = [(s, draw.print_svg(frame_file(s.figure), drawn)[0] if s.figure and not s.table else "") for s in slides]
    runs = [shown[i:i + SLIDES_PER_DOCUMENT] for i in range(0, len(shown), SLIDES_PER_DOCUMENT)]
    jobs: list[tuple[str, str, str | None]] = [
        (f"slides-{part[0][0].number}", slides_html(part, size, profile.title), None) for part in runs]

    try:
        parts = printer.run(printer.print_all(jobs))
        edition = {"title": profile.title, "author": profile.author, "description": profile.description,
                   "id": profile.id, "date": profile.date}
        fonts = pdfjoin.FontStore(cache / "fonts")
        pages = pdfjoin.join(parts, pdf_file, overlay=None, info=document_info(edition), link_prefix=LINK_PREFIX,
                             fonts=fonts)
        fonts.prune()
    except (PdfError, ValueError, OSError) as exc:
        raise DeckBuildError(f"printing the deck failed: {exc}") from None
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    if pages != len(slides):
        raise DeckBuildError(f"the deck printed {pages} pages for {len(slides)} slides: a slide overflows its page")
    printer.prune()
    return printer.printed, len(jobs)


__all__ = ["Built", "DeckBuildError", "Problem", "build_deck", "slide_list"]
