"""regenpolicy.models.manufacturing (C2): unit cost by volume.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pytest

from regenpolicy.models import manufacturing
from regenpolicy.models import manufacturing as mf

AUTO = mf.CostParameters(facility_fixed_cost=100000, line_capacity=24, line_fixed_cost=15000,
                         variable_cost=975, lot_size=1, qc_cost_per_lot=300)


CONV = mf.CostParameters(facility_fixed_cost=300000, line_capacity=1000000, line_fixed_cost=0,
                         variable_cost=5, lot_size=5000, qc_cost_per_lot=1500)


def test_c2_unit_costs(shipped):
    c2 = manufacturing.unit_costs(shipped, manufacturing.C2Parameters())
    cost = c2.curve.set_index(["product_type", "volume"])["total"]
    assert cost[("conventional", 10)] / cost[("conventional", 100000)] > 1000
    assert cost[("autologous", 10)] / cost[("autologous", 100000)] < 10
    assert cost[("autologous", 100000)] > 1900
    assert c2.numbers["c2_merit_conventional"] == pytest.approx(0.90, abs=0.01)


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
