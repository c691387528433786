"""A drug budget indexed to nominal GDP growth (figure E1).

The 2025 white paper relays the proposal that the drug part of the medical benefit expenditure
grow along nominal GDP:

    budget(base_year)  = medical_benefit(base_year) × drug_cost_ratio
    budget(t)          = budget(t − 1) × (1 + nominal_gdp_growth(t))
"""

from __future__ import annotations

import pandas as pd


def base_budget(medical_benefit: float, drug_cost_ratio_pct: float) -> float:
    """The drug budget of the base year (same unit as ``medical_benefit``)."""
    if medical_benefit <= 0:
        raise ValueError(f"medical_benefit must be positive, got {medical_benefit}")
    if not 0 < drug_cost_ratio_pct < 100:
        raise ValueError(f"drug_cost_ratio_pct must be between 0 and 100, got {drug_cost_ratio_pct}")
    return medical_benefit * drug_cost_ratio_pct / 100


def indexed_budget(base: float, base_year: int, growth: pd.DataFrame, end_year: int) -> pd.DataFrame:
    """Budget path per case from ``base_year`` to ``end_year``, compounding each year's growth.

    ``growth`` has columns case, fiscal_year, growth_pct. Returns case, fiscal_year, growth_pct
    (empty in the base year), budget and index (base year = 100).
    """
    if end_year <= base_year:
        raise ValueError(f"end_year must be after base_year, got {base_year} → {end_year}")
    rows = []
    for case, g in growth.groupby("case", sort=False):
        by_year = g.set_index("fiscal_year")["growth_pct"]
        missing = [y for y in range(base_year + 1, end_year + 1) if y not in by_year.index]
        if missing:
            raise ValueError(f"{case}: no nominal GDP growth for fiscal year(s) {missing}")
        value = base
        rows.append({"case": case, "fiscal_year": base_year, "growth_pct": None, "budget": value, "index": 100.0})
        for year in range(base_year + 1, end_year + 1):
            value *= 1 + by_year[year] / 100
            rows.append({"case": case, "fiscal_year": year, "growth_pct": float(by_year[year]),
                         "budget": value, "index": 100 * value / base})
    return pd.DataFrame(rows)
