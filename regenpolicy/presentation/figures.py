"""Charts and tables as the report shows them: one theme, and one way to publish each.

``publish`` writes the figure's files into the edition's figure folder — the machine-readable
``<ID>.data.csv`` and ``<ID>.figure.json``, what the build draws the readers' CSV and Excel, SVG and
2× PNG from (``regenpolicy.presentation.draw``: drawn once, outside the kernel, kept by content) —
and returns what the notebook displays: its number and title (an h2), the unit
the chart is drawn in, the chart (drawn in the browser by the site's own vega scripts,
``book/_static/regen-charts.js``: no CDN, fitted to the screen, keyboard tooltips), the place of the
same chart as inline SVG for print (filled in by the build), a text alternative generated from the data, the 出所 (each a link to its row
in the sources table) and notes, the data as a table, the downloads, a permalink and a citation.
Every string that reaches HTML goes through ``regenpolicy.presentation.escape``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from regenpolicy.presentation import describe, downloads, draw, escape

# BIZ UDPGothic (Morisawa, Debian fonts-morisawa-bizud-gothic) is a TrueType font with a real
# bold weight: Chromium embeds it in the PDF as text. CFF fonts such as Noto CJK, and any font
# made bold synthetically (IPAex has no bold), are embedded as Type 3 glyphs instead.
FONT = "BIZ UDPGothic"
STATUS_JA = {"printed": "資料に印字された値", "derived": "印字値から導出した値", "assumption": "仮定値"}
STATUS_SHORT = {"printed": "印字", "derived": "導出", "assumption": "仮定"}
Format = str | Callable[[Any], str]


def theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The report's look: Japanese gothic font everywhere, quiet axes."""
    themed: alt.TopLevelMixin = (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12, gridColor="#e6e6e6")
        .configure_legend(labelFontSize=11, titleFontSize=12, labelLimit=260)
        .configure_title(fontSize=14, anchor="start")
        .configure_view(stroke=None)
    )
    return themed


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A download: text cells that a spreadsheet would read as formulas are neutralised."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape.csv_cell)
    safe.to_csv(path, index=False, lineterminator="\n")


def caption_notes(data: pd.DataFrame, status_column: str = "status") -> list[str]:
    """Notes a reader must see: how many plotted values are derived or assumed."""
    if status_column not in data.columns:
        return []
    counts = data[status_column].value_counts()
    notes = []
    for status in ("derived", "assumption"):
        if counts.get(status, 0):
            notes.append(f"{STATUS_JA[status]}を含む（{counts[status]}件）")
    return notes


def format_source(row: Mapping[str, Any]) -> str:
    date = f"（{row['date']}）" if row.get("date") else ""
    return f"{row['publisher']}「{row['title']}」{date}"


def source_text(sources: pd.DataFrame) -> str:
    return "；".join(format_source(r) for _, r in sources.iterrows())


APPENDIX_PAGE = "z1_data_appendix.html"  # the sources table (表 X-2), beside every figure's page


def source_anchor(source_id: Any) -> str:
    """The anchor of a source's row in the sources table: ``src-<id>``."""
    return "src-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(source_id))


def sources_html(sources: pd.DataFrame) -> str:
    """出所 as links to each source's row in the sources table (appendix)."""
    items = []
    for _, row in sources.iterrows():
        shown = escape.text(format_source(row))
        if isinstance(row.get("source_id"), str):
            shown = (f'<a class="regen-source-link" href="{APPENDIX_PAGE}#{escape.text(source_anchor(row["source_id"]))}">'
                     f"{shown}</a>")
        items.append(shown)
    return "；".join(items)


def _foot(file_id: str, sources: pd.DataFrame, notes: list[str]) -> str:
    """What every figure and table ends with: 出所 (linked), notes, and where its data is in print."""
    parts = [f'<p class="regen-source">出所：{sources_html(sources)}</p>']
    if notes:
        parts.append(f'<p class="regen-note">注：{escape.text("。".join(notes))}。</p>')
    # filled in by the report's Sphinx extension: the data file's address in this edition
    parts.append(f'<p class="regen-print-data" data-file="{escape.text(file_id)}"></p>')
    return '<div class="regen-fig-foot">' + "".join(parts) + "</div>"


def _panel(kind: str, file_id: str, anchor: str, title: str, images: bool) -> str:
    """Downloads, permalink and citation under a figure or table."""
    base = f"../_static/figures/{escape.text(file_id)}"
    hidden = f'<span class="visually-hidden">（{escape.text(kind)} {escape.text(file_id)}）</span>'
    links = [f'<a class="regen-dl regen-dl-csv" href="{base}.csv" download>CSV{hidden}</a>',
             f'<a class="regen-dl regen-dl-xlsx" href="{base}.xlsx" download>Excel{hidden}</a>']
    if images:
        links += [f'<a class="regen-dl regen-dl-svg" href="{base}.svg" download>SVG{hidden}</a>',
                  f'<a class="regen-dl regen-dl-png" href="{base}.png" download>PNG（2倍）{hidden}</a>']
    links.append(f'<a class="regen-permalink" href="#{escape.text(anchor)}">この{escape.text(kind)}へのリンク{hidden}</a>')
    return (f'<div class="regen-panel"><span class="regen-panel-label">ダウンロード：</span>{" ".join(links)}'
            f'<div class="regen-cite" data-kind="{escape.text(kind)}" data-id="{escape.text(file_id)}" '
            f'data-anchor="{escape.text(anchor)}" data-title="{escape.text(title)}"></div></div>')


def _downloads(out: Path, file_id: str, frame: pd.DataFrame, *, heading: str, unit: str, cited: str,
               notes: list[str], spec: dict[str, Any] | None = None) -> None:
    """What ``<ID>.csv`` (BOM, Japanese), ``<ID>.xlsx`` and, for a chart (``spec``), ``<ID>.svg``,
    ``<ID>.png`` and the print SVG are drawn from, outside the kernel (``draw.save_frame``)."""
    about = [("図表", heading), ("単位", unit or "—"), ("出所", cited)] + ([("注", "。".join(notes) + "。")] if notes else [])
    image = None
    if spec is not None:
        footer = [f"単位：{unit}", f"出所：{cited}"] + ([f"注：{'。'.join(notes)}。"] if notes else [])
        image = downloads.export_spec(spec, heading, footer, FONT)
    draw.save_frame(out, file_id, frame, about, print_spec=spec, image_spec=image)


class Figure:
    """What a notebook cell displays for one figure or table."""

    def __init__(self, html_text: str, plain: str):
        self._html = html_text
        self._plain = plain

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._html, "text/plain": self._plain}

    @property
    def html(self) -> str:
        return self._html


def caption_unit(units: Mapping[str, str], unit: str | None) -> str:
    """The caption's unit line: the chart's unit when given, else the units of the plotted columns."""
    return unit if unit is not None else "、".join(sorted(set(units.values())))


def data_table(frame: pd.DataFrame, caption: str) -> str:
    """A reader table (``downloads.reader_table``) as HTML, numbers formatted as on the page."""
    formats = dict.fromkeys(frame.columns, _shown_number)
    return html_table(frame, caption, formats, classes="regen-table regen-data-table")


def _shown_number(value: Any) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return number(float(value))
    return str(value)


def publish(out: Path, fig_id: str, chart: alt.TopLevelMixin, data: pd.DataFrame, *, title: str,
            sources: pd.DataFrame, units: Mapping[str, str], notes: Sequence[str] | None = None,
            unit: str | None = None, values: Mapping[str, Mapping[Any, str]] | None = None,
            labels: Mapping[str, str] | None = None) -> Figure:
    """Write the figure's files into ``out`` and return the displayable figure with its caption.

    ``units`` are the units of the columns of ``data`` (the downloads' headers); ``unit`` is the
    unit the chart is drawn in, for the caption (default: the columns' units); ``values`` names
    coded values the downloads should show in words (``{"therapy": {"once": "一度きりの治療"}}``).
    """
    anchor = f"fig-{fig_id.lower()}"
    fig_no = f"図 {fig_id}"
    write_csv(data.rename(columns={c: f"{c} [{u}]" for c, u in units.items() if c in data.columns}),
              out / f"{fig_id}.data.csv")
    notes_all = list(notes or []) + caption_notes(data)
    cited = source_text(sources)
    shown_unit = caption_unit(units, unit)
    reader = downloads.reader_table(data, units, values, labels)
    spec = chart.to_dict()
    spec["description"] = describe.describe(spec, fig_no, title)
    # the SVG is one labelled image (its description); the values are in the data table and tooltips
    spec.setdefault("config", {})["aria"] = False
    _downloads(out, fig_id, reader, heading=f"{fig_no} {title}", unit=shown_unit, cited=cited, notes=notes_all,
               spec=spec)

    body = (
        f'<figure class="regen-figure" id="{anchor}" data-regen-kind="図" data-regen-id="{escape.text(fig_id)}" '
        f'data-regen-title="{escape.text(title)}">\n'
        f'<figcaption><h2 class="regen-fig-title"><span class="regen-fig-no">{escape.text(fig_no)}</span> '
        f'{escape.text(title)}</h2><p class="regen-unit">単位：{escape.text(shown_unit)}</p></figcaption>\n'
        f'<div class="regen-chart" id="{anchor}-chart" data-spec="{anchor}-spec" data-name="{escape.text(fig_id)}"></div>\n'
        f"{draw.print_place(fig_id)}\n"
        f'<p class="regen-alt" id="{anchor}-alt">{escape.text(spec["description"])}</p>\n'
        f"{_foot(fig_id, sources, notes_all)}\n"
        f'<details class="regen-data"><summary>{escape.text(fig_no)} のデータ（表）</summary>\n'
        f"{data_table(reader, f'{fig_no} のデータ')}</details>\n"
        f"{_panel('図', fig_id, anchor, title, images=True)}\n"
        f'<script type="application/json" id="{anchor}-spec">{escape.script_json(spec)}</script>\n'
        f"</figure>\n"
    )
    return Figure(body, f"{fig_no} {title}\n出所：{cited}")


def _cell(value: Any, fmt: Format | None, multiline: bool, link: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if link:
        return escape.link(value, classes="regen-url")
    if fmt is not None:
        shown = fmt(value) if callable(fmt) else fmt.format(value)
    else:
        shown = str(value)
    return escape.lines(shown) if multiline else escape.text(shown)


def html_table(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
               classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = (),
               caption_html: str | None = None, row_anchor: tuple[str, str] | None = None) -> str:
    """A table as HTML in its own scrolling box: every header and cell escaped; ``multiline``
    columns keep their line breaks, ``links`` columns hold addresses shown as links when they are
    http(s); ``row_anchor`` = (column, prefix) gives each row the anchor prefix + its value."""
    formats = formats or {}
    head = "".join(f'<th scope="col">{escape.text(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for i, (c, v) in enumerate(zip(frame.columns, record, strict=True)):
            tag = "th" if i == 0 else "td"
            scope = ' scope="row"' if i == 0 else ""
            cells.append(f"<{tag}{scope}>{_cell(v, formats.get(c), c in multiline, c in links)}</{tag}>")
        row_id = ""
        if row_anchor is not None:
            row_id = f' id="{escape.text(row_anchor[1] + re.sub(r"[^A-Za-z0-9_-]", "-", str(record[list(frame.columns).index(row_anchor[0])])))}"'
        rows.append(f"<tr{row_id}>{''.join(cells)}</tr>")
    cap = caption_html if caption_html is not None else escape.text(caption)
    return (f'<div class="regen-table-scroll" tabindex="0" role="region" aria-label="{escape.text(caption)}">'
            f'<table class="{escape.text(classes)}"><caption>{cap}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>")


def table(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
          classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = (),
          row_anchor: tuple[str, str] | None = None) -> Figure:
    """A table shown on the page (no download): no index, formatted numbers, a caption.

    A caption that starts with a table number (``表 P1-1 …``) gives the table the anchor ``tbl-p1-1``
    that references in the prose link to."""
    number_match = re.match(r"表\s*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\s", caption)
    body = html_table(frame, caption, formats, classes=classes, multiline=multiline, links=links,
                      row_anchor=row_anchor)
    if number_match:
        body = f'<div class="regen-table-block" id="tbl-{number_match.group(1).lower()}">{body}</div>'
    return Figure(body, caption)


def publish_table(out: Path, table_id: str, frame: pd.DataFrame, *, title: str, sources: pd.DataFrame,
                  data: pd.DataFrame | None = None, notes: Sequence[str] | None = None,
                  formats: Mapping[str, Format] | None = None, multiline: Sequence[str] = ()) -> Figure:
    """A data table with anchor ``tbl-<id>``, a caption with 出所, its downloads and citation.

    ``frame`` is what the page shows (Japanese column names; ``multiline`` columns keep their
    line breaks) and what the readers' downloads hold; ``data`` is the machine-readable
    ``<ID>.data.csv`` (default: ``frame``). Text tables wrap.
    """
    anchor = f"tbl-{table_id.lower()}"
    csv_data = frame if data is None else data
    write_csv(csv_data, out / f"{table_id}.data.csv")
    notes_all = list(notes or []) + caption_notes(csv_data)
    cited = source_text(sources)
    reader = downloads.reader_table(frame, {})
    _downloads(out, table_id, reader, heading=f"表 {table_id} {title}", unit="", cited=cited, notes=notes_all)
    caption_html = (f'<h2 class="regen-fig-title"><span class="regen-fig-no">表 {escape.text(table_id)}</span> '
                    f"{escape.text(title)}</h2>")
    body_table = html_table(frame, f"表 {table_id} {title}", formats, classes="regen-table regen-text-table",
                            multiline=multiline, caption_html=caption_html)
    body = (f'<div class="regen-table-block" id="{anchor}" data-regen-kind="表" data-regen-id="{escape.text(table_id)}" '
            f'data-regen-title="{escape.text(title)}">\n{body_table}\n'
            f"{_foot(table_id, sources, notes_all)}\n{_panel('表', table_id, anchor, title, images=False)}\n</div>\n")
    return Figure(body, f"表 {table_id} {title}\n出所：{cited}")


def vega_bundle() -> str:
    """vega + vega-lite + vega-embed for the site, wrapped so its globals cannot clash."""
    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    import vl_convert as vlc

    bundle = vlc.javascript_bundle(None, vl_version=vl_version)  # type: ignore[arg-type]  # None: the default snippet
    return "(function () {\n" + bundle + "\n})();\n"


def tornado_chart(out: Path, fig_id: str, frame: pd.DataFrame, *, output_title: str, fmt: str, title: str,
                  sources: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Figure:
    """A tornado chart of a one-way sensitivity table (``sensitivity.tornado`` with labels)."""
    base = float(frame["base_output"].iloc[0])
    rows = []
    for r in frame.itertuples():
        for side, value, output in (("低", r.low, r.output_low), ("高", r.high, r.output_high)):
            rows.append({"parameter": r.parameter, "label": r.label if isinstance(r.label, str) else r.parameter,
                         "side": side, "value": value, "output": output, "base_output": base, "swing": r.swing})
    long = pd.DataFrame(rows)
    order = list(dict.fromkeys(long["label"]))
    bars = alt.Chart(long).mark_bar(height=14).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)),
        x=alt.X("output:Q", title=output_title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)),
        x2="base_output:Q",
        color=alt.Color("side:N", title="パラメータ", scale=alt.Scale(domain=["低", "高"], range=["#7fb8de", "#1f5f8b"]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("label:N", title="パラメータ"), alt.Tooltip("side:N", title="水準"),
                 alt.Tooltip("value:Q", title="値", format=",.4~g"),
                 alt.Tooltip("output:Q", title=output_title, format=fmt)],
    )
    rule = alt.Chart(pd.DataFrame({"base_output": [base]})).mark_rule(color="#333").encode(x="base_output:Q")
    chart = theme(alt.layer(bars, rule).properties(width=380, height=max(120, 22 * len(order)), title=title))
    return publish(out, fig_id, chart,
                   long[["parameter", "label", "side", "value", "output", "base_output", "swing"]],
                   title=title, sources=sources, units={"value": "パラメータの単位", "output": output_title},
                   unit=_unit_of(output_title), notes=["黒線は基準値での結果。各パラメータを一つずつ変え、他は基準値に固定した"],
                   labels=labels)


def _unit_of(title: str) -> str:
    """The unit in a title such as ``案1の価格（万円）``; the title itself when it names none."""
    match = re.search(r"（([^（）]+)）$", title)
    return match.group(1) if match else title


def number(value: float) -> str:
    """A parameter value as a reader writes it: 32,647,761 / 0.069 / 1.5."""
    value = float(value)
    return f"{int(value):,}" if value.is_integer() else f"{value:,.4g}"


def parameter_table(frame: pd.DataFrame, caption: str) -> Figure:
    """A model's parameters as the report shows them: value, unit, range, kind and basis."""
    shown = pd.DataFrame({
        "パラメータ": frame["label"],
        "値": frame["value"],
        "単位": frame["unit"],
        "範囲": [f"{number(lo)}〜{number(hi)}" if pd.notna(lo) and pd.notna(hi) else "±20%"
               for lo, hi in zip(frame["low"], frame["high"], strict=True)],
        "種類": frame["status"].map(STATUS_SHORT),
        "根拠": frame["basis"],
    })
    return table(shown, caption, {"値": number})


def as_number(value: Any) -> float | int:
    """A glued number as Python int or float (numpy scalars included)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")
