"""regenpolicy.models.sensitivity: the one-way tornado.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pytest

from regenpolicy.models import (
    lifetime,
    pricing,
    reimbursement,
    repricing,
    sensitivity,
)


# --- moved from the build tests (tests/integration/test_figures_built.py): what the built CSVs showed ------
def test_tornado_charts_are_sorted_by_swing(shipped):
    """C1-TOR, C2-TOR, K1-TOR and P1-TOR draw these frames in this order (figures.tornado_chart keeps it)."""
    frames = {
        "C1-TOR": lifetime.lifetime_costs(shipped, lifetime.C1Parameters()).tornado,
        "C2-TOR": repricing.repricing_margins(shipped, repricing.C2RPParameters()).tornado,
        "K1-TOR": reimbursement.patient_simulation(shipped, reimbursement.EditionSettings(fee_revision=2022, yen_per_point=10),
                                                   reimbursement.PatientSimulationParameters(patients=2_000)).tornado,
        "P1-TOR": pricing.value_price(shipped, pricing.P1Parameters()).tornado,
    }
    for fig_id, frame in frames.items():
        swings = frame["swing"].tolist()
        assert swings == sorted(swings, reverse=True) and swings[0] > 0, fig_id


# --- sensitivity ------------------------------------------------------------------------------
def test_tornado_orders_by_swing_and_uses_stated_ranges():
    model = lambda p: 2 * p["a"] + p["b"]  # noqa: E731
    t = sensitivity.tornado(model, {"a": 10.0, "b": 1.0})
    assert t["parameter"].tolist() == ["a", "b"]
    assert t.loc[0, ["output_low", "output_high"]].tolist() == pytest.approx([17, 25])
    t = sensitivity.tornado(model, {"a": 10.0, "b": 1.0}, ranges={"b": (0.0, 100.0)})
    assert t["parameter"].tolist() == ["b", "a"]
