"""Model functions against hand-computed values."""


import pandas as pd
import pytest

from regenpolicy.models import manufacturing as mf
from regenpolicy.models import market

AUTO = mf.CostParameters(facility_fixed_cost=100000, line_capacity=24, line_fixed_cost=15000,
                         variable_cost=975, lot_size=1, qc_cost_per_lot=300)
CONV = mf.CostParameters(facility_fixed_cost=300000, line_capacity=1000000, line_fixed_cost=0,
                         variable_cost=5, lot_size=5000, qc_cost_per_lot=1500)


def test_cagr_hand_computed():
    # (68,657 / 6,812) ** (1/10) − 1: ratio 10.07883, ln 2.31044, /10 → e^0.231044 = 1.25992
    assert market.cagr(6812, 68657, 10) == pytest.approx(0.25992, abs=2e-5)
    assert market.cagr(100, 121, 2) == pytest.approx(0.10)
    assert market.cagr(50, 50, 7) == 0.0


@pytest.mark.parametrize("start, end, years", [(0, 10, 5), (-1, 10, 5), (10, 20, 0)])
def test_cagr_rejects_meaningless_input(start, end, years):
    with pytest.raises(ValueError):
        market.cagr(start, end, years)


def test_check_totals_flags_a_year_that_does_not_add_up():
    segments = pd.DataFrame({"year": [2020, 2020, 2025], "value_oku_yen": [1.0, 2.0, 5.0]})
    printed = pd.DataFrame({"year": [2020, 2025], "total_oku_yen": [3.0, 6.0]})
    with pytest.raises(ValueError, match=r"2025: segments 5\.0 vs printed 6\.0"):
        market.check_totals(segments, printed)
    printed.loc[1, "total_oku_yen"] = 5.0
    assert list(market.check_totals(segments, printed)["difference"]) == [0.0, 0.0]


def test_unit_cost_autologous_at_kymriah_peak_volume():
    # 216 patients → ceil(216/24) = 9 lines; fixed (100,000 + 9×15,000)/216 = 1,087.96; variable 975 + 300 = 1,275
    cost = mf.unit_cost(216, AUTO)
    assert mf.lines_needed(216, AUTO) == 9
    assert cost["fixed"] == pytest.approx(235000 / 216)
    assert cost["variable"] == 1275
    assert cost["total"] == pytest.approx(2362.96, abs=0.01)


def test_unit_cost_adds_a_line_past_capacity():
    assert mf.unit_cost(24, AUTO)["fixed"] == pytest.approx(115000 / 24)
    assert mf.unit_cost(25, AUTO)["fixed"] == pytest.approx(130000 / 25)  # 2 lines: 5,200


def test_unit_cost_conventional_spreads_fixed_cost():
    # 1,000 units: 300,000/1,000 = 300 fixed; 5 + 1,500/5,000 = 5.3 variable
    assert mf.unit_cost(1000, CONV) == pytest.approx({"fixed": 300, "variable": 5.3, "total": 305.3})


def test_scale_merit_and_floor():
    # conventional: 1 − 305.3 / 3,005.3; autologous: 1 − 2,005 / 3,025 (5 lines at 100, 42 at 1,000)
    assert mf.scale_merit(100, 1000, CONV) == pytest.approx(1 - 305.3 / 3005.3)
    assert mf.scale_merit(100, 1000, AUTO) == pytest.approx(1 - 2005 / 3025)
    assert mf.cost_floor(AUTO) == pytest.approx(15000 / 24 + 1275)  # 1,900
    assert all(mf.unit_cost(v, AUTO)["total"] > mf.cost_floor(AUTO) for v in (10, 1000, 10**6))


def test_unit_cost_rejects_zero_volume_and_capacity():
    with pytest.raises(ValueError, match="volume must be positive"):
        mf.unit_cost(0, AUTO)
    with pytest.raises(ValueError, match="line_capacity must be positive"):
        mf.CostParameters(1, 0, 1, 1, 1, 1)


def test_volume_grid_is_log_spaced_integers_with_both_ends():
    grid = mf.volume_grid(10, 100000, 5)
    assert grid == [10, 100, 1000, 10000, 100000]
    assert mf.volume_grid(1, 3, 10) == [1, 2, 3]


