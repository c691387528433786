"""Charts as readers meet them: on a phone every label is whole (long category labels wrap instead of
being cut to a prefix that reads like its neighbour), and from the keyboard the mark in focus is
outlined with its tooltip beside it, not over it."""

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


@pytest.mark.parametrize("path, chart", [("notebooks/k1_fee_gap.html", "fig-k1-chart"),
                                         ("notebooks/m1_market.html", "fig-m1-chart")])
def test_the_keyboard_outlines_the_mark_it_is_on_and_its_tooltip_does_not_cover_it(served, browser, path, chart):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{served}/{path}", wait_until="load")
    wait_for_charts(page)
    page.locator(f"#{chart} svg.marks").focus()
    for step in range(4):
        page.keyboard.press("ArrowRight")
        seen = page.evaluate(f"""() => {{
            const ring = document.querySelector('#{chart} .regen-focus-mark');
            const tip = document.getElementById('vg-tooltip-element');
            if (!ring || !tip) return null;
            const a = ring.getBoundingClientRect(), t = tip.getBoundingClientRect();
            return {{shown: getComputedStyle(ring).display !== 'none' && a.width > 0 && a.height > 0,
                     tip: tip.classList.contains('visible') && tip.textContent.length > 0,
                     covers: !(t.right <= a.left + 3 || t.left >= a.right - 3 || t.bottom <= a.top + 3 || t.top >= a.bottom - 3)}};
        }}""")
        assert seen and seen["shown"] and seen["tip"], (path, step, seen)
        assert not seen["covers"], (path, step, seen)
    page.keyboard.press("Escape")
    assert page.evaluate(f"() => getComputedStyle(document.querySelector('#{chart} .regen-focus-mark')).display") == "none"
    page.close()
