"""Charts as readers meet them: on a phone every label is whole (long category labels wrap instead of
being cut to a prefix that reads like its neighbour), and from the keyboard the mark in focus is
outlined with its tooltip beside it, not over it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import EVERY_CHART_DRAWN
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


CONTRAST = """(bg) => {
  const rgb = c => { const m = c.match(/\\d+(\\.\\d+)?/g); if (c.startsWith('#')) { const n = parseInt(c.slice(1), 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; } return m.slice(0, 3).map(Number); };
  const lum = c => rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  return [...document.querySelectorAll('.regen-chart svg.marks')].map(svg => {
    const back = getComputedStyle(svg).backgroundColor;
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && t.getAttribute('fill'))
        .map(t => ratio(t.getAttribute('fill'), bg));
    const marks = [...svg.querySelectorAll('.mark-rect path, .mark-line path, .mark-symbol path, .mark-area path')]
        .map(p => p.getAttribute('fill') && p.getAttribute('fill') !== 'transparent' && p.getAttribute('fill') !== 'none'
                  ? p.getAttribute('fill') : p.getAttribute('stroke'))
        .filter(c => c && c.startsWith('#')).map(c => ratio(c, bg));
    return {back: rgb(back).join(','), text: Math.min(...texts), marks: Math.min(...marks)};
  });
}"""


def test_in_dark_mode_charts_are_drawn_dark_with_contrast_and_follow_the_switch(built, served, browser):
    pages = [p for p in site_pages(built) if 'class="regen-chart' in read(built, p)]
    context = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme="dark")
    context.add_init_script("localStorage.setItem('mode', 'dark')")
    page = context.new_page()
    charts = 0
    for path in pages:
        page.goto(f"{served}/{path}", wait_until="load")
        page.wait_for_function(EVERY_CHART_DRAWN, arg="dark")
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        for chart in page.evaluate(CONTRAST, bg):
            charts += 1
            assert chart["back"] == ",".join(bg[bg.index("(") + 1:-1].replace(" ", "").split(",")[:3]), (path, chart)
            assert chart["text"] >= 4.5 and chart["marks"] >= 3, (path, chart)  # WCAG 1.4.3 text, 1.4.11 graphics
    assert charts >= 17
    page.evaluate("document.documentElement.setAttribute('data-theme', 'light')")  # what the theme switch does
    page.wait_for_function(EVERY_CHART_DRAWN, arg="light")
    context.close()
