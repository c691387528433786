"""The site's words, in Chromium: the "what changed" pages as a reader would write them, the figure-data index
grouped by figure, the front page's headline numbers (glued, linked), and search ranking and snippets (issue 19)."""

from __future__ import annotations

import csv
import functools
import http.server
import json
import re
import threading
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.presentation.deck import fill_headline
from tests.conftest import ROOT

SERIOUS = ("serious", "critical")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
EDITIONS = ("firm-2023-07", "jri-2025", "2026-11", "default")


@pytest.fixture(scope="module")
def site(editions_site) -> Path:
    """Every edition as one site, built once for the session (tests/integration/conftest.py; no test writes into it)."""
    return editions_site


@pytest.fixture(scope="module")
def site_url(site):
    """The site on a local HTTP server (the search page fetches the pages it quotes)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site.resolve())))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def text_of(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def page_width(page, url: str) -> int:
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(url, wait_until="load")
    return int(page.evaluate("document.documentElement.scrollWidth"))


def target_exists(page, href: str) -> bool:
    """The page a link names has the element its #anchor names."""
    page.goto(href, wait_until="load")
    anchor = unquote(href.split("#", 1)[1]) if "#" in href else ""
    return not anchor or page.locator(f"[id='{anchor}']").count() == 1


# --- what changed -------------------------------------------------------------------------------------------
def test_a_changes_page_names_products_and_gives_a_fee_s_points_before_and_after(site, site_url, browser):
    text = text_of(site / "jri-2025" / "book" / "_generated" / "changes.html")
    # products by their names, values by their columns' labels, sources by their titles; no internal ids
    assert "追加：アクーゴ脳内移植用注" in text and "追加：エレビジス点滴静注" in text
    assert "ハートシート：承認整理日 — → 2024-07-25、承認整理の出所 — → 「厚生労働省" in text
    assert not re.search(r"akuugo|elevidys|heartsheet|withdrawn_date|mhlw_kokuji", text)
    # a fee by its code and name, its points before → after, with the revision of each
    assert "A100 1イ 一般病棟入院基本料 急性期一般入院料1（1日につき）：点数 1,650点（2022年度） → 1,688点（2024年度）" in text
    assert "K921 2ロ 造血幹細胞採取 末梢血幹細胞採取 自家移植の場合：点数 17,440点（2022年度から変わらず）" in text
    assert "Apheresis" not in text and "注記を改めた" in text  # the data's English notes are not quoted
    # the edition pins its fee schedule (no FY2026 rows); the table that it does not pin says so
    assert "診療報酬点数（造血幹細胞採取・移植、CAR-T、入院料・ICU） 2022 2024" in text
    assert "日本で承認された再生医療等製品 2023-06-26 固定しない（作り直す時点のデータ）" in text
    assert "2026年度" not in text
    nxt = text_of(site / "2026-11" / "book" / "_generated" / "changes.html")
    assert "A301 1イ 特定集中治療室管理料1 7日以内の期間（1日につき）：点数 14,406点（2024年度） → 14,980点（2026年度）" in nxt
    # the figures it adds, each by its title, linked to the figure in this edition; on a phone, nothing cut
    page = browser.new_page()
    url = f"{site_url}/jri-2025/book/_generated/changes.html"
    assert page_width(page, url) <= 360
    links = page.eval_on_selector_all("ul.regen-figure-list a", "els => els.map(e => [e.textContent, e.href])")
    figures = {e: json.loads((site / e / "edition.json").read_text(encoding="utf-8"))["figures"]
               for e in ("firm-2023-07", "jri-2025")}
    before = {f["id"] for f in figures["firm-2023-07"]}
    added = [f for f in figures["jri-2025"] if f["id"] not in before]  # what the edition published, not only its list
    assert [t for t, _ in links] == [f["heading"] for f in added] and len(added) >= 15
    assert any(t.startswith("図 K1 現行の診療報酬制度の課題") for t, _ in links)
    removed = page.locator("ul.regen-figure-list").nth(1)
    assert removed.locator("a").count() == 0 and "この版には収録していない" not in removed.inner_text()
    assert "図 M1 " in removed.inner_text() and "図 D1 " not in removed.inner_text()  # D1: published beside D2
    for _, href in links:
        assert target_exists(page, href), href
    page.close()


# --- the figure-data index ----------------------------------------------------------------------------------
def test_the_figure_data_index_groups_files_by_figure_with_titles(site, site_url, browser):
    from axe_playwright_python.sync_playwright import Axe

    edition = site / "jri-2025"
    record = json.loads((edition / "edition.json").read_text(encoding="utf-8"))
    # the edition's figure files as its build published them (the site then keeps one copy of a file that
    # several editions share, in _shared/)
    published = sorted(p.name for p in (site.parent / "editions" / "jri-2025" / "figures").iterdir())
    page = browser.new_page()
    url = f"{site_url}/jri-2025/figures/index.html"
    assert page_width(page, url) <= 360
    groups = page.eval_on_selector_all("section.regen-files", """els => els.map(s => ({
        heading: s.querySelector('h2').textContent, href: s.querySelector('h2 a') && s.querySelector('h2 a').href,
        files: [...s.querySelectorAll('li a')].map(a => [a.textContent, a.getAttribute('href')]),
        meta: [...s.querySelectorAll('li .regen-file-meta')].map(m => m.textContent)}))""")
    # every figure of the edition in reading order, by its number and title, then its files
    assert [g["heading"] for g in groups] == [f["heading"] for f in record["figures"]]
    assert groups[0]["heading"].startswith("図 D1 ") and all(g["files"] for g in groups)
    k1 = next(g for g in groups if g["heading"].startswith("図 K1 "))
    assert [label for label, _ in k1["files"]][:3] == ["CSV・計算したままの値（プログラム向け）",
                                                       "CSV・日本語の列名と単位（Excel 向け）", "Excel ブック"]
    assert all(re.fullmatch(r"K1\.[a-z.]+・[\d.]+ (KB|MB|バイト)", m) for m in k1["meta"])
    listed = sorted(href.rsplit("/", 1)[1] for g in groups for _, href in g["files"])
    assert listed == published  # every file once, under its figure
    assert all((edition / "figures" / href).resolve().is_file() for g in groups for _, href in g["files"])
    # the site's own stylesheet (the theme's and report.css), and no serious accessibility problem
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"BIZ UDPGothic"')
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert not [v["id"] for v in result.response["violations"] if v["impact"] in SERIOUS]
    for g in groups[:4]:
        assert target_exists(page, g["href"]), g["href"]
    page.close()


# --- the front page's findings ------------------------------------------------------------------------------
def test_the_front_page_shows_each_headline_number_as_glued_and_links_its_figure(site, site_url, browser):
    registry = load_registry(Project(ROOT))
    owners = registry.figures
    page = browser.new_page()
    for edition in EDITIONS:
        record = json.loads((site / edition / "edition.json").read_text(encoding="utf-8"))
        numbers, headings = record["headlines"], {f["id"]: f["heading"] for f in record["figures"]}
        page.goto(f"{site_url}/{edition}/book/index.html", wait_until="load")
        items = page.eval_on_selector_all("ul.regen-findings > li", """els => els.map(li => ({
            link: li.querySelector('a').textContent, href: li.querySelector('a').href,
            text: li.querySelector('p').textContent,
            numbers: [...li.querySelectorAll('strong')].map(s => s.textContent)}))""")
        assert len(items) >= 10, edition
        for item in items:
            fig = item["link"].split(" ", 1)[1]
            assert fig in headings, (edition, fig)  # only the edition's own figures
            template = registry.steps[owners[fig]].figures[fig].headline
            sentence, shown = fill_headline(template, numbers[owners[fig]])  # the glued values, as the site formats them
            assert item["text"] == f"{item['link']}　{sentence}" and item["numbers"] == [v for _, v in shown]
            assert item["href"].split("#", 1)[1] in (f"fig-{fig.lower()}", f"tbl-{fig.lower()}")
        for item in items[:3]:
            assert target_exists(page, item["href"]), item["href"]
            page.goto(f"{site_url}/{edition}/book/index.html", wait_until="load")
    page.close()


# --- search -------------------------------------------------------------------------------------------------
def search(page, base: str, term: str) -> list[tuple[str, str]]:
    """The search page's results for ``term``: (page, snippet), in the order shown, once every snippet is in."""
    page.goto(f"{base}/search.html?q={quote(term)}", wait_until="load")
    page.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                           " return s && /[0-9]/.test(s.textContent); }", timeout=30000)
    count = int(re.search(r"\d+", page.locator("#search-results .search-summary").inner_text()).group(0))
    page.wait_for_function(f"() => [...document.querySelectorAll('#search-results ul.search li')].filter("
                           f"li => li.querySelector('p.context')).length >= {count}", timeout=30000)
    return page.eval_on_selector_all("#search-results ul.search li", """els => els.map(li => [
        li.querySelector('a').getAttribute('href'), li.querySelector('p.context').textContent])""")


def test_search_ranks_the_page_about_a_term_first_and_quotes_prose(site, site_url, browser):
    page = browser.new_page()
    results = search(page, f"{site_url}/default", "K921")
    order = [href.split("#")[0] for href, _ in results]
    assert order[0].endswith("k1_fee_gap.html"), order  # K1 discusses it; the appendix lists it
    assert any(o.endswith(("z1_data_appendix.html", "appendix.html")) for o in order[1:]), order
    with (ROOT / "data" / "sources.csv").open(encoding="utf-8") as f:
        ids = [r["source_id"] for r in csv.DictReader(f)]
    for _, snippet in results:
        assert not re.search(r"\d{3,},\d{3,}\d", snippet), snippet  # no chart ticks or table cells run together
        assert not [i for i in ids if re.search(rf"(?<![a-z0-9_]){i}(?![a-z0-9_])", snippet)], snippet  # no source ids
    page.close()
