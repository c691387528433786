"""Numbers a 中医協 member checks first (K1 gap, C2-RP thresholds, E1 start, P1, M1, Q1), against hand-checked values."""

from __future__ import annotations

import math

import pytest

from regenpolicy.builder.profile import load_profile, resolve_parameters
from regenpolicy.builder.project import Project
from regenpolicy.builder.registry import load_registry
from regenpolicy.data import Dataset
from regenpolicy.models import budget, catalog, comparisons, market, qc, repricing
from regenpolicy.models.parameters import EditionSettings, ParameterError, resolve
from tests.conftest import ROOT


# (K1 and K1-MC: tests/unit/models/test_reimbursement.py)
# --- 3. C2-RP: exact thresholds, the rule that applies, the FY2026 rules -----------------------
@pytest.fixture(scope="module")
def c2rp(shipped: Dataset) -> repricing.C2RPResult:
    return repricing.repricing_margins(shipped, repricing.C2RPParameters(), 2024)


def test_sales_thresholds_are_solved_exactly(c2rp):
    t = c2rp.thresholds[c2rp.thresholds["what"] == "sales"].set_index("rule_id")
    # 1,000億円 ÷ 32,647,761円 = 3,062.997… patients: 3,063 is the first whole patient count above it
    assert t.loc["s1000_1_5x", "volume_exact"] == pytest.approx(1e11 / 32_647_761)
    assert t.loc["s1000_1_5x", "volume"] == 3063 and 32_647_761 * 3062 < 1e11 < 32_647_761 * 3063
    assert t.loc["s1500_1_3x", "volume"] == math.floor(1.5e11 / 32_647_761) + 1 == 4595
    assert t.loc["r150_2x", "volume"] == 460
    assert c2rp.numbers["c2r_special_from"] == 3063


def test_margin_sign_changes_are_solved_exactly(c2rp):
    signs = c2rp.thresholds[c2rp.thresholds["what"] != "sales"][["what", "volume"]].values.tolist()
    # 118 patients: (100,000 + 5 lines × 15,000)万円 / 118 + 1,275 < the net price 32,647,761 / 1.1 × 0.931;
    # 121: a sixth line; 128: profitable again; 4,595: sales pass 1,500億円 and the floor falls to 50/100
    assert signs == [["profit", 118], ["loss", 121], ["profit", 128], ["loss", 4595]]
    assert c2rp.numbers["c2r_first_profit"] == 118 and c2rp.numbers["c2r_loss_from"] == 4595
    assert "121〜127 人" in c2rp.turn and "4,595 人以上で赤字" in c2rp.turn and "3,063 人以上" in c2rp.turn


def test_each_point_is_labelled_with_the_rule_that_applies(c2rp):
    auto = c2rp.curve[c2rp.curve["product_type"] == "autologous"].set_index("volume")
    # 3,300–4,350 patients: 特例 (s1000) and 市場拡大 (r150, r350) all cut to the 75/100 floor — a tie,
    # labelled with every rule, the 特例 first, not the first row of the table
    for v in (3319, 3631, 3972, 4345):
        assert auto.loc[v, "rules"].startswith("1回目：s1000_1_5x") and auto.loc[v, "kind"] == "特例拡大再算定"
    assert auto.loc[4595, "rules"] == "1回目：s1500_1_3x"
    assert auto.loc[3034, "kind"] == "市場拡大再算定"


def test_ties_and_the_deepest_cut():
    rules = [repricing.Rule("r", 150, 2, 0.75), repricing.Rule("s", 1000, 1.5, 0.75, kind="特例拡大再算定", max_sales=1500)]
    factor, applied = repricing.applied(rules, 1200, 20, 72)
    assert factor == 0.75 and [r.rule_id for r in applied] == ["s", "r"]
    factor, applied = repricing.applied(rules, 1200, 2.5, 72)  # 0.9^(log 2.5 / log 2) = 0.870 for both
    assert factor == pytest.approx(0.9 ** (math.log(2.5) / math.log(2))) and [r.rule_id for r in applied] == ["s", "r"]
    factor, applied = repricing.applied(rules, 1200, 1.6, 72)  # only the 特例 reaches 1.6×
    assert factor == pytest.approx(0.9 ** (math.log(1.6) / math.log(2))) and [r.rule_id for r in applied] == ["s"]
    assert repricing.cut_factor(10, 0.75, log_base=10) == pytest.approx(0.9)


def test_fy2026_rules_are_data_and_an_edition_setting(shipped, c2rp):
    rules = shipped["repricing_rules"]
    r2026 = rules[rules["rule_set"] == 2026].set_index("rule_id")
    assert set(r2026["kind"]) == {"市場拡大再算定", "持続可能性特例価格調整"}
    assert r2026.loc["p1000_1_5x", "floor_cost_method"] == 0.75 and r2026.loc["p1500_1_3x", "floor_cost_method"] == 0.5
    assert r2026.loc["p3000_10x", "floor_cost_method"] == pytest.approx(1 / 3)
    assert repricing.floor_text(r2026.loc["p3000_10x", "floor_cost_method"]) == "1/3"
    # the 1/3 floor needs a forecast at listing above 1,500億円 (with log 2 it binds only from X ≈ 1,400)
    super_tier = repricing.rules_from_table(rules, "cost", 2026)
    assert repricing.applied(super_tier, 3200, 2000, 1600)[0] == pytest.approx(1 / 3)
    assert repricing.applied(super_tier, 3200, 2000, 72)[0] == 0.5
    assert repricing.applied(super_tier, 3200, 12, 1600)[0] == pytest.approx(0.9 ** (math.log(12) / math.log(2)))
    # the 特例 formula is not printed in any source found: log 2 is labelled an assumption
    special = rules[rules["kind"] != "市場拡大再算定"]
    assert set(special["log_base"]) == {2} and set(special["log_base_status"]) == {"assumption"}
    assert rules.set_index(["rule_set", "rule_id"]).loc[(2024, "r150_2x"), "log_base_status"] == "printed"
    r26 = repricing.repricing_margins(shipped, repricing.C2RPParameters(), 2026)
    assert r26.numbers["c2r_margin"] == pytest.approx(c2rp.numbers["c2r_margin"])  # same floors for this product
    assert "持続可能性特例価格調整" in r26.turn
    with pytest.raises(ParameterError, match="price_rules"):
        resolve(EditionSettings, {"price_rules": 2020}, shipped)


def test_pricing_methods_are_disclosed_in_the_data(shipped, c2rp):
    table = c2rp.table.set_index("parameter")
    assert table.loc["conventional_pricing_method", "value"] == 0  # 類似薬効比較方式, floor 85/100
    assert "85/100" in table.loc["conventional_pricing_method", "label"]
    assert repricing.methods({"conventional_pricing_method": 0, "autologous_pricing_method": 1}) == \
        {"conventional": "comparator", "autologous": "cost"}
    with pytest.raises(ParameterError, match="valid integer"):  # the method is a code (C2Data: int, 0–1)
        resolve(repricing.C2RPParameters, {"overrides": {"conventional_pricing_method": 0.5}}, shipped)
    with pytest.raises(ParameterError, match="outside the range the model accepts: 0〜1 区分"):
        resolve(repricing.C2RPParameters, {"overrides": {"conventional_pricing_method": 2}}, shipped)


# --- 4. E1: from the drug expenditure series ----------------------------------------------------
def test_e1_starts_from_the_drug_expenditure(shipped):
    e1 = budget.drug_budget(shipped, budget.E1Parameters())
    n = e1.numbers
    assert n["e1_base"] == 9.56 and n["e1_series_year"] == 2020 and n["e1_ratio"] == pytest.approx(0.223)
    assert n["e1_seed_base"] == pytest.approx(60 * 0.223) and n["e1_seed_excess"] == pytest.approx(60 * 0.223 - 9.56)
    past = [1.4, 0.9, 0.9, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7]
    assert n["e1_low"] == pytest.approx(9.56 * math.prod(1 + g / 100 for g in past))
    assert n["e1_high"] == pytest.approx(9.56 * 1.028**9)
    assert (n["e1_projection"], n["e1_nme"]) == (48, 48.0915)  # what the seed's 60兆円 can be checked against
    series = e1.path[e1.path["case"] == budget.SERIES]
    assert series["budget"].tolist() == [9.56, 9.22, 9.46, 9.19, 9.58, 9.56]
    assert e1.path.set_index(["case", "fiscal_year"]).loc[(budget.PAST_CASE, 2025), "status"] == "assumption"


# --- 6. labels ------------------------------------------------------------------------------------
def test_m1_small_labels_are_not_assigned_to_a_series(shipped):
    seg = shipped["market_global_modality"]
    small = seg[seg["modality"] == "系列未特定（小さいラベル）"]
    assert sorted(small["value_oku_yen"]) == [1605, 1867, 2174, 2532] and set(small["status"]) == {"printed"}
    assert not small["series_assumed"].any()
    # in vivoウイルス治療 from 1,800億円 (2020) to 2,532億円 (2025) would be 7.1% a year: neither reading of the 2%
    assert market.cagr(1800, 2532, 5) == pytest.approx(0.0706, abs=5e-4)
    virus = seg[seg["modality"] == "in vivoウイルス治療"]
    assert virus["year"].tolist() == [2020]


def test_m1_quotes_and_headlines(shipped):
    m1 = market.global_market(shipped, market.M1Parameters())
    assert m1.texts == {"m1_quote_10y": "再生医療等製品は今後10年で最も高い成長率が期待される分野",
                        "m1_quote_20y": "今後20年で10兆円を超える規模まで成長する成長産業である"}
    assert (m1.numbers["m1_headline_2020"], m1.numbers["m1_headline_2030_cho"], m1.numbers["m1_headline_2040_cho"]) == \
        (7000, 6.9, 12)
    assert m1.unassigned_labels == 4 and m1.assumed_labels == 12


def test_q1_midpoint(shipped):
    q1 = qc.qc_shares(shipped, qc.Q1Parameters())
    assert q1.numbers["q1_ab_lot"] == (2000 + 10000) / 2 == 6000
    assert q1.numbers["q1_ab_share"] == pytest.approx(250 / 6000)
    assert q1.texts["q1_processes"] == "全体を通じて、更に500以上のプロセスが存在"
    lot = shipped["unit_cost_parameters"].set_index(["product_type", "parameter"]).loc[("conventional", "lot_size")]
    assert (lot["value"], lot["status"]) == (6000, "derived")


# --- 7. missing seed content ----------------------------------------------------------------------
def test_missing_seed_content_is_added_or_listed(shipped):
    cov = catalog.seed_coverage(shipped, catalog.CoverageParameters())
    rows = cov.rows.set_index("statement_id")
    assert rows.loc["jri_processes", "quote"] == "全体を通じて、更に500以上のプロセスが存在"
    assert rows.loc["firm_ips_papers", "quote"] == "iPS細胞論文数：日本 世界2位"
    assert rows.loc["firm_ips_patents", "quote"] == "iPS細胞特許数：日本 世界2位"
    assert rows.loc["jri_access", "coverage"] == "図表で再現" and rows.loc["jri_access", "where_ja"] == "表 T5"
    assert rows.loc["firm_a3_modality", "coverage"] == "再現せず" and "読み取れない" in rows.loc["firm_a3_modality", "note"]
    assert cov.numbers["s_not_reproduced"] == 1
    t5 = comparisons.cart_access(shipped, comparisons.T5Parameters())
    assert (t5.numbers["t5_issues"], t5.numbers["t5_measures"]) == (9, 5)
    assert "アフェレーシスが順番待ち" in " ".join(t5.rows["text"])


# --- the next submission --------------------------------------------------------------------------
def test_the_2026_11_edition_runs_on_the_fy2026_rules(shipped):
    project = Project(ROOT)
    registry = load_registry(project)
    profile = load_profile("2026-11", project, registry)
    settings = resolve_parameters(profile, registry, shipped).settings
    assert (settings.fee_revision, settings.price_rules, settings.billing) == (2026, 2026, "出来高")
    previous = load_profile("jri-2025", project, registry)
    assert previous.date < profile.date < load_profile("default", project, registry).date  # compared with jri-2025
    assert {"K1", "C2-RP", "E1", "P1", "T5"} <= set(profile.figures or [])


