"""regenpolicy.models.lifetime (C1): cumulative cost of a one-time against a repeated therapy.

The model functions against hand-checked values, edge cases and invariants."""

from __future__ import annotations

import pytest

from regenpolicy.models import lifetime


def test_c1_lifetime(shipped):
    c1 = lifetime.lifetime_costs(shipped, lifetime.C1Parameters())
    first = c1.curves[c1.curves["year"] == 1].set_index("therapy")["cum_total"]
    # year 1 of the one-time therapy: price 167,077,222 + admission 500,000 + indirect 1,000,000
    assert first["once"] == pytest.approx(168_577_222) and first["once"] > first["repeat"]
    assert c1.numbers["c1_break_even"] == pytest.approx(5.0, abs=0.1)
    assert c1.tornado["swing"].is_monotonic_decreasing


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
