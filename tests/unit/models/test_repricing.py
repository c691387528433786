"""regenpolicy.models.repricing (C2-RP): market-expansion repricing.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import math

import pytest

from regenpolicy.data import Dataset
from regenpolicy.models import repricing
from regenpolicy.models.parameters import EditionSettings, ParameterError, resolve


# --- 3. C2-RP: exact thresholds, the rule that applies, the FY2026 rules -----------------------
@pytest.fixture(scope="module")
def c2rp(shipped: Dataset) -> repricing.C2RPResult:
    return repricing.repricing_margins(shipped, repricing.C2RPParameters(), 2024)


# --- C2 re-pricing -----------------------------------------------------------------------------
RULES = [repricing.Rule("150", 150, 2, 0.75), repricing.Rule("100", 100, 10, 0.75)]


def test_c2rp_repricing(shipped):
    rp = repricing.repricing_margins(shipped, repricing.C2RPParameters())
    margin = rp.curve.set_index(["product_type", "volume"])["margin"]
    conventional = margin["conventional"].tolist()
    first_positive = next(i for i, v in enumerate(conventional) if v > 0)
    assert all(v > 0 for v in conventional[first_positive:])
    assert max(margin["autologous"]) > 0 and margin["autologous"].iloc[-1] < 0


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
    # the last profitable run: 128 (after the sixth line's pocket) to 4,594 (the last volume below 1,500億円)
    assert c2rp.numbers["c2r_profit_from"] == 128 and c2rp.numbers["c2r_profit_to"] == 4594
    # the prose rounds them: the sign changes sit on the assumed 24-patient line steps
    assert "121〜127" not in c2rp.turn and "約 130 人から約 4,600 人まで" in c2rp.turn and "24 人分の段" in c2rp.turn
    assert "約 3,100 人以上" in c2rp.turn


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


def test_cut_factor_formula_and_floor():
    assert repricing.cut_factor(2, 0.75) == pytest.approx(0.9)  # X = 2 → −10%
    assert repricing.cut_factor(4, 0.75) == pytest.approx(0.81)
    assert repricing.cut_factor(10, 0.75) == 0.75  # 0.9^3.32 = 0.705, floored


def test_price_after_revisions():
    # 1,000万円 × 1,000 units = 100億円: ratio 2 to a 50億円 forecast but not above 150億円
    assert [r["price"] for r in repricing.price_after_revisions(1e7, 1000, 50, RULES, 2)] == [1e7, 1e7, 1e7]
    # 2,000 units: 200億円, ratio 4 → ×0.81 = 810万円; then the reference is 162億円: no further cut
    path = repricing.price_after_revisions(1e7, 2000, 50, RULES, 2)
    assert [round(r["price"]) for r in path] == [10_000_000, 8_100_000, 8_100_000]
    assert path[1]["rule"] == "150"


def test_the_final_price_is_the_last_price_of_the_revisions_for_every_volume():
    """``final_price`` stops at the first revision whose rules are none of them met (every later one sees the
    same sales and reference): the same price, to the bit, as the whole record's last, for rules that cut,
    that are met again after a cut (a ratio of 1 or less), or that are never met."""
    tiers = [*RULES, repricing.Rule("350", 350, 2, 0.5, log_base=4), repricing.Rule("again", 300, 0.5, 0.9)]
    for volume in [0, 1, 500, 999, 1000, 1001, 1500, 2000, 3000, 3500, 5000, 7000, 10_000, 40_000, 200_000]:
        for revisions in (0, 1, 3, 6):
            for rules in (RULES, tiers):
                path = repricing.price_after_revisions(1e7, volume, 50, rules, revisions)
                assert repricing.final_price(1e7, volume, 50, rules, revisions) == path[-1]["price"], (volume, revisions)
    again = repricing.price_after_revisions(1e7, 40_000, 50, tiers, 3)
    assert [r["rule"] for r in again] == [None, "350", "again", "again"]  # met again after the cut, cutting nothing


def test_zero_volume_is_never_repriced():
    assert repricing.price_after_revisions(1e7, 0, 50, RULES, 3)[-1]["price"] == 1e7


def test_net_revenue_per_unit():
    assert repricing.net_revenue_per_unit(11_000_000, 0.10, 0.069) == pytest.approx(9_310_000)


def test_about_rounds_to_two_significant_figures():
    assert [repricing.about(v) for v in (47, 118, 128, 460, 3063, 4595)] == ["47", "120", "130", "460", "3,100", "4,600"]


def test_the_plant_may_serve_the_world(c2rp):
    n = c2rp.numbers
    assert n["c2r_world"] == 1000 and n["c2r_calibration_volume"] == 216
    # variable' = 975 + (100,000 + 9 × 15,000) / 216 − (100,000 + 51 × 15,000) / 1,216
    variable = 975 + 235_000 / 216 - 865_000 / 1216
    assert n["c2r_g_variable"] == pytest.approx(variable)
    # the same disclosed cost at the calibration volume: both give 2,363万円 (to the 975 rounding)
    japan = 235_000 / 216 + 975 + 300
    assert 865_000 / 1216 + variable + 300 == pytest.approx(japan)
    # at 1,000 Japanese patients the plant makes 2,000: 84 lines → (100,000 + 84 × 15,000) / 2,000 = 680
    assert n["c2r_g_cost"] == pytest.approx(680 + variable + 300)
    assert n["c2r_g_margin"] == pytest.approx(n["c2r_net"] - (680 + variable + 300))
    assert n["c2r_g_margin"] < 0 < n["c2r_margin"]
    auto = c2rp.curve[c2rp.curve["product_type"] == "autologous"]
    assert auto["unit_cost_global"].notna().all()
    assert c2rp.curve[c2rp.curve["product_type"] == "conventional"]["unit_cost_global"].isna().all()
    assert "1,000 人分製造" in c2rp.texts["c2r_scope"]
    with pytest.raises(ValueError, match="world_volume"):
        repricing.global_costs(repricing.mf.CostParameters(100_000, 24, 15_000, 975, 1, 300), 216, -1)


def test_profit_runs():
    runs = repricing.profit_runs([1, 2, 3, 4, 5, 6, 7], [-1, 1, -1, 1, 1, -1, -1])
    assert runs == {"first_profit": 2, "profit_from": 4, "profit_to": 5, "loss_from": 6, "pocket": 3}
    assert repricing.profit_runs([1, 2], [1, 1])["loss_from"] is None
    assert repricing.profit_runs([1, 2], [-1, -1])["first_profit"] is None


def test_the_first_trigger_and_the_only_loss_tier_are_named(c2rp):
    n = c2rp.numbers
    # 150億円 ÷ 32,647,761円 = 459.4 → 460 patients; 2 × the 72億円 forecast = 144億円 is below 150億円
    assert n["c2r_first_trigger"] == 460 and n["c2r_first_trigger_sales"] == 150
    assert "約 460 人で販売額が 150 億円を超える市場拡大再算定" in c2rp.turn
    # only the 1,500億円 tier (floor 50/100) turns the product to a loss
    assert n["c2r_loss_sales"] == 1500 and n["c2r_loss_floor"] == 0.5 and c2rp.texts["c2r_loss_floor_text"] == "50/100"
    assert "赤字に転じるのは、販売額 1,500 億円超" in c2rp.turn
    # the headline: 3 revisions at 1,000 patients; cost (100,000 + 42 lines × 15,000) / 1,000 + 975 + 300 = 2,005万円
    assert n["c2r_cost"] == pytest.approx(2005)
    assert n["c2r_margin"] == pytest.approx(n["c2r_price"] / 1.1 * 0.931 - 2005) and round(n["c2r_margin"]) == 191
