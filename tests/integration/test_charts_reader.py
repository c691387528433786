"""Charts as readers meet them: on a phone every label is whole (long category labels wrap instead of
being cut to a prefix that reads like its neighbour), and from the keyboard the mark in focus is
outlined with its tooltip beside it, not over it."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_reader import phone, read, site_pages, themes, wait_for_charts


@pytest.mark.parametrize("width", [360, 390])
def test_no_chart_label_is_cut_and_each_axis_keeps_its_labels_apart(built, served, browser, tmp_path_factory, width):
    found = phone(built, served, browser, tmp_path_factory, width)  # the round test_reader.py's phone test reads
    pages = [p for p in site_pages(built) if 'class="regen-chart' in read(built, p)]
    assert len(pages) >= 15 and set(pages) <= set(found["pages"])
    charts = 0
    for path in pages:
        for chart in found["pages"][path]["charts"]:
            charts += 1
            assert chart["cut"] == [], (path, width, chart["id"], chart["cut"])
            for labels in chart["axes"]:
                shown = [label for label in labels if label]
                assert len(set(shown)) == len(shown), (path, width, chart["id"], shown)
    assert charts >= 17
    assert [e for e in found["errors"] if re.search(r"vega|expression|labelExpr", e, re.I)] == []


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


def test_in_dark_mode_charts_are_drawn_dark_with_contrast_and_follow_the_switch(built, served, browser, tmp_path_factory):
    """Each chart page opened in dark mode: every chart drawn dark on the page's own background, its text
    4.5:1 and its marks 3:1 against it (pages.CONTRAST); switched to light, every chart is drawn again in
    light (the round waits for it on every page)."""
    found = themes(built, served, browser, tmp_path_factory)  # the round test_reader.py's axe tests read
    pages = [p for p in site_pages(built) if 'class="regen-chart' in read(built, p)]
    charts = 0
    for path in pages:
        dark = found[path]["dark"]
        assert dark["theme"] == "dark" and found[path]["light"] == "light", path
        for chart in dark["charts"]:
            charts += 1
            assert chart["back"] == dark["bg"], (path, chart)
            assert chart["text"] >= 4.5 and chart["marks"] >= 3, (path, chart)  # WCAG 1.4.3 text, 1.4.11 graphics
    assert charts >= 17
