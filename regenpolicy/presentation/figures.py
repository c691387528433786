"""Charts and tables as the report shows them: one theme, and one way to publish each.

``publish`` writes the figure's files into the edition's figure folder — the machine-readable
``<ID>.data.csv`` and ``<ID>.figure.json``, what the build draws the readers' CSV and Excel, SVG and
2× PNG from (``regenpolicy.presentation.draw``: drawn once, outside the kernel, kept by content) —
and returns what the notebook displays: its number and title (an h2), the unit
the chart is drawn in, the chart (drawn in the browser by the site's own vega scripts,
``book/_static/regen-charts.js``: no CDN, fitted to the screen, keyboard tooltips), the place of the
same chart as inline SVG for print (filled in by the build), a text alternative generated from the data, the 出所 (each a link to its row
in the sources table) and notes, the data as a table, the downloads, a permalink and a citation.
The HTML comes from the templates ``templates/figure.html.j2``, ``table_figure.html.j2``,
``table_block.html.j2`` and ``data_table.html.j2`` (``regenpolicy.presentation.templating``:
autoescaped; the code passes data).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
from markupsafe import Markup

from regenpolicy.presentation import describe, downloads, draw, escape
from regenpolicy.presentation.fonts import FONT
from regenpolicy.presentation.templating import render

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
    """A download: text cells that a spreadsheet would read as formulas are neutralised; numbers to 10
    significant digits (``downloads.significant``: never 0.30000000000000004, a small share keeps its digits)."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape.csv_cell)
        elif pd.api.types.is_float_dtype(safe[col]):
            safe[col] = pd.Series([downloads.significant(v) for v in safe[col]], index=safe.index, dtype=object)
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


def source_links(sources: pd.DataFrame) -> list[tuple[str, str | None]]:
    """出所 as the foot shows them: each source's text and the address of its row in the sources table."""
    return [(format_source(row),
             f"{APPENDIX_PAGE}#{source_anchor(row['source_id'])}" if isinstance(row.get("source_id"), str) else None)
            for _, row in sources.iterrows()]


def _note(notes: Sequence[str]) -> str:
    return "。".join(notes)


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

    def __init__(self, html_text: Markup, plain: str):
        self._html = str(html_text)
        self._plain = plain

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._html, "text/plain": self._plain}

    @property
    def html(self) -> str:
        return self._html


def caption_unit(units: Mapping[str, str], unit: str | None) -> str:
    """The caption's unit line: the chart's unit when given, else the units of the plotted columns."""
    return unit if unit is not None else "、".join(sorted(set(units.values())))


YEAR_HEADER = re.compile(r"(?:年|年度)$")  # a column of years (年, 年度, 承認年): 2020, not 2,020


def data_table(frame: pd.DataFrame, caption: str) -> dict[str, Any]:
    """A reader table (``downloads.reader_table``) for ``data_table.html.j2``: numbers with thousands
    separators (not years) and the digits after the point the column declares (else as cleaned; never
    an exponent)."""
    declared = downloads.decimals_of(frame)
    formats: dict[str, Format] = {c: functools.partial(_shown_number, decimals=declared.get(str(c)),
                                                       grouped=not YEAR_HEADER.search(str(c))) for c in frame.columns}
    return table_context(frame, caption, formats, classes="regen-table regen-data-table")


def _shown_number(value: Any, decimals: int | None = None, grouped: bool = True) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return downloads.shown_number(float(value), decimals, grouped=grouped)
    return str(value)


def publish(out: Path, fig_id: str, chart: alt.TopLevelMixin, data: pd.DataFrame, *, title: str,
            sources: pd.DataFrame, units: Mapping[str, str], notes: Sequence[str] | None = None,
            unit: str | None = None, values: Mapping[str, Mapping[Any, str]] | None = None,
            labels: Mapping[str, str] | None = None, decimals: Mapping[str, int] | None = None) -> Figure:
    """Write the figure's files into ``out`` and return the displayable figure with its caption.

    ``units`` are the units of the columns of ``data`` (the downloads' headers); ``unit`` is the
    unit the chart is drawn in, for the caption (default: the columns' units); ``values`` names
    coded values the downloads should show in words (``{"therapy": {"once": "一度きりの治療"}}``);
    ``labels`` and ``decimals`` are the columns' Japanese names and digits after the point (the
    figure's declaration), used by the downloads and the page's data table.
    """
    anchor = f"fig-{fig_id.lower()}"
    fig_no = f"図 {fig_id}"
    write_csv(data.rename(columns={c: f"{c} [{u}]" for c, u in units.items() if c in data.columns}),
              out / f"{fig_id}.data.csv")
    notes_all = list(notes or []) + caption_notes(data)
    cited = source_text(sources)
    shown_unit = caption_unit(units, unit)
    reader = downloads.reader_table(data, units, values, labels, decimals)
    spec = chart.to_dict()
    spec["description"] = describe.describe(spec, fig_no, title)
    # the SVG is one labelled image (its description); the values are in the data table and tooltips
    spec.setdefault("config", {})["aria"] = False
    _downloads(out, fig_id, reader, heading=f"{fig_no} {title}", unit=shown_unit, cited=cited, notes=notes_all,
               spec=spec)

    body = render("figure.html.j2", anchor=anchor, fig_id=fig_id, fig_no=fig_no, title=title, unit=shown_unit,
                  # where the build puts the chart's print SVG (drawn outside the kernel, draw.fill_print)
                  print_place=Markup(draw.print_place(fig_id)), description=spec["description"],
                  sources=source_links(sources), note=_note(notes_all),
                  table=data_table(reader, f"{fig_no} のデータ"), spec=spec)
    return Figure(body, f"{fig_no} {title}\n出所：{cited}")


def _cell(value: Any, fmt: Format | None, multiline: bool, link: bool = False) -> tuple[str, Any]:
    """A cell as ``data_table.html.j2`` shows it: (text, word, number, lines or link; the value). A number
    never breaks across lines (``td.regen-num``), on a phone or in the PDF, nor does a short word."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "text", "—"
    if link:
        return "link", value
    if fmt is not None:
        shown = fmt(value) if callable(fmt) else fmt.format(value)
    else:
        shown = str(value)
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy bool_ is not Real
    if is_number and not multiline:
        return "number", shown
    if LONG_TOKEN.search(shown):
        return ("long-lines" if multiline else "long"), shown
    if multiline:
        return "lines", shown
    return ("word" if len(shown) <= WORD_CHARS and not any(c.isspace() for c in shown) else "text"), shown


# A text cell this short (仮定, 市場拡大再算定, 75/100) is one word: it never breaks (``td.regen-word``). Without
# that, a table with one long column squeezes its short ones to a character per line in the PDF.
WORD_CHARS = 8
# A run of Latin letters, digits and signs with no space this long (a pasted address, an identifier, a string
# of one letter) has nowhere to break: its cell may break anywhere (``td.regen-long``), or in print its column
# would be wider than the page and cut at the page's edge. Japanese breaks between its characters anyway.
LONG_TOKEN = re.compile(r"[!-~]{30}")


def table_context(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
                  classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = (),
                  row_anchor: tuple[str, str] | None = None) -> dict[str, Any]:
    """What ``data_table.html.j2`` shows of ``frame``: its headers, and each row's anchor and cells."""
    formats = formats or {}
    anchor_at = list(frame.columns).index(row_anchor[0]) if row_anchor is not None else None
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = [_cell(v, formats.get(c), c in multiline, c in links)
                 for c, v in zip(frame.columns, record, strict=True)]
        row_id = None
        if row_anchor is not None and anchor_at is not None:
            row_id = row_anchor[1] + re.sub(r"[^A-Za-z0-9_-]", "-", str(record[anchor_at]))
        rows.append({"id": row_id, "cells": cells})
    return {"caption": caption, "classes": classes, "columns": [str(c) for c in frame.columns], "rows": rows}


def html_table(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
               classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = (),
               row_anchor: tuple[str, str] | None = None) -> Markup:
    """A table as HTML in its own scrolling box: every header and cell escaped; ``multiline``
    columns keep their line breaks, ``links`` columns hold addresses shown as links when they are
    http(s); ``row_anchor`` = (column, prefix) gives each row the anchor prefix + its value."""
    return render("data_table.html.j2", table=table_context(frame, caption, formats, classes=classes,
                                                             multiline=multiline, links=links, row_anchor=row_anchor))


def table(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
          classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = (),
          row_anchor: tuple[str, str] | None = None) -> Figure:
    """A table shown on the page (no download): no index, formatted numbers, a caption.

    A caption that starts with a table number (``表 P1-1 …``) gives the table the anchor ``tbl-p1-1``
    that references in the prose link to."""
    number_match = re.match(r"表\s*([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\s", caption)
    body = render("table_block.html.j2", block_id=f"tbl-{number_match.group(1).lower()}" if number_match else None,
                  table=table_context(frame, caption, formats, classes=classes, multiline=multiline, links=links,
                                      row_anchor=row_anchor))
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
    shown = table_context(frame, f"表 {table_id} {title}", formats, classes="regen-table regen-text-table",
                          multiline=multiline)
    body = render("table_figure.html.j2", anchor=anchor, table_id=table_id, title=title, table=shown,
                  sources=source_links(sources), note=_note(notes_all))
    return Figure(body, f"表 {table_id} {title}\n出所：{cited}")


def vega_bundle() -> str:
    """vega + vega-lite + vega-embed for the site, wrapped so its globals cannot clash."""
    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    import vl_convert as vlc

    bundle = vlc.javascript_bundle(None, vl_version=vl_version)  # type: ignore[arg-type]  # None: the default snippet
    return "(function () {\n" + bundle + "\n})();\n"


def tornado_chart(out: Path, fig_id: str, frame: pd.DataFrame, *, output_title: str, fmt: str, title: str,
                  sources: pd.DataFrame, labels: Mapping[str, str] | None = None,
                  decimals: Mapping[str, int] | None = None) -> Figure:
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
                   labels=labels, decimals=decimals)


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
