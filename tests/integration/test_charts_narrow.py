"""On a phone every chart's labels are whole: long category labels wrap onto lines instead of being
cut to a prefix that can read like its neighbour (K1's two "CRS等の副作用管…" rows)."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_reader import read, site_pages, wait_for_charts


@pytest.mark.parametrize("width", [360, 390])
def test_no_chart_label_is_cut_and_each_axis_keeps_its_labels_apart(built, served, browser, width):
    pages = [p for p in site_pages(built) if 'class="regen-chart' in read(built, p)]
    assert len(pages) >= 15
    page = browser.new_page(viewport={"width": width, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    charts = 0
    for path in pages:
        page.goto(f"{served}/{path}", wait_until="load")
        wait_for_charts(page)
        for chart in page.evaluate("""() => [...document.querySelectorAll('.regen-chart')].map(e => ({
              id: e.id,
              cut: [...e.querySelectorAll('svg.marks text')].map(t => t.textContent).filter(t => t.endsWith('…')),
              axes: [...e.querySelectorAll('svg.marks .role-axis')].map(a =>
                 [...a.querySelectorAll('.role-axis-label text')].map(t => t.textContent))}))"""):
            charts += 1
            assert chart["cut"] == [], (path, width, chart["id"], chart["cut"])
            for labels in chart["axes"]:
                shown = [label for label in labels if label]
                assert len(set(shown)) == len(shown), (path, width, chart["id"], shown)
    assert charts >= 17
    assert [e for e in errors if re.search(r"vega|expression|labelExpr", e, re.I)] == []
    page.close()
