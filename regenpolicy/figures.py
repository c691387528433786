"""Charts: one theme, and one way to publish a figure.

``publish`` writes the figure's data (``<ID>.csv``, exactly the plotted numbers with units) and a
static SVG (``<ID>.svg``) into the figures directory, and returns what the notebook displays:
an interactive chart drawn by the site's own copy of vega-embed (no CDN), the same chart as
inline SVG for print, and a caption whose 出所 and notes come from the data's metadata.
"""

from __future__ import annotations

import hashlib
import html
import json
import numbers
import os
import re
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from regenpolicy import ROOT

# BIZ UDPGothic (Morisawa, Debian fonts-morisawa-bizud-gothic) is a TrueType font with a real
# bold weight: Chromium embeds it in the PDF as text. CFF fonts such as Noto CJK, and any font
# made bold synthetically (IPAex has no bold), are embedded as Type 3 glyphs instead.
FONT = "BIZ UDPGothic"
STATUS_JA = {"printed": "資料に印字された値", "derived": "印字値から導出した値", "assumption": "仮定値"}
STATUS_SHORT = {"printed": "印字", "derived": "導出", "assumption": "仮定"}


def figures_dir() -> Path:
    """Where figure files go: ``REGEN_FIGURES_DIR`` when the build sets it, else ``_build/figures``."""
    path = Path(os.environ.get("REGEN_FIGURES_DIR", ROOT / "_build" / "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def theme(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The report's look: Japanese gothic font everywhere, quiet axes."""
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12, gridColor="#e6e6e6")
        .configure_legend(labelFontSize=11, titleFontSize=12, labelLimit=260)
        .configure_title(fontSize=14, anchor="start")
        .configure_view(stroke=None)
    )


def glue_value(name: str, value: float | int) -> None:
    """Glue a computed number into the page's prose (not displayed here).

    The prose formats it, e.g. ``{glue:text}`m1_total_last:,.0f``` or ``{glue:text}`m1_cagr:.1%```.
    """
    from myst_nb import glue

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    else:
        raise TypeError(f"glue_value takes a number, got {type(value).__name__} for '{name}'")
    glue(name, value, display=False)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make an SVG's ids unique on a page that holds several charts."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def _csv_frame(data: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    return data.rename(columns={c: f"{c} [{u}]" for c, u in units.items() if c in data.columns})


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


def format_source(row: pd.Series) -> str:
    date = f"（{row['date']}）" if row.get("date") else ""
    return f"{row['publisher']}「{row['title']}」{date}"


def _source_text(sources: pd.DataFrame) -> str:
    return "；".join(format_source(r) for _, r in sources.iterrows())


def _caption_tail(file_id: str, source_text: str, notes: list[str]) -> list[str]:
    """The caption lines every figure and table ends with: 出所, notes, the data file."""
    parts = [f'<span class="regen-source">出所：{html.escape(source_text)}</span>']
    if notes:
        parts.append(f'<span class="regen-note">注：{html.escape("。".join(notes))}。</span>')
    parts.append(
        f'<a class="regen-csv" href="../_static/figures/{file_id}.csv" download>データ（CSV）</a>'
        f'<span class="regen-csv-print">データ：figures/{file_id}.csv</span>'
    )
    return parts


class Figure:
    """What a notebook cell displays for one figure."""

    def __init__(self, html_text: str, plain: str):
        self._html = html_text
        self._plain = plain

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._html, "text/plain": self._plain}


def publish(
    fig_id: str,
    chart: alt.TopLevelMixin,
    data: pd.DataFrame,
    *,
    title: str,
    sources: pd.DataFrame,
    units: dict[str, str],
    notes: list[str] | None = None,
) -> Figure:
    """Write ``<ID>.csv`` and ``<ID>.svg`` and return the displayable figure with its caption."""
    out = figures_dir()
    anchor = f"fig-{fig_id.lower()}"
    _csv_frame(data, units).to_csv(out / f"{fig_id}.csv", index=False, lineterminator="\n")
    spec = chart.to_dict()
    svg = vlc.vegalite_to_svg(json.dumps(spec, ensure_ascii=False))
    (out / f"{fig_id}.svg").write_text(svg, encoding="utf-8")

    source_text = _source_text(sources)
    unit_text = "、".join(sorted(set(units.values())))
    parts = [
        f'<span class="regen-fig-no">図 {html.escape(fig_id)}</span> {html.escape(title)}',
        f'<span class="regen-unit">単位：{html.escape(unit_text)}</span>',
        *_caption_tail(fig_id, source_text, list(notes or []) + caption_notes(data)),
    ]
    spec_json = json.dumps(spec, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    body = (
        f'<figure class="regen-figure" id="{anchor}">\n'
        f'<div class="regen-chart" id="{anchor}-chart" role="img" aria-label="{html.escape(title)}"></div>\n'
        f'<div class="regen-print">{_prefix_ids(svg, anchor)}</div>\n'
        f'<figcaption>{"<br>".join(parts)}</figcaption>\n'
        f"</figure>\n"
        f"<script>vegaEmbed('#{anchor}-chart', {spec_json}, "
        '{"renderer": "svg", "actions": {"export": true, "source": false, "compiled": false, "editor": false}})'
        ".catch(function (e) { console.error(e); });</script>\n"
    )
    plain = f"図 {fig_id} {title}\n出所：{source_text}"
    return Figure(body, plain)


def table(frame: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> Any:
    """A data table as the report shows it: no index, formatted numbers, a caption."""
    uuid = hashlib.sha1(caption.encode("utf-8")).hexdigest()[:8]  # stable ids: same input, same page
    return (frame.style.set_uuid(uuid).hide(axis="index").format(formats or {}, na_rep="—")
            .set_caption(caption).set_table_attributes('class="regen-table"'))


def vega_bundle() -> str:
    """vega + vega-lite + vega-embed for the site, wrapped so its globals cannot clash."""
    vl_version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return "(function () {\n" + vlc.javascript_bundle(vl_version=vl_version) + "\n})();\n"


def publish_table(
    table_id: str,
    frame: pd.DataFrame,
    *,
    title: str,
    sources: pd.DataFrame,
    data: pd.DataFrame | None = None,
    notes: list[str] | None = None,
    formats: dict[str, str] | None = None,
) -> Figure:
    """A data table with anchor ``tbl-<id>``, a caption with 出所 and its data at ``<ID>.csv``.

    ``frame`` is what the page shows (Japanese column names; cells may hold ``<br>`` line breaks);
    ``data`` is what ``<ID>.csv`` holds (default: ``frame``). Text tables wrap their cells.
    """
    out = figures_dir()
    anchor = f"tbl-{table_id.lower()}"
    csv_data = frame if data is None else data
    csv_data.to_csv(out / f"{table_id}.csv", index=False, lineterminator="\n")
    styled = table(frame, f"表 {table_id} {title}", formats).set_table_attributes(
        'class="regen-table regen-text-table"')
    source_text = _source_text(sources)
    parts = _caption_tail(table_id, source_text, list(notes or []) + caption_notes(csv_data))
    body = (
        f'<div class="regen-table-block" id="{anchor}">\n{styled.to_html()}\n'
        f'<p class="regen-table-caption">{"<br>".join(parts)}</p>\n</div>\n'
    )
    return Figure(body, f"表 {table_id} {title}\n出所：{source_text}")


def glue_words(name: str, text: str) -> None:
    """Glue a word or phrase computed from the data into the prose: ``{glue:md}`name```."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def tornado_chart(fig_id: str, frame: pd.DataFrame, *, output_title: str, fmt: str, title: str,
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
                 alt.Tooltip("value:Q", title="値", format=",.4~g"), alt.Tooltip("output:Q", title=output_title, format=fmt)],
    )
    rule = alt.Chart(pd.DataFrame({"base_output": [base]})).mark_rule(color="#333").encode(x="base_output:Q")
    chart = theme(alt.layer(bars, rule).properties(width=380, height=max(120, 22 * len(order)), title=title))
    return publish(fig_id, chart, long[["parameter", "label", "side", "value", "output", "base_output", "swing"]],
                   title=title, sources=sources, units={"value": "パラメータの単位", "output": output_title},
                   notes=["黒線は基準値での結果。各パラメータを一つずつ変え、他は基準値に固定した"])


def number(value: float) -> str:
    """A parameter value as a reader writes it: 32,647,761 / 0.069 / 1.5."""
    value = float(value)
    return f"{int(value):,}" if value.is_integer() else f"{value:,.4g}"


def parameter_table(frame: pd.DataFrame, caption: str) -> Any:
    """A model's parameters as the report shows them: value, unit, range, kind and basis."""
    shown = pd.DataFrame({
        "パラメータ": frame["label"],
        "値": frame["value"],
        "単位": frame["unit"],
        "範囲": [f"{number(lo)}〜{number(hi)}" if pd.notna(lo) and pd.notna(hi) else "±20%"
               for lo, hi in zip(frame["low"], frame["high"])],
        "種類": frame["status"].map(STATUS_SHORT),
        "根拠": frame["basis"],
    })
    return table(shown, caption, {"値": number})
