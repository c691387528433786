"""The browser's rounds of the built site, shared by the reader tests.

A round opens every page of a list in one browser context, a few pages at a time (each page loads
and draws its charts while the test reads another), waits on conditions (every chart drawn, the
fonts in; never on a clock or on the network falling quiet) and reads each page's measurements in ONE
``page.evaluate``. The tests assert on what a round returns.

A round is made once per test session (``shared``): the phone round at 360 px feeds both the fit
test (test_reader.py) and the chart-label test (test_charts_reader.py), and the desktop round (each
page loaded in dark mode, then switched to light) feeds axe in both modes and the dark charts' contrast
test, whichever module asks first, in either pytest-xdist process.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EVERY_CHART_DRAWN
from tests.integration.conftest import built_once

AT_ONCE = 3  # pages loading at once in a round
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")


def shared(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], Any]) -> Any:
    """``make()``'s result (JSON), made once in the test session for every process that asks; if it
    failed, every test that asks fails with its error (the round is not made again for each)."""

    def write(folder: Path) -> None:
        try:
            result = {"result": make()}
        except Exception:  # (reported to every test that reads the round)
            result = {"error": traceback.format_exc()}
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")

    found = json.loads((built_once(tmp_path_factory, f"round-{name}", write) / "result.json").read_text(encoding="utf-8"))
    assert "error" not in found, f"the {name} round failed:\n{found.get('error')}"
    return found["result"]


def visit(context, urls: list[str], measure: Callable[[Any, str], Any],
          prepare: Callable[[Any], None] | None = None, at_once: int = AT_ONCE,
          reset: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """``measure(page, url)`` for every url, pages opened ``at_once`` at a time in ``context``: a page
    is opened (``prepare(page)`` first, e.g. to listen to its console) and its navigation started, and
    the oldest open page is measured once its load event has fired, while the others load.

    A page measured goes on to the next url (``reset(page)`` first: what ``measure`` changed that
    outlives a navigation, e.g. an emulated colour scheme), as a reader's tab does: a new page is a
    renderer process started and the site's scripts, fonts and stylesheets loaded afresh."""
    todo, opened, idle, found = list(urls), [], [], {}
    while todo or opened:
        while todo and len(opened) < at_once:
            url = todo.pop(0)
            if idle:
                page = idle.pop(0)
                if reset:
                    reset(page)
            else:
                page = context.new_page()
                if prepare:
                    prepare(page)
            page.goto(url, wait_until="commit")
            opened.append((url, page))
        url, page = opened.pop(0)
        # the page measured is the one in front: Chromium draws few frames of a page behind others (the
        # theme's 150 ms transitions took 1.2 s on average there, up to 2.2 s; in front, 0.2 s at most)
        page.bring_to_front()
        page.wait_for_load_state("load")
        found[url] = measure(page, url)
        idle.append(page)
    for page in idle:
        page.close()
    return found


def charts_drawn(page, theme: str | None = None) -> None:
    """Every chart of the page drawn (in ``theme``, if given) and the fonts in."""
    page.wait_for_function(EVERY_CHART_DRAWN, arg=theme, timeout=60000)
    page.evaluate("document.fonts.ready.then(() => true)")


# --- phones ----------------------------------------------------------------------------------------------
PHONE = """width => {
  const charts = [...document.querySelectorAll('.regen-chart')].map(e => {
    const s = e.querySelector('svg.marks').getBoundingClientRect();
    const texts = [...e.querySelectorAll('svg.marks text')];
    return {id: e.id, left: s.left, right: s.right,
            smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize))),
            cut: texts.map(t => t.textContent).filter(t => t.endsWith('…')),
            axes: [...e.querySelectorAll('svg.marks .role-axis')].map(a =>
               [...a.querySelectorAll('.role-axis-label text')].map(t => t.textContent))}; });
  const tables = [...document.querySelectorAll('.regen-table-scroll')].filter(e => e.offsetParent !== null).map(e => {
    const r = e.getBoundingClientRect(), first = e.querySelector('tbody th, tbody td');
    return {label: e.getAttribute('aria-label'), right: r.right, scrolls: e.scrollWidth > e.clientWidth,
            overflow: getComputedStyle(e).overflowX, sticky: first ? getComputedStyle(first).position : ''}; });
  const equations = [...document.querySelectorAll('div.math')].map(e => {
    const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return {right: r.right, align: s.textAlign, display: s.display}; });
  return {width: document.documentElement.scrollWidth, charts, tables, equations};
}"""


def phone_round(browser, base: str, paths: list[str], width: int) -> dict[str, Any]:
    """Each page at ``width`` px once its charts are drawn: the page's width, and each chart's box,
    smallest text, labels cut short and axis labels; each table's box; each equation's. ``errors``:
    what the pages wrote to the console as errors."""
    context = browser.new_context(viewport={"width": width, "height": 780})
    errors: list[str] = []

    def listen(page) -> None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def measure(page, url: str) -> dict[str, Any]:
        charts_drawn(page)
        return page.evaluate(PHONE, width)

    try:
        found = visit(context, [f"{base}/{p}" for p in paths], measure, prepare=listen)
    finally:
        context.close()
    return {"pages": {p: found[f"{base}/{p}"] for p in paths}, "errors": errors}


# --- light and dark, axe-core -------------------------------------------------------------------------------
# The contrast of every chart's text and marks with the page's background, and the chart's own background.
CONTRAST = """() => {
  const bg = getComputedStyle(document.body).backgroundColor;
  const rgb = c => { const m = c.match(/\\d+(\\.\\d+)?/g); if (c.startsWith('#')) { const n = parseInt(c.slice(1), 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; } return m.slice(0, 3).map(Number); };
  const lum = c => rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  return {bg: rgb(bg).join(','), theme: document.documentElement.dataset.theme,
          charts: [...document.querySelectorAll('.regen-chart svg.marks')].map(svg => {
    const back = getComputedStyle(svg).backgroundColor;
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && t.getAttribute('fill'))
        .map(t => ratio(t.getAttribute('fill'), bg));
    const marks = [...svg.querySelectorAll('.mark-rect path, .mark-line path, .mark-symbol path, .mark-area path')]
        .map(p => p.getAttribute('fill') && p.getAttribute('fill') !== 'transparent' && p.getAttribute('fill') !== 'none'
                  ? p.getAttribute('fill') : p.getAttribute('stroke'))
        .filter(c => c && c.startsWith('#')).map(c => ratio(c, bg));
    return {id: svg.closest('.regen-chart').id, back: rgb(back).join(','), text: Math.min(...texts), marks: Math.min(...marks)};
  })};
}"""
AXE_RUN = """options => axe.run(document, options).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})))"""


def axe_source() -> str:
    from axe_playwright_python import sync_playwright as axe_module

    return (Path(axe_module.__file__).with_name("axe.min.js")).read_text(encoding="utf-8")


def axe(page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA rules on every node of the page (axe already in it): the violations, with
    their nodes (the passing and inapplicable checks are not listed node by node)."""
    return page.evaluate(AXE_RUN, {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]})


def theme_round(browser, base: str, paths: list[str]) -> dict[str, Any]:
    """Each page opened in dark mode (the reader's choice, kept in localStorage) with its charts drawn
    dark: its contrasts (CONTRAST) and axe's violations; then the theme switched to light as the
    theme's switch does it, the charts drawn again in light, and axe again. Per page:
    ``{dark: {theme, bg, charts}, axe: {dark: [...], light: [...]}, light: theme after the switch}``."""
    script = axe_source()
    context = browser.new_context(color_scheme="dark")
    context.add_init_script("localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark');")

    def measure(page, url: str) -> dict[str, Any]:
        charts_drawn(page, "dark")
        seen = {"dark": page.evaluate(CONTRAST)}
        page.evaluate(script)
        violations = {"dark": axe(page)}
        # a reader in light mode: the system's preference and what the theme's switch does (the html
        # element's data-theme); each chart redraws itself (a chart's drawn mark is removed first, so
        # the wait below holds only once it is drawn again)
        page.emulate_media(color_scheme="light")
        page.evaluate("""() => { document.querySelectorAll('.regen-chart').forEach(e => e.removeAttribute('data-regen-drawn'));
                                 document.documentElement.dataset.mode = 'light';
                                 document.documentElement.setAttribute('data-theme', 'light'); }""")
        charts_drawn(page, "light")
        # and the colours the theme eases from dark to light arrived: its CSS transitions (150 ms) taken
        # to their end, where they would arrive
        page.evaluate("""() => Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition)
                                         .map(a => { a.finish(); return a.finished.catch(() => null); }))""")
        seen["light"] = page.evaluate("document.documentElement.dataset.theme")
        violations["light"] = axe(page)
        seen["axe"] = violations
        return seen

    try:
        found = visit(context, [f"{base}/{p}" for p in paths], measure,
                      reset=lambda page: page.emulate_media(color_scheme="dark"))
    finally:
        context.close()
    return {p: found[f"{base}/{p}"] for p in paths}


def serious(found: dict[str, Any], mode: str) -> dict[str, list[str]]:
    """axe's serious and critical violations in ``mode``: rule → the pages (and how many nodes)."""
    out: dict[str, list[str]] = {}
    for path, seen in found.items():
        for v in seen["axe"][mode]:
            if v["impact"] in SERIOUS:
                out.setdefault(v["id"], []).append(f"{path} ({len(v['nodes'])}: {', '.join(v['nodes'][:3])})")
    return out
