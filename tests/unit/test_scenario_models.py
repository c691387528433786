"""Model functions of the scenario figures (Q1, C1, C2 re-pricing, K1 scenarios, P1, P2) against
hand-worked cases, edge cases and invariants."""

import math

import pytest

from regenpolicy.models import lifetime, pricing, qc, repricing, sensitivity
from regenpolicy.models import reimbursement as rb


# --- Q1 --------------------------------------------------------------------------------------
def test_qc_printed_cell_lot():
    # 70 bags − (16 release tests + 19 reference samples) = 35 shipped: 50%
    assert qc.shipped_units(70, 16 + 19) == 35
    assert qc.shipped_fraction(70, 35) == 0.5
    assert qc.cost_per_shipped_unit(70, 35, cost_per_unit_made=1.0) == 2.0


def test_qc_lot_smaller_than_its_samples_cannot_ship():
    assert qc.shipped_fraction(30, 35) == 0.0
    assert qc.cost_per_shipped_unit(30, 35, 1.0) == math.inf
    assert qc.smallest_shippable_lot(35) == 36


def test_qc_antibody_loses_a_few_percent():
    assert qc.shipped_fraction(5000, 250) == pytest.approx(0.95)
    assert 1 - qc.shipped_fraction(2000, 300) == pytest.approx(0.15)
    assert 1 - qc.shipped_fraction(10000, 200) == pytest.approx(0.02)


def test_qc_a_larger_lot_never_ships_a_smaller_fraction():
    fractions = [qc.shipped_fraction(n, 35) for n in range(1, 500)]
    assert fractions == sorted(fractions)


def test_qc_rejects_bad_lots():
    with pytest.raises(ValueError):
        qc.shipped_fraction(0, 1)
    with pytest.raises(ValueError):
        qc.shipped_fraction(10, -1)


# --- C1 --------------------------------------------------------------------------------------
def test_cumulative_costs_hand_computed():
    t = lifetime.Therapy(first_year_direct=10, later_year_direct=5, annual_indirect=1)
    assert lifetime.cumulative_costs(t, 3, 0.0)["cum_total"].tolist() == [11, 17, 23]
    discounted = lifetime.cumulative_costs(t, 3, 0.1)["cum_total"].tolist()
    assert discounted == pytest.approx([11, 11 + 6 / 1.1, 11 + 6 / 1.1 + 6 / 1.21])


def test_cumulative_costs_never_decrease():
    t = lifetime.Therapy(167_077_222, 300_000, 1_000_000)
    cum = lifetime.cumulative_costs(t, 30, 0.02)["cum_total"]
    assert cum.is_monotonic_increasing


def test_break_even_year_interpolates_and_may_not_happen():
    repeated = lifetime.cumulative_costs(lifetime.Therapy(10, 10, 0), 3, 0.0)  # 10, 20, 30
    once = lifetime.cumulative_costs(lifetime.Therapy(25, 0, 0), 3, 0.0)  # 25, 25, 25
    assert lifetime.break_even_year(repeated, once) == 2.5
    never = lifetime.cumulative_costs(lifetime.Therapy(1, 1, 0), 3, 0.0)
    assert lifetime.break_even_year(never, once) is None
    assert lifetime.break_even_year(once, never) == 1.0


def test_negative_costs_rejected():
    with pytest.raises(ValueError):
        lifetime.Therapy(-1, 0, 0)


# --- C2 re-pricing -----------------------------------------------------------------------------
RULES = [repricing.Rule("150", 150, 2, 0.75), repricing.Rule("100", 100, 10, 0.75)]


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


def test_zero_volume_is_never_repriced():
    assert repricing.price_after_revisions(1e7, 0, 50, RULES, 3)[-1]["price"] == 1e7


def test_net_revenue_per_unit():
    assert repricing.net_revenue_per_unit(11_000_000, 0.10, 0.069) == pytest.approx(9_310_000)


def test_cheapest_vials_for_a_dose():
    vials = {80: 10_603, 200: 24_711, 400: 53_025}
    # 480 mg: 200 + 200 + 80 (60,025) beats 400 + 80 (63,628) and six 80s (63,618)
    assert rb.dose_cost(480, vials) == (60_025, {200: 2, 80: 1})
    assert rb.dose_cost(400, vials)[0] == 49_422  # two 200s are cheaper than one 400
    assert rb.dose_cost(0, vials) == (0, {})


# --- P1 / P2 ---------------------------------------------------------------------------------
def test_present_value():
    assert pricing.present_value(100, 3, 0.0) == 300
    assert pricing.present_value(100, 3, 0.1) == pytest.approx(100 + 100 / 1.1 + 100 / 1.21)
    assert pricing.present_value(100, 0, 0.1) == 0


def test_cost_accounting_price_of_kymriah_to_the_yen():
    # 30,727,896 × (1 + 0.45 × 0.2) = 33,493,406.64 → 33,493,407円, the listed price
    parts = {"cogs": 23_630_000, "profit": 4_140_000, "distribution": 680_000, "tax": 2_280_000}
    out = pricing.cost_accounting_price(parts, 0.45, 0.2, premium_base=30_727_896)
    assert out["price"] == 33_493_407 and isinstance(out["price"], int)
    assert out["premium"] == 2_765_511
    assert out["rounding"] == 30_727_896 - 30_730_000  # the printed components are rounded to 万円
    assert sum(v for k, v in out.items() if k != "price") == out["price"]
    assert pricing.premium_price(30_727_896, 0.45, 0.2) == 33_493_407
    assert pricing.round_yen("0.5") == 1 and pricing.round_yen(2.49) == 2
    assert pricing.comparator_price(32_647_761, 0.0) == 32_647_761


def _inputs(**kw):
    # comparator: everyone dies linearly within the first year; product: everyone lives
    v = {"standard_care_annual": 1_000_000, "horizon_years": 2, "discount_rate": 0.0, "wage_annual": 4_000_000,
         "employment_rate": 0.5, "work_years": 2, "care_annual": 2_000_000, "care_years_per_death": 1,
         "gain_years": 3, "addon_rates": {"usefulness": 0.35, "marketability": 0.1},
         "survival": ((0.0, 1.0), (1.0, 0.0)), "product_survival": ((0.0, 1.0),), "value_addons": ("usefulness",)}
    return pricing.ValueInputs(**{**v, **kw})


def test_value_based_price_hand_computed():
    out = pricing.value_based_price(_inputs())
    assert out["standard_care"] == pytest.approx(500_000)  # 1,000,000 × (0.5 + 0) years alive
    assert out["work_life_years"] == pytest.approx(1.5)  # (1 − 0.5) + (1 − 0) in the 2 working years
    assert out["productivity"] == pytest.approx(3_000_000)  # 4,000,000 × 0.5 × 1.5
    assert out["cured_share"] == 1 and out["caregiving"] == pytest.approx(2_000_000)
    assert out["base"] == pytest.approx(5_500_000) and out["life_years"] == pytest.approx(2.5)
    assert out["addon_usefulness"] == pytest.approx(1_925_000) and out["addon_marketability"] == pytest.approx(550_000)
    assert out["price"] == pytest.approx(7_975_000)  # FIRM adds every add-on it names: 5.5M × 1.45


def test_value_addons_off_leave_the_base_with_the_other_addons():
    out = pricing.value_based_price(_inputs(add_value_addons=False))
    assert out["price"] == pytest.approx(6_050_000) and "addon_usefulness" not in out
    assert out["price_with_value_addons"] == pytest.approx(7_975_000)


def test_life_years_gained_discounts_each_year_and_stops_at_the_gain():
    product, comparator = ((0.0, 1.0),), ((0.0, 1.0), (1.0, 0.0))
    assert pricing.life_years_gained(product, comparator, 2.5, 0.1) == pytest.approx(0.5 + 1 / 1.1 + 0.5 / 1.21)
    assert pricing.life_years_gained(product, comparator, 0, 0.1) == 0
    assert pricing.product_survival_points(25.8, 0.426) == [(0.0, 1.0), (2.15, 0.5), (5.0, 0.426)]
    with pytest.raises(ValueError):
        pricing.product_survival_points(25.8, 0.6)  # a 5-year rate above the median's 50%


def test_hta_price_and_the_conditional_approval_margin():
    assert pricing.hta_price(3.0, 7_500_000, 8_000_000) == 30_500_000
    # Kymriah's printed build-up, margin × 0.5: m = 414 / (2,363 + 414) = 0.149082; m' = 0.074541;
    # profit = 2,363万 × m' / (1 − m') = 1,903,272円; distribution 2.4487% of (cost + profit);
    # tax 8.0141% of the three: 28,254,860円; with 市場性加算 10% × 0.2 → 28,819,957円
    parts = {"cogs": 23_630_000, "operating_profit": 4_140_000, "distribution_cost": 680_000,
             "consumption_tax": 2_280_000}
    out = pricing.conditional_cost_price(parts, 0.5)
    assert out["margin"] == pytest.approx(414 / 2777) and out["margin_conditional"] == pytest.approx(207 / 2777)
    assert out["operating_profit"] == pytest.approx(1_903_272.37, abs=0.01)
    assert out["total"] == pytest.approx(28_254_859.92, abs=0.01)
    assert pricing.premium_price(out["total"], 0.1, 0.2) == 28_819_957
    assert pricing.conditional_cost_price(parts, 1.0)["total"] == pytest.approx(30_730_000)


def test_standard_care_is_weighted_by_survival():
    # SCHOLAR-1: median 6.3 months, 28% at 1 year, 20% at 2 years (held at 20% to 5 years)
    points = pricing.survival_points(6.3, 0.28, 0.20, 0.20)
    year1 = 0.525 * (1 + 0.5) / 2 + 0.475 * (0.5 + 0.28) / 2
    assert pricing.years_alive(points, 0, 1) == pytest.approx(year1)  # 0.579 years alive in year 1
    assert pricing.years_alive(points, 1, 2) == pytest.approx(0.24)
    assert pricing.years_alive(points, 6, 7) == pytest.approx(0.20)  # flat after the last point
    cost = pricing.survival_weighted_cost(6_000_000, 5, 0.02, points)
    assert cost == pytest.approx(6_000_000 * (year1 + 0.24 / 1.02 + 0.2 / 1.02**2 + 0.2 / 1.02**3 + 0.2 / 1.02**4))
    assert cost < pricing.present_value(6_000_000, 5, 0.02) / 3
    with pytest.raises(ValueError):
        pricing.survival_points(13, 0.28, 0.2, 0.2)  # the median must fall in the first year


def test_staged_payments_stop_at_the_first_missed_outcome():
    paid = pricing.staged_payments(floor=100, listing_price=80, outcome_payment=30, tranche_years=[1, 2, 3],
                                   outcomes_met=[True, True, False], horizon=4)
    assert paid["cumulative"].tolist() == [100, 110, 120, 120, 120]
    all_met = pricing.staged_payments(100, 120, 30, [1, 2, 3], [True] * 3, 3)
    assert all_met["cumulative"].tolist() == [120, 130, 140, 150]
    assert all_met["cumulative"].is_monotonic_increasing


# --- sensitivity ------------------------------------------------------------------------------
def test_tornado_orders_by_swing_and_uses_stated_ranges():
    model = lambda p: 2 * p["a"] + p["b"]  # noqa: E731
    t = sensitivity.tornado(model, {"a": 10.0, "b": 1.0})
    assert t["parameter"].tolist() == ["a", "b"]
    assert t.loc[0, ["output_low", "output_high"]].tolist() == pytest.approx([17, 25])
    t = sensitivity.tornado(model, {"a": 10.0, "b": 1.0}, ranges={"b": (0.0, 100.0)})
    assert t["parameter"].tolist() == ["b", "a"]


def test_scenarios_reject_unknown_parameters():
    model = lambda p: p["a"]  # noqa: E731
    out = sensitivity.scenarios(model, {"a": 1.0}, {"low": {"a": 0.5}, "high": {"a": 2.0}})
    assert out.set_index("scenario")["output"].to_dict() == {"base": 1.0, "low": 0.5, "high": 2.0}
    with pytest.raises(KeyError):
        sensitivity.scenarios(model, {"a": 1.0}, {"low": {"z": 0.5}})
