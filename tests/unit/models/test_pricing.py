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
    firm = p1.waterfall[p1.waterfall["method"].str.startswith("FIRM")].set_index("step")["amount"]
    assert firm["価格"] == pytest.approx(firm.drop("価格").sum())


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
    v = pricing.ValueInputs(standard_care_annual=1_000_000, horizon_years=3, discount_rate=0.0,
                            productivity_annual=4_000_000, work_years_gained=0.5, caregiver_annual=1_000_000,
                            caregiver_years=1, addon_rates={"a": 0.1, "b": 0.05}, value_addons=())
    out = pricing.value_based_price(v)  # default survival: everyone lives
    assert out["standard_care"] == 3_000_000 and out["productivity"] == 2_000_000
    assert out["addon_a"] == 600_000
    assert out["price"] == pytest.approx(6_900_000)


def test_value_addons_are_not_counted_twice_unless_asked():
    v = pricing.ValueInputs(standard_care_annual=1_000_000, horizon_years=1, discount_rate=0.0,
                            productivity_annual=0, work_years_gained=0, caregiver_annual=0, caregiver_years=0,
                            addon_rates={"usefulness": 0.35, "marketability": 0.1}, value_addons=("usefulness",))
    out = pricing.value_based_price(v)
    assert out["price"] == pytest.approx(1_100_000) and "addon_usefulness" not in out
    assert out["price_with_value_addons"] == pytest.approx(1_450_000)
    both = pricing.value_based_price(pricing.ValueInputs(**{**v.__dict__, "add_value_addons": True}))
    assert both["price"] == pytest.approx(1_450_000) and both["addon_usefulness"] == pytest.approx(350_000)


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
