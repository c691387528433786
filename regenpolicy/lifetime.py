"""Cumulative cost of a repeated therapy against a one-time therapy (figure C1).

Costs fall at the start of each year t = 1, 2, … and are discounted to year 1:

    cumulative(T) = Σ_{t=1..T} (direct_t + indirect_t) / (1 + r)^(t−1)

The break-even year is when the repeated therapy's cumulative cost first reaches the one-time
therapy's, interpolated linearly within the year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Therapy:
    first_year_direct: float  # 円: treatment in year 1 (a one-time product's price goes here)
    later_year_direct: float  # 円 per year from year 2
    annual_indirect: float  # 円 per year: care, travel, lost work

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")


def yearly_costs(therapy: Therapy, years: int) -> pd.DataFrame:
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    rows = [{"year": t, "direct": therapy.first_year_direct if t == 1 else therapy.later_year_direct,
             "indirect": therapy.annual_indirect} for t in range(1, years + 1)]
    return pd.DataFrame(rows)


def cumulative_costs(therapy: Therapy, years: int, discount_rate: float) -> pd.DataFrame:
    """Per year: discounted direct and indirect cost and their running totals (never decreasing)."""
    if discount_rate <= -1:
        raise ValueError(f"discount_rate must be above −100%, got {discount_rate}")
    frame = yearly_costs(therapy, years)
    factor = (1 + discount_rate) ** -(frame["year"] - 1)
    frame["direct"] *= factor
    frame["indirect"] *= factor
    frame["cum_direct"] = frame["direct"].cumsum()
    frame["cum_indirect"] = frame["indirect"].cumsum()
    frame["cum_total"] = frame["cum_direct"] + frame["cum_indirect"]
    return frame


def break_even_year(repeated: pd.DataFrame, once: pd.DataFrame) -> float | None:
    """First (fractional) year when the repeated therapy has cost at least the one-time one.

    Cumulative totals are read at the end of each year; between two year-ends they are taken to
    grow linearly. None when it never happens within the horizon.
    """
    gap = (repeated["cum_total"] - once["cum_total"]).tolist()
    years = repeated["year"].tolist()
    if gap[0] >= 0:
        return float(years[0])
    for i in range(1, len(gap)):
        if gap[i] >= 0:
            return years[i - 1] + (-gap[i - 1]) / (gap[i] - gap[i - 1])
    return None
