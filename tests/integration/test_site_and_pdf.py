"""End to end: the real build, then what a reader sees in a browser and in the PDF."""

from __future__ import annotations

import csv
import functools
import http.server
import re
import subprocess
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import EVERY_CHART_DRAWN, ROOT, run_cli, tree_digest

FIGURES = {
    "M1": ("notebooks/m1_market.html", "再生医療等製品のグローバル市場規模推計"),
    "C2": ("notebooks/c2_unit_cost.html", "製造数量による1製品当たり製造コストの推移"),
    "K1": ("notebooks/k1_fee_gap.html", "現行の診療報酬制度の課題"),
    "M2": ("notebooks/m2_modality.html", "各モダリティの市場動向比較"),
    "M3": ("notebooks/m3_supporting_industry.html", "再生医療等製品の周辺産業の市場性"),
    "O1": ("notebooks/o1_originator.html", "開発パイプラインのOriginator企業分類内訳"),
    "D1": ("notebooks/d1_drug_loss.html", "日米欧での再生医療等製品の上市・開発状況"),
    "D2": ("notebooks/d1_drug_loss.html", "欧米に対する日本の割合"),
    "A1": ("notebooks/a1_approvals.html", "再生医療等製品の承認品目数の累計"),
    "A3": ("notebooks/a3_launch_forecast.html", "国内上市品目数の推移予測"),
    "S1": ("notebooks/s1_survival.html", "CAR-T細胞療法の5年生存率"),
    "E1": ("notebooks/e1_drug_budget.html", "名目GDP成長率に連動させた薬剤費の枠"),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_outputs_exist(built):
    assert (built / "html" / "index.html").is_file()
    assert (built / "pdf" / "report.pdf").is_file()
    for fig_id in FIGURES:
        assert (built / "figures" / f"{fig_id}.data.csv").stat().st_size > 0
        svg = (built / "figures" / f"{fig_id}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "BIZ UDPGothic" in svg
    assert not list(built.glob(".staging*"))
    assert not list((built / "html").glob("_print*"))  # the print pages are the printer's, not the site's


def test_m1_csv_holds_the_printed_numbers(built):
    rows = read_csv(built / "figures" / "M1.data.csv")
    assert "value_oku_yen [億円]" in rows[0]
    totals: dict[str, float] = {}
    for row in rows:
        totals[row["year"]] = totals.get(row["year"], 0) + float(row["value_oku_yen [億円]"])
    assert totals == {"2020": 6812, "2025": 27469, "2030": 68657, "2035": 98172, "2040": 117018}
    assert {r["status"] for r in rows} == {"printed", "derived"}


def test_k1_csv_gap_per_patient(built):
    rows = read_csv(built / "figures" / "K1.data.csv")
    gap = {p: sum(float(r["gap_yen [円/患者]"]) for r in rows if r["pathway"] == p) for p in ("car_t", "auto_pbsct")}
    # cost no fee pays: 0.07 × 194,100 (re-apheresis) + 100,000 + 150,000 + 100,000 (transport, receipt, coordination)
    assert gap["car_t"] == pytest.approx(-363587)
    assert gap["auto_pbsct"] == 0
    unpaid = [r["step_ja"] for r in rows if r["pathway"] == "car_t" and r["points [点]"] == "0"]
    assert "再アフェレーシス（製造不成立時）" in unpaid and len(unpaid) == 4
    assert {r["points_status"] for r in rows if r["points [点]"] not in ("", "0")} == {"printed"}


def test_c2_csv_shows_scale_merit_only_for_the_conventional_product(built):
    rows = read_csv(built / "figures" / "C2.data.csv")
    cost = {(r["product_type"], int(r["volume [患者数/年]"])): float(r["total [万円/製品]"]) for r in rows}
    assert cost[("conventional", 10)] / cost[("conventional", 100000)] > 1000
    assert cost[("autologous", 10)] / cost[("autologous", 100000)] < 10
    assert cost[("autologous", 100000)] > 1900  # never below the floor


def test_prose_numbers_are_glued_from_the_data(built):
    m1 = (built / "html" / "notebooks" / "m1_market.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", m1)
    assert "2020 年の 6,812 億円から" in text
    assert "117,018 億円へ、約 17.2 倍" in text
    assert "26.0%（資料の表記は +26%）" in text
    k1 = re.sub(r"<[^>]+>", "", (built / "html" / "notebooks" / "k1_fee_gap.html").read_text(encoding="utf-8"))
    assert "どの点数でも支払われない費用は差し引き 36.4 万円" in k1
    assert "出来高では支払われない費用は 36.4 万円、DPC 包括では" in k1
    assert "{glue" not in text + k1


def test_figures_have_anchor_caption_source_and_csv_link(built):
    for fig_id, (page, title) in FIGURES.items():
        html = (built / "html" / page).read_text(encoding="utf-8")
        assert f'id="fig-{fig_id.lower()}"' in html
        caption = html.split(f'id="fig-{fig_id.lower()}"', 1)[1].split("</figure>", 1)[0]
        assert title in caption.split("</figcaption>")[0] and "出所：" in caption
        link = re.search(r'href="([^"]+\.csv)"', caption).group(1)
        assert (built / "html" / page).parent.joinpath(link).resolve().is_file()
    m1 = (built / "html" / "notebooks" / "m1_market.html").read_text(encoding="utf-8")
    assert "印字値から導出した値を含む（5件）" in m1 and "凡例順に割り当てた" in m1


def test_site_loads_nothing_from_the_network(built):
    for page in (built / "html").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<script[^>]+src="(https?:)?//', html), page
        assert not re.search(r'<link[^>]+href="(https?:)?//[^"]+\.(css|woff2?)', html), page


@pytest.fixture(scope="module")
def site(built):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built / "html"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def tab(site, browser):
    """One tab for the charts' tests, going from page to page as a reader's does: what its pages wrote to
    the console as errors and what they asked for outside the site (each test empties both first)."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def route(r):
        if r.request.url.startswith(site):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    yield page, errors, outside
    page.close()


@pytest.mark.parametrize("fig_id", list(FIGURES))
def test_chart_draws_in_chromium_offline(site, tab, fig_id):
    page_path = FIGURES[fig_id][0]
    page, errors, outside = tab
    errors.clear()
    outside.clear()
    page.goto(f"{site}/{page_path}", wait_until="load")
    page.wait_for_function(EVERY_CHART_DRAWN, arg=None)  # drawn as they near the screen
    chart = page.locator(f"#fig-{fig_id.lower()}-chart svg")
    chart.first.wait_for(state="visible", timeout=15000)
    # vega has drawn its marks: Japanese text in the chart itself, not only in the caption
    page.wait_for_function(
        "id => Array.from(document.querySelectorAll(`#${id}-chart svg text`)).some(t => /[\u3040-\u30ff\u4e00-\u9fff]/.test(t.textContent))",
        arg=f"fig-{fig_id.lower()}", timeout=15000)
    assert chart.first.bounding_box()["width"] > 300
    assert page.locator(f"#fig-{fig_id.lower()} .regen-fig-foot").inner_text().count("出所") == 1
    assert errors == [], errors
    assert outside == [], outside


def test_site_index_opens_the_book(site, browser):
    page = browser.new_page()
    page.goto(f"{site}/index.html", wait_until="load")
    page.wait_for_url("**/book/index.html")  # the root page forwards to the book's front page
    page.wait_for_load_state("load")
    assert "再生医療等製品の価格制度に関する白書" in page.title()
    links = page.locator("nav a.reference.internal").all_text_contents()
    assert any("診療報酬" in t for t in links)
    page.close()


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_text_pages_and_fonts(built):
    pdf = built / "pdf" / "report.pdf"
    text = pdf_text(pdf)
    compact = re.sub(r"\s+", "", text)
    for fig_id, (_, title) in FIGURES.items():
        assert f"図{fig_id}" in compact and re.sub(r"\s+", "", title) in compact
    assert "6,812億円から" in compact and "26.0%" in compact
    assert "出所：" in compact
    assert "本文へスキップ" not in compact and "Ctrl+K" not in compact  # site chrome is not printed
    reader = PdfReader(str(pdf))
    assert 4 <= len(reader.pages) <= 120  # a sanity bound: the full white paper, not a runaway
    assert reader.pages[0].mediabox.width == pytest.approx(595.92, abs=1)  # A4
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded
    assert "Type 3" not in fonts


def test_same_inputs_give_the_same_site_and_figures(built, tmp_path):
    proc = run_cli(ROOT, "build", "--out", str(tmp_path), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    assert tree_digest(tmp_path / "figures") == tree_digest(built / "figures")
    site = tree_digest(built / "html")
    assert site.pop("report.pdf") and site.pop("default-deck.pdf")  # the site carries its PDFs; this build printed none
    assert tree_digest(tmp_path / "html") == site
