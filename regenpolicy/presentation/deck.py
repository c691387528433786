"""The submission deck's slides: what each slide says and shows, from the profile's declaration.

An edition is presented as slides (an 意見陳述 at 中医協, a briefing): a title slide, an agenda, one
slide per chosen figure or table with its finding as a headline, section dividers, the proposals,
a closing slide and an appendix of the assumptions. The profile declares the deck (``deck:``,
:class:`DeckFile`); this module turns that declaration, the figures' declarations (their
``headline``), the glued numbers of the executed notebooks and each figure's published data into
a list of :class:`Slide` — pure data, laid out on the page in inches. Both writers read the same
slides: the PowerPoint file (``regenpolicy.presentation.pptx``) and the HTML that Chromium prints
to the deck's PDF (``templates/deck_slide.html.j2``).

A headline is a sentence with placeholders for the figure's glue keys (``{m1_total_last:,.0f}``,
formatted exactly as the site's ``{glue:text}`` role formats them); the sentence itself may hold no
digit, so that no number on a slide is typed by hand. Whether a text fits its box is estimated
from the font size (a CJK character is 1 em wide, other characters ``LATIN_EM``): a declared text
that cannot fit is refused before anything runs, a glued one after the notebooks ran.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from regenpolicy.models.declaration import FIGURE_ID

LATIN_EM = 0.6  # the width of a non-CJK character, in em (BIZ UDPGothic's widest common Latin ~0.6)
LINE = 1.25  # line height, in em
POINT = 1 / 72  # inch
SIZES = {"16:9": (13.333, 7.5), "a4": (11.693, 8.268)}  # inches: 16:9 widescreen, A4 landscape
GLUE_WIDTH = 14  # characters a glued number may take, when a headline is checked before the run
MAX_TEXT = 400
DIGITS = re.compile(r"[0-9０-９]")


# --- the declaration (the profile's ``deck:``) ------------------------------------------------------

class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _plain(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n"), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; write plain text")
    return value


Words = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_TEXT)]


class _Text(_Form):
    @field_validator("*", mode="after")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _plain(value)
        if isinstance(value, tuple | list):
            for v in value:
                if isinstance(v, str):
                    _plain(v)
        return value


class TitleSlide(_Text):
    slide: Literal["title"]


class AgendaSlide(_Text):
    slide: Literal["agenda"]
    title: Words = "本日の内容"


class SectionSlide(_Text):
    slide: Literal["section"]
    title: Words


class FigureSlide(_Text):
    slide: Literal["figure"]
    figure: Annotated[str, StringConstraints(strict=True, pattern=FIGURE_ID, max_length=32)]
    headline: Words | None = None  # default: the figure's declared headline
    chart: Literal["auto", "native", "picture"] = "auto"  # native: a PowerPoint chart, refused if it cannot map


class ProposalsSlide(_Text):
    slide: Literal["proposals"]
    title: Words = "提言"
    items: Annotated[tuple[Words, ...], Field(min_length=1, max_length=6)]


class ClosingSlide(_Text):
    slide: Literal["closing"]
    title: Words = "ご清聴ありがとうございました"
    text: Words | None = None


class AppendixSlide(_Text):
    slide: Literal["appendix"]
    title: Words = "付録：仮定値の一覧"


SlideForm = Annotated[TitleSlide | AgendaSlide | SectionSlide | FigureSlide | ProposalsSlide | ClosingSlide
                      | AppendixSlide, Field(discriminator="slide")]


class DeckFile(_Text):
    """The form of a profile's ``deck:``."""

    meeting: Words  # 中央社会保険医療協議会 薬価専門部会 意見陳述
    date: Words | None = None  # default: the edition's date
    presenter: Words | None = None
    organisation: Words | None = None  # default: the edition's author
    size: Literal["16:9", "a4"] = "16:9"
    slides: Annotated[tuple[SlideForm, ...], Field(min_length=1, max_length=80)]


# --- headlines ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A problem in a deck declaration, at ``path`` inside it (the caller adds file, line and column)."""

    path: tuple[str | int, ...]
    message: str


def headline_fields(template: str) -> list[tuple[str, str]]:
    """The (glue key, format) placeholders of a headline; ValueError for a malformed one."""
    out = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if conversion or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"'{{{name}}}' is not a glue key placeholder ({{key}} or {{key:format}})")
        out.append((name, spec or ""))
    return out


def headline_problems(template: str, glue: Sequence[str]) -> list[str]:
    """Why a headline template cannot be used with a notebook's glue keys (empty: it can)."""
    try:
        fields = headline_fields(template)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    literal = "".join(text for text, *_ in string.Formatter().parse(template))
    if DIGITS.search(literal):
        problems.append("a headline's numbers are glued, never typed: write each as {glue_key:format} "
                        f"(the sentence holds the digits {''.join(DIGITS.findall(literal))!r})")
    for name, spec in fields:
        if name not in glue:
            problems.append(f"'{name}' is not a glue key of the figure's notebook (glue: {', '.join(glue) or 'none'})")
            continue
        if not any(_formats(v, spec) for v in (1234.5, 2023)):
            problems.append(f"'{spec}' is not a number format (as in {{glue:text}}`key:,.0f`)")
    return problems


def _formats(value: float | int, spec: str) -> bool:
    try:
        format(value, spec)
    except (ValueError, TypeError):
        return False
    return True


def fill_headline(template: str, numbers: Mapping[str, float | int]) -> tuple[str, list[tuple[str, str]]]:
    """The headline with its numbers, formatted as the site formats its glue; and each (key, shown)."""
    shown: list[tuple[str, str]] = []
    parts = []
    for text, name, spec, _ in string.Formatter().parse(template):
        parts.append(text)
        if name is None:
            continue
        if name not in numbers:
            raise KeyError(f"the glue key '{name}' has no value (did the notebook glue it?)")
        value = format(numbers[name], spec or "")
        shown.append((name, value))
        parts.append(value)
    return "".join(parts), shown


def worst_case(template: str) -> str:
    """The headline with each placeholder as wide as a glued number may be (for the fit check)."""
    return "".join(text + ("0" * GLUE_WIDTH if name is not None else "") for text, name, *_ in string.Formatter().parse(template))


# --- fitting text ------------------------------------------------------------------------------------

def em_width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else LATIN_EM for c in text)


def wrapped_lines(text: str, width_in: float, size_pt: float) -> int:
    """Lines ``text`` takes in a box ``width_in`` wide at ``size_pt`` (breaking anywhere, as Japanese does)."""
    per_line = width_in / (size_pt * POINT)
    lines = 0
    for paragraph in text.split("\n"):
        lines += max(1, math.ceil(em_width(paragraph) / per_line - 1e-9))
    return lines


def fits(text: str, box: Box, size_pt: float) -> bool:
    return wrapped_lines(text, box.w, size_pt) * size_pt * LINE * POINT <= box.h + 1e-9


def fitted_size(text: str, box: Box, sizes: Sequence[float]) -> float | None:
    """The largest of ``sizes`` at which ``text`` fits ``box``; None when none does."""
    return next((s for s in sizes if fits(text, box, s)), None)


# --- the slides --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass
class Text:
    text: str
    box: Box
    size: float  # pt
    bold: bool = False
    align: str = "left"  # left | center | right
    role: str = "body"  # headline | title | body | source | footer | item


@dataclass
class Chart:
    """A chart as a native PowerPoint chart: ``kind`` bar/column (stacked or not), line or scatter."""

    kind: str  # column | column_stacked | bar | bar_stacked | line | scatter
    categories: list[str]
    series: list[tuple[str, list[float | None]]]  # for scatter: x values in ``xs``
    xs: list[list[float]] = field(default_factory=list)
    x_title: str = ""
    y_title: str = ""
    number_format: str = "#,##0"
    colors: list[str] = field(default_factory=list)  # each series' colour (RRGGBB) from the figure's colour scale


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    size: float  # pt
    widths: list[float] = field(default_factory=list)  # each column's share of the table's width


@dataclass
class Slide:
    kind: str  # title | agenda | section | figure | table | proposals | closing | appendix
    number: int
    title: str  # what the bookmark says
    texts: list[Text]
    figure: str = ""  # figure or table id
    body: Box | None = None  # where the chart, picture or table goes
    chart: Chart | None = None  # a native chart
    picture: str = ""  # the figure id whose drawn SVG/PNG is shown (the print SVG)
    table: Table | None = None
    glued: list[tuple[str, str]] = field(default_factory=list)  # (glue key, as shown) in the headline
    declared: int = 0  # the index of the slide in the declaration
    notes: str = ""  # the speaker notes: the figure's title and its 出所 in full

    def key(self, extra: str = "") -> str:
        """What the slide's rendering depends on (the figure's drawing is added by the caller)."""
        return hashlib.sha256((json.dumps(asdict(self), ensure_ascii=False, sort_keys=True) + extra).encode()).hexdigest()


@dataclass
class Layout:
    width: float
    height: float

    @property
    def margin(self) -> float:
        return 0.5

    @property
    def headline(self) -> Box:
        return Box(self.margin, 0.3, self.width - 2 * self.margin, 1.15)

    @property
    def body(self) -> Box:
        return Box(self.margin, 1.55, self.width - 2 * self.margin, self.height - 1.55 - 1.0)

    @property
    def source(self) -> Box:
        return Box(self.margin, self.height - 0.95, self.width - 2 * self.margin, 0.5)

    def footer(self, part: int) -> Box:
        third = (self.width - 2 * self.margin) / 3
        return Box(self.margin + part * third, self.height - 0.4, third, 0.28)


HEADLINE_SIZES = (24, 22, 20, 18)
SOURCE_SIZES = (10, 9, 8, 7)
MAX_PUBLISHERS = 6  # a 出所 too long for the foot names this many publishers, then ほかN件
FOOTER_SIZE = 8
TABLE_SIZES = (14, 12, 11, 10, 9, 8)


@dataclass(frozen=True)
class FigureInfo:
    """What the deck needs of one published figure or table."""

    id: str
    notebook: str
    headline: str | None  # the declared template
    is_table: bool
    heading: str  # 図 M1 タイトル / 表 T1 タイトル
    source: str  # 出所 text
    unit: str = ""
    columns: list[str] = field(default_factory=list)  # the readers' table (figure.json)
    rows: list[list[Any]] = field(default_factory=list)
    spec: Mapping[str, Any] | None = None  # the print specification (charts)
    data: list[dict[str, Any]] | None = None  # the published data (<ID>.data.csv), headers without units


class DeckError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(f"  - {'.'.join(map(str, p.path))}: {p.message}" for p in problems))


def declaration_problems(deck: DeckFile, figures: Mapping[str, tuple[str | None, Sequence[str]]],
                         included: Sequence[str], edition_title: str) -> list[Problem]:
    """Every problem of a deck that can be known before anything runs.

    ``figures``: figure id → (its declared headline, its notebook's glue keys) for every figure of the
    report; ``included``: the figures of this edition."""
    problems: list[Problem] = []
    layout = Layout(*SIZES[deck.size])
    for i, s in enumerate(deck.slides):
        at: tuple[str | int, ...] = ("deck", "slides", i)
        if isinstance(s, FigureSlide):
            if s.figure not in figures:
                problems.append(Problem((*at, "figure"), f"unknown figure id {s.figure!r}; known: {', '.join(sorted(figures))}"))
                continue
            if s.figure not in included:
                problems.append(Problem((*at, "figure"), f"figure {s.figure} is not in this edition's 'figures:'"))
                continue
            declared, glue = figures[s.figure]
            template = s.headline or declared
            if template is None:
                problems.append(Problem(at, f"figure {s.figure} declares no headline (notebooks/*.yml, figures.{s.figure}.headline); "
                                            "write one here as 'headline:'"))
                continue
            problems += [Problem((*at, "headline") if s.headline else at, m) for m in headline_problems(template, glue)]
            if fitted_size(worst_case(template), layout.headline, HEADLINE_SIZES) is None:
                problems.append(Problem((*at, "headline") if s.headline else at,
                                        f"the headline cannot fit the slide ({len(template)} characters; at most two lines "
                                        f"at {HEADLINE_SIZES[-1]} pt)"))
        elif isinstance(s, SectionSlide | AgendaSlide | ProposalsSlide | ClosingSlide | AppendixSlide) \
                and fitted_size(s.title, layout.headline, HEADLINE_SIZES) is None:
            problems.append(Problem((*at, "title"), "the title cannot fit the slide's title line"))
        if isinstance(s, ProposalsSlide):
            for j, item in enumerate(s.items):
                if fitted_size(item, _item_box(layout, j, len(s.items)), (20, 18, 16, 14)) is None:
                    problems.append(Problem((*at, "items", j), "the proposal cannot fit its box on the slide"))
        if isinstance(s, ClosingSlide) and s.text and fitted_size(s.text, _closing_box(layout), (20, 18, 16, 14)) is None:
            problems.append(Problem((*at, "text"), "the text cannot fit the slide"))
    title_box = _title_box(layout)
    if fitted_size(edition_title, title_box, TITLE_SIZES) is None:
        problems.append(Problem(("title",), "the edition's title cannot fit the deck's title slide"))
    if fitted_size(deck.meeting, _meeting_box(layout), (20, 18, 16)) is None:
        problems.append(Problem(("deck", "meeting"), "cannot fit the title slide"))
    agendas = [i for i, s in enumerate(deck.slides) if isinstance(s, AgendaSlide)]
    sections = [s for s in deck.slides if isinstance(s, SectionSlide)]
    if agendas and not sections:
        problems.append(Problem(("deck", "slides", agendas[0]), "an agenda lists the section slides; the deck has none"))
    if agendas and len(sections) > 10:
        problems.append(Problem(("deck", "slides", agendas[0]), f"an agenda of {len(sections)} sections cannot fit one slide (at most 10)"))
    return problems


TITLE_SIZES = (32, 28, 24, 20, 18, 16, 14, 12)


def _title_box(layout: Layout) -> Box:
    return Box(layout.margin + 0.3, 1.9, layout.width - 2 * layout.margin - 0.6, layout.height - 1.9 - 2.1)


def _who_box(layout: Layout) -> Box:
    return Box(layout.margin + 0.3, layout.height - 2.0, layout.width - 2 * layout.margin - 0.6, 1.2)


def _meeting_box(layout: Layout) -> Box:
    return Box(layout.margin + 0.3, 0.9, layout.width - 2 * layout.margin - 0.6, 0.9)


def _item_box(layout: Layout, j: int, n: int) -> Box:
    body = layout.body
    h = body.h / max(n, 1)
    return Box(body.x + 0.2, body.y + j * h, body.w - 0.4, h - 0.1)


def _closing_box(layout: Layout) -> Box:
    return Box(layout.margin + 0.5, layout.height / 2, layout.width - 2 * layout.margin - 1.0, 1.5)


# --- charts that map onto PowerPoint's --------------------------------------------------------------

def _views(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if "layer" in spec:
        return [v for layer in spec["layer"] for v in _views(layer)]
    return [spec]


def _mark(view: Mapping[str, Any]) -> str:
    mark = view.get("mark")
    return str(mark.get("type") if isinstance(mark, Mapping) else mark or "")


def _field(channel: Any) -> tuple[str, str, str]:
    """(field, type, aggregate) of an encoding channel; shorthand ``sum(value):Q`` included."""
    if not isinstance(channel, Mapping):
        return "", "", ""
    name = str(channel.get("field", "")) if not isinstance(channel.get("field"), Mapping) else ""
    kind = str(channel.get("type", ""))
    aggregate = str(channel.get("aggregate", ""))
    return name, kind, aggregate


def _title(channel: Any, fallback: str) -> str:
    if isinstance(channel, Mapping) and isinstance(channel.get("title"), str):
        return str(channel["title"])
    return fallback


def native_chart(spec: Mapping[str, Any] | None, data: Sequence[Mapping[str, Any]] | None) -> Chart | None:
    """The chart as a PowerPoint chart when its marks map (bars, stacked bars, lines, scatter) and its
    fields are columns of the published data; None otherwise (the slide shows the drawn picture)."""
    if not spec or not data:
        return None
    views = [v for v in _views(spec) if _mark(v) in ("bar", "line", "point", "circle") and "encoding" in v]
    if len(views) != 1 or any("transform" in v for v in (spec, *views)) or "facet" in spec or "concat" in spec:
        return None  # several plotted marks, transforms or facets: PowerPoint's charts cannot say it the same way
    view = views[0]
    enc = view["encoding"]
    if any(k in enc for k in ("x2", "y2", "xOffset", "yOffset", "theta", "row", "column", "facet")):
        return None
    (xf, xt, xa), (yf, yt, ya) = _field(enc.get("x")), _field(enc.get("y"))
    cf, _, _ = _field(enc.get("color"))
    columns = set(data[0])
    if not xf or not yf or not all(f in columns for f in (xf, yf) + ((cf,) if cf else ())):
        return None
    mark = _mark(view)
    if mark in ("point", "circle"):
        if xt != "quantitative" or yt != "quantitative" or xa or ya:
            return None
        groups: dict[str, list[tuple[float, float]]] = {}
        for row in data:
            if _number(row[xf]) is None or _number(row[yf]) is None:
                continue
            groups.setdefault(str(row[cf]) if cf else _title(enc.get("y"), yf), []).append(
                (_number(row[xf]), _number(row[yf])))  # type: ignore[arg-type]
        return Chart("scatter", [], [(k, [p[1] for p in v]) for k, v in groups.items()],
                     xs=[[p[0] for p in v] for v in groups.values()],
                     x_title=_title(enc.get("x"), xf), y_title=_title(enc.get("y"), yf))
    horizontal = yt in ("nominal", "ordinal") and xt == "quantitative"
    cat, cat_agg, val, val_agg = (yf, ya, xf, xa) if horizontal else (xf, xa, yf, ya)
    if cat_agg or val_agg not in ("", "sum") or (mark == "line" and horizontal):
        return None
    if not horizontal and not (xt in ("nominal", "ordinal", "temporal") or (mark == "line" and xt == "quantitative")
                               or (xt == "quantitative" and _evenly_spaced([r[xf] for r in data]))):
        return None  # bars on a number scale with uneven steps (2020, 2025, 2026): a category axis would misplace them
    categories = list(dict.fromkeys(_category(r[cat]) for r in data))
    names = list(dict.fromkeys(str(r[cf]) for r in data)) if cf else [_title(enc.get("x" if horizontal else "y"), val)]
    values: dict[tuple[str, str], float | None] = {}
    for r in data:
        key = (_category(r[cat]), str(r[cf]) if cf else names[0])
        v = _number(r[val])
        if v is None:
            continue
        if key in values and not val_agg:
            return None  # two values for one bar without an aggregate: not a bar chart PowerPoint draws the same
        values[key] = (values.get(key) or 0.0) + v
    stacked = bool(cf) and mark == "bar"
    kind = {("bar", False): "bar" if horizontal else "column", ("bar", True): "bar_stacked" if horizontal else "column_stacked",
            ("line", False): "line"}[(mark, stacked)]
    series = [(n, [values.get((c, n)) for c in categories]) for n in names]
    colors = _colors(enc.get("color"), names) if cf else []
    axis = enc.get("y" if not horizontal else "x")
    fmt = axis.get("axis", {}).get("format", "") if isinstance(axis, Mapping) and isinstance(axis.get("axis"), Mapping) else ""
    return Chart(kind, categories, series, x_title=_title(enc.get("x"), xf), y_title=_title(enc.get("y"), yf),
                 number_format=_excel_format(str(fmt)), colors=colors)


def _colors(channel: Any, names: Sequence[str]) -> list[str]:
    """The series' colours as the figure draws them (its colour scale's domain → range), where it names them."""
    scale = channel.get("scale") if isinstance(channel, Mapping) else None
    if not isinstance(scale, Mapping) or not isinstance(scale.get("domain"), list) or not isinstance(scale.get("range"), list):
        return []
    colors = dict(zip(map(str, scale["domain"]), scale["range"], strict=False))
    out = [str(colors.get(n, "")).lstrip("#") for n in names]
    return out if all(re.fullmatch(r"[0-9A-Fa-f]{6}", c) for c in out) else []


def _evenly_spaced(values: Sequence[Any]) -> bool:
    """The distinct values are numbers one step apart (years 2020, 2025, 2030): on a category axis each
    stands where a number axis would put it."""
    found = {_number(v) for v in values}
    numbers = sorted(n for n in found if n is not None)
    if len(numbers) < 2 or None in found:
        return False
    return len({round(b - a, 9) for a, b in itertools.pairwise(numbers)}) == 1


def _category(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _excel_format(d3: str) -> str:
    """A d3 number format (``,.0f``, ``.1%``) as an Excel one."""
    m = re.fullmatch(r"(,)?\.(\d)([f%])", d3)
    if not m:
        return "#,##0" if d3.startswith(",") or not d3 else "General"
    digits = int(m.group(2))
    base = ("#,##0" if m.group(1) else "0") + ("." + "0" * digits if digits else "")
    return base + ("%" if m.group(3) == "%" else "")


# --- the slide list ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    date: str
    author: str
    site_url: str = ""


def _footer(layout: Layout, left: str, edition: Edition, number: int, total: int) -> list[Text]:
    return [Text(left, layout.footer(0), FOOTER_SIZE, role="footer"),
            Text(f"{edition.id}（{edition.date}）", layout.footer(1), FOOTER_SIZE, align="center", role="footer"),
            Text(f"{number} / {total}", layout.footer(2), FOOTER_SIZE, align="right", role="footer")]


def _sized(text: str, box: Box, sizes: Sequence[float], what: str, **kwargs: Any) -> Text:
    size = fitted_size(text, box, sizes)
    if size is None:
        raise DeckError([Problem((what,), f"{text[:40]!r}… cannot fit its box on the slide")])
    return Text(text, box, size, **kwargs)


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column's share of the width: by the square root of its longest line (in em), at least a tenth."""
    need = []
    for j, c in enumerate(columns):
        longest = max([em_width(line) for r in rows for line in str(r[j]).split("\n")] + [em_width(c), 2.0])
        need.append(math.sqrt(longest))
    total = sum(need)
    shares = [max(n / total, 0.1 / max(1, len(columns) / 5)) for n in need]
    return [x / sum(shares) for x in shares]


CELL_PAD = 0.1  # inches: a cell's left and right padding together


def table_chunks(columns: Sequence[str], rows: Sequence[Sequence[str]], body: Box) -> list[tuple[list[list[str]], float, list[float]]]:
    """The table split into pieces that fit the body at the largest font possible: (rows, pt, widths) each."""
    widths = column_widths(columns, rows)

    def height(row: Sequence[str], size: float) -> float:
        return max(wrapped_lines(c, body.w * w - CELL_PAD, size) for c, w in zip(row, widths, strict=True)) \
            * size * LINE * POINT + 0.08

    for size in TABLE_SIZES:
        head = height(columns, size)
        if head > body.h / 3:
            continue
        chunks: list[tuple[list[list[str]], float, list[float]]] = []
        current: list[list[str]] = []
        used = head
        ok = True
        pieces = [p for row in rows for p in (_split_row(row, widths, body, size, head)
                                               if size == TABLE_SIZES[-1] else [list(row)])]
        for row in pieces:
            h = height(row, size)
            if head + h > body.h:
                ok = False
                break
            if used + h > body.h:
                chunks.append((current, size, widths))
                current, used = [], head
            current.append(list(row))
            used += h
        if ok:
            chunks.append((current, size, widths))
            if len(chunks) == 1 or size <= 10:
                return _balanced(chunks, [height(r, size) for r in pieces], head, body.h)
    raise DeckError([Problem(("table",), "the table's header cannot fit a slide at 8 pt")])


def _split_row(row: Sequence[str], widths: Sequence[float], body: Box, size: float, head: float) -> list[list[str]]:
    """A row too tall for one slide as several rows, each cell's text continued in the next (nothing left out)."""
    lines = max(1, int((body.h - head - 0.08) / (size * LINE * POINT)))
    parts: list[list[str]] = []
    for cell, share in zip(row, widths, strict=True):
        per_line = (body.w * share - CELL_PAD) / (size * POINT)
        pieces, current, used = [], "", 0.0
        for char in str(cell):
            w = em_width(char)
            if used + w > per_line * lines - 1:  # keep a character's room for the line breaking
                pieces.append(current)
                current, used = "", 0.0
            current += char
            used += w if char != "\n" else per_line
        pieces.append(current)
        parts.append(pieces)
    count = max(len(p) for p in parts)
    return [[p[k] if k < len(p) else "" for p in parts] for k in range(count)]


MAX_PIECES = 12  # slides one declared table may take; the rows beyond are in the last one's notes
MORE = "表の続きはスライドのノート、図のページとデータ（CSV）に"


def _capped(chunks: list[tuple[list[list[str]], float, list[float]]],
            columns: Sequence[str]) -> tuple[list[tuple[list[list[str]], float, list[float]]], str]:
    """At most ``MAX_PIECES`` slides of a table; the rows beyond, as text for the last slide's notes."""
    if len(chunks) <= MAX_PIECES:
        return chunks, ""
    rest = [r for chunk, _, _ in chunks[MAX_PIECES:] for r in chunk]
    return chunks[:MAX_PIECES], "\n".join("\t".join(r) for r in [list(columns), *rest])


def _balanced(chunks: list[tuple[list[list[str]], float, list[float]]], heights: list[float], head: float,
              room: float) -> list[tuple[list[list[str]], float, list[float]]]:
    """The same number of pieces, their rows spread evenly (no last slide holding one row)."""
    rows = [r for chunk, _, _ in chunks for r in chunk]
    size, widths = chunks[0][1], chunks[0][2]
    target = sum(heights) / len(chunks)
    out: list[list[list[str]]] = [[]]
    used = 0.0
    for row, h in zip(rows, heights, strict=True):
        if out[-1] and (used + h > target * 1.05 or head + used + h > room) and len(out) < len(chunks):
            out.append([])
            used = 0.0
        out[-1].append(row)
        used += h
    if any(head + sum(heights[sum(len(c) for c in out[:i]):][:len(c)]) > room for i, c in enumerate(out)):
        return chunks
    return [(c, size, widths) for c in out]


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() else f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def slides(deck: DeckFile, edition: Edition, figures: Mapping[str, FigureInfo],
           numbers: Mapping[str, Mapping[str, float | int]], assumptions: Sequence[Sequence[str]] = ()) -> list[Slide]:
    """The deck's slides in order (a long table continues on as many slides as it needs).

    ``numbers``: notebook → glue key → value (the executed notebooks' glue store); ``assumptions``:
    rows (figure, parameter, value, unit, basis) for the appendix."""
    layout = Layout(*SIZES[deck.size])
    out: list[Slide] = []
    sections = [s.title for s in deck.slides if isinstance(s, SectionSlide)]
    for i, s in enumerate(deck.slides):
        at = f"deck.slides.{i}"
        if isinstance(s, TitleSlide):
            texts = [_sized(deck.meeting, _meeting_box(layout), (20, 18, 16), at, role="body"),
                     _sized(edition.title, _title_box(layout), TITLE_SIZES, at, bold=True, role="title")]
            who = "　".join(x for x in (deck.organisation or edition.author, deck.presenter) if x)
            lines = "\n".join(x for x in (deck.date or edition.date, who) if x)
            texts.append(_sized(lines, _who_box(layout),
                                (18, 16, 14), at, role="body"))
            out.append(Slide("title", 0, edition.title, texts, declared=i))
        elif isinstance(s, AgendaSlide):
            items = "\n".join(f"{n}．{t}" for n, t in enumerate(sections, 1))
            body = Box(layout.body.x + 0.4, layout.body.y, layout.body.w - 0.8, layout.body.h)
            out.append(Slide("agenda", 0, s.title, [Text(s.title, layout.headline, 28, bold=True, role="headline"),
                                                    _sized(items, body, (24, 22, 20, 18, 16), at, role="item")], declared=i))
        elif isinstance(s, SectionSlide):
            n = sections.index(s.title) + 1
            box = Box(layout.margin + 0.5, layout.height / 2 - 1.0, layout.width - 2 * layout.margin - 1.0, 1.6)
            out.append(Slide("section", 0, s.title, [_sized(f"{n}．{s.title}", box, (36, 32, 28, 24), at,
                                                            bold=True, role="title")], declared=i))
        elif isinstance(s, FigureSlide):
            out += _figure_slides(s, i, layout, figures[s.figure], numbers)
        elif isinstance(s, ProposalsSlide):
            texts = [Text(s.title, layout.headline, 28, bold=True, role="headline")]
            for j, item in enumerate(s.items):
                texts.append(_sized(item, _item_box(layout, j, len(s.items)), (20, 18, 16, 14), at, role="item"))
            out.append(Slide("proposals", 0, s.title, texts, declared=i))
        elif isinstance(s, ClosingSlide):
            box = Box(layout.margin + 0.5, layout.height / 2 - 1.4, layout.width - 2 * layout.margin - 1.0, 1.2)
            texts = [_sized(s.title, box, (32, 28, 24), at, bold=True, align="center", role="title")]
            if s.text:
                texts.append(_sized(s.text, _closing_box(layout), (20, 18, 16, 14), at, align="center", role="body"))
            if edition.site_url:
                texts.append(Text(edition.site_url, Box(layout.margin, layout.height - 1.4, layout.width - 2 * layout.margin, 0.4),
                                  14, align="center", role="link"))
            out.append(Slide("closing", 0, s.title, texts, declared=i))
        elif isinstance(s, AppendixSlide):
            columns = ["図", "パラメータ", "値", "単位", "根拠"]
            rows = [list(r) for r in assumptions] or [["—", "この版の図に仮定値はない", "—", "—", "—"]]
            chunks, rest = _capped(table_chunks(columns, rows, layout.body), columns)
            for k, (chunk, size, widths) in enumerate(chunks):
                title = s.title + (f"（{k + 1}）" if len(rows) and k else "")
                foot = "モデルの仮定値（data/model_parameters.csv の status が assumption の行）。根拠は各行のとおり"
                last = k == len(chunks) - 1 and bool(rest)
                out.append(Slide("appendix", 0, title, [Text(title, layout.headline, 24, bold=True, role="headline"),
                                                        Text(foot + (f"。{MORE}" if last else ""), layout.source, 9, role="source")],
                                 body=layout.body, table=Table(columns, chunk, size, widths), declared=i,
                                 notes=rest if last else ""))
    total = len(out)
    for n, slide in enumerate(out, 1):
        slide.number = n
        left = (f"図 {slide.figure}" if slide.kind == "figure" else f"表 {slide.figure}") if slide.figure else ""
        slide.texts += _footer(layout, left, edition, n, total)
    return out


def _source(text: str, layout: Layout, short: str) -> tuple[Text, float]:
    """The 出所 at the foot: on one line where it fits, else on as many as it needs, the chart giving
    way (up to 0.6 in); a 出所 longer still is named by its publishers here and given whole in the
    slide's notes (``Slide.notes``) and on the figure's page."""
    base = layout.source
    # the whole 出所 only where it stays readable (8 pt or more) and takes at most 0.2 in from the chart;
    # else its publishers, which may take a little more
    for candidate, extras, sizes in ((text, (0.0, 0.2), SOURCE_SIZES[:3]), (short, (0.0, 0.2, 0.4, 0.6), SOURCE_SIZES)):
        for extra in extras:
            box = Box(base.x, base.y - extra, base.w, base.h + extra)
            size = fitted_size(candidate, box, sizes)
            if size is not None:
                return Text(candidate, box, size, role="source"), extra
    return Text("出所：スライドのノートと図のページに記載", base, SOURCE_SIZES[0], role="source"), 0.0


def _figure_slides(s: FigureSlide, i: int, layout: Layout, info: FigureInfo,
                   numbers: Mapping[str, Mapping[str, float | int]]) -> list[Slide]:
    at = f"deck.slides.{i}"
    template = s.headline or info.headline or ""
    headline, glued = fill_headline(template, numbers.get(info.notebook, {}))
    head = _sized(headline, layout.headline, HEADLINE_SIZES, at, bold=True, role="headline")
    publishers = list(dict.fromkeys(p.split("「")[0] for p in info.source.split("；") if p))
    named = publishers[:MAX_PUBLISHERS] + ([f"ほか{len(publishers) - MAX_PUBLISHERS}件"] if len(publishers) > MAX_PUBLISHERS else [])
    short = f"出所：{'；'.join(named)}（全文はノート）"
    source, extra = _source(f"出所：{info.source}", layout, short)
    caption = Text(info.heading + (f"（単位：{info.unit}）" if info.unit else ""),
                   Box(layout.body.x, layout.body.y, layout.body.w, 0.3), 11, role="caption")
    body = Box(layout.body.x, layout.body.y + 0.35, layout.body.w, layout.body.h - 0.35 - extra)
    notes = f"{info.heading}\n出所：{info.source}"
    if info.is_table:
        columns = [str(c) for c in info.columns]
        rows = [[_shown(v) for v in r] for r in info.rows]
        chunks, rest = _capped(table_chunks(columns, rows, body), columns)
        out = []
        for k, (chunk, size, widths) in enumerate(chunks):
            last = k == len(chunks) - 1 and bool(rest)
            cap = Text(caption.text + (f"（{k + 1}/{len(chunks)}）" if len(chunks) > 1 else "") + (f"　{MORE}" if last else ""),
                       caption.box, caption.size, role="caption")
            out.append(Slide("table", 0, headline, [head, cap, source], figure=info.id, body=body,
                             table=Table(columns, chunk, size, widths), glued=glued, declared=i,
                             notes=notes + (f"\n{rest}" if last else "")))
        return out
    chart = native_chart(info.spec, info.data) if s.chart != "picture" else None
    if s.chart == "native" and chart is None:
        raise DeckError([Problem((at, "chart"), f"figure {info.id}'s chart does not map onto a PowerPoint chart "
                                                "(bars, stacked bars, lines or scatter of its published columns); "
                                                "declare chart: picture or auto")])
    return [Slide("figure", 0, headline, [head, caption, source], figure=info.id, body=body, chart=chart,
                  picture="" if chart else info.id, glued=glued, declared=i, notes=notes)]


def default_deck(figures: Sequence[str], author: str, audience: str) -> dict[str, Any]:
    """The deck an edition gets when its profile declares none: its figures in reading order."""
    slides: list[dict[str, Any]] = [{"slide": "title"}]
    slides += [{"slide": "figure", "figure": f} for f in figures]
    slides += [{"slide": "closing"}, {"slide": "appendix"}]
    layout = Layout(*SIZES["16:9"])
    meeting = audience if audience.strip() and fitted_size(audience, _meeting_box(layout), (20, 18, 16)) else "説明資料"
    organisation = author if author.strip() and fitted_size(author, _who_box(layout), (18, 16, 14)) else None
    return {"meeting": meeting, "organisation": organisation, "slides": slides}
