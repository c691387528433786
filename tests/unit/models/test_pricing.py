"""regenpolicy.models.pricing (P1, P2): value-based and staged prices.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pytest

from regenpolicy.models import pricing


def test_p1_p2_pricing(shipped):
    p1 = pricing.value_price(shipped, pricing.P1Parameters())
    current = p1.waterfall[p1.waterfall["method"] == pricing.P1_METHODS[0]].set_index("step")["amount"]
    assert current["価格"] == 33_493_407  # Kymriah's listed price, to the yen
    assert current.drop("価格").sum() == pytest.approx(33_493_407)
    p2 = pricing.staged_price(shipped, pricing.P2Parameters())
    final = p2.paths.groupby("scenario")["cumulative"].last()
    assert final["good"] > final["base"] > final["poor"] and final["good"] - final["poor"] == pytest.approx(5e6)


def test_p1_firm_price_is_the_sum_of_its_steps(shipped):
    p1 = pricing.value_price(shipped, pricing.P1Parameters())
    for method in pricing.P1_METHODS:
        steps = p1.waterfall[p1.waterfall["method"] == method].set_index("step")["amount"]
        assert steps["価格"] == pytest.approx(steps.drop("価格").sum()), method


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


def test_value_based_price_hand_computed():
    out = pricing.value_based_price(_inputs())
    assert out["standard_care"] == pytest.approx(500_000)  # 1,000,000 × (0.5 + 0) years alive
    assert out["work_life_years"] == pytest.approx(1.5)  # (1 − 0.5) + (1 − 0) in the 2 working years
    assert out["productivity"] == pytest.approx(3_000_000)  # 4,000,000 × 0.5 × 1.5
    assert out["cured_share"] == 1 and out["caregiving"] == pytest.approx(2_000_000)
    assert out["base"] == pytest.approx(5_500_000) and out["life_years"] == pytest.approx(2.5)
    assert out["addon_usefulness"] == pytest.approx(1_925_000) and out["addon_marketability"] == pytest.approx(550_000)
    assert out["price"] == pytest.approx(7_975_000)  # FIRM adds every add-on it names: 5.5M × 1.45




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


def test_p1_default_is_firms_build_up_hand_computed(shipped):
    """Checked by integrating the survival curves on a fine grid (numpy.interp + trapezoid, 200,000 steps a year)."""
    n = pricing.value_price(shipped, pricing.P1Parameters()).numbers
    assert n["p1_standard"] == pytest.approx(827.8569, abs=1e-3)  # 600万円 × survival-weighted years, 5 years, 2%
    assert n["p1_work_life_years"] == pytest.approx(1.865497, abs=1e-5)  # ages 58–65, ZUMA-1 minus SCHOLAR-1
    assert n["p1_productivity"] == pytest.approx(637.5708, abs=1e-3)  # 478万円 × 71.5% × 1.8655
    assert n["p1_caregiving"] == pytest.approx(45.814, abs=1e-3)  # 2,027,168円 × 1 year × (42.6% − 20%)
    assert n["p1_base"] == pytest.approx(1511.2417, abs=1e-3)  # add-ons off
    assert n["p1_price"] == pytest.approx(2342.4246, abs=1e-3)  # × (1 + 35% + 10% + 0% + 10%)
    assert n["p1_life_years"] == pytest.approx(4.680583, abs=1e-5)  # over 23.63 years
    assert n["p1_hta"] == pytest.approx(3636.2069, abs=1e-3)  # 4.6806 × 0.8 × 750万 + 827.86万
    assert n["p1_hta_low"] == pytest.approx(2700.0902, abs=1e-3)  # at 500万円/QALY
    assert n["p1_cond_price"] == pytest.approx(2881.9957, abs=1e-4)  # margin × 0.5, 市場性加算 only
    assert n["p1_vs_listed"] == pytest.approx(23_424_246.24 / 33_493_407 - 1, abs=1e-6)


def _inputs(**kw):
    # comparator: everyone dies linearly within the first year; product: everyone lives
    v = {"standard_care_annual": 1_000_000, "horizon_years": 2, "discount_rate": 0.0, "wage_annual": 4_000_000,
         "employment_rate": 0.5, "work_years": 2, "care_annual": 2_000_000, "care_years_per_death": 1,
         "gain_years": 3, "addon_rates": {"usefulness": 0.35, "marketability": 0.1},
         "survival": ((0.0, 1.0), (1.0, 0.0)), "product_survival": ((0.0, 1.0),), "value_addons": ("usefulness",)}
    return pricing.ValueInputs(**{**v, **kw})


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
