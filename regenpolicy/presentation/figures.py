"""Charts and tables as the report shows them: one theme, and one way to publish each.

``publish`` writes the figure's data (``<ID>.csv``, exactly the plotted numbers with units) and a
static SVG (``<ID>.svg``) into the edition's figure folder, and returns what the notebook displays:
an interactive chart drawn by the site's own copy of vega-embed (no CDN), the same chart as
inline SVG for print, and a caption whose 出所 and notes come from the data's metadata.
Every string that reaches HTML goes through ``regenpolicy.presentation.escape``.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from regenpolicy.presentation import escape

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


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make an SVG's ids unique on a page that holds several charts."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


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


def _caption_tail(file_id: str, sources: str, notes: list[str]) -> list[str]:
    """The caption lines every figure and table ends with: 出所, notes, the data file."""
    parts = [f'<span class="regen-source">出所：{escape.text(sources)}</span>']
    if notes:
        parts.append(f'<span class="regen-note">注：{escape.text("。".join(notes))}。</span>')
    parts.append(
        f'<a class="regen-csv" href="../_static/figures/{escape.text(file_id)}.csv" download>データ（CSV）</a>'
        f'<span class="regen-csv-print">データ：figures/{escape.text(file_id)}.csv</span>'
    )
    return parts


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


def publish(out: Path, fig_id: str, chart: alt.TopLevelMixin, data: pd.DataFrame, *, title: str,
            sources: pd.DataFrame, units: Mapping[str, str], notes: Sequence[str] | None = None) -> Figure:
    """Write ``<ID>.csv`` and ``<ID>.svg`` into ``out`` and return the displayable figure with its caption."""
    anchor = f"fig-{fig_id.lower()}"
    write_csv(data.rename(columns={c: f"{c} [{u}]" for c, u in units.items() if c in data.columns}),
              out / f"{fig_id}.csv")
    spec = chart.to_dict()
    svg = vlc.vegalite_to_svg(json.dumps(spec, ensure_ascii=False))
    (out / f"{fig_id}.svg").write_text(svg, encoding="utf-8")

    cited = source_text(sources)
    parts = [
        f'<span class="regen-fig-no">図 {escape.text(fig_id)}</span> {escape.text(title)}',
        f'<span class="regen-unit">単位：{escape.text("、".join(sorted(set(units.values()))))}</span>',
        *_caption_tail(fig_id, cited, list(notes or []) + caption_notes(data)),
    ]
    body = (
        f'<figure class="regen-figure" id="{anchor}">\n'
        f'<div class="regen-chart" id="{anchor}-chart" role="img" aria-label="{escape.text(title)}"></div>\n'
        f'<div class="regen-print">{_prefix_ids(svg, anchor)}</div>\n'
        f'<figcaption>{"<br>".join(parts)}</figcaption>\n'
        f"</figure>\n"
        f"<script>vegaEmbed('#{anchor}-chart', {escape.script_json(spec)}, "
        '{"renderer": "svg", "actions": {"export": true, "source": false, "compiled": false, "editor": false}})'
        ".catch(function (e) { console.error(e); });</script>\n"
    )
    return Figure(body, f"図 {fig_id} {title}\n出所：{cited}")


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
               classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = ()) -> str:
    """A table as HTML: every header and cell escaped; ``multiline`` columns keep their line breaks,
    ``links`` columns hold addresses shown as links when they are http(s)."""
    formats = formats or {}
    head = "".join(f'<th scope="col">{escape.text(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = "".join(f"<td>{_cell(v, formats.get(c), c in multiline, c in links)}</td>"
                        for c, v in zip(frame.columns, record, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="{escape.text(classes)}"><caption>{escape.text(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def table(frame: pd.DataFrame, caption: str, formats: Mapping[str, Format] | None = None, *,
          classes: str = "regen-table", multiline: Sequence[str] = (), links: Sequence[str] = ()) -> Figure:
    """A table shown on the page (no download): no index, formatted numbers, a caption."""
    return Figure(html_table(frame, caption, formats, classes=classes, multiline=multiline, links=links), caption)


def publish_table(out: Path, table_id: str, frame: pd.DataFrame, *, title: str, sources: pd.DataFrame,
                  data: pd.DataFrame | None = None, notes: Sequence[str] | None = None,
                  formats: Mapping[str, Format] | None = None, multiline: Sequence[str] = ()) -> Figure:
    """A data table with anchor ``tbl-<id>``, a caption with 出所 and its data at ``<ID>.csv``.

    ``frame`` is what the page shows (Japanese column names; ``multiline`` columns keep their
    line breaks); ``data`` is what ``<ID>.csv`` holds (default: ``frame``). Text tables wrap.
    """
    anchor = f"tbl-{table_id.lower()}"
    csv_data = frame if data is None else data
    write_csv(csv_data, out / f"{table_id}.csv")
    body_table = html_table(frame, f"表 {table_id} {title}", formats,
                            classes="regen-table regen-text-table", multiline=multiline)
    cited = source_text(sources)
    parts = _caption_tail(table_id, cited, list(notes or []) + caption_notes(csv_data))
    body = (f'<div class="regen-table-block" id="{anchor}">\n{body_table}\n'
            f'<p class="regen-table-caption">{"<br>".join(parts)}</p>\n</div>\n')
    return Figure(body, f"表 {table_id} {title}\n出所：{cited}")


def vega_bundle() -> str:
    """vega + vega-lite + vega-embed for the site, wrapped so its globals cannot clash."""
    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    bundle = vlc.javascript_bundle(None, vl_version=vl_version)  # type: ignore[arg-type]  # None: the default snippet
    return "(function () {\n" + bundle + "\n})();\n"


def tornado_chart(out: Path, fig_id: str, frame: pd.DataFrame, *, output_title: str, fmt: str, title: str,
                  sources: pd.DataFrame) -> Figure:
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
                   notes=["黒線は基準値での結果。各パラメータを一つずつ変え、他は基準値に固定した"])


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
