"""The charts the PDF prints: no text below 8 pt once the chart is scaled into the page's box."""

from __future__ import annotations

import json

import vl_convert as vlc

from regenpolicy.presentation import draw


def printed_min_pt(svg: str) -> float:
    width, height = map(float, draw.SVG_SIZE.search(svg).groups())
    scale = min(1.0, draw.PRINT_BOX[0] / width, draw.PRINT_BOX[1] / height)
    return min(float(x) for x in draw.FONT_SIZE.findall(svg)) * 0.75 * scale


def render(spec):
    return vlc.vegalite_to_svg(json.dumps(spec, ensure_ascii=False))


def wide_chart(width: int, label_px: int) -> dict:
    data = {"values": [{"k": f"区分{i}", "v": i * 10} for i in range(1, 6)]}
    bars = {"mark": "bar", "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}}}
    labels = {"mark": {"type": "text", "dy": -6, "fontSize": label_px},
              "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"},
                           "text": {"field": "v", "type": "quantitative"}}}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": data, "width": width,
            "height": 200, "layer": [bars, labels]}


def test_a_chart_wider_than_the_page_is_drawn_with_text_that_prints_at_8_pt_or_more():
    spec = wide_chart(1100, 10)
    assert printed_min_pt(render(spec)) < 6.5  # as the K1 and C2 charts printed: fee labels at 6.1 pt
    svg = draw.legible_print(spec, render)
    assert printed_min_pt(svg) >= draw.PRINT_MIN_PT - 0.01


def test_a_chart_that_fits_keeps_its_sizes_except_labels_below_8_pt():
    spec = wide_chart(400, 12)
    svg = draw.legible_print(spec, render)
    assert printed_min_pt(svg) >= draw.PRINT_MIN_PT - 0.01
    assert "font-size=\"12px\"" in svg or "font-size: 12px" in svg  # the label kept its own size
