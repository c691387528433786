"""regenpolicy.models.approvals (O1, D1, D2, A1–A3): counts, regroupings and the launch forecast.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from regenpolicy.models import approvals
from regenpolicy.models import approvals as ap

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


def test_o1_originators(shipped):
    o1 = approvals.originator_shares(shipped, approvals.O1Parameters())
    assert o1.counts.to_dict() == {"低分子医薬品": 3130, "抗体医薬品": 906, "核酸医薬品": 142, "遺伝子治療": 220,
                                   "遺伝子細胞治療": 210, "細胞治療": 273}
    assert o1.numbers["o1_focus_young"] == 75 + 11 + 2  # biotech + university + non-profit, 細胞治療
    assert o1.numbers["o1_dash_count"] == 4


def test_d1_d2_drug_loss(shipped):
    d1 = approvals.drug_loss(shipped, approvals.D1Parameters())
    n = d1.numbers
    assert (n["d1_approved_all"], n["d1_approved_jp"], n["d1_p3_all"], n["d1_p3_jp"]) == (56, 19, 135, 20)
    assert round(n["d1_drop_approved"], 2) == -0.66 and round(n["d1_drop_p3"], 2) == -0.85
    assert (d1.not_developed, d1.designated) == (37, 9)
    assert d1.d2["share_pct"].round(1).tolist() == [33.9, 14.8]


def test_a1_a2_approvals(shipped):
    a1 = approvals.approvals_as_of(shipped, approvals.A1Parameters())
    assert len(a1.approved) == 20 and int(a1.approved["conditional"].sum()) == 4
    total = a1.yearly.set_index("year")["cumulative"]
    assert (total[2023], total[2022], total[2020] - total[2007]) == (20, 17, 8)
    assert a1.numbers["a1_since"] == 11


def test_a3_launch_forecast(shipped):
    a3 = approvals.launch_forecast(shipped, approvals.A3Parameters())
    assert a3.forecast["launches"].tolist() == [3, 4, 3, 2, 3, 2]
    assert a3.forecast["cumulative"].tolist() == [17, 21, 24, 26, 29, 31]
    assert a3.numbers["a3_filed_expected"] == 2
