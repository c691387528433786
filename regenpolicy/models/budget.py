"""A drug budget indexed to nominal GDP growth (figure E1).

The 2025 white paper relays the proposal that the drug part of the medical benefit expenditure
grow along nominal GDP:

    budget(base_year)  = medical_benefit(base_year) × drug_cost_ratio
    budget(t)          = budget(t − 1) × (1 + nominal_gdp_growth(t))
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.params import Parameters, Problem, param


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


# --- figure E1 -----------------------------------------------------------------------------------
GROWTH_CASE, PAST_CASE = "成長移行ケース", "過去投影ケース"


@dataclass(frozen=True)
class E1Parameters(Parameters):
    base_year: int = param(2025, "起点の年度（医療給付費の年度）", unit="年度", minimum=2000, maximum=2100)
    end_year: int = param(2034, "試算の最終年度", unit="年度", minimum=2000, maximum=2100)

    def problems(self, ds: Dataset) -> list[Problem]:
        inputs = ds["health_budget_inputs"].set_index("key")
        benefit_year = int(inputs.loc["medical_benefit", "fiscal_year"])
        out = []
        if self.base_year != benefit_year:
            out.append(Problem(("base_year",), f"the medical benefit expenditure in the data is for FY{benefit_year}"))
        if self.end_year <= self.base_year:
            out.append(Problem(("end_year",), f"must be after base_year ({self.base_year})"))
        growth = ds["nominal_gdp_growth"]
        for case, rows in growth.groupby("case"):
            missing = [y for y in range(self.base_year + 1, self.end_year + 1) if y not in set(rows["fiscal_year"])]
            if missing:
                out.append(Problem(("end_year",), f"{case}: no nominal GDP growth for FY{missing[0]}–{missing[-1]}"))
        return out


@dataclass(frozen=True)
class E1Result:
    path: pd.DataFrame  # case, fiscal_year, growth_pct, budget, index, status
    benefit: float
    ratio_year: int
    numbers: dict[str, float]


def drug_budget(ds: Dataset, p: E1Parameters) -> E1Result:
    """The drug budget of the base year, indexed to nominal GDP growth in each case (E1)."""
    inputs = ds["health_budget_inputs"].set_index("key")
    benefit = float(inputs.loc["medical_benefit", "value"])
    ratio = float(inputs.loc["drug_cost_ratio", "value"])
    base = base_budget(benefit, ratio)
    path = indexed_budget(base, p.base_year, ds["nominal_gdp_growth"], p.end_year)
    path["status"] = ["assumption" if c == GROWTH_CASE and y > p.base_year else "derived"
                      for c, y in zip(path["case"], path["fiscal_year"], strict=True)]
    end = path[path["fiscal_year"] == p.end_year].set_index("case")
    ratio_year = int(inputs.loc["drug_cost_ratio", "fiscal_year"])
    numbers = {
        "e1_base_year": p.base_year, "e1_end_year": p.end_year, "e1_benefit": benefit, "e1_ratio": ratio / 100,
        "e1_ratio_year": ratio_year, "e1_drug_cost": float(inputs.loc["drug_cost", "value"]), "e1_base": base,
        "e1_low": end.loc[PAST_CASE, "budget"], "e1_high": end.loc[GROWTH_CASE, "budget"],
        "e1_low_growth": end.loc[PAST_CASE, "index"] / 100 - 1, "e1_high_growth": end.loc[GROWTH_CASE, "index"] / 100 - 1,
        "e1_gap": end.loc[GROWTH_CASE, "budget"] - end.loc[PAST_CASE, "budget"],
    }
    return E1Result(path, benefit, ratio_year, numbers)
