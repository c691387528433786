"""regenpolicy.models.qc (Q1): the QC sample share of a lot.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import math

import pytest

from regenpolicy.models import qc


def test_q1_qc_share(shipped):
    q1 = qc.qc_shares(shipped, qc.Q1Parameters())
    cell = q1.curve[q1.curve["product"] == "cell"].set_index("lot_size")["shipped_fraction"]
    assert cell[70] == 0.5 and cell[30] == 0.0 and cell.is_monotonic_increasing
    assert q1.numbers["q1_min_lot"] == 36 and q1.numbers["q1_multiplier"] == 2.0


def test_q1_midpoint(shipped):
    q1 = qc.qc_shares(shipped, qc.Q1Parameters())
    assert q1.numbers["q1_ab_lot"] == (2000 + 10000) / 2 == 6000
    assert q1.numbers["q1_ab_share"] == pytest.approx(250 / 6000)
    assert q1.texts["q1_processes"] == "全体を通じて、更に500以上のプロセスが存在"
    lot = shipped["unit_cost_parameters"].set_index(["product_type", "parameter"]).loc[("conventional", "lot_size")]
    assert (lot["value"], lot["status"]) == (6000, "assumption")  # a value chosen inside the printed 0.2〜1万本


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
