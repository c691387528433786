"""A published page's print drawings and chart specifications without what nothing reads: the same
pictures, pixel for pixel, and the same charts."""

from __future__ import annotations

import io
import json

import pytest

from regenpolicy.builder import pageslim
from regenpolicy.presentation.escape import script_json

vlc = pytest.importorskip("vl_convert")

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "config": {"font": "BIZ UDPGothic"},
    "data": {"name": "rows"},
    "datasets": {"rows": [
        {"product_ja": "従来の医薬品", "man": 253.9090909090909, "yen": 2539090.909090909, "code": "conventional",
         "note": "</script><script>alert(1)</script>"},
        {"product_ja": "再生医療等製品", "man": 120.5, "yen": 1205000.0, "code": "regen", "note": "x"},
    ]},
    "transform": [{"calculate": "datum.man * 2", "as": "double"}],
    "facet": {"column": {"field": "product_ja", "type": "nominal", "title": None}},
    "spec": {"mark": "bar", "encoding": {"y": {"field": "double", "type": "quantitative", "title": "万円"},
                                         "tooltip": [{"field": "note", "type": "nominal"}]}},
}


def picture(svg: str) -> bytes:
    from PIL import Image

    return Image.open(io.BytesIO(vlc.svg_to_png(svg, scale=1))).convert("RGBA").tobytes()


def test_the_print_svg_draws_the_same_picture_without_vegas_reader_attributes():
    svg = vlc.vegalite_to_svg({**SPEC, "config": {"aria": True}})  # Vega's roles and labels on every mark
    slim = pageslim.slim_svg(svg)
    assert 'role="' in svg and "aria-roledescription" in svg and 'class="background"' in svg
    assert 'role="' not in slim and "aria-" not in slim and 'class="background"' not in slim and "<g>" not in slim
    assert len(slim) < 0.8 * len(svg)
    assert picture(slim) == picture(svg)
    assert "従来の医薬品" in slim and slim.count("<rect") == svg.count("<rect") and slim.count("<text") == svg.count("<text")


def test_a_path_that_draws_something_stays():
    drawn = '<svg xmlns="http://www.w3.org/2000/svg"><g><path class="background" d="M0,0h250v0h-250Z" stroke="#ddd"/></g></svg>'
    assert 'stroke="#ddd"' in pageslim.slim_svg(drawn)
    empty = '<svg xmlns="http://www.w3.org/2000/svg"><g fill="none"><path class="background" aria-hidden="true" d="M0,0h0v0h0Z"/></g></svg>'
    assert pageslim.slim_svg(empty) == '<svg xmlns="http://www.w3.org/2000/svg"><g fill="none"></g></svg>'


def test_the_spec_keeps_the_columns_the_chart_reads_and_draws_the_same():
    slim = pageslim.slim_spec(SPEC)
    assert [set(r) for r in slim["datasets"]["rows"]] == [{"product_ja", "man", "note"}] * 2  # yen, code: read by nothing
    assert vlc.vegalite_to_svg(slim) == vlc.vegalite_to_svg(SPEC)
    whole = {**SPEC, "spec": {**SPEC["spec"], "mark": {"type": "bar", "tooltip": {"content": "data"}}}}
    assert pageslim.slim_spec(whole) is whole  # a tooltip that shows whole rows: every column stays


def test_a_page_keeps_its_spec_escaped_for_the_script_element():
    page = (f'<p>本文</p><script type="application/json" id="fig-k1-spec">{script_json(SPEC)}</script>'
            '<div class="regen-print"><svg xmlns="http://www.w3.org/2000/svg"><g role="graphics-object"><text>a</text></g></svg></div>')
    slim = pageslim.slim_page(page)
    assert "</script><script>" not in slim and slim.count("</script>") == 1
    body = slim.split('id="fig-k1-spec">', 1)[1].split("</script>", 1)[0]
    assert json.loads(body) == pageslim.slim_spec(SPEC) and ", " not in body.split('"datasets"')[0]
    assert '<div class="regen-print"><svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg></div>' in slim
    assert slim.startswith("<p>本文</p>")
