"""A drug budget indexed to nominal GDP growth (figure E1).

The 2025 white paper relays the proposal that the drug part of the medical benefit expenditure
grow along nominal GDP. The budget starts from the drug expenditure series itself (薬剤費, as
printed by 中医協), not from a share of the seed's medical benefit expenditure (約60兆円, which
no government aggregate matches):

    budget(base_year)  = 国民医療費(latest year printed) × 薬剤費比率(latest year of the series)   (derived; default)
                      or drug_cost(latest year of the series), carried to the base year (an assumption)
    budget(t)          = budget(t − 1) × (1 + nominal_gdp_growth(t))

The printed drug expenditure stops at FY2020 (9.56兆円); the national medical expenditure is printed
to FY2023 (48.0915兆円). The default start carries the FY2020 ratio (22.3%) to FY2023: 10.72兆円, a
derived value that mixes years; ``base_from="series"`` starts from the FY2020 value instead.

``seed_start`` is what the seed's route gives (60兆円 × the FY2020 ratio 22.3%) for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from regenpolicy.data import Dataset
from regenpolicy.models.parameters import Parameters, Problem, param


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
SERIES = "薬剤費（実績）"


class E1Parameters(Parameters):
    base_year: int = param(2025, "GDP に連動させる起点の年度", unit="年度", minimum=2000, maximum=2100)
    end_year: int = param(2034, "試算の最終年度", unit="年度", minimum=2000, maximum=2100)
    base_from: Literal["nme_ratio", "series"] = param(
        "nme_ratio", "起点の枠：最新の国民医療費×最新の薬剤費比率（導出）か、最新の薬剤費の実績（仮定で起点年度に当てはめる）か")

    def problems(self, ds: Dataset) -> list[Problem]:
        latest = int(ds["drug_expenditure"]["fiscal_year"].max())
        out = []
        if self.base_year < latest:
            out.append(Problem(("base_year",), f"must not be before the latest year of the drug expenditure "
                                               f"series (FY{latest})"))
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
    path: pd.DataFrame  # case, fiscal_year, growth_pct, budget, index, status (the series and both cases)
    series: pd.DataFrame  # the drug expenditure series
    benefit: float  # the seed's medical benefit expenditure (兆円)
    numbers: dict[str, float]


def drug_budget(ds: Dataset, p: E1Parameters) -> E1Result:
    """The drug expenditure series, then the budget from its latest value indexed to nominal GDP growth (E1)."""
    series = ds["drug_expenditure"].sort_values("fiscal_year").reset_index(drop=True)
    latest = series.iloc[-1]
    inputs = ds["health_budget_inputs"].set_index("key")
    drug_cost = float(latest["drug_cost_cho_yen"])
    ratio = float(latest["drug_cost_ratio_pct"])
    nme = float(inputs.loc["national_medical_expenditure", "value"])
    base = base_budget(nme, ratio) if p.base_from == "nme_ratio" else drug_cost
    path = indexed_budget(base, p.base_year, ds["nominal_gdp_growth"], p.end_year)
    # the base year is derived (国民医療費 × the latest ratio) or carries the latest actual forward (assumption);
    # later years are derived from printed growth (過去投影ケース) or from the assumed growth of the 成長移行ケース
    base_status = "derived" if p.base_from == "nme_ratio" else "assumption"
    path["status"] = ["assumption" if c == GROWTH_CASE and y > p.base_year
                      else base_status if y == p.base_year else "derived"
                      for c, y in zip(path["case"], path["fiscal_year"], strict=True)]
    actual = pd.DataFrame({"case": SERIES, "fiscal_year": series["fiscal_year"], "growth_pct": None,
                           "budget": series["drug_cost_cho_yen"], "index": 100 * series["drug_cost_cho_yen"] / base,
                           "status": series["status"]})
    full = pd.concat([actual, path], ignore_index=True)
    full["growth_pct"] = full["growth_pct"].astype(object).where(full["growth_pct"].notna(), None)  # null, not NaN
    benefit = float(inputs.loc["medical_benefit", "value"])
    end = path[path["fiscal_year"] == p.end_year].set_index("case")
    numbers = {
        "e1_base_year": p.base_year, "e1_end_year": p.end_year, "e1_series_first": int(series["fiscal_year"].min()),
        "e1_series_year": int(latest["fiscal_year"]), "e1_drug_cost": drug_cost, "e1_nme_series": float(latest["national_medical_expenditure_cho_yen"]),
        "e1_ratio": ratio / 100, "e1_series_min": float(series["drug_cost_cho_yen"].min()),
        "e1_series_max": float(series["drug_cost_cho_yen"].max()), "e1_base": base,
        "e1_benefit": benefit, "e1_benefit_year": int(inputs.loc["medical_benefit", "fiscal_year"]),
        "e1_projection": float(inputs.loc["medical_benefit_projection", "value"]),
        "e1_nme": float(inputs.loc["national_medical_expenditure", "value"]),
        "e1_nme_year": int(inputs.loc["national_medical_expenditure", "fiscal_year"]),
        "e1_seed_base": base_budget(benefit, ratio), "e1_seed_excess": base_budget(benefit, ratio) - base,
        "e1_base_gap": base - drug_cost, "e1_base_gap_share": base / drug_cost - 1,
        "e1_low": end.loc[PAST_CASE, "budget"], "e1_high": end.loc[GROWTH_CASE, "budget"],
        "e1_low_growth": end.loc[PAST_CASE, "index"] / 100 - 1, "e1_high_growth": end.loc[GROWTH_CASE, "index"] / 100 - 1,
        "e1_gap": end.loc[GROWTH_CASE, "budget"] - end.loc[PAST_CASE, "budget"],
    }
    return E1Result(full, series, benefit, numbers)
