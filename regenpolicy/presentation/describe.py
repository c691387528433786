"""A chart's text alternative, generated from its specification and its data.

One sentence of what the chart shows — its kind, what each axis measures and the range of the
plotted values — for screen readers (the SVG's label and the text under the chart), next to the
chart's data as an accessible table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

MARKS = {"bar": "棒グラフ", "line": "折れ線グラフ", "area": "面グラフ", "point": "点グラフ", "circle": "点グラフ",
         "tick": "目盛りグラフ", "rect": "ヒートマップ"}
COMPOSITION = {"facet": "パネルに分けた", "hconcat": "複数のパネルを並べた", "vconcat": "複数のパネルを並べた"}


def _units(spec: Mapping[str, Any], inherited: Any = None) -> Iterator[tuple[Mapping[str, Any], Any]]:
    """Every unit view (mark + encoding) with the data it draws."""
    data = spec.get("data", inherited)
    if "mark" in spec:
        yield spec, data
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from _units(child, data)
    if "spec" in spec:
        yield from _units(spec["spec"], data)


def _mark(unit: Mapping[str, Any]) -> str:
    mark = unit["mark"]
    return str(mark.get("type") if isinstance(mark, Mapping) else mark)


def _title(channel: Mapping[str, Any]) -> str:
    title = channel.get("title")
    if isinstance(title, list):
        title = "".join(map(str, title))
    return str(title) if title else ""


def _frame(spec: Mapping[str, Any], data: Any) -> pd.DataFrame | None:
    if isinstance(data, Mapping):
        if "values" in data:
            return pd.DataFrame(data["values"])
        name = data.get("name")
        if name and name in spec.get("datasets", {}):
            return pd.DataFrame(spec["datasets"][name])
    return None


def _measured(spec: Mapping[str, Any], unit: Mapping[str, Any], data: Any) -> bool:
    """The unit's quantitative channel (y, else x) has a title and a field that its data has."""
    enc = unit.get("encoding", {})
    channel = next((enc[c] for c in ("y", "x") if isinstance(enc.get(c), Mapping)
                    and enc[c].get("type") == "quantitative"), None)
    frame = _frame(spec, data)
    return bool(channel and _title(channel) and frame is not None and channel.get("field") in frame.columns)


def _fmt(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def describe(spec: Mapping[str, Any], fig_no: str, title: str) -> str:
    """``図 M1（…）は、年ごとの市場規模（億円）を示す積み上げ棒グラフ。値は 6,812〜117,018。``"""
    units = [(u, d) for u, d in _units(spec) if _mark(u) in MARKS]
    # the unit whose measured values are columns of its data (a band drawn from a pivot's columns,
    # like E1's range between two cases, names fields its data does not have); else the first
    main = next(((u, d) for u, d in units if _measured(spec, u, d)), units[0] if units else None)
    if main is None:
        return f"{fig_no}「{title}」。データは下の表に示す。"
    unit, data = main
    enc = unit.get("encoding", {})
    kind = MARKS[_mark(unit)]
    composed = next((COMPOSITION[k] for k in COMPOSITION if k in spec), "")
    quantitative = [c for c in ("y", "x") if isinstance(enc.get(c), Mapping) and enc[c].get("type") == "quantitative"]
    measure = quantitative[0] if quantitative else "y"
    other = "x" if measure == "y" else "y"
    parts = []
    if isinstance(enc.get(other), Mapping) and _title(enc[other]):
        parts.append(f"{_title(enc[other])}ごとの")
    what = _title(enc.get(measure, {})) if isinstance(enc.get(measure), Mapping) else ""
    sentence = f"{fig_no}は、{''.join(parts)}{what or '値'}を示す{composed}{kind}。"
    frame = _frame(spec, data)
    field = enc.get(measure, {}).get("field") if isinstance(enc.get(measure), Mapping) else None
    if frame is not None and field in frame.columns:
        values = pd.to_numeric(frame[field], errors="coerce")
        group = enc.get(other, {}).get("field") if isinstance(enc.get(other), Mapping) else None
        if enc[measure].get("aggregate") == "sum" and group in frame.columns:
            values = values.groupby(frame[group]).sum()
        values = values.dropna()
        if len(values):
            lo, hi = float(values.min()), float(values.max())
            sentence += f"値は {_fmt(lo)}〜{_fmt(hi)}。" if lo != hi else f"値は {_fmt(lo)}。"
    return sentence + "各値は下の「データ（表）」に示す。"
