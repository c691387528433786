"""Every figure and table of the white paper in the built report: its CSV, its page and the PDF.

The values themselves are checked where they are computed (tests/unit/models/test_<module>.py,
beside each model); here the built files and pages are checked for what only the notebook and the
build add: the words around the numbers, statuses, the pages and the PDF."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT, run_cli

CHARTS = ["M2", "M3", "O1", "D1", "D2", "A1", "A3", "S1", "E1"]
TABLES = {  # id: (page, caption text, rows in the CSV)
    "A2": ("notebooks/a1_approvals.html", "国内で承認された品目", 20),
    "T1": ("notebooks/t1_cost_structure.html", "既存医薬品と再生医療等製品の違い", 18),
    "T2": ("notebooks/t2_t3_europe.html", "欧州の医療技術評価（HTA）", 4),
    "T3": ("notebooks/t2_t3_europe.html", "フランスにおける価格安定性と製造インセンティブ", 4),
    "T4": ("notebooks/t4_access_issues.html", "再生医療等製品を持続的に患者に届けるための課題", 8),
    "T5": ("notebooks/t5_cart_access.html", "CAR-T細胞療法における患者アクセスの課題と対策案", 14),
    "F1": ("notebooks/f1_firm_case.html", "再生医療等製品の特長・特徴の整理と、FIRMの対応・本書の箇所", 9),
    "F2": ("notebooks/f1_firm_case.html", "国民に提供しうる再生医療等製品の価値と事例", 7),
    "F3": ("notebooks/f1_firm_case.html", "FIRMの主張、FIRMが引用する政策文書とFIRMの提言", 6),
    "F4": ("notebooks/f4_jri_proposals.html", "日本総研の白書が示す提言と、紹介する他団体の提案", 7),
    "F5": ("notebooks/f4_jri_proposals.html", "再生医療等製品の持続的な患者提供を目指したエコシステムの改善点", 6),
}


def rows(built: Path, fig_id: str) -> list[dict[str, str]]:
    with (built / "figures" / f"{fig_id}.data.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def text_of(built: Path, page: str) -> str:
    return re.sub(r"<[^>]+>", "", (built / "html" / page).read_text(encoding="utf-8"))


def test_every_figure_and_table_has_its_files(built):
    for fig_id in CHARTS:
        assert rows(built, fig_id), fig_id
        assert (built / "figures" / f"{fig_id}.svg").read_text(encoding="utf-8").startswith("<svg")
    for table_id, (_, _, n) in TABLES.items():
        assert len(rows(built, table_id)) == n, table_id


def test_tables_have_anchor_caption_source_and_csv_link(built):
    for table_id, (page, caption, _) in TABLES.items():
        html = (built / "html" / page).read_text(encoding="utf-8")
        assert f'id="tbl-{table_id.lower()}"' in html, table_id
        block = html.split(f'id="tbl-{table_id.lower()}"', 1)[1].split('class="regen-cite"', 1)[0]
        assert f"表 {table_id}</span> " in block and caption in block and "出所：" in block, table_id
        link = re.search(r'href="([^"]+\.csv)"', block).group(1)
        assert (built / "html" / page).parent.joinpath(link).resolve().is_file()


def test_a1_a2_counts_from_the_product_list(built):
    a1 = rows(built, "A1")  # (the counts: tests/unit/models/test_approvals.py::test_a1_a2_approvals)
    assert {r["status"] for r in a1} == {"derived"}
    text = text_of(built, "notebooks/a1_approvals.html")
    assert "承認品目は 20 品目" in text and "11 品目は 2021 年以降" in text


def test_a3_forecast_is_printed(built):
    # (the forecast's values: tests/unit/models/test_approvals.py::test_a3_launch_forecast)
    text = text_of(built, "notebooks/a3_launch_forecast.html")
    assert "累計 31 品目（資料の本文では「30 品目まで」）" in text  # as the seed prints it, not 約30


def test_d1_d2_printed_counts_and_shares(built):
    d1 = {r["segment"]: int(r["count [品目]"]) for r in rows(built, "D1")}
    assert d1 == {"日米欧いずれかで上市済み": 56, "上市済み": 17, "開発中": 2, "複数地域で開発": 58,
                  "単独地域で開発": 77, "日本での開発あり": 20}
    text = text_of(built, "notebooks/d1_drug_loss.html")
    for phrase in ("合わせて 19 品目にとどまる（-66%）", "37 品目のうち 9 品目（24%）", "20 品目（-85%）",
                   "欧米の40%未満", "欧米の20%未満", "33.9%", "14.8%"):
        assert phrase in text, phrase
    d2 = rows(built, "D2")
    assert [float(r["share_pct [%]"]) < float(r["printed_below_pct [%]"]) for r in d2] == [True, True]


def test_o1_percentages(built):
    o1 = rows(built, "O1")
    by_modality: dict[str, float] = {}
    for r in o1:
        by_modality[r["modality"]] = by_modality.get(r["modality"], 0) + float(r["share_pct [%]"])
    assert len(by_modality) == 6 and all(99 <= s <= 101 for s in by_modality.values())
    # (the counts: tests/unit/models/test_approvals.py::test_o1_originators)
    share = {(r["modality"], r["originator"]): float(r["share_pct [%]"]) for r in o1}
    assert share[("細胞治療", "Biotechnology")] == 75 and share[("低分子医薬品", "Specialty")] == 30
    assert sum(r["status"] == "derived" for r in o1) == 4  # the four "–" entries


def test_m2_m3_values(built):
    # (the values: tests/unit/models/test_market.py::test_m2_modality_comparison and test_industry.py::test_m3_cdmo_markets)
    m3 = {(r["segment"], r["region"], r["year"]): r for r in rows(built, "M3")}
    assert m3[("細胞CDMO", "グローバル", "2030")]["status"] == "assumption"
    html = (built / "html" / "notebooks" / "m3_supporting_industry.html").read_text(encoding="utf-8")
    assert "仮定値を含む" in html


def test_s1_e1_values(built):
    # (the values: tests/unit/models/test_survival.py::test_s1_survival and test_budget.py::test_e1_budget)
    s1 = {(r["setting"], r["arm"]): r for r in rows(built, "S1")}
    assert s1[("r/r 3L+ DLBCL", "prior")]["bound"] == "upper"
    text = text_of(built, "notebooks/e1_drug_budget.html")
    assert "2025 年度に約 60 兆円" in text and "政府の集計は見当たらない" in text
    assert "仮定値を含む" in (built / "html" / "notebooks" / "e1_drug_budget.html").read_text(encoding="utf-8")


def test_appendix_lists_every_table(built):
    text = text_of(built, "notebooks/z1_data_appendix.html")
    for name in ("approved_products.csv", "originator_mix.csv", "cost_structure_comparison.csv", "sources.csv"):
        assert name in text
    assert "{glue" not in text
    coverage = text_of(built, "notebooks/z2_seed_coverage.html")  # what the seeds print that no figure shows
    assert "表 X-3" in coverage and "iPS細胞論文数：日本 世界2位" in coverage and "再現せず" in coverage


def test_no_unglued_placeholders_in_new_pages(built):
    for page in sorted((built / "html" / "notebooks").glob("*.html")):
        assert "{glue" not in page.read_text(encoding="utf-8"), page.name


def test_pdf_holds_every_new_id(built):
    text = subprocess.run(["pdftotext", str(built / "pdf" / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    compact = re.sub(r"\s+", "", text)
    for fig_id in CHARTS:
        assert f"図{fig_id}" in compact, fig_id
    for table_id in TABLES:
        assert f"表{table_id}" in compact, table_id
    assert compact.count("出所：") >= len(CHARTS) + len(TABLES) + 3
    for part in ("市場と産業", "ドラッグ・ロスと承認", "臨床的・社会的価値", "製造と品質", "診療報酬と薬剤費", "国際比較", "付録"):
        assert part in compact


# Moved to the unit suite (tests/unit/models/), where the models compute them: Q1's printed lot
# (test_qc.py::test_q1_qc_share), C1's cumulative costs (test_lifetime.py::test_c1_lifetime,
# ::test_cumulative_costs_never_decrease), K1-MC's distribution (test_reimbursement.py::test_k1_and_k1mc_share_one_average_patient),
# C2-RP's margins (test_repricing.py::test_c2rp_repricing), P1's price build-up (test_pricing.py::test_p1_p2_pricing,
# ::test_p1_firm_price_is_the_sum_of_its_steps), P2's scenarios (::test_p1_p2_pricing) and the tornado
# charts' order (test_sensitivity.py::test_tornado_charts_are_sorted_by_swing).


def test_a_profile_parameter_changes_the_built_figure(built, tmp_path):
    profile = tmp_path / "undiscounted.yaml"
    profile.write_text(
        "id: undiscounted\ntitle: 割引なし\ndate: 2026-01-01\nfigures: [C1]\n"
        "parameters:\n  c1_lifetime_cost:\n    overrides: {discount_rate: 0.0}\n", encoding="utf-8")
    proc = run_cli(ROOT, "build", "--out", str(tmp_path / "out"), "--no-pdf", "--submission", str(profile))
    assert proc.returncode == 0, proc.stderr
    changed = rows(tmp_path / "out", "C1")
    base = rows(built, "C1")
    year10 = lambda data: next(float(r["cum_total [円]"]) for r in data if r["therapy"] == "repeat" and r["year"] == "10")  # noqa: E731
    assert year10(changed) > year10(base)  # no discounting: the same costs add up to more
    assert not (tmp_path / "out" / "figures" / "M1.data.csv").exists()  # only the chosen figures are built
