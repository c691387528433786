"""Issue #3: the model functions behind A1/A3, D1, O1, M3 and E1, against hand-computed values."""

import datetime as dt

import pandas as pd
import pytest

from regenpolicy.models import approvals as ap
from regenpolicy.models import budget, industry

PRODUCTS = pd.DataFrame({
    "product_id": ["a", "b", "c", "d"],
    "modality": ["x", "y", "x", "y"],
    "approval_year": [2019, 2021, 2021, 2023],
    "approval_date": ["2019-05-01", "2021-03", "2021-12-31", "2023-07-01"],
    "withdrawn_date": [None, "2022-01-10", None, None],
})


def test_approval_day_counts_a_month_from_its_last_day():
    assert ap.approval_day("2023-06-26") == dt.date(2023, 6, 26)
    assert ap.approval_day("2023-03") == dt.date(2023, 3, 31)
    assert ap.approval_day("2024-02") == dt.date(2024, 2, 29)
    with pytest.raises(ValueError, match="YYYY-MM"):
        ap.approval_day("2023")


def test_approved_as_of_and_count_since():
    assert list(ap.approved_as_of(PRODUCTS, "2023-06-30")["product_id"]) == ["a", "b", "c"]
    assert list(ap.approved_as_of(PRODUCTS, "2021-03-30")["product_id"]) == ["a"]  # "2021-03" counts from 03-31
    assert ap.count_since(PRODUCTS, "2023-06-30", 2021) == 2
    assert ap.count_since(PRODUCTS, "2023-07-01", 2021) == 3
    assert list(ap.withdrawn_as_of(PRODUCTS, "2022-12-31")["product_id"]) == ["b"]
    assert ap.withdrawn_as_of(PRODUCTS, "2021-12-31").empty


def test_cumulative_by_year_keeps_empty_years():
    total = ap.cumulative_by_year(PRODUCTS, "2023-07-01", by=None)
    assert list(total["year"]) == [2019, 2020, 2021, 2022, 2023]
    assert list(total["approvals"]) == [1, 0, 2, 0, 1]
    assert list(total["cumulative"]) == [1, 1, 3, 3, 4]
    by = ap.cumulative_by_year(PRODUCTS, "2023-07-01").set_index(["year", "modality"])["cumulative"]
    assert by[(2021, "x")] == 2 and by[(2021, "y")] == 1 and by[(2023, "y")] == 2
    with pytest.raises(ValueError, match="no product"):
        ap.cumulative_by_year(PRODUCTS, "2000-01-01")


def test_expected_launches_is_count_times_probability():
    # 10 × 0.6 + 20 × 0.3 + 40 × 0.1 = 6 + 6 + 4
    assert ap.expected_launches({"申請": 10, "P3": 20, "P2": 40}, {"申請": 0.6, "P3": 0.3, "P2": 0.1}) == pytest.approx(16)
    with pytest.raises(ValueError, match="no launch probability for phase"):
        ap.expected_launches({"P1": 3}, {"P2": 0.1})
    with pytest.raises(ValueError, match="between 0 and 1"):
        ap.expected_launches({"P1": 3}, {"P1": 1.5})


def test_cumulative_forecast_check():
    assert ap.cumulative_from(17, [4, 3, 2, 3, 2]) == [21, 24, 26, 29, 31]
    good = pd.DataFrame({"year": [2022, 2023, 2024], "launches": [3, 4, 3], "cumulative": [17, 21, 24]})
    ap.check_forecast(good)
    bad = good.assign(cumulative=[17, 21, 25])
    with pytest.raises(ValueError, match="2024: printed 25 vs 24"):
        ap.check_forecast(bad)


def test_relative_change_and_shares():
    assert ap.relative_change(56, 19) == pytest.approx(-37 / 56)
    assert round(ap.relative_change(135, 20) * 100) == -85
    with pytest.raises(ValueError):
        ap.relative_change(0, 1)
    mix = pd.DataFrame({"modality": ["a", "a", "b", "b"], "share_pct": [60, 41, 50, 48]})
    with pytest.raises(ValueError, match="b 98%"):
        ap.check_shares(mix)  # 101 passes (rounding), 98 does not
    assert ap.check_shares(mix.assign(share_pct=[60, 41, 50, 49])).to_dict() == {"a": 101, "b": 99}


def test_cdmo_markets_hand_computed():
    seg = pd.DataFrame({
        "year": [2030] * 5,
        "modality": ["細胞移植", "組織移植・スキャフォールド治療", "ex vivo遺伝子治療", "in vivo遺伝子治療", "in vivoウイルス治療"],
        "value_oku_yen": [1000.0, 200.0, 800.0, 500.0, 99.0],
    })
    params = {"manufacturing_cost_ratio": 0.5, "outsourcing_ratio": 0.4, "vector_cost_ratio": 0.1, "domestic_ratio": 0.1}
    out = industry.cdmo_markets(seg, params, [2030]).set_index(["segment", "region"])["value_oku_yen"]
    # cell: (1,000 × 0.5 + 800 × (0.5 − 0.1)) × 0.4 = 328; tissue and virus are not counted
    assert out[("細胞CDMO", "グローバル")] == pytest.approx((1000 * 0.5 + 800 * 0.4) * 0.4)
    assert out[("細胞CDMO", "国内")] == pytest.approx(32.8)
    assert out[("ウイルスベクターCDMO", "グローバル")] == pytest.approx(1300 * 0.1 * 0.4)  # 52
    # each yen of the ex vivo market's manufacturing cost is counted once across the two CDMO markets
    only_ex_vivo = seg.assign(value_oku_yen=[0.0, 0.0, 800.0, 0.0, 0.0])
    both = industry.cdmo_markets(only_ex_vivo, params, [2030]).set_index(["segment", "region"])["value_oku_yen"]
    assert both[("細胞CDMO", "グローバル")] + both[("ウイルスベクターCDMO", "グローバル")] == pytest.approx(800 * 0.5 * 0.4)
    with pytest.raises(ValueError, match="cannot exceed"):
        industry.cdmo_markets(seg, {**params, "vector_cost_ratio": 0.6}, [2030])
    with pytest.raises(ValueError, match="M1 has no"):
        industry.cdmo_markets(seg[seg["modality"] != "細胞移植"], params, [2030])
    with pytest.raises(ValueError, match=r"cdmo_parameters has no .*domestic_ratio"):
        industry.parameters_from_table(pd.DataFrame({"parameter": ["outsourcing_ratio"], "value": [0.5]}))


def test_indexed_budget_compounds_nominal_growth():
    assert budget.base_budget(60, 22.3) == pytest.approx(13.38)
    growth = pd.DataFrame({"case": ["a", "a"], "fiscal_year": [2026, 2027], "growth_pct": [10.0, -5.0]})
    path = budget.indexed_budget(100, 2025, growth, 2027).set_index("fiscal_year")
    assert list(path["budget"]) == pytest.approx([100, 110, 104.5])
    assert path.loc[2027, "index"] == pytest.approx(104.5)
    with pytest.raises(ValueError, match=r"no nominal GDP growth for fiscal year\(s\) \[2028\]"):
        budget.indexed_budget(100, 2025, growth, 2028)
    with pytest.raises(ValueError):
        budget.base_budget(60, 0)
