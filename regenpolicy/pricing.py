"""Pricing proposals (figures P1 and P2) against the current methods.

P1 (FIRM 案1): a price built from the value the product brings,

    standard-care cost over the horizon (discounted) + quantifiable social value
    = value base;  price = value base × (1 + Σ add-on rates)

against the current cost-accounting price (製造原価 + 販管費 + 営業利益 + 流通経費 + 消費税,
then premiums × the disclosure coefficient) and the comparator method (comparator price ×
(1 + premiums)).

P2 (FIRM 案2, 段階的還元型): a floor at the cost-accounting price, a listing price from the
comparator with add-ons, and outcome-linked payments after launch that are paid in tranches
while the outcomes are met.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def present_value(annual: float, years: int, discount_rate: float) -> float:
    """Σ_{t=1..years} annual / (1 + r)^(t−1): a yearly amount paid at the start of each year."""
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    return sum(annual / (1 + discount_rate) ** t for t in range(years))


def cost_accounting_price(components: dict[str, float], premium_rate: float, disclosure_coefficient: float,
                          premium_base: float | None = None) -> dict[str, float]:
    """Sum of the cost components, then premiums scaled by the disclosure coefficient.

    ``premium_base`` is the amount the premium applies to (the pre-premium price; by default
    the sum of the components).
    """
    base = sum(components.values())
    premium = (premium_base if premium_base is not None else base) * premium_rate * disclosure_coefficient
    return {**components, "premium": premium, "price": base + premium}


def comparator_price(comparator: float, premium_rate: float) -> float:
    return comparator * (1 + premium_rate)


@dataclass(frozen=True)
class ValueInputs:
    standard_care_annual: float  # 円 per year of the care the product replaces
    horizon_years: int
    discount_rate: float
    productivity_annual: float  # 円 per year of work regained
    work_years_gained: float  # expected years of work regained per patient
    caregiver_annual: float  # 円 per year of care no longer needed
    caregiver_years: float
    addon_rates: dict[str, float]  # name → rate


def value_based_price(v: ValueInputs) -> dict[str, float]:
    """The P1 build-up: each step of the waterfall and the resulting price (円 per patient)."""
    standard = present_value(v.standard_care_annual, v.horizon_years, v.discount_rate)
    productivity = v.productivity_annual * v.work_years_gained
    caregiving = v.caregiver_annual * v.caregiver_years
    base = standard + productivity + caregiving
    steps = {"standard_care": standard, "productivity": productivity, "caregiving": caregiving}
    for name, rate in v.addon_rates.items():
        steps[f"addon_{name}"] = base * rate
    steps["price"] = base * (1 + sum(v.addon_rates.values()))
    return steps


def staged_payments(floor: float, listing_price: float, outcome_payment: float, tranche_years: list[int],
                    outcomes_met: list[bool], horizon: int) -> pd.DataFrame:
    """P2: cumulative payment per patient by year.

    At listing the payer pays max(floor, listing_price). ``outcome_payment`` is split equally
    over ``tranche_years``; a tranche is paid only if the outcome is still met that year, and
    payments stop at the first year it is not.
    """
    if len(tranche_years) != len(outcomes_met):
        raise ValueError("one outcome flag per tranche year is needed")
    upfront = max(floor, listing_price)
    tranche = outcome_payment / len(tranche_years) if tranche_years else 0.0
    paid_years: set[int] = set()
    for year, met in zip(tranche_years, outcomes_met):
        if not met:
            break
        paid_years.add(year)
    rows, total = [], upfront
    for year in range(0, horizon + 1):
        if year in paid_years:
            total += tranche
        rows.append({"year": year, "cumulative": total})
    return pd.DataFrame(rows)
