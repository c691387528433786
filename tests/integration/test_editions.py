"""Editions: data vintages, the published site of every edition, and its "what changed" pages."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.conftest import copy_project, edit, run_cli


@pytest.fixture
def site(editions_site) -> Path:
    """Every edition as one site, built once for the session (tests/integration/conftest.py)."""
    return editions_site


def text_of(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def test_site_lists_every_edition_newest_first(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'href="([a-z0-9-]+)/index.html"', index)
    assert ids == ["default", "2026-11", "jri-2025", "firm-2023-07"]
    for edition in ids:
        assert (site / edition / "report.pdf").stat().st_size > 10000
        assert (site / edition / "figures").is_dir()
        stamp = json.loads((site / edition / "edition.json").read_text(encoding="utf-8"))["stamp"]
        assert stamp["edition"] == edition and stamp["commit"]
    assert site.is_symlink()  # published as one release: one rename switches the whole site


def test_each_edition_keeps_its_own_figures_and_vintage(site):
    firm, jri = site / "firm-2023-07" / "_static", site / "jri-2025" / "_static"
    assert (firm / "figures" / "A1.csv").exists() and not (firm / "figures" / "K1.csv").exists()
    assert (jri / "figures" / "K1.csv").exists() and not (jri / "figures" / "A1.csv").exists()
    # each file once: the edition's list of figure files links to the files its pages link to
    assert {p.name for p in (site / "jri-2025" / "figures").iterdir()} <= {"index.html", "index.html.gz", "index.html.br"}
    assert (site / "jri-2025" / "figures" / "index.html").is_file()  # and its compressed copies, nothing else
    assert 'href="../_static/figures/K1.csv"' in (site / "jri-2025" / "figures" / "index.html").read_text(encoding="utf-8")
    with (jri / "figures" / "K1.data.csv").open(encoding="utf-8") as f:
        admin = next(r for r in csv.DictReader(f) if r["step_ja"] == "CAR-T細胞投与")
    assert admin["points_revision"] == "2024"  # the 2024 fee schedule, as that paper used
    # prose naming a figure of the report that this edition leaves out says so, and links the ones it has
    firm_case = text_of(site / "firm-2023-07" / "notebooks" / "f1_firm_case.html")
    assert re.search(r"図 S1 ?（この版には収録していない）", firm_case) and not re.search(r"図 P1 ?（この版", firm_case)


def test_what_changed_pages(site):
    assert not (site / "firm-2023-07" / "book" / "_generated" / "changes.html").exists()  # the first edition
    text = text_of(site / "jri-2025" / "book" / "_generated" / "changes.html")
    assert "前の版からの変更点" in text and "firm-2023-07" in text
    assert "診療報酬改定年度（この年度に有効な点数と薬価を用いる）（年度） 2022 2024" in text  # the one setting that moved
    assert "診療報酬点数（造血幹細胞採取・移植、CAR-T、入院料・ICU） 2022 2024" in text  # each edition pins its fee vintage
    # rows the 2022 vintage did not have, by the fee's code, name and points (tests/integration/test_site_words.py)
    assert "K922-2 CAR発現生T細胞投与（一連につき）：点数 30,850点（2022年度から変わらず）" in text
    assert "追加：A100 1イ 一般病棟入院基本料 急性期一般入院料1（1日につき）：点数 1,650点（2022年度）" in text
    assert "この版で加わった図表（15）：" in text and "図 C2-RP " in text
    assert (site / "default" / "book" / "_generated" / "changes.html").exists()
    # the next submission, against jri-2025: the FY2026 fee schedule and pricing rules, and what they move
    text = text_of(site / "2026-11" / "book" / "_generated" / "changes.html")
    assert "jri-2025" in text
    assert "診療報酬改定年度（この年度に有効な点数と薬価を用いる）（年度） 2024 2026" in text
    assert "薬価の再算定ルールの年度（data/repricing_rules.csv の rule_set）（年度） 2024 2026" in text
    assert "この版で加わった図表（9）：" in text
    assert all(re.search(rf"[図表] {f} ", text) for f in ("F1", "F2", "F3", "P1", "P1-TOR", "P2", "Q1", "T4", "T5"))
    assert "支払額は患者1人当たり〔 〕 万円 115.9 122.2" in text  # the FY2026 ward fees and R8's per-day payments pay more
    assert "差し引き〔 〕 万円" not in text  # the cost no fee pays does not move: the unpaid steps are unchanged in 2026
    assert "k1_" not in text  # numbers glued for tables are not headlines; no raw names


def test_the_changes_page_reports_moved_headlines_in_words(site):
    """The default edition uses the 2022 fee schedule where the 2026-11 edition uses 2026: what K1 pays moved."""
    text = text_of(site / "default" / "book" / "_generated" / "changes.html")
    assert "見出しの数値" in text and "動いた数値はない" not in text
    assert "支払額は患者1人当たり〔 〕 万円 122.2 114.8" in text  # named by the words around it on the page
    assert not re.search(r"parameters\.[a-z0-9_]+\.", text) and "data_vintage." not in text  # no raw keys
    assert not re.search(r"(\S+) → \1", text)  # nothing listed that did not change


def test_site_links_resolve_in_chromium(site, browser):
    page = browser.new_page()
    page.goto((site / "index.html").as_uri())
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert len(hrefs) == 24  # per edition (4): its site, PDF, deck (PPTX and PDF), figure data and data zip
    for href in hrefs:
        assert Path(href.removeprefix("file://")).exists(), href
        if href.endswith((".zip", ".pptx")):
            continue  # a download
        page.goto(href)
        if href.endswith(".html"):
            # an edition's index.html forwards to its first page; wait for the page it lands on
            page.wait_for_function("() => document.title && !document.title.startsWith('Loading')")
            assert "白書" in page.title() or "再生医療" in page.title() or "図のデータ" in page.title()
    page.close()


# every ::before and ::after a reader sees whose content is an icon font's character (private use)
TEXT_ICONS = """async () => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    if (el instanceof SVGElement || !el.getClientRects().length) continue;
    for (const pseudo of ['::before', '::after']) {
      const s = getComputedStyle(el, pseudo);
      const icons = [...(s.content || '')].filter(c => c >= '\\ue000' && c <= '\\uf8ff').join('');
      if (!icons || s.display === 'none') continue;
      const faces = await document.fonts.load(`${s.fontWeight} 16px ${s.fontFamily}`, icons);
      out.push([el.tagName + '.' + [...el.classList].join('.') + pseudo, icons, faces.map(f => f.status)]);
    }
  }
  return out;
}"""


def test_the_icons_the_theme_draws_as_text_show_on_the_published_site(site, browser):
    """The theme draws a few icons as text in an icon font (the ⚠ of an admonition's title, K1's "原資料と
    異なる点"); the site publishes no font files, so each such icon's font must load from the page's own
    stylesheets and hold its glyph: without it the reader sees an empty box."""
    import base64
    import io

    from fontTools.ttLib import TTFont

    pages = [p for p in sorted(site.glob("*/notebooks/*.html")) if "admonition-title" in p.read_text(encoding="utf-8")]
    assert pages, "no page of the site has an admonition"
    page = browser.new_page()
    for path in pages:
        page.goto(path.as_uri(), wait_until="load")
        found = page.evaluate(TEXT_ICONS)
        assert any(".admonition-title::after" in where for where, _, _ in found), path
        html = path.read_text(encoding="utf-8")
        css = "".join((path.parent / href).read_text(encoding="utf-8")
                      for href in re.findall(r'<link rel="stylesheet"[^>]*?href="([^"?#]+)', html))
        glyphs = set().union(*(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
                               for data in re.findall(r"font/woff2;base64,([A-Za-z0-9+/=]+)", css)))
        for where, icons, faces in found:
            assert faces and all(f == "loaded" for f in faces), (path, where, faces)
            assert all(ord(c) in glyphs for c in icons), (path, where, [hex(ord(c)) for c in icons])
    page.close()


# Last in the module (its tests run in order, in one process): by then the default report (``built``, made
# by the other process meanwhile) has put M1's and the data appendix's runs on the shipped data in the
# session's cache, so only the notebooks that read the test vintage run here.
def test_editions_from_different_vintages_differ_only_where_the_data_differ(tmp_path):
    project = copy_project(tmp_path / "project")
    data = project / "data"
    (data / "vintages" / "fee_schedule_test.csv").write_text(
        (data / "fee_schedule.csv").read_text(encoding="utf-8").replace(
            "K922-2,2022,CAR発現生T細胞投与（一連につき）,30850", "K922-2,2022,CAR発現生T細胞投与（一連につき）,40000"),
        encoding="utf-8")
    edit(data / "metadata.yaml", '      "2022": vintages/fee_schedule_2022.csv',
         '      "2022": vintages/fee_schedule_2022.csv\n      test: vintages/fee_schedule_test.csv')
    outs = {}
    for name, vintage in (("now", "{}"), ("test", "{fee_schedule: test}")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"id: {name}\ntitle: {name}\ndate: 2026\nfigures: [M1, K1]\ndata_vintage: {vintage}\n",
                        encoding="utf-8")
        outs[name] = tmp_path / f"out-{name}"
        proc = run_cli(project, "build", "--out", str(outs[name]), "--no-pdf", "--submission", str(path))
        assert proc.returncode == 0, proc.stderr
    assert (outs["now"] / "figures" / "M1.data.csv").read_bytes() == (outs["test"] / "figures" / "M1.data.csv").read_bytes()

    def k1(out: Path) -> dict[str, dict[str, str]]:
        with (out / "figures" / "K1.data.csv").open(encoding="utf-8") as f:
            return {r["step_ja"]: r for r in csv.DictReader(f)}

    now, test = k1(outs["now"]), k1(outs["test"])
    assert now["CAR-T細胞投与"]["points [点]"] == "30850" and test["CAR-T細胞投与"]["points [点]"] == "40000"
    assert now["白血球採取（アフェレーシス）"] == test["白血球採取（アフェレーシス）"]
    stamps = [json.loads((o / "meta" / "edition.json").read_text(encoding="utf-8"))["stamp"] for o in outs.values()]
    assert "data/vintages/fee_schedule_test.csv" in stamps[1]["data"] and "data/fee_schedule.csv" in stamps[0]["data"]
